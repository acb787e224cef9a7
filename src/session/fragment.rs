//! `fragment SIZE`: the template cut into the IPv4 fragments the kernel would make for
//! an MTU of SIZE bytes (RFC 791 §3.2, "an example fragmentation procedure"), or, for
//! an IPv6 template, into IPv6 fragments, each with a fragment header (RFC 8200 §4.5),
//! kept as a list to look at and change; `fragments` lists them or shows one, and
//! `send` sends them (see `send.rs`).

use super::{Flow, Session};
use crate::render::{self, Caret, Tone};
use crate::wire::template::{Payload, Template, Value};
use crate::wire::{self, ipv4, ipv6};
use std::io::{self, Write};
use std::ops::Range;
use std::time::SystemTime;

/// The template as fragments.
#[derive(Clone)]
pub(super) struct Fragmented {
    pub(super) mtu: u16,
    /// The ip.id they share (IPv6: the fragment header's 32-bit identification).
    pub(super) id: u32,
    /// Whether they are IPv6 fragments (with a fragment header) rather than IPv4's.
    pub(super) v6: bool,
    /// Each fragment: an IPv4 header and its piece of what followed the header, or
    /// IPv6's header (and the extension headers every fragment repeats), a fragment
    /// header and its piece of the rest.
    pub(super) list: Vec<Template>,
    /// The fragment `set` changes (0-based); None: the template, cut again.
    pub(super) selected: Option<usize>,
    /// What the first fragment carries (ICMP, UDP), for the words.
    pub(super) upper: &'static str,
    /// The whole datagram's length.
    pub(super) whole: usize,
    /// Whether a fragment was changed by itself (`set` with one selected): then the
    /// fragments no longer make the template.
    pub(super) changed: bool,
}

/// Why a template cannot be cut: where on the (reconstructed) line, and what to do.
pub(super) struct Refusal {
    pub(super) message: String,
    pub(super) expected: String,
    pub(super) suggestion: String,
}

/// Cuts `template` as the kernel would for an MTU of `mtu` bytes, giving the
/// fragments the same ip.id (`id`, or the template's own when it set one).
pub(super) fn split(
    template: &Template,
    mtu: u16,
    id: u32,
    now: SystemTime,
) -> Result<Fragmented, Refusal> {
    let built = template.build(now);
    if built.layers.first().is_some_and(|l| l.0 == &ipv6::IPV6) {
        return split6(template, &built, mtu, id);
    }
    let id = id as u16;
    let Some(&(first, _, hdr)) = built.layers.first() else {
        return Err(Refusal {
            message: "the template is empty".into(),
            expected: "an IPv4 template, such as `new ip/icmp`".into(),
            suggestion: "`reset` brings back the post's ping".into(),
        });
    };
    if first != &ipv4::IPV4 {
        return Err(Refusal {
            message: format!(
                "fragment cuts IPv4 and IPv6 datagrams, and this template is {}",
                template.stack_name()
            ),
            expected: "a template that starts with an IPv4 or IPv6 header".into(),
            suggestion: "`new ip/icmp` or `new ip6/icmp6`, then a payload larger than the MTU"
                .into(),
        });
    }
    let data = &built.bytes[hdr.min(built.bytes.len())..];
    if data.is_empty() {
        return Err(Refusal {
            message: "nothing to split: the template has nothing after its IPv4 header".into(),
            expected: "a template that carries something (ICMP, UDP, TCP, a payload)".into(),
            suggestion: "`new ip/icmp` then `payload zeros 1000`".into(),
        });
    }
    let min = hdr + 8;
    if (mtu as usize) < min {
        return Err(Refusal {
            message: format!(
                "an MTU of {mtu} bytes cannot hold a fragment: the IPv4 header takes {hdr} bytes, and every fragment but the last carries a multiple of 8 bytes"
            ),
            expected: format!("at least {min} (the header and one 8-byte block)"),
            suggestion: format!("`fragment {}`", min.max(576.min(data.len() / 2 + hdr))),
        });
    }
    let piece = (mtu as usize - hdr) / 8 * 8;
    if data.len() <= piece {
        let half = (data.len() / 2).div_ceil(8) * 8;
        return Err(Refusal {
            message: format!(
                "nothing to split: the datagram is {} bytes, and an MTU of {mtu} takes it whole",
                built.bytes.len()
            ),
            expected: format!(
                "an MTU smaller than {} bytes, or a larger payload",
                built.bytes.len()
            ),
            suggestion: if half >= 8 && half < data.len() {
                format!(
                    "`fragment {}` cuts it in two, or `payload zeros 2000` gives more to cut",
                    hdr + half
                )
            } else {
                "`payload zeros 2000` gives it something to cut".into()
            },
        });
    }
    let upper = wire::dissect::dissect(&built.bytes, first)
        .layers
        .get(1)
        .map_or("data", |l| l.proto.title);
    let proto = ipv4::PROTO.get(&built.bytes);
    let id = match template.user_value(&ipv4::ID) {
        Some(v) if v != 0 => v as u16,
        _ => id.max(1),
    };
    // Options after the fixed 20 bytes: a later fragment keeps only those whose copied
    // flag is set, the rest turned to no-operation bytes so its header keeps its
    // length, as Linux's ip_options_fragment does (RFC 791 §3.1, "copied flag").
    let options = &built.bytes[ipv4::IPV4.fixed_len.min(hdr)..hdr];
    let later_options = copied_options(options);
    let list = pieces(data, piece, &template.layers[..1], |t, offset, more| {
        // Each fragment's length is its own: a pinned ip.len would be the datagram's.
        t.unset(&ipv4::LEN);
        let mut set = |f: &'static wire::Field, v: u128| {
            t.set(f, Value::Raw(v)).expect("an IPv4 field");
        };
        set(&ipv4::ID, id as u128);
        set(&ipv4::FLAG_MF, more as u128);
        set(&ipv4::FRAG_OFFSET, (offset / 8) as u128);
        set(&ipv4::PROTO, proto);
        if offset > 0 && later_options != options {
            t.set(&ipv4::OPTIONS, Value::Bytes(later_options.clone()))
                .expect("options of the same length");
        }
    });
    Ok(Fragmented {
        mtu,
        id: id as u32,
        v6: false,
        list,
        selected: None,
        upper,
        whole: built.bytes.len(),
        changed: false,
    })
}

/// Cuts an IPv6 template as its sender would (RFC 8200 §4.5): the IPv6 header and the
/// extension headers a router reads on the way (hop-by-hop, routing, and destination
/// options before a routing header) are the unfragmentable part, repeated in every
/// fragment; a fragment header follows, with one identification, the piece's offset
/// and the M flag; then a piece of the rest, a multiple of 8 bytes but the last.
fn split6(
    template: &Template,
    built: &wire::template::Built,
    mtu: u16,
    id: u32,
) -> Result<Fragmented, Refusal> {
    if built.layers.iter().any(|l| l.0 == &ipv6::FRAGMENT) {
        return Err(Refusal {
            message: "the template already has a fragment header: it is one fragment already"
                .into(),
            expected: "an IPv6 template without ipv6.fraghdr".into(),
            suggestion: "`new ip6/icmp6`, a payload, then `fragment 1280`".into(),
        });
    }
    // The layers every fragment repeats: the IPv6 header, then hop-by-hop and routing
    // headers, and destination options only when a routing header comes after them.
    let routing_at = built.layers.iter().rposition(|l| l.0 == &ipv6::ROUTING);
    let kept = 1 + built.layers[1..]
        .iter()
        .enumerate()
        .take_while(|(k, l)| {
            l.0 == &ipv6::HOPOPTS
                || l.0 == &ipv6::ROUTING
                || (l.0 == &ipv6::DSTOPTS && routing_at.is_some_and(|r| r > k + 1))
        })
        .count();
    let unfrag = built
        .layers
        .get(kept)
        .map_or(built.bytes.len(), |l| l.1)
        .min(built.bytes.len());
    let data = &built.bytes[unfrag..];
    if data.is_empty() {
        return Err(Refusal {
            message: "nothing to split: the template has nothing after its IPv6 header".into(),
            expected: "a template that carries something (ICMPv6, UDP, TCP, a payload)".into(),
            suggestion: "`new ip6/icmp6` then `payload zeros 2000`".into(),
        });
    }
    let head = unfrag + ipv6::FRAGMENT.fixed_len;
    let min = head + 8;
    if (mtu as usize) < min {
        return Err(Refusal {
            message: format!(
                "an MTU of {mtu} bytes cannot hold a fragment: the IPv6 header{} takes {unfrag} bytes and the fragment header 8, and every fragment but the last carries a multiple of 8 bytes",
                if kept > 1 {
                    " and the extension headers each fragment repeats"
                } else {
                    ""
                }
            ),
            expected: format!("at least {min} (the headers and one 8-byte block)"),
            suggestion: format!("`fragment {}` (IPv6's minimum link MTU)", min.max(1280)),
        });
    }
    let piece = (mtu as usize - head) / 8 * 8;
    if data.len() <= piece && built.bytes.len() <= mtu as usize {
        return Err(Refusal {
            message: format!(
                "nothing to split: the packet is {} bytes, and an MTU of {mtu} takes it whole",
                built.bytes.len()
            ),
            expected: format!(
                "an MTU smaller than {} bytes, or a larger payload",
                built.bytes.len()
            ),
            suggestion: "`payload zeros 2000` gives it something to cut, or `fragment 1280`".into(),
        });
    }
    let upper = wire::dissect::dissect(&built.bytes, &ipv6::IPV6)
        .layers
        .get(kept)
        .map_or("data", |l| l.proto.title);
    // What the last repeated header named next: the fragment header carries it on.
    let (last, last_start, _) = built.layers[kept - 1];
    let nxt = last
        .next_field
        .map_or(59, |f| f.get(&built.bytes[last_start..]));
    let id = match id {
        0 => 1,
        v => v,
    };
    let mut repeated = template.layers[..kept].to_vec();
    repeated.extend(Template::new(&[&ipv6::FRAGMENT]).layers);
    let list = pieces(data, piece, &repeated, |t, offset, more| {
        // Each fragment's payload length is its own.
        t.unset(&ipv6::PLEN);
        let mut set = |f: &'static wire::Field, v: u128| {
            t.set(f, Value::Raw(v)).expect("a fragment header field");
        };
        set(&ipv6::FRAG_NXT, nxt);
        set(&ipv6::FRAG_OFFSET, (offset / 8) as u128);
        set(&ipv6::FRAG_MORE, more as u128);
        set(&ipv6::FRAG_IDENT, id as u128);
    });
    Ok(Fragmented {
        mtu,
        id,
        v6: true,
        list,
        selected: None,
        upper,
        whole: built.bytes.len(),
        changed: false,
    })
}

/// `data` cut into pieces of `piece` bytes (the last shorter), each a template of the
/// `repeated` layers carrying its piece as payload; `mark` writes into each what tells
/// it apart: where its piece starts in the datagram, in bytes, and whether more follow.
fn pieces(
    data: &[u8],
    piece: usize,
    repeated: &[wire::template::TemplateLayer],
    mut mark: impl FnMut(&mut Template, usize, bool),
) -> Vec<Template> {
    data.chunks(piece)
        .enumerate()
        .map(|(k, bytes)| {
            let offset = k * piece;
            let mut t = Template {
                layers: repeated.to_vec(),
                payload: Payload::Bytes(bytes.to_vec()),
            };
            mark(&mut t, offset, offset + bytes.len() < data.len());
            t
        })
        .collect()
}

/// IPv4 options as a later fragment carries them: each option whose copied flag
/// (ip.opt.copy, the type's top bit) is clear becomes no-operation bytes.
fn copied_options(options: &[u8]) -> Vec<u8> {
    let mut out = options.to_vec();
    let mut i = 0;
    while i < out.len() {
        let kind = out[i];
        match kind {
            0 => break,
            1 => i += 1,
            _ => {
                let len = out.get(i + 1).map_or(1, |l| (*l as usize).max(2));
                let end = (i + len).min(out.len());
                if ipv4::OPT_COPY.get(&out[i..]) == 0 {
                    out[i..end].fill(1);
                }
                i = end;
            }
        }
    }
    out
}

/// A fragment in tcpdump -v's notation, as its one-line summary ends:
/// `(id 4660, offset 552, flags [+])`; an IPv6 one by its fragment header,
/// `frag (id 0x00005a5a, offset 48, flags [+])`.
pub fn frag_words(b: &[u8]) -> String {
    let mut s = String::new();
    if ipv4::VERSION.get(b) == 6 {
        let d = wire::dissect::dissect(b, &ipv6::IPV6);
        if let Some(l) = d.layers.iter().find(|l| l.proto == &ipv6::FRAGMENT) {
            (ipv6::FRAGMENT.summary)(l.header(b), &mut s);
        }
        return s;
    }
    wire::ipv4::push_frag(&mut s, b);
    s
}

/// Where a fragment's piece starts in the datagram, in bytes, and where the piece
/// starts in the fragment (past its headers).
fn piece_of(b: &[u8]) -> (usize, usize) {
    if ipv4::VERSION.get(b) == 6 {
        let d = wire::dissect::dissect(b, &ipv6::IPV6);
        return d
            .layers
            .iter()
            .find(|l| l.proto == &ipv6::FRAGMENT)
            .map_or((0, b.len()), |l| {
                let off = ipv6::FRAG_OFFSET.shown(l.get(b, &ipv6::FRAG_OFFSET)) as usize;
                (off, l.hdr_end)
            });
    }
    let off = ipv4::FRAG_OFFSET.shown(ipv4::FRAG_OFFSET.get(b)) as usize;
    (off, (ipv4::IPV4.header_len)(b).min(b.len()))
}

impl Session {
    /// `fragment SIZE` and `fragment off`.
    pub(super) fn fragment(
        &mut self,
        what: &crate::command::Fragmenting,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let mtu = match what {
            crate::command::Fragmenting::Off => {
                let text = match self.fragmented.take() {
                    Some(f) => format!(
                        "fragments dropped ({} of them): `send` sends the whole template again",
                        f.list.len()
                    ),
                    None => "the template was not fragmented: `send` sends it whole".into(),
                };
                self.info(out, &text)?;
                return Ok(Flow::Continue);
            }
            crate::command::Fragmenting::Mtu(m) => *m,
        };
        let mut template = self.template.clone();
        self.fill_source(&mut template, out)?;
        let id = self
            .fragmented
            .as_ref()
            .map_or_else(|| u32::from(self.ping_ident ^ 0x5a5a), |f| f.id);
        match split(&template, mtu, id, SystemTime::now()) {
            Ok(f) if f.v6 => {
                let text = format!(
                    "{} bytes as {} IPv6 fragments for an MTU of {mtu} bytes, each with a fragment header (ipv6.fraghdr), identification {:#010x}: in IPv6 only the sender cuts a packet, as the kernel would for a path MTU of {mtu}; `fragments` lists them, `send` sends them in order (`send order 2 1` out of order), `fragment off` goes back",
                    f.whole,
                    f.list.len(),
                    f.id,
                );
                self.info(out, &text)?;
                self.fragmented = Some(f);
                self.list_fragments(out)?;
                Ok(Flow::Continue)
            }
            Ok(f) => {
                if template.user_value(&ipv4::FLAG_DF) == Some(1)
                    || template
                        .user_value(&ipv4::FLAGS)
                        .is_some_and(|v| v & 0b010 != 0)
                {
                    self.info(
                        out,
                        "ip.flags.df is set: a kernel would not cut this datagram (it refuses with EMSGSIZE and counts Ip FragFails); rawlab cuts it as asked, and every fragment keeps DF",
                    )?;
                }
                let picked = template.user_value(&ipv4::ID).is_none_or(|v| v == 0);
                let text = format!(
                    "{} bytes as {} fragments for an MTU of {mtu} bytes, ip.id {:#06x} ({}){}; `fragments` lists them, `send` sends them in order (`send order 2 1` out of order), `fragment off` goes back",
                    f.whole,
                    f.list.len(),
                    f.id,
                    f.id,
                    if picked {
                        " (picked by rawlab: the template's was 0, which the kernel would fill differently in each)"
                    } else {
                        ""
                    }
                );
                self.info(out, &text)?;
                self.fragmented = Some(f);
                self.list_fragments(out)?;
                Ok(Flow::Continue)
            }
            Err(r) => {
                let line = format!("fragment {mtu}");
                self.fail_at(out, &line, 9..line.len(), r)
            }
        }
    }

    /// A positioned error on a line rebuilt from the command (`send order 2 5`).
    pub(super) fn fail_at(
        &mut self,
        out: &mut dyn Write,
        line: &str,
        span: Range<usize>,
        r: Refusal,
    ) -> io::Result<Flow> {
        self.failures += 1;
        self.last_error = Some(r.message.clone());
        let caret = Caret {
            span,
            message: r.message,
            expected: Some(r.expected),
            suggestion: Some(r.suggestion),
        };
        render::parse_error(out, line, &caret, None, &self.style())?;
        Ok(Flow::Continue)
    }

    /// `fragments`, `fragments N`, `fragments all`.
    pub(super) fn fragments(
        &mut self,
        pick: &crate::command::FragmentPick,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        use crate::command::FragmentPick;
        let Some(f) = &mut self.fragmented else {
            let line = match pick {
                FragmentPick::One(n) => format!("fragments {n}"),
                FragmentPick::All => "fragments all".into(),
                FragmentPick::List => "fragments".into(),
            };
            let end = line.len();
            return self.fail_at(
                out,
                &line,
                0..end,
                Refusal {
                    message: "there are no fragments: the template is sent whole".into(),
                    expected: "`fragment SIZE` first".into(),
                    suggestion: "`fragment 576` cuts the template for an MTU of 576 bytes".into(),
                },
            );
        };
        match pick {
            FragmentPick::List => self.list_fragments(out)?,
            FragmentPick::All => {
                f.selected = None;
                self.info(
                    out,
                    "no fragment selected: `set` changes the template, and the fragments are cut from it again",
                )?;
            }
            FragmentPick::One(n) => {
                let count = f.list.len();
                if *n > count {
                    let line = format!("fragments {n}");
                    return self.fail_at(
                        out,
                        &line,
                        10..line.len(),
                        Refusal {
                            message: format!("there is no fragment {n}: there are {count}"),
                            expected: format!("1..={count}"),
                            suggestion: format!("`fragments {count}` shows the last"),
                        },
                    );
                }
                f.selected = Some(n - 1);
                let t = f.list[n - 1].clone();
                let saved = std::mem::replace(&mut self.template, t);
                let shown = self.show_as(&format!("fragment {n} of {count}"), out);
                self.template = saved;
                shown?;
                self.info(
                    out,
                    &format!(
                        "fragment {n} of {count} selected: `set` and `unset` change it alone (`fragments all` selects none)"
                    ),
                )?;
            }
        }
        Ok(Flow::Continue)
    }

    /// One line a fragment: its number, length, tcpdump's notation, what it holds.
    fn list_fragments(&self, out: &mut dyn Write) -> io::Result<()> {
        let Some(f) = &self.fragmented else {
            return Ok(());
        };
        let now = SystemTime::now();
        for (k, t) in f.list.iter().enumerate() {
            let b = t.build(now).bytes;
            let (offset, from) = piece_of(&b);
            let holds = if offset == 0 {
                format!("the {} header and what follows", f.upper)
            } else {
                format!(
                    "bytes {offset}–{} of the {}",
                    (offset + b.len()).saturating_sub(from + 1),
                    f.upper
                )
            };
            let mark = if f.selected == Some(k) { "*" } else { " " };
            let line = format!(
                "{mark}{:>3}  {} bytes  {}  {holds}",
                k + 1,
                b.len(),
                frag_words(&b)
            );
            writeln!(out, "{}", self.style().paint(&line, Tone::Plain))?;
        }
        Ok(())
    }

    /// `set` while fragmented: the selected fragment, or the template cut again.
    pub(super) fn set_while_fragmented(
        &mut self,
        f: &'static wire::Field,
        v: Option<&Value>,
        out: &mut dyn Write,
    ) -> io::Result<Option<Flow>> {
        let Some(fr) = &mut self.fragmented else {
            return Ok(None);
        };
        let Some(k) = fr.selected else {
            return Ok(None);
        };
        fr.changed = true;
        let t = &mut fr.list[k];
        let result = match v {
            Some(v) => t.set(f, v.clone()),
            None => {
                t.unset(f);
                Ok(())
            }
        };
        match result {
            Ok(()) => {
                let b = t.build(SystemTime::now()).bytes;
                let first = t.layers.first().map_or(&ipv4::IPV4, |l| l.proto);
                let words = match wire::dissect::dissect(&b, first).layer_of(f) {
                    Some(l) if l.fields(&b).any(|g| g == f) => l.words(&b, f),
                    _ => "(not in this fragment)".into(),
                };
                let text = format!("fragment {}: {} = {words}", k + 1, f.name);
                self.info(out, &text)?;
                Ok(Some(Flow::Continue))
            }
            Err(e) => {
                let what = if fr.v6 {
                    "IPv6's headers, a fragment header and a piece of the packet"
                } else {
                    "an IPv4 header and a piece of the datagram"
                };
                let text = format!(
                    "{e}: fragment {} is {what}; `fragments all` then `set` changes the template, cut again",
                    k + 1
                );
                self.fail(out, &text).map(Some)
            }
        }
    }

    /// After the template changed: the fragments are cut from it again.
    pub(super) fn refragment(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let Some(old) = self.fragmented.take() else {
            return Ok(());
        };
        let mut template = self.template.clone();
        self.fill_source(&mut template, out)?;
        match split(&template, old.mtu, old.id, SystemTime::now()) {
            Ok(f) => {
                self.info(
                    out,
                    &format!(
                        "cut again: {} fragments for an MTU of {}",
                        f.list.len(),
                        old.mtu
                    ),
                )?;
                self.fragmented = Some(f);
            }
            Err(r) => {
                self.info(
                    out,
                    &format!(
                        "fragments dropped: {}; `send` sends the template whole",
                        r.message
                    ),
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(payload: usize, mtu: u16) -> Result<Fragmented, Refusal> {
        let t = Template {
            payload: Payload::Zeros(payload),
            ..Template::default()
        };
        split(&t, mtu, 0x4242, SystemTime::UNIX_EPOCH)
    }

    /// As the kernel cuts: pieces a multiple of 8 bytes but the last, one id, the
    /// offsets in 8-byte units, MF on all but the last, each ip.len its own.
    #[test]
    fn pieces_are_cut_on_eight_byte_boundaries_with_one_id() {
        let f = cut(1200, 576).map_err(|r| r.message).unwrap();
        let built: Vec<Vec<u8>> = f
            .list
            .iter()
            .map(|t| t.build(SystemTime::UNIX_EPOCH).bytes)
            .collect();
        assert_eq!(built.len(), 3);
        let lens: Vec<u128> = built.iter().map(|b| ipv4::LEN.get(b)).collect();
        assert_eq!(lens, [572, 572, 124]);
        let offsets: Vec<u128> = built
            .iter()
            .map(|b| ipv4::FRAG_OFFSET.shown(ipv4::FRAG_OFFSET.get(b)))
            .collect();
        assert_eq!(offsets, [0, 552, 1104]);
        let more: Vec<u128> = built.iter().map(|b| ipv4::FLAG_MF.get(b)).collect();
        assert_eq!(more, [1, 1, 0]);
        assert!(built.iter().all(|b| ipv4::ID.get(b) == 0x4242));
        assert!(built.iter().all(|b| ipv4::PROTO.get(b) == 1));
        assert_eq!(f.whole, 1228);
        // The pieces laid end to end are the datagram after its header.
        let whole = Template {
            payload: Payload::Zeros(1200),
            ..Template::default()
        }
        .build(SystemTime::UNIX_EPOCH)
        .bytes;
        let joined: Vec<u8> = built.iter().flat_map(|b| b[20..].to_vec()).collect();
        assert_eq!(joined, whole[20..]);
        assert_eq!(frag_words(&built[1]), "(id 16962, offset 552, flags [+])");
        assert_eq!(
            frag_words(&built[2]),
            "(id 16962, offset 1104, flags [none])"
        );
    }

    /// An id the template set is kept; 0, which the kernel would fill differently in
    /// each fragment, is replaced.
    #[test]
    fn the_templates_own_id_is_kept() {
        let mut t = Template {
            payload: Payload::Zeros(100),
            ..Template::default()
        };
        t.set(&ipv4::ID, Value::Raw(0x1234)).unwrap();
        let f = split(&t, 60, 7, SystemTime::UNIX_EPOCH)
            .map_err(|r| r.message)
            .unwrap();
        assert_eq!(f.id, 0x1234);
        assert_eq!(cut(100, 60).map_err(|r| r.message).unwrap().id, 0x4242);
    }

    /// A later fragment keeps the options whose copied flag is set (security, source
    /// routes) and turns the rest into no-operations, its header as long as the first's.
    #[test]
    fn later_fragments_keep_only_copied_options() {
        // Record route (7, not copied), 7 bytes, then a router alert (148, copied), 4.
        let opts = [7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0];
        assert_eq!(
            copied_options(&opts),
            [1, 1, 1, 1, 1, 1, 1, 148, 4, 0, 0, 0]
        );
        let mut t = Template {
            payload: Payload::Zeros(100),
            ..Template::default()
        };
        t.set(&ipv4::OPTIONS, Value::Bytes(opts.to_vec())).unwrap();
        let f = split(&t, 80, 9, SystemTime::UNIX_EPOCH)
            .map_err(|r| r.message)
            .unwrap();
        let first = f.list[0].build(SystemTime::UNIX_EPOCH).bytes;
        let second = f.list[1].build(SystemTime::UNIX_EPOCH).bytes;
        assert_eq!(first[20..32], opts);
        assert_eq!(second[20..32], [1, 1, 1, 1, 1, 1, 1, 148, 4, 0, 0, 0]);
        assert_eq!(ipv4::HDR_LEN.get(&second), 8);
        // 80 - 32 = 48 bytes a piece.
        assert_eq!(ipv4::FRAG_OFFSET.shown(ipv4::FRAG_OFFSET.get(&second)), 48);
    }

    /// An IPv6 packet is cut after the headers every fragment repeats (the IPv6 header
    /// and a hop-by-hop header here): a fragment header after them names what the
    /// hop-by-hop header named, the pieces share one identification, and laid end to
    /// end they are the rest of the packet.
    #[test]
    fn ipv6_pieces_follow_a_fragment_header_after_the_repeated_headers() {
        let mut t = Template::new(&[&ipv6::IPV6, &ipv6::HOPOPTS, &wire::icmpv6::ICMPV6]);
        t.payload = Payload::Zeros(200);
        let f = split(&t, 120, 0x01020304, SystemTime::UNIX_EPOCH)
            .map_err(|r| r.message)
            .unwrap();
        assert!(f.v6);
        let whole = t.build(SystemTime::UNIX_EPOCH).bytes;
        let built: Vec<Vec<u8>> = f
            .list
            .iter()
            .map(|t| t.build(SystemTime::UNIX_EPOCH).bytes)
            .collect();
        // 40 + 8 of hop-by-hop + 8 of fragment header leave 64 a piece of 208.
        assert_eq!(built.len(), 4);
        let lens: Vec<usize> = built.iter().map(|b| b.len()).collect();
        assert_eq!(lens, [120, 120, 120, 72]);
        let mut joined: Vec<u8> = Vec::new();
        for (k, b) in built.iter().enumerate() {
            let d = wire::dissect::dissect(b, &ipv6::IPV6);
            assert_eq!(d.layers[1].proto, &ipv6::HOPOPTS);
            let fh = &d.layers[2];
            assert_eq!(fh.proto, &ipv6::FRAGMENT);
            assert_eq!(d.layers[1].get(b, &ipv6::HOP_NXT), 44);
            assert_eq!(fh.get(b, &ipv6::FRAG_NXT), 58);
            assert_eq!(fh.get(b, &ipv6::FRAG_IDENT), 0x01020304);
            assert_eq!(
                ipv6::FRAG_OFFSET.shown(fh.get(b, &ipv6::FRAG_OFFSET)),
                (k * 64) as u128
            );
            assert_eq!(fh.get(b, &ipv6::FRAG_MORE), (k < 3) as u128);
            assert_eq!(ipv6::PLEN.get(b) as usize, b.len() - 40);
            joined.extend(&b[fh.hdr_end..]);
        }
        assert_eq!(joined, whole[48..]);
        assert_eq!(
            frag_words(&built[3]),
            "frag (id 0x01020304, offset 192, flags [none])"
        );
    }

    #[test]
    fn what_cannot_be_cut_says_why() {
        let small = cut(2, 576).err().unwrap();
        assert!(
            small.message.starts_with("nothing to split"),
            "{}",
            small.message
        );
        let tight = cut(100, 27).err().unwrap();
        assert!(
            tight.message.contains("cannot hold a fragment"),
            "{}",
            tight.message
        );
        assert_eq!(
            tight.expected,
            "at least 28 (the header and one 8-byte block)"
        );
        let bare = split(
            &Template::new(&[&ipv4::IPV4]),
            576,
            1,
            SystemTime::UNIX_EPOCH,
        )
        .err()
        .unwrap();
        assert!(bare.message.contains("nothing after its IPv4 header"));
    }
}
