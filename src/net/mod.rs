//! Sockets, through socket2: the three ways to send an IPv4 packet by hand, and
//! listeners that read a raw socket on a thread of their own (or, while a timed
//! send holds them, on the sending thread) and push what they read into the store.
//! No `unsafe` here; raw syscalls are in `sys`.

pub mod counters;
pub mod drops;
pub mod link;
pub mod netlink;
pub mod peer;
pub mod policy;
pub mod sys;
pub mod traffic;

/// A packet read from a socket, as a listener hands it over.
pub struct Caught {
    /// When the kernel took it in (its stamp), or when it was read.
    pub time: SystemTime,
    pub bytes: Vec<u8>,
    /// The outermost layer of `bytes`.
    pub first: &'static crate::wire::Protocol,
    /// The socket, in words (`raw socket for icmp`).
    pub socket: Arc<str>,
    /// What an AF_PACKET socket says about a frame.
    pub link: Option<link::LinkSeen>,
    /// The interface an IP socket says the packet came in on.
    pub iface: Option<Arc<str>>,
    /// Source and destination, from the socket, for a packet that comes without the
    /// header that would say (an AF_INET6 raw socket hands over what follows it).
    pub addrs: Option<(std::net::IpAddr, std::net::IpAddr)>,
}

/// Where listeners put what they read (the session's packet store): net knows
/// nothing of how packets are kept.
pub trait Sink: Send + Sync {
    /// A batch read with one system call at `read`, taken in at once (the batch is
    /// left empty for its room to be used again).
    fn take(&self, read: SystemTime, packets: &mut Vec<Caught>);
}

/// How packets are handed to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// socket(AF_INET, SOCK_RAW, IPPROTO_RAW): we write the whole IP header.
    Raw,
    /// socket(AF_INET, SOCK_RAW, <template protocol>) with IP_HDRINCL set.
    HdrIncl,
    /// socket(AF_INET, SOCK_RAW, <template protocol>): the kernel writes the IP header.
    Kernel,
    /// socket(AF_PACKET, SOCK_RAW, ETH_P_ALL): whole frames, Ethernet header included.
    Link,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::HdrIncl => "hdrincl",
            Mode::Kernel => "kernel",
            Mode::Link => "link",
        }
    }
    pub const ALL: [Mode; 4] = [Mode::Raw, Mode::HdrIncl, Mode::Kernel, Mode::Link];
}

use crate::wire::icmp;
use crate::wire::ipv4::IPV4;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{self, Read};
use std::net::IpAddr;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// How often a listener looks up from its socket to see whether it should stop.
const POLL: Duration = Duration::from_millis(50);

/// Receive buffer asked for, so a burst is not dropped while the printer catches up.
const RCVBUF: usize = 4 << 20;

/// Where the network comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Net {
    /// The host's network (root, sudo or CAP_NET_RAW).
    Host,
    /// A private user + network namespace: loopback only.
    Sandbox,
    /// No raw sockets at all; the text says why and the ways out.
    Unavailable(String),
}

/// The socket() call behind a mode, in words for the dump.
pub fn describe_mode(mode: Mode, proto: u8) -> String {
    describe_mode_in(Family::V4, mode, proto)
}

/// The socket() call behind a mode for an address family, in words.
pub fn describe_mode_in(family: Family, mode: Mode, proto: u8) -> String {
    if family == Family::V6 && mode != Mode::Link {
        return match mode {
            Mode::Raw => {
                "socket(AF_INET6, SOCK_RAW, IPPROTO_RAW): rawlab writes the IPv6 header".into()
            }
            Mode::HdrIncl => format!(
                "socket(AF_INET6, SOCK_RAW, {proto}) with IPV6_HDRINCL: rawlab writes the IPv6 header"
            ),
            _ => format!(
                "socket(AF_INET6, SOCK_RAW, {proto}): the kernel writes the IPv6 header (and an ICMPv6 checksum)"
            ),
        };
    }
    match mode {
        Mode::Raw => "socket(AF_INET, SOCK_RAW, IPPROTO_RAW): rawlab writes the IP header".into(),
        Mode::HdrIncl => format!(
            "socket(AF_INET, SOCK_RAW, {proto}) with IP_HDRINCL: rawlab writes the IP header"
        ),
        Mode::Kernel => {
            format!("socket(AF_INET, SOCK_RAW, {proto}): the kernel writes the IP header")
        }
        Mode::Link => {
            "socket(AF_PACKET, SOCK_RAW, ETH_P_ALL): rawlab writes the whole frame, and the kernel adds and fixes nothing".into()
        }
    }
}

/// The address family of a socket: IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    fn domain(self) -> Domain {
        match self {
            Family::V4 => Domain::IPV4,
            Family::V6 => Domain::IPV6,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "AF_INET",
            Family::V6 => "AF_INET6",
        }
    }
}

/// Asks the kernel, for the whole life of the process, to stamp every packet as it
/// arrives. It stamps only while some socket wants stamps, and turns stamping on a
/// moment after the first one asks (net_enable_timestamp defers it to a workqueue), so
/// the first packets a new listener read could carry the time they were read instead,
/// and be numbered after packets that came later. Asked once at the start, stamping is
/// on before any listener opens. Best effort: without it, stamps are only later.
pub fn keep_stamping() {
    static KEPT: std::sync::OnceLock<Option<Socket>> = std::sync::OnceLock::new();
    KEPT.get_or_init(|| {
        let s = Socket::new(Domain::IPV4, Type::DGRAM, None).ok()?;
        crate::net::sys::set_int_option(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)
            .ok()?;
        Some(s)
    });
}

/// Opens the socket a mode sends through. `proto` is the template's IP protocol (for
/// IPv6, the next header after the IPv6 header).
pub fn send_socket(family: Family, mode: Mode, proto: u8) -> io::Result<Socket> {
    let domain = family.domain();
    match mode {
        Mode::Raw => Socket::new(domain, Type::RAW, Some(Protocol::from(libc::IPPROTO_RAW))),
        Mode::HdrIncl => {
            let s = Socket::new(domain, Type::RAW, Some(Protocol::from(proto as i32)))?;
            match family {
                Family::V4 => s.set_header_included_v4(true)?,
                Family::V6 => s.set_header_included_v6(true)?,
            }
            filter_icmp(&s, family, proto, Letting::Nothing)?;
            Ok(s)
        }
        Mode::Kernel => {
            let s = Socket::new(domain, Type::RAW, Some(Protocol::from(proto as i32)))?;
            filter_icmp(&s, family, proto, Letting::Nothing)?;
            Ok(s)
        }
        Mode::Link => crate::net::sys::packet_socket(None),
    }
}

/// ICMP_FILTER (linux/icmp.h) and ICMP6_FILTER (linux/icmpv6.h): a bit set for a
/// message type keeps that type off the socket.
const ICMP_FILTER: libc::c_int = 1;
const ICMP6_FILTER: libc::c_int = 1;

/// What a raw ICMP (ICMPv6) socket lets in. It gets a copy of every ICMP message the
/// host receives unless filtered, and the kernel filters before it copies: a copy let
/// in is made in the middle of a loopback round trip, between the request's arrival
/// and the reply, and costs it 2–3 µs when the CPU idled between echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Letting {
    /// Every message: a listener shows what went on the wire.
    Everything,
    /// Echo replies and the errors that can answer a packet (unreachable, source
    /// quench, redirect, time exceeded, parameter problem; ICMPv6: unreachable,
    /// too big, time exceeded, parameter problem), as ping(8) lets in.
    Answers,
    /// Only the errors that can answer a packet: what a send of another protocol
    /// (UDP, TCP) listens for while it waits, whatever listeners are open.
    Errors,
    /// Nothing: the socket rawlab sends with is never read.
    Nothing,
}

/// The ICMP types `letting` lets in, for each family, from the protocols' tables.
fn let_in(letting: Letting, family: Family) -> Vec<u128> {
    use crate::wire::{icmp, icmpv6};
    match (letting, family) {
        (Letting::Answers, Family::V4) => [icmp::ECHO_REPLY]
            .iter()
            .chain(&icmp::ERRORS)
            .copied()
            .collect(),
        (Letting::Answers, Family::V6) => [icmpv6::ECHO_REPLY]
            .iter()
            .chain(&icmpv6::ERRORS)
            .copied()
            .collect(),
        (Letting::Errors, Family::V4) => icmp::ERRORS.to_vec(),
        (Letting::Errors, Family::V6) => icmpv6::ERRORS.to_vec(),
        _ => Vec::new(),
    }
}

/// ICMP6_FILTER's eight words for types 0–255, a set bit (type % 32 of word
/// type / 32) keeping that type out; ICMP_FILTER is the first word alone.
fn blocked_words(letting: Letting, family: Family) -> [u32; 8] {
    let mut words = [u32::MAX; 8];
    for t in let_in(letting, family) {
        words[t as usize / 32] &= !(1 << (t % 32));
    }
    words
}

/// Sets ICMP_FILTER (ICMP6_FILTER) on a raw ICMP (ICMPv6) socket; sockets for other
/// protocols have no such filter and are left as they are.
fn filter_icmp(s: &Socket, family: Family, proto: u8, letting: Letting) -> io::Result<()> {
    if letting == Letting::Everything {
        return Ok(());
    }
    let words = blocked_words(letting, family);
    let fd = s.as_raw_fd();
    match (family, proto as i32) {
        (Family::V4, libc::IPPROTO_ICMP) => {
            crate::net::sys::set_option(fd, libc::SOL_RAW, ICMP_FILTER, &words[0].to_ne_bytes())
        }
        (Family::V6, libc::IPPROTO_ICMPV6) => {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
            crate::net::sys::set_option(fd, libc::IPPROTO_ICMPV6, ICMP6_FILTER, &bytes)
        }
        _ => Ok(()),
    }
}

/// In kernel mode, the fields the kernel takes from socket options instead of a header.
/// TTL, TOS and the IPv4 options (IP_OPTIONS: empty clears them) for the header the
/// kernel writes.
pub fn set_kernel_header_options(s: &Socket, ttl: u8, tos: u8, options: &[u8]) -> io::Result<()> {
    s.set_ttl_v4(ttl as u32)?;
    s.set_tos_v4(tos as u32)?;
    crate::net::sys::set_option(s.as_raw_fd(), libc::IPPROTO_IP, libc::IP_OPTIONS, options)
}

pub fn send_to(s: &Socket, bytes: &[u8], dst: Ipv4Addr) -> io::Result<usize> {
    s.send_to(bytes, &SockAddr::from(SocketAddrV4::new(dst, 0)))
}

/// The source address the kernel picks for packets to `dst`: what a connected UDP
/// socket is bound to (no packet is sent).
pub fn source_for(dst: IpAddr) -> io::Result<IpAddr> {
    let any: IpAddr = match dst {
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
    };
    let s = std::net::UdpSocket::bind((any, 0))?;
    s.connect((dst, 9))?;
    Ok(s.local_addr()?.ip())
}

/// Whether the kernel would route a packet from `from` (an address of this host, or
/// unspecified) to `to`: the source it would use, or the error it gives, asked the way
/// a UDP socket asks (bind, then connect) and with nothing sent.
pub fn route_from(from: IpAddr, to: IpAddr) -> io::Result<IpAddr> {
    let s = std::net::UdpSocket::bind((from, 0))?;
    s.connect((to, 9))?;
    Ok(s.local_addr()?.ip())
}

/// An ICMP datagram ("ping") socket, as ping(8) uses without privilege: the kernel
/// writes the IP header and the ICMP identifier, and fills the checksum.
pub fn ping_socket() -> io::Result<Socket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4))?;
    s.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))?;
    Ok(s)
}

/// The identifier the kernel gives a ping socket's echoes: its local "port".
pub fn ping_socket_ident(s: &Socket) -> io::Result<u16> {
    Ok(s.local_addr()?.as_socket_ipv4().map_or(0, |a| a.port()))
}

/// The socket a `trigger ping` sends its echoes through.
pub enum Pinger {
    /// socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), as ping(8) sends without privilege:
    /// the kernel writes the identifier and the checksum.
    Datagram(Socket),
    /// socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), where ping sockets are not permitted but
    /// raw ones are (sudo): rawlab writes the ICMP message, the kernel the IP header.
    Raw(Socket, u16),
}

impl Pinger {
    /// A ping socket, or a raw ICMP one where this user's group may not open ping
    /// sockets but may open raw ones; and the identifier its echoes carry.
    pub fn open(raw_ident: u16) -> io::Result<(Pinger, u16)> {
        match ping_socket() {
            Ok(s) => {
                let ident = ping_socket_ident(&s).unwrap_or(0);
                Ok((Pinger::Datagram(s), ident))
            }
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                match Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)) {
                    Ok(s) => Ok((Pinger::Raw(s, raw_ident), raw_ident)),
                    Err(_) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// `socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), as ping(8) does without privilege`.
    pub fn words(&self) -> &'static str {
        match self {
            Pinger::Datagram(_) => {
                "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), as ping(8) does without privilege; the kernel writes both headers"
            }
            Pinger::Raw(..) => {
                "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), since this user's group may not open ping sockets (net.ipv4.ping_group_range) but may open raw ones; rawlab writes the echo request, the kernel the IP header"
            }
        }
    }

    /// Echo request `seq` as this socket takes it.
    fn echo(&self, seq: u64) -> Vec<u8> {
        let mut msg = vec![0u8; icmp::ICMP.fixed_len];
        icmp::TYPE.set(&mut msg, icmp::ECHO_REQUEST);
        icmp::SEQ.set(&mut msg, u128::from(seq as u16));
        msg.extend_from_slice(b"rawlab trigger\0\0");
        if let Pinger::Raw(_, ident) = self {
            icmp::IDENT.set(&mut msg, u128::from(*ident));
            let sum = icmp::message_checksum(&msg);
            icmp::CHECKSUM.set(&mut msg, u128::from(sum));
        }
        msg
    }

    /// Whether what was read is an echo reply to these echoes.
    fn is_reply(&self, read: &[u8]) -> bool {
        match self {
            // A ping socket hands over the ICMP message alone, its own replies only.
            Pinger::Datagram(_) => {
                read.len() >= icmp::ICMP.fixed_len && icmp::TYPE.get(read) == icmp::ECHO_REPLY
            }
            // A raw socket hands over every ICMP message, IP header first.
            Pinger::Raw(_, ident) => {
                let d = crate::wire::dissect::dissect(read, &IPV4);
                d.layers.iter().any(|l| {
                    l.proto == &icmp::ICMP
                        && l.complete()
                        && !l.quoted
                        && l.get(read, &icmp::TYPE) == icmp::ECHO_REPLY
                        && l.get(read, &icmp::IDENT) == u128::from(*ident)
                })
            }
        }
    }

    fn socket(&self) -> &Socket {
        match self {
            Pinger::Datagram(s) | Pinger::Raw(s, _) => s,
        }
    }
}

/// Sends `count` echo requests to `dst`, `every` apart and each in its turn of the
/// session's budget, and counts the echo replies. Returns (sent, replies).
pub fn run_pings(
    p: &Pinger,
    dst: Ipv4Addr,
    count: u64,
    every: Duration,
    timeout: Duration,
    stop: &AtomicBool,
    pacer: &crate::net::policy::Pacer,
) -> (u64, u64) {
    let s = p.socket();
    let _ = s.set_read_timeout(Some(Duration::from_millis(20)));
    let (mut sent, mut replies) = (0u64, 0u64);
    let mut buf = [0u8; 2048];
    let mut read_until = |deadline: std::time::Instant, replies: &mut u64, sent: u64| {
        while std::time::Instant::now() < deadline
            && !stop.load(Ordering::Relaxed)
            && *replies < sent
        {
            if let Ok(n) = (&*s).read(&mut buf)
                && p.is_reply(&buf[..n])
            {
                *replies += 1;
            }
        }
    };
    for seq in 1..=count {
        pacer.wait_turn(&|| stop.load(Ordering::Relaxed));
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if send_to(s, &p.echo(seq), dst).is_ok() {
            sent += 1;
        }
        let next = std::time::Instant::now() + if seq < count { every } else { timeout };
        read_until(next, &mut replies, sent);
        if seq < count {
            // Wait out the interval even when the reply came early.
            while std::time::Instant::now() < next && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    (sent, replies)
}

/// In kernel mode on IPv6, the fields the kernel takes from socket options.
pub fn set_kernel_header_options_v6(s: &Socket, hops: u8, tclass: u8) -> io::Result<()> {
    s.set_unicast_hops_v6(hops as u32)?;
    crate::net::sys::set_int_option(
        s.as_raw_fd(),
        libc::IPPROTO_IPV6,
        libc::IPV6_TCLASS,
        tclass as i32,
    )
}

pub fn send_to_addr(s: &Socket, bytes: &[u8], dst: IpAddr) -> io::Result<usize> {
    s.send_to(bytes, &SockAddr::from(std::net::SocketAddr::new(dst, 0)))
}

/// SO_ATTACH_FILTER with a classic BPF program (code, jt, jf, k per instruction).
pub fn attach_filter(s: &Socket, prog: &[(u16, u8, u8, u32)]) -> io::Result<()> {
    let prog: Vec<socket2::SockFilter> = prog
        .iter()
        .map(|&(code, jt, jf, k)| socket2::SockFilter::new(code, jt, jf, k))
        .collect();
    s.attach_filter(&prog)
}

/// A raw socket for one IP protocol, read on its own thread into the store.
pub struct Listener {
    pub family: Family,
    pub proto: u8,
    pub label: String,
    /// What the socket has read, and what the kernel dropped before it could.
    pub stats: Arc<ListenStats>,
    /// The classic BPF program attached to the socket, if any: its instructions.
    pub kernel_filter: Option<usize>,
    /// The same socket (a second descriptor), for setting options while it is read.
    control: Socket,
    /// The socket and what it was last read with: the listener's thread reads
    /// through it, or, while the listener is held, the thread that sends.
    reader: Arc<Mutex<Reader>>,
    held: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// A listener's counts, kept while it runs.
#[derive(Debug, Default)]
pub struct ListenStats {
    /// Packets read from the socket.
    pub captured: std::sync::atomic::AtomicU64,
    /// Packets the kernel dropped because the socket's receive buffer was full
    /// (SO_RXQ_OVFL: the count since the socket opened).
    pub dropped: std::sync::atomic::AtomicU64,
}

impl ListenStats {
    /// `400000 captured, none dropped by the kernel`
    pub fn words(&self) -> String {
        let (c, d) = (
            self.captured.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        );
        match d {
            0 => format!("{c} captured, none dropped by the kernel"),
            d => format!("{c} captured, {d} dropped by the kernel (its receive buffer was full)"),
        }
    }
}

impl Listener {
    /// Opens socket(family, SOCK_RAW, proto), an ICMP one letting in what `letting`
    /// says. The kernel stamps each packet's arrival (SO_TIMESTAMPNS); on IPv6 it
    /// also says where each was addressed (IPV6_PKTINFO), since the packet comes
    /// without its IPv6 header.
    pub fn open(
        family: Family,
        proto: u8,
        letting: Letting,
        label: String,
        store: Arc<dyn Sink>,
    ) -> io::Result<Listener> {
        let first = match family {
            Family::V4 => &IPV4,
            Family::V6 => crate::wire::carried(&crate::wire::ipv6::IPV6, proto as u128)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::Unsupported,
                        "rawlab has no table for what that IPv6 socket hands over",
                    )
                })?,
        };
        let sock = Socket::new(
            family.domain(),
            Type::RAW,
            Some(Protocol::from(proto as i32)),
        )?;
        let _ = sock.set_recv_buffer_size(RCVBUF);
        sock.set_read_timeout(Some(POLL))?;
        let fd = sock.as_raw_fd();
        let _ = crate::net::sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1);
        let _ = crate::net::sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, 1);
        match family {
            Family::V6 => {
                crate::net::sys::set_int_option(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?
            }
            // Which interface each packet came in on, for a capture file's interfaces.
            Family::V4 => {
                let _ = crate::net::sys::set_int_option(fd, libc::IPPROTO_IP, libc::IP_PKTINFO, 1);
            }
        }
        filter_icmp(&sock, family, proto, letting)?;
        let control = sock.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(ListenStats::default());
        let reader = Arc::new(Mutex::new(Reader {
            sock,
            batch: crate::net::sys::RecvBatch::new(32, 65_536),
            first,
            family,
            label: label.as_str().into(),
            store,
            stats: stats.clone(),
            reads: Vec::new(),
            names: link::IfaceNames::default(),
        }));
        let thread = {
            let (reader, stop, held) = (reader.clone(), stop.clone(), held.clone());
            std::thread::Builder::new()
                .name(format!("listen-{proto}"))
                .spawn(move || read_loop(&reader, &stop, &held))?
        };
        Ok(Listener {
            family,
            proto,
            label,
            stats,
            kernel_filter: None,
            control,
            reader,
            held,
            stop,
            thread: Some(thread),
        })
    }

    /// Attaches a classic BPF program (code, jt, jf, k per instruction) to the
    /// socket: the kernel hands it only the packets the program keeps.
    pub fn attach_filter(&mut self, prog: &[(u16, u8, u8, u32)]) -> io::Result<()> {
        attach_filter(&self.control, prog)?;
        self.kernel_filter = Some(prog.len());
        Ok(())
    }

    /// Hands the reading to the caller until the hold is dropped: the listener's
    /// thread parks and the caller reads with [`Held::read`], on its own CPU, right
    /// after each send and while it waits. For echoes close together, copies read on a
    /// second thread added 1–2 µs to each loopback round trip in bench/compare.sh's
    /// rounds (the cause is not pinned down; a thread that spun instead of sleeping
    /// did no better); for echoes far apart, the thread would otherwise look every
    /// `TIMED_POLL` for the whole send (1,940 wake-ups in a second of ping).
    pub fn hold(&self) -> Held {
        self.held.store(true, Ordering::Release);
        Held {
            reader: self.reader.clone(),
            held: self.held.clone(),
            thread: self.thread.as_ref().map(|t| t.thread().clone()),
        }
    }
}

/// A listener's socket, read by whoever holds the lock; pushes happen under it
/// too, so packets reach the store in the order the socket gave them.
struct Reader {
    sock: Socket,
    batch: crate::net::sys::RecvBatch,
    first: &'static crate::wire::Protocol,
    family: Family,
    label: Arc<str>,
    store: Arc<dyn Sink>,
    stats: Arc<ListenStats>,
    /// The batch handed to the store, kept for its room.
    reads: Vec<Caught>,
    names: link::IfaceNames,
}

impl Reader {
    /// One batch from the socket into the store; how many came.
    fn read(&mut self, block: bool) -> io::Result<usize> {
        let n = self.batch.recv(self.sock.as_raw_fd(), block)?;
        let read = SystemTime::now();
        self.stats.captured.fetch_add(n as u64, Ordering::Relaxed);
        let mut reads = std::mem::take(&mut self.reads);
        for i in 0..n {
            let meta = self.batch.meta(i);
            if let Some(d) = meta.dropped {
                self.stats.dropped.store(d as u64, Ordering::Relaxed);
            }
            let time = meta.stamp.unwrap_or_else(SystemTime::now);
            let addrs = match (self.family, meta.src, meta.dst) {
                (Family::V6, Some(src), Some(dst)) => Some((src, dst)),
                _ => None,
            };
            let iface = meta.ifindex.map(|i| self.names.name_of(i).0);
            reads.push(Caught {
                time,
                bytes: self.batch.bytes(i).to_vec(),
                first: self.first,
                socket: self.label.clone(),
                link: None,
                iface,
                addrs,
            });
        }
        self.store.take(read, &mut reads);
        self.reads = reads;
        Ok(n)
    }
}

/// A listener whose reading the holder does (see [`Listener::hold`]).
pub struct Held {
    reader: Arc<Mutex<Reader>>,
    held: Arc<AtomicBool>,
    thread: Option<std::thread::Thread>,
}

impl Held {
    /// Reads whatever the socket has queued into the store, without waiting. If the
    /// listener's thread is still in the read it began before the hold, it is left to
    /// finish it, and what is queued waits for the next call.
    pub fn read(&self) {
        let mut r = match self.reader.try_lock() {
            Ok(r) => r,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        while let Ok(n) = r.read(false) {
            if n < r.batch.capacity() {
                break;
            }
        }
    }
}

impl Drop for Held {
    /// The listener's thread reads again, from now.
    fn drop(&mut self) {
        self.held.store(false, Ordering::Release);
        if let Some(t) = &self.thread {
            t.unpark();
        }
    }
}

/// How many round trips are being timed (a `ping` or `send` under way). While any
/// is, listeners not held (see [`Listener::hold`]) do not sleep on their sockets but
/// look every [`TIMED_POLL`]: a
/// thread asleep on a raw socket is woken by the request's copy in the middle of
/// the kernel's request-to-reply path, which adds the wake-up (about 20 µs on this
/// machine, measured on ping(8) beside a blocked listener) to every round trip.
static TIMING: AtomicUsize = AtomicUsize::new(0);
const TIMED_POLL: Duration = Duration::from_micros(200);

/// Marks round trips as being timed until the guard is dropped.
pub fn timing() -> Timing {
    TIMING.fetch_add(1, Ordering::Relaxed);
    Timing(())
}

pub struct Timing(());

impl Drop for Timing {
    fn drop(&mut self) {
        TIMING.fetch_sub(1, Ordering::Relaxed);
    }
}

fn read_loop(reader: &Mutex<Reader>, stop: &AtomicBool, held: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        if held.load(Ordering::Acquire) {
            // The holder reads; woken when the hold ends or the listener stops.
            std::thread::park_timeout(POLL);
            continue;
        }
        // Batches of up to 32 datagrams a system call: a flood is drained with a
        // fraction of the calls, so the socket's buffer keeps up with the loopback.
        let timed = TIMING.load(Ordering::Relaxed) > 0;
        let read = reader
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .read(!timed);
        match read {
            Ok(_) => {}
            Err(e) if crate::net::sys::nothing_came(&e) => {
                if timed {
                    std::thread::sleep(TIMED_POLL);
                }
            }
            Err(_) => break,
        }
    }
}

impl Drop for Listener {
    /// Stops the thread; it notices within one poll interval.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_filters_let_in_only_what_they_say() {
        // ICMP_FILTER: echo reply 0 and the errors 3, 4, 5, 11, 12 pass; the echo
        // request 8 a listener would otherwise be handed is kept out.
        let v4 = blocked_words(Letting::Answers, Family::V4)[0];
        let passing: Vec<u32> = (0..32).filter(|t| v4 & (1 << t) == 0).collect();
        assert_eq!(passing, [0, 3, 4, 5, 11, 12]);
        // ICMP6_FILTER: errors 1–4 in the first word, echo reply 129 (bit 1 of the
        // fifth), echo request 128 kept out.
        let v6 = blocked_words(Letting::Answers, Family::V6);
        assert_eq!(v6[0], !0b1_1110);
        assert_eq!(v6[4], !0b10);
        assert!(
            v6.iter()
                .enumerate()
                .all(|(i, w)| i == 0 || i == 4 || *w == u32::MAX)
        );
        assert_eq!(blocked_words(Letting::Nothing, Family::V4), [u32::MAX; 8]);
    }
}
