//! The loop behind `send` and `ping`, in four steps that read top-down: plan what
//! the send will do (and refuse what may not go), open the sockets it needs, send
//! each packet in its turn, then wait for the answers and keep the evidence.
//!
//! What became of each packet sent is learnt from the relations the store found as
//! packets came in (`Tally`), never from what the printer drew.

use super::send::{
    AWAKE_BELOW, OnReply, Outcome, SHOW_EVERY, address_of, expects_reply, frame_error, send_error,
};
use super::{Session, Shown, duration_words, proto_words};
use crate::capture::{Origin, Packet, Store};
use crate::command::SendArgs;
use crate::lab::Relation;
use crate::net::counters::{self as evidence, Snapshot};
use crate::net::link::LinkListener;
use crate::net::netlink::Link;
use crate::net::{self, Family, Listener, Mode};
use crate::wire::template::Built;
use crate::wire::{self, ipv4};
use socket2::Socket;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What a send will do, decided from its first packet before anything is opened.
struct Plan {
    /// The outermost layer (Ethernet for a frame).
    outer: &'static wire::Protocol,
    family: Family,
    /// Where it goes (unspecified for a frame without IP, such as ARP).
    dst: IpAddr,
    /// The interface a frame is handed to (mode link).
    iface: Option<Link>,
    /// The protocol the sockets are opened for: the layer past the network header and
    /// any IPv6 extension headers.
    proto: u8,
    /// The length of the network header the kernel writes in mode kernel.
    hdr_len: usize,
    /// Time between sends, at least the session's ceiling allows.
    interval: Duration,
    /// Sends close together are waited for awake (see `AWAKE_BELOW`).
    awake: bool,
}

/// A socket opened just for one send, to see what goes out and what comes back.
enum Capture {
    Ip(Listener),
    Link(#[allow(dead_code)] LinkListener),
}

/// The sockets a send holds while it runs: the one it sends with, one to capture its
/// packets when no listener does, and one for ICMP errors about them.
struct Sockets {
    send: Arc<Socket>,
    capture: Option<Capture>,
    _errors: Option<Listener>,
}

/// What became of the packets sent so far, read from the relations of the packets the
/// store numbered after the send began.
struct Tally {
    store: Arc<Store>,
    /// The last packet number looked at.
    cursor: u64,
    /// Each send's copy on the wire, until its reply comes.
    copies: HashMap<u64, Arc<Packet>>,
    /// Sends whose copy has not been seen.
    uncopied: Vec<u64>,
}

impl Tally {
    fn new(store: Arc<Store>) -> Tally {
        let cursor = store.next_no().saturating_sub(1);
        Tally {
            store,
            cursor,
            copies: HashMap::new(),
            uncopied: Vec::new(),
        }
    }

    /// Reads what came since the last look, marking sends answered (`on_reply` for
    /// each reply) and copied.
    fn settle(
        &mut self,
        o: &mut Outcome,
        on_reply: &mut OnReply,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for p in self.store.after(self.cursor) {
            self.cursor = p.no;
            for r in p.relations() {
                match r {
                    Relation::Reply { sent: Some(n), .. } if o.unanswered.contains(n) => {
                        o.answered = true;
                        o.unanswered.retain(|w| w != n);
                        if let Some(sent) = self.store.get(*n) {
                            let copy = self.copies.remove(n);
                            on_reply(out, &sent, copy.as_deref(), &p)?;
                        }
                    }
                    // An ICMP error about a send answers it too: no use waiting on.
                    Relation::Error { sent: Some(n), .. } => {
                        o.answered |= o.sent.contains(n);
                        if o.unanswered.contains(n)
                            && let Some(sent) = self.store.get(*n)
                        {
                            on_reply(out, &sent, None, &p)?;
                        }
                        o.unanswered.retain(|w| w != n)
                    }
                    Relation::Reply { sent: Some(n), .. } | Relation::Reset { sent: n, .. }
                        if o.sent.contains(n) =>
                    {
                        o.answered = true
                    }
                    Relation::WireCopy {
                        sent, fragments, ..
                    } => {
                        // A datagram put back together stands for every fragment of it.
                        self.uncopied
                            .retain(|w| w != sent && !fragments.contains(w));
                        self.copies.insert(*sent, p.clone());
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

impl Session {
    /// The loop behind send and ping: builds each packet with `build(i)`, records it,
    /// hands it to the kernel as `mode` says (a packet through an IP raw socket of its
    /// family, a frame through AF_PACKET), shows what comes back and calls `on_reply`
    /// for each reply to one of ours. Where no listener sees the packets, a socket is
    /// opened for the send, letting in what `letting` says. None when it could not
    /// start (the error has been printed).
    pub(super) fn transmit(
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
        let Some(plan) = self.plan(&first, args, mode, out)? else {
            return Ok(None);
        };
        let Some(sockets) = self.open_sockets(&plan, mode, letting, out)? else {
            return Ok(None);
        };
        let mut o = Outcome {
            sent: Vec::new(),
            unanswered: Vec::new(),
            last_built: first.bytes.clone(),
            first: plan.outer,
            dst: plan.dst,
            first_send: Instant::now(),
            last_send: Instant::now(),
            unseen: 0,
            answered: false,
            counted: None,
            peer_counted: None,
        };
        let unseen_before = self.shower.unseen();
        let mut tally = Tally::new(self.shower.store.clone());
        // The counters just before the first send, to compare with after the wait.
        let before = self.counters_now();
        let sent = self.send_each(
            &plan,
            &sockets,
            (args, mode),
            first,
            build,
            &mut o,
            &mut tally,
            on_reply,
            out,
        )?;
        if !sent {
            return Ok(None);
        }
        self.wait_for_answers(&mut o, &mut tally, on_reply, out)?;
        // Every round trip is in: listeners need not look every 200 µs any longer.
        drop(timing);
        self.wait_for_quiet(&mut o, &mut tally, on_reply, out)?;
        drop(sockets);
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
        if self.evidence.outcomes.len() >= super::KEPT_OUTCOMES {
            self.evidence.outcomes.pop_front();
        }
        self.evidence.outcomes.push_back(Arc::new(o.clone()));
        Ok(Some(o))
    }

    /// Step one: what the send will do, from its first packet, and whether it may. A
    /// refusal is printed and gives None.
    fn plan(
        &mut self,
        first: &Built,
        args: &SendArgs,
        mode: Mode,
        out: &mut dyn Write,
    ) -> io::Result<Option<Plan>> {
        let outer = first.layers[0].0;
        let is_frame = outer == &wire::eth::ETH;
        if let Some(text) = self.mode_refusal(mode, is_frame) {
            self.fail(out, &text)?;
            return Ok(None);
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
        if !is_frame && net_at != Some(0) {
            let text = format!(
                "a template that starts with {} is not sent through an IP raw socket: `show` and `hex` work on it",
                outer.title
            );
            self.fail(out, &text)?;
            return Ok(None);
        }
        // A frame without IP (ARP) has no address to go to: the interface decides.
        let dst = address_of(first, true).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        // Where it may go: by interface for a frame, by address for a packet.
        let iface = if is_frame {
            match self.link_out() {
                Ok(l) => Some(l),
                Err(why) => {
                    self.fail(out, &why)?;
                    return Ok(None);
                }
            }
        } else {
            None
        };
        // Every address in every layer, the frame's too: checked again on each packet
        // built later, since a later one may differ.
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
        // A raw socket for the first extension header would miss the reply, which has
        // none: the sockets are for the layer the kernel hands them.
        let proto = upper_proto_of(first, net_at);
        if family == Family::V6
            && mode == Mode::Kernel
            && first
                .layers
                .get(1)
                .is_some_and(|(p, _, _)| wire::ipv6::is_extension(p))
        {
            self.fail(out, "in mode kernel the kernel writes the IPv6 header and takes extension headers only as socket options: use mode raw or hdrincl to send them in the header yourself")?;
            return Ok(None);
        }
        Ok(Some(Plan {
            outer,
            family,
            dst,
            iface,
            proto,
            hdr_len: first.layers.first().map_or(20, |l| l.2),
            interval,
            awake: interval <= AWAKE_BELOW && args.count > 1,
        }))
    }

    /// Why `mode` cannot send this template: a frame through an IP socket, or a packet
    /// with no Ethernet header as a frame.
    fn mode_refusal(&self, mode: Mode, is_frame: bool) -> Option<String> {
        match (mode == Mode::Link, is_frame) {
            (true, false) => Some(format!(
                "mode link sends whole frames, and this template ({}) starts at the IP header: `new eth/ip/icmp` puts an Ethernet header in front, or `mode raw` sends it as it is",
                self.template.stack_name()
            )),
            (false, true) => Some(format!(
                "this template ({}) is a whole frame, and an IP socket takes packets that start at the IP header: `mode link` sends frames (on {})",
                self.template.stack_name(),
                self.link_iface
            )),
            _ => None,
        }
    }

    /// The interface a frame goes out on, if it exists and frames may go there.
    fn link_out(&self) -> Result<Link, String> {
        let (l, _) = crate::net::link::interface(&self.link_iface)?;
        self.link_allowed(&l)?;
        Ok(l)
    }

    /// Step two: the socket to send with, one to capture what goes out and comes back
    /// where no listener does (kept open until the send ends), and one for ICMP errors.
    fn open_sockets(
        &mut self,
        plan: &Plan,
        mode: Mode,
        letting: net::Letting,
        out: &mut dyn Write,
    ) -> io::Result<Option<Sockets>> {
        let (family, proto) = (plan.family, plan.proto);
        let send = match self.socket(family, mode, proto) {
            Ok(s) => s,
            Err(e) => {
                // Refused by the kernel as a sendto would be: `expect refused` sees it.
                self.evidence.refused.store(
                    e.raw_os_error().unwrap_or(-1),
                    std::sync::atomic::Ordering::Relaxed,
                );
                let why = if e.raw_os_error() == Some(libc::EPERM) {
                    ": a raw socket needs CAP_NET_RAW, which rawlab does not hold now (`privilege on` takes it back; outside the sandbox, run rawlab under sudo)"
                } else {
                    ""
                };
                let text = format!(
                    "could not open the sending socket ({}): {e}{why}",
                    net::describe_mode_in(family, mode, proto)
                );
                self.fail(out, &text)?;
                return Ok(None);
            }
        };
        let store = self.shower.store.clone();
        let capture = match &plan.iface {
            Some(l) if self.open.link_listeners.iter().any(|k| k.covers(&l.name)) => None,
            Some(l) => match LinkListener::open(Some((l.index, l.name.clone())), true, store) {
                Ok(k) => Some(Capture::Link(k)),
                Err(e) => {
                    let text = format!("could not open a packet socket to capture replies: {e}");
                    self.fail(out, &text)?;
                    return Ok(None);
                }
            },
            None if self
                .open
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
                match Listener::open(family, proto, letting, label, store) {
                    Ok(l) => Some(Capture::Ip(l)),
                    Err(e) => {
                        let text = format!("could not open a socket to capture replies: {e}");
                        self.fail(out, &text)?;
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
        let errors = if plan.iface.is_some()
            || proto == icmp_proto
            || self
                .open
                .listeners
                .iter()
                .any(|l| l.proto == icmp_proto && l.family == family)
        {
            None
        } else {
            let label = format!("send's {} raw socket for ICMP errors", family.name());
            let store = self.shower.store.clone();
            match Listener::open(family, icmp_proto, net::Letting::Errors, label, store) {
                Ok(l) => Some(l),
                Err(e) => {
                    let text = format!("could not open a socket to capture ICMP errors: {e}");
                    self.fail(out, &text)?;
                    return Ok(None);
                }
            }
        };
        Ok(Some(Sockets {
            send,
            capture,
            _errors: errors,
        }))
    }

    /// Step three: each packet built, checked, handed over in its turn of the session's
    /// budget, numbered once the kernel took it. False when nothing could be sent (the
    /// error has been printed).
    #[allow(clippy::too_many_arguments)]
    fn send_each(
        &mut self,
        plan: &Plan,
        sockets: &Sockets,
        (args, mode): (&SendArgs, Mode),
        first: Built,
        build: &mut dyn FnMut(u64) -> Built,
        o: &mut Outcome,
        tally: &mut Tally,
        on_reply: &mut OnReply,
        out: &mut dyn Write,
    ) -> io::Result<bool> {
        // Listeners that see these packets are read by this thread until the last send:
        // right after each send, and while it waits for the next.
        let temp = match &sockets.capture {
            Some(Capture::Ip(l)) => Some(l),
            _ => None,
        };
        let held: Vec<net::Held> = self
            .open
            .listeners
            .iter()
            .chain(temp)
            .filter(|l| l.proto == plan.proto && l.family == plan.family)
            .map(Listener::hold)
            .collect();
        let mut next = Some(first);
        let mut shown_at = Instant::now();
        for i in 0..args.count {
            if self.interrupted() {
                break;
            }
            let built = match next.take() {
                Some(b) => b,
                None => {
                    let b = build(i);
                    if let Err(why) = self.policy.packet(&b.bytes, plan.outer) {
                        self.shower.show_pending(out)?;
                        self.fail(out, &why)?;
                        return Ok(false);
                    }
                    b
                }
            };
            if mode == Mode::Kernel && !self.set_header_options(plan, &sockets.send, &built, out)? {
                return Ok(false);
            }
            self.wait_turn(plan.awake);
            let handed_from = if mode == Mode::Kernel {
                plan.hdr_len
            } else {
                0
            };
            let (sent, no) = self.hand_over(plan, mode, &sockets.send, &built, handed_from);
            held.iter().for_each(net::Held::read);
            let (Ok(_), Some(no)) = (&sent, no) else {
                self.shower.show_pending(out)?;
                tally.settle(o, on_reply, out)?;
                let text = sent.err().unwrap_or_default();
                if o.sent.is_empty() {
                    self.fail(out, &text)?;
                    return Ok(false);
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
            tally.uncopied.push(no);
            if expects_reply(&built) {
                o.unanswered.push(no);
            }
            o.last_built = built.bytes;
            let last = i + 1 == args.count;
            if !plan.awake || last || shown_at.elapsed() >= SHOW_EVERY {
                self.shower.show_pending(out)?;
                tally.settle(o, on_reply, out)?;
                out.flush()?;
                shown_at = Instant::now();
            }
            if !last {
                let deadline = o.last_send + plan.interval;
                if plan.awake {
                    while Instant::now() < deadline && !self.interrupted() {
                        std::hint::spin_loop();
                    }
                } else {
                    let mut each =
                        |_: &[Shown], out: &mut dyn Write| tally.settle(o, on_reply, out);
                    self.wait_showing(deadline, &held, out, &mut each)?;
                }
            }
        }
        Ok(true)
    }

    /// In mode kernel the kernel writes the header, taking TTL (hop limit) and TOS
    /// (traffic class) from socket options: set from the template before each send.
    fn set_header_options(
        &mut self,
        plan: &Plan,
        sock: &Socket,
        built: &Built,
        out: &mut dyn Write,
    ) -> io::Result<bool> {
        let v4 = plan.family == Family::V4;
        let set = if v4 {
            let ttl = ipv4::TTL.get(&built.bytes) as u8;
            let tos = ipv4::DSFIELD.get(&built.bytes) as u8;
            // The options the template holds, which the kernel writes after its header.
            let hdr = built
                .layers
                .first()
                .map_or(20, |l| l.2)
                .min(built.bytes.len());
            let options = built
                .bytes
                .get(ipv4::OPTIONS.first_byte()..hdr)
                .unwrap_or(&[]);
            net::set_kernel_header_options(sock, ttl, tos, options)
        } else {
            let hops = wire::ipv6::HLIM.get(&built.bytes) as u8;
            let tclass = wire::ipv6::TCLASS.get(&built.bytes) as u8;
            net::set_kernel_header_options_v6(sock, hops, tclass)
        };
        if let Err(e) = set {
            let which = if v4 {
                "IP_TTL/IP_TOS/IP_OPTIONS"
            } else {
                "IPV6_UNICAST_HOPS/IPV6_TCLASS"
            };
            self.fail(out, &format!("could not set {which}: {e}"))?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Waits for this packet's turn of the session's one budget: triggers running
    /// beside the send take turns too.
    fn wait_turn(&self, awake: bool) {
        let turn = self.policy.pacer.turn();
        while Instant::now() < turn && !self.interrupted() {
            if awake {
                std::hint::spin_loop();
            } else {
                std::thread::sleep((turn - Instant::now()).min(Duration::from_millis(10)));
            }
        }
    }

    /// Hands one packet to the kernel and numbers it once the kernel took it: a refused
    /// send is no packet. The store stays held across sendto, so the send is numbered
    /// before any listener can push its copy on the wire.
    fn hand_over(
        &self,
        plan: &Plan,
        mode: Mode,
        sock: &Socket,
        built: &Built,
        handed_from: usize,
    ) -> (Result<usize, String>, Option<u64>) {
        let origin = Origin::Sent {
            mode,
            handed_from,
            dst: plan.dst,
            iface: plan.iface.as_ref().map(|l| l.name.clone()),
            proto: match mode {
                Mode::Raw => 255,
                _ => plan.proto,
            },
        };
        let mut numbering = self.shower.store.numbering();
        // Stamped as close to sendto as can be, as ping(8) does: RTTs count from here.
        let stamp = SystemTime::now();
        let sent = match &plan.iface {
            Some(l) => crate::net::link::send(sock, l.index, &built.bytes)
                .map_err(|e| frame_error(&e, l, built.bytes.len())),
            None => net::send_to_addr(sock, &built.bytes[handed_from..], plan.dst).map_err(|e| {
                self.evidence.refused.store(
                    e.raw_os_error().unwrap_or(-1),
                    std::sync::atomic::Ordering::Relaxed,
                );
                send_error(&e, plan.dst, mode, &built.bytes)
            }),
        };
        let no = sent.is_ok().then(|| {
            numbering.push_from(
                stamp,
                as_handed(mode, built),
                built.layers[0].0,
                origin,
                None,
            )
        });
        (sent, no)
    }

    /// Step four: replies come within the timeout; a packet that asks for none is done
    /// once its copy is seen on the wire (or after a short while, if it never loops
    /// back).
    fn wait_for_answers(
        &mut self,
        o: &mut Outcome,
        tally: &mut Tally,
        on_reply: &mut OnReply,
        out: &mut dyn Write,
    ) -> io::Result<()> {
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
                !tally.uncopied.is_empty()
            }
        {
            let step = (Instant::now() + Duration::from_millis(20)).min(deadline);
            if self.shower.store.wait_unshown(step) {
                self.shower.show_pending(out)?;
                tally.settle(o, on_reply, out)?;
            }
        }
        Ok(())
    }

    /// What a reply sets off comes at once (a kernel's RST after a SYN-ACK), and a
    /// packet socket hands over its frames a few milliseconds late (a block of its ring
    /// at a time): shown too, until the wire has been quiet a moment, so what the
    /// command saw is all shown (and numbered) before the next one runs.
    fn wait_for_quiet(
        &mut self,
        o: &mut Outcome,
        tally: &mut Tally,
        on_reply: &mut OnReply,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        if o.unanswered.is_empty() {
            let end = Instant::now() + Duration::from_millis(250);
            let mut quiet = Instant::now();
            while Instant::now() < end
                && quiet.elapsed() < Duration::from_millis(50)
                && !self.interrupted()
            {
                let step = (Instant::now() + Duration::from_millis(10)).min(end);
                if self.shower.store.wait_unshown(step) {
                    self.shower.show_pending(out)?;
                    tally.settle(o, on_reply, out)?;
                    quiet = Instant::now();
                }
            }
        }
        tally.settle(o, on_reply, out)
    }
}

/// The protocol number the sockets are for: the upper layer after the network one
/// (its extension headers passed over), or what a fragment's header says it carries;
/// 255 when there is none.
fn upper_proto_of(first: &Built, net_at: Option<usize>) -> u8 {
    net_at
        .and_then(|i| {
            let (net, _, _) = first.layers[i];
            super::upper_proto(net, first.layers[i + 1..].iter().map(|(p, _, _)| *p))
                // A fragment carries a piece of the upper layer: its header says which
                // (IPv4's, or IPv6's fragment header).
                .or_else(|| {
                    let &(last, start, _) = first.layers.last()?;
                    if net == &ipv4::IPV4 && first.layers.len() == i + 1 {
                        Some(ipv4::PROTO.get(&first.bytes[start..]))
                    } else if last == &wire::ipv6::FRAGMENT {
                        Some(wire::ipv6::FRAG_NXT.get(&first.bytes[start..]))
                    } else {
                        None
                    }
                })
        })
        .unwrap_or(255) as u8
}

/// The packet as it is kept for what was sent: in mode kernel the kernel writes the IP
/// header and chooses the source itself, so the kept header says no source (0.0.0.0,
/// ::) rather than the template's, which never left rawlab (an IPv6 template's ::1
/// would claim a source the kernel did not use, and its reply would answer no request).
fn as_handed(mode: Mode, built: &Built) -> Vec<u8> {
    let mut bytes = built.bytes.clone();
    let (first, start, _) = built.layers[0];
    if mode == Mode::Kernel
        && let Some((src, _)) = first.addresses
        && bytes.len() >= start + src.end_byte()
    {
        src.set(&mut bytes[start..], 0);
    }
    bytes
}
