//! `trigger`: traffic the kernel builds, as if from another window: a ping through an
//! ICMP datagram socket (in the background, its echoes taking turns of the session's
//! budget), an HTTP exchange with a one-shot server, a UDP datagram.

use super::{Flow, Session, duration_words};
use crate::command::Trigger;
use crate::net::{self};
use std::io::{self, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

impl Session {
    /// Kernel-built traffic in the background, as if from another window.
    pub(super) fn trigger(&mut self, t: &Trigger, out: &mut dyn Write) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        self.open.triggers.retain(|b| !b.finished());
        match t {
            Trigger::Http(port) => self.trigger_http(*port, out),
            Trigger::Udp { dst, port, data } => self.trigger_udp(*dst, *port, data, out),
            Trigger::Ping(args) => self.trigger_ping(args, out),
        }
    }

    /// A real HTTP GET to 127.0.0.1 (a one-shot server there unless `serve` runs).
    fn trigger_http(&mut self, port: Option<u16>, out: &mut dyn Write) -> io::Result<Flow> {
        let server = match port.filter(|p| {
            self.open
                .servers
                .iter()
                .any(|s| s.port == *p && s.proto == "tcp")
        }) {
            Some(_) => None,
            None => match crate::net::traffic::Server::start(port.unwrap_or(0)) {
                Ok(s) => Some(s),
                Err(e) => {
                    let at = port.map_or("a free port".to_string(), |p| format!("port {p}"));
                    return self.fail(out, &format!("could not listen on 127.0.0.1 {at}: {e}"));
                }
            },
        };
        let port = server.as_ref().map_or(port.unwrap_or(0), |s| s.port);
        match crate::net::traffic::http_get(port, self.timeout.max(Duration::from_millis(500))) {
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
        if self.open.listeners.iter().all(|l| l.proto != 6) && !self.link_sees("lo") {
            self.info(out, "nothing is listening for tcp: `listen tcp` first to see the handshake, the GET and the answer")?;
        }
        Ok(Flow::Continue)
    }

    /// One UDP datagram, and whether an answer, a refusal or nothing came back.
    fn trigger_udp(
        &mut self,
        dst: std::net::Ipv4Addr,
        port: u16,
        data: &[u8],
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        if let Err(why) = self.policy.destination(dst) {
            return self.fail(out, &why);
        }
        match crate::net::traffic::udp_datagram(dst, port, data, self.timeout) {
            Ok((src_port, got)) => {
                self.shower
                    .own_flow("udp", (src_port as u64) << 16 | port as u64);
                let what = match got {
                    crate::net::traffic::Datagram::Answered(n) => format!("an answer of {n} bytes came back"),
                    crate::net::traffic::Datagram::Refused => "refused: nothing listens there, and the kernel sent back an ICMP port unreachable quoting the datagram (`listen icmp` shows it)".into(),
                    crate::net::traffic::Datagram::Silence => format!("no answer within {}", duration_words(self.timeout)),
                };
                self.info(
                    out,
                    &format!(
                        "trigger udp: {} bytes from port {src_port} to {dst}:{port}; {what}",
                        data.len()
                    ),
                )?;
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

    /// Echo requests the kernel builds, in the background.
    fn trigger_ping(
        &mut self,
        args: &crate::command::SendArgs,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let Some(IpAddr::V4(dst)) = args.dst else {
            unreachable!("the parser requires an IPv4 destination for trigger ping")
        };
        if self.open.triggers.len() >= crate::net::policy::MAX_TRIGGERS {
            let text = format!(
                "{} triggers are still running, as many as run side by side: wait for one to end (its line says so), or `reset` stops them",
                self.open.triggers.len()
            );
            return self.fail(out, &text);
        }
        if let Err(why) = self.policy.destination(dst) {
            return self.fail(out, &why);
        }
        let (pinger, ident) = match net::Pinger::open(self.ping_ident ^ 0x7472) {
            Ok(found) => found,
            Err(e) => {
                // Refused by the kernel: `expect refused` sees it.
                self.evidence.refused.store(
                    e.raw_os_error().unwrap_or(-1),
                    std::sync::atomic::Ordering::Relaxed,
                );
                let why = match (e.kind(), &self.net) {
                    (io::ErrorKind::PermissionDenied, net::Net::Sandbox) => {
                        ": this user's group may not open ICMP datagram sockets (net.ipv4.ping_group_range), nor raw ones (no CAP_NET_RAW: `privilege on` takes it back)"
                    }
                    (io::ErrorKind::PermissionDenied, _) => {
                        ": this user's group may not open ICMP datagram sockets (net.ipv4.ping_group_range), nor raw ones; `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` allows every group"
                    }
                    _ => "",
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
        let via = if dst.is_loopback() || crate::net::sys::local_addrs().contains(&IpAddr::V4(dst))
        {
            "lo".to_string()
        } else {
            self.link_iface.clone()
        };
        if self.open.listeners.iter().all(|l| l.proto != 1) && !self.link_sees(&via) {
            self.info(
                out,
                "nothing is listening for icmp: `listen icmp` to watch them",
            )?;
        }
        let shower = self.shower.clone();
        let timeout = self.timeout;
        let count = args.count;
        let pacer = self.policy.pacer.clone();
        self.open.triggers.push(Background::spawn(move |stop| {
            let (sent, replies) = net::run_pings(&pinger, dst, count, every, timeout, stop, &pacer);
            shower.note(format!(
                "trigger ping {dst}: {sent} sent, {replies} repl{} (identifier {ident})",
                if replies == 1 { "y" } else { "ies" }
            ));
        })?);
        Ok(Flow::Continue)
    }

    /// After traffic made through ordinary sockets: when a listener for `proto` (or any)
    /// is open, show what it caught, waiting until things go quiet (at most 500 ms).
    fn settle_captures(&self, proto: u8, out: &mut dyn Write) -> io::Result<()> {
        if !self
            .open
            .listeners
            .iter()
            .any(|l| l.proto == proto || l.proto == 1)
        {
            return Ok(());
        }
        self.show_until_quiet(out)
    }

    /// Shows what the listeners catch until they have been quiet for 60 ms (at most
    /// half a second): they get the last packets a moment after the traffic is done.
    pub(super) fn show_until_quiet(&self, out: &mut dyn Write) -> io::Result<()> {
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
        self.open.link_listeners.iter().any(|k| k.covers(name))
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

    pub(super) fn finished(&self) -> bool {
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
