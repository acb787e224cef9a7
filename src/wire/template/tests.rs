//! The template's tests: setting, options, unsetting, building with checksums that
//! verify, and quoting.

use super::*;
use crate::wire::dissect::dissect;

#[test]
fn payload_room_is_what_the_ip_length_leaves() {
    use crate::wire::{icmpv6, udp};
    let room = |stack: &[&'static Protocol]| Template::new(stack).payload_room();
    assert_eq!(room(&[&ipv4::IPV4, &udp::UDP]), 65_507);
    assert_eq!(room(&[&ipv4::IPV4, &icmp::ICMP]), 65_507);
    assert_eq!(room(&[&eth::ETH, &ipv4::IPV4, &udp::UDP]), 65_507);
    assert_eq!(room(&[&ipv4::IPV4]), 65_515);
    // IPv6's payload length leaves its fixed header out.
    assert_eq!(room(&[&ipv6::IPV6, &icmpv6::ICMPV6]), 65_527);
    let mut t = Template::new(&[&ipv4::IPV4, &udp::UDP]);
    t.set(&ipv4::OPTIONS, Value::Bytes(vec![1, 1, 1, 0]))
        .unwrap();
    assert_eq!(t.payload_room(), 65_503, "options take room too");
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH
}

#[test]
fn default_is_the_posts_packet() {
    let b = Template::default().build(now());
    assert_eq!(
        b.bytes,
        [
            0x45, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00,
            0xc0, 0xde
        ]
    );
}

#[test]
fn set_values_round_trip_through_the_dissector() {
    let mut t = Template::default();
    for f in ipv4::FIELDS.iter().chain(icmp::FIELDS).filter(|f| !f.group) {
        let v = 0x5a5a_5a5a & f.max_raw();
        t.set(f, Value::Raw(v)).unwrap();
    }
    let b = t.build(now());
    let d = dissect(&b.bytes, &ipv4::IPV4);
    for f in ipv4::FIELDS.iter().chain(icmp::FIELDS).filter(|f| !f.group) {
        // A header length of 0x5a & 0xf = 10 words reaches past the 20 bytes built.
        if std::ptr::eq(*f, &ipv4::HDR_LEN) {
            continue;
        }
        let l = &d.layers[0];
        if f.name.starts_with("ip.") {
            assert_eq!(
                f.get(&b.bytes[l.start..]),
                0x5a5a_5a5a & f.max_raw(),
                "{}",
                f.name
            );
        }
    }
    assert_eq!(
        icmp::CHECKSUM.get(&b.bytes[20..]),
        0x5a5a,
        "a set checksum is never fixed"
    );
}

#[test]
fn group_and_members() {
    let mut t = Template::default();
    t.set(&ipv4::FLAGS, Value::Raw(0b010)).unwrap();
    assert!(t.is_set(&ipv4::FLAG_DF));
    t.set(&ipv4::FLAG_MF, Value::Raw(1)).unwrap();
    let b = t.build(now());
    assert_eq!(ipv4::FLAGS.get(&b.bytes), 0b011);
    assert!(t.unset(&ipv4::FLAGS));
    assert!(!t.is_set(&ipv4::FLAG_MF));
    assert_eq!(ipv4::FLAGS.get(&t.build(now()).bytes), 0);
}

#[test]
fn options_grow_the_header() {
    let mut t = Template::default();
    t.set(&ipv4::OPTIONS, Value::Bytes(vec![1, 1, 1, 0]))
        .unwrap();
    let b = t.build(now());
    assert_eq!(ipv4::HDR_LEN.get(&b.bytes), 6);
    assert_eq!(ipv4::LEN.get(&b.bytes), 34);
    assert_eq!(b.layers[1].1, 24);
    let err = t
        .set(&ipv4::OPTIONS, Value::Bytes(vec![1, 1, 0]))
        .unwrap_err();
    assert!(err.contains("multiple of 4"), "{err}");
}

#[test]
fn unset_goes_back_to_automatic() {
    let mut t = Template::default();
    t.set(&icmp::CHECKSUM, Value::Raw(0x1111)).unwrap();
    assert!(t.unset(&icmp::CHECKSUM));
    assert!(!t.unset(&icmp::CHECKSUM));
    assert_eq!(icmp::CHECKSUM.get(&t.build(now()).bytes[20..]), 0x3721);
}

/// Checks every checksum rawlab computed against what the bytes add up to.
fn all_checksums_verify(t: &Template, b: &[u8]) {
    let d = dissect(b, t.layers[0].proto);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(d.layers.len(), t.layers.len());
    for (i, l) in d.layers.iter().enumerate() {
        for e in (l.proto.expected)(&d.scope(i, b)) {
            if e.field.fill == Fill::Computed {
                assert_eq!(
                    e.verdict(l.get(b, e.field)),
                    crate::wire::Verdict::Correct,
                    "{}",
                    e.field.name
                );
            }
        }
    }
}

/// Three stacks as a learner builds them, byte for byte; tshark 4.0 called each of
/// these checksums good.
#[test]
fn stacks_build_with_checksums_that_verify() {
    use crate::wire::{icmpv6, ipv6, tcp, udp};
    let hello = || Payload::Bytes(b"hello".to_vec());

    let mut t = Template::new(&[&ipv4::IPV4, &tcp::TCP]);
    t.set(&ipv4::SRC, Value::Raw(0x7f00_0001)).unwrap();
    t.set(&tcp::OPTIONS, Value::Bytes(vec![2, 4, 5, 0xb4, 1, 3, 3, 7]))
        .unwrap();
    t.payload = hello();
    let b = t.build(now()).bytes;
    assert_eq!(ipv4::PROTO.get(&b), 6);
    assert_eq!(tcp::HDR_LEN.get(&b[20..]), 7);
    assert_eq!(tcp::FLAGS.get(&b[20..]), 0x002, "a SYN");
    assert_eq!(tcp::CHECKSUM.get(&b[20..]), 0xaabd);
    all_checksums_verify(&t, &b);

    let mut t = Template::new(&[&ipv4::IPV4, &udp::UDP]);
    t.set(&ipv4::SRC, Value::Raw(0x7f00_0001)).unwrap();
    t.payload = hello();
    let b = t.build(now()).bytes;
    assert_eq!(udp::LENGTH.get(&b[20..]), 13);
    assert_eq!(udp::CHECKSUM.get(&b[20..]), 0x21b6);
    all_checksums_verify(&t, &b);

    let mut t = Template::new(&[&ipv6::IPV6, &icmpv6::ICMPV6]);
    t.payload = hello();
    let b = t.build(now()).bytes;
    assert_eq!(
        &b[..8],
        [0x60, 0, 0, 0, 0, 13, 58, 64],
        "version 6, plen 13, next header ICMPv6, hop limit 64"
    );
    assert_eq!(icmpv6::TYPE.get(&b[40..]), 128);
    assert_eq!(icmpv6::CHECKSUM.get(&b[40..]), 0x3be4);
    all_checksums_verify(&t, &b);

    let t = Template::new(&[
        &ipv6::IPV6,
        &ipv6::HOPOPTS,
        &ipv6::ROUTING,
        &ipv6::FRAGMENT,
        &ipv6::DSTOPTS,
        &udp::UDP,
    ]);
    let b = t.build(now()).bytes;
    let d = dissect(&b, &ipv6::IPV6);
    assert_eq!(
        d.stack_name(),
        "ipv6/ipv6.hopopts/ipv6.routing/ipv6.fraghdr/ipv6.dstopts/udp"
    );
    all_checksums_verify(&t, &b);
}

#[test]
fn a_tail_must_make_whole_words() {
    use crate::wire::ipv6;
    let mut t = Template::new(&[&ipv6::IPV6, &ipv6::HOPOPTS]);
    let err = t
        .set(&ipv6::HOP_OPTIONS, Value::Bytes(vec![1, 0]))
        .unwrap_err();
    assert_eq!(
        err,
        "ipv6.hopopts.options must make the IPv6 hop-by-hop options header a multiple of 8 bytes, at most 2048: its 2 fixed bytes and the 2 you gave make 4 — pad with 00 (Pad1) or 01 NN and NN zeros (PadN)"
    );
    t.set(
        &ipv6::HOP_OPTIONS,
        Value::Bytes(vec![1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    )
    .unwrap();
    let b = t.build(now()).bytes;
    assert_eq!(
        ipv6::HOP_LEN.get(&b[40..]),
        1,
        "16 bytes: one unit past the first 8"
    );
}

/// Options set by name: in the order set, one of a kind replaced where it stands,
/// padded to whole words, the header length following; bytes set before are read
/// into options; `set ip.options` and `unset` start again.
#[test]
fn options_set_by_name_make_the_option_bytes() {
    use crate::wire::OptionValue;
    let named = |f: &Field| crate::wire::option_named_by(f).expect("named").1;
    let (rr, nop, ra) = (
        named(&ipv4::OPT_RR),
        named(&ipv4::OPT_NOP),
        named(&ipv4::ROUTER_ALERT),
    );
    let mut t = Template::default();
    t.set_option(nop, &OptionValue::Count(1)).unwrap();
    t.set_option(rr, &OptionValue::Count(9)).unwrap();
    let b = t.build(now()).bytes;
    assert_eq!(ipv4::HDR_LEN.get(&b), 15, "IHL follows the options");
    assert_eq!(b[20..24], [1, 7, 39, 4]);
    assert_eq!(b.len(), 60 + 10);
    // Full: the router alert does not fit, and the error says what takes the room.
    let e = t.set_option(ra, &OptionValue::Raw(0)).unwrap_err();
    assert!(
        e.contains("only 0 are left") && e.contains("the other options take 40 bytes"),
        "{e}"
    );
    // Replaced where it stands: the no-operation stays first.
    t.set_option(rr, &OptionValue::Count(1)).unwrap();
    t.set_option(ra, &OptionValue::Raw(0)).unwrap();
    let b = t.build(now()).bytes;
    assert_eq!(b[20..32], [1, 7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0]);
    assert_eq!(ipv4::HDR_LEN.get(&b), 8);
    assert_eq!(t.option_bytes(ra), Some(vec![148, 4, 0, 0]));
    assert!(t.unset_option(nop));
    assert!(!t.unset_option(nop), "already out");
    let b = t.build(now()).bytes;
    assert_eq!(
        b[20..32],
        [7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0],
        "padded with zeros"
    );
    // Bytes set as ip.options are read into options, then one is replaced.
    t.set(&ipv4::OPTIONS, Value::Bytes(vec![148, 4, 0, 1]))
        .unwrap();
    assert_eq!(t.option_bytes(ra), Some(vec![148, 4, 0, 1]));
    t.set_option(rr, &OptionValue::Count(2)).unwrap();
    let b = t.build(now()).bytes;
    assert_eq!(
        b[20..36],
        [148, 4, 0, 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert!(t.unset(&ipv4::OPTIONS));
    assert_eq!(t.option_bytes(rr), None);
    assert_eq!(ipv4::HDR_LEN.get(&t.build(now()).bytes), 5);
    // A template with no IPv4 header has none of them.
    let mut v6 = Template::new(&[&ipv6::IPV6, &crate::wire::icmpv6::ICMPV6]);
    let e = v6.set_option(rr, &OptionValue::Count(1)).unwrap_err();
    assert!(
        e.starts_with("ip.opt.rr is not in this template (ipv6/icmpv6)"),
        "{e}"
    );
}

/// `new ip/icmp/ip/udp`: a port unreachable quoting a UDP datagram, each layer built
/// from its table, the quoted IPv4 header's length and checksum computed for the
/// quoted datagram and the ICMP checksum covering the quote.
#[test]
fn an_icmp_error_quotes_its_layers() {
    use crate::wire::{icmpv6, udp};
    let mut t = Template::new(&[&ipv4::IPV4, &icmp::ICMP, &ipv4::IPV4, &udp::UDP]);
    assert_eq!(t.quote_start(), Some(2));
    t.set(&ipv4::DST, Value::Raw(0x7f00_0001)).unwrap();
    t.set_quoted(&ipv4::SRC, Value::Raw(0x7f00_0001)).unwrap();
    t.set_quoted(&ipv4::DST, Value::Raw(0x7f00_0002)).unwrap();
    t.set(&udp::DSTPORT, Value::Raw(33434)).unwrap();
    let built = t.build(now());
    let b = &built.bytes;
    assert_eq!(icmp::TYPE.get(&b[20..]), 3, "destination unreachable");
    assert_eq!(icmp::CODE.get(&b[20..]), 3, "port unreachable");
    assert_eq!(ipv4::DST.get(b), 0x7f00_0001, "the outer destination");
    assert_eq!(ipv4::SRC.get(&b[28..]), 0x7f00_0001);
    assert_eq!(
        ipv4::DST.get(&b[28..]),
        0x7f00_0002,
        "set in the quote only"
    );
    assert_eq!(ipv4::PROTO.get(&b[28..]), 17);
    assert_eq!(ipv4::LEN.get(&b[28..]), 28, "the quoted datagram's length");
    assert_eq!(ipv4::LEN.get(b), 56);
    let d = dissect(b, &ipv4::IPV4);
    assert_eq!(d.stack_name(), "ip/icmp/ip/udp");
    let quoted: Vec<bool> = d.layers.iter().map(|l| l.quoted).collect();
    assert_eq!(quoted, [false, false, true, true]);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    // The ICMP checksum covers the quote (the outer IPv4 checksum is the kernel's).
    for e in (icmp::ICMP.expected)(&d.scope(1, b)) {
        assert_eq!(
            e.verdict(d.layers[1].get(b, e.field)),
            crate::wire::Verdict::Correct
        );
    }
    assert_eq!(
        ipv4::CHECKSUM.get(&b[28..]) as u16,
        crate::wire::ipv4::header_checksum(&b[28..48]),
        "the quoted header's checksum"
    );

    let t = Template::new(&[&ipv6::IPV6, &icmpv6::ICMPV6, &ipv6::IPV6, &udp::UDP]);
    let b = t.build(now()).bytes;
    assert_eq!(icmpv6::TYPE.get(&b[40..]), 1);
    assert_eq!(icmpv6::CODE.get(&b[40..]), 4);
    let d = dissect(&b, &ipv6::IPV6);
    assert_eq!(d.stack_name(), "ipv6/icmpv6/ipv6/udp");

    let mut t = Template::new(&[&ipv4::IPV4, &icmp::ICMP, &ipv4::IPV4, &udp::UDP]);
    t.set(&ipv4::TTL, Value::Raw(9)).unwrap();
    t.set_quoted(&ipv4::TTL, Value::Raw(3)).unwrap();
    assert!(t.unset_quoted(&ipv4::TTL));
    assert!(!t.unset_quoted(&ipv4::TTL));
    let b = t.build(now()).bytes;
    assert_eq!((ipv4::TTL.get(&b), ipv4::TTL.get(&b[28..])), (9, 64));

    let mut t = Template::new(&[&ipv4::IPV4, &udp::UDP]);
    assert!(t.set_quoted(&ipv4::SRC, Value::Raw(1)).is_err());
}

#[test]
fn payload_time_is_sixteen_bytes() {
    assert_eq!(Payload::Time.bytes(SystemTime::now()).len(), 16);
    assert_eq!(Payload::Zeros(56).bytes(now()), vec![0; 56]);
}
