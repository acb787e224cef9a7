//! The wire layer: every protocol rawlab knows, declared once as a table of
//! fields. Building bytes, dissecting bytes, `set`, completion, `explain` and
//! JSON all read these tables; nothing outside `wire` knows an offset.
//!
//! This module holds the table types and the bit-level accessors. Each
//! protocol lives in its own file (`ipv4.rs`, `icmp.rs`, `tcp.rs`, `udp.rs`,
//! `ipv6.rs` with its extension headers, `icmpv6.rs`) with its fields, its
//! named values and its tests. Nothing here touches sockets or terminals.
//!
//! A table says more than offsets: which fields follow from the bytes (a
//! `variant`, ICMP's rest of header by type), which value names hold only in
//! context (`names_when`, icmp.code by icmp.type), how the variable tail reads
//! (`TailSpec`: TLV options or repeated entries, each field placed for the
//! dump and JSON), whether the payload is a quoted packet (`quotes`), and for
//! network layers the pseudo-header upper checksums cover (`pseudo`).

/// The post's echo request as the kernel put it on loopback (ip.id 0x1cd4, both
/// checksums filled in): the packet the unit tests of several modules take apart.
#[cfg(test)]
pub(crate) const POST_ON_THE_WIRE: [u8; 30] = [
    0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x60, 0x09, 0x7f, 0x00, 0x00, 0x01,
    0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
];

pub mod arp;
pub mod checksum;
pub mod dissect;
pub mod eth;
pub mod hosts;
pub mod icmp;
pub mod icmpv6;
pub mod ipproto;
pub mod ipv4;
pub mod ipv6;
pub mod suggest;
pub mod tcp;
pub mod template;
pub mod udp;

use std::ops::Range;

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
    /// A 128-bit IPv6 address, shown in RFC 5952 form (`2001:db8::1`).
    Ipv6,
    /// A 48-bit MAC (Ethernet hardware) address, shown `02:72:61:77:00:02`.
    Mac,
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
    /// rawlab writes the sending interface's address (its MAC, or its IPv4 address) when
    /// the user left it 0: AF_PACKET hands a frame over as it is, so no kernel will.
    /// The text says what is written.
    Interface(&'static str),
}

/// Whether a field names a host, and in which role: what the off-host policy checks
/// in every layer of a packet before it is handed over (a frame's IP header, a quoted
/// datagram, an inner IP-in-IP header, a source route's hops, ARP's addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// Not an address (most fields).
    No,
    /// Who the packet claims to come from: an answer goes there.
    Source,
    /// A host the packet is for, is routed through or tells its receiver to use.
    Destination,
    /// An address asked about (ARP's target): nothing is sent there, but whoever has it
    /// answers.
    Asked,
    /// Address-shaped but names no host (a netmask, a prefix).
    NotAHost,
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
    /// Whether it names a host, for the off-host policy.
    pub host: Host,
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
            host: Host::No,
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
        // A long list (IANA's protocol numbers) is kept in order: search it by halves.
        if self.names.len() > LONG_NAMES {
            let i = self.names.binary_search_by_key(&raw, |(v, _)| *v).ok()?;
            return Some(self.names[i].1);
        }
        self.names.iter().find(|(v, _)| *v == raw).map(|(_, n)| *n)
    }

    /// The value in a layer's bytes, in words, appended to `s`.
    pub fn write_text(&self, s: &mut String, layer: &[u8]) {
        let raw = self.get(layer);
        self.write_words(s, raw, self.value_name(raw));
    }

    /// The value in words: `64`, `0x3721`, `127.0.0.1`, `8 (echo-request)`, `20 bytes (5 words)`.
    pub fn words(&self, raw: u128) -> String {
        self.words_named(raw, self.value_name(raw))
    }

    /// The value in words with the name given (a name that depends on other fields).
    pub fn words_named(&self, raw: u128, name: Option<&str>) -> String {
        // Room for most values and their names, so the text is not grown on the way.
        let mut s = String::with_capacity(24);
        self.write_words(&mut s, raw, name);
        s
    }

    /// The value in words, appended to `s` (the dump draws thousands a second).
    pub fn write_words<W: std::fmt::Write + ?Sized>(
        &self,
        s: &mut W,
        raw: u128,
        name: Option<&str>,
    ) {
        // Digits by hand: core's formatting machinery costs more than the digits.
        match self.kind {
            Kind::Dec => push_dec(s, self.shown(raw)),
            // Whole bytes of digits, as Wireshark prints them: tcp.flags 0x0002, not 0x002.
            Kind::Hex => {
                let _ = s.write_str("0x");
                push_hex(s, raw, (self.bits as usize).div_ceil(8) * 2);
            }
            Kind::Flag => {
                let _ = s.write_str(if raw != 0 { "1 (set)" } else { "0 (not set)" });
            }
            Kind::Ipv4 => {
                for (i, x) in (raw as u32).to_be_bytes().iter().enumerate() {
                    if i > 0 {
                        let _ = s.write_char('.');
                    }
                    push_dec(s, u128::from(*x));
                }
            }
            Kind::Ipv6 => {
                let _ = write!(s, "{}", std::net::Ipv6Addr::from(raw));
            }
            Kind::Mac => {
                for (i, x) in (raw as u64).to_be_bytes()[2..].iter().enumerate() {
                    if i > 0 {
                        let _ = s.write_char(':');
                    }
                    push_hex(s, u128::from(*x), 2);
                }
            }
            Kind::Bytes => {}
        }
        if !self.unit.is_empty() {
            let _ = s.write_char(' ');
            let _ = s.write_str(self.unit);
        }
        if self.scale != 1 && raw != 0 {
            let _ = s.write_str(" (");
            push_dec(s, raw);
            let _ = s.write_str(" × ");
            push_dec(s, u128::from(self.scale));
            let _ = s.write_char(')');
        }
        if let Some(n) = name {
            let _ = s.write_str(" (");
            let _ = s.write_str(n);
            let _ = s.write_char(')');
        }
    }

    /// The range of raw values, in words, for errors and `explain`: `0..=255`.
    pub fn range_words(&self) -> String {
        match self.kind {
            Kind::Ipv4 => "a dotted IPv4 address such as 127.0.0.1".to_string(),
            Kind::Ipv6 => "an IPv6 address such as ::1 or fe80::1".to_string(),
            Kind::Mac => "a MAC address such as 02:72:61:77:00:02".to_string(),
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

/// A number in decimal, appended to `s`.
pub fn push_dec<W: std::fmt::Write + ?Sized>(s: &mut W, v: u128) {
    // 64-bit division when the value fits: u128 division is slow.
    let Ok(mut v) = u64::try_from(v) else {
        let _ = write!(s, "{v}");
        return;
    };
    // Most values are small (ports aside): their digits come ready-made.
    if v < 1000 {
        static SMALL: std::sync::OnceLock<(String, Vec<u16>)> = std::sync::OnceLock::new();
        let (text, ends) = SMALL.get_or_init(|| {
            let mut text = String::new();
            let mut ends = vec![0u16];
            for n in 0..1000 {
                text.push_str(&n.to_string());
                ends.push(text.len() as u16);
            }
            (text, ends)
        });
        let n = v as usize;
        let _ = s.write_str(&text[usize::from(ends[n])..usize::from(ends[n + 1])]);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let _ = s.write_str(std::str::from_utf8(&digits[at..]).unwrap_or("?"));
}

/// A number in lower-case hex with at least `width` digits, appended to `s`.
pub fn push_hex<W: std::fmt::Write + ?Sized>(s: &mut W, v: u128, width: usize) {
    let needed = (128 - v.leading_zeros() as usize).div_ceil(4).max(1);
    for i in (0..needed.max(width)).rev() {
        let nibble = if i < 32 {
            (v >> (4 * i)) as usize & 15
        } else {
            0
        };
        let _ = s.write_char(char::from(b"0123456789abcdef"[nibble]));
    }
}

/// Name lists longer than this are in strictly increasing order of value (a table
/// test checks), so a value's name is found by binary search.
const LONG_NAMES: usize = 32;

/// A MAC address in words: six bytes in hex, colon separated.
pub fn mac_words(raw: u128) -> String {
    Field::new("", 0, 48, Kind::Mac).words_named(raw, None)
}

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

/// Entries of one layout, one after another (recorded route addresses, SACK blocks,
/// router advertisement entries).
pub struct Entries {
    /// Where the first entry starts, in bytes from the start of the option (0 in a tail).
    pub from: usize,
    pub fields: &'static [At],
    /// Bytes per entry.
    pub stride: usize,
    /// Where the empty slots start, in bytes from the option's start (a route option's
    /// pointer), and the fields they are shown with instead.
    pub empty: Option<EmptySlots>,
}

/// One kind of option in a type-length-value list. Field offsets count from the
/// option's first byte, the kind.
pub struct OptionKind {
    pub code: u128,
    /// Fields after the kind and length bytes.
    pub fields: &'static [&'static Field],
    /// The option's total length in bytes, when the kind has only one.
    pub len: Option<usize>,
    /// Which entries repeat to the option's end, given the option's bytes, if any.
    pub entries: Option<fn(&[u8]) -> &'static Entries>,
    /// Every layout `entries` may return, for the table test.
    pub all_entries: &'static [&'static Entries],
    /// Bytes from the end of `fields` to the option's end (a link-layer address), if any.
    pub rest: Option<&'static Field>,
}

impl OptionKind {
    /// A kind with fixed fields only; the tables tweak the rest.
    pub const fn new(code: u128, fields: &'static [&'static Field], len: Option<usize>) -> Self {
        OptionKind {
            code,
            fields,
            len,
            entries: None,
            all_entries: &[],
            rest: None,
        }
    }
}

/// A type-length-value option list: TCP and IPv4 options, IPv6 hop-by-hop and
/// destination options, ICMPv6 neighbour discovery options.
pub struct OptionList {
    /// The kind byte every option starts with: its field, then any fields over its bits
    /// (ip.opt.type's copy, class and number).
    pub kind: &'static [&'static Field],
    /// The length byte after the kind.
    pub len: &'static Field,
    /// How the length counts: the option's total bytes are `value × len_scale + len_add`.
    pub len_scale: usize,
    pub len_add: usize,
    /// The fewest bytes an option with a length may have.
    pub min_len: usize,
    /// Kinds that are one byte with no length (end of list, no-operation, Pad1).
    pub single: &'static [u128],
    /// The kind that ends the list; what follows is padding.
    pub end: Option<u128>,
    /// The bytes after the end of the list.
    pub padding: Option<&'static Field>,
    pub kinds: &'static [OptionKind],
    /// The data of an option whose kind has no entry in `kinds`, and of bytes that
    /// cannot be read as options.
    pub unknown: &'static Field,
}

impl OptionList {
    pub fn kind_of(&self, code: u128) -> Option<&'static OptionKind> {
        self.kinds.iter().find(|k| k.code == code)
    }

    /// Every field an option of this list may hold.
    pub fn all_fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        let mut v: Vec<&'static Field> = self.kind.to_vec();
        v.push(self.len);
        for k in self.kinds {
            v.extend(k.fields.iter().copied());
            for e in k.all_entries {
                v.extend(e.fields.iter().map(|(_, f)| *f));
                v.extend(e.empty.iter().flat_map(|(_, f)| f.iter().map(|(_, f)| *f)));
            }
            v.extend(k.rest);
        }
        v.extend(self.padding);
        v.push(self.unknown);
        let mut seen: Vec<&'static Field> = Vec::new();
        v.retain(|f| {
            let new = !seen.contains(f);
            seen.push(f);
            new
        });
        v.into_iter()
    }
}

/// How the bytes of a tail read.
#[derive(Clone, Copy)]
pub enum Tail {
    /// Plain bytes.
    Bytes,
    Options(&'static OptionList),
    Entries(&'static Entries),
}

/// The variable part of a header after its fixed fields: settable as bytes, shown
/// item by item.
pub struct TailSpec {
    /// The bytes as users set them (`ip.options`).
    pub field: &'static Field,
    /// The whole header, fixed part and tail, is a multiple of this many bytes.
    pub unit: usize,
    /// The longest header the length field can express.
    pub max_header: usize,
    /// What a new template carries (an IPv6 option header needs padding to 8 bytes).
    pub default: &'static [u8],
    /// How to pad, for errors: "pad with 00 (end of options)".
    pub pad: &'static str,
    /// How the bytes read, given the header.
    pub format: fn(&[u8]) -> Tail,
    /// Every format `format` may return, for the table test.
    pub formats: &'static [Tail],
}

impl TailSpec {
    /// Every field the tail's items may hold, the tail itself first.
    pub fn all_fields(&self) -> Vec<&'static Field> {
        let mut v = vec![self.field];
        for t in self.formats {
            match t {
                Tail::Bytes => {}
                Tail::Options(l) => v.extend(l.all_fields()),
                Tail::Entries(e) => v.extend(e.fields.iter().map(|(_, f)| *f)),
            }
        }
        let mut seen: Vec<&'static Field> = Vec::new();
        v.retain(|f| {
            let new = !seen.contains(f);
            seen.push(f);
            new
        });
        v
    }
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
}

/// A layer of a dissected packet, for verifying: where it starts, where its header and scope end.
pub struct Scope<'a> {
    pub packet: &'a [u8],
    pub start: usize,
    pub hdr_end: usize,
    pub end: usize,
    /// Whether the bytes hold all the layer claims (a quoted packet is cut short).
    pub whole: bool,
    /// The nearest network layer before this one, for pseudo-headers.
    pub network: Network,
}

impl Scope<'_> {
    pub fn header(&self) -> &[u8] {
        &self.packet[self.start..self.hdr_end]
    }
    /// The header and what it carries, up to the end the outer layer claims.
    pub fn message(&self) -> &[u8] {
        &self.packet[self.start..self.end]
    }
    /// Where the header is in the packet.
    pub fn header_range(&self) -> Range<usize> {
        self.start..self.hdr_end
    }
    /// Where the message is in the packet.
    pub fn message_range(&self) -> Range<usize> {
        self.start..self.end
    }
    /// The pseudo-header sum for `upper` (this layer) over its message.
    pub fn pseudo(&self, upper: &Protocol) -> Option<u32> {
        pseudo_sum(self.packet, &self.network, upper, self.end - self.start)
    }
}

fn pseudo_sum(packet: &[u8], network: &Network, upper: &Protocol, len: usize) -> Option<u32> {
    let (p, r) = network.as_ref()?;
    let code = upper.id_under(p)?;
    let hdr = packet.get(r.clone())?;
    Some((p.pseudo?)(hdr, code as u8, len as u32))
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

/// What a checked field (a checksum) should hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub field: &'static Field,
    pub want: u128,
    /// The bytes the checksum covers (offsets in the packet), the field among them
    /// counted as zero, and the pseudo-header sum added to them (0 when none): what
    /// `explain` works through by hand.
    pub covers: Range<usize>,
    pub pseudo: u32,
    /// A different value with an innocent explanation: the pseudo-header sum a kernel
    /// leaves in a checksum for the network card to finish (checksum offload). Some
    /// exactly for checksums that cover a pseudo-header.
    pub offloaded: Option<u128>,
}

/// How a checked field's value compares with what it should hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Correct,
    /// The pseudo-header sum only, left for checksum offload to finish.
    Offloaded,
    Wrong,
}

/// Why a checksum can hold just the pseudo-header sum, for the dump.
pub const OFFLOAD_NOTE: &str = "only the pseudo-header sum: the sending kernel left the rest to the network card (checksum offload), and a copy taken before the card, or on lo where no card finishes it, shows it unfinished; the receiving kernel knows and accepts it";

impl Expected {
    /// A checksum over `covers` alone, with nothing else to accept.
    pub fn sum(field: &'static Field, want: u128, covers: Range<usize>) -> Expected {
        Expected {
            field,
            want,
            covers,
            pseudo: 0,
            offloaded: None,
        }
    }

    pub fn verdict(&self, raw: u128) -> Verdict {
        if raw == self.want {
            Verdict::Correct
        } else if self.offloaded == Some(raw) {
            Verdict::Offloaded
        } else {
            Verdict::Wrong
        }
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

/// Every name a user may type for a field's values: its own, and those that hold
/// in some context (every icmp.code name, whatever the type). First name wins.
pub fn all_names(f: &Field) -> Vec<(u128, &'static str)> {
    let mut v: Vec<(u128, &'static str)> = f.names.to_vec();
    for n in PROTOCOLS
        .iter()
        .flat_map(|p| p.names_when)
        .filter(|n| n.field == f)
    {
        for &(raw, name) in n.names {
            if !v.iter().any(|(_, m)| *m == name) {
                v.push((raw, name));
            }
        }
    }
    v
}

/// The protocol an outer one carries under a code (ICMP for ip.proto 1), if rawlab knows it.
pub fn carried(outer: &Protocol, code: u128) -> Option<&'static Protocol> {
    PROTOCOLS
        .iter()
        .copied()
        .find(|p| p.ids.contains(&(outer.numbers, code)))
}

/// `TITLE SRC → DST`: how a summary names both ends of a frame or datagram.
pub fn push_ends(s: &mut String, title: &str, src: &Field, dst: &Field, header: &[u8]) {
    s.push_str(title);
    s.push(' ');
    src.write_text(s, header);
    s.push_str(" → ");
    dst.write_text(s, header);
}

/// A value's name, or `word` and its number where the table has none (`proto 253`).
pub fn push_name_or(s: &mut String, name: Option<&str>, word: &str, raw: u128) {
    match name {
        Some(n) => s.push_str(n),
        None => {
            s.push_str(word);
            push_dec(s, raw);
        }
    }
}

/// What an IP header says comes next (`f`, holding `raw`): its name or `word` and
/// number, and in full (when `describe`) if rawlab does not take it apart, since its
/// payload then shows as data.
pub fn push_next(
    s: &mut String,
    outer: &Protocol,
    (f, raw): (&Field, u128),
    word: &str,
    describe: bool,
) {
    push_name_or(s, f.value_name(raw), word, raw);
    if describe
        && carried(outer, raw).is_none()
        && let Some(what) = ipproto::describe(raw)
    {
        s.push_str(" (");
        s.push_str(what);
        s.push(')');
    }
}

/// The next layer named by an outer protocol's `next_field`.
pub fn next_by_field(outer: &Protocol, header: &[u8]) -> Option<&'static Protocol> {
    let f = outer.next_field?;
    (header.len() >= f.end_byte()).then(|| carried(outer, f.get(header)))?
}

/// Every protocol rawlab knows, in the order completion and `help` list them.
pub static PROTOCOLS: &[&Protocol] = &[
    &ipv4::IPV4,
    &icmp::ICMP,
    &tcp::TCP,
    &udp::UDP,
    &ipv6::IPV6,
    &ipv6::HOPOPTS,
    &ipv6::ROUTING,
    &ipv6::FRAGMENT,
    &ipv6::DSTOPTS,
    &icmpv6::ICMPV6,
    &eth::ETH,
    &arp::ARP,
];

/// The payload after the last header. Not a protocol, but it has a name users type.
pub static DATA: Field = Field {
    meaning: "the bytes after the last header",
    notes: "Set it with `payload`: hex bytes, \"text\", `time` (a send timestamp, as ping uses) or `zeros N`.",
    ..Field::new("data.data", 0, 0, Kind::Bytes)
};

/// Bytes of a header that no field of the dump can show: the packet ends inside a field
/// (a cut header), so what is there is too little to read. Not a protocol's field: the
/// dissector places it wherever such bytes are, so every byte of a dump is accounted for.
pub static UNPARSED: Field = Field {
    meaning: "the packet ends inside a field here: too few bytes to read it",
    notes: "rawlab shows a cut header as far as whole fields go; the bytes of the field the packet ends inside are listed here, so none is left out.",
    ..Field::new("unparsed", 0, 0, Kind::Bytes)
};

/// Every layer stack worth offering (after `new`, in completion): each protocol that
/// starts a stack and what it can carry, up to four layers.
pub fn stacks() -> Vec<String> {
    fn grow(prefix: &str, last: &'static Protocol, depth: usize, out: &mut Vec<String>) {
        out.push(prefix.to_string());
        if depth == 0 {
            return;
        }
        for p in PROTOCOLS.iter().filter(|p| p.id_under(last).is_some()) {
            grow(&format!("{prefix}/{}", p.name), p, depth - 1, out);
        }
    }
    let mut out = Vec::new();
    for p in PROTOCOLS.iter().filter(|p| p.starts) {
        grow(p.name, p, 3, &mut out);
    }
    out
}

/// A stack that holds a field, to suggest: the one where its protocol comes earliest,
/// and the shortest of three layers or more (`ip/tcp` for tcp.srcport, `eth/ip/icmp` for eth.dst).
pub fn stack_with(f: &Field) -> Option<String> {
    let owner = PROTOCOLS.iter().find(|p| p.all_fields().any(|g| g == f))?;
    stacks()
        .into_iter()
        .filter_map(|s| {
            let at = s.split('/').position(|n| n == owner.name)?;
            let layers = s.split('/').count();
            // Three layers make a packet a learner can send (eth/ip/icmp); more is noise.
            Some((at, layers < 3, layers, s))
        })
        .min()
        .map(|(_, _, _, s)| s)
}

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
    /// The field lives inside an option or entry, set through the bytes of `tail`.
    InTail {
        field: &'static Field,
        tail: &'static Field,
    },
}

/// Resolves a field name against the layers of a template: a full Wireshark name,
/// or a short name (`ttl`, `flags.df`, `df`) or alias that fits exactly one field.
pub fn resolve(name: &str, stack: &[&'static Protocol]) -> Result<&'static Field, Lookup> {
    let name = name.to_ascii_lowercase();
    if name == DATA.name || name == "data" || name == "payload" {
        return Ok(&DATA);
    }
    // Names compare without case: Wireshark has a few capitals (ipv6.routing.rpl.cmprI).
    let matches = |f: &Field| {
        let full = f.name.to_ascii_lowercase();
        full == name || full.ends_with(&format!(".{name}")) || f.aliases.contains(&name.as_str())
    };
    let mut in_stack: Vec<&'static Field> = Vec::new();
    for f in stack
        .iter()
        .flat_map(|p| p.all_fields())
        .filter(|f| matches(f))
    {
        if !in_stack.contains(&f) {
            in_stack.push(f);
        }
    }
    if let Some(exact) = in_stack.iter().find(|f| f.name.eq_ignore_ascii_case(&name)) {
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
    // A field inside options: by any name in the template's layers, by its full name
    // in any protocol.
    let in_tail = |p: &Protocol, exact: bool| {
        let t = p.tail?;
        let field = p
            .item_fields()
            .into_iter()
            .find(|f| if exact { f.name == name } else { matches(f) })?;
        Some(Lookup::InTail {
            field,
            tail: t.field,
        })
    };
    if let Some(e) = stack
        .iter()
        .find_map(|p| in_tail(p, false))
        .or_else(|| PROTOCOLS.iter().find_map(|p| in_tail(p, true)))
    {
        return Err(e);
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
        suggestions: crate::wire::suggest::closest(&name, names.iter().copied()),
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

    proptest::proptest! {
        /// The hand-written digits agree with core's formatting.
        #[test]
        fn digits_by_hand_match_format(v: u128, small: u64, width in 0usize..40) {
            for v in [v, u128::from(small)] {
                let mut s = String::new();
                push_dec(&mut s, v);
                proptest::prop_assert_eq!(&s, &v.to_string());
                s.clear();
                push_hex(&mut s, v, width);
                proptest::prop_assert_eq!(&s, &format!("{v:0width$x}"));
            }
        }
    }

    #[test]
    fn digits_at_the_edges() {
        for v in [
            0,
            9,
            10,
            u128::from(u64::MAX),
            u128::from(u64::MAX) + 1,
            u128::MAX,
        ] {
            let mut s = String::new();
            push_dec(&mut s, v);
            assert_eq!(s, v.to_string());
            s.clear();
            push_hex(&mut s, v, 4);
            assert_eq!(s, format!("{v:04x}"));
        }
    }

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
                // The policy checks every address; one without a role would slip by.
                assert_eq!(
                    matches!(f.kind, Kind::Ipv4 | Kind::Ipv6),
                    f.host != Host::No,
                    "{}: an address field says whether it names a host, and only those do",
                    f.name
                );
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

    /// Fields laid out from bit 0 to `end` bytes: every bit named once (groups aside),
    /// every group as wide as its members.
    fn covers(what: &str, layout: &[&'static Field], end: usize) {
        let at: Vec<At> = layout.iter().map(|f| (0, *f)).collect();
        covers_at(what, &at, end)
    }

    fn covers_at(what: &str, layout: &[At], end: usize) {
        let mut covered = vec![false; end * 8];
        for (shift, f) in layout
            .iter()
            .filter(|(_, f)| !f.group && f.kind != Kind::Bytes)
        {
            assert!(
                shift + f.end_byte() <= end,
                "{what}: {} runs past {end} bytes",
                f.name
            );
            for (bit, c) in covered
                .iter_mut()
                .enumerate()
                .skip(shift * 8 + f.bit_offset)
                .take(f.bits as usize)
            {
                assert!(
                    !*c,
                    "{what}: {} overlaps another field at bit {bit}",
                    f.name
                );
                *c = true;
            }
        }
        assert!(covered.iter().all(|c| *c), "{what}: bits left unnamed");
        for (_, g) in layout.iter().filter(|(_, f)| f.group) {
            let members: u32 = layout
                .iter()
                .filter(|(_, f)| !f.group && f.name.starts_with(&format!("{}.", g.name)))
                .map(|(_, f)| f.bits)
                .sum();
            assert_eq!(members, g.bits, "{what}: group {} and its members", g.name);
        }
    }

    /// Walks the fields inside options and entries: one static per name across every
    /// protocol, documented, under the protocol's family prefix (`ipv6.opt.*` serves
    /// ipv6.hopopts), and every option and entry layout fully named.
    #[test]
    fn option_and_entry_tables_are_sane() {
        let mut by_name: std::collections::HashMap<&str, *const Field> = Default::default();
        for p in PROTOCOLS {
            for f in p.all_fields().chain(p.item_fields()) {
                let seen = by_name.entry(f.name).or_insert(f as *const Field);
                assert_eq!(*seen, f as *const Field, "two fields named {}", f.name);
                // The dump measures names in bytes to line them up.
                assert!(f.name.is_ascii(), "{} is not ASCII", f.name);
                if f.names.len() > LONG_NAMES {
                    assert!(
                        f.names.windows(2).all(|w| w[0].0 < w[1].0),
                        "{}'s long list of names is not in order of value",
                        f.name
                    );
                }
            }
            let family = p.name.split('.').next().unwrap();
            for f in p.item_fields() {
                assert!(
                    f.name.starts_with(&format!("{family}.")),
                    "{} not under {family}",
                    f.name
                );
                assert!(
                    !f.meaning.is_empty() && !f.rfc.is_empty() && !f.notes.is_empty(),
                    "{} is undocumented",
                    f.name
                );
                assert!(f.default <= f.max_raw());
                for (v, _) in f.names {
                    assert!(*v <= f.max_raw(), "{} names a value too wide", f.name);
                }
            }
            let Some(tail) = p.tail else { continue };
            assert!(tail.default.len() + p.fixed_len <= tail.max_header);
            for t in tail.formats {
                match t {
                    Tail::Bytes => {}
                    Tail::Entries(e) => {
                        covers_at(p.name, e.fields, e.stride);
                        assert_eq!(e.from, 0, "{}: a tail's entries start at once", p.name);
                    }
                    Tail::Options(list) => {
                        let what = format!("{} options", p.name);
                        assert_eq!((list.kind[0].bit_offset, list.kind[0].bits), (0, 8));
                        covers(&what, list.kind, 1);
                        assert_eq!((list.len.bit_offset, list.len.bits), (8, 8));
                        assert!(list.min_len >= 2 && list.len_scale >= 1);
                        for k in list.kinds {
                            let what = format!("{what}, kind {}", k.code);
                            assert!(
                                list.kind[0].value_name(k.code).is_some(),
                                "{what} has no name"
                            );
                            let mut layout: Vec<&Field> = list.kind.to_vec();
                            layout.push(list.len);
                            layout.extend(k.fields);
                            let end = layout.iter().map(|f| f.end_byte()).max().unwrap();
                            covers(&what, &layout, end);
                            if let Some(len) = k.len {
                                assert!(end <= len, "{what}: fields past its length");
                            }
                            for e in k.all_entries {
                                assert_eq!(e.from, end, "{what}: entries start after the fields");
                                covers_at(&what, e.fields, e.stride);
                                if let Some((_, empty)) = e.empty {
                                    covers_at(&what, empty, e.stride);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Context names: values that fit, and every name a user types means one value.
    #[test]
    fn context_names_are_sane() {
        for p in PROTOCOLS {
            for n in p.names_when {
                assert!(p.all_fields().any(|f| f == n.field && f != n.when));
                for (v, name) in n.names {
                    assert!(*v <= n.field.max_raw(), "{name} too wide");
                }
            }
            for f in p.all_fields() {
                let names = all_names(f);
                let mut seen = std::collections::HashSet::new();
                for (_, name) in &names {
                    assert!(seen.insert(*name), "{}: `{name}` twice", f.name);
                    assert!(!name.contains(' '), "{}: `{name}` cannot be typed", f.name);
                }
            }
        }
    }

    /// A quoted packet hands summaries however few bytes were quoted.
    #[test]
    fn summaries_take_any_number_of_bytes() {
        for p in PROTOCOLS {
            for len in 0..=p.fixed_len + 48 {
                for fill in [0x00, 0xff, 0x45] {
                    let s = p.summary_text(&vec![fill; len]);
                    assert!(!s.is_empty(), "{} says nothing for {len} bytes", p.name);
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
