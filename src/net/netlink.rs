//! A small rtnetlink client: how rawlab asks the kernel about its interfaces
//! (`ifaces`) and builds the sandbox's peer link, over AF_NETLINK as the post
//! suggests ("for talking to the kernel", man 7 netlink, man 7 rtnetlink).
//!
//! Netlink is a datagram protocol between a process and the kernel. Every
//! message starts with a 16-byte `nlmsghdr` (length, type, flags, sequence,
//! port), then a fixed header for its family (`ifinfomsg` for links,
//! `ifaddrmsg` for addresses), then attributes: type-length-value records
//! (`rtattr`), each padded to 4 bytes, which may nest. A "dump" request
//! (NLM_F_DUMP) is answered with many messages, ending with NLMSG_DONE; a
//! change asks for an acknowledgement (NLM_F_ACK), an NLMSG_ERROR carrying 0
//! for success or a negative errno.
//!
//! All numbers are in the host's byte order, unlike the network's. No crate:
//! the few messages rawlab needs fit in this file, and every byte is safe Rust
//! over a socket2 socket (an unconnected netlink socket talks to the kernel).
//! Nothing here knows packets, commands or terminals.

use socket2::{Domain, Protocol, Socket, Type};
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;
use std::time::Duration;

// Message types (linux/rtnetlink.h, linux/netlink.h).
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const RTM_NEWNEIGH: u16 = 28;
const RTM_GETNEIGH: u16 = 30;

// Header flags.
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_DUMP: u16 = 0x300;

// Link attributes (linux/if_link.h).
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;

// Address attributes (linux/if_addr.h) and neighbour attributes (linux/neighbour.h).
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
/// ifaddrmsg flag: no duplicate address detection for this IPv6 address.
const IFA_F_NODAD: u8 = 0x02;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PREFSRC: u16 = 7;
const RTA_METRICS: u16 = 8;
const RTAX_MTU: u16 = 2;
const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
/// Neighbour state (linux/neighbour.h): an entry written in, never probed or aged.
const NUD_PERMANENT: u16 = 0x80;

/// Netlink flag for a nested attribute (ignored by the kernel on input).
const NLA_F_NESTED: u16 = 0x8000;

const HDR: usize = 16;

/// Interface flags (linux/if.h) in the order `ip link` prints them.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (0x8, "LOOPBACK"),
    (0x2, "BROADCAST"),
    (0x10, "POINTOPOINT"),
    (0x1000, "MULTICAST"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x1, "UP"),
    (0x40, "RUNNING"),
    (0x10000, "LOWER_UP"),
    (0x20000, "DORMANT"),
];
pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;

/// ARPHRD_* hardware types (linux/if_arp.h) an AF_PACKET socket reports.
pub const ARPHRD_ETHER: u16 = 1;
pub const ARPHRD_LOOPBACK: u16 = 772;

/// One interface, as RTM_NEWLINK describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// ARPHRD_* hardware type: 1 Ethernet, 772 loopback, 65534 none (tun, wireguard).
    pub hw_type: u16,
    /// The hardware address, when the interface has one (6 bytes on Ethernet).
    pub mac: Option<Vec<u8>>,
    pub mtu: u32,
    pub flags: u32,
    /// RFC 2863 operational state: 6 up, 2 down, 0 unknown (lo).
    pub oper_state: u8,
    /// For a veth: the index of its other end (in this namespace or another).
    pub peer_index: Option<u32>,
    /// The kind of virtual device (`veth`, `bridge`), if it is one.
    pub kind: Option<String>,
}

impl Link {
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }
    pub fn is_loopback(&self) -> bool {
        self.flags & IFF_LOOPBACK != 0
    }
    /// The MAC as six bytes, if the interface has one of that size.
    pub fn mac6(&self) -> Option<[u8; 6]> {
        self.mac.as_deref().and_then(|m| m.try_into().ok())
    }
    /// `UP,LOOPBACK,RUNNING`, as `ip link` prints the flags.
    pub fn flag_words(&self) -> String {
        let names: Vec<&str> = FLAG_NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, n)| *n)
            .collect();
        names.join(",")
    }
    /// `up`, `down`, `unknown`, …: the operational state in words.
    pub fn state_words(&self) -> &'static str {
        match self.oper_state {
            0 => "unknown",
            1 => "not present",
            2 => "down",
            3 => "lower layer down",
            4 => "testing",
            5 => "dormant",
            6 => "up",
            _ => "?",
        }
    }
}

/// One address on an interface, as RTM_NEWADDR describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub index: u32,
    pub addr: IpAddr,
    pub prefix: u8,
}

/// One entry of the neighbour table (the ARP cache for IPv4).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub index: u32,
    pub addr: IpAddr,
    pub mac: Option<Vec<u8>>,
    /// NUD_* state: 0x02 reachable, 0x04 stale, 0x20 failed, 0x80 permanent.
    pub state: u16,
}

/// How many messages and bytes a conversation with the kernel took, for `ifaces`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Tally {
    pub requests: usize,
    pub messages: usize,
    pub bytes: usize,
}

/// A NETLINK_ROUTE socket and the sequence number of its next request.
pub struct Netlink {
    sock: Socket,
    seq: u32,
    pub tally: Tally,
}

/// A message being built: header, family header, attributes; lengths filled at the end.
struct Msg {
    buf: Vec<u8>,
    /// Start of each attribute still open (nested), to write its length when closed.
    open: Vec<usize>,
}

impl Msg {
    fn new(kind: u16, flags: u16, family_header: &[u8]) -> Msg {
        let mut buf = vec![0u8; HDR];
        buf[4..6].copy_from_slice(&kind.to_ne_bytes());
        buf[6..8].copy_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(family_header);
        Msg {
            buf,
            open: Vec::new(),
        }
    }

    fn pad(&mut self) {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
    }

    fn attr(&mut self, kind: u16, value: &[u8]) -> &mut Msg {
        self.pad();
        self.buf
            .extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value);
        self
    }

    fn begin(&mut self, kind: u16) -> &mut Msg {
        self.pad();
        self.open.push(self.buf.len());
        self.buf.extend_from_slice(&[0, 0]);
        self.buf
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        self
    }

    /// Raw bytes inside the innermost open attribute (a nested ifinfomsg for a veth peer).
    fn raw(&mut self, bytes: &[u8]) -> &mut Msg {
        self.pad();
        self.buf.extend_from_slice(bytes);
        self
    }

    fn end(&mut self) -> &mut Msg {
        let start = self.open.pop().expect("end matches begin");
        let len = (self.buf.len() - start) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    fn finish(mut self, seq: u32) -> Vec<u8> {
        assert!(self.open.is_empty(), "every nested attribute is closed");
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.buf
    }
}

/// `struct ifinfomsg`: family, type, index, flags, change mask.
fn ifinfomsg(index: i32, flags: u32, change: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

/// The attributes in `b`, as (type without the nested flag, value).
pub fn attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let kind = u16::from_ne_bytes([b[2], b[3]]) & !NLA_F_NESTED;
        if len < 4 || len > b.len() {
            break;
        }
        out.push((kind, &b[4..len]));
        b = &b[len.next_multiple_of(4).min(b.len())..];
    }
    out
}

fn u32_of(v: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

fn ip_of(family: u8, v: &[u8]) -> Option<IpAddr> {
    match (family as i32, v.len()) {
        (libc::AF_INET, 4) => Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
        (libc::AF_INET6, 16) => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).ok()?))),
        _ => None,
    }
}

/// Reads one RTM_NEWLINK message body.
pub fn parse_link(body: &[u8]) -> Option<Link> {
    let head = body.get(..16)?;
    let mut link = Link {
        index: i32::from_ne_bytes(head[4..8].try_into().ok()?) as u32,
        name: String::new(),
        hw_type: u16::from_ne_bytes([head[2], head[3]]),
        mac: None,
        mtu: 0,
        flags: u32::from_ne_bytes(head[8..12].try_into().ok()?),
        oper_state: 0,
        peer_index: None,
        kind: None,
    };
    for (kind, v) in attrs(&body[16..]) {
        match kind {
            IFLA_IFNAME => {
                link.name =
                    String::from_utf8_lossy(v.split(|b| *b == 0).next().unwrap_or(v)).into_owned()
            }
            IFLA_ADDRESS => link.mac = Some(v.to_vec()),
            IFLA_MTU => link.mtu = u32_of(v).unwrap_or(0),
            IFLA_LINK => link.peer_index = u32_of(v),
            IFLA_OPERSTATE => link.oper_state = v.first().copied().unwrap_or(0),
            IFLA_LINKINFO => {
                for (k, iv) in attrs(v) {
                    if k == IFLA_INFO_KIND {
                        link.kind = Some(
                            String::from_utf8_lossy(iv.split(|b| *b == 0).next().unwrap_or(iv))
                                .into_owned(),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Some(link)
}

/// Reads one RTM_NEWADDR message body.
pub fn parse_address(body: &[u8]) -> Option<Address> {
    let head = body.get(..8)?;
    let (family, prefix) = (head[0], head[1]);
    let index = u32::from_ne_bytes(head[4..8].try_into().ok()?);
    let found = attrs(&body[8..]);
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the far end on a
    // point-to-point link, and the same as IFA_LOCAL elsewhere.
    let value = found
        .iter()
        .find(|(k, _)| *k == IFA_LOCAL)
        .or_else(|| found.iter().find(|(k, _)| *k == IFA_ADDRESS))?
        .1;
    Some(Address {
        index,
        addr: ip_of(family, value)?,
        prefix,
    })
}

/// Reads one RTM_NEWNEIGH message body.
pub fn parse_neighbour(body: &[u8]) -> Option<Neighbour> {
    let head = body.get(..12)?;
    let family = head[0];
    let index = i32::from_ne_bytes(head[4..8].try_into().ok()?) as u32;
    let state = u16::from_ne_bytes([head[8], head[9]]);
    let mut addr = None;
    let mut mac = None;
    for (k, v) in attrs(&body[12..]) {
        match k {
            NDA_DST => addr = ip_of(family, v),
            NDA_LLADDR => mac = Some(v.to_vec()),
            _ => {}
        }
    }
    Some(Neighbour {
        index,
        addr: addr?,
        mac,
        state,
    })
}

impl Netlink {
    /// Opens a NETLINK_ROUTE socket in this thread's network namespace. It stays in
    /// that namespace for its whole life, wherever the thread goes afterwards.
    pub fn open() -> io::Result<Netlink> {
        let sock = Socket::new(
            Domain::from(libc::AF_NETLINK),
            Type::RAW,
            Some(Protocol::from(libc::NETLINK_ROUTE)),
        )?;
        // A kernel that never answers is a bug, not a reason to hang the prompt.
        sock.set_read_timeout(Some(Duration::from_secs(2)))?;
        Ok(Netlink {
            sock,
            seq: 1,
            tally: Tally::default(),
        })
    }

    /// Sends one request and collects the bodies of the answers of type `want`,
    /// until NLMSG_DONE (a dump) or the acknowledgement (a change).
    fn talk(&mut self, msg: Msg, want: u16) -> io::Result<Vec<Vec<u8>>> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let bytes = msg.finish(seq);
        self.sock.send(&bytes)?;
        self.tally.requests += 1;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = (&self.sock).read(&mut buf)?;
            self.tally.bytes += n;
            let mut rest = &buf[..n];
            while rest.len() >= HDR {
                let len = u32::from_ne_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
                let kind = u16::from_ne_bytes([rest[4], rest[5]]);
                let got_seq = u32::from_ne_bytes(rest[8..12].try_into().expect("4 bytes"));
                if len < HDR || len > rest.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "netlink message of {len} bytes in a datagram of {}",
                            rest.len()
                        ),
                    ));
                }
                let body = &rest[HDR..len];
                rest = &rest[len.next_multiple_of(4).min(rest.len())..];
                if got_seq != seq {
                    continue;
                }
                self.tally.messages += 1;
                match kind {
                    NLMSG_DONE => return Ok(out),
                    NLMSG_ERROR => {
                        let code = body
                            .get(..4)
                            .map_or(0, |b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
                        return if code == 0 {
                            Ok(out)
                        } else {
                            Err(io::Error::from_raw_os_error(-code))
                        };
                    }
                    k if k == want => out.push(body.to_vec()),
                    _ => {}
                }
            }
        }
    }

    /// Every interface of this namespace (RTM_GETLINK, dumped).
    pub fn links(&mut self) -> io::Result<Vec<Link>> {
        let msg = Msg::new(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, &ifinfomsg(0, 0, 0));
        let mut links: Vec<Link> = self
            .talk(msg, RTM_NEWLINK)?
            .iter()
            .filter_map(|b| parse_link(b))
            .collect();
        links.sort_by_key(|l| l.index);
        Ok(links)
    }

    /// Every address of this namespace, IPv4 and IPv6 (RTM_GETADDR, dumped).
    pub fn addresses(&mut self) -> io::Result<Vec<Address>> {
        let msg = Msg::new(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, &[0u8; 8]);
        Ok(self
            .talk(msg, RTM_NEWADDR)?
            .iter()
            .filter_map(|b| parse_address(b))
            .collect())
    }

    /// The neighbour table: which MAC the kernel believes each address on a link has.
    pub fn neighbours(&mut self) -> io::Result<Vec<Neighbour>> {
        let mut head = [0u8; 12];
        head[0] = libc::AF_INET as u8;
        let msg = Msg::new(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, &head);
        Ok(self
            .talk(msg, RTM_NEWNEIGH)?
            .iter()
            .filter_map(|b| parse_neighbour(b))
            .collect())
    }

    /// Writes a neighbour in for good (`ip neigh add ADDR lladdr MAC dev NAME nud
    /// permanent`): the kernel sends to `addr` on that interface at `mac` without
    /// asking first, and never forgets it.
    pub fn add_neighbour(&mut self, index: u32, addr: IpAddr, mac: [u8; 6]) -> io::Result<()> {
        // struct ndmsg: family, 3 bytes of padding, index, state, flags, type.
        let mut head = [0u8; 12];
        head[0] = family(addr);
        head[4..8].copy_from_slice(&index.to_ne_bytes());
        head[8..10].copy_from_slice(&NUD_PERMANENT.to_ne_bytes());
        let mut msg = Msg::new(
            RTM_NEWNEIGH,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &head,
        );
        msg.attr(NDA_DST, &octets(addr)).attr(NDA_LLADDR, &mac);
        self.talk(msg, 0).map(drop)
    }

    /// Creates a veth pair: `name` here, `peer` in the network namespace open at
    /// `peer_ns`, each with the MAC given (`ip link add NAME address MAC type veth peer
    /// name PEER address PEER_MAC netns NS`).
    pub fn add_veth(
        &mut self,
        name: &str,
        mac: [u8; 6],
        peer: &str,
        peer_mac: [u8; 6],
        peer_ns: RawFd,
    ) -> io::Result<()> {
        let mut msg = Msg::new(
            RTM_NEWLINK,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &ifinfomsg(0, 0, 0),
        );
        msg.attr(IFLA_IFNAME, &nul_terminated(name))
            .attr(IFLA_ADDRESS, &mac)
            .begin(IFLA_LINKINFO)
            .attr(IFLA_INFO_KIND, b"veth")
            .begin(IFLA_INFO_DATA)
            .begin(VETH_INFO_PEER)
            .raw(&ifinfomsg(0, 0, 0))
            .attr(IFLA_IFNAME, &nul_terminated(peer))
            .attr(IFLA_ADDRESS, &peer_mac)
            .attr(IFLA_NET_NS_FD, &(peer_ns as u32).to_ne_bytes())
            .end()
            .end()
            .end();
        self.talk(msg, 0).map(drop)
    }

    /// Index of the interface called `name`, if this namespace has one.
    pub fn index_of(&mut self, name: &str) -> io::Result<Option<u32>> {
        Ok(self
            .links()?
            .into_iter()
            .find(|l| l.name == name)
            .map(|l| l.index))
    }

    /// Sets an interface up (`ip link set dev NAME up`).
    pub fn set_up(&mut self, index: u32) -> io::Result<()> {
        let msg = Msg::new(
            RTM_NEWLINK,
            NLM_F_REQUEST | NLM_F_ACK,
            &ifinfomsg(index as i32, IFF_UP, IFF_UP),
        );
        self.talk(msg, 0).map(drop)
    }

    /// Adds an address to an interface (`ip addr add ADDR/PREFIX dev NAME`); the
    /// kernel adds the route to its subnet. An IPv6 address is taken as unique at
    /// once (`nodad`): the sandbox's cables have no one else on them to clash with,
    /// and duplicate address detection would put probes on the wire.
    pub fn add_address(&mut self, index: u32, addr: IpAddr, prefix: u8) -> io::Result<()> {
        // struct ifaddrmsg: family, prefix length, flags, scope, index.
        let mut head = [0u8; 8];
        head[0] = family(addr);
        head[1] = prefix;
        if addr.is_ipv6() {
            head[2] = IFA_F_NODAD;
        }
        head[3] = 0; // RT_SCOPE_UNIVERSE
        head[4..8].copy_from_slice(&index.to_ne_bytes());
        let mut msg = Msg::new(
            RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &head,
        );
        let octets = octets(addr);
        msg.attr(IFA_LOCAL, &octets).attr(IFA_ADDRESS, &octets);
        self.talk(msg, 0).map(drop)
    }
}

/// The address family number of an address, as the fixed headers carry it.
fn family(a: IpAddr) -> u8 {
    match a {
        IpAddr::V4(_) => libc::AF_INET as u8,
        IpAddr::V6(_) => libc::AF_INET6 as u8,
    }
}

/// An address's bytes in network order, as attributes carry them.
fn octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

impl Netlink {
    /// Adds a route to `dst/prefix` through `gateway` (`ip route add DST/PREFIX via
    /// GATEWAY`); `0.0.0.0/0` and `::/0` are the default routes. The destination
    /// and the gateway are of one family.
    pub fn add_route(&mut self, dst: IpAddr, prefix: u8, gateway: IpAddr) -> io::Result<()> {
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
        let mut head = [0u8; 12];
        head[0] = family(dst);
        head[1] = prefix;
        head[4] = libc::RT_TABLE_MAIN;
        head[5] = libc::RTPROT_STATIC;
        head[6] = libc::RT_SCOPE_UNIVERSE;
        head[7] = libc::RTN_UNICAST;
        let mut msg = Msg::new(
            RTM_NEWROUTE,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &head,
        );
        if prefix > 0 {
            msg.attr(RTA_DST, &octets(dst));
        }
        msg.attr(RTA_GATEWAY, &octets(gateway));
        self.talk(msg, 0).map(drop)
    }

    /// Sets an interface's MTU (`ip link set dev NAME mtu N`).
    pub fn set_mtu(&mut self, index: u32, mtu: u32) -> io::Result<()> {
        let mut msg = Msg::new(
            RTM_NEWLINK,
            NLM_F_REQUEST | NLM_F_ACK,
            &ifinfomsg(index as i32, 0, 0),
        );
        msg.attr(IFLA_MTU, &mtu.to_ne_bytes());
        self.talk(msg, 0).map(drop)
    }

    /// The route the kernel would take to `dst` (`ip route get DST`): the gateway, the
    /// interface index and the path MTU it has cached for it (after an ICMP
    /// "fragmentation needed" or an ICMPv6 "packet too big" lowered it), each when the
    /// kernel says.
    pub fn route_to(&mut self, dst: IpAddr) -> io::Result<RouteSeen> {
        let mut head = [0u8; 12];
        head[0] = family(dst);
        head[1] = if dst.is_ipv6() { 128 } else { 32 };
        let mut msg = Msg::new(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, &head);
        msg.attr(RTA_DST, &octets(dst));
        let bodies = self.talk(msg, RTM_NEWROUTE)?;
        let body = bodies
            .first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the kernel gave no route"))?;
        let mut seen = RouteSeen::default();
        for (kind, value) in attrs(body.get(12..).unwrap_or_default()) {
            match (kind, value.len()) {
                (RTA_GATEWAY, _) => seen.gateway = ip_of(head[0], value),
                (RTA_PREFSRC, _) => seen.src = ip_of(head[0], value),
                (RTA_OIF, 4) => {
                    seen.oif = Some(u32::from_ne_bytes(value.try_into().expect("4 bytes")))
                }
                (RTA_METRICS, _) => {
                    for (m, v) in attrs(value) {
                        if m == RTAX_MTU && v.len() == 4 {
                            seen.mtu = Some(u32::from_ne_bytes(v.try_into().expect("4 bytes")));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(seen)
    }
}

/// What `ip route get` says of a destination.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RouteSeen {
    pub gateway: Option<IpAddr>,
    /// The source address the kernel would write.
    pub src: Option<IpAddr>,
    pub oif: Option<u32>,
    /// The path MTU the kernel has cached (none until something lowered it).
    pub mtu: Option<u32>,
}

fn nul_terminated(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// `02:72:61:77:00:01`
pub fn mac_words(mac: &[u8]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_veth_request_nests_its_peer() {
        let mut msg = Msg::new(RTM_NEWLINK, NLM_F_REQUEST, &ifinfomsg(0, 0, 0));
        msg.attr(IFLA_IFNAME, b"a\0")
            .begin(IFLA_LINKINFO)
            .attr(IFLA_INFO_KIND, b"veth")
            .begin(IFLA_INFO_DATA)
            .begin(VETH_INFO_PEER)
            .raw(&ifinfomsg(0, 0, 0))
            .attr(IFLA_IFNAME, b"b\0")
            .end()
            .end()
            .end();
        let bytes = msg.finish(7);
        assert_eq!(
            u32::from_ne_bytes(bytes[0..4].try_into().unwrap()) as usize,
            bytes.len()
        );
        assert_eq!(u32::from_ne_bytes(bytes[8..12].try_into().unwrap()), 7);
        let top = attrs(&bytes[HDR + 16..]);
        assert_eq!(top[0], (IFLA_IFNAME, &b"a\0"[..]));
        let (kind, info) = top[1];
        assert_eq!(kind, IFLA_LINKINFO);
        let info = attrs(info);
        assert_eq!(info[0], (IFLA_INFO_KIND, &b"veth"[..]));
        let peer = attrs(info[1].1);
        assert_eq!(peer[0].0, VETH_INFO_PEER);
        // The peer's attributes follow its own 16-byte ifinfomsg.
        assert_eq!(attrs(&peer[0].1[16..])[0], (IFLA_IFNAME, &b"b\0"[..]));
    }

    #[test]
    fn parses_a_link_and_an_address() {
        let mut msg = Msg::new(RTM_NEWLINK, 0, &{
            let mut h = ifinfomsg(3, IFF_UP | 0x1000 | 0x2 | 0x40, 0);
            h[2..4].copy_from_slice(&ARPHRD_ETHER.to_ne_bytes());
            h
        });
        msg.attr(IFLA_IFNAME, b"veth0\0")
            .attr(IFLA_ADDRESS, &[2, 0x72, 0x61, 0x77, 0, 1])
            .attr(IFLA_MTU, &1500u32.to_ne_bytes())
            .attr(IFLA_OPERSTATE, &[6])
            .attr(IFLA_LINK, &4u32.to_ne_bytes());
        let bytes = msg.finish(1);
        let l = parse_link(&bytes[HDR..]).unwrap();
        assert_eq!((l.index, l.name.as_str(), l.mtu), (3, "veth0", 1500));
        assert_eq!(l.mac6(), Some([2, 0x72, 0x61, 0x77, 0, 1]));
        assert_eq!(l.flag_words(), "BROADCAST,MULTICAST,UP,RUNNING");
        assert_eq!((l.state_words(), l.peer_index), ("up", Some(4)));

        let mut head = [0u8; 8];
        head[0] = libc::AF_INET as u8;
        head[1] = 24;
        head[4..8].copy_from_slice(&3u32.to_ne_bytes());
        let mut msg = Msg::new(RTM_NEWADDR, 0, &head);
        msg.attr(IFA_ADDRESS, &[192, 0, 2, 1])
            .attr(IFA_LOCAL, &[192, 0, 2, 1]);
        let bytes = msg.finish(1);
        let a = parse_address(&bytes[HDR..]).unwrap();
        assert_eq!(
            a,
            Address {
                index: 3,
                addr: "192.0.2.1".parse().unwrap(),
                prefix: 24
            }
        );
    }

    #[test]
    fn truncated_attributes_stop_without_a_panic() {
        let bytes = [8u8, 0, 3, 0, b'l', b'o', 0, 0, 200, 0, 1, 0];
        let found = attrs(&bytes);
        assert_eq!(found, [(3u16, &b"lo\0\0"[..])]);
        for cut in 0..bytes.len() {
            let _ = attrs(&bytes[..cut]);
            let _ = parse_link(&bytes[..cut]);
            let _ = parse_address(&bytes[..cut]);
            let _ = parse_neighbour(&bytes[..cut]);
        }
    }
}
