//! ARP (RFC 826) for Ethernet and IPv4: how a host finds the MAC behind an IPv4
//! address on its link. A request asks, to broadcast, "who has 192.0.2.2? tell
//! 192.0.2.1"; the owner answers, to the asker alone, "192.0.2.2 is at
//! 02:72:61:77:00:02".
//!
//! The table is the only place an ARP field's position is written. It lays out
//! the 28-byte message for 6-byte hardware and 4-byte protocol addresses, the
//! only pair Linux resolves on Ethernet; other sizes are shown as these fields
//! say and flagged when the message is checked.

use super::{Field, Fill, Host, Kind, Pairing, Protocol};
use std::fmt::Write as _;

pub const REQUEST: u128 = 1;
pub const REPLY: u128 = 2;

pub const OPCODE_NAMES: &[(u128, &str)] = &[
    (REQUEST, "request"),
    (REPLY, "reply"),
    (3, "rarp-request"),
    (4, "rarp-reply"),
    (8, "inarp-request"),
    (9, "inarp-reply"),
];

pub static HW_TYPE: Field = Field {
    aliases: &["htype", "hrd"],
    default: 1,
    names: &[(1, "ethernet"), (6, "ieee802"), (32, "infiniband")],
    meaning: "hardware type: 1 for Ethernet",
    rfc: "RFC 826 (ar$hrd), IANA ARP parameters",
    notes: "Which kind of hardware address the message carries. Linux answers on an Ethernet device only when it is 1 (or 6, IEEE 802).",
    ..Field::new("arp.hw.type", 0, 16, Kind::Dec)
};

pub static PROTO_TYPE: Field = Field {
    aliases: &["ptype", "pro"],
    default: 0x0800,
    names: &[(0x0800, "ipv4")],
    meaning: "protocol type: the EtherType of the addresses resolved, 0x0800 IPv4",
    rfc: "RFC 826 (ar$pro)",
    notes: "ARP can resolve any protocol's addresses; it borrows the EtherType numbers to say which. Linux's ARP resolves IPv4 only and ignores anything else.",
    ..Field::new("arp.proto.type", 16, 16, Kind::Hex)
};

pub static HW_SIZE: Field = Field {
    aliases: &["hlen", "hln"],
    default: 6,
    unit: "bytes",
    meaning: "hardware address length: 6 for a MAC",
    rfc: "RFC 826 (ar$hln)",
    notes: "The length of each hardware address below. Linux drops a message whose length does not match the device's (6 on Ethernet), so a wrong one earns no reply.",
    ..Field::new("arp.hw.size", 32, 8, Kind::Dec)
};

pub static PROTO_SIZE: Field = Field {
    aliases: &["plen", "pln"],
    default: 4,
    unit: "bytes",
    meaning: "protocol address length: 4 for IPv4",
    rfc: "RFC 826 (ar$pln)",
    notes: "The length of each protocol address below. Linux drops an IPv4 ARP message where it is not 4.",
    ..Field::new("arp.proto.size", 40, 8, Kind::Dec)
};

pub static OPCODE: Field = Field {
    aliases: &["op", "operation"],
    default: REQUEST,
    names: OPCODE_NAMES,
    meaning: "operation: 1 request (who has?), 2 reply (is at)",
    rfc: "RFC 826 (ar$op)",
    notes: "A request asks who has the target protocol address; the host that has it answers with a reply carrying its MAC as the sender hardware address. Linux also learns the asker's MAC from a request addressed to it, so it can answer.",
    ..Field::new("arp.opcode", 48, 16, Kind::Dec)
};

pub static SRC_HW: Field = Field {
    aliases: &["sha", "sender_mac"],
    fill: Fill::Interface("rawlab writes the sending interface's MAC when it is 0"),
    meaning: "sender hardware address: the asker's MAC (in a reply, the answer)",
    rfc: "RFC 826 (ar$sha)",
    notes: "In a request, where the reply should go; in a reply, the answer itself. Left 0, rawlab writes the MAC of the interface it sends on. The receiver believes it: claiming someone else's address here is ARP spoofing.",
    ..Field::new("arp.src.hw_mac", 64, 48, Kind::Mac)
};

pub static SRC_PROTO: Field = Field {
    aliases: &["spa", "sender_ip"],
    fill: Fill::Interface("rawlab writes the sending interface's IPv4 address when it is 0.0.0.0"),
    meaning: "sender protocol address: the asker's IPv4 address",
    rfc: "RFC 826 (ar$spa)",
    notes: "Who is asking. Left 0.0.0.0, rawlab writes the IPv4 address of the interface it sends on. A request with sender 0.0.0.0 sent on purpose is an ARP probe (RFC 5227): it asks without claiming an address.",
    host: Host::Source,
    ..Field::new("arp.src.proto_ipv4", 112, 32, Kind::Ipv4)
};

pub static DST_HW: Field = Field {
    aliases: &["tha", "target_mac"],
    meaning: "target hardware address: unknown in a request (zeros), the asker's in a reply",
    rfc: "RFC 826 (ar$tha)",
    notes: "A request leaves it 0: that is the question. A reply puts the asker's MAC here.",
    ..Field::new("arp.dst.hw_mac", 144, 48, Kind::Mac)
};

pub static DST_PROTO: Field = Field {
    aliases: &["tpa", "target_ip"],
    meaning: "target protocol address: the IPv4 address asked about",
    rfc: "RFC 826 (ar$tpa)",
    notes: "The address whose MAC the asker wants. Only the host that owns it answers; in the sandbox the peer owns 192.0.2.2.",
    host: Host::Asked,
    ..Field::new("arp.dst.proto_ipv4", 192, 32, Kind::Ipv4)
};

pub static FIELDS: &[&Field] = &[
    &HW_TYPE,
    &PROTO_TYPE,
    &HW_SIZE,
    &PROTO_SIZE,
    &OPCODE,
    &SRC_HW,
    &SRC_PROTO,
    &DST_HW,
    &DST_PROTO,
];

pub static ARP: Protocol = Protocol {
    name: "arp",
    aliases: &[],
    title: "ARP",
    fields: FIELDS,
    fixed_len: 28,
    header_len: |_| 28,
    // The message ends after the four addresses; what follows in a frame is the
    // padding a card adds to reach Ethernet's 60-byte minimum, not data.
    claimed_len: |b| (HW_SIZE.get(b) == 6 && PROTO_SIZE.get(b) == 4).then_some((28, &PROTO_SIZE)),
    ids: &[("eth", 0x0806)],
    summary,
    pairing: Some(pairing),
    ..Protocol::BASE
};

fn summary(b: &[u8], s: &mut String) {
    if b.len() < DST_PROTO.end_byte() {
        let _ = write!(s, "ARP (cut short at {} bytes)", b.len());
        return;
    }
    s.push_str("ARP ");
    match OPCODE.get(b) {
        REQUEST => {
            s.push_str("who has ");
            DST_PROTO.write_text(s, b);
            s.push_str("? tell ");
            SRC_PROTO.write_text(s, b);
        }
        REPLY => {
            SRC_PROTO.write_text(s, b);
            s.push_str(" is at ");
            SRC_HW.write_text(s, b);
        }
        op => super::push_name_or(s, OPCODE.value_name(op), "opcode ", op),
    }
}

/// A request and its reply share the two protocol addresses, swapped: the request
/// asks about its target, the reply speaks for its sender.
fn pairing(b: &[u8]) -> Option<Pairing> {
    let (spa, tpa) = (SRC_PROTO.get(b) as u64, DST_PROTO.get(b) as u64);
    let (asked, asker, is_request) = match OPCODE.get(b) {
        REQUEST => (tpa, spa, true),
        REPLY => (spa, tpa, false),
        _ => return None,
    };
    let key = asked << 32 | asker;
    Some(Pairing {
        flow: key,
        key,
        is_request,
        reverse: None,
    })
}

/// What in an ARP message keeps a Linux host from answering it, if anything.
pub fn unanswerable(b: &[u8]) -> Vec<String> {
    let mut why = Vec::new();
    if b.len() < ARP.fixed_len {
        return why;
    }
    for (f, want) in [
        (&HW_TYPE, 1),
        (&PROTO_TYPE, 0x0800),
        (&HW_SIZE, 6),
        (&PROTO_SIZE, 4),
    ] {
        let have = f.get(b);
        if have != want {
            why.push(format!(
                "{} is {}, not {}: Linux's ARP on Ethernet drops the message",
                f.name,
                f.words(have),
                f.words(want)
            ));
        }
    }
    let op = OPCODE.get(b);
    if op != REQUEST {
        why.push(format!(
            "arp.opcode is {}: only a request asks for an answer",
            OPCODE.words(op)
        ));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    /// who has 192.0.2.2? tell 192.0.2.1, from 02:72:61:77:00:01.
    const REQ: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x72, 0x61, 0x77, 0x00, 0x01, 0xc0,
        0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02,
    ];
    /// 192.0.2.2 is at 02:72:61:77:00:02, to 02:72:61:77:00:01.
    const REP: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x72, 0x61, 0x77, 0x00, 0x02, 0xc0,
        0x00, 0x02, 0x02, 0x02, 0x72, 0x61, 0x77, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,
    ];

    #[test]
    fn getters_on_known_bytes() {
        assert_eq!(HW_TYPE.get(&REQ), 1);
        assert_eq!(PROTO_TYPE.get(&REQ), 0x0800);
        assert_eq!(HW_SIZE.get(&REQ), 6);
        assert_eq!(PROTO_SIZE.get(&REQ), 4);
        assert_eq!(OPCODE.get(&REQ), REQUEST);
        assert_eq!(SRC_HW.get(&REQ), 0x0272_6177_0001);
        assert_eq!(SRC_PROTO.get(&REQ), 0xc000_0201);
        assert_eq!(DST_HW.get(&REQ), 0);
        assert_eq!(DST_PROTO.get(&REQ), 0xc000_0202);
    }

    #[test]
    fn setters_touch_only_their_bytes() {
        let mut b = [0xa5u8; 28];
        for f in FIELDS {
            f.set(&mut b, f.get(&REP));
        }
        assert_eq!(b, REP);
    }

    #[test]
    fn summaries_read_like_tcpdump() {
        assert_eq!(
            ARP.summary_text(&REQ),
            "ARP who has 192.0.2.2? tell 192.0.2.1"
        );
        assert_eq!(
            ARP.summary_text(&REP),
            "ARP 192.0.2.2 is at 02:72:61:77:00:02"
        );
    }

    #[test]
    fn a_reply_pairs_with_its_request_and_no_other() {
        let (q, a) = (pairing(&REQ).unwrap(), pairing(&REP).unwrap());
        assert_eq!(q.key, a.key);
        assert!(q.is_request && !a.is_request);
        let mut other = REQ;
        DST_PROTO.set(&mut other, 0xc000_0203);
        assert_ne!(pairing(&other).unwrap().key, a.key);
    }

    #[test]
    fn a_cards_padding_is_a_trailer_not_data() {
        let mut frame = vec![0u8; 14];
        frame[12..14].copy_from_slice(&[0x08, 0x06]);
        frame.extend(REP);
        frame.resize(60, 0);
        let d = crate::wire::dissect::dissect(&frame, &crate::wire::eth::ETH);
        assert_eq!(d.stack_name(), "eth/arp");
        assert!(d.payload.is_empty(), "{:?}", d.payload);
        assert_eq!(d.trailer, 42..60);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
    }

    #[test]
    fn what_keeps_a_message_unanswered() {
        assert!(unanswerable(&REQ).is_empty());
        let mut bad = REQ;
        HW_SIZE.set(&mut bad, 7);
        assert_eq!(
            unanswerable(&bad),
            ["arp.hw.size is 7 bytes, not 6 bytes: Linux's ARP on Ethernet drops the message"]
        );
        assert!(unanswerable(&REP)[0].starts_with("arp.opcode is 2 (reply)"));
    }
}
