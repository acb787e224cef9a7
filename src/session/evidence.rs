//! The evidence a send shows: what the kernel counted while it ran (here and at the
//! sandbox's peer), the drops it reported, and, for silence, the explanations those
//! counts do not contradict.

use super::Session;
use super::send::Outcome;
use crate::lab::silence_reasons;
use crate::net::counters::{self as evidence, Counted, Snapshot};
use crate::wire::{self};
use std::io::{self, Write};
use std::net::IpAddr;
use std::time::SystemTime;

/// What the session knows of what its commands came to, and the kernel's own
/// sources for it: the counters and drop reasons, what each send saw, the packets and
/// ping and refusal the last command made, for `expect` and `why`.
pub struct Evidence {
    /// The first packet number of the last send, ping or trigger: what `expect` looks at.
    pub(super) traffic_from: u64,
    /// (transmitted, received) of the last ping.
    pub(super) last_ping: Option<(u64, u64)>,
    /// The errno the kernel refused the last send, ping or trigger with (0: none), for
    /// `expect refused`.
    pub(super) refused: std::sync::atomic::AtomicI32,
    /// This network namespace's counters, read around each send and ping.
    pub(super) counters: Option<crate::net::counters::Source>,
    /// What the last sends saw, with their evidence, for `why N`.
    pub(super) outcomes: std::collections::VecDeque<std::sync::Arc<Outcome>>,
    /// The kernel's own drop reasons (skb:kfree_skb), when rawlab could open them.
    pub tracer: Option<std::sync::Arc<crate::net::drops::Tracer>>,
    /// Why there is no tracer, in one line saying how to get one.
    pub no_tracer: String,
}

impl Session {
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
        let Some(tracer) = &self.evidence.tracer else {
            return vec![format!(
                "the counters are the evidence here: {}",
                self.evidence.no_tracer
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
    pub(super) fn counters_now(&self) -> (Option<Snapshot>, Option<Snapshot>) {
        let read = |s: Option<&evidence::Source>| s.and_then(|s| s.snapshot().ok());
        (
            read(self.evidence.counters.as_ref()),
            read(self.peer.as_ref().and_then(|p| p.counters.as_ref())),
        )
    }
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
