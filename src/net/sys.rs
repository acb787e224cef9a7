//! Every raw syscall and every `unsafe` block in rawlab lives here: probing
//! for raw-socket permission, entering the sandbox (a user + network
//! namespace) and making its peer's namespace (setns), bringing an interface
//! up, and AF_PACKET's link-layer addresses (bind, recvfrom, sendto with a
//! sockaddr_ll), and perf events with their mmap'd rings (the kernel's drop
//! tracepoint). Nothing here knows packets, commands or terminals.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::os::fd::AsRawFd;

/// Whether this process may open a raw IPv4 socket on its current network.
pub fn raw_sockets_permitted() -> io::Result<()> {
    Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(libc::IPPROTO_RAW)),
    )
    .map(drop)
}

/// Why the sandbox could not be entered, and what was tried.
#[derive(Debug)]
pub struct SandboxError {
    pub step: &'static str,
    pub err: io::Error,
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.err)
    }
}

static OUTSIDE: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();

/// The uid and gid this process had before entering the sandbox, if it did.
pub fn outside_ids() -> Option<(u32, u32)> {
    OUTSIDE.get().copied()
}

/// Moves this process into a new user namespace (where it is root, mapped to the
/// invoking user outside) and a new network namespace with `lo` up, and lets
/// every group inside open ICMP datagram ("ping") sockets.
///
/// Must run while the process is still single-threaded: the kernel refuses
/// CLONE_NEWUSER to a process with more than one thread.
pub fn enter_sandbox() -> Result<(), SandboxError> {
    let step = |step| move |err| SandboxError { step, err };
    // SAFETY: getuid/getgid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    // SAFETY: unshare takes flags only.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
        return Err(step("unshare(CLONE_NEWUSER | CLONE_NEWNET)")(
            io::Error::last_os_error(),
        ));
    }
    // An unprivileged process must give up setgroups before it may write gid_map.
    match std::fs::write("/proc/self/setgroups", "deny") {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(step("writing /proc/self/setgroups")(e));
        }
        _ => {}
    }
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1"))
        .map_err(step("writing /proc/self/uid_map"))?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1"))
        .map_err(step("writing /proc/self/gid_map"))?;
    set_link_up("lo").map_err(step("bringing lo up"))?;
    // A fresh network namespace refuses ping sockets to everyone ("1 0"). Allow our one
    // group (0 inside; only mapped groups are accepted) so `trigger ping` works. Not
    // fatal: only that command needs it.
    let _ = std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 0");
    let _ = OUTSIDE.set((uid, gid));
    Ok(())
}

/// Sets IFF_UP on an interface, as `ip link set NAME up` does.
pub fn set_link_up(name: &str) -> io::Result<()> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.len() >= ifr.ifr_name.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "interface name too long",
        ));
    }
    for (d, s) in ifr.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: the fd is a live socket and ifr a valid, NUL-terminated ifreq that
    // outlives both calls; SIOCGIFFLAGS/SIOCSIFFLAGS read and write ifru_flags only.
    unsafe {
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut ifr) != 0 {
            return Err(io::Error::last_os_error());
        }
        ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &ifr) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The real user id of this process.
pub fn uid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() }
}

/// Who ran `sudo rawlab`, noted at start (before rawlab gives up root): their ids
/// and home directory.
#[derive(Debug, Clone)]
pub struct SudoUser {
    pub uid: u32,
    pub gid: u32,
    pub home: Option<std::path::PathBuf>,
}

static SUDO_USER: std::sync::OnceLock<Option<SudoUser>> = std::sync::OnceLock::new();

/// The user who started rawlab as root through sudo (SUDO_UID and SUDO_GID), doas
/// (DOAS_USER, a name) or pkexec (PKEXEC_UID). Read once, at the first call, while
/// still root.
pub fn sudo_user() -> Option<&'static SudoUser> {
    SUDO_USER
        .get_or_init(|| {
            if uid() != 0 {
                return None;
            }
            let var = |name| std::env::var(name).ok();
            let (uid, gid) = if let Some(u) = var("SUDO_UID") {
                (u.parse().ok()?, var("SUDO_GID")?.parse().ok()?)
            } else if let Some(name) = var("DOAS_USER") {
                let (uid, gid, _) = passwd_entry(|f| f[0] == name)?;
                (uid, gid)
            } else if let Some(u) = var("PKEXEC_UID") {
                let uid: u32 = u.parse().ok()?;
                let (_, gid, _) = passwd_entry(|f| f[2].parse() == Ok(uid))?;
                (uid, gid)
            } else {
                return None;
            };
            (uid != 0).then(|| SudoUser {
                uid,
                gid,
                home: home_of(uid),
            })
        })
        .as_ref()
}

/// Who started rawlab as root, for the line that says so: `sudo`, `doas`, `pkexec`.
pub fn started_through() -> &'static str {
    if std::env::var_os("SUDO_UID").is_some() {
        "sudo"
    } else if std::env::var_os("DOAS_USER").is_some() {
        "doas"
    } else {
        "pkexec"
    }
}

/// (uid, gid, home) of the first /etc/passwd line whose fields `pick` takes.
fn passwd_entry(pick: impl Fn(&[&str]) -> bool) -> Option<(u32, u32, std::path::PathBuf)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6 && pick(&f)).then(|| {
            Some((
                f[2].parse().ok()?,
                f[3].parse().ok()?,
                std::path::PathBuf::from(f[5]),
            ))
        })?
    })
}

/// A user's home directory, from the password database.
fn home_of(uid: u32) -> Option<std::path::PathBuf> {
    passwd_entry(|f| f[2].parse() == Ok(uid)).map(|(_, _, home)| home)
}

/// Whether this process's uid 0 is the host's: its user namespace maps every uid to
/// itself (`0 0 4294967295`), as only the first one does.
pub fn in_first_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map")
        .map(|m| m.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
        .unwrap_or(true)
}

/// Whether another process of the same user may look into this one (ptrace, its
/// /proc files): off while rawlab holds what it opened as root.
pub fn set_dumpable(on: bool) {
    // SAFETY: prctl with PR_SET_DUMPABLE takes an integer and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, libc::c_ulong::from(on), 0, 0, 0);
    }
}

fn sudo_ids() -> Option<(u32, u32)> {
    sudo_user().map(|u| (u.uid, u.gid))
}

/// The home directory of the user who ran sudo.
pub fn sudo_user_home() -> Option<std::path::PathBuf> {
    sudo_user()?.home.clone()
}

/// Gives up root for the user who ran sudo, keeping only the capabilities listed
/// (CAP_NET_RAW, so raw sockets still open). Files rawlab creates afterwards belong
/// to that user. Must run before any thread starts: the ids are per thread at the
/// syscall level, and glibc can only change them for all threads when it knows them.
pub fn become_user(user: &SudoUser, keep: &[caps::Capability]) -> io::Result<()> {
    let keep: caps::CapsHashSet = keep.iter().copied().collect();
    let err = |e: caps::errors::CapsError| io::Error::other(e.to_string());
    // While root still may (CAP_SETPCAP): an empty bounding set, so no program rawlab
    // could be made to run would gain a capability, whatever its file says.
    caps::clear(None, caps::CapSet::Bounding).map_err(err)?;
    // SAFETY: prctl, setgroups, setresgid and setresuid take plain integers (and a null
    // list for setgroups with size 0) and touch no memory of ours.
    unsafe {
        if libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0
            || libc::setgroups(0, std::ptr::null()) != 0
            || libc::setresgid(user.gid, user.gid, user.gid) != 0
            || libc::setresuid(user.uid, user.uid, user.uid) != 0
        {
            return Err(io::Error::last_os_error());
        }
        libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0);
        // The uid change made the process undumpable, which leaves /proc/self owned by
        // root. Holding no capability, it may be the user's again (the sandbox writes
        // its uid_map there); holding CAP_NET_RAW, it stays undumpable.
        if keep.is_empty() {
            libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0);
        }
    }
    // Kept across the uid change were the permitted capabilities; narrow them to `keep`
    // and make those effective. Nothing is inheritable: programs rawlab runs get none.
    caps::set(None, caps::CapSet::Inheritable, &caps::CapsHashSet::new()).map_err(err)?;
    caps::set(None, caps::CapSet::Effective, &caps::CapsHashSet::new()).map_err(err)?;
    caps::set(None, caps::CapSet::Permitted, &keep).map_err(err)?;
    caps::set(None, caps::CapSet::Effective, &keep).map_err(err)?;
    // No way back to more privilege: setuid programs and file capabilities are inert
    // for rawlab and anything it starts.
    // SAFETY: prctl with PR_SET_NO_NEW_PRIVS takes integers and touches no memory.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The capabilities this process holds now, by name (`cap_net_raw`).
pub fn effective_caps() -> Vec<String> {
    let mut v: Vec<String> = caps::read(None, caps::CapSet::Effective)
        .map(|s| {
            s.into_iter()
                .map(|c| c.to_string().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The effective group id.
pub fn gid() -> u32 {
    // SAFETY: getgid cannot fail.
    unsafe { libc::getgid() }
}

/// Every IPv4 address of this host's (or this namespace's) interfaces.
pub fn local_ipv4_addrs() -> Vec<std::net::Ipv4Addr> {
    local_addrs()
        .into_iter()
        .filter_map(|a| match a {
            std::net::IpAddr::V4(v4) => Some(v4),
            std::net::IpAddr::V6(_) => None,
        })
        .collect()
}

/// Every address, IPv4 and IPv6, of this host's (or this namespace's) interfaces.
pub fn local_addrs() -> Vec<std::net::IpAddr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we walk read-only and free once.
    unsafe {
        if libc::getifaddrs(&mut head) != 0 {
            return out;
        }
        let mut cur = head;
        while !cur.is_null() {
            let a = (*cur).ifa_addr;
            if !a.is_null() && (*a).sa_family as i32 == libc::AF_INET {
                let sin = &*(a as *const libc::sockaddr_in);
                out.push(std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)).into());
            } else if !a.is_null() && (*a).sa_family as i32 == libc::AF_INET6 {
                let sin6 = &*(a as *const libc::sockaddr_in6);
                out.push(std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr).into());
            }
            cur = (*cur).ifa_next;
        }
        libc::freeifaddrs(head);
    }
    out
}

/// Hands a file (and the directories rawlab made for it under the user's home)
/// to the user who ran sudo, so root does not own their history or captures.
pub fn give_to_sudo_user(path: &std::path::Path) {
    let Some((uid, gid)) = sudo_ids() else { return };
    let _ = std::os::unix::fs::chown(path, Some(uid), Some(gid));
    let Some(home) = sudo_user_home() else { return };
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == home || !d.starts_with(&home) {
            break;
        }
        let _ = std::os::unix::fs::chown(d, Some(uid), Some(gid));
        dir = d.parent();
    }
}

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

/// A second network namespace, made beside this process's own: the sandbox's peer.
/// Holding `peer` keeps it alive; when rawlab exits the kernel tears it down, and with
/// it every interface inside (the veth's far end, so the near end goes too).
pub struct Namespaces {
    /// The network namespace this process lives in.
    pub home: std::os::fd::OwnedFd,
    /// The peer's network namespace.
    pub peer: std::os::fd::OwnedFd,
}

/// Makes a new network namespace and comes back home, keeping a handle to it. The
/// process must hold CAP_SYS_ADMIN over its user namespace (it does in the sandbox).
pub fn new_peer_namespace() -> io::Result<Namespaces> {
    let home: std::os::fd::OwnedFd = std::fs::File::open("/proc/thread-self/ns/net")?.into();
    // SAFETY: unshare takes flags only; it moves this thread into a new network namespace.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let peer = std::fs::File::open("/proc/thread-self/ns/net").map(std::os::fd::OwnedFd::from);
    enter_namespace(&home)?;
    Ok(Namespaces { home, peer: peer? })
}

/// Moves this thread into the network namespace open at `ns` (setns(2)).
pub fn enter_namespace(ns: &std::os::fd::OwnedFd) -> io::Result<()> {
    // SAFETY: the fd is an open /proc/…/ns/net file; setns reads only the fd and flag.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Runs `f` inside the network namespace `ns`, then returns home. Sockets and files `f`
/// opens keep the namespace they were opened in.
pub fn in_namespace<T>(ns: &Namespaces, f: impl FnOnce() -> T) -> io::Result<T> {
    enter_namespace(&ns.peer)?;
    let out = f();
    enter_namespace(&ns.home)?;
    Ok(out)
}

/// A packet socket's receive ring (TPACKET_V3): the kernel writes frames into blocks
/// of memory it shares with rawlab and hands over a block at a time, so a flood costs
/// no system call and no copy into a socket buffer per frame, and a burst waits in
/// megabytes of blocks rather than in the socket's receive buffer.
pub struct RxRing {
    fd: std::os::fd::RawFd,
    map: *mut u8,
    block_size: usize,
    blocks: usize,
    next: usize,
}

// SAFETY: the mapping belongs to the ring alone, and a ring is used by one thread at a
// time (it is moved to its reader, never shared).
unsafe impl Send for RxRing {}

/// One frame in a ring block: its bytes, the kernel's receive time, where it was seen.
pub struct RingFrame<'a> {
    pub bytes: &'a [u8],
    pub stamp: std::time::SystemTime,
    pub meta: FrameMeta,
}

impl RxRing {
    /// Sets up a ring of `blocks` blocks of `block_size` bytes (a power-of-two number
    /// of pages) on packet socket `fd`. A block is handed over when full, or after
    /// `retire_ms` with at least one frame in it, so a lone frame waits no longer.
    pub fn new(
        fd: std::os::fd::RawFd,
        block_size: usize,
        blocks: usize,
        retire_ms: u32,
    ) -> io::Result<RxRing> {
        const FRAME: usize = 2048;
        set_int_option(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            libc::tpacket_versions::TPACKET_V3 as libc::c_int,
        )?;
        let req = libc::tpacket_req3 {
            tp_block_size: block_size as u32,
            tp_block_nr: blocks as u32,
            tp_frame_size: FRAME as u32,
            tp_frame_nr: (block_size / FRAME * blocks) as u32,
            tp_retire_blk_tov: retire_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        // SAFETY: req is a live tpacket_req3 and the length is its size.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_RX_RING,
                (&req as *const libc::tpacket_req3).cast(),
                std::mem::size_of::<libc::tpacket_req3>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: maps the ring the kernel just made for fd, at its full length; the
        // result is checked before use.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                block_size * blocks,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(RxRing {
            fd,
            map: map.cast(),
            block_size,
            blocks,
            next: 0,
        })
    }

    /// Waits up to `timeout` for the next block the kernel has filled, hands each frame
    /// in it to `each`, and gives the block back. Returns how many frames it held (0
    /// when none came in time).
    pub fn next_block(
        &mut self,
        timeout: std::time::Duration,
        each: &mut dyn FnMut(RingFrame),
    ) -> io::Result<usize> {
        use std::sync::atomic::{Ordering, fence};
        // SAFETY: `next` < `blocks`, so the block lies inside the mapping.
        let block = unsafe { self.map.add(self.next * self.block_size) };
        let desc = block.cast::<libc::tpacket_block_desc>();
        // SAFETY: desc points at a block descriptor in the live mapping; the kernel
        // writes its status, so it is read as volatile.
        let status = || unsafe { std::ptr::addr_of!((*desc).hdr.bh1.block_status).read_volatile() };
        if status() & libc::TP_STATUS_USER == 0 {
            let mut pfd = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
            // SAFETY: pfd is one live pollfd.
            if unsafe { libc::poll(&mut pfd, 1, ms) } < 0 {
                let e = io::Error::last_os_error();
                return if e.kind() == io::ErrorKind::Interrupted {
                    Ok(0)
                } else {
                    Err(e)
                };
            }
            if status() & libc::TP_STATUS_USER == 0 {
                return Ok(0);
            }
        }
        // The kernel's writes to the block happen before its status says so.
        fence(Ordering::Acquire);
        // SAFETY: the block is the user's until its status is set back; the kernel
        // wrote num_pkts and offset_to_first_pkt before handing it over.
        let (count, first) = unsafe {
            let h = &(*desc).hdr.bh1;
            (h.num_pkts as usize, h.offset_to_first_pkt as usize)
        };
        let hdr_len = std::mem::size_of::<libc::tpacket3_hdr>().next_multiple_of(16);
        let mut at = first;
        for _ in 0..count {
            if at + hdr_len + std::mem::size_of::<libc::sockaddr_ll>() > self.block_size {
                break;
            }
            // SAFETY: `at` was checked to leave room for a frame header and the
            // sockaddr_ll after it inside this block; the kernel laid them out there.
            let (h, sll) = unsafe {
                let p = block.add(at);
                (
                    p.cast::<libc::tpacket3_hdr>().read_unaligned(),
                    p.add(hdr_len).cast::<libc::sockaddr_ll>().read_unaligned(),
                )
            };
            let (start, len) = (at + h.tp_mac as usize, h.tp_snaplen as usize);
            if start + len > self.block_size {
                break;
            }
            // SAFETY: the frame's bytes were checked to lie inside this block, which is
            // not written by the kernel until it is given back below.
            let bytes = unsafe { std::slice::from_raw_parts(block.add(start), len) };
            each(RingFrame {
                bytes,
                stamp: std::time::UNIX_EPOCH + std::time::Duration::new(h.tp_sec.into(), h.tp_nsec),
                meta: FrameMeta {
                    ifindex: sll.sll_ifindex as u32,
                    pkttype: sll.sll_pkttype,
                    hatype: sll.sll_hatype,
                },
            });
            if h.tp_next_offset == 0 {
                break;
            }
            at += h.tp_next_offset as usize;
        }
        // Every read of the block happens before the kernel may write it again.
        fence(Ordering::Release);
        // SAFETY: as above; the block goes back to the kernel.
        unsafe {
            std::ptr::addr_of_mut!((*desc).hdr.bh1.block_status)
                .write_volatile(libc::TP_STATUS_KERNEL);
        }
        self.next = (self.next + 1) % self.blocks;
        Ok(count)
    }

    /// Frames the kernel dropped since last asked, for want of a free block
    /// (PACKET_STATISTICS, which asking resets).
    pub fn drops(&self) -> io::Result<u64> {
        // SAFETY: tpacket_stats_v3 is plain old data; all-zero is valid.
        let mut st: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: st and len describe a live buffer of the struct's size.
        let r = unsafe {
            libc::getsockopt(
                self.fd,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(st.tp_drops.into())
    }
}

impl Drop for RxRing {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `new` with this length and is not used after.
        unsafe {
            libc::munmap(self.map.cast(), self.block_size * self.blocks);
        }
    }
}

/// A terminal's settings, kept to be put back on a way out that skips the line
/// editor's own restoring (SIGTERM, SIGHUP at the prompt).
pub struct TermSettings(libc::termios);

/// The settings of the terminal on `fd`, if it is one.
pub fn terminal_settings(fd: std::os::fd::RawFd) -> Option<TermSettings> {
    // SAFETY: termios is plain data; tcgetattr fills it or fails.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: t is a live termios; fd is an open descriptor or the call fails.
    (unsafe { libc::tcgetattr(fd, &mut t) } == 0).then_some(TermSettings(t))
}

/// Puts back settings taken by [`terminal_settings`].
pub fn restore_terminal(fd: std::os::fd::RawFd, s: &TermSettings) {
    // SAFETY: s.0 came from tcgetattr; a failure leaves the terminal as it was.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &s.0);
    }
}

/// The effective user id: whether rawlab runs as root right now.
pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

/// What `clock` reads now, in nanoseconds since its epoch (clock_gettime).
pub fn clock_ns(clock: libc::clockid_t) -> io::Result<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a live timespec the call writes.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// `struct perf_event_attr` as far as PERF_ATTR_SIZE_VER5 (linux/perf_event.h): every
/// kernel since 4.1 takes this size, and it reaches `clockid`.
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    /// The bit fields: disabled is bit 0, use_clockid bit 25.
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
    branch_sample_type: u64,
    sample_regs_user: u64,
    sample_stack_user: u32,
    clockid: i32,
    sample_regs_intr: u64,
    aux_watermark: u32,
    sample_max_stack: u16,
    reserved_2: u16,
}

const _: () = assert!(std::mem::size_of::<PerfEventAttr>() == 112);

const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
const PERF_ATTR_DISABLED: u64 = 1 << 0;
const PERF_ATTR_USE_CLOCKID: u64 = 1 << 25;
/// A sample's fields (PERF_SAMPLE_*): the kernel writes those asked for in this order.
pub const PERF_SAMPLE_TIME: u64 = 1 << 2;
pub const PERF_SAMPLE_CPU: u64 = 1 << 7;
pub const PERF_SAMPLE_RAW: u64 = 1 << 10;
/// Record types in the ring (PERF_RECORD_*).
pub const PERF_RECORD_LOST: u32 = 2;
pub const PERF_RECORD_SAMPLE: u32 = 9;
const PERF_EVENT_IOC_ENABLE: libc::Ioctl = libc::_IO(b'$' as u32, 0);
const PERF_EVENT_IOC_SET_FILTER: libc::Ioctl = libc::_IOW::<*const libc::c_char>(b'$' as u32, 6);
/// Where `struct perf_event_mmap_page` keeps data_head, data_tail, data_offset and
/// data_size (each a u64).
const DATA_HEAD: usize = 1024;
const DATA_TAIL: usize = 1032;
const DATA_OFFSET: usize = 1040;
const DATA_SIZE: usize = 1048;

/// One CPU's perf event and the ring the kernel writes its records into, shared with
/// rawlab by mmap. Once open, reading it needs no privilege: the descriptor is what
/// the kernel checked.
pub struct PerfRing {
    fd: std::os::fd::OwnedFd,
    map: *mut u8,
    map_len: usize,
    data_offset: usize,
    data_size: usize,
    /// A record that wraps past the ring's end is put back together here.
    scratch: Vec<u8>,
}

// SAFETY: the mapping belongs to this ring alone, and `drain` takes `&mut self`, so
// one thread at a time reads it and moves the tail.
unsafe impl Send for PerfRing {}

impl PerfRing {
    /// Opens tracepoint `id` (tracefs's events/…/id) on one CPU for every process
    /// (pid -1), taking a sample of each hit with the fields `sample_type` names, stamped
    /// by `clock`; it stays disabled until [`PerfRing::enable`]. Maps one page of
    /// header and `pages` pages of ring (a power of two).
    pub fn tracepoint(
        id: u64,
        cpu: u32,
        sample_type: u64,
        clock: libc::clockid_t,
        pages: usize,
    ) -> io::Result<PerfRing> {
        let attr = PerfEventAttr {
            kind: PERF_TYPE_TRACEPOINT,
            size: std::mem::size_of::<PerfEventAttr>() as u32,
            config: id,
            sample_period: 1,
            sample_type,
            flags: PERF_ATTR_DISABLED | PERF_ATTR_USE_CLOCKID,
            clockid: clock,
            ..PerfEventAttr::default()
        };
        // SAFETY: attr is a live perf_event_attr whose size field says how much the
        // kernel may read; the other arguments are integers.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &attr as *const PerfEventAttr,
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
        let fd =
            unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32) };
        // SAFETY: sysconf takes a name only.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let map_len = page * (1 + pages);
        // SAFETY: maps the event's ring at the length perf requires (1 + 2^n pages); the
        // result is checked before use. Writable, so rawlab's data_tail tells the kernel
        // which records it may write over (otherwise it overwrites the oldest).
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let map = map.cast::<u8>();
        // SAFETY: both fields lie inside the header page; kernels before 4.1 leave them 0.
        let (offset, size) = unsafe {
            (
                map.add(DATA_OFFSET).cast::<u64>().read_volatile() as usize,
                map.add(DATA_SIZE).cast::<u64>().read_volatile() as usize,
            )
        };
        let (data_offset, data_size) = if size == 0 {
            (page, map_len - page)
        } else {
            (offset, size)
        };
        Ok(PerfRing {
            fd,
            map,
            map_len,
            data_offset,
            data_size,
            scratch: Vec::new(),
        })
    }

    /// Lets only the hits `filter` matches into the ring (ftrace's filter syntax on the
    /// event's fields, `reason != 2`), so the kernel does not even write the others.
    pub fn set_filter(&self, filter: &str) -> io::Result<()> {
        let c = std::ffi::CString::new(filter)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a filter"))?;
        // SAFETY: the fd is a live perf event; c is a NUL-terminated string that
        // outlives the call.
        if unsafe { libc::ioctl(self.fd.as_raw_fd(), PERF_EVENT_IOC_SET_FILTER, c.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Starts counting and sampling.
    pub fn enable(&self) -> io::Result<()> {
        // SAFETY: the fd is a live perf event; ENABLE takes no argument.
        if unsafe { libc::ioctl(self.fd.as_raw_fd(), PERF_EVENT_IOC_ENABLE, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Hands every record the kernel has written since the last call to `each` (its
    /// type and the bytes after its 8-byte header), then gives their space back. Never
    /// blocks. Returns how many records there were.
    pub fn drain(&mut self, each: &mut dyn FnMut(u32, &[u8])) -> usize {
        use std::sync::atomic::{AtomicU64, Ordering};
        // SAFETY: data_head and data_tail are 8-aligned u64s inside the header page,
        // which lives as long as self; the kernel writes head, rawlab writes tail.
        let (head_word, tail_word) = unsafe {
            (
                AtomicU64::from_ptr(self.map.add(DATA_HEAD).cast::<u64>()),
                AtomicU64::from_ptr(self.map.add(DATA_TAIL).cast::<u64>()),
            )
        };
        // Acquire: the records the kernel wrote before moving head are visible after
        // reading it (the smp_rmb() perf_event_open(2) asks for).
        let head = head_word.load(Ordering::Acquire);
        let mut tail = tail_word.load(Ordering::Relaxed);
        let size = self.data_size as u64;
        // SAFETY: data_offset + data_size lies inside the mapping.
        let data = unsafe { self.map.add(self.data_offset) };
        let copy = |from: u64, out: &mut [u8]| {
            let at = (from % size) as usize;
            let first = out.len().min(self.data_size - at);
            // SAFETY: both pieces lie inside the data area: `first` bytes from `at`, and
            // the rest (shorter than the area) from its start. The kernel does not write
            // between tail and head until tail moves.
            unsafe {
                std::ptr::copy_nonoverlapping(data.add(at), out.as_mut_ptr(), first);
                std::ptr::copy_nonoverlapping(data, out.as_mut_ptr().add(first), out.len() - first);
            }
        };
        let mut count = 0;
        let mut scratch = std::mem::take(&mut self.scratch);
        while head.wrapping_sub(tail) >= 8 {
            let mut hdr = [0u8; 8];
            copy(tail, &mut hdr);
            let kind = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
            let len = u16::from_ne_bytes([hdr[6], hdr[7]]) as u64;
            if len < 8 || len > size || head.wrapping_sub(tail) < len {
                // Not a record: give up on what is left rather than read garbage.
                tail = head;
                break;
            }
            scratch.resize(len as usize - 8, 0);
            copy(tail + 8, &mut scratch);
            each(kind, &scratch);
            tail += len;
            count += 1;
        }
        self.scratch = scratch;
        // Release: every read of the records happens before the kernel may write over
        // them (the smp_mb() before writing data_tail).
        tail_word.store(tail, Ordering::Release);
        count
    }
}

/// Closes perf rings without making rawlab wait for the kernel. The last close of a
/// tracepoint's perf events waits for RCU grace periods before it returns (30–40 ms
/// here, on Linux 6.18), and a process has not exited until its files are closed,
/// so every run as root would end that much later. A forked child takes copies of
/// the descriptors and does the waiting instead: it closes every other descriptor it
/// inherited, so no pipe or terminal waits on it, waits until rawlab has closed its
/// own copies (the end of a pipe), keeps the events `linger` longer, then closes
/// them, which is now the last close, and exits.
pub fn close_rings_apart(rings: Vec<PerfRing>, linger: std::time::Duration) {
    if rings.is_empty() {
        return;
    }
    let mut ends = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into `ends`.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return drop(rings);
    }
    let [read_end, write_end] = ends;
    let events: Vec<libc::c_int> = rings.iter().map(|r| r.fd.as_raw_fd()).collect();
    // What the child keeps open, in order: the events and the pipe's read end.
    let mut kept: Vec<libc::c_uint> = events.iter().map(|&fd| fd as libc::c_uint).collect();
    kept.push(read_end as libc::c_uint);
    kept.sort_unstable();
    // SAFETY: fork copies this thread alone; the child calls only async-signal-safe
    // functions (close_range, close, read, nanosleep, _exit) and reads `kept`,
    // `events` and errno, allocating nothing.
    if unsafe { libc::fork() } == 0 {
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
        // went just now, rawlab's goes after its own copies of the events.
        unsafe {
            let mut byte = 0u8;
            while libc::read(read_end, (&mut byte as *mut u8).cast(), 1) < 0 && interrupted() {}
            let mut nap = libc::timespec {
                tv_sec: linger.as_secs() as libc::time_t,
                tv_nsec: linger.subsec_nanos() as libc::c_long,
            };
            while libc::nanosleep(&nap, &mut nap) != 0 && interrupted() {}
            for &fd in &events {
                libc::close(fd);
            }
            libc::_exit(0);
        }
    }
    // Quick while the child holds the events (as slow as ever if fork failed); then
    // the child may close them. The child is left for init to reap: this runs as
    // rawlab ends.
    drop(rings);
    // SAFETY: both ends are this process's own, used nowhere else.
    unsafe {
        libc::close(write_end);
        libc::close(read_end);
    }
}

impl Drop for PerfRing {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `tracepoint` with this length and is not used
        // after; the descriptor closes after it.
        unsafe {
            libc::munmap(self.map.cast(), self.map_len);
        }
    }
}
