//! Renders one packet many times, for profiling the dump under perf or callgrind
//! (not shipped): `render_loop [N] [icmp|http|http-colour]`.
use rawlab::render::{self, Dump, Style};
use rawlab::wire;
use rawlab::wire::template::{Payload, Template};
use std::time::SystemTime;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20000);
    let which = args.next().unwrap_or_else(|| "icmp".into());
    let (bytes, first) = if which.starts_with("http") {
        let mut t = Template::new(&[&wire::eth::ETH, &wire::ipv4::IPV4, &wire::tcp::TCP]);
        t.payload = Payload::Bytes(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: rawlab-bench\r\nAccept: */*\r\n\r\n".to_vec());
        (t.build(SystemTime::UNIX_EPOCH).bytes, &wire::eth::ETH)
    } else {
        (
            Template::default().build(SystemTime::UNIX_EPOCH).bytes,
            &wire::ipv4::IPV4,
        )
    };
    let style = Style {
        color: which.ends_with("colour"),
        fit: false,
    };
    let mut out = Vec::with_capacity(1 << 20);
    let t = std::time::Instant::now();
    for _ in 0..n {
        out.clear();
        let d = Dump::new(
            "#1 · 2026-11-27 07:26:17.424025 UTC · 153 bytes · Ethernet".into(),
            &bytes,
            first,
        );
        render::dump(&mut out, &d, &style).unwrap();
    }
    eprintln!(
        "{:.2} µs per dump, {} bytes",
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        out.len()
    );
}
