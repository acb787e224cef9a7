//! The wire layer: every protocol rawlab knows, declared once as a table of
//! fields. Building bytes, dissecting bytes, `set`, completion, `explain` and
//! JSON all read these tables; nothing outside `wire` knows an offset.
//!
//! Each protocol lives in its own file (`ipv4.rs`, `icmp.rs`, `tcp.rs`, `udp.rs`,
//! `ipv6.rs` with its extension headers, `icmpv6.rs`, `eth.rs`, `arp.rs`, `dns.rs`) with its
//! fields, its named values and its tests. The table types are in `field.rs` (a
//! field) and `protocol.rs` (a protocol, its options and tails, pairing and
//! checksums); `text.rs` writes numbers and names; `bits.rs` reads and writes bit
//! fields; this file is the registry (`PROTOCOLS`) and name lookup. Nothing here
//! touches sockets or terminals.
//!
//! A table says more than offsets: which fields follow from the bytes (a
//! `variant`, ICMP's rest of header by type), which value names hold only in
//! context (`names_when`, icmp.code by icmp.type), how the variable tail reads
//! (`TailSpec`: TLV options, repeated entries, or DNS's records that start with a
//! name, each field placed for the dump and JSON), whether the payload is a quoted packet (`quotes`), and for
//! network layers the pseudo-header upper checksums cover (`pseudo`).

/// The post's echo request as the kernel put it on loopback (ip.id 0x1cd4, both
/// checksums filled in): the packet the unit tests of several modules take apart.
#[cfg(test)]
pub(crate) const POST_ON_THE_WIRE: [u8; 30] = [
    0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x60, 0x09, 0x7f, 0x00, 0x00, 0x01,
    0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
];

pub mod arp;
mod bits;
pub mod checksum;
pub mod cooked;
pub mod dissect;
pub mod dns;
pub mod eth;
mod field;
pub mod hosts;
pub mod icmp;
pub mod icmpv6;
pub mod ipproto;
pub mod ipv4;
pub mod ipv6;
pub mod name;
mod protocol;
pub mod suggest;
pub mod tcp;
pub mod template;
mod text;
pub mod udp;

pub use bits::{get_bits, set_bits};
pub use field::*;
pub use protocol::*;
pub use text::*;

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

/// The next layer named by an outer protocol's `next_field`.
pub fn next_by_field(outer: &Protocol, header: &[u8]) -> Option<&'static Protocol> {
    let f = outer.next_field?;
    (header.len() >= f.end_byte()).then(|| carried(outer, f.get(header)))?
}

/// The one-bit flags inside a group field (tcp.flags: fin, syn, …), each with the value
/// it has in the group, the words a user may type for it and the letter Scapy and nping
/// use (`SA` for syn and ack): the first letter of its first name not taken by a flag
/// before it. The group's own one-bit names come first (tcp.flags: fin, syn, rst, psh,
/// ack), then its flag fields in table order, so tcp.flags reads FSRPAUECN.
pub fn flags_in(group: &'static Field) -> Vec<(u128, Vec<&'static str>, char)> {
    let mut out: Vec<(u128, Vec<&'static str>, char)> = Vec::new();
    let mut add = |value: u128, words: Vec<&'static str>| {
        if let Some(o) = out.iter_mut().find(|o| o.0 == value) {
            o.1.extend(words);
            return;
        }
        let letter = words.iter().find_map(|w| {
            let c = w.chars().next()?.to_ascii_uppercase();
            (!out.iter().any(|o| o.2 == c)).then_some(c)
        });
        out.push((value, words, letter.unwrap_or('?')));
    };
    for &(v, n) in group.names {
        if v.is_power_of_two() {
            add(v, vec![n]);
        }
    }
    let Some(p) = PROTOCOLS
        .iter()
        .find(|p| p.all_fields().any(|f| f == group))
    else {
        return out;
    };
    let end = group.bit_offset + group.bits as usize;
    for f in p.all_fields() {
        if f.kind == Kind::Flag && f.bit_offset >= group.bit_offset && f.bit_offset < end {
            let value = 1u128 << (end - f.bit_offset - 1);
            let short = f.name.rsplit('.').next().unwrap_or(f.name);
            let mut words = vec![short];
            words.extend(f.aliases.iter().filter(|a| !a.contains('.')));
            add(value, words);
        }
    }
    out
}

/// The value a new template gives `f`: its table default, with the defaults of the
/// fields inside it laid over (a new ip/tcp template's tcp.flags is 0x002, its syn
/// bit's default, though tcp.flags' own is 0).
pub fn starting_value(f: &'static Field) -> u128 {
    let Some(p) = PROTOCOLS.iter().find(|p| p.all_fields().any(|g| g == f)) else {
        return f.default;
    };
    let end = f.bit_offset + f.bits as usize;
    p.all_fields()
        .filter(|g| {
            g != &f
                && g.default != 0
                && g.bit_offset >= f.bit_offset
                && g.bit_offset + g.bits as usize <= end
        })
        .fold(f.default, |v, g| {
            v | g.default << (end - g.bit_offset - g.bits as usize)
        })
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
    &dns::DNS,
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
        for p in PROTOCOLS.iter().filter(|p| p.may_follow(last)) {
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
            // A quoting error (ip/icmp/ip) is not where to learn a field.
            if s.split('/').collect::<Vec<_>>().windows(2).any(|w| {
                protocol_named(w[0])
                    .and_then(|p| p.quote)
                    .is_some_and(|q| q.network.name == w[1])
            }) {
                return None;
            }
            let at = s.split('/').position(|n| n == owner.name)?;
            let layers = s.split('/').count();
            // Three layers make a packet a learner can send (eth/ip/icmp); more is noise.
            Some((at, layers < 3, layers, s))
        })
        .min()
        .map(|(_, _, _, s)| s)
}

/// The option lists a protocol's tail may be read as.
pub fn option_lists(p: &Protocol) -> impl Iterator<Item = &'static OptionList> {
    p.tail
        .into_iter()
        .flat_map(|t| t.formats)
        .filter_map(|t| match t {
            Tail::Options(list) => Some(*list),
            _ => None,
        })
}

/// The option a name sets (`ip.opt.rr`) in the first layer of `stack` whose options
/// have it, with that layer's protocol and list.
pub fn named_option(
    name: &str,
    stack: &[&'static Protocol],
) -> Option<(&'static Protocol, &'static OptionList, &'static NamedOption)> {
    stack
        .iter()
        .find_map(|p| option_lists(p).find_map(|l| Some((*p, l, l.named(name)?))))
}

/// Every option of these layers that is set by name, for Tab.
pub fn named_options(stack: &[&'static Protocol]) -> Vec<&'static NamedOption> {
    let mut v: Vec<&'static NamedOption> = Vec::new();
    for n in stack
        .iter()
        .flat_map(|p| option_lists(p))
        .flat_map(|l| l.named)
    {
        if !v.iter().any(|m| std::ptr::eq(*m, n)) {
            v.push(n);
        }
    }
    v
}

/// The option list of `p` that has this option set by name.
pub fn list_with(p: &Protocol, n: &NamedOption) -> Option<&'static OptionList> {
    option_lists(p).find(|l| l.named.iter().any(|m| std::ptr::eq(m, n)))
}

/// The option set by name whose field this is, in any protocol.
pub fn option_named_by(f: &Field) -> Option<(&'static Protocol, &'static NamedOption)> {
    PROTOCOLS.iter().find_map(|p| {
        option_lists(p)
            .flat_map(|l| l.named)
            .find(|n| n.field == f)
            .map(|n| (*p, n))
    })
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

#[cfg(test)]
mod tests {
    use super::field::LONG_NAMES;
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
                    Tail::Records(r) => {
                        for s in r.sections {
                            let what = format!("{} {}", p.name, s.what);
                            assert_eq!(s.name.kind, Kind::Name, "{what}: starts with a name");
                            let end = s.fields.iter().map(|f| f.end_byte()).max().unwrap();
                            covers(&what, s.fields, end);
                            assert!(p.fields.contains(&s.count), "{what}: counted in the header");
                            if let Some(d) = s.data {
                                assert!(s.fields.contains(&d.len) && s.fields.contains(&d.by));
                                for (_, f) in d.kinds {
                                    assert!(
                                        f.kind == Kind::Name || f.bit_offset == 0,
                                        "{}",
                                        f.name
                                    );
                                }
                            }
                        }
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
