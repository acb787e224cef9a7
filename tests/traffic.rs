//! TCP and UDP on raw sockets, end to end in the sandbox: a real HTTP exchange
//! seen segment by segment, a datagram to a closed port and the ICMP error that
//! quotes it, and a hand-made SYN that the kernel answers and then resets.

mod common;
use common::*;

#[test]
fn trigger_http_shows_the_handshake_the_get_the_answer_and_the_close() {
    for user in users() {
        let r = run_script(user, "listen tcp\ntrigger http\ncaptures\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let list: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with('#') && l.contains("← raw socket for tcp ·"))
            .collect();
        assert!(
            list.len() >= 8,
            "a handshake, a request, an answer and a close: {}",
            r.all()
        );
        assert!(list[0].contains("[S] seq"), "{}", r.all());
        assert!(
            list[1].contains("[S.]") && list[1].contains("reply to #1"),
            "{}",
            r.all()
        );
        assert!(
            list.iter()
                .any(|l| l.contains("[P.]") && l.contains("61 bytes of data")),
            "the GET: {}",
            r.all()
        );
        assert!(
            list.iter().filter(|l| l.contains("[F.]")).count() >= 2,
            "both sides close: {}",
            r.all()
        );
        // The GET's bytes are there to read, as the post shows.
        assert!(
            r.stdout.contains("\"GET / HTTP/1.1␍␊Host: 127.0.0.1:"),
            "{}",
            r.all()
        );
        assert!(r.stdout.contains("HTTP/1.1 200 OK"), "{}", r.all());
    }
}

#[test]
fn a_datagram_to_a_closed_port_earns_a_port_unreachable_that_quotes_it() {
    for user in users() {
        let r = run_script(
            user,
            "listen icmp\ntrigger udp 127.0.0.1 9999 \"knock\"\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains("refused: nothing listens there"),
            "{}",
            r.all()
        );
        let error = dump_of(&r.stdout, 1);
        assert!(
            error.contains("ICMP dest-unreachable port-unreachable"),
            "{error}"
        );
        assert!(
            error.contains("quoted UDP") && error.contains("→ 9999"),
            "{error}"
        );
        assert!(error.contains("\"knock\""), "the quoted payload: {error}");
    }
}

#[test]
fn a_hand_made_syn_earns_a_syn_ack_and_then_the_kernels_reset() {
    for user in users() {
        let r = run_script(
            user,
            "serve tcp 8080\nlisten tcp\nnew ip/tcp\nset dstport 8080\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains(
                "ip.src = 127.0.0.1 for this send: the TCP checksum covers the source address"
            ),
            "{}",
            r.all()
        );
        assert!(
            dump_of(&r.stdout, 2).contains("this is #1 as it went on the wire"),
            "{}",
            r.all()
        );
        let syn_ack = dump_of(&r.stdout, 3);
        assert!(
            syn_ack.contains("[S.]") && syn_ack.contains("reply to #2, your #1"),
            "{syn_ack}"
        );
        assert!(
            syn_ack.contains("tcp.checksum") && !syn_ack.contains("✗"),
            "the kernel's checksum holds: {syn_ack}"
        );
        let rst = dump_of(&r.stdout, 4);
        assert!(rst.contains("[R]"), "{rst}\nALL {}", r.all());
        assert!(
            rst.contains("this host's kernel resets the connection #2 (your #1) began"),
            "{rst}"
        );
    }
}

#[test]
fn a_syn_to_a_closed_port_is_refused_with_rst_ack() {
    let r = run_script(
        User::Me,
        "listen tcp\nnew ip/tcp\nset dstport 9\nsend\n",
        &[],
    );
    let answer = dump_of(&r.stdout, 3);
    assert!(
        answer.contains("[R.]") && answer.contains("reply to #2"),
        "{}",
        r.all()
    );
}

#[test]
fn ipv6_echo_to_loopback_without_the_header_and_with_the_kernels_checksum() {
    for user in users() {
        let script = "new ip6/icmp6\nlisten icmp6\nsend\nexpect reply icmpv6.type == echo-reply\nmode kernel\nset icmpv6.checksum 0\nsend\nexpect kernel-changed icmpv6.checksum\nexpect reply\n";
        let r = run_script(user, script, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        // What the AF_INET6 socket hands over starts with ICMPv6: 8 bytes, no header.
        assert!(
            r.stdout
                .contains("#2 ← captured on AF_INET6 raw socket for icmpv6 · 8 bytes"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(
                "::1 → ::1, as the socket reported it: the IPv6 header stayed with the kernel"
            ),
            "{}",
            r.all()
        );
        assert!(r.stdout.contains("reply to #2, your #1"), "{}", r.all());
        assert!(
            r.stdout
                .contains("socket(AF_INET6, SOCK_RAW, 58): the kernel writes the IPv6 header"),
            "{}",
            r.all()
        );
        assert!(!r.stdout.contains("✗"), "{}", r.all());
    }
}
