//! Sending: `send` (the template, through the chosen mode), `ping` (the post's
//! closing exercise, built on the same loop) and `trigger` (traffic the kernel
//! builds, in the background, as if from another window).
//!
//! One loop serves send and ping: build, record what is handed to sendto,
//! send, show what comes back, until every request has its reply or the
//! timeout passes; then, for silence, say why from the evidence.

use super::{Detail, Flow, Session, Shown, duration_words, proto_words};
use crate::capture::{Origin, Packet};
use crate::command::{Mode, SendArgs, Trigger};
use crate::lab::{Relation, silence_reasons};
use crate::net::{self, Listener, Net};
use crate::render::Tone;
use crate::template::{Built, Payload, Template, Value};
use crate::wire::{self, icmp, ipv4};
use socket2::Socket;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// What one run of the send loop saw.
struct Outcome {
    /// Numbers of the packets handed to sendto.
    sent: Vec<u64>,
    /// Sends still without a reply.
    unanswered: Vec<u64>,
    last_built: Vec<u8>,
    dst: Ipv4Addr,
    first_send: Instant,
    last_send: Instant,
}

impl Session {
    pub(super) fn send(&mut self, args: &SendArgs, out: &mut dyn Write) -> io::Result<Flow> {
        let mut template = self.template.clone();
        if let Some(dst) = args.dst {
            template
                .set(&ipv4::DST, Value::Raw(u32::from(dst) as u128))
                .expect("every template has ip.dst");
        }
        self.fill_source(&mut template, out)?;
        let Some(outcome) = self.transmit(
            args,
            out,
            &mut |_| template.build(SystemTime::now()),
            &mut |_, _, _| Ok(()),
        )?
        else {
            return Ok(Flow::Continue);
        };
        if !outcome.unanswered.is_empty() && !self.interrupted() {
            let which: Vec<String> = outcome.unanswered.iter().map(|n| format!("#{n}")).collect();
            let text = format!(
                "no reply to {} within {} (set timeout DURATION to wait longer). Why, from the evidence:",
                which.join(", "),
                duration_words(self.timeout)
            );
            writeln!(out, "{}", self.style().paint(&text, Tone::Note))?;
            for reason in
                silence_reasons(&outcome.last_built, outcome.dst, self.net == Net::Sandbox)
            {
                for l in self.style().wrap(&reason, "  • ", "    ") {
                    writeln!(out, "{l}")?;
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// A TCP or UDP checksum covers the IP source address (the pseudo-header), so a
    /// source left 0 for the kernel would make it wrong on the wire. When the bytes
    /// depend on ip.src like that and it is unset, rawlab writes the address the
    /// kernel would choose for this destination, and says so.
    fn fill_source(&self, template: &mut Template, out: &mut dyn Write) -> io::Result<()> {
        if template.layers[0].proto != &ipv4::IPV4 || template.is_set(&ipv4::SRC) {
            return Ok(());
        }
        let now = SystemTime::now();
        let probe = |src: u32| {
            let mut t = template.clone();
            t.set(&ipv4::SRC, Value::Raw(src as u128)).expect("ip.src");
            let mut b = t.build(now).bytes;
            ipv4::SRC.set(&mut b, 0);
            b
        };
        if probe(0) == probe(0x7f00_0002) {
            return Ok(());
        }
        let dst = Ipv4Addr::from(ipv4::DST.get(&template.build(now).bytes) as u32);
        let Ok(src) = net::source_for(dst) else {
            return Ok(());
        };
        template
            .set(&ipv4::SRC, Value::Raw(u32::from(src) as u128))
            .expect("ip.src");
        let inner = template.layers.get(1).map_or("the", |l| l.proto.title);
        self.info(
            out,
            &format!(
                "ip.src = {src} for this send: the {inner} checksum covers the source address, so rawlab writes the one the kernel would choose (set ip.src yourself to send something else)"
            ),
        )
    }

    /// Echo requests with this session's identifier, a sequence number and a send
    /// timestamp; one line per reply, then ping(8)'s statistics.
    pub(super) fn ping(&mut self, args: &SendArgs, out: &mut dyn Write) -> io::Result<Flow> {
        let dst = args.dst.expect("the parser requires a destination");
        let ident = self.ping_ident;
        let mut template = Template::default();
        template
            .set(&ipv4::DST, Value::Raw(u32::from(dst) as u128))
            .expect("ip.dst");
        template
            .set(&icmp::IDENT, Value::Raw(ident as u128))
            .expect("icmp.ident");
        let header = format!(
            "PING {dst}: 56 data bytes, identifier {ident} (this session's), mode {}",
            self.mode.name()
        );
        writeln!(out, "{}", self.style().paint(&header, Tone::Heading))?;
        let mut rtts: Vec<Duration> = Vec::new();
        let previous = self.shower.set_detail(Detail::Quiet);
        let style = self.style();
        let mut build = |i: u64| {
            template
                .set(&icmp::SEQ, Value::Raw((i + 1) as u128 & 0xffff))
                .expect("icmp.seq");
            let now = SystemTime::now();
            let mut data = Payload::Time.bytes(now);
            data.extend((0x10u8..0x38).take(40));
            template.payload = Payload::Bytes(data);
            template.build(now)
        };
        let mut on_reply = |out: &mut dyn Write, sent: &Packet, reply: &Packet| -> io::Result<()> {
            let rtt = reply.time.duration_since(sent.time).unwrap_or_default();
            rtts.push(rtt);
            let d = wire::dissect::dissect(&reply.bytes, reply.first);
            let icmp_len = d.layers.get(1).map_or(0, |l| l.end - l.start);
            let seq = d.value(&reply.bytes, &icmp::SEQ).unwrap_or(0);
            let ttl = d.value(&reply.bytes, &ipv4::TTL).unwrap_or(0);
            let src = ipv4::SRC.words(d.value(&reply.bytes, &ipv4::SRC).unwrap_or(0));
            let line = format!(
                "{icmp_len} bytes from {src}: icmp_seq={seq} ttl={ttl} time={:.3} ms  (#{} → #{})",
                rtt.as_secs_f64() * 1e3,
                sent.no,
                reply.no
            );
            writeln!(out, "{}", style.paint(&line, Tone::Plain))
        };
        let outcome = self.transmit(args, out, &mut build, &mut on_reply);
        self.shower.set_detail(previous);
        let Some(outcome) = outcome? else {
            return Ok(Flow::Continue);
        };
        let sent = outcome.sent.len();
        let received = rtts.len();
        self.last_ping = Some((sent as u64, received as u64));
        let loss = if sent == 0 {
            0.0
        } else {
            100.0 * (sent - received) as f64 / sent as f64
        };
        let elapsed = outcome.last_send.duration_since(outcome.first_send);
        writeln!(out, "--- {dst} rawlab ping statistics ---")?;
        writeln!(
            out,
            "{sent} packets transmitted, {received} received, {loss:.0}% packet loss, time {}ms{}",
            elapsed.as_millis(),
            if self.interrupted() {
                " (interrupted)"
            } else {
                ""
            }
        )?;
        if !rtts.is_empty() {
            let ms: Vec<f64> = rtts.iter().map(|d| d.as_secs_f64() * 1e3).collect();
            let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ms.iter().copied().fold(0.0, f64::max);
            let avg = ms.iter().sum::<f64>() / ms.len() as f64;
            let mdev = (ms.iter().map(|x| x * x).sum::<f64>() / ms.len() as f64 - avg * avg)
                .max(0.0)
                .sqrt();
            writeln!(
                out,
                "rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms"
            )?;
        } else if !self.interrupted() {
            for reason in silence_reasons(&outcome.last_built, dst, self.net == Net::Sandbox) {
                for l in self.style().wrap(&reason, "  • ", "    ") {
                    writeln!(out, "{l}")?;
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// The loop behind send and ping: builds each packet with `build(i)`, records it,
    /// hands it to the kernel, shows what comes back and calls `on_reply` for each reply
    /// to one of ours. None when it could not start (the error has been printed).
    fn transmit(
        &mut self,
        args: &SendArgs,
        out: &mut dyn Write,
        build: &mut dyn FnMut(u64) -> Built,
        on_reply: &mut dyn FnMut(&mut dyn Write, &Packet, &Packet) -> io::Result<()>,
    ) -> io::Result<Option<Outcome>> {
        if let Some(f) = self.need_network(out) {
            f?;
            return Ok(None);
        }
        let first = build(0);
        if first.layers[0].0 != &ipv4::IPV4 {
            let text = format!(
                "rawlab sends through IPv4 raw sockets only so far, and this template starts with {}: `show` and `hex` work on it, sending it does not yet",
                first.layers[0].0.title
            );
            self.fail(out, &text)?;
            return Ok(None);
        }
        let dst = Ipv4Addr::from(ipv4::DST.get(&first.bytes) as u32);
        let src = Ipv4Addr::from(ipv4::SRC.get(&first.bytes) as u32);
        if let Err(why) = self
            .policy
            .destination(dst)
            .and_then(|()| self.policy.source(src))
        {
            self.fail(out, &why)?;
            return Ok(None);
        }
        let (interval, slowed) = self.policy.pace(args.every);
        if slowed && args.count > 1 {
            let text = format!(
                "every {} is faster than the ceiling of {} packets/s: sending every {} instead (--max-rate raises it)",
                duration_words(args.every.unwrap_or_default()),
                self.policy.max_rate,
                duration_words(interval)
            );
            self.info(out, &text)?;
        }
        let proto = ipv4::PROTO.get(&first.bytes) as u8;
        let hdr_len = first.layers.first().map_or(20, |l| l.2);
        let sock = match self.socket(self.mode, proto) {
            Ok(s) => s,
            Err(e) => {
                let text = format!(
                    "could not open the sending socket ({}): {e}",
                    net::describe_mode(self.mode, proto)
                );
                self.fail(out, &text)?;
                return Ok(None);
            }
        };
        // Capture what goes out and what comes back: a listener, or one opened for this.
        let _temp = if self.listeners.iter().any(|l| l.proto == proto) {
            None
        } else {
            let label = format!("send's raw socket for {}", proto_words(proto));
            match Listener::open(proto, label, self.shower.store.clone()) {
                Ok(l) => Some(l),
                Err(e) => {
                    self.fail(
                        out,
                        &format!("could not open a socket to capture replies: {e}"),
                    )?;
                    return Ok(None);
                }
            }
        };
        let mut o = Outcome {
            sent: Vec::new(),
            unanswered: Vec::new(),
            last_built: first.bytes.clone(),
            dst,
            first_send: Instant::now(),
            last_send: Instant::now(),
        };
        let mut uncopied = Vec::new();
        let mut next = Some(first);
        let store = self.shower.store.clone();
        let mut settle = |shown: &[Shown],
                          o: &mut Outcome,
                          uncopied: &mut Vec<u64>,
                          out: &mut dyn Write| {
            for s in shown {
                for r in &s.relations {
                    match r {
                        Relation::Reply { sent: Some(n), .. } if o.unanswered.contains(n) => {
                            o.unanswered.retain(|w| w != n);
                            if let Some(sent) = store.get(*n) {
                                on_reply(out, &sent, &s.packet)?;
                            }
                        }
                        // An ICMP error about a send answers it too: no use waiting on.
                        Relation::Error { sent: Some(n), .. } => o.unanswered.retain(|w| w != n),
                        Relation::WireCopy { sent, .. } => uncopied.retain(|w| w != sent),
                        _ => {}
                    }
                }
            }
            io::Result::Ok(())
        };
        for i in 0..args.count {
            if self.interrupted() {
                break;
            }
            let built = next.take().unwrap_or_else(|| build(i));
            let handed_from = if self.mode == Mode::Kernel {
                hdr_len
            } else {
                0
            };
            if self.mode == Mode::Kernel {
                let ttl = ipv4::TTL.get(&built.bytes) as u8;
                let tos = ipv4::DSFIELD.get(&built.bytes) as u8;
                if let Err(e) = net::set_kernel_header_options(&sock, ttl, tos) {
                    self.fail(out, &format!("could not set IP_TTL/IP_TOS: {e}"))?;
                    return Ok(None);
                }
            }
            let no = self.shower.store.push(
                SystemTime::now(),
                built.bytes.clone(),
                built.layers[0].0,
                Origin::Sent {
                    mode: self.mode,
                    handed_from,
                    dst,
                },
            );
            if let Err(e) = net::send_to(&sock, &built.bytes[handed_from..], dst) {
                self.shower.show_pending(out)?;
                self.fail(out, &send_error(&e, dst, &built.bytes))?;
                return Ok(None);
            }
            o.last_send = Instant::now();
            if i == 0 {
                o.first_send = o.last_send;
            }
            o.sent.push(no);
            uncopied.push(no);
            if expects_reply(&built) {
                o.unanswered.push(no);
            }
            o.last_built = built.bytes;
            let shown = self.shower.show_pending(out)?;
            settle(&shown, &mut o, &mut uncopied, out)?;
            if i + 1 < args.count {
                let deadline = o.last_send + interval;
                while Instant::now() < deadline && !self.interrupted() {
                    let shown = self.wait_showing(
                        (Instant::now() + Duration::from_millis(20)).min(deadline),
                        out,
                    )?;
                    settle(&shown, &mut o, &mut uncopied, out)?;
                }
            }
        }
        // Replies come within the timeout; a packet that asks for none is done once its
        // copy is seen on the wire (or after a short while, if it never loops back).
        let asked = !o.unanswered.is_empty();
        let wait = if asked {
            self.timeout
        } else {
            self.timeout.min(Duration::from_millis(300))
        };
        let deadline = o.last_send + wait;
        while Instant::now() < deadline
            && !self.interrupted()
            && if asked {
                !o.unanswered.is_empty()
            } else {
                !uncopied.is_empty()
            }
        {
            let step = (Instant::now() + Duration::from_millis(20)).min(deadline);
            if self.shower.store.wait_unshown(step) {
                let shown = self.shower.show_pending(out)?;
                settle(&shown, &mut o, &mut uncopied, out)?;
            }
        }
        Ok(Some(o))
    }

    /// Kernel-built traffic in the background, as if from another window.
    pub(super) fn trigger(&mut self, t: &Trigger, out: &mut dyn Write) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        self.triggers.retain(|b| !b.finished());
        match t {
            Trigger::Http(port) => {
                let server = match port.filter(|p| self.servers.iter().any(|s| s.port == *p)) {
                    Some(_) => None,
                    None => match crate::traffic::Server::start(port.unwrap_or(0)) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            let at =
                                port.map_or("a free port".to_string(), |p| format!("port {p}"));
                            return self
                                .fail(out, &format!("could not listen on 127.0.0.1 {at}: {e}"));
                        }
                    },
                };
                let port = server.as_ref().map_or(port.unwrap_or(0), |s| s.port);
                match crate::traffic::http_get(port, self.timeout.max(Duration::from_millis(500))) {
                    Ok(x) => {
                        self.shower
                            .own_flow("tcp", (x.client_port as u64) << 16 | x.server_port as u64);
                        let text = format!(
                            "trigger http: a TCP connection from 127.0.0.1:{} to 127.0.0.1:{}{}, GET / ({} bytes), answered \"{}\" ({} bytes), then closed",
                            x.client_port,
                            x.server_port,
                            if server.is_some() {
                                " (a one-shot server)"
                            } else {
                                " (your `serve`)"
                            },
                            x.sent,
                            x.status_line,
                            x.received
                        );
                        self.info(out, &text)?;
                    }
                    Err(e) => {
                        return self.fail(
                            out,
                            &format!("the HTTP exchange with 127.0.0.1:{port} failed: {e}"),
                        );
                    }
                }
                drop(server);
                self.settle_captures(6, out)?;
                if self.listeners.iter().all(|l| l.proto != 6) {
                    self.info(out, "nothing is listening for tcp: `listen tcp` first to see the handshake, the GET and the answer")?;
                }
                Ok(Flow::Continue)
            }
            Trigger::Udp { dst, port, data } => {
                if let Err(why) = self.policy.destination(*dst) {
                    return self.fail(out, &why);
                }
                match crate::traffic::udp_datagram(*dst, *port, data, self.timeout) {
                    Ok((src_port, got)) => {
                        self.shower
                            .own_flow("udp", (src_port as u64) << 16 | *port as u64);
                        let what = match got {
                            crate::traffic::Datagram::Answered(n) => format!("an answer of {n} bytes came back"),
                            crate::traffic::Datagram::Refused => "refused: nothing listens there, and the kernel sent back an ICMP port unreachable quoting the datagram (`listen icmp` shows it)".into(),
                            crate::traffic::Datagram::Silence => format!("no answer within {}", duration_words(self.timeout)),
                        };
                        self.info(out, &format!("trigger udp: {} bytes from port {src_port} to {dst}:{port}; {what}", data.len()))?;
                    }
                    Err(e) => {
                        return self.fail(
                            out,
                            &format!("sending a datagram to {dst}:{port} failed: {e}"),
                        );
                    }
                }
                self.settle_captures(1, out)?;
                Ok(Flow::Continue)
            }
            Trigger::Ping(args) => {
                let dst = args.dst.expect("the parser requires a destination");
                if let Err(why) = self.policy.destination(dst) {
                    return self.fail(out, &why);
                }
                let sock = match net::ping_socket() {
                    Ok(s) => s,
                    Err(e) => {
                        let why = if e.kind() == io::ErrorKind::PermissionDenied {
                            ": this user's group may not open ICMP datagram sockets (net.ipv4.ping_group_range); `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` allows every group"
                        } else {
                            ""
                        };
                        return self.fail(
                            out,
                            &format!("could not open an ICMP datagram socket: {e}{why}"),
                        );
                    }
                };
                let ident = net::ping_socket_ident(&sock).unwrap_or(0);
                self.shower.own_flow("icmp", ident as u64);
                let every = self.policy.pace(args.every).0;
                let text = format!(
                    "trigger: {} echo request{} to {dst} from socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), as ping(8) does without privilege; the kernel writes both headers and uses identifier {ident}{}",
                    args.count,
                    if args.count == 1 { "" } else { "s" },
                    if args.count > 1 {
                        format!(", one every {}", duration_words(every))
                    } else {
                        String::new()
                    }
                );
                self.info(out, &text)?;
                if self.listeners.iter().all(|l| l.proto != 1) {
                    self.info(
                        out,
                        "nothing is listening for icmp: `listen icmp` to watch them",
                    )?;
                }
                let shower = self.shower.clone();
                let timeout = self.timeout;
                let count = args.count;
                self.triggers.push(Background::spawn(move |stop| {
                    let (sent, replies) = net::run_pings(&sock, dst, count, every, timeout, stop);
                    shower.note(format!(
                        "trigger ping {dst}: {sent} sent, {replies} repl{} (identifier {ident})",
                        if replies == 1 { "y" } else { "ies" }
                    ));
                })?);
                Ok(Flow::Continue)
            }
        }
    }

    /// After traffic made through ordinary sockets: when a listener for `proto` (or any)
    /// is open, show what it caught, waiting until things go quiet (at most 500 ms).
    fn settle_captures(&self, proto: u8, out: &mut dyn Write) -> io::Result<()> {
        if !self
            .listeners
            .iter()
            .any(|l| l.proto == proto || l.proto == 1)
        {
            return Ok(());
        }
        let end = Instant::now() + Duration::from_millis(500);
        let mut quiet_since = Instant::now();
        while Instant::now() < end && quiet_since.elapsed() < Duration::from_millis(60) {
            if self
                .shower
                .store
                .wait_unshown((Instant::now() + Duration::from_millis(20)).min(end))
            {
                self.shower.show_pending(out)?;
                quiet_since = Instant::now();
            }
        }
        Ok(())
    }

    /// The sending socket for a mode, opened once and kept.
    fn socket(&mut self, mode: Mode, proto: u8) -> io::Result<Arc<Socket>> {
        let key = (mode, if mode == Mode::Raw { 255 } else { proto });
        if let std::collections::hash_map::Entry::Vacant(e) = self.sockets.entry(key) {
            e.insert(Arc::new(net::send_socket(mode, proto)?));
        }
        Ok(self.sockets[&key].clone())
    }
}

/// Work on a thread of its own (a trigger), stopped when dropped.
pub(super) struct Background {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    fn spawn(f: impl FnOnce(&AtomicBool) + Send + 'static) -> io::Result<Background> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("trigger".into())
            .spawn(move || f(&flag))?;
        Ok(Background {
            stop,
            thread: Some(thread),
        })
    }

    fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether the packet is a request its receiver answers (an ICMP echo request).
fn expects_reply(built: &Built) -> bool {
    let d = wire::dissect::dissect(&built.bytes, built.layers[0].0);
    d.layers.iter().skip(1).any(|l| {
        l.complete()
            && l.proto
                .pairing
                .and_then(|f| f(&built.bytes[l.start..l.hdr_end]))
                .is_some_and(|p| p.is_request)
    })
}

/// A refused sendto, in words: what the kernel said and what in the packet may be why.
fn send_error(e: &io::Error, dst: Ipv4Addr, bytes: &[u8]) -> String {
    let hint = match e.raw_os_error() {
        Some(libc::EINVAL) => format!(
            "the kernel refused the header as invalid: with IP_HDRINCL, ip.hdr_len ({} bytes) must be at least 20 and no longer than the packet ({} bytes)",
            ipv4::HDR_LEN.get(bytes) * 4,
            bytes.len()
        ),
        Some(libc::EMSGSIZE) => format!(
            "{} bytes is more than the route's MTU allows with DF set, or more than an IP packet holds",
            bytes.len()
        ),
        Some(libc::ENETUNREACH) | Some(libc::EHOSTUNREACH) => format!("there is no route to {dst} from here"),
        Some(libc::EPERM) | Some(libc::EACCES) => {
            "the kernel did not permit it (a broadcast address needs SO_BROADCAST; a firewall may refuse it)".into()
        }
        _ => String::new(),
    };
    if hint.is_empty() {
        format!("sendto {dst} failed: {e}")
    } else {
        format!("sendto {dst} failed: {e}: {hint}")
    }
}
