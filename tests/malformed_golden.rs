//! Hand-made malformed packets, each drawn as the dump draws it: a packet cut at every
//! offset, header lengths and total lengths that lie, options whose lengths are 0 or
//! run past the end, an ICMP error quoting too little, IPv6 extension headers that
//! loop or run past the end. Every one must say what is wrong on a `malformed:` line
//! naming the layer and the byte, and the whole text is locked in
//! tests/golden/malformed/; run with UPDATE_GOLDEN=1 to rewrite it after a deliberate
//! change, then read the diff.

use rawlab::render::{self, Dump, Style};
use rawlab::wire::template::{Payload, Template, Value};
use rawlab::wire::{self, Field, Protocol, dns, icmp, ipv4, ipv6, tcp, udp};
use std::time::SystemTime;

fn build(stack: &[&'static Protocol], sets: &[(&'static Field, Value)], payload: &[u8]) -> Vec<u8> {
    let mut t = Template::new(stack);
    for (f, v) in sets {
        t.set(f, v.clone()).unwrap();
    }
    t.payload = Payload::Bytes(payload.to_vec());
    t.build(SystemTime::UNIX_EPOCH).bytes
}

/// TCP over IPv4 with options in both headers and some data: IPv4 record route (8
/// bytes with its end-of-list), TCP MSS, SACK permitted, timestamps, window scale.
fn tcp_ipv4() -> Vec<u8> {
    build(
        &[&ipv4::IPV4, &tcp::TCP],
        &[
            (&ipv4::SRC, Value::Raw(0x7f00_0001)),
            (&ipv4::OPTIONS, Value::Bytes(vec![7, 7, 4, 0, 0, 0, 0, 0])),
            (
                &tcp::OPTIONS,
                Value::Bytes(vec![
                    2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
                ]),
            ),
            (&tcp::FLAG_PUSH, Value::Raw(1)),
            (&tcp::FLAG_ACK, Value::Raw(1)),
        ],
        b"hello",
    )
}

/// Writes a big-endian u16 at `at`.
fn put16(p: &mut [u8], at: usize, v: u16) {
    p[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// An ICMP destination unreachable (port) quoting `quote`, with ip.len made to match.
fn unreachable_quoting(quote: &[u8]) -> Vec<u8> {
    let mut p = build(
        &[&ipv4::IPV4, &icmp::ICMP],
        &[
            (&ipv4::SRC, Value::Raw(0x7f00_0001)),
            (&icmp::TYPE, Value::Raw(3)),
            (&icmp::CODE, Value::Raw(3)),
        ],
        quote,
    );
    let len = p.len() as u16;
    put16(&mut p, 2, len);
    p
}

/// (name, bytes, first layer)
fn corpus() -> Vec<(String, Vec<u8>, &'static Protocol)> {
    let v4 = &ipv4::IPV4;
    let v6 = &ipv6::IPV6;
    let good = tcp_ipv4();
    let ip_hdr = 28; // 20 fixed + 8 of options
    let mut v: Vec<(String, Vec<u8>, &'static Protocol)> = Vec::new();
    let mut with = |name: &str, edit: &dyn Fn(&mut Vec<u8>)| {
        let mut p = good.clone();
        edit(&mut p);
        v.push((name.to_string(), p, v4));
    };
    // IPv4 header length below 5 words, and past the bytes.
    with("ipv4-ihl-0", &|p| p[0] = 0x40);
    with("ipv4-ihl-3", &|p| p[0] = 0x43);
    with("ipv4-ihl-past-the-end", &|p| {
        p[0] = 0x4f;
        p.truncate(40);
        put16(p, 2, 40);
    });
    // Total length: more than the bytes, less than the bytes (a trailer), less than
    // the header, and cutting into the TCP header.
    with("ipv4-total-length-too-long", &|p| put16(p, 2, 200));
    with("ipv4-total-length-short-trailer", &|p| {
        let n = p.len() as u16 - 3;
        put16(p, 2, n)
    });
    with("ipv4-total-length-below-header", &|p| put16(p, 2, 12));
    with("ipv4-total-length-inside-tcp", &|p| put16(p, 2, 38));
    // TCP data offset: past the end of the bytes, and below 5 words.
    with("tcp-data-offset-past-the-end", &|p| {
        p[ip_hdr + 12] = 0xf0 | (p[ip_hdr + 12] & 0x0f);
    });
    with("tcp-data-offset-3", &|p| {
        p[ip_hdr + 12] = 0x30 | (p[ip_hdr + 12] & 0x0f);
    });
    // IPv4 options: a length of 0, a length past the options' end, and a kind in the
    // last byte with no room for its length.
    with("ipv4-option-length-0", &|p| p[21] = 0);
    with("ipv4-option-length-past-the-end", &|p| p[21] = 40);
    with("ipv4-option-kind-at-the-last-byte", &|p| {
        p[20..28].copy_from_slice(&[1, 1, 1, 1, 1, 1, 1, 7]);
    });
    // TCP options: MSS with length 0, with a length past the options' end, and a
    // length that disagrees with the kind's fixed size.
    let opts = ip_hdr + 20;
    with("tcp-option-length-0", &|p| p[opts + 1] = 0);
    with("tcp-option-length-past-the-end", &|p| p[opts + 1] = 60);
    with("tcp-option-length-wrong-for-its-kind", &|p| p[opts + 1] = 6);
    with("tcp-option-kind-at-the-last-byte", &|p| {
        p[opts..opts + 20].copy_from_slice(&[1; 20]);
        p[opts + 19] = 8;
    });
    // ICMP errors quoting too little: part of an IPv4 header, an IPv4 header whose own
    // length reaches past the quote, and the usual header and 8 bytes (not malformed:
    // cut short as RFC 792 allows, shown so).
    let udp_dgram = build(
        &[&ipv4::IPV4, &udp::UDP],
        &[
            (&ipv4::SRC, Value::Raw(0x7f00_0001)),
            (&udp::DSTPORT, Value::Raw(9999)),
        ],
        b"knock knock",
    );
    v.push((
        "icmp-error-quoting-10-bytes".into(),
        unreachable_quoting(&udp_dgram[..10]),
        v4,
    ));
    let mut long_ihl = udp_dgram[..28].to_vec();
    long_ihl[0] = 0x46;
    v.push((
        "icmp-error-quoted-ihl-past-the-quote".into(),
        unreachable_quoting(&long_ihl[..22]),
        v4,
    ));
    v.push((
        "icmp-error-quoting-header-and-8".into(),
        unreachable_quoting(&udp_dgram[..28]),
        v4,
    ));
    v.push((
        "icmp-error-quoting-half-a-udp-header".into(),
        unreachable_quoting(&udp_dgram[..24]),
        v4,
    ));
    // IPv6: a payload length past the bytes; extension headers in a loop (hop-by-hop
    // after hop-by-hop; destination options naming themselves again and again); a
    // routing header whose length runs past the end; a chain cut inside a header.
    let base6 = build(&[&ipv6::IPV6, &ipv6::DSTOPTS, &udp::UDP], &[], b"data");
    let mut plen = base6.clone();
    put16(&mut plen, 4, 400);
    v.push(("ipv6-payload-length-too-long".into(), plen, v6));
    let mut hop_loop = build(&[&ipv6::IPV6, &ipv6::HOPOPTS, &udp::UDP], &[], b"data");
    hop_loop[40] = 0; // the hop-by-hop header names another hop-by-hop header
    v.push(("ipv6-hop-by-hop-loop".into(), hop_loop, v6));
    let mut dst_loop = build(&[&ipv6::IPV6], &[(&ipv6::NXT, Value::Raw(60))], &[]);
    for _ in 0..40 {
        dst_loop.extend([60, 0, 1, 4, 0, 0, 0, 0]); // next: destination options again; PadN
    }
    let n = dst_loop.len() as u16 - 40;
    put16(&mut dst_loop, 4, n);
    v.push(("ipv6-destination-options-loop".into(), dst_loop, v6));
    // IPv6 in IPv6 in IPv6 … 40 deep, each length right: past 32 layers rawlab stops.
    let one = build(&[&ipv6::IPV6], &[(&ipv6::NXT, Value::Raw(41))], &[]);
    let mut nested = Vec::new();
    for depth in 0..40u16 {
        let mut h = one[..40].to_vec();
        put16(&mut h, 4, (39 - depth) * 40);
        nested.extend(h);
    }
    v.push(("ipv6-in-ipv6-40-deep".into(), nested, v6));
    let mut rt = build(&[&ipv6::IPV6, &ipv6::ROUTING, &udp::UDP], &[], b"data");
    rt[41] = 30; // 248 bytes of routing header
    v.push(("ipv6-routing-length-past-the-end".into(), rt, v6));
    let chain = build(
        &[
            &ipv6::IPV6,
            &ipv6::HOPOPTS,
            &ipv6::ROUTING,
            &ipv6::FRAGMENT,
            &udp::UDP,
        ],
        &[],
        b"data",
    );
    v.push((
        "ipv6-chain-cut-in-the-fragment-header".into(),
        chain[..60].to_vec(),
        v6,
    ));
    let mut opt_len = build(&[&ipv6::IPV6, &ipv6::HOPOPTS, &udp::UDP], &[], b"data");
    opt_len[43] = 9; // PadN says 9 bytes, 4 remain
    v.push(("ipv6-option-length-past-the-end".into(), opt_len, v6));
    // DNS: a query built as `new ip/udp/dns` makes it, then counts past the end, an
    // answer whose name points at itself, a label past the end, a data length past it.
    let dns = |counts: [u128; 2], records: &[u8]| {
        build(
            &[&ipv4::IPV4, &udp::UDP, &dns::DNS],
            &[
                (&ipv4::SRC, Value::Raw(0xc000_0201)),
                (&ipv4::DST, Value::Raw(0xc633_6435)),
                (&dns::COUNT_QUERIES, Value::Raw(counts[0])),
                (&dns::COUNT_ANSWERS, Value::Raw(counts[1])),
                (&dns::RECORDS, Value::Bytes(records.to_vec())),
            ],
            &[],
        )
    };
    let question = b"\x07example\x03com\x00\x00\x01\x00\x01";
    v.push(("dns-counts-past-the-end".into(), dns([2, 1], question), v4));
    let mut looped = question.to_vec();
    looped.extend([0xc0, 29, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 7]);
    v.push(("dns-pointer-loop".into(), dns([1, 1], &looped), v4));
    v.push((
        "dns-label-past-the-end".into(),
        dns([1, 0], &question[..10]),
        v4,
    ));
    let mut long = question.to_vec();
    long.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 40, 192, 0, 2, 7]);
    v.push((
        "dns-data-length-past-the-end".into(),
        dns([1, 1], &long),
        v4,
    ));
    v
}

fn render(bytes: &[u8], first: &'static Protocol) -> String {
    let heading = format!("#1 · {} bytes", bytes.len());
    let mut out = Vec::new();
    render::dump(&mut out, &Dump::new(heading, bytes, first), &Style::PLAIN).unwrap();
    String::from_utf8(out).unwrap()
}

/// The lines a reader sees first: the summary and every `malformed:` line.
fn malformed_lines(dump: &str) -> Vec<&str> {
    dump.lines()
        .filter(|l| l.trim_start().starts_with("malformed: "))
        .collect()
}

/// `malformed: LAYER at byte N: …` names a layer rawlab knows and a byte in the packet.
fn check_names_layer_and_byte(name: &str, line: &str, len: usize) {
    let rest = line.trim_start().strip_prefix("malformed: ").unwrap();
    let (layer, rest) = rest
        .split_once(" at byte ")
        .unwrap_or_else(|| panic!("{name}: {line}"));
    assert!(
        wire::PROTOCOLS.iter().any(|p| p.title == layer),
        "{name}: `{layer}` is no layer's title: {line}"
    );
    let (at, what) = rest
        .split_once(": ")
        .unwrap_or_else(|| panic!("{name}: {line}"));
    let at: usize = at.parse().unwrap_or_else(|_| panic!("{name}: {line}"));
    assert!(at <= len, "{name}: byte {at} past {len}: {line}");
    assert!(!what.is_empty());
}

fn golden(name: &str, got: &str, differ: &mut Vec<String>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/malformed");
    let path = format!("{dir}/{name}.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{path} missing: run with UPDATE_GOLDEN=1"));
    if got != want {
        differ.push(path);
    }
}

#[test]
fn malformed_packets_match_their_golden_files() {
    let mut differ = Vec::new();
    for (name, bytes, first) in corpus() {
        let got = render(&bytes, first);
        let lines = malformed_lines(&got);
        // A total length shorter than the bytes is not malformed: the rest is a trailer.
        // A quote may stop anywhere after the quoted IP header (RFC 792 asks for 8 bytes
        // more, RFC 1812 for as much as fits): shown "quoted, cut short", not malformed.
        let fine = [
            "ipv4-total-length-short-trailer",
            "icmp-error-quoting-header-and-8",
            "icmp-error-quoting-half-a-udp-header",
        ];
        if fine.contains(&name.as_str()) {
            assert!(lines.is_empty(), "{name}: {lines:?}");
        } else {
            assert!(!lines.is_empty(), "{name} says nothing is wrong:\n{got}");
        }
        for l in lines {
            check_names_layer_and_byte(&name, l, bytes.len());
        }
        golden(&name, &got, &mut differ);
    }
    assert!(
        differ.is_empty(),
        "dumps changed: {differ:?} (UPDATE_GOLDEN=1 rewrites them; read the diff)"
    );
}

/// The TCP/IPv4 packet cut at every offset: each cut is reported, by the layer it
/// falls in, at a byte inside the packet. One golden file holds each cut's summary
/// and `malformed:` lines.
#[test]
fn a_tcp_ipv4_packet_cut_at_every_offset() {
    let p = tcp_ipv4();
    let mut text = String::new();
    for cut in 0..p.len() {
        let got = render(&p[..cut], &ipv4::IPV4);
        let lines = malformed_lines(&got);
        assert!(
            !lines.is_empty(),
            "cut at {cut} says nothing is wrong:\n{got}"
        );
        for l in &lines {
            check_names_layer_and_byte(&format!("cut at {cut}"), l, cut);
        }
        text.push_str(&format!("cut at {cut} of {}:\n", p.len()));
        text.push_str(got.lines().nth(1).unwrap_or(""));
        text.push('\n');
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
    }
    let whole = render(&p, &ipv4::IPV4);
    assert!(malformed_lines(&whole).is_empty(), "{whole}");
    text.push_str(&format!(
        "whole, {} bytes:\n{}\n",
        p.len(),
        whole.lines().nth(1).unwrap()
    ));
    let mut differ = Vec::new();
    golden("tcp-ipv4-cut-at-every-offset", &text, &mut differ);
    golden("tcp-ipv4-whole", &whole, &mut differ);
    assert!(
        differ.is_empty(),
        "dumps changed: {differ:?} (UPDATE_GOLDEN=1 rewrites them; read the diff)"
    );
}
