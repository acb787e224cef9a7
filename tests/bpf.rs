//! The kernel filters a `listen … where` attaches: each compiled program, run here
//! by a small classic-BPF interpreter of this test's own, keeps every packet the
//! filter itself passes (it may keep more, never less), over the fixtures' packets
//! as each kind of socket would see them, cut short at every length, with headers
//! bent (IHL, fragments, lengths) and wrapped (an ICMP error's quote, IP in IP).

use rawlab::capture::pcap::{Reader, link};
use rawlab::command::bpf::{Insn, KEEP, Start, compile, op};
use rawlab::command::filter::parse_filter;
use rawlab::wire::dissect::dissect;
use rawlab::wire::{Protocol, eth::ETH, icmpv6::ICMPV6, ipv4::IPV4, tcp::TCP, udp::UDP};
use std::path::Path;

/// Runs a program on a packet as the kernel does: the value it returns (0 drops),
/// and 0 when a load reaches past the packet.
fn run(prog: &[Insn], p: &[u8]) -> u32 {
    let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
    let load = |at: u32, size: u32| -> Option<u32> {
        let (at, size) = (at as usize, size as usize);
        let b = p.get(at..at.checked_add(size)?)?;
        Some(b.iter().fold(0u32, |v, &b| v << 8 | b as u32))
    };
    for _ in 0..10_000 {
        let i = prog[pc];
        pc += 1;
        let size = |code: u16| match code & 0x18 {
            0x00 => 4,
            0x08 => 2,
            _ => 1,
        };
        match i.code {
            op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS => match load(i.k, size(i.code)) {
                Some(v) => a = v,
                None => return 0,
            },
            op::LD_W_IND | op::LD_H_IND | op::LD_B_IND => {
                match load(x.wrapping_add(i.k), size(i.code)) {
                    Some(v) => a = v,
                    None => return 0,
                }
            }
            op::LD_LEN => a = p.len() as u32,
            op::LDX_MSH => match load(i.k, 1) {
                Some(v) => x = 4 * (v & 0xf),
                None => return 0,
            },
            op::SUB_X => a = a.wrapping_sub(x),
            op::RSH_K => a >>= i.k,
            op::AND_K => a &= i.k,
            op::JA => pc += i.k as usize,
            op::JEQ_K | op::JGT_K | op::JGE_K | op::JGE_X => {
                let k = if i.code == op::JGE_X { x } else { i.k };
                let yes = match i.code {
                    op::JEQ_K => a == k,
                    op::JGT_K => a > k,
                    _ => a >= k,
                };
                pc += if yes { i.jt } else { i.jf } as usize;
            }
            op::RET_K => return i.k,
            c => panic!("opcode {c:#x} is not one the interpreter knows"),
        }
    }
    panic!("the program ran 10,000 steps");
}

/// The packets of every fixture, as IP packets (IPv4 or IPv6 from its first byte).
fn fixture_packets() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<Vec<u8>> = Vec::new();
    for name in [
        "lo.pcap",
        "any-sll.pcap",
        "any-sll2-ns.pcap",
        "lo-any.pcapng",
    ] {
        let mut r = Reader::open(&dir.join(name)).unwrap();
        while let Some(rec) = r.next_record() {
            let rec = rec.unwrap();
            let d = link::decap(rec.link, &rec.bytes);
            let start = d.start();
            let ip = match d.first {
                Some(p) if std::ptr::eq(p, &ETH) => rec.bytes.get(14..),
                Some(_) => rec.bytes.get(start..),
                None => None,
            };
            if let Some(ip) = ip.filter(|b| b.first().is_some_and(|v| v >> 4 == 4 || v >> 4 == 6))
                && !out.iter().any(|o| o == ip)
            {
                out.push(ip.to_vec());
            }
        }
    }
    assert!(
        out.len() >= 20,
        "only {} packets in the fixtures",
        out.len()
    );
    out
}

fn sum16(b: &[u8]) -> u16 {
    let mut s: u32 = b
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .sum();
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// An IPv4 header from 192.0.2.1 to 127.0.0.1 carrying `proto` and `payload`.
fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut h = vec![
        0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 127, 0, 0, 1,
    ];
    h[2..4].copy_from_slice(&len.to_be_bytes());
    let c = sum16(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// The fixtures' packets, and each wrapped and bent in the ways that move or hide
/// fields: quoted in an ICMP error (first 28 bytes, and whole), in IP in IP, with
/// IHL 4 and 6, as a later fragment, with a short total length, with IPv6 carrying
/// a hop-by-hop header or an ICMPv6 error quoting it.
fn samples() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for p in fixture_packets() {
        if p[0] >> 4 == 4 {
            for quote in [&p[..28.min(p.len())], &p[..]] {
                let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
                icmp.extend_from_slice(quote);
                out.push(ipv4(1, &icmp));
            }
            out.push(ipv4(4, &p));
            for ihl in [4u8, 6] {
                let mut b = p.clone();
                b[0] = 0x40 | ihl;
                out.push(b);
            }
            let mut later = p.clone();
            later[6..8].copy_from_slice(&[0x00, 0x10]);
            out.push(later);
            let mut short = p.clone();
            short[2..4].copy_from_slice(&22u16.to_be_bytes());
            out.push(short);
        } else if p.len() >= 40 {
            let mut hop = p[..40].to_vec();
            hop[6] = 0;
            hop.extend_from_slice(&[p[6], 0, 1, 4, 0, 0, 0, 0]);
            hop.extend_from_slice(&p[40..]);
            out.push(hop);
            let mut err = p[..40].to_vec();
            err[6] = 58;
            err.extend_from_slice(&[1, 4, 0, 0, 0, 0, 0, 0]);
            err.extend_from_slice(&p);
            let plen = (err.len() - 40) as u16;
            err[4..6].copy_from_slice(&plen.to_be_bytes());
            out.push(err);
        }
        out.push(p);
    }
    out
}

/// What each kind of socket is handed for an IP packet, with the table rawlab
/// reads it with: a raw IPv4 socket the packet, a packet socket the frame, a raw
/// IPv6 socket what follows the IPv6 header.
fn as_seen(ip: &[u8]) -> Vec<(Start, &'static Protocol, Vec<u8>)> {
    let mut out = Vec::new();
    let v4 = ip[0] >> 4 == 4;
    let mut frame = vec![0u8; 12];
    frame.extend_from_slice(if v4 { &[0x08, 0x00] } else { &[0x86, 0xdd] });
    frame.extend_from_slice(ip);
    out.push((Start::Ethernet, &ETH, frame));
    if v4 {
        out.push((Start::Ipv4, &IPV4, ip.to_vec()));
    } else if ip.len() > 40 {
        let carried: &'static Protocol = match ip[6] {
            58 => &ICMPV6,
            6 => &TCP,
            17 => &UDP,
            _ => return out,
        };
        out.push((Start::AfterIpv6(carried), carried, ip[40..].to_vec()));
    }
    out
}

/// Filters, each with whether the kernel can narrow anything for it on an
/// IPv4 raw socket and on a packet socket (None: not checked).
const FILTERS: &[(&str, Option<bool>, Option<bool>)] = &[
    ("icmp", Some(true), Some(true)),
    ("tcp", Some(true), Some(true)),
    ("udp", Some(true), Some(true)),
    ("ip", Some(false), Some(true)),
    ("ipv6", Some(true), Some(true)),
    ("icmpv6", None, Some(true)),
    ("arp", Some(true), Some(true)),
    ("eth", Some(false), Some(false)),
    ("not udp", Some(true), Some(true)),
    ("not icmp", Some(true), Some(true)),
    ("not ip", None, Some(true)),
    ("icmp.type == echo-reply", Some(true), Some(true)),
    ("icmp.type == echo-request", Some(true), Some(true)),
    ("icmp.type != 8", Some(true), Some(true)),
    ("icmp.code > 0", Some(true), Some(true)),
    (
        "tcp.flags.syn == 1 and tcp.flags.ack == 0",
        Some(true),
        Some(true),
    ),
    (
        "tcp.flags.syn == 1 and not tcp.flags.ack == 1",
        Some(true),
        Some(true),
    ),
    ("ip.src == 127.0.0.1 or ipv6", Some(true), Some(true)),
    ("ip.dst == 127.0.0.1", Some(true), Some(true)),
    ("not ip.src == 127.0.0.1", Some(true), Some(true)),
    ("ip.ttl >= 64", Some(true), Some(true)),
    ("ip.ttl < 10", Some(true), Some(true)),
    ("ip.ttl <= 9 or ip.ttl > 100", Some(true), Some(true)),
    ("udp.dstport == 53", Some(true), Some(true)),
    ("udp.srcport != 53", Some(true), Some(true)),
    (
        "tcp.dstport == 80 or tcp.srcport == 80",
        Some(true),
        Some(true),
    ),
    ("tcp.hdr_len > 20", Some(true), Some(true)),
    ("tcp.seq_raw == 0", Some(true), Some(true)),
    ("ipv6.src == ::1", None, Some(true)),
    ("ipv6.dst != ::1", None, Some(true)),
    ("ipv6.nxt == 58", None, Some(true)),
    ("ipv6.flow != 0", None, Some(true)),
    ("icmpv6.type == 128", None, Some(true)),
    ("not (tcp or udp)", Some(true), Some(true)),
    ("(udp or tcp) and not ip.ttl == 64", Some(true), Some(true)),
    ("ip.flags.df == 1", Some(true), Some(true)),
    ("ip.hdr_len > 20", Some(true), Some(true)),
    ("ip.frag_offset == 0", Some(true), Some(true)),
    ("ip.len > 100", Some(true), Some(true)),
    ("eth.type == 0x0800", None, Some(true)),
    ("not eth.type == 0x86dd", None, Some(true)),
    ("eth.src == 00:00:00:00:00:00", None, Some(true)),
    ("ip.proto == 17 and not udp", Some(true), Some(true)),
    ("udp.length", Some(true), Some(true)),
    ("not tcp.window_size_value", Some(true), Some(true)),
    ("data.data == c0de", Some(false), Some(false)),
    ("icmp.ident == 1", Some(true), Some(true)),
    ("icmp and icmp.ident == 1", Some(true), Some(true)),
    ("not data.data == c0de", Some(false), Some(false)),
];

#[test]
fn the_kernel_keeps_every_packet_the_filter_passes() {
    let samples = samples();
    let mut checked = 0usize;
    for &(expr, narrows_v4, narrows_link) in FILTERS {
        let f = parse_filter(expr).unwrap_or_else(|e| panic!("{expr}: {}", e.message));
        let mut dropped = [0usize; 3];
        let mut compiled = [false; 3];
        for ip in &samples {
            for (start, first, seen) in as_seen(ip) {
                let which = match start {
                    Start::Ipv4 => 0,
                    Start::Ethernet => 1,
                    Start::AfterIpv6(_) => 2,
                };
                let Ok(prog) = compile(&f, start) else {
                    continue;
                };
                compiled[which] = true;
                // Every length the headers can be cut at, and the whole.
                let lens = (0..seen.len().min(90)).chain([seen.len()]);
                for len in lens {
                    let b = &seen[..len];
                    let soft = f.matches(b, &dissect(b, first));
                    let kernel = run(&prog, b);
                    assert!(
                        !soft || kernel == KEEP,
                        "`{expr}` on {start:?}: the software passes this packet ({len} of {} bytes) \
                         but the kernel program drops it: {b:02x?}\nprogram: {prog:?}",
                        seen.len()
                    );
                    if kernel == 0 {
                        dropped[which] += 1;
                    }
                    checked += 1;
                }
            }
        }
        // Where a program can narrow, it is attached and does drop packets.
        for (which, want) in [(0, narrows_v4), (1, narrows_link)] {
            if let Some(want) = want {
                assert_eq!(
                    compiled[which] && dropped[which] > 0,
                    want,
                    "`{expr}` ({}): compiled {}, dropped {}",
                    ["IPv4 raw socket", "packet socket"][which],
                    compiled[which],
                    dropped[which]
                );
            }
        }
    }
    assert!(checked > 100_000, "only {checked} packets checked");
}

#[test]
fn a_program_for_a_field_the_kernel_cannot_read_is_not_made() {
    for expr in ["data.data == c0de", "not data.data == c0de", "dns"] {
        let f = parse_filter(expr).unwrap();
        let e = compile(&f, Start::Ipv4).unwrap_err();
        assert!(e.contains("cannot tell"), "{expr}: {e}");
    }
}

mod common;
use common::{run_script, users};

#[test]
fn a_filtered_listener_gets_what_passes_and_the_kernel_keeps_out_the_rest() {
    for user in users() {
        let r = run_script(
            user,
            "listen icmp where icmp.type == echo-reply\nstatus\nsend\ncaptures\nlisten off\n\
             listen link lo where icmp.type == echo-reply\nsend\nlisten off\n\
             listen icmp where ip.ttl > 200\nsend\nlisten off\n\
             listen icmp6 where icmpv6.type == echo-reply\nnew ip6/icmp6\nsend\nlisten off\n",
            &[],
        );
        let o = r.stdout.replace('\n', " ");
        // The banner and `status` name the program the kernel runs.
        let n = o
            .split("kernel filter: ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("[{user:?}] no kernel filter named: {o}"));
        assert!(n > 1, "{o}");
        assert!(
            o.contains(&format!(
                "listens   raw socket for icmp (kernel filter: {n} BPF instructions)"
            )),
            "[{user:?}] {o}"
        );
        // The reply comes through, drawn and related to the send.
        let first = o.split("raw> listen off").next().unwrap();
        assert!(
            first.contains("#2 ← captured on raw socket for icmp"),
            "{o}"
        );
        assert!(first.contains("reply to #1"), "{o}");
        // The request as it went on the wire never reached the socket: without the
        // kernel filter the listener reads it too (tests/relations.rs).
        assert!(first.contains("2 packets;"), "{o}");
        // The raw socket read the reply alone; a packet socket on lo saw it leave and
        // arrive, and nothing else; a filter nothing here passes let nothing in.
        for want in [
            "closed raw socket for icmp (1 captured",
            "closed packet socket on lo (2 captured",
            "where ip.ttl > 200 listening",
            "closed raw socket for icmp (0 captured",
            "what its kernel filter kept out is not counted",
        ] {
            assert!(o.contains(want), "[{user:?}] no {want:?} in {o}");
        }
        // An IPv6 raw socket is handed what follows the IPv6 header: the program
        // reads the ICMPv6 type at byte 0, and the echo reply comes through alone.
        let v6 = o.split("where icmpv6.type == echo-reply").nth(1).unwrap();
        assert!(v6.contains("kernel filter: "), "[{user:?}] {o}");
        assert!(
            v6.contains("closed AF_INET6 raw socket for icmpv6 (1 captured"),
            "[{user:?}] {o}"
        );
    }
}
