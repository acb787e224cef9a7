//! A protocol's table: its fields, options and tails, and the few behaviours a
//! table cannot say (pairing requests with replies, checksums, what comes next).

use super::*;
use std::ops::Range;

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
    /// The options a user sets one by one by name (`set ip.opt.rr 9`); the rest are set
    /// as the list's bytes.
    pub named: &'static [NamedOption],
}

/// How an option set by name takes its value, and which of the table's fields it writes.
pub enum Shape {
    /// A one-byte kind with no length (no-operation, end of list): the value says how many.
    Single,
    /// A pointer, then entries of one address each: empty slots a hop fills (record
    /// route, `slots` true), or the hops the sender names (source routes).
    Route {
        ptr: &'static Field,
        entries: &'static Entries,
        slots: bool,
    },
    /// The timestamp option: a pointer, overflow and flag, then timestamps alone or each
    /// after an address.
    Stamps {
        ptr: &'static Field,
        flag: &'static Field,
        only: &'static Entries,
        with_addr: &'static Entries,
    },
    /// One field after the kind and length (router alert).
    Value(&'static Field),
}

/// An option a user sets by name: its field (the name `set`, `explain` and Tab know, its
/// meaning and RFC), its kind, how its value is written, and how it is typed.
pub struct NamedOption {
    pub field: &'static Field,
    pub code: u128,
    pub shape: Shape,
    /// What follows the name in `set`, in words.
    pub syntax: &'static str,
    /// Words Tab offers after the name.
    pub words: &'static [&'static str],
    /// A value as typed after the name (`9` for `set ip.opt.rr 9`).
    pub example: &'static str,
}

/// The value of an option set by name, as parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// How many: bytes of a one-byte kind, or empty slots.
    Count(usize),
    /// Addresses, one per entry.
    Addresses(Vec<u128>),
    /// A timestamp option: its flag, and empty slots or the prespecified addresses.
    Stamps {
        flag: u128,
        slots: usize,
        addresses: Vec<u128>,
    },
    /// The one field's value.
    Raw(u128),
}

impl NamedOption {
    /// The option's bytes for a value, every byte written through the table's fields;
    /// an error says what does not fit.
    pub fn build(
        &self,
        list: &OptionList,
        v: &OptionValue,
        room: usize,
    ) -> Result<Vec<u8>, String> {
        let name = self.field.name;
        let fit = Fitting {
            option: self,
            list,
            room,
        };
        match (&self.shape, v) {
            (Shape::Single, OptionValue::Count(n)) => {
                if *n == 0 || *n > room {
                    return Err(format!(
                        "{name} takes how many one-byte options to put here, 1 to {room} (the room left in the options)"
                    ));
                }
                Ok(vec![self.code as u8; *n])
            }
            (
                Shape::Route {
                    ptr,
                    entries: e,
                    slots,
                },
                OptionValue::Count(n),
            ) if *slots => fit.empty_slots(ptr, e, *n),
            (
                Shape::Route {
                    ptr,
                    entries: e,
                    slots,
                },
                OptionValue::Addresses(a),
            ) => fit.addresses(ptr, e, *slots, a),
            (
                Shape::Stamps {
                    ptr,
                    flag,
                    only,
                    with_addr,
                },
                OptionValue::Stamps {
                    flag: fl,
                    slots,
                    addresses,
                },
            ) => {
                let e = if *fl == 0 { only } else { with_addr };
                fit.stamps(ptr, flag, e, *fl, *slots, addresses)
            }
            (Shape::Value(f), OptionValue::Raw(raw)) => fit.value(f, *raw),
            _ => Err(format!("{name} takes {}", self.syntax)),
        }
    }
}

/// A named option being built into the `room` bytes its list has left.
struct Fitting<'a> {
    option: &'a NamedOption,
    list: &'a OptionList,
    room: usize,
}

impl Fitting<'_> {
    /// The option's first `len` bytes zeroed, its kind and length written.
    fn start(&self, len: usize) -> Vec<u8> {
        let list = self.list;
        let mut b = vec![0u8; len];
        list.kind[0].set(&mut b, self.option.code);
        list.len
            .set(&mut b, ((len - list.len_add) / list.len_scale) as u128);
        b
    }

    /// Entries after `from` bytes, as many as the room leaves.
    fn most(&self, e: &Entries) -> usize {
        self.room.saturating_sub(e.from) / e.stride
    }

    /// What the entries are, one and many.
    fn too_many(&self, n: usize, e: &Entries, (one, many): (&str, &str)) -> String {
        let (name, room) = (self.option.field.name, self.room);
        if n == 0 {
            return format!("{name} needs at least one {one}");
        }
        let what = if self.most(e) == 1 { one } else { many };
        format!(
            "{name} holds at most {} {what} ({} bytes each, after the option's first {}) in the {room} bytes of options left; you gave {n}",
            self.most(e),
            e.stride,
            e.from
        )
    }

    /// `n` empty slots for the hops to fill (record route).
    fn empty_slots(&self, ptr: &Field, e: &Entries, n: usize) -> Result<Vec<u8>, String> {
        if n == 0 || n > self.most(e) {
            return Err(self.too_many(n, e, ("slot", "slots")));
        }
        let mut b = self.start(e.from + n * e.stride);
        ptr.set(&mut b, (e.from + 1) as u128);
        Ok(b)
    }

    /// Addresses, one per entry: recorded ones (`slots`) or the hops of a source route.
    fn addresses(
        &self,
        ptr: &Field,
        e: &Entries,
        slots: bool,
        a: &[u128],
    ) -> Result<Vec<u8>, String> {
        if a.is_empty() || a.len() > self.most(e) {
            return Err(self.too_many(a.len(), e, ("address", "addresses")));
        }
        let mut b = self.start(e.from + a.len() * e.stride);
        // Recorded addresses fill their slots, so the pointer is past them; a
        // source route starts at its first hop.
        let next = if slots { a.len() } else { 0 };
        ptr.set(&mut b, (e.from + 1 + next * e.stride) as u128);
        entries(&mut b, e, a);
        Ok(b)
    }

    /// The timestamp option with flag `fl`: `slots` empty ones, or one after each of
    /// the `addresses` given.
    fn stamps(
        &self,
        ptr: &Field,
        flag: &Field,
        e: &Entries,
        fl: u128,
        slots: usize,
        addresses: &[u128],
    ) -> Result<Vec<u8>, String> {
        let n = if addresses.is_empty() {
            slots
        } else {
            addresses.len()
        };
        if n == 0 || n > self.most(e) {
            let what = if fl == 0 {
                ("timestamp", "timestamps")
            } else {
                ("address and timestamp pair", "address and timestamp pairs")
            };
            return Err(self.too_many(n, e, what));
        }
        let mut b = self.start(e.from + n * e.stride);
        ptr.set(&mut b, (e.from + 1) as u128);
        flag.set(&mut b, fl);
        entries(&mut b, e, addresses);
        Ok(b)
    }

    /// One field's value, in an option as long as its kind is.
    fn value(&self, f: &Field, raw: u128) -> Result<Vec<u8>, String> {
        let (name, room) = (self.option.field.name, self.room);
        let len = self
            .list
            .kind_of(self.option.code)
            .and_then(|k| k.len)
            .unwrap_or(f.end_byte());
        if len > room {
            return Err(format!(
                "{name} takes {len} bytes, and only {room} are left in the options"
            ));
        }
        let mut b = self.start(len);
        f.set(&mut b, raw);
        Ok(b)
    }
}

/// Addresses written into the entries, one each.
fn entries(b: &mut [u8], e: &Entries, addrs: &[u128]) {
    for (i, a) in addrs.iter().enumerate() {
        let (at, f) = e.fields[0];
        f.set(&mut b[e.from + i * e.stride + at..], *a);
    }
}

impl OptionList {
    pub fn kind_of(&self, code: u128) -> Option<&'static OptionKind> {
        self.kinds.iter().find(|k| k.code == code)
    }

    /// The option set by this name (`ip.opt.rr`), if the list has one.
    pub fn named(&self, name: &str) -> Option<&'static NamedOption> {
        self.named
            .iter()
            .find(|n| n.field.name.eq_ignore_ascii_case(name))
    }

    /// The list's bytes as options, in order: each one's kind and bytes, a run of one
    /// kind of one-byte option as one. Bytes that cannot be read on (a length that
    /// lies) are one last piece under their first byte's kind; zeros after the last
    /// option, the padding, are left out.
    pub fn split(&self, bytes: &[u8]) -> Vec<(u128, Vec<u8>)> {
        let mut out: Vec<(u128, Vec<u8>)> = Vec::new();
        let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        let mut i = 0;
        while i < end {
            let code = bytes[i] as u128;
            if self.single.contains(&code) {
                match out.last_mut() {
                    Some((c, b)) if *c == code && self.single.contains(c) => b.push(code as u8),
                    _ => out.push((code, vec![code as u8])),
                }
                i += 1;
                continue;
            }
            let len = bytes
                .get(i + 1)
                .map(|l| *l as usize * self.len_scale + self.len_add)
                .filter(|l| *l >= self.min_len && i + l <= bytes.len())
                .unwrap_or(end - i);
            out.push((code, bytes[i..i + len].to_vec()));
            i += len;
        }
        out
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

/// The data at the end of a resource record: its length from a field before it, its
/// layout by the record's type.
pub struct RecordData {
    /// The field after the name that says how many bytes of data follow (dns.resp.len).
    pub len: &'static Field,
    /// The field after the name whose value picks the layout (dns.resp.type).
    pub by: &'static Field,
    /// Layouts by type: a fixed field (an address, when the length is its width) or a
    /// `Kind::Name` (CNAME, NS, PTR), which must end where the data does.
    pub kinds: &'static [(u128, &'static Field)],
    /// The data of any other type, or of a length its type's layout cannot have.
    pub other: &'static Field,
}

/// One section of records that each start with a domain name (DNS's questions, answers).
pub struct Section {
    /// The fixed header's field that counts the section's records (dns.count.queries).
    pub count: &'static Field,
    /// One record of it in words, for problems: `query`, `answer`.
    pub what: &'static str,
    /// The name each record starts with (`Kind::Name`).
    pub name: &'static Field,
    /// The fixed fields after the name; their offsets count from the name's end.
    pub fields: &'static [&'static Field],
    /// For a resource record: the data after the fields.
    pub data: Option<&'static RecordData>,
}

/// Records in sections, each section as many as a field of the fixed header counts,
/// each record a name (with compression pointers) and fixed fields after it: DNS.
pub struct Records {
    pub sections: &'static [Section],
    /// Bytes after the last record the counts announce.
    pub extra: &'static Field,
}

impl Records {
    /// Every field a record may hold.
    pub fn all_fields(&self) -> Vec<&'static Field> {
        let mut v = Vec::new();
        for s in self.sections {
            v.push(s.name);
            v.extend(s.fields.iter().copied());
            if let Some(d) = s.data {
                v.extend(d.kinds.iter().map(|(_, f)| *f));
                v.push(d.other);
            }
        }
        v.push(self.extra);
        v
    }
}

/// How the bytes of a tail read.
#[derive(Clone, Copy)]
pub enum Tail {
    /// Plain bytes.
    Bytes,
    Options(&'static OptionList),
    Entries(&'static Entries),
    Records(&'static Records),
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
                Tail::Records(r) => v.extend(r.all_fields()),
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

/// A checksum over a message and a pseudo-header sum (TCP's, UDP's, ICMPv6's).
pub type ChecksumFn = fn(&[u8], u32) -> u16;

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
    /// When there is none in the packet: the network header it came in, rebuilt from
    /// what the socket reported (its protocol and bytes), for the pseudo-header.
    pub around: Option<(&'static Protocol, &'a [u8])>,
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
        let len = self.end - self.start;
        match (&self.network, self.around) {
            (None, Some((p, hdr))) => Some((p.pseudo?)(hdr, upper.id_under(p)? as u8, len as u32)),
            _ => pseudo_sum(self.packet, &self.network, upper, len),
        }
    }

    /// What `field`, a checksum over the message and the network layer's pseudo-header
    /// (`sum` computes it), should hold: verifiable only with the whole message and a
    /// network header around it. Offloaded, it holds the pseudo-header sum alone.
    pub fn pseudo_checksum(
        &self,
        upper: &Protocol,
        field: &'static Field,
        sum: ChecksumFn,
    ) -> Vec<Expected> {
        match self.pseudo(upper) {
            Some(p) if self.whole => vec![Expected {
                field,
                want: sum(self.message(), p) as u128,
                covers: self.message_range(),
                pseudo: p,
                offloaded: Some(super::checksum::fold(p as u64) as u128),
                recorded: None,
            }],
            _ => Vec::new(),
        }
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
    /// The sum of the header as it arrived, before the receiving kernel wrote its own
    /// address into a record-route slot or its time into a timestamp's (Linux writes
    /// after checking the checksum and does not sum again): what the captured copy's
    /// checksum still holds.
    pub recorded: Option<u128>,
}

/// How a checked field's value compares with what it should hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Correct,
    /// The pseudo-header sum only, left for checksum offload to finish.
    Offloaded,
    /// 0xffff where a fresh sum gives 0x0000: ones' complement has two zeros, and when
    /// the other bytes add up to 0xffff either brings the receiver's sum to all ones.
    /// (Not the other way round: bytes that are all zero add up to 0x0000, and only
    /// 0xffff completes them; with 0x0000 the receiver drops the message.)
    OtherZero,
    /// Right for the header as it arrived: the receiving kernel wrote into a record-route
    /// or timestamp option after checking it (see [`Expected::recorded`]).
    Recorded,
    Wrong,
}

/// Why a received header with a record route or a timestamp can look wrong, for the
/// dump.
pub const RECORDED_NOTE: &str = "right for the header as it arrived: the receiving kernel checked the checksum, then wrote into the options without summing the header again (its address in a record route's next slot, its time in a timestamp's, moving ip.opt.ptr on, or one more in ip.opt.overflow when the slots were full), so the copy a socket gets no longer adds up";

/// Why 0x0000 is as good as 0xffff, for the dump.
pub const OTHER_ZERO_NOTE: &str = "0xffff and 0x0000 are both zero in ones' complement: the other bytes add up to 0xffff, whose complement 0x0000 a fresh sum writes, and 0xffff brings the receiver's sum to all ones just the same, so its check passes either way";

/// Why 0x0000 is wrong where every other byte is zero, for the dump.
pub const ALL_ZERO_NOTE: &str = "every other byte it covers is zero, so they add up to 0x0000 and only 0xffff completes them: with 0x0000, the other zero of ones' complement, the receiver's sum stays 0x0000 instead of all ones, and it drops the message (Linux writes 0x0000 on its echo reply to an all-zero request, and its own receiving side then counts it in Icmp InCsumErrors)";

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
            recorded: None,
        }
    }

    pub fn verdict(&self, raw: u128) -> Verdict {
        if raw == self.want {
            Verdict::Correct
        } else if self.offloaded == Some(raw) {
            Verdict::Offloaded
        } else if self.recorded == Some(raw) {
            Verdict::Recorded
        } else if raw == 0xffff && self.want == 0 && self.pseudo == 0 && self.offloaded.is_none() {
            // Only for sums with no pseudo-header (ICMPv4, the IPv4 header): for UDP
            // 0x0000 means "no checksum", which its own table judges.
            Verdict::OtherZero
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
