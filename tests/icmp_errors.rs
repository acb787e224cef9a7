//! ICMP errors built as layers: `new ip/icmp/ip/udp` forges a port unreachable whose
//! quoted datagram is the template's own layers, sent to loopback in the sandbox.

mod common;
use common::{run_script, users};

/// A port unreachable to 127.0.0.1 quoting a UDP datagram: the listener captures it and
/// dissects the quote, the relater takes the quote for no packet of its own, and the
/// kernel counts a destination unreachable arriving.
#[test]
fn a_forged_port_unreachable_is_captured_with_its_quoted_udp() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nnew ip/icmp/ip/udp\nset quoted.ip.src 127.0.0.1\nset quoted.ip.dst 127.0.0.1\nset udp.dstport 33434\nlisten icmp\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let captured = r
            .stdout
            .split("← captured on raw socket for icmp")
            .nth(1)
            .unwrap_or_else(|| panic!("nothing captured: {}", r.all()));
        let summary = captured.lines().nth(1).unwrap_or_default();
        assert!(
            summary.contains("ICMP dest-unreachable port-unreachable")
                && summary.contains("quoted IPv4 127.0.0.1 → 127.0.0.1")
                && summary.contains("quoted UDP 40000 → 33434"),
            "{}",
            r.all()
        );
        assert!(
            captured.contains("this is #1 as it went on the wire"),
            "{}",
            r.all()
        );
        // The quote is a copy of a datagram nobody sent here, not an answer to anything.
        assert!(!r.stdout.contains("is an error about"), "{}", r.all());
        assert!(
            captured.contains("  UDP (quoted) · bytes 48–55"),
            "{}",
            r.all()
        );
        assert!(
            captured.contains("Icmp InDestUnreachs +1 (a destination unreachable arrived)"),
            "{}",
            r.all()
        );
    }
}

/// The quoted datagram takes IPv4 options by name as the outer header does: a record
/// route in the quote grows the quoted header, and the kernel still takes the error in.
#[test]
fn a_quoted_datagram_takes_options_by_name() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nnew ip/icmp/ip/udp\nset quoted.ip.src 127.0.0.1\nset quoted.ip.opt.rr 3\nlisten icmp\nsend\nunset quoted.ip.opt.rr\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains("quoted ip.opt.rr = 15 bytes 07 0f 04")
                && r.stdout.contains(
                    "quoted IPv4 header 36 bytes (was none; quoted IPv4 header 20 bytes)"
                ),
            "[{user:?}] {}",
            r.all()
        );
        let captured = r
            .stdout
            .split("← captured on raw socket for icmp")
            .nth(1)
            .unwrap_or_else(|| panic!("nothing captured: {}", r.all()));
        assert!(
            captured.contains("IPv4 (quoted) · bytes 28–63")
                && captured.contains("Icmp InDestUnreachs +1"),
            "[{user:?}] {}",
            r.all()
        );
        assert!(
            r.stdout.contains("quoted ip.opt.rr taken out"),
            "[{user:?}] {}",
            r.all()
        );
    }
}

/// The same for IPv6: ICMPv6 port unreachable quoting IPv6 and UDP, checksums computed.
#[test]
fn an_icmpv6_error_quotes_ipv6_layers() {
    for user in users() {
        let r = run_script(user, "new ip6/icmp6/ip6/udp\nshow\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout
                .contains("ICMPv6 dest-unreachable port-unreachable · quoted IPv6"),
            "{}",
            r.all()
        );
        assert!(r.stdout.contains("UDP (quoted)"), "{}", r.all());
    }
}
