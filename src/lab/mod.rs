//! What one packet says about another — the part that makes rawlab a lab:
//! this capture is that send as the kernel put it on the wire (and here is
//! every field the kernel changed), this reply answers that request (and here
//! is every field that differs). Everything comes from comparing bytes
//! through the protocol tables; nothing is a hard-coded list of fields.

mod relate;
mod silence;
pub mod words;

pub use relate::Relater;
pub use silence::{Evidence, LinkPlace, Surroundings, silence_reasons};

#[cfg(test)]
mod tests;

use crate::capture::{Origin, Packet};
use crate::net::Mode;
use crate::wire::dissect::{Dissection, Layer, dissect};
use crate::wire::{DATA, Field, Protocol, arp, eth, icmp, ipv4, ipv6, tcp};
use std::ops::Range;
use std::sync::Arc;

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
        /// When `sent` was the first of IPv4 fragments and this is the datagram they
        /// make, put back together by the receiving kernel (a raw socket is handed
        /// whole datagrams): every fragment, in number order. Empty otherwise.
        fragments: Vec<u64>,
    },
    /// A reply to packet `request` (itself a wire copy of `sent`, when rawlab sent it).
    Reply {
        request: u64,
        sent: Option<u64>,
        changes: Vec<Change>,
        /// When the request went as IPv4 fragments (`sent` the one that carried its
        /// header): every fragment of the datagram answered, in number order.
        fragments: Vec<u64>,
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
    /// A TCP segment after its connection's SYNs: what the window it carries counts in,
    /// as far as the SYNs seen tell (a SYN's own window is never scaled).
    Window(Window),
}

/// The receive window of one TCP segment and the scale its sender's SYN offered: after
/// the handshake the field counts units of 2^shift bytes, when both SYNs carried the
/// window scale option (RFC 7323), and plain bytes when either did not.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Where the TCP layer starts in the packet.
    pub layer_start: usize,
    /// The field as sent.
    pub value: u16,
    pub scale: Scale,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// Both SYNs carried the option: `shift` is the one the sender's SYN `syn` offered.
    Agreed { syn: u64, shift: u8 },
    /// The sender's SYN `syn` offered `shift`; the other side's SYN was not seen.
    Offered { syn: u64, shift: u8 },
    /// SYN `syn` (the sender's or the other side's) carried no window scale option, so
    /// neither side scales.
    Unscaled { syn: u64, senders: bool },
    /// No SYN of the connection was seen (it began before the capture, or too long ago).
    Unknown,
}

/// `#1–#3`, or `#2, #1` when the numbers are not a run.
pub fn fragments_words(nos: &[u64]) -> String {
    let run = nos.windows(2).all(|w| w[1] == w[0] + 1);
    match nos {
        [] => String::new(),
        [one] => format!("#{one}"),
        [first, .., last] if run => format!("#{first}–#{last}"),
        _ => nos
            .iter()
            .map(|n| format!("#{n}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
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
