//! What a packet names: every address in every layer (a frame's IP header, an
//! inner IP-in-IP header, a source route's hops, a quoted datagram, ARP's
//! addresses), found through the tables' `host` roles, and the layers whose
//! contents carry a packet rawlab does not take apart (a tunnel it has no table
//! for, an encapsulated packet in fragments). The off-host policy reads both
//! before anything is handed to the kernel; nothing here decides what is allowed.

use super::dissect::Dissection;
use super::{Field, Host, Kind, udp};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address a packet names.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub field: &'static Field,
    pub addr: IpAddr,
    /// Source or destination, as the table says.
    pub role: Host,
    /// In the copy of a datagram an ICMP error quotes.
    pub quoted: bool,
    /// Not in the outermost network header (an inner IP-in-IP header, a route's hop).
    pub inner: bool,
    /// In an option set by name: which address of which option, in words ("address 2
    /// of the loose source route, ip.opt.lsrr").
    pub option: Option<String>,
}

impl Named {
    /// Where in the packet, in words: "" for the outer header, or " in the quoted datagram".
    pub fn place(&self) -> &'static str {
        if self.quoted {
            " in the quoted datagram"
        } else if self.inner {
            " inside the packet"
        } else {
            ""
        }
    }
}

/// Which address of which option set by name a placed field is, in words.
fn in_option(
    l: &super::dissect::Layer,
    p: &super::dissect::Placed,
    packet: &[u8],
) -> Option<String> {
    let item = l.items.iter().find(|i| i.span.contains(&p.span.start))?;
    let code = item.fields.first()?.get(packet);
    let n = super::option_lists(l.proto)
        .flat_map(|list| list.named)
        .find(|n| n.code == code)?;
    let k = item
        .fields
        .iter()
        .filter(|f| f.field == p.field && f.span.start <= p.span.start)
        .count();
    let what = n.field.meaning.split(':').next().unwrap_or(n.field.meaning);
    Some(format!("address {k} of the {what}, {}", n.field.name))
}

/// Protocol numbers (IANA's, as ip.proto and ipv6.nxt carry them) of tunnels: what
/// follows is another packet, which a host that decapsulates sends on.
const IP_TUNNELS: &[(u128, &str)] = &[
    (4, "IPv4 in IP"),
    (41, "IPv6 in IP"),
    (47, "GRE"),
    (97, "EtherIP"),
    (98, "ENCAP"),
    (115, "L2TP"),
    (137, "MPLS in IP"),
];

/// EtherTypes whose payload is another packet rawlab takes apart only for IPv4 and IPv6.
const ETH_CARRIERS: &[(u128, &str)] = &[
    (0x0800, "IPv4"),
    (0x86dd, "IPv6"),
    (0x6558, "Ethernet bridging"),
    (0x8100, "802.1Q VLAN"),
    (0x88a8, "802.1ad VLAN"),
    (0x9100, "QinQ VLAN"),
    (0x8847, "MPLS"),
    (0x8848, "MPLS multicast"),
];

/// UDP ports Linux's own tunnels listen on (VXLAN, its old port, Geneve, L2TP).
const UDP_TUNNELS: &[(u128, &str)] = &[
    (4789, "VXLAN"),
    (8472, "VXLAN (Linux's old port)"),
    (6081, "Geneve"),
    (1701, "L2TP"),
];

impl Dissection {
    /// Every address the packet names in a field the tables mark as a host, outermost
    /// first. Fields cut short are left out: no address is there to send to.
    pub fn hosts(&self, packet: &[u8]) -> Vec<Named> {
        let mut out = Vec::new();
        // The outermost network header: its own two addresses are the packet's ends;
        // everything else (its route's hops, an inner header, a quote) lies inside.
        let outer = self
            .layers
            .iter()
            .position(|l| l.proto.addresses.is_some() && !l.quoted);
        for (i, l) in self.layers.iter().enumerate() {
            for p in l.placed(packet) {
                let role = p.field.host;
                if !matches!(role, Host::Source | Host::Destination | Host::Asked)
                    || p.span.end > packet.len()
                {
                    continue;
                }
                let raw = p.get(packet);
                let addr = match p.field.kind {
                    Kind::Ipv4 => IpAddr::V4(Ipv4Addr::from(raw as u32)),
                    Kind::Ipv6 => IpAddr::V6(Ipv6Addr::from(raw)),
                    _ => continue,
                };
                let ends = match outer {
                    Some(o) => {
                        i == o
                            && l.proto
                                .addresses
                                .is_some_and(|(s, d)| p.field == s || p.field == d)
                    }
                    // No IP header (ARP): the message's own addresses are its ends.
                    None => !l.quoted,
                };
                out.push(Named {
                    field: p.field,
                    addr,
                    role,
                    quoted: l.quoted,
                    inner: !ends,
                    option: in_option(l, &p, packet),
                });
            }
        }
        out
    }

    /// The first layer whose contents carry a packet whose addresses rawlab cannot read:
    /// a tunnel it has no table for, or an encapsulated packet it could not take apart
    /// (split into fragments, cut short). In words, naming the field; None when every
    /// packet inside was read.
    pub fn sealed(&self, packet: &[u8]) -> Option<String> {
        for (i, l) in self.layers.iter().enumerate() {
            if l.quoted {
                continue;
            }
            let next = self.layers.get(i + 1);
            // The next layer was read down to its addresses.
            let opened = || {
                next.is_some_and(|n| {
                    n.proto.addresses.is_some_and(|(s, d)| {
                        let end = n.start + s.end_byte().max(d.end_byte());
                        end <= n.hdr_end
                    })
                })
            };
            if let Some(f) = l.proto.next_field
                && l.fields(packet).any(|g| g == f)
            {
                let v = l.get(packet, f);
                let list = match l.proto.numbers {
                    "ip" => IP_TUNNELS,
                    "eth" => ETH_CARRIERS,
                    _ => &[],
                };
                if let Some((_, what)) = list.iter().find(|(n, _)| *n == v)
                    && !opened()
                {
                    return Some(format!(
                        "{} {v} ({what}) carries another packet, and rawlab could not read its addresses",
                        f.name
                    ));
                }
            }
            if l.proto == &udp::UDP && l.fields(packet).any(|g| g == &udp::DSTPORT) {
                let port = l.get(packet, &udp::DSTPORT);
                if let Some((_, what)) = UDP_TUNNELS.iter().find(|(n, _)| *n == port) {
                    return Some(format!(
                        "udp.dstport {port} is {what}'s, whose datagrams carry packets that a host with such a tunnel sends on, and rawlab does not take them apart"
                    ));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{arp, dissect::dissect, eth, ipv4, ipv6};

    fn ipv4_header(proto: u8, src: [u8; 4], dst: [u8; 4], len: usize) -> Vec<u8> {
        let mut b = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0];
        b[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        b.extend(src);
        b.extend(dst);
        b
    }

    #[test]
    fn a_frame_names_the_addresses_of_its_ip_header() {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00]);
        f.extend(ipv4_header(1, [198, 51, 100, 7], [127, 0, 0, 1], 28));
        f.extend([8, 0, 0, 0, 0, 0, 0, 0]);
        let d = dissect(&f, &eth::ETH);
        let h = d.hosts(&f);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h[0].field, &ipv4::SRC);
        assert_eq!(h[0].addr, "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(h[0].role, Host::Source);
        assert!(!h[0].inner && !h[0].quoted);
        assert_eq!(h[1].role, Host::Destination);
        assert_eq!(d.sealed(&f), None);
    }

    #[test]
    fn ip_in_ip_names_the_inner_header_as_inner() {
        let mut p = ipv4_header(4, [127, 0, 0, 1], [127, 0, 0, 1], 48);
        p.extend(ipv4_header(1, [127, 0, 0, 1], [8, 8, 8, 8], 28));
        p.extend([8, 0, 0, 0, 0, 0, 0, 0]);
        let d = dissect(&p, &ipv4::IPV4);
        let h = d.hosts(&p);
        let inner: Vec<_> = h.iter().filter(|n| n.inner).collect();
        assert_eq!(inner.len(), 2, "{h:?}");
        assert_eq!(inner[1].addr, "8.8.8.8".parse::<IpAddr>().unwrap());
        assert_eq!(inner[1].place(), " inside the packet");
        assert_eq!(d.sealed(&p), None);
    }

    #[test]
    fn a_source_routes_hops_are_destinations() {
        // LSRR (131), length 7, pointer 4, one hop 203.0.113.9, then end of list.
        let mut p = ipv4_header(1, [127, 0, 0, 1], [127, 0, 0, 1], 36);
        p[0] = 0x47;
        p.extend([131, 7, 4, 203, 0, 113, 9, 0]);
        p.extend([8, 0, 0, 0, 0, 0, 0, 0]);
        let d = dissect(&p, &ipv4::IPV4);
        let hop = d
            .hosts(&p)
            .into_iter()
            .find(|n| n.field == &ipv4::SRC_RT)
            .expect("the hop");
        assert_eq!(hop.addr, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert_eq!(hop.role, Host::Destination);
        assert!(hop.inner);
        assert_eq!(
            hop.option.as_deref(),
            Some("address 1 of the loose source route, ip.opt.lsrr")
        );
    }

    #[test]
    fn a_quoted_datagram_is_marked_quoted() {
        // Port unreachable quoting a UDP datagram from 127.0.0.1 to 192.0.2.99.
        let mut p = ipv4_header(1, [127, 0, 0, 1], [127, 0, 0, 1], 56);
        p.extend([3, 3, 0, 0, 0, 0, 0, 0]);
        p.extend(ipv4_header(17, [127, 0, 0, 1], [192, 0, 2, 99], 28));
        p.extend([0, 1, 0, 2, 0, 8, 0, 0]);
        let d = dissect(&p, &ipv4::IPV4);
        let q: Vec<_> = d.hosts(&p).into_iter().filter(|n| n.quoted).collect();
        assert_eq!(q.len(), 2, "{:?}", d.hosts(&p));
        assert_eq!(q[1].addr, "192.0.2.99".parse::<IpAddr>().unwrap());
        assert_eq!(q[1].place(), " in the quoted datagram");
    }

    #[test]
    fn arp_names_both_protocol_addresses() {
        let mut f = vec![0xff; 6];
        f.extend([0; 6]);
        f.extend([0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
        f.extend([0; 6]);
        f.extend([10, 9, 8, 7]);
        f.extend([0; 6]);
        f.extend([192, 0, 2, 2]);
        let d = dissect(&f, &eth::ETH);
        let h = d.hosts(&f);
        assert_eq!(
            h.iter().map(|n| (n.field, n.role)).collect::<Vec<_>>(),
            vec![
                (&arp::SRC_PROTO, Host::Source),
                (&arp::DST_PROTO, Host::Asked)
            ]
        );
    }

    #[test]
    fn tunnels_rawlab_cannot_open_are_sealed() {
        let mut gre = ipv4_header(47, [127, 0, 0, 1], [127, 0, 0, 1], 24);
        gre.extend([0, 0, 0x08, 0]);
        let d = dissect(&gre, &ipv4::IPV4);
        assert!(d.sealed(&gre).unwrap().contains("ip.proto 47 (GRE)"));
        // IP in IP whose inner header is cut before its addresses.
        let mut cut = ipv4_header(4, [127, 0, 0, 1], [127, 0, 0, 1], 30);
        cut.extend([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1]);
        let d = dissect(&cut, &ipv4::IPV4);
        assert!(d.sealed(&cut).unwrap().contains("(IPv4 in IP)"), "{d:?}");
        // A later fragment of IP in IP: no header inside to read.
        let mut frag = ipv4_header(4, [127, 0, 0, 1], [127, 0, 0, 1], 28);
        frag[7] = 1;
        frag.extend([0; 8]);
        let d = dissect(&frag, &ipv4::IPV4);
        assert!(d.sealed(&frag).is_some());
        // A VLAN tag in a frame.
        let mut vlan = vec![0u8; 12];
        vlan.extend([0x81, 0x00, 0, 1, 0x08, 0x00]);
        let d = dissect(&vlan, &eth::ETH);
        assert!(d.sealed(&vlan).unwrap().contains("802.1Q"));
        // VXLAN's port.
        let mut vx = ipv4_header(17, [127, 0, 0, 1], [127, 0, 0, 1], 28);
        vx.extend([0x30, 0x39, 0x12, 0xb5, 0, 8, 0, 0]);
        let d = dissect(&vx, &ipv4::IPV4);
        assert!(d.sealed(&vx).unwrap().contains("VXLAN"));
    }

    #[test]
    fn ipv6_routing_hops_are_destinations() {
        // IPv6 to ::1 with a type 0 routing header listing 2001:db8::9.
        let mut p = vec![0x60, 0, 0, 0, 0, 24, 43, 64];
        p.extend(Ipv6Addr::LOCALHOST.octets());
        p.extend(Ipv6Addr::LOCALHOST.octets());
        p.extend([59, 2, 0, 0, 0, 0, 0, 0]);
        p.extend("2001:db8::9".parse::<Ipv6Addr>().unwrap().octets());
        let d = dissect(&p, &ipv6::IPV6);
        let hops: Vec<_> = d
            .hosts(&p)
            .into_iter()
            .filter(|n| n.field == &ipv6::RT_SRC_ADDR)
            .collect();
        assert_eq!(hops.len(), 1, "{:?}", d.hosts(&p));
        assert!(hops[0].inner);
    }
}
