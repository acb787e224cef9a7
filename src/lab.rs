//! What one packet says about another — the part that makes rawlab a lab:
//! this capture is that send as the kernel put it on the wire (and here is
//! every field the kernel changed), this reply answers that request (and here
//! is every field that differs). Everything comes from comparing bytes
//! through the protocol tables; nothing is a hard-coded list of fields.

use crate::capture::{Origin, Packet};
use crate::command::Mode;
use crate::wire::dissect::{Dissection, dissect};
use crate::wire::{DATA, Field, ipv4};
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
                    before: f.words(va),
                    after: f.words(vb),
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
    dst: u32,
}

struct Request {
    packet: Arc<Packet>,
    sent: Option<u64>,
    proto: &'static str,
    key: u64,
    src: u32,
    dst: u32,
}

/// Watches packets go by, in number order, and relates each to earlier ones.
#[derive(Default)]
pub struct Relater {
    sent: VecDeque<Sent>,
    requests: VecDeque<Request>,
}

impl Relater {
    pub fn observe(&mut self, p: &Arc<Packet>) -> Vec<Relation> {
        let mut rel = Vec::new();
        let d = dissect(&p.bytes, p.first);
        let Some(ip) = d
            .layers
            .first()
            .filter(|l| l.proto == &ipv4::IPV4 && l.complete())
        else {
            return rel;
        };
        let src = ip.get(&p.bytes, &ipv4::SRC) as u32;
        let dst = ip.get(&p.bytes, &ipv4::DST) as u32;
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
                        dst: u32::from(*dst),
                    },
                );
                sent_no = Some(p.no);
            }
            Origin::Captured { .. } => {
                let after_ip = &p.bytes[ip.hdr_end..];
                let found = self.sent.iter().position(|s| {
                    let built = &s.packet.bytes;
                    let s_ip_end = ipv4::HDR_LEN.get(built) as usize * 4;
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
        let Some(inner) = d.layers.get(1).filter(|l| l.complete()) else {
            return rel;
        };
        let Some(pair) = inner
            .proto
            .pairing
            .and_then(|f| f(&p.bytes[inner.start..inner.hdr_end]))
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
    for l in d.layers.iter().skip(1).filter(|l| l.complete()) {
        let proto = get(&ipv4::PROTO);
        if l.proto.id_under(&ipv4::IPV4).is_some_and(|p| p != proto) {
            why.push(format!(
                "ip.proto says {}, so the receiver does not read the {} header you built",
                ipv4::PROTO.words(proto),
                l.proto.title
            ));
        }
        for (f, want) in (l.proto.expected)(&l.scope(built)) {
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
