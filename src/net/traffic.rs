//! Ordinary traffic, through ordinary sockets, for raw sockets to watch: a
//! small HTTP server on loopback (`serve tcp`, and the one-shot server of
//! `trigger http`), a real client request to it, and a UDP datagram. Only
//! loopback; every wait bounded; every thread stops on its own.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the server answers, whatever is asked.
pub const RESPONSE_BODY: &str = "hello from rawlab\n";

fn response() -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{RESPONSE_BODY}",
        RESPONSE_BODY.len()
    )
}

/// Answers one connection: reads the request (up to the blank line, bounded), replies, closes.
fn answer(mut c: TcpStream) -> io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 8192 {
        match c.read(&mut buf)? {
            0 => break,
            n => req.extend_from_slice(&buf[..n]),
        }
    }
    c.write_all(response().as_bytes())?;
    c.flush()
}

/// A TCP server on 127.0.0.1 that answers every connection with a short HTTP reply,
/// until dropped.
pub struct Server {
    pub port: u16,
    /// `tcp` (HTTP) or `udp` (echo).
    pub proto: &'static str,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(port: u16) -> io::Result<Server> {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        l.set_nonblocking(true)?;
        let port = l.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("serve-{port}"))
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match l.accept() {
                        Ok((c, _)) => {
                            let _ = c.set_nonblocking(false);
                            let _ = answer(c);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(10))
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })?;
        Ok(Server {
            port,
            proto: "tcp",
            stop,
            thread: Some(thread),
        })
    }
}

impl Server {
    /// A UDP echo server on 127.0.0.1:port (RFC 862): every datagram goes back to its
    /// sender, as the kernel hands it up, until the server is dropped.
    pub fn echo_udp(port: u16) -> io::Result<Server> {
        let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, port))?;
        s.set_read_timeout(Some(Duration::from_millis(50)))?;
        let port = s.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("echo-{port}"))
            .spawn(move || {
                let mut buf = vec![0u8; 65_536];
                while !flag.load(Ordering::Relaxed) {
                    if let Ok((n, from)) = s.recv_from(&mut buf) {
                        let _ = s.send_to(&buf[..n], from);
                    }
                }
            })?;
        Ok(Server {
            port,
            proto: "udp",
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a client exchange saw.
#[derive(Debug)]
pub struct Exchange {
    pub client_port: u16,
    pub server_port: u16,
    pub sent: usize,
    pub status_line: String,
    pub received: usize,
}

/// Connects to 127.0.0.1:port, sends a GET, reads the whole answer, closes.
pub fn http_get(port: u16, timeout: Duration) -> io::Result<Exchange> {
    let mut c =
        TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), timeout)?;
    c.set_read_timeout(Some(timeout))?;
    let client_port = c.local_addr()?.port();
    let req = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: rawlab\r\n\r\n");
    c.write_all(req.as_bytes())?;
    let mut answer = Vec::new();
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 2048];
    while Instant::now() < deadline && answer.len() < 65536 {
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) => return Err(e),
        }
    }
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    Ok(Exchange {
        client_port,
        server_port: port,
        sent: req.len(),
        status_line,
        received: answer.len(),
    })
}

/// What a datagram earned.
#[derive(Debug, PartialEq)]
pub enum Datagram {
    /// An answer came back, this many bytes.
    Answered(usize),
    /// The kernel reported ICMP port unreachable (ECONNREFUSED on the connected socket).
    Refused,
    /// Nothing came back within the time.
    Silence,
}

/// Sends one UDP datagram from an ephemeral port and waits `timeout` for an answer
/// or a refusal. Returns the source port used and what came of it.
pub fn udp_datagram(
    dst: Ipv4Addr,
    port: u16,
    data: &[u8],
    timeout: Duration,
) -> io::Result<(u16, Datagram)> {
    let s = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    s.connect((dst, port))?;
    let src_port = s.local_addr()?.port();
    s.send(data)?;
    s.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
    let mut buf = [0u8; 2048];
    let got = match s.recv(&mut buf) {
        Ok(n) => Datagram::Answered(n),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Datagram::Refused,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Datagram::Silence
        }
        Err(e) => return Err(e),
    };
    Ok((src_port, got))
}

#[cfg(test)]
mod tests {
    use super::*;

    // These use loopback on whatever network the test runs in; they open no raw socket
    // and send nothing beyond 127.0.0.1.
    #[test]
    fn a_get_to_the_server_comes_back_whole() {
        let s = Server::start(0).unwrap();
        let x = http_get(s.port, Duration::from_secs(2)).unwrap();
        assert_eq!(x.status_line, "HTTP/1.1 200 OK");
        assert_eq!(x.server_port, s.port);
        assert!(x.received > RESPONSE_BODY.len());
    }

    #[test]
    fn a_datagram_to_a_closed_port_is_refused() {
        // Find a port nobody listens on: bind one, note it, close it.
        let port = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (_, got) =
            udp_datagram(Ipv4Addr::LOCALHOST, port, b"hello", Duration::from_secs(1)).unwrap();
        assert_eq!(got, Datagram::Refused);
    }
}
