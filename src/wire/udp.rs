//! UDP (RFC 768): four fields and a checksum over a pseudo-header.
//!
//! The table below is the only place a UDP field's position is written. Over
//! IPv4 a checksum of 0 means the sender computed none (RFC 768), which is
//! shown as "none", not as wrong; over IPv6 it is mandatory (RFC 8200 §8.1).

use super::push_dec;
use super::{Building, Expected, Field, Fill, Kind, Pairing, Protocol, Scope, checksum, ipv4};
use std::fmt::Write as _;

pub static SRCPORT: Field = Field {
    aliases: &["sport", "source_port"],
    default: 40000,
    meaning: "source port: where a reply should go (0: no reply wanted)",
    rfc: "RFC 768",
    notes: "Optional in UDP: 0 means the sender expects no answer.",
    ..Field::new("udp.srcport", 0, 16, Kind::Dec)
};

pub static DSTPORT: Field = Field {
    aliases: &["dport", "destination_port"],
    default: 9,
    meaning: "destination port: the service the datagram is for",
    rfc: "RFC 768",
    notes: "If no socket is bound to it, Linux answers with ICMP destination unreachable, code 3 (port unreachable), quoting the start of your datagram. 9 is the discard service, which nothing runs these days.",
    ..Field::new("udp.dstport", 16, 16, Kind::Dec)
};

pub static LENGTH: Field = Field {
    aliases: &["length", "ulen"],
    unit: "bytes",
    fill: Fill::Computed,
    meaning: "length of the datagram in bytes, this 8-byte header included",
    rfc: "RFC 768",
    notes: "rawlab computes it. A length longer than the bytes makes Linux drop the datagram; a shorter one makes it ignore the bytes past it.",
    ..Field::new("udp.length", 32, 16, Kind::Dec)
};

pub static CHECKSUM: Field = Field {
    fill: Fill::Computed,
    names: &[(0, "none")],
    meaning: "checksum over a pseudo-header and the datagram; 0 means none (IPv4 only)",
    rfc: "RFC 768, RFC 8200 §8.1",
    notes: "rawlab computes it with the addresses of the IP header around it. A sum that comes out 0 is sent as 0xffff, because 0 means the sender computed none, which IPv4 allows and IPv6 does not. A wrong one makes the receiver drop the datagram silently.",
    ..Field::new("udp.checksum", 48, 16, Kind::Hex)
};

pub static FIELDS: &[&Field] = &[&SRCPORT, &DSTPORT, &LENGTH, &CHECKSUM];

pub static UDP: Protocol = Protocol {
    name: "udp",
    aliases: &[],
    title: "UDP",
    fields: FIELDS,
    fixed_len: 8,
    header_len: |_| 8,
    claimed_len: |b| Some((LENGTH.get(b) as usize, &LENGTH)),
    // A service is known by its port, either way: a query goes to 53, its answer comes
    // from 53. A new template names the next layer's port as the destination.
    next: |b| {
        let port = |f: &Field| (b.len() >= f.end_byte()).then(|| f.get(b));
        [port(&DSTPORT), port(&SRCPORT)]
            .into_iter()
            .flatten()
            .find_map(|p| super::carried(&UDP, p))
    },
    next_field: Some(&DSTPORT),
    numbers: "udp",
    ids: &[("ip", 17)],
    summary,
    pairing: Some(pairing),
    fill,
    expected,
    ..Protocol::BASE
};

/// A datagram and its answer swap ports; nothing in either says which asked, so the
/// first of the two seen is the request.
fn pairing(b: &[u8]) -> Option<Pairing> {
    if b.len() < DSTPORT.end_byte() {
        return None;
    }
    let (sport, dport) = (SRCPORT.get(b) as u64, DSTPORT.get(b) as u64);
    Some(Pairing {
        flow: sport << 16 | dport,
        key: sport << 16 | dport,
        is_request: true,
        reverse: Some(dport << 16 | sport),
    })
}

fn summary(b: &[u8], s: &mut String) {
    if b.len() < 4 {
        let _ = write!(s, "UDP (cut short at {} bytes)", b.len());
        return;
    }
    super::push_ends(s, "UDP", &SRCPORT, &DSTPORT, b);
    if b.len() >= LENGTH.end_byte() {
        s.push_str(" len ");
        push_dec(s, LENGTH.get(b));
    }
}

/// The checksum a datagram should carry, given its pseudo-header sum: never 0,
/// which would say "none".
pub fn datagram_checksum(datagram: &[u8], pseudo: u32) -> u16 {
    let zero = CHECKSUM.first_byte()..CHECKSUM.end_byte();
    match !checksum::sum_zeroed(datagram, pseudo, zero) {
        0 => 0xffff,
        sum => sum,
    }
}

/// The length, then the checksum over the finished datagram, each unless the user set it.
fn fill(b: &mut Building) {
    let is_set = b.is_set;
    if !is_set(&LENGTH) {
        let len = b.layer().len().min(0xffff);
        LENGTH.set(b.layer(), len as u128);
    }
    b.fill_pseudo_checksum(&UDP, &CHECKSUM, datagram_checksum);
}

/// A checksum of 0 over IPv4 is "none": nothing to verify.
fn expected(s: &Scope) -> Vec<Expected> {
    let over_ipv4 = s.network.as_ref().is_some_and(|(p, _)| *p == &ipv4::IPV4);
    if over_ipv4 && CHECKSUM.get(s.header()) == 0 {
        return Vec::new();
    }
    s.pseudo_checksum(&UDP, &CHECKSUM, datagram_checksum)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::Verdict;
    use crate::wire::dissect::dissect;

    /// A datagram from Linux to 127.0.0.1:9 carrying "hi", as tcpdump saw it on lo.
    pub const DATAGRAM: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x73, 0x71, 0x40, 0x00, 0x40, 0x11, 0xc9, 0x5b, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, // IPv4
        0x9c, 0x40, 0x00, 0x09, 0x00, 0x0a, 0xfe, 0x1d, 0x68, 0x69, // UDP and "hi"
    ];

    /// The same from ::1 to ::1: the checksum covers the IPv6 pseudo-header.
    pub const DATAGRAM6: [u8; 50] = [
        0x60, 0x05, 0xfd, 0x5e, 0x00, 0x0a, 0x11, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // IPv6
        0x9c, 0x40, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x1d, 0x68, 0x69, // UDP and "hi"
    ];

    #[test]
    fn getters_on_known_bytes() {
        let b = &DATAGRAM[20..];
        assert_eq!(SRCPORT.get(b), 40000);
        assert_eq!(DSTPORT.get(b), 9);
        assert_eq!(LENGTH.get(b), 10);
        assert_eq!(CHECKSUM.get(b), 0xfe1d);
        assert_eq!(UDP.summary_text(b), "UDP 40000 → 9 len 10");
        let d = dissect(&DATAGRAM, &ipv4::IPV4);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        // Captured on lo: the pseudo-header sum only, left for checksum offload.
        let e = &expected(&d.scope(1, &DATAGRAM))[0];
        assert_eq!((e.want, e.verdict(0xfe1d)), (0xfd24, Verdict::Offloaded));
        assert_eq!(d.payload, 28..30);
        let p = &DATAGRAM6;
        let d = dissect(p, &crate::wire::ipv6::IPV6);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.stack_name(), "ipv6/udp");
        let e = &expected(&d.scope(1, p))[0];
        assert_eq!((e.want, e.verdict(0x001d)), (0xfb25, Verdict::Offloaded));
    }

    #[test]
    fn setters_touch_only_their_bytes() {
        let mut b = [0xa5u8; 8];
        SRCPORT.set(&mut b, 0x0102);
        DSTPORT.set(&mut b, 0x0304);
        LENGTH.set(&mut b, 0x0506);
        CHECKSUM.set(&mut b, 0x0708);
        assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn zero_over_ipv4_is_none_not_wrong() {
        let mut p = DATAGRAM;
        p[26] = 0;
        p[27] = 0;
        let d = dissect(&p, &ipv4::IPV4);
        assert!(expected(&d.scope(1, &p)).is_empty());
        assert_eq!(CHECKSUM.words(0), "0x0000 (none)");
        // Over IPv6 a zero checksum is simply wrong.
        let mut p = DATAGRAM6;
        p[46] = 0;
        p[47] = 0;
        let d = dissect(&p, &crate::wire::ipv6::IPV6);
        assert_eq!(expected(&d.scope(1, &p))[0].verdict(0), Verdict::Wrong);
    }

    #[test]
    fn a_sum_of_zero_is_sent_as_ffff() {
        // Choose the data so that the one's complement sum comes to 0xffff.
        let mut p = DATAGRAM;
        let d = dissect(&p, &ipv4::IPV4);
        let pseudo = d.scope(1, &p).pseudo(&UDP).unwrap();
        let want = datagram_checksum(&p[20..], pseudo);
        // Adding the checksum to the data makes the sum all ones: complement 0.
        let data = u16::from_be_bytes([p[28], p[29]]);
        let (v, carry) = data.overflowing_add(want);
        p[28..30].copy_from_slice(&(v + carry as u16).to_be_bytes());
        assert_eq!(datagram_checksum(&p[20..], pseudo), 0xffff);
    }

    #[test]
    fn lengths_that_lie() {
        let mut p = DATAGRAM;
        p[25] = 40;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "udp.length says 40 bytes, but only 10 are there"
        );
        assert_eq!(d.problems[0].offset, 24);
        p[25] = 4;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "udp.length says 4 bytes, shorter than its own 8-byte header"
        );
        p[25] = 8;
        let d = dissect(&p, &ipv4::IPV4);
        assert!(d.problems.is_empty());
        assert_eq!(d.trailer, 28..30, "bytes past udp.length are a trailer");
    }
}
