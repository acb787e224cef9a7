//! Where packets may go and how fast: the safe defaults an administrator can
//! allow in a classroom. By default rawlab sends only to loopback, this host's
//! own addresses and the sandbox's peers, forges a foreign source address only
//! inside the sandbox, and paces repeated sends. `--allow-remote` lifts the
//! address rules (with a warning); nothing lifts the pace but `--max-rate`.

use crate::wire::Host;
use crate::wire::Protocol;
use crate::wire::dissect::dissect;
use crate::wire::hosts::Named;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default ceiling on packets per second for repeated sends.
pub const DEFAULT_MAX_RATE: u32 = 1000;

/// How many triggers may run side by side.
pub const MAX_TRIGGERS: usize = 4;

/// One budget of packets a second for the whole session: every packet rawlab makes
/// (a send, a ping's echo, a trigger's) takes a turn, so commands side by side share
/// the ceiling instead of each having it.
#[derive(Debug)]
pub struct Pacer {
    next: Mutex<Instant>,
    interval: Duration,
}

impl Pacer {
    pub fn new(max_rate: u32) -> Pacer {
        Pacer {
            next: Mutex::new(Instant::now()),
            interval: Duration::from_secs(1) / max_rate.max(1),
        }
    }

    /// The earliest moment the next packet may go, taking that turn.
    pub fn turn(&self) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let at = (*next).max(Instant::now());
        *next = at + self.interval;
        at
    }

    /// Takes a turn and sleeps until it comes (or `stop` says to give up).
    pub fn wait_turn(&self, stop: &dyn Fn() -> bool) {
        let at = self.turn();
        while Instant::now() < at && !stop() {
            std::thread::sleep((at - Instant::now()).min(Duration::from_millis(10)));
        }
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub allow_remote: bool,
    /// Whether the session runs in its own network namespace.
    pub sandboxed: bool,
    pub max_rate: u32,
    /// Addresses of the sandbox's peer namespaces (empty until a peer exists).
    pub peers: Vec<IpAddr>,
    /// The session's one budget of packets a second.
    pub pacer: Arc<Pacer>,
}

impl Policy {
    pub fn new(allow_remote: bool, sandboxed: bool, max_rate: u32) -> Policy {
        Policy {
            allow_remote,
            sandboxed,
            max_rate: max_rate.max(1),
            peers: Vec::new(),
            pacer: Arc::new(Pacer::new(max_rate)),
        }
    }

    fn local(&self, a: IpAddr) -> bool {
        a.is_loopback() || crate::net::sys::local_addrs().contains(&a) || self.peers.contains(&a)
    }

    /// Whether a packet may be sent to `dst`; the refusal says why and what would allow it.
    pub fn destination(&self, dst: impl Into<IpAddr>) -> Result<(), String> {
        let dst = dst.into();
        self.destination_named(&dst.to_string(), dst)
    }

    /// The destination rule for an address named by `what` (the address alone, or a
    /// field and where it sits). 0.0.0.0 and :: name no host: Linux takes them for
    /// itself, and a receiver drops them.
    fn destination_named(&self, what: &str, dst: IpAddr) -> Result<(), String> {
        if self.allow_remote || dst.is_unspecified() || self.local(dst) {
            return Ok(());
        }
        let here = if self.sandboxed {
            "loopback (127.0.0.0/8, ::1) or a sandbox peer"
        } else {
            "loopback, one of this host's own addresses, or a sandbox peer"
        };
        let try_ = if dst.is_ipv6() { "::1" } else { "127.0.0.1" };
        Err(format!(
            "{what} is not {here}: rawlab sends elsewhere only when started with --allow-remote, so a lab packet never reaches someone else's machine by accident (try {try_})"
        ))
    }

    /// Whether a packet may claim `src` as its source.
    pub fn source(&self, src: impl Into<IpAddr>) -> Result<(), String> {
        let src = src.into();
        // Named as the field that holds it, as a refusal of a built packet names it.
        let field = if src.is_ipv6() { "ipv6.src" } else { "ip.src" };
        self.source_named(&format!("{field} {src}"), src)
    }

    fn source_named(&self, what: &str, src: IpAddr) -> Result<(), String> {
        if src.is_unspecified() || self.sandboxed || self.allow_remote || self.local(src) {
            return Ok(());
        }
        Err(format!(
            "{what} is not an address of this host: the answer to a forged source goes to whoever owns it, and on the host's network that is a real machine. rawlab forges a foreign source only in the sandbox (`rawlab --sandbox`) or with --allow-remote; to see where the reply goes, try a loopback source such as 127.0.0.9"
        ))
    }

    /// Whether these bytes may be handed over, as a packet or a whole frame: every
    /// address they name, in every layer (a frame's IP header, an inner header, a
    /// route's hops, a quoted datagram, ARP's addresses), passes the rule for its role;
    /// and outside the sandbox no layer carries a packet whose addresses rawlab cannot
    /// read. A frame on lo is no exception: the kernel takes it in as if it had arrived
    /// from outside, answers its source and, on a host that forwards, sends it on.
    pub fn packet(&self, bytes: &[u8], first: &'static Protocol) -> Result<(), String> {
        let d = dissect(bytes, first);
        for n in d.hosts(bytes) {
            let what = |n: &Named| {
                if let Some(option) = &n.option {
                    // A source route's hop is a destination the packet is sent on to.
                    format!("{} {} ({option}){}", n.field.name, n.addr, n.place())
                } else if n.inner || n.quoted {
                    format!("{} {}{}", n.field.name, n.addr, n.place())
                } else if n.role == Host::Destination
                    && d.layers
                        .iter()
                        .any(|l| l.proto.addresses.is_some_and(|(_, f)| f == n.field))
                {
                    // The packet's own destination, as `send 192.0.2.77` names it.
                    n.addr.to_string()
                } else {
                    format!("{} {}", n.field.name, n.addr)
                }
            };
            match n.role {
                Host::Source => self.source_named(&what(&n), n.addr)?,
                // A question reaches no one outside the sandbox; on a host it may.
                Host::Asked if self.sandboxed => {}
                _ => self.destination_named(&what(&n), n.addr)?,
            }
        }
        if !self.sandboxed
            && !self.allow_remote
            && let Some(why) = d.sealed(bytes)
        {
            return Err(format!(
                "{why}: a host that unwraps it sends that packet on, beyond what rawlab can check, so rawlab sends it only in the sandbox (`rawlab --sandbox`) or with --allow-remote"
            ));
        }
        Ok(())
    }

    /// The interval repeated sends keep at least, from the rate ceiling.
    pub fn min_interval(&self) -> Duration {
        Duration::from_secs(1) / self.max_rate
    }

    /// The interval to use for `every` (or back-to-back sends), and whether it was slowed.
    pub fn pace(&self, every: Option<Duration>) -> (Duration, bool) {
        let want = every.unwrap_or(Duration::ZERO);
        let floor = self.min_interval();
        if want < floor {
            (floor, every.is_some())
        } else {
            (want, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn loopback_and_local_addresses_only_by_default() {
        let p = Policy::new(false, true, DEFAULT_MAX_RATE);
        assert!(p.destination(Ipv4Addr::new(127, 0, 0, 1)).is_ok());
        assert!(p.destination(Ipv4Addr::new(127, 9, 9, 9)).is_ok());
        let e = p.destination(Ipv4Addr::new(192, 0, 2, 77)).unwrap_err();
        assert!(e.contains("--allow-remote"), "{e}");
        assert!(p.destination(Ipv4Addr::new(8, 8, 8, 8)).is_err());
        let open = Policy::new(true, false, DEFAULT_MAX_RATE);
        assert!(open.destination(Ipv4Addr::new(8, 8, 8, 8)).is_ok());
    }

    #[test]
    fn peers_are_allowed_once_they_exist() {
        let mut p = Policy::new(false, true, DEFAULT_MAX_RATE);
        let peer = Ipv4Addr::new(198, 51, 100, 2);
        assert!(p.destination(peer).is_err());
        p.peers.push(peer.into());
        assert!(p.destination(peer).is_ok());
    }

    #[test]
    fn a_foreign_source_only_in_the_sandbox() {
        let host = Policy::new(false, false, DEFAULT_MAX_RATE);
        assert!(host.source(Ipv4Addr::UNSPECIFIED).is_ok());
        assert!(host.source(Ipv4Addr::new(127, 0, 0, 9)).is_ok());
        let e = host.source(Ipv4Addr::new(10, 9, 8, 7)).unwrap_err();
        assert!(e.contains("--sandbox"), "{e}");
        assert!(e.starts_with("ip.src 10.9.8.7 "), "{e}");
        let v6: std::net::Ipv6Addr = "2001:db8::7".parse().unwrap();
        let e = host.source(v6).unwrap_err();
        assert!(
            e.starts_with("ipv6.src 2001:db8::7 is not an address of this host"),
            "{e}"
        );
        let e = host.destination(v6).unwrap_err();
        assert!(e.ends_with("(try ::1)"), "{e}");
        assert!(
            Policy::new(false, true, DEFAULT_MAX_RATE)
                .source(Ipv4Addr::new(10, 9, 8, 7))
                .is_ok()
        );
    }

    #[test]
    fn turns_are_shared_by_everyone_who_sends() {
        let p = Pacer::new(100);
        let first = p.turn();
        // Two takers one after another get turns 10 ms apart, whoever they are.
        let (a, b) = (p.turn(), p.turn());
        assert_eq!(a - first, Duration::from_millis(10));
        assert_eq!(b - a, Duration::from_millis(10));
    }

    #[test]
    fn pace_never_beats_the_ceiling() {
        let p = Policy::new(false, true, 100);
        assert_eq!(p.pace(None), (Duration::from_millis(10), false));
        assert_eq!(
            p.pace(Some(Duration::from_micros(1))),
            (Duration::from_millis(10), true)
        );
        assert_eq!(
            p.pace(Some(Duration::from_secs(1))),
            (Duration::from_secs(1), false)
        );
    }
}
