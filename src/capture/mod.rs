//! The numbered list of packets a session has seen: what it sent and what its
//! sockets captured, in one sequence (#1 sent, #2 its copy on the wire, #3 the
//! reply), kept in a bounded ring so a long listen keeps memory flat.
//!
//! Listener threads push into a pending list; whoever reads numbers and relates them
//! (see [`Store`] for the locks). Whoever prints (the executor during a command, the
//! REPL's printer between commands) takes the packets not yet shown, in order,
//! holding the print lock so two printers never interleave.

pub mod pcap;

use crate::lab::{Relater, Relation};
use crate::net::Mode;
use crate::net::link::LinkSeen;
use crate::wire::Protocol;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// Where a packet came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// Handed to sendto: `bytes` is the whole packet as rawlab built it; the kernel got
    /// `bytes[handed_from..]` (all of it, or just the payload of the IP header in kernel mode).
    Sent {
        mode: Mode,
        handed_from: usize,
        /// Where it was sent (unspecified for a frame without IP, such as ARP).
        dst: IpAddr,
        /// The interface a frame was handed to (mode link).
        iface: Option<String>,
        /// The protocol the sending socket was opened for (255 for IPPROTO_RAW), which
        /// with IP_HDRINCL need not be the ip.proto the packet carries.
        proto: u8,
    },
    /// Read from one of the session's sockets; `link` is what an AF_PACKET socket
    /// adds about a frame (which interface, which way).
    Captured {
        socket: Arc<str>,
        link: Option<LinkSeen>,
        /// The interface an IP socket said the packet came in on (a frame's is in `link`).
        iface: Option<Arc<str>>,
    },
    /// Loaded from a capture file: packet `index` of `path` (its link-layer header dropped
    /// when no table reads it).
    File { path: Arc<Path>, index: u64 },
}

impl Origin {
    /// Where a packet that arrived came from, for its heading: `captured on raw socket
    /// for icmp`, `read from lo.pcap (packet 3)`.
    pub fn source(&self) -> String {
        match self {
            Origin::Sent { .. } => "sent".to_string(),
            Origin::Captured { socket, .. } => format!("captured on {socket}"),
            Origin::File { path, index } => {
                format!("read from {} (packet {index})", path.display())
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Packet {
    pub no: u64,
    pub time: SystemTime,
    pub bytes: Vec<u8>,
    /// The outermost layer of `bytes` (IPv4 for a raw IPv4 socket).
    pub first: &'static Protocol,
    pub origin: Origin,
    /// Source and destination, from the socket, for packets that arrive without the IP
    /// header that would say (an AF_INET6 raw socket hands over only what follows it).
    pub addrs: Option<(IpAddr, IpAddr)>,
    /// When rawlab's user space had it, for a packet read from a socket: the arrival
    /// a program without the kernel's stamp (`time`) would measure.
    pub read: Option<SystemTime>,
    /// What it was found to be, by the packets before it (`lab::Relater`): set once,
    /// when the store numbers it, before anything draws it.
    pub related: OnceLock<Vec<Relation>>,
}

impl Packet {
    /// A packet not yet related to any other.
    pub fn new(
        no: u64,
        time: SystemTime,
        bytes: Vec<u8>,
        first: &'static Protocol,
        origin: Origin,
    ) -> Packet {
        Packet {
            no,
            time,
            bytes,
            first,
            origin,
            addrs: None,
            read: None,
            related: OnceLock::new(),
        }
    }

    pub fn is_sent(&self) -> bool {
        matches!(self.origin, Origin::Sent { .. })
    }

    /// What the packets before it say it is (none until the store has related it).
    pub fn relations(&self) -> &[Relation] {
        self.related.get().map_or(&[], Vec::as_slice)
    }
}

/// Default number of packets kept.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// How long a captured packet waits before it is numbered, so packets from different
/// sockets are numbered in the order the kernel stamped them: a packet socket hands its
/// frames over a ring block at a time, up to 10 ms late, while a raw IP socket's copy of
/// the same packet comes at once.
pub const HOLD: Duration = Duration::from_millis(15);

/// Captured packets waiting to be numbered past which a listener numbers them itself,
/// if nobody else is numbering: memory stays bounded when nobody reads.
const PENDING_MAX: usize = 16 * 1024;

/// The numbered packets: a bounded ring, and how far it has been shown.
struct Ring {
    packets: VecDeque<Arc<Packet>>,
    capacity: usize,
    /// Every packet numbered up to this one has been shown.
    shown: u64,
    /// Packets that fell off the ring before anyone showed them.
    skipped: u64,
}

impl Ring {
    fn push(&mut self, p: Arc<Packet>) {
        if self.packets.len() == self.capacity
            && let Some(old) = self.packets.pop_front()
            && old.no > self.shown
        {
            self.skipped += 1;
            self.shown = old.no;
        }
        self.packets.push_back(p);
    }
}

/// Who numbers: one at a time, in number order, relating each packet to those before
/// it, so every packet is related once whether or not it is ever drawn.
struct Numbering {
    next_no: u64,
    relater: Relater,
    /// An empty list, swapped with the pending when they are numbered.
    spare: Vec<Packet>,
}

/// The store's three locks, always taken in this order: `numbering` (held while packets
/// are numbered and related, and by a send across sendto), `pending` (where listeners
/// put what they read; held only to push or to take), `ring` (held only to push or to
/// read). A listener thus never waits for relating, which in a flood would let its
/// socket overflow.
pub struct Store {
    numbering: Mutex<Numbering>,
    /// Captured packets not yet numbered: each is numbered when it is `HOLD` old, or
    /// when something later (a send) is numbered.
    pending: Mutex<Vec<Packet>>,
    ring: Mutex<Ring>,
    /// Signalled, with `ring`, when packets are numbered.
    arrived: Condvar,
    print: Mutex<()>,
}

/// A lock held despite a panic elsewhere: a printer that panicked mid-render leaves the
/// data intact; keep going.
fn hold<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The store held for numbering (see [`Store::numbering`]).
pub struct Numberer<'a> {
    store: &'a Store,
    numbering: MutexGuard<'a, Numbering>,
    pushed: bool,
}

impl Numberer<'_> {
    /// Numbers the pending packets stamped at or before `upto`, in time order.
    fn settle(&mut self, upto: SystemTime) {
        // Swapped with the spare, so neither list is allocated anew each time.
        let mut waiting = std::mem::take(&mut self.numbering.spare);
        std::mem::swap(&mut waiting, &mut *hold(&self.store.pending));
        if waiting.is_empty() {
            self.numbering.spare = waiting;
            return;
        }
        // Nearly in order already (each socket's own are): a stable sort is cheap.
        waiting.sort_by_key(|p| p.time);
        let ready = waiting.partition_point(|p| p.time <= upto);
        if ready < waiting.len() {
            hold(&self.store.pending).extend(waiting.drain(ready..));
        }
        if ready > 0 {
            let numbered: Vec<Arc<Packet>> = waiting.drain(..).map(|p| self.relate(p)).collect();
            let mut ring = hold(&self.store.ring);
            for p in numbered {
                ring.push(p);
            }
            self.pushed = true;
        }
        self.numbering.spare = waiting;
    }

    /// Numbers what has waited long enough.
    fn settle_old(&mut self) {
        if let Some(upto) = SystemTime::now().checked_sub(HOLD) {
            self.settle(upto);
        }
    }

    /// Gives a packet the next number and relates it to those before it.
    fn relate(&mut self, mut p: Packet) -> Arc<Packet> {
        p.no = self.numbering.next_no;
        self.numbering.next_no += 1;
        let p = Arc::new(p);
        let relations = self.numbering.relater.observe(&p);
        let _ = p.related.set(relations);
        p
    }

    /// Adds a packet that happens now (a send, stamped just before sendto) or comes in
    /// an order of its own (a file's), and returns its number: what was captured before
    /// its time is numbered first.
    pub fn push_from(
        &mut self,
        time: SystemTime,
        bytes: Vec<u8>,
        first: &'static Protocol,
        origin: Origin,
        addrs: Option<(IpAddr, IpAddr)>,
    ) -> u64 {
        if !matches!(origin, Origin::File { .. }) {
            self.settle(time);
        }
        let p = self.relate(Packet {
            addrs,
            ..Packet::new(0, time, bytes, first, origin)
        });
        let no = p.no;
        hold(&self.store.ring).push(p);
        self.pushed = true;
        no
    }
}

impl Drop for Numberer<'_> {
    fn drop(&mut self) {
        if self.pushed {
            // Taken and let go, so a waiter between its look and its wait is woken too.
            drop(hold(&self.store.ring));
            self.store.arrived.notify_all();
        }
    }
}

impl Store {
    pub fn new(capacity: usize) -> Arc<Store> {
        Arc::new(Store {
            numbering: Mutex::new(Numbering {
                next_no: 1,
                relater: Relater::default(),
                spare: Vec::new(),
            }),
            pending: Mutex::new(Vec::new()),
            ring: Mutex::new(Ring {
                packets: VecDeque::new(),
                capacity: capacity.max(1),
                shown: 0,
                skipped: 0,
            }),
            arrived: Condvar::new(),
            print: Mutex::new(()),
        })
    }

    /// Holds the numbering: for a send, held across sendto, so the send is numbered
    /// before its copy on the wire can be.
    pub fn numbering(&self) -> Numberer<'_> {
        Numberer {
            store: self,
            numbering: hold(&self.numbering),
            pushed: false,
        }
    }

    /// The ring, once what has waited long enough is numbered.
    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.numbering().settle_old();
        hold(&self.ring)
    }

    /// Numbers every packet captured so far, however recent: for a command that is
    /// about to look at them all (`save`, `captures`), once its traffic is quiet.
    pub fn settle_all(&self) {
        self.numbering()
            .settle(SystemTime::now() + Duration::from_secs(1));
    }

    /// Adds a packet and returns its number.
    pub fn push(
        &self,
        time: SystemTime,
        bytes: Vec<u8>,
        first: &'static Protocol,
        origin: Origin,
    ) -> u64 {
        self.numbering().push_from(time, bytes, first, origin, None)
    }

    pub fn get(&self, no: u64) -> Option<Arc<Packet>> {
        let g = self.ring();
        let first = g.packets.front()?.no;
        g.packets.get(no.checked_sub(first)? as usize).cloned()
    }

    pub fn len(&self) -> usize {
        self.ring().packets.len()
    }

    /// The number the next packet will get.
    pub fn next_no(&self) -> u64 {
        let mut n = self.numbering();
        n.settle_old();
        n.numbering.next_no
    }

    /// How many packets the ring keeps.
    pub fn capacity(&self) -> usize {
        hold(&self.ring).capacity
    }

    /// Every packet kept, oldest first.
    pub fn all(&self) -> Vec<Arc<Packet>> {
        self.ring().packets.iter().cloned().collect()
    }

    /// Forgets every packet; numbering starts again at 1.
    pub fn clear(&self) {
        let mut n = hold(&self.numbering);
        hold(&self.pending).clear();
        let mut g = hold(&self.ring);
        g.packets.clear();
        g.shown = 0;
        g.skipped = 0;
        n.next_no = 1;
        n.relater = Relater::default();
    }

    /// Sends whose copy on the wire is no longer looked for.
    pub fn forget_sends(&self, nos: &[u64]) {
        if !nos.is_empty() {
            hold(&self.numbering).relater.forget_sends(nos);
        }
    }

    /// The packets numbered after `no` that the ring still holds, oldest first, whether
    /// or not they have been shown: how a send learns what became of its packets.
    pub fn after(&self, no: u64) -> Vec<Arc<Packet>> {
        let g = self.ring();
        let newer = g.packets.iter().rev().take_while(|p| p.no > no).count();
        g.packets
            .range(g.packets.len() - newer..)
            .cloned()
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The packets not shown yet, in order, now marked shown; and how many fell off
    /// the ring unseen since the last call.
    pub fn take_unshown(&self) -> (Vec<Arc<Packet>>, u64) {
        let mut g = self.ring();
        let shown = g.shown;
        // The unshown are at the back of the ring, in number order.
        let unshown = g.packets.iter().rev().take_while(|p| p.no > shown).count();
        let new: Vec<Arc<Packet>> = g
            .packets
            .range(g.packets.len() - unshown..)
            .cloned()
            .collect();
        if let Some(last) = new.last() {
            g.shown = last.no;
        }
        (new, std::mem::take(&mut g.skipped))
    }

    /// Waits until a packet not yet shown is there, or until `deadline`.
    pub fn wait_unshown(&self, deadline: Instant) -> bool {
        loop {
            // When the oldest pending packet comes of age; a packet pushed after this
            // look is numbered by the look after the wait, at most `HOLD` later.
            let oldest = hold(&self.pending).iter().map(|p| p.time).min();
            let g = self.ring();
            if g.packets.back().is_some_and(|p| p.no > g.shown) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let ready = oldest.map_or(HOLD, |t| {
                (t + HOLD)
                    .duration_since(SystemTime::now())
                    .unwrap_or_default()
            });
            let wake = (now + ready.min(HOLD)).min(deadline);
            drop(
                self.arrived
                    .wait_timeout(g, wake.saturating_duration_since(now))
                    .unwrap_or_else(|p| p.into_inner()),
            );
        }
    }

    /// Held while printing, so the REPL's printer and the executor never interleave.
    pub fn print_lock(&self) -> MutexGuard<'_, ()> {
        self.print.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes anyone waiting (used when a listener stops).
    pub fn nudge(&self) {
        self.arrived.notify_all();
    }

    /// Waits at most `d` for news, for the REPL's printer loop.
    pub fn idle_wait(&self, d: Duration) {
        let _ = self.wait_unshown(Instant::now() + d);
    }
}

impl crate::net::Sink for Store {
    fn take(&self, read: SystemTime, packets: &mut Vec<crate::net::Caught>) {
        if packets.is_empty() {
            return;
        }
        let waiting = {
            let mut pending = hold(&self.pending);
            pending.extend(packets.drain(..).map(|p| Packet {
                addrs: p.addrs,
                read: Some(read),
                ..Packet::new(
                    0,
                    p.time,
                    p.bytes,
                    p.first,
                    Origin::Captured {
                        socket: p.socket,
                        link: p.link,
                        iface: p.iface,
                    },
                )
            }));
            pending.len()
        };
        // Numbering is the readers' work (the printer, a send, a wait); a listener does
        // it when many wait and nobody else is at it, and waits its turn when readers
        // fall so far behind that memory would grow.
        let numbering = match self.numbering.try_lock() {
            Ok(n) if waiting > PENDING_MAX => Some(n),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            _ if waiting > 4 * PENDING_MAX => Some(hold(&self.numbering)),
            _ => None,
        };
        if let Some(numbering) = numbering {
            Numberer {
                store: self,
                numbering,
                pushed: false,
            }
            .settle_old();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::IPV4;

    fn cap() -> Origin {
        Origin::Captured {
            socket: "test".into(),
            link: None,
            iface: None,
        }
    }

    #[test]
    fn numbers_in_order_and_shows_each_once() {
        let s = Store::new(10);
        assert_eq!(s.push(SystemTime::now(), vec![1], &IPV4, cap()), 1);
        assert_eq!(s.push(SystemTime::now(), vec![2], &IPV4, cap()), 2);
        let (first, skipped) = s.take_unshown();
        assert_eq!(first.iter().map(|p| p.no).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(skipped, 0);
        assert!(s.take_unshown().0.is_empty());
        assert_eq!(s.get(2).unwrap().bytes, [2]);
        assert!(s.get(3).is_none());
    }

    #[test]
    fn the_ring_drops_the_oldest_and_counts_what_was_never_shown() {
        let s = Store::new(3);
        for i in 0..5u8 {
            s.push(SystemTime::now(), vec![i], &IPV4, cap());
        }
        assert_eq!(s.len(), 3);
        assert!(s.get(2).is_none());
        assert_eq!(s.get(3).unwrap().bytes, [2]);
        let (new, skipped) = s.take_unshown();
        assert_eq!(new.len(), 3);
        assert_eq!(skipped, 2);
    }

    #[test]
    fn waiting_ends_at_the_deadline() {
        let s = Store::new(3);
        assert!(!s.wait_unshown(Instant::now() + Duration::from_millis(10)));
        s.push(SystemTime::now(), vec![], &IPV4, cap());
        assert!(s.wait_unshown(Instant::now()));
    }
}
