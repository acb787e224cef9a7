//! The wire layer: every protocol rawlab knows, declared once as a table of
//! fields. Building bytes, dissecting bytes, `set`, completion, `explain` and
//! JSON all read these tables; nothing outside `wire` knows an offset.
//!
//! This module holds the table types and the bit-level accessors. Each
//! protocol lives in its own file (`ipv4.rs`, `icmp.rs`, …) with its fields,
//! its named values and its tests. Nothing here touches sockets or terminals.

pub mod checksum;
pub mod dissect;
pub mod icmp;
pub mod ipv4;

use std::fmt::Write as _;

/// How a field's value is written in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unsigned number, shown in decimal.
    Dec,
    /// An unsigned number where the bit pattern matters (checksums, ids), shown in hex.
    Hex,
    /// A single bit: set or not set.
    Flag,
    /// A 32-bit IPv4 address, shown dotted.
    Ipv4,
    /// Bytes of variable length that follow the fixed header (options, payload).
    Bytes,
}

/// Who writes a field when the user has not set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// The table's default, or whatever the user set.
    Manual,
    /// rawlab computes it while building (lengths, checksums), unless the user set it.
    Computed,
    /// rawlab leaves it 0 and the kernel writes it on a raw send, unless the user set it.
    /// The text says what the kernel does.
    Kernel(&'static str),
}

/// One header field: where it sits, how wide it is, and what it means.
#[derive(Debug)]
pub struct Field {
    /// Wireshark's display-filter name, e.g. `ip.ttl`.
    pub name: &'static str,
    /// Other names a user may type for it (`ihl` for `ip.hdr_len`).
    pub aliases: &'static [&'static str],
    /// Offset in bits from the start of the layer, counting from the most significant bit.
    pub bit_offset: usize,
    /// Width in bits (at most 128). 0 for a variable-length `Bytes` field.
    pub bits: u32,
    pub kind: Kind,
    /// The value as users see it is the raw bits times this (ip.hdr_len counts 32-bit words
    /// on the wire, Wireshark shows bytes).
    pub scale: u32,
    /// The unit of the value users see (`bytes`), or "".
    pub unit: &'static str,
    /// The raw value a new template starts with.
    pub default: u128,
    pub fill: Fill,
    /// Named values: `echo-request` for icmp.type 8.
    pub names: &'static [(u128, &'static str)],
    /// A field that only groups others (ip.flags over rb/df/mf). It shares their bits.
    pub group: bool,
    /// One line: what the field means.
    pub meaning: &'static str,
    /// Where it is defined.
    pub rfc: &'static str,
    /// A few sentences for `explain`: how rawlab and the kernel treat it.
    pub notes: &'static str,
}

/// Fields are statics: two are the same field when they are the same table entry.
impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Field {
    /// A plain field with no names, aliases, scale or group; the tables tweak the rest.
    pub const fn new(name: &'static str, bit_offset: usize, bits: u32, kind: Kind) -> Field {
        Field {
            name,
            aliases: &[],
            bit_offset,
            bits,
            kind,
            scale: 1,
            unit: "",
            default: 0,
            fill: Fill::Manual,
            names: &[],
            group: false,
            meaning: "",
            rfc: "",
            notes: "",
        }
    }

    /// First byte of the field, relative to the layer.
    pub fn first_byte(&self) -> usize {
        self.bit_offset / 8
    }

    /// One past the last byte the field touches, relative to the layer.
    pub fn end_byte(&self) -> usize {
        (self.bit_offset + self.bits as usize).div_ceil(8)
    }

    /// Whether the field covers whole bytes.
    pub fn byte_aligned(&self) -> bool {
        self.bit_offset.is_multiple_of(8) && self.bits.is_multiple_of(8)
    }

    /// Largest raw value that fits.
    pub fn max_raw(&self) -> u128 {
        if self.bits >= 128 {
            u128::MAX
        } else {
            (1u128 << self.bits) - 1
        }
    }

    /// The name after the protocol prefix: `ttl` for `ip.ttl`.
    pub fn short(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(_, s)| s)
    }

    /// Reads the raw value from a layer's bytes. The caller checks the length.
    pub fn get(&self, layer: &[u8]) -> u128 {
        get_bits(layer, self.bit_offset, self.bits)
    }

    /// Writes a raw value into a layer's bytes, leaving the other bits alone.
    pub fn set(&self, layer: &mut [u8], raw: u128) {
        set_bits(layer, self.bit_offset, self.bits, raw)
    }

    /// The value users see for a raw value (raw times scale).
    pub fn shown(&self, raw: u128) -> u128 {
        raw.saturating_mul(self.scale as u128)
    }

    /// The name of a value, if the table has one.
    pub fn value_name(&self, raw: u128) -> Option<&'static str> {
        self.names.iter().find(|(v, _)| *v == raw).map(|(_, n)| *n)
    }

    /// The value in words: `64`, `0x3721`, `127.0.0.1`, `8 (echo-request)`, `20 bytes (5 words)`.
    pub fn words(&self, raw: u128) -> String {
        let mut s = match self.kind {
            Kind::Dec => self.shown(raw).to_string(),
            Kind::Hex => format!(
                "0x{:0width$x}",
                raw,
                width = (self.bits as usize).div_ceil(4)
            ),
            Kind::Flag => if raw != 0 { "1 (set)" } else { "0 (not set)" }.to_string(),
            Kind::Ipv4 => std::net::Ipv4Addr::from(raw as u32).to_string(),
            Kind::Bytes => String::new(),
        };
        if !self.unit.is_empty() {
            let _ = write!(s, " {}", self.unit);
        }
        if self.scale != 1 && raw != 0 {
            let _ = write!(s, " ({raw} × {})", self.scale);
        }
        if let Some(n) = self.value_name(raw) {
            let _ = write!(s, " ({n})");
        }
        s
    }

    /// The range of raw values, in words, for errors and `explain`: `0..=255`.
    pub fn range_words(&self) -> String {
        match self.kind {
            Kind::Ipv4 => "a dotted IPv4 address such as 127.0.0.1".to_string(),
            Kind::Bytes => "bytes in hex, or \"text\"".to_string(),
            _ if self.scale != 1 => format!(
                "0..={} in steps of {}",
                self.shown(self.max_raw()),
                self.scale
            ),
            _ => format!("0..={}", self.max_raw()),
        }
    }
}

/// Reads a packet's place in a request/reply exchange from its layer bytes.
pub type PairingFn = fn(&[u8]) -> Option<Pairing>;

/// Which variant fields follow the common ones, given the header so far.
pub type VariantFn = fn(&[u8]) -> &'static [&'static Field];

/// How a layer's payload is interpreted: by another protocol, or as plain data.
pub type NextFn = fn(&[u8]) -> Option<&'static Protocol>;

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
    /// Variable-length bytes after the fixed header (IPv4 options), if any.
    pub tail: Option<&'static Field>,
    /// Bytes of fixed header.
    pub fixed_len: usize,
    /// The header length the bytes claim (IPv4: IHL × 4), which may be wrong.
    pub header_len: fn(&[u8]) -> usize,
    /// How far the layer claims to extend from its start (IPv4: total length), if it says.
    pub claimed_len: fn(&[u8]) -> Option<(usize, &'static Field)>,
    /// The protocol carried after the header, or None for plain data.
    pub next: NextFn,
    /// The field that names the next layer (ip.proto); rawlab fills it from the template's
    /// next layer unless the user set it.
    pub next_field: Option<&'static Field>,
    /// How outer layers name this one: (outer protocol's name, code), as ("ip", 1) for ICMP.
    pub ids: &'static [(&'static str, u128)],
    /// Whether a stack may start with it (what a socket or a capture file hands over).
    pub starts: bool,
    /// A few words for the summary line.
    pub summary: fn(&[u8]) -> String,
    /// Which request/reply pair a packet belongs to, for matching replies.
    pub pairing: Option<PairingFn>,
    /// Writes the fields rawlab computes (lengths, checksums) that the user did not set.
    pub fill: fn(&mut Building),
    /// The value each checked field (checksums) should hold, for verifying.
    pub expected: fn(&Scope) -> Vec<(&'static Field, u128)>,
}

/// A layer being built: the whole packet, and where this layer sits in it.
pub struct Building<'a> {
    pub packet: &'a mut [u8],
    /// This layer's first byte.
    pub start: usize,
    /// Bytes of this layer's header, options included.
    pub hdr_len: usize,
    /// The protocol after this one in the template, if any.
    pub next: Option<&'static Protocol>,
    /// Whether the user set a field (then it is written as given, never fixed).
    pub is_set: &'a dyn Fn(&Field) -> bool,
}

impl Building<'_> {
    /// This layer and everything after it.
    pub fn layer(&mut self) -> &mut [u8] {
        &mut self.packet[self.start..]
    }
}

/// A layer of a dissected packet, for verifying: where it starts, where its header and scope end.
pub struct Scope<'a> {
    pub packet: &'a [u8],
    pub start: usize,
    pub hdr_end: usize,
    pub end: usize,
}

impl Scope<'_> {
    pub fn header(&self) -> &[u8] {
        &self.packet[self.start..self.hdr_end]
    }
    /// The header and what it carries, up to the end the outer layer claims.
    pub fn message(&self) -> &[u8] {
        &self.packet[self.start..self.end]
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
}

impl Protocol {
    /// Looks up one of this protocol's fields (or its tail) by full name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.all_fields().find(|f| f.name == name)
    }

    /// Every field of the table, variants included, the tail last.
    pub fn all_fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        let mut variants: Vec<&'static Field> = Vec::new();
        for f in self.variant_fields.iter().flat_map(|v| v.iter().copied()) {
            if !variants.contains(&f) {
                variants.push(f);
            }
        }
        self.fields.iter().copied().chain(variants).chain(self.tail)
    }

    /// The fixed fields a header of these bytes has: the common ones, then the variant's.
    pub fn fields_of(&self, header: &[u8]) -> impl Iterator<Item = &'static Field> + '_ {
        let common_end = self.fields.iter().map(|f| f.end_byte()).max().unwrap_or(0);
        let variant: &'static [&'static Field] = match self.variant {
            Some(v) if header.len() >= common_end => v(header),
            _ => &[],
        };
        self.fields.iter().copied().chain(variant.iter().copied())
    }

    /// The code an outer protocol uses for this one (1 for ICMP under "ip").
    pub fn id_under(&self, outer: &Protocol) -> Option<u128> {
        self.ids
            .iter()
            .find(|(o, _)| *o == outer.name)
            .map(|(_, c)| *c)
    }
}

/// The protocol an outer one carries under a code (ICMP for ip.proto 1), if rawlab knows it.
pub fn carried(outer: &Protocol, code: u128) -> Option<&'static Protocol> {
    PROTOCOLS
        .iter()
        .copied()
        .find(|p| p.ids.contains(&(outer.name, code)))
}

/// The next layer named by an outer protocol's `next_field`.
pub fn next_by_field(outer: &Protocol, header: &[u8]) -> Option<&'static Protocol> {
    let f = outer.next_field?;
    (header.len() >= f.end_byte()).then(|| carried(outer, f.get(header)))?
}

/// Every protocol rawlab knows, in the order completion and `help` list them.
pub static PROTOCOLS: &[&Protocol] = &[&ipv4::IPV4, &icmp::ICMP];

/// The payload after the last header. Not a protocol, but it has a name users type.
pub static DATA: Field = Field {
    meaning: "the bytes after the last header",
    notes: "Set it with `payload`: hex bytes, \"text\", `time` (a send timestamp, as ping uses) or `zeros N`.",
    ..Field::new("data.data", 0, 0, Kind::Bytes)
};

/// Finds a protocol by a stack name (`ip`, `ipv4`, `icmp`).
pub fn protocol_named(name: &str) -> Option<&'static Protocol> {
    PROTOCOLS
        .iter()
        .copied()
        .find(|p| p.name == name || p.aliases.contains(&name))
}

/// Why a field name did not resolve.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Nothing has that name; the closest names, best first.
    Unknown { suggestions: Vec<&'static str> },
    /// A short name that fits several fields.
    Ambiguous { candidates: Vec<&'static str> },
    /// The field exists, but in a protocol that is not in the template.
    NotInStack { field: &'static Field },
}

/// Resolves a field name against the layers of a template: a full Wireshark name,
/// or a short name (`ttl`, `flags.df`, `df`) or alias that fits exactly one field.
pub fn resolve(name: &str, stack: &[&'static Protocol]) -> Result<&'static Field, Lookup> {
    let name = name.to_ascii_lowercase();
    if name == DATA.name || name == "data" || name == "payload" {
        return Ok(&DATA);
    }
    let matches = |f: &Field| {
        f.name == name
            || f.name.ends_with(&format!(".{name}"))
            || f.aliases.contains(&name.as_str())
    };
    let in_stack: Vec<&'static Field> = stack
        .iter()
        .flat_map(|p| p.all_fields())
        .filter(|f| matches(f))
        .collect();
    if let Some(exact) = in_stack.iter().find(|f| f.name == name) {
        return Ok(exact);
    }
    match in_stack.len() {
        1 => return Ok(in_stack[0]),
        n if n > 1 => {
            return Err(Lookup::Ambiguous {
                candidates: in_stack.iter().map(|f| f.name).collect(),
            });
        }
        _ => {}
    }
    if let Some(field) = PROTOCOLS
        .iter()
        .flat_map(|p| p.all_fields())
        .find(|f| matches(f))
    {
        return Err(Lookup::NotInStack { field });
    }
    let mut names: Vec<&'static str> = stack
        .iter()
        .flat_map(|p| p.all_fields())
        .flat_map(|f| std::iter::once(f.name).chain(std::iter::once(f.short())))
        .chain(std::iter::once(DATA.name))
        .collect();
    names.dedup();
    Err(Lookup::Unknown {
        suggestions: crate::suggest::closest(&name, names.iter().copied()),
    })
}

/// Reads `bits` bits starting `bit_off` bits into `buf`, most significant first.
pub fn get_bits(buf: &[u8], bit_off: usize, bits: u32) -> u128 {
    let first = bit_off / 8;
    let end = (bit_off + bits as usize).div_ceil(8);
    debug_assert!(end - first <= 16 || bit_off.is_multiple_of(8));
    let mut acc: u128 = 0;
    for &b in &buf[first..end] {
        acc = (acc << 8) | b as u128;
    }
    let trailing = end * 8 - (bit_off + bits as usize);
    acc >>= trailing;
    if bits >= 128 {
        acc
    } else {
        acc & ((1u128 << bits) - 1)
    }
}

/// Writes the low `bits` bits of `value` starting `bit_off` bits into `buf`.
pub fn set_bits(buf: &mut [u8], bit_off: usize, bits: u32, value: u128) {
    for i in 0..bits as usize {
        let bit = (value >> (bits as usize - 1 - i)) & 1;
        let pos = bit_off + i;
        let mask = 0x80u8 >> (pos % 8);
        if bit == 1 {
            buf[pos / 8] |= mask;
        } else {
            buf[pos / 8] &= !mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_at_every_offset() {
        for off in 0..24 {
            for width in 1..=16u32 {
                let mut buf = [0xa5u8; 6];
                let before = buf;
                let v = 0x5a5a_u128 & ((1 << width) - 1);
                set_bits(&mut buf, off, width, v);
                assert_eq!(get_bits(&buf, off, width), v, "off {off} width {width}");
                // Bits outside the field are untouched.
                for bit in (0..off).chain(off + width as usize..48) {
                    let m = 0x80 >> (bit % 8);
                    assert_eq!(buf[bit / 8] & m, before[bit / 8] & m, "bit {bit}");
                }
            }
        }
    }

    #[test]
    fn wide_aligned_fields() {
        let buf: Vec<u8> = (1..=16).collect();
        assert_eq!(
            get_bits(&buf, 0, 128),
            u128::from_be_bytes(buf.clone().try_into().unwrap())
        );
        assert_eq!(get_bits(&buf, 8, 32), 0x0203_0405);
    }

    /// Walks every table: unique names, documented fields, no overlapping spans,
    /// groups covering exactly their members, defaults that fit.
    #[test]
    fn tables_are_sane() {
        let mut seen = std::collections::HashSet::new();
        for p in PROTOCOLS {
            for f in p.all_fields() {
                assert!(seen.insert(f.name), "duplicate field name {}", f.name);
                assert!(
                    f.name.starts_with(&format!("{}.", p.name)),
                    "{} not under {}",
                    f.name,
                    p.name
                );
                assert!(!f.meaning.is_empty(), "{} has no meaning", f.name);
                assert!(!f.rfc.is_empty(), "{} names no RFC", f.name);
                assert!(!f.notes.is_empty(), "{} has no notes for explain", f.name);
                assert!(f.default <= f.max_raw(), "{} default too wide", f.name);
                for (v, n) in f.names {
                    assert!(*v <= f.max_raw(), "{} value {n} too wide", f.name);
                }
            }
            // The common fields with each variant lay out one header: every bit named
            // once, from the first byte to the last field's end, groups over their members.
            let mut layouts: Vec<Vec<&Field>> = p
                .variant_fields
                .iter()
                .map(|v| p.fields.iter().chain(v.iter()).copied().collect())
                .collect();
            if layouts.is_empty() {
                layouts.push(p.fields.to_vec());
            }
            for layout in layouts {
                let end = layout.iter().map(|f| f.end_byte()).max().unwrap_or(0);
                assert!(
                    end >= p.fixed_len,
                    "{}: fields stop before the fixed header ends",
                    p.name
                );
                let mut covered = vec![false; end * 8];
                for f in layout.iter().filter(|f| !f.group && f.kind != Kind::Bytes) {
                    for (bit, c) in covered
                        .iter_mut()
                        .enumerate()
                        .skip(f.bit_offset)
                        .take(f.bits as usize)
                    {
                        assert!(!*c, "{} overlaps another field at bit {bit}", f.name);
                        *c = true;
                    }
                }
                assert!(
                    covered.iter().all(|c| *c),
                    "{} leaves bits of its header unnamed ({:?})",
                    p.name,
                    layout.iter().map(|f| f.name).collect::<Vec<_>>()
                );
                for g in layout.iter().filter(|f| f.group) {
                    let members: u32 = layout
                        .iter()
                        .filter(|f| !f.group && f.name.starts_with(&format!("{}.", g.name)))
                        .map(|f| f.bits)
                        .sum();
                    assert_eq!(
                        members, g.bits,
                        "group {} and its members differ in width",
                        g.name
                    );
                }
            }
        }
    }

    #[test]
    fn resolves_short_names_and_reports_ambiguity() {
        let stack = [&ipv4::IPV4, &icmp::ICMP];
        assert_eq!(resolve("ttl", &stack).unwrap().name, "ip.ttl");
        assert_eq!(resolve("ip.ttl", &stack).unwrap().name, "ip.ttl");
        assert_eq!(resolve("df", &stack).unwrap().name, "ip.flags.df");
        assert_eq!(resolve("flags.df", &stack).unwrap().name, "ip.flags.df");
        assert_eq!(resolve("ihl", &stack).unwrap().name, "ip.hdr_len");
        assert_eq!(resolve("type", &stack).unwrap().name, "icmp.type");
        assert_eq!(resolve("TTL", &stack).unwrap().name, "ip.ttl");
        match resolve("checksum", &stack) {
            Err(Lookup::Ambiguous { candidates }) => {
                assert_eq!(candidates, vec!["ip.checksum", "icmp.checksum"])
            }
            other => panic!("{other:?}"),
        }
        match resolve("tll", &stack) {
            Err(Lookup::Unknown { suggestions }) => assert_eq!(suggestions[0], "ttl"),
            other => panic!("{other:?}"),
        }
        match resolve("icmp.type", &[&ipv4::IPV4]) {
            Err(Lookup::NotInStack { field }) => assert_eq!(field.name, "icmp.type"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn words() {
        assert_eq!(ipv4::TTL.words(64), "64");
        assert_eq!(ipv4::HDR_LEN.words(5), "20 bytes (5 × 4)");
        assert_eq!(ipv4::FRAG_OFFSET.words(0), "0 bytes");
        assert_eq!(ipv4::LEN.words(30), "30 bytes");
        assert_eq!(ipv4::PROTO.words(1), "1 (icmp)");
        assert_eq!(ipv4::CHECKSUM.words(0x6009), "0x6009");
        assert_eq!(ipv4::DST.words(0x7f00_0001), "127.0.0.1");
        assert_eq!(icmp::TYPE.words(8), "8 (echo-request)");
        assert_eq!(ipv4::FLAG_DF.words(1), "1 (set)");
        assert_eq!(ipv4::TTL.range_words(), "0..=255");
        assert_eq!(ipv4::HDR_LEN.range_words(), "0..=60 in steps of 4");
    }
}
