//! Just enough HTTP/1.1 for the page, with every resource bounded: a request is one
//! head (request line and headers, at most [`HEAD_LIMIT`] bytes, read within
//! [`HEAD_TIME`]), answered once, and the connection closed. At most
//! [`MAX_CONNECTIONS`] are served at once, and [`MAX_PER_PEER`] from one address
//! other than loopback; the next is told so and closed, so a viewer who opens
//! thousands of idle connections costs rawlab no more than that, and cannot take
//! every place from the room.
//! (tiny_http, used before, gave each connection a thread of its own and never timed
//! out an idle one: 6,000 idle connections held 6,000 threads and 158 MB.)

use super::lock;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Connections served at once: every viewer's event stream, and room beside them for
/// their page and packet requests.
pub const MAX_CONNECTIONS: usize = super::MAX_VIEWERS + 32;
/// Connections served at once from one address other than loopback: a browser opens
/// six to a host, and its event stream. So one laptop in the room cannot take every
/// place from the others.
pub const MAX_PER_PEER: usize = 12;
/// The most a request's head may hold; browsers send well under 2 KiB.
const HEAD_LIMIT: usize = 8192;
/// How long a client has to send its whole head.
const HEAD_TIME: Duration = Duration::from_secs(5);
/// How long one write to a client may wait before the client is given up.
const WRITE_TIME: Duration = Duration::from_secs(10);

/// A request's head, as far as the page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target: the path and the query.
    pub target: String,
    /// The Host header, lowercased, if any.
    pub host: Option<String>,
}

impl Request {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// Why a head could not be read: the status to answer with, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Bad(pub u16, pub &'static str);

/// Reads one request head from `r`, within `HEAD_TIME` of `start`.
pub fn read_head(r: &mut TcpStream, start: Instant) -> Result<Request, Bad> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let left = HEAD_TIME.saturating_sub(start.elapsed());
        if left.is_zero() || r.set_read_timeout(Some(left)).is_err() {
            return Err(Bad(408, "the request did not come in time"));
        }
        match r.read(&mut buf) {
            Ok(0) => return Err(Bad(400, "the connection closed inside the request")),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Bad(408, "the request did not come in time")),
        }
        if let Some(end) = find(&head, b"\r\n\r\n") {
            head.truncate(end);
            return parse_head(&head);
        }
        if head.len() > HEAD_LIMIT {
            return Err(Bad(431, "the request's head is too long"));
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A head without its closing blank line: `METHOD TARGET HTTP/1.x`, then headers.
pub fn parse_head(head: &[u8]) -> Result<Request, Bad> {
    let bad = Bad(400, "not an HTTP/1.1 request");
    let text = std::str::from_utf8(head).map_err(|_| Bad(400, "the request is not text"))?;
    let mut lines = text.split("\r\n");
    let mut words = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(bad);
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(bad);
    }
    let mut host = None;
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            return Err(Bad(400, "a header line without a colon"));
        };
        if k.eq_ignore_ascii_case("host") {
            if host.is_some() {
                return Err(Bad(400, "two Host headers"));
            }
            host = Some(v.trim().to_ascii_lowercase());
        }
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        host,
    })
}

/// The reason phrase for the statuses the page answers with.
fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// An answer: status, headers, and a body (left out for HEAD).
pub struct Answer {
    pub code: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn new(code: u16, kind: &str, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            code,
            headers: vec![("Content-Type", kind.to_string())],
            body: body.into(),
        }
    }

    pub fn with(mut self, k: &'static str, v: &str) -> Answer {
        self.headers.push((k, v.to_string()));
        self
    }

    /// The status line and headers, with the body's length and the connection's close.
    pub fn head(&self) -> Vec<u8> {
        let mut h = format!("HTTP/1.1 {} {}\r\n", self.code, reason(self.code));
        for (k, v) in &self.headers {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        h.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        h.into_bytes()
    }

    pub fn send(&self, w: &mut dyn Write, head_only: bool) -> io::Result<()> {
        w.write_all(&self.head())?;
        if !head_only {
            w.write_all(&self.body)?;
        }
        w.flush()
    }
}

/// Accepts connections until `stop`, handing each to `handle` on a thread of its own,
/// at most [`MAX_CONNECTIONS`] at once; `busy` answers one more.
pub fn accept_loop(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    handle: impl Fn(TcpStream) + Send + Sync + 'static,
    busy: impl Fn() -> Answer,
) {
    let handle = Arc::new(handle);
    let open = Arc::new(AtomicUsize::new(0));
    let peers: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    if listener.set_nonblocking(true).is_err() {
        return;
    }
    while !stop.load(Ordering::Relaxed) {
        let (stream, peer) = match listener.accept() {
            Ok((s, a)) => (s, a.ip()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors, or the like: wait, and try again.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if stream.set_nonblocking(false).is_err()
            || stream.set_write_timeout(Some(WRITE_TIME)).is_err()
        {
            continue;
        }
        let counted = !peer.is_loopback();
        let from_peer = if counted {
            let mut p = lock(&peers);
            let n = p.entry(peer).or_insert(0);
            *n += 1;
            *n
        } else {
            0
        };
        let leave = {
            let (open, peers) = (open.clone(), peers.clone());
            move || {
                open.fetch_sub(1, Ordering::SeqCst);
                if counted {
                    let mut p = lock(&peers);
                    if let Some(n) = p.get_mut(&peer) {
                        *n -= 1;
                        if *n == 0 {
                            p.remove(&peer);
                        }
                    }
                }
            }
        };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS || from_peer > MAX_PER_PEER {
            leave();
            let mut s = stream;
            let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
            let _ = busy().send(&mut s, false);
            continue;
        }
        let handle = handle.clone();
        let leave = Arc::new(leave);
        let on_thread = leave.clone();
        let spawned = std::thread::Builder::new()
            .name("rawlab-web".into())
            .spawn(move || {
                handle(stream);
                on_thread();
            });
        if spawned.is_err() {
            leave();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_gives_its_method_target_and_host() {
        let r = parse_head(
            b"GET /api/packet/2?token=ab HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: */*",
        )
        .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path(), "/api/packet/2");
        assert_eq!(r.target, "/api/packet/2?token=ab");
        assert_eq!(r.host.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(
            parse_head(b"GET / HTTP/1.0").unwrap().host,
            None,
            "no Host header"
        );
    }

    #[test]
    fn a_bad_head_is_refused_with_why() {
        for bad in [
            &b"GET /"[..],
            b"GET / HTTP/1.1 extra",
            b"GET nowhere HTTP/1.1",
            b"GET / SPDY/3",
            b"GET / HTTP/1.1\r\nno colon here",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b",
            b"GET /\xff HTTP/1.1",
        ] {
            let e = parse_head(bad).unwrap_err();
            assert_eq!(e.0, 400, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn an_answer_says_its_length_and_closes() {
        let a = Answer::new(404, "text/plain", "nothing here").with("X-A", "b");
        let mut out = Vec::new();
        a.send(&mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-A: b\r\nContent-Length: 12\r\nConnection: close\r\n\r\nnothing here"
        );
        let mut out = Vec::new();
        a.send(&mut out, true).unwrap();
        assert!(
            String::from_utf8(out).unwrap().ends_with("\r\n\r\n"),
            "HEAD: no body"
        );
    }
}
