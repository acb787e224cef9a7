//! Sockets, through socket2: the three ways to send an IPv4 packet by hand, and
//! listeners that read a raw socket on a thread of their own and push what
//! they read into the store. No `unsafe` here; raw syscalls are in `sys`.

use crate::capture::{Origin, Store};
use crate::command::Mode;
use crate::wire::ipv4::IPV4;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    match mode {
        Mode::Raw => "socket(AF_INET, SOCK_RAW, IPPROTO_RAW): rawlab writes the IP header".into(),
        Mode::HdrIncl => format!(
            "socket(AF_INET, SOCK_RAW, {proto}) with IP_HDRINCL: rawlab writes the IP header"
        ),
        Mode::Kernel => {
            format!("socket(AF_INET, SOCK_RAW, {proto}): the kernel writes the IP header")
        }
    }
}

/// Opens the socket a mode sends through. `proto` is the template's IP protocol.
pub fn send_socket(mode: Mode, proto: u8) -> io::Result<Socket> {
    match mode {
        Mode::Raw => Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(libc::IPPROTO_RAW)),
        ),
        Mode::HdrIncl => {
            let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(proto as i32)))?;
            s.set_header_included_v4(true)?;
            Ok(s)
        }
        Mode::Kernel => Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(proto as i32))),
    }
}

/// In kernel mode, the fields the kernel takes from socket options instead of a header.
pub fn set_kernel_header_options(s: &Socket, ttl: u8, tos: u8) -> io::Result<()> {
    s.set_ttl_v4(ttl as u32)?;
    s.set_tos_v4(tos as u32)
}

pub fn send_to(s: &Socket, bytes: &[u8], dst: Ipv4Addr) -> io::Result<usize> {
    s.send_to(bytes, &SockAddr::from(SocketAddrV4::new(dst, 0)))
}

/// The source address the kernel picks for packets to `dst`: what a connected UDP
/// socket is bound to (no packet is sent).
pub fn source_for(dst: Ipv4Addr) -> io::Result<Ipv4Addr> {
    let s = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    s.connect((dst, 9))?;
    match s.local_addr()? {
        std::net::SocketAddr::V4(a) => Ok(*a.ip()),
        std::net::SocketAddr::V6(_) => {
            Err(io::Error::other("an IPv6 source for an IPv4 destination"))
        }
    }
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

/// Sends `count` echo requests through a ping socket, `every` apart, and counts the
/// replies that come back within `timeout` of the last. Stops early when `stop` is set.
pub fn run_pings(
    s: &Socket,
    dst: Ipv4Addr,
    count: u64,
    every: Duration,
    timeout: Duration,
    stop: &AtomicBool,
) -> (u64, u64) {
    let _ = s.set_read_timeout(Some(Duration::from_millis(20)));
    let (mut sent, mut replies) = (0u64, 0u64);
    let mut buf = [0u8; 2048];
    let mut read_until = |deadline: std::time::Instant, replies: &mut u64, sent: u64| {
        while std::time::Instant::now() < deadline
            && !stop.load(Ordering::Relaxed)
            && *replies < sent
        {
            if let Ok(n) = (&*s).read(&mut buf) {
                // A ping socket hands over the ICMP message only: type 0 is an echo reply.
                if n >= 8 && buf[0] == 0 {
                    *replies += 1;
                }
            }
        }
    };
    for seq in 1..=count {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let mut msg = vec![8, 0, 0, 0, 0, 0, (seq >> 8) as u8, seq as u8];
        msg.extend_from_slice(b"rawlab trigger\0\0");
        if send_to(s, &msg, dst).is_ok() {
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

/// A raw socket for one IP protocol, read on its own thread into the store.
pub struct Listener {
    pub proto: u8,
    pub label: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    pub fn open(proto: u8, label: String, store: Arc<Store>) -> io::Result<Listener> {
        let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(proto as i32)))?;
        let _ = sock.set_recv_buffer_size(RCVBUF);
        sock.set_read_timeout(Some(POLL))?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            let label = label.clone();
            std::thread::Builder::new()
                .name(format!("listen-{proto}"))
                .spawn(move || read_loop(sock, label, &stop, &store))?
        };
        Ok(Listener {
            proto,
            label,
            stop,
            thread: Some(thread),
        })
    }
}

fn read_loop(sock: Socket, label: String, stop: &AtomicBool, store: &Store) {
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        match (&sock).read(&mut buf) {
            Ok(n) => {
                let time = SystemTime::now();
                store.push(
                    time,
                    buf[..n].to_vec(),
                    &IPV4,
                    Origin::Captured {
                        socket: label.clone(),
                    },
                );
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => break,
        }
    }
}

impl Drop for Listener {
    /// Stops the thread; it notices within one poll interval.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
