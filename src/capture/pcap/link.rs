//! Link types: what comes before the IP header in a capture file's frames, and
//! where the first layer rawlab has a table for begins.
//!
//! Ethernet frames go to the Ethernet table whole. The link headers that have no
//! table (Linux cooked v1 and v2, BSD and OpenBSD loopback) are read here just far
//! enough to find the protocol they carry, and shown as one dim "link" section.
//! [`decap`] is the one place that decides; a link layer that gets a table plugs
//! in there, as Ethernet did.

use crate::render::{LinkField, LinkHeader};
use crate::wire::cooked::{self, null, sll, sll2};
use crate::wire::{self, Field, Protocol};
use std::fmt::Write as _;

/// A pcap/pcapng link type (LINKTYPE_*, as tcpdump.org numbers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT_RAW as most systems number it; files written without translation carry it.
    pub const DLT_RAW: LinkType = LinkType(12);
    /// DLT_RAW as OpenBSD numbers it.
    pub const DLT_RAW_OPENBSD: LinkType = LinkType(14);
    /// Raw IP: the frame is an IPv4 or IPv6 packet, told apart by its version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (`tcpdump -i any`): a 16-byte pseudo-header.
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2: a 20-byte pseudo-header with the interface index.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// libpcap's name for it (`EN10MB`), as `tcpdump -r` prints it, or None if rawlab does not know it.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "EN10MB",
            12 | 14 | 101 => "RAW",
            108 => "LOOP",
            113 => "LINUX_SLL",
            228 => "IPV4",
            229 => "IPV6",
            276 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// What it is, in words.
    pub fn title(self) -> &'static str {
        match self.0 {
            0 => "BSD loopback",
            1 => "Ethernet",
            12 | 14 | 101 => "raw IP",
            108 => "OpenBSD loopback",
            113 => "Linux cooked v1",
            228 => "raw IPv4",
            229 => "raw IPv6",
            276 => "Linux cooked v2",
            _ => "unknown link type",
        }
    }

    /// `Ethernet (EN10MB, 1)`.
    pub fn words(self) -> String {
        match self.name() {
            Some(n) => format!("{} ({n}, {})", self.title(), self.0),
            None => format!("link type {} (rawlab does not read it)", self.0),
        }
    }
}

/// Where the first layer rawlab can dissect starts in a frame.
#[derive(Debug, Clone)]
pub struct Decap {
    /// The first layer, or None when rawlab has no table for what the frame carries.
    pub first: Option<&'static Protocol>,
    /// The link-layer header before it, read here rather than by a table.
    pub header: Option<LinkHeader>,
    /// When `first` is None: why the rest is shown as plain data.
    pub note: Option<String>,
}

impl Decap {
    /// Where `first` starts.
    pub fn start(&self) -> usize {
        self.header.as_ref().map_or(0, |h| h.len)
    }
}

/// The protocol a stack name stands for, if rawlab has a table for it (the first name
/// that resolves wins, so `ipv6` and `ip6` both find an IPv6 table however it is named).
fn named(names: &[&str]) -> Option<&'static Protocol> {
    names.iter().find_map(|n| wire::protocol_named(n))
}

/// EtherTypes a learner meets: the value, its name, and the stack names of the table
/// that reads it.
const ETHERTYPES: &[(u16, &str, &[&str])] = &[
    (0x0800, "IPv4", &["ip"]),
    (0x0806, "ARP", &["arp"]),
    (0x86dd, "IPv6", &["ipv6", "ip6"]),
    (0x8035, "RARP", &[]),
    (0x8100, "802.1Q VLAN", &[]),
    (0x88a8, "802.1ad QinQ", &[]),
    (0x8847, "MPLS", &[]),
    (0x88cc, "LLDP", &[]),
    (0x888e, "802.1X EAPOL", &[]),
];

fn ethertype_words(t: u16) -> String {
    match ETHERTYPES.iter().find(|(v, _, _)| *v == t) {
        Some((_, name, _)) => format!("0x{t:04x} ({name})"),
        None => format!("0x{t:04x}"),
    }
}

/// The table for what an EtherType carries: one that declares the code under "eth",
/// else one by its usual name.
fn by_ethertype(t: u16) -> Option<&'static Protocol> {
    wire::PROTOCOLS
        .iter()
        .copied()
        .find(|p| p.ids.contains(&("eth", u128::from(t))))
        .or_else(|| {
            ETHERTYPES
                .iter()
                .find(|(v, _, _)| *v == t)
                .and_then(|(_, _, names)| named(names))
        })
}

/// The IP table for a version nibble (raw IP frames say nothing else).
fn by_version(frame: &[u8]) -> (Option<&'static Protocol>, Option<String>) {
    match frame.first().map(|b| b >> 4) {
        Some(4) => found(named(&["ip"]), "IPv4"),
        Some(6) => found(named(&["ipv6", "ip6"]), "IPv6"),
        Some(v) => (
            None,
            Some(format!(
                "a raw IP frame whose version nibble is {v}, neither 4 nor 6; shown as data"
            )),
        ),
        None => (None, Some("an empty frame".to_string())),
    }
}

fn found(p: Option<&'static Protocol>, what: &str) -> (Option<&'static Protocol>, Option<String>) {
    match p {
        Some(p) => (Some(p), None),
        None => (None, Some(no_table(what))),
    }
}

fn no_table(what: &str) -> String {
    format!("it carries {what}, which rawlab has no table for yet; shown as data")
}

fn mac(b: &[u8]) -> String {
    let mut s = String::new();
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// The fixed fields of a header that lie wholly in the frame, read big-endian.
fn fixed(frame: &[u8], fields: &[&'static Field]) -> Vec<LinkField> {
    fields
        .iter()
        .filter(|f| f.end_byte() <= frame.len())
        .map(|f| LinkField {
            field: f,
            span: f.first_byte()..f.end_byte(),
            raw: f.get(frame),
        })
        .collect()
}

/// A cooked header's address field (`address`, 8 bytes) holding `halen` bytes of
/// address: a MAC under `eth`, another length as bytes, then what is left unused.
fn address(
    frame: &[u8],
    address: std::ops::Range<usize>,
    halen: usize,
    eth: &'static Field,
) -> Vec<LinkField> {
    let mut v = Vec::new();
    if frame.len() < address.end {
        return v;
    }
    let used = address.start..address.start + halen.min(address.len());
    if halen == 6 {
        v.push(LinkField {
            field: eth,
            span: used.clone(),
            raw: eth.get(frame),
        });
    } else if !used.is_empty() {
        v.push(LinkField {
            field: &cooked::SRC_OTHER,
            span: used.clone(),
            raw: 0,
        });
    }
    if used.end < address.end {
        v.push(LinkField {
            field: &cooked::UNUSED,
            span: used.end..address.end,
            raw: 0,
        });
    }
    v
}

/// The header of a link of `title` that Wireshark calls `protocol`.
fn header(
    protocol: &'static str,
    title: &str,
    len: usize,
    words: String,
    fields: Vec<LinkField>,
) -> LinkHeader {
    let packet_type = fields
        .iter()
        .find(|f| f.field.name == "sll.pkttype")
        .map(|f| f.raw);
    LinkHeader {
        len,
        title: title.to_string(),
        words,
        protocol,
        fields,
        packet_type,
    }
}

/// A link header cut short: all the bytes are header, nothing follows.
fn short(
    protocol: &'static str,
    title: &str,
    need: usize,
    frame: &[u8],
    fields: &[&'static Field],
) -> Decap {
    Decap {
        first: None,
        header: Some(header(
            protocol,
            title,
            frame.len(),
            format!("cut short: {} of {need} bytes", frame.len()),
            fixed(frame, fields),
        )),
        note: Some(format!(
            "the frame is {} bytes, shorter than a {need}-byte {title} header",
            frame.len()
        )),
    }
}

/// After a cooked header of `len` bytes that announces EtherType `t`.
fn carried(title: &str, len: usize, words: String, t: u16, fields: Vec<LinkField>) -> Decap {
    let first = by_ethertype(t);
    Decap {
        first,
        header: Some(header("sll", title, len, words, fields)),
        note: first
            .is_none()
            .then(|| no_table(&format!("EtherType {}", ethertype_words(t)))),
    }
}

/// Linux cooked packet types (`sll_pkttype`).
fn packet_type(t: u16) -> String {
    match t {
        0 => "to this host".into(),
        1 => "broadcast".into(),
        2 => "multicast".into(),
        3 => "to another host".into(),
        4 => "sent by this host".into(),
        t => format!("packet type {t}"),
    }
}

/// Where the first layer starts in a frame of this link type, and what is before it.
pub fn decap(link: LinkType, frame: &[u8]) -> Decap {
    match link {
        LinkType::RAW | LinkType::DLT_RAW | LinkType::DLT_RAW_OPENBSD => bare(by_version(frame)),
        LinkType::IPV4 => bare(found(named(&["ip"]), "IPv4")),
        LinkType::IPV6 => bare(found(named(&["ipv6", "ip6"]), "IPv6")),
        // The Ethernet table reads the header itself (addresses and type as fields,
        // coloured and in JSON), so the whole frame is handed over. Another link
        // layer that gets a table plugs in the same way.
        LinkType::ETHERNET => bare(found(
            wire::protocol_named("eth").filter(|p| p.starts),
            "Ethernet",
        )),
        LinkType::LINUX_SLL => cooked_v1(frame),
        LinkType::LINUX_SLL2 => cooked_v2(frame),
        LinkType::NULL | LinkType::LOOP => bsd_loopback(link, frame),
        other => Decap {
            first: None,
            header: None,
            note: Some(format!(
                "link type {} is not one rawlab reads (it reads Ethernet, raw IP, Linux cooked v1 and v2, and BSD loopback); shown as data",
                other.0
            )),
        },
    }
}

/// A link type with no header before the first layer.
fn bare((first, note): (Option<&'static Protocol>, Option<String>)) -> Decap {
    Decap {
        first,
        header: None,
        note,
    }
}

/// A Linux cooked v1 header (LINKTYPE_LINUX_SLL): packet type, hardware type, the
/// sender's address, EtherType.
fn cooked_v1(frame: &[u8]) -> Decap {
    const V1: &[&Field] = &[&sll::PKTTYPE, &sll::HATYPE, &sll::HALEN, &sll::ETYPE];
    if frame.len() < sll::LEN {
        return short("sll", "Linux cooked v1", sll::LEN, frame, V1);
    }
    let get = |f: &Field| f.get(frame);
    let proto = get(&sll::ETYPE) as u16;
    let halen = get(&sll::HALEN) as usize;
    let shown = sll::ADDRESS.start..sll::ADDRESS.start + halen.min(sll::ADDRESS.len());
    let words = format!(
        "{}, from {}, type {}",
        packet_type(get(&sll::PKTTYPE) as u16),
        mac(&frame[shown]),
        ethertype_words(proto)
    );
    let mut fields = fixed(frame, &V1[..3]);
    fields.extend(address(frame, sll::ADDRESS, halen, &sll::SRC_ETH));
    fields.extend(fixed(frame, &V1[3..]));
    carried("Linux cooked v1", sll::LEN, words, proto, fields)
}

/// A Linux cooked v2 header (LINKTYPE_LINUX_SLL2): EtherType, interface, hardware
/// type, packet type, the sender's address.
fn cooked_v2(frame: &[u8]) -> Decap {
    const V2: &[&Field] = &[
        &sll2::ETYPE,
        &sll2::RESERVED,
        &sll2::IFINDEX,
        &sll2::HATYPE,
        &sll2::PKTTYPE,
        &sll2::HALEN,
    ];
    if frame.len() < sll2::LEN {
        return short("sll", "Linux cooked v2", sll2::LEN, frame, V2);
    }
    let get = |f: &Field| f.get(frame);
    let proto = get(&sll2::ETYPE) as u16;
    let halen = get(&sll2::HALEN) as usize;
    let shown = sll2::ADDRESS.start..sll2::ADDRESS.start + halen.min(sll2::ADDRESS.len());
    let words = format!(
        "{}, interface {}, from {}, type {}",
        packet_type(get(&sll2::PKTTYPE) as u16),
        get(&sll2::IFINDEX),
        mac(&frame[shown]),
        ethertype_words(proto)
    );
    let mut fields = fixed(frame, V2);
    fields.extend(address(frame, sll2::ADDRESS, halen, &sll2::SRC_ETH));
    carried("Linux cooked v2", sll2::LEN, words, proto, fields)
}

/// A BSD loopback header (NULL in the writer's byte order, LOOP in network order):
/// the address family of what follows.
fn bsd_loopback(link: LinkType, frame: &[u8]) -> Decap {
    let title = link.title();
    let span = null::FAMILY.first_byte()..null::FAMILY.end_byte();
    let Some(b) = frame.get(span.clone()) else {
        return short("null", title, null::LEN, frame, &[]);
    };
    let b: [u8; 4] = b.try_into().expect("4 bytes");
    let family = if link == LinkType::LOOP {
        u32::from_be_bytes(b)
    } else {
        // The writer's own byte order: families are small numbers, so the order
        // that gives one is the right one.
        let le = u32::from_le_bytes(b);
        if le & 0xffff_0000 == 0 {
            le
        } else {
            u32::from_be_bytes(b)
        }
    };
    let (first, what) = match family {
        2 => (named(&["ip"]), "IPv4"),
        // AF_INET6 is 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS, 10 on Linux.
        10 | 24 | 28 | 30 => (named(&["ipv6", "ip6"]), "IPv6"),
        _ => (None, ""),
    };
    let words = if what.is_empty() {
        format!("address family {family}")
    } else {
        format!("address family {family} ({what})")
    };
    let note = match (first, what) {
        (Some(_), _) => None,
        (None, "") => Some(format!("address family {family} is not IP; shown as data")),
        (None, w) => Some(no_table(w)),
    };
    let fields = vec![LinkField {
        field: &null::FAMILY,
        span,
        raw: u128::from(family),
    }];
    Decap {
        first,
        header: Some(header("null", title, null::LEN, words, fields)),
        note,
    }
}

/// The link type for a file of packets that start with `first`: raw IP for IPv4 and
/// IPv6, Ethernet once rawlab has a table for it.
pub fn link_type_for(first: &Protocol) -> Option<LinkType> {
    match first.name {
        "ip" | "ipv4" | "ip6" | "ipv6" => Some(LinkType::RAW),
        "eth" => Some(LinkType::ETHERNET),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::IPV4;

    /// The post's request, as the kernel put it on the wire.
    const IP: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

    fn framed(header: &[u8]) -> Vec<u8> {
        let mut v = header.to_vec();
        v.extend(IP);
        v
    }

    fn assert_ip_at(d: &Decap, at: usize) {
        assert_eq!(d.first, Some(&IPV4), "{d:?}");
        assert_eq!(d.start(), at, "{d:?}");
        assert!(d.note.is_none(), "{d:?}");
    }

    #[test]
    fn raw_ip_by_version_nibble_under_every_number() {
        for l in [
            LinkType::RAW,
            LinkType::DLT_RAW,
            LinkType::DLT_RAW_OPENBSD,
            LinkType::IPV4,
        ] {
            let d = decap(l, &IP);
            assert_ip_at(&d, 0);
            assert!(d.header.is_none());
        }
        let mut v6 = IP;
        v6[0] = 0x60;
        let d = decap(LinkType::RAW, &v6);
        // IPv6 is dissected when a table for it exists, otherwise shown as data with a reason.
        match d.first {
            Some(p) => assert!(p.name.contains('6'), "{p:?}"),
            None => assert!(d.note.unwrap().contains("IPv6"), "no reason given"),
        }
        let mut v5 = IP;
        v5[0] = 0x55;
        let d = decap(LinkType::RAW, &v5);
        assert!(d.first.is_none());
        assert!(d.note.unwrap().contains("version nibble is 5"));
    }

    #[test]
    fn ethernet_frames_go_whole_to_the_ethernet_table() {
        let mut h = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
        h.extend([0x08, 0x00]);
        let d = decap(LinkType::ETHERNET, &framed(&h));
        assert_eq!(d.first.map(|p| p.name), Some("eth"));
        assert_eq!(d.start(), 0);
        assert!(d.header.is_none() && d.note.is_none());
    }

    #[test]
    fn cooked_frames_carrying_what_no_table_reads_say_so() {
        // LLDP (0x88cc) under Linux cooked v1: rawlab has no LLDP table.
        let mut f = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0xcc];
        f.extend([0u8; 20]);
        let d = decap(LinkType::LINUX_SLL, &f);
        assert!(d.first.is_none());
        assert_eq!(d.start(), 16);
        assert_eq!(
            d.note.unwrap(),
            "it carries EtherType 0x88cc (LLDP), which rawlab has no table for yet; shown as data"
        );
    }

    #[test]
    fn linux_cooked_v1() {
        // Outgoing on lo: packet type 4, ARPHRD_LOOPBACK (772), 6-byte zero address, IPv4.
        let h = [
            0x00, 0x04, 0x03, 0x04, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x08, 0x00,
        ];
        let d = decap(LinkType::LINUX_SLL, &framed(&h));
        assert_ip_at(&d, 16);
        let h = d.header.unwrap();
        assert_eq!(
            h.words,
            "sent by this host, from 00:00:00:00:00:00, type 0x0800 (IPv4)"
        );
        // Its fields, from the table, with the address field split as halen says.
        let fields: Vec<(&str, std::ops::Range<usize>, u128)> = h
            .fields
            .iter()
            .map(|f| (f.field.name, f.span.clone(), f.raw))
            .collect();
        assert_eq!(
            fields,
            [
                ("sll.pkttype", 0..2, 4),
                ("sll.hatype", 2..4, 772),
                ("sll.halen", 4..6, 6),
                ("sll.src.eth", 6..12, 0),
                ("sll.unused", 12..14, 0),
                ("sll.etype", 14..16, 0x0800),
            ]
        );
        assert_eq!((h.protocol, h.packet_type), ("sll", Some(4)));
    }

    #[test]
    fn linux_cooked_v2() {
        let h2 = [
            0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x04, 0x00, 0x06, 0, 0, 0, 0, 0,
            0, 0, 0,
        ];
        let d = decap(LinkType::LINUX_SLL2, &framed(&h2));
        assert_ip_at(&d, 20);
        let h = d.header.unwrap();
        assert_eq!(
            h.words,
            "to this host, interface 1, from 00:00:00:00:00:00, type 0x0800 (IPv4)"
        );
        let names: Vec<&str> = h.fields.iter().map(|f| f.field.name).collect();
        assert_eq!(
            names,
            [
                "sll.etype",
                "sll.reserved",
                "sll.ifindex",
                "sll.hatype",
                "sll.pkttype",
                "sll.halen",
                "sll.src.eth",
                "sll.unused"
            ]
        );
        assert_eq!(h.fields[2].raw, 1, "interface 1");
        assert_eq!(h.packet_type, Some(0));
        // An address of another length is bytes.
        let mut odd = h2.to_vec();
        odd[11] = 4;
        let h = decap(LinkType::LINUX_SLL2, &framed(&odd)).header.unwrap();
        let tail: Vec<(&str, std::ops::Range<usize>)> = h.fields[6..]
            .iter()
            .map(|f| (f.field.name, f.span.clone()))
            .collect();
        assert_eq!(tail, [("sll.src.other", 12..16), ("sll.unused", 16..20)]);
    }

    #[test]
    fn bsd_null_in_either_byte_order_and_openbsd_loop() {
        let d = decap(LinkType::NULL, &framed(&[2, 0, 0, 0]));
        assert_ip_at(&d, 4);
        assert_eq!(d.header.unwrap().words, "address family 2 (IPv4)");
        let d = decap(LinkType::NULL, &framed(&[0, 0, 0, 2]));
        assert_ip_at(&d, 4);
        // In either byte order, the family the writer meant.
        let h = d.header.unwrap();
        assert_eq!(
            (h.protocol, h.fields[0].field.name),
            ("null", "null.family")
        );
        assert_eq!((h.fields[0].raw, h.fields[0].span.clone()), (2, 0..4));
        let d = decap(LinkType::LOOP, &framed(&[0, 0, 0, 2]));
        assert_ip_at(&d, 4);
        let d = decap(LinkType::NULL, &framed(&[7, 0, 0, 0]));
        assert!(d.first.is_none());
        assert!(d.note.unwrap().contains("address family 7 is not IP"));
    }

    #[test]
    fn headers_cut_short_never_panic() {
        let full = framed(&[
            0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x04, 0x00, 0x06, 0, 0, 0, 0, 0,
            0, 0, 0,
        ]);
        for l in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999] {
            for cut in 0..full.len() {
                let d = decap(LinkType(l), &full[..cut]);
                assert!(d.start() <= cut, "link {l} cut {cut}: {d:?}");
            }
        }
        let d = decap(LinkType::LINUX_SLL2, &full[..7]);
        assert_eq!(
            d.note.unwrap(),
            "the frame is 7 bytes, shorter than a 20-byte Linux cooked v2 header"
        );
    }

    #[test]
    fn unknown_link_types_are_named_and_shown_as_data() {
        let d = decap(LinkType(147), &IP);
        assert!(d.first.is_none());
        assert!(
            d.note
                .unwrap()
                .starts_with("link type 147 is not one rawlab reads")
        );
        assert_eq!(
            LinkType(147).words(),
            "link type 147 (rawlab does not read it)"
        );
        assert_eq!(LinkType::ETHERNET.words(), "Ethernet (EN10MB, 1)");
    }
}
