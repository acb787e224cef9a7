//! Sockets past what socket2 offers: options by number, batches of datagrams with
//! their control messages (recvmmsg), and AF_PACKET's link-layer addresses.

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
    // SAFETY: the pointer and length describe a live byte slice for the call's duration.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
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

/// Fills `meta` from a received message's sender address and control messages: the
/// kernel's receive time, its drop count, and on IPv6 sockets the destination address.
fn read_meta(meta: &mut RecvMeta, from: &libc::sockaddr_storage, msg: &libc::msghdr) {
    meta.src = match from.ss_family as libc::c_int {
        // SAFETY: the family says which sockaddr the kernel wrote.
        libc::AF_INET => {
            let a =
                unsafe { &*(from as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Some(std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).into())
        }
        libc::AF_INET6 => {
            let a =
                unsafe { &*(from as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Some(std::net::Ipv6Addr::from(a.sin6_addr.s6_addr).into())
        }
        _ => None,
    };
    if from.ss_family as libc::c_int == libc::AF_PACKET {
        // SAFETY: the family says the kernel wrote a sockaddr_ll, which fits in storage.
        let a = unsafe { &*(from as *const libc::sockaddr_storage).cast::<libc::sockaddr_ll>() };
        meta.frame = Some(FrameMeta {
            ifindex: a.sll_ifindex as u32,
            pkttype: a.sll_pkttype,
            hatype: a.sll_hatype,
        });
    }
    // SAFETY: CMSG_FIRSTHDR/NXTHDR walk the control buffer the kernel filled, within
    // msg_controllen; each data pointer is read for the size its header announces.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            match ((*c).cmsg_level, (*c).cmsg_type) {
                (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => {
                    let ts = std::ptr::read_unaligned(data.cast::<libc::timespec>());
                    meta.stamp = Some(
                        std::time::UNIX_EPOCH
                            + std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
                    );
                }
                (libc::SOL_SOCKET, libc::SO_RXQ_OVFL) => {
                    meta.dropped = Some(std::ptr::read_unaligned(data.cast::<u32>()));
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let pi = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                    meta.dst = Some(std::net::Ipv6Addr::from(pi.ipi6_addr.s6_addr).into());
                    meta.ifindex = Some(pi.ipi6_ifindex);
                }
                (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                    let pi = std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                    meta.ifindex = u32::try_from(pi.ipi_ifindex).ok();
                }
                _ => {}
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
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
    controls: Vec<[u64; 32]>,
    froms: Vec<libc::sockaddr_storage>,
}

impl RecvBatch {
    /// Room for `count` datagrams of up to `slot` bytes each.
    pub fn new(count: usize, slot: usize) -> RecvBatch {
        let count = count.max(1);
        RecvBatch {
            buf: vec![0; count * slot],
            slot,
            metas: Vec::with_capacity(count),
            controls: vec![[0u64; 32]; count],
            // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
            froms: vec![unsafe { std::mem::zeroed() }; count],
        }
    }

    /// How many datagrams one call can take.
    pub fn capacity(&self) -> usize {
        self.controls.len().min(64)
    }

    /// Receives; returns how many datagrams arrived (each with `meta(i)`, `bytes(i)`).
    pub fn recv(&mut self, fd: std::os::fd::RawFd, block: bool) -> io::Result<usize> {
        let count = self.controls.len();
        let mut iovs: [libc::iovec; 64] = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; 64];
        let count = count.min(iovs.len());
        // SAFETY: mmsghdr is plain old data; all-zero is valid.
        let mut hdrs: [libc::mmsghdr; 64] = unsafe { std::mem::zeroed() };
        for (i, chunk) in self.buf.chunks_mut(self.slot).take(count).enumerate() {
            iovs[i] = libc::iovec {
                iov_base: chunk.as_mut_ptr().cast(),
                iov_len: chunk.len(),
            };
            let h = &mut hdrs[i].msg_hdr;
            h.msg_name = (&mut self.froms[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut iovs[i];
            h.msg_iovlen = 1;
            h.msg_control = self.controls[i].as_mut_ptr().cast();
            h.msg_controllen = std::mem::size_of_val(&self.controls[i]);
        }
        // SAFETY: each of the first `count` headers points at an iovec, a name and a
        // control buffer that live until the call returns; the kernel writes within the
        // lengths given.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                hdrs.as_mut_ptr(),
                count as libc::c_uint,
                if block {
                    libc::MSG_WAITFORONE
                } else {
                    libc::MSG_DONTWAIT
                },
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        self.metas.clear();
        for (h, from) in hdrs.iter().zip(&self.froms).take(n as usize) {
            let mut meta = RecvMeta {
                len: h.msg_len as usize,
                ..RecvMeta::default()
            };
            read_meta(&mut meta, from, &h.msg_hdr);
            self.metas.push(meta);
        }
        Ok(n as usize)
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
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    sll.sll_ifindex = ifindex as i32;
    sll
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
        let sll = sockaddr_ll(i);
        // SAFETY: the fd is a live socket; sll is a valid sockaddr_ll and the length is its size.
        let r = unsafe {
            libc::bind(
                sock.as_raw_fd(),
                &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(sock)
}

/// Hands a whole frame to interface `ifindex` through an AF_PACKET socket: the kernel
/// adds nothing and fixes nothing.
pub fn send_frame(sock: &Socket, ifindex: u32, frame: &[u8]) -> io::Result<usize> {
    let sll = sockaddr_ll(ifindex);
    // SAFETY: frame is valid for frame.len() bytes; sll is a valid sockaddr_ll and the
    // length is its size.
    let n = unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            frame.as_ptr() as *const libc::c_void,
            frame.len(),
            0,
            &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
