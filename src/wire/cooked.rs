//! The link-layer pseudo-headers capture files put in front of a packet where no
//! Ethernet header was (Linux cooked v1 and v2, `tcpdump -i any`; BSD and OpenBSD
//! loopback). Nothing builds or sends them, so they are not `Protocol`s: these are
//! only their field tables, under Wireshark's names, the one place their offsets are
//! written. `capture::pcap::link` reads frames with them; JSON shows them.

use super::{Field, Kind};

/// Linux's packet types (`sll_pkttype`, `PACKET_*` in linux/if_packet.h), by the
/// names the kernel gives them, lowercased.
pub const PACKET_TYPES: &[(u128, &str)] = &[
    (0, "host"),
    (1, "broadcast"),
    (2, "multicast"),
    (3, "otherhost"),
    (4, "outgoing"),
    (5, "loopback"),
    (6, "user"),
    (7, "kernel"),
];

/// Which way a packet of a Linux packet type went: `outgoing` for one this host sent,
/// `incoming` for one it received (to it, broadcast, multicast or, promiscuous, to
/// another host); None for the rest, which no capture of a real interface holds.
pub fn direction(packet_type: u128) -> Option<&'static str> {
    match packet_type {
        0..=3 => Some("incoming"),
        4 => Some("outgoing"),
        _ => None,
    }
}

/// The name of a Linux packet type, if it has one.
pub fn packet_type_name(packet_type: u128) -> Option<&'static str> {
    PACKET_TYPES
        .iter()
        .find(|(v, _)| *v == packet_type)
        .map(|(_, n)| *n)
}

const SLL_RFC: &str = "tcpdump.org LINKTYPE_LINUX_SLL";
const SLL2_RFC: &str = "tcpdump.org LINKTYPE_LINUX_SLL2";

/// Linux cooked v1 (LINKTYPE_LINUX_SLL, 113): 16 bytes.
pub mod sll {
    use super::*;

    pub static PKTTYPE: Field = Field {
        names: PACKET_TYPES,
        meaning: "packet type: to this host, broadcast, multicast, to another host, or sent by this host",
        rfc: SLL_RFC,
        ..Field::new("sll.pkttype", 0, 16, Kind::Dec)
    };
    pub static HATYPE: Field = Field {
        meaning: "the interface's ARPHRD_ type: 1 Ethernet, 772 loopback",
        rfc: SLL_RFC,
        ..Field::new("sll.hatype", 16, 16, Kind::Dec)
    };
    pub static HALEN: Field = Field {
        meaning: "how many bytes of the address field the sender's address takes",
        rfc: SLL_RFC,
        ..Field::new("sll.halen", 32, 16, Kind::Dec)
    };
    /// The address field: 8 bytes, of which `HALEN` are the sender's address.
    pub const ADDRESS: std::ops::Range<usize> = 6..14;
    pub static SRC_ETH: Field = Field {
        meaning: "the sender's MAC address (a 6-byte address)",
        rfc: SLL_RFC,
        ..Field::new("sll.src.eth", 48, 48, Kind::Mac)
    };
    pub static ETYPE: Field = Field {
        meaning: "the protocol carried, as an EtherType: 0x0800 IPv4, 0x86dd IPv6",
        rfc: SLL_RFC,
        ..Field::new("sll.etype", 112, 16, Kind::Hex)
    };
    pub const LEN: usize = 16;
}

/// Linux cooked v2 (LINKTYPE_LINUX_SLL2, 276): 20 bytes, with the interface index.
pub mod sll2 {
    use super::*;

    pub static ETYPE: Field = Field {
        meaning: "the protocol carried, as an EtherType: 0x0800 IPv4, 0x86dd IPv6",
        rfc: SLL2_RFC,
        ..Field::new("sll.etype", 0, 16, Kind::Hex)
    };
    pub static RESERVED: Field = Field {
        meaning: "reserved, 0",
        rfc: SLL2_RFC,
        ..Field::new("sll.reserved", 16, 16, Kind::Hex)
    };
    pub static IFINDEX: Field = Field {
        meaning: "the index of the interface the packet was captured on (`ip link` lists them)",
        rfc: SLL2_RFC,
        ..Field::new("sll.ifindex", 32, 32, Kind::Dec)
    };
    pub static HATYPE: Field = Field {
        meaning: "the interface's ARPHRD_ type: 1 Ethernet, 772 loopback",
        rfc: SLL2_RFC,
        ..Field::new("sll.hatype", 64, 16, Kind::Dec)
    };
    pub static PKTTYPE: Field = Field {
        names: PACKET_TYPES,
        meaning: "packet type: to this host, broadcast, multicast, to another host, or sent by this host",
        rfc: SLL2_RFC,
        ..Field::new("sll.pkttype", 80, 8, Kind::Dec)
    };
    pub static HALEN: Field = Field {
        meaning: "how many bytes of the address field the sender's address takes",
        rfc: SLL2_RFC,
        ..Field::new("sll.halen", 88, 8, Kind::Dec)
    };
    /// The address field: 8 bytes, of which `HALEN` are the sender's address.
    pub const ADDRESS: std::ops::Range<usize> = 12..20;
    pub static SRC_ETH: Field = Field {
        meaning: "the sender's MAC address (a 6-byte address)",
        rfc: SLL2_RFC,
        ..Field::new("sll.src.eth", 96, 48, Kind::Mac)
    };
    pub const LEN: usize = 20;
}

/// An address of another length than 6, in either cooked header: its bytes.
pub static SRC_OTHER: Field = Field {
    meaning: "the sender's address, when it is not a 6-byte MAC",
    rfc: SLL_RFC,
    ..Field::new("sll.src.other", 0, 0, Kind::Bytes)
};

/// The bytes of the address field after the address, in either cooked header.
pub static UNUSED: Field = Field {
    meaning: "the rest of the 8-byte address field, after the address",
    rfc: SLL_RFC,
    ..Field::new("sll.unused", 0, 0, Kind::Bytes)
};

/// BSD loopback (LINKTYPE_NULL, 0, in the writer's byte order) and OpenBSD loopback
/// (LINKTYPE_LOOP, 108, big-endian): 4 bytes.
pub mod null {
    use super::*;

    pub static FAMILY: Field = Field {
        meaning: "the address family of the packet: 2 IPv4; 24, 28 or 30 IPv6 (by system)",
        rfc: "tcpdump.org LINKTYPE_NULL",
        ..Field::new("null.family", 0, 32, Kind::Dec)
    };
    pub const LEN: usize = 4;
}

/// Every field of the pseudo-headers, for docs and tests.
pub static ALL: &[&Field] = &[
    &sll::PKTTYPE,
    &sll::HATYPE,
    &sll::HALEN,
    &sll::SRC_ETH,
    &sll::ETYPE,
    &sll2::ETYPE,
    &sll2::RESERVED,
    &sll2::IFINDEX,
    &sll2::HATYPE,
    &sll2::PKTTYPE,
    &sll2::HALEN,
    &sll2::SRC_ETH,
    &SRC_OTHER,
    &UNUSED,
    &null::FAMILY,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The address fields lie where the address ranges say, and every field fits its
    /// header.
    #[test]
    fn tables_agree_with_their_headers() {
        assert_eq!(sll::SRC_ETH.first_byte(), sll::ADDRESS.start);
        assert_eq!(sll2::SRC_ETH.first_byte(), sll2::ADDRESS.start);
        assert_eq!(sll::ETYPE.end_byte(), sll::LEN);
        assert_eq!(sll2::ADDRESS.end, sll2::LEN);
        assert_eq!(null::FAMILY.end_byte(), null::LEN);
        for f in [&sll::PKTTYPE, &sll::HATYPE, &sll::HALEN, &sll::ETYPE] {
            assert!(f.end_byte() <= sll::ADDRESS.start || f.first_byte() >= sll::ADDRESS.end);
        }
        assert_eq!(direction(4), Some("outgoing"));
        assert_eq!(direction(0), Some("incoming"));
        assert_eq!(packet_type_name(3), Some("otherhost"));
        assert!(ALL.iter().all(|f| !f.meaning.is_empty()));
    }
}
