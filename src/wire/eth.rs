//! Ethernet II (IEEE 802.3, RFC 894): the header an AF_PACKET socket hands over
//! and takes, in front of every frame on an Ethernet-like interface (lo and veth
//! included). Fourteen bytes: destination MAC, source MAC, EtherType.
//!
//! The table is the only place an Ethernet field's position is written. The
//! frame check sequence is not here: the network card adds and strips it, and
//! no socket ever sees it.

use super::{Field, Fill, Kind, Protocol};
use std::fmt::Write as _;

/// EtherTypes a learner meets, by the names they type (`set eth.type arp`).
pub const TYPE_NAMES: &[(u128, &str)] = &[
    (0x0800, "ipv4"),
    (0x0806, "arp"),
    (0x8035, "rarp"),
    (0x8100, "vlan"),
    (0x86dd, "ipv6"),
    (0x88a8, "qinq"),
    (0x88cc, "lldp"),
    (0x88e5, "macsec"),
];

/// ff:ff:ff:ff:ff:ff, every station on the link.
pub const BROADCAST: u128 = 0xffff_ffff_ffff;

pub static DST: Field = Field {
    aliases: &["dst_mac", "da"],
    default: BROADCAST,
    names: &[(BROADCAST, "broadcast")],
    meaning: "destination MAC: the card that should take the frame",
    rfc: "IEEE 802.3 §3.2.3, RFC 894",
    notes: "A network card keeps a frame whose destination is its own MAC, broadcast (ff:ff:ff:ff:ff:ff) or a multicast group it joined, and drops the rest unless it is promiscuous: Linux marks such a frame PACKET_OTHERHOST and IP never sees it. A new template starts with broadcast, as an ARP request does; to reach one host, put its MAC here (an ARP reply tells you it). On lo it is all zeros: lo has no hardware.",
    ..Field::new("eth.dst", 0, 48, Kind::Mac)
};

pub static SRC: Field = Field {
    aliases: &["src_mac", "sa"],
    fill: Fill::Interface("rawlab writes the sending interface's MAC when it is 0"),
    meaning: "source MAC: the card that sent the frame",
    rfc: "IEEE 802.3 §3.2.3, RFC 894",
    notes: "Whoever builds the frame writes it; with AF_PACKET and SOCK_RAW that is you, and the kernel never checks or fixes it. Left 0, rawlab writes the MAC of the interface it sends on (`ifaces` shows it). Set another and the frame claims to come from another card; a switch would learn that lie.",
    ..Field::new("eth.src", 48, 48, Kind::Mac)
};

pub static TYPE: Field = Field {
    aliases: &["ethertype"],
    fill: Fill::Computed,
    names: TYPE_NAMES,
    meaning: "EtherType: the protocol in the payload, 0x0800 IPv4, 0x0806 ARP",
    rfc: "IEEE 802.3 §3.2.6, IANA EtherTypes",
    notes: "rawlab fills it from the next layer of the template. The receiving kernel hands the payload to the protocol with this number, and to every AF_PACKET socket opened for it (ETH_P_ALL: all of them). Values below 0x0600 are a length instead (IEEE 802.3 framing with LLC), which modern traffic rarely uses.",
    ..Field::new("eth.type", 96, 16, Kind::Hex)
};

pub static FIELDS: &[&Field] = &[&DST, &SRC, &TYPE];

pub static ETH: Protocol = Protocol {
    name: "eth",
    aliases: &["ethernet", "ether"],
    title: "Ethernet",
    fields: FIELDS,
    fixed_len: 14,
    header_len: |_| 14,
    next: |b| super::next_by_field(&ETH, b),
    next_field: Some(&TYPE),
    numbers: "eth",
    starts: true,
    summary,
    ..Protocol::BASE
};

fn summary(b: &[u8], s: &mut String) {
    if b.len() < TYPE.end_byte() {
        let _ = write!(s, "Ethernet (cut short at {} bytes)", b.len());
        return;
    }
    let ty = TYPE.get(b);
    super::push_ends(s, "Ethernet", &SRC, &DST, b);
    s.push(' ');
    match TYPE.value_name(ty) {
        Some(name) => s.push_str(name),
        None => {
            let _ = write!(s, "type 0x{:04x}", ty as u64);
        }
    }
}

/// Whether a destination MAC reaches more than one card: broadcast, or a multicast
/// group (the lowest bit of the first byte set).
pub fn is_group(mac: u128) -> bool {
    (mac >> 40) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ARP request as a Linux host sends it: broadcast, from 02:72:61:77:00:01.
    const FRAME: [u8; 14] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x72, 0x61, 0x77, 0x00, 0x01, 0x08, 0x06,
    ];

    #[test]
    fn getters_on_known_bytes() {
        assert_eq!(DST.get(&FRAME), BROADCAST);
        assert_eq!(SRC.get(&FRAME), 0x0272_6177_0001);
        assert_eq!(TYPE.get(&FRAME), 0x0806);
        assert_eq!(DST.words(BROADCAST), "ff:ff:ff:ff:ff:ff (broadcast)");
        assert_eq!(SRC.words(0x0272_6177_0001), "02:72:61:77:00:01");
        assert_eq!(TYPE.words(0x0800), "0x0800 (ipv4)");
        assert_eq!((ETH.next)(&FRAME).map(|p| p.name), Some("arp"));
    }

    #[test]
    fn setters_touch_only_their_bytes() {
        let mut b = [0xa5u8; 14];
        DST.set(&mut b, 0x0102_0304_0506);
        SRC.set(&mut b, 0x0708_090a_0b0c);
        TYPE.set(&mut b, 0x0d0e);
        assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    }

    #[test]
    fn summary_names_both_ends_and_the_payload() {
        assert_eq!(
            ETH.summary_text(&FRAME),
            "Ethernet 02:72:61:77:00:01 → ff:ff:ff:ff:ff:ff (broadcast) arp"
        );
        let mut other = FRAME;
        TYPE.set(&mut other, 0x1234);
        assert!(ETH.summary_text(&other).ends_with("type 0x1234"));
    }

    #[test]
    fn group_addresses() {
        assert!(is_group(BROADCAST));
        assert!(is_group(0x0100_5e00_0001), "IPv4 multicast");
        assert!(!is_group(0x0272_6177_0002));
        assert!(!is_group(0));
    }
}
