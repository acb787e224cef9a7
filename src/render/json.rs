//! JSON for scripts: a packet's layers with every field under its Wireshark name
//! and the value Wireshark shows (numbers as numbers, addresses as strings, bytes
//! as hex strings), each option of its header as an object in `options` (so a
//! field that repeats is never lost), then its data, trailer and problems.
//! Everything comes from the field tables (options and entries included), so a
//! protocol added to `wire` appears here unchanged. docs/json.md describes it.
//! Knows nothing of terminals, sockets or files.

use crate::wire::dissect::{Dissection, Item, Placed};
use crate::wire::{Field, Kind, Verdict};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::ops::Range;

/// The version of the JSON `rawlab read --format json` writes, in every object's
/// `rawlab_json` key: raised when a key changes meaning or goes (new keys do not).
pub const VERSION: u32 = 1;

/// The fields of a link header no protocol table reads (`wire::cooked`), under their
/// Wireshark names, valued as a layer's are.
pub fn link_fields(frame: &[u8], h: &crate::render::LinkHeader) -> Map<String, Value> {
    let mut m = Map::new();
    for f in &h.fields {
        let v = if f.field.kind == Kind::Bytes {
            Value::from(hex(&frame[f.span.clone()]))
        } else {
            value(f.field, f.raw)
        };
        m.insert(f.field.name.to_string(), v);
    }
    m
}

/// Bytes as one lowercase hex string: `c0de`.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn number(n: u128) -> Value {
    match u64::try_from(n) {
        Ok(n) => Value::from(n),
        // Wider than JSON numbers are safely read: a decimal string.
        Err(_) => Value::from(n.to_string()),
    }
}

/// A raw value of a fixed field as Wireshark shows it: numbers scaled to the unit users
/// see (ip.hdr_len in bytes), addresses as strings.
pub fn value(f: &Field, raw: u128) -> Value {
    match f.kind {
        Kind::Dec | Kind::Hex | Kind::Flag => number(f.shown(raw)),
        Kind::Bytes => Value::from(String::new()),
        // Addresses and any kind added later: the words rawlab shows, which for an
        // address is the address.
        _ => Value::from(f.words(raw)),
    }
}

/// A placed field's value: bytes as hex, anything else as [`value`] shows it.
fn placed(bytes: &[u8], p: &Placed) -> Value {
    if p.field.kind == Kind::Bytes {
        Value::from(hex(&bytes[p.span.clone()]))
    } else {
        value(p.field, p.get(bytes))
    }
}

/// Where something is and what it holds: `offset`, `length`, `fields`.
fn located(span: &Range<usize>, fields: Map<String, Value>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("offset".into(), Value::from(span.start));
    m.insert("length".into(), Value::from(span.len()));
    m.insert("fields".into(), Value::Object(fields));
    m
}

/// One option or entry of a header's tail: its own fields, and, for an option made of
/// entries that repeat (SACK blocks, a route's addresses), `entries`, each an object
/// of the same shape. Within one object a name appears once.
fn item(bytes: &[u8], it: &Item) -> Value {
    let mut own = Map::new();
    let mut entries: Vec<Map<String, Value>> = Vec::new();
    for p in &it.fields {
        let Some(e) = it
            .entries
            .iter()
            .position(|e| e.start <= p.span.start && p.span.end <= e.end)
        else {
            own.entry(p.field.name.to_string())
                .or_insert_with(|| placed(bytes, p));
            continue;
        };
        if entries.len() <= e {
            entries.resize_with(e + 1, Map::new);
        }
        entries[e]
            .entry(p.field.name.to_string())
            .or_insert_with(|| placed(bytes, p));
    }
    let mut m = located(&it.span, own);
    if !it.entries.is_empty() {
        m.insert(
            "entries".into(),
            Value::Array(
                it.entries
                    .iter()
                    .zip(entries.into_iter().chain(std::iter::repeat_with(Map::new)))
                    .map(|(span, f)| Value::Object(located(span, f)))
                    .collect(),
            ),
        );
    }
    Value::Object(m)
}

/// The members a packet's JSON object gets from its dissection: `layers`, `data`,
/// `trailer`, `problems`.
pub fn dissection(bytes: &[u8], dis: &Dissection) -> Map<String, Value> {
    let mut layers = Vec::with_capacity(dis.layers.len());
    for (i, l) in dis.layers.iter().enumerate() {
        // The fixed fields and the tail as a whole, in wire order: a name once each.
        let mut fields = Map::new();
        for f in l.fields(bytes) {
            fields.insert(
                f.name.to_string(),
                placed(bytes, &Placed::fixed(f, l.start)),
            );
        }
        if let Some((f, r)) = l.tail() {
            fields.insert(f.name.to_string(), Value::from(hex(&bytes[r])));
        }
        // Each option (or entry) of the tail as an object of its own, so a field that
        // repeats (five TCP option kinds, two SACK blocks) is never lost.
        let options: Vec<Value> = l.items.iter().map(|it| item(bytes, it)).collect();
        let mut layer = Map::new();
        layer.insert("protocol".into(), Value::from(l.proto.name));
        layer.insert("title".into(), Value::from(l.proto.title));
        layer.insert("offset".into(), Value::from(l.start));
        layer.insert("header_length".into(), Value::from(l.hdr_end - l.start));
        layer.insert("length".into(), Value::from(l.end - l.start));
        if l.quoted {
            // Part of the datagram an ICMP error quotes.
            layer.insert("quoted".into(), Value::from(true));
        }
        layer.insert("fields".into(), Value::Object(fields));
        layer.insert("options".into(), Value::Array(options));
        if dis.verifiable(i) {
            let mut checks = Map::new();
            for e in (l.proto.expected)(&dis.scope(i, bytes)) {
                let verdict = match e.verdict(l.get(bytes, e.field)) {
                    Verdict::Correct => "correct",
                    // Only the pseudo-header sum, left for checksum offload to finish.
                    Verdict::Offloaded => "offloaded",
                    Verdict::Wrong => "wrong",
                };
                checks.insert(
                    e.field.name.to_string(),
                    json!({
                        "correct": verdict == "correct",
                        "verdict": verdict,
                        "expected": value(e.field, e.want),
                    }),
                );
            }
            if !checks.is_empty() {
                layer.insert("checks".into(), Value::Object(checks));
            }
        }
        layers.push(Value::Object(layer));
    }
    let mut m = Map::new();
    m.insert("layers".into(), Value::Array(layers));
    let or_null = |r: &std::ops::Range<usize>| {
        if r.is_empty() {
            Value::Null
        } else {
            Value::from(hex(&bytes[r.clone()]))
        }
    };
    m.insert("data".into(), or_null(&dis.payload));
    m.insert("trailer".into(), or_null(&dis.trailer));
    m.insert(
        "problems".into(),
        Value::Array(
            dis.problems
                .iter()
                .map(|p| {
                    let mut o = json!({
                        "layer": p.layer,
                        "offset": p.offset,
                        "kind": p.kind.name(),
                        "what": p.what,
                    });
                    if let Some(z) = &p.sizes {
                        o["needed"] = z.needed.into();
                        o["had"] = z.had.into();
                        o["field"] = z.field.map_or(Value::Null, |f| f.name.into());
                    }
                    o
                })
                .collect(),
        ),
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dissect::{dissect, dissect_from};
    use crate::wire::{PROTOCOLS, ipv4};

    const WIRE: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

    #[test]
    fn the_posts_packet_field_by_field() {
        let m = dissection(&WIRE, &dissect(&WIRE, &ipv4::IPV4));
        let v = Value::Object(m);
        let ip = &v["layers"][0]["fields"];
        assert_eq!(ip["ip.version"], 4);
        assert_eq!(ip["ip.hdr_len"], 20, "shown in bytes, as Wireshark does");
        assert_eq!(ip["ip.len"], 30);
        assert_eq!(ip["ip.id"], 0x1cd4);
        assert_eq!(ip["ip.flags.df"], 0);
        assert_eq!(ip["ip.ttl"], 64);
        assert_eq!(ip["ip.proto"], 1);
        assert_eq!(ip["ip.checksum"], 0x6009);
        assert_eq!(ip["ip.src"], "127.0.0.1");
        assert_eq!(ip["ip.dst"], "127.0.0.1");
        let icmp = &v["layers"][1];
        assert_eq!(icmp["protocol"], "icmp");
        assert_eq!(icmp["offset"], 20);
        assert_eq!(icmp["fields"]["icmp.type"], 8);
        assert_eq!(icmp["fields"]["icmp.checksum"], 0x3721);
        assert_eq!(
            icmp["checks"]["icmp.checksum"],
            json!({"correct": true, "verdict": "correct", "expected": 0x3721})
        );
        assert_eq!(v["data"], "c0de");
        assert_eq!(v["trailer"], Value::Null);
        assert_eq!(v["problems"], json!([]));
        // Wire order, as the table lists the fields.
        let names: Vec<&String> = ip.as_object().unwrap().keys().collect();
        assert_eq!(names[0], "ip.version");
        assert_eq!(names[names.len() - 1], "ip.dst");
    }

    #[test]
    fn every_field_of_every_table_is_there_under_its_name() {
        let v = Value::Object(dissection(&WIRE, &dissect(&WIRE, &ipv4::IPV4)));
        let all: Vec<&str> = v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["fields"].as_object().unwrap().keys())
            .map(String::as_str)
            .collect();
        for p in PROTOCOLS
            .iter()
            .filter(|p| p.name == "ip" || p.name == "icmp")
        {
            for f in p.fields_of(&WIRE[if p.name == "ip" { 0 } else { 20 }..]) {
                assert!(all.contains(&f.name), "{} missing from {all:?}", f.name);
            }
        }
    }

    #[test]
    fn problems_and_wrong_checksums_are_listed() {
        let mut b = WIRE;
        b[22] = 0x11;
        b[23] = 0x11;
        let v = Value::Object(dissection(&b, &dissect(&b, &ipv4::IPV4)));
        assert_eq!(
            v["layers"][1]["checks"]["icmp.checksum"],
            json!({"correct": false, "verdict": "wrong", "expected": 0x3721})
        );
        let cut = &WIRE[..24];
        let v = Value::Object(dissection(cut, &dissect(cut, &ipv4::IPV4)));
        assert_eq!(v["problems"][0]["layer"], "IPv4");
        assert_eq!(v["problems"][0]["offset"], 2);
        assert_eq!(
            v["problems"][0]["what"],
            "ip.len says 30 bytes, but only 24 are there"
        );
        // The words are made from data a script can read.
        assert_eq!(v["problems"][0]["kind"], "length-past-end");
        assert_eq!(v["problems"][0]["needed"], 30);
        assert_eq!(v["problems"][0]["had"], 24);
        assert_eq!(v["problems"][0]["field"], "ip.len");
        let short = &WIRE[..12];
        let v = Value::Object(dissection(short, &dissect(short, &ipv4::IPV4)));
        assert_eq!(v["problems"][0]["kind"], "truncated");
        assert_eq!(
            (&v["problems"][0]["needed"], &v["problems"][0]["had"]),
            (&json!(20), &json!(12))
        );
        assert!(
            v["layers"][0].get("checks").is_none(),
            "not verified when malformed"
        );
    }

    #[test]
    fn offsets_count_from_the_frame_after_a_link_header() {
        let mut frame = vec![0u8; 4];
        frame.extend(WIRE);
        let v = Value::Object(dissection(&frame, &dissect_from(&frame, 4, &ipv4::IPV4)));
        assert_eq!(v["layers"][0]["offset"], 4);
        assert_eq!(v["layers"][1]["offset"], 24);
        assert_eq!(v["layers"][0]["fields"]["ip.ttl"], 64);
    }

    #[test]
    fn options_are_hex() {
        let mut b = vec![0x46u8];
        b.extend(&WIRE[1..20]);
        b.extend([0x01, 0x01, 0x01, 0x00]);
        b.extend(&WIRE[20..]);
        b[3] = 34;
        let v = Value::Object(dissection(&b, &dissect(&b, &ipv4::IPV4)));
        assert_eq!(v["layers"][0]["fields"]["ip.options"], "01010100");
        assert_eq!(v["layers"][0]["header_length"], 24);
    }

    /// Each option an object of its own: the five of a real SYN, every kind kept.
    #[test]
    fn every_option_of_a_syn_in_order() {
        let syn = crate::wire::tcp::tests::SYN;
        let v = Value::Object(dissection(&syn, &dissect(&syn, &ipv4::IPV4)));
        let tcp = &v["layers"][1];
        let kinds: Vec<&Value> = tcp["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["fields"]["tcp.option_kind"])
            .collect();
        assert_eq!(
            kinds,
            [&json!(2), &json!(4), &json!(8), &json!(1), &json!(3)]
        );
        assert_eq!(tcp["options"][0]["offset"], 40);
        assert_eq!(tcp["options"][0]["length"], 4);
        assert_eq!(tcp["options"][0]["fields"]["tcp.options.mss_val"], 65495);
        assert_eq!(tcp["options"][4]["fields"]["tcp.options.wscale.shift"], 10);
        // The layer's own fields hold the tail as a whole, and no option's field.
        assert!(tcp["fields"]["tcp.options"].is_string());
        assert!(tcp["fields"].get("tcp.option_kind").is_none(), "{tcp}");
        // A layer with no tail still has the key, so a script need not test for it.
        assert_eq!(v["layers"][0]["options"], json!([]));
    }

    /// SACK blocks are entries of their option, each with its own edges.
    #[test]
    fn entries_of_an_option_are_objects_too() {
        let mut p = crate::wire::tcp::tests::SYN[..40].to_vec();
        p.extend([1, 1, 5, 18]);
        p.extend([0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40]);
        p.extend([0, 0]);
        p[3] = p.len() as u8;
        p[32] = 0xa0;
        let v = Value::Object(dissection(&p, &dissect(&p, &ipv4::IPV4)));
        let sack = &v["layers"][1]["options"][2];
        assert_eq!(
            sack["fields"],
            json!({"tcp.option_kind": 5, "tcp.option_len": 18})
        );
        assert_eq!(
            sack["entries"],
            json!([
                {"offset": 44, "length": 8, "fields": {"tcp.options.sack_le": 10, "tcp.options.sack_re": 20}},
                {"offset": 52, "length": 8, "fields": {"tcp.options.sack_le": 30, "tcp.options.sack_re": 40}},
            ])
        );
        // A block cut short is bytes left over in the option, not an entry.
        p[43] = 14;
        let v = Value::Object(dissection(&p, &dissect(&p, &ipv4::IPV4)));
        let sack = &v["layers"][1]["options"][2];
        assert_eq!(sack["entries"].as_array().unwrap().len(), 1, "{sack}");
    }
}
