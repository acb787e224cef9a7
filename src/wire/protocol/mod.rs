//! A protocol's table: its fields, options and tails, and the few behaviours a
//! table cannot say (pairing requests with replies, checksums, what comes next).

use super::*;
use std::ops::Range;

mod options;
mod tail;
mod verify;

pub use options::*;
pub use tail::*;
pub use verify::*;

/// Reads a packet's place in a request/reply exchange from its layer bytes.
pub type PairingFn = fn(&[u8]) -> Option<Pairing>;

/// Which variant fields follow the common ones, given the header so far.
pub type VariantFn = fn(&[u8]) -> &'static [&'static Field];

/// How a layer's payload is interpreted: by another protocol, or as plain data.
pub type NextFn = fn(&[u8]) -> Option<&'static Protocol>;

/// The ones' complement sum of the pseudo-header an upper layer's checksum covers,
/// given the network header, the upper protocol's number and the upper layer's length.
pub type PseudoFn = fn(&[u8], u8, u32) -> u32;

/// Names for a field's values that hold only when another field has a given value:
/// icmp.code 3 is `port-unreachable` when icmp.type is 3.
pub struct NamesWhen {
    pub field: &'static Field,
    pub when: &'static Field,
    pub is: &'static [u128],
    pub names: &'static [(u128, &'static str)],
}

/// A field placed a number of bytes into an entry (a timestamp after its address):
/// its bit offset counts from there.
pub type At = (usize, &'static Field);

/// Where a route option's empty slots start (from its bytes), and their fields.
pub type EmptySlots = (fn(&[u8]) -> usize, &'static [At]);

/// How an error message of a protocol quotes the datagram that caused it, for templates
/// that build one (`new ip/icmp/ip/udp`): the network layer quoted, the field that says
/// which message it is, the error types (any of which quotes), and the type and code a
/// template defaults to (port unreachable).
#[derive(Debug)]
pub struct Quote {
    pub network: &'static Protocol,
    pub type_field: &'static Field,
    pub code_field: &'static Field,
    pub errors: &'static [u128],
    pub default: (u128, u128),
}

/// A protocol: its field table and the few behaviours a table cannot say.
pub struct Protocol {
    /// Prefix of its field names and its name in a layer stack (`ip` in `ip/icmp`).
    pub name: &'static str,
    /// Other names accepted in a stack (`ipv4`).
    pub aliases: &'static [&'static str],
    /// How it is named in words.
    pub title: &'static str,
    /// The fields every header of this protocol has, in wire order. Group fields come
    /// before their members.
    pub fields: &'static [&'static Field],
    /// Fields that depend on the bytes, after `fields` (ICMP's rest of header, by type):
    /// given the header so far, which follow.
    pub variant: Option<VariantFn>,
    /// Every variant's fields, for lookup, completion, explain and the table test.
    pub variant_fields: &'static [&'static [&'static Field]],
    /// Names of values that depend on another field (ICMP's code names, by type).
    pub names_when: &'static [NamesWhen],
    /// Variable-length bytes after the fixed fields (IPv4 options), if any.
    pub tail: Option<&'static TailSpec>,
    /// Bytes of fixed header every message has.
    pub fixed_len: usize,
    /// The header length the bytes claim (IPv4: IHL × 4), which may be wrong. It reads
    /// only the first `fixed_len` bytes.
    pub header_len: fn(&[u8]) -> usize,
    /// The field the header length comes from (ip.hdr_len), for messages.
    pub len_field: Option<&'static Field>,
    /// How far the layer claims to extend from its start (IPv4: total length), if it says.
    pub claimed_len: fn(&[u8]) -> Option<(usize, &'static Field)>,
    /// The protocol carried after the header, or None for plain data.
    pub next: NextFn,
    /// The field that names the next layer (ip.proto); rawlab fills it from the template's
    /// next layer unless the user set it.
    pub next_field: Option<&'static Field>,
    /// The registry `next_field` draws its codes from: "ip" for IANA protocol numbers,
    /// which IPv4 and IPv6 share.
    pub numbers: &'static str,
    /// How outer layers name this one: (registry, code), as ("ip", 1) for ICMP.
    pub ids: &'static [(&'static str, u128)],
    /// Whether a stack may start with it (what a socket or a capture file hands over).
    pub starts: bool,
    /// Whether the payload is a quoted packet: an ICMP error's copy of the datagram
    /// that caused it, naturally cut short.
    pub quotes: fn(&[u8]) -> bool,
    /// For a template: the datagram an error of this protocol quotes, as a layer after it.
    pub quote: Option<&'static Quote>,
    /// Why this header may not come after the layers before it in the same packet
    /// (RFC 8200's order of extension headers), or None when it may.
    pub misplaced: fn(&[&'static Protocol]) -> Option<String>,
    /// For a network layer: its source and destination address fields.
    pub addresses: Option<(&'static Field, &'static Field)>,
    /// For a network layer: the pseudo-header sum that upper-layer checksums start from.
    pub pseudo: Option<PseudoFn>,
    /// Appends a few words for the summary line, from the header bytes present (in a
    /// quoted packet, possibly fewer than `fixed_len`).
    pub summary: fn(&[u8], &mut String),
    /// Which request/reply pair a packet belongs to, for matching replies.
    pub pairing: Option<PairingFn>,
    /// Writes the fields rawlab computes (lengths, checksums) that the user did not set.
    pub fill: fn(&mut Building),
    /// What each checked field (checksums) should hold, for verifying.
    pub expected: fn(&Scope) -> Vec<Expected>,
}

impl Protocol {
    /// What a protocol table starts from: no variants, no tail, nothing computed.
    pub const BASE: Protocol = Protocol {
        name: "",
        aliases: &[],
        title: "",
        fields: &[],
        variant: None,
        variant_fields: &[],
        names_when: &[],
        tail: None,
        fixed_len: 0,
        header_len: |_| 0,
        len_field: None,
        claimed_len: |_| None,
        next: |_| None,
        next_field: None,
        numbers: "",
        ids: &[],
        starts: false,
        quotes: |_| false,
        quote: None,
        misplaced: |_| None,
        addresses: None,
        pseudo: None,
        summary: |_, _| {},
        pairing: None,
        fill: |_| {},
        expected: |_| Vec::new(),
    };
}

/// The nearest network layer around an upper one: its protocol and header bytes' range.
pub type Network = Option<(&'static Protocol, std::ops::Range<usize>)>;

/// A layer being built: the whole packet, and where this layer sits in it.
pub struct Building<'a> {
    pub packet: &'a mut [u8],
    /// This layer's first byte.
    pub start: usize,
    /// Bytes of this layer's header, options included.
    pub hdr_len: usize,
    /// The protocol after this one in the template, if any.
    pub next: Option<&'static Protocol>,
    /// The nearest network layer (IPv4, IPv6) before this one, for pseudo-headers.
    pub network: Network,
    /// Whether the user set a field (then it is written as given, never fixed).
    pub is_set: &'a dyn Fn(&Field) -> bool,
}

impl Building<'_> {
    /// This layer and everything after it.
    pub fn layer(&mut self) -> &mut [u8] {
        &mut self.packet[self.start..]
    }

    /// The pseudo-header sum for `upper` (this layer) over everything after `start`.
    pub fn pseudo(&self, upper: &Protocol) -> Option<u32> {
        pseudo_sum(
            self.packet,
            &self.network,
            upper,
            self.packet.len() - self.start,
        )
    }

    /// Fills `field`, a checksum over this layer and the pseudo-header of the network
    /// layer around it (`sum` computes it), unless the user set it.
    pub fn fill_pseudo_checksum(&mut self, upper: &Protocol, field: &Field, sum: ChecksumFn) {
        if !(self.is_set)(field) {
            let pseudo = self.pseudo(upper).unwrap_or(0);
            let value = sum(self.layer(), pseudo);
            field.set(self.layer(), value as u128);
        }
    }
}

impl std::fmt::Debug for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Protocol {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// A packet's place in a request/reply exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pairing {
    /// The conversation (an ICMP echo identifier): whose traffic it is.
    pub flow: u64,
    /// The exchange within it (identifier and sequence): which request a reply answers.
    pub key: u64,
    pub is_request: bool,
    /// For a protocol whose bytes do not say which way a message goes (UDP): the key a
    /// message going the other way would have. The message answers one with that key
    /// seen before it, and is a request otherwise.
    pub reverse: Option<u64>,
}

impl Protocol {
    /// Looks up one of this protocol's fields (or its tail) by full name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.all_fields().find(|f| f.name == name)
    }

    /// Every field a template can set: the common ones, every variant's, the tail last.
    pub fn all_fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        let mut variants: Vec<&'static Field> = Vec::new();
        for f in self.variant_fields.iter().flat_map(|v| v.iter().copied()) {
            if !variants.contains(&f) {
                variants.push(f);
            }
        }
        self.fields
            .iter()
            .copied()
            .chain(variants)
            .chain(self.tail.map(|t| t.field))
    }

    /// The fields inside the tail's items (options and their values): shown, explained
    /// and compared, but set only through the tail's bytes.
    pub fn item_fields(&self) -> Vec<&'static Field> {
        self.tail
            .map(|t| t.all_fields().into_iter().skip(1).collect())
            .unwrap_or_default()
    }

    /// The fixed fields a header of these bytes has: the common ones, then the variant's.
    pub fn fields_of(&self, header: &[u8]) -> impl Iterator<Item = &'static Field> + '_ {
        let variant: &'static [&'static Field] = match self.variant {
            Some(v) if header.len() >= self.common_end() => v(header),
            _ => &[],
        };
        self.fields.iter().copied().chain(variant.iter().copied())
    }

    /// One past the last byte of the common fields.
    pub fn common_end(&self) -> usize {
        self.fields.iter().map(|f| f.end_byte()).max().unwrap_or(0)
    }

    /// Where the tail starts in a header of these bytes: after the fixed fields.
    pub fn tail_start(&self, header: &[u8]) -> usize {
        self.fields_of(header)
            .map(|f| f.end_byte())
            .max()
            .unwrap_or(0)
            .max(self.fixed_len)
    }

    /// Whether this layer may come right after `outer` in a template: `outer` names it
    /// (ip.proto 1 for ICMP), or `outer` is an error message quoting this network layer
    /// (`ip/icmp/ip`).
    pub fn may_follow(&self, outer: &Protocol) -> bool {
        self.id_under(outer).is_some() || outer.quote.is_some_and(|q| q.network == self)
    }

    /// The code an outer protocol uses for this one (1 for ICMP under "ip").
    pub fn id_under(&self, outer: &Protocol) -> Option<u128> {
        self.ids
            .iter()
            .find(|(o, _)| *o == outer.numbers)
            .map(|(_, c)| *c)
    }

    /// The name of a field's value in a header of these bytes: a name that depends on
    /// another field (icmp.code by icmp.type) or the field's own.
    pub fn value_name(&self, f: &Field, header: &[u8]) -> Option<&'static str> {
        let raw = f.get(header);
        if self.names_when.is_empty() {
            return f.value_name(raw);
        }
        let mut context = self.names_when.iter().filter(|n| n.field == f).peekable();
        if context.peek().is_none() {
            return f.value_name(raw);
        }
        context
            .find(|n| header.len() >= n.when.end_byte() && n.is.contains(&n.when.get(header)))
            .and_then(|n| n.names.iter().find(|(v, _)| *v == raw).map(|(_, s)| *s))
            .or_else(|| f.value_name(raw))
    }

    /// A field's value in words, in the context of the header it sits in.
    pub fn words(&self, f: &Field, header: &[u8]) -> String {
        f.words_named(f.get(header), self.value_name(f, header))
    }

    /// The summary line's words for a header of these bytes.
    pub fn summary_text(&self, header: &[u8]) -> String {
        let mut s = String::new();
        (self.summary)(header, &mut s);
        s
    }

    /// A field's value in words, in the context of its header, appended to `s`.
    pub fn write_words(&self, s: &mut String, f: &Field, header: &[u8]) {
        f.write_words(s, f.get(header), self.value_name(f, header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::icmp;

    #[test]
    fn a_sum_with_no_pseudo_header_takes_either_zero() {
        // Bytes adding up to 0xffff: a fresh sum writes 0x0000, and 0xffff passes too.
        let e = Expected::sum(&icmp::CHECKSUM, 0x0000, 0..8);
        assert_eq!(e.verdict(0x0000), Verdict::Correct);
        assert_eq!(e.verdict(0xffff), Verdict::OtherZero);
        assert_eq!(e.verdict(0x1234), Verdict::Wrong);
        // Bytes all zero: only 0xffff completes them (Linux counts 0x0000 in Icmp
        // InCsumErrors; lesson 5 checks it against the counter).
        let e = Expected::sum(&icmp::CHECKSUM, 0xffff, 0..8);
        assert_eq!(e.verdict(0xffff), Verdict::Correct);
        assert_eq!(e.verdict(0x0000), Verdict::Wrong);
        // A sum that is not zero has one right value.
        let e = Expected::sum(&icmp::CHECKSUM, 0x3721, 0..8);
        assert_eq!(e.verdict(0xffff), Verdict::Wrong);
        // With a pseudo-header (UDP, ICMPv6) its own rules hold.
        let e = Expected {
            pseudo: 1,
            ..Expected::sum(&icmp::CHECKSUM, 0, 0..8)
        };
        assert_eq!(e.verdict(0xffff), Verdict::Wrong);
    }
}
