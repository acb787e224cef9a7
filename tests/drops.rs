//! The kernel's own drop reasons, end to end. Started as root with sudo's variables
//! set, rawlab opens the skb:kfree_skb tracepoint before it gives root up, says so in
//! `status`, and a packet with a wrong ICMP checksum, sent in its sandbox to
//! loopback, is followed there by a drop the kernel names ICMP_CSUM. Without root,
//! `status` says in one line how to get drop reasons.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn is_root() -> bool {
    users().contains(&User::Nobody)
}

/// Where the event is, when tracefs is mounted (rawlab looks in the same places).
fn tracefs_event() -> Option<&'static str> {
    [
        "/sys/kernel/tracing/events/skb/kfree_skb",
        "/sys/kernel/debug/tracing/events/skb/kfree_skb",
    ]
    .into_iter()
    .find(|p| Path::new(p).join("format").exists())
}

/// Runs `rawlab --sandbox --color never SCRIPT` as root with SUDO_UID and SUDO_GID
/// set, as `sudo rawlab --sandbox` does: root until rawlab gives it up.
fn sudo_sandbox(script: &str) -> Run {
    let dir = scratch();
    let file = dir.join("drops.rawlab");
    std::fs::write(&file, script).unwrap();
    let mut cmd = Command::new(binary_for(User::Nobody));
    cmd.args(["--sandbox", "--color", "never"])
        .arg(&file)
        .current_dir(&dir)
        .env("HOME", &dir)
        .env("SUDO_UID", "65534")
        .env("SUDO_GID", "65534")
        .env("SUDO_USER", "nobody");
    let out = run_bounded(cmd, 60);
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
        user: User::Me,
    }
}

/// The lines `status` gives about drops: its `drops` line and the drops under it.
fn drop_lines(status: &str) -> Vec<&str> {
    status
        .lines()
        .skip_while(|l| !l.starts_with("  drops "))
        .take_while(|l| l.starts_with("  drops ") || l.starts_with("            "))
        .collect()
}

#[test]
fn under_sudo_a_wrong_icmp_checksum_is_followed_by_the_kernels_icmp_csum_drop() {
    if !is_root() {
        eprintln!("skipped: drop reasons need root");
        return;
    }
    let Some(event) = tracefs_event() else {
        eprintln!("skipped: tracefs is not mounted (no events/skb/kfree_skb)");
        return;
    };
    // A good echo first (#1, its copy #2, the reply #3), then a wrong checksum (#4).
    let r =
        sudo_sandbox("status\nsend\nset icmp.checksum 0x1111\nset timeout 300ms\nsend\nstatus\n");
    assert_eq!(r.code, 0, "{}", r.all());
    let (first, rest) = r.stdout.split_once("raw> send").expect("status ran first");
    let opened = "drops     reasons from the kernel's skb:kfree_skb tracepoint (opened as root before giving it up)";
    assert!(first.contains(opened), "{event}: {}", r.all());
    // Root was given up as before: the user, inside the sandbox's namespace.
    assert!(
        first.contains("(uid 65534, gid 65534 outside: its capabilities reach only the sandbox) (started through sudo by uid 65534; root was given up)"),
        "{}",
        r.all()
    );
    let last = rest.rsplit_once("raw> status").expect("status ran last").1;
    let lines = drop_lines(last);
    assert!(lines[0].trim_start().starts_with(opened), "{}", r.all());
    // Placed against the send before it, the wrong checksum's, within the send's
    // timeout; said as what was seen. The tracepoint is host-wide: another program's
    // drops may be listed too (an answered echo's reply, dropped by ping_rcv with
    // NO_SOCKET as no ping socket wants it, is one of ours), so the test looks for
    // this one among them.
    let drop = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| {
            l.starts_with("a drop of an IPv4 packet, reason ICMP_CSUM, ")
                && (l.ends_with(" after #4 left") || l.contains(" after #4 left (the first of "))
                && (l.contains(" µs after") || l.contains(" ms after"))
        })
        .unwrap_or_else(|| panic!("no ICMP_CSUM drop after #4: {}", r.all()));
    let delay: f64 = drop
        .split(" after #4")
        .next()
        .and_then(|head| head.rsplit_once(", "))
        .and_then(|(_, t)| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        drop.contains(" µs after") || delay < 300.0,
        "{drop}: later than the send waited"
    );
    // "Why no reply" names it too, among what the kernel reported while the send ran.
    let silence = rest.split("no reply to #4").nth(1).unwrap_or_default();
    assert!(
        silence.contains("the kernel reported these drops of an IPv4 packet while this ran")
            && silence.contains("reason ICMP_CSUM, in icmp_rcv")
            && silence.contains("after #4 left"),
        "{}",
        r.all()
    );
    eprintln!("{drop}");
}

#[test]
fn without_root_status_says_how_to_get_drop_reasons() {
    for user in users() {
        let r = run_script(user, "status\n", &[]);
        let lines = drop_lines(&r.stdout);
        let expected = match (user, is_root(), tracefs_event()) {
            (User::Nobody, _, _) | (User::Me, false, _) => {
                "  drops     drop reasons need root: run `sudo rawlab`"
            }
            (User::Me, true, Some(_)) => {
                "  drops     reasons from the kernel's skb:kfree_skb tracepoint (opened as root at start)"
            }
            (User::Me, true, None) => {
                "  drops     tracefs is not mounted: `sudo mount -t tracefs nodev /sys/kernel/tracing`"
            }
        };
        assert!(
            lines.first().is_some_and(|l| l.starts_with(expected)),
            "[{user:?}] {}",
            r.all()
        );
    }
}

#[test]
fn root_of_a_user_namespace_is_told_it_needs_the_hosts() {
    for user in users() {
        let Some(r) = run_on_own_host(user, "status\n", &[], "") else {
            return;
        };
        let lines = drop_lines(&r.stdout);
        assert_eq!(
            lines.first().copied(),
            Some(
                "  drops     drop reasons need root on the host, not a user namespace's: run `sudo rawlab`"
            ),
            "[{user:?}] {}",
            r.all()
        );
    }
}

/// Root where tracefs is not mounted (hidden here under an empty tmpfs, in a mount
/// namespace of the test's own) is told how to mount it; nothing else changes.
#[test]
fn root_without_tracefs_is_told_how_to_mount_it() {
    if !is_root() {
        eprintln!("skipped: needs root to hide tracefs in a mount namespace");
        return;
    }
    let dir = scratch();
    let file = dir.join("status.rawlab");
    std::fs::write(&file, "status\n").unwrap();
    let hide = "mount -t tmpfs tmpfs /sys/kernel/tracing && { [ ! -d /sys/kernel/debug/tracing ] || mount -t tmpfs tmpfs /sys/kernel/debug; }";
    let inner = format!(
        "{hide} || exit 97; exec {} --sandbox --color never {}",
        binary_for(User::Me).display(),
        file.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-c", &inner]).current_dir(&dir);
    let out = run_bounded(cmd, 60);
    if out.status.code() != Some(0) {
        eprintln!(
            "skipped: could not hide tracefs in a mount namespace ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        drop_lines(&stdout),
        ["  drops     tracefs is not mounted: `sudo mount -t tracefs nodev /sys/kernel/tracing`"],
        "{stdout}"
    );
    assert!(stdout.contains("  ring      keeps the last"), "{stdout}");
}
