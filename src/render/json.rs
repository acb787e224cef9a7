//! JSON for scripts: a packet's layers with every field under its Wireshark name
//! and the value Wireshark shows (numbers as numbers, addresses as strings, bytes
//! as hex strings), then its data, trailer and problems. Everything comes from
//! the field tables (options and entries included), so a protocol added to
//! `wire` appears here unchanged.
//! Knows nothing of terminals, sockets or files.

use crate::wire::dissect::Dissection;
use crate::wire::{Field, Kind, Verdict};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

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

/// The members a packet's JSON object gets from its dissection: `layers`, `data`,
/// `trailer`, `problems`.
pub fn dissection(bytes: &[u8], dis: &Dissection) -> Map<String, Value> {
    let mut layers = Vec::with_capacity(dis.layers.len());
    for (i, l) in dis.layers.iter().enumerate() {
        let mut fields = Map::new();
        // Every field present, in wire order: fixed fields, the tail as a whole, then
        // each option's or entry's fields. An option may repeat a field (two SACK
        // blocks); the first is kept, as tshark's `-E occurrence=f` does.
        for p in l.placed(bytes) {
            let v = if p.field.kind == Kind::Bytes {
                Value::from(hex(&bytes[p.span.clone()]))
            } else {
                value(p.field, p.get(bytes))
            };
            fields.entry(p.field.name.to_string()).or_insert(v);
        }
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
        if dis.verifiable(i) {
            let mut checks = Map::new();
            for e in (l.proto.expected)(&dis.scope(i, bytes)) {
                let verdict = match e.verdict(l.get(bytes, e.field)) {
                    Verdict::Correct => "correct",
                    // Only the pseudo-header sum, left for checksum offload to finish.
                    Verdict::Offloaded => "offloaded",
                    // 0x0000 for 0xffff: ones' complement's other zero.
                    Verdict::OtherZero => "other-zero",
                    Verdict::Wrong => "wrong",
                };
                checks.insert(
                    e.field.name.to_string(),
                    json!({
                        "correct": verdict == "correct" || verdict == "other-zero",
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
}
