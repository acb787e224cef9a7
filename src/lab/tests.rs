//! The relating engine and the explanations, on hand-built packet sequences.

use super::relate::*;
use super::silence::*;
use super::*;
use crate::net::counters::Counted;
use crate::net::link::{LinkSeen, PACKET_OUTGOING};
use std::net::{IpAddr, Ipv4Addr};
use std::time::SystemTime;

const BUILT: [u8; 30] = [
    0x45, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
];
const WIRE: [u8; 30] = crate::wire::POST_ON_THE_WIRE;
const REPLY: [u8; 30] = [
    0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd5, 0x00, 0x00, 0x40, 0x01, 0x60, 0x08, 0x7f, 0x00, 0x00, 0x01,
    0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x3f, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
];

fn packet(no: u64, bytes: &[u8], origin: Origin) -> Arc<Packet> {
    Arc::new(Packet {
        no,
        time: SystemTime::now(),
        bytes: bytes.to_vec(),
        first: &ipv4::IPV4,
        origin,
        addrs: None,
        read: None,
        related: Default::default(),
    })
}

fn captured() -> Origin {
    Origin::Captured {
        socket: "raw icmp".into(),
        link: None,
        iface: None,
    }
}

/// The post's exchange: the kernel fills id, checksum and source; the reply differs
/// from the request in id, checksum, type and ICMP checksum.
#[test]
fn the_posts_exchange() {
    let mut r = Relater::default();
    let sent = sent_raw();
    assert!(r.observe(&packet(1, &BUILT, sent)).is_empty());
    let wire = r.observe(&packet(2, &WIRE, captured()));
    let Relation::WireCopy {
        sent: 1, changes, ..
    } = &wire[0]
    else {
        panic!("{wire:?}")
    };
    let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
    assert_eq!(names, ["ip.id", "ip.checksum", "ip.src"]);
    assert_eq!(
        (changes[0].before().as_str(), changes[0].after().as_str()),
        ("0x0000", "0x1cd4")
    );

    let reply = r.observe(&packet(3, &REPLY, captured()));
    let Relation::Reply {
        request: 2,
        sent: Some(1),
        changes,
        ..
    } = &reply[0]
    else {
        panic!("{reply:?}")
    };
    let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
    assert_eq!(
        names,
        ["ip.id", "ip.checksum", "icmp.type", "icmp.checksum"]
    );
    assert_eq!(changes[2].span, 20..21);
    assert_eq!(changes[2].after(), icmp::TYPE.words(0));
}

#[test]
fn each_send_claims_one_copy() {
    let mut r = Relater::default();
    let sent = sent_raw;
    r.observe(&packet(1, &BUILT, sent()));
    r.observe(&packet(2, &BUILT, sent()));
    let a = r.observe(&packet(3, &WIRE, captured()));
    let b = r.observe(&packet(4, &WIRE, captured()));
    let c = r.observe(&packet(5, &WIRE, captured()));
    assert!(matches!(a[0], Relation::WireCopy { sent: 1, .. }));
    assert!(matches!(b[0], Relation::WireCopy { sent: 2, .. }));
    assert!(c.is_empty(), "a third copy is someone else's: {c:?}");
}

/// An ICMP packet rawlab sent in `mode` to `dst`.
fn sent_icmp(mode: Mode, dst: Ipv4Addr) -> Origin {
    Origin::Sent {
        mode,
        handed_from: 0,
        dst: dst.into(),
        iface: None,
        proto: 1,
    }
}

/// An ICMP packet rawlab sent on a raw socket to 127.0.0.1.
fn sent_raw() -> Origin {
    sent_icmp(Mode::Raw, Ipv4Addr::LOCALHOST)
}

#[test]
fn a_pinned_length_still_yields_the_copy() {
    let mut r = Relater::default();
    let mut short = BUILT;
    short[3] = 20;
    r.observe(&packet(1, &short, sent_raw()));
    let wire = r.observe(&packet(2, &WIRE, captured()));
    let Relation::WireCopy {
        sent: 1, changes, ..
    } = &wire[0]
    else {
        panic!("{wire:?}")
    };
    assert_eq!(changes[0].field.name, "ip.len");
    let reply = r.observe(&packet(3, &REPLY, captured()));
    assert!(
        matches!(
            reply[0],
            Relation::Reply {
                request: 2,
                sent: Some(1),
                ..
            }
        ),
        "{reply:?}"
    );
}

#[test]
fn two_sends_in_flight_with_foreign_traffic_between() {
    let mut r = Relater::default();
    let mut second = BUILT;
    second[26] = 0; // icmp.seq 1: another exchange
    second[27] = 1;
    let mut second_wire = WIRE;
    second_wire[26..28].copy_from_slice(&[0, 1]);
    let mut second_reply = REPLY;
    second_reply[26..28].copy_from_slice(&[0, 1]);
    let mut theirs = WIRE;
    theirs[24..26].copy_from_slice(&[0x77, 0x77]); // another identifier
    r.observe(&packet(1, &BUILT, sent_raw()));
    r.observe(&packet(2, &second, sent_raw()));
    assert!(r.observe(&packet(3, &theirs, captured())).is_empty());
    // The second's copy comes first: each copy still finds its own send.
    let b = r.observe(&packet(4, &second_wire, captured()));
    let a = r.observe(&packet(5, &WIRE, captured()));
    assert!(matches!(b[0], Relation::WireCopy { sent: 2, .. }), "{b:?}");
    assert!(matches!(a[0], Relation::WireCopy { sent: 1, .. }), "{a:?}");
    let ra = r.observe(&packet(6, &REPLY, captured()));
    let rb = r.observe(&packet(7, &second_reply, captured()));
    assert!(
        matches!(
            ra[0],
            Relation::Reply {
                request: 5,
                sent: Some(1),
                ..
            }
        ),
        "{ra:?}"
    );
    assert!(
        matches!(
            rb[0],
            Relation::Reply {
                request: 4,
                sent: Some(2),
                ..
            }
        ),
        "{rb:?}"
    );
}

#[test]
fn a_send_whose_copy_never_came_does_not_claim_the_next_ones() {
    let mut r = Relater::default();
    r.observe(&packet(1, &BUILT, sent_raw()));
    r.forget_sends(&[1]);
    r.observe(&packet(2, &BUILT, sent_raw()));
    let w = r.observe(&packet(3, &WIRE, captured()));
    assert!(matches!(w[0], Relation::WireCopy { sent: 2, .. }), "{w:?}");
    // Seen again by the same socket, a request is a new one, not the old send's.
    let again = r.observe(&packet(4, &WIRE, captured()));
    assert!(again.is_empty(), "{again:?}");
    let reply = r.observe(&packet(5, &REPLY, captured()));
    assert!(
        matches!(
            reply[0],
            Relation::Reply {
                request: 4,
                sent: None,
                ..
            }
        ),
        "{reply:?}"
    );
}

/// An IPv4 UDP datagram from port `from` to port `to` on 127.0.0.1.
fn datagram(from: u16, to: u16) -> Vec<u8> {
    let mut b = BUILT[..20].to_vec();
    b[3] = 28;
    b[9] = 17;
    b[12..16].copy_from_slice(&[127, 0, 0, 1]);
    b.extend(from.to_be_bytes());
    b.extend(to.to_be_bytes());
    b.extend([0, 8, 0, 0]);
    b
}

#[test]
fn a_udp_answer_swaps_the_ports_of_the_datagram_before_it() {
    let mut r = Relater::default();
    assert!(
        r.observe(&packet(1, &datagram(40000, 7), captured()))
            .is_empty()
    );
    let other = r.observe(&packet(2, &datagram(5353, 7), captured()));
    assert!(other.is_empty(), "another flow: {other:?}");
    let answer = r.observe(&packet(3, &datagram(7, 40000), captured()));
    assert!(
        matches!(
            answer[0],
            Relation::Reply {
                request: 1,
                sent: None,
                ..
            }
        ),
        "{answer:?}"
    );
}

#[test]
fn a_frame_back_in_on_lo_is_the_twin_of_its_way_out() {
    let mut r = Relater::default();
    let on_lo = |pkttype| Origin::Captured {
        socket: "packet socket on lo".into(),
        link: Some(LinkSeen {
            iface: "lo".into(),
            ifindex: 1,
            pkttype,
            loopback: true,
        }),
        iface: None,
    };
    let mut frame = vec![0u8; 12];
    frame.extend([0x08, 0x00]);
    frame.extend(WIRE);
    let frame_of = |no, pkttype| {
        Arc::new(Packet {
            first: &eth::ETH,
            ..(*packet(no, &frame, on_lo(pkttype))).clone()
        })
    };
    r.observe(&frame_of(1, PACKET_OUTGOING));
    // Back in as multicast (lo has no broadcast address) or to us: the same frame.
    let twin = r.observe(&frame_of(2, 2));
    assert_eq!(twin, [Relation::Twin { first: 1 }]);
    // Seen a third time it is a new frame, not a twin again.
    let third = r.observe(&frame_of(3, 0));
    assert!(!third.contains(&Relation::Twin { first: 1 }), "{third:?}");
}

#[test]
fn silence_is_explained_from_the_bytes() {
    let mut bad = BUILT;
    bad[22] = 0x11;
    bad[23] = 0x11;
    let sandbox = Surroundings {
        sandboxed: true,
        ..Surroundings::default()
    };
    let why = silence_reasons(&bad, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &sandbox);
    assert!(
        why[0].starts_with("icmp.checksum is 0x1111, but the bytes add up to 0x3721"),
        "{why:?}"
    );
    let mut spoofed = BUILT;
    spoofed[12..16].copy_from_slice(&[10, 9, 8, 7]);
    let why = silence_reasons(&spoofed, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &sandbox);
    assert!(why[0].starts_with("ip.src is 10.9.8.7"), "{why:?}");
}

/// Counts as the kernel reports them, for judging reasons without a kernel.
fn counted(moved: &[(&str, &str, i64)]) -> Option<Counted> {
    Some(Counted {
        deltas: moved
            .iter()
            .map(|&(table, name, by)| crate::net::counters::Delta {
                table: table.into(),
                name: name.into(),
                by,
            })
            .collect(),
    })
}

fn sandbox_with(here: &[(&str, &str, i64)], peer: &[(&str, &str, i64)]) -> Surroundings {
    Surroundings {
        sandboxed: true,
        local: vec![Ipv4Addr::new(192, 0, 2, 1)],
        peers: vec![(
            Ipv4Addr::new(192, 0, 2, 2),
            [2, 0x72, 0x61, 0x77, 0, 2],
            "veth0".into(),
        )],
        counted: Evidence {
            here: counted(here),
            peer: counted(peer),
        },
        ..Surroundings::default()
    }
}

/// A wrong checksum is blamed with the counter that shows it, not blamed when the
/// kernel counted the message good, and set aside when it never reached ICMP.
#[test]
fn a_checksum_is_judged_by_what_the_kernel_counted() {
    let mut bad = BUILT;
    bad[22..24].copy_from_slice(&[0x11, 0x11]);
    let to = Ipv4Addr::LOCALHOST.into();
    let dropped = sandbox_with(
        &[
            ("Icmp", "InMsgs", 1),
            ("Icmp", "InErrors", 1),
            ("Icmp", "InCsumErrors", 1),
        ],
        &[],
    );
    let why = silence_reasons(&bad, &ipv4::IPV4, to, &dropped);
    assert!(
        why[0].ends_with("the receiving kernel dropped it as corrupt without a word, and counted it (Icmp InCsumErrors +1)"),
        "{why:?}"
    );
    let answered = sandbox_with(&[("Icmp", "InMsgs", 1), ("Icmp", "InEchos", 1)], &[]);
    let why = silence_reasons(&bad, &ipv4::IPV4, to, &answered);
    assert!(why.iter().all(|w| !w.contains("icmp.checksum")), "{why:?}");
    let held = sandbox_with(&[("Ip", "InReceives", 1), ("Ip", "InDiscards", 1)], &[]);
    let why = silence_reasons(&bad, &ipv4::IPV4, to, &held);
    assert!(
        why[0].contains("that is not what stopped this one: no Icmp counter moved on the way in"),
        "{why:?}"
    );
    // Without counters, the bytes alone speak, as before.
    let blind = Surroundings::default();
    let why = silence_reasons(&bad, &ipv4::IPV4, to, &blind);
    assert!(
        why[0].ends_with("drops a message with a wrong checksum without a word"),
        "{why:?}"
    );
}

/// A first fragment's checksum covers the whole datagram: not judged, and the
/// reassembly counters are cited.
#[test]
fn a_fragment_is_held_not_blamed_on_its_checksum() {
    let mut frag = BUILT;
    frag[6] = 0x20; // MF
    frag[22..24].copy_from_slice(&[0x11, 0x11]);
    let around = sandbox_with(&[("Ip", "InReceives", 1), ("Ip", "ReasmReqds", 1)], &[]);
    let why = silence_reasons(&frag, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &around);
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(
        why[0]
            .starts_with("this is the first fragment of a datagram (more fragments set, offset 0)"),
        "{why:?}"
    );
    assert!(why[0].contains("(it counted Ip ReasmReqds +1)"), "{why:?}");
    let done = sandbox_with(
        &[
            ("Ip", "ReasmReqds", 1),
            ("Ip", "ReasmTimeout", 1),
            ("Ip", "ReasmFails", 1),
        ],
        &[],
    );
    let why = silence_reasons(&frag, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &done);
    assert!(
        why[0].ends_with("it did, counting Ip ReasmTimeout +1 and Ip ReasmFails +1"),
        "{why:?}"
    );
}

/// The peer as a forged source: answered and counted by the peer, or refused a
/// route by the kernel; never "no route" by guess.
#[test]
fn a_forged_source_is_judged_by_the_counters_and_the_route() {
    let mut spoofed = BUILT;
    spoofed[12..16].copy_from_slice(&[192, 0, 2, 2]);
    let mut around = sandbox_with(
        &[("Icmp", "InEchos", 1), ("Icmp", "OutEchoReps", 1)],
        &[("Icmp", "InEchoReps", 1)],
    );
    around.route = Some(|_, _| Ok(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))));
    let why = silence_reasons(
        &spoofed,
        &ipv4::IPV4,
        Ipv4Addr::new(192, 0, 2, 1).into(),
        &around,
    );
    assert_eq!(
        why,
        [
            "ip.src is 192.0.2.2: the kernel took the echo request in and answered it (Icmp InEchos +1, Icmp OutEchoReps +1), but to 192.0.2.2, not to you: the answer goes out on veth0 to the sandbox's peer 192.0.2.2 (the peer's Icmp InEchoReps +1), which asked for nothing"
        ]
    );
    let mut around = sandbox_with(&[("Icmp", "InEchos", 1)], &[]);
    around.route = Some(|_, _| Err(std::io::Error::from_raw_os_error(libc::EINVAL)));
    let why = silence_reasons(&spoofed, &ipv4::IPV4, Ipv4Addr::LOCALHOST.into(), &around);
    assert!(why[0].starts_with("ip.src is 192.0.2.2: the kernel took the echo request in (Icmp InEchos +1) but sent no reply: asked for a route from 127.0.0.1 to 192.0.2.2, the kernel refuses it"), "{why:?}");
    assert!(why.iter().all(|w| !w.contains("no route to it")), "{why:?}");
}

fn captured_as(no: u64, bytes: &[u8], first: &'static crate::wire::Protocol) -> Arc<Packet> {
    Arc::new(Packet {
        no,
        time: SystemTime::now(),
        bytes: bytes.to_vec(),
        first,
        origin: captured(),
        addrs: None,
        read: None,
        related: Default::default(),
    })
}

/// An ICMPv6 echo and its reply, captured on lo, pair up by identifier and sequence,
/// with the addresses read from the IPv6 table.
#[test]
fn icmpv6_echo_request_and_reply() {
    use crate::wire::ipv6::{
        IPV6,
        tests::{ECHO, ECHO_REPLY},
    };
    let mut r = Relater::default();
    assert!(r.observe(&captured_as(1, &ECHO, &IPV6)).is_empty());
    let rel = r.observe(&captured_as(2, &ECHO_REPLY, &IPV6));
    let Relation::Reply {
        request: 1,
        changes,
        ..
    } = &rel[0]
    else {
        panic!("{rel:?}")
    };
    let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
    assert_eq!(names, ["ipv6.flow", "icmpv6.type", "icmpv6.checksum"]);
    assert_eq!(changes[1].after(), "129 (echo-reply)");
}

/// A SYN to a closed port and the kernel's RST+ACK, captured on lo.
#[test]
fn a_syn_and_the_rst_that_answers_it() {
    use crate::wire::tcp::tests::{RST, SYN};
    let mut r = Relater::default();
    assert!(r.observe(&captured_as(1, &SYN, &ipv4::IPV4)).is_empty());
    let rel = r.observe(&captured_as(2, &RST, &ipv4::IPV4));
    assert!(
        matches!(rel[0], Relation::Reply { request: 1, .. }),
        "{rel:?}"
    );
}

/// Linux's port unreachable on lo names the datagram it quotes.
#[test]
fn an_error_is_related_to_the_datagram_it_quotes() {
    let mut r = Relater::default();
    r.observe(&captured_as(
        1,
        &crate::wire::udp::tests::DATAGRAM,
        &ipv4::IPV4,
    ));
    let rel = r.observe(&captured_as(
        2,
        &crate::wire::icmp::tests::PORT_UNREACHABLE,
        &ipv4::IPV4,
    ));
    assert_eq!(
        rel,
        [Relation::Error {
            about: 1,
            sent: None,
            quoted: 30,
            len: 30
        }]
    );
    // Nothing else quotes it: a different datagram is not the one.
    let mut r = Relater::default();
    let mut other = crate::wire::udp::tests::DATAGRAM;
    other[29] = b'o';
    r.observe(&captured_as(1, &other, &ipv4::IPV4));
    let rel = r.observe(&captured_as(
        2,
        &crate::wire::icmp::tests::PORT_UNREACHABLE,
        &ipv4::IPV4,
    ));
    assert!(rel.is_empty(), "{rel:?}");
}

/// The datagram an error quotes is found behind hundreds of others from the same
/// host, and from a quote shorter than the 8 bytes compared first.
#[test]
fn an_error_finds_its_datagram_far_back_and_from_a_short_quote() {
    use crate::wire::{icmp::tests::PORT_UNREACHABLE, udp::tests::DATAGRAM};
    let mut r = Relater::default();
    r.observe(&captured_as(1, &DATAGRAM, &ipv4::IPV4));
    for no in 2..400 {
        let mut other = DATAGRAM;
        other[20..22].copy_from_slice(&(no as u16).to_be_bytes());
        r.observe(&captured_as(no, &other, &ipv4::IPV4));
    }
    let rel = r.observe(&captured_as(400, &PORT_UNREACHABLE, &ipv4::IPV4));
    assert!(
        matches!(rel[..], [Relation::Error { about: 1, .. }]),
        "{rel:?}"
    );
    // Cut 4 bytes into the quoted UDP header: 24 of the datagram's 30 bytes.
    let mut short = PORT_UNREACHABLE[..52].to_vec();
    short[2..4].copy_from_slice(&52u16.to_be_bytes());
    let rel = r.observe(&captured_as(401, &short, &ipv4::IPV4));
    assert_eq!(
        rel,
        [Relation::Error {
            about: 1,
            sent: None,
            quoted: 24,
            len: 30
        }]
    );
}

#[test]
fn a_tcp_checksum_over_a_source_the_kernel_fills_in() {
    let t = crate::wire::template::Template::new(&[&ipv4::IPV4, &crate::wire::tcp::TCP]);
    let built = t.build(SystemTime::now()).bytes;
    let why = silence_reasons(
        &built,
        &ipv4::IPV4,
        Ipv4Addr::LOCALHOST.into(),
        &Surroundings {
            sandboxed: true,
            ..Surroundings::default()
        },
    );
    assert!(
        why[0].starts_with("ip.src is unset, left for the kernel to fill, but tcp.checksum covers the source address"),
        "{why:?}"
    );
}

/// A stream of jumbo packets is kept by the bytes it holds, not 512 of them; a
/// request among them is still answered, since requests are a list of their own.
#[test]
fn jumbo_packets_are_remembered_by_their_bytes() {
    let mut r = Relater::default();
    r.observe(&packet(1, &WIRE, captured()));
    let jumbo = vec![0u8; 256 << 10];
    for no in 2..40 {
        r.observe(&packet(no, &jumbo, captured()));
    }
    assert!(r.captured.bytes <= REMEMBER_BYTES, "{}", r.captured.bytes);
    assert_eq!(r.captured.iter().count(), REMEMBER_BYTES / jumbo.len());
    assert_eq!(
        r.captured.bytes,
        r.captured
            .iter()
            .map(|c| c.packet.bytes.len())
            .sum::<usize>()
    );
    let reply = r.observe(&packet(40, &REPLY, captured()));
    assert!(
        matches!(reply[0], Relation::Reply { request: 1, .. }),
        "{reply:?}"
    );
    // One larger than the whole budget is still kept, alone.
    r.observe(&packet(41, &vec![0u8; REMEMBER_BYTES + 1], captured()));
    assert_eq!(r.captured.iter().count(), 1);
}

/// A stream of UDP datagrams, each a request until something answers it, does not
/// push an echo request out of mind: each protocol's requests are a list apart.
#[test]
fn a_stream_of_datagrams_leaves_an_echo_request_answerable() {
    let mut r = Relater::default();
    r.observe(&packet(1, &WIRE, captured()));
    for no in 2..2000u64 {
        r.observe(&packet(no, &datagram(no as u16, 9), captured()));
    }
    let rel = r.observe(&packet(2000, &REPLY, captured()));
    assert!(
        matches!(rel[0], Relation::Reply { request: 1, .. }),
        "{rel:?}"
    );
}

/// The count of requests by key follows the list as requests come and go, so one
/// whose key no request holds is answered by none without a look through the list.
#[test]
fn requests_are_found_by_key_as_they_come_and_go() {
    let mut r = Relater::default();
    let echo = |seq: u16| {
        let mut b = WIRE;
        b[26..28].copy_from_slice(&seq.to_be_bytes());
        b
    };
    for no in 1..=700u64 {
        // Every tenth a second request with the key before it.
        let seq = if no % 10 == 0 { no - 1 } else { no } as u16;
        r.observe(&packet(no, &echo(seq), captured()));
    }
    let held: u32 = r.requests.keys.values().sum();
    assert_eq!(held as usize, r.requests.of("icmp").count());
    assert_eq!(r.requests.of("icmp").count(), REMEMBER);
    for req in r.requests.of("icmp") {
        assert!(r.requests.keys.contains_key(&(req.proto, req.key)));
    }
    // The oldest left the list, and with it their keys.
    let mut reply = echo(1);
    reply[20] = 0;
    assert!(r.observe(&packet(701, &reply, captured())).is_empty());
    let mut reply = echo(699);
    reply[20] = 0;
    let rel = r.observe(&packet(702, &reply, captured()));
    assert!(
        matches!(rel[0], Relation::Reply { request: 700, .. }),
        "the newest of the two: {rel:?}"
    );
    r.requests.retain(|q| q.packet.no != 700);
    assert_eq!(
        r.requests
            .keys
            .get(&("icmp", r.requests.of("icmp").next().unwrap().key)),
        Some(&1)
    );
}

#[test]
fn payload_and_truncation_changes() {
    let a = packet(1, &WIRE, captured());
    let mut longer = WIRE.to_vec();
    longer[29] = 0xdf;
    let b = packet(2, &longer, captured());
    let c = changes(&a, &b);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].field.name, "data.data");
    assert_eq!(c[0].after(), "c0 df");
    assert_eq!(hex_words(&[]), "(none)");
    assert_eq!(
        hex_words(&[0, 1, 2, 3, 4, 5, 6, 7]),
        "00 01 02 03 04 05 06 07"
    );
    assert_eq!(
        hex_words(&[0xab; 40]),
        "ab ab ab ab ab ab ab ab … (40 bytes)"
    );
    // A cut-off packet compares only what both have, without panicking.
    let cut = packet(3, &WIRE[..22], captured());
    let _ = changes(&a, &cut);
}

/// The post's ping with 8 more bytes of data (38 bytes: 18 after the IP header), its
/// ip.id `id`: a datagram to cut into fragments.
fn ping_to_cut(id: u128) -> Vec<u8> {
    let mut whole = BUILT.to_vec();
    whole.extend([1, 2, 3, 4, 5, 6, 7, 8]);
    ipv4::LEN.set(&mut whole, 38);
    ipv4::ID.set(&mut whole, id);
    whole
}

/// The fragment of `whole` that carries its payload bytes `from..to` (offsets after
/// the 20-byte IP header), with more-fragments `more`.
fn piece_of(whole: &[u8], from: usize, to: usize, more: u128) -> Vec<u8> {
    let mut b = whole[..20].to_vec();
    b.extend(&whole[20 + from..20 + to]);
    let len = b.len() as u128;
    ipv4::LEN.set(&mut b, len);
    ipv4::FLAG_MF.set(&mut b, more);
    ipv4::FRAG_OFFSET.set(&mut b, (from / 8) as u128);
    b
}

/// The post's ping cut in two (the ICMP header and 8 bytes, then the last 2 bytes
/// at offset 16, ip.id 0x4242): sent, the datagram the kernel put back together, and
/// its reply, which names both fragments and is compared with the whole datagram.
#[test]
fn a_reassembled_datagram_and_its_reply_name_every_fragment() {
    let whole = ping_to_cut(0x4242);
    let piece = |from, to, more| piece_of(&whole, from, to, more);
    let sent = sent_icmp(Mode::HdrIncl, Ipv4Addr::LOCALHOST);
    let mut r = Relater::default();
    // Out of order: the last piece first.
    assert!(
        r.observe(&packet(1, &piece(16, 18, 0), sent.clone()))
            .is_empty()
    );
    assert!(r.observe(&packet(2, &piece(0, 16, 1), sent)).is_empty());
    let mut arrived = whole.clone();
    ipv4::SRC.set(&mut arrived, 0x7f00_0001);
    let copy = r.observe(&packet(3, &arrived, captured()));
    let [
        Relation::WireCopy {
            sent: 2, fragments, ..
        },
    ] = &copy[..]
    else {
        panic!("{copy:?}")
    };
    assert_eq!(fragments, &[1, 2]);
    let mut reply = arrived.clone();
    crate::wire::icmp::TYPE.set(&mut reply[20..], 0);
    let answer = r.observe(&packet(4, &reply, captured()));
    let [
        Relation::Reply {
            request: 3,
            sent: Some(2),
            fragments,
            changes,
        },
    ] = &answer[..]
    else {
        panic!("{answer:?}")
    };
    assert_eq!(fragments, &[1, 2]);
    let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
    assert_eq!(names, ["icmp.type"]);
    assert_eq!(
        words::relation_brief(&answer[0]),
        " · reply to #3 (#1–#2 reassembled)"
    );
    assert_eq!(
        words::relation_brief(&copy[0]),
        " · #1–#2 reassembled (2 fragments)"
    );
}

/// A reply to fragments no socket saw put together (they went to another host) is
/// related to the first fragment, and names them all.
#[test]
fn a_reply_to_fragments_sent_away_names_them_all() {
    let mut whole = ping_to_cut(0x4243);
    ipv4::DST.set(&mut whole, 0xcb00_7102);
    let piece = |from, to, more| piece_of(&whole, from, to, more);
    let sent = sent_icmp(Mode::HdrIncl, Ipv4Addr::new(203, 0, 113, 2));
    let mut r = Relater::default();
    r.observe(&packet(1, &piece(0, 16, 1), sent.clone()));
    r.observe(&packet(2, &piece(16, 18, 0), sent));
    let mut reply = whole.clone();
    ipv4::SRC.set(&mut reply, 0xcb00_7102);
    ipv4::DST.set(&mut reply, 0xc000_0201);
    crate::wire::icmp::TYPE.set(&mut reply[20..], 0);
    let answer = r.observe(&packet(3, &reply, captured()));
    let [
        Relation::Reply {
            request: 1,
            fragments,
            ..
        },
    ] = &answer[..]
    else {
        panic!("{answer:?}")
    };
    assert_eq!(fragments, &[1, 2]);
    assert_eq!(
        words::relation_brief(&answer[0]),
        " · reply to #1–#2 (2 fragments, reassembled)"
    );
}

/// A segment of `from` → `to` with the flags byte `flags` and window `window`, no options.
fn segment(from: u16, to: u16, flags: u8, window: u16) -> Vec<u8> {
    let mut b = crate::wire::tcp::tests::RST.to_vec();
    b[20..22].copy_from_slice(&from.to_be_bytes());
    b[22..24].copy_from_slice(&to.to_be_bytes());
    b[33] = flags;
    b[34..36].copy_from_slice(&window.to_be_bytes());
    b
}

fn window_of(rel: &[Relation]) -> Option<&Window> {
    rel.iter().find_map(|r| match r {
        Relation::Window(w) => Some(w),
        _ => None,
    })
}

/// After the handshake a segment's window counts in 2^shift-byte units of the shift
/// its sender's SYN offered, when both SYNs carried the option; a SYN's own window is
/// left alone, and without the SYNs the scale is unknown, never guessed.
#[test]
fn a_window_is_scaled_by_the_shift_of_its_senders_syn() {
    use crate::wire::tcp::tests::SYN;
    let mut r = Relater::default();
    // Before any SYN: unknown.
    let early = r.observe(&captured_as(1, &segment(40000, 80, 0x10, 64), &ipv4::IPV4));
    assert_eq!(window_of(&early).map(|w| &w.scale), Some(&Scale::Unknown));
    assert!(words::window_words(window_of(&early).unwrap()).contains("scale unknown"));
    // The SYN offers 10; its own window is not marked.
    assert!(window_of(&r.observe(&captured_as(2, &SYN, &ipv4::IPV4))).is_none());
    // Only the SYN seen so far: offered, not agreed.
    let offered = r.observe(&captured_as(3, &segment(40000, 80, 0x10, 64), &ipv4::IPV4));
    assert_eq!(
        window_of(&offered).map(|w| &w.scale),
        Some(&Scale::Offered { syn: 2, shift: 10 })
    );
    // The SYN-ACK offers 7.
    let mut syn_ack = SYN;
    syn_ack[20..24].copy_from_slice(&[0x00, 0x50, 0x9c, 0x40]);
    syn_ack[33] = 0x12;
    syn_ack[59] = 7;
    assert!(window_of(&r.observe(&captured_as(4, &syn_ack, &ipv4::IPV4))).is_none());
    let ack = r.observe(&captured_as(5, &segment(40000, 80, 0x10, 64), &ipv4::IPV4));
    let w = window_of(&ack).unwrap();
    assert_eq!(w.scale, Scale::Agreed { syn: 2, shift: 10 });
    assert_eq!(
        words::window_words(w),
        "64 × 2^10 = 65536 bytes (scale 10 from the SYN #2)"
    );
    let back = r.observe(&captured_as(6, &segment(80, 40000, 0x10, 3), &ipv4::IPV4));
    assert_eq!(
        words::window_words(window_of(&back).unwrap()),
        "3 × 2^7 = 384 bytes (scale 7 from the SYN #4)"
    );
    // A SYN with no window scale option: neither side scales, said of both.
    let mut plain = SYN;
    plain[56..60].copy_from_slice(&[1, 1, 1, 0]);
    plain[20..22].copy_from_slice(&41000u16.to_be_bytes());
    r.observe(&captured_as(7, &plain, &ipv4::IPV4));
    let mine = r.observe(&captured_as(8, &segment(41000, 80, 0x10, 64), &ipv4::IPV4));
    assert_eq!(
        window_of(&mine).map(|w| &w.scale),
        Some(&Scale::Unscaled {
            syn: 7,
            senders: true
        })
    );
    let theirs = r.observe(&captured_as(9, &segment(80, 41000, 0x14, 0), &ipv4::IPV4));
    assert_eq!(
        window_of(&theirs).map(|w| &w.scale),
        Some(&Scale::Unscaled {
            syn: 7,
            senders: false
        })
    );
    assert!(words::window_words(window_of(&theirs).unwrap()).starts_with("0 bytes, not scaled"));
    // JSON says the same: the bytes only where the SYNs settle them.
    let json = |p: &[Relation]| words::window_json(window_of(p).unwrap()).to_string();
    assert_eq!(
        json(&ack),
        r#"{"value":64,"scale":"agreed","shift":10,"syn":2,"bytes":65536}"#
    );
    assert_eq!(
        json(&offered),
        r#"{"value":64,"scale":"offered","shift":10,"syn":2,"bytes":null}"#
    );
    assert_eq!(
        json(&early),
        r#"{"value":64,"scale":"unknown","shift":null,"syn":null,"bytes":null}"#
    );
    assert_eq!(
        json(&mine),
        r#"{"value":64,"scale":"none","shift":null,"syn":7,"bytes":64}"#
    );
    assert_eq!(
        json(&theirs),
        r#"{"value":0,"scale":"none","shift":null,"syn":7,"bytes":0}"#
    );
    assert!(words::relations_json(&ack).contains_key("window"));
}
