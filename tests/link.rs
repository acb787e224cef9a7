//! The link layer end to end, inside the sandbox (loopback and the sandbox's
//! peer only), as the current user and as an ordinary one: the ARP exchange
//! with the peer, an echo frame and its reply, silence for a wrong MAC, lo's
//! twins and zero MACs, and `ifaces` over netlink.

mod common;
use common::*;

const PEER_MAC: &str = "02:72:61:77:00:02";
const MY_MAC: &str = "02:72:61:77:00:01";

/// The first packet number whose heading line contains `needle`.
fn number_of(out: &str, needle: &str) -> Option<u64> {
    out.lines()
        .filter(|l| l.starts_with('#') && l.contains(needle))
        .find_map(|l| l[1..].split(' ').next()?.parse().ok())
}

#[test]
fn an_arp_request_by_hand_earns_the_peers_reply() {
    for user in users() {
        let r = run_script(
            user,
            "new eth/arp\nset arp.dst.proto_ipv4 192.0.2.2\nmode link\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stderr
                .contains("veth0 (192.0.2.1) cabled to a peer at 192.0.2.2"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("#1 → sent a 42-byte frame on veth0"),
            "{}",
            r.all()
        );
        // #2 is the request leaving, byte for byte as handed over.
        let request = packet(&r.stdout, 2).unwrap_or_else(|| panic!("no #2\n{}", r.all()));
        let want = pattern(
            "ff ff ff ff ff ff 02 72 61 77 00 01 08 06 00 01 08 00 06 04 00 01 02 72 61 77 00 01 c0 00 02 01 00 00 00 00 00 00 c0 00 02 02",
        );
        assert!(matches(&request, &want), "{request:02x?}\n{}", r.all());
        let leaving = dump_of(&r.stdout, 2);
        assert!(
            leaving.contains("packet socket on veth0 · outgoing")
                && leaving.contains("byte for byte as rawlab handed it"),
            "{leaving}"
        );
        // #3 is the peer kernel's answer, to us, dissected.
        let reply = packet(&r.stdout, 3).unwrap_or_else(|| panic!("no reply\n{}", r.all()));
        let want = pattern(
            "02 72 61 77 00 01 02 72 61 77 00 02 08 06 00 01 08 00 06 04 00 02 02 72 61 77 00 02 c0 00 02 02 02 72 61 77 00 01 c0 00 02 01",
        );
        assert!(matches(&reply, &want), "{reply:02x?}\n{}", r.all());
        let answer = dump_of(&r.stdout, 3);
        assert!(
            answer.contains("packet socket on veth0 · to us"),
            "{answer}"
        );
        assert!(
            answer.contains(&format!("ARP 192.0.2.2 is at {PEER_MAC}")),
            "{answer}"
        );
        assert!(answer.contains("reply to #2, your #1"), "{answer}");
        assert!(
            answer.contains(&format!("arp.src.hw_mac      {PEER_MAC}")),
            "{answer}"
        );
        assert!(answer.contains("↳ was 1 (request) in #2"), "{answer}");
        assert!(!r.stdout.contains("no reply"), "{}", r.all());
    }
}

#[test]
fn an_echo_frame_to_the_peers_mac_earns_an_echo_reply_frame() {
    for user in users() {
        let r = run_script(
            user,
            &format!(
                "new eth/ip/icmp\nset eth.dst {PEER_MAC}\nset ip.dst 192.0.2.2\npayload c0de\nmode link veth0\nsend\n"
            ),
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let sent = packet(&r.stdout, 2).unwrap_or_else(|| panic!("no #2\n{}", r.all()));
        // Ethernet, then the post's packet from 192.0.2.1 with the checksum rawlab computed
        // (inside a frame no kernel does).
        let want = pattern(
            "02 72 61 77 00 02 02 72 61 77 00 01 08 00 45 00 00 1e 00 00 00 00 40 01 f6 db c0 00 02 01 c0 00 02 02 08 00 37 21 00 00 00 00 c0 de",
        );
        assert!(matches(&sent, &want), "{sent:02x?}\n{}", r.all());
        assert!(
            dump_of(&r.stdout, 2).contains("0xf6db ✓ correct"),
            "{}",
            dump_of(&r.stdout, 2)
        );
        // The peer may first ask who has 192.0.2.1 (it learns our MAC from that exchange);
        // however it goes, an echo reply frame comes back and is paired with the request.
        let no = number_of(&r.stdout, "· to us · 44 bytes")
            .unwrap_or_else(|| panic!("no reply frame\n{}", r.all()));
        let reply = packet(&r.stdout, no).unwrap();
        let want = pattern(
            "02 72 61 77 00 01 02 72 61 77 00 02 08 00 45 00 00 1e ?? ?? ?? ?? 40 01 ?? ?? c0 00 02 02 c0 00 02 01 00 00 3f 21 00 00 00 00 c0 de",
        );
        assert!(matches(&reply, &want), "{reply:02x?}\n{}", r.all());
        let answer = dump_of(&r.stdout, no);
        assert!(
            answer.contains("ICMP echo-reply id 0 seq 0")
                && answer.contains("reply to #2, your #1"),
            "{answer}"
        );
        assert!(
            answer.contains("icmp.type (byte 34)") && answer.contains("eth.src (bytes 6–11)"),
            "{answer}"
        );
        assert!(!r.stdout.contains("no reply"), "{}", r.all());
    }
}

#[test]
fn a_frame_to_a_wrong_mac_gets_nothing_and_rawlab_says_why() {
    for user in users() {
        let r = run_script(
            user,
            "new eth/ip/icmp\nset eth.dst 02:72:61:77:00:99\nset ip.dst 192.0.2.2\nmode link\nset timeout 300ms\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            number_of(&r.stdout, "· to us").is_none(),
            "nothing may come back\n{}",
            r.all()
        );
        assert!(
            r.stdout.contains("no reply to #1 within 300 ms"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(&format!(
                "eth.dst is 02:72:61:77:00:99, but 192.0.2.2 is at {PEER_MAC}: a network card keeps only frames addressed to its own MAC"
            )),
            "{}",
            r.all()
        );
        assert!(r.stdout.contains("PACKET_OTHERHOST"), "{}", r.all());
    }
}

#[test]
fn arp_for_an_address_nobody_has_is_explained() {
    let r = run_script(
        User::Me,
        "new eth/arp\nset tpa 192.0.2.77\nmode link\nset timeout 300ms\nsend\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains(
            "arp.dst.proto_ipv4 is 192.0.2.77: nobody on veth0's link has that address (it holds 192.0.2.2)"
        ),
        "{}",
        r.all()
    );
}

#[test]
fn on_lo_every_frame_is_seen_twice_with_zero_macs_and_once_collapses_them() {
    for user in users() {
        let r = run_script(
            user,
            "listen link lo\nsend\nwait 100ms\nlisten off\nlisten link lo once\nsend\nwait 100ms\nlisten off\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        // The raw IP socket's #1–#3 aside, the packet socket saw request and reply twice each.
        let outgoing = r
            .stdout
            .lines()
            .filter(|l| l.starts_with('#') && l.contains("packet socket on lo · outgoing"))
            .count();
        let arriving: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with('#') && l.contains("packet socket on lo · to us"))
            .collect();
        assert_eq!(outgoing, 4, "2 frames × 2 sends\n{}", r.all());
        assert_eq!(
            arriving.len(),
            2,
            "twins only while not `once`\n{}",
            r.all()
        );
        let twin = arriving[0][1..].split(' ').next().unwrap().parse().unwrap();
        let dump = dump_of(&r.stdout, twin);
        assert!(
            dump.contains("again, arriving: lo hands each frame it sends straight back in"),
            "{dump}"
        );
        assert!(
            dump.contains("Ethernet 00:00:00:00:00:00 → 00:00:00:00:00:00 ipv4"),
            "{dump}"
        );
        assert!(
            r.stdout
                .contains("lo has no hardware: its MAC addresses are all zeros"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with("closed packet socket on lo (")
                    && l.ends_with(
                        "captured, none dropped by the kernel; 2 looped-back twins not shown)"
                    )),
            "{}",
            r.all()
        );
        // Each send was still paired with its reply.
        assert!(!r.stdout.contains("no reply"), "{}", r.all());
    }
}

#[test]
fn ifaces_lists_lo_and_the_veth_with_its_mac() {
    for user in users() {
        let r = run_script(user, "ifaces\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let row = |name: &str| {
            r.stdout
                .lines()
                .find(|l| l.split_whitespace().nth(1) == Some(name))
                .unwrap_or_else(|| panic!("no row for {name}\n{}", r.all()))
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        };
        let lo = row("lo");
        assert_eq!(&lo[2..4], ["00:00:00:00:00:00", "65536"], "{lo:?}");
        assert!(lo[5].contains("LOOPBACK") && lo[5].contains("UP"), "{lo:?}");
        assert!(lo.contains(&"127.0.0.1/8".to_string()), "{lo:?}");
        let veth = row("veth0");
        assert_eq!(&veth[2..5], [MY_MAC, "1500", "up"], "{veth:?}");
        assert!(veth.contains(&"192.0.2.1/24".to_string()), "{veth:?}");
        assert!(
            r.stdout.contains(&format!(
                "the other, veth1 at 192.0.2.2 and 2001:db8:1::2 ({PEER_MAC}), is in the peer's namespace"
            )),
            "{}",
            r.all()
        );
        assert!(
            r.stdout
                .contains("read over AF_NETLINK (NETLINK_ROUTE): 2 dump requests"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn frames_and_packets_go_through_their_own_sockets() {
    let r = run_script(
        User::Me,
        "new eth/arp\nmode raw\nsend\nreset\nmode link\nsend\nmode link eth9\nlisten link nosuch\n",
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("this template (eth/arp) is a whole frame, and an IP socket takes packets that start at the IP header: `mode link` sends frames (on veth0)"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains(
            "mode link sends whole frames, and this template (ip/icmp) starts at the IP header"
        ),
        "{}",
        r.all()
    );
    assert!(
        r.stdout
            .contains("there is no interface `eth9` here: this network has lo, veth0"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("there is no interface `nosuch` here"),
        "{}",
        r.all()
    );
    assert!(!r.stdout.contains("→ sent"), "{}", r.all());
}

#[test]
fn the_peer_is_a_sandbox_destination_for_ip_sockets_too() {
    let r = run_script(User::Me, "send 192.0.2.2\nstatus\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let reply = number_of(&r.stdout, "← captured")
        .and_then(|_| r.stdout.lines().find(|l| l.contains("ICMP echo-reply")));
    assert!(reply.is_some(), "{}", r.all());
    assert!(
        r.stdout
            .contains("sandbox peers (192.0.2.2, 203.0.113.1, 203.0.113.2, 2001:db8:1::2, 2001:db8:2::1, 2001:db8:2::2)"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout
            .contains("frames    on any interface here, all private; mode link uses veth0"),
        "{}",
        r.all()
    );
}

/// A reply may be matched through the packet socket's frame rather than the IP
/// listener's copy; ping's line still gives the ICMP message's length, as ping(8)
/// does, not the IP datagram's.
#[test]
fn ping_beside_a_packet_socket_counts_the_icmp_message() {
    for user in users() {
        let r = run_script(
            user,
            "listen link lo\nping 127.0.0.1 count 8 every 5ms\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let lines: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.contains(" bytes from 127.0.0.1: icmp_seq="))
            .collect();
        assert_eq!(lines.len(), 8, "{}", r.all());
        for l in lines {
            assert!(l.starts_with("64 bytes from"), "{l}\n{}", r.all());
        }
    }
}
