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

/// The ids of the user who ran `sudo rawlab`, when running as root through sudo.
pub fn sudo_ids() -> Option<(u32, u32)> {
    if uid() != 0 {
        return None;
    }
    let uid = std::env::var("SUDO_UID").ok()?.parse().ok()?;
    let gid = std::env::var("SUDO_GID").ok()?.parse().ok()?;
    Some((uid, gid))
}

/// The home directory of the user who ran sudo, from the password database.
pub fn sudo_user_home() -> Option<std::path::PathBuf> {
    let (uid, _) = sudo_ids()?;
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6 && f[2].parse() == Ok(uid)).then(|| std::path::PathBuf::from(f[5]))
    })
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
