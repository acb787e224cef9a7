//! The field lines of a dump: name, value in words, its bytes or bits, and a short
//! meaning, with the marks a relation or the kernel left on it. Texts a stream repeats
//! are kept by raw value, so a repeated value is copied, not written again.

use super::*;
use crate::wire::{ALL_ZERO_NOTE, Expected, OTHER_ZERO_NOTE, RECORDED_NOTE};

mod draw;
mod texts;

// The render tests draw a note on its own.
#[cfg(test)]
pub(super) use draw::mark_into;
pub(super) use texts::*;

/// The bits of a field within its bytes, others as dots: `0100 ....`.
pub fn bit_pattern(f: &Field, layer: &[u8]) -> String {
    let mut s = String::new();
    bit_pattern_into(&mut s, f, layer);
    s
}

pub(super) fn bit_pattern_into(s: &mut String, f: &Field, layer: &[u8]) {
    let first = f.first_byte();
    let end = f.end_byte();
    for (byte, value) in layer.iter().enumerate().take(end).skip(first) {
        if byte > first {
            s.push(' ');
        }
        for bit in 0..8 {
            if bit == 4 {
                s.push(' ');
            }
            let pos = byte * 8 + bit;
            if pos >= f.bit_offset && pos < f.bit_offset + f.bits as usize {
                s.push(if value & (0x80 >> bit) != 0 { '1' } else { '0' });
            } else {
                s.push('.');
            }
        }
    }
}

/// Up to `max` bytes in hex, spaced, with … when there are more.
pub(super) fn hex_bytes_into(s: &mut String, b: &[u8], max: usize) {
    for (i, x) in b.iter().take(max).enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let [hi, lo] = hex2(*x);
        s.push(char::from(hi));
        s.push(char::from(lo));
    }
    if b.len() > max {
        s.push_str(if max > 0 { " …" } else { "…" });
    }
}

/// Bytes as text when they mostly are, for payloads such as "GET /".
pub(super) fn text_preview(b: &[u8]) -> Option<String> {
    let printable = b
        .iter()
        .filter(|c| c.is_ascii_graphic() || matches!(c, b' ' | b'\r' | b'\n' | b'\t'))
        .count();
    if b.len() < 3 || printable * 10 < b.len() * 9 {
        return None;
    }
    let text: String = String::from_utf8_lossy(&b[..b.len().min(48)])
        .chars()
        .map(|c| match c {
            '\r' => '␍',
            '\n' => '␊',
            '\t' => '␉',
            c if c.is_control() => '.',
            c => c,
        })
        .collect();
    Some(format!("\"{text}{}\"", if b.len() > 48 { "…" } else { "" }))
}

/// One field's line, its texts kept in the dump's scratch string.
pub(super) struct Row {
    pub(super) depth: usize,
    pub(super) name: &'static str,
    pub(super) value: Range<usize>,
    pub(super) value_chars: usize,
    pub(super) value_tone: Tone,
    pub(super) bits: Range<usize>,
    pub(super) bits_chars: usize,
    pub(super) meaning: &'static str,
    pub(super) tone: Tone,
    /// Its notes (kernel changes, verdicts), in `Said`s list.
    pub(super) marks: Range<usize>,
    /// The bytes of the frame it covers.
    pub(super) span: Range<usize>,
}

/// Where one field's line was drawn, for a page that links it to its bytes: the
/// drawn text's range in the buffer (its notes included), the bytes it covers, and
/// the colour its bytes have in the hex rows (`None` for a group, whose members
/// colour them).
#[derive(Debug, Clone, PartialEq)]
pub struct Spot {
    pub text: Range<usize>,
    pub name: &'static str,
    pub bytes: Range<usize>,
    pub colour: Option<usize>,
    /// Its bits as the line shows them (`0100 ....`) when it does not fill whole bytes.
    pub bits: Option<String>,
}

impl Row {
    pub(super) fn name_chars(&self) -> usize {
        // Field names are ASCII (a table test checks).
        2 * self.depth + self.name.len()
    }
}

/// Where a note under a field line keeps its text.
pub(super) enum Said {
    /// The dump's n-th mark.
    Mark(usize),
    /// The scratch string's bytes.
    Scratch(Range<usize>),
    /// What the link header says.
    Link,
}

/// A layer's part of the field list: its title and its rows.
pub(super) struct Section {
    pub(super) title: Range<usize>,
    pub(super) rows: Range<usize>,
}

/// Appends what `fill` writes to `scratch`, returning where it is and how many
/// characters it has.
pub(super) fn keep(scratch: &mut String, fill: impl FnOnce(&mut String)) -> (Range<usize>, usize) {
    let start = scratch.len();
    fill(scratch);
    let text = &scratch[start..];
    let chars = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    (start..scratch.len(), chars)
}

/// Appends text whose character count is known.
pub(super) fn keep_known(scratch: &mut String, text: &str, chars: usize) -> (Range<usize>, usize) {
    let start = scratch.len();
    scratch.push_str(text);
    (start..scratch.len(), chars)
}

/// A section title: `IPv4 · bytes 14–33`.
pub(super) fn title_into(s: &mut String, title: &str, how: &str, bytes: Range<usize>) {
    s.push_str(title);
    s.push_str(how);
    s.push_str(" · bytes ");
    push_dec(s, bytes.start as u128);
    s.push('–');
    push_dec(s, bytes.end.saturating_sub(1) as u128);
}

/// `N bytes`, then `after`.
pub(super) fn byte_count_into(s: &mut String, n: usize, after: &str) {
    push_dec(s, n as u128);
    s.push_str(" bytes");
    s.push_str(after);
}

/// The field lines of a dump, section by section (a heading per layer), in columns as
/// wide as their widest cell.
pub(super) fn fields(
    buf: &mut String,
    d: &Dump,
    dis: &Dissection,
    lines: &Lines,
    style: &Style,
    width: Option<usize>,
    spots: Option<&mut Vec<Spot>>,
) {
    let mut t = Table {
        scratch: String::with_capacity(2048),
        rows: Vec::with_capacity(lines.all.len() + 3),
        sections: Vec::with_capacity(dis.layers.len() + 3),
        said: Vec::new(),
        coloured: 0,
        in_fragment: false,
    };
    if let Some(link) = d.link.as_ref().filter(|l| l.len > 0) {
        t.link(d, link);
    }
    let mut texts = Texts::take();
    for (i, l) in dis.layers.iter().enumerate() {
        t.layer(
            d,
            dis,
            i,
            l,
            &lines.all[lines.layers[i].clone()],
            &mut texts,
        );
    }
    if !dis.payload.is_empty() {
        t.data(d, dis);
    }
    if !dis.trailer.is_empty() {
        t.trailer(d, dis);
    }
    t.draw(buf, d, style.color, width, spots);
}

/// The cells of a dump's field lines, gathered before any is drawn: their texts in one
/// scratch string, each row naming its ranges.
struct Table {
    scratch: String,
    rows: Vec<Row>,
    sections: Vec<Section>,
    /// The notes under rows (each row names its run).
    said: Vec<(Said, Tone)>,
    /// Fields given a colour so far: the next one's colour.
    coloured: usize,
    /// The layer drawn rides in an IPv4 fragment: its checksums are not judged.
    in_fragment: bool,
}

impl Table {
    /// Ends a section whose rows start at `first`.
    fn section(&mut self, title: Range<usize>, first: usize) {
        self.sections.push(Section {
            title,
            rows: first..self.rows.len(),
        });
    }

    /// A link-layer header no table reads, as one dim row.
    fn link(&mut self, d: &Dump, link: &LinkHeader) {
        let end = link.len.min(d.bytes.len());
        let s = &mut self.scratch;
        let (title, _) = keep(s, |s| title_into(s, "link · ", &link.title, 0..end));
        let (value, value_chars) = keep(s, |s| byte_count_into(s, end, ""));
        let (bits, bits_chars) = keep(s, |s| hex_bytes_into(s, &d.bytes[..end], 12));
        self.said.push((Said::Link, Tone::Dim));
        self.rows.push(Row {
            depth: 0,
            name: "link",
            value,
            value_chars,
            value_tone: Tone::Dim,
            bits,
            bits_chars,
            meaning: "link-layer header: no table reads it yet, so it is not taken apart",
            tone: Tone::Dim,
            marks: 0..1,
            span: 0..end,
        });
        self.section(title, 0);
    }

    /// Layer `i`'s section: a row a field line, with checksum verdicts and marks.
    fn layer(
        &mut self,
        d: &Dump,
        dis: &Dissection,
        i: usize,
        l: &Layer,
        lines: &[Line],
        texts: &mut Texts,
    ) {
        let expected = if dis.verifiable(i) {
            let mut scope = dis.scope(i, d.bytes);
            scope.around = d.around.as_ref().map(|(p, h)| (*p, h.as_slice()));
            (l.proto.expected)(&scope)
        } else {
            Vec::new()
        };
        self.in_fragment = dis.in_fragment(d.bytes, i);
        let first = self.rows.len();
        for line in lines {
            self.field(d, l, line, &expected, texts);
        }
        let how = match (l.quoted, l.cut) {
            (true, true) => " (quoted, cut short)",
            (true, false) => " (quoted)",
            _ => "",
        };
        let (title, _) = keep(&mut self.scratch, |s| {
            title_into(s, l.proto.title, how, l.start..l.hdr_end);
        });
        self.section(title, first);
    }

    /// One field's row.
    fn field(
        &mut self,
        d: &Dump,
        l: &Layer,
        line: &Line,
        expected: &[Expected],
        texts: &mut Texts,
    ) {
        let p = &line.placed;
        let f = p.field;
        let at = &d.bytes[p.base..p.span.end];
        let fixed = p.base == l.start && !line.whole_tail && f.kind != Kind::Name;
        let marks_start = self.said.len();
        let (verdict, value_tone) = match expected
            .iter()
            .find(|e| fixed && e.field == f && !d.unverified.contains(&f))
        {
            Some(e) => self.verdict(e, f, f.get(at), d.offload_told),
            None => ("", Tone::Plain),
        };
        if fixed || line.whole_tail {
            let mine = |m: &&Mark| m.field == f && m.layer_start == l.start;
            for (k, m) in d.marks.iter().enumerate().filter(|(_, m)| mine(m)) {
                self.said.push((Said::Mark(k), m.tone));
            }
        }
        let ((value, value_chars), (bits, bits_chars)) = if f.kind == Kind::Name {
            // A domain name: its text, its pointers followed through the message (from
            // the placed base to the header's end), and the bytes it has in place.
            let msg = &d.bytes[p.base..l.hdr_end.max(p.span.end)];
            let s = &mut self.scratch;
            (
                keep(s, |s| {
                    crate::wire::name::write_words(s, msg, p.span.start - p.base)
                }),
                keep(s, |s| hex_bytes_into(s, &d.bytes[p.span.clone()], 12)),
            )
        } else if f.kind == Kind::Bytes {
            let b = &d.bytes[p.span.clone()];
            let s = &mut self.scratch;
            (
                keep(s, |s| byte_count_into(s, b.len(), verdict)),
                keep(s, |s| hex_bytes_into(s, b, 12)),
            )
        } else {
            // A fixed field is named in its header's context (icmp.code by type).
            let in_context = (fixed && l.proto.names_when.iter().any(|n| n.field == f))
                .then(|| l.proto.value_name(f, l.header(d.bytes)));
            self.value(f, at, in_context, verdict, texts)
        };
        self.rows.push(Row {
            depth: line.depth,
            name: f.name,
            value,
            value_chars,
            value_tone,
            bits,
            bits_chars,
            meaning: f.meaning,
            tone: if f.group {
                Tone::Plain
            } else {
                Tone::Field(self.coloured)
            },
            marks: marks_start..self.said.len(),
            span: p.span.clone(),
        });
        if !f.group {
            self.coloured += 1;
        }
    }

    /// A checked field's verdict, for its value cell, and a note saying why when it is
    /// not simply correct.
    fn verdict(&mut self, e: &Expected, f: &Field, raw: u128, told: bool) -> (&'static str, Tone) {
        let words = |s: &mut String, raw: u128| f.write_words(s, raw, f.value_name(raw));
        if self.in_fragment {
            let (text, _) = keep(&mut self.scratch, |s| {
                s.push_str("not checked: it covers the whole datagram, and this fragment holds only a piece of it; the receiver checks it once the fragments are put back together");
            });
            self.said.push((Said::Scratch(text), Tone::Dim));
            return (" · not checked", Tone::Plain);
        }
        match e.verdict(raw) {
            Verdict::Correct => (" ✓ correct", Tone::Good),
            Verdict::Offloaded => {
                let (text, _) = keep(&mut self.scratch, |s| {
                    s.push_str("◐ ");
                    if told {
                        // The why was given once already, on an earlier packet.
                        s.push_str("checksum offload, as above");
                    } else {
                        s.push_str(OFFLOAD_NOTE);
                    }
                    s.push_str("; the whole sum is ");
                    words(s, e.want);
                });
                self.said.push((Said::Scratch(text), Tone::Note));
                (" ◐ offloaded", Tone::Note)
            }
            Verdict::OtherZero => {
                let (text, _) = keep(&mut self.scratch, |s| {
                    s.push_str("✓ ");
                    s.push_str(OTHER_ZERO_NOTE);
                });
                self.said.push((Said::Scratch(text), Tone::Note));
                (" ✓ correct", Tone::Good)
            }
            Verdict::Recorded => {
                let (text, _) = keep(&mut self.scratch, |s| {
                    s.push_str("◐ ");
                    s.push_str(RECORDED_NOTE);
                    s.push_str("; the bytes as they are add up to ");
                    words(s, e.want);
                });
                self.said.push((Said::Scratch(text), Tone::Note));
                (" ◐ as it arrived", Tone::Note)
            }
            Verdict::Wrong if raw == 0 && e.want == 0xffff && e.pseudo == 0 => {
                let (text, _) = keep(&mut self.scratch, |s| {
                    s.push_str("✗ should be 0xffff: ");
                    s.push_str(ALL_ZERO_NOTE);
                });
                self.said.push((Said::Scratch(text), Tone::Bad));
                (" ✗ wrong", Tone::Bad)
            }
            Verdict::Wrong => {
                let (text, _) = keep(&mut self.scratch, |s| {
                    s.push_str("✗ the bytes add up to ");
                    words(s, e.want);
                    s.push_str(", not ");
                    words(s, raw);
                });
                self.said.push((Said::Scratch(text), Tone::Bad));
                (" ✗ wrong", Tone::Bad)
            }
        }
    }

    /// A number field's value in words (with its verdict) and its bytes or bits: copied
    /// from what the stream last wrote for the same value, or written and remembered.
    fn value(
        &mut self,
        f: &'static Field,
        at: &[u8],
        in_context: Option<Option<&'static str>>,
        verdict: &str,
        texts: &mut Texts,
    ) -> ((Range<usize>, usize), (Range<usize>, usize)) {
        let scratch = &mut self.scratch;
        let raw = f.get(at);
        let naming = Naming::of(in_context);
        let seen = texts.slot(f, raw, naming);
        let known = seen.holds(f, raw, naming);
        let (words, words_chars) = if known {
            keep_known(scratch, &seen.text[..seen.words], seen.words_chars)
        } else {
            let name = in_context.unwrap_or_else(|| f.value_name(raw));
            keep(scratch, |s| f.write_words(s, raw, name))
        };
        scratch.push_str(verdict);
        let value = (
            words.start..scratch.len(),
            words_chars + verdict.chars().count(),
        );
        let bits = if known {
            keep_known(scratch, &seen.text[seen.words..], seen.bits_chars)
        } else {
            let (bits, bc) = keep(scratch, |s| {
                if f.byte_aligned() {
                    hex_bytes_into(s, &at[f.first_byte()..f.end_byte()], 16)
                } else {
                    bit_pattern_into(s, f, at)
                }
            });
            seen.remember(
                f,
                raw,
                naming,
                (&scratch[words], words_chars),
                (&scratch[bits.clone()], bc),
            );
            (bits, bc)
        };
        (value, bits)
    }

    /// The payload's section: a text preview or its length, and its bytes.
    fn data(&mut self, d: &Dump, dis: &Dissection) {
        let b = &d.bytes[dis.payload.clone()];
        let start = dis.layers.last().map_or(0, |l| l.hdr_end);
        // The payload of a quoted datagram is part of the quote.
        let quoted = if dis.layers.last().is_some_and(|l| l.quoted) {
            " (quoted)"
        } else {
            ""
        };
        let s = &mut self.scratch;
        let (title, _) = keep(s, |s| title_into(s, "data", quoted, dis.payload.clone()));
        let (value, value_chars) = keep(s, |s| match text_preview(b) {
            Some(t) => s.push_str(&t),
            None => byte_count_into(s, b.len(), ""),
        });
        let (bits, bits_chars) = keep(s, |s| hex_bytes_into(s, b, 12));
        let marks_start = self.said.len();
        for (k, m) in d.marks.iter().enumerate() {
            if m.field == &DATA && m.layer_start == start {
                self.said.push((Said::Mark(k), m.tone));
            }
        }
        if let Some(t) = echo_timestamp(d.bytes, dis) {
            let (text, _) = keep(&mut self.scratch, |s| {
                s.push_str("its first 16 bytes are a send timestamp, as ping(8) writes one (seconds, then microseconds, 8 bytes each in host order): ");
                crate::render::clock::write_utc(s, t, 6);
            });
            self.said.push((Said::Scratch(text), Tone::Note));
        }
        // A later fragment carries the middle of a message: no header to read there.
        if let Some(ip) = dis.layers.last().filter(|l| {
            l.proto == &crate::wire::ipv4::IPV4
                && l.complete()
                && crate::wire::ipv4::FRAG_OFFSET.get(l.header(d.bytes)) != 0
        }) {
            let h = ip.header(d.bytes);
            let offset = &crate::wire::ipv4::FRAG_OFFSET;
            let proto = crate::wire::ipv4::PROTO.get(h);
            let (text, _) = keep(&mut self.scratch, |s| {
                s.push_str("a fragment of ");
                match crate::wire::carried(&crate::wire::ipv4::IPV4, proto) {
                    Some(p) => s.push_str(p.title),
                    None => {
                        s.push_str("IP protocol ");
                        crate::wire::push_dec(s, proto);
                    }
                }
                s.push_str(" from byte ");
                crate::wire::push_dec(s, offset.shown(offset.get(h)));
                s.push_str(" of the datagram: its header is in the first fragment, so these bytes are data until the receiver puts the fragments back together");
            });
            self.said.push((Said::Scratch(text), Tone::Dim));
        }
        let first = self.rows.len();
        self.rows.push(Row {
            depth: 0,
            name: DATA.name,
            value,
            value_chars,
            value_tone: Tone::Plain,
            bits,
            bits_chars,
            meaning: DATA.meaning,
            tone: Tone::Field(self.coloured),
            marks: marks_start..self.said.len(),
            span: dis.payload.clone(),
        });
        self.section(title, first);
    }

    /// Bytes past the length the headers claim, as one dim row.
    fn trailer(&mut self, d: &Dump, dis: &Dissection) {
        let b = &d.bytes[dis.trailer.clone()];
        let s = &mut self.scratch;
        let (title, _) = keep(s, |s| title_into(s, "trailer", "", dis.trailer.clone()));
        let (value, value_chars) = keep(s, |s| byte_count_into(s, b.len(), ""));
        let (bits, bits_chars) = keep(s, |s| hex_bytes_into(s, b, 12));
        let first = self.rows.len();
        self.rows.push(Row {
            depth: 0,
            name: "trailer",
            value,
            value_chars,
            value_tone: Tone::Dim,
            bits,
            bits_chars,
            meaning: "bytes past the length the header claims (padding or junk)",
            tone: Tone::Dim,
            marks: 0..0,
            span: dis.trailer.clone(),
        });
        self.section(title, first);
    }
}

/// The send time at the start of an echo's data, when the first 16 bytes read as one:
/// seconds and microseconds, 8 bytes each in host order, as ping(8) and `payload time`
/// write them, the microseconds under a million and the seconds between 2000 and 2100
/// (so text, zeros or a pattern are not taken for a time).
fn echo_timestamp(bytes: &[u8], dis: &Dissection) -> Option<std::time::SystemTime> {
    use crate::wire::icmp;
    let l = dis.layers.last().filter(|l| !l.quoted)?;
    if l.proto != &icmp::ICMP {
        return None;
    }
    let kind = l.get(bytes, &icmp::TYPE);
    if kind != icmp::ECHO_REQUEST && kind != icmp::ECHO_REPLY {
        return None;
    }
    let b = bytes.get(dis.payload.clone())?;
    let word = |at: usize| -> Option<u64> {
        Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
    };
    let (secs, micros) = (word(0)?, word(8)?);
    if micros >= 1_000_000 || !(946_684_800..4_102_444_800).contains(&secs) {
        return None;
    }
    Some(std::time::UNIX_EPOCH + std::time::Duration::new(secs, micros as u32 * 1000))
}
