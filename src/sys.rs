//! Every raw syscall and every `unsafe` block in rawlab lives here: probing
//! for raw-socket permission, entering the sandbox (a user + network
//! namespace), and bringing an interface up. Nothing here knows packets,
//! commands or terminals.

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

/// The user who ran sudo, when rawlab was started as root through it (SUDO_UID and
/// SUDO_GID set). Read once, at the first call, while still root.
pub fn sudo_user() -> Option<&'static SudoUser> {
    SUDO_USER
        .get_or_init(|| {
            if uid() != 0 {
                return None;
            }
            let uid: u32 = std::env::var("SUDO_UID").ok()?.parse().ok()?;
            let gid: u32 = std::env::var("SUDO_GID").ok()?.parse().ok()?;
            (uid != 0).then(|| SudoUser {
                uid,
                gid,
                home: home_of(uid),
            })
        })
        .as_ref()
}

/// A user's home directory, from the password database.
fn home_of(uid: u32) -> Option<std::path::PathBuf> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6 && f[2].parse() == Ok(uid)).then(|| std::path::PathBuf::from(f[5]))
    })
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
    let err = |e: caps::errors::CapsError| io::Error::other(e.to_string());
    caps::set(None, caps::CapSet::Inheritable, &caps::CapsHashSet::new()).map_err(err)?;
    caps::set(None, caps::CapSet::Effective, &caps::CapsHashSet::new()).map_err(err)?;
    caps::set(None, caps::CapSet::Permitted, &keep).map_err(err)?;
    caps::set(None, caps::CapSet::Effective, &keep).map_err(err)?;
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
                out.push(std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
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
