//! What a relation (`lab::Relation`) says, in words, on a dump: a note under the
//! heading, a mark on each field that changed, those bytes emphasised. A session's
//! `dump` and `rawlab read` both draw relations through here, so a reply read from
//! a file reads as it did live. Knows nothing of sockets, sessions or files: what
//! it cannot see (when an earlier packet was sent) it is handed.

use crate::lab::{Change, Relation, Scale, Window, fragments_words};
use crate::net::Mode;
use crate::render::{Dump, Mark, Tone};
use crate::wire::push_dec;
use std::ops::Range;
use std::time::SystemTime;

/// Adds what relation `r` of a packet taken at `at` says to its dump. `offset` is where
/// the packet's bytes start in the dump's (past a link header no table reads, in a
/// capture file): the relater counts from the packet's first layer. `time_of` gives
/// an earlier packet's time by its number, or None when it is no longer known; the
/// round trip is then left out rather than guessed.
pub fn annotate(
    d: &mut Dump,
    r: &Relation,
    at: SystemTime,
    link: Option<&crate::net::link::LinkSeen>,
    offset: usize,
    time_of: &dyn Fn(u64) -> Option<SystemTime>,
) {
    let (note, marked): (String, Vec<(&Change, String)>) = match r {
        Relation::Window(w) => {
            d.marks.push(Mark {
                field: &crate::wire::tcp::WINDOW,
                layer_start: w.layer_start + offset,
                text: window_words(w),
                tone: Tone::Note,
            });
            return;
        }
        Relation::Twin { first } => (twin_note(*first, link), Vec::new()),
        Relation::WireCopy {
            fragments, sent, ..
        } if !fragments.is_empty() => (
            format!(
                "this is the datagram {} make ({}, reassembled) as the receiving kernel put it back together before handing it on: a raw socket is handed whole datagrams. #{sent}, at offset 0, carried its header",
                fragments_words(fragments),
                fragment_count(fragments)
            ),
            Vec::new(),
        ),
        Relation::WireCopy {
            sent,
            mode,
            changes,
            ..
        } => copy_words(*sent, *mode, changes),
        Relation::Reply {
            request,
            sent,
            changes,
            fragments,
        } => {
            let (mut note, marked) = reply_words(*request, *sent, changes, at, offset, time_of);
            if !fragments.is_empty() {
                let (list, count) = (fragments_words(fragments), fragment_count(fragments));
                note = if fragments.contains(request) {
                    format!(
                        "{note}. The request went as {list} ({count}, reassembled by the receiver): the reply answers the whole datagram"
                    )
                } else {
                    format!(
                        "{note}. #{request} is the datagram {list} made ({count}, reassembled): the reply answers the whole datagram"
                    )
                };
            }
            (note, marked)
        }
        Relation::Reset { syn, sent } => (
            format!(
                "this host's kernel resets the connection #{syn} (your #{sent}) began: that SYN came from a raw socket, so no socket here owns its port, and when the SYN-ACK arrived TCP refused a connection it never opened"
            ),
            Vec::new(),
        ),
        Relation::Error {
            about,
            sent,
            quoted,
            len,
        } => {
            let yours = sent
                .filter(|s| s != about)
                .map_or(String::new(), |s| format!(" (your #{s})"));
            let how = if quoted >= len {
                format!("the whole of it, {len} bytes")
            } else {
                format!("its first {quoted} of {len} bytes")
            };
            let mut note = format!("an error about #{about}{yours}: it quotes {how}");
            if let Some(why) = error_meaning(d, offset) {
                note.push_str("; ");
                note.push_str(&why);
            }
            (note, Vec::new())
        }
    };
    d.notes.push((note, Tone::Note));
    d.marks.reserve(marked.len());
    d.emphasize.reserve(marked.len());
    for (c, text) in marked {
        d.marks.push(Mark {
            field: c.field,
            layer_start: c.layer_start + offset,
            text,
            tone: Tone::Note,
        });
        d.emphasize.push(c.span.start + offset..c.span.end + offset);
    }
}

/// What a segment's window is in bytes, and which SYN says so: `64 × 2^10 = 65536
/// bytes (scale 10 from the SYN #1)`.
pub fn window_words(w: &Window) -> String {
    let v = w.value;
    let scaled = |shift| scaled(v, shift);
    match w.scale {
        // RFC 7323 takes a shift over 14 as 14.
        Scale::Agreed { syn, shift } if shift > 14 => format!(
            "{v} × 2^14 = {} bytes (scale {shift} from the SYN #{syn}, taken as 14, the most RFC 7323 allows)",
            scaled(shift)
        ),
        Scale::Agreed { syn, shift } => {
            format!(
                "{v} × 2^{shift} = {} bytes (scale {shift} from the SYN #{syn})",
                scaled(shift)
            )
        }
        Scale::Offered { syn, shift } => format!(
            "{v} × 2^{shift} = {} bytes if the other side agreed (scale {shift} from the SYN #{syn}; the other side's SYN was not seen)",
            scaled(shift)
        ),
        Scale::Unscaled { syn, senders: true } => {
            format!("{v} bytes, not scaled: the SYN #{syn} carried no window scale option")
        }
        Scale::Unscaled { syn, .. } => format!(
            "{v} bytes, not scaled: the other side's SYN #{syn} carried no window scale option, and scaling needs both"
        ),
        Scale::Unknown => format!(
            "{v} × 2^scale bytes, the scale unknown: no SYN of this connection was seen (its window scale option says)"
        ),
    }
}

/// A window field counted in 2^shift-byte units, in bytes (RFC 7323 takes a shift
/// over 14 as 14).
fn scaled(value: u16, shift: u8) -> u64 {
    u64::from(value) << shift.min(14)
}

/// A frame seen again on lo, arriving: the note for its twin.
fn twin_note(first: u64, link: Option<&crate::net::link::LinkSeen>) -> String {
    // To us, or multicast for a frame sent to ff:ff:ff:ff:ff:ff (lo has no
    // broadcast address).
    let arriving = link.map_or(
        crate::net::link::direction_words(crate::net::link::PACKET_HOST),
        |l| l.direction(),
    );
    format!(
        "this is #{first} again, arriving: lo hands each frame it sends straight back in, so a packet socket sees it leave (outgoing) and arrive ({arriving}). `listen link lo once` shows each frame once"
    )
}

/// A send's copy on the wire: the note, and a mark on each field the kernel changed.
fn copy_words(sent: u64, mode: Mode, changes: &[Change]) -> (String, Vec<(&Change, String)>) {
    let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
    let listed = if names.is_empty() {
        "nothing".to_string()
    } else {
        names.join(", ")
    };
    let note = match (mode, names.is_empty()) {
        (Mode::Kernel, _) => format!(
            "this is #{sent} as it went on the wire: the kernel wrote the IP header (mode kernel); it differs from the template in {listed}"
        ),
        (_, true) => {
            format!("this is #{sent} as it went on the wire, byte for byte as rawlab handed it")
        }
        (_, false) => {
            format!("this is #{sent} as it went on the wire: the kernel changed {listed}")
        }
    };
    let marked = changes
        .iter()
        .map(|c| {
            let text = if mode == Mode::Kernel && c.layer_start == 0 {
                format!(
                    "the kernel wrote {}; the template had {}",
                    c.after(),
                    c.before()
                )
            } else {
                format!(
                    "the kernel changed it: rawlab handed {} in #{sent}",
                    c.before()
                )
            };
            (c, text)
        })
        .collect();
    (note, marked)
}

/// A reply: the note (which request, how long after, what differs), and a mark on each
/// field that differs.
fn reply_words<'c>(
    request: u64,
    sent: Option<u64>,
    changes: &'c [Change],
    at: SystemTime,
    offset: usize,
    time_of: &dyn Fn(u64) -> Option<SystemTime>,
) -> (String, Vec<(&'c Change, String)>) {
    // Written piece by piece, not formatted: `read` draws a reply every few
    // packets of a capture.
    let mut note = String::with_capacity(64 + 40 * changes.len());
    note.push_str("reply to #");
    push_dec(&mut note, u128::from(request));
    if let Some(s) = sent.filter(|s| *s != request) {
        note.push_str(", your #");
        push_dec(&mut note, u128::from(s));
    }
    if let Some(d) = time_of(sent.unwrap_or(request)).and_then(|s| at.duration_since(s).ok()) {
        note.push_str(", ");
        crate::render::push_duration(&mut note, d);
        note.push_str(" after it was sent");
    }
    note.push_str("; what differs: ");
    if changes.is_empty() {
        note.push_str("nothing");
    }
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            note.push_str(", ");
        }
        note.push_str(c.field.name);
        note.push_str(" (");
        push_span(&mut note, c.span.start + offset..c.span.end + offset);
        note.push(')');
    }
    let marked = changes
        .iter()
        .map(|c| {
            let mut text = String::with_capacity(48);
            text.push_str("was ");
            c.write_before(&mut text);
            text.push_str(" in #");
            push_dec(&mut text, u128::from(request));
            (c, text)
        })
        .collect();
    (note, marked)
}

/// A relation in a few words, after a packet's one-line summary: ` · reply to #2`.
pub fn relation_brief(r: &Relation) -> String {
    match r {
        Relation::WireCopy { fragments, .. } if !fragments.is_empty() => format!(
            " · {} reassembled ({})",
            fragments_words(fragments),
            fragment_count(fragments)
        ),
        Relation::Reply {
            request, fragments, ..
        } if !fragments.is_empty() => {
            if fragments.contains(request) {
                format!(
                    " · reply to {} ({}, reassembled)",
                    fragments_words(fragments),
                    fragment_count(fragments)
                )
            } else {
                format!(
                    " · reply to #{request} ({} reassembled)",
                    fragments_words(fragments)
                )
            }
        }
        Relation::WireCopy { sent, .. } => format!(" · #{sent} on the wire"),
        Relation::Reply { request, .. } => format!(" · reply to #{request}"),
        Relation::Error { about, .. } => format!(" · an error about #{about}"),
        Relation::Reset { syn, .. } => format!(" · the kernel resets #{syn}'s connection"),
        Relation::Twin { first } => format!(" · #{first} again, looped back"),
        // Said on the window's line of the dump, not on every segment's summary.
        Relation::Window(_) => String::new(),
    }
}

/// `3 fragments`.
fn fragment_count(nos: &[u64]) -> String {
    format!(
        "{} fragment{}",
        nos.len(),
        if nos.len() == 1 { "" } else { "s" }
    )
}

/// What an ICMP or ICMPv6 error says happened, read from its own fields (the sender's
/// address, the type and code, the quoted datagram's TTL, length or port, the MTU it
/// names): the error is the evidence, from the kernel that sent it.
fn error_meaning(d: &Dump, offset: usize) -> Option<String> {
    use crate::wire::dissect::dissect;
    let bytes = d.bytes.get(offset..)?;
    let dis = dissect(bytes, d.first?);
    let outer = dis
        .layers
        .iter()
        .find(|l| !l.quoted && l.proto.addresses.is_some());
    let icmp = dis
        .layers
        .iter()
        .find(|l| !l.quoted && matches!(l.proto.name, "icmp" | "icmpv6"))?;
    let inner = dis
        .layers
        .iter()
        .find(|l| l.quoted && l.proto.addresses.is_some());
    let value = |l: &crate::wire::dissect::Layer, name: &str| -> Option<u128> {
        let f = l.proto.field(name)?;
        (f.end_byte() <= l.hdr_end - l.start).then(|| l.get(bytes, f))
    };
    let words = |l: &crate::wire::dissect::Layer, name: &str| -> Option<String> {
        let f = l.proto.field(name)?;
        (f.end_byte() <= l.hdr_end - l.start).then(|| l.words(bytes, f))
    };
    // Who sent it: its network header's source, or, when the socket kept that header
    // (AF_INET6), the source the socket reported.
    let src = match (outer, &d.around) {
        (Some(o), _) => words(o, o.proto.addresses?.0.name)?,
        (None, Some((p, h))) => {
            let around = dissect(h, p);
            let l = around.layers.first()?;
            l.words(h, p.addresses?.0)
        }
        (None, None) => return None,
    };
    let (kind, code) = (
        value(icmp, &format!("{}.type", icmp.proto.name))?,
        value(icmp, &format!("{}.code", icmp.proto.name))?,
    );
    let to = inner
        .and_then(|q| words(q, q.proto.addresses?.1.name))
        .unwrap_or_else(|| "its destination".to_string());
    let v6 = icmp.proto.name == "icmpv6";
    let hops = inner.and_then(|q| value(q, if v6 { "ipv6.hlim" } else { "ip.ttl" }));
    Some(match (v6, kind, code) {
        (false, 11, 0) | (true, 3, 0) => {
            let limit = if v6 { "hop limit" } else { "TTL" };
            let came = hops.map_or(String::new(), |h| format!(" with a {limit} of {h}"));
            format!(
                "{src} is a router on the way to {to}: the datagram reached it{came}, too few to pass on (it would leave with 0), so it was dropped there and {src} said so (time exceeded in transit)"
            )
        }
        (false, 11, 1) | (true, 3, 1) => format!(
            "{src} gave up putting the datagram back together: not all its fragments came in time"
        ),
        (false, 3, 4) => {
            let mtu = value(icmp, "icmp.mtu").unwrap_or(0);
            let len = inner.and_then(|q| value(q, "ip.len"));
            let size = len.map_or(String::new(), |l| format!(" of {l} bytes"));
            format!(
                "{src} could not forward the datagram{size} to {to}: its don't-fragment bit is set and the next link's MTU is {mtu} bytes (icmp.mtu), so it was dropped; a sender doing path MTU discovery sends smaller datagrams from now on"
            )
        }
        (true, 2, _) => {
            let mtu = value(icmp, "icmpv6.mtu").unwrap_or(0);
            // The quote is cut short (an error fits in 1280 bytes): its length is said
            // by its header, 40 bytes and the payload length.
            let len = inner.and_then(|q| value(q, "ipv6.plen"));
            let size = len.map_or(String::new(), |l| format!(" of {} bytes", l + 40));
            format!(
                "{src} could not forward the packet{size} to {to}: it is larger than the next link's MTU, {mtu} bytes (icmpv6.mtu), and IPv6 routers never fragment, so it was dropped; the sender's kernel keeps {mtu} as the path MTU (`route` shows it), and only a sender may cut a packet, with a fragment header"
            )
        }
        (false, 3, 0) | (true, 1, 0) => format!("{src} has no route to {to}"),
        (false, 3, 1) | (true, 1, 3) => {
            format!("{src} could not reach {to} on its link (no answer to its neighbour discovery)")
        }
        (false, 3, 2) => format!("{src} has no handler for the datagram's protocol"),
        (false, 3, 3) | (true, 1, 4) => {
            format!(
                "no socket on {src} listens on the port it was sent to, so its kernel refused it"
            )
        }
        (false, 3, 9 | 10 | 13) | (true, 1, 1) => {
            format!("a rule at {src} forbids it (administratively prohibited)")
        }
        (false, 12, _) | (true, 4, _) => {
            format!(
                "{src} found a field of the quoted header it cannot accept (parameter problem; the pointer says which byte)"
            )
        }
        _ => return None,
    })
}

/// `bytes 4–5`, or `byte 20` for one.
pub fn span_words(r: &Range<usize>) -> String {
    let mut s = String::with_capacity(16);
    push_span(&mut s, r.clone());
    s
}

/// [`span_words`], appended to `out`.
fn push_span(out: &mut String, r: Range<usize>) {
    if r.len() <= 1 {
        out.push_str("byte ");
        push_dec(out, r.start as u128);
    } else {
        out.push_str("bytes ");
        push_dec(out, r.start as u128);
        out.push('–');
        push_dec(out, (r.end - 1) as u128);
    }
}

/// The members a packet's JSON object gets from what the packets before it say it is
/// (`lab::Relation`), each present only where it applies (docs/json.md): `reply_to`
/// and `differs` for a reply, `error_about` and `quoted_length` for an error quoting a
/// datagram, `copy_of` and `kernel_changed` for a send's copy on the wire, `twin_of`
/// for a frame lo handed back, `resets` for the kernel's reset of a raw SYN's
/// connection. Numbers are packet numbers; field lists are Wireshark names in wire order.
pub fn relations_json(rels: &[Relation]) -> serde_json::Map<String, serde_json::Value> {
    let names = |changes: &[Change]| {
        serde_json::Value::Array(
            changes
                .iter()
                .map(|c| serde_json::Value::from(c.field.name))
                .collect(),
        )
    };
    let mut m = serde_json::Map::new();
    for r in rels {
        match r {
            Relation::Reply {
                request,
                changes,
                fragments,
                ..
            } => {
                m.insert("reply_to".into(), serde_json::Value::from(*request));
                m.insert("differs".into(), names(changes));
                if !fragments.is_empty() {
                    m.insert(
                        "fragments".into(),
                        serde_json::Value::from(fragments.clone()),
                    );
                }
            }
            Relation::Error { about, quoted, .. } => {
                m.insert("error_about".into(), serde_json::Value::from(*about));
                m.insert("quoted_length".into(), serde_json::Value::from(*quoted));
            }
            Relation::WireCopy {
                sent,
                changes,
                fragments,
                ..
            } => {
                m.insert("copy_of".into(), serde_json::Value::from(*sent));
                m.insert("kernel_changed".into(), names(changes));
                if !fragments.is_empty() {
                    m.insert(
                        "fragments".into(),
                        serde_json::Value::from(fragments.clone()),
                    );
                }
            }
            Relation::Twin { first } => {
                m.insert("twin_of".into(), serde_json::Value::from(*first));
            }
            Relation::Reset { syn, .. } => {
                m.insert("resets".into(), serde_json::Value::from(*syn));
            }
            Relation::Window(w) => {
                m.insert("window".into(), window_json(w));
            }
        }
    }
    m
}

/// A segment's window in bytes and where its scale comes from, as `window_words` says
/// it: `{"value": 64, "scale": "agreed", "shift": 10, "syn": 2, "bytes": 65536}`.
/// `bytes` is `null` when the SYNs seen do not settle it (only the sender's seen, or
/// none).
pub fn window_json(w: &Window) -> serde_json::Value {
    let v = w.value;
    let scaled = |shift| scaled(v, shift);
    let (scale, shift, syn, bytes) = match w.scale {
        Scale::Agreed { syn, shift } => ("agreed", Some(shift), Some(syn), Some(scaled(shift))),
        Scale::Offered { syn, shift } => ("offered", Some(shift), Some(syn), None),
        Scale::Unscaled { syn, .. } => ("none", None, Some(syn), Some(u64::from(v))),
        Scale::Unknown => ("unknown", None, None, None),
    };
    serde_json::json!({"value": v, "scale": scale, "shift": shift, "syn": syn, "bytes": bytes})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each relation under its own keys, numbers as numbers; none at all for a packet
    /// nothing came before.
    #[test]
    fn relations_under_their_keys() {
        use crate::capture::{Origin, Packet};
        use crate::lab::Relater;
        use std::sync::Arc;
        let file = |no, bytes: &[u8]| {
            Arc::new(Packet::new(
                no,
                std::time::UNIX_EPOCH,
                bytes.to_vec(),
                &crate::wire::ipv4::IPV4,
                Origin::File {
                    path: std::path::Path::new("x.pcap").into(),
                    index: no,
                },
            ))
        };
        let mut reply = crate::wire::POST_ON_THE_WIRE;
        reply[20] = 0;
        reply[22] = 0x3f;
        let mut r = Relater::default();
        let request = r.observe(&file(1, &crate::wire::POST_ON_THE_WIRE));
        assert!(relations_json(&request).is_empty());
        let answer = r.observe(&file(2, &reply));
        assert_eq!(
            serde_json::Value::Object(relations_json(&answer)),
            serde_json::json!({"reply_to": 1, "differs": ["icmp.type", "icmp.checksum"]})
        );
        let mut r = Relater::default();
        r.observe(&file(1, &crate::wire::udp::tests::DATAGRAM));
        let error = r.observe(&file(2, &crate::wire::icmp::tests::PORT_UNREACHABLE));
        assert_eq!(
            serde_json::Value::Object(relations_json(&error)),
            serde_json::json!({"error_about": 1, "quoted_length": 30})
        );
        let twin = relations_json(&[Relation::Twin { first: 4 }]);
        assert_eq!(
            serde_json::Value::Object(twin),
            serde_json::json!({"twin_of": 4})
        );
    }

    #[test]
    fn spans_in_words() {
        assert_eq!(span_words(&(20..21)), "byte 20");
        assert_eq!(span_words(&(4..6)), "bytes 4–5");
        assert_eq!(span_words(&(7..7)), "byte 7");
    }
}
