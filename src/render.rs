//! Drawing: the annotated dump (one renderer for templates, sent, captured and
//! file packets), plain hex, and errors with a caret. Everything writes to an
//! `impl Write` and knows nothing of sockets; colour is on or off per call,
//! and escape codes are written only where the colour changes.

use crate::command::ParseError;
use crate::wire::dissect::{Dissection, Layer, Placed, dissect_from};
use crate::wire::{DATA, Field, Kind, OFFLOAD_NOTE, Protocol, Verdict};
use owo_colors::{AnsiColors, OwoColorize, Style as OwoStyle};
use std::collections::HashSet;
use std::io::{self, Write};
use std::ops::Range;

/// Whether to colour, and whether to fit lines to the terminal's width.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// Fit to the terminal (cut long meanings, wrap notes). Off for pipes and files.
    pub fit: bool,
}

impl Style {
    pub const PLAIN: Style = Style {
        color: false,
        fit: false,
    };

    /// The terminal's width now (it may have been resized), when fitting to it.
    pub fn width(&self) -> Option<usize> {
        if !self.fit {
            return None;
        }
        terminal_size::terminal_size()
            .map(|(w, _)| w.0 as usize)
            .filter(|w| *w >= 20)
    }

    /// Wraps text to the terminal, first line after `first`, the rest after `rest`.
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> Vec<String> {
        match self.width() {
            Some(w) => {
                let opts = textwrap::Options::new(w)
                    .initial_indent(first)
                    .subsequent_indent(rest);
                textwrap::wrap(text, opts)
                    .into_iter()
                    .map(|l| l.into_owned())
                    .collect()
            }
            None => vec![format!("{first}{text}")],
        }
    }
}

/// Cuts text to `max` characters, ending with … when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// What a piece of text is, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Dim,
    Good,
    Bad,
    /// Something rawlab wants the learner to notice (kernel changes, replies).
    Note,
    Heading,
    Command,
    /// The n-th field of a dump.
    Field(usize),
}

const PALETTE: [AnsiColors; 10] = [
    AnsiColors::Cyan,
    AnsiColors::Yellow,
    AnsiColors::Green,
    AnsiColors::Magenta,
    AnsiColors::Blue,
    AnsiColors::BrightCyan,
    AnsiColors::BrightYellow,
    AnsiColors::BrightGreen,
    AnsiColors::BrightMagenta,
    AnsiColors::BrightBlue,
];

impl Style {
    fn owo(tone: Tone) -> OwoStyle {
        match tone {
            Tone::Plain => OwoStyle::new(),
            Tone::Dim => OwoStyle::new().dimmed(),
            Tone::Good => OwoStyle::new().green(),
            Tone::Bad => OwoStyle::new().red().bold(),
            Tone::Note => OwoStyle::new().bright_yellow().bold(),
            Tone::Heading => OwoStyle::new().bold(),
            Tone::Command => OwoStyle::new().bold().cyan(),
            Tone::Field(i) => OwoStyle::new().color(PALETTE[i % PALETTE.len()]),
        }
    }

    /// The text in its tone's colour (or as it is, with colour off).
    pub fn paint(&self, text: &str, tone: Tone) -> String {
        if self.color && tone != Tone::Plain {
            text.style(Self::owo(tone)).to_string()
        } else {
            text.to_string()
        }
    }

    fn paint_emph(&self, text: &str, tone: Tone, emph: bool) -> String {
        if self.color && emph {
            text.style(Self::owo(tone).bold().underline()).to_string()
        } else {
            self.paint(text, tone)
        }
    }
}

/// A note attached to one field of a dump, printed under its line.
#[derive(Debug, Clone)]
pub struct Mark {
    pub field: &'static Field,
    /// Start of the layer the field belongs to (a packet may hold two of a protocol).
    pub layer_start: usize,
    pub text: String,
    pub tone: Tone,
}

/// A link-layer header in front of the first layer that no protocol table reads yet
/// (Linux cooked or BSD loopback, in a capture file): drawn dim, as a section of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkHeader {
    /// Bytes it takes at the start of the frame.
    pub len: usize,
    /// What it is: `Linux cooked v1`, `BSD loopback`.
    pub title: String,
    /// What it says: addresses, the protocol it announces.
    pub words: String,
}

/// What to draw.
pub struct Dump<'a> {
    /// The first line: number, direction, socket, length.
    pub heading: String,
    pub bytes: &'a [u8],
    /// The first layer, after the link header if there is one; None when rawlab has no
    /// table for it (the bytes are then shown as data).
    pub first: Option<&'static Protocol>,
    /// A link-layer header before the first layer, read by no table.
    pub link: Option<LinkHeader>,
    /// Lines under the heading: what this packet is to others.
    pub notes: Vec<(String, Tone)>,
    pub marks: Vec<Mark>,
    /// Byte ranges to emphasise in the hex rows (what changed).
    pub emphasize: Vec<Range<usize>>,
    /// Fields not to verify (a template's checksum left 0 for the kernel).
    pub unverified: Vec<&'static Field>,
}

impl<'a> Dump<'a> {
    /// A frame from a capture file: a link header no table reads may come first, and
    /// rawlab may have no table for the layer after it.
    pub fn frame(
        heading: String,
        bytes: &'a [u8],
        first: Option<&'static Protocol>,
        link: Option<LinkHeader>,
    ) -> Self {
        Dump {
            heading,
            bytes,
            first,
            link,
            notes: Vec::new(),
            marks: Vec::new(),
            emphasize: Vec::new(),
            unverified: Vec::new(),
        }
    }

    pub fn new(heading: String, bytes: &'a [u8], first: &'static Protocol) -> Self {
        Dump {
            heading,
            bytes,
            first: Some(first),
            link: None,
            notes: Vec::new(),
            marks: Vec::new(),
            emphasize: Vec::new(),
            unverified: Vec::new(),
        }
    }
}

/// The annotated dump: heading, notes, hex rows in field colours, then one line per field.
pub fn dump(out: &mut dyn Write, d: &Dump, style: &Style) -> io::Result<()> {
    let dis = dissection(d);
    writeln!(out, "{}", style.paint(&d.heading, Tone::Heading))?;
    let mut summary = dis.summary(d.bytes);
    if let Some(link) = &d.link {
        summary = if summary.is_empty() {
            format!("{} {}", link.title, link.words)
        } else {
            format!("{} {} · {summary}", link.title, link.words)
        };
    }
    for l in style.wrap(&summary, "  ", "    ") {
        writeln!(out, "{l}")?;
    }
    for (text, tone) in &d.notes {
        for l in style.wrap(text, "  ", "    ") {
            writeln!(out, "{}", style.paint(&l, *tone))?;
        }
    }
    for p in &dis.problems {
        let text = format!("malformed: {} at byte {}: {}", p.layer, p.offset, p.what);
        for l in style.wrap(&text, "  ", "    ") {
            writeln!(out, "{}", style.paint(&l, Tone::Bad))?;
        }
    }
    let colors = byte_colors(&dis, d.bytes);
    let emph: HashSet<usize> = d.emphasize.iter().flat_map(|r| r.clone()).collect();
    hex_rows(out, d.bytes, &colors, &emph, style)?;
    fields(out, d, &dis, style)
}

/// The dump's bytes taken apart: after the link header, from its first layer; all data
/// when rawlab has no table for the first layer.
pub fn dissection(d: &Dump) -> Dissection {
    let start = d.link.as_ref().map_or(0, |l| l.len.min(d.bytes.len()));
    match d.first {
        Some(first) => dissect_from(d.bytes, start, first),
        None => Dissection {
            layers: Vec::new(),
            payload: start..d.bytes.len(),
            trailer: d.bytes.len()..d.bytes.len(),
            problems: Vec::new(),
        },
    }
}

/// One line of a layer's field list: a field where it sits, how deep it is indented,
/// and whether it is the tail as a whole (whose colour only fills the bytes its
/// options leave).
struct Line {
    placed: Placed,
    depth: usize,
    whole_tail: bool,
}

/// A layer's lines in wire order: fixed fields (group members under their group),
/// the tail as a whole, then each option or entry with its fields.
fn lines(l: &Layer, bytes: &[u8]) -> Vec<Line> {
    let member_of = |f: &Field, groups: &[&Field]| {
        groups
            .iter()
            .any(|g| f.name.starts_with(&format!("{}.", g.name)))
    };
    let fixed: Vec<&'static Field> = l.fields(bytes).collect();
    let groups: Vec<&Field> = fixed.iter().copied().filter(|f| f.group).collect();
    let mut v: Vec<Line> = fixed
        .iter()
        .map(|f| Line {
            placed: Placed::fixed(f, l.start),
            depth: usize::from(member_of(f, &groups)),
            whole_tail: false,
        })
        .collect();
    if let Some((f, r)) = l.tail() {
        v.push(Line {
            placed: Placed {
                field: f,
                base: r.start,
                span: r,
            },
            depth: 0,
            whole_tail: true,
        });
    }
    for item in &l.items {
        let groups: Vec<&Field> = item
            .fields
            .iter()
            .map(|p| p.field)
            .filter(|f| f.group)
            .collect();
        for p in &item.fields {
            v.push(Line {
                placed: p.clone(),
                depth: 1 + usize::from(member_of(p.field, &groups)),
                whole_tail: false,
            });
        }
    }
    v
}

/// Which field colour each byte gets: the first field that covers it, the n-th
/// non-group line of the dump getting colour n.
fn byte_colors(dis: &Dissection, bytes: &[u8]) -> Vec<Option<usize>> {
    let len = bytes.len();
    let mut colors = vec![None; len];
    let mut n = 0;
    let mut deferred = Vec::new();
    for l in &dis.layers {
        for line in lines(l, bytes)
            .into_iter()
            .filter(|x| !x.placed.field.group)
        {
            if line.whole_tail {
                deferred.push((line.placed.span.clone(), n));
            } else {
                for b in line.placed.span.clone().filter(|b| *b < len) {
                    colors[b].get_or_insert(n);
                }
            }
            n += 1;
        }
    }
    for (r, c) in deferred {
        for b in r.filter(|b| *b < len) {
            colors[b].get_or_insert(c);
        }
    }
    for b in dis.payload.clone() {
        colors[b] = Some(n);
    }
    colors
}

fn hex_rows(
    out: &mut dyn Write,
    bytes: &[u8],
    colors: &[Option<usize>],
    emph: &HashSet<usize>,
    style: &Style,
) -> io::Result<()> {
    let tone = |i: usize| colors[i].map_or(Tone::Dim, Tone::Field);
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let base = row * 16;
        let mut line = format!("  {:04x}  ", base);
        let mut ascii = String::new();
        for (j, b) in chunk.iter().enumerate() {
            let i = base + j;
            if j == 8 {
                line.push(' ');
            }
            line.push_str(&style.paint_emph(&format!("{b:02x}"), tone(i), emph.contains(&i)));
            line.push(' ');
            let c = if b.is_ascii_graphic() || *b == b' ' {
                *b as char
            } else {
                '.'
            };
            ascii.push_str(&style.paint_emph(&c.to_string(), tone(i), emph.contains(&i)));
        }
        let missing = 16 - chunk.len();
        line.push_str(&" ".repeat(missing * 3 + usize::from(chunk.len() <= 8)));
        writeln!(out, "{line} {ascii}")?;
    }
    Ok(())
}

/// The bits of a field within its bytes, others as dots: `0100 ....`.
pub fn bit_pattern(f: &Field, layer: &[u8]) -> String {
    let first = f.first_byte();
    let end = f.end_byte();
    let mut s = String::new();
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
    s
}

fn hex_bytes(b: &[u8], max: usize) -> String {
    let mut s: Vec<String> = b.iter().take(max).map(|x| format!("{x:02x}")).collect();
    if b.len() > max {
        s.push("…".into());
    }
    s.join(" ")
}

/// Bytes as text when they mostly are, for payloads such as "GET /".
fn text_preview(b: &[u8]) -> Option<String> {
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

struct Row {
    name: String,
    value: String,
    value_tone: Tone,
    bits: String,
    meaning: &'static str,
    tone: Tone,
    marks: Vec<(String, Tone)>,
}

fn fields(out: &mut dyn Write, d: &Dump, dis: &Dissection, style: &Style) -> io::Result<()> {
    let mut n = 0;
    let mut sections: Vec<(String, Vec<Row>)> = Vec::new();
    if let Some(link) = d.link.as_ref().filter(|l| l.len > 0) {
        let end = link.len.min(d.bytes.len());
        sections.push((
            format!("link · {} · bytes 0–{}", link.title, end.saturating_sub(1)),
            vec![Row {
                name: "link".into(),
                value: format!("{end} bytes"),
                value_tone: Tone::Dim,
                bits: hex_bytes(&d.bytes[..end], 12),
                meaning: "link-layer header: no table reads it yet, so it is not taken apart",
                tone: Tone::Dim,
                marks: vec![(link.words.clone(), Tone::Dim)],
            }],
        ));
    }
    let marks_for = |f: &Field, start: usize| -> Vec<(String, Tone)> {
        d.marks
            .iter()
            .filter(|m| m.field == f && m.layer_start == start)
            .map(|m| (m.text.clone(), m.tone))
            .collect()
    };
    for (i, l) in dis.layers.iter().enumerate() {
        let header = l.header(d.bytes);
        let expected = if dis.verifiable(i) {
            (l.proto.expected)(&dis.scope(i, d.bytes))
        } else {
            Vec::new()
        };
        let mut rows = Vec::new();
        for line in lines(l, d.bytes) {
            let p = &line.placed;
            let f = p.field;
            let at = &d.bytes[p.base..p.span.end];
            let fixed = p.base == l.start && !line.whole_tail;
            let (mut value, bits) = if f.kind == Kind::Bytes {
                let b = &d.bytes[p.span.clone()];
                (format!("{} bytes", b.len()), hex_bytes(b, 12))
            } else {
                // A fixed field is named in its header's context (icmp.code by type).
                let value = if fixed {
                    l.proto.words(f, header)
                } else {
                    f.words(f.get(at))
                };
                let bits = if f.byte_aligned() {
                    hex_bytes(&at[f.first_byte()..f.end_byte()], 16)
                } else {
                    bit_pattern(f, at)
                };
                (value, bits)
            };
            let mut value_tone = Tone::Plain;
            let mut marks = if fixed || line.whole_tail {
                marks_for(f, l.start)
            } else {
                Vec::new()
            };
            if let Some(e) = expected
                .iter()
                .find(|e| fixed && e.field == f && !d.unverified.contains(&f))
            {
                let raw = f.get(at);
                match e.verdict(raw) {
                    Verdict::Correct => {
                        value.push_str(" ✓ correct");
                        value_tone = Tone::Good;
                    }
                    Verdict::Offloaded => {
                        value.push_str(" ◐ offloaded");
                        value_tone = Tone::Note;
                        marks.insert(
                            0,
                            (
                                format!("◐ {OFFLOAD_NOTE}; the whole sum is {}", f.words(e.want)),
                                Tone::Note,
                            ),
                        );
                    }
                    Verdict::Wrong => {
                        value.push_str(" ✗ wrong");
                        value_tone = Tone::Bad;
                        marks.insert(
                            0,
                            (
                                format!(
                                    "✗ the bytes add up to {}, not {}",
                                    f.words(e.want),
                                    f.words(raw)
                                ),
                                Tone::Bad,
                            ),
                        );
                    }
                }
            }
            rows.push(Row {
                name: format!("{}{}", "  ".repeat(line.depth), f.name),
                value,
                value_tone,
                bits,
                meaning: f.meaning,
                tone: if f.group { Tone::Plain } else { Tone::Field(n) },
                marks,
            });
            if !f.group {
                n += 1;
            }
        }
        let how = match (l.quoted, l.cut) {
            (true, true) => " (quoted, cut short)",
            (true, false) => " (quoted)",
            _ => "",
        };
        let title = format!(
            "{}{how} · bytes {}–{}",
            l.proto.title,
            l.start,
            l.hdr_end.saturating_sub(1)
        );
        sections.push((title, rows));
    }
    if !dis.payload.is_empty() {
        let b = &d.bytes[dis.payload.clone()];
        let start = dis.layers.last().map_or(0, |l| l.hdr_end);
        // The payload of a quoted datagram is part of the quote.
        let quoted = if dis.layers.last().is_some_and(|l| l.quoted) {
            " (quoted)"
        } else {
            ""
        };
        sections.push((
            format!(
                "data{quoted} · bytes {}–{}",
                dis.payload.start,
                dis.payload.end - 1
            ),
            vec![Row {
                name: DATA.name.to_string(),
                value: text_preview(b).unwrap_or_else(|| format!("{} bytes", b.len())),
                value_tone: Tone::Plain,
                bits: hex_bytes(b, 12),
                meaning: DATA.meaning,
                tone: Tone::Field(n),
                marks: marks_for(&DATA, start),
            }],
        ));
    }
    if !dis.trailer.is_empty() {
        let b = &d.bytes[dis.trailer.clone()];
        sections.push((
            format!(
                "trailer · bytes {}–{}",
                dis.trailer.start,
                dis.trailer.end - 1
            ),
            vec![Row {
                name: "trailer".into(),
                value: format!("{} bytes", b.len()),
                value_tone: Tone::Dim,
                bits: hex_bytes(b, 12),
                meaning: "bytes past the length the header claims (padding or junk)",
                tone: Tone::Dim,
                marks: Vec::new(),
            }],
        ));
    }
    let name_w = sections
        .iter()
        .flat_map(|(_, r)| r)
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let value_w = sections
        .iter()
        .flat_map(|(_, r)| r)
        .map(|r| r.value.chars().count())
        .filter(|w| *w <= 24)
        .max()
        .unwrap_or(0);
    let bits_w = sections
        .iter()
        .flat_map(|(_, r)| r)
        .map(|r| r.bits.chars().count())
        .filter(|w| *w <= 24)
        .max()
        .unwrap_or(0);
    let width = style.width();
    let mark_indent = " ".repeat(6 + name_w);
    let mark_rest = " ".repeat(8 + name_w);
    for (title, rows) in sections {
        writeln!(out, "  {}", style.paint(&title, Tone::Heading))?;
        for r in rows {
            let name = format!("{:<name_w$}", r.name);
            let value = format!("{:<value_w$}", r.value);
            let bits = format!("{:<bits_w$}", r.bits);
            let used = 10
                + [&name, &value, &bits]
                    .iter()
                    .map(|s| s.chars().count())
                    .sum::<usize>();
            let meaning = match width {
                Some(w) if w < used + 10 => String::new(),
                Some(w) => cut(r.meaning, w - used),
                None => r.meaning.to_string(),
            };
            writeln!(
                out,
                "    {}  {}  {}  {}",
                style.paint(&name, r.tone),
                style.paint(&value, r.value_tone),
                style.paint(&bits, r.tone),
                style.paint(&meaning, Tone::Dim)
            )?;
            for (text, tone) in r.marks {
                for l in style.wrap(&format!("↳ {text}"), &mark_indent, &mark_rest) {
                    writeln!(out, "{}", style.paint(&l, tone))?;
                }
            }
        }
    }
    Ok(())
}

/// A plain hex dump, as hexyl draws it.
pub fn hex(out: &mut dyn Write, bytes: &[u8], style: &Style) -> io::Result<()> {
    let mut buf = Vec::new();
    hexyl::PrinterBuilder::new(&mut buf)
        .show_color(style.color)
        .with_border_style(hexyl::BorderStyle::Unicode)
        .enable_squeezing(false)
        .build()
        .print_all(bytes)?;
    out.write_all(&buf)
}

/// An error in a command line: what, where (a caret under the input), what would do, a guess.
/// `place` is `file:line:col` for scripts.
pub fn parse_error(
    out: &mut dyn Write,
    line: &str,
    e: &ParseError,
    place: Option<&str>,
    style: &Style,
) -> io::Result<()> {
    let head = match place {
        Some(p) => format!("{p}: error: {}", e.message),
        None => format!("error: {}", e.message),
    };
    writeln!(out, "{}", style.paint(&head, Tone::Bad))?;
    // Columns in characters; control characters drawn as one visible mark each so the
    // caret stays under them; a long line shown as a window around the error.
    let chars: Vec<char> = line
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '·',
            c => c,
        })
        .collect();
    let start = line
        .get(..e.span.start.min(line.len()))
        .map_or(chars.len(), |s| s.chars().count());
    let width = line
        .get(e.span.start.min(line.len())..e.span.end.min(line.len()))
        .map_or(1, |s| s.chars().count())
        .max(1);
    const WINDOW: usize = 72;
    let from = if chars.len() > WINDOW {
        start.saturating_sub(16)
    } else {
        0
    };
    let to = chars.len().min(from + WINDOW);
    let mut shown: String = chars[from.min(to)..to].iter().collect();
    let mut lead = start - from;
    if from > 0 {
        shown.insert(0, '…');
        lead += 1;
    }
    if to < chars.len() {
        shown.push('…');
    }
    let width = width.min(to.saturating_sub(start).max(1));
    writeln!(out, "  │ {shown}")?;
    let caret = format!("{}{}", " ".repeat(lead), "^".repeat(width));
    match &e.expected {
        Some(x) => writeln!(out, "  │ {} expected {x}", style.paint(&caret, Tone::Bad))?,
        None => writeln!(out, "  │ {}", style.paint(&caret, Tone::Bad))?,
    }
    if let Some(s) = &e.suggestion {
        writeln!(out, "  = {}", style.paint(s, Tone::Note))?;
    }
    Ok(())
}

/// A one-line problem that is not about syntax (a refused send, a missing socket).
pub fn problem(out: &mut dyn Write, text: &str, style: &Style) -> io::Result<()> {
    writeln!(out, "{}", style.paint(&format!("error: {text}"), Tone::Bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dissect::dissect;
    use crate::wire::{icmp, ipv4};

    const WIRE: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x60, 0x09, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
    ];

    fn render(d: &Dump, color: bool) -> String {
        let mut v = Vec::new();
        dump(&mut v, d, &Style { color, fit: false }).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn every_field_gets_a_line_and_checksums_are_verified() {
        let s = render(&Dump::new("#1".into(), &WIRE, &ipv4::IPV4), false);
        for f in ipv4::FIELDS.iter().chain(icmp::FIELDS) {
            assert!(s.contains(f.name), "{} missing:\n{s}", f.name);
        }
        assert!(s.contains("0x6009 ✓ correct"), "{s}");
        assert!(s.contains("0x3721 ✓ correct"), "{s}");
        assert!(s.contains("0100 ...."), "version bits:\n{s}");
        assert!(
            s.contains(
                "  0000  45 00 00 1e 1c d4 00 00  40 01 60 09 7f 00 00 01  E.......@.`....."
            ),
            "{s}"
        );
        assert!(
            s.contains("  0010  7f 00 00 01 08 00 37 21  00 00 00 00 c0 de"),
            "{s}"
        );
        assert!(!s.contains('\x1b'), "no escape codes with colour off");
    }

    #[test]
    fn a_wrong_checksum_names_the_right_one() {
        let mut b = WIRE;
        b[22] = 0x11;
        b[23] = 0x11;
        let s = render(&Dump::new("#1".into(), &b, &ipv4::IPV4), false);
        assert!(s.contains("0x1111 ✗ wrong"), "{s}");
        assert!(
            s.contains("↳ ✗ the bytes add up to 0x3721, not 0x1111"),
            "{s}"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let s = render(&Dump::new("#1".into(), &WIRE, &ipv4::IPV4), true);
        assert!(s.contains("\x1b["));
    }

    #[test]
    fn malformed_packets_say_where() {
        let s = render(&Dump::new("#1".into(), &WIRE[..12], &ipv4::IPV4), false);
        assert!(
            s.contains("malformed: IPv4 at byte 0: IPv4 header truncated: needs 20 bytes, has 12"),
            "{s}"
        );
    }

    /// A SYN captured on lo: flags bit by bit, each option with its fields, and the
    /// checksum the kernel left for offload named as such, not as wrong.
    #[test]
    fn tcp_flags_options_and_offload() {
        let syn = crate::wire::tcp::tests::SYN;
        let s = render(&Dump::new("#1".into(), &syn, &ipv4::IPV4), false);
        let line = |name: &str| {
            s.lines()
                .find(|l| l.trim_start().starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name}:\n{s}"))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(line("tcp.flags").starts_with("tcp.flags 0x0002 (syn) .... 0000 0000 0010"));
        assert!(line("tcp.flags.syn").starts_with("tcp.flags.syn 1 (set) .... ..1."));
        assert!(line("tcp.flags.res").starts_with("tcp.flags.res 0 .... 000."));
        assert!(line("tcp.options.mss_val").starts_with("tcp.options.mss_val 65495 bytes ff d7"));
        assert!(line("tcp.options.wscale.shift").starts_with("tcp.options.wscale.shift 10 0a"));
        assert!(
            s.contains("      tcp.option_kind"),
            "options sit under tcp.options:\n{s}"
        );
        assert!(line("tcp.checksum").starts_with("tcp.checksum 0xfe30 ◐ offloaded fe 30"));
        assert!(s.contains("the whole sum is 0xef05"), "{s}");
        // The MSS value's bytes get a colour of their own, not the options' colour.
        let dis = dissect(&syn, &ipv4::IPV4);
        let colors = byte_colors(&dis, &syn);
        assert_ne!(colors[40], colors[42], "kind and value differ");
        assert_ne!(colors[42], colors[44], "mss and the next option differ");
    }

    /// Linux's port unreachable: the code named by its type, the quoted datagram as
    /// layers of its own, said to be quoted.
    #[test]
    fn an_icmp_error_and_its_quote() {
        let p = crate::wire::icmp::tests::PORT_UNREACHABLE;
        let s = render(&Dump::new("#1".into(), &p, &ipv4::IPV4), false);
        assert!(s.contains("3 (port-unreachable)"), "{s}");
        assert!(s.contains("  IPv4 (quoted) · bytes 28–47"), "{s}");
        assert!(s.contains("  UDP (quoted) · bytes 48–55"), "{s}");
        assert!(s.contains("  data (quoted) · bytes 56–57"), "{s}");
        assert!(
            s.contains("quoted IPv4 127.0.0.1 → 127.0.0.1 ttl 64 udp"),
            "{s}"
        );
        assert!(!s.contains("malformed"), "{s}");
        // A quote cut inside its IP header is malformed, and says where.
        let mut cut = p[..38].to_vec();
        cut[3] = 38;
        let s = render(&Dump::new("#1".into(), &cut, &ipv4::IPV4), false);
        assert!(
            s.contains("malformed: IPv4 at byte 28: ICMP quotes only 10 bytes of the IPv4 header"),
            "{s}"
        );
    }

    #[test]
    fn ipv6_addresses_and_extension_options() {
        let t = crate::template::Template::new(&[
            &crate::wire::ipv6::IPV6,
            &crate::wire::ipv6::HOPOPTS,
            &crate::wire::icmpv6::ICMPV6,
        ]);
        let b = t.build(std::time::SystemTime::UNIX_EPOCH).bytes;
        let s = render(&Dump::new("#1".into(), &b, &crate::wire::ipv6::IPV6), false);
        assert!(s.contains("IPv6 ::1 → ::1 hlim 64 hopopt · hop-by-hop options (8 bytes) · ICMPv6 echo-request id 0 seq 0"), "{s}");
        assert!(
            s.contains("\n      ipv6.opt.type   "),
            "options under their header:\n{s}"
        );
        assert!(
            s.contains("\n        ipv6.opt.type.action   "),
            "members under the type:\n{s}"
        );
        assert!(s.contains("0x01 (padn)") && s.contains("0 (skip)"), "{s}");
        assert!(s.contains("icmpv6.checksum"), "{s}");
        assert!(s.contains("✓ correct"), "{s}");
    }

    #[test]
    fn caret_under_the_error() {
        let e = ParseError {
            span: 4..7,
            message: "unknown field `tll`".into(),
            expected: Some("a field".into()),
            suggestion: Some("did you mean `ttl`?".into()),
        };
        let mut v = Vec::new();
        parse_error(
            &mut v,
            "set tll 64",
            &e,
            Some("x.rawlab:2:5"),
            &Style::PLAIN,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "x.rawlab:2:5: error: unknown field `tll`\n  │ set tll 64\n  │     ^^^ expected a field\n  = did you mean `ttl`?\n"
        );
    }
}
