//! The numbered list of packets a session has seen: what it sent and what its
//! sockets captured, in one sequence (#1 sent, #2 its copy on the wire, #3 the
//! reply), kept in a bounded ring so a long listen keeps memory flat.
//!
//! Listener threads push; whoever prints (the executor during a command, the
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
    },
    /// Read from one of the session's sockets; `link` is what an AF_PACKET socket
    /// adds about a frame (which interface, which way).
    Captured {
        socket: Arc<str>,
        link: Option<LinkSeen>,
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

struct Inner {
    packets: VecDeque<Arc<Packet>>,
    /// Captured packets not yet numbered, oldest first once sorted: each is numbered
    /// when it is `HOLD` old, or when something later (a send) is numbered.
    pending: Vec<Packet>,
    next_no: u64,
    capacity: usize,
    /// Every packet numbered up to this one has been shown.
    shown: u64,
    /// Packets that fell off the ring before anyone showed them.
    skipped: u64,
    /// Relates each packet to those before it as it is numbered, so every packet is
    /// related once, in number order, whether or not it is ever drawn.
    relater: Relater,
}

impl Inner {
    /// Numbers a packet, relates it to those before it and rings it in.
    fn number(&mut self, mut p: Packet) -> u64 {
        let no = self.next_no;
        self.next_no += 1;
        if self.packets.len() == self.capacity
            && let Some(old) = self.packets.pop_front()
            && old.no > self.shown
        {
            self.skipped += 1;
            self.shown = old.no;
        }
        p.no = no;
        let p = Arc::new(p);
        let relations = self.relater.observe(&p);
        let _ = p.related.set(relations);
        self.packets.push_back(p);
        no
    }

    /// Numbers the pending packets stamped at or before `upto`, in time order.
    fn settle(&mut self, upto: SystemTime) {
        if self.pending.is_empty() {
            return;
        }
        // Nearly in order already (each socket's own are): a stable sort is cheap.
        self.pending.sort_by_key(|p| p.time);
        let ready = self.pending.partition_point(|p| p.time <= upto);
        let later = self.pending.split_off(ready);
        for p in std::mem::replace(&mut self.pending, later) {
            self.number(p);
        }
    }

    /// Numbers what has waited long enough.
    fn settle_old(&mut self) {
        if let Some(upto) = SystemTime::now().checked_sub(HOLD) {
            self.settle(upto);
        }
    }

    /// When the oldest pending packet may be numbered, if one waits.
    fn next_ready(&self) -> Option<Instant> {
        let oldest = self.pending.iter().map(|p| p.time).min()?;
        let wait = (oldest + HOLD)
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        Some(Instant::now() + wait)
    }
}

/// The store held for several pushes (see [`Store::batch`]); those waiting for packets
/// are woken once, when it is dropped.
pub struct Batch<'a> {
    store: &'a Store,
    /// Some until dropped: released before the wake-up, so those woken find it free.
    inner: Option<MutexGuard<'a, Inner>>,
    pushed: bool,
    /// When the packets pushed were read from their socket, if they were.
    read: Option<SystemTime>,
}

impl Batch<'_> {
    /// The packets pushed from now on were read from a socket at `time`.
    pub fn read_at(&mut self, time: SystemTime) {
        self.read = Some(time);
    }

    /// Adds a packet read from a socket: it is numbered in the order of its stamp,
    /// once packets stamped before it from other sockets have had time to come.
    pub fn capture(
        &mut self,
        time: SystemTime,
        bytes: Vec<u8>,
        first: &'static Protocol,
        origin: Origin,
        addrs: Option<(IpAddr, IpAddr)>,
    ) {
        let read = self.read;
        let g = self.inner.as_mut().expect("held until dropped");
        g.pending.push(Packet {
            addrs,
            read,
            ..Packet::new(0, time, bytes, first, origin)
        });
        self.pushed = true;
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
        let read = self.read;
        let g = self.inner.as_mut().expect("held until dropped");
        if !matches!(origin, Origin::File { .. }) {
            g.settle(time);
        }
        self.pushed = true;
        g.number(Packet {
            addrs,
            read,
            ..Packet::new(0, time, bytes, first, origin)
        })
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        // What has waited long enough is numbered, so the pending stay few even when
        // nobody reads (a flood while the prompt waits for a key).
        if let Some(g) = self.inner.as_mut() {
            g.settle_old();
        }
        drop(self.inner.take());
        if self.pushed {
            self.store.arrived.notify_all();
        }
    }
}

pub struct Store {
    inner: Mutex<Inner>,
    arrived: Condvar,
    print: Mutex<()>,
}

impl Store {
    pub fn new(capacity: usize) -> Arc<Store> {
        Arc::new(Store {
            inner: Mutex::new(Inner {
                packets: VecDeque::new(),
                pending: Vec::new(),
                next_no: 1,
                capacity: capacity.max(1),
                shown: 0,
                skipped: 0,
                relater: Relater::default(),
            }),
            arrived: Condvar::new(),
            print: Mutex::new(()),
        })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // A printer that panicked mid-render leaves the data intact; keep going.
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.settle_old();
        g
    }

    /// Numbers every packet captured so far, however recent: for a command that is
    /// about to look at them all (`save`, `captures`), once its traffic is quiet.
    pub fn settle_all(&self) {
        let mut g = self.inner();
        g.settle(SystemTime::now() + Duration::from_secs(1));
    }

    /// Adds a packet and returns its number.
    pub fn push(
        &self,
        time: SystemTime,
        bytes: Vec<u8>,
        first: &'static Protocol,
        origin: Origin,
    ) -> u64 {
        self.batch().push_from(time, bytes, first, origin, None)
    }

    /// Holds the store for a run of pushes: one lock and one wake-up for a batch a
    /// listener read with one system call, rather than one a packet.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            store: self,
            inner: Some(self.inner()),
            pushed: false,
            read: None,
        }
    }

    pub fn get(&self, no: u64) -> Option<Arc<Packet>> {
        let g = self.inner();
        let first = g.packets.front()?.no;
        g.packets.get(no.checked_sub(first)? as usize).cloned()
    }

    pub fn len(&self) -> usize {
        self.inner().packets.len()
    }

    /// The number the next packet will get.
    pub fn next_no(&self) -> u64 {
        self.inner().next_no
    }

    /// How many packets the ring keeps.
    pub fn capacity(&self) -> usize {
        self.inner().capacity
    }

    /// Every packet kept, oldest first.
    pub fn all(&self) -> Vec<Arc<Packet>> {
        self.inner().packets.iter().cloned().collect()
    }

    /// Forgets every packet; numbering starts again at 1.
    pub fn clear(&self) {
        let mut g = self.inner();
        g.packets.clear();
        g.pending.clear();
        g.next_no = 1;
        g.shown = 0;
        g.skipped = 0;
        g.relater = Relater::default();
    }

    /// Sends whose copy on the wire is no longer looked for.
    pub fn forget_sends(&self, nos: &[u64]) {
        if !nos.is_empty() {
            self.inner().relater.forget_sends(nos);
        }
    }

    /// The packets numbered after `no` that the ring still holds, oldest first, whether
    /// or not they have been shown: how a send learns what became of its packets.
    pub fn after(&self, no: u64) -> Vec<Arc<Packet>> {
        let g = self.inner();
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
        let mut g = self.inner();
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
        let mut g = self.inner();
        loop {
            g.settle_old();
            if g.packets.back().is_some_and(|p| p.no > g.shown) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            // Woken by a push, or when a pending packet comes of age.
            let wake = g.next_ready().map_or(deadline, |r| r.min(deadline));
            g = self
                .arrived
                .wait_timeout(g, wake.saturating_duration_since(now))
                .unwrap_or_else(|p| p.into_inner())
                .0;
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
        let mut batch = self.batch();
        batch.read_at(read);
        for p in packets.drain(..) {
            batch.capture(
                p.time,
                p.bytes,
                p.first,
                Origin::Captured {
                    socket: p.socket,
                    link: p.link,
                },
                p.addrs,
            );
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
