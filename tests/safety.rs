//! Least privilege and safe defaults, end to end: under sudo rawlab becomes the
//! user with CAP_NET_RAW only; sends off loopback (or to strangers) are refused
//! before anything reaches sendto; repeated sends keep the pace; the ring keeps
//! only the newest packets; without any way to raw sockets the socket-free
//! commands still work and the message names the ways out.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn is_root() -> bool {
    users().contains(&User::Nobody)
}

/// A /proc/PID/status line's fields, e.g. "Uid:" → ["65534", "65534", …].
fn status_field(pid: u32, key: &str) -> Vec<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with(key))
        .map(|l| l.split_whitespace().skip(1).map(String::from).collect())
        .unwrap_or_default()
}

/// Starts rawlab as root with sudo's variables set, reads its credentials from
/// /proc while it waits, and returns (Uid, Gid, CapEff, CapPrm, its output).
fn sudo_like(args: &[&str]) -> (Vec<String>, Vec<String>, String, String, String) {
    let dir = scratch();
    let script = dir.join("s.rawlab");
    std::fs::write(&script, "status\nwait 3s\n").unwrap();
    let child = Command::new(binary_for(User::Nobody))
        .args(args)
        .args(["--color", "never"])
        .arg(&script)
        .env("SUDO_UID", "65534")
        .env("SUDO_GID", "65534")
        .env("SUDO_USER", "nobody")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Let it start and give up root, then look at it from outside.
    let mut tries = 0;
    while status_field(pid, "Uid:").first().map(String::as_str) == Some("0") && tries < 100 {
        std::thread::sleep(Duration::from_millis(20));
        tries += 1;
    }
    // The uid changes a moment before the capabilities kept are raised again: let it
    // settle (the script waits 3 s) before reading them.
    std::thread::sleep(Duration::from_millis(300));
    let uid = status_field(pid, "Uid:");
    let gid = status_field(pid, "Gid:");
    let eff = status_field(pid, "CapEff:").concat();
    let prm = status_field(pid, "CapPrm:").concat();
    let out = child.wait_with_output().unwrap();
    (
        uid,
        gid,
        eff,
        prm,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn under_sudo_it_becomes_the_user_with_cap_net_raw_only() {
    if !is_root() {
        eprintln!("skipped: needs root to act as sudo does");
        return;
    }
    let (uid, gid, eff, prm, out) = sudo_like(&[]);
    assert_eq!(uid, ["65534"; 4], "real, effective, saved and fs uid");
    assert_eq!(gid, ["65534"; 4]);
    // CAP_NET_RAW is capability 13: the mask 0x2000, and nothing else.
    assert_eq!(
        u64::from_str_radix(&eff, 16).unwrap(),
        1 << 13,
        "CapEff {eff}"
    );
    assert_eq!(
        u64::from_str_radix(&prm, 16).unwrap(),
        1 << 13,
        "CapPrm {prm}"
    );
    assert!(
        out.contains("uid 65534, gid 65534 (started through sudo by uid 65534; root was given up)"),
        "{out}"
    );
    assert!(out.contains("caps      cap_net_raw\n"), "{out}");
}

/// Giving up root also leaves nothing to gain back: an empty bounding set and
/// no_new_privs, so no program rawlab could be made to run gains a capability.
#[test]
fn under_sudo_the_bounding_set_is_empty_and_no_new_privs_is_set() {
    if !is_root() {
        eprintln!("skipped: needs root to act as sudo does");
        return;
    }
    let dir = scratch();
    let script = dir.join("s.rawlab");
    std::fs::write(&script, "wait 2s\n").unwrap();
    let child = Command::new(binary_for(User::Nobody))
        .args(["--color", "never"])
        .arg(&script)
        .env("SUDO_UID", "65534")
        .env("SUDO_GID", "65534")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut tries = 0;
    while status_field(pid, "NoNewPrivs:").first().map(String::as_str) != Some("1") && tries < 100 {
        std::thread::sleep(Duration::from_millis(20));
        tries += 1;
    }
    let bounding = status_field(pid, "CapBnd:").concat();
    let nnp = status_field(pid, "NoNewPrivs:").concat();
    let _ = child.wait_with_output();
    assert_eq!(
        u64::from_str_radix(&bounding, 16).unwrap(),
        0,
        "CapBnd {bounding}"
    );
    assert_eq!(nnp, "1");
}

/// Started as plain root (a root shell, no sudo's variables), rawlab says in one line
/// that it keeps root and how not to.
#[test]
fn plain_root_is_told_it_keeps_root() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let r = run_script(User::Me, "show\n", &[]);
    assert!(
        r.stderr.contains("running as root with no SUDO_UID, DOAS_USER or PKEXEC_UID to give it up to: it keeps root"),
        "{}",
        r.all()
    );
}

#[test]
fn under_sudo_with_sandbox_it_keeps_no_capability_on_the_host() {
    if !is_root() {
        eprintln!("skipped: needs root to act as sudo does");
        return;
    }
    let (uid, _, _, _, out) = sudo_like(&["--sandbox"]);
    // Seen from the host, the process is the user; its capabilities belong to its own
    // user namespace only.
    assert_eq!(uid, ["65534"; 4]);
    assert!(
        out.contains("inside the sandbox's user namespace (uid 65534, gid 65534 outside"),
        "{out}"
    );
}

#[test]
fn sends_off_loopback_are_refused_before_reaching_sendto() {
    for user in users() {
        let r = run_script(
            user,
            "listen icmp\nsend 192.0.2.77\nsend 10.9.8.7\nping 8.8.8.8 count 1\ntrigger ping 192.0.2.77\nwait 200ms\ncaptures\n",
            &[],
        );
        assert_eq!(
            r.code,
            1,
            "the refusals count as failed commands: {}",
            r.all()
        );
        assert_eq!(
            r.stdout
                .matches("rawlab sends elsewhere only when started with --allow-remote")
                .count(),
            4,
            "{}",
            r.all()
        );
        assert!(
            r.stdout
                .contains("192.0.2.77 is not loopback (127.0.0.0/8, ::1) or a sandbox peer"),
            "{}",
            r.all()
        );
        // Nothing was handed to the kernel and the listener saw nothing.
        assert!(r.stdout.contains("no packets yet"), "{}", r.all());
        assert!(!r.stdout.contains("→ sent"), "{}", r.all());
        // A refused ping prints the refusal alone, not a PING line before it.
        assert!(!r.stdout.contains("PING 8.8.8.8"), "{}", r.all());
    }
}

#[test]
fn allow_remote_lifts_the_rule_with_one_warning() {
    let r = run_script(
        User::Me,
        "set timeout 100ms\nsend 198.51.100.77\n",
        &["--allow-remote"],
    );
    assert_eq!(
        r.stderr
            .matches("--allow-remote: packets may leave this machine")
            .count(),
        1,
        "{}",
        r.all()
    );
    // In the sandbox there is still no route (only 192.0.2.0/24, the peer's link, has
    // one): the kernel says so, not the policy.
    assert!(
        !r.stdout.contains("only when started with --allow-remote"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("no route to 198.51.100.77")
            || r.stdout.contains("Network is unreachable"),
        "{}",
        r.all()
    );
}

#[test]
fn a_forged_foreign_source_is_the_sandboxs_privilege() {
    // In the sandbox a foreign source may be sent (the answer has nowhere to go, and
    // the kernel's counters and its route say so).
    let r = run_script(User::Me, "set timeout 100ms\nset src 10.1.2.3\nsend\n", &[]);
    assert!(r.stdout.contains("#1 → sent"), "{}", r.all());
    assert!(
        r.stdout.contains(
            "ip.src is 10.1.2.3: the kernel took the echo request in (Icmp InEchos +1) but sent no reply: asked for a route from 127.0.0.1 to 10.1.2.3, the kernel says \"Network is unreachable"
        ),
        "{}",
        r.all()
    );
}

#[test]
fn repeated_sends_keep_the_pace() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 100ms\nsend count 20 every 1us\n",
            &["--max-rate", "50"],
        );
        assert!(
            r.stdout.contains(
                "every 1 µs is faster than the ceiling of 50 packets/s: sending every 20 ms instead"
            ),
            "{}",
            r.all()
        );
        // Read the send times rawlab recorded: 20 sends at most 50 per second span at least 19 × 20 ms.
        let times: Vec<f64> = r
            .stdout
            .lines()
            .filter(|l| l.contains("→ sent"))
            .filter_map(|l| l.split("t=").nth(1))
            .map(|t| t.trim_end_matches('s').parse().unwrap())
            .collect();
        assert_eq!(times.len(), 20, "{}", r.all());
        let span = times[19] - times[0];
        assert!(
            span >= 0.38 - 1e-6,
            "20 sends took {span:.3} s, faster than 50/s"
        );
        for w in times.windows(2) {
            assert!(
                w[1] - w[0] >= 0.02 - 1e-6,
                "two sends {:.4} s apart",
                w[1] - w[0]
            );
        }
    }
}

#[test]
fn the_ring_keeps_the_newest_packets() {
    let r = run_script(
        User::Me,
        "send count 4\ncaptures\ndump 1\ndump 12\n",
        &["--ring", "5"],
    );
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with('#') && l.contains(" · "))
        .collect();
    assert!(
        r.stdout.contains("5 packets; `dump N` shows one"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("#1 is no longer kept: only the last"),
        "{}",
        r.all()
    );
    assert!(!listed.is_empty());
    assert!(
        r.stdout.contains("#12 ← captured"),
        "the newest is still there: {}",
        r.all()
    );
}

/// Packets that come faster than a small ring lets them be shown are not lost
/// silently: each one is either drawn or counted as having left the ring unseen. A
/// reply among those was never matched, so a send or ping does not call its
/// request unanswered (nor blame a firewall) but says why it cannot tell.
#[test]
fn packets_that_leave_the_ring_unseen_are_counted_and_not_called_unanswered() {
    for user in users() {
        let r = run_script(
            user,
            "listen icmp\nsend count 200 every 1ms\nlisten off\nping 127.0.0.1 count 200 every 1ms\n",
            &["--ring", "16"],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let (send, ping) = r
            .stdout
            .split_once("raw> listen off")
            .expect("listen off ran");
        // 200 sends, each seen three times: as sent, its copy on the wire, the reply.
        let drawn = send
            .lines()
            .filter(|l| {
                l.starts_with('#') && (l.contains(" → sent ") || l.contains(" ← captured "))
            })
            .count() as u64;
        let left: u64 = send
            .lines()
            .filter_map(|l| {
                l.strip_prefix("… ")?
                    .strip_suffix(
                        " packets arrived faster than they could be shown and left the ring unseen",
                    )?
                    .parse::<u64>()
                    .ok()
            })
            .sum();
        assert!(left > 0, "[{user:?}] the ring overflowed:\n{}", r.all());
        assert_eq!(drawn + left, 600, "[{user:?}] drawn {drawn}, left {left}");
        assert!(
            send.contains(
                "packets left the ring unseen while this ran, and replies may be among them (--ring keeps more than 16"
            ),
            "[{user:?}] {send}"
        );
        assert!(!send.contains("no reply to #"), "[{user:?}] {send}");
        assert!(
            ping.contains(
                "packets left the ring unseen while this ran: replies among them are not counted as received (--ring keeps more than 16)"
            ),
            "[{user:?}] {ping}"
        );
    }
}

#[test]
fn without_raw_sockets_or_namespaces_the_socket_free_commands_still_work() {
    // A user namespace where no further user namespace may be made: rawlab is root
    // there but owns no network, and cannot make a sandbox.
    if Command::new("unshare").arg("--version").output().is_err() {
        eprintln!("skipped: unshare(1) is missing");
        return;
    }
    let dir = scratch();
    let script = dir.join("s.rawlab");
    let capture = dir.join("lo.pcap");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lo.pcap"),
        &capture,
    )
    .unwrap();
    std::fs::write(
        &script,
        format!(
            "show\nexplain ttl\nsend\nlisten icmp\nload {}\ndump 2\n",
            capture.display()
        ),
    )
    .unwrap();
    let inner = format!(
        "echo 0 > /proc/sys/user/max_user_namespaces && exec {} --color never {}",
        binary_for(User::Nobody).display(),
        script.display()
    );
    let out = run_bounded(
        {
            let mut c = Command::new("unshare");
            c.args(["-Ur", "sh", "-c", &inner]);
            c
        },
        30,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("three ways out: run `sudo rawlab`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("setcap cap_net_raw+ep") && stderr.contains("unprivileged_userns_clone"),
        "{stderr}"
    );
    assert!(stdout.contains("template ip/icmp"), "show works: {stdout}");
    assert!(
        stdout.contains("ip.ttl — time to live"),
        "explain works: {stdout}"
    );
    assert_eq!(
        stdout.matches("three ways out").count(),
        2,
        "send and listen say why: {stdout}"
    );
    assert!(
        stdout.contains("loaded 32 packets from") && stdout.contains("reply to #1"),
        "load and dump work: {stdout}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// On a host's network (here one of the test's own, with only lo) a frame on lo is held
/// to the rules a packet is: the kernel takes it in as if from outside, answers its
/// source, and on a host that forwards sends it on. Every layer that names a host is
/// checked, in frames and packets alike: the IPv4 or IPv6 header, ARP's addresses, an
/// inner IP-in-IP header, a source route's hop, a quoted datagram; and a tunnel rawlab
/// cannot open is refused. With --allow-remote the same script sends them all, so the
/// refusals are the policy's, not a frame that could not be sent.
#[test]
fn frames_on_lo_pass_the_off_host_rules_in_every_layer() {
    // An IPv4 header from 127.0.0.1 to 198.51.100.9 (ICMP, 28 bytes), then an echo request.
    let inner = "4500001c00000000400100007f000001c6336409 0800f7ff00000000";
    // The same datagram as UDP, quoted by a port unreachable.
    let quoted = "4500001c00000000401100007f000001c6336409 0035003500080000";
    let cases: Vec<(String, &str)> = vec![
        (
            "mode link lo\nnew eth/ip/icmp\nset ip.src 198.51.100.7\n".into(),
            "ip.src 198.51.100.7 is not an address of this host",
        ),
        (
            "mode link lo\nnew eth/ip/icmp\nset ip.dst 198.51.100.9\n".into(),
            "198.51.100.9 is not loopback, one of this host's own addresses, or a sandbox peer",
        ),
        (
            "mode link lo\nnew eth/arp\nset arp.src.proto_ipv4 198.51.100.7\n".into(),
            "arp.src.proto_ipv4 198.51.100.7 is not an address of this host",
        ),
        (
            "mode link lo\nnew eth/arp\nset arp.dst.proto_ipv4 198.51.100.9\n".into(),
            "arp.dst.proto_ipv4 198.51.100.9 is not loopback",
        ),
        (
            "mode link lo\nnew eth/ip6/icmp6\nset ipv6.src 2001:db8::7\n".into(),
            "ipv6.src 2001:db8::7 is not an address of this host",
        ),
        (
            "mode link lo\nnew eth/ip6/icmp6\nset ipv6.dst 2001:db8::9\n".into(),
            "2001:db8::9 is not loopback",
        ),
        (
            format!("mode link lo\nnew eth/ip\nset ip.proto 4\npayload {inner}\n"),
            "ip.dst 198.51.100.9 inside the packet is not loopback",
        ),
        (
            format!("mode raw\nnew ip\nset ip.proto 4\npayload {inner}\n"),
            "ip.dst 198.51.100.9 inside the packet is not loopback",
        ),
        (
            "mode link lo\nnew eth/ip/icmp\nset ip.options 830704cb00710900\n".into(),
            "ip.src_rt 203.0.113.9 (address 1 of the loose source route, ip.opt.lsrr) inside the packet is not loopback",
        ),
        // Source routes set by name: every hop is a destination, the option named.
        (
            "mode raw\nnew ip/icmp\nset ip.opt.lsrr 127.0.0.1 203.0.113.9\n".into(),
            "ip.src_rt 203.0.113.9 (address 2 of the loose source route, ip.opt.lsrr) inside the packet is not loopback",
        ),
        (
            "mode hdrincl\nnew ip/icmp\nset ip.opt.nop 1\nset ip.opt.ssrr 198.51.100.5,127.0.0.1\n"
                .into(),
            "ip.src_rt 198.51.100.5 (address 1 of the strict source route, ip.opt.ssrr) inside the packet is not loopback",
        ),
        (
            format!("mode raw\nnew ip/icmp\nset icmp.type 3\nset icmp.code 3\npayload {quoted}\n"),
            "ip.dst 198.51.100.9 in the quoted datagram is not loopback",
        ),
        (
            "mode link lo\nnew eth/ip/udp\nset udp.dstport 4789\n".into(),
            "udp.dstport 4789 is VXLAN's",
        ),
        (
            "mode raw\nnew ip\nset ip.proto 47\npayload 00000800\n".into(),
            "ip.proto 47 (GRE) carries another packet",
        ),
    ];
    let script: String = cases
        .iter()
        .map(|(setup, _)| format!("{setup}set timeout 50ms\nsend\n"))
        .collect();
    for user in users() {
        let Some(r) = run_on_own_host(
            user,
            &format!("listen link lo\n{script}captures\n"),
            &[],
            "",
        ) else {
            return;
        };
        assert!(
            r.stdout.contains("the host's (raw sockets permitted)")
                || r.stdout.contains("mode link"),
            "{}",
            r.all()
        );
        for (setup, refusal) in &cases {
            assert!(
                r.stdout.contains(refusal),
                "[{user:?}] {setup:?} should be refused with {refusal:?}:\n{}",
                r.all()
            );
        }
        assert!(
            !r.stdout.contains("→ sent"),
            "nothing was handed over: {}",
            r.all()
        );
        assert!(
            r.stdout.contains("no packets yet"),
            "the listener saw nothing: {}",
            r.all()
        );
        // The control: allowed, each one is handed over.
        let open = run_on_own_host(user, &script, &["--allow-remote"], "").unwrap();
        for (setup, refusal) in &cases {
            assert!(
                !open.stdout.contains(refusal),
                "[{user:?}] {setup:?}:\n{}",
                open.all()
            );
        }
        assert_eq!(
            open.stdout.matches("→ sent").count(),
            cases.len(),
            "[{user:?}] each is sent with --allow-remote:\n{}",
            open.all()
        );
    }
}

/// Where the host forwards, the hint for a frame on lo to someone else says the kernel
/// sends it on, not that it "reaches only this kernel"; unless the frame goes to a group
/// address, which the kernel takes in but never routes on.
#[test]
fn a_frame_on_lo_is_not_said_to_stay_when_the_host_forwards() {
    let script =
        "mode link lo\nnew eth/ip/icmp\nset ip.dst 198.51.100.9\nset timeout 100ms\nsend\n";
    // To lo's own MAC a forwarding host routes the frame on; to the broadcast address
    // (the template's eth.dst) it takes it in but routes it no further.
    let to_lo = "mode link lo\nnew eth/ip/icmp\nset eth.dst 00:00:00:00:00:00\nset ip.dst 198.51.100.9\nset timeout 100ms\nsend\n";
    let forward = "echo 1 > /proc/sys/net/ipv4/ip_forward &&";
    for (script, forward, said, unsaid) in [
        (
            to_lo,
            forward,
            "this host forwards (net.ipv4.ip_forward is 1): the kernel takes a frame on lo in as if it had arrived from outside and routes it on towards 198.51.100.9",
            "reaches only this kernel",
        ),
        (
            script,
            forward,
            "this host forwards (net.ipv4.ip_forward is 1), but not this frame: it goes to eth.dst ff:ff:ff:ff:ff:ff",
            "reaches only this kernel",
        ),
        (
            script,
            "",
            "reaches only this kernel, which does not forward",
            "this host forwards",
        ),
    ] {
        let Some(r) = run_on_own_host(User::Me, script, &["--allow-remote"], forward) else {
            return;
        };
        assert!(r.stdout.contains(said), "{}", r.all());
        assert!(!r.stdout.contains(unsaid), "{}", r.all());
    }
}

/// `--max-rate` is one budget for the session: four triggers and the fifth refused,
/// their echoes together never beat the ceiling (counted from the kernel's stamps on
/// what a listener saw: slowness only spreads them further).
#[test]
fn triggers_side_by_side_share_one_rate_ceiling() {
    let mut script = String::from("listen icmp\n");
    for _ in 0..5 {
        script.push_str("trigger ping 127.0.0.1 count 30 every 1ms\n");
    }
    script.push_str("wait 2s\ncaptures\n");
    for user in users() {
        let r = run_script(user, &script, &["--max-rate", "50"]);
        assert!(
            r.stdout
                .contains("4 triggers are still running, as many as run side by side"),
            "[{user:?}] {}",
            r.all()
        );
        let times: Vec<f64> = r
            .stdout
            .lines()
            .skip_while(|l| !l.contains("raw> captures"))
            .filter(|l| l.starts_with('#') && l.contains("echo-request"))
            .filter_map(|l| l.split("t=").nth(1)?.split('s').next()?.parse().ok())
            .collect();
        assert!(
            times.len() >= 50,
            "[{user:?}] {} requests: {}",
            times.len(),
            r.all()
        );
        let most = times
            .iter()
            .map(|x| times.iter().filter(|y| **y >= *x && **y < x + 1.0).count())
            .max()
            .unwrap_or(0);
        // 51 turns fit a second (both ends); a send woken late on a loaded machine can
        // bring one or two from the turn before into the window. Five triggers each with
        // a ceiling of its own would make about 250.
        assert!(
            most <= 54,
            "[{user:?}] {most} echo requests in one second at --max-rate 50"
        );
    }
}

/// Where ping sockets are not permitted (a new network namespace's ping_group_range is
/// `1 0`) but raw sockets are (as under sudo), `trigger ping` sends through a raw ICMP
/// socket and still counts its replies.
#[test]
fn trigger_ping_falls_back_to_a_raw_socket_where_ping_sockets_are_refused() {
    for user in users() {
        let Some(r) = run_on_own_host(
            user,
            "status\ntrigger ping 127.0.0.1 count 2\nwait 1500ms\n",
            &[],
            "",
        ) else {
            return;
        };
        assert!(
            r.stdout.contains("from socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), since this user's group may not open ping sockets"),
            "[{user:?}] {}",
            r.all()
        );
        assert!(
            r.stdout.contains(": 2 sent, 2 replies"),
            "[{user:?}] {}",
            r.all()
        );
        // `status` says why, from the sysctl itself.
        assert!(
            r.stdout
                .contains("the kernel refuses this process a ping socket (EACCES)"),
            "[{user:?}] {}",
            r.all()
        );
    }
}

/// In the sandbox rawlab names its one group in the range, and `status` shows the
/// range and that the kernel opens a ping socket.
#[test]
fn in_the_sandbox_status_shows_the_ping_range_that_lets_rawlab_in() {
    for user in users() {
        let r = run_script(user, "status\n", &[]);
        assert!(
            r.stdout.contains(
                "  pings     net.ipv4.ping_group_range 0 0; the kernel opens a ping socket for this process"
            ),
            "[{user:?}] {}",
            r.all()
        );
    }
}

/// One way rawlab hands a packet to the kernel, with an address that is not one it may
/// use on a host's network: the script, and the refusal it must get.
struct OffHost {
    path: &'static str,
    script: &'static str,
    refusal: &'static str,
    /// Whether the packet reaches the far namespace when the rule is lifted: false where
    /// the kernel writes the source itself (mode kernel), so a forged one goes nowhere.
    reaches: bool,
}

/// Every send path, IPv4 and IPv6, with a destination outside (203.0.113.0/24,
/// 2001:db8:2::/48, routed to the far namespace) or a forged source (whose answer is
/// routed there). Frames on lo go to lo's own MAC (zeros), which a forwarding host
/// routes on; the host's own veth address as a frame's source passes accept_local.
fn off_host_cases() -> Vec<OffHost> {
    const DST4: &str =
        "203.0.113.9 is not loopback, one of this host's own addresses, or a sandbox peer";
    const SRC4: &str = "ip.src 203.0.113.7 is not an address of this host";
    const DST6: &str =
        "2001:db8:2::9 is not loopback, one of this host's own addresses, or a sandbox peer";
    const SRC6: &str = "ipv6.src 2001:db8:2::7 is not an address of this host";
    const VETH: &str =
        "veth0 is an interface of the host's network: a frame handed to it leaves this machine";
    let case = |path, script, refusal| OffHost {
        path,
        script,
        refusal,
        reaches: true,
    };
    vec![
        case(
            "raw, IPv4 destination",
            "mode raw\nnew ip/icmp\nset ip.dst 203.0.113.9\nsend\n",
            DST4,
        ),
        case(
            "raw, IPv4 source",
            "mode raw\nnew ip/icmp\nset ip.src 203.0.113.7\nset ip.dst 198.51.100.1\nsend\n",
            SRC4,
        ),
        case(
            "hdrincl, IPv4 destination",
            "mode hdrincl\nnew ip/icmp\nset ip.dst 203.0.113.9\nsend\n",
            DST4,
        ),
        case(
            "hdrincl, IPv4 source",
            "mode hdrincl\nnew ip/icmp\nset ip.src 203.0.113.7\nset ip.dst 198.51.100.1\nsend\n",
            SRC4,
        ),
        case(
            "kernel, IPv4 destination",
            "mode kernel\nnew ip/icmp\nset ip.dst 203.0.113.9\nsend\n",
            DST4,
        ),
        OffHost {
            reaches: false,
            ..case(
                "kernel, IPv4 source",
                "mode kernel\nnew ip/icmp\nset ip.src 203.0.113.7\nset ip.dst 198.51.100.1\nsend\n",
                SRC4,
            )
        },
        case(
            "link lo, IPv4 destination",
            "mode link lo\nnew eth/ip/icmp\nset eth.dst 00:00:00:00:00:00\nset ip.src 198.51.100.1\nset ip.dst 203.0.113.9\nsend\n",
            DST4,
        ),
        case(
            "link lo, IPv4 source",
            "mode link lo\nnew eth/ip/icmp\nset eth.dst 00:00:00:00:00:00\nset ip.src 203.0.113.7\nset ip.dst 198.51.100.1\nsend\n",
            SRC4,
        ),
        case(
            "link veth0, IPv4",
            "mode link veth0\nnew eth/ip/icmp\nset ip.dst 198.51.100.2\nsend\n",
            VETH,
        ),
        case(
            "link veth0, ARP",
            "mode link veth0\nnew eth/arp\nset arp.dst.proto_ipv4 198.51.100.2\nsend\n",
            VETH,
        ),
        case(
            "raw, IPv6 destination",
            "mode raw\nnew ip6/icmp6\nset ipv6.dst 2001:db8:2::9\nsend\n",
            DST6,
        ),
        case(
            "raw, IPv6 source",
            "mode raw\nnew ip6/icmp6\nset ipv6.src 2001:db8:2::7\nset ipv6.dst 2001:db8:1::1\nsend\n",
            SRC6,
        ),
        case(
            "hdrincl, IPv6 destination",
            "mode hdrincl\nnew ip6/icmp6\nset ipv6.dst 2001:db8:2::9\nsend\n",
            DST6,
        ),
        case(
            "hdrincl, IPv6 source",
            "mode hdrincl\nnew ip6/icmp6\nset ipv6.src 2001:db8:2::7\nset ipv6.dst 2001:db8:1::1\nsend\n",
            SRC6,
        ),
        case(
            "kernel, IPv6 destination",
            "mode kernel\nnew ip6/icmp6\nset ipv6.dst 2001:db8:2::9\nsend\n",
            DST6,
        ),
        OffHost {
            reaches: false,
            ..case(
                "kernel, IPv6 source",
                "mode kernel\nnew ip6/icmp6\nset ipv6.src 2001:db8:2::7\nset ipv6.dst 2001:db8:1::1\nsend\n",
                SRC6,
            )
        },
        case(
            "link lo, IPv6 destination",
            "mode link lo\nnew eth/ip6/icmp6\nset eth.dst 00:00:00:00:00:00\nset ipv6.src 2001:db8:1::1\nset ipv6.dst 2001:db8:2::9\nsend\n",
            DST6,
        ),
        case(
            "link lo, IPv6 source",
            "mode link lo\nnew eth/ip6/icmp6\nset eth.dst 00:00:00:00:00:00\nset ipv6.src 2001:db8:2::7\nset ipv6.dst 2001:db8:1::1\nsend\n",
            SRC6,
        ),
        case(
            "link veth0, IPv6",
            "mode link veth0\nnew eth/ip6/icmp6\nset ipv6.dst 2001:db8:1::2\nsend\n",
            VETH,
        ),
        case("ping", "ping 203.0.113.9 count 1\n", DST4),
        case("ping mode raw", "ping 203.0.113.9 count 1 mode raw\n", DST4),
        case(
            "ping mode hdrincl",
            "ping 203.0.113.9 count 1 mode hdrincl\n",
            DST4,
        ),
        case(
            "trigger ping",
            "trigger ping 203.0.113.9\nwait 300ms\n",
            DST4,
        ),
        case(
            "trigger udp",
            "trigger udp 203.0.113.9 9\nwait 100ms\n",
            DST4,
        ),
    ]
}

/// Runs each case's script through rawlab on a network of the test's own: a user and
/// network namespace (`unshare -Urn`) holding lo and veth0 (198.51.100.1,
/// 2001:db8:1::1), which forwards and whose default routes lead over the veth to a
/// second namespace, the far one (198.51.100.2, 2001:db8:1::2). The far side counts
/// every frame its veth takes in but the host's own IPv6 multicast (router and listener
/// chatter, settled before the first case). Returns, per case, the frames that arrived
/// while it ran and rawlab's output. None when a tool is missing.
fn beside_far(user: User, cases: &[OffHost], args: &str) -> Option<Vec<(u64, String)>> {
    for tool in ["unshare", "nsenter", "ip"] {
        if Command::new(tool).arg("-V").output().is_err() {
            eprintln!("skipped: {tool} is missing");
            return None;
        }
    }
    let dir = scratch();
    // The driver writes rawlab's output beside the scripts, as whichever user runs it.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    for (i, c) in cases.iter().enumerate() {
        let f = dir.join(format!("case{i}.rawlab"));
        std::fs::write(&f, format!("set timeout 100ms\n{}", c.script)).unwrap();
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    }
    let driver = format!(
        r#"set -e
ip link set lo up
for c in all default; do
  echo 0 > /proc/sys/net/ipv6/conf/$c/router_solicitations
  echo 0 > /proc/sys/net/ipv6/conf/$c/accept_dad
done
unshare -n sleep 120 &
FAR=$!
# the far namespace exists once sleep runs in it
n=0; while [ "$(readlink /proc/$FAR/ns/net)" = "$(readlink /proc/self/ns/net)" ] && [ $n -lt 100 ]; do sleep 0.02; n=$((n+1)); done
ip link add veth0 type veth peer name veth1
ip link set veth1 netns $FAR
ip addr add 198.51.100.1/24 dev veth0
ip -6 addr add 2001:db8:1::1/64 dev veth0 nodad
ip link set veth0 up
nsenter -t $FAR -n sh -c 'for c in all default; do echo 0 > /proc/sys/net/ipv6/conf/$c/router_solicitations; done
  ip link set lo up; ip link set veth1 up
  ip addr add 198.51.100.2/24 dev veth1; ip -6 addr add 2001:db8:1::2/64 dev veth1 nodad'
ip route add default via 198.51.100.2
ip -6 route add default via 2001:db8:1::2
echo 1 > /proc/sys/net/ipv4/ip_forward
echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
echo 1 > /proc/sys/net/ipv4/conf/all/accept_local
echo 1 > /proc/sys/net/ipv4/conf/lo/accept_local
set +e
rx() {{ nsenter -t $FAR -n cat /proc/net/dev | awk '/veth1:/ {{print $3}}'; }}
# let the listener reports and neighbour chatter of bringing the link up pass: MLD
# repeats its report for a second or two, later on a loaded machine, so the count
# must hold still for two seconds (at most twenty)
last=$(rx); still=0; n=0
while [ $still -lt 4 ] && [ $n -lt 40 ]; do
  sleep 0.5; now=$(rx); n=$((n+1))
  if [ "$now" = "$last" ]; then still=$((still+1)); else still=0; fi
  last=$now
done
for i in $(seq 0 {last}); do
  b=$(rx)
  {bin} --color never {args} case$i.rawlab > out$i.txt 2>&1
  sleep 0.2
  d=$(( $(rx) - b ))
  # Where nothing may arrive, a frame that did is run again: a leak comes back every
  # time, a late report of the link's own (an MLD report on a loaded machine) does not.
  if [ {retry} = 1 ] && [ $d -ne 0 ]; then
    b=$(rx)
    {bin} --color never {args} case$i.rawlab > out$i.txt 2>&1
    sleep 0.2
    d2=$(( $(rx) - b ))
    [ $d2 -lt $d ] && d=$d2
  fi
  echo "case $i: $d"
done
kill $FAR
"#,
        last = cases.len() - 1,
        bin = binary_for(user).display(),
        retry = u8::from(args.is_empty()),
    );
    std::fs::write(dir.join("driver.sh"), driver).unwrap();
    let mut cmd = unshare_for(user);
    cmd.args(["-Urn", "sh", "driver.sh"])
        .current_dir(&dir)
        .env_remove("NO_COLOR")
        .env_remove("SUDO_UID")
        .env("HOME", &dir);
    let out = run_bounded(cmd, 120);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut got = Vec::new();
    for (i, _) in cases.iter().enumerate() {
        let arrived = stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("case {i}: ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "[{user:?}] case {i} did not run:\n{stdout}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let said = std::fs::read_to_string(dir.join(format!("out{i}.txt"))).unwrap_or_default();
        got.push((arrived, said));
    }
    Some(got)
}

/// The off-host rules, end to end, for every send path: on a host's network (one of the
/// test's own) nothing a refused command makes reaches the namespace beyond its route,
/// counted there; and with --allow-remote the same commands do reach it, so the counter
/// sees what gets through and a regression cannot pass unseen.
#[test]
fn no_send_path_reaches_beyond_the_host() {
    let cases = off_host_cases();
    std::thread::scope(|s| {
        for user in users() {
            let cases = &cases;
            s.spawn(move || held_and_let_through(user, cases));
        }
    });
}

fn held_and_let_through(user: User, cases: &[OffHost]) {
    let Some(held) = beside_far(user, cases, "") else {
        return;
    };
    for (c, (arrived, said)) in cases.iter().zip(&held) {
        assert_eq!(
            *arrived, 0,
            "[{user:?}] {}: frames arrived beyond the host:\n{said}",
            c.path
        );
        assert!(
            said.contains(c.refusal),
            "[{user:?}] {}: refused with {:?}:\n{said}",
            c.path,
            c.refusal
        );
        assert!(!said.contains("→ sent"), "[{user:?}] {}:\n{said}", c.path);
    }
    let open = beside_far(user, cases, "--allow-remote").unwrap();
    for (c, (arrived, said)) in cases.iter().zip(&open) {
        assert!(!said.contains(c.refusal), "[{user:?}] {}:\n{said}", c.path);
        if c.reaches {
            assert!(
                *arrived > 0,
                "[{user:?}] {}: with --allow-remote it reaches the far side, or the counter sees nothing:\n{said}",
                c.path
            );
        } else {
            assert_eq!(*arrived, 0, "[{user:?}] {}:\n{said}", c.path);
        }
    }
}
