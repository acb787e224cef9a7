//! The lab never lies, end to end: every packet related correctly, in the sandbox,
//! as the current user and as an ordinary one. A send the kernel refused is no
//! packet; a copy on the wire is recognised whatever the kernel rewrote; answers
//! of every protocol rawlab sends are matched to their send.

mod common;
use common::*;

/// The headings and relation lines of a run, without the field rows.
fn outline(out: &str) -> String {
    out.lines()
        .filter(|l| !l.starts_with("    ") && !l.starts_with("  0"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_refused_send_is_no_packet_and_disturbs_nothing_after_it() {
    for user in users() {
        let r = run_script(
            user,
            "set ip.hdr_len 16\nsend\nunset ip.hdr_len\nsend\ncaptures\n",
            &[],
        );
        let o = outline(&r.stdout);
        assert!(
            o.contains("error: sendto 127.0.0.1 failed: Invalid argument"),
            "{o}"
        );
        // The refused send took no number: the one that went is #1, its copy #2, and
        // the reply #3 answers it within microseconds.
        assert!(o.contains("#1 → sent 30 bytes to 127.0.0.1"), "{o}");
        assert_eq!(o.matches("→ sent 30 bytes").count(), 1, "{o}");
        assert!(
            o.contains(
                "this is #1 as it went on the wire: the kernel changed ip.id, ip.checksum, ip.src"
            ),
            "{o}"
        );
        assert!(
            !o.contains("changed ip.hdr_len"),
            "nothing blamed on the refused header: {o}"
        );
        assert!(o.contains("reply to #2, your #1"), "{o}");
        assert!(!o.contains("no reply"), "{o}");
        assert!(o.contains("3 packets;"), "{o}");
    }
}

#[test]
fn a_copy_is_recognised_whatever_the_kernel_rewrote() {
    for user in users() {
        // ip.len pinned shorter and longer than the packet: Linux writes the real one.
        let r = run_script(
            user,
            "set ip.len 20\nsend\nset ip.len 200\nsend\nset ip.id 0x1234\nset ip.src 127.0.0.1\nunset ip.len\nmode hdrincl\nsend\n",
            &[],
        );
        let o = outline(&r.stdout);
        assert!(
            o.contains("this is #1 as it went on the wire: the kernel changed ip.len, ip.id, ip.checksum, ip.src"),
            "{o}"
        );
        assert!(
            o.contains("this is #4 as it went on the wire: the kernel changed ip.len, ip.id, ip.checksum, ip.src"),
            "{o}"
        );
        // Kept what was set: only the checksum is the kernel's.
        assert!(
            o.contains("this is #7 as it went on the wire: the kernel changed ip.checksum"),
            "{o}"
        );
        for (reply, sent) in [(3, 1), (6, 4), (9, 7)] {
            assert!(
                o.contains(&format!("reply to #{}, your #{sent}", reply - 1)),
                "#{reply} answers #{sent}: {o}"
            );
        }
        assert!(!o.contains("no reply"), "{o}");
    }
}

#[test]
fn a_save_right_after_a_send_holds_every_frame_the_listeners_saw() {
    for user in users() {
        let dir = scratch();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let file = dir.join("x.pcapng");
        let r = run_script(
            user,
            &format!("listen link lo\nsend\nsave {}\n", file.display()),
            &[],
        );
        // The send, its copy and reply on the IP socket, and the four frames lo showed
        // the packet socket (each of two packets leaving and arriving).
        assert!(
            r.stdout.contains("saved 7 packets (#1–#7)"),
            "[{user:?}] {}",
            outline(&r.stdout)
        );
    }
}

/// On a host's network (a namespace of the test's own) a frame rawlab broadcasts on lo
/// comes back in as multicast, lo having no broadcast address: it is rawlab's own
/// frame again, not another program's traffic.
#[test]
fn a_frame_broadcast_on_lo_comes_back_as_rawlabs_own() {
    for user in users() {
        let Some(r) = run_on_own_host(
            user,
            "listen link lo\nmode link lo\nnew eth/ip/icmp\nset timeout 100ms\nsend\n",
            &[],
            "",
        ) else {
            return;
        };
        let o = outline(&r.stdout);
        assert!(o.contains("this is #2 again, arriving"), "[{user:?}] {o}");
        assert!(!o.contains("another program's traffic"), "[{user:?}] {o}");
    }
}

#[test]
fn udp_answers_and_port_unreachables_are_matched_to_their_send() {
    for user in users() {
        let r = run_script(
            user,
            "new ip/udp\nset src 127.0.0.1\nsend\nserve udp 7\nset dstport 7\npayload \"hi\"\nsend\n",
            &[],
        );
        let o = outline(&r.stdout);
        // To the closed port 9: the kernel's port unreachable, quoting the datagram,
        // is the answer to the send (nothing waited a second for more).
        assert!(
            o.contains("an error about #2 (your #1): it quotes the whole of it, 28 bytes"),
            "[{user:?}] {o}"
        );
        // To the echo server on 7: its answer, ports swapped, is the reply to #4.
        assert!(
            o.contains("#5 ← captured on send's AF_INET raw socket for udp"),
            "{o}"
        );
        assert!(o.contains("reply to #5, your #4"), "[{user:?}] {o}");
        assert!(!o.contains("another program"), "{o}");
        assert!(!o.contains("no reply"), "{o}");
    }
}

#[test]
fn packets_from_every_socket_are_numbered_in_the_order_the_kernel_stamped_them() {
    for user in users() {
        let r = run_script(user, "listen link lo\nsend\ncaptures\n", &[]);
        let times: Vec<f64> = r
            .stdout
            .lines()
            .skip_while(|l| !l.contains("raw> captures"))
            .filter(|l| l.starts_with('#'))
            .filter_map(|l| l.split("t=").nth(1)?.split('s').next()?.parse().ok())
            .collect();
        assert_eq!(times.len(), 7, "[{user:?}] {}", outline(&r.stdout));
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "[{user:?}] numbers out of time order: {times:?}\n{}",
            outline(&r.stdout)
        );
        let o = outline(&r.stdout);
        // Both sockets that saw the request on the wire say it is #1.
        assert_eq!(o.matches("· #1 on the wire").count(), 2, "{o}");
    }
}

/// The ICMPv6 echo reply to a request carrying each extension header Linux processes
/// (routing: type 0 with segments left 0, the new template's) is seen and matched, in
/// both modes that write the IPv6 header.
#[test]
fn ipv6_echoes_with_extension_headers_are_answered_and_matched() {
    for user in users() {
        let mut script = String::new();
        for stack in ["hopopts", "frag", "routing", "dstopts"] {
            for mode in ["raw", "hdrincl"] {
                script.push_str(&format!("new ip6/{stack}/icmp6\nmode {mode}\nsend\n"));
            }
        }
        let r = run_script(user, &script, &[]);
        let o = outline(&r.stdout);
        assert!(!o.contains("error:"), "[{user:?}] {o}");
        assert!(!o.contains("no reply"), "[{user:?}] {o}");
        for sent in (1..=24).step_by(3) {
            assert!(
                o.contains(&format!("this is #{sent} as it went on the wire")),
                "[{user:?}] #{sent}: {o}"
            );
            assert!(
                o.contains(&format!("reply to #{}, your #{sent}", sent + 1)),
                "[{user:?}] #{sent}: {o}"
            );
        }
        assert_eq!(
            o.matches("mode hdrincl: socket(AF_INET6, SOCK_RAW, 58) with IPV6_HDRINCL")
                .count(),
            4,
            "{o}"
        );
    }
}

#[test]
fn trigger_ping_does_not_say_nothing_listens_while_a_packet_socket_does() {
    let r = run_script(
        User::Me,
        "trigger ping 127.0.0.1 count 1\nwait 200ms\nlisten link lo\ntrigger ping 127.0.0.1 count 1\nwait 300ms\n",
        &[],
    );
    let o = outline(&r.stdout);
    assert_eq!(o.matches("nothing is listening for icmp").count(), 1, "{o}");
    assert!(
        o.contains("packet socket on lo"),
        "the frames were seen: {o}"
    );
}

#[test]
fn why_tells_a_packets_fate_after_the_fact() {
    for user in users() {
        let r = run_script(
            user,
            "send\nset icmp.checksum 0x1111\nsend\nwhy 1\nwhy 3\nwhy 5\nwhy 99\n",
            &[],
        );
        let o = outline(&r.stdout);
        assert!(
            o.contains("#1 was handed to the kernel (to 127.0.0.1, mode raw)"),
            "[{user:?}] {o}"
        );
        assert!(
            o.contains("on the wire it is #2: the kernel changed ip.id, ip.checksum, ip.src"),
            "{o}"
        );
        assert!(o.contains("#3 answers it (to its copy #2)"), "{o}");
        assert!(o.contains("it answers #2, your #1"), "{o}");
        // The silent one: seen on the wire, never answered, and why.
        let five = o.split("raw> why 5").nth(1).unwrap_or_default();
        assert!(five.contains("it is #4 as it went on the wire"), "{o}");
        assert!(
            five.contains("its icmp.checksum is 0x1111, but the bytes add up to 0x3721"),
            "{o}"
        );
        assert!(o.contains("there is no packet #99"), "{o}");
    }
}

#[test]
fn a_listener_with_where_shows_what_passes_and_keeps_and_relates_the_rest() {
    for user in users() {
        let r = run_script(
            user,
            // Payload bytes are beyond what the kernel filter reads: no program is
            // attached, so every packet reaches rawlab (tests/bpf.rs has one that is).
            "listen icmp where icmp.type == echo-reply or data.data == beef\nsend\ncaptures\ndump 2\nlisten off\nlisten icmp\nsend\n",
            &[],
        );
        let o = outline(&r.stdout);
        assert!(
            o.contains("showing only what passes `icmp.type == echo-reply or data.data == beef`; no kernel filter"),
            "{o}"
        );
        // The wire copy #2 is not drawn as it comes, the reply #3 is, and names it.
        let first_send = o.split("raw> captures").next().unwrap();
        assert!(!first_send.contains("#2 ← captured"), "{o}");
        assert!(
            first_send.contains("#3 ← captured on raw socket for icmp"),
            "{o}"
        );
        assert!(first_send.contains("reply to #2, your #1"), "{o}");
        // Yet #2 is kept and related: `captures` lists it, `dump 2` draws it.
        assert!(o.contains("2 bytes of data · #1 on the wire"), "{o}");
        assert!(o.contains("this is #1 as it went on the wire"), "{o}");
        // Closed and opened again without `where`, the listener shows everything.
        let after = o.split("raw> listen off").nth(1).unwrap();
        assert!(after.contains("#5 ← captured"), "{o}");
        assert!(after.contains("#6 ← captured"), "{o}");
    }
}
