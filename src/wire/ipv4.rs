//! IPv4 (RFC 791): the header every raw-socket lesson starts from.
//!
//! The tables below are the only place an IPv4 field's position is written:
//! the fixed header, then the options (RFC 791 §3.1, RFC 2113), which users
//! set as bytes (`ip.options`) and the dump shows option by option.

use super::push_dec;
use super::{
    Building, Entries, Expected, Field, Fill, Host, Kind, NamedOption, OptionKind, OptionList,
    Protocol, Shape, Tail, TailSpec, checksum, ipproto,
};
use std::fmt::Write as _;

/// IP protocol numbers by the names users type (`set proto tcp`): IANA's full list.
pub const PROTO_NAMES: &[(u128, &str)] = ipproto::NAMES;

pub static VERSION: Field = Field {
    default: 4,
    meaning: "IP version: 4 for IPv4",
    rfc: "RFC 791 §3.1",
    notes: "The high nibble of the first byte. Linux drops an IPv4 packet whose version is not 4; on a raw send with IP_HDRINCL it does not check, so a wrong version goes out and is discarded by the receiver.",
    ..Field::new("ip.version", 0, 4, Kind::Dec)
};

pub static HDR_LEN: Field = Field {
    aliases: &["ihl"],
    scale: 4,
    unit: "bytes",
    default: 5,
    fill: Fill::Computed,
    meaning: "header length: counted in 32-bit words on the wire, shown in bytes",
    rfc: "RFC 791 §3.1 (IHL)",
    notes: "The low nibble of the first byte counts 32-bit words, so 5 means 20 bytes and the largest header is 15 words, 60 bytes. rawlab computes it from the options you add; set it yourself to see what a receiver does with a header that lies about its length (Linux drops anything below 5).",
    ..Field::new("ip.hdr_len", 4, 4, Kind::Dec)
};

pub static DSFIELD: Field = Field {
    aliases: &["tos"],
    group: true,
    meaning: "differentiated services byte (once called type of service)",
    rfc: "RFC 2474 §3, RFC 3168 §5",
    notes: "Six bits of DSCP and two of ECN. With `mode kernel` the kernel takes this byte from the IP_TOS socket option instead of your header.",
    ..Field::new("ip.dsfield", 8, 8, Kind::Hex)
};

pub static DSCP: Field = Field {
    aliases: &["dscp"],
    meaning: "differentiated services code point: the packet's traffic class",
    rfc: "RFC 2474 §3",
    notes: "Routers may queue packets differently by class; on loopback nothing looks at it.",
    ..Field::new("ip.dsfield.dscp", 8, 6, Kind::Dec)
};

pub static ECN: Field = Field {
    aliases: &["ecn"],
    names: &[(0, "not-ect"), (1, "ect1"), (2, "ect0"), (3, "ce")],
    meaning: "explicit congestion notification",
    rfc: "RFC 3168 §5",
    notes: "Lets a router mark congestion instead of dropping. 0 means the sender does not support ECN.",
    ..Field::new("ip.dsfield.ecn", 14, 2, Kind::Dec)
};

pub static LEN: Field = Field {
    aliases: &["total_length", "tot_len"],
    unit: "bytes",
    fill: Fill::Computed,
    meaning: "total length of the datagram in bytes, header included",
    rfc: "RFC 791 §3.1",
    notes: "rawlab computes it from the layers and payload, as the post does (20 + 10). On a raw send with IP_HDRINCL, Linux rewrites it with the real length whatever you put here, so a lie never reaches the wire.",
    ..Field::new("ip.len", 16, 16, Kind::Dec)
};

pub static ID: Field = Field {
    aliases: &["identification"],
    fill: Fill::Kernel("Linux picks an id when it is 0 and keeps a non-zero one"),
    meaning: "identification: ties the fragments of one datagram together",
    rfc: "RFC 791 §3.1, RFC 6864",
    notes: "Left 0, the kernel fills it on a raw send (IPPROTO_RAW or IP_HDRINCL); a value you set is kept. Compare the id of your request and the kernel's reply: each side numbers its own packets.",
    ..Field::new("ip.id", 32, 16, Kind::Hex)
};

pub static FLAGS: Field = Field {
    group: true,
    meaning: "flags: reserved, don't fragment, more fragments",
    rfc: "RFC 791 §3.1",
    notes: "Three bits in front of the fragment offset. Set them one by one (`set df 1`) or together (`set ip.flags 2`).",
    ..Field::new("ip.flags", 48, 3, Kind::Hex)
};

pub static FLAG_RB: Field = Field {
    aliases: &["rb", "evil"],
    meaning: "reserved bit: must be zero",
    rfc: "RFC 791 §3.1 (RFC 3514 in jest)",
    notes: "Must be 0. RFC 3514, an April Fools' RFC, calls it the evil bit.",
    ..Field::new("ip.flags.rb", 48, 1, Kind::Flag)
};

pub static FLAG_DF: Field = Field {
    aliases: &["df"],
    meaning: "don't fragment: drop rather than split this datagram",
    rfc: "RFC 791 §3.1, RFC 1191",
    notes: "With `mode kernel` Linux sets DF itself (path MTU discovery); on a raw send it keeps what you wrote.",
    ..Field::new("ip.flags.df", 49, 1, Kind::Flag)
};

pub static FLAG_MF: Field = Field {
    aliases: &["mf"],
    meaning: "more fragments: this is not the last piece",
    rfc: "RFC 791 §3.1",
    notes: "Set on every fragment but the last. A lone packet with MF set waits in the receiver's reassembly queue and is dropped when the queue times out.",
    ..Field::new("ip.flags.mf", 50, 1, Kind::Flag)
};

pub static FRAG_OFFSET: Field = Field {
    aliases: &["frag", "fragment_offset"],
    scale: 8,
    unit: "bytes",
    meaning: "fragment offset: where this piece starts, in 8-byte units on the wire, shown in bytes",
    rfc: "RFC 791 §3.1",
    notes: "13 bits counting 8-byte blocks. A non-zero offset means the payload is the middle of someone else's header, so rawlab shows it as data.",
    ..Field::new("ip.frag_offset", 51, 13, Kind::Dec)
};

pub static TTL: Field = Field {
    aliases: &["time_to_live"],
    default: 64,
    meaning: "time to live: hops left before a router drops it",
    rfc: "RFC 791 §3.1",
    notes: "Each router subtracts one; at 0 the packet is dropped and the router may send ICMP time exceeded. Loopback has no routers, so any TTL, even 1, reaches the local kernel. With `mode kernel` it comes from the IP_TTL socket option.",
    ..Field::new("ip.ttl", 64, 8, Kind::Dec)
};

pub static PROTO: Field = Field {
    aliases: &["protocol"],
    default: 1,
    fill: Fill::Computed,
    names: PROTO_NAMES,
    meaning: "protocol of the payload: 1 ICMP, 6 TCP, 17 UDP",
    rfc: "RFC 791 §3.1, IANA protocol numbers",
    notes: "rawlab fills it from the next layer of the template. The kernel hands a received packet to every raw socket opened for this number, which is how `listen icmp` sees pings.",
    ..Field::new("ip.proto", 72, 8, Kind::Dec)
};

pub static CHECKSUM: Field = Field {
    aliases: &["hdr_checksum"],
    fill: Fill::Kernel("Linux always computes it on a raw send, whatever you put here"),
    meaning: "header checksum: covers the IP header only",
    rfc: "RFC 791 §3.1, RFC 1071",
    notes: "The Internet checksum of the header's 16-bit words. rawlab leaves it 0 as the post does; on a raw send Linux computes it every time, even over a value you set, so a wrong IP checksum cannot be sent this way. Inside a frame (`mode link`) no kernel touches it: rawlab computes it, and a wrong one you set goes out wrong and is dropped by the receiver.",
    ..Field::new("ip.checksum", 80, 16, Kind::Hex)
};

pub static SRC: Field = Field {
    aliases: &["source", "saddr"],
    fill: Fill::Kernel("Linux writes the outgoing interface's address when it is 0.0.0.0"),
    meaning: "source address",
    rfc: "RFC 791 §3.1",
    notes: "Left 0.0.0.0, the kernel writes the address of the interface it sends from. Any other value is kept, so you can spoof it, and the reply goes to the address you wrote, not to you. Inside a frame (`mode link`) no kernel fills it: rawlab writes the sending interface's address instead.",
    host: Host::Source,
    ..Field::new("ip.src", 96, 32, Kind::Ipv4)
};

pub static DST: Field = Field {
    aliases: &["destination", "daddr"],
    default: 0x7f00_0001,
    meaning: "destination address",
    rfc: "RFC 791 §3.1",
    notes: "Where the packet goes. On a raw send the kernel routes by the address given to sendto; rawlab passes this one (or the one after `send`).",
    host: Host::Destination,
    ..Field::new("ip.dst", 128, 32, Kind::Ipv4)
};

pub static OPTIONS: Field = Field {
    meaning: "options: record route, timestamps and others, in 32-bit words",
    rfc: "RFC 791 §3.1",
    notes: "Up to 40 bytes after the fixed header, a multiple of 4 (pad with 00, end of options). rawlab grows ip.hdr_len to cover them, and the dump shows each option with its fields. Try `set ip.options 07 07 04 00 00 00 00 00`: an empty record-route slot that each router (and the receiving host) fills with its address.",
    ..Field::new("ip.options", 160, 0, Kind::Bytes)
};

// Options: offsets count from the option's first byte, its type.

/// IPv4 option types, by the names users meet in the dump.
pub const OPTION_NAMES: &[(u128, &str)] = &[
    (0, "eol"),
    (1, "nop"),
    (7, "rr"),
    (68, "ts"),
    (82, "traceroute"),
    (130, "sec"),
    (131, "lsrr"),
    (133, "esec"),
    (134, "cipso"),
    (136, "sid"),
    (137, "ssrr"),
    (148, "ra"),
];

pub static OPT_TYPE: Field = Field {
    group: true,
    names: OPTION_NAMES,
    meaning: "option type: copy flag, class and number",
    rfc: "RFC 791 §3.1",
    notes: "0 ends the option list and 1 is a no-operation used for padding; both are a single byte. Every other option has a length byte next. The type packs three things: whether fragments copy it, its class, and its number.",
    ..Field::new("ip.opt.type", 0, 8, Kind::Dec)
};

pub static OPT_COPY: Field = Field {
    meaning: "copy flag: every fragment carries this option",
    rfc: "RFC 791 §3.1",
    notes: "Set for options that must be in every fragment (source routes, security); clear for those only the first fragment keeps (record route, timestamps).",
    ..Field::new("ip.opt.type.copy", 0, 1, Kind::Flag)
};

pub static OPT_CLASS: Field = Field {
    names: &[(0, "control"), (2, "debugging-measurement")],
    meaning: "option class: 0 control, 2 debugging and measurement",
    rfc: "RFC 791 §3.1",
    notes: "Classes 1 and 3 are reserved. Timestamps are class 2; everything else a learner meets is class 0.",
    ..Field::new("ip.opt.type.class", 1, 2, Kind::Dec)
};

pub static OPT_NUMBER: Field = Field {
    meaning: "option number within its class",
    rfc: "RFC 791 §3.1",
    notes: "The low five bits: 7 with copy 0 and class 0 makes type 7, record route.",
    ..Field::new("ip.opt.type.number", 3, 5, Kind::Dec)
};

pub static OPT_LEN: Field = Field {
    unit: "bytes",
    meaning: "option length in bytes, type and length bytes included",
    rfc: "RFC 791 §3.1",
    notes: "At least 2. A length that runs past the header, or below 2, makes the receiver drop the packet with an ICMP parameter problem pointing at it.",
    ..Field::new("ip.opt.len", 8, 8, Kind::Dec)
};

pub static OPT_PTR: Field = Field {
    meaning: "pointer: the byte, counting the type as 1, where the next entry goes",
    rfc: "RFC 791 §3.1",
    notes: "Starts at 4 (5 for timestamps), the first slot. Each router that fills a slot moves it on by the slot's size; when it passes the length, the option is full.",
    ..Field::new("ip.opt.ptr", 16, 8, Kind::Dec)
};

pub static REC_RT: Field = Field {
    meaning: "a recorded route slot: an address filled in on the way",
    rfc: "RFC 791 §3.1 (record route)",
    notes: "Each router, and Linux on the receiving host, writes its outgoing address into the slot the pointer names, then moves the pointer on. Slots at or past the pointer are shown as ip.empty_rt.",
    host: Host::Destination,
    ..Field::new("ip.rec_rt", 0, 32, Kind::Ipv4)
};

pub static SRC_RT: Field = Field {
    meaning: "a source route address: a hop the sender asks the packet to take",
    rfc: "RFC 791 §3.1 (loose and strict source route)",
    notes: "Linux drops source-routed packets unless net.ipv4.conf.*.accept_source_route is 1; most of the Internet does too.",
    host: Host::Destination,
    ..Field::new("ip.src_rt", 0, 32, Kind::Ipv4)
};

pub static TS_OVERFLOW: Field = Field {
    meaning: "overflow: hops that found no free timestamp slot",
    rfc: "RFC 791 §3.1 (internet timestamp)",
    notes: "A router that cannot write a timestamp because the slots are full adds one here instead.",
    ..Field::new("ip.opt.overflow", 24, 4, Kind::Dec)
};

pub static TS_FLAG: Field = Field {
    names: &[
        (0, "timestamps-only"),
        (1, "address-and-timestamp"),
        (3, "prespecified-addresses"),
    ],
    meaning: "what each hop records: timestamps, or address and timestamp",
    rfc: "RFC 791 §3.1 (internet timestamp)",
    notes: "0: 4-byte timestamps only. 1: each hop writes its address and a timestamp. 3: only the hops whose addresses the sender wrote fill in their timestamps.",
    ..Field::new("ip.opt.flag", 28, 4, Kind::Dec)
};

pub static TIME_STAMP: Field = Field {
    unit: "ms since midnight UT",
    meaning: "a timestamp: milliseconds since midnight, universal time",
    rfc: "RFC 791 §3.1 (internet timestamp)",
    notes: "A hop that cannot give milliseconds since midnight UT sets the top bit and writes any time it likes. Empty slots are 0.",
    ..Field::new("ip.opt.time_stamp", 0, 32, Kind::Dec)
};

pub static TIME_STAMP_ADDR: Field = Field {
    meaning: "the address of the hop that wrote the timestamp after it",
    rfc: "RFC 791 §3.1 (internet timestamp)",
    notes: "With flag 1 each hop writes its address; with flag 3 the sender wrote the addresses, and only those hops add a time.",
    host: Host::Destination,
    ..Field::new("ip.opt.time_stamp_addr", 0, 32, Kind::Ipv4)
};

pub static ROUTER_ALERT: Field = Field {
    names: &[(0, "examine")],
    meaning: "router alert: routers should look inside this packet",
    rfc: "RFC 2113",
    notes: "0 means every router on the path should examine the packet (IGMP and RSVP use it); other values are reserved.",
    ..Field::new("ip.opt.ra", 16, 16, Kind::Dec)
};

pub static OPT_PADDING: Field = Field {
    meaning: "padding after the end of the option list",
    rfc: "RFC 791 §3.1",
    notes: "Fills the header to a multiple of 4 bytes; should be zeros.",
    ..Field::new("ip.opt.padding", 0, 0, Kind::Bytes)
};

pub static OPT_DATA: Field = Field {
    meaning: "option data rawlab does not take apart",
    rfc: "RFC 791 §3.1, IANA IP option numbers",
    notes: "The bytes of an option rawlab has no table for, or of a list that could not be read on; shown as they are.",
    ..Field::new("ip.opt.data", 0, 0, Kind::Bytes)
};

pub static EMPTY_RT: Field = Field {
    meaning: "an empty record route slot, at or past the pointer",
    rfc: "RFC 791 §3.1 (record route)",
    notes: "Still 0.0.0.0: no hop has written here yet. The next hop writes the slot the pointer names.",
    host: Host::Destination,
    ..Field::new("ip.empty_rt", 0, 32, Kind::Ipv4)
};

/// Slots from the pointer on (it counts from 1 at the type byte) are still empty.
static RR_SLOTS: Entries = Entries {
    from: 3,
    fields: &[(0, &REC_RT)],
    stride: 4,
    empty: Some((
        |opt| opt.get(2).map_or(0, |p| (*p as usize).saturating_sub(1)),
        &[(0, &EMPTY_RT)],
    )),
};
static SRC_RT_HOPS: Entries = Entries {
    from: 3,
    fields: &[(0, &SRC_RT)],
    stride: 4,
    empty: None,
};
static TS_ONLY: Entries = Entries {
    from: 4,
    fields: &[(0, &TIME_STAMP)],
    stride: 4,
    empty: None,
};
static TS_WITH_ADDR: Entries = Entries {
    from: 4,
    fields: &[(0, &TIME_STAMP_ADDR), (4, &TIME_STAMP)],
    stride: 8,
    empty: None,
};

/// The timestamp option's flag decides whether each slot has an address.
fn ts_slots(opt: &[u8]) -> &'static Entries {
    match opt.get(3).map(|b| b & 0x0f) {
        Some(1 | 3) => &TS_WITH_ADDR,
        _ => &TS_ONLY,
    }
}

// Options set one by one by name. Each is a whole option, not a place in the header:
// no offset of its own (the fields it writes have theirs).

pub static OPT_EOL: Field = Field {
    meaning: "end of option list: one byte 0, after which a receiver reads no options",
    rfc: "RFC 791 §3.1 (end of option list)",
    notes: "rawlab pads the options to a whole 32-bit word with zeros, which read as this, so you need it only to end the list early: put it before another option (`set ip.opt.eol 1`, then `set ip.opt.rr 4`) and a receiver never reads that one.",
    ..Field::new("ip.opt.eol", 0, 0, Kind::Bytes)
};

pub static OPT_NOP: Field = Field {
    meaning: "no operation: one byte 1, padding between options",
    rfc: "RFC 791 §3.1 (no operation)",
    notes: "Used to start the next option on a 32-bit boundary: ping -R sends one before its record route, so the route's 39 bytes and it fill 40. `set ip.opt.nop 1` puts one where it stands in the order you set options.",
    ..Field::new("ip.opt.nop", 0, 0, Kind::Bytes)
};

pub static OPT_RR: Field = Field {
    meaning: "record route: empty address slots each router on the way fills in",
    rfc: "RFC 791 §3.1 (record route)",
    notes: "Type 7, a pointer, then 4-byte slots (at most 9: 39 bytes of the 40 an IPv4 header has for options). Each router writes the address it sends the packet out of into the slot the pointer names and moves the pointer on; Linux fills a slot on the receiving host too, and an echo reply carries the option back, still recording, so a ping to a host two hops away lists both ways. `set ip.opt.rr 9` is what ping -R sends; the dump shows ip.rec_rt for filled slots and ip.empty_rt for the rest.",
    ..Field::new("ip.opt.rr", 0, 0, Kind::Bytes)
};

pub static OPT_TS: Field = Field {
    meaning: "internet timestamp: slots for each hop's time, or its address and time",
    rfc: "RFC 791 §3.1 (internet timestamp)",
    notes: "Type 68, a pointer, overflow and flag, then slots. As ping -T names them: `set ip.opt.ts tsonly 9` (flag 0, up to 9 timestamps), `tsandaddr 4` (flag 1, up to 4 address and time pairs), `tsprespec 192.0.2.2 203.0.113.2` (flag 3: only the hops named add a time). A number alone is tsonly. Times are milliseconds since midnight UT.",
    ..Field::new("ip.opt.ts", 0, 0, Kind::Bytes)
};

pub static OPT_LSRR: Field = Field {
    meaning: "loose source route: hops the packet must visit, in order, by any path between",
    rfc: "RFC 791 §3.1 (loose source and record route)",
    notes: "Type 131, a pointer, then the hops' addresses. The sender sends to the first hop (ip.dst) and lists the rest, the final destination last; each hop named swaps the next address into ip.dst and records its own. Every address is a place the packet goes, so rawlab checks each as a destination. Linux drops source-routed packets unless accept_source_route is 1 on the interface, as most hosts and networks do.",
    ..Field::new("ip.opt.lsrr", 0, 0, Kind::Bytes)
};

pub static OPT_SSRR: Field = Field {
    meaning: "strict source route: hops the packet must visit, each the very next one",
    rfc: "RFC 791 §3.1 (strict source and record route)",
    notes: "Type 137, laid out as the loose source route, but each hop must be directly connected to the one before: a router that would need another router in between drops the packet with ICMP source route failed (type 3 code 5). Every address is checked as a destination, and Linux obeys none unless accept_source_route is 1.",
    ..Field::new("ip.opt.ssrr", 0, 0, Kind::Bytes)
};

/// Loose and strict source routes are set alike: the hops, in order.
const SOURCE_ROUTE: NamedOption = NamedOption {
    field: &OPT_LSRR,
    code: 131,
    shape: Shape::Route {
        ptr: &OPT_PTR,
        entries: &SRC_RT_HOPS,
        slots: false,
    },
    syntax: "the hops' addresses in order, the final destination last (at most 9)",
    words: &["192.0.2.2", "203.0.113.2"],
    example: "192.0.2.2 203.0.113.2",
};

/// The options a user sets by name, in the order Tab offers them.
pub static NAMED_OPTIONS: &[NamedOption] = &[
    NamedOption {
        field: &OPT_RR,
        code: 7,
        shape: Shape::Route {
            ptr: &OPT_PTR,
            entries: &RR_SLOTS,
            slots: true,
        },
        syntax: "how many empty slots, 1 to 9 (ping -R sends 9), or the addresses already recorded",
        words: &["9", "1"],
        example: "9",
    },
    NamedOption {
        field: &OPT_TS,
        code: 68,
        shape: Shape::Stamps {
            ptr: &OPT_PTR,
            flag: &TS_FLAG,
            only: &TS_ONLY,
            with_addr: &TS_WITH_ADDR,
        },
        syntax: "`tsonly N` (or N alone: up to 9 timestamps), `tsandaddr N` (up to 4 pairs), or `tsprespec ADDRESS…` (up to 4)",
        words: &["tsonly", "tsandaddr", "tsprespec", "9"],
        example: "tsonly 4",
    },
    NamedOption {
        field: &ROUTER_ALERT,
        code: 148,
        shape: Shape::Value(&ROUTER_ALERT),
        syntax: "its value, 0 (examine) being the only one defined",
        words: &["examine", "0"],
        example: "0",
    },
    NamedOption {
        field: &OPT_LSRR,
        code: 131,
        ..SOURCE_ROUTE
    },
    NamedOption {
        field: &OPT_SSRR,
        code: 137,
        ..SOURCE_ROUTE
    },
    NamedOption {
        field: &OPT_NOP,
        code: 1,
        shape: Shape::Single,
        syntax: "how many no-operation bytes to put here, such as 1",
        words: &["1"],
        example: "1",
    },
    NamedOption {
        field: &OPT_EOL,
        code: 0,
        shape: Shape::Single,
        syntax: "how many end-of-list bytes to put here, such as 1",
        words: &["1"],
        example: "1",
    },
];

pub static OPTION_LIST: OptionList = OptionList {
    kind: &[&OPT_TYPE, &OPT_COPY, &OPT_CLASS, &OPT_NUMBER],
    len: &OPT_LEN,
    len_scale: 1,
    len_add: 0,
    min_len: 2,
    single: &[0, 1],
    end: Some(0),
    padding: Some(&OPT_PADDING),
    kinds: &[
        OptionKind {
            entries: Some(|_| &RR_SLOTS),
            all_entries: &[&RR_SLOTS],
            ..OptionKind::new(7, &[&OPT_PTR], None)
        },
        OptionKind {
            entries: Some(|_| &SRC_RT_HOPS),
            all_entries: &[&SRC_RT_HOPS],
            ..OptionKind::new(131, &[&OPT_PTR], None)
        },
        OptionKind {
            entries: Some(|_| &SRC_RT_HOPS),
            all_entries: &[&SRC_RT_HOPS],
            ..OptionKind::new(137, &[&OPT_PTR], None)
        },
        OptionKind {
            entries: Some(ts_slots),
            all_entries: &[&TS_ONLY, &TS_WITH_ADDR],
            ..OptionKind::new(68, &[&OPT_PTR, &TS_OVERFLOW, &TS_FLAG], None)
        },
        OptionKind::new(148, &[&ROUTER_ALERT], Some(4)),
    ],
    unknown: &OPT_DATA,
    named: NAMED_OPTIONS,
};

static OPTIONS_TAIL: TailSpec = TailSpec {
    field: &OPTIONS,
    unit: 4,
    max_header: 60,
    default: &[],
    pad: "pad with 00 (end of options)",
    format: |_| Tail::Options(&OPTION_LIST),
    formats: &[Tail::Options(&OPTION_LIST)],
};

pub static FIELDS: &[&Field] = &[
    &VERSION,
    &HDR_LEN,
    &DSFIELD,
    &DSCP,
    &ECN,
    &LEN,
    &ID,
    &FLAGS,
    &FLAG_RB,
    &FLAG_DF,
    &FLAG_MF,
    &FRAG_OFFSET,
    &TTL,
    &PROTO,
    &CHECKSUM,
    &SRC,
    &DST,
];

pub static IPV4: Protocol = Protocol {
    name: "ip",
    aliases: &["ipv4", "ip4"],
    title: "IPv4",
    fields: FIELDS,
    tail: Some(&OPTIONS_TAIL),
    fixed_len: 20,
    header_len: |b| HDR_LEN.get(b) as usize * 4,
    len_field: Some(&HDR_LEN),
    claimed_len: |b| Some((LEN.get(b) as usize, &LEN)),
    next,
    summary,
    next_field: Some(&PROTO),
    numbers: "ip",
    ids: &[("ip", 4), ("eth", 0x0800)],
    starts: true,
    addresses: Some((&SRC, &DST)),
    pseudo: Some(pseudo),
    fill,
    expected: |s| {
        vec![Expected {
            recorded: sum_on_arrival(s.header()),
            ..Expected::sum(
                &CHECKSUM,
                header_checksum(s.header()) as u128,
                s.header_range(),
            )
        }]
    },
    ..Protocol::BASE
};

/// What the payload is: a later fragment carries the middle of a message, so no header.
fn next(b: &[u8]) -> Option<&'static Protocol> {
    if FRAG_OFFSET.get(b) != 0 {
        return None;
    }
    super::next_by_field(&IPV4, b)
}

fn summary(b: &[u8], s: &mut String) {
    if b.len() < 20 {
        let _ = write!(s, "IPv4 (header cut short at {} bytes)", b.len());
        return;
    }
    super::push_ends(s, "IPv4", &SRC, &DST, b);
    s.push_str(" ttl ");
    push_dec(s, TTL.get(b));
    s.push(' ');
    super::push_next(s, &IPV4, (&PROTO, PROTO.get(b)), "proto ", true);
    if is_fragment(b) {
        s.push(' ');
        push_frag(s, b);
    }
}

/// Whether a header is a fragment's: more fragments set, or an offset past 0.
pub fn is_fragment(b: &[u8]) -> bool {
    b.len() >= FRAG_OFFSET.end_byte() && (FLAG_MF.get(b) == 1 || FRAG_OFFSET.get(b) != 0)
}

/// A fragment as tcpdump -v notes it (tcpdump 4.99 checked on a file rawlab saved; the
/// older `(frag ID:LEN@OFFSET+)` is gone from it): `(id 4660, offset 1480, flags [+])`,
/// the id in decimal, the offset in bytes, `+` while more fragments follow and DF when
/// set, `none` for neither.
pub fn push_frag(s: &mut String, b: &[u8]) {
    if b.len() < 20 {
        return;
    }
    s.push_str("(id ");
    push_dec(s, ID.get(b));
    s.push_str(", offset ");
    push_dec(s, FRAG_OFFSET.shown(FRAG_OFFSET.get(b)));
    s.push_str(", flags [");
    let flags: Vec<&str> = [(&FLAG_MF, "+"), (&FLAG_DF, "DF"), (&FLAG_RB, "rsvd")]
        .into_iter()
        .filter(|(f, _)| f.get(b) == 1)
        .map(|(_, w)| w)
        .collect();
    if flags.is_empty() {
        s.push_str("none");
    } else {
        s.push_str(&flags.join(", "));
    }
    s.push_str("])");
}

/// Fills the fields rawlab computes: header length and total length (the builder
/// fills ip.proto from the next layer). The checksum and id are left for the kernel
/// of an IP socket; but a header inside a frame (or a tunnel) reaches no kernel that
/// fills it, so there rawlab computes the checksum too.
fn fill(b: &mut Building) {
    let (is_set, hdr_len, inner) = (b.is_set, b.hdr_len, b.start > 0);
    let pkt = b.layer();
    if !is_set(&HDR_LEN) {
        HDR_LEN.set(pkt, (hdr_len / 4).min(15) as u128);
    }
    if !is_set(&LEN) {
        LEN.set(pkt, pkt.len().min(0xffff) as u128);
    }
    if inner && !is_set(&CHECKSUM) && pkt.len() >= hdr_len {
        let sum = header_checksum(&pkt[..hdr_len]);
        CHECKSUM.set(pkt, sum as u128);
    }
}

/// The pseudo-header (RFC 793 §3.1, RFC 768): source, destination, zero, protocol and
/// the upper layer's length, which TCP and UDP checksums cover.
fn pseudo(header: &[u8], proto: u8, len: u32) -> u32 {
    let mut p = [0u8; 12];
    p[..4].copy_from_slice(&(SRC.get(header) as u32).to_be_bytes());
    p[4..8].copy_from_slice(&(DST.get(header) as u32).to_be_bytes());
    p[9] = proto;
    p[10..].copy_from_slice(&(len.min(0xffff) as u16).to_be_bytes());
    checksum::sum(&p, 0) as u32
}

/// The checksum the header carried as it arrived, if the receiving kernel may have
/// written into it since: Linux checks a received header's checksum, then, without
/// summing again, writes its address into a record route's next slot and its time
/// into a timestamp's (or counts itself in the timestamp's overflow). Of the headers
/// those writes could have come from, the one whose sum the checksum holds, else the
/// first.
fn sum_on_arrival(header: &[u8]) -> Option<u128> {
    let held = CHECKSUM.get(header);
    let sums: Vec<u128> = before_arrival(header)
        .iter()
        .map(|h| header_checksum(h) as u128)
        .collect();
    sums.iter()
        .copied()
        .find(|s| *s == held)
        .or(sums.first().copied())
}

/// The headers this one may have been before the receiving kernel wrote into its
/// options: each record-route and timestamp option as it is or with its last write
/// undone, every mix but the header as it is. Linux refuses a header with either option
/// twice, so there are at most five.
fn before_arrival(header: &[u8]) -> Vec<Vec<u8>> {
    let Some(list) = header.get(OPTIONS.first_byte()..) else {
        return Vec::new();
    };
    let mut heads = vec![header.to_vec()];
    let mut at = OPTIONS.first_byte();
    let mut seen = [false; 2];
    for (code, opt) in OPTION_LIST.split(list) {
        let which = match code {
            7 => 0,
            68 => 1,
            _ => {
                at += opt.len();
                continue;
            }
        };
        if std::mem::replace(&mut seen[which], true) {
            break;
        }
        let undone = match which {
            0 => unfill_route(&opt).into_iter().collect(),
            _ => unstamp(&opt),
        };
        let mut more = Vec::new();
        for h in &heads {
            for u in &undone {
                let mut h = h.clone();
                h[at..at + u.len()].copy_from_slice(u);
                more.push(h);
            }
        }
        heads.extend(more);
        at += opt.len();
    }
    heads.remove(0);
    heads
}

/// A record-route option before its last slot was filled, if one is: the slot back to
/// zeros and the pointer back on it.
fn unfill_route(opt: &[u8]) -> Option<Vec<u8>> {
    // A record-route option cut short of its pointer byte has no slot to undo;
    // reading the pointer would run off its end.
    if opt.len() < OPT_PTR.end_byte() {
        return None;
    }
    let ptr = OPT_PTR.get(opt) as usize;
    let slot = ptr.checked_sub(1 + RR_SLOTS.stride)?;
    if slot < RR_SLOTS.from || slot + RR_SLOTS.stride > opt.len() {
        return None;
    }
    let mut o = opt.to_vec();
    o[slot..slot + RR_SLOTS.stride].fill(0);
    OPT_PTR.set(&mut o, (ptr - RR_SLOTS.stride) as u128);
    Some(o)
}

/// A timestamp option before the receiving kernel's write: its last slot's time back to
/// zero (and the address, when each hop writes one) with the pointer back on it, or
/// the overflow one less. A prespecified slot keeps the address its sender wrote.
fn unstamp(opt: &[u8]) -> Vec<Vec<u8>> {
    if opt.len() < TS_FLAG.end_byte() {
        return Vec::new();
    }
    let (flag, overflow) = (TS_FLAG.get(opt), TS_OVERFLOW.get(opt));
    let slots = ts_slots(opt);
    let mut out = Vec::new();
    let ptr = OPT_PTR.get(opt) as usize;
    if let Some(slot) = ptr.checked_sub(1 + slots.stride)
        && slot >= slots.from
        && slot + slots.stride <= opt.len()
    {
        let mut o = opt.to_vec();
        let written = if flag == 3 {
            // The time only, after the address.
            slot + slots.stride - 4..slot + slots.stride
        } else {
            slot..slot + slots.stride
        };
        o[written].fill(0);
        OPT_PTR.set(&mut o, (ptr - slots.stride) as u128);
        out.push(o);
    }
    if overflow > 0 && flag != 3 {
        let mut o = opt.to_vec();
        TS_OVERFLOW.set(&mut o, overflow - 1);
        out.push(o);
    }
    out
}

/// The header checksum a header of these bytes should carry.
pub fn header_checksum(header: &[u8]) -> u16 {
    !checksum::sum_zeroed(header, 0, CHECKSUM.first_byte()..CHECKSUM.end_byte())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The post's captured request.
    const POST: [u8; 20] = [
        0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x60, 0x09, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01,
    ];

    #[test]
    fn getters_on_known_bytes() {
        let b = &POST;
        assert_eq!(VERSION.get(b), 4);
        assert_eq!(HDR_LEN.get(b), 5);
        assert_eq!((IPV4.header_len)(b), 20);
        assert_eq!(DSFIELD.get(b), 0);
        assert_eq!(LEN.get(b), 30);
        assert_eq!(ID.get(b), 0x1cd4);
        assert_eq!(FLAGS.get(b), 0);
        assert_eq!(FRAG_OFFSET.get(b), 0);
        assert_eq!(TTL.get(b), 64);
        assert_eq!(PROTO.get(b), 1);
        assert_eq!(CHECKSUM.get(b), 0x6009);
        assert_eq!(SRC.get(b), 0x7f00_0001);
        assert_eq!(DST.get(b), 0x7f00_0001);
        assert_eq!(header_checksum(b), 0x6009);
    }

    /// Every setter, into a buffer of 0xa5 so a byte written by mistake shows.
    #[test]
    fn setters_touch_only_their_bits() {
        let mut b = [0xa5u8; 20];
        VERSION.set(&mut b, 4);
        HDR_LEN.set(&mut b, 5);
        DSCP.set(&mut b, 0x2e);
        ECN.set(&mut b, 1);
        LEN.set(&mut b, 0x1234);
        ID.set(&mut b, 0xbeef);
        FLAG_RB.set(&mut b, 0);
        FLAG_DF.set(&mut b, 1);
        FLAG_MF.set(&mut b, 0);
        FRAG_OFFSET.set(&mut b, 0x0abc);
        TTL.set(&mut b, 7);
        PROTO.set(&mut b, 17);
        CHECKSUM.set(&mut b, 0x0102);
        SRC.set(&mut b, 0x0a00_0001);
        DST.set(&mut b, 0xc000_0202);
        assert_eq!(
            b,
            [
                0x45, 0xb9, 0x12, 0x34, 0xbe, 0xef, 0x4a, 0xbc, 0x07, 0x11, 0x01, 0x02, 0x0a, 0x00,
                0x00, 0x01, 0xc0, 0x00, 0x02, 0x02
            ]
        );
        assert_eq!(FLAGS.get(&b), 0b010);
        assert_eq!(DSFIELD.get(&b), 0xb9);
    }

    #[test]
    fn later_fragments_carry_data_not_headers() {
        let mut b = POST;
        assert_eq!((IPV4.next)(&b).map(|p| p.name), Some("icmp"));
        FRAG_OFFSET.set(&mut b, 3);
        assert!((IPV4.next)(&b).is_none());
    }

    /// The post's header with these options (a multiple of 4 bytes), carrying nothing.
    fn with_options(opts: &[u8]) -> Vec<u8> {
        let mut p = POST.to_vec();
        p[9] = 255;
        p.extend(opts);
        p[0] = 0x40 | (p.len() / 4) as u8;
        p[3] = p.len() as u8;
        p
    }

    fn option_fields(p: &[u8]) -> Vec<(&'static str, u128)> {
        let d = super::super::dissect::dissect(p, &IPV4);
        d.layers[0]
            .items
            .iter()
            .flat_map(|i| &i.fields)
            .filter(|f| !f.field.group && f.field.kind != Kind::Bytes)
            .map(|f| (f.field.name, f.get(p)))
            .collect()
    }

    #[test]
    fn record_route_slots_filled_and_empty() {
        // One slot written (127.0.0.1), the pointer at the second, then end of list.
        let p = with_options(&[7, 11, 8, 127, 0, 0, 1, 0, 0, 0, 0, 0]);
        let f = option_fields(&p);
        assert_eq!(
            f[..7],
            [
                ("ip.opt.type.copy", 0),
                ("ip.opt.type.class", 0),
                ("ip.opt.type.number", 7),
                ("ip.opt.len", 11),
                ("ip.opt.ptr", 8),
                ("ip.rec_rt", 0x7f00_0001),
                ("ip.empty_rt", 0),
            ]
        );
        assert_eq!(f[9], ("ip.opt.type.number", 0), "end of options");
    }

    #[test]
    fn timestamps_with_and_without_addresses() {
        let p = with_options(&[68, 12, 5, 0x01, 192, 0, 2, 1, 0, 0, 0, 42]);
        let f = option_fields(&p);
        assert_eq!(
            f[5..],
            [
                ("ip.opt.overflow", 0),
                ("ip.opt.flag", 1),
                ("ip.opt.time_stamp_addr", 0xc000_0201),
                ("ip.opt.time_stamp", 42),
            ]
        );
        let p = with_options(&[68, 12, 5, 0x00, 0, 0, 0, 7, 0, 0, 0, 8]);
        let f = option_fields(&p);
        assert_eq!(f[7..], [("ip.opt.time_stamp", 7), ("ip.opt.time_stamp", 8)]);
    }

    #[test]
    fn router_alert_nop_and_unknown_options() {
        let p = with_options(&[148, 4, 0, 0, 1, 0x99, 3, 0xab, 0, 0, 0, 0]);
        let d = super::super::dissect::dissect(&p, &IPV4);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let items = &d.layers[0].items;
        assert_eq!(items.len(), 5, "ra, nop, unknown 0x99, eol, padding");
        assert_eq!(d.value(&p, &ROUTER_ALERT), Some(0));
        assert_eq!(items[2].fields.last().unwrap().field, &OPT_DATA);
        assert_eq!(items[2].fields.last().unwrap().span, 27..28);
        assert_eq!(items[4].fields[0].field, &OPT_PADDING);
    }

    #[test]
    fn option_lengths_that_lie() {
        let p = with_options(&[7, 40, 4, 0]);
        let d = super::super::dissect::dissect(&p, &IPV4);
        assert_eq!(
            d.problems[0].what,
            "ip.opt.len says 40 bytes for option rr (7), but only 4 remain in the options; the rest is shown as bytes"
        );
        assert_eq!(d.problems[0].offset, 21);
        let p = with_options(&[1, 1, 68, 1]);
        let d = super::super::dissect::dissect(&p, &IPV4);
        assert_eq!(
            d.problems[0].what,
            "ip.opt.len says 1 bytes for option ts (68): an option is at least 2 bytes (kind and length); the rest is shown as bytes"
        );
        let p = with_options(&[148, 6, 0, 0, 0, 0, 0, 0]);
        let d = super::super::dissect::dissect(&p, &IPV4);
        assert_eq!(
            d.problems[0].what,
            "ip.opt.len says 6 bytes, but option ra (148) is always 4 bytes"
        );
    }

    fn named(f: &Field) -> &'static NamedOption {
        NAMED_OPTIONS.iter().find(|n| n.field == f).expect("named")
    }

    fn build(f: &Field, v: OptionValue) -> Result<Vec<u8>, String> {
        named(f).build(&OPTION_LIST, &v, 40)
    }

    use super::super::OptionValue;

    #[test]
    fn named_options_build_as_ping_and_the_rfc_lay_them_out() {
        // ping -R's record route: 39 bytes, pointer at the first slot.
        let rr = build(&OPT_RR, OptionValue::Count(9)).unwrap();
        assert_eq!(rr.len(), 39);
        assert_eq!(rr[..3], [7, 39, 4]);
        assert!(rr[3..].iter().all(|b| *b == 0));
        // Addresses already recorded fill their slots; the pointer is past them.
        let rr = build(&OPT_RR, OptionValue::Addresses(vec![0x7f00_0001])).unwrap();
        assert_eq!(rr, [7, 7, 8, 127, 0, 0, 1]);
        let lsrr = build(
            &OPT_LSRR,
            OptionValue::Addresses(vec![0xc000_0202, 0xcb00_7102]),
        )
        .unwrap();
        assert_eq!(lsrr, [131, 11, 4, 192, 0, 2, 2, 203, 0, 113, 2]);
        let ssrr = build(&OPT_SSRR, OptionValue::Addresses(vec![0xc000_0202])).unwrap();
        assert_eq!(ssrr, [137, 7, 4, 192, 0, 2, 2]);
        let ts = |flag, slots, addresses| {
            build(
                &OPT_TS,
                OptionValue::Stamps {
                    flag,
                    slots,
                    addresses,
                },
            )
            .unwrap()
        };
        assert_eq!(ts(0, 2, vec![]), [68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(ts(1, 1, vec![]), [68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            ts(3, 0, vec![0xc000_0202]),
            [68, 12, 5, 3, 192, 0, 2, 2, 0, 0, 0, 0]
        );
        assert_eq!(
            build(&ROUTER_ALERT, OptionValue::Raw(0)).unwrap(),
            [148, 4, 0, 0]
        );
        assert_eq!(build(&OPT_NOP, OptionValue::Count(3)).unwrap(), [1, 1, 1]);
        assert_eq!(build(&OPT_EOL, OptionValue::Count(1)).unwrap(), [0]);
    }

    #[test]
    fn named_options_say_what_does_not_fit() {
        let e = build(&OPT_RR, OptionValue::Count(10)).unwrap_err();
        assert_eq!(
            e,
            "ip.opt.rr holds at most 9 slots (4 bytes each, after the option's first 3) in the 40 bytes of options left; you gave 10"
        );
        let e = build(
            &OPT_TS,
            OptionValue::Stamps {
                flag: 1,
                slots: 5,
                addresses: vec![],
            },
        )
        .unwrap_err();
        assert!(e.contains("at most 4 address and timestamp pairs"), "{e}");
        let e = named(&OPT_LSRR)
            .build(&OPTION_LIST, &OptionValue::Addresses(vec![1, 2]), 10)
            .unwrap_err();
        assert!(e.contains("at most 1 address ("), "{e}");
        assert!(
            build(&OPT_LSRR, OptionValue::Count(2)).is_err(),
            "a source route names its hops"
        );
        assert!(build(&OPT_NOP, OptionValue::Count(0)).is_err());
        assert_eq!(
            build(&OPT_RR, OptionValue::Count(0)).unwrap_err(),
            "ip.opt.rr needs at least one slot"
        );
        assert!(build(&ROUTER_ALERT, OptionValue::Count(1)).is_err());
    }

    /// Every option set by name has a kind the dump names, and what it builds dissects
    /// as that kind, whole, with no problem.
    #[test]
    fn every_named_option_dissects_as_its_kind() {
        for n in NAMED_OPTIONS {
            assert!(OPT_TYPE.value_name(n.code).is_some(), "{}", n.field.name);
            assert!(n.field.name.starts_with("ip.opt."), "{}", n.field.name);
            assert!(!n.field.notes.is_empty() && !n.field.rfc.is_empty() && !n.words.is_empty());
            assert!(!n.example.is_empty(), "{}", n.field.name);
            let v = match n.shape {
                Shape::Single => OptionValue::Count(1),
                Shape::Route { .. } => OptionValue::Addresses(vec![0x7f00_0001]),
                Shape::Stamps { .. } => OptionValue::Stamps {
                    flag: 0,
                    slots: 1,
                    addresses: vec![],
                },
                Shape::Value(_) => OptionValue::Raw(0),
            };
            let mut opt = n.build(&OPTION_LIST, &v, 40).unwrap();
            // An end of list ahead of the padding would make the rest padding.
            if n.code != 0 {
                opt.resize(opt.len().div_ceil(4) * 4, 0);
            } else {
                opt.resize(4, 0);
            }
            let p = with_options(&opt);
            let d = super::super::dissect::dissect(&p, &IPV4);
            assert!(d.problems.is_empty(), "{}: {:?}", n.field.name, d.problems);
            let first = &d.layers[0].items[0];
            assert_eq!(first.fields[0].get(&p), n.code, "{}", n.field.name);
        }
        // The names do not clash with a field's, but for ip.opt.ra, which is both.
        for n in NAMED_OPTIONS.iter().filter(|n| n.field != &ROUTER_ALERT) {
            assert!(
                !OPTION_LIST.all_fields().any(|f| f.name == n.field.name),
                "{}",
                n.field.name
            );
        }
    }

    /// Linux checks a received header's checksum, then fills the record route's next
    /// slot without summing again: the captured copy is right as it arrived.
    #[test]
    fn a_slot_filled_on_arrival_is_not_a_wrong_checksum() {
        use super::super::Verdict;
        // As sent by the last hop: one slot written, the next one empty.
        let mut p = with_options(&[7, 11, 8, 203, 0, 113, 1, 0, 0, 0, 0, 0]);
        let sum = header_checksum(&p[..32]);
        CHECKSUM.set(&mut p, sum as u128);
        // The receiver writes its address and moves the pointer on.
        p[27..31].copy_from_slice(&[192, 0, 2, 1]);
        p[22] = 12;
        let d = super::super::dissect::dissect(&p, &IPV4);
        let e = &(IPV4.expected)(&d.scope(0, &p))[0];
        assert_eq!(e.verdict(sum as u128), Verdict::Recorded);
        assert_eq!(
            e.verdict(sum as u128 ^ 1),
            Verdict::Wrong,
            "any other value is wrong"
        );
        assert_ne!(e.want, sum as u128);
        // No slot filled: nothing to undo.
        let p = with_options(&[7, 7, 4, 0, 0, 0, 0, 0]);
        assert!(before_arrival(&p[..28]).is_empty());
    }

    /// The same for a timestamp: the receiver writes its time in the next slot (and its
    /// address first, with flag 1), or counts itself in the overflow when the slots are
    /// full. As seen on lo: a request with two empty slots, stamped on arrival; the
    /// kernel's reply, stamped as it left and counted as overflow on arrival.
    #[test]
    fn a_timestamp_written_on_arrival_is_not_a_wrong_checksum() {
        use super::super::Verdict;
        let verdict = |sent: &[u8], arrived: &[u8]| {
            let mut p = with_options(sent);
            let sum = header_checksum(&p);
            let n = p.len();
            p[n - arrived.len()..].copy_from_slice(arrived);
            CHECKSUM.set(&mut p, sum as u128);
            let d = super::super::dissect::dissect(&p, &IPV4);
            let e = &(IPV4.expected)(&d.scope(0, &p))[0];
            (e.verdict(sum as u128), e.verdict(sum as u128 ^ 1))
        };
        let stamped = (Verdict::Recorded, Verdict::Wrong);
        // Timestamps only: a time in the first slot, the pointer on by 4.
        assert_eq!(
            verdict(
                &[68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                &[68, 12, 9, 0, 5, 0x1b, 0, 0x7e, 0, 0, 0, 0]
            ),
            stamped
        );
        // Full: one more in the overflow.
        assert_eq!(
            verdict(
                &[68, 12, 13, 0x00, 5, 0x1b, 0, 0x7e, 5, 0x1b, 0, 0x7e],
                &[68, 12, 13, 0x10, 5, 0x1b, 0, 0x7e, 5, 0x1b, 0, 0x7e]
            ),
            stamped
        );
        // Address and timestamp: both written, the pointer on by 8.
        assert_eq!(
            verdict(
                &[68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0],
                &[68, 12, 13, 1, 127, 0, 0, 1, 5, 0x1b, 0, 0x7e]
            ),
            stamped
        );
        // Prespecified: the sender's address stays, the time is written after it.
        assert_eq!(
            verdict(
                &[68, 12, 5, 3, 127, 0, 0, 1, 0, 0, 0, 0],
                &[68, 12, 13, 3, 127, 0, 0, 1, 5, 0x1b, 0, 0x7e]
            ),
            stamped
        );
        // A record route and a timestamp both written on arrival.
        let sent = [7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0, 1, 0, 0, 0];
        let arrived = [
            7, 7, 8, 127, 0, 0, 1, 68, 8, 9, 0, 5, 0x1b, 0, 0x7e, 1, 0, 0, 0,
        ];
        let mut sent = sent.to_vec();
        sent.push(0);
        let mut arrived = arrived.to_vec();
        arrived.push(0);
        assert_eq!(verdict(&sent, &arrived), stamped);
        // Untouched options: the checksum is simply right.
        let p = {
            let mut p = with_options(&[68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            let sum = header_checksum(&p);
            CHECKSUM.set(&mut p, sum as u128);
            p
        };
        let d = super::super::dissect::dissect(&p, &IPV4);
        let e = &(IPV4.expected)(&d.scope(0, &p))[0];
        assert_eq!(e.verdict(CHECKSUM.get(&p)), Verdict::Correct);
    }

    #[test]
    fn an_option_list_splits_into_its_options() {
        let list = [1, 1, 7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0, 0, 0];
        assert_eq!(
            OPTION_LIST.split(&list),
            [
                (1, vec![1, 1]),
                (7, vec![7, 7, 4, 0, 0, 0, 0]),
                (148, vec![148, 4, 0, 0]),
            ]
        );
        // A length that lies: the rest is one piece under its first byte.
        assert_eq!(OPTION_LIST.split(&[7, 40, 4, 9]), [(7, vec![7, 40, 4, 9])]);
        assert!(OPTION_LIST.split(&[0, 0, 0, 0]).is_empty());
    }

    #[test]
    fn summary_names_addresses_and_protocol() {
        assert_eq!(
            IPV4.summary_text(&POST),
            "IPv4 127.0.0.1 → 127.0.0.1 ttl 64 icmp"
        );
        let mut gre = POST;
        gre[9] = 47;
        assert_eq!(
            IPV4.summary_text(&gre),
            "IPv4 127.0.0.1 → 127.0.0.1 ttl 64 gre (Generic Routing Encapsulation)"
        );
        assert_eq!(
            IPV4.summary_text(&POST[..12]),
            "IPv4 (header cut short at 12 bytes)"
        );
    }

    #[test]
    fn a_record_route_cut_before_its_pointer_is_not_undone() {
        // Found by the dissect fuzz target: three NOPs, then a record-route
        // code in the header's last byte with no length or pointer after it.
        let mut header = POST.to_vec();
        header[0] = 0x46;
        header.extend_from_slice(&[1, 1, 1, 7]);
        assert!(before_arrival(&header).is_empty());
        let d = super::super::dissect::dissect(&header, &IPV4);
        let expected = (IPV4.expected)(&d.scope(0, &header));
        assert_eq!(expected.len(), 1);
        assert_eq!(expected[0].recorded, None);
    }
}
