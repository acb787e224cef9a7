//! The sandbox's second host: a network namespace of its own, joined to the
//! learner's by a veth pair (a virtual cable with a card at each end), so
//! frames have somewhere real to go and a kernel answers them. The learner's
//! end is `veth0`, 192.0.2.1; the peer's is `veth1`, 192.0.2.2 (TEST-NET-1,
//! RFC 5737: addresses for documentation, which exist only inside).
//!
//! Made without root: inside its own user namespace rawlab holds the
//! capabilities to create a namespace, a veth pair and addresses. Nothing keeps
//! the peer alive but rawlab's handle on it, so it disappears when rawlab exits.
//! IPv6 is on with only the documentation addresses below (2001:db8::/32, RFC
//! 3849): no link-local address is made, no duplicate address detection runs, and
//! each end knows the MAC of the other's IPv6 address from the start (a permanent
//! neighbour entry, as `ip -6 neigh add … nud permanent` writes), so no neighbour
//! solicitation has to be answered before a packet can go, and none is lost to a
//! cable just come up. The cables carry what the learner sends, what the kernels
//! answer, and, for a moment as the cards come up, the multicast listener reports
//! each kernel sends (sped up so they are over before rawlab starts).
//!
//! Behind the peer is a third host, the far host, on a second cable: the peer
//! forwards between the two, so it is a router, and a packet to the far host
//! crosses a hop (its TTL drops by one, a TTL of 1 earns the router's "time
//! exceeded", traceroute has a path to find). The far cable's MTU is smaller
//! (1400), so a datagram too large for it with DF set earns "fragmentation
//! needed" from the router, and one for IPv6 "packet too big". Addresses are
//! TEST-NET-3 (203.0.113.0/24) and 2001:db8:2::/64 there, TEST-NET-1 and
//! 2001:db8:1::/64 on the first cable:
//!
//! ```text
//! you veth0 192.0.2.1     ── veth1 192.0.2.2     peer (router) 203.0.113.1 veth2 ── veth3 203.0.113.2 far host
//!           2001:db8:1::1          2001:db8:1::2               2001:db8:2::1            2001:db8:2::2
//! ```

use crate::net::netlink::Netlink;
use crate::net::sys::{self, Namespaces};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// The learner's end of the cable.
pub const IFACE: &str = "veth0";
/// The peer's end, inside its namespace.
pub const PEER_IFACE: &str = "veth1";
/// Locally administered MACs (the 02 bit): fixed, so lessons can name them.
pub const MAC: [u8; 6] = [0x02, 0x72, 0x61, 0x77, 0x00, 0x01];
pub const PEER_MAC: [u8; 6] = [0x02, 0x72, 0x61, 0x77, 0x00, 0x02];
pub const ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const PEER_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
pub const PREFIX: u8 = 24;
/// The IPv6 addresses of the first cable's two ends, in 2001:db8:1::/64.
pub const ADDR6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
pub const PEER_ADDR6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 2);
pub const PREFIX6: u8 = 64;
/// The router's end of the far cable, and the far host's.
pub const ROUTER_IFACE: &str = "veth2";
pub const FAR_IFACE: &str = "veth3";
pub const ROUTER_MAC: [u8; 6] = [0x02, 0x72, 0x61, 0x77, 0x00, 0x03];
pub const FAR_MAC: [u8; 6] = [0x02, 0x72, 0x61, 0x77, 0x00, 0x04];
pub const ROUTER_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
pub const FAR_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 2);
/// The router's and the far host's IPv6 addresses, in 2001:db8:2::/64.
pub const ROUTER_ADDR6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1);
pub const FAR_ADDR6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 2);
/// The far cable's network, in words.
pub const FAR_NET: &str = "203.0.113.0/24";
pub const FAR_NET6: &str = "2001:db8:2::/64";
/// The far cable's MTU: smaller than the first's 1500, for path MTU discovery.
pub const FAR_MTU: u32 = 1400;

/// The host behind the peer, which the peer routes to.
pub struct Far {
    /// The peer's address on the far cable.
    pub router_addr: Ipv4Addr,
    pub addr: Ipv4Addr,
    /// The same two, in IPv6.
    pub router_addr6: Ipv6Addr,
    pub addr6: Ipv6Addr,
    pub mtu: u32,
    /// Keeps the far host's namespace alive.
    _ns: Namespaces,
}

/// The peer, as the session knows it.
pub struct Peer {
    /// The learner's end of the veth pair.
    pub iface: &'static str,
    pub addr: Ipv4Addr,
    pub mac: [u8; 6],
    pub peer_iface: &'static str,
    pub peer_addr: Ipv4Addr,
    pub peer_mac: [u8; 6],
    /// Both ends' IPv6 addresses.
    pub addr6: Ipv6Addr,
    pub peer_addr6: Ipv6Addr,
    /// The peer's counters (its /proc/net/snmp and the rest), opened inside its
    /// namespace so they go on reading the peer's: what its kernel counted of a
    /// packet sent to it is the evidence of what became of it there.
    pub counters: Option<crate::net::counters::Source>,
    /// The far host behind the peer, or why there is none (the peer works without it).
    pub far: Result<Far, PeerError>,
    /// Keeps the peer's namespace alive.
    _ns: Namespaces,
}

impl Peer {
    /// Every address of the sandbox's other hosts: the peer's, and the router's and far
    /// host's when the far host is there, IPv4 then IPv6.
    pub fn hosts(&self) -> Vec<IpAddr> {
        let mut h: Vec<IpAddr> = vec![self.peer_addr.into()];
        if let Ok(f) = &self.far {
            h.extend([IpAddr::from(f.router_addr), f.addr.into()]);
        }
        h.push(self.peer_addr6.into());
        if let Ok(f) = &self.far {
            h.extend([IpAddr::from(f.router_addr6), f.addr6.into()]);
        }
        h
    }

    /// The topology in a few words: `veth0 (192.0.2.1) cabled to a peer at 192.0.2.2,
    /// which routes to a far host at 203.0.113.2 (its cable's MTU 1400); in IPv6
    /// 2001:db8:1::1, the peer 2001:db8:1::2, the far host 2001:db8:2::2`.
    pub fn words(&self) -> String {
        let near = format!(
            "{} ({}) cabled to a peer at {}",
            self.iface, self.addr, self.peer_addr
        );
        match &self.far {
            Ok(f) => format!(
                "{near}, which routes to a far host at {} (its cable's MTU {}); in IPv6 {}, the peer {}, the far host {}",
                f.addr, f.mtu, self.addr6, self.peer_addr6, f.addr6
            ),
            Err(e) => format!("{near} (no far host behind it: {e})"),
        }
    }
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Peer({} ↔ {})", self.addr, self.peer_addr)
    }
}

/// Why the peer could not be made: the step, and what the kernel said.
#[derive(Debug)]
pub struct PeerError {
    pub step: &'static str,
    pub err: io::Error,
}

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.err)
    }
}

/// Makes the peer. Call inside the sandbox, while the process is single-threaded
/// (it moves the thread between namespaces for a moment).
pub fn make() -> Result<Peer, PeerError> {
    let step = |step| move |err| PeerError { step, err };
    // New interfaces here start without IPv6, so the cable stays quiet.
    let _ = std::fs::write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    let ns = sys::new_peer_namespace().map_err(step("making the peer's network namespace"))?;
    let (inside, counters) = sys::in_namespace(&ns, || {
        let _ = std::fs::write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
        (Netlink::open(), crate::net::counters::Source::open())
    })
    .map_err(step("entering the peer's network namespace"))?;
    let mut there = inside.map_err(step("opening netlink in the peer's namespace"))?;
    let mut here = Netlink::open().map_err(step("opening netlink"))?;
    here.add_veth(IFACE, MAC, PEER_IFACE, PEER_MAC, ns.peer.as_raw_fd())
        .map_err(step("creating the veth pair"))?;
    let index = configure(&mut here, IFACE, ADDR, ADDR6, None, (PEER_ADDR6, PEER_MAC))
        .map_err(step("configuring veth0"))?;
    sys::in_namespace(&ns, || {
        configure(
            &mut there,
            PEER_IFACE,
            PEER_ADDR,
            PEER_ADDR6,
            None,
            (ADDR6, MAC),
        )
    })
    .map_err(step("entering the peer's network namespace"))?
    .map_err(step("configuring veth1"))?;
    if let Ok(Some(lo)) = there.index_of("lo") {
        let _ = there.set_up(lo);
    }
    // Both ends: each kernel's IPv6 sends its listener reports again as its card's
    // carrier comes up, and the link watch may see that up to a second late.
    wait_until_up(&mut here, index);
    if let Ok(Some(i)) = there.index_of(PEER_IFACE) {
        wait_until_up(&mut there, i);
    }
    let far = make_far(&ns, &mut here, &mut there);
    // The last listener reports (see `configure`) go within a millisecond or two.
    std::thread::sleep(Duration::from_millis(20));
    Ok(Peer {
        iface: IFACE,
        addr: ADDR,
        mac: MAC,
        peer_iface: PEER_IFACE,
        peer_addr: PEER_ADDR,
        peer_mac: PEER_MAC,
        addr6: ADDR6,
        peer_addr6: PEER_ADDR6,
        counters,
        far,
        _ns: ns,
    })
}

/// The far host behind the peer: its namespace, the cable from the peer to it, the
/// routes both ways, and forwarding on in the peer.
fn make_far(peer: &Namespaces, here: &mut Netlink, there: &mut Netlink) -> Result<Far, PeerError> {
    let step = |step| move |err| PeerError { step, err };
    let ns = sys::new_peer_namespace().map_err(step("making the far host's network namespace"))?;
    let inside = sys::in_namespace(&ns, || {
        let _ = std::fs::write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
        Netlink::open()
    })
    .map_err(step("entering the far host's network namespace"))?;
    let mut far = inside.map_err(step("opening netlink in the far host's namespace"))?;
    there
        .add_veth(
            ROUTER_IFACE,
            ROUTER_MAC,
            FAR_IFACE,
            FAR_MAC,
            ns.peer.as_raw_fd(),
        )
        .map_err(step("creating the far cable"))?;
    sys::in_namespace(peer, || {
        configure(
            there,
            ROUTER_IFACE,
            ROUTER_ADDR,
            ROUTER_ADDR6,
            Some(FAR_MTU),
            (FAR_ADDR6, FAR_MAC),
        )
    })
    .map_err(step("entering the peer's network namespace"))?
    .map_err(step("configuring veth2"))?;
    let router_index = there.index_of(ROUTER_IFACE).ok().flatten();
    sys::in_namespace(&ns, || {
        configure(
            &mut far,
            FAR_IFACE,
            FAR_ADDR,
            FAR_ADDR6,
            Some(FAR_MTU),
            (ROUTER_ADDR6, ROUTER_MAC),
        )
    })
    .map_err(step("entering the far host's network namespace"))?
    .map_err(step("configuring veth3"))?;
    if let Ok(Some(lo)) = far.index_of("lo") {
        let _ = far.set_up(lo);
    }
    // No neighbour is asked for on these cables (the entries are permanent), so nothing
    // else waits for the carrier: a packet sent before it is up would be lost.
    if let Some(i) = router_index {
        wait_until_up(there, i);
    }
    if let Ok(Some(i)) = far.index_of(FAR_IFACE) {
        wait_until_up(&mut far, i);
    }
    far.add_route(Ipv4Addr::UNSPECIFIED.into(), 0, ROUTER_ADDR.into())
        .map_err(step("routing the far host through the peer"))?;
    here.add_route(
        network(ROUTER_ADDR, PREFIX).into(),
        PREFIX,
        PEER_ADDR.into(),
    )
    .map_err(step("routing to the far cable through the peer"))?;
    far.add_route(Ipv6Addr::UNSPECIFIED.into(), 0, ROUTER_ADDR6.into())
        .map_err(step("routing the far host through the peer (IPv6)"))?;
    here.add_route(network6(ROUTER_ADDR6).into(), PREFIX6, PEER_ADDR6.into())
        .map_err(step("routing to the far cable through the peer (IPv6)"))?;
    // /proc/sys/net is the namespace's of whoever opens it: opened inside the peer.
    sys::in_namespace(peer, || {
        std::fs::write("/proc/sys/net/ipv4/ip_forward", "1")?;
        std::fs::write("/proc/sys/net/ipv6/conf/all/forwarding", "1")
    })
    .map_err(step("entering the peer's network namespace"))?
    .map_err(step("turning forwarding on in the peer"))?;
    Ok(Far {
        router_addr: ROUTER_ADDR,
        addr: FAR_ADDR,
        router_addr6: ROUTER_ADDR6,
        addr6: FAR_ADDR6,
        mtu: FAR_MTU,
        _ns: ns,
    })
}

/// Waits (at most 2 s) until an interface is operationally up: the kernel starts
/// passing frames once it has seen the carrier come up (its link watch runs a moment
/// later); until then a frame sent would be dropped.
fn wait_until_up(nl: &mut Netlink, index: u32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let up = nl
            .links()
            .map(|ls| ls.iter().any(|l| l.index == index && l.oper_state == 6))
            .unwrap_or(false);
        if up {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Gives an interface its addresses and brings it up, in the namespace the thread is
/// in (its /proc/sys/net is that namespace's). IPv6 is turned on for it alone, with
/// no link-local address generated (addr_gen_mode 1), no duplicate address detection
/// and no router solicitation; the other end's IPv6 address is a permanent
/// neighbour at its MAC.
fn configure(
    nl: &mut Netlink,
    name: &str,
    addr: Ipv4Addr,
    addr6: Ipv6Addr,
    mtu: Option<u32>,
    other: (Ipv6Addr, [u8; 6]),
) -> io::Result<u32> {
    let index = nl
        .index_of(name)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{name} vanished")))?;
    if let Some(m) = mtu {
        nl.set_mtu(index, m)?;
    }
    nl.add_address(index, addr.into(), PREFIX)?;
    let conf = format!("/proc/sys/net/ipv6/conf/{name}");
    for (knob, value) in [
        ("addr_gen_mode", "1"),
        ("accept_dad", "0"),
        ("dad_transmits", "0"),
        ("router_solicitations", "0"),
        ("accept_ra", "0"),
        // A kernel announces each multicast group it joins (its address's
        // solicited-node group, all-routers on the peer) with a listener report, sent
        // again a random while later. MLDv1 sends one at the join itself and repeats it
        // within the interval (here a millisecond); MLDv2 batched them into reports
        // seen up to a second later. So they are over before the learner's first
        // command, and the counters the learner reads move for its own traffic only.
        ("force_mld_version", "1"),
        ("mldv1_unsolicited_report_interval", "1"),
        ("mldv2_unsolicited_report_interval", "1"),
        ("disable_ipv6", "0"),
    ] {
        std::fs::write(format!("{conf}/{knob}"), value)
            .map_err(|e| io::Error::new(e.kind(), format!("{conf}/{knob}: {e}")))?;
    }
    nl.add_address(index, addr6.into(), PREFIX6)?;
    nl.add_neighbour(index, other.0.into(), other.1)?;
    nl.set_up(index)?;
    Ok(index)
}

/// The /64 network an IPv6 address is in.
fn network6(a: Ipv6Addr) -> Ipv6Addr {
    Ipv6Addr::from(u128::from(a) & !(u128::MAX >> PREFIX6))
}

/// The network `a` is in, for a prefix length.
fn network(a: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0);
    Ipv4Addr::from(u32::from(a) & mask)
}

/// Whether `dst` is on the far cable, which the peer routes to.
pub fn behind_the_peer(dst: Ipv4Addr) -> bool {
    network(dst, PREFIX) == network(ROUTER_ADDR, PREFIX)
}

/// Whether an IPv6 `dst` is on the first cable, between the learner and the peer.
pub fn on_the_first_cable6(dst: Ipv6Addr) -> bool {
    network6(dst) == network6(PEER_ADDR6)
}

/// Whether an IPv6 `dst` is on the far cable.
pub fn behind_the_peer6(dst: Ipv6Addr) -> bool {
    network6(dst) == network6(ROUTER_ADDR6)
}
