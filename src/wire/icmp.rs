//! ICMP for IPv4 (RFC 792, RFC 950, RFC 1191, RFC 1256): echo, the errors a
//! kernel sends (destination unreachable, time exceeded, redirect, parameter
//! problem), timestamps, address masks and router discovery.
//!
//! The first four bytes are common; what follows depends on the type (and for
//! "fragmentation needed", the code), so the rest of the header is a variant.
//! Code names depend on the type too (`names_when`). An error carries the IP
//! header and first 8 bytes of the datagram that caused it: ICMP's `next` is
//! then IPv4, dissected as a quoted packet.

use super::push_dec;
use super::{
    Building, Entries, Expected, Field, Fill, Host, Kind, NamesWhen, Pairing, Protocol, Quote,
    Tail, TailSpec, checksum, ipv4,
};
use std::fmt::Write as _;

/// ICMP message types, by the names users type (`set icmp.type echo-reply`).
pub const TYPE_NAMES: &[(u128, &str)] = &[
    (0, "echo-reply"),
    (3, "dest-unreachable"),
    (4, "source-quench"),
    (5, "redirect"),
    (6, "alternate-host-address"),
    (8, "echo-request"),
    (9, "router-advertisement"),
    (10, "router-solicitation"),
    (11, "time-exceeded"),
    (12, "parameter-problem"),
    (13, "timestamp-request"),
    (14, "timestamp-reply"),
    (15, "information-request"),
    (16, "information-reply"),
    (17, "address-mask-request"),
    (18, "address-mask-reply"),
    (30, "traceroute"),
    (40, "photuris"),
    (42, "extended-echo-request"),
    (43, "extended-echo-reply"),
];

/// Codes of destination unreachable (type 3).
pub const UNREACHABLE_CODES: &[(u128, &str)] = &[
    (0, "net-unreachable"),
    (1, "host-unreachable"),
    (2, "protocol-unreachable"),
    (3, "port-unreachable"),
    (4, "fragmentation-needed"),
    (5, "source-route-failed"),
    (6, "dest-network-unknown"),
    (7, "dest-host-unknown"),
    (8, "source-host-isolated"),
    (9, "network-prohibited"),
    (10, "host-prohibited"),
    (11, "network-unreachable-for-tos"),
    (12, "host-unreachable-for-tos"),
    (13, "communication-prohibited"),
    (14, "host-precedence-violation"),
    (15, "precedence-cutoff"),
];

/// Codes of redirect (type 5).
pub const REDIRECT_CODES: &[(u128, &str)] = &[
    (0, "redirect-network"),
    (1, "redirect-host"),
    (2, "redirect-tos-network"),
    (3, "redirect-tos-host"),
];

/// Codes of time exceeded (type 11).
pub const TIME_EXCEEDED_CODES: &[(u128, &str)] =
    &[(0, "ttl-exceeded"), (1, "reassembly-time-exceeded")];

/// Codes of parameter problem (type 12).
pub const PARAMETER_CODES: &[(u128, &str)] = &[
    (0, "pointer-indicates-error"),
    (1, "missing-required-option"),
    (2, "bad-length"),
];

/// Codes of router advertisement (type 9).
pub const ROUTER_ADVERTISEMENT_CODES: &[(u128, &str)] =
    &[(0, "normal"), (16, "does-not-route-common-traffic")];

/// The types that report an error about a datagram, quoting its start.
pub const ERRORS: [u128; 5] = [3, 4, 5, 11, 12];

pub const ECHO_REPLY: u128 = 0;
pub const ECHO_REQUEST: u128 = 8;

pub static TYPE: Field = Field {
    default: ECHO_REQUEST,
    names: TYPE_NAMES,
    meaning: "message type: 8 echo request (ping), 0 echo reply, 3 unreachable, 11 time exceeded",
    rfc: "RFC 792",
    notes: "The first byte of the message, and it decides what the next four bytes mean. The kernel answers a type 8 with a type 0 carrying the same identifier, sequence number and data; the type is what turns a request into a reply, but it is not the only byte that changes: the checksum follows it, and the IP header in front is the kernel's own (a new id, so a new header checksum; the addresses swapped). Errors (3, 4, 5, 11, 12) quote the IP header and first 8 bytes of the datagram that caused them.",
    ..Field::new("icmp.type", 0, 8, Kind::Dec)
};

pub static CODE: Field = Field {
    meaning: "subtype: for errors, which kind (port unreachable, TTL exceeded); 0 for echo",
    rfc: "RFC 792, RFC 1191, RFC 1812 §5.2.7.1",
    notes: "Its names depend on the type: under type 3, code 3 is port-unreachable (what Linux answers to a UDP datagram for a closed port) and 4 is fragmentation-needed (DF set, packet too big: the next-hop MTU follows). Echo messages use code 0; Linux still answers an echo request with a non-zero code, and puts code 0 in the reply.",
    ..Field::new("icmp.code", 8, 8, Kind::Dec)
};

pub static CHECKSUM: Field = Field {
    fill: Fill::Computed,
    meaning: "checksum over the whole ICMP message, data (and any quoted datagram) included",
    rfc: "RFC 792, RFC 1071",
    notes: "The Internet checksum of the ICMP message with this field taken as 0. rawlab computes it; the kernel does not fix it on a raw send, and the receiving kernel silently drops a message whose checksum is wrong, so a wrong one earns no reply.",
    ..Field::new("icmp.checksum", 16, 16, Kind::Hex)
};

pub static IDENT: Field = Field {
    aliases: &["identifier"],
    meaning: "identifier: tells one pinger's echoes from another's",
    rfc: "RFC 792 (echo)",
    notes: "Copied into the reply unchanged. ping(8) uses a number of its own; the post leaves it 0. rawlab's `ping` uses one unique to the session so replies can be told apart.",
    ..Field::new("icmp.ident", 32, 16, Kind::Dec)
};

pub static SEQ: Field = Field {
    aliases: &["sequence", "seq_num"],
    meaning: "sequence number: counts the echoes of one pinger",
    rfc: "RFC 792 (echo)",
    notes: "Copied into the reply unchanged, so the sender can tell which request a reply answers and which were lost.",
    ..Field::new("icmp.seq", 48, 16, Kind::Dec)
};

// The rest of the header, by type. Offsets count from the ICMP type byte.

pub static UNUSED: Field = Field {
    meaning: "unused: zero in this type of message",
    rfc: "RFC 792",
    notes: "Destination unreachable, source quench and time exceeded leave these four bytes unused; the sender writes zeros and the receiver ignores them.",
    ..Field::new("icmp.unused", 32, 32, Kind::Hex)
};

pub static UNUSED16: Field = Field {
    meaning: "unused: zero, before the next-hop MTU",
    rfc: "RFC 1191 §4",
    notes: "In a fragmentation-needed message only the low 16 bits carry something, the MTU; these are zero.",
    ..Field::new("icmp.unused16", 32, 16, Kind::Hex)
};

pub static MTU: Field = Field {
    unit: "bytes",
    meaning: "next-hop MTU: the largest packet the next link takes",
    rfc: "RFC 1191 §4",
    notes: "Sent with type 3 code 4 (fragmentation needed) when a packet with DF set is too big for the next link. Path MTU discovery lowers the sender's packet size to this. 0 comes from an old router that predates RFC 1191.",
    ..Field::new("icmp.mtu", 48, 16, Kind::Dec)
};

pub static GATEWAY: Field = Field {
    meaning: "the better first hop for the destination",
    rfc: "RFC 792 (redirect)",
    notes: "A router tells a host on its own network to send to this gateway instead. Linux accepts redirects only if net.ipv4.conf.*.accept_redirects allows it, and only from its current gateway.",
    host: Host::Destination,
    ..Field::new("icmp.redir_gw", 32, 32, Kind::Ipv4)
};

pub static POINTER: Field = Field {
    meaning: "pointer: the byte of the quoted header where the problem is",
    rfc: "RFC 792 (parameter problem)",
    notes: "Counts from the first byte of the quoted IP header: 0 is the version and header length, 8 the TTL, 20 the first option byte.",
    ..Field::new("icmp.pointer", 32, 8, Kind::Dec)
};

pub static UNUSED24: Field = Field {
    meaning: "unused: zero, after the pointer",
    rfc: "RFC 792 (parameter problem)",
    notes: "Three bytes the sender writes as zeros.",
    ..Field::new("icmp.unused24", 40, 24, Kind::Hex)
};

pub static ORIGINATE: Field = Field {
    unit: "ms since midnight UT",
    meaning: "originate timestamp: when the sender sent the request",
    rfc: "RFC 792 (timestamp)",
    notes: "Milliseconds since midnight, universal time. The reply copies it back, so the sender can measure the round trip; a value with the top bit set is not in standard time.",
    ..Field::new("icmp.originate_timestamp", 64, 32, Kind::Dec)
};

pub static RECEIVE: Field = Field {
    unit: "ms since midnight UT",
    meaning: "receive timestamp: when the replier got the request",
    rfc: "RFC 792 (timestamp)",
    notes: "Written by the replier. Linux answers timestamp requests (unless net.ipv4.icmp_echo_ignore_all or a firewall says otherwise), which leaks its clock; many firewalls drop them.",
    ..Field::new("icmp.receive_timestamp", 96, 32, Kind::Dec)
};

pub static TRANSMIT: Field = Field {
    unit: "ms since midnight UT",
    meaning: "transmit timestamp: when the replier sent the reply",
    rfc: "RFC 792 (timestamp)",
    notes: "Written by the replier; Linux writes the same time here as in the receive timestamp.",
    ..Field::new("icmp.transmit_timestamp", 128, 32, Kind::Dec)
};

pub static ADDRESS_MASK: Field = Field {
    meaning: "address mask: the subnet mask of the network",
    rfc: "RFC 950 (address mask)",
    notes: "Obsolete: hosts learn their mask from DHCP now. Linux does not answer address mask requests.",
    host: Host::NotAHost,
    ..Field::new("icmp.address_mask", 64, 32, Kind::Ipv4)
};

pub static NUM_ADDRS: Field = Field {
    fill: Fill::Computed,
    meaning: "number of router addresses advertised",
    rfc: "RFC 1256 §3",
    notes: "rawlab counts the entries you give in icmp.router_entries.",
    ..Field::new("icmp.num_addrs", 32, 8, Kind::Dec)
};

pub static ADDR_ENTRY_SIZE: Field = Field {
    default: 2,
    unit: "words",
    meaning: "size of each address entry, in 32-bit words",
    rfc: "RFC 1256 §3",
    notes: "2: an address and a preference level. rawlab reads the entries only when it is 2.",
    ..Field::new("icmp.addr_entry_size", 40, 8, Kind::Dec)
};

pub static LIFETIME: Field = Field {
    default: 1800,
    unit: "s",
    meaning: "how long the advertised addresses may be trusted",
    rfc: "RFC 1256 §3",
    notes: "Routers advertise every few minutes; 1800 s (30 minutes) is the usual lifetime.",
    ..Field::new("icmp.lifetime", 48, 16, Kind::Dec)
};

pub static RESERVED: Field = Field {
    meaning: "reserved: zero",
    rfc: "RFC 1256 §3 (router solicitation)",
    notes: "The sender writes zeros; the receiver ignores them.",
    ..Field::new("icmp.reserved", 32, 32, Kind::Hex)
};

pub static ROUTER_ENTRIES: Field = Field {
    meaning: "router addresses with their preference levels, 8 bytes each",
    rfc: "RFC 1256 §3",
    notes: "Each entry is a router address and a preference level (bigger is better; 0x80000000 means never use as default). Set them as bytes: `set icmp.router_entries c0000201 00000000`.",
    ..Field::new("icmp.router_entries", 64, 0, Kind::Bytes)
};

pub static ROUTER_ADDRESS: Field = Field {
    meaning: "an address of the advertising router",
    rfc: "RFC 1256 §3",
    notes: "One of the router's addresses on the link the advertisement went out on.",
    host: Host::Destination,
    ..Field::new("icmp.router_address", 0, 32, Kind::Ipv4)
};

pub static PREF_LEVEL: Field = Field {
    names: &[(0x8000_0000, "never-default")],
    meaning: "preference level: signed; bigger is a better default router",
    rfc: "RFC 1256 §3",
    notes: "A signed 32-bit number; 0x80000000, the smallest, means never use this address as a default router.",
    ..Field::new("icmp.pref_level", 32, 32, Kind::Hex)
};

pub static FIELDS: &[&Field] = &[&TYPE, &CODE, &CHECKSUM];

static ECHO: &[&Field] = &[&IDENT, &SEQ];
static UNUSED_ONLY: &[&Field] = &[&UNUSED];
static FRAG_NEEDED: &[&Field] = &[&UNUSED16, &MTU];
static REDIRECT: &[&Field] = &[&GATEWAY];
static PARAMETER: &[&Field] = &[&POINTER, &UNUSED24];
static TIMESTAMP: &[&Field] = &[&IDENT, &SEQ, &ORIGINATE, &RECEIVE, &TRANSMIT];
static MASK: &[&Field] = &[&IDENT, &SEQ, &ADDRESS_MASK];
static ADVERTISEMENT: &[&Field] = &[&NUM_ADDRS, &ADDR_ENTRY_SIZE, &LIFETIME];
static SOLICITATION: &[&Field] = &[&RESERVED];

/// What follows the checksum, by type (and code, for fragmentation needed).
fn variant(b: &[u8]) -> &'static [&'static Field] {
    match TYPE.get(b) {
        0 | 8 | 15 | 16 => ECHO,
        3 if CODE.get(b) == 4 => FRAG_NEEDED,
        5 => REDIRECT,
        9 => ADVERTISEMENT,
        10 => SOLICITATION,
        12 => PARAMETER,
        13 | 14 => TIMESTAMP,
        17 | 18 => MASK,
        _ => UNUSED_ONLY,
    }
}

static ROUTER_ENTRY: Entries = Entries {
    from: 0,
    fields: &[(0, &ROUTER_ADDRESS), (0, &PREF_LEVEL)],
    stride: 8,
    empty: None,
};

static ROUTER_TAIL: TailSpec = TailSpec {
    field: &ROUTER_ENTRIES,
    unit: 8,
    max_header: 8 + 255 * 8,
    default: &[],
    pad: "give whole 8-byte entries: an address and a preference",
    format: |b| {
        if ADDR_ENTRY_SIZE.get(b) == 2 {
            Tail::Entries(&ROUTER_ENTRY)
        } else {
            Tail::Bytes
        }
    },
    formats: &[Tail::Entries(&ROUTER_ENTRY), Tail::Bytes],
};

pub static ICMP: Protocol = Protocol {
    name: "icmp",
    aliases: &["icmp4", "icmpv4"],
    title: "ICMP",
    fields: FIELDS,
    variant: Some(variant),
    variant_fields: &[
        ECHO,
        UNUSED_ONLY,
        FRAG_NEEDED,
        REDIRECT,
        PARAMETER,
        TIMESTAMP,
        MASK,
        ADVERTISEMENT,
        SOLICITATION,
    ],
    names_when: &[
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[3],
            names: UNREACHABLE_CODES,
        },
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[5],
            names: REDIRECT_CODES,
        },
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[11],
            names: TIME_EXCEEDED_CODES,
        },
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[12],
            names: PARAMETER_CODES,
        },
        NamesWhen {
            field: &CODE,
            when: &TYPE,
            is: &[9],
            names: ROUTER_ADVERTISEMENT_CODES,
        },
    ],
    tail: Some(&ROUTER_TAIL),
    fixed_len: 8,
    header_len,
    next: |b| is_error(b).then_some(&ipv4::IPV4),
    quotes: is_error,
    quote: Some(&QUOTE),
    ids: &[("ip", 1)],
    summary,
    pairing: Some(pairing),
    fill,
    expected: |s| {
        if s.whole {
            vec![Expected::sum(
                &CHECKSUM,
                message_checksum(s.message()) as u128,
                s.message_range(),
            )]
        } else {
            Vec::new()
        }
    },
    ..Protocol::BASE
};

/// A template's error quotes the datagram after it: port unreachable unless the type is set.
pub static QUOTE: Quote = Quote {
    network: &ipv4::IPV4,
    type_field: &TYPE,
    code_field: &CODE,
    errors: &ERRORS,
    default: (3, 3),
};

fn is_error(b: &[u8]) -> bool {
    ERRORS.contains(&TYPE.get(b))
}

/// Bytes of header by type: timestamps and masks are longer, a router advertisement
/// carries its entries.
fn header_len(b: &[u8]) -> usize {
    match TYPE.get(b) {
        13 | 14 => 20,
        17 | 18 => 12,
        9 => 8 + NUM_ADDRS.get(b) as usize * ADDR_ENTRY_SIZE.get(b) as usize * 4,
        _ => 8,
    }
}

/// An echo's ` id N seq M`, as both ICMPs' summaries say it.
pub(crate) fn push_echo(s: &mut String, ident: u128, seq: u128) {
    s.push_str(" id ");
    push_dec(s, ident);
    s.push_str(" seq ");
    push_dec(s, seq);
}

fn summary(b: &[u8], s: &mut String) {
    if b.len() < 4 {
        let _ = write!(s, "ICMP (cut short at {} bytes)", b.len());
        return;
    }
    let ty = TYPE.get(b);
    s.push_str("ICMP ");
    super::push_name_or(s, TYPE.value_name(ty), "type ", ty);
    let fields = variant(b);
    if fields.contains(&&IDENT) && b.len() >= SEQ.end_byte() {
        push_echo(s, IDENT.get(b), SEQ.get(b));
        return;
    }
    s.push(' ');
    super::push_name_or(s, ICMP.value_name(&CODE, b), "code ", CODE.get(b));
    if fields.contains(&&MTU) && b.len() >= MTU.end_byte() {
        s.push_str(" mtu ");
        push_dec(s, MTU.get(b));
    }
    if fields.contains(&&GATEWAY) && b.len() >= GATEWAY.end_byte() {
        s.push_str(" via ");
        GATEWAY.write_text(s, b);
    }
}

/// Echo, timestamp, information and address mask messages pair up by identifier and
/// sequence number, each kind with its own.
fn pairing(b: &[u8]) -> Option<Pairing> {
    let (family, is_request) = match TYPE.get(b) {
        8 => (0, true),
        0 => (0, false),
        13 => (1, true),
        14 => (1, false),
        15 => (2, true),
        16 => (2, false),
        17 => (3, true),
        18 => (3, false),
        _ => return None,
    };
    Some(Pairing {
        flow: IDENT.get(b) as u64,
        key: family << 32 | (IDENT.get(b) as u64) << 16 | SEQ.get(b) as u64,
        is_request,
        reverse: None,
    })
}

/// The checksum a message of these bytes (header and data) should carry.
pub fn message_checksum(message: &[u8]) -> u16 {
    !checksum::sum_zeroed(message, 0, CHECKSUM.first_byte()..CHECKSUM.end_byte())
}

/// Counts a router advertisement's entries, then the checksum over the message,
/// each unless the user set it.
fn fill(b: &mut Building) {
    let (is_set, hdr_len) = (b.is_set, b.hdr_len);
    let m = b.layer();
    if TYPE.get(m) == 9 && !is_set(&NUM_ADDRS) {
        let entry = (ADDR_ENTRY_SIZE.get(m) as usize * 4).max(1);
        NUM_ADDRS.set(m, ((hdr_len.saturating_sub(8)) / entry).min(255) as u128);
    }
    if !is_set(&CHECKSUM) {
        let sum = message_checksum(m);
        CHECKSUM.set(m, sum as u128);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::Verdict;
    use crate::wire::dissect::dissect;

    const REQUEST: [u8; 10] = [0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde];
    const REPLY: [u8; 10] = [0x00, 0x00, 0x3f, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde];

    #[test]
    fn getters_on_the_posts_bytes() {
        assert_eq!(TYPE.get(&REQUEST), 8);
        assert_eq!(CODE.get(&REQUEST), 0);
        assert_eq!(CHECKSUM.get(&REQUEST), 0x3721);
        assert_eq!(IDENT.get(&REQUEST), 0);
        assert_eq!(SEQ.get(&REQUEST), 0);
        assert_eq!(message_checksum(&REQUEST), 0x3721);
        assert_eq!(message_checksum(&REPLY), 0x3f21);
    }

    #[test]
    fn setters_touch_only_their_bytes() {
        let mut b = [0xa5u8; 8];
        TYPE.set(&mut b, 0);
        CODE.set(&mut b, 1);
        CHECKSUM.set(&mut b, 0x0203);
        IDENT.set(&mut b, 0x0405);
        SEQ.set(&mut b, 0x0607);
        assert_eq!(b, [0, 1, 2, 3, 4, 5, 6, 7]);

        let mut b = [0xa5u8; 20];
        ORIGINATE.set(&mut b, 0x0809_0a0b);
        RECEIVE.set(&mut b, 0x0c0d_0e0f);
        TRANSMIT.set(&mut b, 0x1011_1213);
        assert_eq!(&b[8..], (8..20).collect::<Vec<u8>>());
        assert_eq!(&b[..8], [0xa5; 8]);

        let mut b = [0xa5u8; 8];
        UNUSED16.set(&mut b, 0);
        MTU.set(&mut b, 1280);
        assert_eq!(&b[4..], [0, 0, 0x05, 0x00]);
        POINTER.set(&mut b, 9);
        UNUSED24.set(&mut b, 0);
        assert_eq!(&b[4..], [9, 0, 0, 0]);
        GATEWAY.set(&mut b, 0xc000_0201);
        assert_eq!(&b[4..], [192, 0, 2, 1]);
        assert_eq!(&b[..4], [0xa5; 4]);
    }

    #[test]
    fn fill_respects_a_checksum_the_user_set() {
        let mut m = REQUEST;
        CHECKSUM.set(&mut m, 0x1111);
        let run = |m: &mut [u8], set: &dyn Fn(&Field) -> bool| {
            let mut b = Building {
                packet: m,
                start: 0,
                hdr_len: 8,
                next: None,
                network: None,
                is_set: set,
            };
            fill(&mut b);
        };
        run(&mut m, &|f| std::ptr::eq(f, &CHECKSUM));
        assert_eq!(CHECKSUM.get(&m), 0x1111);
        run(&mut m, &|_| false);
        assert_eq!(CHECKSUM.get(&m), 0x3721);
    }

    #[test]
    fn request_and_reply_pair_up() {
        let a = pairing(&REQUEST).unwrap();
        let b = pairing(&REPLY).unwrap();
        assert_eq!(a.key, b.key);
        assert!(a.is_request && !b.is_request);
        let mut ts = [0u8; 20];
        TYPE.set(&mut ts, 13);
        assert_ne!(
            pairing(&ts).unwrap().key,
            a.key,
            "a timestamp is not an echo"
        );
        assert_eq!(pairing(&[3, 3, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn the_rest_of_the_header_follows_the_type() {
        let names = |b: &[u8]| -> Vec<&str> { ICMP.fields_of(b).map(|f| f.name).collect() };
        assert_eq!(
            names(&[3, 3, 0, 0, 0, 0, 0, 0]),
            ["icmp.type", "icmp.code", "icmp.checksum", "icmp.unused"]
        );
        assert_eq!(
            names(&[3, 4, 0, 0, 0, 0, 5, 0])[3..],
            ["icmp.unused16", "icmp.mtu"]
        );
        assert_eq!(names(&[11, 0, 0, 0, 0, 0, 0, 0])[3..], ["icmp.unused"]);
        assert_eq!(names(&[5, 1, 0, 0, 10, 0, 0, 1])[3..], ["icmp.redir_gw"]);
        assert_eq!(
            names(&[12, 0, 0, 0, 8, 0, 0, 0])[3..],
            ["icmp.pointer", "icmp.unused24"]
        );
        assert_eq!(
            names(&[13, 0, 0, 0, 0, 1, 0, 2])[3..],
            [
                "icmp.ident",
                "icmp.seq",
                "icmp.originate_timestamp",
                "icmp.receive_timestamp",
                "icmp.transmit_timestamp"
            ]
        );
    }

    #[test]
    fn code_names_depend_on_the_type() {
        let b = [3, 3, 0, 0, 0, 0, 0, 0];
        assert_eq!(ICMP.value_name(&CODE, &b), Some("port-unreachable"));
        assert_eq!(ICMP.words(&CODE, &b), "3 (port-unreachable)");
        assert_eq!(
            ICMP.value_name(&CODE, &[11, 0, 0, 0, 0, 0, 0, 0]),
            Some("ttl-exceeded")
        );
        assert_eq!(ICMP.value_name(&CODE, &[8, 3, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(
            ICMP.summary_text(&b),
            "ICMP dest-unreachable port-unreachable"
        );
        assert_eq!(
            ICMP.summary_text(&[3, 4, 0, 0, 0, 0, 0x05, 0xdc]),
            "ICMP dest-unreachable fragmentation-needed mtu 1500"
        );
        let all = super::super::all_names(&CODE);
        assert!(all.contains(&(3, "port-unreachable")));
        assert!(all.contains(&(0, "ttl-exceeded")));
    }

    /// Linux's answer to a UDP datagram for a closed port on lo: port unreachable,
    /// quoting the datagram's IP header and UDP header (with 2 bytes of data).
    pub const PORT_UNREACHABLE: [u8; 58] = [
        0x45, 0xc0, 0x00, 0x3a, 0x9e, 0x1b, 0x00, 0x00, 0x40, 0x01, 0xdd, 0xe5, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, // outer IPv4
        0x03, 0x03, 0xfa, 0x21, 0x00, 0x00, 0x00, 0x00, // ICMP port unreachable
        0x45, 0x00, 0x00, 0x1e, 0x73, 0x71, 0x40, 0x00, 0x40, 0x11, 0xc9, 0x5b, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, // quoted IPv4
        0x9c, 0x40, 0x00, 0x09, 0x00, 0x0a, 0xfe, 0x1d, 0x68, 0x69, // quoted UDP and "hi"
    ];

    #[test]
    fn an_error_quotes_the_datagram_that_caused_it() {
        let p = &PORT_UNREACHABLE;
        let d = dissect(p, &ipv4::IPV4);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.stack_name(), "ip/icmp/ip/udp");
        assert!(!d.layers[1].quoted && d.layers[2].quoted && d.layers[3].quoted);
        assert_eq!(ICMP.words(&CODE, &p[20..28]), "3 (port-unreachable)");
        // Every checksum is checked, the quoted datagram's too: the quote is whole here.
        for i in 0..4 {
            let s = d.scope(i, p);
            for e in (d.layers[i].proto.expected)(&s) {
                let raw = d.layers[i].get(p, e.field);
                // The quoted UDP checksum is the one lo left unfinished (offload).
                let v = if i == 3 {
                    Verdict::Offloaded
                } else {
                    Verdict::Correct
                };
                assert_eq!(e.verdict(raw), v, "{} in layer {i}", e.field.name);
            }
        }
        assert!(
            d.summary(p)
                .starts_with("IPv4 127.0.0.1 → 127.0.0.1 ttl 64 icmp · ICMP dest-unreachable port-unreachable · quoted IPv4"),
            "{}",
            d.summary(p)
        );
    }

    #[test]
    fn a_quote_cut_short_is_not_malformed_but_a_quote_without_its_header_is() {
        // Only the IP header and 8 bytes, as RFC 792 asks: the quoted ip.len (30) is more.
        let mut p = PORT_UNREACHABLE[..56].to_vec();
        p[3] = 56;
        let d = dissect(&p, &ipv4::IPV4);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(d.layers[2].cut);
        // A quote that stops inside the IP header it quotes.
        let mut p = PORT_UNREACHABLE[..38].to_vec();
        p[3] = 38;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "ICMP quotes only 10 bytes of the IPv4 header that caused it; an IPv4 header needs 20"
        );
        assert_eq!(d.problems[0].offset, 28);
    }

    #[test]
    fn timestamp_header_cut_short() {
        let mut p = vec![
            0x45, 0, 0, 32, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        p.extend([13, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "ICMP timestamp-request id 1 seq 1 header needs 20 bytes, but only 12 are there"
        );
    }

    #[test]
    fn router_advertisement_entries() {
        let mut p = vec![
            0x45, 0, 0, 44, 0, 0, 0, 0, 1, 1, 0, 0, 192, 0, 2, 1, 224, 0, 0, 1,
        ];
        p.extend([9, 0, 0, 0, 2, 2, 0x07, 0x08]);
        p.extend([192, 0, 2, 1, 0, 0, 0, 0, 192, 0, 2, 9, 0x80, 0, 0, 0]);
        let d = dissect(&p, &ipv4::IPV4);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let icmp = &d.layers[1];
        assert_eq!(icmp.items.len(), 2);
        assert_eq!(icmp.items[1].fields[0].get(&p), 0xc000_0209);
        assert_eq!(
            PREF_LEVEL.words(icmp.items[1].fields[1].get(&p)),
            "0x80000000 (never-default)"
        );
        assert_eq!(d.value(&p, &LIFETIME), Some(1800));
    }
}
