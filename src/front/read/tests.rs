//! The tests of `read`: packets from a file drawn, related and written as JSON as a
//! session would.

use super::relating::TIMES;
use super::*;
use crate::capture::Origin;
use crate::capture::pcap::{LinkType, Record};
use crate::wire::ipv4;
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

const REQUEST: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

/// The kernel's answer to the post's request.
fn reply() -> Vec<u8> {
    let mut b = REQUEST.to_vec();
    b[5] = 0xd5; // ip.id
    b[11] = 0x08; // ip.checksum
    b[20] = 0; // icmp.type echo-reply
    b[22] = 0x3f; // icmp.checksum
    b
}

fn record(no: u64, micros: u64, link: LinkType, bytes: Vec<u8>) -> Record {
    Record {
        no,
        offset: 0,
        time: UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_micros(micros),
        digits: 6,
        link,
        orig_len: bytes.len() as u32,
        bytes,
        interface: None,
        comments: Vec::new(),
        flags: None,
        interface_name: None,
        time_note: None,
    }
}

fn drawn(item: &Item) -> String {
    let mut out = String::new();
    text(&mut out, item, &Style::PLAIN);
    out
}

/// Read from a file, a reply's dump says what a session's `dump` says of the same
/// packets loaded into it, line for line below the heading.
#[test]
fn a_reply_is_drawn_as_a_session_draws_it() {
    let mut r = Relating::new(Path::new("lo.pcap"));
    let first = r.relate(record(1, 0, LinkType::RAW, REQUEST.to_vec()), 1);
    let second = r.relate(record(2, 19, LinkType::RAW, reply()), 1);
    assert!(first.relations.is_empty());
    let read = drawn(&second);
    assert!(
        read.contains("\n  reply to #1, 19 µs after it was sent; what differs: ip.id (bytes 4–5), ip.checksum (bytes 10–11), icmp.type (byte 20), icmp.checksum (bytes 22–23)\n"),
        "{read}"
    );
    assert!(read.contains("↳ was 8 (echo-request) in #1"), "{read}");

    let shower = crate::session::Shower::new(crate::capture::Store::new(10), Style::PLAIN, false);
    for item in [&first, &second] {
        let rec = &item.rec;
        let origin = Origin::File {
            path: Path::new("lo.pcap").into(),
            index: rec.no,
        };
        shower
            .store
            .push(rec.time, item.frame().to_vec(), &ipv4::IPV4, origin);
    }
    let p = shower.store.get(2).unwrap();
    let mut session = Vec::new();
    shower.dump(&mut session, &p, p.relations()).unwrap();
    let session = String::from_utf8(session).unwrap();
    let below = |s: &str| s.split_once('\n').unwrap().1.to_string();
    assert_eq!(below(&read), below(&session));
}

/// Behind a link header no table reads, relations count from the packet, the dump
/// from the frame: notes and marks say where the bytes are in the frame.
#[test]
fn behind_a_cooked_header_the_fields_are_where_the_frame_has_them() {
    let cooked = |ip: &[u8]| {
        let mut f = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0];
        f.extend(ip);
        f
    };
    let mut r = Relating::new(Path::new("any.pcap"));
    r.relate(record(1, 0, LinkType::LINUX_SLL, cooked(&REQUEST)), 1);
    let second = r.relate(record(2, 25, LinkType::LINUX_SLL, cooked(&reply())), 1);
    assert_eq!(second.start(), 16);
    let read = drawn(&second);
    assert!(
        read.contains("what differs: ip.id (bytes 20–21), ip.checksum (bytes 26–27), icmp.type (byte 36), icmp.checksum (bytes 38–39)\n"),
        "{read}"
    );
    let id = read
        .lines()
        .position(|l| l.starts_with("    ip.id"))
        .unwrap();
    assert!(
        read.lines()
            .nth(id + 1)
            .unwrap()
            .contains("↳ was 0x1cd4 in #1"),
        "{read}"
    );
}

/// A request further back than the times kept is still named; its round trip is
/// left out rather than guessed.
#[test]
fn a_reply_to_a_request_whose_time_is_gone() {
    let mut r = Relating::new(Path::new("long.pcap"));
    r.relate(record(1, 0, LinkType::RAW, REQUEST.to_vec()), 1);
    let datagram = crate::wire::udp::tests::DATAGRAM.to_vec();
    for no in 2..TIMES as u64 + 3 {
        r.relate(record(no, no, LinkType::RAW, datagram.clone()), 1);
    }
    assert!(r.times.len() <= TIMES);
    let last = r.relate(record(TIMES as u64 + 3, 9999, LinkType::RAW, reply()), 1);
    assert!(last.times.is_empty());
    let read = drawn(&last);
    assert!(
        read.contains("\n  reply to #1; what differs: ip.id"),
        "{read}"
    );
}

#[test]
fn an_error_names_the_datagram_it_quotes_in_json() {
    let mut r = Relating::new(Path::new("udp.pcap"));
    let datagram = crate::wire::udp::tests::DATAGRAM.to_vec();
    let error = crate::wire::icmp::tests::PORT_UNREACHABLE.to_vec();
    let items = [
        r.relate(record(1, 0, LinkType::RAW, datagram), 1),
        r.relate(record(2, 40, LinkType::RAW, error), 1),
    ];
    let lines: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut out = Vec::new();
            json_line(&mut out, i).unwrap();
            serde_json::from_slice(&out).unwrap()
        })
        .collect();
    assert_eq!(lines[1]["error_about"], 1);
    assert_eq!(lines[1]["quoted_length"], 30);
    assert!(lines[0].get("error_about").is_none(), "{}", lines[0]);
    // What the error says, read from its own fields: who refused it, and why.
    let text = drawn(&items[1]);
    assert!(
        text.contains(
            "\n  an error about #1: it quotes the whole of it, 30 bytes; no socket on 127.0.0.1 listens on the port it was sent to, so its kernel refused it\n"
        ),
        "{text}"
    );
}
