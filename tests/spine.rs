//! The spine, end to end: the post's ping through each socket mode, inside the
//! sandbox, as the current user and as an ordinary one.

mod common;
use common::*;

const REQUEST: &str =
    "45 00 00 1e ?? ?? 00 00 40 01 ?? ?? 7f 00 00 01 7f 00 00 01 08 00 37 21 00 00 00 00 c0 de";
const REPLY: &str =
    "45 00 00 1e ?? ?? 00 00 40 01 ?? ?? 7f 00 00 01 7f 00 00 01 00 00 3f 21 00 00 00 00 c0 de";

#[test]
fn the_posts_request_and_reply() {
    for user in users() {
        let r = run_script(user, "send\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert_eq!(
            r.stderr
                .lines()
                .filter(|l| l.contains("sandbox network"))
                .count(),
            1,
            "{}",
            r.all()
        );
        let sent = packet(&r.stdout, 2).unwrap_or_else(|| panic!("no #2\n{}", r.all()));
        let reply = packet(&r.stdout, 3).unwrap_or_else(|| panic!("no #3\n{}", r.all()));
        assert!(
            matches(&sent, &pattern(REQUEST)),
            "request {sent:02x?}\n{}",
            r.all()
        );
        assert!(
            matches(&reply, &pattern(REPLY)),
            "reply {reply:02x?}\n{}",
            r.all()
        );
        // The kernel filled id and checksum: they are not the zeros rawlab handed over.
        assert_ne!(&sent[4..6], &[0, 0]);
        assert_ne!(&sent[10..12], &[0, 0]);
        let wire = dump_of(&r.stdout, 2);
        assert!(
            wire.contains(
                "this is #1 as it went on the wire: the kernel changed ip.id, ip.checksum, ip.src"
            ),
            "{wire}"
        );
        assert!(
            wire.contains("↳ the kernel changed it: rawlab handed 0x0000 in #1"),
            "{wire}"
        );
        let answer = dump_of(&r.stdout, 3);
        assert!(
            answer.contains("what differs: ip.id (bytes 4–5), ip.checksum (bytes 10–11), icmp.type (byte 20), icmp.checksum (bytes 22–23)"),
            "{answer}"
        );
        assert!(answer.contains("↳ was 8 (echo-request) in #2"), "{answer}");
    }
}

/// A sent packet is shown as rawlab handed it, and the fields the kernel writes on
/// the way out are not judged there: a checksum left 0 says so rather than "wrong",
/// and one the user set is shown as set (the kernel rewrites it anyway).
#[test]
fn a_sent_packet_leaves_the_kernels_fields_unjudged() {
    for user in users() {
        let r = run_script(
            user,
            "send\ndump 1\nset ip.checksum 0x1111\nsend\ndump 4\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let (_, later) = r.stdout.split_once("raw> dump 1").expect("dump 1 ran");
        let first = dump_of(later, 1);
        assert!(
            first.contains("↳ left 0 for the kernel: Linux always computes it on a raw send"),
            "[{user:?}] {first}"
        );
        assert!(!first.contains('✗'), "[{user:?}] {first}");
        let (_, later) = r.stdout.split_once("raw> dump 4").expect("dump 4 ran");
        let set = dump_of(later, 4);
        assert!(
            set.contains("ip.checksum        0x1111 "),
            "[{user:?}] {set}"
        );
        assert!(!set.contains('✗'), "[{user:?}] {set}");
        assert!(
            !set.contains("left 0 for the kernel: Linux always"),
            "[{user:?}] {set}"
        );
    }
}

#[test]
fn fields_the_user_set_are_not_marked_as_kernel_changes() {
    for user in users() {
        let r = run_script(user, "set ip.id 0x1234\nset src 127.0.0.1\nsend\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let sent = packet(&r.stdout, 2).unwrap_or_else(|| panic!("{}", r.all()));
        assert_eq!(&sent[4..6], &[0x12, 0x34], "the kernel keeps a non-zero id");
        let wire = dump_of(&r.stdout, 2);
        assert!(wire.contains("the kernel changed ip.checksum\n"), "{wire}");
        assert!(!wire.contains("rawlab handed 0x1234"), "{wire}");
        assert!(!wire.contains("rawlab handed 127.0.0.1"), "{wire}");
    }
}

#[test]
fn a_wrong_icmp_checksum_earns_silence_and_rawlab_says_why() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nset icmp.checksum 0x1111\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            packet(&r.stdout, 3).is_none(),
            "no packet after the request's copy\n{}",
            r.all()
        );
        assert!(
            r.stdout.contains("no reply to #1 within 300 ms"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout
                .contains("icmp.checksum is 0x1111, but the bytes add up to 0x3721"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn hdrincl_and_kernel_modes_each_get_a_reply() {
    for user in users() {
        let r = run_script(user, "mode hdrincl\nsend\nmode kernel\nsend\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let hdrincl = packet(&r.stdout, 3).unwrap_or_else(|| panic!("{}", r.all()));
        assert!(matches(&hdrincl, &pattern(REPLY)), "{}", r.all());
        assert!(
            r.stdout.contains("#4 → sent 10 bytes after the IP header"),
            "{}",
            r.all()
        );
        let kernel_wire = dump_of(&r.stdout, 5);
        assert!(
            kernel_wire.contains("the kernel wrote the IP header (mode kernel)"),
            "{kernel_wire}"
        );
        assert!(
            kernel_wire.contains("ip.flags.df"),
            "the kernel sets DF: {kernel_wire}"
        );
        let reply = packet(&r.stdout, 6).unwrap_or_else(|| panic!("{}", r.all()));
        assert_eq!(&reply[20..24], &[0x00, 0x00, 0x3f, 0x21]);
        assert!(
            dump_of(&r.stdout, 6).contains("reply to #5, your #4"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn a_bad_line_stops_the_script_before_anything_is_sent() {
    for user in users() {
        let r = run_script(user, "send\nset tll 1\nset ttl 300\n", &[]);
        assert_eq!(r.code, 2, "{}", r.all());
        assert!(!r.stdout.contains("sent"), "nothing may run: {}", r.all());
        assert!(
            r.stderr
                .contains("test.rawlab:2:5: error: unknown field `tll`"),
            "{}",
            r.all()
        );
        assert!(
            r.stderr.contains("= did you mean `ttl` (ip.ttl)?"),
            "{}",
            r.all()
        );
        assert!(
            r.stderr
                .contains("test.rawlab:3:9: error: ip.ttl is 8 bits: 0..=255; 300 does not fit"),
            "{}",
            r.all()
        );
        assert!(
            r.stderr.contains("has 2 errors; nothing was run"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn listening_sees_the_exchange_and_scripts_echo_their_commands() {
    for user in users() {
        let r = run_script(user, "listen icmp\nsend\nlisten off\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains("ip/icmp → 127.0.0.1 raw> listen icmp"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("#2 ← captured on raw socket for icmp"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("#3 ← captured on raw socket for icmp"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("closed raw socket for icmp"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn colour_only_when_asked() {
    let dir = scratch();
    let file = dir.join("c.rawlab");
    std::fs::write(&file, "show\n").unwrap();
    let f = file.display().to_string();
    let plain = run(User::Me, &["--sandbox".into(), f.clone()], &dir);
    assert!(
        !plain.stdout.contains('\x1b'),
        "a pipe gets no escape codes: {}",
        plain.all()
    );
    let always = run(
        User::Me,
        &["--sandbox".into(), "--color".into(), "always".into(), f],
        &dir,
    );
    assert!(always.stdout.contains("\x1b["), "{}", always.all());
}

#[test]
fn a_missing_script_names_the_path_and_the_reason() {
    let dir = scratch();
    let r = run(User::Me, &["--sandbox".into(), "nope.rawlab".into()], &dir);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cannot read nope.rawlab: No such file or directory"),
        "{}",
        r.all()
    );
}

/// Echoes close together are waited for awake, the socket read by the sending
/// thread and lines shown every 50 ms: every reply must still be shown, paired and
/// counted. ping's socket lets in only answers, so no request is copied to it, and
/// the statistics say how to see them.
#[test]
fn close_echoes_are_each_answered_and_timed() {
    for user in users() {
        let r = run_script(user, "ping 127.0.0.1 count 30 every 1ms\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let replies = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("64 bytes from 127.0.0.1: icmp_seq="))
            .count();
        assert_eq!(replies, 30, "{}", r.all());
        assert!(
            r.stdout
                .contains("30 packets transmitted, 30 received, 0% packet loss"),
            "{}",
            r.all()
        );
        // Each line gives the kernel's stamp and, later, when rawlab had the reply in
        // hand (user space, as ping -U counts).
        for l in r.stdout.lines().filter(|l| l.starts_with("64 bytes from")) {
            let ms = |after: &str| -> Option<f64> {
                l.split_once(after)?.1.split(' ').next()?.parse().ok()
            };
            let (time, in_hand) = (ms("time="), ms("(user space "));
            assert!(
                matches!((time, in_hand), (Some(t), Some(u)) if u > t),
                "[{user:?}] user space after the kernel's stamp: {l}"
            );
        }
        // ping's own socket lets in only answers, as ping(8)'s does: each request is
        // followed by its reply, with no copy of the request between them.
        for seq in 1..=30u64 {
            let pair = format!("icmp_seq={seq} ttl=64 time=");
            let numbers = format!("(#{} → #{})", 2 * seq - 1, 2 * seq);
            assert!(
                r.stdout
                    .lines()
                    .any(|l| l.contains(&pair) && l.ends_with(&numbers)),
                "[{user:?}] {numbers} for icmp_seq={seq}:\n{}",
                r.all()
            );
        }
        assert!(
            r.stdout.lines().any(|l| l.starts_with("rtt median ")
                && l.contains(" ms in user space (as ping -U counts); `listen icmp` first to see each request on the wire, and the kernel's share of the trip")),
            "{}",
            r.all()
        );
    }
}

/// A listener that sees a close ping's packets is read by the sending thread while
/// the ping runs, then by its own thread again: it must lose nothing and count
/// nothing twice (20 echoes and 2 more: 44 ICMP packets), the pings must show
/// every reply, and each reply line must pair a send with a later packet.
#[test]
fn a_listener_read_by_the_sender_loses_nothing_and_reads_again_after() {
    for user in users() {
        let r = run_script(
            user,
            "listen icmp\nping 127.0.0.1 count 20 every 1ms\nping 127.0.0.1 count 2 every 50ms\nlisten off\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let pairs: Vec<(u64, u64)> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("64 bytes from 127.0.0.1: icmp_seq="))
            .filter_map(|l| {
                let (_, tail) = l.rsplit_once("(#")?;
                let (a, b) = tail.trim_end_matches(')').split_once(" → #")?;
                Some((a.parse().ok()?, b.parse().ok()?))
            })
            .collect();
        assert_eq!(pairs.len(), 22, "{}", r.all());
        assert!(pairs.iter().all(|(a, b)| a < b), "{pairs:?}");
        assert!(
            r.stdout
                .contains("20 packets transmitted, 20 received, 0% packet loss"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout
                .contains("2 packets transmitted, 2 received, 0% packet loss"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout
                .contains("closed raw socket for icmp (44 captured, none dropped by the kernel)"),
            "{}",
            r.all()
        );
    }
}

/// The raw sockets a sandboxed rawlab holds, from its own /proc/PID/net/raw: each
/// one's protocol (the local port column) and receive queue.
fn raw_sockets(live: &Live) -> Vec<(u16, String)> {
    let table = std::fs::read_to_string(live.proc().join("net/raw")).unwrap_or_default();
    // "sl local_address rem_address st tx_queue:rx_queue …", local as ADDR:PROTO.
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let proto = u16::from_str_radix(f.get(1)?.split_once(':')?.1, 16).ok()?;
            Some((proto, f.get(4)?.split_once(':')?.1.to_string()))
        })
        .collect()
}

/// `ping` sends as ping(8) does, through a raw ICMP socket with the kernel writing
/// the IP header, whatever the session's mode: its round trips compare with
/// ping(8)'s. `ping … mode raw` sends through IPPROTO_RAW as the post does, and the
/// session's mode stays what it was for `send`.
#[test]
fn ping_sends_as_ping8_does_unless_told() {
    for user in users() {
        let mut live = Live::start(user, "ping 127.0.0.1 count 2 every 10ms\nwait 20s\n", 15);
        let done = live.wait_for("2 packets transmitted, 2 received");
        let sockets = raw_sockets(&live);
        assert!(done, "[{user:?}] answered:\n{}", live.seen.join("\n"));
        assert!(
            live.seen.iter().any(|l| l.contains("identifier")
                && l.ends_with("the kernel writes the IP header, as for ping(8)")),
            "[{user:?}] the heading says how it sends:\n{}",
            live.seen.join("\n")
        );
        assert_eq!(
            sockets.iter().map(|s| s.0).collect::<Vec<_>>(),
            [1],
            "[{user:?}] one raw ICMP socket, none for IPPROTO_RAW"
        );
        drop(live);

        let mut live = Live::start(
            user,
            "ping 127.0.0.1 count 2 every 10ms mode raw\nsend\nsay all done\nwait 20s\n",
            15,
        );
        let done = live.wait_for("2 packets transmitted, 2 received") && live.wait_for("all done");
        let sockets = raw_sockets(&live);
        assert!(done, "[{user:?}] answered:\n{}", live.seen.join("\n"));
        assert!(
            live.seen.iter().any(|l| l
                .ends_with("rawlab writes the IP header, through IPPROTO_RAW as the post sends")),
            "[{user:?}] the heading says how it sends:\n{}",
            live.seen.join("\n")
        );
        assert_eq!(
            sockets.iter().map(|s| s.0).collect::<Vec<_>>(),
            [255],
            "[{user:?}] ping and send both went through IPPROTO_RAW"
        );
    }
}

/// In modes hdrincl and kernel, rawlab sends ICMP through a raw ICMP socket, which
/// the kernel would also hand a copy of every ICMP message it receives; nothing
/// reads that socket, so its filter refuses them all. Read from the process's own
/// /proc/PID/net/raw (its sandbox's sockets) once both pings are done: each ICMP
/// socket left open has nothing queued.
#[test]
fn the_icmp_socket_rawlab_sends_with_queues_nothing() {
    for user in users() {
        let mut live = Live::start(
            user,
            "ping 127.0.0.1 count 3 every 10ms mode kernel\nping 127.0.0.1 count 3 every 10ms mode hdrincl\nwait 20s\n",
            15,
        );
        let done = live.wait_for("3 packets transmitted, 3 received")
            && live.wait_for("3 packets transmitted, 3 received");
        let table = std::fs::read_to_string(live.proc().join("net/raw")).unwrap_or_default();
        assert!(
            done,
            "[{user:?}] both pings answered:\n{}",
            live.seen.join("\n")
        );
        // "sl local rem st tx_queue:rx_queue …", ICMP sockets bound to protocol 1.
        let icmp: Vec<(&str, &str)> = table
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let queues = f.get(4)?.split_once(':')?;
                f.get(1)?.ends_with(":0001").then_some(queues)
            })
            .collect();
        assert_eq!(icmp.len(), 2, "[{user:?}] the two send sockets:\n{table}");
        assert!(
            icmp.iter().all(|(_, rx)| *rx == "00000000"),
            "[{user:?}] nothing queued:\n{table}"
        );
    }
}

/// While a ping with echoes far apart runs, the listener that sees its packets is
/// read by the sending thread, and its own thread parks instead of looking every
/// 200 µs (about 1,900 wake-ups over the second this takes, before): counted from
/// the thread's voluntary context switches in /proc, with every echo still answered.
#[test]
fn a_listener_sleeps_through_a_slow_ping() {
    fn switches(task: &std::path::Path) -> Option<u64> {
        std::fs::read_to_string(task.join("status"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))?
            .trim()
            .parse()
            .ok()
    }
    // The listener's thread, once it has named itself (it does so when it first runs).
    fn listen_thread(live: &Live) -> Option<std::path::PathBuf> {
        std::fs::read_dir(live.proc().join("task"))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|t| std::fs::read_to_string(t.join("comm")).is_ok_and(|c| c.trim() == "listen-1"))
    }
    for user in users() {
        let mut live = Live::start(
            user,
            "listen icmp\nwait 500ms\nping 127.0.0.1 count 6 every 200ms\nwait 20s\n",
            15,
        );
        let listening = live.wait_for("listening:");
        let mut task = None;
        for _ in 0..100 {
            task = listen_thread(&live);
            if task.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let before = task.as_deref().and_then(switches);
        let done = live.wait_for("6 packets transmitted, 6 received");
        let after = task.as_deref().and_then(switches);
        assert!(listening && done, "[{user:?}]\n{}", live.seen.join("\n"));
        let (Some(before), Some(after)) = (before, after) else {
            panic!("[{user:?}] no listen-1 thread in /proc within 2 s: {task:?}");
        };
        // Half a second of plain listening (a read that waits up to 50 ms at a time),
        // then the ping: tens of wake-ups, where looking every 200 µs makes thousands.
        assert!(
            after - before < 200,
            "[{user:?}] the listener woke {} times during the ping",
            after - before
        );
    }
}
