//! Why no reply came: what the kernel counted around a send, then the explanations the
//! bytes suggest that the counts do not contradict. Each explanation names the field
//! and the setting it rests on.

use super::*;
use crate::net::counters::Counted;
use std::net::{IpAddr, Ipv4Addr};

/// What silence is judged against: where the packet went and who could answer.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    pub sandboxed: bool,
    /// The addresses of this network's own interfaces.
    pub local: Vec<Ipv4Addr>,
    /// Hosts on the sandbox's links: (IPv4 address, MAC, interface it is reached on).
    pub peers: Vec<(Ipv4Addr, [u8; 6], String)>,
    /// For a frame: the interface it was handed to.
    pub link: Option<LinkPlace>,
    /// Whether this network's kernel forwards IPv4 (net.ipv4.ip_forward is 1).
    pub forwarding: bool,
    /// What the kernels counted while the send ran.
    pub counted: Evidence,
    /// Asks the kernel for its route from one address to another: the source it would
    /// send from, or why it will not (net::route_from). None in tests, where no kernel
    /// is asked.
    pub route: Option<fn(IpAddr, IpAddr) -> std::io::Result<IpAddr>>,
}

/// What the kernel counted while a send ran (see [`crate::net::counters`]): in this
/// network namespace and in the sandbox peer's, the two kernels a packet can reach.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub here: Option<Counted>,
    pub peer: Option<Counted>,
}

impl Evidence {
    /// How much `table name` moved in either kernel.
    pub fn by(&self, table: &str, name: &str) -> i64 {
        [&self.here, &self.peer]
            .iter()
            .filter_map(|c| c.as_ref())
            .map(|c| c.by(table, name))
            .sum()
    }

    /// `Icmp InCsumErrors +1` (`the peer's Icmp InEchoReps +1` when it was the peer's
    /// kernel), when the counter moved.
    pub fn cite(&self, table: &str, name: &str) -> Option<String> {
        let here = self.here.as_ref().map_or(0, |c| c.by(table, name));
        let peer = self.peer.as_ref().map_or(0, |c| c.by(table, name));
        match (here, peer) {
            (0, 0) => None,
            (h, 0) => Some(format!("{table} {name} {h:+}")),
            (0, p) => Some(format!("the peer's {table} {name} {p:+}")),
            (h, p) => Some(format!("{table} {name} {h:+}, the peer's {p:+}")),
        }
    }

    /// Whether this namespace's counters could be read at all.
    pub fn known(&self) -> bool {
        self.here.is_some()
    }

    /// Whether either kernel counted something coming in for `table`.
    fn counted_in(&self, table: &str) -> bool {
        [&self.here, &self.peer]
            .iter()
            .filter_map(|c| c.as_ref())
            .any(|c| c.counted_in(table))
    }

    /// What the counters say of "this layer's checksum is wrong".
    fn checksum(&self, proto: &crate::wire::Protocol, v6: bool) -> Verdict {
        let (table, good) = match proto.name {
            "icmp" => (
                "Icmp",
                self.by("Icmp", "InMsgs") - self.by("Icmp", "InErrors"),
            ),
            "icmpv6" => (
                "Icmp6",
                self.by("Icmp6", "InMsgs") - self.by("Icmp6", "InErrors"),
            ),
            "tcp" => ("Tcp", self.by("Tcp", "InSegs") - self.by("Tcp", "InErrs")),
            "udp" => {
                let t = if v6 { "Udp6" } else { "Udp" };
                (t, self.by(t, "InDatagrams") + self.by(t, "NoPorts"))
            }
            // An IPv4 header's checksum: IP counts it in IpExt.
            "ip" => ("IpExt", self.by("Ip", "InDelivers")),
            _ => return Verdict::Unknown,
        };
        if let Some(c) = self.cite(table, "InCsumErrors") {
            Verdict::Counted(c)
        } else if !self.known() {
            Verdict::Unknown
        } else if good > 0 {
            // It arrived and its checksum passed: whatever rawlab computed, it is not why.
            Verdict::Contradicted
        } else if !self.counted_in(if table == "IpExt" { "Ip" } else { table }) {
            Verdict::NotReached(table)
        } else {
            Verdict::Unknown
        }
    }
}

/// How the counters bear on one explanation.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// The counter that says so moved: here it is, cited.
    Counted(String),
    /// The kernel counted the opposite: the explanation is not printed.
    Contradicted,
    /// Nothing of that table counted anything coming in: the packet never got there.
    NotReached(&'static str),
    /// The counters do not say (or could not be read).
    Unknown,
}

/// The interface a frame went out on, and the hosts known to be on its link.
#[derive(Debug, Clone, Default)]
pub struct LinkPlace {
    pub iface: String,
    pub loopback: bool,
    /// (IPv4 address, MAC): the sandbox's peer, the kernel's neighbour table.
    pub neighbours: Vec<(Ipv4Addr, [u8; 6])>,
}

/// Why a request may have earned no reply, from evidence in the bytes rawlab
/// handed to the kernel and in the system's settings. Most likely first.
pub fn silence_reasons(
    built: &[u8],
    first: &'static crate::wire::Protocol,
    dst: std::net::IpAddr,
    around: &Surroundings,
) -> Vec<String> {
    let mut why = Vec::new();
    let d = dissect(built, first);
    let dst4 = match dst {
        std::net::IpAddr::V4(a) => a,
        std::net::IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    };
    if first == &eth::ETH {
        why.extend(frame_reasons(built, &d, around));
    }
    if let Some(l) = d
        .layers
        .iter()
        .find(|l| l.proto == &arp::ARP && l.complete())
    {
        why.extend(arp_reasons(&built[l.start..l.hdr_end], around));
    }
    match (ip_layer(&d), net_layer(&d)) {
        (Some(ip), _) => why.extend(ip_reasons(built, &d, ip, dst4, around)),
        (None, Some(net)) => why.extend(net_reasons(built, &d, net, dst, around)),
        (None, None) if first.addresses.is_some() => {
            return vec![format!(
                "the packet is shorter than an {} header",
                first.title
            )];
        }
        (None, None) => {}
    }
    if why.is_empty() {
        why.push("nothing in the packet explains it; a firewall rule (nft list ruleset) may drop it, or the timeout may be too short (set timeout 2s)".into());
    }
    why
}

/// What in an Ethernet header keeps a frame from its receiver.
fn frame_reasons(built: &[u8], d: &Dissection, around: &Surroundings) -> Vec<String> {
    let mut why = Vec::new();
    let Some(e) = d.layers.first().filter(|l| l.complete()) else {
        return vec!["the frame is shorter than an Ethernet header (14 bytes)".into()];
    };
    let ty = e.get(built, &eth::TYPE);
    if d.layers.len() == 1 {
        why.push(format!(
            "eth.type is {}: the receiving kernel has no protocol for it, so the payload goes to nobody",
            eth::TYPE.words(ty)
        ));
    }
    let Some(link) = &around.link else {
        return why;
    };
    let mac = e.get(built, &eth::DST);
    if eth::is_group(mac) {
        return why;
    }
    // Who should get it: the owner of the IPv4 destination, or of the address ARP asks about.
    let target = ip_layer(d)
        .map(|l| l.get(built, &ipv4::DST))
        .or_else(|| {
            d.layers
                .iter()
                .find(|l| l.proto == &arp::ARP && l.complete())
                .map(|l| l.get(built, &arp::DST_PROTO))
        })
        .map(|a| Ipv4Addr::from(a as u32));
    let words = eth::DST.words(mac);
    if link.loopback {
        if mac != 0 {
            why.push(format!(
                "eth.dst is {words}, but lo's address is 00:00:00:00:00:00: the kernel marks a frame to any other MAC PACKET_OTHERHOST (for another host) and drops it before IP sees it; use 00:00:00:00:00:00 or broadcast"
            ));
        }
        return why;
    }
    let owner = target.and_then(|t| {
        link.neighbours
            .iter()
            .find(|(a, _)| *a == t)
            .map(|(a, m)| (*a, *m))
    });
    match owner {
        Some((addr, m)) if crate::wire::template::mac_raw(m) != mac => why.push(format!(
            "eth.dst is {words}, but {addr} is at {}: a network card keeps only frames addressed to its own MAC (or broadcast), so {addr}'s card drops this one — its kernel marks it PACKET_OTHERHOST — before IP sees it. The MAC comes from an ARP reply: `new eth/arp` asks for it",
            crate::wire::mac_words(crate::wire::template::mac_raw(m))
        )),
        Some(_) => {}
        None if !link.neighbours.iter().any(|(_, m)| crate::wire::template::mac_raw(*m) == mac) => {
            why.push(format!(
                "eth.dst is {words}, and no host rawlab knows of on {} has that MAC: a card drops a frame addressed to another MAC before IP sees it",
                link.iface
            ))
        }
        None => {}
    }
    why
}

/// What in an ARP message keeps it unanswered.
fn arp_reasons(msg: &[u8], around: &Surroundings) -> Vec<String> {
    let mut why = arp::unanswerable(msg);
    if let Some(link) = &around.link {
        if link.loopback {
            why.push("lo is NOARP: it has no neighbours to ask, and Linux drops every ARP message that arrives on it".into());
            return why;
        }
        let asked = Ipv4Addr::from(arp::DST_PROTO.get(msg) as u32);
        if !link.neighbours.iter().any(|(a, _)| *a == asked) && !around.local.contains(&asked) {
            let known: Vec<String> = link.neighbours.iter().map(|(a, _)| a.to_string()).collect();
            why.push(if known.is_empty() {
                format!("arp.dst.proto_ipv4 is {asked}: no host rawlab knows of on {} has it, and only the owner answers", link.iface)
            } else {
                format!(
                    "arp.dst.proto_ipv4 is {asked}: nobody on {}'s link has that address (it holds {}), and only the owner answers",
                    link.iface,
                    known.join(", ")
                )
            });
        }
    }
    why
}

/// What in an IPv4 header (and the layers it carries) keeps a packet unanswered.
fn ip_reasons(
    built: &[u8],
    d: &Dissection,
    ip: &Layer,
    dst: Ipv4Addr,
    around: &Surroundings,
) -> Vec<String> {
    let look = IpLook {
        built,
        d,
        ip,
        around,
        in_frame: ip.start > 0,
    };
    let mut why = Vec::new();
    let fragment = look.header(&mut why);
    look.carried(fragment, &mut why);
    // The kernel answers from, and a frame goes to, the address in the header; what
    // rawlab hands to sendto is the destination otherwise.
    let dst = if look.in_frame {
        Ipv4Addr::from(look.get(&ipv4::DST) as u32)
    } else {
        dst
    };
    look.source(dst, &mut why);
    look.destination(dst, &mut why);
    look.echo_ignored(&mut why);
    why
}

/// An IPv4 packet that earned no answer, looked at for why.
struct IpLook<'a> {
    built: &'a [u8],
    d: &'a Dissection,
    ip: &'a Layer,
    around: &'a Surroundings,
    /// Sent as a frame (mode link): no kernel on the way fills anything in.
    in_frame: bool,
}

impl IpLook<'_> {
    fn get(&self, f: &Field) -> u128 {
        self.ip.get(self.built, f)
    }

    /// Whether it asks for an echo.
    fn asks_echo(&self) -> bool {
        self.d.layers.iter().any(|l| {
            l.proto == &icmp::ICMP
                && l.complete()
                && l.get(self.built, &icmp::TYPE) == icmp::ECHO_REQUEST
        })
    }

    /// The header's own faults: version, length, being a fragment (returned).
    fn header(&self, why: &mut Vec<String>) -> bool {
        let around = self.around;
        let get = |f: &Field| self.get(f);
        let hdr_errors = around
            .counted
            .cite("Ip", "InHdrErrors")
            .map_or(String::new(), |c| format!(" (it counted {c})"));
        if get(&ipv4::VERSION) != 4 {
            why.push(format!(
            "ip.version is {}: a receiving kernel drops anything that is not version 4{hdr_errors}",
            get(&ipv4::VERSION)
        ));
        }
        let ihl = get(&ipv4::HDR_LEN);
        if ihl < 5 {
            why.push(format!(
                "ip.hdr_len is {} bytes: below 20, the receiver discards the header{hdr_errors}",
                ipv4::HDR_LEN.shown(ihl)
            ));
        }
        let fragment = get(&ipv4::FLAG_MF) == 1 || get(&ipv4::FRAG_OFFSET) != 0;
        if fragment {
            why.push(fragment_words(
                get(&ipv4::FLAG_MF) == 1,
                ipv4::FRAG_OFFSET.shown(get(&ipv4::FRAG_OFFSET)),
                false,
                &around.counted,
            ));
        }
        fragment
    }

    /// The layers it carries: one ip.proto does not name, checksums that are wrong or
    /// cover a source the kernel writes later.
    fn carried(&self, fragment: bool, why: &mut Vec<String>) {
        let (built, d, ip, around, in_frame) =
            (self.built, self.d, self.ip, self.around, self.in_frame);
        let get = |f: &Field| self.get(f);
        let layers = d
            .layers
            .iter()
            .enumerate()
            .skip_while(|(_, l)| l.start != ip.start);
        for (k, (i, l)) in layers
            .enumerate()
            .filter(|(_, (_, l))| l.complete() && !l.quoted)
        {
            // A fragment's checksums cover the whole datagram, which never arrives: the
            // kernel judges none of them (and rawlab's sum over one piece means nothing).
            if fragment && k > 0 {
                break;
            }
            if k > 0 {
                let proto = get(&ipv4::PROTO);
                if l.proto.id_under(&ipv4::IPV4).is_some_and(|p| p != proto) {
                    why.push(format!(
                        "ip.proto says {}, so the receiver does not read the {} header you built",
                        ipv4::PROTO.words(proto),
                        l.proto.title
                    ));
                }
            }
            for e in (l.proto.expected)(&d.scope(i, built)) {
                let (f, want) = (e.field, e.want);
                let verdict = around.counted.checksum(l.proto, false);
                // A checksum over the pseudo-header covers the source the kernel fills in later.
                if e.offloaded.is_some() && get(&ipv4::SRC) == 0 && !in_frame {
                    why.extend(checksum_words(
                    &format!(
                        "ip.src is unset, left for the kernel to fill, but {} covers the source address: rawlab computed it over zeros, the kernel then wrote the real source",
                        f.name
                    ),
                    ". Set ip.src (the loopback address on lo)",
                    l.proto,
                    &verdict,
                ));
                }
                let have = l.get(built, f);
                // On a raw IP socket the kernel rewrites the IP checksum, so only in a frame
                // does a wrong one reach the receiver.
                if have != want && (in_frame || l.start != ip.start) {
                    why.extend(checksum_words(
                        &format!(
                            "{} is {}, but the bytes add up to {}",
                            f.name,
                            f.words(have),
                            f.words(want)
                        ),
                        "",
                        l.proto,
                        &verdict,
                    ));
                }
            }
        }
    }

    /// A source that is no address of this host, so the answer goes elsewhere.
    fn source(&self, to: Ipv4Addr, why: &mut Vec<String>) {
        let src = Ipv4Addr::from(self.get(&ipv4::SRC) as u32);
        if src.is_unspecified() && self.in_frame {
            why.push("ip.src is 0.0.0.0: inside a frame no kernel fills it, and a receiver drops a packet from 0.0.0.0 (a martian source)".into());
        } else if !src.is_unspecified() && !src.is_loopback() && !self.around.local.contains(&src) {
            // The kernel answers from the address the packet was sent to.
            why.push(elsewhere_words(
                "ip.src",
                src.into(),
                to.into(),
                self.asks_echo()
                    .then_some(("Icmp", "InEchos", "OutEchoReps", "InEchoReps")),
                self.around,
            ));
        }
    }

    /// A destination nobody here answers for, by where it was sent.
    fn destination(&self, dst: Ipv4Addr, why: &mut Vec<String>) {
        let around = self.around;
        let src = Ipv4Addr::from(self.get(&ipv4::SRC) as u32);
        let peer_addrs: Vec<String> = around.peers.iter().map(|(a, _, _)| a.to_string()).collect();
        let at_peer = around.peers.iter().any(|(a, _, _)| *a == dst);
        // A frame injected on lo arrives without the route a locally sent packet carries,
        // so the kernel routes it as if it came from outside the host.
        let sysctl = |name: &str| {
            ["all", "lo"].iter().any(|dev| {
                std::fs::read_to_string(format!("/proc/sys/net/ipv4/conf/{dev}/{name}"))
                    .is_ok_and(|v| v.trim() == "1")
            })
        };
        if around.link.as_ref().is_some_and(|l| l.loopback) {
            if dst.is_loopback() && !sysctl("route_localnet") {
                why.push(format!(
                "ip.dst is {dst}: a frame handed to lo through AF_PACKET arrives without the route a packet the host sends itself carries, so the kernel routes it as if from outside, and 127.0.0.0/8 from outside is martian (net.ipv4.conf.lo.route_localnet is 0): dropped. The sandbox's peer answers frames: `mode link veth0`"
            ));
            }
            if around.local.contains(&src) && !sysctl("accept_local") {
                why.push(format!(
                "ip.src is {src}, this host's own address: arriving from outside, the kernel takes it for a forgery and drops it (net.ipv4.conf.lo.accept_local is 0)"
            ));
            }
        }
        match &around.link {
        Some(link) if link.loopback && !dst.is_loopback() && !around.local.contains(&dst) => {
            // The kernel forwards only what was sent to it at the link layer too
            // (PACKET_HOST): a frame to a group address it takes in, but routes no further.
            let group = self
                .d
                .layers
                .iter()
                .find(|l| l.proto == &eth::ETH)
                .map(|e| e.get(self.built, &eth::DST))
                .filter(|mac| eth::is_group(*mac));
            why.push(if let Some(mac) = group.filter(|_| around.forwarding) {
                format!(
                    "ip.dst is {dst}, not an address of this host; this host forwards (net.ipv4.ip_forward is 1), but not this frame: it goes to eth.dst {}, a group address, and the kernel routes on only a frame sent to lo's own MAC (00:00:00:00:00:00), so it dropped this one. `set eth.dst 00:00:00:00:00:00` and it would go on towards {dst}",
                    crate::wire::mac_words(mac)
                )
            } else if around.forwarding {
                format!(
                    "ip.dst is {dst}, not an address of this host, and this host forwards (net.ipv4.ip_forward is 1): the kernel takes a frame on lo in as if it had arrived from outside and routes it on towards {dst}, so any answer comes from there, not from this kernel"
                )
            } else {
                format!(
                    "ip.dst is {dst}, not an address of this host: a frame on lo reaches only this kernel, which does not forward (net.ipv4.ip_forward is 0) and drops a packet for someone else"
                )
            })
        }
        Some(link) if !link.loopback && around.local.contains(&dst) => why.push(format!(
            "ip.dst is {dst}, this host's own address: a frame handed to {} leaves on the cable and only the host at its far end sees it",
            link.iface
        )),
        Some(link)
            if !link.loopback
                && !link.neighbours.iter().any(|(a, _)| *a == dst)
                && around.sandboxed
                && !crate::net::peer::behind_the_peer(dst) =>
        {
            why.push(format!(
                "ip.dst is {dst}: the host on {}'s far end is {}, which forwards only to the far cable ({}), so it drops a packet for anyone else (and says so with ICMP network unreachable, at most about one a second)",
                link.iface,
                peer_addrs.join(", "),
                crate::net::peer::FAR_NET
            ))
        }
        Some(_) => {}
        None if dst.is_loopback()
            || at_peer
            || around.local.contains(&dst)
            || (around.sandboxed && crate::net::peer::behind_the_peer(dst)) => {}
        None => why.push(if around.sandboxed {
            if peer_addrs.is_empty() {
                format!("{dst} is not in the sandbox: it holds only loopback (127.0.0.0/8)")
            } else {
                format!(
                    "{dst} is not in the sandbox: it holds loopback (127.0.0.0/8), the peer {} and, behind it, the far host {}",
                    peer_addrs.join(", "),
                    crate::net::peer::FAR_ADDR
                )
            }
        } else {
            format!("{dst} may not be answering, or a firewall between may drop the request")
        }),
    }
    }

    /// A kernel told to ignore every echo request.
    fn echo_ignored(&self, why: &mut Vec<String>) {
        let asks_echo = self.asks_echo();
        if asks_echo
            && std::fs::read_to_string("/proc/sys/net/ipv4/icmp_echo_ignore_all")
                .is_ok_and(|s| s.trim() == "1")
        {
            why.push(
                "net.ipv4.icmp_echo_ignore_all is 1: this kernel ignores every echo request".into(),
            );
        }
    }
}

/// What in a network layer other than IPv4 (IPv6), and the layers it carries, keeps a
/// packet unanswered: checksums, a source that is not this host, a destination outside.
fn net_reasons(
    built: &[u8],
    d: &Dissection,
    net: &Layer,
    dst: std::net::IpAddr,
    around: &Surroundings,
) -> Vec<String> {
    let mut why = Vec::new();
    let Some((src_f, _)) = net.proto.addresses else {
        return why;
    };
    let src = net.get(built, src_f);
    let v6 = net.proto == &ipv6::IPV6;
    let inner = || {
        d.layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.start > net.start && l.complete() && !l.quoted)
    };
    // A fragment header that is not a whole datagram: held for the rest, and nothing it
    // carries is judged before then (its checksums cover the whole datagram).
    let fragment = inner().find_map(|(_, l)| {
        let (more, offset) = (
            l.get(built, &ipv6::FRAG_MORE),
            l.get(built, &ipv6::FRAG_OFFSET),
        );
        (l.proto == &ipv6::FRAGMENT && (more == 1 || offset != 0)).then_some((more, offset))
    });
    if let Some((more, offset)) = fragment {
        why.push(fragment_words(more == 1, offset * 8, true, &around.counted));
    }
    for (i, l) in inner().take_while(|(_, l)| fragment.is_none() || l.proto != &ipv6::FRAGMENT) {
        if l.proto == &ipv6::ROUTING && l.get(built, &ipv6::RT_TYPE) == 4 {
            why.extend(segment_routing_words(dst, &around.counted));
        }
        let verdict = around.counted.checksum(l.proto, v6);
        for e in (l.proto.expected)(&d.scope(i, built)) {
            let have = l.get(built, e.field);
            if e.offloaded.is_some() && src == 0 {
                why.extend(checksum_words(
                    &format!(
                        "{} is unset, but {} covers the source address: rawlab computed it over zeros",
                        src_f.name, e.field.name
                    ),
                    &format!(". Set {} (::1 on lo)", src_f.name),
                    l.proto,
                    &verdict,
                ));
            } else if have != e.want {
                why.extend(checksum_words(
                    &format!(
                        "{} is {}, but the bytes add up to {}",
                        e.field.name,
                        e.field.words(have),
                        e.field.words(e.want)
                    ),
                    "",
                    l.proto,
                    &verdict,
                ));
            }
        }
    }
    // This host's own IPv6 addresses (the sandbox's 2001:db8:1::1 among them): an
    // answer to one comes back here.
    let own = |a: u128| {
        crate::net::sys::local_addrs().contains(&std::net::IpAddr::V6(std::net::Ipv6Addr::from(a)))
    };
    if src != 0 && src != 1 && !own(src) {
        let echo = inner().any(|(_, l)| {
            l.proto == &crate::wire::icmpv6::ICMPV6
                && l.get(built, &crate::wire::icmpv6::TYPE) == 128
        });
        let addr = std::net::IpAddr::V6(std::net::Ipv6Addr::from(src));
        why.push(elsewhere_words(
            src_f.name,
            addr,
            dst,
            echo.then_some(("Icmp6", "InEchos", "OutEchoReplies", "InEchoReplies")),
            around,
        ));
    }
    let in_sandbox = match dst {
        std::net::IpAddr::V6(d) => {
            crate::net::peer::behind_the_peer6(d) || crate::net::peer::on_the_first_cable6(d)
        }
        std::net::IpAddr::V4(_) => false,
    };
    if !(dst.is_loopback() || around.sandboxed && in_sandbox) {
        why.push(if around.sandboxed {
            format!(
                "{dst} is not in the sandbox, which holds loopback (::1), the peer {} and, behind it, the far host {}",
                crate::net::peer::PEER_ADDR6,
                crate::net::peer::FAR_ADDR6
            )
        } else {
            format!("{dst} may not be answering, or a firewall between may drop the request")
        });
    }
    why
}

/// A wrong checksum, judged by the counters: `what` is wrong (and `fix` says what to
/// do); the kernel counted it dropped, or counted the message good (then it is not why,
/// and nothing is said), or never saw it get that far.
fn checksum_words(
    what: &str,
    fix: &str,
    proto: &crate::wire::Protocol,
    verdict: &Verdict,
) -> Option<String> {
    Some(match verdict {
        Verdict::Counted(c) => format!(
            "{what}: the receiving kernel dropped it as corrupt without a word, and counted it ({c}){fix}"
        ),
        Verdict::Contradicted => return None,
        Verdict::NotReached(table) => format!(
            "{what}, though that is not what stopped this one: no {table} counter moved on the way in, so it was dropped before {} looked{fix}",
            proto.title
        ),
        Verdict::Unknown => format!(
            "{what}: the receiving kernel drops a message with a wrong checksum without a word{fix}"
        ),
    })
}

/// A sysctl's value, trimmed (None when it cannot be read).
fn sysctl(path: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/sys/{path}"))
        .ok()
        .map(|v| v.trim().to_string())
}

/// A fragment that is not a whole datagram: what the kernel does with it, and what it
/// counted. Its checksums cover the reassembled datagram, so none is judged.
fn fragment_words(more: bool, offset: u128, v6: bool, ev: &Evidence) -> String {
    let (table, knob, default) = if v6 {
        ("Ip6", "net.ipv6.ip6frag_time", 60)
    } else {
        ("Ip", "net.ipv4.ipfrag_time", 30)
    };
    let secs = sysctl(&knob.replace('.', "/"))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(default);
    let what = match (more, offset) {
        (true, 0) => "the first fragment of a datagram (more fragments set, offset 0)".to_string(),
        (true, o) => format!("a fragment from byte {o}, with more to follow"),
        (false, o) => format!("the last fragment of a datagram (from byte {o})"),
    };
    let counted = match ev.cite(table, "ReasmReqds") {
        Some(c) => format!(" (it counted {c})"),
        None if ev.known() => {
            format!(", though it counted no fragment arriving ({table} ReasmReqds did not move)")
        }
        None => String::new(),
    };
    let ended = match (ev.cite(table, "ReasmTimeout"), ev.cite(table, "ReasmFails")) {
        (Some(t), Some(f)) => format!(": it did, counting {t} and {f}"),
        _ => format!(
            ", counting {table} ReasmTimeout and ReasmFails then (set timeout {}s to see them)",
            secs + 1
        ),
    };
    format!(
        "this is {what}: the receiving kernel holds it until the rest of the datagram arrives{counted}, and looks at nothing it carries before then, since the checksums inside cover the whole datagram. The rest never comes, so after {knob} ({secs} s) the kernel drops the incomplete datagram{ended}"
    )
}

/// A segment routing header (type 4): Linux processes one only when seg6_enabled is
/// 1 both for all interfaces and for the one it arrives on (seen on 6.18: with either
/// at 0 the echo inside goes unanswered), and drops it otherwise, counting no drop.
fn segment_routing_words(dst: std::net::IpAddr, ev: &Evidence) -> Option<String> {
    let dev = if dst.is_loopback() { "lo" } else { "default" };
    let read = |d: &str| sysctl(&format!("net/ipv6/conf/{d}/seg6_enabled"));
    let (all, on) = (read("all")?, read(dev)?);
    if all != "0" && on != "0" {
        return None;
    }
    let counted = ["InDiscards", "InHdrErrors"]
        .iter()
        .find_map(|n| ev.cite("Ip6", n))
        .map_or(String::new(), |c| format!(" (it counted {c})"));
    Some(format!(
        "ipv6.routing.type is 4, a segment routing header (RFC 8754): Linux processes one only when net.ipv6.conf.all.seg6_enabled and the receiving interface's are both 1, and here all is {all} and {dev} is {on}, so the kernel drops the packet at that header{counted}. `set ipv6.routing.type 0` (segments left 0) is processed and answered"
    ))
}

/// A source address that is not this host's: whoever answers, answers there. What
/// the kernel counted says whether it answered, and its route says where that went.
/// `echo` names the counters of an echo request for the family: (table, request in,
/// reply out, reply in).
fn elsewhere_words(
    field: &str,
    src: IpAddr,
    from: IpAddr,
    echo: Option<(&str, &str, &str, &str)>,
    around: &Surroundings,
) -> String {
    let ev = &around.counted;
    let peer = around
        .peers
        .iter()
        .find(|(a, _, _)| std::net::IpAddr::V4(*a) == src);
    let route = around.route.map(|r| r(from, src));
    // A loopback address may not leave lo (the kernel refuses such a route with
    // EINVAL): say so when that is what it refused.
    let refused = |e: &std::io::Error| {
        if from.is_loopback() && e.raw_os_error() == Some(libc::EINVAL) {
            format!(
                "asked for a route from {from} to {src}, the kernel refuses it, saying \"{e}\": a packet from a loopback address may not leave lo"
            )
        } else {
            format!("asked for a route from {from} to {src}, the kernel says \"{e}\"")
        }
    };
    let whither = match (peer, &route) {
        (_, Some(Err(e))) => format!("{}, so it goes nowhere", refused(e)),
        (Some((a, _, iface)), _) => {
            // The peer's own count of the answer it was sent.
            let got = echo
                .zip(ev.peer.as_ref())
                .map(|((t, _, _, reply_in), p)| (t, reply_in, p.by(t, reply_in)))
                .filter(|(_, _, by)| *by != 0)
                .map_or(String::new(), |(t, n, by)| {
                    format!(" (the peer's {t} {n} {by:+})")
                });
            format!(
                "the answer goes out on {iface} to the sandbox's peer {a}{got}, which asked for nothing"
            )
        }
        (None, Some(Ok(via))) => format!("the kernel routes it to {src} from {via}, away from you"),
        (None, None) => String::new(),
    };
    let sep = if whither.is_empty() { "" } else { ": " };
    if let Some((t, req_in, reply_out, _)) = echo
        && ev.known()
    {
        match (ev.cite(t, req_in), ev.cite(t, reply_out)) {
            (Some(i), Some(o)) => {
                return format!(
                    "{field} is {src}: the kernel took the echo request in and answered it ({i}, {o}), but to {src}, not to you{sep}{whither}"
                );
            }
            (Some(i), None) => {
                let why = match &route {
                    Some(Err(e)) => format!(": {}", refused(e)),
                    _ => String::new(),
                };
                return format!(
                    "{field} is {src}: the kernel took the echo request in ({i}) but sent no reply{why}"
                );
            }
            _ => {}
        }
    }
    format!("{field} is {src}: the kernel answers that address, not you{sep}{whither}")
}
