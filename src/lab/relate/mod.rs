//! The relating engine: watches packets go by in number order and says what each is
//! to those before it (a send's copy on the wire, a reply, an error quoting a packet,
//! the kernel's reset, a frame seen again on lo), remembering a bounded few of each.

use super::*;
use crate::net::link::{LinkSeen, PACKET_OUTGOING};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

mod fragments;

use fragments::FragmentSent;

/// How long after a send its copy on the wire may still be recognised.
pub(super) const WIRE_WINDOW: Duration = Duration::from_secs(10);
/// How close together two sockets see one packet: on one host, microseconds apart.
pub(super) const SAME_MOMENT: Duration = Duration::from_secs(1);
/// How many recent sends and requests are remembered for matching.
pub(super) const REMEMBER: usize = 512;
/// How many bytes of packets each list of them keeps at most (the newest is always
/// kept): 512 of a few KiB fit, so the count decides for everyday traffic, while a
/// stream of jumbo packets (`rawlab read` of 256 KiB records, where the relater holds
/// the only copy) cannot hold hundreds of MiB.
pub(super) const REMEMBER_BYTES: usize = 4 << 20;

/// The last few of something, oldest first, bounded in count and in bytes.
pub(super) struct Recent<T> {
    items: VecDeque<T>,
    pub(super) bytes: usize,
}

/// How many bytes an entry keeps alive.
pub(super) trait Weighed {
    fn weight(&self) -> usize;
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Recent {
            items: VecDeque::new(),
            bytes: 0,
        }
    }
}

impl<T: Weighed> Recent<T> {
    pub(super) fn push(&mut self, item: T) {
        self.push_then(item, |_| {});
    }

    /// Adds `item`, handing each entry it pushes out to `gone`.
    fn push_then(&mut self, item: T, mut gone: impl FnMut(&T)) {
        self.bytes += item.weight();
        self.items.push_back(item);
        while self.items.len() > REMEMBER || (self.bytes > REMEMBER_BYTES && self.items.len() > 1) {
            if let Some(old) = self.items.pop_front() {
                self.bytes -= old.weight();
                gone(&old);
            }
        }
    }

    pub(super) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let bytes = &mut self.bytes;
        self.items.retain(|item| {
            let k = keep(item);
            if !k {
                *bytes -= item.weight();
            }
            k
        });
    }

    pub(super) fn iter(&self) -> std::collections::vec_deque::Iter<'_, T> {
        self.items.iter()
    }
}

impl Weighed for Sent {
    fn weight(&self) -> usize {
        self.packet.bytes.len() + self.after_ip.as_ref().map_or(0, Vec::len)
    }
}

impl Weighed for Request {
    fn weight(&self) -> usize {
        self.packet.bytes.len() + self.dissection.layers.len() * std::mem::size_of::<Layer>()
    }
}

impl Weighed for Quotable {
    fn weight(&self) -> usize {
        self.packet.bytes.len()
    }
}

/// A packet captured lately, as an error that quotes it is compared with it.
pub(super) struct Quotable {
    pub(super) packet: Arc<Packet>,
    /// The send it is a copy of.
    pub(super) sent: Option<u64>,
    /// Its first layer, when that is a complete network layer, read once: an error is
    /// compared with hundreds of these, and taking each apart again made a capture of
    /// errors about packets it does not hold a hundred times slower to read.
    pub(super) net: Option<Net>,
}

pub(super) struct Net {
    proto: &'static Protocol,
    src: u128,
    dst: u128,
    /// Where its payload starts, and the payload's first bytes (up to 8, as many as an
    /// ICMP error quotes at least): most packets are ruled out without reading them.
    payload_at: usize,
    head: [u8; 8],
    head_len: usize,
}

impl Quotable {
    fn new(packet: Arc<Packet>, sent: Option<u64>, d: &Dissection) -> Quotable {
        // An AF_INET6 socket hands over what follows the IPv6 header, and says where
        // it was from and to: the header an error quotes is that one.
        if let Some((src, dst)) = packet.addrs {
            let mut head = [0u8; 8];
            let head_len = packet.bytes.len().min(head.len());
            head[..head_len].copy_from_slice(&packet.bytes[..head_len]);
            let net = Net {
                proto: &ipv6::IPV6,
                src: addr_value(src),
                dst: addr_value(dst),
                payload_at: 0,
                head,
                head_len,
            };
            return Quotable {
                packet,
                sent,
                net: Some(net),
            };
        }
        let net = d.layers.first().and_then(|l| {
            let (src_f, dst_f) = l.proto.addresses?;
            if !l.complete() {
                return None;
            }
            let payload = &packet.bytes[l.hdr_end..];
            let mut head = [0u8; 8];
            let head_len = payload.len().min(head.len());
            head[..head_len].copy_from_slice(&payload[..head_len]);
            Some(Net {
                proto: l.proto,
                src: l.get(&packet.bytes, src_f),
                dst: l.get(&packet.bytes, dst_f),
                payload_at: l.hdr_end,
                head,
                head_len,
            })
        });
        Quotable { packet, sent, net }
    }

    /// Whether this is the packet whose network header (`proto`, `src`, `dst`) an error
    /// quotes, followed by `after`, the start of its payload.
    fn is_quoted(&self, proto: &Protocol, src: u128, dst: u128, after: &[u8]) -> bool {
        let Some(n) = &self.net else { return false };
        let k = after.len().min(n.head.len());
        n.proto == proto
            && n.src == src
            && n.dst == dst
            && n.head_len >= k
            && n.head[..k] == after[..k]
            && self.packet.bytes[n.payload_at..].starts_with(after)
    }
}

pub(super) struct Sent {
    packet: Arc<Packet>,
    mode: Mode,
    /// The destination, and the bytes after the network header rawlab handed over
    /// (None for a frame without IP, compared whole).
    dst: Option<u128>,
    /// What its copy's bytes after the network header will be, checksums zeroed (None
    /// for a frame without IP, compared whole).
    after_ip: Option<Vec<u8>>,
    handed_from: usize,
    /// The sockets that have shown its copy on the wire.
    copied_on: Vec<Arc<str>>,
}

/// The bytes a send puts on the wire after its network header, checksums zeroed, as a
/// copy is compared with them: read as the kernel will have rewritten the header, since
/// Linux writes an IPv4 raw send's ip.len from the bytes it was handed (a pinned one
/// shorter than the buffer would otherwise cut the layers short).
fn after_ip_of(p: &Packet, d: &Dissection, handed_from: usize) -> Option<Vec<u8>> {
    let net = net_layer(d)?;
    let (_, _, upper) = endpoints(p, d)?;
    let from = upper.start.max(handed_from);
    if net.proto == &ipv4::IPV4
        && net.get(&p.bytes, &ipv4::LEN) as usize != p.bytes.len() - net.start
    {
        let mut b = p.bytes.clone();
        let len = (p.bytes.len() - net.start).min(0xffff);
        ipv4::LEN.set(&mut b[net.start..], len as u128);
        let d = dissect(&b, p.first);
        return Some(without_checksums(&b, &d, from..b.len()));
    }
    Some(without_checksums(&p.bytes, d, from..p.bytes.len()))
}

pub(super) struct Request {
    pub(super) packet: Arc<Packet>,
    /// Its layers, kept so a reply is compared without taking the request apart again.
    pub(super) dissection: Dissection,
    pub(super) sent: Option<u64>,
    pub(super) proto: &'static str,
    pub(super) key: u64,
    /// The source and destination, when the request travels in IP.
    pub(super) addrs: Option<(u128, u128)>,
}

/// Recent requests, a list for each protocol (so a stream of UDP datagrams, each a
/// request until answered, does not push an echo request out of mind), and how many
/// of them hold each pairing key: most packets' key is held by none, which is known
/// without a look through the list (a flood of pings has 512 to look through).
#[derive(Default)]
pub(super) struct Requests {
    lists: Vec<(&'static str, Recent<Request>)>,
    pub(super) keys: HashMap<(&'static str, u64), u32>,
}

impl Requests {
    pub(super) fn push(&mut self, r: Request) {
        *self.keys.entry((r.proto, r.key)).or_default() += 1;
        let at = match self.lists.iter().position(|(p, _)| *p == r.proto) {
            Some(i) => i,
            None => {
                self.lists.push((r.proto, Recent::default()));
                self.lists.len() - 1
            }
        };
        let keys = &mut self.keys;
        self.lists[at]
            .1
            .push_then(r, |old| forget_key(keys, (old.proto, old.key)));
    }

    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Request) -> bool) {
        let keys = &mut self.keys;
        for (_, list) in &mut self.lists {
            list.retain(|r| {
                let k = keep(r);
                if !k {
                    forget_key(keys, (r.proto, r.key));
                }
                k
            });
        }
    }

    /// The requests of `proto` holding `key`, newest first.
    fn with_key(&self, proto: &'static str, key: u64) -> impl Iterator<Item = &Request> {
        let held = self
            .keys
            .contains_key(&(proto, key))
            .then(|| self.lists.iter().find(|(p, _)| *p == proto))
            .flatten();
        held.into_iter()
            .flat_map(|(_, l)| l.iter().rev())
            .filter(move |r| r.key == key)
    }

    /// The requests of `proto`, newest first.
    pub(super) fn of(&self, proto: &'static str) -> impl Iterator<Item = &Request> {
        self.lists
            .iter()
            .filter(move |(p, _)| *p == proto)
            .flat_map(|(_, l)| l.iter().rev())
    }
}

fn forget_key(keys: &mut HashMap<(&'static str, u64), u32>, key: (&'static str, u64)) {
    if let Some(n) = keys.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            keys.remove(&key);
        }
    }
}

/// Watches packets go by, in number order, and relates each to earlier ones.
#[derive(Default)]
pub struct Relater {
    /// IPv4 fragments sent lately, for the datagram they make and its reply.
    fragments: VecDeque<FragmentSent>,
    sent: Recent<Sent>,
    pub(super) requests: Requests,
    /// Packets captured lately, for errors that quote them.
    pub(super) captured: Recent<Quotable>,
    /// Frames seen leaving on a loopback interface lately, by interface index, for the
    /// copy that comes back in.
    outgoing: VecDeque<(u32, Arc<Packet>)>,
    /// TCP SYNs seen lately, for the window scale the segments after them count in.
    syns: VecDeque<SynSeen>,
}

/// A SYN (or SYN-ACK), which way it went and the window scale it offered.
struct SynSeen {
    no: u64,
    /// Source and destination address, source and destination port.
    way: (u128, u128, u128, u128),
    /// A SYN-ACK: it carries the option only when the SYN it answers did.
    answer: bool,
    shift: Option<u8>,
}

impl Relater {
    /// Sends whose copies on the wire are no longer looked for (their send has ended).
    pub fn forget_sends(&mut self, nos: &[u64]) {
        self.sent.retain(|s| !nos.contains(&s.packet.no));
    }

    /// What packet `p` is to the packets observed before it; it is remembered for those
    /// after it. Packets are observed in number order.
    pub fn observe(&mut self, p: &Arc<Packet>) -> Vec<Relation> {
        self.observe_dissected(p, &dissect(&p.bytes, p.first))
    }

    /// On lo every frame is seen leaving, then arriving: the second is a twin of the
    /// first, related as it is and adding nothing new. Remembers frames leaving.
    fn twin(&mut self, p: &Arc<Packet>) -> Option<u64> {
        let Origin::Captured {
            link: Some(seen @ LinkSeen { loopback: true, .. }),
            ..
        } = &p.origin
        else {
            return None;
        };
        let recent = |q: &Packet| p.time.duration_since(q.time).unwrap_or_default() < SAME_MOMENT;
        self.outgoing.retain(|(_, q)| recent(q));
        if seen.pkttype == PACKET_OUTGOING {
            push_bounded(&mut self.outgoing, (seen.ifindex, p.clone()));
            return None;
        }
        let i = self
            .outgoing
            .iter()
            .rposition(|(ix, q)| *ix == seen.ifindex && q.bytes == p.bytes)?;
        self.outgoing.remove(i).map(|(_, first)| first.no)
    }

    /// [`Relater::observe`] for a packet its caller has taken apart already
    /// (`d` is `dissect(&p.bytes, p.first)`), to draw it from the same dissection.
    pub fn observe_dissected(&mut self, p: &Arc<Packet>, d: &Dissection) -> Vec<Relation> {
        if let Some(first) = self.twin(p) {
            return vec![Relation::Twin { first }];
        }
        let mut rel = Vec::new();
        let ends = endpoints(p, d);
        let addrs = ends.as_ref().map(|(src, dst, _)| (*src, *dst));
        let sent_no = match &p.origin {
            Origin::Sent {
                mode,
                handed_from,
                dst,
                ..
            } => {
                self.sent.push(Sent {
                    packet: p.clone(),
                    mode: *mode,
                    dst: ends.as_ref().map(|_| addr_value(*dst)),
                    after_ip: ends.as_ref().and_then(|_| after_ip_of(p, d, *handed_from)),
                    handed_from: *handed_from,
                    copied_on: Vec::new(),
                });
                self.note_fragment(p, d);
                Some(p.no)
            }
            Origin::Captured { socket, .. } => {
                let copy = self
                    .copy_of_send(p, d, ends.as_ref(), socket)
                    .or_else(|| self.reassembly_of(p, d));
                copy.map(|(r, no)| {
                    rel.push(r);
                    no
                })
            }
            // A loaded packet is no copy of this session's sends; it may still be a
            // request or a reply to one loaded with it.
            Origin::File { .. } => {
                self.note_fragment(p, d);
                None
            }
        };
        if let Some(e) = self.quoted_by(p, d) {
            rel.push(e);
        }
        if !p.is_sent() {
            self.captured.push(Quotable::new(p.clone(), sent_no, d));
        }
        if let Some(r) = addrs.and_then(|(src, dst)| self.kernel_reset(p, d, src, dst)) {
            rel.push(r);
        }
        rel.extend(self.pair(p, d, addrs, sent_no));
        if let Some(w) = addrs.and_then(|(src, dst)| self.window(p, d, src, dst)) {
            rel.push(Relation::Window(w));
        }
        rel
    }

    /// What a TCP segment's window counts in, from the SYNs of its connection seen
    /// before it (the sender's offers the shift; the other side's must agree). A SYN is
    /// remembered, and its own window, never scaled, is left alone.
    fn window(&mut self, p: &Packet, d: &Dissection, src: u128, dst: u128) -> Option<Window> {
        let l = d
            .layers
            .iter()
            .find(|l| l.proto == &tcp::TCP && l.complete() && !l.quoted)?;
        let h = l.header(&p.bytes);
        let (sport, dport) = (tcp::SRCPORT.get(h), tcp::DSTPORT.get(h));
        if tcp::FLAG_SYN.get(h) == 1 {
            let shift = l
                .items
                .iter()
                .flat_map(|i| &i.fields)
                .find(|f| f.field == &tcp::WSCALE_SHIFT)
                .map(|f| f.get(&p.bytes) as u8);
            push_bounded(
                &mut self.syns,
                SynSeen {
                    no: p.no,
                    way: (src, dst, sport, dport),
                    answer: tcp::FLAG_ACK.get(h) == 1,
                    shift,
                },
            );
            return None;
        }
        let last = |way| self.syns.iter().rev().find(|s| s.way == way);
        let scale = match (
            last((src, dst, sport, dport)),
            last((dst, src, dport, sport)),
        ) {
            (Some(mine), _) if mine.shift.is_none() => Scale::Unscaled {
                syn: mine.no,
                senders: true,
            },
            (_, Some(other)) if other.shift.is_none() => Scale::Unscaled {
                syn: other.no,
                senders: false,
            },
            (None, _) => Scale::Unknown,
            (Some(mine), other) => {
                let shift = mine.shift.unwrap_or_default();
                if mine.answer || other.is_some() {
                    Scale::Agreed {
                        syn: mine.no,
                        shift,
                    }
                } else {
                    Scale::Offered {
                        syn: mine.no,
                        shift,
                    }
                }
            }
        };
        Some(Window {
            layer_start: l.start,
            value: tcp::WINDOW.get(h) as u16,
            scale,
        })
    }

    /// Whether a captured packet is the copy on the wire of a send, and which: each
    /// socket that sees the wire sees each send once (a packet socket and an IP one
    /// both do), so the oldest send this socket has not yet shown is the one, and the
    /// next identical send gets the next copy.
    fn copy_of_send(
        &mut self,
        p: &Arc<Packet>,
        d: &Dissection,
        ends: Option<&(u128, u128, Range<usize>)>,
        socket: &Arc<str>,
    ) -> Option<(Relation, u64)> {
        let i = self.sent.iter().position(|s| {
            !s.copied_on.contains(socket)
                && p.time.duration_since(s.packet.time).unwrap_or_default() < WIRE_WINDOW
                && is_copy(s, p, d, ends)
        })?;
        let s = &mut self.sent.items[i];
        s.copied_on.push(socket.clone());
        let (no, mode) = (s.packet.no, s.mode);
        let changes = changes(&s.packet, p);
        // From now on replies are compared with the copy on the wire.
        self.requests.retain(|r| r.sent != Some(no));
        Some((
            Relation::WireCopy {
                sent: no,
                mode,
                changes,
                fragments: Vec::new(),
            },
            no,
        ))
    }

    /// Pairs a request with its reply, by the layer whose table says how (ICMP's
    /// identifier and sequence, UDP's ports, ARP's addresses): a reply is related to
    /// its request, a request kept for its reply.
    fn pair(
        &mut self,
        p: &Arc<Packet>,
        d: &Dissection,
        addrs: Option<(u128, u128)>,
        sent_no: Option<u64>,
    ) -> Option<Relation> {
        // The layer that pairs requests with replies: ICMP after IP, ARP after Ethernet,
        // past IPv6 extension headers, never inside a quoted packet.
        let (inner, pair) = d
            .layers
            .iter()
            .filter(|l| l.complete() && !l.quoted && l.proto.addresses.is_none())
            .find_map(|l| Some((l, (l.proto.pairing?)(l.header(&p.bytes))?)))?;
        // The reply comes from where the request went, back to where it claimed to
        // come from (anywhere, if the kernel was left to fill the source). Without IP
        // (ARP) the key names both addresses already.
        let answers = |r: &Request| match (r.addrs, addrs) {
            (Some((rs, rd)), Some((src, dst))) => rd == src && (rs == 0 || rs == dst),
            (None, None) => true,
            _ => false,
        };
        // A datagram that answers one gone the other way (UDP's swapped ports), unless
        // it is a copy of this session's own send.
        let answered = pair.reverse.filter(|_| sent_no.is_none()).and_then(|rk| {
            self.requests
                .with_key(inner.proto.name, rk)
                .find(|r| answers(r))
        });
        if let Some(req) = answered {
            return Some(Relation::Reply {
                request: req.packet.no,
                sent: req.sent,
                changes: changes(&req.packet, p),
                fragments: self.fragments_of(req.sent.or(Some(req.packet.no))),
            });
        }
        if pair.is_request {
            // The same request seen a moment before by another socket (a packet socket
            // beside an IP one) belongs to the same send; one seen again by the same
            // socket is a new request.
            let sent = sent_no.or_else(|| {
                // The list is this protocol's; the socket is looked at first, as
                // the cheapest test (every packet of a file has none: a flood of
                // UDP datagrams holding one key made this a walk through 512).
                let mine = socket_of(p);
                self.requests
                    .with_key(inner.proto.name, pair.key)
                    .find(|r| {
                        socket_of(&r.packet) != mine
                            && r.addrs == addrs
                            && p.time.duration_since(r.packet.time).unwrap_or_default()
                                < SAME_MOMENT
                    })
                    .and_then(|r| r.sent)
            });
            self.requests.push(Request {
                packet: p.clone(),
                dissection: d.clone(),
                sent,
                proto: inner.proto.name,
                key: pair.key,
                addrs,
            });
            return None;
        }
        let req = self
            .requests
            .with_key(inner.proto.name, pair.key)
            .find(|r| answers(r))?;
        let fragments = self.fragments_of(req.sent.or(Some(req.packet.no)));
        // A reply to fragments answers the datagram they make: compared with that.
        let changes = match self.reassembled(&req.packet, &fragments) {
            Some(b) => changes_between(&b, &dissect(&b, req.packet.first), &p.bytes, d),
            None => changes_between(&req.packet.bytes, &req.dissection, &p.bytes, d),
        };
        Some(Relation::Reply {
            request: req.packet.no,
            sent: req.sent,
            changes,
            fragments,
        })
    }
}

/// The socket a packet was captured on (None for one sent or loaded).
fn socket_of(p: &Packet) -> Option<&str> {
    match &p.origin {
        Origin::Captured { socket, .. } => Some(socket),
        _ => None,
    }
}

/// Whether captured packet `p` is send `s` as it went on the wire: the same bytes
/// after the network header to the same destination, give or take the checksums the
/// kernel may write (the kernel may rewrite the header, and a raw IP socket sees no
/// link layer); or, for a frame without IP, the same frame (a card may pad it with zeros).
fn is_copy(
    s: &Sent,
    p: &Packet,
    d: &Dissection,
    ends: Option<&(u128, u128, Range<usize>)>,
) -> bool {
    let built = &s.packet.bytes;
    match (&s.after_ip, s.dst, ends) {
        (Some(after), Some(sdst), Some((_, dst, range))) => {
            sdst == *dst && *after == without_checksums(&p.bytes, d, range.clone())
        }
        (None, _, None) => {
            let handed = &built[s.handed_from.min(built.len())..];
            s.packet.first == p.first
                && p.bytes.len() >= handed.len()
                && p.bytes[..handed.len()] == *handed
                && p.bytes[handed.len()..].iter().all(|b| *b == 0)
        }
        _ => false,
    }
}

impl Relater {
    /// A TCP reset travelling the way one of rawlab's SYNs went (same addresses and
    /// ports): this host's TCP refusing the connection the raw socket started.
    fn kernel_reset(&self, p: &Packet, d: &Dissection, src: u128, dst: u128) -> Option<Relation> {
        if p.is_sent() {
            return None;
        }
        let l = d
            .layers
            .iter()
            .find(|l| l.proto == &tcp::TCP && l.complete() && !l.quoted)?;
        let h = l.header(&p.bytes);
        if tcp::FLAG_RESET.get(h) != 1 {
            return None;
        }
        let ports = (tcp::SRCPORT.get(h), tcp::DSTPORT.get(h));
        let syn = self.requests.of(tcp::TCP.name).find(|r| {
            let Some(sent) = r.sent else { return false };
            sent != r.packet.no
                && r.addrs == Some((src, dst))
                && r.dissection.layers.iter().any(|rl| {
                    rl.proto == &tcp::TCP
                        && rl.complete()
                        && (
                            tcp::SRCPORT.get(rl.header(&r.packet.bytes)),
                            tcp::DSTPORT.get(rl.header(&r.packet.bytes)),
                        ) == ports
                })
        })?;
        Some(Relation::Reset {
            syn: syn.packet.no,
            sent: syn.sent?,
        })
    }

    /// The packet an error quotes: a captured one with the same addresses (from the
    /// quoted network layer's table, or from the socket for one that came without its
    /// header) and the same bytes after that header, so a router that lowered the TTL
    /// and fixed the checksum on the way still matches; or else a send of this session
    /// whose copy no socket saw (one that left on a cable, not on lo).
    fn quoted_by(&self, p: &Packet, d: &Dissection) -> Option<Relation> {
        let q = d.layers.iter().find(|l| l.quoted && l.complete())?;
        let (src_f, dst_f) = q.proto.addresses?;
        let after = &p.bytes[q.hdr_end..];
        let (src, dst) = (q.get(&p.bytes, src_f), q.get(&p.bytes, dst_f));
        let quoted = p.bytes.len() - q.start;
        if let Some(about) = self
            .captured
            .iter()
            .rev()
            .find(|c| c.is_quoted(q.proto, src, dst, after))
        {
            return Some(Relation::Error {
                about: about.packet.no,
                sent: about.sent,
                quoted,
                len: about.packet.bytes.len(),
            });
        }
        // A send no socket saw on its way (it left on a cable): the error quotes it.
        let s = self.sent.iter().rev().find(|s| {
            let ds = dissect(&s.packet.bytes, s.packet.first);
            net_layer(&ds).is_some_and(|l| {
                let their_src = l.get(&s.packet.bytes, src_f);
                l.proto == q.proto
                    && l.get(&s.packet.bytes, dst_f) == dst
                    && (their_src == 0 || their_src == src)
                    && sent_as_quoted(s, &s.packet.bytes[l.hdr_end..], after)
            })
        })?;
        Some(Relation::Error {
            about: s.packet.no,
            sent: Some(s.packet.no),
            quoted,
            len: s.packet.bytes.len(),
        })
    }
}

/// Whether what a send carried after its IP header is what an error quotes of it
/// (`after`). In mode kernel over IPv6 the kernel writes the ICMPv6 checksum over the
/// addresses it chose, so that field is the kernel's, not the send's, and is left out.
fn sent_as_quoted(s: &Sent, theirs: &[u8], after: &[u8]) -> bool {
    use crate::wire::icmpv6;
    let kernels = s.mode == crate::net::Mode::Kernel
        && s.packet.first == &crate::wire::ipv6::IPV6
        && after.len() >= icmpv6::CHECKSUM.end_byte();
    if !kernels {
        return theirs.starts_with(after);
    }
    let sum = icmpv6::CHECKSUM.first_byte()..icmpv6::CHECKSUM.end_byte();
    theirs.len() >= after.len()
        && theirs[..after.len()]
            .iter()
            .zip(after)
            .enumerate()
            .all(|(i, (a, b))| sum.contains(&i) || a == b)
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T) {
    if q.len() == REMEMBER {
        q.pop_front();
    }
    q.push_back(item);
}
