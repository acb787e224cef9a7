//! Sending: `send` (the template, through the chosen mode), `ping` (the post's
//! closing exercise, built on the same loop) and `trigger` (traffic the kernel
//! builds, in the background, as if from another window).
//!
//! One loop serves send and ping: build, record what is handed to sendto,
//! send, show what comes back, until every request has its reply or the
//! timeout passes; then, for silence, say why from the evidence.

use super::{Flow, Session, duration_words};
use crate::capture::Packet;
use crate::command::SendArgs;
use crate::net::Mode;
use crate::net::counters::Counted;
use crate::net::{self, Family};
use crate::render::Tone;
use crate::wire::template::{Built, Template, Value};
use crate::wire::{self, ipv4};
use socket2::Socket;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Sends this close together are waited for awake, so each one starts on a CPU that has
/// not gone idle (which adds 4–5 µs to a loopback round trip: `bench/rawping.c` shows
/// it). Between them the sending thread does as little as it can: it reads the
/// listeners that see its packets right after each send (as it does for every timed
/// send), and shows what came every [`SHOW_EVERY`] rather than after each send, since
/// drawing between two sends cost the next round trip about a microsecond.
pub(super) const AWAKE_BELOW: Duration = Duration::from_millis(10);

/// How often lines are shown while sends close together are under way: 20 times a
/// second reads as live.
pub(super) const SHOW_EVERY: Duration = Duration::from_millis(50);

/// What one run of the send loop saw, kept for `why N` afterwards.
#[derive(Clone)]
pub(super) struct Outcome {
    /// Numbers of the packets handed to sendto.
    pub(super) sent: Vec<u64>,
    /// Sends still without a reply.
    pub(super) unanswered: Vec<u64>,
    pub(super) last_built: Vec<u8>,
    /// The outermost layer of what was sent.
    pub(super) first: &'static crate::wire::Protocol,
    pub(super) dst: IpAddr,
    pub(super) first_send: Instant,
    pub(super) last_send: Instant,
    /// Packets that left the ring unseen while this ran: replies among them were
    /// never matched, so a send without one is not known to be unanswered.
    pub(super) unseen: u64,
    /// Whether anything answered one of the sends (a reply, an ICMP error about it, a
    /// kernel's reset), asked for or not.
    pub(super) answered: bool,
    /// What the kernel counted from just before the first send to the end of the
    /// wait: in this network namespace, and in the sandbox peer's.
    pub(super) counted: Option<Counted>,
    pub(super) peer_counted: Option<Counted>,
}

impl Session {
    pub(super) fn send(&mut self, args: &SendArgs, out: &mut dyn Write) -> io::Result<Flow> {
        if self.fragmented.is_some() {
            return self.send_fragments(args, out);
        }
        if !args.order.is_empty() {
            let line = order_line(args);
            let at = "send order ".len();
            return self.fail_at(
                out,
                &line,
                at..line.len(),
                super::fragment::Refusal {
                    message: "`order` picks fragments, and the template is not fragmented".into(),
                    expected: "`fragment SIZE` first, then `send order 2 1`".into(),
                    suggestion: "`fragment 576` cuts the template for an MTU of 576 bytes".into(),
                },
            );
        }
        let mut template = self.template.clone();
        if let Some(dst) = args.dst
            && set_dst(&mut template, dst).is_err()
        {
            let f = super::ping::echo_fields(dst);
            return self.fail(
                out,
                &format!(
                    "`send {dst}` sets {}, and this template ({}) has no {} layer: `new ip6/icmp6` (or `new ip/icmp`) builds one that has, or `send` alone sends it where it is bound",
                    f.dst.name,
                    self.template.stack_name(),
                    f.net.title
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
        self.after_send(&outcome, out)
    }

    /// `send` after `fragment SIZE`: the fragments, in order or as `order` says, each
    /// through the same loop, so the kernel hands each on as it is (mode hdrincl or raw:
    /// it never fragments a packet whose header rawlab writes).
    fn send_fragments(&mut self, args: &SendArgs, out: &mut dyn Write) -> io::Result<Flow> {
        let Some(fr) = self.fragmented.clone() else {
            return Ok(Flow::Continue);
        };
        let n = fr.list.len();
        if let Some((k, &bad)) = args.order.iter().enumerate().find(|(_, o)| **o > n) {
            let line = order_line(args);
            let words: Vec<String> = args.order.iter().map(|o| o.to_string()).collect();
            let at = "send order ".len() + words[..k].iter().map(|w| w.len() + 1).sum::<usize>();
            return self.fail_at(
                out,
                &line,
                at..at + words[k].len(),
                super::fragment::Refusal {
                    message: format!("there is no fragment {bad}: `fragment {}` made {n}", fr.mtu),
                    expected: format!("fragment numbers 1..={n}, as `fragments` lists them"),
                    suggestion: format!(
                        "`send order {}` sends them last to first",
                        (1..=n)
                            .rev()
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                },
            );
        }
        if args.count > 1 {
            return self.fail(
                out,
                "`count` repeats one packet, and fragments share one ip.id: send them once (`send`), or `send order 1 2 1` to send one twice",
            );
        }
        if let Some(dst) = args.dst
            && (fr.v6 || dst.is_ipv6())
        {
            let text = if fr.v6 {
                "these are IPv6 fragments, each with a fragment header after its own IPv6 header: `set ipv6.dst ADDR` changes where they go (the fragments are cut again), then `send`".to_string()
            } else {
                format!(
                    "these are IPv4 fragments, and {dst} is IPv6: `send IPV4` sends them elsewhere, `fragment off` goes back to the template"
                )
            };
            return self.fail(out, &text);
        }
        let mode = match self.mode {
            // AF_INET6 has no IP_HDRINCL: an IPPROTO_RAW socket takes the whole header.
            _ if fr.v6 && self.mode != Mode::Link => Mode::Raw,
            Mode::Raw | Mode::HdrIncl => self.mode,
            Mode::Kernel => {
                self.info(
                    out,
                    "fragments go through mode hdrincl: in mode kernel the kernel writes the IP header, and would give each fragment a header of its own",
                )?;
                Mode::HdrIncl
            }
            Mode::Link => {
                return self.fail(
                    out,
                    "fragments are IPv4 packets, sent through an IP raw socket: `mode hdrincl` (or raw) sends them, `fragment off` goes back to the template",
                );
            }
        };
        let order: Vec<usize> = if args.order.is_empty() {
            (0..n).collect()
        } else {
            args.order.iter().map(|o| o - 1).collect()
        };
        let mut list = fr.list.clone();
        if let Some(dst) = args.dst {
            for t in &mut list {
                set_dst(t, dst).expect("an IPv4 fragment");
            }
        }
        let each = SendArgs {
            dst: args.dst,
            count: order.len() as u64,
            every: args.every,
            order: Vec::new(),
        };
        let Some(outcome) = self.transmit(
            &each,
            mode,
            net::Letting::Everything,
            out,
            &mut |i| list[order[i as usize]].build(SystemTime::now()),
            &mut |_, _, _, _| Ok(()),
        )?
        else {
            return Ok(Flow::Continue);
        };
        // Every piece sent, as cut: a silence is the datagram's, so its reasons are read
        // from the whole datagram, not from the last piece (which alone would be held).
        let mut outcome = outcome;
        let every = (0..n).all(|k| order.contains(&k));
        if every && !fr.changed && outcome.sent.len() == order.len() {
            let mut whole = self.template.clone();
            if let Some(dst) = args.dst {
                set_dst(&mut whole, dst).expect("an IPv4 template");
            }
            outcome.last_built = whole.build(SystemTime::now()).bytes;
            if let Some(last) = self.evidence.outcomes.back_mut() {
                *last = Arc::new(outcome.clone());
            }
        }
        self.after_send(&outcome, out)
    }

    /// What a send says once its wait is over: why nothing answered, from the evidence.
    fn after_send(&mut self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<Flow> {
        let outcome = outcome.clone();
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
                    && self.open.listeners.iter().all(|l| l.proto != 1)
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

    /// What a send says when packets left the ring before they were shown (their
    /// replies were never matched), and what follows from it.
    pub(super) fn unseen_words(&self, unseen: u64, so: &str) -> String {
        format!(
            "{unseen} packets left the ring unseen while this ran{so} (--ring keeps more than {})",
            self.shower.store.capacity()
        )
    }

    /// A TCP or UDP checksum covers the IP source address (the pseudo-header), so a
    /// source left 0 for the kernel would make it wrong on the wire. When the bytes
    /// depend on ip.src like that and it is unset, rawlab writes the address the
    /// kernel would choose for this destination, and says so.
    pub(super) fn fill_source(
        &self,
        template: &mut Template,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let Some((src_f, _)) = template.layers[0].proto.addresses else {
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

    /// The sending socket for a mode, opened once and kept.
    pub(super) fn socket(
        &mut self,
        family: Family,
        mode: Mode,
        proto: u8,
    ) -> io::Result<Arc<Socket>> {
        let key = match mode {
            Mode::Raw => (family, mode, 255),
            Mode::Link => (family, mode, 0),
            _ => (family, mode, proto),
        };
        if let std::collections::hash_map::Entry::Vacant(e) = self.open.sockets.entry(key) {
            let sock = match mode {
                Mode::Link => crate::net::link::send_socket()?,
                _ => net::send_socket(family, mode, proto)?,
            };
            e.insert(Arc::new(sock));
        }
        Ok(self.open.sockets[&key].clone())
    }
}

/// Sets the template's destination to `dst`, in the layer of its family.
pub(super) fn set_dst(t: &mut Template, dst: IpAddr) -> Result<(), String> {
    let f = super::ping::echo_fields(dst);
    t.set(f.dst, Value::Raw(crate::lab::addr_value(dst)))
}

/// `send … order 2 5` rebuilt, for an error's caret.
fn order_line(args: &SendArgs) -> String {
    let words: Vec<String> = args.order.iter().map(|o| o.to_string()).collect();
    format!("send order {}", words.join(" "))
}

/// The destination (or source) address of a built packet, from its first layer's table.
pub(super) fn address_of(built: &Built, dst: bool) -> Option<IpAddr> {
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

/// A refused frame, in words.
pub(super) fn frame_error(e: &io::Error, l: &crate::net::netlink::Link, len: usize) -> String {
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
pub(super) fn expects_reply(built: &Built) -> bool {
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
pub(super) fn send_error(e: &io::Error, dst: IpAddr, mode: Mode, bytes: &[u8]) -> String {
    let hint = match e.raw_os_error() {
        Some(libc::EINVAL) => format!(
            "the kernel refused the header as invalid: with IP_HDRINCL, ip.hdr_len ({} bytes) must be at least 20 and no longer than the packet ({} bytes)",
            ipv4::HDR_LEN.shown(ipv4::HDR_LEN.get(bytes)),
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
pub(super) fn size_words(dst: IpAddr, mode: Mode, bytes: &[u8]) -> String {
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
    // A path MTU the kernel learned (from a router's fragmentation needed) is the
    // limit, below the interface's: ask the route, as `ip route get` does.
    let learned = crate::net::netlink::Netlink::open()
        .and_then(|mut nl| nl.route_to(dst))
        .ok()
        .and_then(|r| r.mtu);
    if let Some(m) = learned.filter(|m| len > *m as usize && dst.is_ipv6()) {
        return format!(
            "{len} bytes is more than the path MTU of {m} bytes the kernel has learned for {dst} (a router's ICMPv6 packet too big lowered it below {route}; `route {dst}` shows it): in IPv6 no router cuts a packet, only its sender may, with a fragment header; `fragment {m}` cuts the template into fragments that fit, or a smaller payload goes whole"
        );
    }
    if let Some(m) = learned.filter(|m| len > *m as usize) {
        return format!(
            "{len} bytes is more than the path MTU of {m} bytes the kernel has learned for {dst} (a router's ICMP fragmentation needed lowered it below {route}; `route {dst}` shows it), and ip.flags.df forbids cutting it: with `set ip.flags.df 0` the kernel cuts it into fragments that fit, even with rawlab's header, or a smaller payload goes whole"
        );
    }
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

/// Called for each reply to one of a send's packets, and each ICMP error about one:
/// (output, the packet sent, its copy on the wire if one was seen, the answer; an
/// error has a `Relation::Error` among its relations).
pub(super) type OnReply<'a> =
    dyn FnMut(&mut dyn Write, &Packet, Option<&Packet>, &Packet) -> io::Result<()> + 'a;
