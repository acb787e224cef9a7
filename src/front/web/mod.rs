//! `rawlab --web`: the live session on a page, for a projector and a room of
//! laptops. A second front end over the same session: the page's packet list, its
//! dumps and its JSON come from the session's own shower (`Shower::view`), and its
//! terminal pane from what the terminal shows (through the recorder), so nothing
//! about packets is worked out twice. The page is three static files built into
//! the binary.
//!
//! Safety: it listens on loopback unless an address is named; on any other address
//! every request must carry a random token the URL holds. Viewers only read: the
//! server answers GET (and HEAD) of the page, the packets and the event stream, and
//! nothing else; no file and no command is reachable through it. At most
//! [`MAX_VIEWERS`] follow at once.

mod http;

use crate::render::html::Html;
use crate::session::Shower;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How many viewers may follow the session at once.
pub const MAX_VIEWERS: usize = 64;
/// How much of the terminal's output the page keeps for a viewer who comes late.
const KEPT_TERMINAL: usize = 512 * 1024;
/// How many packets one answer to the packet list holds.
const LIST_PAGE: usize = 500;

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/style.css");

/// The listening socket, opened before rawlab enters its sandbox (so the host's
/// browser reaches it), and the address to print.
pub struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
    token: Option<String>,
}

impl Bound {
    /// Listens where `spec` says: `ADDR:PORT`, `ADDR` (any free port) or `PORT` (on
    /// 127.0.0.1); loopback and a free port when `None`. A token is made for any
    /// address that is not loopback.
    pub fn open(spec: Option<&str>) -> Result<Bound, String> {
        let addr = parse_addr(spec.unwrap_or(""))?;
        let listener = TcpListener::bind(addr).map_err(|e| {
            let hint = match e.kind() {
                io::ErrorKind::AddrInUse => {
                    ": the port is taken; name another, or none for a free one"
                }
                io::ErrorKind::PermissionDenied => {
                    ": ports below 1024 need privilege; use one above"
                }
                io::ErrorKind::AddrNotAvailable => ": no interface of this host has that address",
                _ => "",
            };
            format!("--web: cannot listen on {addr} ({e}){hint}")
        })?;
        let addr = listener.local_addr().map_err(|e| format!("--web: {e}"))?;
        let token = (!addr.ip().is_loopback()).then(random_token).transpose()?;
        Ok(Bound {
            listener,
            addr,
            token,
        })
    }

    /// The page's address, with its token when it needs one.
    pub fn url(&self) -> String {
        let host = match self.addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        match &self.token {
            Some(t) => format!("http://{host}:{}/?token={t}", self.addr.port()),
            None => format!("http://{host}:{}/", self.addr.port()),
        }
    }

    /// The line a front end prints when the page is up.
    pub fn announce(&self) -> String {
        let who = if self.token.is_some() {
            "anyone who can reach this address and has the token in the URL can watch; only this terminal drives the session"
        } else {
            "on this machine only; only this terminal drives the session"
        };
        format!("rawlab: the session's page is at {} ({who})", self.url())
    }
}

/// `ADDR:PORT`, `[V6]:PORT`, `ADDR`, `PORT`, or nothing.
fn parse_addr(spec: &str) -> Result<SocketAddr, String> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
    }
    if let Ok(a) = spec.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = spec
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 0));
    }
    if let Ok(port) = spec.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    let hint = if spec == "localhost" {
        "write 127.0.0.1"
    } else {
        "an address and port such as 127.0.0.1:8080, an address alone (0.0.0.0 for every interface), or a port alone"
    };
    Err(format!("--web={spec}: not an address to listen on: {hint}"))
}

/// 128 random bits as 32 hex digits.
fn random_token() -> Result<String, String> {
    use std::io::Read;
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| format!("--web: no random token for the URL ({e})"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// What the terminal shows, kept for the page as HTML: the last [`KEPT_TERMINAL`]
/// bytes of it, each chunk numbered so a viewer asks for what it has not seen.
#[derive(Default)]
pub struct Feed {
    inner: Mutex<FeedInner>,
    more: Condvar,
}

#[derive(Default)]
struct FeedInner {
    chunks: VecDeque<(u64, String)>,
    next: u64,
    bytes: usize,
    html: Html,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Feed {
    /// Something the terminal shows (with its colour codes).
    pub fn push(&self, text: &str) {
        let mut g = lock(&self.inner);
        let mut html = g.html.reopen();
        html.push_str(&g.html.convert(text));
        html.push_str(&g.html.close());
        if html.is_empty() {
            return;
        }
        let no = g.next;
        g.next += 1;
        g.bytes += html.len();
        g.chunks.push_back((no, html));
        while g.bytes > KEPT_TERMINAL {
            match g.chunks.pop_front() {
                Some((_, c)) => g.bytes -= c.len(),
                None => break,
            }
        }
        drop(g);
        self.more.notify_all();
    }

    /// The chunks numbered `from` and after (those still kept), and the next number.
    fn since(&self, from: u64) -> (Vec<String>, u64) {
        let g = lock(&self.inner);
        let chunks = g
            .chunks
            .iter()
            .filter(|(n, _)| *n >= from)
            .map(|(_, c)| c.clone())
            .collect();
        (chunks, g.next)
    }

    /// Waits up to `d` for a chunk numbered `from` or after.
    fn wait(&self, from: u64, d: Duration) {
        let g = lock(&self.inner);
        if g.next <= from {
            let _ = self.more.wait_timeout(g, d);
        }
    }
}

/// The running server: stops when dropped.
pub struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What every request handler shares.
struct Shared {
    shower: Arc<Shower>,
    feed: Arc<Feed>,
    token: Option<String>,
    addr: SocketAddr,
    viewers: AtomicUsize,
    stop: Arc<AtomicBool>,
}

/// Serves the page from `bound` until the returned handle is dropped.
pub fn serve(bound: Bound, shower: Arc<Shower>, feed: Arc<Feed>) -> io::Result<Running> {
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Shared {
        shower,
        feed,
        token: bound.token,
        addr: bound.addr,
        viewers: AtomicUsize::new(0),
        stop: stop.clone(),
    });
    let listener = bound.listener;
    let stopping = stop.clone();
    let thread = std::thread::Builder::new()
        .name("rawlab-web".into())
        .spawn(move || {
            http::accept_loop(
                listener,
                stopping,
                move |stream| answer(&shared, stream),
                || {
                    guarded(http::Answer::new(
                        503,
                        "text/plain; charset=utf-8",
                        "too many connections to this page at once: try again in a moment",
                    ))
                },
            )
        })?;
    Ok(Running {
        stop,
        thread: Some(thread),
    })
}

/// Why a request is refused, if it is.
fn refusal(shared: &Shared, req: &http::Request) -> Option<(u16, &'static str)> {
    if !matches!(req.method.as_str(), "GET" | "HEAD") {
        return Some((
            405,
            "the page only shows the session: only this terminal drives it",
        ));
    }
    match &shared.token {
        Some(t) => {
            if query(&req.target, "token").as_deref() != Some(t.as_str()) {
                return Some((
                    403,
                    "this page needs the token in the URL rawlab printed at its start",
                ));
            }
        }
        None => {
            // Loopback: only a page that names this host by a loopback name, so a site
            // elsewhere cannot read the session through a name it points here.
            let port = shared.addr.port();
            let ok = req.host.as_deref().is_some_and(|h| {
                [
                    format!("127.0.0.1:{port}"),
                    format!("localhost:{port}"),
                    format!("[::1]:{port}"),
                ]
                .iter()
                .any(|x| x == h)
            });
            if !ok {
                return Some((403, "this page answers only to a loopback address"));
            }
        }
    }
    None
}

/// The value of `key` in the URL's query, if it is there.
fn query(url: &str, key: &str) -> Option<String> {
    let (_, q) = url.split_once('?')?;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| v.to_string())
    })
}

/// Headers every answer carries: nothing cached, nothing framed, no referrer (the
/// URL may hold the token), only this page's own scripts and connections.
fn guarded(a: http::Answer) -> http::Answer {
    a.with("Cache-Control", "no-store")
        .with("X-Content-Type-Options", "nosniff")
        .with("Referrer-Policy", "no-referrer")
        .with("X-Frame-Options", "DENY")
        .with(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'",
        )
}

/// Reads one request from `stream` and answers it; the event stream keeps the
/// connection (and this thread) until the viewer goes.
fn answer(shared: &Arc<Shared>, mut stream: TcpStream) {
    const TEXT: &str = "text/plain; charset=utf-8";
    let req = match http::read_head(&mut stream, Instant::now()) {
        Ok(r) => r,
        Err(http::Bad(code, why)) => {
            let _ = guarded(http::Answer::new(code, TEXT, why)).send(&mut stream, false);
            return;
        }
    };
    let head_only = req.method == "HEAD";
    if let Some((code, why)) = refusal(shared, &req) {
        let mut a = guarded(http::Answer::new(code, TEXT, why));
        if code == 405 {
            a = a.with("Allow", "GET, HEAD");
        }
        let _ = a.send(&mut stream, head_only);
        return;
    }
    let page = |body: &str, kind: &str| guarded(http::Answer::new(200, kind, body));
    let a = match req.path() {
        "/" | "/index.html" => page(INDEX, "text/html; charset=utf-8"),
        "/app.js" => page(SCRIPT, "text/javascript; charset=utf-8"),
        "/style.css" => page(STYLE, "text/css; charset=utf-8"),
        "/api/packets" => {
            let since = query(&req.target, "since")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            page(&packet_list(&shared.shower, since), "application/json")
        }
        "/api/events" if !head_only => return events(shared, &req, stream),
        p => match p
            .strip_prefix("/api/packet/")
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(no) => match shared.shower.view(no) {
                Some(v) => page(&packet_json(&v), "application/json"),
                None => guarded(http::Answer::new(
                    404,
                    TEXT,
                    format!("packet #{no} is not kept (the ring holds the newest)"),
                )),
            },
            None => guarded(http::Answer::new(
                404,
                TEXT,
                "nothing here: the page is at /",
            )),
        },
    };
    let _ = a.send(&mut stream, head_only);
}

/// One packet's line, for the list.
fn list_item(shower: &Shower, p: &crate::capture::Packet) -> serde_json::Value {
    let (line, own) = shower.listed(p);
    serde_json::json!({"no": p.no, "line": line, "own": own})
}

/// `{"packets": [...], "next": N}`: the packets after `since` still kept.
fn packet_list(shower: &Shower, since: u64) -> String {
    let items: Vec<serde_json::Value> = shower
        .store
        .after(since)
        .iter()
        .take(LIST_PAGE)
        .map(|p| list_item(shower, p))
        .collect();
    serde_json::json!({"packets": items, "next": shower.store.next_no()}).to_string()
}

/// A packet in full: its line, its linked dump and its JSON object.
fn packet_json(v: &crate::session::View) -> String {
    let json: serde_json::Value =
        serde_json::from_slice(&v.json).unwrap_or(serde_json::Value::Null);
    serde_json::json!({"no": v.no, "line": v.line, "own": v.own, "html": v.html, "packet": json})
        .to_string()
}

/// The event stream one viewer follows: `packet` for each new packet, `terminal`
/// for what the terminal showed, `reset` when the session forgot its packets.
fn events(shared: &Arc<Shared>, req: &http::Request, mut stream: TcpStream) {
    if shared.viewers.fetch_add(1, Ordering::SeqCst) >= MAX_VIEWERS {
        shared.viewers.fetch_sub(1, Ordering::SeqCst);
        let a = guarded(http::Answer::new(
            503,
            "text/plain; charset=utf-8",
            format!("{MAX_VIEWERS} viewers follow this session already"),
        ));
        let _ = a.send(&mut stream, false);
        return;
    }
    let since = query(&req.target, "since")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let _ = follow(shared, &mut stream, since);
    shared.viewers.fetch_sub(1, Ordering::SeqCst);
}

fn follow(shared: &Shared, w: &mut dyn Write, since: u64) -> io::Result<()> {
    w.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
    )?;
    let mut last = since;
    let mut term = 0;
    let mut quiet = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) {
        // The session forgot its packets (`clear`): numbering began again.
        if last > 0 && shared.shower.store.next_no() <= last {
            w.write_all(b"event: reset\ndata: {}\n\n")?;
            last = 0;
        }
        for p in shared.shower.store.after(last).iter().take(LIST_PAGE) {
            writeln!(w, "event: packet\ndata: {}\n", list_item(&shared.shower, p))?;
            last = p.no;
        }
        let (chunks, next_term) = shared.feed.since(term);
        if !chunks.is_empty() {
            let html = serde_json::json!({"html": chunks.concat()});
            writeln!(w, "event: terminal\ndata: {html}\n")?;
        }
        term = next_term;
        // A comment now and then finds a viewer gone, and frees its place.
        if quiet.elapsed() > Duration::from_secs(5) {
            w.write_all(b": still here\n\n")?;
            quiet = Instant::now();
        }
        w.flush()?;
        shared.feed.wait(term, Duration::from_millis(150));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_to_listen_on() {
        assert_eq!(parse_addr("").unwrap().to_string(), "127.0.0.1:0");
        assert_eq!(parse_addr("8080").unwrap().to_string(), "127.0.0.1:8080");
        assert_eq!(parse_addr("0.0.0.0").unwrap().to_string(), "0.0.0.0:0");
        assert_eq!(parse_addr("[::1]:9000").unwrap().to_string(), "[::1]:9000");
        assert_eq!(parse_addr("::1").unwrap().to_string(), "[::1]:0");
        let e = parse_addr("localhost").unwrap_err();
        assert!(e.contains("127.0.0.1"), "{e}");
        let e = parse_addr("banana:12").unwrap_err();
        assert!(
            e.contains("--web=banana:12") && e.contains("such as"),
            "{e}"
        );
    }

    #[test]
    fn a_query_value_is_found_by_its_key() {
        assert_eq!(query("/?token=ab12&x=1", "token").as_deref(), Some("ab12"));
        assert_eq!(query("/?tokens=ab12", "token"), None);
        assert_eq!(query("/", "token"), None);
    }

    #[test]
    fn the_terminal_is_kept_as_html_closed_chunk_by_chunk() {
        let f = Feed::default();
        f.push("\x1b[1mbold ");
        f.push("still bold\x1b[0m plain <tag>");
        let (chunks, next) = f.since(0);
        assert_eq!(next, 2);
        assert_eq!(chunks[0], "<span style=\"font-weight:bold;\">bold </span>");
        assert!(
            chunks[1].starts_with("<span style=\"font-weight:bold;\">still bold</span>"),
            "a chunk reopens the style the last one left open: {}",
            chunks[1]
        );
        assert!(chunks[1].ends_with(" plain &lt;tag&gt;"), "{}", chunks[1]);
        // Only the newest is kept.
        let big = "x".repeat(100_000);
        for _ in 0..10 {
            f.push(&big);
        }
        let (chunks, _) = f.since(0);
        assert!(chunks.iter().map(String::len).sum::<usize>() <= KEPT_TERMINAL);
        assert!(chunks.len() >= 5);
    }
}
