//! `save` and `load`, end to end: a ping captured in the sandbox is saved, a new
//! rawlab loads it and works on it (dump, diff, expect), and `rawlab read` reads
//! it; an existing file is kept unless `save!`; what no capture file can hold is
//! left out and named; and under a sudo-like start the saved file belongs to the
//! user, written with the user's permissions, never root's. Sends go to loopback
//! inside the sandbox only.

mod common;
use common::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory every user may write in (the sandbox user is 65534 when the
/// suite runs as root).
fn writable() -> PathBuf {
    let dir = scratch();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// Runs `script` from a file in `dir`, with `dir` as the working directory, in the sandbox.
fn script_in(user: User, dir: &Path, script: &str) -> Run {
    let file = dir.join(format!(
        "s{}.rawlab",
        std::fs::read_dir(dir).map_or(0, |d| d.count())
    ));
    std::fs::write(&file, script).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args: Vec<String> = ["--sandbox", "--color", "never"]
        .iter()
        .map(|s| s.to_string())
        .chain([file.display().to_string()])
        .collect();
    run(user, &args, dir)
}

fn uid_of(user: User) -> u32 {
    match user {
        User::Nobody => 65534,
        User::Me => std::fs::metadata("/proc/self").unwrap().uid(),
    }
}

/// What follows the echo of `command` in a script's output.
fn after<'a>(out: &'a str, command: &str) -> &'a str {
    let at = out
        .find(&format!("> {command}\n"))
        .unwrap_or_else(|| panic!("`{command}` was not run:\n{out}"));
    &out[at..]
}

#[test]
fn a_saved_ping_loads_back_in_a_new_session_and_rawlab_read_reads_it() {
    for user in users() {
        let dir = writable();
        let a = script_in(user, &dir, "send\nsave ping.pcap\n");
        assert_eq!(a.code, 0, "{}", a.all());
        assert!(
            a.stdout.contains(
                "saved 2 packets (#2–#3) to ping.pcap: pcap of raw IP, nanosecond timestamps, 116 bytes"
            ),
            "{}",
            a.all()
        );
        let file = dir.join("ping.pcap");
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(meta.uid(), uid_of(user), "the file is the user's: {user:?}");
        assert_eq!(meta.len(), 116);
        // What rawlab handed to sendto is no packet of the wire: pcap leaves it out.
        assert!(
            a.stdout.contains("left out 1 sendto copy (what rawlab handed the kernel, which is not what went on the wire); a .pcapng file keeps them"),
            "{}",
            a.all()
        );

        let b = script_in(
            user,
            &dir,
            "load ping.pcap\ndump 2\ndiff 1 2\nexpect reply icmp.type == echo-reply\nexpect packet 1 icmp.type == echo-request\nexpect captured 2\ncaptures\n",
        );
        assert_eq!(b.code, 0, "{}", b.all());
        assert!(
            b.stdout
                .contains("loaded 2 packets from ping.pcap as #1–#2 (pcap, nanosecond timestamps, raw IP); `dump 1` shows the first in full"),
            "{}",
            b.all()
        );
        // One line per packet as it is loaded, then the dump of the reply, matched again.
        assert!(
            b.stdout.contains("#1 ← ping.pcap packet 1 · 30 bytes · "),
            "{}",
            b.all()
        );
        let dump = after(&b.stdout, "dump 2");
        assert!(
            dump.contains("#2 ← read from ping.pcap (packet 2) · 30 bytes · ")
                && dump.contains(" UTC\n"),
            "{dump}"
        );
        assert!(dump.contains("reply to #1"), "{dump}");
        assert!(
            after(&b.stdout, "diff 1 2")
                .contains("icmp.type      byte 20      8 (echo-request) → 0 (echo-reply)"),
            "{}",
            b.all()
        );
        // The bytes are the ones captured, byte for byte.
        let captured = packet(after(&a.stdout, "send"), 3).expect("the reply's dump");
        let loaded = packet(dump, 2).expect("the loaded reply's dump");
        assert_eq!(captured, loaded);
        assert!(
            b.stdout
                .contains("✓ expect reply icmp.type == 0 (echo-reply)")
                && b.stdout.contains("✓ expect captured == 2"),
            "{}",
            b.all()
        );

        // `rawlab read` reads what save wrote, as text and as JSON.
        let r = run(user, &["read".into(), "ping.pcap".into()], &dir);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stderr
                .contains("reading from ping.pcap: pcap, nanosecond timestamps, little-endian"),
            "{}",
            r.all()
        );
        for no in 1..=2 {
            assert!(r.stdout.contains(&format!("#{no} · ")), "{}", r.all());
        }
        assert_eq!(packet(&r.stdout, 2), Some(captured));
        let j = run(
            user,
            &[
                "read".into(),
                "ping.pcap".into(),
                "--format".into(),
                "json".into(),
            ],
            &dir,
        );
        assert_eq!(j.code, 0, "{}", j.all());
        assert_eq!(j.stdout.lines().count(), 2, "{}", j.all());
    }
}

#[test]
fn an_existing_file_is_kept_and_save_bang_overwrites_it() {
    for user in users() {
        let dir = writable();
        let file = dir.join("keep.pcap");
        std::fs::write(&file, "precious\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();

        let r = script_in(user, &dir, "send\nsave keep.pcap\nsave keep.pcap 2-3\n");
        assert_eq!(r.code, 1, "a refused save is a failed command: {}", r.all());
        assert_eq!(
            r.stdout
                .matches("error: keep.pcap already exists; nothing was written\n  = `save! keep.pcap` overwrites it; or choose another name")
                .count(),
            2,
            "{}",
            r.all()
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious\n");

        let r = script_in(user, &dir, "send\nsave! keep.pcap 2-3\n");
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout
                .contains("saved 2 packets (#2–#3) to keep.pcap: pcap of raw IP"),
            "{}",
            r.all()
        );
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(&bytes[..4], &[0x4d, 0x3c, 0xb2, 0xa1], "a nanosecond pcap");
        assert_eq!(bytes.len(), 24 + 2 * (16 + 30));
    }
}

#[test]
fn what_no_capture_file_holds_is_left_out_and_named() {
    let dir = writable();
    // ICMPv6 from an AF_INET6 raw socket has no IPv6 header to save.
    let r = script_in(
        User::Me,
        &dir,
        "new ip6/icmp6\nlisten icmp6\nsend\nwait 200ms\nsave v6.pcapng\n",
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let saved = after(&r.stdout, "save v6.pcapng");
    assert!(
        saved.contains("left out: ICMPv6 without its IPv6 header: an AF_INET6 raw socket hands over only what follows that header"),
        "{saved}"
    );
    assert!(
        saved.contains("saved 1 packet (#1) to v6.pcapng"),
        "the sent packet has its header: {saved}"
    );

    // Raw IP packets and Ethernet frames: one link type per pcap file, both in pcapng.
    let r = script_in(
        User::Me,
        &dir,
        "listen link lo\nsend\nwait 200ms\nsave both.pcapng\nsave one.pcap\n",
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        after(&r.stdout, "save both.pcapng").contains(
            "to both.pcapng: pcapng, 3 interfaces (rawlab-sendto: raw IP, lo: Ethernet, lo: raw IP), nanosecond timestamps"
        ),
        "{}",
        r.all()
    );
    let one = after(&r.stdout, "save one.pcap");
    assert!(
        one.contains("left out: ")
            && one.contains("(a pcap file has one link type; a .pcapng file holds both)"),
        "{one}"
    );
    let read = run(User::Me, &["read".into(), "both.pcapng".into()], &dir);
    assert_eq!(read.code, 0, "{}", read.all());
    assert!(
        read.stderr
            .contains("interface 0 (rawlab-sendto): raw IP (RAW, 101)")
            && read
                .stderr
                .contains("interface 1 (lo): Ethernet (EN10MB, 1)"),
        "{}",
        read.all()
    );
    let loaded = script_in(User::Me, &dir, "load both.pcapng\n");
    assert_eq!(loaded.code, 0, "{}", loaded.all());
    assert!(
        loaded.stdout.contains("(pcapng, raw IP, Ethernet)"),
        "{}",
        loaded.all()
    );
}

#[test]
fn a_damaged_file_loads_up_to_the_damage_and_says_where() {
    for user in users() {
        let dir = writable();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lo.pcap");
        let mut bytes = std::fs::read(src).unwrap();
        // lo.pcap's first two records are 16 + 44 bytes each; cut 10 bytes into the third.
        bytes.truncate(24 + 2 * 60 + 10);
        let file = dir.join("cut.pcap");
        std::fs::write(&file, &bytes).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = script_in(user, &dir, "load cut.pcap\nexpect reply\n");
        assert_eq!(r.code, 1, "the damage is a failure: {}", r.all());
        assert!(
            r.stdout.contains(
                "loaded 2 packets from cut.pcap as #1–#2 (pcap, microsecond timestamps, Ethernet)"
            ),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(
                "error: cut.pcap: packet 3 at byte 144: truncated record: the file ends 10 bytes into a 16-byte record header"
            ),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("the 2 packets before it are loaded"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("✓ expect reply: #2 is a reply"),
            "{}",
            r.all()
        );
    }
}

/// As root with sudo's variables set, as `sudo rawlab` starts: rawlab has become the
/// user by the time a command runs, so what `save` writes is theirs, and where the user
/// may not write, neither may rawlab.
#[test]
fn under_sudo_a_saved_capture_belongs_to_the_user() {
    if !users().contains(&User::Nobody) {
        eprintln!("skipped: needs root to act as sudo does");
        return;
    }
    for extra in [&[][..], &["--sandbox"][..]] {
        let dir = writable();
        let closed = scratch(); // root's, 0755: not the user's to write in
        let fixture = dir.join("lo.pcap");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lo.pcap"),
            &fixture,
        )
        .unwrap();
        std::fs::set_permissions(&fixture, std::fs::Permissions::from_mode(0o644)).unwrap();
        let script = dir.join("s.rawlab");
        std::fs::write(
            &script,
            format!(
                "load {}\nsave {}\nsave {}\n",
                fixture.display(),
                dir.join("owned.pcap").display(),
                closed.join("denied.pcap").display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new(binary_for(User::Nobody));
        cmd.args(extra)
            .args(["--color", "never"])
            .arg(&script)
            .current_dir(&dir)
            .env("SUDO_UID", "65534")
            .env("SUDO_GID", "65534")
            .env("SUDO_USER", "nobody");
        let out = run_bounded(cmd, 60);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let all = format!("{extra:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        assert!(stdout.contains("loaded 32 packets"), "{all}");
        let meta =
            std::fs::metadata(dir.join("owned.pcap")).unwrap_or_else(|e| panic!("{e}: {all}"));
        assert_eq!(
            (meta.uid(), meta.gid()),
            (65534, 65534),
            "owned by the user who ran sudo: {all}"
        );
        assert!(
            stdout.contains(&format!(
                "error: cannot write {}: Permission denied",
                closed.join("denied.pcap").display()
            )),
            "{all}"
        );
        assert!(
            stdout.contains("rawlab runs as you (uid 65534), not as root, even under sudo"),
            "{all}"
        );
        assert!(!closed.join("denied.pcap").exists(), "{all}");
        assert_eq!(out.status.code(), Some(1), "{all}");
    }
}

/// A `captures` listing without the times (a loaded packet's is its time of day, a
/// live one's its time since the start), to compare a session with its reload.
fn listing(out: &str, after_command: &str) -> Vec<String> {
    after(out, after_command)
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('#'))
        .map(|l| {
            l.split(" · ")
                .filter(|part| !part.starts_with("t=") && !part.ends_with(" UTC"))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect()
}

#[test]
fn a_saved_pcapng_brings_back_every_relation_and_what_the_kernel_changed() {
    for user in users() {
        let dir = writable();
        let live = script_in(
            user,
            &dir,
            "listen icmp\nlisten link lo\nsend\nmode hdrincl\nset ip.id 0\nsend\ncaptures\nsave s.pcapng\n",
        );
        assert_eq!(live.code, 0, "{}", live.all());
        let was = listing(&live.stdout, "captures");
        assert!(was.len() >= 10, "{}", live.all());
        assert!(
            was.iter().any(|l| l.ends_with("· #1 on the wire")),
            "{was:#?}"
        );

        // Which packet is the first send's wire copy (the sockets' order varies).
        let copy = was
            .iter()
            .find(|l| l.ends_with("· #1 on the wire"))
            .and_then(|l| l[1..].split(' ').next())
            .unwrap();
        let back = script_in(
            user,
            &dir,
            &format!("load s.pcapng\ncaptures\ndump {copy}\n"),
        );
        assert_eq!(back.code, 0, "{}", back.all());
        // The same packets, from the same sockets, related the same way.
        assert_eq!(listing(&back.stdout, "captures"), was);
        let dump = after(&back.stdout, &format!("dump {copy}"));
        assert!(
            dump.contains(
                "this is #1 as it went on the wire: the kernel changed ip.id, ip.checksum, ip.src"
            ),
            "{dump}"
        );

        // `rawlab read` rebuilds the same from the notes, and says what each packet was.
        let r = run(user, &["read".into(), "s.pcapng".into()], &dir);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains(
                "raw IP on interface 0 · sendto copy: what rawlab handed the kernel in mode raw, not a capture"
            ),
            "{}",
            r.all()
        );
        assert!(
            r.stdout
                .contains("Ethernet on interface 1 · outgoing on lo"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(
                "this is #1 as it went on the wire: the kernel changed ip.id, ip.checksum, ip.src"
            ),
            "{}",
            r.all()
        );
        // One line a packet in --brief, as many as the session listed.
        let plain = run(
            user,
            &["read".into(), "s.pcapng".into(), "--brief".into()],
            &dir,
        );
        assert_eq!(plain.stdout.lines().count(), was.len(), "{}", plain.all());
    }
}
