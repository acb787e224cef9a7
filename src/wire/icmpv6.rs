//! ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861): echo, the errors
//! (destination unreachable, packet too big, time exceeded, parameter
//! problem, each quoting the packet that caused it), and router and
//! neighbour solicitations and advertisements with their options.
//!
//! As in ICMPv4, the first four bytes are common and the rest depends on the
//! type (a variant); code names depend on the type (`names_when`). The
//! checksum covers the IPv6 pseudo-header, which is why a raw AF_INET6 socket
//! leaves computing it to the kernel.

use super::push_dec;
use super::{
    Building, Expected, Field, Fill, Host, Kind, NamesWhen, OptionKind, OptionList, Pairing,
    Protocol, Quote, Scope, Tail, TailSpec, checksum, ipv6,
};
use std::fmt::Write as _;

/// ICMPv6 message types, by the names users type (`set icmpv6.type echo-reply`).
pub const TYPE_NAMES: &[(u128, &str)] = &[
    (1, "dest-unreachable"),
    (2, "packet-too-big"),
    (3, "time-exceeded"),
    (4, "parameter-problem"),
    (128, "echo-request"),
    (129, "echo-reply"),
    (130, "mld-query"),
    (131, "mld-report"),
    (132, "mld-done"),
    (133, "router-solicitation"),
    (134, "router-advertisement"),
    (135, "neighbor-solicitation"),
    (136, "neighbor-advertisement"),
    (137, "redirect"),
    (143, "mldv2-report"),
];

pub const ECHO_REQUEST: u128 = 128;
pub const ECHO_REPLY: u128 = 129;

/// The error types RFC 4443 defines, each quoting the packet that caused it.
pub const ERRORS: [u128; 4] = [1, 2, 3, 4];

/// Codes of destination unreachable (type 1).
pub const UNREACHABLE_CODES: &[(u128, &str)] = &[
    (0, "no-route"),
    (1, "admin-prohibited"),
    (2, "beyond-scope"),
    (3, "address-unreachable"),
    (4, "port-unreachable"),
    (5, "source-policy-failed"),
    (6, "reject-route"),
    (7, "source-routing-error"),
];

/// Codes of time exceeded (type 3).
pub const TIME_EXCEEDED_CODES: &[(u128, &str)] =
    &[(0, "hop-limit-exceeded"), (1, "reassembly-time-exceeded")];

/// Codes of parameter problem (type 4).
pub const PARAMETER_CODES: &[(u128, &str)] = &[
    (0, "erroneous-header-field"),
    (1, "unrecognized-next-header"),
    (2, "unrecognized-option"),
    (3, "incomplete-header-chain"),
];

pub static TYPE: Field = Field {
    default: ECHO_REQUEST,
    names: TYPE_NAMES,
    meaning: "message type: 128 echo request, 129 echo reply, 1–4 errors, 133–137 neighbour discovery",
    rfc: "RFC 4443 §2.1, RFC 4861",
    notes: "Types below 128 are errors and quote the packet that caused them; 128 and up are informational. It decides what the next four bytes mean.",
    ..Field::new("icmpv6.type", 0, 8, Kind::Dec)
};

pub static CODE: Field = Field {
    meaning: "subtype: for errors, which kind (port unreachable, hop limit exceeded)",
    rfc: "RFC 4443 §3",
    notes: "Its names depend on the type: under type 1, code 4 is port-unreachable, what Linux answers to a UDP datagram for a closed port. 0 for echo and neighbour discovery.",
    ..Field::new("icmpv6.code", 8, 8, Kind::Dec)
};

pub static CHECKSUM: Field = Field {
    fill: Fill::Computed,
    meaning: "checksum over the IPv6 pseudo-header and the whole message",
    rfc: "RFC 4443 §2.3, RFC 8200 §8.1",
    notes: "Unlike ICMPv4, it covers a pseudo-header with both IPv6 addresses, so it cannot be computed without knowing them: on a raw AF_INET6 ICMPv6 socket the kernel computes it for you. rawlab computes it from the template's IPv6 header.",
    ..Field::new("icmpv6.checksum", 16, 16, Kind::Hex)
};

pub static IDENT: Field = Field {
    aliases: &["ident", "identifier"],
    meaning: "identifier: tells one pinger's echoes from another's",
    rfc: "RFC 4443 §4.1",
    notes: "Copied into the reply unchanged.",
    ..Field::new("icmpv6.echo.identifier", 32, 16, Kind::Dec)
};

pub static SEQ: Field = Field {
    aliases: &["seq", "sequence"],
    meaning: "sequence number: counts the echoes of one pinger",
    rfc: "RFC 4443 §4.1",
    notes: "Copied into the reply unchanged.",
    ..Field::new("icmpv6.echo.sequence_number", 48, 16, Kind::Dec)
};

pub static RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 4443, RFC 4861",
    notes: "Unused in this type of message: the sender writes zeros and the receiver ignores them.",
    ..Field::new("icmpv6.reserved", 32, 32, Kind::Hex)
};

pub static MTU: Field = Field {
    unit: "bytes",
    meaning: "MTU of the next hop, which the packet was too big for",
    rfc: "RFC 4443 §3.2, RFC 8201",
    notes: "IPv6 routers never fragment: they drop a packet too big for the next link and send this back, and the sender lowers its path MTU (never below 1280).",
    ..Field::new("icmpv6.mtu", 32, 32, Kind::Dec)
};

pub static POINTER: Field = Field {
    meaning: "pointer: the byte of the quoted packet where the problem is",
    rfc: "RFC 4443 §3.4",
    notes: "Counts from the first byte of the quoted IPv6 header; 6 is its next header field, 40 the first byte after it.",
    ..Field::new("icmpv6.pointer", 32, 32, Kind::Dec)
};

pub static CUR_HOP_LIMIT: Field = Field {
    meaning: "hop limit hosts should use (0: unspecified)",
    rfc: "RFC 4861 §4.2",
    notes: "Hosts on the link take it as their default ipv6.hlim.",
    ..Field::new("icmpv6.nd.ra.cur_hop_limit", 32, 8, Kind::Dec)
};

pub static RA_FLAG: Field = Field {
    group: true,
    meaning: "flags: managed, other, home agent, preference, proxy",
    rfc: "RFC 4861 §4.2, RFC 4191, RFC 6275, RFC 4389",
    notes: "How hosts should configure addresses and how much to prefer this router.",
    ..Field::new("icmpv6.nd.ra.flag", 40, 8, Kind::Hex)
};

pub static RA_M: Field = Field {
    meaning: "managed: get addresses from DHCPv6",
    rfc: "RFC 4861 §4.2",
    notes: "Set when addresses come from DHCPv6 rather than (or as well as) SLAAC.",
    ..Field::new("icmpv6.nd.ra.flag.m", 40, 1, Kind::Flag)
};

pub static RA_O: Field = Field {
    meaning: "other configuration: get DNS and the like from DHCPv6",
    rfc: "RFC 4861 §4.2",
    notes: "Stateless DHCPv6 for what is not an address.",
    ..Field::new("icmpv6.nd.ra.flag.o", 41, 1, Kind::Flag)
};

pub static RA_H: Field = Field {
    meaning: "home agent: the router is a mobile IPv6 home agent",
    rfc: "RFC 6275 §7.1",
    notes: "Only mobile IPv6 looks at it.",
    ..Field::new("icmpv6.nd.ra.flag.h", 42, 1, Kind::Flag)
};

pub static RA_PRF: Field = Field {
    names: &[(0, "medium"), (1, "high"), (2, "reserved"), (3, "low")],
    meaning: "default router preference",
    rfc: "RFC 4191 §2.2",
    notes: "With several routers, hosts prefer the one with the higher preference.",
    ..Field::new("icmpv6.nd.ra.flag.prf", 43, 2, Kind::Dec)
};

pub static RA_P: Field = Field {
    meaning: "proxy: the router proxies neighbour discovery",
    rfc: "RFC 4389 §4.1.3.3",
    notes: "Experimental.",
    ..Field::new("icmpv6.nd.ra.flag.p", 45, 1, Kind::Flag)
};

pub static RA_RSV: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 4861 §4.2",
    notes: "Two bits the sender writes as zeros.",
    ..Field::new("icmpv6.nd.ra.flag.rsv", 46, 2, Kind::Dec)
};

pub static ROUTER_LIFETIME: Field = Field {
    unit: "s",
    meaning: "how long hosts may use this router as default (0: not a default router)",
    rfc: "RFC 4861 §4.2",
    notes: "At most 9000 s. A router that is going away advertises 0.",
    ..Field::new("icmpv6.nd.ra.router_lifetime", 48, 16, Kind::Dec)
};

pub static REACHABLE_TIME: Field = Field {
    unit: "ms",
    meaning: "how long a neighbour counts as reachable after a confirmation",
    rfc: "RFC 4861 §4.2",
    notes: "0: the router does not say; hosts keep their own.",
    ..Field::new("icmpv6.nd.ra.reachable_time", 64, 32, Kind::Dec)
};

pub static RETRANS_TIMER: Field = Field {
    unit: "ms",
    meaning: "time between retransmitted neighbour solicitations",
    rfc: "RFC 4861 §4.2",
    notes: "0: the router does not say.",
    ..Field::new("icmpv6.nd.ra.retrans_timer", 96, 32, Kind::Dec)
};

pub static NS_TARGET: Field = Field {
    aliases: &["target"],
    meaning: "target: the address whose link-layer address is wanted",
    rfc: "RFC 4861 §4.3",
    notes: "IPv6's ARP request: \"who has this address?\", sent to the target's solicited-node multicast group (ff02::1:ffXX:XXXX) with hop limit 255.",
    host: Host::Destination,
    ..Field::new("icmpv6.nd.ns.target_address", 64, 128, Kind::Ipv6)
};

pub static NA_FLAG: Field = Field {
    group: true,
    meaning: "flags: router, solicited, override",
    rfc: "RFC 4861 §4.4",
    notes: "What kind of answer this is, and whether it replaces a cached link-layer address.",
    ..Field::new("icmpv6.nd.na.flag", 32, 32, Kind::Hex)
};

pub static NA_R: Field = Field {
    meaning: "router: the sender is a router",
    rfc: "RFC 4861 §4.4",
    notes: "Lets hosts notice a router that became a host.",
    ..Field::new("icmpv6.nd.na.flag.r", 32, 1, Kind::Flag)
};

pub static NA_S: Field = Field {
    meaning: "solicited: an answer to a neighbour solicitation",
    rfc: "RFC 4861 §4.4",
    notes: "Clear in an unsolicited advertisement (an address that moved).",
    ..Field::new("icmpv6.nd.na.flag.s", 33, 1, Kind::Flag)
};

pub static NA_O: Field = Field {
    meaning: "override: replace a cached link-layer address",
    rfc: "RFC 4861 §4.4",
    notes: "Clear for anycast addresses and proxies, whose answer should not win over the owner's.",
    ..Field::new("icmpv6.nd.na.flag.o", 34, 1, Kind::Flag)
};

pub static NA_RSV: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 4861 §4.4",
    notes: "29 bits the sender writes as zeros.",
    ..Field::new("icmpv6.nd.na.flag.rsv", 35, 29, Kind::Hex)
};

pub static NA_TARGET: Field = Field {
    aliases: &["target"],
    meaning: "target: the address being advertised",
    rfc: "RFC 4861 §4.4",
    notes: "IPv6's ARP reply: the target link-layer address option carries the answer.",
    host: Host::Destination,
    ..Field::new("icmpv6.nd.na.target_address", 64, 128, Kind::Ipv6)
};

pub static RD_TARGET: Field = Field {
    aliases: &["target"],
    meaning: "target: the better first hop (or the destination itself, on-link)",
    rfc: "RFC 4861 §4.5",
    notes: "A router tells a host to send to this address instead.",
    host: Host::Destination,
    ..Field::new("icmpv6.nd.rd.target_address", 64, 128, Kind::Ipv6)
};

pub static RD_DESTINATION: Field = Field {
    meaning: "destination: the address being redirected",
    rfc: "RFC 4861 §4.5",
    notes: "Packets for this destination should go to the target.",
    host: Host::Destination,
    ..Field::new("icmpv6.rd.na.destination_address", 192, 128, Kind::Ipv6)
};

pub static OPTIONS: Field = Field {
    meaning: "neighbour discovery options, in 8-byte units",
    rfc: "RFC 4861 §4.6",
    notes: "Type-length-value options whose length counts 8-byte units: source or target link-layer address, prefix information, MTU. Set them as bytes: `set icmpv6.options 0101 020000000001` is a source link-layer address option.",
    ..Field::new("icmpv6.options", 64, 0, Kind::Bytes)
};

// Neighbour discovery options: offsets count from the option's first byte, its type.

/// Neighbour discovery option types (IANA), by the names the dump uses.
pub const OPTION_NAMES: &[(u128, &str)] = &[
    (1, "source-lladdr"),
    (2, "target-lladdr"),
    (3, "prefix-info"),
    (4, "redirected-header"),
    (5, "mtu"),
    (14, "nonce"),
    (24, "route-info"),
    (25, "rdnss"),
    (31, "dnssl"),
    (38, "pref64"),
];

pub static OPT_TYPE: Field = Field {
    names: OPTION_NAMES,
    meaning: "option type",
    rfc: "RFC 4861 §4.6",
    notes: "Every neighbour discovery option has a length after its type: there is no one-byte padding option.",
    ..Field::new("icmpv6.opt.type", 0, 8, Kind::Dec)
};

pub static OPT_LENGTH: Field = Field {
    unit: "× 8 bytes",
    meaning: "option length in 8-byte units, type and length included",
    rfc: "RFC 4861 §4.6",
    notes: "At least 1 (8 bytes): RFC 4861 has nodes drop a message with an option of length 0.",
    ..Field::new("icmpv6.opt.length", 8, 8, Kind::Dec)
};

pub static OPT_LINKADDR: Field = Field {
    meaning: "link-layer address (a MAC on Ethernet)",
    rfc: "RFC 4861 §4.6.1",
    notes: "The sender's (source) or the target's (target) link-layer address: 6 bytes on Ethernet, then padding to 8.",
    ..Field::new("icmpv6.opt.linkaddr", 0, 0, Kind::Bytes)
};

pub static OPT_PREFIX_LENGTH: Field = Field {
    unit: "bits",
    meaning: "prefix length: how many leading bits of the prefix count",
    rfc: "RFC 4861 §4.6.2",
    notes: "64 for a prefix hosts build addresses in by SLAAC.",
    ..Field::new("icmpv6.opt.prefix.length", 16, 8, Kind::Dec)
};

pub static OPT_PREFIX_FLAG: Field = Field {
    group: true,
    meaning: "flags: on-link, autonomous, router address",
    rfc: "RFC 4861 §4.6.2, RFC 6275",
    notes: "What hosts may do with the prefix.",
    ..Field::new("icmpv6.opt.prefix.flag", 24, 8, Kind::Hex)
};

pub static OPT_PREFIX_L: Field = Field {
    meaning: "on-link: addresses in the prefix are reachable directly",
    rfc: "RFC 4861 §4.6.2",
    notes: "Hosts send to them without the router.",
    ..Field::new("icmpv6.opt.prefix.flag.l", 24, 1, Kind::Flag)
};

pub static OPT_PREFIX_A: Field = Field {
    meaning: "autonomous: hosts may configure an address in the prefix (SLAAC)",
    rfc: "RFC 4862 §5.5.3",
    notes: "With a /64 prefix, hosts add their own 64-bit interface identifier.",
    ..Field::new("icmpv6.opt.prefix.flag.a", 25, 1, Kind::Flag)
};

pub static OPT_PREFIX_R: Field = Field {
    meaning: "router address: the prefix field holds the router's full address",
    rfc: "RFC 6275 §7.2",
    notes: "Used by mobile IPv6.",
    ..Field::new("icmpv6.opt.prefix.flag.r", 26, 1, Kind::Flag)
};

pub static OPT_PREFIX_RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 4861 §4.6.2",
    notes: "Five bits the sender writes as zeros.",
    ..Field::new("icmpv6.opt.prefix.flag.reserved", 27, 5, Kind::Dec)
};

pub static OPT_VALID_LIFETIME: Field = Field {
    unit: "s",
    meaning: "valid lifetime: how long addresses in the prefix stay valid",
    rfc: "RFC 4861 §4.6.2",
    notes: "0xffffffff means forever.",
    ..Field::new("icmpv6.opt.prefix.valid_lifetime", 32, 32, Kind::Dec)
};

pub static OPT_PREFERRED_LIFETIME: Field = Field {
    unit: "s",
    meaning: "preferred lifetime: how long new connections may use such addresses",
    rfc: "RFC 4861 §4.6.2",
    notes: "After it, addresses are deprecated: existing connections go on, new ones pick another.",
    ..Field::new("icmpv6.opt.prefix.preferred_lifetime", 64, 32, Kind::Dec)
};

pub static OPT_RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 4861 §4.6.2",
    notes: "Four bytes before the prefix, which the sender writes as zeros.",
    ..Field::new("icmpv6.opt.reserved", 96, 32, Kind::Hex)
};

pub static OPT_PREFIX: Field = Field {
    meaning: "the prefix",
    rfc: "RFC 4861 §4.6.2",
    notes: "Bits past the prefix length are zero.",
    host: Host::NotAHost,
    ..Field::new("icmpv6.opt.prefix", 128, 128, Kind::Ipv6)
};

pub static OPT_MTU_RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 4861 §4.6.4",
    notes: "Two bytes before the MTU, which the sender writes as zeros.",
    ..Field::new("icmpv6.opt.mtu.reserved", 16, 16, Kind::Hex)
};

pub static OPT_MTU: Field = Field {
    unit: "bytes",
    meaning: "the link's MTU, for hosts to use",
    rfc: "RFC 4861 §4.6.4",
    notes: "Sent in router advertisements on links whose MTU is not well known.",
    ..Field::new("icmpv6.opt.mtu", 32, 32, Kind::Dec)
};

pub static OPT_DATA: Field = Field {
    meaning: "option data rawlab does not take apart",
    rfc: "RFC 4861 §4.6, IANA IPv6 ND option formats",
    notes: "The bytes of an option rawlab has no table for (DNS servers, route information), or of a list that could not be read on.",
    ..Field::new("icmpv6.opt.data", 0, 0, Kind::Bytes)
};

pub static OPTION_LIST: OptionList = OptionList {
    kind: &[&OPT_TYPE],
    len: &OPT_LENGTH,
    len_scale: 8,
    len_add: 0,
    min_len: 8,
    single: &[],
    end: None,
    padding: None,
    kinds: &[
        OptionKind {
            rest: Some(&OPT_LINKADDR),
            ..OptionKind::new(1, &[], None)
        },
        OptionKind {
            rest: Some(&OPT_LINKADDR),
            ..OptionKind::new(2, &[], None)
        },
        OptionKind::new(
            3,
            &[
                &OPT_PREFIX_LENGTH,
                &OPT_PREFIX_FLAG,
                &OPT_PREFIX_L,
                &OPT_PREFIX_A,
                &OPT_PREFIX_R,
                &OPT_PREFIX_RESERVED,
                &OPT_VALID_LIFETIME,
                &OPT_PREFERRED_LIFETIME,
                &OPT_RESERVED,
                &OPT_PREFIX,
            ],
            Some(32),
        ),
        OptionKind::new(5, &[&OPT_MTU_RESERVED, &OPT_MTU], Some(8)),
    ],
    unknown: &OPT_DATA,
    named: &[],
};

/// Neighbour discovery messages (133–137) end with options.
fn is_nd(b: &[u8]) -> bool {
    (133..=137).contains(&TYPE.get(b))
}

static OPTIONS_TAIL: TailSpec = TailSpec {
    field: &OPTIONS,
    unit: 8,
    max_header: 0xffff,
    default: &[],
    pad: "options come in 8-byte units: pad each with zeros",
    format: |b| {
        if is_nd(b) {
            Tail::Options(&OPTION_LIST)
        } else {
            Tail::Bytes
        }
    },
    formats: &[Tail::Options(&OPTION_LIST), Tail::Bytes],
};

pub static FIELDS: &[&Field] = &[&TYPE, &CODE, &CHECKSUM];

static ECHO: &[&Field] = &[&IDENT, &SEQ];
static RESERVED_ONLY: &[&Field] = &[&RESERVED];
static TOO_BIG: &[&Field] = &[&MTU];
static PARAMETER: &[&Field] = &[&POINTER];
static RA: &[&Field] = &[
    &CUR_HOP_LIMIT,
    &RA_FLAG,
    &RA_M,
    &RA_O,
    &RA_H,
    &RA_PRF,
    &RA_P,
    &RA_RSV,
    &ROUTER_LIFETIME,
    &REACHABLE_TIME,
    &RETRANS_TIMER,
];
static NS: &[&Field] = &[&RESERVED, &NS_TARGET];
static NA: &[&Field] = &[&NA_FLAG, &NA_R, &NA_S, &NA_O, &NA_RSV, &NA_TARGET];
static REDIRECT: &[&Field] = &[&RESERVED, &RD_TARGET, &RD_DESTINATION];

fn variant(b: &[u8]) -> &'static [&'static Field] {
    match TYPE.get(b) {
        128 | 129 => ECHO,
        2 => TOO_BIG,
        4 => PARAMETER,
        134 => RA,
        135 => NS,
        136 => NA,
        137 => REDIRECT,
        _ => RESERVED_ONLY,
    }
}

/// Errors (types below 128) quote as much of the offending packet as fits.
/// A template's error quotes the datagram after it: port unreachable unless the type is set.
pub static QUOTE: Quote = Quote {
    network: &ipv6::IPV6,
    type_field: &TYPE,
    code_field: &CODE,
    errors: &ERRORS,
    default: (1, 4),
};

fn is_error(b: &[u8]) -> bool {
    TYPE.get(b) < 128
}

pub static ICMPV6: Protocol = Protocol {
    name: "icmpv6",
    aliases: &["icmp6"],
    title: "ICMPv6",
    fields: FIELDS,
    variant: Some(variant),
    variant_fields: &[
        ECHO,
        RESERVED_ONLY,
        TOO_BIG,
        PARAMETER,
        RA,
        NS,
        NA,
        REDIRECT,
    ],
    names_when: &[
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[1],
            names: UNREACHABLE_CODES,
        },
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[3],
            names: TIME_EXCEEDED_CODES,
        },
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[4],
            names: PARAMETER_CODES,
        },
    ],
    tail: Some(&OPTIONS_TAIL),
    fixed_len: 8,
    // Neighbour discovery options run to the end of the message.
    header_len: |b| if is_nd(b) { b.len() } else { 8 },
    next: |b| is_error(b).then_some(&ipv6::IPV6),
    quotes: is_error,
    quote: Some(&QUOTE),
    ids: &[("ip", 58)],
    summary,
    pairing: Some(pairing),
    fill,
    expected,
    ..Protocol::BASE
};

fn summary(b: &[u8], s: &mut String) {
    if b.len() < 4 {
        let _ = write!(s, "ICMPv6 (cut short at {} bytes)", b.len());
        return;
    }
    let ty = TYPE.get(b);
    s.push_str("ICMPv6 ");
    super::push_name_or(s, TYPE.value_name(ty), "type ", ty);
    let has = |f: &Field| variant(b).contains(&f) && b.len() >= f.end_byte();
    if has(&SEQ) {
        super::icmp::push_echo(s, IDENT.get(b), SEQ.get(b));
        return;
    }
    if is_error(b) {
        s.push(' ');
        super::push_name_or(s, ICMPV6.value_name(&CODE, b), "code ", CODE.get(b));
    }
    if has(&MTU) {
        s.push_str(" mtu ");
        push_dec(s, MTU.get(b));
    }
    for target in [&NS_TARGET, &NA_TARGET, &RD_TARGET] {
        if has(target) {
            s.push(' ');
            target.write_text(s, b);
        }
    }
}

/// Echo requests and replies pair up by identifier and sequence number.
fn pairing(b: &[u8]) -> Option<Pairing> {
    let is_request = match TYPE.get(b) {
        128 => true,
        129 => false,
        _ => return None,
    };
    Some(Pairing {
        flow: IDENT.get(b) as u64,
        key: (IDENT.get(b) as u64) << 16 | SEQ.get(b) as u64,
        is_request,
        reverse: None,
    })
}

/// The checksum a message should carry, given its pseudo-header sum.
pub fn message_checksum(message: &[u8], pseudo: u32) -> u16 {
    !checksum::sum_zeroed(message, pseudo, CHECKSUM.first_byte()..CHECKSUM.end_byte())
}

fn fill(b: &mut Building) {
    b.fill_pseudo_checksum(&ICMPV6, &CHECKSUM, message_checksum);
}

/// Verifiable only with the whole message and the IPv6 header around it (a raw
/// AF_INET6 socket hands over neither the header nor, so, the means to check).
fn expected(s: &Scope) -> Vec<Expected> {
    s.pseudo_checksum(&ICMPV6, &CHECKSUM, message_checksum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Verdict;
    use crate::wire::dissect::dissect;
    use crate::wire::ipv6::IPV6;

    #[test]
    fn getters_on_known_bytes() {
        let p = &ipv6::tests::ECHO;
        let b = &p[40..];
        assert_eq!(TYPE.get(b), 128);
        assert_eq!(CODE.get(b), 0);
        assert_eq!(CHECKSUM.get(b), 0xaca5);
        assert_eq!(IDENT.get(b), 0x1234);
        assert_eq!(SEQ.get(b), 1);
        assert_eq!(ICMPV6.summary_text(b), "ICMPv6 echo-request id 4660 seq 1");
        let d = dissect(p, &IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.stack_name(), "ipv6/icmpv6");
        // The kernel computed these itself (a raw ICMPv6 socket), so they are whole.
        assert_eq!(
            expected(&d.scope(1, p))[0].verdict(0xaca5),
            Verdict::Correct
        );
        let r = &ipv6::tests::ECHO_REPLY;
        let d = dissect(r, &IPV6);
        assert_eq!(
            expected(&d.scope(1, r))[0].verdict(0xaba5),
            Verdict::Correct
        );
    }

    #[test]
    fn setters_touch_only_their_bits() {
        let mut b = [0xa5u8; 24];
        TYPE.set(&mut b, 136);
        CODE.set(&mut b, 0);
        CHECKSUM.set(&mut b, 0x0102);
        NA_R.set(&mut b, 0);
        NA_S.set(&mut b, 1);
        NA_O.set(&mut b, 1);
        NA_RSV.set(&mut b, 0);
        NA_TARGET.set(&mut b, 0xfe80 << 112 | 1);
        assert_eq!(&b[..8], [136, 0, 1, 2, 0x60, 0, 0, 0]);
        assert_eq!(b[8..10], [0xfe, 0x80]);
        assert_eq!(b[23], 1);
        let mut b = [0xa5u8; 8];
        IDENT.set(&mut b, 0x0304);
        SEQ.set(&mut b, 0x0506);
        assert_eq!(&b[4..], [3, 4, 5, 6]);
        MTU.set(&mut b, 1280);
        assert_eq!(&b[4..], [0, 0, 5, 0]);
        assert_eq!(&b[..4], [0xa5; 4]);
    }

    /// A neighbour solicitation for fe80::1 from fe80::2, with a source link-layer
    /// address option.
    fn solicitation() -> Vec<u8> {
        let mut p = ipv6::tests::ECHO[..40].to_vec();
        p[6] = 58;
        p[7] = 255;
        p[8..24].copy_from_slice(&(0xfe80u128 << 112 | 2).to_be_bytes());
        p[24..40].copy_from_slice(&(0xff02u128 << 112 | 1 << 24 | 0xff00_0001).to_be_bytes());
        p.extend([135, 0, 0, 0, 0, 0, 0, 0]);
        p.extend((0xfe80u128 << 112 | 1).to_be_bytes());
        p.extend([1, 1, 0x02, 0, 0, 0, 0, 0x02]);
        let plen = (p.len() - 40) as u16;
        p[4..6].copy_from_slice(&plen.to_be_bytes());
        let d = dissect(&p, &IPV6);
        let pseudo = d.scope(1, &p).pseudo(&ICMPV6).unwrap();
        let sum = message_checksum(&p[40..], pseudo);
        p[42..44].copy_from_slice(&sum.to_be_bytes());
        p
    }

    #[test]
    fn neighbour_solicitation_with_its_option() {
        let p = solicitation();
        let d = dissect(&p, &IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let icmp = &d.layers[1];
        assert_eq!(icmp.fixed_end, 64);
        assert_eq!(icmp.hdr_end, 72);
        assert_eq!(icmp.items.len(), 1);
        let names: Vec<&str> = icmp.items[0].fields.iter().map(|f| f.field.name).collect();
        assert_eq!(
            names,
            [
                "icmpv6.opt.type",
                "icmpv6.opt.length",
                "icmpv6.opt.linkaddr"
            ]
        );
        assert_eq!(icmp.items[0].fields[2].span, 66..72);
        assert_eq!(
            ICMPV6.summary_text(&p[40..64]),
            "ICMPv6 neighbor-solicitation fe80::1"
        );
        assert_eq!(
            OPT_TYPE.words(1),
            "1 (source-lladdr)",
            "option names come from the type field"
        );
    }

    /// A router advertisement with prefix information and MTU options.
    #[test]
    fn router_advertisement_with_prefix_and_mtu() {
        use crate::wire::template::{Template, Value};
        let mut t = Template::new(&[&IPV6, &ICMPV6]);
        t.set(&TYPE, Value::Raw(134)).unwrap();
        t.set(&CUR_HOP_LIMIT, Value::Raw(64)).unwrap();
        t.set(&RA_O, Value::Raw(1)).unwrap();
        t.set(&ROUTER_LIFETIME, Value::Raw(1800)).unwrap();
        let mut opts = vec![
            3, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08, 0, 0, 0, 0,
        ];
        opts.extend((0x2001_0db8u128 << 96).to_be_bytes());
        opts.extend([5, 1, 0, 0, 0, 0, 0x05, 0xdc]);
        t.set(&OPTIONS, Value::Bytes(opts)).unwrap();
        let b = t.build(std::time::SystemTime::UNIX_EPOCH).bytes;
        let d = dissect(&b, &IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.value(&b, &RA_FLAG), Some(0x40));
        assert_eq!(d.value(&b, &OPT_PREFIX_LENGTH), Some(64));
        assert_eq!(d.value(&b, &OPT_PREFIX_L), Some(1));
        assert_eq!(d.value(&b, &OPT_PREFIX_A), Some(1));
        assert_eq!(d.value(&b, &OPT_VALID_LIFETIME), Some(3600));
        assert_eq!(d.value(&b, &OPT_PREFERRED_LIFETIME), Some(1800));
        assert_eq!(
            OPT_PREFIX.words(d.value(&b, &OPT_PREFIX).unwrap()),
            "2001:db8::"
        );
        assert_eq!(d.value(&b, &OPT_MTU), Some(1500));
        assert_eq!(d.layers[1].items.len(), 2);
        let e = &expected(&d.scope(1, &b))[0];
        assert_eq!(e.verdict(CHECKSUM.get(&b[40..])), Verdict::Correct);
    }

    #[test]
    fn an_option_of_length_zero_is_malformed() {
        let mut p = solicitation();
        p[65] = 0;
        let d = dissect(&p, &IPV6);
        assert_eq!(
            d.problems[0].what,
            "icmpv6.opt.length says 0 × 8 bytes for option source-lladdr (1): an option is at least 8 bytes (kind and length); the rest is shown as bytes"
        );
        assert_eq!(d.problems[0].offset, 65);
        let mut p = solicitation();
        p[65] = 2;
        let d = dissect(&p, &IPV6);
        assert!(
            d.problems[0].what.contains("but only 8 remain"),
            "{:?}",
            d.problems
        );
    }

    #[test]
    fn a_solicitation_cut_short() {
        let p = solicitation();
        let mut cut = p[..50].to_vec();
        cut[5] = 10;
        let d = dissect(&cut, &IPV6);
        assert_eq!(
            d.problems[0].what,
            "ICMPv6 neighbor-solicitation header needs 24 bytes, but only 10 are there"
        );
    }

    /// Linux's answer on lo to a UDP datagram for ::1 port 9, where nothing listens.
    const PORT_UNREACHABLE: [u8; 98] = [
        0x60, 0x0b, 0x9c, 0x84, 0x00, 0x3a, 0x3a, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // IPv6
        0x01, 0x04, 0x8a, 0xfb, 0x00, 0x00, 0x00, 0x00, // ICMPv6 port unreachable
        0x60, 0x05, 0xfd, 0x5e, 0x00, 0x0a, 0x11, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // quoted IPv6
        0x9c, 0x40, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x1d, 0x68, 0x69, // quoted UDP and "hi"
    ];

    #[test]
    fn errors_quote_the_packet_and_codes_are_named_by_type() {
        let p = PORT_UNREACHABLE.to_vec();
        let d = dissect(&p, &IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.stack_name(), "ipv6/icmpv6/ipv6/udp");
        assert!(d.layers[2].quoted && d.layers[3].quoted);
        assert_eq!(ICMPV6.words(&CODE, &p[40..48]), "4 (port-unreachable)");
        assert_eq!(
            ICMPV6.summary_text(&p[40..48]),
            "ICMPv6 dest-unreachable port-unreachable"
        );
        // Every checksum is checked, the quoted datagram's too: the quote is whole here.
        for i in 0..4 {
            for e in (d.layers[i].proto.expected)(&d.scope(i, &p)) {
                // The quoted UDP checksum is the one lo left unfinished (offload).
                let v = if i == 3 {
                    Verdict::Offloaded
                } else {
                    Verdict::Correct
                };
                assert_eq!(
                    e.verdict(d.layers[i].get(&p, e.field)),
                    v,
                    "{}",
                    e.field.name
                );
            }
        }
        assert_eq!((d.layers[3].proto.expected)(&d.scope(3, &p)).len(), 1);
        // Quote only the IPv6 header and 4 bytes: cut short, not malformed.
        let mut short = p[..92].to_vec();
        short[5] = 52;
        let d = dissect(&short, &IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(d.layers[2].cut, "quoted ipv6.plen says more than is there");
        assert!((d.layers[3].proto.expected)(&d.scope(3, &short)).is_empty());
    }

    #[test]
    fn a_message_without_its_header_is_judged_over_the_addresses_reported() {
        // What an AF_INET6 raw socket hands over: the ICMPv6 message alone.
        let p = ipv6::tests::ECHO;
        let message = &p[40..];
        let d = dissect(message, &ICMPV6);
        assert!((ICMPV6.expected)(&d.scope(0, message)).is_empty());
        let lo = std::net::Ipv6Addr::LOCALHOST;
        let around = ipv6::header_around(lo, lo);
        let mut scope = d.scope(0, message);
        scope.around = Some((&IPV6, &around));
        let e = (ICMPV6.expected)(&scope);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].verdict(CHECKSUM.get(message)), Verdict::Correct);
        // Reported from another address, the same bytes no longer add up.
        let other = ipv6::header_around("2001:db8:1::2".parse().unwrap(), lo);
        scope.around = Some((&IPV6, &other));
        let e = (ICMPV6.expected)(&scope);
        assert_ne!(e[0].verdict(CHECKSUM.get(message)), Verdict::Correct);
    }

    #[test]
    fn echo_pairs() {
        let req = pairing(&[128, 0, 0, 0, 0, 7, 0, 9]).unwrap();
        let rep = pairing(&[129, 0, 0, 0, 0, 7, 0, 9]).unwrap();
        assert_eq!((req.key, req.is_request), (rep.key, !rep.is_request));
        assert_eq!(pairing(&[135, 0, 0, 0, 0, 7, 0, 9]), None);
    }
}
