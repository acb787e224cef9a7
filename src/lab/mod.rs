//! What one packet says about another — the part that makes rawlab a lab:
//! this capture is that send as the kernel put it on the wire (and here is
//! every field the kernel changed), this reply answers that request (and here
//! is every field that differs). Everything comes from comparing bytes
//! through the protocol tables; nothing is a hard-coded list of fields.

pub mod words;

use crate::capture::{Origin, Packet};
use crate::net::Mode;
use crate::net::counters::Counted;
use crate::net::link::{LinkSeen, PACKET_OUTGOING};
use crate::wire::dissect::{Dissection, Layer, dissect};
use crate::wire::{DATA, Field, Protocol, arp, eth, icmp, ipv4, ipv6, tcp};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// One field that differs between two packets.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: &'static Field,
    /// Where the field's layer starts in the later packet (the payload's start for data).
    pub layer_start: usize,
    /// Its bytes in the later packet.
    pub span: Range<usize>,
    before: Held,
    after: Held,
}

/// What a field held in one packet, put in words only when they are asked for: `read`
/// relates a reply every few packets, and draws only the words of one side.
#[derive(Debug, Clone, PartialEq)]
enum Held {
    /// A fixed field's raw value.
    Value(u128),
    /// Options or data.
    Bytes(Vec<u8>),
}

impl Change {
    /// The field's value in the earlier packet, in words: `0x1cd4`, `8 (echo-request)`,
    /// `c0 de`.
    pub fn before(&self) -> String {
        self.words(&self.before)
    }

    /// The field's value in the later packet, in words.
    pub fn after(&self) -> String {
        self.words(&self.after)
    }

    /// [`Change::before`], appended to `out`.
    pub fn write_before(&self, out: &mut String) {
        match &self.before {
            Held::Value(v) => self.field.write_words(out, *v, self.field.value_name(*v)),
            Held::Bytes(b) => out.push_str(&hex_words(b)),
        }
    }

    fn words(&self, held: &Held) -> String {
        match held {
            Held::Value(v) => self.field.words(*v),
            Held::Bytes(b) => hex_words(b),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// A captured packet is packet `sent` as it went on the wire. In kernel mode the
    /// kernel wrote the whole IP header, and `changes` compare it with the template's.
    WireCopy {
        sent: u64,
        mode: Mode,
        changes: Vec<Change>,
    },
    /// A reply to packet `request` (itself a wire copy of `sent`, when rawlab sent it).
    Reply {
        request: u64,
        sent: Option<u64>,
        changes: Vec<Change>,
    },
    /// An error (ICMP, ICMPv6) about packet `about` (a wire copy of `sent`, when rawlab
    /// sent it), quoting its first `quoted` of `len` bytes.
    Error {
        about: u64,
        sent: Option<u64>,
        quoted: usize,
        len: usize,
    },
    /// This host's kernel resetting a connection started by a SYN (`syn`, a copy of
    /// `sent`) that no socket of its own sent: it came from a raw socket, so when the
    /// SYN-ACK arrives, TCP knows nothing of it and refuses it.
    Reset { syn: u64, sent: u64 },
    /// On a loopback interface, the incoming copy of frame `first`, seen leaving just
    /// before: lo hands every frame straight back.
    Twin { first: u64 },
}

/// Every field whose value differs between `a` and `b`, layer by layer while the
/// two have the same stack, then options and payload.
pub fn changes(a: &Packet, b: &Packet) -> Vec<Change> {
    let (da, db) = (dissect(&a.bytes, a.first), dissect(&b.bytes, b.first));
    changes_between(&a.bytes, &da, &b.bytes, &db)
}

pub fn changes_between(a: &[u8], da: &Dissection, b: &[u8], db: &Dissection) -> Vec<Change> {
    // Room for the kernel's usual answer (ids, checksums, type, ports) without growing.
    let mut out = Vec::with_capacity(8);
    // A frame and the packet it carries (a link-layer capture and a raw IP socket's copy)
    // are compared from the first layer they share.
    let (skip_a, skip_b) = alignment(da, db);
    let (la_all, lb_all) = (&da.layers[skip_a..], &db.layers[skip_b..]);
    let mut same_stack = la_all.len() == lb_all.len();
    for (la, lb) in la_all.iter().zip(lb_all) {
        if la.proto != lb.proto {
            same_stack = false;
            break;
        }
        // On the stack: `read` compares a reply every few packets of a capture, and a
        // table has a few dozen fields (those past the first 64 are looked up afresh).
        let mut in_a = [&DATA; 64];
        let mut n = 0;
        for f in la.fields(a).take(in_a.len()) {
            in_a[n] = f;
            n += 1;
        }
        let present_in_a =
            |f: &Field| in_a[..n].contains(&f) || (n == in_a.len() && la.fields(a).any(|g| g == f));
        for f in lb.fields(b).filter(|f| !f.group && present_in_a(f)) {
            let (va, vb) = (la.get(a, f), lb.get(b, f));
            if va != vb {
                out.push(Change {
                    field: f,
                    layer_start: lb.start,
                    span: lb.span(f),
                    before: Held::Value(va),
                    after: Held::Value(vb),
                });
            }
        }
        let (ta, tb) = (la.tail(), lb.tail());
        let bytes_a = ta.as_ref().map_or(&[][..], |(_, r)| &a[r.clone()]);
        if let Some((f, r)) = tb.clone().or(ta.clone()) {
            let bytes_b = tb.as_ref().map_or(&[][..], |(_, r)| &b[r.clone()]);
            if bytes_a != bytes_b {
                out.push(Change {
                    field: f,
                    layer_start: lb.start,
                    span: r,
                    before: Held::Bytes(bytes_a.to_vec()),
                    after: Held::Bytes(bytes_b.to_vec()),
                });
            }
        }
    }
    if same_stack && a[da.payload.clone()] != b[db.payload.clone()] {
        out.push(Change {
            field: &DATA,
            layer_start: db.payload.start,
            span: db.payload.clone(),
            before: Held::Bytes(a[da.payload.clone()].to_vec()),
            after: Held::Bytes(b[db.payload.clone()].to_vec()),
        });
    }
    out
}

/// How many leading layers to skip in each dissection so both start with the same
/// protocol: (0, 0) when they already do or share none.
fn alignment(da: &Dissection, db: &Dissection) -> (usize, usize) {
    let (Some(fa), Some(fb)) = (da.layers.first(), db.layers.first()) else {
        return (0, 0);
    };
    if fa.proto == fb.proto {
        return (0, 0);
    }
    if let Some(i) = da.layers.iter().position(|l| l.proto == fb.proto) {
        return (i, 0);
    }
    if let Some(j) = db.layers.iter().position(|l| l.proto == fa.proto) {
        return (0, j);
    }
    (0, 0)
}

/// The first complete IPv4 layer of a dissection, wherever it is (first in a packet
/// from an IP socket, after Ethernet in a frame).
pub fn ip_layer(d: &Dissection) -> Option<&Layer> {
    d.layers
        .iter()
        .find(|l| l.proto == &ipv4::IPV4 && l.complete())
}

/// The first complete network layer with addresses (IPv4 or IPv6), wherever it is.
pub fn net_layer(d: &Dissection) -> Option<&Layer> {
    d.layers
        .iter()
        .find(|l| l.proto.addresses.is_some() && l.complete() && !l.quoted)
}

/// An address as the number its field holds (IPv4 in the low 32 bits).
pub fn addr_value(a: std::net::IpAddr) -> u128 {
    match a {
        std::net::IpAddr::V4(v4) => u32::from(v4) as u128,
        std::net::IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Source, destination, and the bytes that follow the network header: from the packet's
/// own network layer, or, for one that came without it (an AF_INET6 raw socket hands
/// over none), from what the socket said.
fn endpoints(p: &Packet, d: &Dissection) -> Option<(u128, u128, Range<usize>)> {
    if let Some(l) = net_layer(d) {
        let (src_f, dst_f) = l.proto.addresses?;
        // From the upper layer on: IPv6's extension headers stay with the kernel, and a
        // raw socket hands over what follows them.
        let upper = d
            .layers
            .iter()
            .find(|u| u.start >= l.hdr_end && !crate::wire::ipv6::is_extension(u.proto))
            .map_or(l.hdr_end, |u| u.start);
        return Some((l.get(&p.bytes, src_f), l.get(&p.bytes, dst_f), upper..l.end));
    }
    let (src, dst) = p.addrs?;
    Some((addr_value(src), addr_value(dst), 0..p.bytes.len()))
}

/// The bytes in `range`, with every checksum field inside zeroed: the kernel may write
/// a checksum on the way (an ICMPv6 one, always), and a layer that came without its IP
/// header cannot say what its checksum should be, but its field is still where it is.
fn without_checksums(bytes: &[u8], d: &Dissection, range: Range<usize>) -> Vec<u8> {
    let from = range.start;
    let mut b = bytes.get(range).unwrap_or_default().to_vec();
    for l in d
        .layers
        .iter()
        .filter(|l| l.complete() && !l.quoted && l.start >= from)
    {
        for f in l.fields(bytes).filter(|f| f.name.ends_with(".checksum")) {
            for i in l.span(f) {
                if let Some(x) = b.get_mut(i - from) {
                    *x = 0;
                }
            }
        }
    }
    b
}

/// Bytes in words, shortened: `c0 de`, `00 01 02 … (40 bytes)`.
pub fn hex_words(b: &[u8]) -> String {
    if b.is_empty() {
        return "(none)".into();
    }
    // Digit by digit: a reply's options are written so every few packets of a capture.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(40);
    for (i, x) in b.iter().take(8).enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push(HEX[usize::from(x >> 4)] as char);
        s.push(HEX[usize::from(x & 15)] as char);
    }
    if b.len() > 8 {
        s.push_str(" … (");
        crate::wire::push_dec(&mut s, b.len() as u128);
        s.push_str(" bytes)");
    }
    s
}

/// How long after a send its copy on the wire may still be recognised.
const WIRE_WINDOW: Duration = Duration::from_secs(10);
/// How close together two sockets see one packet: on one host, microseconds apart.
const SAME_MOMENT: Duration = Duration::from_secs(1);
/// How many recent sends and requests are remembered for matching.
const REMEMBER: usize = 512;
/// How many bytes of packets each list of them keeps at most (the newest is always
/// kept): 512 of a few KiB fit, so the count decides for everyday traffic, while a
/// stream of jumbo packets (`rawlab read` of 256 KiB records, where the relater holds
/// the only copy) cannot hold hundreds of MiB.
const REMEMBER_BYTES: usize = 4 << 20;

/// The last few of something, oldest first, bounded in count and in bytes.
struct Recent<T> {
    items: VecDeque<T>,
    bytes: usize,
}

/// How many bytes an entry keeps alive.
trait Weighed {
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
    fn push(&mut self, item: T) {
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

    fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let bytes = &mut self.bytes;
        self.items.retain(|item| {
            let k = keep(item);
            if !k {
                *bytes -= item.weight();
            }
            k
        });
    }

    fn iter(&self) -> std::collections::vec_deque::Iter<'_, T> {
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
struct Quotable {
    packet: Arc<Packet>,
    /// The send it is a copy of.
    sent: Option<u64>,
    /// Its first layer, when that is a complete network layer, read once: an error is
    /// compared with hundreds of these, and taking each apart again made a capture of
    /// errors about packets it does not hold a hundred times slower to read.
    net: Option<Net>,
}

struct Net {
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

struct Sent {
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

struct Request {
    packet: Arc<Packet>,
    /// Its layers, kept so a reply is compared without taking the request apart again.
    dissection: Dissection,
    sent: Option<u64>,
    proto: &'static str,
    key: u64,
    /// The source and destination, when the request travels in IP.
    addrs: Option<(u128, u128)>,
}

/// Recent requests, and how many of them hold each pairing key: most packets' key is
/// held by none, which is known without a look through the list (a flood of pings
/// Recent requests, a list for each protocol (so a stream of UDP datagrams, each a
/// request until answered, does not push an echo request out of mind), and how many
/// of them hold each pairing key: most packets' key is held by none, which is known
/// without a look through the list (a flood of pings has 512 to look through).
#[derive(Default)]
struct Requests {
    lists: Vec<(&'static str, Recent<Request>)>,
    keys: HashMap<(&'static str, u64), u32>,
}

impl Requests {
    fn push(&mut self, r: Request) {
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

    fn retain(&mut self, mut keep: impl FnMut(&Request) -> bool) {
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
    fn of(&self, proto: &'static str) -> impl Iterator<Item = &Request> {
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
    sent: Recent<Sent>,
    requests: Requests,
    /// Packets captured lately, for errors that quote them.
    captured: Recent<Quotable>,
    /// Frames seen leaving on a loopback interface lately, by interface index, for the
    /// copy that comes back in.
    outgoing: VecDeque<(u32, Arc<Packet>)>,
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
        let mut sent_no = None;
        match &p.origin {
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
                sent_no = Some(p.no);
            }
            Origin::Captured { socket, .. } => {
                // Each socket that sees the wire sees each send once (a packet socket
                // and an IP one both do): the oldest send this socket has not yet shown
                // is the one, so the next identical send gets the next copy.
                let found = self.sent.iter().position(|s| {
                    !s.copied_on.contains(socket)
                        && p.time.duration_since(s.packet.time).unwrap_or_default() < WIRE_WINDOW
                        && is_copy(s, p, d, ends.as_ref())
                });
                if let Some(i) = found {
                    let s = &mut self.sent.items[i];
                    s.copied_on.push(socket.clone());
                    let (no, mode) = (s.packet.no, s.mode);
                    let changes = changes(&s.packet, p);
                    rel.push(Relation::WireCopy {
                        sent: no,
                        mode,
                        changes,
                    });
                    sent_no = Some(no);
                    // From now on replies are compared with the copy on the wire.
                    self.requests.retain(|r| r.sent != Some(no));
                }
            }
            // A loaded packet is no copy of this session's sends; it may still be a
            // request or a reply to one loaded with it.
            Origin::File { .. } => {}
        }
        if let Some(e) = self.quoted_by(p, d) {
            rel.push(e);
        }
        if !p.is_sent() {
            self.captured.push(Quotable::new(p.clone(), sent_no, d));
        }
        if let Some(r) = addrs.and_then(|(src, dst)| self.kernel_reset(p, d, src, dst)) {
            rel.push(r);
        }
        // The layer that pairs requests with replies: ICMP after IP, ARP after Ethernet,
        // past IPv6 extension headers, never inside a quoted packet.
        let Some((inner, pair)) = d
            .layers
            .iter()
            .filter(|l| l.complete() && !l.quoted && l.proto.addresses.is_none())
            .find_map(|l| Some((l, (l.proto.pairing?)(l.header(&p.bytes))?)))
        else {
            return rel;
        };
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
            rel.push(Relation::Reply {
                request: req.packet.no,
                sent: req.sent,
                changes: changes(&req.packet, p),
            });
        } else if pair.is_request {
            // The same request seen a moment before by another socket (a packet socket
            // beside an IP one) belongs to the same send; one seen again by the same
            // socket is a new request.
            let sent = sent_no.or_else(|| {
                self.requests
                    .with_key(inner.proto.name, pair.key)
                    .find(|r| {
                        r.proto == inner.proto.name
                            && r.addrs == addrs
                            && socket_of(&r.packet) != socket_of(p)
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
        } else if let Some(req) = self
            .requests
            .with_key(inner.proto.name, pair.key)
            .find(|r| r.proto == inner.proto.name && answers(r))
        {
            rel.push(Relation::Reply {
                request: req.packet.no,
                sent: req.sent,
                changes: changes_between(&req.packet.bytes, &req.dissection, &p.bytes, d),
            });
        }
        rel
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
                    && s.packet.bytes[l.hdr_end..].starts_with(after)
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

/// What silence is judged against: where the packet went and who could answer.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    pub sandboxed: bool,
    /// The addresses of this network's own interfaces.
    pub local: Vec<Ipv4Addr>,
    /// Hosts on the sandbox's links: (IPv4 address, MAC, interface it is reached on).
    pub peers: Vec<(Ipv4Addr, [u8; 6], String)>,
    /// For a frame: the interface it was handed to.
    pub link: Option<LinkPlace>,
    /// Whether this network's kernel forwards IPv4 (net.ipv4.ip_forward is 1).
    pub forwarding: bool,
    /// What the kernels counted while the send ran.
    pub counted: Evidence,
    /// Asks the kernel for its route from one address to another: the source it would
    /// send from, or why it will not (net::route_from). None in tests, where no kernel
    /// is asked.
    pub route: Option<fn(IpAddr, IpAddr) -> std::io::Result<IpAddr>>,
}

/// What the kernel counted while a send ran (see [`crate::net::counters`]): in this
/// network namespace and in the sandbox peer's, the two kernels a packet can reach.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub here: Option<Counted>,
    pub peer: Option<Counted>,
}

impl Evidence {
    /// How much `table name` moved in either kernel.
    pub fn by(&self, table: &str, name: &str) -> i64 {
        [&self.here, &self.peer]
            .iter()
            .filter_map(|c| c.as_ref())
            .map(|c| c.by(table, name))
            .sum()
    }

    /// `Icmp InCsumErrors +1` (`the peer's Icmp InEchoReps +1` when it was the peer's
    /// kernel), when the counter moved.
    pub fn cite(&self, table: &str, name: &str) -> Option<String> {
        let here = self.here.as_ref().map_or(0, |c| c.by(table, name));
        let peer = self.peer.as_ref().map_or(0, |c| c.by(table, name));
        match (here, peer) {
            (0, 0) => None,
            (h, 0) => Some(format!("{table} {name} {h:+}")),
            (0, p) => Some(format!("the peer's {table} {name} {p:+}")),
            (h, p) => Some(format!("{table} {name} {h:+}, the peer's {p:+}")),
        }
    }

    /// Whether this namespace's counters could be read at all.
    pub fn known(&self) -> bool {
        self.here.is_some()
    }

    /// Whether either kernel counted something coming in for `table`.
    fn counted_in(&self, table: &str) -> bool {
        [&self.here, &self.peer]
            .iter()
            .filter_map(|c| c.as_ref())
            .any(|c| c.counted_in(table))
    }

    /// What the counters say of "this layer's checksum is wrong".
    fn checksum(&self, proto: &crate::wire::Protocol, v6: bool) -> Verdict {
        let (table, good) = match proto.name {
            "icmp" => (
                "Icmp",
                self.by("Icmp", "InMsgs") - self.by("Icmp", "InErrors"),
            ),
            "icmpv6" => (
                "Icmp6",
                self.by("Icmp6", "InMsgs") - self.by("Icmp6", "InErrors"),
            ),
            "tcp" => ("Tcp", self.by("Tcp", "InSegs") - self.by("Tcp", "InErrs")),
            "udp" => {
                let t = if v6 { "Udp6" } else { "Udp" };
                (t, self.by(t, "InDatagrams") + self.by(t, "NoPorts"))
            }
            // An IPv4 header's checksum: IP counts it in IpExt.
            "ip" => ("IpExt", self.by("Ip", "InDelivers")),
            _ => return Verdict::Unknown,
        };
        if let Some(c) = self.cite(table, "InCsumErrors") {
            Verdict::Counted(c)
        } else if !self.known() {
            Verdict::Unknown
        } else if good > 0 {
            // It arrived and its checksum passed: whatever rawlab computed, it is not why.
            Verdict::Contradicted
        } else if !self.counted_in(if table == "IpExt" { "Ip" } else { table }) {
            Verdict::NotReached(table)
        } else {
            Verdict::Unknown
        }
    }
}

/// How the counters bear on one explanation.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// The counter that says so moved: here it is, cited.
    Counted(String),
    /// The kernel counted the opposite: the explanation is not printed.
    Contradicted,
    /// Nothing of that table counted anything coming in: the packet never got there.
    NotReached(&'static str),
    /// The counters do not say (or could not be read).
    Unknown,
}

/// The interface a frame went out on, and the hosts known to be on its link.
#[derive(Debug, Clone, Default)]
pub struct LinkPlace {
    pub iface: String,
    pub loopback: bool,
    /// (IPv4 address, MAC): the sandbox's peer, the kernel's neighbour table.
    pub neighbours: Vec<(Ipv4Addr, [u8; 6])>,
}

/// Why a request may have earned no reply, from evidence in the bytes rawlab
/// handed to the kernel and in the system's settings. Most likely first.
pub fn silence_reasons(
    built: &[u8],
    first: &'static crate::wire::Protocol,
    dst: std::net::IpAddr,
    around: &Surroundings,
) -> Vec<String> {
    let mut why = Vec::new();
    let d = dissect(built, first);
    let dst4 = match dst {
        std::net::IpAddr::V4(a) => a,
        std::net::IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    };
    if first == &eth::ETH {
        why.extend(frame_reasons(built, &d, around));
    }
    if let Some(l) = d
        .layers
        .iter()
        .find(|l| l.proto == &arp::ARP && l.complete())
    {
        why.extend(arp_reasons(&built[l.start..l.hdr_end], around));
    }
    match (ip_layer(&d), net_layer(&d)) {
        (Some(ip), _) => why.extend(ip_reasons(built, &d, ip, dst4, around)),
        (None, Some(net)) => why.extend(net_reasons(built, &d, net, dst, around)),
        (None, None) if first.addresses.is_some() => {
            return vec![format!(
                "the packet is shorter than an {} header",
                first.title
            )];
        }
        (None, None) => {}
    }
    if why.is_empty() {
        why.push("nothing in the packet explains it; a firewall rule (nft list ruleset) may drop it, or the timeout may be too short (set timeout 2s)".into());
    }
    why
}

/// What in an Ethernet header keeps a frame from its receiver.
fn frame_reasons(built: &[u8], d: &Dissection, around: &Surroundings) -> Vec<String> {
    let mut why = Vec::new();
    let Some(e) = d.layers.first().filter(|l| l.complete()) else {
        return vec!["the frame is shorter than an Ethernet header (14 bytes)".into()];
    };
    let ty = e.get(built, &eth::TYPE);
    if d.layers.len() == 1 {
        why.push(format!(
            "eth.type is {}: the receiving kernel has no protocol for it, so the payload goes to nobody",
            eth::TYPE.words(ty)
        ));
    }
    let Some(link) = &around.link else {
        return why;
    };
    let mac = e.get(built, &eth::DST);
    if eth::is_group(mac) {
        return why;
    }
    // Who should get it: the owner of the IPv4 destination, or of the address ARP asks about.
    let target = ip_layer(d)
        .map(|l| l.get(built, &ipv4::DST))
        .or_else(|| {
            d.layers
                .iter()
                .find(|l| l.proto == &arp::ARP && l.complete())
                .map(|l| l.get(built, &arp::DST_PROTO))
        })
        .map(|a| Ipv4Addr::from(a as u32));
    let words = eth::DST.words(mac);
    if link.loopback {
        if mac != 0 {
            why.push(format!(
                "eth.dst is {words}, but lo's address is 00:00:00:00:00:00: the kernel marks a frame to any other MAC PACKET_OTHERHOST (for another host) and drops it before IP sees it; use 00:00:00:00:00:00 or broadcast"
            ));
        }
        return why;
    }
    let owner = target.and_then(|t| {
        link.neighbours
            .iter()
            .find(|(a, _)| *a == t)
            .map(|(a, m)| (*a, *m))
    });
    match owner {
        Some((addr, m)) if crate::wire::template::mac_raw(m) != mac => why.push(format!(
            "eth.dst is {words}, but {addr} is at {}: a network card keeps only frames addressed to its own MAC (or broadcast), so {addr}'s card drops this one — its kernel marks it PACKET_OTHERHOST — before IP sees it. The MAC comes from an ARP reply: `new eth/arp` asks for it",
            crate::wire::mac_words(crate::wire::template::mac_raw(m))
        )),
        Some(_) => {}
        None if !link.neighbours.iter().any(|(_, m)| crate::wire::template::mac_raw(*m) == mac) => {
            why.push(format!(
                "eth.dst is {words}, and no host rawlab knows of on {} has that MAC: a card drops a frame addressed to another MAC before IP sees it",
                link.iface
            ))
        }
        None => {}
    }
    why
}

/// What in an ARP message keeps it unanswered.
fn arp_reasons(msg: &[u8], around: &Surroundings) -> Vec<String> {
    let mut why = arp::unanswerable(msg);
    if let Some(link) = &around.link {
        if link.loopback {
            why.push("lo is NOARP: it has no neighbours to ask, and Linux drops every ARP message that arrives on it".into());
            return why;
        }
        let asked = Ipv4Addr::from(arp::DST_PROTO.get(msg) as u32);
        if !link.neighbours.iter().any(|(a, _)| *a == asked) && !around.local.contains(&asked) {
            let known: Vec<String> = link.neighbours.iter().map(|(a, _)| a.to_string()).collect();
            why.push(if known.is_empty() {
                format!("arp.dst.proto_ipv4 is {asked}: no host rawlab knows of on {} has it, and only the owner answers", link.iface)
            } else {
                format!(
                    "arp.dst.proto_ipv4 is {asked}: nobody on {}'s link has that address (it holds {}), and only the owner answers",
                    link.iface,
                    known.join(", ")
                )
            });
        }
    }
    why
}

/// What in an IPv4 header (and the layers it carries) keeps a packet unanswered.
fn ip_reasons(
    built: &[u8],
    d: &Dissection,
    ip: &Layer,
    dst: Ipv4Addr,
    around: &Surroundings,
) -> Vec<String> {
    let mut why = Vec::new();
    let in_frame = ip.start > 0;
    let get = |f: &Field| ip.get(built, f);
    let hdr_errors = around
        .counted
        .cite("Ip", "InHdrErrors")
        .map_or(String::new(), |c| format!(" (it counted {c})"));
    if get(&ipv4::VERSION) != 4 {
        why.push(format!(
            "ip.version is {}: a receiving kernel drops anything that is not version 4{hdr_errors}",
            get(&ipv4::VERSION)
        ));
    }
    let ihl = get(&ipv4::HDR_LEN);
    if ihl < 5 {
        why.push(format!(
            "ip.hdr_len is {} bytes: below 20, the receiver discards the header{hdr_errors}",
            ihl * 4
        ));
    }
    let fragment = get(&ipv4::FLAG_MF) == 1 || get(&ipv4::FRAG_OFFSET) != 0;
    if fragment {
        why.push(fragment_words(
            get(&ipv4::FLAG_MF) == 1,
            get(&ipv4::FRAG_OFFSET) * 8,
            false,
            &around.counted,
        ));
    }
    let layers = d
        .layers
        .iter()
        .enumerate()
        .skip_while(|(_, l)| l.start != ip.start);
    for (k, (i, l)) in layers
        .enumerate()
        .filter(|(_, (_, l))| l.complete() && !l.quoted)
    {
        // A fragment's checksums cover the whole datagram, which never arrives: the
        // kernel judges none of them (and rawlab's sum over one piece means nothing).
        if fragment && k > 0 {
            break;
        }
        if k > 0 {
            let proto = get(&ipv4::PROTO);
            if l.proto.id_under(&ipv4::IPV4).is_some_and(|p| p != proto) {
                why.push(format!(
                    "ip.proto says {}, so the receiver does not read the {} header you built",
                    ipv4::PROTO.words(proto),
                    l.proto.title
                ));
            }
        }
        for e in (l.proto.expected)(&d.scope(i, built)) {
            let (f, want) = (e.field, e.want);
            let verdict = around.counted.checksum(l.proto, false);
            // A checksum over the pseudo-header covers the source the kernel fills in later.
            if e.offloaded.is_some() && get(&ipv4::SRC) == 0 && !in_frame {
                why.extend(checksum_words(
                    &format!(
                        "ip.src is unset, left for the kernel to fill, but {} covers the source address: rawlab computed it over zeros, the kernel then wrote the real source",
                        f.name
                    ),
                    ". Set ip.src (the loopback address on lo)",
                    l.proto,
                    &verdict,
                ));
            }
            let have = l.get(built, f);
            // On a raw IP socket the kernel rewrites the IP checksum, so only in a frame
            // does a wrong one reach the receiver.
            if have != want && (in_frame || l.start != ip.start) {
                why.extend(checksum_words(
                    &format!(
                        "{} is {}, but the bytes add up to {}",
                        f.name,
                        f.words(have),
                        f.words(want)
                    ),
                    "",
                    l.proto,
                    &verdict,
                ));
            }
        }
    }
    let src = Ipv4Addr::from(get(&ipv4::SRC) as u32);
    if src.is_unspecified() && in_frame {
        why.push("ip.src is 0.0.0.0: inside a frame no kernel fills it, and a receiver drops a packet from 0.0.0.0 (a martian source)".into());
    } else if !src.is_unspecified() && !src.is_loopback() && !around.local.contains(&src) {
        let echo = d
            .layers
            .iter()
            .any(|l| l.proto == &icmp::ICMP && l.complete() && l.get(built, &icmp::TYPE) == 8);
        // The kernel answers from the address the packet was sent to.
        let to = if in_frame {
            Ipv4Addr::from(get(&ipv4::DST) as u32)
        } else {
            dst
        };
        why.push(elsewhere_words(
            "ip.src",
            src.into(),
            to.into(),
            echo.then_some(("Icmp", "InEchos", "OutEchoReps", "InEchoReps")),
            around,
        ));
    }
    let dst = if in_frame {
        Ipv4Addr::from(get(&ipv4::DST) as u32)
    } else {
        dst
    };
    let peer_addrs: Vec<String> = around.peers.iter().map(|(a, _, _)| a.to_string()).collect();
    let at_peer = around.peers.iter().any(|(a, _, _)| *a == dst);
    // A frame injected on lo arrives without the route a locally sent packet carries,
    // so the kernel routes it as if it came from outside the host.
    let sysctl = |name: &str| {
        ["all", "lo"].iter().any(|dev| {
            std::fs::read_to_string(format!("/proc/sys/net/ipv4/conf/{dev}/{name}"))
                .is_ok_and(|v| v.trim() == "1")
        })
    };
    if around.link.as_ref().is_some_and(|l| l.loopback) {
        if dst.is_loopback() && !sysctl("route_localnet") {
            why.push(format!(
                "ip.dst is {dst}: a frame handed to lo through AF_PACKET arrives without the route a packet the host sends itself carries, so the kernel routes it as if from outside, and 127.0.0.0/8 from outside is martian (net.ipv4.conf.lo.route_localnet is 0): dropped. The sandbox's peer answers frames: `mode link veth0`"
            ));
        }
        if around.local.contains(&src) && !sysctl("accept_local") {
            why.push(format!(
                "ip.src is {src}, this host's own address: arriving from outside, the kernel takes it for a forgery and drops it (net.ipv4.conf.lo.accept_local is 0)"
            ));
        }
    }
    match &around.link {
        Some(link) if link.loopback && !dst.is_loopback() && !around.local.contains(&dst) => {
            why.push(if around.forwarding {
                format!(
                    "ip.dst is {dst}, not an address of this host, and this host forwards (net.ipv4.ip_forward is 1): the kernel takes a frame on lo in as if it had arrived from outside and routes it on towards {dst}, so any answer comes from there, not from this kernel"
                )
            } else {
                format!(
                    "ip.dst is {dst}, not an address of this host: a frame on lo reaches only this kernel, which does not forward (net.ipv4.ip_forward is 0) and drops a packet for someone else"
                )
            })
        }
        Some(link) if !link.loopback && around.local.contains(&dst) => why.push(format!(
            "ip.dst is {dst}, this host's own address: a frame handed to {} leaves on the cable and only the host at its far end sees it",
            link.iface
        )),
        Some(link)
            if !link.loopback && !link.neighbours.iter().any(|(a, _)| *a == dst) && around.sandboxed =>
        {
            why.push(format!(
                "ip.dst is {dst}: the host on {}'s far end is {} and does not forward, so it drops a packet for anyone else",
                link.iface,
                peer_addrs.join(", ")
            ))
        }
        Some(_) => {}
        None if dst.is_loopback() || at_peer || around.local.contains(&dst) => {}
        None => why.push(if around.sandboxed {
            if peer_addrs.is_empty() {
                format!("{dst} is not in the sandbox: it holds only loopback (127.0.0.0/8)")
            } else {
                format!(
                    "{dst} is not in the sandbox: it holds loopback (127.0.0.0/8) and the peer {}",
                    peer_addrs.join(", ")
                )
            }
        } else {
            format!("{dst} may not be answering, or a firewall between may drop the request")
        }),
    }
    let asks_echo = d
        .layers
        .iter()
        .any(|l| l.proto == &icmp::ICMP && l.complete() && l.get(built, &icmp::TYPE) == 8);
    if asks_echo
        && std::fs::read_to_string("/proc/sys/net/ipv4/icmp_echo_ignore_all")
            .is_ok_and(|s| s.trim() == "1")
    {
        why.push(
            "net.ipv4.icmp_echo_ignore_all is 1: this kernel ignores every echo request".into(),
        );
    }
    why
}

/// What in a network layer other than IPv4 (IPv6), and the layers it carries, keeps a
/// packet unanswered: checksums, a source that is not this host, a destination outside.
fn net_reasons(
    built: &[u8],
    d: &Dissection,
    net: &Layer,
    dst: std::net::IpAddr,
    around: &Surroundings,
) -> Vec<String> {
    let mut why = Vec::new();
    let Some((src_f, _)) = net.proto.addresses else {
        return why;
    };
    let src = net.get(built, src_f);
    let v6 = net.proto == &ipv6::IPV6;
    let inner = || {
        d.layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.start > net.start && l.complete() && !l.quoted)
    };
    // A fragment header that is not a whole datagram: held for the rest, and nothing it
    // carries is judged before then (its checksums cover the whole datagram).
    let fragment = inner().find_map(|(_, l)| {
        let (more, offset) = (
            l.get(built, &ipv6::FRAG_MORE),
            l.get(built, &ipv6::FRAG_OFFSET),
        );
        (l.proto == &ipv6::FRAGMENT && (more == 1 || offset != 0)).then_some((more, offset))
    });
    if let Some((more, offset)) = fragment {
        why.push(fragment_words(more == 1, offset * 8, true, &around.counted));
    }
    for (i, l) in inner().take_while(|(_, l)| fragment.is_none() || l.proto != &ipv6::FRAGMENT) {
        if l.proto == &ipv6::ROUTING && l.get(built, &ipv6::RT_TYPE) == 4 {
            why.extend(segment_routing_words(dst, &around.counted));
        }
        let verdict = around.counted.checksum(l.proto, v6);
        for e in (l.proto.expected)(&d.scope(i, built)) {
            let have = l.get(built, e.field);
            if e.offloaded.is_some() && src == 0 {
                why.extend(checksum_words(
                    &format!(
                        "{} is unset, but {} covers the source address: rawlab computed it over zeros",
                        src_f.name, e.field.name
                    ),
                    &format!(". Set {} (::1 on lo)", src_f.name),
                    l.proto,
                    &verdict,
                ));
            } else if have != e.want {
                why.extend(checksum_words(
                    &format!(
                        "{} is {}, but the bytes add up to {}",
                        e.field.name,
                        e.field.words(have),
                        e.field.words(e.want)
                    ),
                    "",
                    l.proto,
                    &verdict,
                ));
            }
        }
    }
    if src != 0 && src != 1 {
        let echo = inner().any(|(_, l)| {
            l.proto == &crate::wire::icmpv6::ICMPV6
                && l.get(built, &crate::wire::icmpv6::TYPE) == 128
        });
        let addr = std::net::IpAddr::V6(std::net::Ipv6Addr::from(src));
        why.push(elsewhere_words(
            src_f.name,
            addr,
            dst,
            echo.then_some(("Icmp6", "InEchos", "OutEchoReplies", "InEchoReplies")),
            around,
        ));
    }
    if !dst.is_loopback() {
        why.push(if around.sandboxed {
            format!("{dst} is not in the sandbox, which holds loopback (::1) and its peer's IPv4 addresses")
        } else {
            format!("{dst} may not be answering, or a firewall between may drop the request")
        });
    }
    why
}

/// A wrong checksum, judged by the counters: `what` is wrong (and `fix` says what to
/// do); the kernel counted it dropped, or counted the message good (then it is not why,
/// and nothing is said), or never saw it get that far.
fn checksum_words(
    what: &str,
    fix: &str,
    proto: &crate::wire::Protocol,
    verdict: &Verdict,
) -> Option<String> {
    Some(match verdict {
        Verdict::Counted(c) => format!(
            "{what}: the receiving kernel dropped it as corrupt without a word, and counted it ({c}){fix}"
        ),
        Verdict::Contradicted => return None,
        Verdict::NotReached(table) => format!(
            "{what}, though that is not what stopped this one: no {table} counter moved on the way in, so it was dropped before {} looked{fix}",
            proto.title
        ),
        Verdict::Unknown => format!(
            "{what}: the receiving kernel drops a message with a wrong checksum without a word{fix}"
        ),
    })
}

/// A sysctl's value, trimmed (None when it cannot be read).
fn sysctl(path: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/sys/{path}"))
        .ok()
        .map(|v| v.trim().to_string())
}

/// A fragment that is not a whole datagram: what the kernel does with it, and what it
/// counted. Its checksums cover the reassembled datagram, so none is judged.
fn fragment_words(more: bool, offset: u128, v6: bool, ev: &Evidence) -> String {
    let (table, knob, default) = if v6 {
        ("Ip6", "net.ipv6.ip6frag_time", 60)
    } else {
        ("Ip", "net.ipv4.ipfrag_time", 30)
    };
    let secs = sysctl(&knob.replace('.', "/"))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(default);
    let what = match (more, offset) {
        (true, 0) => "the first fragment of a datagram (more fragments set, offset 0)".to_string(),
        (true, o) => format!("a fragment from byte {o}, with more to follow"),
        (false, o) => format!("the last fragment of a datagram (from byte {o})"),
    };
    let counted = match ev.cite(table, "ReasmReqds") {
        Some(c) => format!(" (it counted {c})"),
        None if ev.known() => {
            format!(", though it counted no fragment arriving ({table} ReasmReqds did not move)")
        }
        None => String::new(),
    };
    let ended = match (ev.cite(table, "ReasmTimeout"), ev.cite(table, "ReasmFails")) {
        (Some(t), Some(f)) => format!(": it did, counting {t} and {f}"),
        _ => format!(
            ", counting {table} ReasmTimeout and ReasmFails then (set timeout {}s to see them)",
            secs + 1
        ),
    };
    format!(
        "this is {what}: the receiving kernel holds it until the rest of the datagram arrives{counted}, and looks at nothing it carries before then, since the checksums inside cover the whole datagram. The rest never comes, so after {knob} ({secs} s) the kernel drops the incomplete datagram{ended}"
    )
}

/// A segment routing header (type 4): Linux processes one only when seg6_enabled is
/// 1 both for all interfaces and for the one it arrives on (seen on 6.18: with either
/// at 0 the echo inside goes unanswered), and drops it otherwise, counting no drop.
fn segment_routing_words(dst: std::net::IpAddr, ev: &Evidence) -> Option<String> {
    let dev = if dst.is_loopback() { "lo" } else { "default" };
    let read = |d: &str| sysctl(&format!("net/ipv6/conf/{d}/seg6_enabled"));
    let (all, on) = (read("all")?, read(dev)?);
    if all != "0" && on != "0" {
        return None;
    }
    let counted = ["InDiscards", "InHdrErrors"]
        .iter()
        .find_map(|n| ev.cite("Ip6", n))
        .map_or(String::new(), |c| format!(" (it counted {c})"));
    Some(format!(
        "ipv6.routing.type is 4, a segment routing header (RFC 8754): Linux processes one only when net.ipv6.conf.all.seg6_enabled and the receiving interface's are both 1, and here all is {all} and {dev} is {on}, so the kernel drops the packet at that header{counted}. `set ipv6.routing.type 0` (segments left 0) is processed and answered"
    ))
}

/// A source address that is not this host's: whoever answers, answers there. What
/// the kernel counted says whether it answered, and its route says where that went.
/// `echo` names the counters of an echo request for the family: (table, request in,
/// reply out, reply in).
fn elsewhere_words(
    field: &str,
    src: IpAddr,
    from: IpAddr,
    echo: Option<(&str, &str, &str, &str)>,
    around: &Surroundings,
) -> String {
    let ev = &around.counted;
    let peer = around
        .peers
        .iter()
        .find(|(a, _, _)| std::net::IpAddr::V4(*a) == src);
    let route = around.route.map(|r| r(from, src));
    // A loopback address may not leave lo (the kernel refuses such a route with
    // EINVAL): say so when that is what it refused.
    let refused = |e: &std::io::Error| {
        if from.is_loopback() && e.raw_os_error() == Some(libc::EINVAL) {
            format!(
                "asked for a route from {from} to {src}, the kernel refuses it, saying \"{e}\": a packet from a loopback address may not leave lo"
            )
        } else {
            format!("asked for a route from {from} to {src}, the kernel says \"{e}\"")
        }
    };
    let whither = match (peer, &route) {
        (_, Some(Err(e))) => format!("{}, so it goes nowhere", refused(e)),
        (Some((a, _, iface)), _) => {
            // The peer's own count of the answer it was sent.
            let got = echo
                .zip(ev.peer.as_ref())
                .map(|((t, _, _, reply_in), p)| (t, reply_in, p.by(t, reply_in)))
                .filter(|(_, _, by)| *by != 0)
                .map_or(String::new(), |(t, n, by)| {
                    format!(" (the peer's {t} {n} {by:+})")
                });
            format!(
                "the answer goes out on {iface} to the sandbox's peer {a}{got}, which asked for nothing"
            )
        }
        (None, Some(Ok(via))) => format!("the kernel routes it to {src} from {via}, away from you"),
        (None, None) => String::new(),
    };
    let sep = if whither.is_empty() { "" } else { ": " };
    if let Some((t, req_in, reply_out, _)) = echo
        && ev.known()
    {
        match (ev.cite(t, req_in), ev.cite(t, reply_out)) {
            (Some(i), Some(o)) => {
                return format!(
                    "{field} is {src}: the kernel took the echo request in and answered it ({i}, {o}), but to {src}, not to you{sep}{whither}"
                );
            }
            (Some(i), None) => {
                let why = match &route {
                    Some(Err(e)) => format!(": {}", refused(e)),
                    _ => String::new(),
                };
                return format!(
                    "{field} is {src}: the kernel took the echo request in ({i}) but sent no reply{why}"
                );
            }
            _ => {}
        }
    }
    format!("{field} is {src}: the kernel answers that address, not you{sep}{whither}")
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T) {
    if q.len() == REMEMBER {
        q.pop_front();
    }
    q.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    const BUILT: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
    ];
    const WIRE: [u8; 30] = crate::wire::POST_ON_THE_WIRE;
    const REPLY: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd5, 0x00, 0x00, 0x40, 0x01, 0x60, 0x08, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x3f, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
    ];

    fn packet(no: u64, bytes: &[u8], origin: Origin) -> Arc<Packet> {
        Arc::new(Packet {
            no,
            time: SystemTime::now(),
            bytes: bytes.to_vec(),
            first: &ipv4::IPV4,
            origin,
            addrs: None,
            read: None,
            related: Default::default(),
        })
    }

    fn captured() -> Origin {
        Origin::Captured {
            socket: "raw icmp".into(),
            link: None,
        }
    }

    /// The post's exchange: the kernel fills id, checksum and source; the reply differs
    /// from the request in id, checksum, type and ICMP checksum.
    #[test]
    fn the_posts_exchange() {
        let mut r = Relater::default();
        let sent = Origin::Sent {
            mode: Mode::Raw,
            handed_from: 0,
            dst: Ipv4Addr::LOCALHOST.into(),
            iface: None,
        };
        assert!(r.observe(&packet(1, &BUILT, sent)).is_empty());
        let wire = r.observe(&packet(2, &WIRE, captured()));
        let Relation::WireCopy {
            sent: 1, changes, ..
        } = &wire[0]
        else {
            panic!("{wire:?}")
        };
        let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
        assert_eq!(names, ["ip.id", "ip.checksum", "ip.src"]);
        assert_eq!(
            (changes[0].before().as_str(), changes[0].after().as_str()),
            ("0x0000", "0x1cd4")
        );

        let reply = r.observe(&packet(3, &REPLY, captured()));
        let Relation::Reply {
            request: 2,
            sent: Some(1),
            changes,
        } = &reply[0]
        else {
            panic!("{reply:?}")
        };
        let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
        assert_eq!(
            names,
            ["ip.id", "ip.checksum", "icmp.type", "icmp.checksum"]
        );
        assert_eq!(changes[2].span, 20..21);
        assert_eq!(changes[2].after(), icmp::TYPE.words(0));
    }

    #[test]
    fn each_send_claims_one_copy() {
        let mut r = Relater::default();
        let sent = || Origin::Sent {
            mode: Mode::Raw,
            handed_from: 0,
            dst: Ipv4Addr::LOCALHOST.into(),
            iface: None,
        };
        r.observe(&packet(1, &BUILT, sent()));
        r.observe(&packet(2, &BUILT, sent()));
        let a = r.observe(&packet(3, &WIRE, captured()));
        let b = r.observe(&packet(4, &WIRE, captured()));
        let c = r.observe(&packet(5, &WIRE, captured()));
        assert!(matches!(a[0], Relation::WireCopy { sent: 1, .. }));
        assert!(matches!(b[0], Relation::WireCopy { sent: 2, .. }));
        assert!(c.is_empty(), "a third copy is someone else's: {c:?}");
    }

    fn sent_raw() -> Origin {
        Origin::Sent {
            mode: Mode::Raw,
            handed_from: 0,
            dst: Ipv4Addr::LOCALHOST.into(),
            iface: None,
        }
    }

    #[test]
    fn a_pinned_length_still_yields_the_copy() {
        let mut r = Relater::default();
        let mut short = BUILT;
        short[3] = 20;
        r.observe(&packet(1, &short, sent_raw()));
        let wire = r.observe(&packet(2, &WIRE, captured()));
        let Relation::WireCopy {
            sent: 1, changes, ..
        } = &wire[0]
        else {
            panic!("{wire:?}")
        };
        assert_eq!(changes[0].field.name, "ip.len");
        let reply = r.observe(&packet(3, &REPLY, captured()));
        assert!(
            matches!(
                reply[0],
                Relation::Reply {
                    request: 2,
                    sent: Some(1),
                    ..
                }
            ),
            "{reply:?}"
        );
    }

    #[test]
    fn two_sends_in_flight_with_foreign_traffic_between() {
        let mut r = Relater::default();
        let mut second = BUILT;
        second[26] = 0; // icmp.seq 1: another exchange
        second[27] = 1;
        let mut second_wire = WIRE;
        second_wire[26..28].copy_from_slice(&[0, 1]);
        let mut second_reply = REPLY;
        second_reply[26..28].copy_from_slice(&[0, 1]);
        let mut theirs = WIRE;
        theirs[24..26].copy_from_slice(&[0x77, 0x77]); // another identifier
        r.observe(&packet(1, &BUILT, sent_raw()));
        r.observe(&packet(2, &second, sent_raw()));
        assert!(r.observe(&packet(3, &theirs, captured())).is_empty());
        // The second's copy comes first: each copy still finds its own send.
        let b = r.observe(&packet(4, &second_wire, captured()));
        let a = r.observe(&packet(5, &WIRE, captured()));
        assert!(matches!(b[0], Relation::WireCopy { sent: 2, .. }), "{b:?}");
        assert!(matches!(a[0], Relation::WireCopy { sent: 1, .. }), "{a:?}");
        let ra = r.observe(&packet(6, &REPLY, captured()));
        let rb = r.observe(&packet(7, &second_reply, captured()));
        assert!(
            matches!(
                ra[0],
                Relation::Reply {
                    request: 5,
                    sent: Some(1),
                    ..
                }
            ),
            "{ra:?}"
        );
        assert!(
            matches!(
                rb[0],
                Relation::Reply {
                    request: 4,
                    sent: Some(2),
                    ..
                }
            ),
            "{rb:?}"
        );
    }

    #[test]
    fn a_send_whose_copy_never_came_does_not_claim_the_next_ones() {
        let mut r = Relater::default();
        r.observe(&packet(1, &BUILT, sent_raw()));
        r.forget_sends(&[1]);
        r.observe(&packet(2, &BUILT, sent_raw()));
        let w = r.observe(&packet(3, &WIRE, captured()));
        assert!(matches!(w[0], Relation::WireCopy { sent: 2, .. }), "{w:?}");
        // Seen again by the same socket, a request is a new one, not the old send's.
        let again = r.observe(&packet(4, &WIRE, captured()));
        assert!(again.is_empty(), "{again:?}");
        let reply = r.observe(&packet(5, &REPLY, captured()));
        assert!(
            matches!(
                reply[0],
                Relation::Reply {
                    request: 4,
                    sent: None,
                    ..
                }
            ),
            "{reply:?}"
        );
    }

    /// An IPv4 UDP datagram from port `from` to port `to` on 127.0.0.1.
    fn datagram(from: u16, to: u16) -> Vec<u8> {
        let mut b = BUILT[..20].to_vec();
        b[3] = 28;
        b[9] = 17;
        b[12..16].copy_from_slice(&[127, 0, 0, 1]);
        b.extend(from.to_be_bytes());
        b.extend(to.to_be_bytes());
        b.extend([0, 8, 0, 0]);
        b
    }

    #[test]
    fn a_udp_answer_swaps_the_ports_of_the_datagram_before_it() {
        let mut r = Relater::default();
        assert!(
            r.observe(&packet(1, &datagram(40000, 7), captured()))
                .is_empty()
        );
        let other = r.observe(&packet(2, &datagram(5353, 7), captured()));
        assert!(other.is_empty(), "another flow: {other:?}");
        let answer = r.observe(&packet(3, &datagram(7, 40000), captured()));
        assert!(
            matches!(
                answer[0],
                Relation::Reply {
                    request: 1,
                    sent: None,
                    ..
                }
            ),
            "{answer:?}"
        );
    }

    #[test]
    fn a_frame_back_in_on_lo_is_the_twin_of_its_way_out() {
        let mut r = Relater::default();
        let on_lo = |pkttype| Origin::Captured {
            socket: "packet socket on lo".into(),
            link: Some(LinkSeen {
                iface: "lo".into(),
                ifindex: 1,
                pkttype,
                loopback: true,
            }),
        };
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(WIRE);
        let frame_of = |no, pkttype| {
            Arc::new(Packet {
                first: &eth::ETH,
                ..(*packet(no, &frame, on_lo(pkttype))).clone()
            })
        };
        r.observe(&frame_of(1, PACKET_OUTGOING));
        // Back in as multicast (lo has no broadcast address) or to us: the same frame.
        let twin = r.observe(&frame_of(2, 2));
        assert_eq!(twin, [Relation::Twin { first: 1 }]);
        // Seen a third time it is a new frame, not a twin again.
        let third = r.observe(&frame_of(3, 0));
        assert!(!third.contains(&Relation::Twin { first: 1 }), "{third:?}");
    }

    #[test]
    fn silence_is_explained_from_the_bytes() {
        let mut bad = BUILT;
        bad[22] = 0x11;
        bad[23] = 0x11;
        let sandbox = Surroundings {
            sandboxed: true,
            ..Surroundings::default()
        };
        let why = silence_reasons(&bad, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &sandbox);
        assert!(
            why[0].starts_with("icmp.checksum is 0x1111, but the bytes add up to 0x3721"),
            "{why:?}"
        );
        let mut spoofed = BUILT;
        spoofed[12..16].copy_from_slice(&[10, 9, 8, 7]);
        let why = silence_reasons(&spoofed, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &sandbox);
        assert!(why[0].starts_with("ip.src is 10.9.8.7"), "{why:?}");
    }

    /// Counts as the kernel reports them, for judging reasons without a kernel.
    fn counted(moved: &[(&str, &str, i64)]) -> Option<Counted> {
        Some(Counted {
            deltas: moved
                .iter()
                .map(|&(table, name, by)| crate::net::counters::Delta {
                    table: table.into(),
                    name: name.into(),
                    by,
                })
                .collect(),
        })
    }

    fn sandbox_with(here: &[(&str, &str, i64)], peer: &[(&str, &str, i64)]) -> Surroundings {
        Surroundings {
            sandboxed: true,
            local: vec![Ipv4Addr::new(192, 0, 2, 1)],
            peers: vec![(
                Ipv4Addr::new(192, 0, 2, 2),
                [2, 0x72, 0x61, 0x77, 0, 2],
                "veth0".into(),
            )],
            counted: Evidence {
                here: counted(here),
                peer: counted(peer),
            },
            ..Surroundings::default()
        }
    }

    /// A wrong checksum is blamed with the counter that shows it, not blamed when the
    /// kernel counted the message good, and set aside when it never reached ICMP.
    #[test]
    fn a_checksum_is_judged_by_what_the_kernel_counted() {
        let mut bad = BUILT;
        bad[22..24].copy_from_slice(&[0x11, 0x11]);
        let to = Ipv4Addr::LOCALHOST.into();
        let dropped = sandbox_with(
            &[
                ("Icmp", "InMsgs", 1),
                ("Icmp", "InErrors", 1),
                ("Icmp", "InCsumErrors", 1),
            ],
            &[],
        );
        let why = silence_reasons(&bad, &ipv4::IPV4, to, &dropped);
        assert!(
            why[0].ends_with("the receiving kernel dropped it as corrupt without a word, and counted it (Icmp InCsumErrors +1)"),
            "{why:?}"
        );
        let answered = sandbox_with(&[("Icmp", "InMsgs", 1), ("Icmp", "InEchos", 1)], &[]);
        let why = silence_reasons(&bad, &ipv4::IPV4, to, &answered);
        assert!(why.iter().all(|w| !w.contains("icmp.checksum")), "{why:?}");
        let held = sandbox_with(&[("Ip", "InReceives", 1), ("Ip", "InDiscards", 1)], &[]);
        let why = silence_reasons(&bad, &ipv4::IPV4, to, &held);
        assert!(
            why[0]
                .contains("that is not what stopped this one: no Icmp counter moved on the way in"),
            "{why:?}"
        );
        // Without counters, the bytes alone speak, as before.
        let blind = Surroundings::default();
        let why = silence_reasons(&bad, &ipv4::IPV4, to, &blind);
        assert!(
            why[0].ends_with("drops a message with a wrong checksum without a word"),
            "{why:?}"
        );
    }

    /// A first fragment's checksum covers the whole datagram: not judged, and the
    /// reassembly counters are cited.
    #[test]
    fn a_fragment_is_held_not_blamed_on_its_checksum() {
        let mut frag = BUILT;
        frag[6] = 0x20; // MF
        frag[22..24].copy_from_slice(&[0x11, 0x11]);
        let around = sandbox_with(&[("Ip", "InReceives", 1), ("Ip", "ReasmReqds", 1)], &[]);
        let why = silence_reasons(&frag, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &around);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(
            why[0].starts_with(
                "this is the first fragment of a datagram (more fragments set, offset 0)"
            ),
            "{why:?}"
        );
        assert!(why[0].contains("(it counted Ip ReasmReqds +1)"), "{why:?}");
        let done = sandbox_with(
            &[
                ("Ip", "ReasmReqds", 1),
                ("Ip", "ReasmTimeout", 1),
                ("Ip", "ReasmFails", 1),
            ],
            &[],
        );
        let why = silence_reasons(&frag, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &done);
        assert!(
            why[0].ends_with("it did, counting Ip ReasmTimeout +1 and Ip ReasmFails +1"),
            "{why:?}"
        );
    }

    /// The peer as a forged source: answered and counted by the peer, or refused a
    /// route by the kernel; never "no route" by guess.
    #[test]
    fn a_forged_source_is_judged_by_the_counters_and_the_route() {
        let mut spoofed = BUILT;
        spoofed[12..16].copy_from_slice(&[192, 0, 2, 2]);
        let mut around = sandbox_with(
            &[("Icmp", "InEchos", 1), ("Icmp", "OutEchoReps", 1)],
            &[("Icmp", "InEchoReps", 1)],
        );
        around.route = Some(|_, _| Ok(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))));
        let why = silence_reasons(
            &spoofed,
            &ipv4::IPV4,
            Ipv4Addr::new(192, 0, 2, 1).into(),
            &around,
        );
        assert_eq!(
            why,
            [
                "ip.src is 192.0.2.2: the kernel took the echo request in and answered it (Icmp InEchos +1, Icmp OutEchoReps +1), but to 192.0.2.2, not to you: the answer goes out on veth0 to the sandbox's peer 192.0.2.2 (the peer's Icmp InEchoReps +1), which asked for nothing"
            ]
        );
        let mut around = sandbox_with(&[("Icmp", "InEchos", 1)], &[]);
        around.route = Some(|_, _| Err(std::io::Error::from_raw_os_error(libc::EINVAL)));
        let why = silence_reasons(&spoofed, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &around);
        assert!(why[0].starts_with("ip.src is 192.0.2.2: the kernel took the echo request in (Icmp InEchos +1) but sent no reply: asked for a route from 127.0.0.1 to 192.0.2.2, the kernel refuses it"), "{why:?}");
        assert!(why.iter().all(|w| !w.contains("no route to it")), "{why:?}");
    }

    fn captured_as(no: u64, bytes: &[u8], first: &'static crate::wire::Protocol) -> Arc<Packet> {
        Arc::new(Packet {
            no,
            time: SystemTime::now(),
            bytes: bytes.to_vec(),
            first,
            origin: captured(),
            addrs: None,
            read: None,
            related: Default::default(),
        })
    }

    /// An ICMPv6 echo and its reply, captured on lo, pair up by identifier and sequence,
    /// with the addresses read from the IPv6 table.
    #[test]
    fn icmpv6_echo_request_and_reply() {
        use crate::wire::ipv6::{
            IPV6,
            tests::{ECHO, ECHO_REPLY},
        };
        let mut r = Relater::default();
        assert!(r.observe(&captured_as(1, &ECHO, &IPV6)).is_empty());
        let rel = r.observe(&captured_as(2, &ECHO_REPLY, &IPV6));
        let Relation::Reply {
            request: 1,
            changes,
            ..
        } = &rel[0]
        else {
            panic!("{rel:?}")
        };
        let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
        assert_eq!(names, ["ipv6.flow", "icmpv6.type", "icmpv6.checksum"]);
        assert_eq!(changes[1].after(), "129 (echo-reply)");
    }

    /// A SYN to a closed port and the kernel's RST+ACK, captured on lo.
    #[test]
    fn a_syn_and_the_rst_that_answers_it() {
        use crate::wire::tcp::tests::{RST, SYN};
        let mut r = Relater::default();
        assert!(r.observe(&captured_as(1, &SYN, &ipv4::IPV4)).is_empty());
        let rel = r.observe(&captured_as(2, &RST, &ipv4::IPV4));
        assert!(
            matches!(rel[0], Relation::Reply { request: 1, .. }),
            "{rel:?}"
        );
    }

    /// Linux's port unreachable on lo names the datagram it quotes.
    #[test]
    fn an_error_is_related_to_the_datagram_it_quotes() {
        let mut r = Relater::default();
        r.observe(&captured_as(
            1,
            &crate::wire::udp::tests::DATAGRAM,
            &ipv4::IPV4,
        ));
        let rel = r.observe(&captured_as(
            2,
            &crate::wire::icmp::tests::PORT_UNREACHABLE,
            &ipv4::IPV4,
        ));
        assert_eq!(
            rel,
            [Relation::Error {
                about: 1,
                sent: None,
                quoted: 30,
                len: 30
            }]
        );
        // Nothing else quotes it: a different datagram is not the one.
        let mut r = Relater::default();
        let mut other = crate::wire::udp::tests::DATAGRAM;
        other[29] = b'o';
        r.observe(&captured_as(1, &other, &ipv4::IPV4));
        let rel = r.observe(&captured_as(
            2,
            &crate::wire::icmp::tests::PORT_UNREACHABLE,
            &ipv4::IPV4,
        ));
        assert!(rel.is_empty(), "{rel:?}");
    }

    /// The datagram an error quotes is found behind hundreds of others from the same
    /// host, and from a quote shorter than the 8 bytes compared first.
    #[test]
    fn an_error_finds_its_datagram_far_back_and_from_a_short_quote() {
        use crate::wire::{icmp::tests::PORT_UNREACHABLE, udp::tests::DATAGRAM};
        let mut r = Relater::default();
        r.observe(&captured_as(1, &DATAGRAM, &ipv4::IPV4));
        for no in 2..400 {
            let mut other = DATAGRAM;
            other[20..22].copy_from_slice(&(no as u16).to_be_bytes());
            r.observe(&captured_as(no, &other, &ipv4::IPV4));
        }
        let rel = r.observe(&captured_as(400, &PORT_UNREACHABLE, &ipv4::IPV4));
        assert!(
            matches!(rel[..], [Relation::Error { about: 1, .. }]),
            "{rel:?}"
        );
        // Cut 4 bytes into the quoted UDP header: 24 of the datagram's 30 bytes.
        let mut short = PORT_UNREACHABLE[..52].to_vec();
        short[2..4].copy_from_slice(&52u16.to_be_bytes());
        let rel = r.observe(&captured_as(401, &short, &ipv4::IPV4));
        assert_eq!(
            rel,
            [Relation::Error {
                about: 1,
                sent: None,
                quoted: 24,
                len: 30
            }]
        );
    }

    #[test]
    fn a_tcp_checksum_over_a_source_the_kernel_fills_in() {
        let t = crate::wire::template::Template::new(&[&ipv4::IPV4, &crate::wire::tcp::TCP]);
        let built = t.build(SystemTime::now()).bytes;
        let why = silence_reasons(
            &built,
            &ipv4::IPV4,
            Ipv4Addr::LOCALHOST.into(),
            &Surroundings {
                sandboxed: true,
                ..Surroundings::default()
            },
        );
        assert!(
            why[0].starts_with("ip.src is unset, left for the kernel to fill, but tcp.checksum covers the source address"),
            "{why:?}"
        );
    }

    /// A stream of jumbo packets is kept by the bytes it holds, not 512 of them; a
    /// request among them is still answered, since requests are a list of their own.
    #[test]
    fn jumbo_packets_are_remembered_by_their_bytes() {
        let mut r = Relater::default();
        r.observe(&packet(1, &WIRE, captured()));
        let jumbo = vec![0u8; 256 << 10];
        for no in 2..40 {
            r.observe(&packet(no, &jumbo, captured()));
        }
        assert!(r.captured.bytes <= REMEMBER_BYTES, "{}", r.captured.bytes);
        assert_eq!(r.captured.iter().count(), REMEMBER_BYTES / jumbo.len());
        assert_eq!(
            r.captured.bytes,
            r.captured
                .iter()
                .map(|c| c.packet.bytes.len())
                .sum::<usize>()
        );
        let reply = r.observe(&packet(40, &REPLY, captured()));
        assert!(
            matches!(reply[0], Relation::Reply { request: 1, .. }),
            "{reply:?}"
        );
        // One larger than the whole budget is still kept, alone.
        r.observe(&packet(41, &vec![0u8; REMEMBER_BYTES + 1], captured()));
        assert_eq!(r.captured.iter().count(), 1);
    }

    /// A stream of UDP datagrams, each a request until something answers it, does not
    /// push an echo request out of mind: each protocol's requests are a list apart.
    #[test]
    fn a_stream_of_datagrams_leaves_an_echo_request_answerable() {
        let mut r = Relater::default();
        r.observe(&packet(1, &WIRE, captured()));
        for no in 2..2000u64 {
            r.observe(&packet(no, &datagram(no as u16, 9), captured()));
        }
        let rel = r.observe(&packet(2000, &REPLY, captured()));
        assert!(
            matches!(rel[0], Relation::Reply { request: 1, .. }),
            "{rel:?}"
        );
    }

    /// The count of requests by key follows the list as requests come and go, so one
    /// whose key no request holds is answered by none without a look through the list.
    #[test]
    fn requests_are_found_by_key_as_they_come_and_go() {
        let mut r = Relater::default();
        let echo = |seq: u16| {
            let mut b = WIRE;
            b[26..28].copy_from_slice(&seq.to_be_bytes());
            b
        };
        for no in 1..=700u64 {
            // Every tenth a second request with the key before it.
            let seq = if no % 10 == 0 { no - 1 } else { no } as u16;
            r.observe(&packet(no, &echo(seq), captured()));
        }
        let held: u32 = r.requests.keys.values().sum();
        assert_eq!(held as usize, r.requests.of("icmp").count());
        assert_eq!(r.requests.of("icmp").count(), REMEMBER);
        for req in r.requests.of("icmp") {
            assert!(r.requests.keys.contains_key(&(req.proto, req.key)));
        }
        // The oldest left the list, and with it their keys.
        let mut reply = echo(1);
        reply[20] = 0;
        assert!(r.observe(&packet(701, &reply, captured())).is_empty());
        let mut reply = echo(699);
        reply[20] = 0;
        let rel = r.observe(&packet(702, &reply, captured()));
        assert!(
            matches!(rel[0], Relation::Reply { request: 700, .. }),
            "the newest of the two: {rel:?}"
        );
        r.requests.retain(|q| q.packet.no != 700);
        assert_eq!(
            r.requests
                .keys
                .get(&("icmp", r.requests.of("icmp").next().unwrap().key)),
            Some(&1)
        );
    }

    #[test]
    fn payload_and_truncation_changes() {
        let a = packet(1, &WIRE, captured());
        let mut longer = WIRE.to_vec();
        longer[29] = 0xdf;
        let b = packet(2, &longer, captured());
        let c = changes(&a, &b);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field.name, "data.data");
        assert_eq!(c[0].after(), "c0 df");
        assert_eq!(hex_words(&[]), "(none)");
        assert_eq!(
            hex_words(&[0, 1, 2, 3, 4, 5, 6, 7]),
            "00 01 02 03 04 05 06 07"
        );
        assert_eq!(
            hex_words(&[0xab; 40]),
            "ab ab ab ab ab ab ab ab … (40 bytes)"
        );
        // A cut-off packet compares only what both have, without panicking.
        let cut = packet(3, &WIRE[..22], captured());
        let _ = changes(&a, &cut);
    }
}
