//! Dissecting every protocol, and bytes that lie.

use super::*;
use crate::wire::{icmp, ipv4};

const POST: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

#[test]
fn the_posts_packet() {
    let d = dissect(&POST, &ipv4::IPV4);
    assert_eq!(d.stack_name(), "ip/icmp");
    assert_eq!(d.layers[1].start, 20);
    assert_eq!(d.payload, 28..30);
    assert!(d.problems.is_empty());
    assert_eq!(d.value(&POST, &icmp::TYPE), Some(8));
    assert_eq!(
        d.summary(&POST),
        "IPv4 127.0.0.1 → 127.0.0.1 ttl 64 icmp · ICMP echo-request id 0 seq 0 · 2 bytes of data"
    );
}

#[test]
fn truncated_at_every_offset_never_panics() {
    for cut in 0..POST.len() {
        let d = dissect(&POST[..cut], &ipv4::IPV4);
        assert!(!d.problems.is_empty(), "cut at {cut} should be reported");
        let covered = d.layers.last().map_or(0, |l| l.hdr_end).max(d.payload.end);
        assert_eq!(covered, cut, "every byte is in a layer or the payload");
    }
}

#[test]
fn a_brief_summary_names_outer_layers_by_title() {
    let d = dissect(&POST, &ipv4::IPV4);
    let full = d.summary(&POST);
    assert!(full.starts_with("IPv4 127.0.0.1 → 127.0.0.1"), "{full}");
    let brief = d.summary_brief(&POST, 1);
    assert!(brief.starts_with("IPv4 · ICMP echo-request"), "{brief}");
    assert!(brief.len() < full.len());
    assert_eq!(d.summary_brief(&POST, 0), full);
}

#[test]
fn a_field_cut_short_is_shown_as_unparsed() {
    let d = dissect(&POST[..18], &ipv4::IPV4);
    let l = &d.layers[0];
    assert_eq!(l.items.len(), 1);
    assert_eq!(l.items[0].span, 16..18, "the first two bytes of ip.dst");
    assert_eq!(l.items[0].fields[0].field, &crate::wire::UNPARSED);
    assert!(!l.fields(&POST[..18]).any(|f| f == &ipv4::DST));
    d.audit(&POST[..18], 0).unwrap();
    // A whole header has nothing unparsed.
    assert!(
        dissect(&POST, &ipv4::IPV4)
            .layers
            .iter()
            .all(|l| l.items.is_empty())
    );
}

#[test]
fn small_ihl_is_reported_and_read_as_twenty() {
    let mut p = POST;
    p[0] = 0x43;
    let d = dissect(&p, &ipv4::IPV4);
    assert_eq!(
        d.problems[0].what,
        "ip.hdr_len says 12 bytes, less than the 20 an IPv4 header needs; read as 20"
    );
    assert_eq!(d.problems[0].offset, 0);
    assert_eq!(d.layers[0].hdr_end, 20);
}

#[test]
fn dissecting_after_a_link_header_counts_from_the_frame_start() {
    let mut frame = vec![0xeeu8; 14];
    frame.extend(POST);
    let d = dissect_from(&frame, 14, &ipv4::IPV4);
    assert_eq!(d.stack_name(), "ip/icmp");
    assert_eq!((d.layers[0].start, d.layers[1].start), (14, 34));
    assert_eq!(d.payload, 42..44);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(d.value(&frame, &icmp::TYPE), Some(8));
    let cut = dissect_from(&frame[..20], 14, &ipv4::IPV4);
    assert_eq!(cut.problems[0].offset, 14);
}

#[test]
fn lengths_that_lie() {
    let mut long = POST;
    long[3] = 40;
    let d = dissect(&long, &ipv4::IPV4);
    assert_eq!(
        d.problems[0].what,
        "ip.len says 40 bytes, but only 30 are there"
    );
    assert_eq!(d.problems[0].offset, 2);

    let mut short = POST.to_vec();
    short.extend([0xaa, 0xbb]);
    let d = dissect(&short, &ipv4::IPV4);
    assert!(d.problems.is_empty());
    assert_eq!(d.trailer, 30..32);
    assert_eq!(d.payload, 28..30);

    let mut tiny = POST;
    tiny[3] = 12;
    let d = dissect(&tiny, &ipv4::IPV4);
    assert_eq!(
        d.problems[0].what,
        "ip.len says 12 bytes, shorter than its own 20-byte header"
    );
}

#[test]
fn ihl_past_the_end_says_which_field() {
    let mut p = POST;
    p[0] = 0x4f;
    let d = dissect(&p, &ipv4::IPV4);
    assert_eq!(
        d.problems[0].what,
        "ip.hdr_len says 60 bytes, but only 30 are there; the header is cut short"
    );
    assert_eq!(d.layers.len(), 1, "nothing is read after a cut header");
}

/// Real packets and built ones, every protocol and option kind among them.
/// Packets of every kind the tables read, for tests that cut and mangle them.
pub(crate) fn samples() -> Vec<(&'static Protocol, Vec<u8>)> {
    use crate::wire::{icmp, icmpv6, ipv6, tcp, udp};
    let mut v: Vec<(&'static Protocol, Vec<u8>)> = vec![
        (&ipv4::IPV4, POST.to_vec()),
        (&ipv4::IPV4, tcp::tests::SYN.to_vec()),
        (&ipv4::IPV4, tcp::tests::RST.to_vec()),
        (&ipv4::IPV4, udp::tests::DATAGRAM.to_vec()),
        (&ipv4::IPV4, icmp::tests::PORT_UNREACHABLE.to_vec()),
        (&ipv6::IPV6, ipv6::tests::ECHO.to_vec()),
        (&ipv6::IPV6, udp::tests::DATAGRAM6.to_vec()),
    ];
    let t = crate::wire::template::Template::new(&[
        &ipv6::IPV6,
        &ipv6::HOPOPTS,
        &ipv6::ROUTING,
        &ipv6::FRAGMENT,
        &ipv6::DSTOPTS,
        &icmpv6::ICMPV6,
    ]);
    v.push((
        &ipv6::IPV6,
        t.build(std::time::SystemTime::UNIX_EPOCH).bytes,
    ));
    // IPv4 with record route and timestamp options, carrying an ICMP timestamp.
    let mut p = vec![
        0x4d, 0, 0, 72, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];
    p.extend([7, 11, 8, 127, 0, 0, 1, 0, 0, 0, 0, 1]);
    p.extend([68, 12, 5, 1, 127, 0, 0, 1, 0, 0, 0, 42, 148, 4, 0, 0]);
    p.extend([1, 1, 1, 0]);
    p.extend([13, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
    v.push((&ipv4::IPV4, p));
    v
}

/// What every dissection must be, whatever the bytes (see `Dissection::audit`).
fn check(d: &Dissection, bytes: &[u8]) {
    if let Err(e) = d.audit(bytes, 0) {
        panic!("{e}: {bytes:02x?}");
    }
}

#[test]
fn every_sample_cut_at_every_offset() {
    for (first, p) in samples() {
        let whole = dissect(&p, first);
        assert!(whole.problems.is_empty(), "{:?}", whole.problems);
        for cut in 0..p.len() {
            let d = dissect(&p[..cut], first);
            check(&d, &p[..cut]);
            assert!(
                !d.problems.is_empty(),
                "cut at {cut} of {p:02x?} is not reported"
            );
            let covered = d.layers.last().map_or(0, |l| l.hdr_end).max(d.payload.end);
            assert_eq!(covered, cut, "every byte is in a layer or the payload");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Samples with random bytes overwritten and cut anywhere: never a panic, never
    /// a read past the bytes, from any first protocol.
    #[test]
    fn mangled_packets_never_panic(
        which in 0usize..64,
        first in 0usize..64,
        edits in proptest::collection::vec((0usize..256, proptest::prelude::any::<u8>()), 0..8),
        cut in 0usize..256,
    ) {
        let all = samples();
        let (p0, mut p) = all[which % all.len()].clone();
        for (i, b) in edits {
            let n = p.len();
            p[i % n] = b;
        }
        p.truncate(cut.max(1));
        for first in [p0, crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()]] {
            let d = dissect(&p, first);
            check(&d, &p);
        }
    }

    #[test]
    fn random_bytes_never_panic(
        first in 0usize..64,
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160),
    ) {
        let first = crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()];
        let d = dissect(&bytes, first);
        check(&d, &bytes);
    }

    /// After a link header no table reads (a capture file's), from any byte.
    #[test]
    fn after_any_link_header(
        first in 0usize..64,
        start in 0usize..200,
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160),
    ) {
        let first = crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()];
        let d = dissect_from(&bytes, start, first);
        if let Err(e) = d.audit(&bytes, start.min(bytes.len())) {
            panic!("{e}: {bytes:02x?} from {start}");
        }
    }
}
