//! `trace`: traceroute(8). One probe with TTL 1, then 2, and so on: each router on
//! the way drops the probe whose TTL would reach 0 there and says so with ICMP time
//! exceeded, quoting it, and the destination answers the last. Every answer is
//! related to its probe by the quoted datagram (or as a reply), through the loop
//! `send` uses, so `captures` and `dump N` show each one. To an IPv6 destination the
//! probes are IPv6 with a rising hop limit, and routers answer with ICMPv6 time
//! exceeded.

use super::{Detail, Flow, Session};
use crate::capture::Packet;
use crate::command::{Probe, SendArgs};
use crate::lab::Relation;
use crate::net::{self, Mode};
use crate::render::Tone;
use crate::wire::template::{Template, Value};
use crate::wire::{self, icmp, icmpv6, tcp, udp};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::SystemTime;

/// traceroute(8)'s first UDP port: one above it for each TTL, where nothing listens.
const FIRST_PORT: u16 = 33434;

/// `1 hop`, `2 hops`.
fn plural(n: u8) -> String {
    format!("{n} hop{}", if n == 1 { "" } else { "s" })
}

/// The probe for `probe` to `dst`, before its TTL is set.
fn probe_template(dst: IpAddr, probe: Probe, ident: u16) -> Template {
    let f = super::ping::echo_fields(dst);
    let upper: &'static wire::Protocol = match probe {
        Probe::Icmp => f.icmp,
        Probe::Udp => &udp::UDP,
        Probe::Tcp => &tcp::TCP,
    };
    let mut t = Template::new(&[f.net, upper]);
    let mut set = |f: &'static wire::Field, v: u128| {
        t.set(f, Value::Raw(v))
            .expect("a field of the probe's stack");
    };
    set(f.dst, crate::lab::addr_value(dst));
    match probe {
        Probe::Icmp => set(f.ident, ident as u128),
        Probe::Udp => set(&udp::SRCPORT, ident as u128 | 0x8000),
        Probe::Tcp => {
            set(&tcp::SRCPORT, ident as u128 | 0x8000);
            set(&tcp::DSTPORT, 80);
        }
    }
    t
}

/// Sets what changes from hop to hop: the TTL, and the ICMP sequence number or the
/// UDP destination port that tells the probes apart.
fn for_hop(t: &mut Template, f: &super::ping::Echo, probe: Probe, ttl: u8) {
    t.set(f.ttl, Value::Raw(ttl as u128)).expect("ip.ttl");
    match probe {
        Probe::Icmp => t.set(f.seq, Value::Raw(ttl as u128)),
        Probe::Udp => t.set(
            &udp::DSTPORT,
            Value::Raw((FIRST_PORT + ttl as u16 - 1) as u128),
        ),
        Probe::Tcp => Ok(()),
    }
    .expect("a field of the probe's stack");
}

/// What answered a probe, in a few words: `time exceeded`, `echo reply`,
/// `port unreachable`, `TCP RST, ACK`.
fn what_answered(p: &Packet) -> String {
    let d = wire::dissect::dissect(&p.bytes, p.first);
    let Some(l) = d
        .layers
        .iter()
        .find(|l| !l.quoted && l.proto.addresses.is_none())
    else {
        return "an answer".to_string();
    };
    let named = |f: &wire::Field| {
        let w = l.words(&p.bytes, f);
        w.split_once(" (").map_or(w.clone(), |(_, n)| {
            n.trim_end_matches(')').replace('-', " ")
        })
    };
    match l.proto.name {
        "icmp" => match d.value(&p.bytes, &icmp::TYPE) {
            Some(3) => named(&icmp::CODE),
            _ => named(&icmp::TYPE),
        },
        // Destination unreachable (1) says which kind in its code, as IPv4's does.
        "icmpv6" => match d.value(&p.bytes, &icmpv6::TYPE) {
            Some(1) => named(&icmpv6::CODE),
            _ => named(&icmpv6::TYPE),
        },
        "tcp" => format!("TCP {}", named(&tcp::FLAGS)),
        other => format!("{other} answer"),
    }
}

impl Session {
    pub(super) fn trace(
        &mut self,
        dst: IpAddr,
        probe: Probe,
        hops: u8,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        if let Err(why) = self.policy.destination(dst) {
            return self.fail(out, &why);
        }
        let probes = match probe {
            Probe::Icmp => "ICMP echo requests",
            Probe::Udp => "UDP datagrams to ports from 33434",
            Probe::Tcp => "TCP SYNs to port 80",
        };
        let header = match dst {
            IpAddr::V4(_) => format!(
                "traceroute to {dst}, {} at most, one probe a hop ({probes}); rawlab writes each IP header (mode hdrincl) to set its TTL",
                plural(hops)
            ),
            IpAddr::V6(_) => format!(
                "traceroute6 to {dst}, {} at most, one probe a hop ({probes}); rawlab writes each IPv6 header (mode raw) to set its hop limit",
                plural(hops)
            ),
        };
        for l in self.style().wrap(&header, "", "  ") {
            writeln!(out, "{}", self.style().paint(&l, Tone::Heading))?;
        }
        let mut template = probe_template(dst, probe, self.ping_ident);
        // The source the kernel would choose, written in: the UDP and TCP checksums
        // cover it (their pseudo-header), so a probe with 0 there would be dropped.
        if let Ok(src) = net::source_for(dst) {
            template
                .set(
                    super::ping::echo_fields(dst).src,
                    Value::Raw(crate::lab::addr_value(src)),
                )
                .expect("ip.src");
        }
        let previous = self.shower.set_detail(Detail::Quiet);
        let result = self.hops(dst, probe, hops, &mut template, out);
        self.shower.set_detail(previous);
        let (reached, tried) = result?;
        let text = match reached {
            Some(n) => format!(
                "reached {dst} in {}; `captures` lists every probe and answer, `dump N` shows one",
                plural(n)
            ),
            None if self.interrupted() => format!("stopped (Ctrl-C) after {}", plural(tried)),
            None => format!(
                "{dst} did not answer within {} (a `*` is a hop that said nothing within {} ms)",
                plural(tried),
                self.timeout.as_millis()
            ),
        };
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    /// Sends the probes, a line per hop; the hop that reached `dst` (None if none
    /// did) and how many were tried.
    fn hops(
        &mut self,
        dst: IpAddr,
        probe: Probe,
        hops: u8,
        template: &mut Template,
        out: &mut dyn Write,
    ) -> io::Result<(Option<u8>, u8)> {
        let f = super::ping::echo_fields(dst);
        // IPv6 has no IP_HDRINCL: an AF_INET6 IPPROTO_RAW socket takes the whole header.
        let (to, mode) = match dst {
            IpAddr::V4(d) => (Some(d), Mode::HdrIncl),
            IpAddr::V6(_) => (None, Mode::Raw),
        };
        let mut tried = 0;
        for ttl in 1..=hops {
            if self.interrupted() {
                break;
            }
            tried = ttl;
            for_hop(template, f, probe, ttl);
            let args = SendArgs {
                dst: to.map(IpAddr::V4),
                count: 1,
                every: None,
                order: Vec::new(),
            };
            let before = self.shower.store.next_no();
            let outcome = self.transmit(
                &args,
                mode,
                net::Letting::Answers,
                out,
                &mut |_| template.build(SystemTime::now()),
                &mut |_, _, _, _| Ok(()),
            )?;
            let Some(o) = outcome else {
                // Refused or failed: transmit said why.
                return Ok((None, tried));
            };
            let Some(&sent_no) = o.sent.first() else {
                return Ok((None, tried));
            };
            let answer = self
                .shower
                .store
                .after(before.saturating_sub(1))
                .into_iter()
                .find(|p| {
                    p.relations().iter().any(|r| match r {
                        Relation::Error { sent, .. } | Relation::Reply { sent, .. } => {
                            *sent == Some(sent_no)
                        }
                        _ => false,
                    })
                });
            let Some(a) = answer else {
                writeln!(out, "{ttl:>2}  *  (no answer to #{sent_no})")?;
                continue;
            };
            // An AF_INET6 socket hands over no IPv6 header (the first one there is the
            // quoted probe's): the source is what it said.
            let d = wire::dissect::dissect(&a.bytes, a.first);
            let from = d
                .layers
                .first()
                .filter(|l| l.proto == f.net && !l.quoted)
                .map(|l| l.get(&a.bytes, f.src))
                .map(|v| match dst {
                    IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(v as u32)),
                    IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(v)),
                })
                .or(a.addrs.map(|(src, _)| src));
            let rtt = self
                .shower
                .store
                .get(sent_no)
                .and_then(|s| a.time.duration_since(s.time).ok())
                .map_or(String::new(), |d| {
                    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
                });
            let hop = from.map_or_else(|| "?".to_string(), |f| f.to_string());
            let limit = if dst.is_ipv6() { "hop limit" } else { "ttl" };
            writeln!(
                out,
                "{ttl:>2}  {hop}  {rtt}  {} · #{} answers #{sent_no}, sent with {limit} {ttl}",
                what_answered(&a),
                a.no
            )?;
            let is_reply = a
                .relations()
                .iter()
                .any(|r| matches!(r, Relation::Reply { .. }));
            if is_reply || from == Some(dst) {
                return Ok((Some(ttl), tried));
            }
        }
        Ok((None, tried))
    }
}
