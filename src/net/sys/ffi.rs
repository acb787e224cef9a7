//! Every `unsafe` line in rawlab, each inside a small safe function the rest of `sys`
//! calls (the crate denies `unsafe_code`; this module alone is let off, and a test in
//! tests/architecture.rs holds that). What it holds:
//! - who the process is: getuid, getgid, geteuid; giving up root (prctl, setgroups,
//!   setresgid, setresuid); PR_SET_DUMPABLE and PR_SET_NO_NEW_PRIVS;
//! - namespaces: unshare and setns;
//! - the terminal: tcgetattr and tcsetattr;
//! - sockets: setsockopt and getsockopt by number, bind and sendto with a
//!   `sockaddr_ll`, recvmmsg with the sender's address and the control messages
//!   decoded into plain values;
//! - memory shared with the kernel: [`SharedMap`], an mmap'd region read and written
//!   by offset, bounds-checked (the packet ring's blocks, the perf rings);
//! - perf events: perf_event_open, its ioctls, the page size;
//! - clock_gettime and poll;
//! - closing perf events apart: pipe2, fork, and the child's close_range, read,
//!   nanosleep and _exit.
//!
//! Nothing here decides anything: the callers in `sys` say what to ask for and
//! what the answers mean.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `Ok(())` when a call returned 0, else the error it left in errno.
fn check(r: libc::c_int) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

// --- who the process is ---------------------------------------------------------

/// The real user id.
pub fn getuid() -> u32 {
    // SAFETY: getuid cannot fail and touches no memory.
    unsafe { libc::getuid() }
}

/// The real group id.
pub fn getgid() -> u32 {
    // SAFETY: getgid cannot fail and touches no memory.
    unsafe { libc::getgid() }
}

/// The effective user id.
pub fn geteuid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// PR_SET_DUMPABLE: whether another process of the same user may look into this one.
pub fn set_dumpable(on: bool) {
    // SAFETY: prctl with PR_SET_DUMPABLE takes an integer and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, libc::c_ulong::from(on), 0, 0, 0);
    }
}

/// Becomes `uid`/`gid` with no supplementary groups, keeping the permitted
/// capabilities across the change (PR_SET_KEEPCAPS for its duration). With
/// `dumpable_after`, makes the process dumpable again (the uid change cleared it).
pub fn change_ids_keeping_caps(uid: u32, gid: u32, dumpable_after: bool) -> io::Result<()> {
    // SAFETY: prctl, setgroups, setresgid and setresuid take plain integers (and a null
    // list for setgroups with size 0) and touch no memory of ours.
    unsafe {
        if libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0
            || libc::setgroups(0, std::ptr::null()) != 0
            || libc::setresgid(gid, gid, gid) != 0
            || libc::setresuid(uid, uid, uid) != 0
        {
            return Err(io::Error::last_os_error());
        }
        libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0);
        if dumpable_after {
            libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0);
        }
    }
    Ok(())
}

/// PR_SET_NO_NEW_PRIVS: setuid programs and file capabilities are inert from now on.
pub fn set_no_new_privs() -> io::Result<()> {
    // SAFETY: prctl with PR_SET_NO_NEW_PRIVS takes integers and touches no memory.
    check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })
}

// --- namespaces -------------------------------------------------------------------

/// unshare(2) with `flags` (CLONE_NEW…).
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare takes flags only.
    check(unsafe { libc::unshare(flags) })
}

/// setns(2): moves this thread into the namespace open at `ns`.
pub fn setns(ns: &OwnedFd, nstype: libc::c_int) -> io::Result<()> {
    // SAFETY: the fd is open (borrowed from an OwnedFd); setns reads only it and the flag.
    check(unsafe { libc::setns(ns.as_raw_fd(), nstype) })
}

// --- the terminal -----------------------------------------------------------------

/// The settings of the terminal on `fd`, if it is one (tcgetattr).
pub fn tcgetattr(fd: RawFd) -> Option<libc::termios> {
    // SAFETY: termios is plain data; all-zero is valid, and tcgetattr fills it or fails.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: t is a live termios; a bad fd makes the call fail.
    (unsafe { libc::tcgetattr(fd, &mut t) } == 0).then_some(t)
}

/// Puts settings back on the terminal on `fd` now (tcsetattr, TCSANOW).
pub fn tcsetattr(fd: RawFd, t: &libc::termios) {
    // SAFETY: t is a live termios; a failure leaves the terminal as it was.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, t);
    }
}

// --- sockets ----------------------------------------------------------------------

/// setsockopt(2) with the option's bytes, as the kernel's struct lays them out.
pub fn setsockopt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &[u8],
) -> io::Result<()> {
    // SAFETY: the pointer and length describe a live byte slice for the call's duration.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    })
}

/// getsockopt(2) into `out`; returns how many bytes the kernel wrote.
pub fn getsockopt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    out: &mut [u8],
) -> io::Result<usize> {
    let mut len = out.len() as libc::socklen_t;
    // SAFETY: out and len describe a live buffer; the kernel writes at most len bytes.
    check(unsafe { libc::getsockopt(fd, level, name, out.as_mut_ptr().cast(), &mut len) })?;
    Ok(len as usize)
}

/// bind(2) to a link-layer address.
pub fn bind_ll(fd: RawFd, sll: &libc::sockaddr_ll) -> io::Result<()> {
    // SAFETY: sll is a valid sockaddr_ll and the length is its size.
    check(unsafe {
        libc::bind(
            fd,
            (sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
}

/// sendto(2) a frame to a link-layer address; returns how many bytes went.
pub fn sendto_ll(fd: RawFd, frame: &[u8], sll: &libc::sockaddr_ll) -> io::Result<usize> {
    // SAFETY: frame is valid for frame.len() bytes; sll is a valid sockaddr_ll and the
    // length is its size.
    let n = unsafe {
        libc::sendto(
            fd,
            frame.as_ptr().cast(),
            frame.len(),
            0,
            (sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Who sent a datagram, as recvfrom's address says.
#[derive(Debug, Clone, Copy)]
pub enum From {
    Ip(std::net::IpAddr),
    /// An AF_PACKET socket's `sockaddr_ll`: interface, packet type, hardware type.
    Packet {
        ifindex: u32,
        pkttype: u8,
        hatype: u16,
    },
    Other,
}

/// One control message the kernel attached to a datagram, of the kinds rawlab asks for.
#[derive(Debug, Clone, Copy)]
pub enum Control {
    /// SO_TIMESTAMPNS: when the kernel received it.
    Stamp(std::time::SystemTime),
    /// SO_RXQ_OVFL: packets dropped on the socket since it opened.
    Dropped(u32),
    /// IPV6_PKTINFO: where it was addressed and the interface it came in on.
    Pktinfo6 {
        dst: std::net::Ipv6Addr,
        ifindex: u32,
    },
    /// IP_PKTINFO: the interface it came in on.
    Pktinfo4 { ifindex: libc::c_int },
}

/// Up to 64 messages' worth of sender addresses and control buffers, kept between
/// recvmmsg calls.
pub struct MsgSlots {
    froms: Vec<libc::sockaddr_storage>,
    controls: Vec<[u64; 32]>,
    decoded: Vec<Control>,
}

/// The most messages one recvmmsg call takes.
const MAX_MSGS: usize = 64;

impl MsgSlots {
    pub fn new(count: usize) -> MsgSlots {
        let count = count.max(1);
        MsgSlots {
            // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
            froms: vec![unsafe { std::mem::zeroed() }; count],
            controls: vec![[0u64; 32]; count],
            decoded: Vec::new(),
        }
    }

    /// How many messages one call can take.
    pub fn capacity(&self) -> usize {
        self.controls.len().min(MAX_MSGS)
    }
}

/// recvmmsg(2) into `buf`, cut into slots of `slot` bytes: waits for one (within the
/// socket's timeout) then takes what is queued (MSG_WAITFORONE), or without `block`
/// only what is queued (MSG_DONTWAIT). Hands each message's length, sender and control
/// messages to `each`; returns how many came.
pub fn recvmmsg(
    fd: RawFd,
    buf: &mut [u8],
    slot: usize,
    slots: &mut MsgSlots,
    block: bool,
    each: &mut dyn FnMut(usize, From, &[Control]),
) -> io::Result<usize> {
    let mut iovs: [libc::iovec; MAX_MSGS] = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; MAX_MSGS];
    let count = slots.capacity();
    // SAFETY: mmsghdr is plain old data; all-zero is valid.
    let mut hdrs: [libc::mmsghdr; MAX_MSGS] = unsafe { std::mem::zeroed() };
    let mut used = 0;
    for (i, chunk) in buf.chunks_mut(slot).take(count).enumerate() {
        iovs[i] = libc::iovec {
            iov_base: chunk.as_mut_ptr().cast(),
            iov_len: chunk.len(),
        };
        let h = &mut hdrs[i].msg_hdr;
        h.msg_name = (&mut slots.froms[i] as *mut libc::sockaddr_storage).cast();
        h.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        h.msg_iov = &mut iovs[i];
        h.msg_iovlen = 1;
        h.msg_control = slots.controls[i].as_mut_ptr().cast();
        h.msg_controllen = std::mem::size_of_val(&slots.controls[i]);
        used = i + 1;
    }
    let flags = if block {
        libc::MSG_WAITFORONE
    } else {
        libc::MSG_DONTWAIT
    };
    // SAFETY: each of the first `used` headers points at an iovec, a name and a control
    // buffer that live until the call returns; the kernel writes within the lengths given.
    let n = unsafe {
        libc::recvmmsg(
            fd,
            hdrs.as_mut_ptr(),
            used as libc::c_uint,
            flags,
            std::ptr::null_mut(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut decoded = std::mem::take(&mut slots.decoded);
    for (h, from) in hdrs.iter().zip(&slots.froms).take(n as usize) {
        decoded.clear();
        controls_of(&h.msg_hdr, &mut decoded);
        each(h.msg_len as usize, from_of(from), &decoded);
    }
    slots.decoded = decoded;
    Ok(n as usize)
}

/// The sender's address, by the family the kernel wrote.
fn from_of(from: &libc::sockaddr_storage) -> From {
    let p = from as *const libc::sockaddr_storage;
    match from.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the kernel wrote a sockaddr_in, which fits in storage.
            let a = unsafe { &*p.cast::<libc::sockaddr_in>() };
            From::Ip(std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).into())
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the kernel wrote a sockaddr_in6, which fits in storage.
            let a = unsafe { &*p.cast::<libc::sockaddr_in6>() };
            From::Ip(std::net::Ipv6Addr::from(a.sin6_addr.s6_addr).into())
        }
        libc::AF_PACKET => {
            // SAFETY: the family says the kernel wrote a sockaddr_ll, which fits in storage.
            let a = unsafe { &*p.cast::<libc::sockaddr_ll>() };
            From::Packet {
                ifindex: a.sll_ifindex as u32,
                pkttype: a.sll_pkttype,
                hatype: a.sll_hatype,
            }
        }
        _ => From::Other,
    }
}

/// The control messages of a received message, in order, of the kinds rawlab reads.
fn controls_of(msg: &libc::msghdr, out: &mut Vec<Control>) {
    // SAFETY: CMSG_FIRSTHDR/NXTHDR walk the control buffer the kernel filled, within
    // msg_controllen; each data pointer is read for the size its header announces.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            match ((*c).cmsg_level, (*c).cmsg_type) {
                (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => {
                    let ts = std::ptr::read_unaligned(data.cast::<libc::timespec>());
                    out.push(Control::Stamp(
                        std::time::UNIX_EPOCH
                            + std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
                    ));
                }
                (libc::SOL_SOCKET, libc::SO_RXQ_OVFL) => {
                    out.push(Control::Dropped(std::ptr::read_unaligned(
                        data.cast::<u32>(),
                    )));
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let pi = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                    out.push(Control::Pktinfo6 {
                        dst: std::net::Ipv6Addr::from(pi.ipi6_addr.s6_addr),
                        ifindex: pi.ipi6_ifindex,
                    });
                }
                (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                    let pi = std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                    out.push(Control::Pktinfo4 {
                        ifindex: pi.ipi_ifindex,
                    });
                }
                _ => {}
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
}

/// poll(2) one descriptor for input (POLLIN | POLLERR) up to `ms` milliseconds. `Ok`
/// whether or not it became ready; the caller looks for itself.
pub fn poll_in(fd: RawFd, ms: libc::c_int) -> io::Result<()> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN | libc::POLLERR,
        revents: 0,
    };
    // SAFETY: pfd is one live pollfd.
    if unsafe { libc::poll(&mut pfd, 1, ms) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// clock_gettime(2): what `clock` reads now.
pub fn clock_gettime(clock: libc::clockid_t) -> io::Result<libc::timespec> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a live timespec the call writes.
    check(unsafe { libc::clock_gettime(clock, &mut ts) })?;
    Ok(ts)
}

// --- memory shared with the kernel ------------------------------------------------

/// Kernel structs that may be read from any bytes: integers only, no padding that
/// matters, every bit pattern valid.
pub trait Plain: Copy {}
impl Plain for libc::tpacket3_hdr {}
impl Plain for libc::sockaddr_ll {}
impl Plain for u32 {}

/// A region mmap'd from a descriptor (MAP_SHARED, read and write), unmapped on drop.
/// Every access names an offset and is checked to lie inside the region.
pub struct SharedMap {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping belongs to its owner alone, which moves it to one thread at a
// time (a ring is moved to its reader, never shared).
unsafe impl Send for SharedMap {}

impl SharedMap {
    /// Maps `len` bytes of `fd` from offset 0.
    pub fn new(fd: RawFd, len: usize) -> io::Result<SharedMap> {
        // SAFETY: asks for a fresh shared mapping of `len` bytes; the result is checked
        // before use.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(SharedMap {
            ptr: map.cast(),
            len,
        })
    }

    fn at(&self, off: usize, size: usize) -> *mut u8 {
        assert!(
            off.checked_add(size).is_some_and(|end| end <= self.len),
            "{size} bytes at {off} lie outside a {}-byte mapping",
            self.len
        );
        // SAFETY: off + size <= len, so the pointer stays inside the mapping.
        unsafe { self.ptr.add(off) }
    }

    /// A u32 the kernel may be writing, read as volatile (a ring block's status).
    pub fn read_volatile_u32(&self, off: usize) -> u32 {
        let p = self.at(off, 4).cast::<u32>();
        assert!(p.is_aligned());
        // SAFETY: inside the mapping and aligned.
        unsafe { p.read_volatile() }
    }

    /// A u64 the kernel may be writing, read as volatile.
    pub fn read_volatile_u64(&self, off: usize) -> u64 {
        let p = self.at(off, 8).cast::<u64>();
        assert!(p.is_aligned());
        // SAFETY: inside the mapping and aligned.
        unsafe { p.read_volatile() }
    }

    /// Writes a u32 the kernel reads, as volatile (handing a block back).
    pub fn write_volatile_u32(&self, off: usize, value: u32) {
        let p = self.at(off, 4).cast::<u32>();
        assert!(p.is_aligned());
        // SAFETY: inside the mapping and aligned; the mapping is writable.
        unsafe { p.write_volatile(value) }
    }

    /// A u64 shared with the kernel, as an atomic (perf's data_head and data_tail).
    pub fn atomic_u64(&self, off: usize) -> &std::sync::atomic::AtomicU64 {
        let p = self.at(off, 8).cast::<u64>();
        assert!(p.is_aligned());
        // SAFETY: inside the mapping, aligned, and living as long as &self; the other
        // side touches it only with atomic operations of its own.
        unsafe { std::sync::atomic::AtomicU64::from_ptr(p) }
    }

    /// A copy of the `T` at `off`, wherever it is aligned.
    pub fn read<T: Plain>(&self, off: usize) -> T {
        let p = self.at(off, std::mem::size_of::<T>()).cast::<T>();
        // SAFETY: inside the mapping; any bytes are a valid T (Plain).
        unsafe { p.read_unaligned() }
    }

    /// The `len` bytes at `off`, borrowed: the caller holds them only while the kernel
    /// leaves them alone (a block that is the user's).
    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        let p = self.at(off, len);
        // SAFETY: inside the mapping, which lives as long as &self.
        unsafe { std::slice::from_raw_parts(p, len) }
    }

    /// Copies `out.len()` bytes from `off` into `out`.
    pub fn copy_out(&self, off: usize, out: &mut [u8]) {
        let p = self.at(off, out.len());
        // SAFETY: the source lies inside the mapping; out is a distinct live buffer.
        unsafe { std::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), out.len()) }
    }
}

impl Drop for SharedMap {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `new` with this length; nothing borrows it
        // once its owner is dropped.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

// --- perf events ------------------------------------------------------------------

/// `struct perf_event_attr` as far as PERF_ATTR_SIZE_VER5 (linux/perf_event.h): every
/// kernel since 4.1 takes this size, and it reaches `clockid`.
#[repr(C)]
#[derive(Default)]
pub struct PerfEventAttr {
    pub kind: u32,
    pub size: u32,
    pub config: u64,
    pub sample_period: u64,
    pub sample_type: u64,
    pub read_format: u64,
    /// The bit fields: disabled is bit 0, use_clockid bit 25.
    pub flags: u64,
    pub wakeup_events: u32,
    pub bp_type: u32,
    pub config1: u64,
    pub config2: u64,
    pub branch_sample_type: u64,
    pub sample_regs_user: u64,
    pub sample_stack_user: u32,
    pub clockid: i32,
    pub sample_regs_intr: u64,
    pub aux_watermark: u32,
    pub sample_max_stack: u16,
    pub reserved_2: u16,
}

const _: () = assert!(std::mem::size_of::<PerfEventAttr>() == 112);

const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
const PERF_EVENT_IOC_ENABLE: libc::Ioctl = libc::_IO(b'$' as u32, 0);
const PERF_EVENT_IOC_SET_FILTER: libc::Ioctl = libc::_IOW::<*const libc::c_char>(b'$' as u32, 6);

/// perf_event_open(2) for every process (pid -1) on one CPU, no group, close-on-exec.
/// The size the kernel reads is the struct's own: `attr.size` is set to it.
pub fn perf_event_open(attr: &mut PerfEventAttr, cpu: u32) -> io::Result<OwnedFd> {
    attr.size = std::mem::size_of::<PerfEventAttr>() as u32;
    // SAFETY: attr is a live perf_event_attr whose size field says how much the kernel
    // may read; the other arguments are integers.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr as *const PerfEventAttr,
            -1 as libc::c_int,
            cpu as libc::c_int,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// PERF_EVENT_IOC_SET_FILTER: ftrace's filter on the event's fields.
pub fn perf_set_filter(fd: &OwnedFd, filter: &std::ffi::CStr) -> io::Result<()> {
    // SAFETY: the fd is open; filter is a NUL-terminated string that outlives the call.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), PERF_EVENT_IOC_SET_FILTER, filter.as_ptr()) })
}

/// PERF_EVENT_IOC_ENABLE: starts counting and sampling.
pub fn perf_enable(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: the fd is open; ENABLE takes no argument.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), PERF_EVENT_IOC_ENABLE, 0) })
}

/// The size of a memory page.
pub fn page_size() -> usize {
    // SAFETY: sysconf takes a name only.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

// --- closing apart ----------------------------------------------------------------

/// A pipe (pipe2, close-on-exec): its read end and its write end.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut ends = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into `ends`.
    check(unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: the kernel just returned both descriptors to us alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) })
}

/// Forks a child that closes every inherited descriptor but `events` and `read_end`,
/// waits until `read_end` reports end of file (every write end closed), waits
/// `linger` more, closes `events` and exits. The parent returns at once (also when
/// fork fails); the child is left for init to reap.
pub fn fork_lingerer(events: &[RawFd], read_end: &OwnedFd, linger: std::time::Duration) {
    let read_end = read_end.as_raw_fd();
    // What the child keeps open, in order: the events and the pipe's read end. Made
    // before the fork: the child allocates nothing.
    let mut kept: Vec<libc::c_uint> = events.iter().map(|&fd| fd as libc::c_uint).collect();
    kept.push(read_end as libc::c_uint);
    kept.sort_unstable();
    // SAFETY: fork copies this thread alone; the child calls only async-signal-safe
    // functions (close_range, close, read, nanosleep, _exit) and reads `kept`,
    // `events` and errno, allocating nothing.
    if unsafe { libc::fork() } != 0 {
        return;
    }
    let close_from_to = |lo: libc::c_uint, hi: libc::c_uint| {
        if lo > hi {
            return;
        }
        // SAFETY: closes the child's own copies of descriptors; nothing uses them.
        unsafe {
            if libc::syscall(libc::SYS_close_range, lo, hi, 0) != 0 {
                // Before Linux 5.9: one at a time, as far as any fd rawlab opens.
                for fd in lo..=hi.min(4095) {
                    libc::close(fd as libc::c_int);
                }
            }
        }
    };
    let mut from = 0;
    for &fd in &kept {
        if fd > 0 {
            close_from_to(from, fd - 1);
        }
        from = fd + 1;
    }
    close_from_to(from, libc::c_uint::MAX);
    let interrupted = || io::Error::last_os_error().kind() == io::ErrorKind::Interrupted;
    // SAFETY: as above. read returns 0 once every write end is closed: the child's
    // went just now, the parent's goes after its own copies of the events.
    unsafe {
        let mut byte = 0u8;
        while libc::read(read_end, (&mut byte as *mut u8).cast(), 1) < 0 && interrupted() {}
        let mut nap = libc::timespec {
            tv_sec: linger.as_secs() as libc::time_t,
            tv_nsec: linger.subsec_nanos() as libc::c_long,
        };
        while libc::nanosleep(&nap, &mut nap) != 0 && interrupted() {}
        for &fd in events {
            libc::close(fd);
        }
        libc::_exit(0);
    }
}
