//! IPv6 (RFC 8200): the fixed 40-byte header and the extension headers that
//! may follow it — hop-by-hop options, routing, fragment, destination options —
//! each a layer of its own, chained by their next-header fields.
//!
//! The tables below are the only place an IPv6 field's position is written.
//! A chain that repeats a header RFC 8200 §4.1 allows once (or hop-by-hop
//! anywhere but first) is reported by `misplaced`, so a loop in the bytes is a
//! problem, not a hang. Hop-by-hop and destination options share one option
//! list (`ipv6.opt.*`).

use super::push_dec;
use super::{
    Building, Entries, Field, Fill, Host, Kind, OptionKind, OptionList, Protocol, Tail, TailSpec,
    checksum, ipproto,
};
use std::fmt::Write as _;

pub static VERSION: Field = Field {
    default: 6,
    meaning: "IP version: 6 for IPv6",
    rfc: "RFC 8200 §3",
    notes: "The high nibble of the first byte, where IPv4 has its 4. It is all that tells the two apart on a link that carries both without an EtherType.",
    ..Field::new("ipv6.version", 0, 4, Kind::Dec)
};

pub static TCLASS: Field = Field {
    aliases: &["tclass", "traffic_class"],
    group: true,
    meaning: "traffic class: DSCP and ECN, as IPv4's DS byte",
    rfc: "RFC 8200 §7, RFC 2474, RFC 3168",
    notes: "Eight bits straddling the first and second bytes: six of DSCP, two of ECN.",
    ..Field::new("ipv6.tclass", 4, 8, Kind::Hex)
};

pub static DSCP: Field = Field {
    meaning: "differentiated services code point: the packet's traffic class",
    rfc: "RFC 2474 §3",
    notes: "Routers may queue packets differently by class; on loopback nothing looks at it.",
    ..Field::new("ipv6.tclass.dscp", 4, 6, Kind::Dec)
};

pub static ECN: Field = Field {
    names: &[(0, "not-ect"), (1, "ect1"), (2, "ect0"), (3, "ce")],
    meaning: "explicit congestion notification",
    rfc: "RFC 3168 §5",
    notes: "Lets a router mark congestion instead of dropping. 0 means the sender does not support ECN.",
    ..Field::new("ipv6.tclass.ecn", 10, 2, Kind::Dec)
};

pub static FLOW: Field = Field {
    aliases: &["flow", "flow_label"],
    meaning: "flow label: marks packets of one flow for routers that hash on it",
    rfc: "RFC 8200 §6, RFC 6437",
    notes: "20 bits. Linux fills it with a hash of the connection for its own sockets (net.ipv6.auto_flowlabels); 0 means none.",
    ..Field::new("ipv6.flow", 12, 20, Kind::Hex)
};

pub static PLEN: Field = Field {
    aliases: &["plen", "payload_length"],
    unit: "bytes",
    fill: Fill::Computed,
    meaning: "payload length: the bytes after this 40-byte header, extension headers included",
    rfc: "RFC 8200 §3",
    notes: "Unlike IPv4's total length it does not count the fixed header. rawlab computes it; 0 with a jumbo payload option means a packet over 65535 bytes.",
    ..Field::new("ipv6.plen", 32, 16, Kind::Dec)
};

pub static NXT: Field = Field {
    aliases: &["nxt", "next_header"],
    default: 59,
    fill: Fill::Computed,
    names: ipproto::NAMES,
    meaning: "next header: an extension header or the payload's protocol (58 ICMPv6)",
    rfc: "RFC 8200 §3, IANA protocol numbers",
    notes: "The same numbers as IPv4's ip.proto, plus the extension headers: 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options, 59 nothing. rawlab fills it from the template's next layer.",
    ..Field::new("ipv6.nxt", 48, 8, Kind::Dec)
};

pub static HLIM: Field = Field {
    aliases: &["hlim", "hop_limit"],
    default: 64,
    meaning: "hop limit: hops left before a router drops it (IPv4's TTL)",
    rfc: "RFC 8200 §3",
    notes: "Each router subtracts one; at 0 it drops the packet and may send ICMPv6 time exceeded. Neighbour discovery requires 255, proof the packet never crossed a router.",
    ..Field::new("ipv6.hlim", 56, 8, Kind::Dec)
};

pub static SRC: Field = Field {
    aliases: &["source", "saddr"],
    default: 1,
    meaning: "source address",
    rfc: "RFC 8200 §3, RFC 4291",
    notes: "128 bits, written in RFC 5952 form (::1 is loopback). The checksums of TCP, UDP and ICMPv6 cover it through the pseudo-header.",
    host: Host::Source,
    ..Field::new("ipv6.src", 64, 128, Kind::Ipv6)
};

pub static DST: Field = Field {
    aliases: &["destination", "daddr"],
    default: 1,
    meaning: "destination address",
    rfc: "RFC 8200 §3, RFC 4291",
    notes: "Where the packet goes. With a routing header it is the next hop on the route, and the final destination is the last address in that header.",
    host: Host::Destination,
    ..Field::new("ipv6.dst", 192, 128, Kind::Ipv6)
};

pub static FIELDS: &[&Field] = &[
    &VERSION, &TCLASS, &DSCP, &ECN, &FLOW, &PLEN, &NXT, &HLIM, &SRC, &DST,
];

pub static IPV6: Protocol = Protocol {
    name: "ipv6",
    aliases: &["ip6"],
    title: "IPv6",
    fields: FIELDS,
    fixed_len: 40,
    header_len: |_| 40,
    // A jumbogram (RFC 2675) says 0 here and gives its length in a hop-by-hop option.
    claimed_len: |b| match (PLEN.get(b), NXT.get(b)) {
        (0, 0) => None,
        (plen, _) => Some((40 + plen as usize, &PLEN)),
    },
    next: |b| super::next_by_field(&IPV6, b),
    next_field: Some(&NXT),
    numbers: "ip",
    ids: &[("ip", 41), ("eth", 0x86dd)],
    starts: true,
    addresses: Some((&SRC, &DST)),
    pseudo: Some(pseudo),
    summary,
    fill: |b| {
        if !(b.is_set)(&PLEN) {
            let len = b.layer().len().saturating_sub(40).min(0xffff);
            PLEN.set(b.layer(), len as u128);
        }
    },
    ..Protocol::BASE
};

fn summary(b: &[u8], s: &mut String) {
    if b.len() < 40 {
        let _ = write!(s, "IPv6 (header cut short at {} bytes)", b.len());
        return;
    }
    let nxt = NXT.get(b);
    super::push_ends(s, "IPv6", &SRC, &DST, b);
    s.push_str(" hlim ");
    push_dec(s, HLIM.get(b));
    s.push(' ');
    // 59: no next header, which says so by its name.
    super::push_next(s, &IPV6, (&NXT, nxt), "next ", nxt != 59);
}

/// An IPv6 header with only a version and these addresses: what a packet that came
/// without its header (from an AF_INET6 raw socket) was carried in, as far as the
/// socket said, so a pseudo-header can be made of it.
pub fn header_around(src: std::net::Ipv6Addr, dst: std::net::Ipv6Addr) -> Vec<u8> {
    let mut h = vec![0u8; IPV6.fixed_len];
    VERSION.set(&mut h, 6);
    SRC.set(&mut h, u128::from(src));
    DST.set(&mut h, u128::from(dst));
    h
}

/// The pseudo-header (RFC 8200 §8.1): source, destination, the upper layer's length
/// in 32 bits, three zero bytes and its protocol number.
fn pseudo(header: &[u8], proto: u8, len: u32) -> u32 {
    let mut p = [0u8; 40];
    p[..16].copy_from_slice(&SRC.get(header).to_be_bytes());
    p[16..32].copy_from_slice(&DST.get(header).to_be_bytes());
    p[32..36].copy_from_slice(&len.to_be_bytes());
    p[39] = proto;
    checksum::sum(&p, 0) as u32
}

/// RFC 8200 §4.1: hop-by-hop only right after the IPv6 header; each extension header
/// once, destination options at most twice.
fn chain_rule(me: &'static Protocol, before: &[&'static Protocol]) -> Option<String> {
    let last_ip = before.iter().rposition(|p| *p == &IPV6)?;
    let chain = &before[last_ip + 1..];
    if me == &HOPOPTS && !chain.is_empty() {
        return Some(format!(
            "a hop-by-hop options header must come right after the IPv6 header (RFC 8200 §4.1), not after {}",
            chain[chain.len() - 1].title
        ));
    }
    let allowed = if me == &DSTOPTS { 2 } else { 1 };
    let seen = chain.iter().filter(|p| **p == me).count();
    (seen >= allowed).then(|| {
        format!(
            "{} again: RFC 8200 §4.1 allows each extension header once (destination options twice), so the chain loops",
            me.title
        )
    })
}

/// An extension header's length counts 8-byte units after the first 8.
fn ext_len(len: &Field, b: &[u8]) -> usize {
    (len.get(b) as usize + 1) * 8
}

/// Fills an extension header's length from its size, unless the user set it.
fn fill_ext_len(len: &'static Field, b: &mut Building) {
    if !(b.is_set)(len) {
        let units = (b.hdr_len / 8).saturating_sub(1).min(255);
        len.set(b.layer(), units as u128);
    }
}

// Options of hop-by-hop and destination options headers (RFC 8200 §4.2).
// Offsets count from the option's first byte, its type.

/// IPv6 option types (IANA), by the names the dump uses.
pub const OPTION_NAMES: &[(u128, &str)] = &[
    (0x00, "pad1"),
    (0x01, "padn"),
    (0x04, "tunnel-encap-limit"),
    (0x05, "router-alert"),
    (0x07, "calipso"),
    (0x63, "rpl"),
    (0xc2, "jumbo"),
    (0xc9, "home-address"),
];

pub static OPT_TYPE: Field = Field {
    group: true,
    names: OPTION_NAMES,
    meaning: "option type: what to do if unknown, whether it may change, and which",
    rfc: "RFC 8200 §4.2",
    notes: "Pad1 (0) is a single byte; every other option has a length byte next. The top two bits tell a node that does not know the option what to do with the packet.",
    ..Field::new("ipv6.opt.type", 0, 8, Kind::Hex)
};

pub static OPT_ACTION: Field = Field {
    names: &[
        (0, "skip"),
        (1, "discard"),
        (2, "discard-send-icmp"),
        (3, "discard-send-icmp-unless-multicast"),
    ],
    meaning: "action for a node that does not know the option",
    rfc: "RFC 8200 §4.2",
    notes: "00 skip it; 01 drop the packet; 10 drop and send ICMPv6 parameter problem; 11 the same, unless the destination was multicast.",
    ..Field::new("ipv6.opt.type.action", 0, 2, Kind::Dec)
};

pub static OPT_CHANGE: Field = Field {
    meaning: "may change on the way (then authentication treats it as zeros)",
    rfc: "RFC 8200 §4.2",
    notes: "Set when routers may rewrite the option's data; AH then leaves it out of its check.",
    ..Field::new("ipv6.opt.type.change", 2, 1, Kind::Flag)
};

pub static OPT_REST: Field = Field {
    meaning: "the rest of the option type",
    rfc: "RFC 8200 §4.2",
    notes: "The low five bits; with the top three they make the type IANA assigns.",
    ..Field::new("ipv6.opt.type.rest", 3, 5, Kind::Dec)
};

pub static OPT_LENGTH: Field = Field {
    unit: "bytes",
    meaning: "length of the option's data, type and length bytes not counted",
    rfc: "RFC 8200 §4.2",
    notes: "Unlike TCP and IPv4 options, the length leaves out the two bytes before the data; PadN of length 0 is two bytes of padding.",
    ..Field::new("ipv6.opt.length", 8, 8, Kind::Dec)
};

pub static OPT_PADN: Field = Field {
    meaning: "padding: zeros that align what follows",
    rfc: "RFC 8200 §4.2",
    notes: "Options headers must come to a multiple of 8 bytes; PadN fills the gap. Its data should be zeros.",
    ..Field::new("ipv6.opt.padn", 0, 0, Kind::Bytes)
};

pub static OPT_ROUTER_ALERT: Field = Field {
    names: &[(0, "mld"), (1, "rsvp"), (2, "active-networks")],
    meaning: "router alert: routers should look inside this packet, and why",
    rfc: "RFC 2711",
    notes: "MLD reports carry it (value 0) so that routers process them even though they are not addressed to them.",
    ..Field::new("ipv6.opt.router_alert", 16, 16, Kind::Dec)
};

pub static OPT_JUMBO: Field = Field {
    unit: "bytes",
    meaning: "jumbo payload length, for packets over 65535 bytes",
    rfc: "RFC 2675",
    notes: "Used with ipv6.plen 0, in a hop-by-hop header, on links whose MTU allows it.",
    ..Field::new("ipv6.opt.jumbo", 16, 32, Kind::Dec)
};

pub static OPT_UNKNOWN: Field = Field {
    meaning: "option data rawlab does not take apart",
    rfc: "RFC 8200 §4.2, IANA IPv6 option types",
    notes: "The bytes of an option rawlab has no table for, or of a list that could not be read on.",
    ..Field::new("ipv6.opt.unknown", 0, 0, Kind::Bytes)
};

pub static OPTION_LIST: OptionList = OptionList {
    kind: &[&OPT_TYPE, &OPT_ACTION, &OPT_CHANGE, &OPT_REST],
    len: &OPT_LENGTH,
    len_scale: 1,
    len_add: 2,
    min_len: 2,
    single: &[0],
    end: None,
    padding: None,
    kinds: &[
        OptionKind {
            rest: Some(&OPT_PADN),
            ..OptionKind::new(1, &[], None)
        },
        OptionKind::new(5, &[&OPT_ROUTER_ALERT], Some(4)),
        OptionKind::new(0xc2, &[&OPT_JUMBO], Some(6)),
    ],
    unknown: &OPT_UNKNOWN,
    named: &[],
};

/// Hop-by-hop and destination options: the smallest header pads to 8 bytes with PadN.
const PADN4: &[u8] = &[1, 4, 0, 0, 0, 0];

// Hop-by-hop options (RFC 8200 §4.3).

pub static HOP_NXT: Field = Field {
    fill: Fill::Computed,
    names: ipproto::NAMES,
    meaning: "next header after this one",
    rfc: "RFC 8200 §4.3",
    notes: "rawlab fills it from the template's next layer.",
    ..Field::new("ipv6.hopopts.nxt", 0, 8, Kind::Dec)
};

pub static HOP_LEN: Field = Field {
    unit: "× 8 bytes after the first 8",
    fill: Fill::Computed,
    meaning: "header length: 8-byte units after the first 8",
    rfc: "RFC 8200 §4.3",
    notes: "0 means an 8-byte header, 1 a 16-byte one (Wireshark's len_oct shows the bytes). rawlab computes it from the options.",
    ..Field::new("ipv6.hopopts.len", 8, 8, Kind::Dec)
};

pub static HOP_OPTIONS: Field = Field {
    meaning: "options every router on the path examines",
    rfc: "RFC 8200 §4.3",
    notes: "Type-length-value options, padded so the header is a multiple of 8 bytes (a new template carries PadN, 01 04 00 00 00 00). Routers often send packets with this header down a slow path or drop them.",
    ..Field::new("ipv6.hopopts.options", 16, 0, Kind::Bytes)
};

static HOP_TAIL: TailSpec = TailSpec {
    field: &HOP_OPTIONS,
    unit: 8,
    max_header: 2048,
    default: PADN4,
    pad: "pad with 00 (Pad1) or 01 NN and NN zeros (PadN)",
    format: |_| Tail::Options(&OPTION_LIST),
    formats: &[Tail::Options(&OPTION_LIST)],
};

pub static HOPOPTS: Protocol = Protocol {
    name: "ipv6.hopopts",
    aliases: &["hopopts", "hbh", "hop-by-hop"],
    title: "IPv6 hop-by-hop options",
    fields: &[&HOP_NXT, &HOP_LEN],
    tail: Some(&HOP_TAIL),
    fixed_len: 2,
    header_len: |b| ext_len(&HOP_LEN, b),
    len_field: Some(&HOP_LEN),
    next: |b| super::next_by_field(&HOPOPTS, b),
    next_field: Some(&HOP_NXT),
    numbers: "ip",
    ids: &[("ip", 0)],
    misplaced: |before| chain_rule(&HOPOPTS, before),
    summary: |b, s| {
        let _ = write!(s, "hop-by-hop options ({} bytes)", b.len());
    },
    fill: |b| fill_ext_len(&HOP_LEN, b),
    ..Protocol::BASE
};

// Destination options (RFC 8200 §4.6).

pub static DST_NXT: Field = Field {
    fill: Fill::Computed,
    names: ipproto::NAMES,
    meaning: "next header after this one",
    rfc: "RFC 8200 §4.6",
    notes: "rawlab fills it from the template's next layer.",
    ..Field::new("ipv6.dstopts.nxt", 0, 8, Kind::Dec)
};

pub static DST_LEN: Field = Field {
    unit: "× 8 bytes after the first 8",
    fill: Fill::Computed,
    meaning: "header length: 8-byte units after the first 8",
    rfc: "RFC 8200 §4.6",
    notes: "0 means an 8-byte header, 1 a 16-byte one (Wireshark's len_oct shows the bytes). rawlab computes it from the options.",
    ..Field::new("ipv6.dstopts.len", 8, 8, Kind::Dec)
};

pub static DST_OPTIONS: Field = Field {
    meaning: "options only the destination examines",
    rfc: "RFC 8200 §4.6",
    notes: "Type-length-value options, padded so the header is a multiple of 8 bytes (a new template carries PadN).",
    ..Field::new("ipv6.dstopts.options", 16, 0, Kind::Bytes)
};

static DST_TAIL: TailSpec = TailSpec {
    field: &DST_OPTIONS,
    ..HOP_TAIL
};

pub static DSTOPTS: Protocol = Protocol {
    name: "ipv6.dstopts",
    aliases: &["dstopts", "destination-options"],
    title: "IPv6 destination options",
    fields: &[&DST_NXT, &DST_LEN],
    tail: Some(&DST_TAIL),
    fixed_len: 2,
    header_len: |b| ext_len(&DST_LEN, b),
    len_field: Some(&DST_LEN),
    next: |b| super::next_by_field(&DSTOPTS, b),
    next_field: Some(&DST_NXT),
    numbers: "ip",
    ids: &[("ip", 60)],
    misplaced: |before| chain_rule(&DSTOPTS, before),
    summary: |b, s| {
        let _ = write!(s, "destination options ({} bytes)", b.len());
    },
    fill: |b| fill_ext_len(&DST_LEN, b),
    ..Protocol::BASE
};

// Routing (RFC 8200 §4.4); the type decides what follows segments left.

pub static RT_NXT: Field = Field {
    fill: Fill::Computed,
    names: ipproto::NAMES,
    meaning: "next header after this one",
    rfc: "RFC 8200 §4.4",
    notes: "rawlab fills it from the template's next layer.",
    ..Field::new("ipv6.routing.nxt", 0, 8, Kind::Dec)
};

pub static RT_LEN: Field = Field {
    unit: "× 8 bytes after the first 8",
    fill: Fill::Computed,
    meaning: "header length: 8-byte units after the first 8",
    rfc: "RFC 8200 §4.4",
    notes: "0 means an 8-byte header (Wireshark's len_oct shows the bytes). rawlab computes it from the addresses: 16 bytes each, so 2 units apiece.",
    ..Field::new("ipv6.routing.len", 8, 8, Kind::Dec)
};

pub static RT_TYPE: Field = Field {
    default: 0,
    names: &[(0, "source-route"), (2, "type-2"), (3, "rpl"), (4, "srh")],
    meaning: "routing type: 4 segment routing, 2 mobile IPv6, 0 deprecated source route",
    rfc: "RFC 8200 §4.4, RFC 8754, RFC 6275, RFC 5095",
    notes: "Type 0 was deprecated (RFC 5095) because it let one packet bounce between two hosts many times, so Linux treats it as a type it does not know: with segments left 0 it ignores the header and goes on, otherwise it answers parameter problem. A new template is type 0 with segments left 0, a header Linux processes. Type 4 (SRH) is dropped unless net.ipv6.conf.*.seg6_enabled is 1 on the receiving interface.",
    ..Field::new("ipv6.routing.type", 16, 8, Kind::Dec)
};

pub static RT_SEGLEFT: Field = Field {
    aliases: &["segleft", "segments_left"],
    meaning: "segments left: route segments still to visit",
    rfc: "RFC 8200 §4.4",
    notes: "Each node on the route decrements it and puts the next address in ipv6.dst. 0 means this is the final destination.",
    ..Field::new("ipv6.routing.segleft", 24, 8, Kind::Dec)
};

pub static RT_SRC_RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 2460 §4.4 (type 0)",
    notes: "Four bytes before the addresses of a type 0 header.",
    ..Field::new("ipv6.routing.src.reserved", 32, 32, Kind::Hex)
};

pub static RT_MIPV6_RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 6275 §6.4",
    notes: "Four bytes before the home address of a type 2 header.",
    ..Field::new("ipv6.routing.mipv6.reserved", 32, 32, Kind::Hex)
};

pub static RPL_CMPRI: Field = Field {
    meaning: "prefix bytes elided from each address but the last",
    rfc: "RFC 6554 §3",
    notes: "The addresses share their first CmprI bytes with ipv6.dst, so those are left out.",
    ..Field::new("ipv6.routing.rpl.cmprI", 32, 4, Kind::Dec)
};

pub static RPL_CMPRE: Field = Field {
    meaning: "prefix bytes elided from the last address",
    rfc: "RFC 6554 §3",
    notes: "As CmprI, for the last address.",
    ..Field::new("ipv6.routing.rpl.cmprE", 36, 4, Kind::Dec)
};

pub static RPL_PAD: Field = Field {
    meaning: "bytes of padding after the addresses",
    rfc: "RFC 6554 §3",
    notes: "Makes the header a multiple of 8 bytes.",
    ..Field::new("ipv6.routing.rpl.pad", 40, 4, Kind::Dec)
};

pub static RPL_RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 6554 §3",
    notes: "Twenty bits the sender writes as zeros.",
    ..Field::new("ipv6.routing.rpl.reserved", 44, 20, Kind::Hex)
};

pub static SRH_LAST_ENTRY: Field = Field {
    meaning: "index of the last segment in the list (the first one visited)",
    rfc: "RFC 8754 §2",
    notes: "The segment list is in reverse: entry 0 is the final destination.",
    ..Field::new("ipv6.routing.srh.last_entry", 32, 8, Kind::Dec)
};

pub static SRH_FLAGS: Field = Field {
    meaning: "flags: none defined yet",
    rfc: "RFC 8754 §2",
    notes: "Senders write 0; receivers ignore them.",
    ..Field::new("ipv6.routing.srh.flags", 40, 8, Kind::Hex)
};

pub static SRH_TAG: Field = Field {
    meaning: "tag: marks packets as part of a class or group",
    rfc: "RFC 8754 §2",
    notes: "0 when unused.",
    ..Field::new("ipv6.routing.srh.tag", 48, 16, Kind::Hex)
};

pub static RT_TYPE_DATA: Field = Field {
    meaning: "the first four bytes of data for a routing type rawlab does not know",
    rfc: "RFC 8200 §4.4",
    notes: "Every routing header is at least 8 bytes; what these four mean depends on the type (Wireshark shows them in ipv6.routing.unknown_data).",
    ..Field::new("ipv6.routing.type_data", 32, 32, Kind::Hex)
};

pub static RT_DATA: Field = Field {
    meaning: "the route: addresses (or type-specific data)",
    rfc: "RFC 8200 §4.4",
    notes: "For types 0, 2 and 4, 16-byte IPv6 addresses; a new template carries one segment, ::1. Set them as bytes, 32 hex digits each.",
    ..Field::new("ipv6.routing.data", 64, 0, Kind::Bytes)
};

pub static RT_SRC_ADDR: Field = Field {
    meaning: "an address on the source route",
    rfc: "RFC 2460 §4.4 (type 0)",
    notes: "Each node on the route swaps the next one into ipv6.dst.",
    host: Host::Destination,
    ..Field::new("ipv6.routing.src.addr", 0, 128, Kind::Ipv6)
};

pub static RT_HOME_ADDRESS: Field = Field {
    meaning: "the mobile node's home address",
    rfc: "RFC 6275 §6.4",
    notes: "A correspondent sends to the care-of address with this header, so the packet is delivered to the home address.",
    host: Host::Destination,
    ..Field::new("ipv6.routing.mipv6.home_address", 0, 128, Kind::Ipv6)
};

pub static SRH_ADDR: Field = Field {
    meaning: "a segment: an address the packet visits",
    rfc: "RFC 8754 §2",
    notes: "Listed last first: the segment ipv6.routing.segleft indexes is the active one.",
    host: Host::Destination,
    ..Field::new("ipv6.routing.srh.addr", 0, 128, Kind::Ipv6)
};

static RT_SRC_ADDRS: Entries = Entries {
    from: 0,
    fields: &[(0, &RT_SRC_ADDR)],
    stride: 16,
    empty: None,
};
static RT_HOME: Entries = Entries {
    from: 0,
    fields: &[(0, &RT_HOME_ADDRESS)],
    stride: 16,
    empty: None,
};
static SRH_SEGMENTS: Entries = Entries {
    from: 0,
    fields: &[(0, &SRH_ADDR)],
    stride: 16,
    empty: None,
};

static RT_TYPE0: &[&Field] = &[&RT_SRC_RESERVED];
static RT_TYPE2: &[&Field] = &[&RT_MIPV6_RESERVED];
static RT_RPL: &[&Field] = &[&RPL_CMPRI, &RPL_CMPRE, &RPL_PAD, &RPL_RESERVED];
static RT_SRH: &[&Field] = &[&SRH_LAST_ENTRY, &SRH_FLAGS, &SRH_TAG];
static RT_OTHER: &[&Field] = &[&RT_TYPE_DATA];

fn routing_variant(b: &[u8]) -> &'static [&'static Field] {
    match RT_TYPE.get(b) {
        0 => RT_TYPE0,
        2 => RT_TYPE2,
        3 => RT_RPL,
        4 => RT_SRH,
        _ => RT_OTHER,
    }
}

static RT_TAIL: TailSpec = TailSpec {
    field: &RT_DATA,
    unit: 8,
    max_header: 2048,
    default: &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    pad: "give whole 16-byte addresses",
    format: |b| match RT_TYPE.get(b) {
        0 => Tail::Entries(&RT_SRC_ADDRS),
        2 => Tail::Entries(&RT_HOME),
        4 => Tail::Entries(&SRH_SEGMENTS),
        _ => Tail::Bytes,
    },
    formats: &[
        Tail::Entries(&RT_SRC_ADDRS),
        Tail::Entries(&RT_HOME),
        Tail::Entries(&SRH_SEGMENTS),
        Tail::Bytes,
    ],
};

pub static ROUTING: Protocol = Protocol {
    name: "ipv6.routing",
    aliases: &["routing", "rh"],
    title: "IPv6 routing",
    fields: &[&RT_NXT, &RT_LEN, &RT_TYPE, &RT_SEGLEFT],
    variant: Some(routing_variant),
    variant_fields: &[RT_TYPE0, RT_TYPE2, RT_RPL, RT_SRH, RT_OTHER],
    tail: Some(&RT_TAIL),
    fixed_len: 8,
    header_len: |b| ext_len(&RT_LEN, b),
    len_field: Some(&RT_LEN),
    next: |b| super::next_by_field(&ROUTING, b),
    next_field: Some(&RT_NXT),
    numbers: "ip",
    ids: &[("ip", 43)],
    misplaced: |before| chain_rule(&ROUTING, before),
    summary: |b, s| {
        if b.len() < RT_SEGLEFT.end_byte() {
            let _ = write!(s, "routing (cut short at {} bytes)", b.len());
            return;
        }
        let ty = RT_TYPE.get(b);
        s.push_str("routing ");
        super::push_name_or(s, RT_TYPE.value_name(ty), "type ", ty);
        s.push_str(" segleft ");
        push_dec(s, RT_SEGLEFT.get(b));
    },
    fill: |b| fill_ext_len(&RT_LEN, b),
    ..Protocol::BASE
};

// Fragment (RFC 8200 §4.5).

pub static FRAG_NXT: Field = Field {
    fill: Fill::Computed,
    names: ipproto::NAMES,
    meaning: "next header after this one (in the first fragment)",
    rfc: "RFC 8200 §4.5",
    notes: "rawlab fills it from the template's next layer.",
    ..Field::new("ipv6.fraghdr.nxt", 0, 8, Kind::Dec)
};

pub static FRAG_RESERVED_OCTET: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 8200 §4.5",
    notes: "Where other extension headers have a length: a fragment header is always 8 bytes.",
    ..Field::new("ipv6.fraghdr.reserved_octet", 8, 8, Kind::Hex)
};

pub static FRAG_OFFSET: Field = Field {
    aliases: &["fragment_offset"],
    scale: 8,
    unit: "bytes",
    meaning: "fragment offset: where this piece starts, in 8-byte units on the wire, shown in bytes",
    rfc: "RFC 8200 §4.5",
    notes: "A non-zero offset means the payload is the middle of someone else's header, so rawlab shows it as data.",
    ..Field::new("ipv6.fraghdr.offset", 16, 13, Kind::Dec)
};

pub static FRAG_RESERVED_BITS: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 8200 §4.5",
    notes: "Two bits between the offset and the M flag.",
    ..Field::new("ipv6.fraghdr.reserved_bits", 29, 2, Kind::Dec)
};

pub static FRAG_MORE: Field = Field {
    aliases: &["m", "more"],
    meaning: "more fragments: this is not the last piece",
    rfc: "RFC 8200 §4.5",
    notes: "Only the source fragments in IPv6; routers send packet too big instead. A lone fragment waits in the receiver's reassembly queue for 60 s and is dropped.",
    ..Field::new("ipv6.fraghdr.more", 31, 1, Kind::Flag)
};

pub static FRAG_IDENT: Field = Field {
    meaning: "identification: ties the fragments of one packet together",
    rfc: "RFC 8200 §4.5, RFC 7739",
    notes: "32 bits, twice IPv4's. Linux picks it from a hash so that it cannot be predicted.",
    ..Field::new("ipv6.fraghdr.ident", 32, 32, Kind::Hex)
};

pub static FRAGMENT: Protocol = Protocol {
    name: "ipv6.fraghdr",
    aliases: &["fraghdr", "frag", "fragment"],
    title: "IPv6 fragment",
    fields: &[
        &FRAG_NXT,
        &FRAG_RESERVED_OCTET,
        &FRAG_OFFSET,
        &FRAG_RESERVED_BITS,
        &FRAG_MORE,
        &FRAG_IDENT,
    ],
    fixed_len: 8,
    header_len: |_| 8,
    next: |b| {
        if FRAG_OFFSET.get(b) != 0 {
            return None;
        }
        super::next_by_field(&FRAGMENT, b)
    },
    next_field: Some(&FRAG_NXT),
    numbers: "ip",
    ids: &[("ip", 44)],
    misplaced: |before| chain_rule(&FRAGMENT, before),
    summary: |b, s| {
        if b.len() < FRAG_IDENT.end_byte() {
            let _ = write!(s, "fragment (cut short at {} bytes)", b.len());
            return;
        }
        // As IPv4's fragments are noted (tcpdump -v), with IPv6's 32-bit identification
        // in hex as tcpdump prints it: `frag (id 0x00005a5a, offset 48, flags [+])`.
        s.push_str("frag (id 0x");
        let _ = write!(s, "{:08x}", FRAG_IDENT.get(b));
        s.push_str(", offset ");
        push_dec(s, FRAG_OFFSET.shown(FRAG_OFFSET.get(b)));
        s.push_str(if FRAG_MORE.get(b) == 1 {
            ", flags [+])"
        } else {
            ", flags [none])"
        });
    },
    ..Protocol::BASE
};

/// Whether a fragment header's packet is a piece of a larger one: more fragments
/// follow, or it starts past 0. (An atomic fragment, with neither, is the whole.)
pub fn is_fragment(fraghdr: &[u8]) -> bool {
    fraghdr.len() >= FRAG_IDENT.end_byte()
        && (FRAG_MORE.get(fraghdr) == 1 || FRAG_OFFSET.get(fraghdr) != 0)
}

/// The extension headers: what may come between the IPv6 header and the upper layer.
pub static EXTENSIONS: &[&Protocol] = &[&HOPOPTS, &DSTOPTS, &ROUTING, &FRAGMENT];

/// Whether a layer is an IPv6 extension header, which the kernel takes in (or drops)
/// before it hands the packet to the upper layer's sockets.
pub fn is_extension(p: &Protocol) -> bool {
    EXTENSIONS.iter().any(|e| std::ptr::eq(*e, p))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::dissect::dissect;

    /// An echo request to ::1 through a raw AF_INET6 socket (id 0x1234, seq 1, data
    /// c0 de), as tcpdump saw it on lo: the kernel wrote the header and the checksum.
    pub const ECHO: [u8; 50] = [
        0x60, 0x07, 0x8a, 0xa1, 0x00, 0x0a, 0x3a,
        0x40, // version, class, flow, plen, nxt, hlim
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // src ::1
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // dst ::1
        0x80, 0x00, 0xac, 0xa5, 0x12, 0x34, 0x00, 0x01, 0xc0, 0xde, // ICMPv6 echo request
    ];

    /// Its reply: type 129, and the checksum moved by the same amount.
    pub const ECHO_REPLY: [u8; 50] = [
        0x60, 0x01, 0xc2, 0xc9, 0x00, 0x0a, 0x3a, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // IPv6
        0x81, 0x00, 0xab, 0xa5, 0x12, 0x34, 0x00, 0x01, 0xc0, 0xde, // ICMPv6 echo reply
    ];

    #[test]
    fn getters_on_known_bytes() {
        let b = &ECHO;
        assert_eq!(VERSION.get(b), 6);
        assert_eq!(TCLASS.get(b), 0x00);
        assert_eq!(FLOW.get(b), 0x78aa1);
        assert_eq!(PLEN.get(b), 10);
        assert_eq!(NXT.get(b), 58);
        assert_eq!(NXT.words(58), "58 (icmpv6)");
        assert_eq!(HLIM.get(b), 64);
        assert_eq!(SRC.get(b), 1);
        assert_eq!(SRC.words(1), "::1");
        assert_eq!(DST.words(0x2001_0db8 << 96 | 1), "2001:db8::1");
        assert_eq!(IPV6.summary_text(b), "IPv6 ::1 → ::1 hlim 64 icmpv6");
    }

    #[test]
    fn setters_touch_only_their_bits() {
        let mut b = [0xa5u8; 40];
        VERSION.set(&mut b, 6);
        DSCP.set(&mut b, 0x2e);
        ECN.set(&mut b, 1);
        FLOW.set(&mut b, 0x12345);
        PLEN.set(&mut b, 0x0102);
        NXT.set(&mut b, 17);
        HLIM.set(&mut b, 255);
        SRC.set(&mut b, u128::from_be_bytes([0x11; 16]));
        DST.set(&mut b, u128::from_be_bytes([0x22; 16]));
        assert_eq!(&b[..8], [0x6b, 0x91, 0x23, 0x45, 0x01, 0x02, 17, 255]);
        assert_eq!(TCLASS.get(&b), 0xb9);
        assert_eq!(&b[8..24], [0x11; 16]);
        assert_eq!(&b[24..], [0x22; 16]);

        let mut f = [0xa5u8; 8];
        FRAG_NXT.set(&mut f, 58);
        FRAG_RESERVED_OCTET.set(&mut f, 0);
        FRAG_OFFSET.set(&mut f, 0x1fff);
        FRAG_RESERVED_BITS.set(&mut f, 0);
        FRAG_MORE.set(&mut f, 1);
        FRAG_IDENT.set(&mut f, 0x0102_0304);
        assert_eq!(f, [58, 0, 0xff, 0xf9, 1, 2, 3, 4]);
    }

    fn packet(chain: &[(u8, &[u8])], last: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = ECHO[..40].to_vec();
        p[6] = chain.first().map_or(last, |(n, _)| *n);
        for (i, (_, h)) in chain.iter().enumerate() {
            let mut h = h.to_vec();
            h[0] = chain.get(i + 1).map_or(last, |(n, _)| *n);
            p.extend(h);
        }
        p.extend(payload);
        let plen = (p.len() - 40) as u16;
        p[4..6].copy_from_slice(&plen.to_be_bytes());
        p
    }

    const HBH: &[u8] = &[0, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00];
    const DST8: &[u8] = &[0, 0, 0x01, 0x04, 0, 0, 0, 0];
    const FRAG: &[u8] = &[0, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef];

    #[test]
    fn extension_headers_are_layers() {
        let p = packet(&[(0, HBH), (60, DST8), (44, FRAG)], 59, &[0xaa]);
        let d = dissect(&p, &IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(
            d.stack_name(),
            "ipv6/ipv6.hopopts/ipv6.dstopts/ipv6.fraghdr"
        );
        assert_eq!(d.value(&p, &OPT_ROUTER_ALERT), Some(0));
        assert_eq!(d.value(&p, &FRAG_IDENT), Some(0xdead_beef));
        assert_eq!(d.value(&p, &FRAG_MORE), Some(1));
        assert_eq!(d.payload, 64..65);
        let hbh = &d.layers[1];
        assert_eq!(hbh.items.len(), 2, "router alert, then PadN");
        assert_eq!(
            ROUTING
                .fields_of(&[0, 2, 4, 1, 0, 0, 0, 0])
                .map(|f| f.name)
                .collect::<Vec<_>>(),
            [
                "ipv6.routing.nxt",
                "ipv6.routing.len",
                "ipv6.routing.type",
                "ipv6.routing.segleft",
                "ipv6.routing.srh.last_entry",
                "ipv6.routing.srh.flags",
                "ipv6.routing.srh.tag"
            ]
        );
    }

    #[test]
    fn a_chain_that_loops_is_a_problem_not_a_hang() {
        // Destination options naming itself as next header, again and again.
        let mut p = ECHO[..40].to_vec();
        p[6] = 60;
        for _ in 0..2000 {
            p.extend([60, 0, 1, 4, 0, 0, 0, 0]);
        }
        let plen = (p.len() - 40) as u16;
        p[4..6].copy_from_slice(&plen.to_be_bytes());
        let d = dissect(&p, &IPV6);
        assert_eq!(d.layers.len(), 3);
        assert_eq!(
            d.problems[0].what,
            "IPv6 destination options again: RFC 8200 §4.1 allows each extension header once (destination options twice), so the chain loops; the rest is shown as data"
        );
        assert_eq!(d.problems[0].offset, 56);
        // Hop-by-hop after anything but the IPv6 header.
        let p = packet(&[(60, DST8), (0, HBH)], 59, &[]);
        let d = dissect(&p, &IPV6);
        assert!(
            d.problems[0]
                .what
                .starts_with("a hop-by-hop options header must come right after the IPv6 header"),
            "{:?}",
            d.problems
        );
    }

    #[test]
    fn a_chain_that_runs_past_the_bytes() {
        let mut p = packet(&[(0, HBH)], 59, &[]);
        p[41] = 3; // 32 bytes of hop-by-hop, 8 there
        let d = dissect(&p, &IPV6);
        assert_eq!(
            d.problems[0].what,
            "ipv6.hopopts.len says 3 × 8 bytes after the first 8 (32 in all), but only 8 are there; the header is cut short"
        );
        let d = dissect(&p[..44], &IPV6);
        assert_eq!(
            d.problems[0].what,
            "ipv6.plen says 8 bytes (48 in all), but only 44 are there"
        );
    }

    #[test]
    fn a_jumbogram_says_zero_and_is_not_cut_to_its_header() {
        let mut p = packet(&[(0, &[0, 0, 0xc2, 4, 0, 0, 0, 0x30])], 59, &[0xaa; 40]);
        p[4] = 0;
        p[5] = 0;
        let d = dissect(&p, &IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.value(&p, &OPT_JUMBO), Some(0x30));
        assert_eq!(d.payload, 48..88);
        assert!(d.trailer.is_empty());
    }

    #[test]
    fn later_fragments_carry_data() {
        let mut frag = FRAG.to_vec();
        frag[3] = 0x09; // offset 1 (8 bytes), more
        let p = packet(&[(44, &frag)], 58, &[0x80, 0, 0, 0]);
        let d = dissect(&p, &IPV6);
        assert_eq!(d.stack_name(), "ipv6/ipv6.fraghdr");
        assert_eq!(d.payload, 48..52);
    }
}
