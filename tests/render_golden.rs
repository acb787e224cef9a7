//! The annotated dump, byte for byte, for packets of every stack rawlab knows:
//! with and without colour, with notes, marks and emphasised bytes, and cut or
//! lying packets. The expected text is in tests/golden/dumps/; run with
//! UPDATE_GOLDEN=1 to rewrite it after a deliberate change, then read the diff.

use rawlab::render::{self, Dump, Mark, Style, Tone};
use rawlab::wire::template::{Payload, Template, Value};
use rawlab::wire::{self, Protocol};
use std::time::SystemTime;

fn build(
    stack: &[&'static Protocol],
    sets: &[(&'static wire::Field, Value)],
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Template::new(stack);
    for (f, v) in sets {
        t.set(f, v.clone()).unwrap();
    }
    t.payload = Payload::Bytes(payload.to_vec());
    t.build(SystemTime::UNIX_EPOCH).bytes
}

/// (name, bytes, first layer, with marks and notes)
fn corpus() -> Vec<(&'static str, Vec<u8>, &'static Protocol, bool)> {
    use wire::{arp, eth, icmp, icmpv6, ipv4, ipv6, tcp, udp};
    let raw = Value::Raw;
    let post = Template::default().build(SystemTime::UNIX_EPOCH).bytes;
    let mut wire_copy = post.clone();
    wire_copy[4..6].copy_from_slice(&[0x1c, 0xd4]);
    wire_copy[10..12].copy_from_slice(&[0x60, 0x09]);
    wire_copy[12..16].copy_from_slice(&[127, 0, 0, 1]);
    let mut bad_sum = wire_copy.clone();
    bad_sum[22..24].copy_from_slice(&[0x11, 0x11]);
    let syn = build(
        &[&ipv4::IPV4, &tcp::TCP],
        &[
            (&ipv4::SRC, raw(0x7f00_0001)),
            (
                &tcp::OPTIONS,
                Value::Bytes(vec![
                    2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
                ]),
            ),
        ],
        b"",
    );
    let http = build(
        &[&ipv4::IPV4, &tcp::TCP],
        &[
            (&ipv4::SRC, raw(0x7f00_0001)),
            (&tcp::FLAG_PUSH, raw(1)),
            (&tcp::FLAG_ACK, raw(1)),
        ],
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    );
    let udp_dgram = build(
        &[&ipv4::IPV4, &udp::UDP],
        &[(&ipv4::SRC, raw(0x7f00_0001)), (&udp::DSTPORT, raw(9999))],
        b"knock",
    );
    let mut unreach = build(
        &[&ipv4::IPV4, &icmp::ICMP],
        &[(&icmp::TYPE, raw(3)), (&icmp::CODE, raw(3))],
        b"",
    );
    unreach.extend_from_slice(&udp_dgram[..28]);
    let len = unreach.len() as u16;
    unreach[2..4].copy_from_slice(&len.to_be_bytes());
    let v6 = build(&[&ipv6::IPV6, &icmpv6::ICMPV6], &[], &[0xab; 12]);
    let arp_req = build(
        &[&eth::ETH, &arp::ARP],
        &[(&arp::DST_PROTO, raw(0xc000_0202))],
        b"",
    );
    let frame = build(
        &[&eth::ETH, &ipv4::IPV4, &icmp::ICMP],
        &[(&eth::DST, raw(0x0272_6177_0002))],
        &[0xc0, 0xde],
    );
    let rr = build(
        &[&ipv4::IPV4, &icmp::ICMP],
        &[(
            &ipv4::OPTIONS,
            Value::Bytes(vec![7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        )],
        &[0xc0, 0xde],
    );
    let mut lying = post.clone();
    lying[3] = 60;
    // A DNS answer from 198.51.100.53: www.example.com is an alias of example.com,
    // at 192.0.2.7, both record names and the alias's data compressed.
    let mut answer = b"\x03www\x07example\x03com\x00\x00\x01\x00\x01".to_vec();
    answer.extend([0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 2, 0xc0, 0x10]);
    answer.extend([0xc0, 0x10, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 7]);
    let dns_answer = build(
        &[&ipv4::IPV4, &udp::UDP, &wire::dns::DNS],
        &[
            (&ipv4::SRC, raw(0xc633_6435)),
            (&ipv4::DST, raw(0xc000_0201)),
            (&udp::SRCPORT, raw(53)),
            (&udp::DSTPORT, raw(40000)),
            (&wire::dns::FLAGS, raw(0x8180)),
            (&wire::dns::COUNT_ANSWERS, raw(2)),
            (&wire::dns::RECORDS, Value::Bytes(answer)),
        ],
        &[],
    );
    vec![
        ("dns-answer", dns_answer, &ipv4::IPV4, false),
        ("post-template", post.clone(), &ipv4::IPV4, false),
        ("post-wire-copy", wire_copy, &ipv4::IPV4, true),
        ("wrong-checksum", bad_sum, &ipv4::IPV4, false),
        ("tcp-syn-options", syn, &ipv4::IPV4, false),
        ("tcp-http", http, &ipv4::IPV4, false),
        ("udp", udp_dgram, &ipv4::IPV4, false),
        ("icmp-port-unreachable", unreach, &ipv4::IPV4, false),
        ("ipv6-echo", v6, &ipv6::IPV6, false),
        ("arp-request", arp_req, &eth::ETH, false),
        ("eth-ip-icmp", frame, &eth::ETH, false),
        ("ip-record-route", rr, &ipv4::IPV4, false),
        ("cut-at-24", post[..24].to_vec(), &ipv4::IPV4, false),
        ("length-lies", lying, &ipv4::IPV4, false),
        (
            "trailer",
            [post.as_slice(), &[0xaa, 0xbb]].concat(),
            &ipv4::IPV4,
            false,
        ),
    ]
}

fn render(bytes: &[u8], first: &'static Protocol, annotated: bool, color: bool) -> String {
    let mut d = Dump::new(
        "#2 ← captured on raw socket for icmp · 30 bytes · t=0.001755s".into(),
        bytes,
        first,
    );
    if annotated {
        d.notes.push((
            "this is #1 as it went on the wire: the kernel changed ip.id, ip.checksum, ip.src"
                .into(),
            Tone::Note,
        ));
        for (f, text) in [
            (
                &wire::ipv4::ID,
                "the kernel changed it: rawlab handed 0x0000 in #1",
            ),
            (
                &wire::ipv4::SRC,
                "the kernel changed it: rawlab handed 0.0.0.0 in #1",
            ),
        ] {
            d.marks.push(Mark {
                field: f,
                layer_start: 0,
                text: text.into(),
                tone: Tone::Note,
            });
        }
        d.emphasize.push(4..6);
        d.emphasize.push(10..12);
        d.unverified.push(&wire::ipv4::CHECKSUM);
    }
    let mut out = Vec::new();
    render::dump(&mut out, &d, &Style { color, fit: false }).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn dumps_match_their_golden_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/dumps");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for (name, bytes, first, annotated) in corpus() {
        for (suffix, color) in [("txt", false), ("ansi", true)] {
            let got = render(&bytes, first, annotated, color);
            let path = format!("{dir}/{name}.{suffix}");
            if update {
                std::fs::write(&path, &got).unwrap();
            }
            let want = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("{path} missing: run with UPDATE_GOLDEN=1"));
            if got != want {
                differ.push(path);
            }
        }
    }
    assert!(
        differ.is_empty(),
        "dumps changed: {differ:?} (UPDATE_GOLDEN=1 rewrites them; read the diff)"
    );
}

#[test]
fn no_escape_codes_without_colour() {
    for (name, bytes, first, annotated) in corpus() {
        assert!(
            !render(&bytes, first, annotated, false).contains('\x1b'),
            "{name}"
        );
    }
}

/// Colour adds escape codes and nothing else: with them taken out, the coloured dump
/// is the plain one, character for character.
#[test]
fn colour_changes_only_the_colour() {
    let strip = |s: &str| {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                assert_eq!(chars.next(), Some('['), "only SGR codes");
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                    assert!(c.is_ascii_digit() || c == ';', "SGR parameters only");
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    for (name, bytes, first, annotated) in corpus() {
        let plain = render(&bytes, first, annotated, false);
        let colour = render(&bytes, first, annotated, true);
        assert_eq!(strip(&colour), plain, "{name}");
        assert!(colour.len() > plain.len(), "{name} has colour");
    }
}
