//! `rawlab read`, end to end: the real binary on capture files written by
//! tcpdump and dumpcap (tests/fixtures), and on files made here with rawlab's
//! own writer, damaged on purpose. `read` needs no privilege and opens no
//! sandbox, so every test runs as the current user and as an ordinary one.

mod common;
use common::*;
use rawlab::capture::pcap::{LinkType, Resolution, Writer};
use serde_json::Value;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

const FIXTURES: [&str; 4] = [
    "lo.pcap",
    "any-sll.pcap",
    "any-sll2-ns.pcap",
    "lo-any.pcapng",
];

/// The post's request as the kernel put it on the wire (packet 1 of every fixture, after
/// its link header).
const POST: &str =
    "45 00 00 1e ?? ?? 00 00 40 01 ?? ?? 7f 00 00 01 7f 00 00 01 08 00 37 21 00 00 00 00 c0 de";

/// A copy of a fixture in a directory any user can read.
fn fixture(name: &str) -> (PathBuf, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = scratch();
    let dst = dir.join(name);
    std::fs::copy(&src, &dst).unwrap();
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o644)).unwrap();
    (dir, dst)
}

/// Bytes written to a file any user can read.
fn file_with(name: &str, bytes: &[u8]) -> (PathBuf, PathBuf) {
    let dir = scratch();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    (dir, p)
}

fn read(user: User, file: &Path, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["read".to_string(), file.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    run(user, &args, dir)
}

/// Where each record of a little-endian pcap file starts.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut at = 24;
    let mut v = Vec::new();
    while at + 16 <= bytes.len() {
        v.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    v
}

/// Runs of spaces as one, so a check does not depend on column widths.
fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, part) in s.split(' ').filter(|p| !p.is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// Every run of white space as one space: a note reads the same however it was wrapped.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn tcpdumps_ethernet_capture_annotated() {
    for user in users() {
        let (dir, f) = fixture("lo.pcap");
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            !r.stderr.contains("sandbox"),
            "read makes no sandbox: {}",
            r.all()
        );
        assert_eq!(
            r.stderr,
            format!(
                "reading from {}: pcap, microsecond timestamps, little-endian\n  link type Ethernet (EN10MB, 1), snapshot length 262144\n",
                f.display()
            )
        );
        assert_eq!(r.stdout.lines().filter(|l| l.starts_with('#')).count(), 32);
        let first = dump_of(&r.stdout, 1);
        assert!(
            first.starts_with("#1 · 2026-11-27 06:21:41.431377 UTC · 44 bytes · Ethernet\n"),
            "{first}"
        );
        assert!(
            first.contains(
                "IPv4 127.0.0.1 → 127.0.0.1 ttl 64 icmp · ICMP echo-request id 0 seq 0 · 2 bytes of data"
            ),
            "{first}"
        );
        let bytes = packet(&r.stdout, 1).unwrap();
        assert_eq!(&bytes[..14], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
        assert!(matches(&bytes[14..], &pattern(POST)), "{bytes:02x?}");
        // The Ethernet table reads the frame's header; no dim link section is needed.
        assert!(first.contains("  Ethernet · bytes 0–13\n"), "{first}");
        assert!(
            squeeze(&first).contains("eth.type 0x0800 (ipv4) 08 00"),
            "{first}"
        );
        assert!(first.contains("  IPv4 · bytes 14–33\n"), "{first}");
        assert!(!first.contains("link ·"), "{first}");
        // The options, DF and text payload of the fifth packet (columns squeezed: their
        // widths follow the longest name in the dump).
        let fifth = squeeze(&dump_of(&r.stdout, 5));
        for want in [
            "ip.hdr_len 24 bytes (6 × 4)",
            "ip.flags.df 1 (set)",
            "ip.options 4 bytes 01 01 01 00",
            "icmp.ident 4660",
            "data.data \"hello\"",
        ] {
            assert!(fifth.contains(want), "{want} missing:\n{fifth}");
        }
        // Every IPv4 and ICMP checksum the kernel wrote adds up.
        let checks: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("    ip.checksum") || l.starts_with("    icmp.checksum"))
            .collect();
        assert_eq!(
            checks.len(),
            2 * 8 + 11,
            "8 pings with both, 11 TCP/UDP with one"
        );
        assert!(
            checks.iter().all(|l| l.contains("✓ correct")),
            "{checks:#?}"
        );
        // IPv6: dissected once rawlab has a table for it, until then data with a reason.
        let v6 = dump_of(&r.stdout, 10);
        assert!(v6.contains("  IPv6 · bytes 14–53\n"), "{v6}");
        assert!(v6.contains("::1 → ::1"), "{v6}");
        assert!(!r.stdout.contains('\x1b'), "a pipe gets no colour");
    }
}

#[test]
fn linux_cooked_captures_and_nanoseconds() {
    for user in users() {
        let (dir, f) = fixture("any-sll.pcap");
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stderr
                .contains("link type Linux cooked v1 (LINUX_SLL, 113), snapshot length 262144"),
            "{}",
            r.all()
        );
        let first = dump_of(&r.stdout, 1);
        assert!(
            first.contains("  link · Linux cooked v1 · bytes 0–15\n"),
            "{first}"
        );
        assert!(
            first.contains("↳ to this host, from 00:00:00:00:00:00, type 0x0800 (IPv4)"),
            "{first}"
        );
        assert!(matches(
            &packet(&r.stdout, 1).unwrap()[16..],
            &pattern(POST)
        ));

        let (dir, f) = fixture("any-sll2-ns.pcap");
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stderr.contains("pcap, nanosecond timestamps"),
            "{}",
            r.all()
        );
        let first = dump_of(&r.stdout, 1);
        assert!(
            first.starts_with(
                "#1 · 2026-11-27 06:21:41.431377109 UTC · 50 bytes · Linux cooked v2\n"
            ),
            "{first}"
        );
        assert!(
            first.contains("  link · Linux cooked v2 · bytes 0–19\n"),
            "{first}"
        );
        assert!(
            first.contains(
                "↳ to this host, interface 1, from 00:00:00:00:00:00, type 0x0800 (IPv4)"
            ),
            "{first}"
        );
        assert!(matches(
            &packet(&r.stdout, 1).unwrap()[20..],
            &pattern(POST)
        ));
    }
}

#[test]
fn pcapng_with_two_interfaces_of_different_link_types() {
    for user in users() {
        let (dir, f) = fixture("lo-any.pcapng");
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert_eq!(
            r.stderr,
            format!(
                "reading from {}: pcapng\n  interface 0 (lo): Ethernet (EN10MB, 1), snapshot length 262144\n  interface 1 (any): Linux cooked v1 (LINUX_SLL, 113), snapshot length 262144\n",
                f.display()
            )
        );
        assert_eq!(r.stdout.lines().filter(|l| l.starts_with('#')).count(), 64);
        assert!(
            r.stdout.contains(
                "#1 · 2026-11-27 06:21:41.431377109 UTC · 44 bytes · Ethernet on interface 0\n"
            ),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(
                "#3 · 2026-11-27 06:21:41.431377109 UTC · 46 bytes · Linux cooked v1 on interface 1\n"
            ),
            "{}",
            r.all()
        );
        // The same request, reached through either link header.
        assert!(matches(
            &packet(&r.stdout, 1).unwrap()[14..],
            &pattern(POST)
        ));
        assert!(matches(
            &packet(&r.stdout, 3).unwrap()[16..],
            &pattern(POST)
        ));
    }
}

#[test]
fn json_lines_with_wireshark_names_and_raw_values() {
    for user in users() {
        for name in FIXTURES {
            let (dir, f) = fixture(name);
            let r = read(user, &f, &dir, &["--format", "json"]);
            assert_eq!(r.code, 0, "{name}: {}", r.all());
            let lines = json_lines(&r.stdout);
            let want = if name.ends_with("pcapng") { 64 } else { 32 };
            assert_eq!(lines.len(), want, "{name}");
            for (i, p) in lines.iter().enumerate() {
                assert_eq!(p["number"], i as u64 + 1, "{name}");
                assert_eq!(
                    p["captured_length"], p["original_length"],
                    "{name}: nothing was cut"
                );
                assert!(p["problems"].as_array().unwrap().is_empty(), "{name}: {p}");
            }
            let p = &lines[0];
            assert_eq!(
                p["time_epoch"].as_str().unwrap()[..17],
                *"1795760501.431377"
            );
            assert!(
                p["timestamp"]
                    .as_str()
                    .unwrap()
                    .starts_with("2026-11-27T06:21:41.431377"),
                "{p}"
            );
            let start = match name {
                "lo.pcap" | "lo-any.pcapng" => 14,
                "any-sll.pcap" => 16,
                _ => 20,
            };
            let ip_layer = p["layers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["protocol"] == "ip")
                .unwrap_or_else(|| panic!("{name}: no ip layer in {p}"));
            assert_eq!(ip_layer["offset"], start, "{name}");
            let ip = &ip_layer["fields"];
            assert_eq!(ip["ip.version"], 4);
            assert_eq!(ip["ip.hdr_len"], 20);
            assert_eq!(ip["ip.len"], 30);
            assert_eq!(ip["ip.ttl"], 64);
            assert_eq!(ip["ip.proto"], 1);
            assert_eq!(ip["ip.src"], "127.0.0.1");
            assert_eq!(ip["ip.dst"], "127.0.0.1");
            assert!(ip["ip.checksum"].is_u64());
            assert_eq!(ip_layer["checks"]["ip.checksum"]["correct"], true);
            let icmp = p["layers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["protocol"] == "icmp")
                .unwrap();
            assert_eq!(icmp["fields"]["icmp.type"], 8);
            assert_eq!(icmp["fields"]["icmp.checksum"], 0x3721);
            assert_eq!(p["data"], "c0de");
            if name.contains("sll") {
                // A cooked header no table reads: the link member holds it.
                assert_eq!(p["link"]["length"], start, "{name}: {p}");
                assert_eq!(p["link"]["header"].as_str().unwrap().len(), start * 2);
            } else {
                assert_eq!(p["link"], Value::Null, "{name}: {p}");
                assert_eq!(p["layers"][0]["protocol"], "eth", "{name}: {p}");
                assert_eq!(p["layers"][0]["fields"]["eth.type"], 0x0800);
            }
            let link = match name {
                "lo.pcap" | "lo-any.pcapng" => 1,
                "any-sll.pcap" => 113,
                _ => 276,
            };
            assert_eq!(p["linktype"], link, "{name}");
        }
    }
}

#[test]
fn a_packet_no_table_reads_is_data_with_a_reason() {
    // Raw IP whose version nibble is 5: neither IPv4 nor IPv6, whatever tables exist.
    let mut w = Writer::new(Vec::new(), LinkType::RAW, Resolution::Micro).unwrap();
    w.write(UNIX_EPOCH, &[0x55, 0, 0, 8, 1, 2, 3, 4]).unwrap();
    let (dir, f) = file_with("v5.pcap", &w.finish().unwrap());
    for user in users() {
        let r = read(user, &f, &dir, &["--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        let p = &json_lines(&r.stdout)[0];
        assert_eq!(p["layers"], serde_json::json!([]));
        assert_eq!(p["data"], "5500000801020304");
        assert_eq!(
            p["note"],
            "a raw IP frame whose version nibble is 5, neither 4 nor 6; shown as data"
        );
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let d = squeeze(&dump_of(&r.stdout, 1));
        assert!(
            d.contains("a raw IP frame whose version nibble is 5, neither 4 nor 6; shown as data"),
            "{d}"
        );
        assert!(
            d.contains("data.data 8 bytes 55 00 00 08 01 02 03 04"),
            "{d}"
        );
    }
}

/// A raw-IP pcap of `n` copies of the post's request, one millisecond apart.
fn many(n: usize, payload: usize) -> Vec<u8> {
    let mut ip = vec![
        0x45, 0x00, 0x00, 0x00, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    ip.extend(std::iter::repeat_n(0xc0u8, payload));
    let len = ip.len() as u16;
    ip[2..4].copy_from_slice(&len.to_be_bytes());
    let mut w = Writer::new(Vec::new(), LinkType::RAW, Resolution::Nano).unwrap();
    for i in 0..n {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(i as u64);
        w.write(t, &ip).unwrap();
    }
    w.finish().unwrap()
}

/// Runs `rawlab read FILE ARGS`, reads `keep` bytes of its output and closes the pipe,
/// as `| head -c keep` would. Returns the exit code and stderr.
fn read_then_hang_up(file: &Path, args: &[&str], keep: usize) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rawlab"))
        .arg("read")
        .arg(file)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; keep];
    out.read_exact(&mut buf).unwrap();
    drop(out);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("rawlab read kept running after its reader left");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), err)
}

#[test]
fn piped_into_head_it_ends_quietly() {
    let (_dir, f) = file_with("many.pcap", &many(3000, 2));
    for format in ["text", "json"] {
        let (code, err) = read_then_hang_up(&f, &["--format", format], 100);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(!err.contains("panicked"), "{format}: {err}");
        assert!(
            !err.to_lowercase().contains("broken pipe"),
            "{format}: {err}"
        );
    }
}

#[test]
fn a_big_file_is_read_in_constant_memory() {
    // 160 packets of 256 KiB: a 40 MiB file, read with a buffer a fraction of that.
    let (_dir, f) = file_with("big.pcap", &many(160, 262_144 - 28));
    assert!(std::fs::metadata(&f).unwrap().len() > 40 << 20);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rawlab"))
        .args(["read", "--format", "json"])
        .arg(&f)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        // The kernel keeps the high-water mark: the last reading before exit is the peak.
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(kib) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "too slow");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(status.success());
    assert!(peak_kib > 0, "no reading of the peak");
    assert!(
        peak_kib < 32 * 1024,
        "peak resident memory {peak_kib} KiB for a 40 MiB file"
    );
}

#[test]
fn a_file_that_is_no_capture_is_named_and_explained() {
    for user in users() {
        let (dir, f) = file_with("notes.pcap", b"send\nset ttl 1\n");
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 1, "{}", r.all());
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            format!(
                "rawlab: {}: not a pcap or pcapng file: magic 0x73656e64 at byte 0\n  = it looks like text; a hex dump can be turned into a pcap with `text2pcap`\n",
                f.display()
            )
        );
        let (dir, f) = file_with("empty.pcap", b"");
        let r = read(user, &f, &dir, &["--format", "json"]);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr.contains(
                "empty file: it has no pcap or pcapng header at byte 0\n  = a pcap file starts with a 24-byte header"
            ),
            "{}",
            r.all()
        );
        let r = run(user, &["read".into(), "missing.pcap".into()], &scratch());
        assert_eq!(r.code, 1, "{}", r.all());
        assert_eq!(
            r.stderr,
            "rawlab: cannot read missing.pcap: No such file or directory\n"
        );
    }
}

/// `rawlab raed FILE` would be taken for a script that is not there; rawlab names the
/// subcommand meant instead, before making any network.
#[test]
fn a_mistyped_subcommand_is_named() {
    for user in users() {
        let r = run(user, &["raed".into(), "x.pcap".into()], &scratch());
        assert_eq!(r.code, 2, "{}", r.all());
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            "rawlab: there is no script `raed` here, and `raed` is not a subcommand: did you mean `rawlab read …`? (`rawlab --help` lists them)\n"
        );
    }
}

#[test]
fn a_truncated_capture_shows_what_came_before() {
    let orig = std::fs::read(fixture("lo.pcap").1).unwrap();
    let offsets = record_offsets(&orig);
    let last = *offsets.last().unwrap();
    let cut = &orig[..orig.len() - 10];
    for user in users() {
        let (dir, f) = file_with("cut.pcap", cut);
        for format in ["text", "json"] {
            let r = read(user, &f, &dir, &["--format", format]);
            assert_eq!(r.code, 1, "{}", r.all());
            let shown = if format == "json" {
                json_lines(&r.stdout).len()
            } else {
                r.stdout.lines().filter(|l| l.starts_with('#')).count()
            };
            assert_eq!(shown, 31, "{}", r.all());
            let caplen = orig.len() - last - 16;
            assert!(
                r.stderr.contains(&format!(
                    "rawlab: {}: packet 32 at byte {last}: truncated record: its header says {caplen} captured bytes follow, the file has {}\n",
                    f.display(),
                    caplen - 10
                )),
                "{}",
                r.all()
            );
            assert!(
                r.stderr.contains(
                    "  = the file ends in the middle of a record: the capture was probably cut off"
                ),
                "{}",
                r.all()
            );
            assert!(
                r.stderr.contains("  the 31 packets before it are shown\n"),
                "{}",
                r.all()
            );
        }
    }
}

#[test]
fn a_record_that_claims_more_than_the_snapshot_length() {
    let mut bytes = std::fs::read(fixture("lo.pcap").1).unwrap();
    let third = record_offsets(&bytes)[2];
    bytes[third + 8..third + 12].copy_from_slice(&300_000u32.to_le_bytes());
    for user in users() {
        let (dir, f) = file_with("lies.pcap", &bytes);
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 1, "{}", r.all());
        assert_eq!(r.stdout.lines().filter(|l| l.starts_with('#')).count(), 2);
        assert!(
            r.stderr.contains(&format!(
                "packet 3 at byte {third}: captured length 300000 exceeds the snapshot length 262144\n"
            )),
            "{}",
            r.all()
        );
        assert!(
            r.stderr.contains("this record's header is damaged"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn bsd_loopback_and_raw_ip_written_by_rawlab() {
    let ip = many(1, 2)[24 + 16..].to_vec();
    for (link, header, title) in [
        (LinkType::NULL, vec![2u8, 0, 0, 0], "BSD loopback"),
        (LinkType::LOOP, vec![0u8, 0, 0, 2], "OpenBSD loopback"),
        (LinkType::RAW, vec![], "raw IP"),
    ] {
        let mut frame = header.clone();
        frame.extend(&ip);
        let mut w = Writer::new(Vec::new(), link, Resolution::Micro).unwrap();
        w.write(UNIX_EPOCH + Duration::from_secs(86_400), &frame)
            .unwrap();
        let (dir, f) = file_with("loop.pcap", &w.finish().unwrap());
        for user in users() {
            let r = read(user, &f, &dir, &[]);
            assert_eq!(r.code, 0, "{}", r.all());
            let d = dump_of(&r.stdout, 1);
            assert!(
                d.starts_with(&format!(
                    "#1 · 1970-01-02 00:00:00.000000 UTC · {} bytes · {title}\n",
                    frame.len()
                )),
                "{d}"
            );
            assert!(d.contains("ICMP echo-request id 0 seq 0"), "{d}");
            if header.is_empty() {
                assert!(!d.contains("link ·"), "{d}");
            } else {
                assert!(
                    d.contains(&format!("  link · {title} · bytes 0–3\n")),
                    "{d}"
                );
                assert!(d.contains("↳ address family 2 (IPv4)"), "{d}");
            }
        }
    }
}

#[test]
fn read_from_standard_input() {
    let (_dir, f) = fixture("lo.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_rawlab"))
        .args(["read", "-", "--format", "json"])
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        json_lines(&String::from_utf8(out.stdout).unwrap()).len(),
        32
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("reading from -: pcap, microsecond"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn colour_when_asked_and_never_for_json() {
    let (dir, f) = fixture("lo.pcap");
    let r = read(User::Me, &f, &dir, &["--color", "always"]);
    assert!(r.stdout.contains("\x1b["), "{}", r.all());
    let r = run(
        User::Me,
        &[
            "--color".into(),
            "always".into(),
            "read".into(),
            f.display().to_string(),
            "--format".into(),
            "json".into(),
        ],
        &dir,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains('\x1b'), "JSON is never coloured");
    json_lines(&r.stdout);
}

#[test]
fn read_refuses_what_it_cannot_use() {
    let (dir, f) = fixture("lo.pcap");
    let r = run(
        User::Me,
        &["--sandbox".into(), "read".into(), f.display().to_string()],
        &dir,
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr
            .contains("--sandbox is for sessions and scripts; a subcommand opens no socket and runs no script: drop it"),
        "{}",
        r.all()
    );
    let r = run(User::Me, &["read".into()], &dir);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("<FILE>"), "{}", r.all());
    let r = run(
        User::Me,
        &[
            "read".into(),
            f.display().to_string(),
            "--format".into(),
            "xml".into(),
        ],
        &dir,
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains("[possible values: text, json, brief]"),
        "{}",
        r.all()
    );
}

/// A file of many batches (rawlab draws them on several threads) comes out whole and in
/// file order, as text and as JSON, and damage after them still shows what came before.
#[test]
fn many_packets_come_out_in_order() {
    let bytes = many(2000, 6);
    let (dir, f) = file_with("many.pcap", &bytes);
    // Cut inside the last record: 1999 whole packets, then the damage.
    let (_cut_dir, cut) = file_with("cut.pcap", &bytes[..bytes.len() - 3]);
    for user in users() {
        let r = read(user, &f, &dir, &["--color", "never"]);
        assert_eq!(r.code, 0, "{}", r.all());
        let numbers: Vec<u64> = r
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix('#'))
            .map(|l| l.split(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(numbers, (1..=2000).collect::<Vec<u64>>(), "{user:?}");
        let r = read(user, &f, &dir, &["--format", "json"]);
        let numbers: Vec<u64> = r
            .stdout
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["number"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(numbers, (1..=2000).collect::<Vec<u64>>(), "{user:?}");
        let r = read(user, &cut, &dir, &["--color", "never"]);
        assert_eq!(r.code, 1, "{}", r.all());
        assert_eq!(
            r.stdout.lines().filter(|l| l.starts_with('#')).count(),
            1999
        );
        assert!(
            r.stdout
                .lines()
                .rev()
                .find(|l| l.starts_with('#'))
                .unwrap()
                .starts_with("#1999 ")
        );
        assert!(r.stderr.contains("packet 2000 at byte"), "{}", r.stderr);
        assert!(
            r.stderr.contains("the 1999 packets before it are shown"),
            "{}",
            r.stderr
        );
    }
}

/// A pcapng whose packets' times are not the file's own: one stamped past any date
/// (u64::MAX seconds), one in a simple packet block, which has no time. `read` says
/// so under each dump and in its JSON; `load` says so once, naming the packets.
#[test]
fn times_a_file_cannot_give_are_said_so() {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend(u64::MAX.to_le_bytes());
    // Raw IP, no snapshot limit, if_tsresol 0 (whole seconds).
    let mut idb = vec![101, 0, 0, 0, 0, 0, 0, 0];
    idb.extend([9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let packet: Vec<u8> = pattern(POST).iter().map(|b| b.unwrap_or(0)).collect();
    let mut epb = vec![0, 0, 0, 0];
    epb.extend(u32::MAX.to_le_bytes());
    epb.extend(u32::MAX.to_le_bytes());
    epb.extend((packet.len() as u32).to_le_bytes());
    epb.extend((packet.len() as u32).to_le_bytes());
    epb.extend(&packet);
    epb.extend([0, 0]);
    let mut spb = (packet.len() as u32).to_le_bytes().to_vec();
    spb.extend(&packet);
    spb.extend([0, 0]);
    let mut file = pcapng_block(0x0a0d_0d0a, &shb);
    file.extend(pcapng_block(1, &idb));
    file.extend(pcapng_block(6, &epb));
    file.extend(pcapng_block(3, &spb));
    let (dir, path) = file_with("times.pcapng", &file);
    for user in users() {
        let r = read(user, &path, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let text = words(&r.stdout);
        assert!(text.contains("9999-12-31"), "{}", r.all());
        assert!(
            text.contains(rawlab::capture::pcap::PAST_9999),
            "{}",
            r.all()
        );
        assert!(text.contains(rawlab::capture::pcap::NO_TIME), "{}", r.all());
        let r = read(user, &path, &dir, &["--format", "json"]);
        let notes: Vec<Option<String>> = json_lines(&r.stdout)
            .iter()
            .map(|v| v["time_note"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            notes,
            [
                Some(rawlab::capture::pcap::PAST_9999.to_string()),
                Some(rawlab::capture::pcap::NO_TIME.to_string())
            ],
            "{}",
            r.all()
        );
        let r = run_script(user, &format!("load {}\n", path.display()), &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let out = words(&r.stdout);
        assert!(
            out.contains(&format!("#1: {}", rawlab::capture::pcap::PAST_9999)),
            "{}",
            r.all()
        );
        assert!(
            out.contains(&format!("#2: {}", rawlab::capture::pcap::NO_TIME)),
            "{}",
            r.all()
        );
    }
}

/// A ping read from a file is related by the engine a session uses: the reply names its
/// request (as tshark's "request in 1" does), with the fields that differ marked where
/// the frame has them, in text and in JSON; the request names nothing.
#[test]
fn a_reply_read_from_a_file_names_its_request() {
    for user in users() {
        let (dir, f) = fixture("lo.pcap");
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let reply = dump_of(&r.stdout, 2);
        assert!(
            reply.contains("\n  reply to #1, 19 µs after it was sent; what differs: ip.id (bytes 18–19), ip.checksum (bytes 24–25), icmp.type (byte 34), icmp.checksum (bytes 36–37)\n"),
            "{reply}"
        );
        let lines: Vec<String> = reply.lines().map(squeeze).collect();
        let ty = lines
            .iter()
            .position(|l| l.starts_with("icmp.type 0 (echo-reply)"))
            .unwrap_or_else(|| panic!("{reply}"));
        assert_eq!(lines[ty + 1], "↳ was 8 (echo-request) in #1", "{reply}");
        let request = dump_of(&r.stdout, 1);
        assert!(
            !request.contains("reply to") && !request.contains('↳'),
            "{request}"
        );

        let r = read(user, &f, &dir, &["--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        let lines = json_lines(&r.stdout);
        assert_eq!(lines[1]["reply_to"], 1, "{}", lines[1]);
        assert_eq!(
            lines[1]["differs"],
            serde_json::json!(["ip.id", "ip.checksum", "icmp.type", "icmp.checksum"])
        );
        assert!(lines[0].get("reply_to").is_none(), "{}", lines[0]);
        assert!(lines[0].get("differs").is_none(), "{}", lines[0]);
        // Every exchange in the file: four pings, two SYNs answered by a SYN-ACK
        // (IPv4 and IPv6), an ICMPv6 echo.
        let pairs: Vec<(u64, u64)> = lines
            .iter()
            .filter_map(|p| Some((p["number"].as_u64()?, p["reply_to"].as_u64()?)))
            .collect();
        assert_eq!(
            pairs,
            [(2, 1), (4, 3), (6, 5), (8, 7), (12, 11), (22, 21), (32, 31)]
        );
    }
}

/// An ICMP error read from a file names the datagram it quotes, in text and in JSON.
#[test]
fn an_error_read_from_a_file_names_the_datagram_it_quotes() {
    // Linux's answer on lo to "hi" sent from port 40000 to port 9, where nothing listens.
    const DATAGRAM: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x73, 0x71, 0x40, 0x00, 0x40, 0x11, 0xc9, 0x5b, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x00, 0x09, 0x00, 0x0a, 0xfe, 0x1d, 0x68, 0x69,
    ];
    let mut unreachable = vec![
        0x45, 0xc0, 0x00, 0x3a, 0x9e, 0x1b, 0x00, 0x00, 0x40, 0x01, 0xdd, 0xe5, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x03, 0x03, 0xfa, 0x21, 0x00, 0x00, 0x00, 0x00,
    ];
    unreachable.extend(DATAGRAM);
    // Another datagram between them, from another port: not the one quoted.
    let mut other = DATAGRAM;
    other[21] = 0x41;
    other[26..28].copy_from_slice(&[0xfe, 0x1c]);
    let mut w = Writer::new(Vec::new(), LinkType::RAW, Resolution::Micro).unwrap();
    let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    w.write(t, &DATAGRAM).unwrap();
    w.write(t + Duration::from_micros(10), &other).unwrap();
    w.write(t + Duration::from_micros(30), &unreachable)
        .unwrap();
    let (dir, f) = file_with("unreachable.pcap", &w.finish().unwrap());
    for user in users() {
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let error = dump_of(&r.stdout, 3);
        assert!(
            error.contains("\n  an error about #1: it quotes the whole of it, 30 bytes; no socket on 127.0.0.1 listens on the port it was sent to, so its kernel refused it\n"),
            "{error}"
        );
        assert!(!r.stdout.contains("an error about #2"), "{}", r.stdout);
        let r = read(user, &f, &dir, &["--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        let lines = json_lines(&r.stdout);
        assert_eq!(lines[2]["error_about"], 1, "{}", lines[2]);
        assert_eq!(lines[2]["quoted_length"], 30, "{}", lines[2]);
        for p in &lines[..2] {
            assert!(p.get("error_about").is_none(), "{p}");
        }
    }
}

/// Relating runs batch by batch on several drawing threads, and each batch waits for the
/// one before it: an exchange split between two batches (packets 256 and 257 of a
/// file of 256-packet batches) is related like every other, and every reply names the
/// request just before it, in a file of many batches.
#[test]
fn exchanges_across_batches_are_related_in_file_order() {
    let request: Vec<u8> = pattern(POST).iter().map(|b| b.unwrap_or(0)).collect();
    let mut reply = request.clone();
    reply[20] = 0;
    reply[22] = 0x3f;
    let mut w = Writer::new(Vec::new(), LinkType::RAW, Resolution::Micro).unwrap();
    let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    // An unanswered request first, so the exchanges straddle each batch's end.
    w.write(t, &many(1, 2)[24 + 16..]).unwrap();
    for seq in 0..1000u16 {
        let (mut q, mut a) = (request.clone(), reply.clone());
        q[26..28].copy_from_slice(&seq.to_be_bytes());
        a[26..28].copy_from_slice(&seq.to_be_bytes());
        let at = t + Duration::from_millis(u64::from(seq) + 1);
        w.write(at, &q).unwrap();
        w.write(at + Duration::from_micros(20), &a).unwrap();
    }
    let (dir, f) = file_with("exchanges.pcap", &w.finish().unwrap());
    for user in users() {
        let r = read(user, &f, &dir, &["--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        let lines = json_lines(&r.stdout);
        assert_eq!(lines.len(), 2001);
        for p in &lines {
            let no = p["number"].as_u64().unwrap();
            match p.get("reply_to") {
                Some(to) if no % 2 == 1 && no > 1 => assert_eq!(to, no - 1, "{p}"),
                None if no % 2 == 0 || no == 1 => {}
                other => panic!("#{no}: reply_to {other:?}"),
            }
        }
        let r = read(user, &f, &dir, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            dump_of(&r.stdout, 257).contains("\n  reply to #256, 20 µs after it was sent;"),
            "{}",
            dump_of(&r.stdout, 257)
        );
    }
}

/// `--brief` prints one line per packet, as tcpdump's default does, with the relation
/// at the end: as many lines as JSON has objects, and each reply names its request.
#[test]
fn brief_is_one_line_a_packet_with_its_relation() {
    for user in users() {
        for name in FIXTURES {
            let (dir, path) = fixture(name);
            let p = path.to_string_lossy().into_owned();
            let brief = run(user, &["read".into(), p.clone(), "--brief".into()], &dir);
            assert_eq!(brief.code, 0, "{name}: {}", brief.stderr);
            let json = run(
                user,
                &["read".into(), p, "--format".into(), "json".into()],
                &dir,
            );
            let objects: Vec<Value> = json
                .stdout
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let lines: Vec<&str> = brief.stdout.lines().collect();
            assert_eq!(lines.len(), objects.len(), "{name}:\n{}", brief.stdout);
            for (line, o) in lines.iter().zip(&objects) {
                let no = o["number"].as_u64().unwrap();
                assert!(line.starts_with(&format!("#{no} ")), "{name}: {line}");
                match o.get("reply_to").and_then(Value::as_u64) {
                    Some(r) => assert!(line.ends_with(&format!("reply to #{r}")), "{line}"),
                    None => assert!(!line.contains("reply to"), "{line}"),
                }
            }
            assert!(
                lines.iter().any(|l| l.contains("ICMP echo-reply")),
                "{name}"
            );
        }
    }
}

/// `--packets` shows the packets named (a reply still names its request, which is not
/// shown), `-c` stops after N, and a backwards range is refused with the fix.
#[test]
fn packets_and_count_choose_what_is_shown() {
    for user in users() {
        let (dir, path) = fixture("lo.pcap");
        let p = path.to_string_lossy().into_owned();
        let args = |more: &[&str]| {
            let mut a = vec!["read".to_string(), p.clone(), "--brief".into()];
            a.extend(more.iter().map(|s| s.to_string()));
            a
        };
        let some = run(user, &args(&["--packets", "2-3,6"]), &dir);
        let numbers: Vec<&str> = some
            .stdout
            .lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(numbers, ["#2", "#3", "#6"], "{}", some.stdout);
        assert!(some.stdout.lines().next().unwrap().ends_with("reply to #1"));
        let two = run(user, &args(&["-c", "2"]), &dir);
        assert_eq!(two.stdout.lines().count(), 2, "{}", two.stdout);
        let bad = run(user, &args(&["--packets", "5-2"]), &dir);
        assert_eq!(bad.code, 2);
        assert!(bad.stderr.contains("write 2-5"), "{}", bad.stderr);
        let zero = run(user, &args(&["--packets", "0"]), &dir);
        assert!(
            zero.stderr.contains("not a packet number"),
            "{}",
            zero.stderr
        );
    }
}
