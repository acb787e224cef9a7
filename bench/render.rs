//! How fast packets are taken apart and drawn: dissect alone, and the full annotated
//! dump (hex rows and every field) with and without colour, per layer stack.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rawlab::render::{self, Dump, Style};
use rawlab::wire::template::Template;
use rawlab::wire::{self, dissect::dissect};
use std::hint::black_box;
use std::time::SystemTime;

/// One packet of each stack a capture of ping, HTTP and UDP holds.
fn samples() -> Vec<(&'static str, Vec<u8>, &'static wire::Protocol)> {
    let build = |stack: &[&'static wire::Protocol], payload: &[u8]| {
        let mut t = Template::new(stack);
        t.payload = rawlab::wire::template::Payload::Bytes(payload.to_vec());
        t.build(SystemTime::UNIX_EPOCH).bytes
    };
    vec![
        (
            "ip/icmp",
            Template::default().build(SystemTime::UNIX_EPOCH).bytes,
            &wire::ipv4::IPV4,
        ),
        (
            "ip/tcp+http",
            build(
                &[&wire::ipv4::IPV4, &wire::tcp::TCP],
                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            ),
            &wire::ipv4::IPV4,
        ),
        (
            "ip/udp",
            build(&[&wire::ipv4::IPV4, &wire::udp::UDP], b"hello from rawlab"),
            &wire::ipv4::IPV4,
        ),
        (
            "ipv6/icmpv6",
            build(&[&wire::ipv6::IPV6, &wire::icmpv6::ICMPV6], &[0; 56]),
            &wire::ipv6::IPV6,
        ),
        (
            "eth/ip/icmp",
            build(
                &[&wire::eth::ETH, &wire::ipv4::IPV4, &wire::icmp::ICMP],
                &[0xc0, 0xde],
            ),
            &wire::eth::ETH,
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("packets");
    g.throughput(Throughput::Elements(1));
    for (name, bytes, first) in samples() {
        g.bench_function(format!("dissect {name}"), |b| {
            b.iter(|| black_box(dissect(black_box(&bytes), first)))
        });
        for (label, color) in [("plain", false), ("colour", true)] {
            let style = Style { color, fit: false };
            let mut out = Vec::with_capacity(1 << 16);
            g.bench_function(format!("dump {name} {label}"), |b| {
                b.iter(|| {
                    out.clear();
                    let d = Dump::new(String::from("#1 ← captured"), &bytes, first);
                    render::dump(&mut out, &d, &style).unwrap();
                    black_box(out.len())
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
