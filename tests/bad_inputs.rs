//! Bad input, typed at the prompt: every line here must get a clear error
//! (what, where with a caret, what would do, a guess) and leave the session
//! exactly as it was. The expected messages are in tests/golden/bad_inputs.txt;
//! run with UPDATE_GOLDEN=1 to rewrite it after a deliberate change, then read
//! the diff.

use rawlab::net::Net;
use rawlab::render::Style;
use rawlab::session::Session;
use std::time::SystemTime;

const BAD: &[&str] = &[
    // Commands
    "sned",
    "SEND x",
    "shwo",
    "lisen icmp",
    "\"show\"",
    "ß✓",
    "\u{1}\u{2}\u{7f}",
    "show me",
    "hex 12",
    "captures 3",
    "clear all",
    "reset now",
    "quit now",
    "help sendd",
    "help me now",
    // set
    "set",
    "set ttl",
    "set tll 64",
    "set ttl 256",
    "set ttl -1",
    "set ttl abc",
    "set ttl 0x1ff",
    "set ttl 1.5",
    "set ttl \"64\"",
    "set ttl 64 65",
    "set checksum 1",
    "set src localhost",
    "set src 300.1.1.1",
    "set src 127.0.0",
    "set dst ::1",
    "set icmp.type echo-rply",
    "set df 2",
    "set ihl 21",
    "set ihl 64",
    "set ip.options 010203",
    "set ip.options zz",
    "set ip.options 01",
    "set timeout",
    "set timeout 5",
    "set timeout fast",
    "set ttl 99999999999999999999999999999999999999999",
    "set tcp.srcport 80",
    // expect reply … request, expect reply like …
    "expect reply like",
    "expect reply like icmp.type, icmp.code 0",
    "expect reply like icmp.type 0 icmp.code 0",
    "expect reply like icmp.type == 0",
    "expect reply like icmp.type 0,",
    "expect reply like icmp.type 0, icmp.type 8",
    "expect reply like icmp.typ 0",
    "expect reply ip.src == request icmp.type",
    "expect reply data < request",
    "expect refused EINVALL",
    "expect captured by lnk 2",
    "expect counted Icpm InCsumErrors 1",
    "expect counted Icmp In-Errors 1",
    // predict, tasks
    "predict how many -> captured",
    "predict \"How many?\" captured",
    "predict \"How many?\" -> captur",
    "predict \"TTL?\" -> reply tll",
    "task goal",
    "end lesson",
    "give in",
    // unset
    "unset",
    "unset foo",
    // payload
    "payload",
    "payload xyz",
    "payload c0d",
    "payload \"abc",
    "payload \"a\\qb\"",
    "payload zeros",
    "payload zeros many",
    "payload zeros 70000",
    "payload zeros 65508",
    "payload time now",
    "payload \"a\" \"b\"",
    // new and mode
    "new",
    "new ip/icmpp",
    "new icmp",
    "new udp/ip",
    "new ip/icmp/icmp",
    "new ip/udp/ip",
    "new ip/tcp/ip/tcp",
    "set quoted.ip.src 127.0.0.1",
    "mode",
    "mode rwa",
    "mode raw extra",
    // send, ping, trigger
    "send count",
    // Fragments: a size that holds none, a template with nothing to cut, a fragment
    // past the count (none are made), order with nothing fragmented.
    "fragment 0",
    "fragment 27",
    "fragment big",
    "fragment 1500",
    "fragments 2",
    "fragments 0",
    "send order 0",
    "send order 2 1",
    "send order",
    "send count 0",
    "send count many",
    "send count 1000000",
    "send every",
    "send every 5",
    "send every 2m",
    "send 127.0.0.1 127.0.0.2",
    "send localhost",
    "send 1.2.3.4.5",
    "send cuont 3",
    "send count 2 count 3",
    "send 0x7f000001",
    "send 127.1",
    "ping",
    "ping localhost",
    "ping 127.0.0.1 count 0",
    "ping count 3",
    "trigger",
    "trigger pong",
    "trigger ping",
    // the link layer
    "new arp",
    "new eth/icmp",
    "new eth/arp/ip",
    "set eth.dst 02:72:61:77:00:02",
    "mode link a/b",
    "mode link averyveryverylongname",
    "mode link veth0 lo",
    "listen link lo twice",
    "listen link lo once lo",
    "listen link \"lo\"",
    "ifaces now",
    // listen, wait
    "listen",
    "listen tcpp",
    "listen proto",
    "listen proto 256",
    "listen proto x",
    "wait",
    "wait 200",
    "wait 11m",
    "wait 1h",
    "wait 2sec",
    // packets that are not there
    "dump",
    "dump x",
    "dump 0",
    "dump 5",
    "dump #7",
    "diff 1",
    "diff a b",
    "diff 1 2",
    // explain
    "explain",
    "explain foo",
    "explain checksum",
    // save and load, before any packet is kept
    "save",
    "save!",
    "load",
    "save 3",
    "save \"\"",
    "save x.pcap 5-2",
    "save x.pcap abc",
    "save x.pcap \"3\"",
    "load -",
    "load a.pcap b.pcap",
    "save x.pcap",
];

/// Files that save and load refuse, run once the session keeps packets (those of
/// tests/fixtures/lo.pcap); paths are relative to the crate, where cargo runs tests.
const BAD_FILES: &[&str] = &[
    "save /nonexistent-dir/x.pcap",
    "load /nonexistent-dir/x.pcap",
    "save tests/fixtures/lo.pcap",
    "save tests/fixtures/lo.pcap 1-3",
    "load Cargo.toml",
    "load tests/fixtures/cut-short.pcap",
    "load tests/fixtures/lo.pcapp",
    "save tests/fixtures",
    "save! tests/fixtures",
    "load tests/fixtures",
    "save x.pcap 40",
    "save x.pcap 30-40",
];

/// Everything a bad line must leave alone.
fn state(s: &Session) -> (Vec<u8>, String, std::time::Duration, usize) {
    let bytes = s.template.build(SystemTime::UNIX_EPOCH).bytes;
    (bytes, s.prompt(), s.timeout, s.shower.store.len())
}

fn transcript() -> String {
    let mut s = Session::new(
        Net::Unavailable("no network in this test".into()),
        Style::PLAIN,
    );
    let long = format!("set ttl {}", "9".repeat(10_000));
    let tab = "set\tttl\t300".to_string();
    let mut lines: Vec<String> = BAD.iter().map(|l| l.to_string()).collect();
    lines.push(long);
    lines.push(tab);
    let mut all = String::new();
    let fixture = std::fs::read("tests/fixtures/lo.pcap").unwrap();
    let mut phases = vec![lines];
    phases.push(BAD_FILES.iter().map(|l| l.to_string()).collect());
    for (phase, lines) in phases.iter().enumerate() {
        if phase == 1 {
            let mut out = Vec::new();
            s.run_line("load tests/fixtures/lo.pcap", &mut out).unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out.contains("loaded 32 packets"), "{out}");
        }
        run_bad(&mut s, lines, &mut all);
    }
    assert_eq!(
        std::fs::read("tests/fixtures/lo.pcap").unwrap(),
        fixture,
        "save without ! left the existing file alone"
    );
    assert!(!std::path::Path::new("x.pcap").exists(), "nothing saved");
    // Still usable: a good line works after all that.
    let mut out = Vec::new();
    s.run_line("set ttl 5", &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "ip.ttl = 5 (was 64)\n");
    all
}

fn run_bad(s: &mut Session, lines: &[String], all: &mut String) {
    for line in lines {
        let before = state(s);
        let mut out = Vec::new();
        s.run_line(line, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("error"), "{line:?} got no error:\n{out}");
        assert_eq!(state(s), before, "{line:?} changed the session");
        let shown: String = line.chars().take(80).collect();
        all.push_str(&format!("» {}\n{out}\n", shown.escape_debug()));
    }
}

#[test]
fn every_bad_line_gets_a_clear_error_and_changes_nothing() {
    assert!(BAD.len() >= 60, "the corpus keeps at least 60 bad inputs");
    let got = transcript();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/bad_inputs.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want =
        std::fs::read_to_string(path).expect("golden file (run with UPDATE_GOLDEN=1 to create it)");
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "error messages changed (first difference at line {}):\n got: {:?}\nwant: {:?}\nrun with UPDATE_GOLDEN=1 if the change is meant",
            first + 1,
            got.lines().nth(first),
            want.lines().nth(first)
        );
    }
}
