//! Every raw syscall in rawlab is made here: probing for raw-socket permission,
//! entering the sandbox (a user + network namespace) and making its peer's
//! namespace (setns), bringing an interface up, and AF_PACKET's link-layer
//! addresses (bind, recvfrom, sendto with a sockaddr_ll), and perf events with
//! their mmap'd rings (the kernel's drop tracepoint). The `unsafe` lines are all in
//! one file, `ffi.rs`, as small safe functions; the files beside it call those.
//! Nothing here knows packets, commands or terminals.

#[allow(unsafe_code)]
mod ffi;
mod ns;
mod perf;
mod ring;
mod socket;

pub use ns::*;
pub use perf::*;
pub use ring::*;
pub use socket::*;

use socket2::{Domain, Protocol, Socket, Type};
use std::io;

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
    let (uid, gid) = (ffi::getuid(), ffi::getgid());
    ffi::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET)
        .map_err(step("unshare(CLONE_NEWUSER | CLONE_NEWNET)"))?;
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
    let _ = std::fs::write(PING_GROUPS, OPEN_PING_GROUPS);
    let _ = OUTSIDE.set((uid, gid));
    Ok(())
}

const PING_GROUPS: &str = "/proc/sys/net/ipv4/ping_group_range";
/// The sandbox's one group, 0 inside.
const OPEN_PING_GROUPS: &str = "0 0";

/// This network's net.ipv4.ping_group_range, as the kernel shows it (`0 0`): the
/// groups that may open ICMP datagram ("ping") sockets, none when the first is above
/// the last.
pub fn ping_groups() -> io::Result<String> {
    let text = std::fs::read_to_string(PING_GROUPS)?;
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Sets IFF_UP on an interface, as `ip link set NAME up` does (over netlink, as
/// every other change to the links is made).
pub fn set_link_up(name: &str) -> io::Result<()> {
    let mut nl = crate::net::netlink::Netlink::open()?;
    let index = nl.index_of(name)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no interface called {name}"),
        )
    })?;
    nl.set_up(index)
}

/// The real user id of this process.
pub fn uid() -> u32 {
    ffi::getuid()
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

/// The home directory of the user called `name`, from /etc/passwd, for `~name/` in a
/// path (as a shell expands it).
pub fn home_of_user(name: &str) -> Option<std::path::PathBuf> {
    passwd_entry(|f| f[0] == name).map(|(_, _, home)| home)
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
    ffi::set_dumpable(on);
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
    // The uid change makes the process undumpable, which leaves /proc/self owned by
    // root. Holding no capability, it may be the user's again (the sandbox writes its
    // uid_map there); holding CAP_NET_RAW, it stays undumpable.
    ffi::change_ids_keeping_caps(user.uid, user.gid, keep.is_empty())?;
    // Kept across the uid change were the permitted capabilities; narrow them to `keep`
    // and make those effective. Nothing is inheritable: programs rawlab runs get none.
    caps::set(None, caps::CapSet::Inheritable, &caps::CapsHashSet::new()).map_err(err)?;
    caps::set(None, caps::CapSet::Effective, &caps::CapsHashSet::new()).map_err(err)?;
    caps::set(None, caps::CapSet::Permitted, &keep).map_err(err)?;
    caps::set(None, caps::CapSet::Effective, &keep).map_err(err)?;
    // No way back to more privilege: setuid programs and file capabilities are inert
    // for rawlab and anything it starts.
    ffi::set_no_new_privs()
}

/// Takes CAP_NET_RAW out of this thread's effective set, or puts it back from the
/// permitted set (threads started later inherit it as it is then).
pub fn set_net_raw(on: bool) -> io::Result<()> {
    let err = |e: caps::errors::CapsError| io::Error::other(e.to_string());
    if on {
        if !caps::has_cap(None, caps::CapSet::Permitted, caps::Capability::CAP_NET_RAW)
            .map_err(err)?
        {
            return Err(io::Error::from_raw_os_error(libc::EPERM));
        }
        caps::raise(None, caps::CapSet::Effective, caps::Capability::CAP_NET_RAW).map_err(err)
    } else {
        caps::drop(None, caps::CapSet::Effective, caps::Capability::CAP_NET_RAW).map_err(err)
    }
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
    ffi::getgid()
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
    crate::net::netlink::Netlink::open()
        .and_then(|mut nl| nl.addresses())
        .map(|a| a.into_iter().map(|a| a.addr).collect())
        .unwrap_or_default()
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

/// A terminal's settings, kept to be put back on a way out that skips the line
/// editor's own restoring (SIGTERM, SIGHUP at the prompt).
pub struct TermSettings(libc::termios);

/// The settings of the terminal on `fd`, if it is one.
pub fn terminal_settings(fd: std::os::fd::RawFd) -> Option<TermSettings> {
    ffi::tcgetattr(fd).map(TermSettings)
}

/// Puts back settings taken by [`terminal_settings`].
pub fn restore_terminal(fd: std::os::fd::RawFd, s: &TermSettings) {
    ffi::tcsetattr(fd, &s.0);
}
