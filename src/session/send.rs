//! Sending: `send` (the template, through the chosen mode), `ping` (the post's
//! closing exercise, built on the same loop) and `trigger` (traffic the kernel
//! builds, in the background, as if from another window).
//!
//! One loop serves send and ping: build, record what is handed to sendto,
//! send, show what comes back, until every request has its reply or the
//! timeout passes; then, for silence, say why from the evidence.

use super::{Detail, Flow, Session, Shown, duration_words, proto_words};
use crate::capture::{Origin, Packet};
use crate::command::{SendArgs, Trigger};
use crate::lab::{Relation, silence_reasons};
use crate::net::Mode;
use crate::net::counters::{self as evidence, Counted, Snapshot};
use crate::net::link::LinkListener;
use crate::net::{self, Family, Listener};
use crate::render::Tone;
use crate::wire::template::{Built, Payload, Template, Value};
use crate::wire::{self, icmp, ipv4};
use socket2::Socket;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Sends this close together are waited for awake, so each one starts on a CPU that has
/// not gone idle (which adds 4–5 µs to a loopback round trip: `bench/rawping.c` shows
/// it). Between them the sending thread does as little as it can: it reads the
/// listeners that see its packets right after each send (as it does for every timed
/// send), and shows what came every [`SHOW_EVERY`] rather than after each send, since
/// drawing between two sends cost the next round trip about a microsecond.
const AWAKE_BELOW: Duration = Duration::from_millis(10);

/// How often lines are shown while sends close together are under way: 20 times a
/// second reads as live.
const SHOW_EVERY: Duration = Duration::from_millis(50);

/// What ping(8) says of a reply: the ICMP message's length, its sequence number, the
/// TTL and the source, whatever the reply was captured with (a packet socket's frame
/// has Ethernet before the IP header).
fn reply_words(bytes: &[u8], first: &'static wire::Protocol) -> (usize, u128, u128, String) {
    let d = wire::dissect::dissect(bytes, first);
    let icmp_len = d.layer_of(&icmp::TYPE).map_or(0, |l| l.end - l.start);
    let seq = d.value(bytes, &icmp::SEQ).unwrap_or(0);
    let ttl = d.value(bytes, &ipv4::TTL).unwrap_or(0);
    let src = ipv4::SRC.words(d.value(bytes, &ipv4::SRC).unwrap_or(0));
    (icmp_len, seq, ttl, src)
}

/// What one run of the send loop saw, kept for `why N` afterwards.
#[derive(Clone)]
pub(super) struct Outcome {
    /// Numbers of the packets handed to sendto.
    pub(super) sent: Vec<u64>,
    /// Sends still without a reply.
    unanswered: Vec<u64>,
    last_built: Vec<u8>,
    /// The outermost layer of what was sent.
    first: &'static crate::wire::Protocol,
    pub(super) dst: IpAddr,
    first_send: Instant,
    last_send: Instant,
    /// Packets that left the ring unseen while this ran: replies among them were
    /// never matched, so a send without one is not known to be unanswered.
    unseen: u64,
    /// Whether anything answered one of the sends (a reply, an ICMP error about it, a
    /// kernel's reset), asked for or not.
    answered: bool,
    /// What the kernel counted from just before the first send to the end of the
    /// wait: in this network namespace, and in the sandbox peer's.
    pub(super) counted: Option<Counted>,
    peer_counted: Option<Counted>,
}

impl Session {
    pub(super) fn send(&mut self, args: &SendArgs, out: &mut dyn Write) -> io::Result<Flow> {
        let mut template = self.template.clone();
        if let Some(dst) = args.dst
            && let Err(e) = template.set(&ipv4::DST, Value::Raw(u32::from(dst) as u128))
        {
            return self.fail(
                out,
                &format!(
                    "{e}: `send {dst}` sets ip.dst, and this template has no IPv4 layer; `send` alone sends it"
                ),
            );
        }
        let local = if template.is_frame() {
            self.local()
        } else {
            self.fill_source(&mut template, out)?;
            None
        };
        let Some(outcome) = self.transmit(
            args,
            self.mode,
            net::Letting::Everything,
            out,
            &mut |_| template.build_on(SystemTime::now(), local.as_ref()),
            &mut |_, _, _, _| Ok(()),
        )?
        else {
            return Ok(Flow::Continue);
        };
        if !outcome.unanswered.is_empty() && !self.interrupted() {
            let which = super::file::numbers_words(&outcome.unanswered);
            if outcome.unseen > 0 {
                // The replies may have come: they cannot be told from the evidence.
                let text = format!(
                    "no reply seen to {which}: {}",
                    self.unseen_words(outcome.unseen, ", and replies may be among them")
                );
                writeln!(out, "{}", self.style().paint(&text, Tone::Note))?;
                return Ok(Flow::Continue);
            }
            let text = format!(
                "no reply to {which} within {} (set timeout DURATION to wait longer). Why, from the evidence:",
                duration_words(self.timeout)
            );
            writeln!(out, "{}", self.style().paint(&text, Tone::Note))?;
            self.why_silent(&outcome, outcome.dst, out)?;
        } else if !outcome.answered && !outcome.sent.is_empty() && !self.interrupted() {
            // A packet that asks for nothing (a UDP datagram, an echo reply) has no reply
            // to wait for, but what the kernel made of it is still evidence.
            if let Some(counted) = &outcome.counted {
                let which = super::file::numbers_words(&outcome.sent);
                let text = format!(
                    "nothing answered {which}, which asks for no reply; the kernel counted, {}:",
                    self.counters_scope()
                );
                writeln!(out, "{}", self.style().paint(&text, Tone::Note))?;
                let mut lines = self.counted_lines(counted);
                if let Some(p) = self.peer_counted_lines(&outcome) {
                    lines.extend(p);
                }
                if counted.moved("Icmp", "OutDestUnreachs")
                    && self.listeners.iter().all(|l| l.proto != 1)
                {
                    lines.push(
                        "the kernel's destination unreachable is seen only by a raw ICMP socket: `listen icmp` first to see it, quoting the datagram".into(),
                    );
                }
                for line in lines {
                    for l in self.style().wrap(&line, "  • ", "    ") {
                        writeln!(out, "{l}")?;
                    }
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// Where the counters come from, in a clause: the sandbox's are rawlab's alone, the
    /// host's count every program's traffic.
    pub(super) fn counters_scope(&self) -> &'static str {
        if self.net == crate::net::Net::Sandbox {
            "in the sandbox's network namespace, where only rawlab's traffic moves the counters"
        } else {
            "in the host's network namespace, whose counters are the whole host's, other programs' traffic included"
        }
    }

    /// One line per counter that moved, the telling ones first with their meanings,
    /// then the routine tallies together.
    pub(super) fn counted_lines(&self, counted: &Counted) -> Vec<String> {
        let (telling, routine) = counted.ranked();
        let mut lines: Vec<String> = telling.iter().map(|d| Counted::words(d)).collect();
        if !routine.is_empty() {
            let names: Vec<String> = routine
                .iter()
                .map(|d| format!("{} {} {:+}", d.table, d.name, d.by))
                .collect();
            lines.push(format!("and the routine tallies: {}", names.join(", ")));
        }
        lines
    }

    /// What the sandbox peer's kernel counted, when it counted something or the packet
    /// was for it (then that it counted nothing is evidence too).
    pub(super) fn peer_counted_lines(&self, o: &Outcome) -> Option<Vec<String>> {
        let peer = self.peer.as_ref()?;
        let counted = o.peer_counted.as_ref()?;
        let mine = o.dst == IpAddr::V4(peer.peer_addr)
            || (o.first == &wire::eth::ETH && self.link_iface == peer.iface)
            || has_address(&o.last_built, o.first, IpAddr::V4(peer.peer_addr));
        if counted.is_empty() {
            return mine.then(|| {
                vec![format!(
                    "the peer's kernel ({}, a namespace of its own) counted nothing: no IP layer there took anything in",
                    peer.peer_addr
                )]
            });
        }
        let mut lines = vec![format!(
            "the peer's kernel ({}, a namespace of its own) counted:",
            peer.peer_addr
        )];
        lines.extend(
            self.counted_lines(counted)
                .into_iter()
                .map(|l| format!("  {l}")),
        );
        Some(lines)
    }

    /// After requests that got no reply: what the kernel counted first, then the
    /// explanations the bytes suggest that the counts do not contradict.
    pub(super) fn why_silent(
        &self,
        o: &Outcome,
        dst: IpAddr,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut lines = Vec::new();
        match &o.counted {
            None => lines.push(
                "the kernel's counters (/proc/net/snmp) could not be read, so what follows comes from the bytes alone".to_string(),
            ),
            Some(c) if c.is_empty() => lines.push(format!(
                "the kernel counted nothing, {}: no IP layer here took the packet in",
                self.counters_scope()
            )),
            Some(c) => {
                lines.push(format!("the kernel counted, {}:", self.counters_scope()));
                lines.extend(self.counted_lines(c).into_iter().map(|l| format!("  {l}")));
                if let Some(nothing) = nothing_counted_for(&o.last_built, o.first, c) {
                    lines.push(nothing);
                }
            }
        }
        lines.extend(self.peer_counted_lines(o).unwrap_or_default());
        lines.extend(self.drop_lines(o));
        let mut around = self.surroundings(o.first == &wire::eth::ETH);
        around.counted = crate::lab::Evidence {
            here: o.counted.clone(),
            peer: o.peer_counted.clone(),
        };
        lines.extend(silence_reasons(&o.last_built, o.first, dst, &around));
        for line in lines {
            // Counter lines are indented under their heading.
            let (first, rest) = match line.strip_prefix("  ") {
                Some(_) => ("    ", "      "),
                None => ("  • ", "    "),
            };
            for l in self.style().wrap(line.trim_start(), first, rest) {
                writeln!(out, "{l}")?;
            }
        }
        Ok(())
    }

    /// The drops the kernel reported (skb:kfree_skb) while a send ran, of the send's
    /// family, each placed after the send before it; or, with no tracer, how to get
    /// them. The tracepoint is host-wide and names no addresses: it says what was seen.
    pub(super) fn drop_lines(&self, o: &Outcome) -> Vec<String> {
        let Some(tracer) = &self.tracer else {
            return vec![format!(
                "the counters are the evidence here: {}",
                self.no_tracer
            )];
        };
        let sends: Vec<(SystemTime, u64)> = o
            .sent
            .iter()
            .filter_map(|n| self.shower.store.get(*n))
            .map(|p| (p.time, p.no))
            .collect();
        let Some(&(from, _)) = sends.first() else {
            return Vec::new();
        };
        let family = has_family(&o.last_built, o.first);
        let drops = tracer.drops(from, SystemTime::now(), Some(family));
        let what = crate::net::drops::protocol_words(family);
        if drops.is_empty() {
            return vec![format!(
                "the kernel reported no drop of {what} while this ran (skb:kfree_skb)"
            )];
        }
        let mut lines = vec![format!(
            "the kernel reported these drops of {what} while this ran (skb:kfree_skb, host-wide and naming no addresses, so not every one need be this send's):"
        )];
        lines.extend(
            crate::net::drops::by_kind(&drops, &sends)
                .iter()
                .map(|k| format!("  {}", k.words())),
        );
        lines
    }

    /// This namespace's counters and the sandbox peer's, now (None where unreadable).
    fn counters_now(&self) -> (Option<Snapshot>, Option<Snapshot>) {
        let read = |s: Option<&evidence::Source>| s.and_then(|s| s.snapshot().ok());
        (
            read(self.counters.as_ref()),
            read(self.peer.as_ref().and_then(|p| p.counters.as_ref())),
        )
    }

    /// What a send says when packets left the ring before they were shown (their
    /// replies were never matched), and what follows from it.
    fn unseen_words(&self, unseen: u64, so: &str) -> String {
        format!(
            "{unseen} packets left the ring unseen while this ran{so} (--ring keeps more than {})",
            self.shower.store.capacity()
        )
    }

    /// A TCP or UDP checksum covers the IP source address (the pseudo-header), so a
    /// source left 0 for the kernel would make it wrong on the wire. When the bytes
    /// depend on ip.src like that and it is unset, rawlab writes the address the
    /// kernel would choose for this destination, and says so.
    fn fill_source(&self, template: &mut Template, out: &mut dyn Write) -> io::Result<()> {
        let Some((src_f, dst_f)) = template.layers[0].proto.addresses else {
            return Ok(());
        };
        // In mode kernel the kernel writes the IP header, and the checksum of what it
        // carries over its own addresses.
        if template.is_set(src_f) || self.mode == Mode::Kernel {
            return Ok(());
        }
        let now = SystemTime::now();
        let probe = |src: u128| {
            let mut t = template.clone();
            t.set(src_f, Value::Raw(src)).expect("a source field");
            let mut b = t.build(now).bytes;
            src_f.set(&mut b, 0);
            b
        };
        if probe(0) == probe(2) {
            return Ok(());
        }
        let built = template.build(now);
        let Some(dst) = address_of(&built, true) else {
            return Ok(());
        };
        let _ = dst_f;
        let Ok(src) = net::source_for(dst) else {
            return Ok(());
        };
        template
            .set(src_f, Value::Raw(crate::lab::addr_value(src)))
            .expect("a source field");
        // Name the checksum that covers the source (through its pseudo-header): the
        // upper layer's, never an extension header's, which have none.
        let d = wire::dissect::dissect(&built.bytes, built.layers[0].0);
        let covering = (1..d.layers.len()).find_map(|i| {
            (d.layers[i].proto.expected)(&d.scope(i, &built.bytes))
                .into_iter()
                .find(|e| e.offloaded.is_some())
                .map(|_| d.layers[i].proto.title)
        });
        let Some(covering) = covering else {
            return Ok(());
        };
        self.info(
            out,
            &format!(
                "{} = {src} for this send: the {covering} checksum covers the source address, so rawlab writes the one the kernel would choose (set it yourself to send something else)",
                src_f.name
            ),
        )
    }

    /// Echo requests with this session's identifier, a sequence number and a send
    /// timestamp, sent as `mode` says (not the session's: the parser's default is how
    /// ping(8) sends); one line per reply, then ping(8)'s statistics.
    pub(super) fn ping(
        &mut self,
        args: &SendArgs,
        mode: Mode,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let dst = args.dst.expect("the parser requires a destination");
        // Refused before the PING line, so a refusal is all that is printed.
        if let Some(f) = self.need_network(out) {
            return f;
        }
        if let Err(why) = self.policy.destination(IpAddr::V4(dst)) {
            return self.fail(out, &why);
        }
        let ident = self.ping_ident;
        let mut template = Template::default();
        template
            .set(&ipv4::DST, Value::Raw(u32::from(dst) as u128))
            .expect("ip.dst");
        template
            .set(&icmp::IDENT, Value::Raw(ident as u128))
            .expect("icmp.ident");
        let how = match mode {
            Mode::Kernel => "the kernel writes the IP header, as for ping(8)".to_string(),
            Mode::Raw => {
                "rawlab writes the IP header, through IPPROTO_RAW as the post sends".into()
            }
            m => format!(
                "rawlab writes the IP header, through IP_HDRINCL (mode {})",
                m.name()
            ),
        };
        let header =
            format!("PING {dst}: 56 data bytes, identifier {ident} (this session's); {how}");
        writeln!(out, "{}", self.style().paint(&header, Tone::Heading))?;
        let mut rtts: Vec<Duration> = Vec::new();
        // From the request's copy on the wire to the reply, both stamped by the kernel.
        let mut wire_rtts: Vec<Duration> = Vec::new();
        // Until rawlab's user space had the reply in hand, as `ping -U` counts.
        let mut user_rtts: Vec<Duration> = Vec::new();
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
        let mut on_reply = |out: &mut dyn Write,
                            sent: &Packet,
                            copy: Option<&Packet>,
                            reply: &Packet|
         -> io::Result<()> {
            let rtt = reply.time.duration_since(sent.time).unwrap_or_default();
            rtts.push(rtt);
            let wire = copy.and_then(|c| reply.time.duration_since(c.time).ok());
            wire_rtts.extend(wire);
            let user = reply.read.and_then(|r| r.duration_since(sent.time).ok());
            user_rtts.extend(user);
            // The kernel's side alone, and the trip to rawlab's hands, each when it
            // differs from the round trip by a microsecond or more.
            let differs = |d: &Duration| rtt.abs_diff(*d) >= Duration::from_micros(1);
            let others: Vec<String> = [("on the wire", wire), ("user space", user)]
                .into_iter()
                .filter_map(|(name, d)| {
                    d.filter(differs)
                        .map(|d| format!("{name} {:.3} ms", d.as_secs_f64() * 1e3))
                })
                .collect();
            let besides = if others.is_empty() {
                String::new()
            } else {
                format!(" ({})", others.join(", "))
            };
            let (icmp_len, seq, ttl, src) = reply_words(&reply.bytes, reply.first);
            let line = format!(
                "{icmp_len} bytes from {src}: icmp_seq={seq} ttl={ttl} time={:.3} ms{besides}  (#{} → #{})",
                rtt.as_secs_f64() * 1e3,
                sent.no,
                reply.no
            );
            writeln!(out, "{}", style.paint(&line, Tone::Plain))
        };
        // ping(8) lets only answers into its socket: the copy of each request a
        // listener gets is made in the middle of the round trip, so ping's own socket
        // leaves the requests out. An open listener still sees them.
        let outcome = self.transmit(
            args,
            mode,
            net::Letting::Answers,
            out,
            &mut build,
            &mut on_reply,
        );
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
        if outcome.unseen > 0 {
            let text = self.unseen_words(
                outcome.unseen,
                ": replies among them are not counted as received",
            );
            writeln!(out, "{}", self.style().paint(&text, Tone::Note))?;
        }
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
            // ping(8) counts from just before sendto to the kernel's stamp on the reply,
            // as rawlab does; the wire figure leaves out the trip through sendto.
            let mut line = format!("rtt median {:.3} ms", median_ms(&mut rtts));
            if !user_rtts.is_empty() {
                line.push_str(&format!(
                    ", {:.3} ms in user space (as ping -U counts)",
                    median_ms(&mut user_rtts)
                ));
            }
            if wire_rtts.is_empty() {
                // ping's own socket let only answers in.
                line.push_str(
                    "; `listen icmp` first to see each request on the wire, and the kernel's share of the trip",
                );
            } else {
                let mut w = wire_rtts.clone();
                w.sort();
                line.push_str(&format!(
                    "; on the wire (request's copy to reply, kernel timestamps) min/median/max = {:.3}/{:.3}/{:.3} ms",
                    w[0].as_secs_f64() * 1e3,
                    median_ms(&mut w),
                    w[w.len() - 1].as_secs_f64() * 1e3
                ));
            }
            writeln!(out, "{}", self.style().paint(&line, Tone::Dim))?;
        } else if !self.interrupted() && outcome.unseen == 0 {
            self.why_silent(&outcome, dst.into(), out)?;
        }
        Ok(Flow::Continue)
    }

    /// The loop behind send and ping: builds each packet with `build(i)`, records it,
    /// hands it to the kernel as `mode` says (a packet through an IP raw socket of its
    /// family, a frame through AF_PACKET), shows what comes back and calls `on_reply`
    /// for each reply to one of ours. Where no listener sees the packets, a socket is
    /// opened for the send, letting in what `letting` says. None when it could not
    /// start (the error has been printed).
    fn transmit(
        &mut self,
        args: &SendArgs,
        mode: Mode,
        letting: net::Letting,
        out: &mut dyn Write,
        build: &mut dyn FnMut(u64) -> Built,
        on_reply: &mut OnReply,
    ) -> io::Result<Option<Outcome>> {
        if let Some(f) = self.need_network(out) {
            f?;
            return Ok(None);
        }
        // Listeners look rather than sleep while round trips are timed (see net::timing).
        let timing = net::timing();
        let first = build(0);
        let outer = first.layers[0].0;
        let is_frame = outer == &wire::eth::ETH;
        match (mode == Mode::Link, is_frame) {
            (true, false) => {
                let text = format!(
                    "mode link sends whole frames, and this template ({}) starts at the IP header: `new eth/ip/icmp` puts an Ethernet header in front, or `mode raw` sends it as it is",
                    self.template.stack_name()
                );
                self.fail(out, &text)?;
                return Ok(None);
            }
            (false, true) => {
                let text = format!(
                    "this template ({}) is a whole frame, and an IP socket takes packets that start at the IP header: `mode link` sends frames (on {})",
                    self.template.stack_name(),
                    self.link_iface
                );
                self.fail(out, &text)?;
                return Ok(None);
            }
            _ => {}
        }
        // The network layer (IPv4 or IPv6), wherever it is, and the family that sends it.
        let net_at = first
            .layers
            .iter()
            .position(|(p, _, _)| p.addresses.is_some());
        let family = match net_at.map(|i| first.layers[i].0) {
            Some(p) if p == &wire::ipv6::IPV6 => Family::V6,
            _ => Family::V4,
        };
        let v4 = family == Family::V4;
        if !is_frame && net_at != Some(0) {
            let text = format!(
                "a template that starts with {} is not sent through an IP raw socket: `show` and `hex` work on it",
                outer.title
            );
            self.fail(out, &text)?;
            return Ok(None);
        }
        // A frame without IP (ARP) has no address to go to: the interface decides.
        let dst = address_of(&first, true).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        // Where it may go: by interface for a frame, by address for a packet.
        let iface = if is_frame {
            match crate::net::link::interface(&self.link_iface) {
                Ok((l, _)) => {
                    if let Err(why) = self.link_allowed(&l) {
                        self.fail(out, &why)?;
                        return Ok(None);
                    }
                    Some(l)
                }
                Err(e) => {
                    self.fail(out, &e)?;
                    return Ok(None);
                }
            }
        } else {
            None
        };
        // Every address in every layer, the frame's too: checked again on each packet
        // built below, since a later one may differ.
        if let Err(why) = self.policy.packet(&first.bytes, outer) {
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
        // The protocol the sockets are opened for: what follows the network header and
        // any IPv6 extension headers, the layer the kernel hands its sockets (a raw
        // socket for the first extension header would miss the reply, which has none).
        let proto = net_at
            .and_then(|i| {
                let (net, _, _) = first.layers[i];
                super::upper_proto(net, first.layers[i + 1..].iter().map(|(p, _, _)| *p))
            })
            .unwrap_or(255) as u8;
        let hdr_len = first.layers.first().map_or(20, |l| l.2);
        if !v4
            && mode == Mode::Kernel
            && first
                .layers
                .get(1)
                .is_some_and(|(p, _, _)| wire::ipv6::is_extension(p))
        {
            self.fail(out, "in mode kernel the kernel writes the IPv6 header and takes extension headers only as socket options: use mode raw or hdrincl to send them in the header yourself")?;
            return Ok(None);
        }
        let sock = match self.socket(family, mode, proto) {
            Ok(s) => s,
            Err(e) => {
                let text = format!(
                    "could not open the sending socket ({}): {e}",
                    net::describe_mode_in(family, mode, proto)
                );
                self.fail(out, &text)?;
                return Ok(None);
            }
        };
        // Capture what goes out and what comes back: a listener, or one opened for this
        // (kept open until the send ends).
        let opened = match &iface {
            Some(l) if self.link_listeners.iter().any(|k| k.covers(&l.name)) => None,
            Some(l) => match LinkListener::open(
                Some((l.index, l.name.clone())),
                true,
                self.shower.store.clone(),
            ) {
                Ok(k) => Some(Capture::Link(k)),
                Err(e) => {
                    self.fail(
                        out,
                        &format!("could not open a packet socket to capture replies: {e}"),
                    )?;
                    return Ok(None);
                }
            },
            None if self
                .listeners
                .iter()
                .any(|l| l.proto == proto && l.family == family) =>
            {
                None
            }
            None => {
                let label = format!(
                    "send's {} raw socket for {}",
                    family.name(),
                    proto_words(proto)
                );
                match Listener::open(family, proto, letting, label, self.shower.store.clone()) {
                    Ok(l) => Some(Capture::Ip(l)),
                    Err(e) => {
                        self.fail(
                            out,
                            &format!("could not open a socket to capture replies: {e}"),
                        )?;
                        return Ok(None);
                    }
                }
            }
        };
        // An ICMP error answers a packet of any protocol (a port unreachable for a UDP
        // datagram): listened for while the send waits, whatever listeners are open.
        let icmp_proto = match family {
            Family::V4 => 1,
            Family::V6 => 58,
        };
        let errors = if is_frame
            || proto == icmp_proto
            || self
                .listeners
                .iter()
                .any(|l| l.proto == icmp_proto && l.family == family)
        {
            None
        } else {
            let label = format!("send's {} raw socket for ICMP errors", family.name());
            match Listener::open(
                family,
                icmp_proto,
                net::Letting::Errors,
                label,
                self.shower.store.clone(),
            ) {
                Ok(l) => Some(l),
                Err(e) => {
                    self.fail(
                        out,
                        &format!("could not open a socket to capture ICMP errors: {e}"),
                    )?;
                    return Ok(None);
                }
            }
        };
        let mut o = Outcome {
            sent: Vec::new(),
            unanswered: Vec::new(),
            last_built: first.bytes.clone(),
            first: outer,
            dst,
            first_send: Instant::now(),
            last_send: Instant::now(),
            unseen: 0,
            answered: false,
            counted: None,
            peer_counted: None,
        };
        let unseen_before = self.shower.unseen();
        let mut uncopied = Vec::new();
        let mut next = Some(first);
        let store = self.shower.store.clone();
        // Each send's copy on the wire, until its reply comes (or the send ends).
        let mut copies: std::collections::HashMap<u64, Arc<Packet>> = Default::default();
        // What became of the packets sent, learnt from the relations the store found as
        // each packet came in, whether or not anything has drawn it yet.
        let mut cursor = store.next_no().saturating_sub(1);
        let mut settle = |o: &mut Outcome, uncopied: &mut Vec<u64>, out: &mut dyn Write| {
            for p in store.after(cursor) {
                cursor = p.no;
                for r in p.relations() {
                    match r {
                        Relation::Reply { sent: Some(n), .. } if o.unanswered.contains(n) => {
                            o.answered = true;
                            o.unanswered.retain(|w| w != n);
                            if let Some(sent) = store.get(*n) {
                                let copy = copies.remove(n);
                                on_reply(out, &sent, copy.as_deref(), &p)?;
                            }
                        }
                        // An ICMP error about a send answers it too: no use waiting on.
                        Relation::Error { sent: Some(n), .. } => {
                            o.answered |= o.sent.contains(n);
                            o.unanswered.retain(|w| w != n)
                        }
                        Relation::Reply { sent: Some(n), .. } | Relation::Reset { sent: n, .. }
                            if o.sent.contains(n) =>
                        {
                            o.answered = true
                        }
                        Relation::WireCopy { sent, .. } => {
                            uncopied.retain(|w| w != sent);
                            copies.insert(*sent, p.clone());
                        }
                        _ => {}
                    }
                }
            }
            io::Result::Ok(())
        };
        let awake = interval <= AWAKE_BELOW && args.count > 1;
        // Listeners that see these packets are read by this thread until the last send:
        // right after each send, and while it waits for the next.
        let temp = match &opened {
            Some(Capture::Ip(l)) => Some(l),
            _ => None,
        };
        let held: Vec<net::Held> = self
            .listeners
            .iter()
            .chain(temp)
            .filter(|l| l.proto == proto && l.family == family)
            .map(Listener::hold)
            .collect();
        let mut shown_at = Instant::now();
        // The counters just before the first send, to compare with after the wait.
        let before = self.counters_now();
        for i in 0..args.count {
            if self.interrupted() {
                break;
            }
            let built = match next.take() {
                Some(b) => b,
                None => {
                    let b = build(i);
                    if let Err(why) = self.policy.packet(&b.bytes, outer) {
                        self.shower.show_pending(out)?;
                        self.fail(out, &why)?;
                        return Ok(None);
                    }
                    b
                }
            };
            let handed_from = if mode == Mode::Kernel { hdr_len } else { 0 };
            if mode == Mode::Kernel {
                let set = if v4 {
                    let ttl = ipv4::TTL.get(&built.bytes) as u8;
                    let tos = ipv4::DSFIELD.get(&built.bytes) as u8;
                    net::set_kernel_header_options(&sock, ttl, tos)
                } else {
                    let hops = wire::ipv6::HLIM.get(&built.bytes) as u8;
                    let tclass = wire::ipv6::TCLASS.get(&built.bytes) as u8;
                    net::set_kernel_header_options_v6(&sock, hops, tclass)
                };
                if let Err(e) = set {
                    let which = if v4 {
                        "IP_TTL/IP_TOS"
                    } else {
                        "IPV6_UNICAST_HOPS/IPV6_TCLASS"
                    };
                    self.fail(out, &format!("could not set {which}: {e}"))?;
                    return Ok(None);
                }
            }
            // The session's one budget: triggers running beside this take turns too.
            let turn = self.policy.pacer.turn();
            while Instant::now() < turn && !self.interrupted() {
                if awake {
                    std::hint::spin_loop();
                } else {
                    std::thread::sleep((turn - Instant::now()).min(Duration::from_millis(10)));
                }
            }
            let origin = Origin::Sent {
                mode,
                handed_from,
                dst,
                iface: iface.as_ref().map(|l| l.name.clone()),
            };
            // Numbered only once the kernel has taken it: a refused send is no packet.
            // The store stays held across sendto, so the send is numbered before any
            // listener can push its copy on the wire.
            let (sent, no) = {
                let mut numbering = self.shower.store.batch();
                // Stamped as close to sendto as can be, as ping(8) does: RTTs count from here.
                let stamp = SystemTime::now();
                let sent = match &iface {
                    Some(l) => crate::net::link::send(&sock, l.index, &built.bytes)
                        .map_err(|e| frame_error(&e, l, built.bytes.len())),
                    None => net::send_to_addr(&sock, &built.bytes[handed_from..], dst)
                        .map_err(|e| send_error(&e, dst, mode, &built.bytes)),
                };
                let no = sent.is_ok().then(|| {
                    numbering.push_from(stamp, built.bytes.clone(), built.layers[0].0, origin, None)
                });
                (sent, no)
            };
            held.iter().for_each(net::Held::read);
            let (Ok(_), Some(no)) = (&sent, no) else {
                self.shower.show_pending(out)?;
                settle(&mut o, &mut uncopied, out)?;
                let text = sent.err().unwrap_or_default();
                if o.sent.is_empty() {
                    self.fail(out, &text)?;
                    return Ok(None);
                }
                // The ones before it were sent: their answers are still waited for.
                self.fail(
                    out,
                    &format!("{text}; the {} sent before it stand", o.sent.len()),
                )?;
                break;
            };
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
            let last = i + 1 == args.count;
            if !awake || last || shown_at.elapsed() >= SHOW_EVERY {
                self.shower.show_pending(out)?;
                settle(&mut o, &mut uncopied, out)?;
                out.flush()?;
                shown_at = Instant::now();
            }
            if !last {
                let deadline = o.last_send + interval;
                if awake {
                    while Instant::now() < deadline && !self.interrupted() {
                        std::hint::spin_loop();
                    }
                } else {
                    let mut each =
                        |_: &[Shown], out: &mut dyn Write| settle(&mut o, &mut uncopied, out);
                    self.wait_showing(deadline, &held, out, &mut each)?;
                }
            }
        }
        // The listeners' threads read again, and what they read is waited for below.
        drop(held);
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
                self.shower.show_pending(out)?;
                settle(&mut o, &mut uncopied, out)?;
            }
        }
        // Every round trip is in: listeners need not look every 200 µs any longer.
        drop(timing);
        let _ = &errors;
        // What a reply sets off comes at once (a kernel's RST after a SYN-ACK), and a
        // packet socket hands over its frames a few milliseconds late (a block of its
        // ring at a time): show them too, until the wire has been quiet a moment, so
        // what the command saw is all shown (and numbered) before the next one runs.
        if o.unanswered.is_empty() {
            let end = Instant::now() + Duration::from_millis(250);
            let mut quiet = Instant::now();
            while Instant::now() < end
                && quiet.elapsed() < Duration::from_millis(50)
                && !self.interrupted()
            {
                if self
                    .shower
                    .store
                    .wait_unshown((Instant::now() + Duration::from_millis(10)).min(end))
                {
                    self.shower.show_pending(out)?;
                    settle(&mut o, &mut uncopied, out)?;
                    quiet = Instant::now();
                }
            }
        }
        settle(&mut o, &mut uncopied, out)?;
        // The send is over: a copy that comes now is not looked for, so a later send of
        // the same bytes gets its own copies, not this one's.
        self.shower.store.forget_sends(&o.sent);
        o.unseen = self.shower.unseen() - unseen_before;
        let after = self.counters_now();
        let moved = |b: &Option<Snapshot>, a: &Option<Snapshot>| match (b, a) {
            (Some(b), Some(a)) => Some(evidence::deltas(b, a)),
            _ => None,
        };
        o.counted = moved(&before.0, &after.0);
        o.peer_counted = moved(&before.1, &after.1);
        // Kept for `why N`: the evidence of each of the last sends.
        if self.outcomes.len() >= super::KEPT_OUTCOMES {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back(Arc::new(o.clone()));
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
                let server = match port.filter(|p| {
                    self.servers
                        .iter()
                        .any(|s| s.port == *p && s.proto == "tcp")
                }) {
                    Some(_) => None,
                    None => match crate::net::traffic::Server::start(port.unwrap_or(0)) {
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
                match crate::net::traffic::http_get(
                    port,
                    self.timeout.max(Duration::from_millis(500)),
                ) {
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
                if self.listeners.iter().all(|l| l.proto != 6) && !self.link_sees("lo") {
                    self.info(out, "nothing is listening for tcp: `listen tcp` first to see the handshake, the GET and the answer")?;
                }
                Ok(Flow::Continue)
            }
            Trigger::Udp { dst, port, data } => {
                if let Err(why) = self.policy.destination(*dst) {
                    return self.fail(out, &why);
                }
                match crate::net::traffic::udp_datagram(*dst, *port, data, self.timeout) {
                    Ok((src_port, got)) => {
                        self.shower
                            .own_flow("udp", (src_port as u64) << 16 | *port as u64);
                        let what = match got {
                            crate::net::traffic::Datagram::Answered(n) => format!("an answer of {n} bytes came back"),
                            crate::net::traffic::Datagram::Refused => "refused: nothing listens there, and the kernel sent back an ICMP port unreachable quoting the datagram (`listen icmp` shows it)".into(),
                            crate::net::traffic::Datagram::Silence => format!("no answer within {}", duration_words(self.timeout)),
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
                if self.triggers.len() >= crate::net::policy::MAX_TRIGGERS {
                    let text = format!(
                        "{} triggers are still running, as many as run side by side: wait for one to end (its line says so), or `reset` stops them",
                        self.triggers.len()
                    );
                    return self.fail(out, &text);
                }
                if let Err(why) = self.policy.destination(dst) {
                    return self.fail(out, &why);
                }
                let (pinger, ident) = match net::Pinger::open(self.ping_ident ^ 0x7472) {
                    Ok(found) => found,
                    Err(e) => {
                        let why = if e.kind() == io::ErrorKind::PermissionDenied {
                            ": this user's group may not open ICMP datagram sockets (net.ipv4.ping_group_range), nor raw ones; `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` allows every group"
                        } else {
                            ""
                        };
                        return self.fail(
                            out,
                            &format!("could not open an ICMP datagram socket: {e}{why}"),
                        );
                    }
                };
                self.shower.own_flow("icmp", ident as u64);
                let every = self.policy.pace(args.every).0;
                let text = format!(
                    "trigger: {} echo request{} to {dst} from {}, identifier {ident}{}",
                    args.count,
                    if args.count == 1 { "" } else { "s" },
                    pinger.words(),
                    if args.count > 1 {
                        format!(", one every {}", duration_words(every))
                    } else {
                        String::new()
                    }
                );
                self.info(out, &text)?;
                let via = if dst.is_loopback()
                    || crate::net::sys::local_addrs().contains(&IpAddr::V4(dst))
                {
                    "lo".to_string()
                } else {
                    self.link_iface.clone()
                };
                if self.listeners.iter().all(|l| l.proto != 1) && !self.link_sees(&via) {
                    self.info(
                        out,
                        "nothing is listening for icmp: `listen icmp` to watch them",
                    )?;
                }
                let shower = self.shower.clone();
                let timeout = self.timeout;
                let count = args.count;
                let pacer = self.policy.pacer.clone();
                self.triggers.push(Background::spawn(move |stop| {
                    let (sent, replies) =
                        net::run_pings(&pinger, dst, count, every, timeout, stop, &pacer);
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

    /// Whether a link listener sees the frames of interface `name`.
    fn link_sees(&self, name: &str) -> bool {
        self.link_listeners.iter().any(|k| k.covers(name))
    }

    /// The sending socket for a mode, opened once and kept.
    fn socket(&mut self, family: Family, mode: Mode, proto: u8) -> io::Result<Arc<Socket>> {
        let key = match mode {
            Mode::Raw => (family, mode, 255),
            Mode::Link => (family, mode, 0),
            _ => (family, mode, proto),
        };
        if let std::collections::hash_map::Entry::Vacant(e) = self.sockets.entry(key) {
            let sock = match mode {
                Mode::Link => crate::net::link::send_socket()?,
                _ => net::send_socket(family, mode, proto)?,
            };
            e.insert(Arc::new(sock));
        }
        Ok(self.sockets[&key].clone())
    }
}

/// The destination (or source) address of a built packet, from its first layer's table.
fn address_of(built: &Built, dst: bool) -> Option<IpAddr> {
    let &(p, start, _) = built
        .layers
        .iter()
        .find(|(p, _, _)| p.addresses.is_some())?;
    let (src_f, dst_f) = p.addresses?;
    let f = if dst { dst_f } else { src_f };
    let raw = f.get(&built.bytes[start..]);
    Some(match f.bits {
        32 => IpAddr::V4(Ipv4Addr::from(raw as u32)),
        _ => IpAddr::V6(std::net::Ipv6Addr::from(raw)),
    })
}

/// Whether `addr` is the source or destination of the packet's network layer.
fn has_address(bytes: &[u8], first: &'static wire::Protocol, addr: IpAddr) -> bool {
    let d = wire::dissect::dissect(bytes, first);
    let Some(net) = crate::lab::net_layer(&d) else {
        return false;
    };
    let Some((src, dst)) = net.proto.addresses else {
        return false;
    };
    let want = crate::lab::addr_value(addr);
    [src, dst].iter().any(|f| net.get(bytes, f) == want)
}

/// When the kernel counted something but nothing coming in for the packet's own
/// protocols, that says how far it got: not into IP, or into IP but not the protocol
/// it carries.
fn nothing_counted_for(
    bytes: &[u8],
    first: &'static wire::Protocol,
    counted: &Counted,
) -> Option<String> {
    let d = wire::dissect::dissect(bytes, first);
    let net = crate::lab::net_layer(&d)?;
    let v6 = net.proto == &wire::ipv6::IPV6;
    let table = |name: &str| -> Option<&'static str> {
        Some(match name {
            "ip" => "Ip",
            "ipv6" => "Ip6",
            "icmp" => "Icmp",
            "icmpv6" => "Icmp6",
            "tcp" => "Tcp",
            "udp" if v6 => "Udp6",
            "udp" => "Udp",
            _ => return None,
        })
    };
    let ip = table(net.proto.name)?;
    if !counted.counted_in(ip) {
        return Some(format!(
            "nothing was counted coming in at {} ({ip}): no IP layer here took the packet in",
            net.proto.title
        ));
    }
    let inner = d
        .layers
        .iter()
        .filter(|l| l.start > net.start && l.complete() && !l.quoted)
        .find_map(|l| table(l.proto.name).map(|t| (l.proto.title, t)))?;
    (!counted.counted_in(inner.1)).then(|| {
        format!(
            "nothing was counted coming in for {} (no {} counter moved on the way in): {} took the packet in, and it went no further",
            inner.0, inner.1, net.proto.title
        )
    })
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

/// A socket opened just for one send, to see what goes out and what comes back.
enum Capture {
    Ip(Listener),
    Link(#[allow(dead_code)] LinkListener),
}

/// A refused frame, in words.
fn frame_error(e: &io::Error, l: &crate::net::netlink::Link, len: usize) -> String {
    let hint = match e.raw_os_error() {
        Some(libc::EMSGSIZE) => format!(
            ": {len} bytes is more than {}'s MTU of {} plus the 14-byte Ethernet header",
            l.name, l.mtu
        ),
        Some(libc::ENETDOWN) => format!(": {} is down", l.name),
        Some(libc::ENXIO) | Some(libc::ENODEV) => format!(": {} has gone", l.name),
        _ => String::new(),
    };
    format!("sendto on {} (AF_PACKET) failed: {e}{hint}", l.name)
}

/// Whether the packet is a request its receiver answers (an ICMP echo request, an ARP
/// request).
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
fn send_error(e: &io::Error, dst: IpAddr, mode: Mode, bytes: &[u8]) -> String {
    let hint = match e.raw_os_error() {
        Some(libc::EINVAL) => format!(
            "the kernel refused the header as invalid: with IP_HDRINCL, ip.hdr_len ({} bytes) must be at least 20 and no longer than the packet ({} bytes)",
            ipv4::HDR_LEN.get(bytes) * 4,
            bytes.len()
        ),
        Some(libc::EMSGSIZE) => size_words(dst, mode, bytes),
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

/// Why a packet was too big to send (EMSGSIZE): more than an IP packet holds, or more
/// than the MTU of the interface the kernel routes it to. A packet whose IP header
/// rawlab writes (IPPROTO_RAW, IP_HDRINCL) is never fragmented by the kernel, so DF
/// plays no part there; only in mode kernel does the kernel decide.
fn size_words(dst: IpAddr, mode: Mode, bytes: &[u8]) -> String {
    let len = bytes.len();
    if len > 65_535 {
        return format!("{len} bytes is more than an IP packet holds (65,535 bytes)");
    }
    // The interface the route leaves by: the one holding the source the kernel picks.
    let route = net::route_from(
        match dst {
            IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
            IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
        },
        dst,
    )
    .ok()
    .and_then(|src| {
        let (links, addrs, _) = crate::net::link::interfaces().ok()?;
        let a = addrs.iter().find(|a| a.addr == src)?;
        // To one of this host's own addresses the packet goes through lo.
        let via = if dst == src || dst.is_loopback() {
            links.iter().find(|l| l.is_loopback())
        } else {
            links.iter().find(|l| l.index == a.index)
        }?;
        Some(format!("{}'s MTU of {} bytes", via.name, via.mtu))
    })
    .unwrap_or_else(|| "the route's MTU".into());
    match mode {
        // The kernel fragments what it writes the header for (seen: 1628 bytes to the
        // peer over veth0 was answered), so this is rarer; say only what is known.
        Mode::Kernel => format!("{len} bytes is more than {route}, and the kernel refused it"),
        _ => {
            let df = if ipv4::VERSION.get(bytes) == 4 {
                format!(" (here it is {})", ipv4::FLAG_DF.get(bytes))
            } else {
                String::new()
            };
            format!(
                "{len} bytes is more than {route}: the kernel never fragments a packet whose IP header rawlab writes, whatever ip.flags.df says{df}. A smaller payload fits, or `mode kernel` lets the kernel write the header and split it"
            )
        }
    }
}

/// Called for each reply to one of a send's packets: (output, the packet sent, its copy
/// on the wire if one was seen, the reply).
type OnReply<'a> =
    dyn FnMut(&mut dyn Write, &Packet, Option<&Packet>, &Packet) -> io::Result<()> + 'a;

/// The middle value, in milliseconds (the mean of the two middle ones for an even count).
fn median_ms(v: &mut [Duration]) -> f64 {
    v.sort();
    let n = v.len();
    let mid = match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2,
    };
    mid.as_secs_f64() * 1e3
}

/// The EtherType of the network layer a built packet carries (IPv4 unless it is IPv6),
/// as the kernel's buffers name it.
fn has_family(built: &[u8], first: &'static wire::Protocol) -> u16 {
    let d = wire::dissect::dissect(built, first);
    match d.layers.iter().find(|l| l.proto.addresses.is_some()) {
        Some(l) if l.proto == &wire::ipv6::IPV6 => 0x86dd,
        Some(_) => 0x0800,
        None if d.layers.iter().any(|l| l.proto == &wire::arp::ARP) => 0x0806,
        None => 0x0800,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo request to 127.0.0.1 (seq 0, two bytes of data), as an IP listener
    /// captures it and, behind lo's all-zero Ethernet header, as a packet socket does.
    const ECHO: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

    #[test]
    fn a_reply_is_counted_by_its_icmp_message_whatever_captured_it() {
        let want = (10, 0, 64, "127.0.0.1".to_string());
        assert_eq!(reply_words(&ECHO, &ipv4::IPV4), want);
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(ECHO);
        assert_eq!(reply_words(&frame, &wire::eth::ETH), want);
    }
}
