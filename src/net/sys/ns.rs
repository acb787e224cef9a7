//! A second network namespace beside this process's own (the sandbox's peer), and
//! moving a thread into it for a moment (setns).

use std::io;

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
    // Moves this thread into a new network namespace.
    super::ffi::unshare(libc::CLONE_NEWNET)?;
    let peer = std::fs::File::open("/proc/thread-self/ns/net").map(std::os::fd::OwnedFd::from);
    enter_namespace(&home)?;
    Ok(Namespaces { home, peer: peer? })
}

/// Moves this thread into the network namespace open at `ns` (setns(2)).
pub fn enter_namespace(ns: &std::os::fd::OwnedFd) -> io::Result<()> {
    super::ffi::setns(ns, libc::CLONE_NEWNET)
}

/// Runs `f` inside the network namespace `ns`, then returns home. Sockets and files `f`
/// opens keep the namespace they were opened in.
pub fn in_namespace<T>(ns: &Namespaces, f: impl FnOnce() -> T) -> io::Result<T> {
    enter_namespace(&ns.peer)?;
    let out = f();
    enter_namespace(&ns.home)?;
    Ok(out)
}
