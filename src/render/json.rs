//! JSON for scripts: a packet's layers with every field under its Wireshark name
//! and the value Wireshark shows (numbers as numbers, addresses as strings, bytes
//! as hex strings), each option of its header as an object in `options` (so a
//! field that repeats is never lost), then its data, trailer and problems.
//! Everything comes from the field tables (options and entries included), so a
//! protocol added to `wire` appears here unchanged. docs/json.md describes it.
//! Knows nothing of terminals, sockets or files.

use crate::wire::dissect::{Dissection, Item, Placed};
use crate::wire::{Field, Kind, Verdict};
use serde_json::{Map, Value};
use std::ops::Range;

/// The version of the JSON `rawlab read --format json` writes, in every object's
/// `rawlab_json` key: raised when a key changes meaning or goes (new keys do not).
pub const VERSION: u32 = 1;

/// A JSON object being written straight into a buffer, members in the order given.
/// `read` writes a line for every packet, so nothing is built first: no tree of maps,
/// no key allocated.
pub struct Obj<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
    /// Field names written so far, where a name must appear once (a `fields` object).
    names: Vec<&'static str>,
}

impl<'a> Obj<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Obj<'a> {
        out.push(b'{');
        Obj {
            out,
            empty: true,
            names: Vec::new(),
        }
    }

    /// Starts member `k`: its value is written next, into what this returns.
    pub fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        string(self.out, k);
        self.out.push(b':');
        self.out
    }

    pub fn num(&mut self, k: &str, n: u64) {
        number(self.key(k), u128::from(n));
    }

    pub fn str(&mut self, k: &str, s: &str) {
        string(self.key(k), s);
    }

    pub fn str_or_null(&mut self, k: &str, s: Option<&str>) {
        match s {
            Some(s) => self.str(k, s),
            None => self.key(k).extend_from_slice(b"null"),
        }
    }

    /// A member from a value already made (the few that are: relations).
    pub fn value(&mut self, k: &str, v: &Value) {
        let out = self.key(k);
        let _ = serde_json::to_writer(out, v);
    }

    /// Bytes as a hex string, or `null` when there are none.
    pub fn hex_or_null(&mut self, k: &str, b: &[u8]) {
        let out = self.key(k);
        if b.is_empty() {
            out.extend_from_slice(b"null");
        } else {
            hex_into(out, b);
        }
    }

    /// A field, under its Wireshark name, once: a second of the same name is left out.
    /// `end` is where its layer's header ends (a name's pointers stay inside it).
    fn field(&mut self, bytes: &[u8], p: &Placed, end: usize, words: &mut String) {
        if self.names.contains(&p.field.name) {
            return;
        }
        self.names.push(p.field.name);
        let out = self.key(p.field.name);
        if p.field.kind == Kind::Name {
            words.clear();
            let msg = &bytes[p.base..end.max(p.span.end)];
            crate::wire::name::write_words(words, msg, p.span.start - p.base);
            string(out, words);
        } else if p.field.kind == Kind::Bytes {
            hex_into(out, &bytes[p.span.clone()]);
        } else {
            value(out, p.field, p.get(bytes), words);
        }
    }

    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// A JSON string: most are names and words with nothing to escape, copied as they are.
fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(out, s);
    }
}

/// A number, or, wider than JSON numbers are safely read, a decimal string.
fn number(out: &mut Vec<u8>, n: u128) {
    match u64::try_from(n) {
        Ok(n) => {
            let _ = serde_json::to_writer(out, &n);
        }
        Err(_) => {
            out.push(b'"');
            out.extend_from_slice(n.to_string().as_bytes());
            out.push(b'"');
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes as one lowercase hex string, quoted: `"c0de"`.
fn hex_into(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() * 2 + 2);
    out.push(b'"');
    for x in b {
        out.push(HEX[usize::from(x >> 4)]);
        out.push(HEX[usize::from(x & 15)]);
    }
    out.push(b'"');
}

/// Bytes as one lowercase hex string: `c0de`.
pub fn hex(b: &[u8]) -> String {
    b.iter()
        .flat_map(|x| [HEX[usize::from(x >> 4)], HEX[usize::from(x & 15)]])
        .map(char::from)
        .collect()
}

/// A raw value of a fixed field as Wireshark shows it: numbers scaled to the unit users
/// see (ip.hdr_len in bytes), addresses as strings with no name after them
/// (`ff:ff:ff:ff:ff:ff`, not `… (broadcast)`). `words` is scratch space.
fn value(out: &mut Vec<u8>, f: &Field, raw: u128, words: &mut String) {
    match f.kind {
        Kind::Dec | Kind::Hex | Kind::Flag => number(out, f.shown(raw)),
        Kind::Bytes | Kind::Name => out.extend_from_slice(b"\"\""),
        // Addresses and any kind added later: the words rawlab shows, which for an
        // address is the address.
        _ => {
            words.clear();
            f.write_words(words, raw, None);
            string(out, words);
        }
    }
}

/// The fields of a link header no protocol table reads (`wire::cooked`), under their
/// Wireshark names, valued as a layer's are: the value of member `fields` of `link`.
pub fn link_fields(out: &mut Vec<u8>, frame: &[u8], h: &crate::render::LinkHeader) {
    let mut o = Obj::new(out);
    let mut words = String::new();
    for f in &h.fields {
        if f.field.kind == Kind::Bytes {
            hex_into(o.key(f.field.name), &frame[f.span.clone()]);
        } else {
            value(o.key(f.field.name), f.field, f.raw, &mut words);
        }
    }
    o.end();
}

/// Where something is and what it holds: `offset`, `length`, then `fields` from
/// `fields`, each name once.
fn located<'p>(
    out: &mut Obj,
    (bytes, end): (&[u8], usize),
    span: &Range<usize>,
    fields: impl Iterator<Item = &'p Placed>,
    words: &mut String,
) {
    out.num("offset", span.start as u64);
    out.num("length", span.len() as u64);
    let mut f = Obj::new(out.key("fields"));
    for p in fields {
        f.field(bytes, p, end, words);
    }
    f.end();
}

/// One option or entry of a header's tail: its own fields, and, for an option made of
/// entries that repeat (SACK blocks, a route's addresses), `entries`, each an object
/// of the same shape. Within one object a name appears once.
fn item(out: &mut Vec<u8>, (bytes, end): (&[u8], usize), it: &Item, words: &mut String) {
    let inside = |p: &Placed, e: &Range<usize>| e.start <= p.span.start && p.span.end <= e.end;
    let mut o = Obj::new(out);
    let own = it
        .fields
        .iter()
        .filter(|p| !it.entries.iter().any(|e| inside(p, e)));
    located(&mut o, (bytes, end), &it.span, own, words);
    if !it.entries.is_empty() {
        let out = o.key("entries");
        out.push(b'[');
        for (n, e) in it.entries.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let mut eo = Obj::new(out);
            // A field in two entries (they never overlap) goes to the first.
            let first = |p: &&Placed| {
                inside(p, e) && it.entries[..n].iter().all(|before| !inside(p, before))
            };
            located(
                &mut eo,
                (bytes, end),
                e,
                it.fields.iter().filter(first),
                words,
            );
            eo.end();
        }
        out.push(b']');
    }
    o.end();
}

/// The members a packet's JSON object gets from its dissection, written into `out`:
/// `layers`, `data`, `trailer`, `problems`.
pub fn write_dissection(out: &mut Obj, bytes: &[u8], dis: &Dissection) {
    let mut words = String::new();
    let layers = out.key("layers");
    layers.push(b'[');
    for (i, l) in dis.layers.iter().enumerate() {
        if i > 0 {
            layers.push(b',');
        }
        let mut layer = Obj::new(layers);
        layer.str("protocol", l.proto.name);
        layer.str("title", l.proto.title);
        layer.num("offset", l.start as u64);
        layer.num("header_length", (l.hdr_end - l.start) as u64);
        layer.num("length", (l.end - l.start) as u64);
        if l.quoted {
            // Part of the datagram an ICMP error quotes.
            layer.key("quoted").extend_from_slice(b"true");
        }
        // The fixed fields and the tail as a whole, in wire order: a name once each.
        let mut fields = Obj::new(layer.key("fields"));
        for f in l.fields(bytes) {
            fields.field(bytes, &Placed::fixed(f, l.start), l.hdr_end, &mut words);
        }
        if let Some((f, r)) = l.tail() {
            let tail = Placed {
                field: f,
                base: r.start,
                span: r,
            };
            fields.field(bytes, &tail, l.hdr_end, &mut words);
        }
        fields.end();
        // Each option (or entry) of the tail as an object of its own, so a field that
        // repeats (five TCP option kinds, two SACK blocks) is never lost.
        let options = layer.key("options");
        options.push(b'[');
        for (n, it) in l.items.iter().enumerate() {
            if n > 0 {
                options.push(b',');
            }
            item(options, (bytes, l.hdr_end), it, &mut words);
        }
        options.push(b']');
        // A checksum inside a fragment covers the whole datagram: not judged.
        if dis.verifiable(i) && !dis.in_fragment(bytes, i) {
            let expected = (l.proto.expected)(&dis.scope(i, bytes));
            if !expected.is_empty() {
                let mut checks = Obj::new(layer.key("checks"));
                for e in expected {
                    if checks.names.contains(&e.field.name) {
                        continue;
                    }
                    checks.names.push(e.field.name);
                    let verdict = match e.verdict(l.get(bytes, e.field)) {
                        Verdict::Correct => "correct",
                        // Only the pseudo-header sum, left for checksum offload to finish.
                        Verdict::Offloaded => "offloaded",
                        // 0xffff for 0x0000: ones' complement's other zero.
                        Verdict::OtherZero => "other-zero",
                        // Right as it arrived, before the receiver wrote into a record route or a timestamp.
                        Verdict::Recorded => "recorded",
                        Verdict::Wrong => "wrong",
                    };
                    let mut c = Obj::new(checks.key(e.field.name));
                    c.key("correct").extend_from_slice(
                        if verdict == "correct" || verdict == "other-zero" {
                            b"true"
                        } else {
                            b"false"
                        },
                    );
                    c.str("verdict", verdict);
                    value(c.key("expected"), e.field, e.want, &mut words);
                    c.end();
                }
                checks.end();
            }
        }
        layer.end();
    }
    layers.push(b']');
    out.hex_or_null("data", &bytes[dis.payload.clone()]);
    out.hex_or_null("trailer", &bytes[dis.trailer.clone()]);
    let problems = out.key("problems");
    problems.push(b'[');
    for (n, p) in dis.problems.iter().enumerate() {
        if n > 0 {
            problems.push(b',');
        }
        let mut o = Obj::new(problems);
        o.str("layer", p.layer);
        o.num("offset", p.offset as u64);
        o.str("kind", p.kind.name());
        o.str("what", &p.what);
        if let Some(z) = &p.sizes {
            o.num("needed", z.needed as u64);
            o.num("had", z.had as u64);
            o.str_or_null("field", z.field.map(|f| f.name));
        }
        o.end();
    }
    problems.push(b']');
}

/// [`write_dissection`] as a map of values, for callers that want one (tests, the
/// fuzzers): the same members, read back from what is written.
pub fn dissection(bytes: &[u8], dis: &Dissection) -> Map<String, Value> {
    let mut buf = Vec::new();
    let mut o = Obj::new(&mut buf);
    write_dissection(&mut o, bytes, dis);
    o.end();
    match serde_json::from_slice(&buf) {
        Ok(Value::Object(m)) => m,
        _ => unreachable!(
            "rawlab writes a JSON object: {}",
            String::from_utf8_lossy(&buf)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dissect::{dissect, dissect_from};
    use crate::wire::{PROTOCOLS, ipv4};
    use serde_json::json;

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

    /// IPv4 options set by name come out as a SYN's do: each option an object, a
    /// route's addresses its entries.
    #[test]
    fn ipv4_options_set_by_name_are_objects_with_entries() {
        use crate::wire::template::Template;
        use crate::wire::{OptionValue, option_named_by};
        let mut t = Template::default();
        for (f, v) in [
            (&ipv4::OPT_NOP, OptionValue::Count(1)),
            (
                &ipv4::OPT_LSRR,
                OptionValue::Addresses(vec![0x7f00_0001, 0x7f00_0002]),
            ),
            (&ipv4::ROUTER_ALERT, OptionValue::Raw(0)),
        ] {
            t.set_option(option_named_by(f).unwrap().1, &v).unwrap();
        }
        let b = t.build(std::time::SystemTime::UNIX_EPOCH).bytes;
        let v = Value::Object(dissection(&b, &dissect(&b, &ipv4::IPV4)));
        let ip = &v["layers"][0];
        // 1 + 11 + 4 bytes make whole words: no end of list is needed.
        assert_eq!(ip["header_length"], 36);
        let types: Vec<&Value> = ip["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["fields"]["ip.opt.type"])
            .collect();
        assert_eq!(types, [&json!(1), &json!(131), &json!(148)]);
        let lsrr = &ip["options"][1];
        assert_eq!((&lsrr["offset"], &lsrr["length"]), (&json!(21), &json!(11)));
        assert_eq!(lsrr["fields"]["ip.opt.ptr"], 4);
        assert_eq!(
            lsrr["entries"],
            json!([
                {"offset": 24, "length": 4, "fields": {"ip.src_rt": "127.0.0.1"}},
                {"offset": 28, "length": 4, "fields": {"ip.src_rt": "127.0.0.2"}},
            ])
        );
        assert_eq!(ip["options"][2]["fields"]["ip.opt.ra"], 0);
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

    /// An address is the address, as Wireshark's value is: no name in words after it.
    #[test]
    fn a_broadcast_mac_is_only_the_address() {
        let mut frame = vec![0xff; 6];
        frame.extend([2, 0, 0, 0, 0, 1, 8, 0]);
        frame.extend(WIRE);
        let v = Value::Object(dissection(&frame, &dissect(&frame, &crate::wire::eth::ETH)));
        assert_eq!(v["layers"][0]["fields"]["eth.dst"], "ff:ff:ff:ff:ff:ff");
        assert_eq!(v["layers"][0]["fields"]["eth.src"], "02:00:00:00:00:01");
        assert_eq!(v["layers"][1]["fields"]["ip.src"], "127.0.0.1");
    }

    /// What is written is JSON however odd the words: a problem's text is escaped.
    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        let mut o = Obj::new(&mut out);
        o.str("what", "a \"quote\", a \\ and a\nline");
        o.str_or_null("none", None);
        o.num("n", u64::MAX);
        o.end();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["what"], "a \"quote\", a \\ and a\nline");
        assert_eq!(v["none"], Value::Null);
        assert_eq!(v["n"], u64::MAX);
        let mut out = Vec::new();
        number(&mut out, u128::MAX);
        assert_eq!(out, format!("\"{}\"", u128::MAX).as_bytes());
    }
}
