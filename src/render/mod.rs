//! Drawing: the annotated dump (one renderer for templates, sent, captured and
//! file packets), plain hex, and errors with a caret. Everything writes to an
//! `impl Write` and knows nothing of sockets; colour is on or off per call,
//! and escape codes are written only where the colour changes.

pub mod clock;
mod dump;
mod fields;
pub mod html;
pub mod json;
mod rows;

use dump::*;
pub use dump::{Dump, LinkField, LinkHeader, Mark, dissection, draw, draw_dissected, dump};
pub use fields::bit_pattern;
use fields::*;
use rows::*;

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
            // On a narrow terminal an indent that leaves less than half the width would
            // stack the text a word (or a letter) a line: indent less there, by a fifth
            // of the width, so a 20-column terminal keeps 16 columns of text.
            fn narrow(indent: &str, w: usize) -> Cow<'_, str> {
                let used = textwrap::core::display_width(indent);
                if w.saturating_sub(used) >= w / 2 || !indent.trim().is_empty() {
                    // Room enough, or a label (`  where      `) that stays: its words
                    // then go on under it.
                    Cow::Borrowed(indent)
                } else {
                    Cow::Owned(" ".repeat(w / 5))
                }
            }
            let (first_in, rest_in) = (narrow(first, w), narrow(rest, w));
            // A note's later lines stay a little further in than its first (past `↳ `).
            let rest_in = match (&first_in, &rest_in) {
                (Cow::Owned(f), Cow::Owned(_)) if rest.len() > first.len() => Cow::Owned(format!(
                    "{f}{}",
                    " ".repeat((rest.len() - first.len()).min(2))
                )),
                _ => rest_in,
            };
            let (first, rest) = (first_in, rest_in);
            let opts = textwrap::Options::new(w)
                .initial_indent(&first)
                .subsequent_indent(&rest);
            textwrap::wrap(text, opts)
                .into_iter()
                .map(|l| l.into_owned())
                .collect()
        }
        None => vec![format!("{first}{text}")],
    }
}

/// A plain hex dump, as hexyl draws it.
/// A placed field's value in words, as its dump line says it: a name read through its
/// pointers (inside its layer's header, which ends at `end`), bytes in hex, a number
/// or address with its name.
pub fn placed_words(bytes: &[u8], p: &Placed, end: usize) -> String {
    let mut s = String::new();
    match p.field.kind {
        Kind::Name => {
            let msg = &bytes[p.base..end.max(p.span.end)];
            crate::wire::name::write_words(&mut s, msg, p.span.start - p.base);
        }
        Kind::Bytes => s = json::hex(&bytes[p.span.clone()]),
        _ => s = p.field.words(p.get(bytes)),
    }
    s
}

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
    // Every part may quote what was typed or read (a file name, a word): shown, never
    // obeyed, so an escape in a lesson file cannot drive the terminal.
    let head = match place {
        Some(p) => format!("{}: error: {}", printable(p), printable(&e.message)),
        None => format!("error: {}", printable(&e.message)),
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
        Some(x) => writeln!(
            out,
            "  │ {} expected {}",
            style.paint(&caret, Tone::Bad),
            printable(x)
        )?,
        None => writeln!(out, "  │ {}", style.paint(&caret, Tone::Bad))?,
    }
    if let Some(s) = &e.suggestion {
        writeln!(out, "  = {}", style.paint(&printable(s), Tone::Note))?;
    }
    Ok(())
}

/// A one-line problem that is not about syntax (a refused send, a missing socket). The
/// text may name a file or a word as typed: its control characters are shown escaped.
pub fn problem(out: &mut dyn Write, text: &str, style: &Style) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.paint(&format!("error: {}", printable(text)), Tone::Bad)
    )
}

#[cfg(test)]
mod tests;
