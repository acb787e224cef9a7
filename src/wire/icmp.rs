//! ICMP for IPv4 (RFC 792): echo request and reply, the post's ping.
//!
//! The table is the only place an ICMP field's position is written. Bytes 4–7
//! are shown as identifier and sequence number, their meaning in echo messages.

use super::{Building, Field, Fill, Kind, Pairing, Protocol, checksum};

/// ICMP message types, by the names users type (`set icmp.type echo-reply`).
pub const TYPE_NAMES: &[(u128, &str)] = &[
    (0, "echo-reply"),
    (3, "dest-unreachable"),
    (4, "source-quench"),
    (5, "redirect"),
    (8, "echo-request"),
    (9, "router-advertisement"),
    (10, "router-solicitation"),
    (11, "time-exceeded"),
    (12, "parameter-problem"),
    (13, "timestamp-request"),
    (14, "timestamp-reply"),
];

pub const ECHO_REPLY: u128 = 0;
pub const ECHO_REQUEST: u128 = 8;

pub static TYPE: Field = Field {
    default: ECHO_REQUEST,
    names: TYPE_NAMES,
    meaning: "message type: 8 echo request (ping), 0 echo reply (pong)",
    rfc: "RFC 792",
    notes: "The first byte of the message. The kernel answers a type 8 with a type 0 carrying the same identifier, sequence number and data; that one byte is the whole difference between ping and pong.",
    ..Field::new("icmp.type", 0, 8, Kind::Dec)
};

pub static CODE: Field = Field {
    meaning: "subtype: 0 for echo; for errors it says which kind",
    rfc: "RFC 792",
    notes: "Echo messages use code 0. Linux still answers an echo request with a non-zero code, and copies nothing of it into the reply (code 0).",
    ..Field::new("icmp.code", 8, 8, Kind::Dec)
};

pub static CHECKSUM: Field = Field {
    fill: Fill::Computed,
    meaning: "checksum over the whole ICMP message, data included",
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

pub static FIELDS: &[&Field] = &[&TYPE, &CODE, &CHECKSUM, &IDENT, &SEQ];

pub static ICMP: Protocol = Protocol {
    name: "icmp",
    aliases: &["icmp4", "icmpv4"],
    title: "ICMP",
    fields: FIELDS,
    tail: None,
    fixed_len: 8,
    header_len: |_| 8,
    claimed_len: |_| None,
    next: |_| None,
    summary,
    next_field: None,
    ids: &[("ip", 1)],
    starts: false,
    variant: None,
    variant_fields: &[],
    pairing: Some(pairing),
    fill,
    expected: |s| vec![(&CHECKSUM, message_checksum(s.message()) as u128)],
};

fn summary(b: &[u8]) -> String {
    let ty = TYPE.get(b);
    let name = TYPE
        .value_name(ty)
        .map_or_else(|| format!("type {ty}"), str::to_string);
    if matches!(ty, 0 | 8 | 13 | 14) {
        format!("ICMP {name} id {} seq {}", IDENT.get(b), SEQ.get(b))
    } else {
        format!("ICMP {name} code {}", CODE.get(b))
    }
}

/// Echo and timestamp messages pair up by identifier and sequence number.
fn pairing(b: &[u8]) -> Option<Pairing> {
    let is_request = match TYPE.get(b) {
        8 | 13 => true,
        0 | 14 => false,
        _ => return None,
    };
    Some(Pairing {
        flow: IDENT.get(b) as u64,
        key: (IDENT.get(b) as u64) << 16 | SEQ.get(b) as u64,
        is_request,
    })
}

/// The checksum a message of these bytes (header and data) should carry.
pub fn message_checksum(message: &[u8]) -> u16 {
    let mut copy = message.to_vec();
    CHECKSUM.set(&mut copy, 0);
    checksum::internet(&copy)
}

/// Fills the checksum over the message, unless the user set it.
fn fill(b: &mut Building) {
    if !(b.is_set)(&CHECKSUM) {
        let sum = message_checksum(b.layer());
        CHECKSUM.set(b.layer(), sum as u128);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
