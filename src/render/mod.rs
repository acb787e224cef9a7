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
mod tests {
    use super::*;

    /// On a 20-column terminal a note under a field and an explain row keep most of the
    /// width for words: no line of a single letter, none wider than the terminal but
    /// for a word that is itself wider.
    #[test]
    fn long_texts_wrap_sensibly_on_a_20_column_terminal() {
        let text =
            "the kernel changed it: rawlab handed 0x0000 in #1, and ip.checksum (bytes 10–11) too";
        let mut buf = String::new();
        mark_into(&mut buf, false, Some(20), 19, text, Tone::Note);
        let lines: Vec<&str> = buf.lines().collect();
        assert!(lines.len() <= 8, "{buf}");
        for l in &lines {
            assert!(l.chars().count() <= 20, "{l:?} in\n{buf}");
            assert!(l.trim().chars().count() > 1, "{l:?} in\n{buf}");
        }
        assert!(lines[0].starts_with("    ↳ the"), "{buf}");
        assert!(lines[1].starts_with("      "), "{buf}");
        let rows = wrap_to(
            Some(20),
            "Each router subtracts one; at 0 the packet is dropped",
            "  about      ",
            "             ",
        );
        assert_eq!(rows[0], "  about      Each");
        assert!(
            rows[1..]
                .iter()
                .all(|l| l.starts_with("    ") && l.chars().count() <= 20),
            "{rows:?}"
        );
        // With room, indents are kept as they are.
        let wide = wrap_to(Some(100), "a b", "      ", "        ");
        assert_eq!(wide, ["      a b"]);
    }

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
