//! Drawing: the annotated dump (one renderer for templates, sent, captured and
//! file packets), plain hex, and errors with a caret. Everything writes to an
//! `impl Write` and knows nothing of sockets; colour is on or off per call,
//! and escape codes are written only where the colour changes.

pub mod clock;
pub mod json;

use crate::wire::dissect::{Dissection, Layer, Placed, dissect_from};
use crate::wire::{DATA, Field, Kind, OFFLOAD_NOTE, Protocol, Verdict, push_dec};
use owo_colors::{AnsiColors, OwoColorize, Style as OwoStyle};
use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;
use std::time::Duration;

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
        wrap_to(self.width(), text, first, rest)
    }
}

/// `84 µs`, `1.234 ms`, `300 ms`, `2.5 s`.
pub fn duration_words(d: Duration) -> String {
    let mut s = String::with_capacity(16);
    push_duration(&mut s, d);
    s
}

/// [`duration_words`], appended to `s`.
pub fn push_duration(s: &mut String, d: Duration) {
    // In whole numbers, rounded half up: float formatting cost more than the rest of a
    // reply's note, and `read` writes one every few packets.
    let ns = d.as_nanos();
    let round = |unit: u128| (ns + unit / 2) / unit;
    let (whole, thousandths, unit) = if ns < 1_000_000 {
        (round(1_000), 0, " µs")
    } else if ns < 1_000_000_000 {
        let us = round(1_000);
        (us / 1000, us % 1000, " ms")
    } else {
        let ms = round(1_000_000);
        (ms / 1000, ms % 1000, " s")
    };
    push_dec(s, whole);
    if thousandths > 0 {
        let digits = [thousandths / 100, thousandths / 10 % 10, thousandths % 10];
        let shown = if digits[2] > 0 {
            3
        } else if digits[1] > 0 {
            2
        } else {
            1
        };
        s.push('.');
        for d in &digits[..shown] {
            s.push(char::from(b'0' + *d as u8));
        }
    }
    s.push_str(unit);
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
        let mut s = String::with_capacity(text.len() + 16);
        paint_into(&mut s, self.color, text, 0, tone, false);
        s
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

/// Escape codes around one tone's text, and around its emphasised (bold, underlined)
/// text: taken once from owo-colors, so every painter writes the same bytes.
struct Codes {
    on: String,
    off: String,
    emph_on: String,
    emph_off: String,
    /// The four, padded to 16 bytes each for `put`, with their lengths.
    fixed: [([u8; 16], usize); 4],
}

const TONES: usize = 7 + PALETTE.len();

fn tone_index(tone: Tone) -> usize {
    match tone {
        Tone::Plain => 0,
        Tone::Dim => 1,
        Tone::Good => 2,
        Tone::Bad => 3,
        Tone::Note => 4,
        Tone::Heading => 5,
        Tone::Command => 6,
        Tone::Field(i) => 7 + i % PALETTE.len(),
    }
}

/// Every tone, the fields' palette last.
fn tones() -> impl Iterator<Item = Tone> {
    [
        Tone::Plain,
        Tone::Dim,
        Tone::Good,
        Tone::Bad,
        Tone::Note,
        Tone::Heading,
        Tone::Command,
    ]
    .into_iter()
    .chain((0..PALETTE.len()).map(Tone::Field))
}

fn codes(tone: Tone) -> &'static Codes {
    static TABLE: std::sync::OnceLock<Vec<Codes>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let split = |s: OwoStyle| {
            let text = "X".style(s).to_string();
            let (on, off) = text.split_once('X').unwrap_or_default();
            (on.to_string(), off.to_string())
        };
        tones()
            .map(|t| {
                let (on, off) = split(Style::owo(t));
                let (emph_on, emph_off) = split(Style::owo(t).bold().underline());
                let pad = |s: &str| {
                    let mut b = [0u8; 16];
                    // Every code owo-colors writes is far shorter (a test checks).
                    let n = s.len().min(16);
                    b[..n].copy_from_slice(&s.as_bytes()[..n]);
                    (b, n)
                };
                let fixed = [pad(&on), pad(&off), pad(&emph_on), pad(&emph_off)];
                Codes {
                    on,
                    off,
                    emph_on,
                    emph_off,
                    fixed,
                }
            })
            .collect()
    });
    debug_assert_eq!(table.len(), TONES);
    &table[tone_index(tone)]
}

/// Text in a tone, appended to `buf`, with `pad` spaces after it inside the colour.
fn paint_into(buf: &mut String, color: bool, text: &str, pad: usize, tone: Tone, emph: bool) {
    let c = (color && (emph || tone != Tone::Plain)).then(|| codes(tone));
    if let Some(c) = c {
        buf.push_str(if emph { &c.emph_on } else { &c.on });
    }
    buf.push_str(text);
    spaces(buf, pad);
    if let Some(c) = c {
        buf.push_str(if emph { &c.emph_off } else { &c.off });
    }
}

fn spaces(buf: &mut String, n: usize) {
    const BLANK: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(BLANK.len());
        buf.push_str(&BLANK[..k]);
        n -= k;
    }
}

/// Lines of wrapped text, each painted in `tone` and ended, appended to `buf`.
fn wrapped_into(
    buf: &mut String,
    style: &Style,
    width: Option<usize>,
    text: &str,
    first: &str,
    rest: &str,
    tone: Tone,
) {
    match width {
        None => {
            let c = (style.color && tone != Tone::Plain).then(|| codes(tone));
            if let Some(c) = c {
                buf.push_str(&c.on);
            }
            buf.push_str(first);
            buf.push_str(text);
            if let Some(c) = c {
                buf.push_str(&c.off);
            }
            buf.push('\n');
        }
        Some(_) => {
            for l in wrap_to(width, text, first, rest) {
                paint_into(buf, style.color, &l, 0, tone, false);
                buf.push('\n');
            }
        }
    }
}

fn wrap_to(width: Option<usize>, text: &str, first: &str, rest: &str) -> Vec<String> {
    match width {
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

/// The annotated dump: heading, notes, hex rows in field colours, then one line per field.
/// It is drawn into one buffer and written at once: a flood of packets draws thousands
/// a second, so no cell allocates.
pub fn dump(out: &mut dyn Write, d: &Dump, style: &Style) -> io::Result<()> {
    thread_local! {
        static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            draw(&mut buf, d, style);
            let result = out.write_all(buf.as_bytes());
            // A jumbo packet's buffer is not kept.
            if buf.capacity() > 1 << 20 {
                *buf = String::new();
            }
            result
        }
        Err(_) => {
            let mut buf = String::new();
            draw(&mut buf, d, style);
            out.write_all(buf.as_bytes())
        }
    })
}

/// The annotated dump appended to `buf` (what `dump` writes).
pub fn draw(buf: &mut String, d: &Dump, style: &Style) {
    draw_dissected(buf, d, &dissection(d), style)
}

/// [`draw`] from a dissection the caller has made already: `dis` is [`dissection`]`(d)`.
pub fn draw_dissected(buf: &mut String, d: &Dump, dis: &Dissection, style: &Style) {
    let width = style.width();
    buf.reserve(2048 + d.bytes.len() * 5);
    paint_into(buf, style.color, &d.heading, 0, Tone::Heading, false);
    buf.push('\n');
    // The summary line: written where it goes, unless it must be wrapped.
    let mut wrapped = String::new();
    let line = if width.is_some() {
        &mut wrapped
    } else {
        &mut *buf
    };
    if width.is_none() {
        line.push_str("  ");
    }
    if let Some(link) = &d.link {
        line.push_str(&link.title);
        line.push(' ');
        line.push_str(&link.words);
    }
    dis.write_summary(line, d.bytes, 0, d.link.is_some());
    if width.is_some() {
        wrapped_into(buf, style, width, &wrapped, "  ", "    ", Tone::Plain);
    } else {
        buf.push('\n');
    }
    for (text, tone) in &d.notes {
        wrapped_into(buf, style, width, text, "  ", "    ", *tone);
    }
    for p in &dis.problems {
        let text = format!("malformed: {} at byte {}: {}", p.layer, p.offset, p.what);
        wrapped_into(buf, style, width, &text, "  ", "    ", Tone::Bad);
    }
    let lines = Lines::of(dis, d.bytes);
    let colors = byte_colors(dis, &lines.all, d.bytes.len());
    // Only colour shows emphasis.
    let mut emph = Vec::new();
    if style.color && !d.emphasize.is_empty() {
        emph = vec![false; d.bytes.len()];
        for r in &d.emphasize {
            for e in emph.iter_mut().take(r.end).skip(r.start) {
                *e = true;
            }
        }
    }
    hex_rows(buf, d.bytes, &colors, &emph, style.color);
    fields(buf, d, dis, &lines, style, width);
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

/// Whether `f` is a member of one of `groups` (`ip.dsfield.dscp` of `ip.dsfield`).
fn member_of<'a>(f: &Field, mut groups: impl Iterator<Item = &'a Field>) -> bool {
    groups.any(|g| {
        f.name.len() > g.name.len()
            && f.name.starts_with(g.name)
            && f.name.as_bytes()[g.name.len()] == b'.'
    })
}

/// Every layer's lines, in one list: layer `i`'s are `all[layers[i].clone()]`.
struct Lines {
    all: Vec<Line>,
    layers: Vec<Range<usize>>,
}

impl Lines {
    fn of(dis: &Dissection, bytes: &[u8]) -> Lines {
        let mut all = Vec::with_capacity(16 * dis.layers.len());
        let mut layers = Vec::with_capacity(dis.layers.len());
        for l in &dis.layers {
            let start = all.len();
            layer_lines(&mut all, l, bytes);
            layers.push(start..all.len());
        }
        Lines { all, layers }
    }
}

/// A layer's lines in wire order, appended to `v`: fixed fields (group members under
/// their group), the tail as a whole, then each option or entry with its fields.
fn layer_lines(v: &mut Vec<Line>, l: &Layer, bytes: &[u8]) {
    let first = v.len();
    for f in l.fields(bytes) {
        // A group comes before its members.
        let groups = v[first..]
            .iter()
            .map(|x| x.placed.field)
            .filter(|g| g.group);
        let depth = usize::from(member_of(f, groups));
        v.push(Line {
            placed: Placed::fixed(f, l.start),
            depth,
            whole_tail: false,
        });
    }
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
        let groups = || item.fields.iter().map(|p| p.field).filter(|f| f.group);
        for p in &item.fields {
            v.push(Line {
                placed: p.clone(),
                depth: 1 + usize::from(member_of(p.field, groups())),
                whole_tail: false,
            });
        }
    }
}

/// A byte no field covers, in `byte_colors`.
const NO_FIELD: u32 = u32::MAX;

/// Which field colour each byte gets: the first field that covers it, the n-th
/// non-group line of the dump getting colour n (`NO_FIELD` for none).
fn byte_colors(dis: &Dissection, lines: &[Line], len: usize) -> Vec<u32> {
    let mut colors = vec![NO_FIELD; len];
    let mut n = 0;
    let mut deferred = Vec::new();
    for line in lines.iter().filter(|x| !x.placed.field.group) {
        let span = line.placed.span.start.min(len)..line.placed.span.end.min(len);
        if line.whole_tail {
            deferred.push((span, n));
        } else {
            for c in &mut colors[span] {
                if *c == NO_FIELD {
                    *c = n;
                }
            }
        }
        n += 1;
    }
    for (r, n) in deferred {
        for c in &mut colors[r] {
            if *c == NO_FIELD {
                *c = n;
            }
        }
    }
    for b in dis.payload.clone() {
        colors[b] = n;
    }
    colors
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex2(b: u8) -> [u8; 2] {
    [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]
}

/// The character for a byte in the hex rows' text column.
fn ascii_char(b: u8) -> char {
    if (b' '..=b'~').contains(&b) {
        char::from(b)
    } else {
        '.'
    }
}

/// The hex rows: offset, sixteen bytes in hex, their characters. In colour, a run of
/// bytes of one field shares one escape code (the spaces between them too), so a
/// payload of a thousand bytes is one colour change, not a thousand. `colors` holds
/// each byte's field number (`NO_FIELD` for none); `emph`, when not empty, which
/// bytes to emphasise.
fn hex_rows(buf: &mut String, bytes: &[u8], colors: &[u32], emph: &[bool], color: bool) {
    // A byte's colour: its field's number (or NO_FIELD), and whether it is emphasised.
    let look = |i: usize| (colors[i], !emph.is_empty() && emph[i]);
    // The rows are laid out as bytes and checked as text once: a cell or escape code
    // at a time would cost a copy call each.
    let rows = bytes.len().div_ceil(16);
    let mut out: Vec<u8> = Vec::with_capacity(rows * if color { 400 } else { 80 });
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let base = row * 16;
        let (cells, at) = row_cells(base, chunk);
        if !color {
            out.extend_from_slice(&cells[..=at.end]);
            continue;
        }
        // The plain row with a code before and after each run of bytes of one colour.
        // The space after a byte takes its colour only when the next byte shares it;
        // the gap between the halves never does.
        let mut done = 0;
        let mut paint = |out: &mut Vec<u8>, span: Range<usize>, key: (u32, bool)| {
            put(out, &cells, done..span.start);
            let tone = match key.0 {
                NO_FIELD => Tone::Dim,
                n => Tone::Field(n as usize),
            };
            let c = &codes(tone).fixed;
            let (on, off) = if key.1 {
                (&c[2], &c[3])
            } else {
                (&c[0], &c[1])
            };
            put(out, &on.0, 0..on.1);
            put(out, &cells, span.clone());
            put(out, &off.0, 0..off.1);
            done = span.end;
        };
        let runs = |split: bool| {
            let mut j = 0;
            std::iter::from_fn(move || {
                if j >= chunk.len() {
                    return None;
                }
                let (first, key) = (j, look(base + j));
                j += 1;
                while j < chunk.len() && !(split && j == 8) && look(base + j) == key {
                    j += 1;
                }
                Some((first..j, key))
            })
        };
        for (r, key) in runs(true) {
            let cell = |j: usize| at.hex + 3 * j + usize::from(j >= 8);
            paint(&mut out, cell(r.start)..cell(r.end - 1) + 2, key);
        }
        for (r, key) in runs(false) {
            paint(&mut out, at.text + r.start..at.text + r.end, key);
        }
        put(&mut out, &cells, done..at.end + 1);
    }
    // Only ASCII was written.
    buf.push_str(std::str::from_utf8(&out).unwrap_or_default());
}

/// Appends `from[span]`, sixteen bytes at a time: a block of known size is copied
/// in place, where a short copy of any size would be a call. `from` must hold 16
/// bytes past the span's start.
fn put(out: &mut Vec<u8>, from: &[u8], span: Range<usize>) {
    let mut at = span.start;
    while at < span.end {
        let n = (span.end - at).min(16);
        let len = out.len();
        out.extend_from_slice(&from[at..at + 16]);
        out.truncate(len + n);
        at += n;
    }
}

/// A hex row's array: room for a row past offset 0xffff, and 16 bytes to spare for `put`.
const ROW_CELLS: usize = 128;

/// Where a hex row's parts start in `row_cells`' array, and where its newline is.
struct RowAt {
    hex: usize,
    text: usize,
    end: usize,
}

/// One hex row as plain text, laid out in a fixed array: offset, the cells, the
/// characters from column 58 (more past offset 0xffff) whatever the row's length.
fn row_cells(base: usize, chunk: &[u8]) -> ([u8; ROW_CELLS], RowAt) {
    let mut row = [b' '; ROW_CELLS];
    let digits = (usize::BITS - base.leading_zeros()).div_ceil(4).max(4) as usize;
    for k in 0..digits {
        row[2 + k] = HEX[(base >> (4 * (digits - 1 - k))) & 15];
    }
    let hex = 4 + digits;
    let text = hex + 50;
    for (j, b) in chunk.iter().enumerate() {
        let at = hex + 3 * j + usize::from(j >= 8);
        row[at..at + 2].copy_from_slice(&hex2(*b));
        row[text + j] = ascii_char(*b) as u8;
    }
    let end = text + chunk.len();
    row[end] = b'\n';
    (row, RowAt { hex, text, end })
}

/// The bits of a field within its bytes, others as dots: `0100 ....`.
pub fn bit_pattern(f: &Field, layer: &[u8]) -> String {
    let mut s = String::new();
    bit_pattern_into(&mut s, f, layer);
    s
}

fn bit_pattern_into(s: &mut String, f: &Field, layer: &[u8]) {
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
fn hex_bytes_into(s: &mut String, b: &[u8], max: usize) {
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

/// One field's line, its texts kept in the dump's scratch string.
struct Row {
    depth: usize,
    name: &'static str,
    value: Range<usize>,
    value_chars: usize,
    value_tone: Tone,
    bits: Range<usize>,
    bits_chars: usize,
    meaning: &'static str,
    tone: Tone,
    /// Its notes (kernel changes, verdicts), in `Said`s list.
    marks: Range<usize>,
}

impl Row {
    fn name_chars(&self) -> usize {
        // Field names are ASCII (a table test checks).
        2 * self.depth + self.name.len()
    }
}

/// Where a note under a field line keeps its text.
enum Said {
    /// The dump's n-th mark.
    Mark(usize),
    /// The scratch string's bytes.
    Scratch(Range<usize>),
    /// What the link header says.
    Link,
}

/// A layer's part of the field list: its title and its rows.
struct Section {
    title: Range<usize>,
    rows: Range<usize>,
}

/// Appends what `fill` writes to `scratch`, returning where it is and how many
/// characters it has.
fn keep(scratch: &mut String, fill: impl FnOnce(&mut String)) -> (Range<usize>, usize) {
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
fn keep_known(scratch: &mut String, text: &str, chars: usize) -> (Range<usize>, usize) {
    let start = scratch.len();
    scratch.push_str(text);
    (start..scratch.len(), chars)
}

/// A field's value in words and its bits, as drawn before for the same raw value and
/// value name. A stream of packets repeats most of its values (addresses, ports,
/// flags, lengths), and looking them up costs less than writing them again.
#[derive(Default)]
struct Seen {
    field: usize,
    raw: u128,
    naming: Naming,
    /// The words, then the bits.
    text: String,
    words: usize,
    words_chars: usize,
    bits_chars: usize,
}

/// How a value got its name: from its field's own list (the value decides), or
/// found in its header's context (icmp.code by type), named or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Naming {
    #[default]
    ByValue,
    /// The name's address and length: table names are static.
    Named(usize, usize),
    Unnamed,
}

impl Naming {
    fn of(in_context: Option<Option<&str>>) -> Naming {
        match in_context {
            None => Naming::ByValue,
            Some(Some(n)) => Naming::Named(n.as_ptr() as usize, n.len()),
            Some(None) => Naming::Unnamed,
        }
    }
}

impl Seen {
    fn holds(&self, f: &Field, raw: u128, naming: Naming) -> bool {
        self.field == std::ptr::from_ref(f) as usize && self.raw == raw && self.naming == naming
    }

    fn remember(
        &mut self,
        f: &Field,
        raw: u128,
        naming: Naming,
        words: (&str, usize),
        bits: (&str, usize),
    ) {
        self.field = std::ptr::from_ref(f) as usize;
        self.naming = naming;
        self.raw = raw;
        self.text.clear();
        self.text.push_str(words.0);
        self.text.push_str(bits.0);
        self.words = words.0.len();
        self.words_chars = words.1;
        self.bits_chars = bits.1;
    }
}

/// A thread's texts seen, in a table of `SEEN` slots, one per hash of the key.
struct Texts(Vec<Seen>);

const SEEN: usize = 1024;

thread_local! {
    static TEXTS: std::cell::Cell<Vec<Seen>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Texts {
    /// This thread's table, handed back by `Drop`.
    fn take() -> Texts {
        let mut v = TEXTS.with(|t| t.take());
        if v.is_empty() {
            v.resize_with(SEEN, Seen::default);
        }
        Texts(v)
    }

    fn slot(&mut self, f: &Field, raw: u128, naming: Naming) -> &mut Seen {
        let field = std::ptr::from_ref(f) as usize;
        let name = match naming {
            Naming::Named(at, _) => at,
            Naming::ByValue | Naming::Unnamed => 0,
        };
        let mix = field as u64 ^ raw as u64 ^ (raw >> 64) as u64 ^ name as u64;
        let i = (mix.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize % SEEN;
        &mut self.0[i]
    }
}

impl Drop for Texts {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        TEXTS.with(|t| t.set(v));
    }
}

/// A section title: `IPv4 · bytes 14–33`.
fn title_into(s: &mut String, title: &str, how: &str, bytes: Range<usize>) {
    s.push_str(title);
    s.push_str(how);
    s.push_str(" · bytes ");
    push_dec(s, bytes.start as u128);
    s.push('–');
    push_dec(s, bytes.end.saturating_sub(1) as u128);
}

/// `N bytes`, then `after`.
fn byte_count_into(s: &mut String, n: usize, after: &str) {
    push_dec(s, n as u128);
    s.push_str(" bytes");
    s.push_str(after);
}

fn fields(
    buf: &mut String,
    d: &Dump,
    dis: &Dissection,
    lines: &Lines,
    style: &Style,
    width: Option<usize>,
) {
    let mut n = 0;
    let mut scratch = String::with_capacity(2048);
    let mut rows: Vec<Row> = Vec::with_capacity(lines.all.len() + 3);
    let mut sections: Vec<Section> = Vec::with_capacity(dis.layers.len() + 3);
    let mut said: Vec<(Said, Tone)> = Vec::new();
    let mut texts = Texts::take();
    let mut section = |title: Range<usize>, rows: &Vec<Row>, first: usize| {
        sections.push(Section {
            title,
            rows: first..rows.len(),
        });
    };
    if let Some(link) = d.link.as_ref().filter(|l| l.len > 0) {
        let end = link.len.min(d.bytes.len());
        let (title, _) = keep(&mut scratch, |s| {
            title_into(s, "link · ", &link.title, 0..end);
        });
        let (value, value_chars) = keep(&mut scratch, |s| byte_count_into(s, end, ""));
        let (bits, bits_chars) = keep(&mut scratch, |s| hex_bytes_into(s, &d.bytes[..end], 12));
        said.push((Said::Link, Tone::Dim));
        rows.push(Row {
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
        });
        section(title, &rows, 0);
    }
    for (i, l) in dis.layers.iter().enumerate() {
        let header = l.header(d.bytes);
        let expected = if dis.verifiable(i) {
            (l.proto.expected)(&dis.scope(i, d.bytes))
        } else {
            Vec::new()
        };
        let first = rows.len();
        for line in &lines.all[lines.layers[i].clone()] {
            let p = &line.placed;
            let f = p.field;
            let at = &d.bytes[p.base..p.span.end];
            let fixed = p.base == l.start && !line.whole_tail;
            let mut value_tone = Tone::Plain;
            let marks_start = said.len();
            let mut verdict = "";
            if let Some(e) = expected
                .iter()
                .find(|e| fixed && e.field == f && !d.unverified.contains(&f))
            {
                let raw = f.get(at);
                let words = |s: &mut String, raw: u128| f.write_words(s, raw, f.value_name(raw));
                match e.verdict(raw) {
                    Verdict::Correct => {
                        verdict = " ✓ correct";
                        value_tone = Tone::Good;
                    }
                    Verdict::Offloaded => {
                        verdict = " ◐ offloaded";
                        value_tone = Tone::Note;
                        let (text, _) = keep(&mut scratch, |s| {
                            s.push_str("◐ ");
                            s.push_str(OFFLOAD_NOTE);
                            s.push_str("; the whole sum is ");
                            words(s, e.want);
                        });
                        said.push((Said::Scratch(text), Tone::Note));
                    }
                    Verdict::Wrong => {
                        verdict = " ✗ wrong";
                        value_tone = Tone::Bad;
                        let (text, _) = keep(&mut scratch, |s| {
                            s.push_str("✗ the bytes add up to ");
                            words(s, e.want);
                            s.push_str(", not ");
                            words(s, raw);
                        });
                        said.push((Said::Scratch(text), Tone::Bad));
                    }
                }
            }
            if fixed || line.whole_tail {
                let mine = |m: &&Mark| m.field == f && m.layer_start == l.start;
                for (k, m) in d.marks.iter().enumerate().filter(|(_, m)| mine(m)) {
                    said.push((Said::Mark(k), m.tone));
                }
            }
            let (value, value_chars, bits, bits_chars) = if f.kind == Kind::Bytes {
                let b = &d.bytes[p.span.clone()];
                let (v, vc) = keep(&mut scratch, |s| byte_count_into(s, b.len(), verdict));
                let (bits, bc) = keep(&mut scratch, |s| hex_bytes_into(s, b, 12));
                (v, vc, bits, bc)
            } else {
                // A fixed field is named in its header's context (icmp.code by type).
                // Most fields name a value by themselves; those named in context
                // are looked up by the name found.
                let raw = f.get(at);
                let in_context = (fixed && l.proto.names_when.iter().any(|n| n.field == f))
                    .then(|| l.proto.value_name(f, header));
                let naming = Naming::of(in_context);
                let seen = texts.slot(f, raw, naming);
                let known = seen.holds(f, raw, naming);
                let (words, words_chars) = if known {
                    keep_known(&mut scratch, &seen.text[..seen.words], seen.words_chars)
                } else {
                    let name = in_context.unwrap_or_else(|| f.value_name(raw));
                    keep(&mut scratch, |s| f.write_words(s, raw, name))
                };
                scratch.push_str(verdict);
                let v = words.start..scratch.len();
                let vc = words_chars + verdict.chars().count();
                let (bits, bc) = if known {
                    keep_known(&mut scratch, &seen.text[seen.words..], seen.bits_chars)
                } else {
                    let (bits, bc) = keep(&mut scratch, |s| {
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
                (v, vc, bits, bc)
            };
            rows.push(Row {
                depth: line.depth,
                name: f.name,
                value,
                value_chars,
                value_tone,
                bits,
                bits_chars,
                meaning: f.meaning,
                tone: if f.group { Tone::Plain } else { Tone::Field(n) },
                marks: marks_start..said.len(),
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
        let (title, _) = keep(&mut scratch, |s| {
            title_into(s, l.proto.title, how, l.start..l.hdr_end);
        });
        section(title, &rows, first);
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
        let (title, _) = keep(&mut scratch, |s| {
            title_into(s, "data", quoted, dis.payload.clone());
        });
        let (value, value_chars) = keep(&mut scratch, |s| match text_preview(b) {
            Some(t) => s.push_str(&t),
            None => byte_count_into(s, b.len(), ""),
        });
        let (bits, bits_chars) = keep(&mut scratch, |s| hex_bytes_into(s, b, 12));
        let marks_start = said.len();
        for (k, m) in d.marks.iter().enumerate() {
            if m.field == &DATA && m.layer_start == start {
                said.push((Said::Mark(k), m.tone));
            }
        }
        let first = rows.len();
        rows.push(Row {
            depth: 0,
            name: DATA.name,
            value,
            value_chars,
            value_tone: Tone::Plain,
            bits,
            bits_chars,
            meaning: DATA.meaning,
            tone: Tone::Field(n),
            marks: marks_start..said.len(),
        });
        section(title, &rows, first);
    }
    if !dis.trailer.is_empty() {
        let b = &d.bytes[dis.trailer.clone()];
        let (title, _) = keep(&mut scratch, |s| {
            title_into(s, "trailer", "", dis.trailer.clone());
        });
        let (value, value_chars) = keep(&mut scratch, |s| byte_count_into(s, b.len(), ""));
        let (bits, bits_chars) = keep(&mut scratch, |s| hex_bytes_into(s, b, 12));
        let first = rows.len();
        rows.push(Row {
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
        });
        section(title, &rows, first);
    }
    let name_w = rows.iter().map(Row::name_chars).max().unwrap_or(0);
    let value_w = rows
        .iter()
        .map(|r| r.value_chars)
        .filter(|w| *w <= 24)
        .max()
        .unwrap_or(0);
    let bits_w = rows
        .iter()
        .map(|r| r.bits_chars)
        .filter(|w| *w <= 24)
        .max()
        .unwrap_or(0);
    let color = style.color;
    for sec in &sections {
        buf.push_str("  ");
        paint_into(
            buf,
            color,
            &scratch[sec.title.clone()],
            0,
            Tone::Heading,
            false,
        );
        buf.push('\n');
        for r in &rows[sec.rows.clone()] {
            let name_chars = r.name_chars();
            let pads = [
                name_w.saturating_sub(name_chars),
                value_w.saturating_sub(r.value_chars),
                bits_w.saturating_sub(r.bits_chars),
            ];
            buf.push_str("    ");
            let c = (color && r.tone != Tone::Plain).then(|| codes(r.tone));
            if let Some(c) = c {
                buf.push_str(&c.on);
            }
            spaces(buf, 2 * r.depth);
            buf.push_str(r.name);
            spaces(buf, pads[0]);
            if let Some(c) = c {
                buf.push_str(&c.off);
            }
            buf.push_str("  ");
            paint_into(
                buf,
                color,
                &scratch[r.value.clone()],
                pads[1],
                r.value_tone,
                false,
            );
            buf.push_str("  ");
            paint_into(buf, color, &scratch[r.bits.clone()], pads[2], r.tone, false);
            buf.push_str("  ");
            let used =
                10 + name_chars.max(name_w) + r.value_chars.max(value_w) + r.bits_chars.max(bits_w);
            let meaning = match width {
                Some(w) if w < used + 10 => Cow::Borrowed(""),
                Some(w) => Cow::Owned(cut(r.meaning, w - used)),
                None => Cow::Borrowed(r.meaning),
            };
            paint_into(buf, color, &meaning, 0, Tone::Dim, false);
            buf.push('\n');
            for (what, tone) in &said[r.marks.clone()] {
                let text = match what {
                    Said::Mark(k) => d.marks[*k].text.as_str(),
                    Said::Scratch(at) => &scratch[at.clone()],
                    Said::Link => d.link.as_ref().map_or("", |l| l.words.as_str()),
                };
                mark_into(buf, color, width, name_w, text, *tone);
            }
        }
    }
}

/// A note under a field line: `↳ ` and its text, indented past the field's name;
/// wrapped to the terminal, when fitting it, with the lines after the first further in.
fn mark_into(
    buf: &mut String,
    color: bool,
    width: Option<usize>,
    name_w: usize,
    text: &str,
    tone: Tone,
) {
    match width {
        None => {
            let c = (color && tone != Tone::Plain).then(|| codes(tone));
            if let Some(c) = c {
                buf.push_str(&c.on);
            }
            spaces(buf, 6 + name_w);
            buf.push_str("↳ ");
            buf.push_str(text);
            if let Some(c) = c {
                buf.push_str(&c.off);
            }
            buf.push('\n');
        }
        Some(_) => {
            let (first, rest) = (" ".repeat(6 + name_w), " ".repeat(8 + name_w));
            for l in wrap_to(width, &format!("↳ {text}"), &first, &rest) {
                paint_into(buf, color, &l, 0, tone, false);
                buf.push('\n');
            }
        }
    }
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
/// Text from a file or a user made safe to write to a terminal: control characters
/// (an escape that clears the screen or sets the window title, a carriage return that
/// overwrites a line) shown as escapes (`\u{1b}`), everything else as it is.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// An error in a line the user wrote, as a caret under it shows it: where, what was
/// wrong, what would be accepted, and a suggestion. The command parser's errors are
/// drawn through this.
#[derive(Debug, Clone, PartialEq)]
pub struct Caret {
    /// The bytes of the line at fault.
    pub span: std::ops::Range<usize>,
    pub message: String,
    pub expected: Option<String>,
    pub suggestion: Option<String>,
}

/// `place` is `file:line:col` for scripts.
pub fn parse_error(
    out: &mut dyn Write,
    line: &str,
    e: &Caret,
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

    /// Every sample the dissector is tested on, cut at every byte and mangled at
    /// random, draws without a panic.
    #[test]
    fn every_sample_draws_cut_at_every_offset() {
        for (first, p) in crate::wire::dissect::tests::samples() {
            for cut in 0..=p.len() {
                let _ = render(&Dump::new("#".into(), &p[..cut], first), false);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn mangled_packets_draw(
            which in 0usize..64,
            first in 0usize..64,
            edits in proptest::collection::vec((0usize..256, proptest::prelude::any::<u8>()), 0..8),
            cut in 0usize..256,
        ) {
            let all = crate::wire::dissect::tests::samples();
            let (p0, mut p) = all[which % all.len()].clone();
            for (i, b) in edits {
                let n = p.len();
                p[i % n] = b;
            }
            p.truncate(cut.max(1));
            for first in [p0, crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()]] {
                let _ = render(&Dump::new("#".into(), &p, first), true);
            }
        }
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(Duration::from_micros(84)), "84 µs");
        assert_eq!(duration_words(Duration::from_millis(300)), "300 ms");
        assert_eq!(duration_words(Duration::from_micros(1234)), "1.234 ms");
        assert_eq!(duration_words(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(duration_words(Duration::from_secs(1)), "1 s");
        assert_eq!(duration_words(Duration::from_nanos(19_499)), "19 µs");
        assert_eq!(duration_words(Duration::from_nanos(999_600)), "1000 µs");
        assert_eq!(duration_words(Duration::from_micros(1050)), "1.05 ms");
        assert_eq!(duration_words(Duration::from_micros(20_300)), "20.3 ms");
        assert_eq!(duration_words(Duration::from_nanos(1_999_999_999)), "2 s");
        assert_eq!(duration_words(Duration::from_secs(90)), "90 s");
    }
    use crate::wire::dissect::dissect;
    use crate::wire::{icmp, ipv4};

    const WIRE: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

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

    /// Texts a thread has drawn before are reused only for the same field, value and
    /// value name: a code named by another type is written afresh.
    #[test]
    fn texts_seen_before_are_the_texts_drawn_afresh() {
        let unreachable = crate::wire::icmp::tests::PORT_UNREACHABLE;
        let mut redirect = unreachable;
        redirect[20] = 5; // the same code 3 under type 5 is another name
        let packets: Vec<&[u8]> = vec![&WIRE, &unreachable, &redirect, &WIRE, &redirect];
        let cold = |p: &[u8]| {
            let p = p.to_vec();
            std::thread::spawn(move || render(&Dump::new("#1".into(), &p, &ipv4::IPV4), true))
                .join()
                .unwrap()
        };
        let warm: Vec<String> = packets
            .iter()
            .map(|p| render(&Dump::new("#1".into(), p, &ipv4::IPV4), true))
            .collect();
        for (p, drawn) in packets.iter().zip(&warm) {
            assert_eq!(drawn, &cold(p));
        }
        assert_ne!(warm[1], warm[2]);
    }

    /// A slot holds one field's texts for one raw value and one value name; two keys
    /// may hash to the same slot, so each part of the key is checked.
    #[test]
    fn a_seen_text_answers_only_its_own_key() {
        use crate::wire::icmp::{CODE, TYPE};
        let named = |n: &'static str| Naming::of(Some(Some(n)));
        let port = named("port-unreachable");
        let mut seen = Seen::default();
        assert!(
            !seen.holds(&CODE, 0, Naming::ByValue),
            "an empty slot holds nothing"
        );
        seen.remember(&CODE, 3, port, ("3", 1), ("03", 2));
        assert!(seen.holds(&CODE, 3, port));
        assert!(!seen.holds(&CODE, 3, named("tos-host-redirect")));
        assert!(!seen.holds(&CODE, 3, named(&"port-unreachable"[..4])));
        assert!(!seen.holds(&CODE, 3, Naming::of(Some(None))));
        assert!(!seen.holds(&CODE, 3, Naming::ByValue));
        assert!(!seen.holds(&CODE, 4, port));
        assert!(!seen.holds(&TYPE, 3, port));
        assert_eq!(
            (&seen.text[..seen.words], &seen.text[seen.words..]),
            ("3", "03")
        );
    }

    /// Hex rows copy escape codes in 16-byte blocks: each must fit one, and say
    /// what owo-colors says.
    #[test]
    fn every_escape_code_fits_a_block() {
        for tone in tones() {
            let c = codes(tone);
            for (text, (block, len)) in [&c.on, &c.off, &c.emph_on, &c.emph_off]
                .into_iter()
                .zip(c.fixed)
            {
                assert!(text.len() <= 16, "{tone:?}: {text:?}");
                assert_eq!(&block[..len], text.as_bytes(), "{tone:?}");
            }
        }
    }

    /// Colour is drawn on a path of its own; without its escape codes it must say
    /// what the plain dump says, to the character, short rows and long offsets too.
    #[test]
    fn colour_and_plain_say_the_same() {
        fn strip(s: &str) -> String {
            let mut out = String::new();
            let mut rest = s;
            while let Some(i) = rest.find('\x1b') {
                out.push_str(&rest[..i]);
                let end = rest[i..].find('m').expect("an escape code ends with m");
                rest = &rest[i + end + 1..];
            }
            out.push_str(rest);
            out
        }
        let mut big = WIRE.to_vec();
        big.extend((0..70_000u32).map(|i| (i % 251) as u8));
        for bytes in [&WIRE[..], &WIRE[..25], &big[..]] {
            let mut d = Dump::new("#1".into(), bytes, &ipv4::IPV4);
            d.emphasize.push(2..4);
            let plain = render(&d, false);
            assert!(!plain.contains('\x1b'));
            assert_eq!(strip(&render(&d, true)), plain);
        }
        // Past 0xffff the offset takes five digits and the columns move over by one.
        let plain = render(&Dump::new("#1".into(), &big, &ipv4::IPV4), false);
        let row = |at: usize| {
            let cells: Vec<String> = big[at..at + 16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let text: String = big[at..at + 16].iter().map(|b| ascii_char(*b)).collect();
            format!(
                "  {at:04x}  {}  {}  {text}",
                cells[..8].join(" "),
                cells[8..].join(" ")
            )
        };
        for at in [0xfff0, 0x10000, 0x10010] {
            assert!(plain.lines().any(|l| l == row(at)), "no row {}", row(at));
        }
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
        let lines = Lines::of(&dis, &syn);
        let colors = byte_colors(&dis, &lines.all, syn.len());
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
        let t = crate::wire::template::Template::new(&[
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
        let e = Caret {
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
