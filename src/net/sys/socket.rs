//! Sockets past what socket2 offers: options by number, batches of datagrams with
//! their control messages (recvmmsg), and AF_PACKET's link-layer addresses.

use super::ffi;
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::os::fd::AsRawFd;

/// Sets an integer socket option socket2 has no method for.
pub fn set_int_option(
    fd: std::os::fd::RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    set_option(fd, level, name, &value.to_ne_bytes())
}

/// Sets a socket option from its bytes, as the kernel's struct lays them out.
pub fn set_option(
    fd: std::os::fd::RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &[u8],
) -> io::Result<()> {
    ffi::setsockopt(fd, level, name, value)
}

/// What the kernel says about a datagram besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecvMeta {
    pub len: usize,
    /// Who sent it (recvfrom's address), for sockets that hand over no IP header.
    pub src: Option<std::net::IpAddr>,
    /// Where it was addressed (IPV6_PKTINFO), likewise.
    pub dst: Option<std::net::IpAddr>,
    /// The interface it came in on (IP_PKTINFO, IPV6_PKTINFO), on IP sockets.
    pub ifindex: Option<u32>,
    /// When the kernel received it (SO_TIMESTAMPNS), not when rawlab read it.
    pub stamp: Option<std::time::SystemTime>,
    /// How many packets the kernel dropped on this socket since it opened (SO_RXQ_OVFL).
    pub dropped: Option<u32>,
    /// On an AF_PACKET socket, what the kernel says about the frame.
    pub frame: Option<FrameMeta>,
}

/// A received datagram's facts in one place: its length, who sent it, and what the
/// kernel's control messages say (receive time, drop count, on IPv6 sockets the
/// destination address, the interface).
fn meta_of(len: usize, from: ffi::From, controls: &[ffi::Control]) -> RecvMeta {
    let mut meta = RecvMeta {
        len,
        ..RecvMeta::default()
    };
    match from {
        ffi::From::Ip(ip) => meta.src = Some(ip),
        ffi::From::Packet {
            ifindex,
            pkttype,
            hatype,
        } => {
            meta.frame = Some(FrameMeta {
                ifindex,
                pkttype,
                hatype,
            })
        }
        ffi::From::Other => {}
    }
    for c in controls {
        match *c {
            ffi::Control::Stamp(t) => meta.stamp = Some(t),
            ffi::Control::Dropped(n) => meta.dropped = Some(n),
            ffi::Control::Pktinfo6 { dst, ifindex } => {
                meta.dst = Some(dst.into());
                meta.ifindex = Some(ifindex);
            }
            ffi::Control::Pktinfo4 { ifindex } => meta.ifindex = u32::try_from(ifindex).ok(),
        }
    }
    meta
}

/// Whether a receive's error says only that nothing came (its timeout passed, nothing
/// was queued, or a signal came first): the reader looks again.
pub fn nothing_came(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Receives up to a batch of datagrams with one recvmmsg call: blocks (within the
/// socket's receive timeout) for the first, then takes what else is already queued,
/// or (not `block`) only takes what is queued. A flood costs one system call per
/// batch rather than one per packet.
pub struct RecvBatch {
    buf: Vec<u8>,
    slot: usize,
    metas: Vec<RecvMeta>,
    slots: ffi::MsgSlots,
}

impl RecvBatch {
    /// Room for `count` datagrams of up to `slot` bytes each.
    pub fn new(count: usize, slot: usize) -> RecvBatch {
        let count = count.max(1);
        RecvBatch {
            buf: vec![0; count * slot],
            slot,
            metas: Vec::with_capacity(count),
            slots: ffi::MsgSlots::new(count),
        }
    }

    /// How many datagrams one call can take.
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Receives; returns how many datagrams arrived (each with `meta(i)`, `bytes(i)`).
    pub fn recv(&mut self, fd: std::os::fd::RawFd, block: bool) -> io::Result<usize> {
        self.metas.clear();
        let metas = &mut self.metas;
        ffi::recvmmsg(
            fd,
            &mut self.buf,
            self.slot,
            &mut self.slots,
            block,
            &mut |len, from, controls| metas.push(meta_of(len, from, controls)),
        )
    }

    pub fn meta(&self, i: usize) -> RecvMeta {
        self.metas[i]
    }

    /// The bytes of datagram `i` (cut to its slot).
    pub fn bytes(&self, i: usize) -> &[u8] {
        let start = i * self.slot;
        &self.buf[start..start + self.metas[i].len.min(self.slot)]
    }
}

/// What the kernel says about a frame an AF_PACKET socket read: which interface, which
/// way it was going (sll_pkttype) and the interface's hardware type (sll_hatype).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameMeta {
    pub ifindex: u32,
    /// PACKET_HOST 0, PACKET_BROADCAST 1, PACKET_MULTICAST 2, PACKET_OTHERHOST 3,
    /// PACKET_OUTGOING 4.
    pub pkttype: u8,
    pub hatype: u16,
}

/// A `sockaddr_ll` for interface `ifindex`, protocol ETH_P_ALL.
fn sockaddr_ll(ifindex: u32) -> libc::sockaddr_ll {
    libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: (libc::ETH_P_ALL as u16).to_be(),
        sll_ifindex: ifindex as i32,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    }
}

/// An AF_PACKET socket of type SOCK_RAW for every protocol (ETH_P_ALL): it reads every
/// frame the interfaces of this namespace send or receive, Ethernet header included, and
/// sends whole frames. With `ifindex`, bound to that interface only.
pub fn packet_socket(ifindex: Option<u32>) -> io::Result<Socket> {
    let sock = Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(Protocol::from((libc::ETH_P_ALL as u16).to_be() as i32)),
    )?;
    if let Some(i) = ifindex {
        ffi::bind_ll(sock.as_raw_fd(), &sockaddr_ll(i))?;
    }
    Ok(sock)
}

/// Hands a whole frame to interface `ifindex` through an AF_PACKET socket: the kernel
/// adds nothing and fixes nothing.
pub fn send_frame(sock: &Socket, ifindex: u32, frame: &[u8]) -> io::Result<usize> {
    ffi::sendto_ll(sock.as_raw_fd(), frame, &sockaddr_ll(ifindex))
}
