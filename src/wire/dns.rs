//! DNS (RFC 1035 §4.1) where UDP port 53 carries it: a 12-byte header, then the
//! questions and the resource records of three sections, as many as the header's
//! counts say. Names may end in a compression pointer back into the message (RFC
//! 1035 §4.1.4); `wire::name` reads them, bounded against loops.
//!
//! The tables below are the only place a DNS field's position is written. The
//! header's fields are fixed; each question and record is an item of the tail
//! (`dns.records`), its name placed where its bytes are and the fields after the
//! name counting from the name's end, as Wireshark names them.

use super::dissect::{Item, Placed, header_items};
use super::{Field, Host, Kind, Protocol, RecordData, Records, Section, Tail, TailSpec, push_dec};
use std::fmt::Write as _;

pub static ID: Field = Field {
    aliases: &["transaction_id"],
    default: 0x1234,
    meaning: "transaction id: the asker picks it, the answer repeats it",
    rfc: "RFC 1035 §4.1.1",
    notes: "A resolver matches an answer to its question by this id and the ports. A random id (RFC 5452) is what makes forging answers hard: an off-path attacker must guess it.",
    ..Field::new("dns.id", 0, 16, Kind::Hex)
};

pub static FLAGS: Field = Field {
    group: true,
    meaning: "flags: query or response, opcode, and the bits a resolver and a server set",
    rfc: "RFC 1035 §4.1.1, RFC 4035 §3.2",
    notes: "Sixteen bits: QR, a 4-bit opcode, AA, TC, RD, RA, Z, AD, CD and a 4-bit reply code. A standard query asking for recursion is 0x0100; a typical answer to it 0x8180.",
    ..Field::new("dns.flags", 16, 16, Kind::Hex)
};

pub static RESPONSE: Field = Field {
    aliases: &["qr"],
    meaning: "response: 0 for a query, 1 for an answer",
    rfc: "RFC 1035 §4.1.1 (QR)",
    notes: "The one bit that says which way a message goes; everything else in the header keeps its place either way.",
    ..Field::new("dns.flags.response", 16, 1, Kind::Flag)
};

pub static OPCODE: Field = Field {
    names: &[
        (0, "query"),
        (1, "iquery"),
        (2, "status"),
        (4, "notify"),
        (5, "update"),
        (6, "dso"),
    ],
    meaning: "opcode: what kind of query (0, a standard query)",
    rfc: "RFC 1035 §4.1.1, RFC 1996, RFC 2136",
    notes: "Nearly every message is 0. NOTIFY (4) tells secondaries a zone changed, UPDATE (5) changes a zone; inverse query (1) is obsolete (RFC 3425).",
    ..Field::new("dns.flags.opcode", 17, 4, Kind::Dec)
};

pub static AUTHORITATIVE: Field = Field {
    aliases: &["aa"],
    meaning: "authoritative answer: the server answering owns the zone",
    rfc: "RFC 1035 §4.1.1 (AA)",
    notes: "Set by a zone's own servers; an answer from a resolver's cache does not have it.",
    ..Field::new("dns.flags.authoritative", 21, 1, Kind::Flag)
};

pub static TRUNCATED: Field = Field {
    aliases: &["tc"],
    meaning: "truncated: the answer did not fit, ask again over TCP",
    rfc: "RFC 1035 §4.1.1 (TC), RFC 7766",
    notes: "A UDP answer longer than the asker allows (512 bytes, or the EDNS size it offered) is cut and this bit set; the resolver repeats the question over TCP port 53.",
    ..Field::new("dns.flags.truncated", 22, 1, Kind::Flag)
};

pub static RECDESIRED: Field = Field {
    aliases: &["rd"],
    default: 1,
    meaning: "recursion desired: the asker wants the server to find the answer for it",
    rfc: "RFC 1035 §4.1.1 (RD)",
    notes: "Set by stub resolvers (what `getaddrinfo` talks to); a resolver asking an authoritative server leaves it clear. Copied into the answer.",
    ..Field::new("dns.flags.recdesired", 23, 1, Kind::Flag)
};

pub static RECAVAIL: Field = Field {
    aliases: &["ra"],
    meaning: "recursion available: the server would resolve for this asker",
    rfc: "RFC 1035 §4.1.1 (RA)",
    notes: "Meaningful in answers only.",
    ..Field::new("dns.flags.recavail", 24, 1, Kind::Flag)
};

pub static Z: Field = Field {
    meaning: "reserved: must be zero",
    rfc: "RFC 1035 §4.1.1 (Z)",
    notes: "Of the three bits RFC 1035 reserved, RFC 4035 took two (AD and CD); this one is still 0.",
    ..Field::new("dns.flags.z", 25, 1, Kind::Flag)
};

pub static AUTHENTICATED: Field = Field {
    aliases: &["ad"],
    meaning: "authentic data: the resolver validated the answer with DNSSEC",
    rfc: "RFC 4035 §3.2.3 (AD), RFC 6840 §5.7",
    notes: "Set in an answer by a validating resolver; in a query it asks for the bit in the answer.",
    ..Field::new("dns.flags.authenticated", 26, 1, Kind::Flag)
};

pub static CHECKDISABLE: Field = Field {
    aliases: &["cd"],
    meaning: "checking disabled: answer without DNSSEC validation",
    rfc: "RFC 4035 §3.2.2 (CD)",
    notes: "The asker will validate itself, so the resolver should hand over data even if it fails validation.",
    ..Field::new("dns.flags.checkdisable", 27, 1, Kind::Flag)
};

pub static RCODE: Field = Field {
    names: &[
        (0, "noerror"),
        (1, "formerr"),
        (2, "servfail"),
        (3, "nxdomain"),
        (4, "notimp"),
        (5, "refused"),
        (6, "yxdomain"),
        (7, "yxrrset"),
        (8, "nxrrset"),
        (9, "notauth"),
        (10, "notzone"),
    ],
    meaning: "reply code: 0 no error, 3 no such name",
    rfc: "RFC 1035 §4.1.1, RFC 2136, RFC 6895",
    notes: "In an answer: 3 (NXDOMAIN) says the name does not exist, 2 (SERVFAIL) the server could not find out, 5 (REFUSED) it will not answer this asker. dig shows these names.",
    ..Field::new("dns.flags.rcode", 28, 4, Kind::Dec)
};

pub static COUNT_QUERIES: Field = Field {
    aliases: &["qdcount"],
    default: 1,
    meaning: "questions that follow the header",
    rfc: "RFC 1035 §4.1.1 (QDCOUNT)",
    notes: "Almost always 1, in the answer too, which repeats the question. rawlab does not compute the counts: set one that disagrees with the records to see how a dissector (or a server) copes.",
    ..Field::new("dns.count.queries", 32, 16, Kind::Dec)
};

pub static COUNT_ANSWERS: Field = Field {
    aliases: &["ancount"],
    meaning: "answer records after the questions",
    rfc: "RFC 1035 §4.1.1 (ANCOUNT)",
    notes: "0 in a query. A name with an alias answers with its CNAME record, then the records of the name it points to.",
    ..Field::new("dns.count.answers", 48, 16, Kind::Dec)
};

pub static COUNT_AUTH: Field = Field {
    aliases: &["nscount"],
    meaning: "authority records after the answers",
    rfc: "RFC 1035 §4.1.1 (NSCOUNT)",
    notes: "The servers of the zone (NS records), or, for a name that does not exist, the zone's SOA record.",
    ..Field::new("dns.count.auth_rr", 64, 16, Kind::Dec)
};

pub static COUNT_ADD: Field = Field {
    aliases: &["arcount"],
    meaning: "additional records after the authority records",
    rfc: "RFC 1035 §4.1.1 (ARCOUNT), RFC 6891",
    notes: "Addresses of the servers named in the authority section, and the EDNS OPT pseudo-record (type 41) by which an asker offers a larger UDP size; dig sends one by default.",
    ..Field::new("dns.count.add_rr", 80, 16, Kind::Dec)
};

pub static RECORDS: Field = Field {
    meaning: "the questions and resource records after the header",
    rfc: "RFC 1035 §4.1.2, §4.1.3",
    notes: "Each question is a name, a type and a class; each record a name, type, class, time to live, data length and data. The dump shows them one by one; set them as bytes. A new template asks for example.com's A record.",
    ..Field::new("dns.records", 96, 0, Kind::Bytes)
};

/// Record types by the names dig and Wireshark show.
pub const TYPE_NAMES: &[(u128, &str)] = &[
    (1, "A"),
    (2, "NS"),
    (5, "CNAME"),
    (6, "SOA"),
    (12, "PTR"),
    (13, "HINFO"),
    (15, "MX"),
    (16, "TXT"),
    (28, "AAAA"),
    (33, "SRV"),
    (35, "NAPTR"),
    (41, "OPT"),
    (43, "DS"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (252, "AXFR"),
    (255, "ANY"),
    (257, "CAA"),
];

/// Classes: nearly everything is IN.
const CLASS_NAMES: &[(u128, &str)] =
    &[(1, "IN"), (3, "CH"), (4, "HS"), (254, "NONE"), (255, "ANY")];

pub static QRY_NAME: Field = Field {
    meaning: "the name asked about",
    rfc: "RFC 1035 §4.1.2 (QNAME), §3.1",
    notes: "Labels, each a length byte and up to 63 bytes: 07 example 03 com 00 is example.com. The answer repeats the question.",
    ..Field::new("dns.qry.name", 0, 0, Kind::Name)
};

pub static QRY_TYPE: Field = Field {
    names: TYPE_NAMES,
    meaning: "the type of record asked for: 1 A (IPv4 address), 28 AAAA (IPv6)",
    rfc: "RFC 1035 §4.1.2 (QTYPE), §3.2.2",
    notes: "getaddrinfo asks for A and AAAA, often in two datagrams from one port; 255 (ANY) is discouraged (RFC 8482).",
    ..Field::new("dns.qry.type", 0, 16, Kind::Dec)
};

pub static QRY_CLASS: Field = Field {
    names: CLASS_NAMES,
    meaning: "the class asked about: 1, the Internet",
    rfc: "RFC 1035 §4.1.2 (QCLASS), §3.2.4",
    notes: "Always 1 (IN) but for curiosities: class 3 (CH) is how `dig ch txt version.bind` asks a server its version.",
    ..Field::new("dns.qry.class", 16, 16, Kind::Hex)
};

pub static RESP_NAME: Field = Field {
    meaning: "the name a record is about",
    rfc: "RFC 1035 §4.1.3 (NAME), §4.1.4",
    notes: "In an answer usually a pointer (c0 0c) to the question's name at byte 12 of the message: DNS compresses a name it already wrote. The dump shows the name the pointer leads to.",
    ..Field::new("dns.resp.name", 0, 0, Kind::Name)
};

pub static RESP_TYPE: Field = Field {
    names: TYPE_NAMES,
    meaning: "the record's type, which says how its data reads",
    rfc: "RFC 1035 §4.1.3 (TYPE), §3.2.2",
    notes: "An A record's data is 4 bytes of IPv4 address, AAAA's 16 of IPv6; CNAME, NS and PTR hold a name. Type 41 (OPT) is EDNS's pseudo-record, whose class is the asker's UDP size.",
    ..Field::new("dns.resp.type", 0, 16, Kind::Dec)
};

pub static RESP_CLASS: Field = Field {
    names: CLASS_NAMES,
    meaning: "the record's class: 1, the Internet",
    rfc: "RFC 1035 §4.1.3 (CLASS), RFC 6891 §6.1.2",
    notes: "1 (IN) but in an OPT record, where these 16 bits are the largest UDP answer the sender takes (1232 is common).",
    ..Field::new("dns.resp.class", 16, 16, Kind::Hex)
};

pub static RESP_TTL: Field = Field {
    unit: "seconds",
    meaning: "time to live: how long the record may be cached",
    rfc: "RFC 1035 §4.1.3 (TTL)",
    notes: "A resolver counts it down as the record sits in its cache, so two answers a minute apart show different TTLs.",
    ..Field::new("dns.resp.ttl", 32, 32, Kind::Dec)
};

pub static RESP_LEN: Field = Field {
    unit: "bytes",
    meaning: "data length: bytes of data after this field",
    rfc: "RFC 1035 §4.1.3 (RDLENGTH)",
    notes: "4 for an A record, 16 for AAAA. A length past the message's end leaves the record, and those after it, unreadable.",
    ..Field::new("dns.resp.len", 64, 16, Kind::Dec)
};

pub static A: Field = Field {
    meaning: "an IPv4 address the name has (an A record's data)",
    rfc: "RFC 1035 §3.4.1",
    notes: "What a lookup of the name returns. Nothing is sent to it by this packet.",
    // An answer names a host but sends nothing there; the policy checks where packets go.
    host: Host::NotAHost,
    ..Field::new("dns.a", 0, 32, Kind::Ipv4)
};

pub static AAAA: Field = Field {
    meaning: "an IPv6 address the name has (an AAAA record's data)",
    rfc: "RFC 3596 §2.2",
    notes: "Four times the A record's size: AAAA. Nothing is sent to it by this packet.",
    host: Host::NotAHost,
    ..Field::new("dns.aaaa", 0, 128, Kind::Ipv6)
};

pub static CNAME: Field = Field {
    meaning: "the canonical name: the name this one is an alias of",
    rfc: "RFC 1035 §3.3.1",
    notes: "A resolver follows it and looks up the canonical name, usually answering with both records at once.",
    ..Field::new("dns.cname", 0, 0, Kind::Name)
};

pub static NS: Field = Field {
    meaning: "a name server of the zone",
    rfc: "RFC 1035 §3.3.11",
    notes: "Where a resolver asks next, on its way down from the root.",
    ..Field::new("dns.ns", 0, 0, Kind::Name)
};

pub static PTR: Field = Field {
    meaning: "the name an address belongs to (a reverse lookup's answer)",
    rfc: "RFC 1035 §3.3.12",
    notes: "Asked for under in-addr.arpa: 7.2.0.192.in-addr.arpa for 192.0.2.7, the address's bytes backwards.",
    ..Field::new("dns.ptr.domain_name", 0, 0, Kind::Name)
};

pub static DATA: Field = Field {
    meaning: "record data rawlab does not take apart",
    rfc: "RFC 1035 §4.1.3 (RDATA)",
    notes: "The data of a type without a table here (MX, TXT, SOA, OPT's options …), shown as bytes.",
    ..Field::new("dns.data", 0, 0, Kind::Bytes)
};

pub static EXTRA: Field = Field {
    meaning: "bytes after the last record the counts announce",
    rfc: "RFC 1035 §4.1",
    notes: "A message ends with its last record; bytes after it belong to no section. Seen when a count is smaller than the records written.",
    ..Field::new("dns.extra", 0, 0, Kind::Bytes)
};

pub static FIELDS: &[&Field] = &[
    &ID,
    &FLAGS,
    &RESPONSE,
    &OPCODE,
    &AUTHORITATIVE,
    &TRUNCATED,
    &RECDESIRED,
    &RECAVAIL,
    &Z,
    &AUTHENTICATED,
    &CHECKDISABLE,
    &RCODE,
    &COUNT_QUERIES,
    &COUNT_ANSWERS,
    &COUNT_AUTH,
    &COUNT_ADD,
];

static RR_DATA: RecordData = RecordData {
    len: &RESP_LEN,
    by: &RESP_TYPE,
    kinds: &[(1, &A), (28, &AAAA), (5, &CNAME), (2, &NS), (12, &PTR)],
    other: &DATA,
};

const RR_FIELDS: &[&Field] = &[&RESP_TYPE, &RESP_CLASS, &RESP_TTL, &RESP_LEN];

/// A resource record of a section counted by `count`.
const fn rr(count: &'static Field, what: &'static str) -> Section {
    Section {
        count,
        what,
        name: &RESP_NAME,
        fields: RR_FIELDS,
        data: Some(&RR_DATA),
    }
}

pub static RECORD_LIST: Records = Records {
    sections: &[
        Section {
            count: &COUNT_QUERIES,
            what: "query",
            name: &QRY_NAME,
            fields: &[&QRY_TYPE, &QRY_CLASS],
            data: None,
        },
        rr(&COUNT_ANSWERS, "answer"),
        rr(&COUNT_AUTH, "authority record"),
        rr(&COUNT_ADD, "additional record"),
    ],
    extra: &EXTRA,
};

/// example.com, type A, class IN: what a new template asks.
const EXAMPLE_QUERY: &[u8] = b"\x07example\x03com\x00\x00\x01\x00\x01";

static RECORDS_TAIL: TailSpec = TailSpec {
    field: &RECORDS,
    unit: 1,
    // The most a UDP datagram over IPv6 carries.
    max_header: 65_527,
    default: EXAMPLE_QUERY,
    pad: "a DNS message may have any length",
    format: |_| Tail::Records(&RECORD_LIST),
    formats: &[Tail::Records(&RECORD_LIST)],
};

pub static DNS: Protocol = Protocol {
    name: "dns",
    aliases: &[],
    title: "DNS",
    fields: FIELDS,
    tail: Some(&RECORDS_TAIL),
    fixed_len: 12,
    // The whole message is header: the records follow the fixed part to the datagram's end.
    header_len: |b| b.len(),
    ids: &[("udp", 53)],
    summary,
    ..Protocol::BASE
};

/// The operation in tshark's words.
fn opcode_words(op: u128) -> Option<&'static str> {
    Some(match op {
        0 => "Standard query",
        1 => "Inverse query",
        2 => "Server status request",
        4 => "Zone change notification",
        5 => "Dynamic update",
        _ => return None,
    })
}

/// The reply code in tshark's words, when it is not "no error".
fn rcode_words(rc: u128) -> Option<&'static str> {
    Some(match rc {
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists",
        7 => "RRset exists",
        8 => "RRset does not exist",
        9 => "Not authoritative",
        10 => "Name out of zone",
        _ => return None,
    })
}

/// The type of a zone's start-of-authority record.
const SOA: u128 = 6;

/// Records the summary names; tshark names them all, a line here stops after these.
const SUMMARY_RECORDS: usize = 8;

/// tshark's Info column: `DNS Standard query 0x1234 A example.com`, and for an answer
/// `DNS Standard query response 0x1234 A example.com A 192.0.2.7`.
fn summary(b: &[u8], s: &mut String) {
    if b.len() < FLAGS.end_byte() {
        let _ = write!(s, "DNS (cut short at {} bytes)", b.len());
        return;
    }
    s.push_str("DNS ");
    let op = OPCODE.get(b);
    match opcode_words(op) {
        Some(w) => s.push_str(w),
        None => {
            s.push_str("opcode ");
            push_dec(s, op);
        }
    }
    if RESPONSE.get(b) == 1 {
        s.push_str(" response");
    }
    s.push_str(" 0x");
    super::push_hex(s, ID.get(b), 4);
    let rc = RCODE.get(b);
    if rc != 0 {
        s.push(' ');
        match rcode_words(rc) {
            Some(w) => s.push_str(w),
            None => {
                s.push_str("rcode ");
                push_dec(s, rc);
            }
        }
    }
    if b.len() < DNS.fixed_len {
        return;
    }
    let items = header_items(&DNS, b);
    for (n, it) in items.iter().enumerate() {
        if n == SUMMARY_RECORDS {
            s.push_str(" …");
            break;
        }
        record_words(s, b, it);
    }
}

/// A record in a summary: its type, then its name (a question) or its data (an answer).
fn record_words(s: &mut String, msg: &[u8], it: &Item) {
    let field = |f: &Field| it.fields.iter().find(|p| p.field == f);
    let text = |s: &mut String, p: &Placed| match p.field.kind {
        Kind::Name => super::name::write_words(s, msg, p.span.start),
        _ => p.field.write_words(s, p.get(msg), None),
    };
    let ty = |s: &mut String, p: &Placed| {
        let raw = p.get(msg);
        s.push(' ');
        super::push_name_or(s, p.field.value_name(raw), "type ", raw);
    };
    if let Some(t) = field(&QRY_TYPE) {
        ty(s, t);
        if let Some(n) = field(&QRY_NAME) {
            s.push(' ');
            text(s, n);
        }
    } else if let Some(t) = field(&RESP_TYPE) {
        ty(s, t);
        if let Some(d) = [&A, &AAAA, &CNAME, &NS, &PTR].into_iter().find_map(field) {
            s.push(' ');
            text(s, d);
        } else if let (SOA, Some(d)) = (t.get(msg), field(&DATA)) {
            // tshark names a zone's SOA by its primary server, the name its data starts with.
            let mut name = String::new();
            if super::name::read(msg, d.span.start, &mut name)
                .error
                .is_none()
            {
                s.push(' ');
                s.push_str(&name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dissect::{Dissection, Trouble, dissect};
    use crate::wire::{ipv4, udp};

    /// An IPv4 and UDP header around a DNS message, between documentation addresses.
    pub(crate) fn over_udp(sport: u16, dport: u16, msg: &[u8]) -> Vec<u8> {
        let total = 28 + msg.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0,
            0,
            64,
            17,
            0,
            0,
        ];
        p.extend([192, 0, 2, 1, 198, 51, 100, 53]);
        p.extend(sport.to_be_bytes());
        p.extend(dport.to_be_bytes());
        p.extend(((8 + msg.len()) as u16).to_be_bytes());
        p.extend([0, 0]);
        p.extend(msg);
        p
    }

    /// A query for example.com's A record, id 0x1234, recursion desired.
    pub(crate) fn query() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend(EXAMPLE_QUERY);
        m
    }

    /// Its answer: a CNAME from www.example.com to example.com and example.com's A
    /// record, both names compressed.
    pub(crate) fn response() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        m.extend(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        // www.example.com CNAME example.com (a pointer to byte 16, inside the question).
        m.extend([0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 2, 0xc0, 0x10]);
        // example.com A 192.0.2.7
        m.extend([0xc0, 0x10, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 7]);
        m
    }

    fn dns(msg: &[u8], sport: u16, dport: u16) -> (Vec<u8>, Dissection) {
        let p = over_udp(sport, dport, msg);
        let d = dissect(&p, &ipv4::IPV4);
        d.audit(&p, 0).unwrap();
        (p, d)
    }

    /// The decoded text of every name field, in order.
    fn names(p: &[u8], d: &Dissection) -> Vec<(&'static str, String)> {
        let l = &d.layers[2];
        l.items
            .iter()
            .flat_map(|i| &i.fields)
            .filter(|f| f.field.kind == Kind::Name)
            .map(|f| {
                let mut s = String::new();
                crate::wire::name::write_words(
                    &mut s,
                    &p[f.base..l.hdr_end],
                    f.span.start - f.base,
                );
                (f.field.name, s)
            })
            .collect()
    }

    #[test]
    fn a_query() {
        let (p, d) = dns(&query(), 40000, 53);
        assert_eq!(d.stack_name(), "ip/udp/dns");
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(d.payload.is_empty(), "the message is all DNS");
        assert_eq!(d.value(&p, &ID), Some(0x1234));
        assert_eq!(d.value(&p, &RECDESIRED), Some(1));
        assert_eq!(d.value(&p, &COUNT_QUERIES), Some(1));
        assert_eq!(d.value(&p, &QRY_TYPE), Some(1));
        assert_eq!(d.value(&p, &QRY_CLASS), Some(1));
        let l = &d.layers[2];
        assert_eq!(l.items.len(), 1);
        assert_eq!(l.items[0].span, 40..57);
        assert_eq!(names(&p, &d), [("dns.qry.name", "example.com".to_string())]);
        assert_eq!(
            d.summary(&p),
            "IPv4 192.0.2.1 → 198.51.100.53 ttl 64 udp · UDP 40000 → 53 len 37 · DNS Standard query 0x1234 A example.com"
        );
    }

    #[test]
    fn a_response_with_compressed_names() {
        let (p, d) = dns(&response(), 53, 40000);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.layers[2].items.len(), 3);
        assert_eq!(
            names(&p, &d),
            [
                ("dns.qry.name", "www.example.com".to_string()),
                ("dns.resp.name", "www.example.com".to_string()),
                ("dns.cname", "example.com".to_string()),
                ("dns.resp.name", "example.com".to_string()),
            ]
        );
        assert_eq!(d.value(&p, &A), Some(0xc000_0207));
        assert_eq!(d.value(&p, &RESP_TTL), Some(3600));
        // The pointer is two bytes in place, however long the name it leads to.
        let ptr = d.layers[2].items[1].fields[0].span.clone();
        assert_eq!(ptr.len(), 2);
        let dns = d.layers[2].header(&p);
        assert_eq!(
            DNS.summary_text(dns),
            "DNS Standard query response 0x1234 A www.example.com CNAME example.com A 192.0.2.7"
        );
    }

    #[test]
    fn other_ports_stay_data() {
        let (_, d) = dns(&query(), 40000, 5300);
        assert_eq!(d.stack_name(), "ip/udp");
        assert_eq!(d.payload.len(), query().len());
    }

    fn problems(msg: &[u8]) -> Vec<(usize, String)> {
        let (_, d) = dns(msg, 40000, 53);
        assert!(d.problems.iter().all(|p| p.kind == Trouble::BadOption));
        d.problems
            .iter()
            .map(|p| (p.offset, p.what.clone()))
            .collect()
    }

    #[test]
    fn malformed_messages_are_problems_not_panics() {
        // Two questions announced, one there.
        let mut m = query();
        m[5] = 2;
        assert_eq!(
            problems(&m),
            [(
                32,
                "dns.count.queries says 2 queries, but the message ends at byte 57 after 1 of them"
                    .to_string()
            )]
        );
        // An answer whose name points at itself.
        let mut m = query();
        m[3] = 0x80;
        m[7] = 1;
        m.extend([0xc0, 29, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192, 0, 2, 7]);
        assert_eq!(
            problems(&m),
            [(57, "dns.resp.name: the pointer at byte 57 points to byte 57 (29 into the message), where the name already went: a pointer loop".to_string())]
        );
        // The name is unreadable, but its place is known: the walk goes on to the address.
        let (p, d) = dns(&m, 40000, 53);
        assert_eq!(d.value(&p, &A), Some(0xc000_0207));
        assert_eq!(names(&p, &d)[1].1, "… (pointer loop)");
        // A label past the end.
        let mut m = query();
        m.truncate(m.len() - 6);
        assert_eq!(
            problems(&m),
            [(
                48,
                "dns.qry.name: the label at byte 48 says 3 bytes, but only 2 remain in the message"
                    .to_string()
            )]
        );
        // A data length past the end.
        let mut m = response();
        let n = m.len();
        m[n - 5] = 40;
        let got = problems(&m);
        assert_eq!(got.len(), 1);
        assert!(
            got[0]
                .1
                .starts_with("dns.resp.len says 40 bytes of data for the answer at byte 75"),
            "{got:?}"
        );
        // An A record of 5 bytes.
        let mut m = response();
        let n = m.len();
        m[n - 5] = 5;
        m.push(9);
        assert!(problems(&m)[0].1.contains("but dns.a is 4 bytes"));
        // Every prefix of a response, and a query in a quote cut short, read without panic.
        let r = response();
        for n in 0..r.len() {
            let _ = dns(&r[..n], 53, 40000);
        }
    }

    #[test]
    fn a_quote_cut_short_is_no_fault() {
        let mut inner = over_udp(40000, 53, &response());
        inner.truncate(inner.len() - 20);
        let mut e = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 1, 0, 0, 198, 51, 100, 53, 192, 0, 2, 1,
        ];
        let total = 28 + inner.len();
        e[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        e.extend([3, 3, 0, 0, 0, 0, 0, 0]);
        e.extend(&inner);
        let d = dissect(&e, &ipv4::IPV4);
        d.audit(&e, 0).unwrap();
        assert_eq!(d.stack_name(), "ip/icmp/ip/udp/dns");
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(
            d.layers[4].quoted && d.layers[4].cut,
            "cut short with the quote"
        );
    }

    proptest::proptest! {
        /// Any bytes as a DNS message, whole or mutated from a real answer, read
        /// without a panic, with every byte shown, and a summary.
        #[test]
        fn any_message_reads_and_audits(
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120),
            flips in proptest::collection::vec((0usize..90, proptest::prelude::any::<u8>()), 0..6),
        ) {
            let (p, d) = dns(&junk, 53, 40000);
            proptest::prop_assert!(!d.summary(&p).is_empty());
            let mut m = response();
            for (at, b) in flips {
                let n = m.len();
                m[at % n] = b;
            }
            let (p, d) = dns(&m, 53, 40000);
            proptest::prop_assert!(!d.summary(&p).is_empty());
        }
    }

    #[test]
    fn a_new_template_asks_for_example_com() {
        use crate::wire::template::Template;
        let t = Template::new(&[&ipv4::IPV4, &udp::UDP, &DNS]);
        let b = t.build(std::time::SystemTime::UNIX_EPOCH).bytes;
        let d = dissect(&b, &ipv4::IPV4);
        d.audit(&b, 0).unwrap();
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.value(&b, &udp::DSTPORT), Some(53), "sent to DNS's port");
        assert_eq!(
            d.value(&b, &FLAGS),
            Some(0x0100),
            "a standard query, recursion desired"
        );
        assert!(
            d.summary(&b)
                .ends_with("DNS Standard query 0x1234 A example.com")
        );
    }

    #[test]
    fn udp_names_dns_by_either_port() {
        assert_eq!(crate::wire::carried(&udp::UDP, 53), Some(&DNS));
    }
}
