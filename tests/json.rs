//! `rawlab read --format json` against its description: docs/json.md's tables are
//! read here as the schema, and the output for every capture in tests/fixtures/
//! (and a few made here for shapes the fixtures lack) is checked against them:
//! every key is documented, every `always` key is there, every value has its
//! documented type, every field is one a table declares with a value of its kind,
//! every object carries the version key, and a field that repeats in a header
//! lives in its options, which cover the header's variable part with nothing left
//! out. The example in the document is checked to be what the binary writes.

mod common;
use common::*;
use rawlab::capture::pcap::{LinkType, Resolution, Writer};
use rawlab::wire::{Field, Kind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One key of an object, as its table row says.
#[derive(Debug)]
struct Key {
    ty: String,
    always: bool,
}

/// Each object's keys, by the name in its heading (`packet`, `layer` …).
type Schema = BTreeMap<String, BTreeMap<String, Key>>;

/// The tables of docs/json.md under headings that name an object: ``## A layer (`layer`)``.
fn schema(doc: &str) -> Schema {
    let mut s = Schema::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            current = h
                .rsplit_once("(`")
                .and_then(|(_, n)| n.strip_suffix("`)"))
                .map(str::to_string);
            continue;
        }
        let Some(name) = &current else { continue };
        let Some(row) = line.strip_prefix("| `") else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        assert!(
            cells.len() >= 4,
            "docs/json.md: a row without four cells: {line}"
        );
        let key = cells[0].trim_end_matches('`');
        assert!(
            !key.contains('`'),
            "docs/json.md: one key a row, so the test can read it: {line}"
        );
        let ty = cells[1].trim_matches('`').to_string();
        let always = cells[2] == "always";
        let prev = s
            .entry(name.clone())
            .or_default()
            .insert(key.to_string(), Key { ty, always });
        assert!(prev.is_none(), "docs/json.md: `{key}` twice in `{name}`");
    }
    s
}

/// Every field name rawlab's tables declare, with the kinds it has (a name may be in
/// two tables, as sll.pkttype is in both cooked headers).
fn known_fields() -> BTreeMap<&'static str, BTreeSet<KindOf>> {
    let mut all: Vec<&'static Field> = vec![&rawlab::wire::DATA, &rawlab::wire::UNPARSED];
    for p in rawlab::wire::PROTOCOLS {
        all.extend(p.all_fields());
        if let Some(t) = p.tail {
            all.extend(t.all_fields());
        }
    }
    all.extend(rawlab::wire::cooked::ALL.iter().copied());
    let mut m: BTreeMap<&'static str, BTreeSet<KindOf>> = BTreeMap::new();
    for f in all {
        m.entry(f.name).or_default().insert(KindOf::of(f.kind));
    }
    m
}

/// What JSON a field of a kind is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KindOf {
    Number,
    Flag,
    Ipv4,
    Ipv6,
    Mac,
    Hex,
    Name,
}

impl KindOf {
    fn of(k: Kind) -> KindOf {
        match k {
            Kind::Dec | Kind::Hex => KindOf::Number,
            Kind::Flag => KindOf::Flag,
            Kind::Ipv4 => KindOf::Ipv4,
            Kind::Ipv6 => KindOf::Ipv6,
            Kind::Mac => KindOf::Mac,
            Kind::Bytes => KindOf::Hex,
            Kind::Name => KindOf::Name,
        }
    }

    fn fits(self, v: &Value) -> bool {
        let s = v.as_str().unwrap_or("");
        match self {
            // Wider than 64 bits: a decimal string.
            KindOf::Number => {
                v.is_u64() || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            }
            KindOf::Flag => v.as_u64().is_some_and(|n| n <= 1),
            KindOf::Ipv4 => s.parse::<std::net::Ipv4Addr>().is_ok(),
            KindOf::Ipv6 => s.parse::<std::net::Ipv6Addr>().is_ok(),
            KindOf::Mac => {
                s.len() == 17
                    && s.split(':').count() == 6
                    && s.split(':').all(|p| is_hex(p) && p.len() == 2)
            }
            KindOf::Hex => v.is_string() && is_hex(s),
            // A domain name's text: labels and dots, or the root.
            KindOf::Name => !s.is_empty() && !s.contains(".."),
        }
    }
}

fn is_hex(s: &str) -> bool {
    s.len().is_multiple_of(2) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks values against the schema, counting which keys were seen.
struct Checker {
    schema: Schema,
    fields: BTreeMap<&'static str, BTreeSet<KindOf>>,
    /// `object.key` for every key met, for the test of coverage.
    seen: BTreeSet<String>,
    errors: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        let doc = std::fs::read_to_string(manifest().join("docs/json.md"))
            .expect("docs/json.md exists (README links it)");
        let schema = schema(&doc);
        for want in [
            "packet", "link", "layer", "option", "entry", "check", "problem",
        ] {
            assert!(
                schema.contains_key(want),
                "docs/json.md has no `{want}` table"
            );
        }
        Checker {
            schema,
            fields: known_fields(),
            seen: BTreeSet::new(),
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, at: &str, what: String) {
        if self.errors.len() < 40 {
            self.errors.push(format!("{at}: {what}"));
        }
    }

    fn check(&mut self, v: &Value, ty: &str, at: &str) {
        if let Some(base) = ty.strip_suffix(" or null") {
            if !v.is_null() {
                self.check(v, base, at);
            }
            return;
        }
        if let Some(item) = ty.strip_prefix("array of ") {
            match v.as_array() {
                Some(a) => {
                    for (i, x) in a.iter().enumerate() {
                        self.check(x, item, &format!("{at}[{i}]"));
                    }
                }
                None => self.fail(at, format!("not an array: {v}")),
            }
            return;
        }
        if let Some(item) = ty.strip_prefix("map of ") {
            match v.as_object() {
                Some(o) => {
                    for (k, x) in o {
                        if !self.fields.contains_key(k.as_str()) {
                            self.fail(at, format!("`{k}` is no field a table declares"));
                        }
                        self.check(x, item, &format!("{at}.{k}"));
                    }
                }
                None => self.fail(at, format!("not an object: {v}")),
            }
            return;
        }
        let ok = match ty {
            "number" => v.is_u64(),
            "string" => v.is_string(),
            "hex" => v.as_str().is_some_and(is_hex),
            "boolean" => v.is_boolean(),
            "value" => v.is_u64() || v.is_string(),
            "fields" => {
                self.fields_object(v, at);
                true
            }
            name if self.schema.contains_key(name) => {
                self.object(v, name, at);
                true
            }
            other => panic!("docs/json.md: a type the test cannot read: `{other}` at {at}"),
        };
        if !ok {
            self.fail(at, format!("not a {ty}: {v}"));
        }
    }

    fn fields_object(&mut self, v: &Value, at: &str) {
        let Some(o) = v.as_object() else {
            return self.fail(at, format!("fields not an object: {v}"));
        };
        for (k, x) in o {
            match self.fields.get(k.as_str()) {
                None => self.fail(at, format!("`{k}` is no field a table declares")),
                Some(kinds) if !kinds.iter().any(|kind| kind.fits(x)) => {
                    self.fail(at, format!("`{k}` is {x}, not a {kinds:?}"))
                }
                Some(_) => {}
            }
        }
    }

    fn object(&mut self, v: &Value, name: &str, at: &str) {
        let Some(o) = v.as_object() else {
            return self.fail(at, format!("not a {name} object: {v}"));
        };
        let keys: Vec<(String, String, bool)> = self.schema[name]
            .iter()
            .map(|(k, key)| (k.clone(), key.ty.clone(), key.always))
            .collect();
        for k in o.keys() {
            if !keys.iter().any(|(d, _, _)| d == k) {
                self.fail(at, format!("`{k}` of a {name} is not in docs/json.md"));
            }
        }
        for (k, ty, always) in keys {
            match o.get(&k) {
                Some(x) => {
                    self.seen.insert(format!("{name}.{k}"));
                    if !x.is_null() {
                        self.seen.insert(format!("{name}.{k}!null"));
                    }
                    self.check(x, &ty, &format!("{at}.{k}"));
                }
                None if always => self.fail(at, format!("a {name} without `{k}`")),
                None => {}
            }
        }
    }

    /// What the tables cannot say: the version, relations backwards, repeated fields
    /// only in options, and options that cover the variable part of their header.
    fn packet(&mut self, p: &Value, at: &str) {
        self.object(p, "packet", at);
        if p["rawlab_json"] != 1 {
            self.fail(at, format!("rawlab_json is {}, not 1", p["rawlab_json"]));
        }
        let no = p["number"].as_u64().unwrap_or(0);
        for rel in ["reply_to", "error_about", "copy_of", "twin_of", "resets"] {
            if let Some(n) = p.get(rel).and_then(Value::as_u64)
                && n >= no
            {
                self.fail(at, format!("{rel} {n} is not before packet {no}"));
            }
        }
        for list in ["differs", "kernel_changed"] {
            for name in p.get(list).and_then(Value::as_array).into_iter().flatten() {
                let name = name.as_str().unwrap_or("");
                if !self.fields.contains_key(name) {
                    self.fail(
                        at,
                        format!("{list} names `{name}`, no field a table declares"),
                    );
                }
            }
        }
        for (i, l) in p["layers"].as_array().into_iter().flatten().enumerate() {
            self.layer(l, &format!("{at}.layers[{i}]"));
        }
    }

    fn layer(&mut self, l: &Value, at: &str) {
        let Some(proto) = l["protocol"]
            .as_str()
            .and_then(rawlab::wire::protocol_named)
        else {
            return self.fail(at, format!("no table is named {}", l["protocol"]));
        };
        self.seen.insert(format!("protocol {}", proto.name));
        let fixed: BTreeSet<&str> = proto.all_fields().map(|f| f.name).collect();
        let repeated: Vec<&str> = proto
            .item_fields()
            .iter()
            .map(|f| f.name)
            .filter(|n| !fixed.contains(n))
            .collect();
        for k in l["fields"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if repeated.contains(&k.as_str()) {
                self.fail(
                    at,
                    format!("`{k}` may repeat, so it belongs in options, not the layer's fields"),
                );
            }
        }
        let options = l["options"].as_array().cloned().unwrap_or_default();
        let tail = proto
            .tail
            .and_then(|t| l["fields"].get(t.field.name))
            .and_then(Value::as_str)
            .map_or(0, |h| h.len() / 2) as u64;
        let num = |v: &Value, k: &str| v[k].as_u64().unwrap_or(u64::MAX);
        // Bytes a cut header ends inside are an item of their own, outside the tail.
        let unparsed = |o: &Value| {
            o["fields"]
                .as_object()
                .is_some_and(|f| f.len() == 1 && f.contains_key("unparsed"))
        };
        let (cut, options): (Vec<Value>, Vec<Value>) = options.into_iter().partition(unparsed);
        for o in &cut {
            let end = num(l, "offset") + num(l, "header_length");
            if num(o, "offset") < num(l, "offset") || num(o, "offset") + num(o, "length") > end {
                self.fail(at, format!("unparsed bytes outside the header: {o}"));
            }
            self.seen.insert("option.unparsed".into());
        }
        let total: u64 = options.iter().map(|o| num(o, "length")).sum();
        if total != tail {
            self.fail(
                at,
                format!("options cover {total} bytes of a {tail}-byte variable part"),
            );
        }
        let mut next = num(l, "offset") + num(l, "header_length") - tail;
        for (i, o) in options.iter().enumerate() {
            if num(o, "offset") != next {
                self.fail(
                    at,
                    format!("option {i} starts at {}, not {next}", o["offset"]),
                );
            }
            next = num(o, "offset").saturating_add(num(o, "length"));
            let end = next;
            for e in o["entries"].as_array().into_iter().flatten() {
                if num(e, "offset") < num(o, "offset") || num(e, "offset") + num(e, "length") > end
                {
                    self.fail(at, format!("an entry outside option {i}: {e}"));
                }
            }
        }
    }
}

/// Every capture under tests/fixtures/.
fn fixtures() -> Vec<PathBuf> {
    let mut v = Vec::new();
    let mut dirs = vec![manifest().join("tests/fixtures")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// The post's request as the kernel put it on the wire, and the kernel's reply.
const REQUEST: [u8; 30] = [
    0x45, 0, 0, 0x1e, 0x1c, 0xd4, 0, 0, 0x40, 1, 0x60, 0x09, 127, 0, 0, 1, 127, 0, 0, 1, 8, 0,
    0x37, 0x21, 0, 0, 0, 0, 0xc0, 0xde,
];

fn reply() -> Vec<u8> {
    let mut b = REQUEST.to_vec();
    b[20] = 0;
    b[22] = 0x3f;
    b
}

/// An IPv4 header of `total` bytes carrying `proto`, 127.0.0.1 to itself.
fn ip(total: usize, proto: u8) -> Vec<u8> {
    let mut b = vec![0x45, 0, 0, total as u8, 0, 1, 0x40, 0, 64, proto, 0, 0];
    b.extend([127, 0, 0, 1, 127, 0, 0, 1]);
    b
}

/// A TCP segment with two SACK blocks, a UDP datagram, the port-unreachable error that
/// quotes it, the post's request cut short twice, IPv4 options, a router
/// advertisement, IPv6's extension headers, and DNS.
fn made_here() -> Vec<Vec<u8>> {
    let mut sack = ip(60, 6);
    sack.extend([
        0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1, 0xa0, 0x10, 0xff, 0xff,
    ]);
    sack.extend([0, 0, 0, 0, 1, 1, 5, 18]);
    sack.extend([0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, 0, 0]);
    let mut udp = ip(30, 17);
    udp.extend([0x9c, 0x40, 0x1f, 0x90, 0, 10, 0, 0, b'h', b'i']);
    let mut error = ip(58, 1);
    error.extend([3, 3, 0, 0, 0, 0, 0, 0]);
    error.extend(&udp);
    // Cut at a field's end, and inside one (icmp.ident's first byte).
    let cut = [REQUEST[..24].to_vec(), REQUEST[..25].to_vec()];
    let mut v = vec![sack, udp, error];
    v.extend(cut);
    // IPv4 with a record-route option holding one address of two, and an echo.
    let mut rr = vec![
        0x48, 0, 0, 42, 0, 1, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];
    rr.extend([7, 11, 8, 127, 0, 0, 1, 0, 0, 0, 0, 0]);
    rr.extend([8, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xde]);
    // A router advertisement: its addresses are the entries of ICMP's tail.
    let mut ra = ip(36, 1);
    ra.extend([9, 0, 0, 0, 1, 2, 0, 30, 127, 0, 0, 1, 0, 0, 0, 0]);
    // IPv6 through every extension header to a neighbour solicitation with an option.
    let localhost = {
        let mut a = [0u8; 16];
        a[15] = 1;
        a
    };
    let mut v6 = vec![0x60, 0, 0, 0, 0, 80, 0, 255];
    v6.extend(localhost);
    v6.extend(localhost);
    v6.extend([43, 0, 5, 2, 0, 0, 1, 0]); // hop-by-hop: router alert, PadN
    v6.extend([44, 2, 0, 0, 0, 0, 0, 0]); // routing type 0, one address
    v6.extend(localhost);
    v6.extend([60, 0, 0, 0, 0, 0, 0, 1]); // fragment 0, the last
    v6.extend([58, 0, 1, 4, 0, 0, 0, 0]); // destination options: PadN
    v6.extend([135, 0, 0, 0, 0, 0, 0, 0]);
    v6.extend(localhost);
    v6.extend([1, 1, 2, 0, 0, 0, 0, 1]); // source link-layer address
    v.extend([rr, ra, v6]);
    // An echo request in two IPv4 fragments (ip.id 0x1234: the first carries the ICMP
    // header and 8 bytes, more to follow; the second the last 8 bytes, at offset 16),
    // and its reply, which answers the whole datagram: `fragments` names both.
    let mut first = ip(36, 1);
    first[4..8].copy_from_slice(&[0x12, 0x34, 0x20, 0]);
    first.extend([8, 0, 0, 0, 0, 7, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8]);
    let mut second = ip(28, 1);
    second[4..8].copy_from_slice(&[0x12, 0x34, 0, 2]);
    second.extend([9, 10, 11, 12, 13, 14, 15, 16]);
    let mut answer = ip(44, 1);
    answer.extend([0, 0, 0, 0, 0, 7, 0, 1]);
    answer.extend(1..=16u8);
    v.extend([first, second, answer]);
    // DNS lookups, and an answer whose name is a pointer loop.
    v.extend(dns_exchange());
    let mut q = dns_names(&["example.com", ""]);
    q.extend([0, 1, 0, 1]);
    q.extend(dns_names(&["@29"]));
    q.extend(dns_rr(1, &[192, 0, 2, 7]));
    v.push(dns_packet(false, 0x0100, 0x8180, [1, 1, 0, 0], &q));
    v
}

/// An ARP request in an Ethernet frame to broadcast.
fn arp() -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend([2, 0, 0, 0, 0, 1, 8, 6]);
    f.extend([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1]);
    f.extend([0, 0, 0, 0, 0, 0, 192, 0, 2, 2]);
    f
}

/// A capture file of `frames` after `header`, any user can read.
fn written(dir: &Path, name: &str, link: LinkType, header: &[u8], frames: &[Vec<u8>]) -> PathBuf {
    let mut w = Writer::new(Vec::new(), link, Resolution::Micro).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let mut frame = header.to_vec();
        frame.extend(f);
        w.write(UNIX_EPOCH + Duration::from_millis(i as u64), &frame)
            .unwrap();
    }
    let p = dir.join(name);
    std::fs::write(&p, w.finish().unwrap()).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    p
}

fn json_of(file: &Path, dir: &Path) -> Vec<Value> {
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
    // A damaged file ends with an error, after the packets before the damage.
    assert!(
        r.code == 0 || r.code == 1,
        "{}: {}",
        file.display(),
        r.all()
    );
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn every_capture_matches_docs_json_md() {
    let mut c = Checker::new();
    let dir = scratch();
    let mut files = fixtures();
    assert!(files.len() >= 5, "the fixtures: {files:?}");
    let mut frames = vec![REQUEST.to_vec(), reply()];
    frames.extend(made_here());
    files.push(written(&dir, "raw.pcap", LinkType::RAW, &[], &frames));
    files.push(written(
        &dir,
        "null.pcap",
        LinkType::NULL,
        &[2, 0, 0, 0],
        &frames,
    ));
    let sll_out = [0, 4, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0];
    files.push(written(
        &dir,
        "out.pcap",
        LinkType::LINUX_SLL,
        &sll_out,
        &frames,
    ));
    files.push(written(&dir, "arp.pcap", LinkType::ETHERNET, &[], &[arp()]));
    // Neither IPv4 nor IPv6: shown as data, with a note.
    let v5 = vec![vec![0x55, 0, 0, 8, 1, 2, 3, 4]];
    files.push(written(&dir, "v5.pcap", LinkType::RAW, &[], &v5));
    let mut lines = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for (i, p) in json_of(f, &dir).iter().enumerate() {
            c.packet(p, &format!("{name} #{}", i + 1));
            lines += 1;
        }
    }
    assert!(
        c.errors.is_empty(),
        "{} lines checked; what disagrees with docs/json.md:\n{}",
        lines,
        c.errors.join("\n")
    );
    // Every shape the document describes was met, so none went unchecked.
    let mut unseen: Vec<String> = Vec::new();
    for (name, keys) in &c.schema {
        for k in keys.keys() {
            let key = format!("{name}.{k}");
            // Only a session's packets have these; read never writes them.
            let session = ["copy_of", "kernel_changed", "twin_of", "resets"];
            let only_a_session = name == "packet" && session.contains(&k.as_str());
            if !only_a_session && !c.seen.contains(&key) {
                unseen.push(key);
            }
        }
    }
    for key in [
        "packet.direction!null",
        "packet.link!null",
        "problem.field!null",
        "option.unparsed",
    ] {
        if !c.seen.contains(key) {
            unseen.push(key.to_string());
        }
    }
    // And every protocol a table reads, as a layer.
    for p in rawlab::wire::PROTOCOLS {
        if !c.seen.contains(&format!("protocol {}", p.name)) {
            unseen.push(format!("protocol {}", p.name));
        }
    }
    assert!(
        unseen.is_empty(),
        "keys and layers the captures never showed, so never checked: {unseen:?}"
    );
}

/// The SYN of the fixtures' TCP connection carries five options; each shows, with its kind.
#[test]
fn a_syns_five_options_are_all_there() {
    let dir = scratch();
    for f in fixtures().iter().filter(|f| {
        let n = f.file_name().unwrap().to_string_lossy();
        n.starts_with("lo") || n.starts_with("any")
    }) {
        let syns: Vec<Vec<u64>> = json_of(f, &dir)
            .iter()
            .flat_map(|p| p["layers"].as_array().cloned().unwrap_or_default())
            .filter(|l| l["protocol"] == "tcp" && l["fields"]["tcp.flags"] == 2)
            .map(|l| {
                l["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["fields"]["tcp.option_kind"].as_u64().unwrap())
                    .collect()
            })
            .collect();
        assert!(!syns.is_empty(), "{}: no SYN", f.display());
        for kinds in syns {
            assert_eq!(kinds, [2, 4, 8, 1, 3], "{}", f.display());
        }
    }
}

/// A cooked header says which way each packet went, in its fields and as `direction`.
#[test]
fn cooked_headers_say_which_way() {
    let dir = scratch();
    let out = [0, 4, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0];
    let f = written(
        &dir,
        "out.pcap",
        LinkType::LINUX_SLL,
        &out,
        &[REQUEST.to_vec()],
    );
    let p = &json_of(&f, &dir)[0];
    assert_eq!(p["direction"], "outgoing", "{p}");
    assert_eq!(p["link"]["packet_type"], "outgoing");
    assert_eq!(p["link"]["fields"]["sll.pkttype"], 4);
    assert_eq!(p["link"]["fields"]["sll.hatype"], 772);
    assert_eq!(p["link"]["fields"]["sll.etype"], 0x0800);
    let f = manifest().join("tests/fixtures/any-sll.pcap");
    let first = &json_of(&f, &dir)[0];
    assert_eq!(first["direction"], "incoming", "{first}");
    assert_eq!(first["link"]["packet_type"], "host");
    let f = written(
        &dir,
        "null.pcap",
        LinkType::NULL,
        &[2, 0, 0, 0],
        &[REQUEST.to_vec()],
    );
    let p = &json_of(&f, &dir)[0];
    assert_eq!(p["link"]["fields"], serde_json::json!({"null.family": 2}));
    assert_eq!(p["direction"], Value::Null, "BSD loopback does not say");
}

/// A pcapng record's epb_flags say which way it went, for any link type; tshark reads
/// the same direction from them.
#[test]
fn pcapng_flags_give_the_direction() {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend(u64::MAX.to_le_bytes());
    // Ethernet, no snapshot limit.
    let idb = vec![1, 0, 0, 0, 0, 0, 0, 0];
    let mut frame = vec![0u8; 12];
    frame.extend([8, 0]);
    frame.extend(REQUEST);
    let epb = |flags: Option<u32>| {
        let mut b = vec![0u8; 12];
        b.extend((frame.len() as u32).to_le_bytes());
        b.extend((frame.len() as u32).to_le_bytes());
        b.extend(&frame);
        b.resize(b.len().next_multiple_of(4), 0);
        if let Some(f) = flags {
            b.extend([2, 0, 4, 0]);
            b.extend(f.to_le_bytes());
            b.extend([0, 0, 0, 0]);
        }
        pcapng_block(6, &b)
    };
    let mut file = pcapng_block(0x0a0d_0d0a, &shb);
    file.extend(pcapng_block(1, &idb));
    // Inbound, outbound, no flags, flags that name no direction (only a FCS length).
    for f in [Some(1), Some(2), None, Some(0x0000_2000)] {
        file.extend(epb(f));
    }
    let dir = scratch();
    let path = dir.join("flags.pcapng");
    std::fs::write(&path, &file).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let got: Vec<Value> = json_of(&path, &dir)
        .iter()
        .map(|p| p["direction"].clone())
        .collect();
    assert_eq!(
        got,
        [
            Value::from("incoming"),
            Value::from("outgoing"),
            Value::Null,
            Value::Null
        ]
    );
    if let Ok(out) = std::process::Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&path)
        .args(["-T", "fields", "-e", "frame.packet_flags_direction"])
        .env("HOME", &dir)
        .current_dir(&dir)
        .output()
    {
        // tshark writes the two bits in hex: 0x00000001 inbound, 0x00000002 outbound.
        let theirs: Vec<Option<u32>> = std::str::from_utf8(&out.stdout)
            .unwrap()
            .lines()
            .map(|l| u32::from_str_radix(l.trim().trim_start_matches("0x"), 16).ok())
            .collect();
        if out.status.success() {
            assert_eq!(theirs, [Some(1), Some(2), None, Some(0)], "tshark: {out:?}");
        }
    }
}

/// A pcapng names its interfaces; each packet says which it came in on, as tshark's
/// frame.interface_name does.
#[test]
fn pcapng_interfaces_are_named() {
    let dir = scratch();
    let f = manifest().join("tests/fixtures/lo-any.pcapng");
    let named: BTreeSet<(u64, String)> = json_of(&f, &dir)
        .iter()
        .map(|p| {
            let name = p["interface_name"].as_str().unwrap_or("(none)").to_string();
            (p["interface"].as_u64().unwrap(), name)
        })
        .collect();
    let want: BTreeSet<(u64, String)> = [(0, "lo".to_string()), (1, "any".to_string())].into();
    assert_eq!(named, want);
    let f = manifest().join("tests/fixtures/lo.pcap");
    let p = &json_of(&f, &dir)[0];
    assert!(
        p.get("interface_name").is_none(),
        "a pcap has no interfaces: {p}"
    );
}

/// The document's example is what the binary writes for its command.
#[test]
fn the_example_in_docs_json_md_is_real() {
    let doc = std::fs::read_to_string(manifest().join("docs/json.md")).unwrap();
    let mut examples = 0;
    let mut rest = doc.as_str();
    while let Some(i) = rest.find("\n$ rawlab ") {
        let cmd = rest[i + 3..].lines().next().unwrap();
        let after = &rest[i + 1..];
        let start = after
            .find("```json\n")
            .expect("a json block after the command")
            + 8;
        let end = start + after[start..].find("\n```").unwrap();
        let want: Value = serde_json::from_str(&after[start..end])
            .unwrap_or_else(|e| panic!("docs/json.md: the example is not JSON: {e}"));
        let out = std::process::Command::new(binary_for(User::Me))
            .args(cmd.split_whitespace().skip(1))
            .current_dir(manifest())
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}: {out:?}");
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got, want, "docs/json.md: `{cmd}` writes another object");
        examples += 1;
        rest = &after[end..];
    }
    assert!(examples >= 1, "docs/json.md has no example");
}
