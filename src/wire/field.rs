//! A field of a protocol's table: where it sits, how wide it is, what it means, and
//! how its value is read, written and put in words.

use super::*;

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
    /// A domain name in DNS's wire form (RFC 1035 §3.1, §4.1.4), of variable length,
    /// shown as text (`www.example.com`) with its compression pointers followed. Only
    /// inside records: its `Placed` base is the message its pointers count from.
    Name,
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
            Kind::Bytes | Kind::Name => {}
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
            Kind::Name => {
                "a domain name such as www.example.com, as labels and pointers".to_string()
            }
            _ if self.scale != 1 => format!(
                "0..={} in steps of {}",
                self.shown(self.max_raw()),
                self.scale
            ),
            _ => format!("0..={}", self.max_raw()),
        }
    }
}

/// Name lists longer than this are in strictly increasing order of value (a table
/// test checks), so a value's name is found by binary search.
pub(super) const LONG_NAMES: usize = 32;

/// A MAC address in words: six bytes in hex, colon separated.
pub fn mac_words(raw: u128) -> String {
    Field::new("", 0, 48, Kind::Mac).words_named(raw, None)
}
