//! The link layer's sockets: AF_PACKET listeners that read every frame of an
//! interface (or of all of them) on a thread of their own, and the socket that
//! hands whole frames to an interface (`mode link`). Interfaces are looked up
//! over netlink. No `unsafe` here: the sockaddr_ll calls are in `sys`.
//!
//! On a loopback interface the kernel shows an AF_PACKET socket every frame
//! twice: once leaving (PACKET_OUTGOING), once arriving (PACKET_HOST), because
//! lo's "wire" hands each frame straight back. The listener pairs the two, so
//! the second can be labelled a twin, or dropped when asked (`once`).

use super::{Caught, Sink};
use crate::net::ListenStats;
use crate::net::netlink::{self, Link, Netlink};
use crate::net::sys;
use crate::wire::{Protocol, eth::ETH, ipv4::IPV4};
use socket2::Socket;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

const POLL: Duration = Duration::from_millis(50);
const RCVBUF: usize = 4 << 20;
/// The receive ring: 16 blocks of 512 KiB, about 50,000 small frames (a third of a
/// second of a loopback flood) waiting while the reader is away. A block with any
/// frame in it is handed over after 5 ms, so a lone frame waits no longer.
const RING_BLOCK: usize = 512 << 10;
const RING_BLOCKS: usize = 16;
const RING_RETIRE_MS: u32 = 5;
/// How long an outgoing frame on lo waits for its incoming twin.
const TWIN_WINDOW: Duration = Duration::from_secs(2);

/// What the kernel told an AF_PACKET socket about a frame (sockaddr_ll).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSeen {
    pub iface: Arc<str>,
    pub ifindex: u32,
    /// sll_pkttype: 0 to us, 1 broadcast, 2 multicast, 3 other host, 4 outgoing.
    pub pkttype: u8,
    /// Whether the interface is a loopback (lo), where every frame is seen twice.
    pub loopback: bool,
}

/// sll_pkttype values (linux/if_packet.h).
pub const PACKET_HOST: u8 = 0;
pub const PACKET_OUTGOING: u8 = 4;

impl LinkSeen {
    /// Which way the frame was going, in words.
    pub fn direction(&self) -> &'static str {
        direction_words(self.pkttype)
    }
}

/// sll_pkttype in words: `outgoing`, `to us`, `broadcast`, `multicast`, `other host`.
pub fn direction_words(pkttype: u8) -> &'static str {
    match pkttype {
        0 => "to us",
        1 => "broadcast",
        2 => "multicast",
        3 => "other host",
        4 => "outgoing",
        5 => "looped back",
        6 => "to user space",
        7 => "to the kernel",
        _ => "unknown direction",
    }
}

/// Every interface of this namespace, with its addresses, in index order.
pub fn interfaces() -> io::Result<(Vec<Link>, Vec<netlink::Address>, netlink::Tally)> {
    let mut nl = Netlink::open()?;
    let links = nl.links()?;
    let addrs = nl.addresses()?;
    Ok((links, addrs, nl.tally))
}

/// The interface called `name`, or an error that lists the ones there are.
pub fn interface(name: &str) -> Result<(Link, Vec<netlink::Address>), String> {
    let (links, addrs, _) =
        interfaces().map_err(|e| format!("could not list interfaces over netlink: {e}"))?;
    match links.iter().find(|l| l.name == name) {
        Some(l) => {
            let mine = addrs.into_iter().filter(|a| a.index == l.index).collect();
            Ok((l.clone(), mine))
        }
        None => {
            let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
            let guess = crate::wire::suggest::closest(name, names.iter().copied())
                .first()
                .map_or(String::new(), |g| format!("; did you mean `{g}`?"));
            Err(format!(
                "there is no interface `{name}` here: this network has {} (`ifaces` lists them){guess}",
                names.join(", ")
            ))
        }
    }
}

/// Which table reads the frames of an interface of this hardware type: Ethernet for
/// Ethernet-like ones (lo too), none for those that carry bare IP (tun, wireguard).
pub fn first_layer(hatype: u16, frame: &[u8]) -> Option<&'static Protocol> {
    match hatype {
        netlink::ARPHRD_ETHER | netlink::ARPHRD_LOOPBACK | 6 => Some(&ETH),
        _ if frame.first().is_some_and(|b| b >> 4 == 4) => Some(&IPV4),
        _ => None,
    }
}

/// An AF_PACKET socket read on its own thread into the store.
pub struct LinkListener {
    /// The interface it is bound to, or None for every interface.
    pub iface: Option<String>,
    pub label: String,
    pub once: bool,
    /// Incoming twins on lo not shown because of `once`.
    pub collapsed: Arc<AtomicU64>,
    /// Frames of a hardware type rawlab cannot read, not shown.
    pub unreadable: Arc<AtomicU64>,
    /// Frames read from the socket, and what the kernel dropped before they could be.
    pub stats: Arc<ListenStats>,
    /// The classic BPF program attached to the socket, if any: its instructions.
    pub kernel_filter: Option<usize>,
    /// The same socket (a second descriptor), for setting options while it is read.
    control: Socket,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LinkListener {
    /// Opens a listener on `iface` (index and name) or on every interface.
    pub fn open(
        iface: Option<(u32, String)>,
        once: bool,
        store: Arc<dyn Sink>,
    ) -> io::Result<LinkListener> {
        let sock = sys::packet_socket(iface.as_ref().map(|(i, _)| *i))?;
        let fd = sock.as_raw_fd();
        // Frames come through a ring shared with the kernel; where one cannot be set
        // up, through the socket's buffer in batches.
        let ring = sys::RxRing::new(fd, RING_BLOCK, RING_BLOCKS, RING_RETIRE_MS).ok();
        let _ = sock.set_recv_buffer_size(RCVBUF);
        sock.set_read_timeout(Some(POLL))?;
        // The kernel's receive time, and a count of what it dropped when the buffer
        // was full, as the IP listeners have.
        let _ = sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1);
        let _ = sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, 1);
        let stats = Arc::new(ListenStats::default());
        let control = sock.try_clone()?;
        let label = match &iface {
            Some((_, name)) => format!("packet socket on {name}"),
            None => "packet socket on every interface".to_string(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let collapsed = Arc::new(AtomicU64::new(0));
        let unreadable = Arc::new(AtomicU64::new(0));
        let reader = Reader {
            sock,
            ring,
            label: label.as_str().into(),
            once,
            names: IfaceNames::default(),
            outgoing: VecDeque::new(),
            collapsed: collapsed.clone(),
            unreadable: unreadable.clone(),
            reads: Vec::new(),
        };
        let thread = {
            let stop = stop.clone();
            let stats = stats.clone();
            std::thread::Builder::new()
                .name("listen-link".into())
                .spawn(move || reader.run(&stop, &*store, &stats))?
        };
        Ok(LinkListener {
            iface: iface.map(|(_, n)| n),
            label,
            once,
            collapsed,
            unreadable,
            stats,
            kernel_filter: None,
            control,
            stop,
            thread: Some(thread),
        })
    }

    /// Attaches a classic BPF program to the socket (see [`super::attach_filter`]).
    pub fn attach_filter(&mut self, prog: &[(u16, u8, u8, u32)]) -> io::Result<()> {
        super::attach_filter(&self.control, prog)?;
        self.kernel_filter = Some(prog.len());
        Ok(())
    }

    /// Whether it sees the frames of interface `name`.
    pub fn covers(&self, name: &str) -> bool {
        self.iface.as_deref().is_none_or(|i| i == name)
    }
}

impl Drop for LinkListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Interface index → (name, whether it is a loopback), looked up over netlink when a
/// new index comes (at most once a second), for sockets that name the interface of
/// each packet by its index.
#[derive(Default)]
pub(crate) struct IfaceNames {
    names: HashMap<u32, (Arc<str>, bool)>,
    looked_up: Option<Instant>,
    /// The last interface asked about: a flood comes through one.
    last: Option<(u32, Arc<str>, bool)>,
}

impl IfaceNames {
    pub(crate) fn name_of(&mut self, ifindex: u32) -> (Arc<str>, bool) {
        if let Some((ix, name, lo)) = &self.last
            && *ix == ifindex
        {
            return (name.clone(), *lo);
        }
        let found = self.look_up(ifindex);
        self.last = Some((ifindex, found.0.clone(), found.1));
        found
    }

    fn look_up(&mut self, ifindex: u32) -> (Arc<str>, bool) {
        let stale = self
            .looked_up
            .is_none_or(|t| t.elapsed() > Duration::from_secs(1));
        if !self.names.contains_key(&ifindex)
            && stale
            && let Ok((links, _, _)) = interfaces()
        {
            self.looked_up = Some(Instant::now());
            self.names = links
                .into_iter()
                .map(|l| (l.index, (l.name.as_str().into(), l.is_loopback())))
                .collect();
        }
        self.names
            .get(&ifindex)
            .cloned()
            .unwrap_or_else(|| (format!("interface {ifindex}").into(), false))
    }
}

struct Reader {
    sock: Socket,
    ring: Option<sys::RxRing>,
    label: Arc<str>,
    once: bool,
    names: IfaceNames,
    /// Recent outgoing frames on loopback interfaces, for `once`: (ifindex, bytes, when).
    outgoing: VecDeque<(u32, Vec<u8>, Instant)>,
    collapsed: Arc<AtomicU64>,
    unreadable: Arc<AtomicU64>,
    /// The batch handed to the store, kept for its room.
    reads: Vec<Caught>,
}

impl Reader {
    fn run(mut self, stop: &AtomicBool, store: &dyn Sink, stats: &ListenStats) {
        let mut frames: Vec<(Vec<u8>, sys::FrameMeta, SystemTime)> = Vec::new();
        match self.ring.take() {
            Some(mut ring) => {
                while !stop.load(Ordering::Relaxed) {
                    frames.clear();
                    let mut each = |f: sys::RingFrame| {
                        frames.push((f.bytes.to_vec(), f.meta, f.stamp));
                    };
                    if ring.next_block(POLL, &mut each).is_err() {
                        break;
                    }
                    if let Ok(d) = ring.drops() {
                        stats.dropped.fetch_add(d, Ordering::Relaxed);
                    }
                    self.push(&mut frames, store, stats);
                }
            }
            None => {
                // Batches of up to 32 frames a system call, as the IP listeners read: a
                // flood on lo is four frames an echo (each seen leaving and arriving).
                let mut batch = sys::RecvBatch::new(32, 65_536);
                let fd = self.sock.as_raw_fd();
                while !stop.load(Ordering::Relaxed) {
                    let n = match batch.recv(fd, true) {
                        Ok(n) => n,
                        Err(e) if sys::nothing_came(&e) => continue,
                        Err(_) => break,
                    };
                    frames.clear();
                    for i in 0..n {
                        let meta = batch.meta(i);
                        if let Some(d) = meta.dropped {
                            stats.dropped.store(d as u64, Ordering::Relaxed);
                        }
                        if let Some(m) = meta.frame {
                            let time = meta.stamp.unwrap_or_else(SystemTime::now);
                            frames.push((batch.bytes(i).to_vec(), m, time));
                        }
                    }
                    self.push(&mut frames, store, stats);
                }
            }
        }
    }

    /// Frames read, into the store under one lock.
    fn push(
        &mut self,
        frames: &mut Vec<(Vec<u8>, sys::FrameMeta, SystemTime)>,
        store: &dyn Sink,
        stats: &ListenStats,
    ) {
        if frames.is_empty() {
            return;
        }
        stats
            .captured
            .fetch_add(frames.len() as u64, Ordering::Relaxed);
        // Interface names first: a new one is asked of netlink, which is not done
        // while the store is held.
        for (_, m, _) in frames.iter() {
            self.names.name_of(m.ifindex);
        }
        let read = SystemTime::now();
        let now = Instant::now();
        let mut kept = std::mem::take(&mut self.reads);
        for (frame, meta, time) in frames.drain(..) {
            kept.extend(self.take(time, now, frame, meta));
        }
        store.take(read, &mut kept);
        self.reads = kept;
    }

    /// One frame read, as the store will take it (None for a twin `once` drops, or a
    /// frame no table reads).
    fn take(
        &mut self,
        time: SystemTime,
        now: Instant,
        frame: Vec<u8>,
        meta: sys::FrameMeta,
    ) -> Option<Caught> {
        let Some(first) = first_layer(meta.hatype, &frame) else {
            self.unreadable.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let (iface, loopback) = self.names.name_of(meta.ifindex);
        // The incoming copy of a frame lo sent is related to it as it is numbered
        // (lab::Relater); with `once` it is not kept at all.
        if self.once && loopback {
            // Kept in the order they left: the expired ones are at the front.
            while self
                .outgoing
                .front()
                .is_some_and(|(_, _, t)| now - *t >= TWIN_WINDOW)
            {
                self.outgoing.pop_front();
            }
            if meta.pkttype == PACKET_OUTGOING {
                if self.outgoing.len() >= 256 {
                    self.outgoing.pop_front();
                }
                self.outgoing.push_back((meta.ifindex, frame.clone(), now));
            } else if let Some(i) = self
                .outgoing
                .iter()
                .rposition(|(ix, b, _)| *ix == meta.ifindex && *b == frame)
            {
                // Back in as it went out: to us, or broadcast or multicast when sent so.
                self.outgoing.remove(i);
                self.collapsed.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        }
        let seen = LinkSeen {
            iface,
            ifindex: meta.ifindex,
            pkttype: meta.pkttype,
            loopback,
        };
        Some(Caught {
            iface: None,
            time,
            bytes: frame,
            first,
            socket: self.label.clone(),
            link: Some(seen),
            addrs: None,
        })
    }
}

/// The socket `mode link` sends through: AF_PACKET, SOCK_RAW, not bound, so each
/// frame names its interface.
pub fn send_socket() -> io::Result<Socket> {
    sys::packet_socket(None)
}

/// Hands a frame to an interface; the kernel adds nothing.
pub fn send(sock: &Socket, ifindex: u32, frame: &[u8]) -> io::Result<usize> {
    sys::send_frame(sock, ifindex, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_by_their_hardware_type() {
        assert_eq!(first_layer(netlink::ARPHRD_ETHER, &[0; 14]), Some(&ETH));
        assert_eq!(first_layer(netlink::ARPHRD_LOOPBACK, &[0; 14]), Some(&ETH));
        assert_eq!(first_layer(65534, &[0x45, 0]), Some(&IPV4));
        assert_eq!(first_layer(65534, &[0x60, 0]), None);
        assert_eq!(first_layer(65534, &[]), None);
    }
}
