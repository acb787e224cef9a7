//! Renders the post's packet many times, for profiling the dump (not shipped).
use rawlab::render::{self, Dump, Style};
use rawlab::template::Template;
use std::time::SystemTime;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20000);
    let bytes = Template::default().build(SystemTime::UNIX_EPOCH).bytes;
    let mut out = Vec::with_capacity(1 << 20);
    let style = Style {
        color: false,
        fit: false,
    };
    let t = std::time::Instant::now();
    for _ in 0..n {
        out.clear();
        let d = Dump::new("#1".into(), &bytes, &rawlab::wire::ipv4::IPV4);
        render::dump(&mut out, &d, &style).unwrap();
    }
    eprintln!(
        "{:.1} µs per dump",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
