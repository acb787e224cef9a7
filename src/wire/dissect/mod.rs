//! Dissecting: bytes into layers, each with its table, its byte span, its
//! options and any problem found. Like smoltcp's views it makes no judgement
//! as to content: a header that lies about its length is shown as far as the
//! bytes go, with a note saying where and why, and never a panic. Every read
//! is bounded by the bytes present; every loop consumes bytes or stops.

use crate::wire::{Field, Kind, Network, Protocol, Scope, UNPARSED, push_dec};
use std::ops::Range;
use tail::tail_items;
pub use walk::dissect_from;

mod audit;
mod records;
mod tail;
#[cfg(test)]
pub(crate) mod tests;
mod walk;

/// More layers than this is a chain that loops (nested quotes, repeated extension
/// headers); the rest is shown as data.
pub const MAX_LAYERS: usize = 32;

/// One field found in the bytes, where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub field: &'static Field,
    /// The byte the field's bit offset counts from (its layer's, option's or entry's start).
    pub base: usize,
    /// The bytes it covers (for a `Bytes` field, all of them).
    pub span: Range<usize>,
}

impl Placed {
    /// A fixed-width field whose bit offset counts from `base`.
    pub fn fixed(field: &'static Field, base: usize) -> Placed {
        Placed {
            field,
            base,
            span: base + field.first_byte()..base + field.end_byte(),
        }
    }

    fn bytes(field: &'static Field, span: Range<usize>) -> Placed {
        Placed {
            field,
            base: span.start,
            span,
        }
    }

    /// Raw value (0 for a `Bytes` field).
    pub fn get(&self, packet: &[u8]) -> u128 {
        if self.field.kind == Kind::Bytes {
            0
        } else {
            self.field.get(&packet[self.base..self.span.end])
        }
    }
}

/// One option or entry of a layer's tail, with its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub span: Range<usize>,
    pub fields: Vec<Placed>,
    /// For an option made of entries that repeat (a SACK option's blocks, a route's
    /// addresses): where each entry is. Their fields are in `fields` too, in wire order.
    pub entries: Vec<Range<usize>>,
}

/// One layer found in the bytes.
#[derive(Debug, Clone)]
pub struct Layer {
    pub proto: &'static Protocol,
    /// First byte of the header.
    pub start: usize,
    /// One past the last header byte present (options included).
    pub hdr_end: usize,
    /// One past the last byte this layer covers, its payload included.
    pub end: usize,
    /// Where the fixed fields end and the tail (options) starts.
    pub fixed_end: usize,
    /// Part of a quoted packet: the copy of the datagram an ICMP error carries.
    pub quoted: bool,
    /// The bytes stop before where the layer claims to end (a quote is cut short).
    pub cut: bool,
    /// The options or entries of its tail.
    pub items: Vec<Item>,
}

impl Layer {
    /// The fixed fields (common and variant) that lie wholly inside the bytes present.
    pub fn fields<'a>(&'a self, packet: &'a [u8]) -> impl Iterator<Item = &'static Field> + 'a {
        let header = &packet[self.start..self.hdr_end];
        self.proto
            .fields_of(header)
            .filter(move |f| f.end_byte() <= header.len())
    }

    /// The variable part after the fixed fields (options), if any bytes are there.
    pub fn tail(&self) -> Option<(&'static Field, Range<usize>)> {
        match self.proto.tail {
            Some(t) if self.hdr_end > self.fixed_end => {
                Some((t.field, self.fixed_end..self.hdr_end))
            }
            _ => None,
        }
    }

    /// Every field present, in wire order: the fixed ones, the tail as a whole, then
    /// the fields of each option or entry.
    pub fn placed(&self, packet: &[u8]) -> Vec<Placed> {
        self.each_placed(packet).collect()
    }

    /// The same as [`Layer::placed`], one at a time, with nothing allocated (a filter
    /// looks through every packet's fields this way).
    pub fn each_placed<'a>(&'a self, packet: &'a [u8]) -> impl Iterator<Item = Placed> + 'a {
        self.fields(packet)
            .map(|f| Placed::fixed(f, self.start))
            .chain(self.tail().map(|(f, r)| Placed::bytes(f, r)))
            .chain(self.items.iter().flat_map(|i| i.fields.iter().cloned()))
    }

    /// Bytes of a fixed field inside the packet.
    pub fn span(&self, f: &Field) -> Range<usize> {
        self.start + f.first_byte()..self.start + f.end_byte()
    }

    /// Raw value of a fixed field.
    pub fn get(&self, packet: &[u8], f: &Field) -> u128 {
        f.get(&packet[self.start..self.hdr_end])
    }

    /// The header bytes present.
    pub fn header<'a>(&self, packet: &'a [u8]) -> &'a [u8] {
        &packet[self.start..self.hdr_end]
    }

    /// A field's value in words, named in the context of this header.
    pub fn words(&self, packet: &[u8], f: &Field) -> String {
        self.proto.words(f, self.header(packet))
    }

    /// Whether the whole fixed header is present.
    pub fn complete(&self) -> bool {
        self.hdr_end - self.start >= self.proto.fixed_len
    }
}

/// Something wrong with the bytes: which layer, where, what kind of trouble, what was
/// needed and what there was, as data, and in words made from them.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub layer: &'static str,
    pub offset: usize,
    /// What kind of trouble, as a word JSON and tests can match.
    pub kind: Trouble,
    /// For trouble with a length: the bytes needed (or claimed), the bytes there were
    /// (or the least allowed), and the field the length came from.
    pub sizes: Option<Sizes>,
    pub what: String,
    /// Whether it puts where later bytes lie in doubt (a length, a cut). A bad option
    /// does not: it spoils only its own layer.
    pub layout: bool,
}

/// The kinds of trouble a dissection finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The bytes end before the header does.
    Truncated,
    /// A length field claims less than the header's own size.
    LengthTooShort,
    /// A length field claims more bytes than there are.
    LengthPastEnd,
    /// A layer where its protocol cannot be (per the table's `misplaced`).
    Misplaced,
    /// More layers than rawlab reads.
    TooDeep,
    /// An option or entry of a header's tail that does not fit.
    BadOption,
}

impl Trouble {
    pub fn name(self) -> &'static str {
        match self {
            Trouble::Truncated => "truncated",
            Trouble::LengthTooShort => "length-too-short",
            Trouble::LengthPastEnd => "length-past-end",
            Trouble::Misplaced => "misplaced",
            Trouble::TooDeep => "too-deep",
            Trouble::BadOption => "bad-option",
        }
    }
}

/// Sizes behind a problem with a length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    pub needed: usize,
    pub had: usize,
    pub field: Option<&'static Field>,
}

/// A packet taken apart.
#[derive(Debug, Clone)]
pub struct Dissection {
    pub layers: Vec<Layer>,
    /// The bytes after the last header.
    pub payload: Range<usize>,
    /// Bytes past the length the layers claim (padding, trailers).
    pub trailer: Range<usize>,
    pub problems: Vec<Problem>,
}

impl Dissection {
    /// The layer a field belongs to, if the packet has it.
    pub fn layer_of(&self, f: &Field) -> Option<&Layer> {
        self.layers
            .iter()
            .find(|l| l.proto.all_fields().any(|g| g == f) || l.proto.item_fields().contains(&f))
    }

    /// Raw value of a field, if the packet has the whole of it: a fixed field of the
    /// first layer that has it, or the first option or entry that holds it.
    pub fn value(&self, packet: &[u8], f: &Field) -> Option<u128> {
        for l in &self.layers {
            if l.proto.all_fields().any(|g| g == f) && f.kind != Kind::Bytes {
                return l.fields(packet).any(|g| g == f).then(|| l.get(packet, f));
            }
            if let Some(p) = l
                .items
                .iter()
                .flat_map(|i| &i.fields)
                .find(|p| p.field == f)
            {
                return Some(p.get(packet));
            }
        }
        None
    }

    /// What verifying layer `i` needs: its bytes, and the network layer around it.
    pub fn scope<'a>(&self, i: usize, packet: &'a [u8]) -> Scope<'a> {
        let l = &self.layers[i];
        let network: Network = self.layers[..i]
            .iter()
            .rev()
            .find(|n| n.proto.pseudo.is_some() && n.complete())
            .map(|n| (n.proto, n.start..n.hdr_end));
        Scope {
            packet,
            start: l.start,
            hdr_end: l.hdr_end,
            end: l.end,
            whole: !l.cut,
            network,
            around: None,
        }
    }

    /// Whether layer `i` can be verified: its header whole, nothing wrong in it, and no
    /// doubt about where it lies. (A quote cut short still has a header to check; what
    /// needs the whole message, the protocol's `expected` leaves out by `Scope::whole`.)
    pub fn verifiable(&self, i: usize) -> bool {
        let l = &self.layers[i];
        l.complete()
            && self
                .problems
                .iter()
                .all(|p| p.offset >= l.hdr_end || (!p.layout && p.offset < l.start))
    }

    /// Whether layer `i` rides in an IPv4 fragment (more fragments set, or an offset
    /// past 0) or after an IPv6 fragment header saying the same: its checksum covers
    /// the whole datagram, which this packet holds only a piece of, so it is not judged
    /// here.
    pub fn in_fragment(&self, packet: &[u8], i: usize) -> bool {
        let l = &self.layers[i];
        self.layers[..i].iter().any(|n| {
            n.quoted == l.quoted
                && n.hdr_end <= packet.len()
                && match n.proto {
                    p if p == &super::ipv4::IPV4 => {
                        super::ipv4::is_fragment(&packet[n.start..n.hdr_end])
                    }
                    p if p == &super::ipv6::FRAGMENT => {
                        super::ipv6::is_fragment(&packet[n.start..n.hdr_end])
                    }
                    _ => false,
                }
        })
    }

    /// The checksum field `f` of the first layer that has it and can be verified: what
    /// it should hold and the bytes it covers. None when no layer has it.
    pub fn checksum(&self, packet: &[u8], f: &Field) -> Option<(usize, super::Expected)> {
        (0..self.layers.len())
            .filter(|i| self.verifiable(*i) && !self.in_fragment(packet, *i))
            .find_map(|i| {
                let l = &self.layers[i];
                let e = (l.proto.expected)(&self.scope(i, packet))
                    .into_iter()
                    .find(|e| e.field == f)?;
                Some((i, e))
            })
    }

    /// The stack in words: `ip/icmp`.
    pub fn stack_name(&self) -> String {
        let names: Vec<&str> = self.layers.iter().map(|l| l.proto.name).collect();
        names.join("/")
    }

    /// One line: each layer's summary (drawing appends it in place: `write_summary`;
    /// the fuzz targets and tests call this).
    pub fn summary(&self, packet: &[u8]) -> String {
        self.summary_brief(packet, 0)
    }

    /// The summary with the first `brief` layers named by their titles alone, for a
    /// line that must fit a width: the inner layers say the most about a packet.
    pub fn summary_brief(&self, packet: &[u8], brief: usize) -> String {
        let mut s = String::with_capacity(160);
        self.write_summary(&mut s, packet, brief, false);
        s
    }

    /// `summary_brief`, appended to `s`; with `lead`, after words already on the line
    /// (" · " then comes before its first part too).
    pub fn write_summary(&self, s: &mut String, packet: &[u8], brief: usize, lead: bool) {
        let mut empty = !lead;
        let mut part = |s: &mut String| {
            if !empty {
                s.push_str(" · ");
            }
            empty = false;
        };
        for (i, l) in self.layers.iter().enumerate() {
            if !(l.complete() || l.quoted) {
                continue;
            }
            part(s);
            if l.quoted {
                s.push_str("quoted ");
            }
            if i < brief {
                s.push_str(l.proto.title);
            } else {
                (l.proto.summary)(l.header(packet), s);
            }
        }
        if !self.payload.is_empty() {
            part(s);
            push_dec(s, self.payload.len() as u128);
            s.push_str(" bytes of data");
        }
        if !self.problems.is_empty() {
            part(s);
            s.push_str("malformed");
        }
    }
}

/// "a" or "an" before a layer's title, as it is read aloud: an IPv4, an ARP, a TCP.
fn article(title: &str) -> &'static str {
    match title.as_bytes().first() {
        Some(b'A' | b'E' | b'I' | b'O') => "an",
        _ => "a",
    }
}

/// "ip.len says 40 bytes", or "ipv6.plen says 100 bytes (140 in all)".
fn says(field: &Field, header: &[u8], total: usize) -> String {
    let shown = field.shown(field.get(header));
    let unit = if field.unit.is_empty() {
        "bytes"
    } else {
        field.unit
    };
    if shown == total as u128 {
        format!("{} says {total} {unit}", field.name)
    } else {
        format!("{} says {shown} {unit} ({total} in all)", field.name)
    }
}

/// The items of one header's tail, read from its bytes alone (`header` starts with the
/// fixed part), problems left out: for a summary that names what the items hold.
pub fn header_items(p: &'static Protocol, header: &[u8]) -> Vec<Item> {
    let (Some(t), start) = (p.tail, p.tail_start(header)) else {
        return Vec::new();
    };
    if start >= header.len() {
        return Vec::new();
    }
    tail_items(
        header,
        0,
        start..header.len(),
        t,
        (p.title, false),
        &mut Vec::new(),
    )
}

/// Takes `packet` apart, starting with `first`.
pub fn dissect(packet: &[u8], first: &'static Protocol) -> Dissection {
    dissect_from(packet, 0, first)
}

/// The sizes behind a problem.
fn sized(needed: usize, had: usize, field: Option<&'static Field>) -> Option<Sizes> {
    Some(Sizes { needed, had, field })
}
