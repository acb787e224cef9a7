//! What one packet says about another — the part that makes rawlab a lab:
//! this capture is that send as the kernel put it on the wire (and here is
//! every field the kernel changed), this reply answers that request (and here
//! is every field that differs). Everything comes from comparing bytes
//! through the protocol tables; nothing is a hard-coded list of fields.

use crate::capture::{Origin, Packet};
use crate::command::Mode;
use crate::wire::dissect::{Dissection, dissect};
use crate::wire::{DATA, Field, ipv4, tcp};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// One field that differs between two packets.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: &'static Field,
    /// Where the field's layer starts in the later packet (the payload's start for data).
    pub layer_start: usize,
    /// Its bytes in the later packet.
    pub span: Range<usize>,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// A captured packet is packet `sent` as it went on the wire. In kernel mode the
    /// kernel wrote the whole IP header, and `changes` compare it with the template's.
    WireCopy {
        sent: u64,
        mode: Mode,
        changes: Vec<Change>,
    },
    /// A reply to packet `request` (itself a wire copy of `sent`, when rawlab sent it).
    Reply {
        request: u64,
        sent: Option<u64>,
        changes: Vec<Change>,
    },
    /// An error (ICMP, ICMPv6) about packet `about` (a wire copy of `sent`, when rawlab
    /// sent it), quoting its first `quoted` of `len` bytes.
    Error {
        about: u64,
        sent: Option<u64>,
        quoted: usize,
        len: usize,
    },
    /// This host's kernel resetting a connection started by a SYN (`syn`, a copy of
    /// `sent`) that no socket of its own sent: it came from a raw socket, so when the
    /// SYN-ACK arrives, TCP knows nothing of it and refuses it.
    Reset { syn: u64, sent: u64 },
}

/// Every field whose value differs between `a` and `b`, layer by layer while the
/// two have the same stack, then options and payload.
pub fn changes(a: &Packet, b: &Packet) -> Vec<Change> {
    let (da, db) = (dissect(&a.bytes, a.first), dissect(&b.bytes, b.first));
    changes_between(&a.bytes, &da, &b.bytes, &db)
}

pub fn changes_between(a: &[u8], da: &Dissection, b: &[u8], db: &Dissection) -> Vec<Change> {
    let mut out = Vec::new();
    let mut same_stack = da.layers.len() == db.layers.len();
    for (la, lb) in da.layers.iter().zip(&db.layers) {
        if la.proto != lb.proto {
            same_stack = false;
            break;
        }
        let present_in_a: Vec<&Field> = la.fields(a).collect();
        for f in lb
            .fields(b)
            .filter(|f| !f.group && present_in_a.contains(f))
        {
            let (va, vb) = (la.get(a, f), lb.get(b, f));
            if va != vb {
                out.push(Change {
                    field: f,
                    layer_start: lb.start,
                    span: lb.span(f),
                    before: la.words(a, f),
                    after: lb.words(b, f),
                });
            }
        }
        let (ta, tb) = (la.tail(), lb.tail());
        let bytes_a = ta.as_ref().map_or(&[][..], |(_, r)| &a[r.clone()]);
        if let Some((f, r)) = tb.clone().or(ta.clone()) {
            let bytes_b = tb.as_ref().map_or(&[][..], |(_, r)| &b[r.clone()]);
            if bytes_a != bytes_b {
                out.push(Change {
                    field: f,
                    layer_start: lb.start,
                    span: r,
                    before: hex_words(bytes_a),
                    after: hex_words(bytes_b),
                });
            }
        }
    }
    if same_stack && a[da.payload.clone()] != b[db.payload.clone()] {
        out.push(Change {
            field: &DATA,
            layer_start: db.payload.start,
            span: db.payload.clone(),
            before: hex_words(&a[da.payload.clone()]),
            after: hex_words(&b[db.payload.clone()]),
        });
    }
    out
}

/// Bytes in words, shortened: `c0 de`, `00 01 02 … (40 bytes)`.
pub fn hex_words(b: &[u8]) -> String {
    if b.is_empty() {
        return "(none)".into();
    }
    let shown: Vec<String> = b.iter().take(8).map(|x| format!("{x:02x}")).collect();
    if b.len() > 8 {
        format!("{} … ({} bytes)", shown.join(" "), b.len())
    } else {
        shown.join(" ")
    }
}

/// How long after a send its copy on the wire may still be recognised.
const WIRE_WINDOW: Duration = Duration::from_secs(10);
/// How many recent sends and requests are remembered for matching.
const REMEMBER: usize = 512;

struct Sent {
    packet: Arc<Packet>,
    mode: Mode,
    handed_from: usize,
    dst: u128,
}

struct Request {
    packet: Arc<Packet>,
    sent: Option<u64>,
    proto: &'static str,
    key: u64,
    src: u128,
    dst: u128,
}

/// Watches packets go by, in number order, and relates each to earlier ones.
#[derive(Default)]
pub struct Relater {
    sent: VecDeque<Sent>,
    requests: VecDeque<Request>,
    /// Packets captured lately (and the send each is a copy of), for errors that quote them.
    captured: VecDeque<(Arc<Packet>, Option<u64>)>,
}

impl Relater {
    pub fn observe(&mut self, p: &Arc<Packet>) -> Vec<Relation> {
        let mut rel = Vec::new();
        let d = dissect(&p.bytes, p.first);
        // The outermost layer says who talks to whom (IPv4 or IPv6, from its table).
        let Some((ip, (src_f, dst_f))) = d
            .layers
            .first()
            .filter(|l| l.complete())
            .and_then(|l| Some((l, l.proto.addresses?)))
        else {
            return rel;
        };
        let src = ip.get(&p.bytes, src_f);
        let dst = ip.get(&p.bytes, dst_f);
        let mut sent_no = None;
        match &p.origin {
            Origin::Sent {
                mode,
                handed_from,
                dst,
            } => {
                push_bounded(
                    &mut self.sent,
                    Sent {
                        packet: p.clone(),
                        mode: *mode,
                        handed_from: *handed_from,
                        dst: u32::from(*dst) as u128,
                    },
                );
                sent_no = Some(p.no);
            }
            Origin::Captured { .. } => {
                let after_ip = &p.bytes[ip.hdr_end..];
                let found = self.sent.iter().position(|s| {
                    let built = &s.packet.bytes;
                    let s_ip_end = dissect(built, s.packet.first)
                        .layers
                        .first()
                        .map_or(0, |l| l.hdr_end);
                    s.dst == dst
                        && p.time.duration_since(s.packet.time).unwrap_or_default() < WIRE_WINDOW
                        && built.get(s_ip_end.max(s.handed_from)..) == Some(after_ip)
                });
                if let Some(i) = found {
                    let s = self.sent.remove(i).expect("position is in range");
                    // A send is matched once: the next identical send gets the next copy.
                    let changes = changes(&s.packet, p);
                    rel.push(Relation::WireCopy {
                        sent: s.packet.no,
                        mode: s.mode,
                        changes,
                    });
                    sent_no = Some(s.packet.no);
                    // From now on replies are compared with the copy on the wire.
                    self.requests.retain(|r| r.sent != Some(s.packet.no));
                }
            }
            // A loaded packet is no copy of this session's sends; it may still be a
            // request or a reply to one loaded with it.
            Origin::File { .. } => {}
        }
        if let Some(e) = self.quoted_by(p, &d) {
            rel.push(e);
        }
        if !p.is_sent() {
            push_bounded(&mut self.captured, (p.clone(), sent_no));
        }
        if let Some(r) = self.kernel_reset(p, &d, src, dst) {
            rel.push(r);
        }
        // The first layer inside that pairs requests with replies (past IPv6 extension
        // headers; never inside a quoted packet).
        let Some((inner, pair)) = d
            .layers
            .iter()
            .skip(1)
            .filter(|l| l.complete() && !l.quoted)
            .find_map(|l| Some((l, (l.proto.pairing?)(l.header(&p.bytes))?)))
        else {
            return rel;
        };
        if pair.is_request {
            push_bounded(
                &mut self.requests,
                Request {
                    packet: p.clone(),
                    sent: sent_no,
                    proto: inner.proto.name,
                    key: pair.key,
                    src,
                    dst,
                },
            );
        } else if let Some(req) = self.requests.iter().rev().find(|r| {
            // The reply comes from where the request went, back to where it claimed
            // to come from (anywhere, if the kernel was left to fill the source).
            r.proto == inner.proto.name
                && r.key == pair.key
                && r.dst == src
                && (r.src == 0 || r.src == dst)
        }) {
            rel.push(Relation::Reply {
                request: req.packet.no,
                sent: req.sent,
                changes: changes(&req.packet, p),
            });
        }
        rel
    }
}

impl Relater {
    /// A TCP reset travelling the way one of rawlab's SYNs went (same addresses and
    /// ports): this host's TCP refusing the connection the raw socket started.
    fn kernel_reset(&self, p: &Packet, d: &Dissection, src: u128, dst: u128) -> Option<Relation> {
        if p.is_sent() {
            return None;
        }
        let l = d
            .layers
            .iter()
            .find(|l| l.proto == &tcp::TCP && l.complete() && !l.quoted)?;
        let h = l.header(&p.bytes);
        if tcp::FLAG_RESET.get(h) != 1 {
            return None;
        }
        let ports = (tcp::SRCPORT.get(h), tcp::DSTPORT.get(h));
        let syn = self.requests.iter().rev().find(|r| {
            let Some(sent) = r.sent else { return false };
            let rd = dissect(&r.packet.bytes, r.packet.first);
            let same_way = r.src == src && r.dst == dst;
            sent != r.packet.no
                && same_way
                && rd.layers.iter().any(|rl| {
                    rl.proto == &tcp::TCP
                        && rl.complete()
                        && (
                            tcp::SRCPORT.get(rl.header(&r.packet.bytes)),
                            tcp::DSTPORT.get(rl.header(&r.packet.bytes)),
                        ) == ports
                })
        })?;
        Some(Relation::Reset {
            syn: syn.packet.no,
            sent: syn.sent?,
        })
    }

    /// The captured packet an error quotes: the same addresses (from the quoted
    /// network layer's table) and the same bytes after that header, so a router that
    /// lowered the TTL and fixed the checksum on the way still matches.
    fn quoted_by(&self, p: &Packet, d: &Dissection) -> Option<Relation> {
        let q = d.layers.iter().find(|l| l.quoted && l.complete())?;
        let (src_f, dst_f) = q.proto.addresses?;
        let after = &p.bytes[q.hdr_end..];
        let (src, dst) = (q.get(&p.bytes, src_f), q.get(&p.bytes, dst_f));
        let (about, sent) = self.captured.iter().rev().find(|(c, _)| {
            let dc = dissect(&c.bytes, c.first);
            dc.layers.first().is_some_and(|l| {
                l.proto == q.proto
                    && l.complete()
                    && l.get(&c.bytes, src_f) == src
                    && l.get(&c.bytes, dst_f) == dst
                    && c.bytes[l.hdr_end..].starts_with(after)
            })
        })?;
        Some(Relation::Error {
            about: about.no,
            sent: *sent,
            quoted: p.bytes.len() - q.start,
            len: about.bytes.len(),
        })
    }
}

/// Why a request may have earned no reply, from evidence in the bytes rawlab
/// handed to the kernel and in the system's settings. Most likely first.
pub fn silence_reasons(built: &[u8], dst: std::net::Ipv4Addr, sandboxed: bool) -> Vec<String> {
    let mut why = Vec::new();
    let d = dissect(built, &ipv4::IPV4);
    let Some(ip) = d.layers.first().filter(|l| l.complete()) else {
        return vec!["the packet is shorter than an IPv4 header".into()];
    };
    let get = |f: &Field| ip.get(built, f);
    if get(&ipv4::VERSION) != 4 {
        why.push(format!(
            "ip.version is {}: a receiving kernel drops anything that is not version 4",
            get(&ipv4::VERSION)
        ));
    }
    let ihl = get(&ipv4::HDR_LEN);
    if ihl < 5 {
        why.push(format!(
            "ip.hdr_len is {} bytes: below 20, the receiver discards the header",
            ihl * 4
        ));
    }
    if get(&ipv4::FLAG_MF) == 1 || get(&ipv4::FRAG_OFFSET) != 0 {
        why.push("this is a fragment (MF set or a non-zero offset): the receiver holds it waiting for the rest of the datagram, which never comes, and drops it after 30 s".into());
    }
    // The receiver checks the layers it reads, not a datagram an ICMP error quotes.
    for (i, l) in d
        .layers
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| l.complete() && !l.quoted)
    {
        let proto = get(&ipv4::PROTO);
        if i == 1 && l.proto.id_under(&ipv4::IPV4).is_some_and(|p| p != proto) {
            why.push(format!(
                "ip.proto says {}, so the receiver does not read the {} header you built",
                ipv4::PROTO.words(proto),
                l.proto.title
            ));
        }
        for e in (l.proto.expected)(&d.scope(i, built)) {
            let (f, want) = (e.field, e.want);
            // A checksum over the pseudo-header covers the source the kernel fills in later.
            if e.offloaded.is_some() && get(&ipv4::SRC) == 0 {
                why.push(format!(
                    "ip.src is 0.0.0.0, left for the kernel to fill, but {} covers the source address: rawlab computed it over 0.0.0.0, the kernel then wrote the real source, and the receiver drops the segment as corrupt. Set ip.src (127.0.0.1 on lo)",
                    f.name
                ));
            }
            let have = l.get(built, f);
            if have != want {
                why.push(format!(
                    "{} is {}, but the bytes add up to {}: the receiving kernel drops a message with a wrong checksum without a word",
                    f.name,
                    f.words(have),
                    f.words(want)
                ));
            }
        }
    }
    let src = std::net::Ipv4Addr::from(get(&ipv4::SRC) as u32);
    if !src.is_unspecified() && !src.is_loopback() {
        why.push(format!(
            "ip.src is {src}: the kernel answers that address, not you{}",
            if sandboxed {
                ", and the sandbox has no route to it"
            } else {
                ""
            }
        ));
    }
    if !dst.is_loopback() {
        why.push(if sandboxed {
            format!("{dst} is not in the sandbox: it holds only loopback (127.0.0.0/8)")
        } else {
            format!("{dst} may not be answering, or a firewall between may drop the request")
        });
    }
    if std::fs::read_to_string("/proc/sys/net/ipv4/icmp_echo_ignore_all")
        .is_ok_and(|s| s.trim() == "1")
    {
        why.push(
            "net.ipv4.icmp_echo_ignore_all is 1: this kernel ignores every echo request".into(),
        );
    }
    if why.is_empty() {
        why.push("nothing in the packet explains it; a firewall rule (nft list ruleset) may drop it, or the timeout may be too short (set timeout 2s)".into());
    }
    why
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T) {
    if q.len() == REMEMBER {
        q.pop_front();
    }
    q.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::icmp;
    use std::net::Ipv4Addr;
    use std::time::SystemTime;

    const BUILT: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
    ];
    const WIRE: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x60, 0x09, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
    ];
    const REPLY: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd5, 0x00, 0x00, 0x40, 0x01, 0x60, 0x08, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x3f, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
    ];

    fn packet(no: u64, bytes: &[u8], origin: Origin) -> Arc<Packet> {
        Arc::new(Packet {
            no,
            time: SystemTime::now(),
            bytes: bytes.to_vec(),
            first: &ipv4::IPV4,
            origin,
        })
    }

    fn captured() -> Origin {
        Origin::Captured {
            socket: "raw icmp".into(),
        }
    }

    /// The post's exchange: the kernel fills id, checksum and source; the reply differs
    /// from the request in id, checksum, type and ICMP checksum.
    #[test]
    fn the_posts_exchange() {
        let mut r = Relater::default();
        let sent = Origin::Sent {
            mode: Mode::Raw,
            handed_from: 0,
            dst: Ipv4Addr::LOCALHOST,
        };
        assert!(r.observe(&packet(1, &BUILT, sent)).is_empty());
        let wire = r.observe(&packet(2, &WIRE, captured()));
        let Relation::WireCopy {
            sent: 1, changes, ..
        } = &wire[0]
        else {
            panic!("{wire:?}")
        };
        let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
        assert_eq!(names, ["ip.id", "ip.checksum", "ip.src"]);
        assert_eq!(
            (changes[0].before.as_str(), changes[0].after.as_str()),
            ("0x0000", "0x1cd4")
        );

        let reply = r.observe(&packet(3, &REPLY, captured()));
        let Relation::Reply {
            request: 2,
            sent: Some(1),
            changes,
        } = &reply[0]
        else {
            panic!("{reply:?}")
        };
        let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
        assert_eq!(
            names,
            ["ip.id", "ip.checksum", "icmp.type", "icmp.checksum"]
        );
        assert_eq!(changes[2].span, 20..21);
        assert_eq!(changes[2].after, icmp::TYPE.words(0));
    }

    #[test]
    fn each_send_claims_one_copy() {
        let mut r = Relater::default();
        let sent = || Origin::Sent {
            mode: Mode::Raw,
            handed_from: 0,
            dst: Ipv4Addr::LOCALHOST,
        };
        r.observe(&packet(1, &BUILT, sent()));
        r.observe(&packet(2, &BUILT, sent()));
        let a = r.observe(&packet(3, &WIRE, captured()));
        let b = r.observe(&packet(4, &WIRE, captured()));
        let c = r.observe(&packet(5, &WIRE, captured()));
        assert!(matches!(a[0], Relation::WireCopy { sent: 1, .. }));
        assert!(matches!(b[0], Relation::WireCopy { sent: 2, .. }));
        assert!(c.is_empty(), "a third copy is someone else's: {c:?}");
    }

    #[test]
    fn silence_is_explained_from_the_bytes() {
        let mut bad = BUILT;
        bad[22] = 0x11;
        bad[23] = 0x11;
        let why = silence_reasons(&bad, Ipv4Addr::LOCALHOST, true);
        assert!(
            why[0].starts_with("icmp.checksum is 0x1111, but the bytes add up to 0x3721"),
            "{why:?}"
        );
        let mut spoofed = BUILT;
        spoofed[12..16].copy_from_slice(&[10, 9, 8, 7]);
        let why = silence_reasons(&spoofed, Ipv4Addr::LOCALHOST, true);
        assert!(why[0].starts_with("ip.src is 10.9.8.7"), "{why:?}");
    }

    fn captured_as(no: u64, bytes: &[u8], first: &'static crate::wire::Protocol) -> Arc<Packet> {
        Arc::new(Packet {
            no,
            time: SystemTime::now(),
            bytes: bytes.to_vec(),
            first,
            origin: captured(),
        })
    }

    /// An ICMPv6 echo and its reply, captured on lo, pair up by identifier and sequence,
    /// with the addresses read from the IPv6 table.
    #[test]
    fn icmpv6_echo_request_and_reply() {
        use crate::wire::ipv6::{
            IPV6,
            tests::{ECHO, ECHO_REPLY},
        };
        let mut r = Relater::default();
        assert!(r.observe(&captured_as(1, &ECHO, &IPV6)).is_empty());
        let rel = r.observe(&captured_as(2, &ECHO_REPLY, &IPV6));
        let Relation::Reply {
            request: 1,
            changes,
            ..
        } = &rel[0]
        else {
            panic!("{rel:?}")
        };
        let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
        assert_eq!(names, ["ipv6.flow", "icmpv6.type", "icmpv6.checksum"]);
        assert_eq!(changes[1].after, "129 (echo-reply)");
    }

    /// A SYN to a closed port and the kernel's RST+ACK, captured on lo.
    #[test]
    fn a_syn_and_the_rst_that_answers_it() {
        use crate::wire::tcp::tests::{RST, SYN};
        let mut r = Relater::default();
        assert!(r.observe(&captured_as(1, &SYN, &ipv4::IPV4)).is_empty());
        let rel = r.observe(&captured_as(2, &RST, &ipv4::IPV4));
        assert!(
            matches!(rel[0], Relation::Reply { request: 1, .. }),
            "{rel:?}"
        );
    }

    /// Linux's port unreachable on lo names the datagram it quotes.
    #[test]
    fn an_error_is_related_to_the_datagram_it_quotes() {
        let mut r = Relater::default();
        r.observe(&captured_as(
            1,
            &crate::wire::udp::tests::DATAGRAM,
            &ipv4::IPV4,
        ));
        let rel = r.observe(&captured_as(
            2,
            &crate::wire::icmp::tests::PORT_UNREACHABLE,
            &ipv4::IPV4,
        ));
        assert_eq!(
            rel,
            [Relation::Error {
                about: 1,
                sent: None,
                quoted: 30,
                len: 30
            }]
        );
        // Nothing else quotes it: a different datagram is not the one.
        let mut r = Relater::default();
        let mut other = crate::wire::udp::tests::DATAGRAM;
        other[29] = b'o';
        r.observe(&captured_as(1, &other, &ipv4::IPV4));
        let rel = r.observe(&captured_as(
            2,
            &crate::wire::icmp::tests::PORT_UNREACHABLE,
            &ipv4::IPV4,
        ));
        assert!(rel.is_empty(), "{rel:?}");
    }

    #[test]
    fn a_tcp_checksum_over_a_source_the_kernel_fills_in() {
        let t = crate::template::Template::new(&[&ipv4::IPV4, &crate::wire::tcp::TCP]);
        let built = t.build(SystemTime::now()).bytes;
        let why = silence_reasons(&built, Ipv4Addr::LOCALHOST, true);
        assert!(
            why[0].starts_with("ip.src is 0.0.0.0, left for the kernel to fill, but tcp.checksum covers the source address"),
            "{why:?}"
        );
    }

    #[test]
    fn payload_and_truncation_changes() {
        let a = packet(1, &WIRE, captured());
        let mut longer = WIRE.to_vec();
        longer[29] = 0xdf;
        let b = packet(2, &longer, captured());
        let c = changes(&a, &b);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field.name, "data.data");
        assert_eq!(c[0].after, "c0 df");
        // A cut-off packet compares only what both have, without panicking.
        let cut = packet(3, &WIRE[..22], captured());
        let _ = changes(&a, &cut);
    }
}
