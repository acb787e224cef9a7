//! Files made by hand, byte by byte, for every format variant, link type and
//! kind of damage the reader must handle; and `save` → `load` round trips.

use super::*;
use crate::capture::{Origin, Packet};
use crate::net::Mode;
use crate::wire::ipv4::IPV4;
use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The post's request as the kernel put it on the wire.
const IP: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

fn at(secs: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(secs, nanos)
}

/// A classic pcap file, in either byte order and resolution.
struct Pcap {
    bytes: Vec<u8>,
    big: bool,
}

impl Pcap {
    fn new(big: bool, nanos: bool, snaplen: u32, link: u32) -> Pcap {
        let mut p = Pcap {
            bytes: Vec::new(),
            big,
        };
        p.u32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        p.u16(2);
        p.u16(4);
        p.u32(0);
        p.u32(0);
        p.u32(snaplen);
        p.u32(link);
        p
    }
    fn u16(&mut self, v: u16) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend(b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend(b);
    }
    /// A record whose header says `caplen` (which may lie) over `data`.
    fn record_claiming(mut self, sec: u32, frac: u32, caplen: u32, orig: u32, data: &[u8]) -> Self {
        self.u32(sec);
        self.u32(frac);
        self.u32(caplen);
        self.u32(orig);
        self.bytes.extend(data);
        self
    }
    fn record(self, sec: u32, frac: u32, data: &[u8]) -> Self {
        let n = data.len() as u32;
        self.record_claiming(sec, frac, n, n, data)
    }
}

/// A pcapng file, block by block.
#[derive(Default)]
struct Ng {
    bytes: Vec<u8>,
    big: bool,
}

impl Ng {
    fn u16(v: u16, big: bool) -> [u8; 2] {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(v: u32, big: bool) -> [u8; 4] {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(mut self, ty: u32, body: &[u8]) -> Self {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        self.bytes.extend(Ng::u32(ty, self.big));
        self.bytes.extend(Ng::u32(len, self.big));
        self.bytes.extend(body);
        self.bytes.extend(vec![0; pad]);
        self.bytes.extend(Ng::u32(len, self.big));
        self
    }
    fn shb(mut self, big: bool) -> Self {
        self.big = big;
        let mut b = Vec::new();
        b.extend(Ng::u32(0x1a2b_3c4d, big));
        b.extend(Ng::u16(1, big));
        b.extend(Ng::u16(0, big));
        b.extend((-1i64).to_le_bytes());
        self.block(PCAPNG_MAGIC, &b)
    }
    fn options(&self, opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut b = Vec::new();
        for (code, v) in opts {
            b.extend(Ng::u16(*code, self.big));
            b.extend(Ng::u16(v.len() as u16, self.big));
            b.extend(*v);
            b.extend(vec![0; (4 - v.len() % 4) % 4]);
        }
        if !opts.is_empty() {
            b.extend([0, 0, 0, 0]);
        }
        b
    }
    fn idb(self, link: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> Self {
        let mut b = Vec::new();
        b.extend(Ng::u16(link, self.big));
        b.extend([0, 0]);
        b.extend(Ng::u32(snaplen, self.big));
        b.extend(self.options(opts));
        self.block(1, &b)
    }
    fn epb(self, if_id: u32, ts: u64, data: &[u8], orig: u32) -> Self {
        self.epb_with(if_id, ts, data, orig, &[])
    }
    fn epb_with(self, if_id: u32, ts: u64, data: &[u8], orig: u32, opts: &[(u16, &[u8])]) -> Self {
        let big = self.big;
        let mut b = Vec::new();
        b.extend(Ng::u32(if_id, big));
        b.extend(Ng::u32((ts >> 32) as u32, big));
        b.extend(Ng::u32(ts as u32, big));
        b.extend(Ng::u32(data.len() as u32, big));
        b.extend(Ng::u32(orig, big));
        b.extend(data);
        b.extend(vec![0; (4 - data.len() % 4) % 4]);
        b.extend(self.options(opts));
        self.block(6, &b)
    }
    fn spb(self, data: &[u8]) -> Self {
        let mut b = Vec::new();
        b.extend(Ng::u32(data.len() as u32, self.big));
        b.extend(data);
        self.block(3, &b)
    }
}

fn read_all(bytes: &[u8]) -> (Vec<Record>, Option<FileError>) {
    let mut r = Reader::new(bytes).expect("header");
    let mut recs = Vec::new();
    let mut bounded = 0;
    for x in r.by_ref() {
        bounded += 1;
        assert!(bounded < 100_000, "reader does not end");
        match x {
            Ok(rec) => recs.push(rec),
            Err(e) => return (recs, Some(e)),
        }
    }
    (recs, None)
}

fn framed(header: &[u8]) -> Vec<u8> {
    let mut v = header.to_vec();
    v.extend(IP);
    v
}

#[test]
fn pcap_in_both_byte_orders_and_resolutions() {
    for big in [false, true] {
        for nanos in [false, true] {
            let frac = if nanos { 123_456_789 } else { 123_456 };
            let f = Pcap::new(big, nanos, 65535, 101)
                .record(1_714_566_896, frac, &IP)
                .record(1_714_566_897, 0, &IP[..20]);
            let mut r = Reader::new(&f.bytes[..]).unwrap();
            assert_eq!(
                r.format(),
                Format::Pcap {
                    nanos,
                    big_endian: big
                }
            );
            let iface = r.interfaces()[0].clone();
            assert_eq!((iface.link, iface.snaplen), (LinkType::RAW, 65535));
            let a = r.next().unwrap().unwrap();
            let b = r.next().unwrap().unwrap();
            assert!(r.next().is_none());
            assert_eq!(a.bytes, IP);
            assert_eq!((a.no, a.offset, a.orig_len, a.interface), (1, 24, 30, None));
            assert_eq!((b.no, b.offset, b.bytes.len()), (2, 24 + 16 + 30, 20));
            let want = if nanos {
                at(1_714_566_896, 123_456_789)
            } else {
                at(1_714_566_896, 123_456_000)
            };
            assert_eq!(a.time, want, "big {big} nanos {nanos}");
            assert_eq!(a.digits, if nanos { 9 } else { 6 });
        }
    }
}

#[test]
fn every_link_type_reaches_the_ip_header() {
    let sll = [0, 4, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
    let sll2 = [
        0x08, 0, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut eth = vec![0u8; 12];
    eth.extend([0x08, 0x00]);
    let cases: &[(u32, Vec<u8>, usize)] = &[
        (0, framed(&[2, 0, 0, 0]), 4),
        (1, framed(&eth), 14),
        (12, framed(&[]), 0),
        (14, framed(&[]), 0),
        (101, framed(&[]), 0),
        (108, framed(&[0, 0, 0, 2]), 4),
        (113, framed(&sll), 16),
        (228, framed(&[]), 0),
        (276, framed(&sll2), 20),
    ];
    for (link, frame, start) in cases {
        let f = Pcap::new(false, false, 262_144, *link).record(1, 2, frame);
        let (recs, err) = read_all(&f.bytes);
        assert!(err.is_none(), "link {link}: {err:?}");
        assert_eq!(recs[0].link, LinkType(*link));
        let d = link::decap(recs[0].link, &recs[0].bytes);
        // Ethernet's table reads its header: the frame starts with it. The others are
        // stripped to the IP header.
        let (first, from) = if *link == 1 {
            ("eth", 0)
        } else {
            ("ip", *start)
        };
        assert_eq!(d.first.map(|p| p.name), Some(first), "link {link}: {d:?}");
        assert_eq!(d.start(), from, "link {link}");
        let dis = crate::wire::dissect::dissect_from(&recs[0].bytes, from, d.first.unwrap());
        let ip = dis.layers.iter().find(|l| l.proto == &IPV4).expect("IPv4");
        assert_eq!(
            (ip.start, &recs[0].bytes[ip.start..]),
            (*start, &IP[..]),
            "link {link}"
        );
    }
}

#[test]
fn pcapng_with_interfaces_of_different_link_types_and_clocks() {
    let mut eth = vec![0u8; 12];
    eth.extend([0x08, 0x00]);
    let sll2 = [
        0x08, 0, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let f = Ng::default()
        .shb(false)
        .idb(1, 262_144, &[(2, b"lo")])
        .idb(101, 65535, &[(9, &[9])])
        .epb(0, 1_714_566_896_000_001, &framed(&eth), 44)
        .epb(1, 1_714_566_896_000_000_007, &IP, 30)
        .idb(276, 0, &[(2, b"any"), (9, &[3])])
        .epb(2, 1_714_566_896_500, &framed(&sll2), 50)
        .spb(&framed(&eth));
    let mut r = Reader::new(&f.bytes[..]).unwrap();
    assert_eq!(r.format(), Format::PcapNg);
    let recs: Vec<Record> = r.by_ref().map(|x| x.unwrap()).collect();
    assert_eq!(recs.len(), 4);
    let ifs = r.interfaces();
    assert_eq!(ifs.len(), 3);
    assert_eq!(ifs[0].name.as_deref(), Some("lo"));
    assert_eq!(
        ifs[2].words(),
        "Linux cooked v2 (LINUX_SLL2, 276), no snapshot length"
    );
    let links: Vec<u32> = recs.iter().map(|r| r.link.0).collect();
    assert_eq!(links, [1, 101, 276, 1]);
    assert_eq!(recs[0].time, at(1_714_566_896, 1_000));
    assert_eq!(recs[0].digits, 6);
    assert_eq!(recs[1].time, at(1_714_566_896, 7));
    assert_eq!(recs[1].digits, 9);
    assert_eq!(recs[2].time, at(1_714_566_896, 500_000_000));
    assert_eq!(recs[2].digits, 3);
    assert_eq!(
        recs.iter().map(|r| r.interface).collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2), Some(0)]
    );
    assert_eq!(recs[3].bytes, framed(&eth), "a simple packet block");
    // Only the simple packet block's time is not the file's own: it has none.
    assert_eq!(
        recs.iter().map(|r| r.time_note).collect::<Vec<_>>(),
        [None, None, None, Some(NO_TIME)]
    );
    // The section header is 28 bytes, each interface block 20 and its options (an
    // option: 4 bytes and its value padded to 4; then 4 to end them).
    assert_eq!(recs[0].offset, 28 + (20 + 8 + 4) + (20 + 8 + 4));
    // Every frame reaches the IP header, through a link table or past a stripped header.
    for rec in &recs {
        let d = link::decap(rec.link, &rec.bytes);
        let first = d.first.unwrap_or_else(|| panic!("{rec:?}"));
        let dis = crate::wire::dissect::dissect_from(&rec.bytes, d.start(), first);
        let ip = dis.layers.iter().find(|l| l.proto == &IPV4).expect("IPv4");
        assert_eq!(&rec.bytes[ip.start..], &IP);
    }
}

#[test]
fn pcapng_big_endian_and_a_second_section() {
    let f = Ng::default()
        .shb(true)
        .idb(101, 0, &[])
        .epb(0, 5_000_000, &IP, 30)
        .shb(false)
        .idb(1, 0, &[])
        .epb(0, 6_000_000, &framed(&[0; 14]), 44);
    let (recs, err) = read_all(&f.bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[0].link, recs[0].time), (LinkType::RAW, at(5, 0)));
    assert_eq!((recs[1].link, recs[1].time), (LinkType::ETHERNET, at(6, 0)));
    assert_eq!(
        recs[1].interface,
        Some(0),
        "numbered anew in the new section"
    );
}

/// epb_flags' direction bits, in either byte order: 1 inbound, 2 outbound, 0 unsaid.
#[test]
fn pcapng_flags_say_which_way_in_either_byte_order() {
    for big in [false, true] {
        let flags = |v: u32| Ng::u32(v, big);
        let (inbound, outbound, unsaid) = (flags(1), flags(2), flags(0x2000));
        let f = Ng::default()
            .shb(big)
            .idb(101, 0, &[])
            .epb_with(0, 1, &IP, 30, &[(2, &inbound)])
            .epb_with(0, 2, &IP, 30, &[(2, &outbound)])
            .epb_with(0, 3, &IP, 30, &[(2, &unsaid)])
            .epb(0, 4, &IP, 30);
        let (recs, err) = read_all(&f.bytes);
        assert!(err.is_none(), "{err:?}");
        let ways: Vec<Option<&str>> = recs.iter().map(|r| r.direction()).collect();
        assert_eq!(
            ways,
            [Some("incoming"), Some("outgoing"), None, None],
            "big-endian: {big}"
        );
    }
}

#[test]
fn not_a_capture_says_what_the_magic_is_and_what_it_may_be() {
    let e = Reader::new(&b"\x7fELF\x02\x01\x01\x00rest of a program"[..])
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "not a pcap or pcapng file: magic 0x7f454c46 at byte 0"
    );
    assert!(e.hint.unwrap().contains("program"));
    let e = Reader::new(&b"hello, this is text\n"[..]).err().unwrap();
    assert!(e.to_string().contains("magic 0x68656c6c"), "{e}");
    assert!(e.hint.unwrap().contains("text2pcap"));
    let e = Reader::new(&[0x1f, 0x8b, 8, 0, 0, 0][..]).err().unwrap();
    assert!(e.hint.unwrap().contains("gunzip"));
    let e = Reader::new(&[0u8; 40][..]).err().unwrap();
    assert!(e.hint.unwrap().contains("a1 b2 c3 d4"));
}

#[test]
fn empty_and_short_files() {
    let e = Reader::new(&[][..]).err().unwrap();
    assert_eq!(
        e.to_string(),
        "empty file: it has no pcap or pcapng header at byte 0"
    );
    let e = Reader::new(&[0xd4, 0xc3][..]).err().unwrap();
    assert!(e.to_string().contains("2 bytes long"), "{e}");
    let header = Pcap::new(false, false, 65535, 1).bytes;
    let e = Reader::new(&header[..10]).err().unwrap();
    assert_eq!(
        e.to_string(),
        "truncated pcap file header: it needs 24 bytes, the file has 10 at byte 0"
    );
    let ng = Ng::default().shb(false).bytes;
    let e = Reader::new(&ng[..12]).err().unwrap();
    assert!(
        e.to_string()
            .starts_with("truncated pcapng section header block"),
        "{e}"
    );
    // A header and no packets is a file with no packets, not an error.
    assert_eq!(read_all(&header), (vec![], None));
}

#[test]
fn a_truncated_last_record_keeps_the_packets_before() {
    let f = Pcap::new(false, false, 65535, 101)
        .record(1, 0, &IP)
        .record(2, 0, &IP)
        .record(3, 0, &IP);
    let cut = &f.bytes[..f.bytes.len() - 12];
    let (recs, err) = read_all(cut);
    assert_eq!(recs.len(), 2);
    let e = err.unwrap();
    assert_eq!(
        e.to_string(),
        "packet 3 at byte 116: truncated record: its header says 30 captured bytes follow, the file has 18"
    );
    assert!(e.hint.unwrap().contains("cut off while being written"));
    // Cut inside the record header.
    let (recs, err) = read_all(&f.bytes[..116 + 5]);
    assert_eq!(recs.len(), 2);
    assert_eq!(
        err.unwrap().to_string(),
        "packet 3 at byte 116: truncated record: the file ends 5 bytes into a 16-byte record header"
    );
    // pcapng: a cut block.
    let ng = Ng::default()
        .shb(false)
        .idb(101, 0, &[])
        .epb(0, 1, &IP, 30)
        .epb(0, 2, &IP, 30);
    let (recs, err) = read_all(&ng.bytes[..ng.bytes.len() - 3]);
    assert_eq!(recs.len(), 1);
    let e = err.unwrap();
    assert_eq!((e.packet, e.offset), (Some(2), 28 + 20 + 64));
    assert!(e.what.contains("64 bytes long, the file has 61"), "{e}");
    // The same in a big-endian section: lengths are read in the section's byte order.
    let ng = Ng::default()
        .shb(true)
        .idb(101, 0, &[])
        .epb(0, 1, &IP, 30)
        .epb(0, 2, &IP, 30);
    let (recs, err) = read_all(&ng.bytes[..ng.bytes.len() - 3]);
    assert_eq!(recs.len(), 1);
    let e = err.unwrap();
    assert_eq!((e.packet, e.offset), (Some(2), 28 + 20 + 64));
    assert!(e.what.contains("64 bytes long, the file has 61"), "{e}");
}

#[test]
fn every_cut_of_a_file_ends_cleanly() {
    let f = Ng::default()
        .shb(false)
        .idb(1, 0, &[(2, b"lo")])
        .epb(0, 1, &framed(&[0; 14]), 44)
        .epb(0, 2, &IP, 30);
    for cut in 0..f.bytes.len() {
        match Reader::new(&f.bytes[..cut]) {
            Err(e) => assert_eq!(e.offset, 0, "cut {cut}: {e}"),
            Ok(mut r) => {
                let mut n = 0;
                for x in r.by_ref() {
                    n += 1;
                    assert!(n < 10, "cut {cut} does not end");
                    if let Err(e) = x {
                        assert!(e.offset < cut as u64, "cut {cut}: {e}");
                    }
                }
            }
        }
    }
    let p = Pcap::new(true, true, 100, 1)
        .record(1, 0, &framed(&[0; 14]))
        .record(2, 0, &IP);
    for cut in 0..p.bytes.len() {
        if let Ok(r) = Reader::new(&p.bytes[..cut]) {
            assert!(r.count() <= 2, "cut {cut}");
        }
    }
}

#[test]
fn a_captured_length_beyond_the_snapshot_length_is_damage() {
    // The record's header lies, and the bytes it claims are not even there.
    let f = Pcap::new(false, false, 65535, 101)
        .record(1, 0, &IP)
        .record_claiming(2, 0, 70_000, 70_000, &IP);
    let (recs, err) = read_all(&f.bytes);
    assert_eq!(recs.len(), 1);
    let e = err.unwrap();
    assert_eq!(
        e.to_string(),
        "packet 2 at byte 70: captured length 70000 exceeds the snapshot length 65535"
    );
    assert!(e.hint.unwrap().contains("damaged"));
    // The bytes are there, but still more than the file's own limit.
    let f = Pcap::new(false, false, 20, 101).record(1, 0, &IP);
    let (recs, err) = read_all(&f.bytes);
    assert!(recs.is_empty());
    assert_eq!(
        err.unwrap().to_string(),
        "packet 1 at byte 24: captured length 30 exceeds the snapshot length 20"
    );
    // A huge length in a file that sets no snapshot length: libpcap's largest is the limit.
    let f = Pcap::new(false, false, 0, 101).record_claiming(1, 0, 0xffff_fff0, 30, &IP);
    let (_, err) = read_all(&f.bytes);
    assert_eq!(
        err.unwrap().to_string(),
        "packet 1 at byte 24: captured length 4294967280 exceeds 262144, the most any capture keeps of a packet"
    );
    // pcapng: against the interface's snapshot length, in either byte order, whether
    // the bytes are there or not.
    for big in [false, true] {
        let ng = Ng::default().shb(big).idb(101, 24, &[]).epb(0, 1, &IP, 30);
        let (_, err) = read_all(&ng.bytes);
        assert_eq!(
            err.unwrap().to_string(),
            "packet 1 at byte 48: captured length 30 exceeds the snapshot length 24"
        );
        let mut lying = Ng::default()
            .shb(big)
            .idb(101, 65535, &[])
            .epb(0, 1, &IP, 30)
            .bytes;
        let caplen = if big {
            70_000u32.to_be_bytes()
        } else {
            70_000u32.to_le_bytes()
        };
        lying[48 + 20..48 + 24].copy_from_slice(&caplen);
        let (_, err) = read_all(&lying);
        assert_eq!(
            err.unwrap().to_string(),
            "packet 1 at byte 48: captured length 70000 exceeds the snapshot length 65535"
        );
    }
}

#[test]
fn a_record_larger_than_the_buffer_is_read_whole() {
    let big = vec![0x45u8; 200_000];
    let f = Pcap::new(false, false, 262_144, 101)
        .record(1, 0, &IP)
        .record(2, 0, &big)
        .record(3, 0, &IP);
    // Small reads, as from a pipe.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(1000);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let r = Reader::new(Trickle(&f.bytes)).unwrap();
    let recs: Vec<Record> = r.map(|x| x.unwrap()).collect();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1].bytes.len(), 200_000);
    assert_eq!(recs[2].bytes, IP);
}

#[test]
fn pcapng_damage_is_located() {
    // A packet on an interface the section never described.
    let ng = Ng::default().shb(false).idb(101, 0, &[]).epb(3, 1, &IP, 30);
    let (_, err) = read_all(&ng.bytes);
    let e = err.unwrap();
    assert_eq!(
        e.to_string(),
        "packet 1 at byte 48: it names interface 3, but the section describes 1 interface before it"
    );
    // A block whose two length fields disagree.
    let mut ng = Ng::default()
        .shb(false)
        .idb(101, 0, &[])
        .epb(0, 1, &IP, 30)
        .bytes;
    let n = ng.len();
    ng[n - 4] = 0x99;
    let (_, err) = read_all(&ng);
    let e = err.unwrap();
    assert_eq!((e.packet, e.offset), (Some(1), 48));
    assert!(
        e.what.starts_with("malformed block of type 0x00000006"),
        "{e}"
    );
    // A block length that is no multiple of 4.
    let mut ng = Ng::default()
        .shb(false)
        .idb(101, 0, &[])
        .epb(0, 1, &IP, 30)
        .bytes;
    ng[48 + 4] = 63;
    let (_, err) = read_all(&ng);
    let e = err.unwrap();
    assert!(e.to_string().contains("at byte 48"), "{e}");
}

fn sent(no: u64, time: SystemTime, bytes: &[u8]) -> Arc<Packet> {
    Arc::new(Packet {
        no,
        time,
        bytes: bytes.to_vec(),
        first: &IPV4,
        origin: Origin::Sent {
            mode: Mode::Raw,
            handed_from: 0,
            dst: Ipv4Addr::LOCALHOST.into(),
            iface: None,
            proto: 1,
        },
        addrs: None,
        read: None,
        related: Default::default(),
    })
}

fn captured(no: u64, time: SystemTime, bytes: &[u8]) -> Arc<Packet> {
    Arc::new(Packet {
        no,
        time,
        bytes: bytes.to_vec(),
        first: &IPV4,
        origin: Origin::Captured {
            socket: "raw socket for icmp".into(),
            link: None,
            iface: None,
        },
        addrs: None,
        read: None,
        related: Default::default(),
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rawlab-pcap-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn save_then_load_keeps_bytes_and_times() {
    let mut reply = IP;
    reply[20] = 0;
    reply[22] = 0x3f;
    let packets = vec![
        sent(1, at(1_714_566_896, 123_456_789), &IP),
        captured(2, at(1_714_566_896, 123_500_001), &IP),
        captured(3, at(1_714_566_897, 999_999_999), &reply),
    ];
    let path = scratch("round.pcap");
    let saved = save(&path, &packets, false).unwrap();
    // A pcap file holds what was on the wire: the sendto copy #1 is left out, counted.
    assert_eq!(saved.numbers, [2, 3]);
    assert_eq!(saved.copies, 1);
    assert_eq!(
        (saved.format, saved.links.as_slice()),
        (SaveFormat::Pcap, &[LinkType::RAW][..])
    );
    assert!(saved.skipped.is_empty());
    assert_eq!(saved.bytes, std::fs::metadata(&path).unwrap().len());
    let loaded = load(&path, 100).unwrap();
    assert!(loaded.error.is_none() && loaded.skipped.is_empty());
    assert_eq!(loaded.packets.len(), 2);
    for (a, b) in packets[1..].iter().zip(&loaded.packets) {
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.time, b.time, "nanosecond timestamps survive");
        assert_eq!(b.first, &IPV4);
    }
    assert_eq!(
        loaded.packets[1].origin,
        Origin::File {
            path: path.as_path().into(),
            index: 2
        }
    );
    assert_eq!(
        loaded.packets[1].origin.source(),
        format!("read from {} (packet 2)", path.display())
    );

    // Microseconds: the time is cut to the microsecond, the bytes are the same.
    let path = scratch("round-us.pcapng");
    save_with(&path, &packets, false, Resolution::Micro).unwrap();
    let loaded = load(&path, 2).unwrap();
    assert_eq!(loaded.packets.len(), 2);
    assert_eq!(loaded.left_out, 1);
    assert_eq!(loaded.packets[0].time, at(1_714_566_896, 123_456_000));
    assert_eq!(loaded.packets[1].bytes, IP);

    // Only sendto copies: no pcap file, and the reason says where they can go.
    let path = scratch("copies.pcap");
    let e = save(&path, &packets[..1], false).unwrap_err();
    assert!(
        e.to_string().contains("a pcap file holds what went on the wire, and 1 sendto copy (what rawlab handed the kernel, which is not what went on the wire) is all there is; `listen` before sending"),
        "{e}"
    );
    assert!(!path.exists());
}

#[test]
fn save_keeps_an_existing_file_unless_forced() {
    let path = scratch("kept.pcap");
    std::fs::write(&path, b"precious").unwrap();
    let packets = vec![captured(1, at(1, 0), &IP)];
    let e = save(&path, &packets, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} already exists; nothing was written (force overwrites it)",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    save(&path, &packets, true).unwrap();
    assert_eq!(load(&path, 10).unwrap().packets.len(), 1);
}

#[test]
fn file_errors_name_the_path_and_the_os_reason() {
    let e = save(
        Path::new("/nonexistent-dir/x.pcap"),
        &[captured(1, at(1, 0), &IP)],
        false,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot write /nonexistent-dir/x.pcap: No such file or directory"
    );
    let e = load(Path::new("/nonexistent-dir/x.pcap"), 10).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot read /nonexistent-dir/x.pcap: No such file or directory"
    );
    let path = scratch("text.pcap");
    std::fs::write(&path, "not a capture\n").unwrap();
    let e = load(&path, 10).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}: not a pcap or pcapng file: magic 0x6e6f7420 at byte 0 (",
            path.display()
        )),
        "{e}"
    );
}

#[test]
fn load_keeps_packets_before_damage() {
    let mut arp = vec![0xffu8; 6];
    arp.extend([0u8; 6]);
    arp.extend([0x08, 0x06]);
    arp.extend([0u8; 28]);
    let eth_ip = framed(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
    let f = Pcap::new(false, false, 65535, 1)
        .record(1, 0, &eth_ip)
        .record(2, 0, &arp)
        .record_claiming(3, 0, 100, 100, &IP);
    let path = scratch("mixed.pcap");
    std::fs::write(&path, &f.bytes).unwrap();
    let loaded = load(&path, 10).unwrap();
    // Whole frames: the Ethernet table reads their headers.
    assert_eq!(loaded.packets.len(), 2);
    assert_eq!(loaded.packets[0].bytes, eth_ip);
    assert_eq!(loaded.packets[1].bytes, arp);
    assert!(loaded.packets.iter().all(|p| p.first.name == "eth"));
    let e = loaded.error.unwrap();
    assert_eq!(e.packet, Some(3));
    assert!(e.what.starts_with("truncated record"), "{e}");
}

#[test]
fn load_strips_headers_no_table_reads_and_skips_what_it_cannot_read() {
    let sll_ip = framed(&[0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
    let mut lldp = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0xcc];
    lldp.extend([0u8; 20]);
    let f = Pcap::new(false, false, 65535, 113)
        .record(1, 0, &sll_ip)
        .record(2, 0, &lldp);
    let path = scratch("cooked.pcap");
    std::fs::write(&path, &f.bytes).unwrap();
    let loaded = load(&path, 10).unwrap();
    assert!(loaded.error.is_none());
    assert_eq!(loaded.packets.len(), 1);
    assert_eq!(loaded.packets[0].bytes, IP, "the cooked header is dropped");
    assert_eq!(loaded.packets[0].first, &IPV4);
    assert_eq!(loaded.skipped.len(), 1);
    assert_eq!(loaded.skipped[0].no, 2);
    assert!(
        loaded.skipped[0].why.contains("LLDP"),
        "{:?}",
        loaded.skipped
    );
}

/// An Ethernet frame around the post's request, captured on lo.
fn frame(no: u64, time: SystemTime) -> Arc<Packet> {
    let mut bytes = vec![0u8; 12];
    bytes.extend([0x08, 0x00]);
    bytes.extend(IP);
    Arc::new(Packet {
        no,
        time,
        bytes,
        first: &crate::wire::eth::ETH,
        origin: Origin::Captured {
            socket: "packet socket on lo".into(),
            link: None,
            iface: None,
        },
        addrs: None,
        read: None,
        related: Default::default(),
    })
}

/// ICMPv6 as an AF_INET6 raw socket hands it over: no IPv6 header, addresses on the side.
fn icmp6_without_header(no: u64) -> Arc<Packet> {
    Arc::new(Packet {
        no,
        time: at(1, 0),
        bytes: vec![0x81, 0, 0, 0, 0, 1, 0, 1],
        first: &crate::wire::icmpv6::ICMPV6,
        origin: Origin::Captured {
            socket: "AF_INET6 raw socket for icmp6".into(),
            link: None,
            iface: None,
        },
        addrs: Some((Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into())),
        read: None,
        related: Default::default(),
    })
}

#[test]
fn what_a_capture_file_cannot_hold_is_left_out_and_said_why() {
    use crate::wire::Protocol;
    static OTHER: Protocol = Protocol {
        name: "zz",
        title: "ZZ",
        ..crate::wire::icmp::ICMP
    };
    let mut odd = (*captured(2, at(1, 0), &IP)).clone();
    odd.first = &OTHER;
    let path = scratch("odd.pcap");
    let packets = [
        captured(1, at(1, 0), &IP),
        Arc::new(odd),
        icmp6_without_header(3),
    ];
    let saved = save(&path, &packets, false).unwrap();
    assert_eq!(saved.numbers, [1]);
    let why: Vec<(u64, &str)> = saved
        .skipped
        .iter()
        .map(|s| (s.no, s.why.as_str()))
        .collect();
    assert_eq!(why[0].0, 2);
    assert_eq!(
        why[0].1,
        "packets that start with ZZ, where no capture file's link type starts"
    );
    assert_eq!(why[1].0, 3);
    assert!(
        why[1]
            .1
            .starts_with("ICMPv6 without its IPv6 header: an AF_INET6 raw socket"),
        "{}",
        why[1].1
    );
    assert_eq!(load(&path, 10).unwrap().packets.len(), 1);

    // Nothing left: no file at all.
    let path = scratch("none.pcap");
    let e = save(&path, &[icmp6_without_header(7)], false).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "nothing was written to {}: none of the 1 packet fits in a capture file",
            path.display()
        )
    );
    assert!(!path.exists(), "nothing written");
}

#[test]
fn a_pcap_file_keeps_the_link_type_most_packets_have() {
    let packets = [
        captured(1, at(1, 0), &IP),
        frame(2, at(1, 1)),
        frame(3, at(1, 2)),
        captured(4, at(1, 3), &IP),
        frame(5, at(1, 4)),
    ];
    let path = scratch("frames.pcap");
    let saved = save(&path, &packets, false).unwrap();
    assert_eq!(saved.links, [LinkType::ETHERNET]);
    assert_eq!(saved.numbers, [2, 3, 5]);
    assert_eq!(
        saved.skipped.iter().map(|s| s.no).collect::<Vec<_>>(),
        [1, 4]
    );
    assert_eq!(
        saved.skipped[0].why,
        "raw IP packets, and this pcap file holds Ethernet frames (a pcap file has one link type; a .pcapng file holds both)"
    );
}

#[test]
fn a_pcapng_file_holds_every_link_type_with_comments() {
    let packets = [
        sent(1, at(1_714_566_896, 123_456_789), &IP),
        frame(2, at(1_714_566_896, 200_000_001)),
        captured(3, at(1_714_566_897, 0), &IP),
    ];
    let path = scratch("mixed.PcapNG");
    let saved = save(&path, &packets, false).unwrap();
    assert_eq!(saved.format, SaveFormat::PcapNg);
    // One interface each place a packet was: the sendto copies', lo's frames, and the
    // raw socket's (which did not say its interface, so it is named after the socket).
    assert_eq!(
        saved.links,
        [LinkType::RAW, LinkType::ETHERNET, LinkType::RAW]
    );
    assert_eq!(
        saved.interfaces,
        [
            "rawlab-sendto",
            "packet socket on lo",
            "raw socket for icmp"
        ]
    );
    assert_eq!(saved.numbers, [1, 2, 3]);
    assert_eq!(saved.bytes, std::fs::metadata(&path).unwrap().len());

    let mut reader = Reader::open(&path).unwrap();
    assert_eq!(reader.format(), Format::PcapNg);
    let records: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
    let names: Vec<Option<&str>> = reader
        .interfaces()
        .iter()
        .map(|i| i.name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            Some("rawlab-sendto"),
            Some("packet socket on lo"),
            Some("raw socket for icmp")
        ]
    );
    assert_eq!(records.len(), 3);
    assert_eq!(
        records.iter().map(|r| r.interface).collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2)]
    );
    // Directions: the copy outbound, what sockets read inbound.
    assert_eq!(
        records.iter().map(|r| r.flags).collect::<Vec<_>>(),
        [Some(2), Some(1), Some(1)]
    );
    for (p, r) in packets.iter().zip(&records) {
        assert_eq!(p.bytes, r.bytes);
        assert_eq!(p.time, r.time, "nanoseconds survive");
        assert_eq!(r.digits, 9);
    }
    let loaded = load(&path, 10).unwrap();
    assert!(loaded.error.is_none() && loaded.skipped.is_empty());
    assert_eq!(loaded.packets[1].first.name, "eth");
    // Each packet comes back from where it was, by rawlab's note.
    for (p, l) in packets.iter().zip(&loaded.packets) {
        assert_eq!(p.origin, l.origin);
    }
}

#[test]
fn a_directory_is_neither_read_nor_written() {
    let dir = scratch("a-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let e = load(&dir, 10).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("cannot read {}: it is a directory", dir.display())
    );
    let e = save(&dir, &[captured(1, at(1, 0), &IP)], true).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("cannot write {}: it is a directory", dir.display())
    );
}

#[test]
fn writer_output_is_what_libpcap_expects() {
    let mut w = Writer::new(Vec::new(), LinkType::RAW, Resolution::Micro).unwrap();
    w.write(at(0x0102_0304, 5_000), &IP[..4]).unwrap();
    w.write_cut(at(1, 0), &IP[..2], 30).unwrap();
    let b = w.finish().unwrap();
    assert_eq!(
        &b[..24],
        &[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 101, 0, 0, 0
        ]
    );
    assert_eq!(
        &b[24..44],
        &[
            4, 3, 2, 1, 5, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 0x45, 0x00, 0x00, 0x1e
        ]
    );
    assert_eq!(&b[44 + 8..44 + 16], &[2, 0, 0, 0, 30, 0, 0, 0]);
}
