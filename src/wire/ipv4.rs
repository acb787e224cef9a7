//! IPv4 (RFC 791): the header every raw-socket lesson starts from.
//!
//! The table below is the only place an IPv4 field's position is written.
//! Options are kept as bytes (`ip.options`).

use super::{Building, Field, Fill, Kind, Protocol, checksum};

/// IP protocol numbers a learner meets, by the names they type (`set proto tcp`).
pub const PROTO_NAMES: &[(u128, &str)] = &[
    (1, "icmp"),
    (2, "igmp"),
    (4, "ipip"),
    (6, "tcp"),
    (17, "udp"),
    (41, "ipv6"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (58, "icmpv6"),
    (89, "ospf"),
    (103, "pim"),
    (112, "vrrp"),
    (132, "sctp"),
    (255, "raw"),
];

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
    ..Field::new("ip.src", 96, 32, Kind::Ipv4)
};

pub static DST: Field = Field {
    aliases: &["destination", "daddr"],
    default: 0x7f00_0001,
    meaning: "destination address",
    rfc: "RFC 791 §3.1",
    notes: "Where the packet goes. On a raw send the kernel routes by the address given to sendto; rawlab passes this one (or the one after `send`).",
    ..Field::new("ip.dst", 128, 32, Kind::Ipv4)
};

pub static OPTIONS: Field = Field {
    meaning: "options: record route, timestamps and others, in 32-bit words",
    rfc: "RFC 791 §3.1",
    notes: "Up to 40 bytes after the fixed header, a multiple of 4 (pad with 00, end of options). rawlab grows ip.hdr_len to cover them.",
    ..Field::new("ip.options", 160, 0, Kind::Bytes)
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
    tail: Some(&OPTIONS),
    fixed_len: 20,
    header_len: |b| HDR_LEN.get(b) as usize * 4,
    claimed_len: |b| Some((LEN.get(b) as usize, &LEN)),
    next,
    summary,
    next_field: Some(&PROTO),
    ids: &[("eth", 0x0800)],
    starts: true,
    variant: None,
    variant_fields: &[],
    pairing: None,
    fill,
    expected: |s| vec![(&CHECKSUM, header_checksum(s.header()) as u128)],
};

/// What the payload is: a later fragment carries the middle of a message, so no header.
fn next(b: &[u8]) -> Option<&'static Protocol> {
    if FRAG_OFFSET.get(b) != 0 {
        return None;
    }
    super::next_by_field(&IPV4, b)
}

fn summary(b: &[u8]) -> String {
    let name = PROTO
        .value_name(PROTO.get(b))
        .map_or_else(|| format!("proto {}", PROTO.get(b)), str::to_string);
    format!(
        "IPv4 {} → {} ttl {} {}",
        SRC.words(SRC.get(b)),
        DST.words(DST.get(b)),
        TTL.get(b),
        name
    )
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

/// The header checksum a header of these bytes should carry.
pub fn header_checksum(header: &[u8]) -> u16 {
    let mut copy = header.to_vec();
    CHECKSUM.set(&mut copy, 0);
    checksum::internet(&copy)
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

    #[test]
    fn summary_names_addresses_and_protocol() {
        assert_eq!(summary(&POST), "IPv4 127.0.0.1 → 127.0.0.1 ttl 64 icmp");
    }
}
