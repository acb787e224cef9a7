//! Correctness against a peer: rawlab's JSON and tshark's fields, packet by
//! packet, for every field both know. tshark's formats (0x prefixes, booleans)
//! are normalised here, never in rawlab's output. A field rawlab has no table
//! for yet is skipped with a note, and is compared as soon as a table names it.
//!
//! The captures: the committed fixtures (tcpdump and dumpcap on loopback), and
//! one made now: rawlab sends varied pings inside its sandbox, and the packets
//! it captured are written to a pcap with rawlab's own writer.

mod common;
use common::*;
use rawlab::capture::pcap::{LinkType, Resolution, Writer};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// The fields compared, by their Wireshark names: issue 4's list, Ethernet's, the
/// Linux cooked header's, and DNS's (issue 20).
const FIELDS: &[&str] = &[
    "sll.pkttype",
    "sll.hatype",
    "sll.halen",
    "sll.src.eth",
    "sll.etype",
    "sll.ifindex",
    "eth.dst",
    "eth.src",
    "eth.type",
    "ip.version",
    "ip.hdr_len",
    "ip.len",
    "ip.id",
    "ip.flags.df",
    "ip.ttl",
    "ip.proto",
    "ip.checksum",
    "ip.src",
    "ip.dst",
    "icmp.type",
    "icmp.code",
    "icmp.checksum",
    "icmp.ident",
    "icmp.seq",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.checksum",
    "tcp.option_kind",
    "tcp.options.mss_val",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.checksum",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "icmpv6.type",
    "dns.id",
    "dns.flags",
    "dns.flags.response",
    "dns.flags.opcode",
    "dns.flags.authoritative",
    "dns.flags.truncated",
    "dns.flags.recdesired",
    "dns.flags.recavail",
    "dns.flags.z",
    "dns.flags.authenticated",
    "dns.flags.checkdisable",
    "dns.flags.rcode",
    "dns.count.queries",
    "dns.count.answers",
    "dns.count.auth_rr",
    "dns.count.add_rr",
    "dns.qry.name",
    "dns.qry.type",
    "dns.qry.class",
    "dns.resp.name",
    "dns.resp.type",
    "dns.resp.class",
    "dns.resp.ttl",
    "dns.resp.len",
    "dns.a",
    "dns.aaaa",
    "dns.cname",
    "dns.ns",
    "dns.ptr.domain_name",
];

/// Flags Wireshark shows only in a DNS response, though a query has the bits too
/// (rawlab shows every field the bytes hold).
const SHOWN_IN_RESPONSES: &[&str] = &[
    "dns.flags.authoritative",
    "dns.flags.recavail",
    "dns.flags.authenticated",
    "dns.flags.rcode",
];

/// A value from either side, in one form: numbers as numbers, addresses canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Norm {
    Num(u128),
    Text(String),
}

impl std::fmt::Display for Norm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Norm::Num(n) => write!(f, "{n}"),
            Norm::Text(s) => write!(f, "{s}"),
        }
    }
}

fn text(s: &str) -> Norm {
    match s.parse::<IpAddr>() {
        Ok(a) => Norm::Text(a.to_string()),
        Err(_) => Norm::Text(s.to_string()),
    }
}

/// tshark writes numbers in decimal or 0x-hex, booleans as 1/0 or True/False.
fn from_tshark(s: &str) -> Norm {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x")
        && let Ok(n) = u128::from_str_radix(h, 16)
    {
        return Norm::Num(n);
    }
    match s {
        "True" | "true" => return Norm::Num(1),
        "False" | "false" => return Norm::Num(0),
        _ => {}
    }
    match s.parse::<u128>() {
        Ok(n) => Norm::Num(n),
        Err(_) => text(s),
    }
}

fn from_rawlab(v: &Value) -> Norm {
    match v {
        Value::Number(n) => Norm::Num(n.as_u64().map_or(0, u128::from)),
        Value::Bool(b) => Norm::Num(u128::from(*b)),
        Value::String(s) => match s.parse::<u128>() {
            Ok(n) => Norm::Num(n),
            Err(_) => text(s),
        },
        other => Norm::Text(other.to_string()),
    }
}

/// A line on the real stderr: the test harness captures `eprintln!`, and a skip or a
/// note must be seen in a plain `cargo test` too.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "tshark comparison: {line}");
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// Every field name rawlab's tables declare, with the protocol (layer) it belongs to.
/// Fields of options and entries, which a table may keep apart from its fixed fields,
/// are added from rawlab's output (`Ours::seen`).
fn rawlab_knows() -> BTreeMap<String, String> {
    let links = rawlab::wire::cooked::ALL.iter().map(|f| {
        let proto = f.name.split('.').next().unwrap();
        (f.name.to_string(), proto.to_string())
    });
    rawlab::wire::PROTOCOLS
        .iter()
        .flat_map(|p| {
            p.all_fields()
                .map(|f| (f.name.to_string(), p.name.to_string()))
        })
        .chain(links)
        .collect()
}

/// One packet as rawlab's JSON gives it: the first value of each field, its layers, and
/// which layer each field was in.
struct Ours {
    fields: BTreeMap<String, Norm>,
    layers: BTreeSet<String>,
    seen: BTreeMap<String, String>,
}

/// Per packet, what rawlab's JSON says.
fn rawlab_fields(file: &Path, dir: &Path) -> Vec<Ours> {
    let r = run(
        User::Me,
        &[
            "read".into(),
            file.display().to_string(),
            "--format".into(),
            "json".into(),
        ],
        dir,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    r.stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let mut fields = BTreeMap::new();
            let mut layers = BTreeSet::new();
            let mut seen = BTreeMap::new();
            // The link header, then each layer's fields, its options' and their
            // entries': the first of each name, as tshark's occurrence=f.
            let mut objects: Vec<(String, &Value)> = Vec::new();
            if let Some(link) = v["link"].as_object() {
                objects.push((link["protocol"].as_str().unwrap().into(), &v["link"]));
            }
            for layer in v["layers"].as_array().unwrap() {
                let proto = layer["protocol"].as_str().unwrap().to_string();
                objects.push((proto.clone(), layer));
                for o in layer["options"].as_array().unwrap() {
                    objects.push((proto.clone(), o));
                    for e in o["entries"].as_array().into_iter().flatten() {
                        objects.push((proto.clone(), e));
                    }
                }
            }
            for (proto, o) in objects {
                for (k, val) in o["fields"].as_object().unwrap() {
                    fields.entry(k.clone()).or_insert_with(|| from_rawlab(val));
                    seen.entry(k.clone()).or_insert_with(|| proto.clone());
                }
                layers.insert(proto);
            }
            Ours {
                fields,
                layers,
                seen,
            }
        })
        .collect()
}

/// One packet as tshark gives it: the first value of each of FIELDS, None when absent.
type Theirs = Vec<Option<Norm>>;

/// Per packet, what tshark says.
fn tshark_fields(tshark: &Path, file: &Path, dir: &Path) -> Vec<Theirs> {
    let mut cmd = Command::new(tshark);
    cmd.args(["-n", "-r"])
        .arg(file)
        .args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"])
        .args(["-e", "frame.number"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    cmd.env("HOME", dir).current_dir(dir);
    let out = run_bounded(cmd, 120);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), FIELDS.len() + 1, "tshark line {l:?}");
            assert_eq!(
                cols[0],
                (i + 1).to_string(),
                "tshark numbers frames in order"
            );
            cols[1..]
                .iter()
                .map(|c| (!c.is_empty()).then(|| from_tshark(c)))
                .collect()
        })
        .collect()
}

/// What rawlab sends in its sandbox for the capture made now: varied fields, both
/// the raw and the kernel-written IP header.
const TRAFFIC: &str = "send
set ttl 3
set ip.dsfield 0xb8
set ip.id 0x4242
set icmp.ident 513
set icmp.seq 7
payload \"abc\"
send
set df 1
set ip.options 01010100
payload zeros 40
send
unset ip.options
set icmp.code 3
send
mode kernel
set icmp.code 0
send
";

/// Runs TRAFFIC in rawlab's sandbox and writes the packets it captured to a raw-IP pcap.
fn capture_made_now(dir: &Path) -> PathBuf {
    let r = run_script(User::Me, TRAFFIC, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let captured: Vec<Vec<u8>> = (1..=40).filter_map(|n| packet(&r.stdout, n)).collect();
    assert!(
        captured.len() >= 8,
        "each send's copy and reply: {}",
        r.all()
    );
    let mut w = Writer::new(Vec::new(), LinkType::RAW, Resolution::Nano).unwrap();
    let t0 = SystemTime::now();
    for (i, p) in captured.iter().enumerate() {
        w.write(t0 + Duration::from_micros(i as u64 * 10), p)
            .unwrap();
    }
    let f = dir.join("sandbox.pcap");
    std::fs::write(&f, w.finish().unwrap()).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    f
}

/// DNS lookups (tests/common's `dns_exchange`, built with rawlab's own template) in a
/// raw-IP pcap written with rawlab's writer.
fn dns_capture(dir: &Path) -> PathBuf {
    let mut w = Writer::new(Vec::new(), LinkType::RAW, Resolution::Micro).unwrap();
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
    for (i, p) in dns_exchange().iter().enumerate() {
        w.write(t0 + Duration::from_millis(i as u64 * 3), p)
            .unwrap();
    }
    let f = dir.join("dns.pcap");
    std::fs::write(&f, w.finish().unwrap()).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    f
}

#[test]
fn rawlab_and_tshark_agree_field_by_field() {
    let Some(tshark) = which("tshark") else {
        say(
            "SKIPPED: tshark is not installed, so rawlab cannot be compared with it here (CI installs it: see .ci/run; `apt-get install tshark`)",
        );
        return;
    };
    let dir = scratch();
    let mut files: Vec<PathBuf> = [
        "lo.pcap",
        "any-sll.pcap",
        "any-sll2-ns.pcap",
        "lo-any.pcapng",
    ]
    .iter()
    .map(|n| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(n)
    })
    .collect();
    files.push(capture_made_now(&dir));
    files.push(dns_capture(&dir));
    let both: Vec<(Vec<Ours>, Vec<Theirs>)> = files
        .iter()
        .map(|f| (rawlab_fields(f, &dir), tshark_fields(&tshark, f, &dir)))
        .collect();
    let mut knows = rawlab_knows();
    for ours in both.iter().flat_map(|(o, _)| o) {
        for (f, p) in &ours.seen {
            knows.entry(f.clone()).or_insert_with(|| p.clone());
        }
    }
    let (compared, not_yet): (Vec<&str>, Vec<&str>) =
        FIELDS.iter().partition(|f| knows.contains_key(**f));
    if !not_yet.is_empty() {
        say(&format!(
            "not compared, rawlab has no table for them yet: {}",
            not_yet.join(", ")
        ));
    }

    let mut differences = Vec::new();
    let mut values = 0usize;
    let mut per_field: BTreeMap<&str, usize> = BTreeMap::new();
    // tshark shows the field where rawlab did not take the packet that far (no table yet
    // for a layer before it, or Wireshark's habit of naming IPv6's version ip.version).
    let mut not_reached: BTreeMap<&str, usize> = BTreeMap::new();
    for (file, (ours, theirs)) in files.iter().zip(&both) {
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{}: rawlab and tshark count different packets",
            file.display()
        );
        let name = file.file_name().unwrap().to_string_lossy();
        for (i, (o, t)) in ours.iter().zip(theirs.iter()).enumerate() {
            for (col, field) in FIELDS.iter().enumerate() {
                if !compared.contains(field) {
                    continue;
                }
                let mine = o.fields.get(*field);
                match (mine, &t[col]) {
                    (None, None) => {}
                    (None, Some(_)) if !o.layers.contains(&knows[*field]) => {
                        *not_reached.entry(field).or_default() += 1;
                    }
                    (Some(_), None)
                        if SHOWN_IN_RESPONSES.contains(field)
                            && o.fields.get("dns.flags.response") == Some(&Norm::Num(0)) => {}
                    (Some(a), Some(b)) if a == b => {
                        values += 1;
                        *per_field.entry(field).or_default() += 1;
                    }
                    (a, b) => differences.push(format!(
                        "{name} packet {}: {field}: rawlab {}, tshark {}",
                        i + 1,
                        a.map_or("(none)".to_string(), |v| v.to_string()),
                        b.as_ref().map_or("(none)".to_string(), |v| v.to_string()),
                    )),
                }
            }
        }
    }
    say(&format!(
        "compared {values} values in {} files; per field: {per_field:?}",
        files.len()
    ));
    if !not_reached.is_empty() {
        say(&format!(
            "packets where tshark shows a field whose layer rawlab did not reach: {not_reached:?}"
        ));
    }
    assert!(
        differences.is_empty(),
        "{} differences between rawlab and tshark:\n{}",
        differences.len(),
        differences.join("\n")
    );
    // Every field rawlab knows was met in these captures and agreed at least once.
    for field in &compared {
        assert!(
            per_field.get(field).is_some_and(|n| *n > 0),
            "{field} was never compared: the captures lack it, or rawlab never shows it"
        );
    }
}

#[test]
fn normalising_tsharks_formats() {
    assert_eq!(from_tshark("0x8d36"), Norm::Num(0x8d36));
    assert_eq!(from_tshark("0x00000002"), Norm::Num(2));
    assert_eq!(from_tshark("64"), Norm::Num(64));
    assert_eq!(from_tshark("True"), Norm::Num(1));
    assert_eq!(from_tshark("0"), Norm::Num(0));
    assert_eq!(from_tshark("127.0.0.1"), Norm::Text("127.0.0.1".into()));
    assert_eq!(
        from_tshark("0:0:0:0:0:0:0:1"),
        from_rawlab(&Value::from("::1"))
    );
    assert_eq!(from_rawlab(&Value::from(20u64)), Norm::Num(20));
}

/// `read --filter` chooses the same packets as tshark's display filter `-Y`, for a
/// table of expressions over the fixtures.
/// The packets `rawlab read --filter e` and `tshark -Y e` choose from `f`, by number.
fn chosen(tshark: &Path, f: &Path, e: &str, dir: &Path) -> (Vec<String>, Vec<String>) {
    let ours = run(
        User::Me,
        &[
            "read".into(),
            f.display().to_string(),
            "--brief".into(),
            "--filter".into(),
            e.into(),
        ],
        dir,
    );
    assert_eq!(ours.code, 0, "{} {e}: {}", f.display(), ours.stderr);
    let ours = ours
        .stdout
        .lines()
        .map(|l| {
            l.split(' ')
                .next()
                .unwrap()
                .trim_start_matches('#')
                .to_string()
        })
        .collect();
    let theirs = Command::new(tshark)
        .args(["-r"])
        .arg(f)
        .args(["-Y", e, "-T", "fields", "-e", "frame.number"])
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(theirs.status.success(), "tshark -Y {e}");
    let theirs = String::from_utf8_lossy(&theirs.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    (ours, theirs)
}

#[test]
fn filters_agree_with_tshark() {
    let Some(tshark) = which("tshark") else {
        say("SKIPPED: tshark is not installed (CI installs it: see .ci/run)");
        return;
    };
    let dir = scratch();
    let exprs = [
        "icmp",
        "udp",
        "not icmp",
        "ipv6 or udp",
        "icmp.type == 0",
        "icmp.type == 8 and ip.ttl == 9",
        "ip.ttl >= 64 and not ipv6",
        "(udp or tcp) and ip.src == 127.0.0.1",
        "icmp.seq != 0",
        "tcp.flags.syn == 1 and tcp.flags.ack == 0",
        "udp.dstport == 9999",
    ];
    let mut compared = 0;
    for name in ["lo.pcap", "any-sll.pcap", "lo-any.pcapng"] {
        let f = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        for e in exprs {
            let (ours, theirs) = chosen(&tshark, &f, e, &dir);
            assert_eq!(
                ours, theirs,
                "{name}: `{e}` chose other packets than tshark -Y"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 33);
}

/// The interface and direction each packet of a `captures` listing was saved with:
/// the sendto copies on rawlab's own interface (outbound), what a packet socket saw on
/// lo by its direction, what a raw IP socket read arriving on lo.
fn where_each_was(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| {
            let (iface, out) = if l.contains(" → sent, mode ") {
                ("rawlab-sendto", true)
            } else if l.contains(" ← packet socket on lo · outgoing · ") {
                ("lo", true)
            } else if l.contains(" ← packet socket on lo · ") || l.contains(" raw socket for ") {
                ("lo", false)
            } else {
                panic!("a packet from somewhere unexpected: {l}")
            };
            let dir = if out { "0x00000002" } else { "0x00000001" };
            (iface.to_string(), dir.to_string())
        })
        .collect()
}

#[test]
fn tshark_reads_saved_files_with_their_interfaces_and_directions_and_no_warning() {
    let Some(tshark) = which("tshark") else {
        say("SKIPPED: tshark is not installed (CI installs it: see .ci/run)");
        return;
    };
    let dir = scratch();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (ng, pcap) = (dir.join("s.pcapng"), dir.join("s.pcap"));
    let script = format!(
        "listen icmp\nlisten link lo\nsend\nmode hdrincl\nsend\ncaptures\nsave {}\nsave {}\n",
        ng.display(),
        pcap.display()
    );
    let r = run_script(User::Me, &script, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let listing = r.stdout.split("> captures\n").nth(1).unwrap();
    let want = where_each_was(listing);
    assert!(want.len() >= 10, "{}", r.all());

    let fields = |file: &Path, extra: &[&str]| {
        let out = Command::new(&tshark)
            .arg("-r")
            .arg(file)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let got: Vec<(String, String)> = fields(
        &ng,
        &[
            "-T",
            "fields",
            "-e",
            "frame.interface_name",
            "-e",
            "frame.packet_flags_direction",
        ],
    )
    .lines()
    .map(|l| {
        let (a, b) = l.split_once('\t').unwrap_or((l, ""));
        (a.to_string(), b.to_string())
    })
    .collect();
    assert_eq!(
        got, want,
        "tshark's interfaces and directions, packet by packet"
    );
    // pcap holds only what was on the wire, of one link type: the frames lo's packet
    // socket saw (the most), no sendto copy.
    assert_eq!(want.iter().filter(|(i, _)| i == "rawlab-sendto").count(), 2);
    let frames = listing
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter(|l| l.contains(" ← packet socket on lo · "))
        .count();
    let pcap_frames = fields(&pcap, &["-T", "fields", "-e", "frame.protocols"]);
    assert_eq!(pcap_frames.lines().count(), frames, "{pcap_frames}");
    assert!(
        pcap_frames.lines().all(|l| l.starts_with("eth:")),
        "{pcap_frames}"
    );
    // rawlab's notes are comments; nothing else in either file draws a remark.
    for f in [&ng, &pcap] {
        let expert = fields(f, &["-q", "-z", "expert,note"]);
        assert!(expert.trim().is_empty(), "{}: {expert}", f.display());
    }
    say(&format!(
        "{} packets: interfaces and directions agree; no expert note",
        want.len()
    ));
}

/// A DNS packet's summary reads as tshark's Info column does, for every lookup of the
/// DNS capture: `Standard query response 0x1234 A www.example.com CNAME example.com …`.
#[test]
fn dns_summaries_read_like_tsharks_info() {
    let Some(tshark) = which("tshark") else {
        say("SKIPPED: tshark is not installed (CI installs it: see .ci/run)");
        return;
    };
    let dir = scratch();
    let f = dns_capture(&dir);
    let ours = run(
        User::Me,
        &["read".into(), f.display().to_string(), "--brief".into()],
        &dir,
    );
    assert_eq!(ours.code, 0, "{}", ours.all());
    let ours: Vec<String> = ours
        .stdout
        .lines()
        .filter_map(|l| l.split_once(" · DNS ").map(|(_, info)| info))
        // What rawlab relates the packet to is its own, after the summary.
        .map(|info| info.split(" · reply to #").next().unwrap().to_string())
        .collect();
    let mut cmd = Command::new(&tshark);
    cmd.args(["-n", "-r"])
        .arg(&f)
        .args(["-T", "fields", "-e", "_ws.col.Info"])
        .env("HOME", &dir)
        .current_dir(&dir);
    let out = run_bounded(cmd, 60);
    assert!(out.status.success(), "{out:?}");
    let theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ours.len(), dns_exchange().len(), "every packet is DNS");
    assert_eq!(
        ours, theirs,
        "rawlab's DNS summaries and tshark's Info column"
    );
    say(&format!(
        "{} DNS summaries agree with tshark's Info",
        ours.len()
    ));
}

/// `read --filter` on DNS fields (names as text among them) chooses what tshark's `-Y`
/// does, over the DNS capture.
#[test]
fn dns_filters_agree_with_tshark() {
    let Some(tshark) = which("tshark") else {
        say("SKIPPED: tshark is not installed (CI installs it: see .ci/run)");
        return;
    };
    let dir = scratch();
    let f = dns_capture(&dir);
    let exprs = [
        "dns",
        "dns.flags.response == 1",
        "dns.qry.type == 28",
        "dns.a == 192.0.2.7",
        "dns.qry.name == \"example.org\"",
        "dns.cname == example.com",
        "dns.resp.name == \"ns1.example.org\"",
        "dns.flags.rcode == 3 or dns.ptr.domain_name == www.example.com",
        "dns.count.answers >= 1 and not dns.flags.authoritative == 1",
    ];
    for e in exprs {
        let (ours, theirs) = chosen(&tshark, &f, e, &dir);
        assert!(!theirs.is_empty(), "`{e}` chooses no packet: a weak test");
        assert_eq!(ours, theirs, "`{e}` chose other packets than tshark -Y");
    }
    say(&format!("{} DNS filters agree with tshark -Y", exprs.len()));
}
