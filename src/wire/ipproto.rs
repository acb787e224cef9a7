//! IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), shared by
//! IPv4's ip.proto and IPv6's ipv6.nxt: the keyword users type (`set proto gre`)
//! and the protocol's name in words. Values 146–252 are unassigned.
//!
//! Keywords are IANA's, lowercased, except where Linux and Wireshark name the
//! number otherwise (4 `ipip`, 58 `icmpv6`, 89 `ospf`, 255 `raw`).

/// One list, two views: the full rows, and the (number, keyword) pairs a field's
/// `names` takes.
macro_rules! protocol_numbers {
    ($(($n:literal, $k:literal, $d:literal)),* $(,)?) => {
        /// Every assigned number: (number, keyword, what it is).
        pub const PROTOCOLS: &[(u8, &str, &str)] = &[$(($n, $k, $d)),*];
        /// The keywords as named values of ip.proto and ipv6.nxt.
        pub const NAMES: &[(u128, &str)] = &[$(($n, $k)),*];
    };
}

protocol_numbers![
    (0, "hopopt", "IPv6 Hop-by-Hop Option"),
    (1, "icmp", "Internet Control Message"),
    (2, "igmp", "Internet Group Management"),
    (3, "ggp", "Gateway-to-Gateway"),
    (4, "ipip", "IPv4 encapsulation (IP in IP)"),
    (5, "st", "Stream"),
    (6, "tcp", "Transmission Control"),
    (7, "cbt", "Core Based Trees"),
    (8, "egp", "Exterior Gateway Protocol"),
    (9, "igp", "any private interior gateway (Cisco IGRP)"),
    (10, "bbn-rcc-mon", "BBN RCC Monitoring"),
    (11, "nvp-ii", "Network Voice Protocol"),
    (12, "pup", "PUP"),
    (13, "argus", "ARGUS"),
    (14, "emcon", "EMCON"),
    (15, "xnet", "Cross Net Debugger"),
    (16, "chaos", "Chaos"),
    (17, "udp", "User Datagram"),
    (18, "mux", "Multiplexing"),
    (19, "dcn-meas", "DCN Measurement Subsystems"),
    (20, "hmp", "Host Monitoring"),
    (21, "prm", "Packet Radio Measurement"),
    (22, "xns-idp", "XEROX NS IDP"),
    (23, "trunk-1", "Trunk-1"),
    (24, "trunk-2", "Trunk-2"),
    (25, "leaf-1", "Leaf-1"),
    (26, "leaf-2", "Leaf-2"),
    (27, "rdp", "Reliable Data Protocol"),
    (28, "irtp", "Internet Reliable Transaction"),
    (29, "iso-tp4", "ISO Transport Protocol Class 4"),
    (30, "netblt", "Bulk Data Transfer Protocol"),
    (31, "mfe-nsp", "MFE Network Services Protocol"),
    (32, "merit-inp", "MERIT Internodal Protocol"),
    (33, "dccp", "Datagram Congestion Control Protocol"),
    (34, "3pc", "Third Party Connect Protocol"),
    (35, "idpr", "Inter-Domain Policy Routing Protocol"),
    (36, "xtp", "Xpress Transport Protocol"),
    (37, "ddp", "Datagram Delivery Protocol"),
    (38, "idpr-cmtp", "IDPR Control Message Transport Protocol"),
    (39, "tp++", "TP++ Transport Protocol"),
    (40, "il", "IL Transport Protocol"),
    (41, "ipv6", "IPv6 encapsulation"),
    (42, "sdrp", "Source Demand Routing Protocol"),
    (43, "ipv6-route", "Routing Header for IPv6"),
    (44, "ipv6-frag", "Fragment Header for IPv6"),
    (45, "idrp", "Inter-Domain Routing Protocol"),
    (46, "rsvp", "Reservation Protocol"),
    (47, "gre", "Generic Routing Encapsulation"),
    (48, "dsr", "Dynamic Source Routing Protocol"),
    (49, "bna", "BNA"),
    (50, "esp", "Encap Security Payload"),
    (51, "ah", "Authentication Header"),
    (52, "i-nlsp", "Integrated Net Layer Security"),
    (53, "swipe", "IP with Encryption"),
    (54, "narp", "NBMA Address Resolution Protocol"),
    (55, "min-ipv4", "Minimal IPv4 Encapsulation"),
    (56, "tlsp", "Transport Layer Security Protocol (Kryptonet)"),
    (57, "skip", "SKIP"),
    (58, "icmpv6", "ICMP for IPv6"),
    (59, "ipv6-nonxt", "No Next Header for IPv6"),
    (60, "ipv6-opts", "Destination Options for IPv6"),
    (61, "any-host-internal", "any host internal protocol"),
    (62, "cftp", "CFTP"),
    (63, "any-local-network", "any local network"),
    (64, "sat-expak", "SATNET and Backroom EXPAK"),
    (65, "kryptolan", "Kryptolan"),
    (66, "rvd", "MIT Remote Virtual Disk Protocol"),
    (67, "ippc", "Internet Pluribus Packet Core"),
    (68, "any-distributed-fs", "any distributed file system"),
    (69, "sat-mon", "SATNET Monitoring"),
    (70, "visa", "VISA Protocol"),
    (71, "ipcv", "Internet Packet Core Utility"),
    (72, "cpnx", "Computer Protocol Network Executive"),
    (73, "cphb", "Computer Protocol Heart Beat"),
    (74, "wsn", "Wang Span Network"),
    (75, "pvp", "Packet Video Protocol"),
    (76, "br-sat-mon", "Backroom SATNET Monitoring"),
    (77, "sun-nd", "SUN ND PROTOCOL-Temporary"),
    (78, "wb-mon", "WIDEBAND Monitoring"),
    (79, "wb-expak", "WIDEBAND EXPAK"),
    (80, "iso-ip", "ISO Internet Protocol"),
    (81, "vmtp", "VMTP"),
    (82, "secure-vmtp", "SECURE-VMTP"),
    (83, "vines", "VINES"),
    (84, "ttp", "Transaction Transport Protocol (also IPTM)"),
    (85, "nsfnet-igp", "NSFNET-IGP"),
    (86, "dgp", "Dissimilar Gateway Protocol"),
    (87, "tcf", "TCF"),
    (88, "eigrp", "EIGRP"),
    (89, "ospf", "Open Shortest Path First (OSPFIGP)"),
    (90, "sprite-rpc", "Sprite RPC Protocol"),
    (91, "larp", "Locus Address Resolution Protocol"),
    (92, "mtp", "Multicast Transport Protocol"),
    (93, "ax.25", "AX.25 Frames"),
    (
        94,
        "ka9q-ipip",
        "IP-within-IP Encapsulation Protocol (KA9Q)"
    ),
    (95, "micp", "Mobile Internetworking Control Protocol"),
    (96, "scc-sp", "Semaphore Communications Sec. Pro."),
    (97, "etherip", "Ethernet-within-IP Encapsulation"),
    (98, "encap", "Encapsulation Header"),
    (
        99,
        "any-private-encryption",
        "any private encryption scheme"
    ),
    (100, "gmtp", "GMTP"),
    (101, "ifmp", "Ipsilon Flow Management Protocol"),
    (102, "pnni", "PNNI over IP"),
    (103, "pim", "Protocol Independent Multicast"),
    (104, "aris", "ARIS"),
    (105, "scps", "SCPS"),
    (106, "qnx", "QNX"),
    (107, "a/n", "Active Networks"),
    (108, "ipcomp", "IP Payload Compression Protocol"),
    (109, "snp", "Sitara Networks Protocol"),
    (110, "compaq-peer", "Compaq Peer Protocol"),
    (111, "ipx-in-ip", "IPX in IP"),
    (112, "vrrp", "Virtual Router Redundancy Protocol"),
    (113, "pgm", "PGM Reliable Transport Protocol"),
    (114, "any-0-hop", "any 0-hop protocol"),
    (115, "l2tp", "Layer Two Tunneling Protocol v3"),
    (116, "ddx", "D-II Data Exchange (DDX)"),
    (117, "iatp", "Interactive Agent Transfer Protocol"),
    (118, "stp", "Schedule Transfer Protocol"),
    (119, "srp", "SpectraLink Radio Protocol"),
    (120, "uti", "UTI"),
    (121, "smp", "Simple Message Protocol"),
    (122, "sm", "Simple Multicast Protocol"),
    (123, "ptp", "Performance Transparency Protocol"),
    (124, "isis", "IS-IS over IPv4"),
    (125, "fire", "FIRE"),
    (126, "crtp", "Combat Radio Transport Protocol"),
    (127, "crudp", "Combat Radio User Datagram"),
    (128, "sscopmce", "SSCOPMCE"),
    (129, "iplt", "IPLT"),
    (130, "sps", "Secure Packet Shield"),
    (131, "pipe", "Private IP Encapsulation within IP"),
    (132, "sctp", "Stream Control Transmission Protocol"),
    (133, "fc", "Fibre Channel"),
    (134, "rsvp-e2e-ignore", "RSVP-E2E-IGNORE"),
    (135, "mobility-header", "Mobility Header for IPv6"),
    (136, "udplite", "UDP-Lite"),
    (137, "mpls-in-ip", "MPLS in IP"),
    (138, "manet", "MANET Protocols"),
    (139, "hip", "Host Identity Protocol"),
    (140, "shim6", "Shim6 Protocol"),
    (141, "wesp", "Wrapped Encapsulating Security Payload"),
    (142, "rohc", "Robust Header Compression"),
    (143, "ethernet", "Ethernet"),
    (144, "aggfrag", "AGGFRAG encapsulation payload for ESP"),
    (145, "nsh", "Network Service Header"),
    (
        253,
        "experiment-253",
        "use for experimentation and testing (RFC 3692)"
    ),
    (
        254,
        "experiment-254",
        "use for experimentation and testing (RFC 3692)"
    ),
    (255, "raw", "Reserved (IPPROTO_RAW on Linux)"),
];

/// What a protocol number is, in words, if IANA has assigned it.
pub fn describe(number: u128) -> Option<&'static str> {
    PROTOCOLS
        .iter()
        .find(|(n, _, _)| *n as u128 == number)
        .map(|(_, _, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_unique_and_typeable() {
        let mut names: Vec<&str> = NAMES.iter().map(|(_, n)| *n).collect();
        for k in &names {
            assert!(!k.contains(' ') && *k == k.to_ascii_lowercase(), "{k}");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), NAMES.len(), "keywords are unique");
        assert_eq!(NAMES.len(), 149);
        assert_eq!(describe(47), Some("Generic Routing Encapsulation"));
        assert_eq!(describe(200), None);
    }
}
