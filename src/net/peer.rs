//! The sandbox's second host: a network namespace of its own, joined to the
//! learner's by a veth pair (a virtual cable with a card at each end), so
//! frames have somewhere real to go and a kernel answers them. The learner's
//! end is `veth0`, 192.0.2.1; the peer's is `veth1`, 192.0.2.2 (TEST-NET-1,
//! RFC 5737: addresses for documentation, which exist only inside).
//!
//! Made without root: inside its own user namespace rawlab holds the
//! capabilities to create a namespace, a veth pair and addresses. Nothing keeps
//! the peer alive but rawlab's handle on it, so it disappears when rawlab exits.
//! IPv6 is off on both ends, so the link carries only what the learner sends
//! and what the peer's kernel answers (no router solicitations or MLD reports).

use crate::net::netlink::Netlink;
use crate::net::sys::{self, Namespaces};
use std::io;
use std::net::Ipv4Addr;
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

/// The peer, as the session knows it.
pub struct Peer {
    /// The learner's end of the veth pair.
    pub iface: &'static str,
    pub addr: Ipv4Addr,
    pub mac: [u8; 6],
    pub peer_iface: &'static str,
    pub peer_addr: Ipv4Addr,
    pub peer_mac: [u8; 6],
    /// The peer's counters (its /proc/net/snmp and the rest), opened inside its
    /// namespace so they go on reading the peer's: what its kernel counted of a
    /// packet sent to it is the evidence of what became of it there.
    pub counters: Option<crate::net::counters::Source>,
    /// Keeps the peer's namespace alive.
    _ns: Namespaces,
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
    let configure = |nl: &mut Netlink, name: &str, addr: Ipv4Addr| -> io::Result<u32> {
        let index = nl
            .index_of(name)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{name} vanished")))?;
        nl.add_ipv4(index, addr, PREFIX)?;
        nl.set_up(index)?;
        Ok(index)
    };
    let index = configure(&mut here, IFACE, ADDR).map_err(step("configuring veth0"))?;
    configure(&mut there, PEER_IFACE, PEER_ADDR).map_err(step("configuring veth1"))?;
    if let Ok(Some(lo)) = there.index_of("lo") {
        let _ = there.set_up(lo);
    }
    // The kernel starts passing frames once it has seen the carrier come up (its link
    // watch runs a moment later); until then a frame sent would be dropped.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let up = here
            .links()
            .map(|ls| ls.iter().any(|l| l.index == index && l.oper_state == 6))
            .unwrap_or(false);
        if up {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(Peer {
        iface: IFACE,
        addr: ADDR,
        mac: MAC,
        peer_iface: PEER_IFACE,
        peer_addr: PEER_ADDR,
        peer_mac: PEER_MAC,
        counters,
        _ns: ns,
    })
}
