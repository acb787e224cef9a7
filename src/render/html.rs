//! The annotated dump as HTML, for the classroom page (`rawlab --web`): the very
//! dump the terminal shows, drawn by the same code in the same colours, with each
//! byte and each field line tagged so the page can link them both ways. Also the
//! converter from the terminal's colour codes to HTML that `--transcript` and the
//! page's terminal pane use.

use super::*;

/// Turns text with ANSI colour codes into HTML spans, keeping state across calls.
#[derive(Default)]
pub struct Html {
    fg: Option<u8>,
    bold: bool,
    dim: bool,
    underline: bool,
    pub open: bool,
    /// An escape sequence cut between two writes.
    pending: String,
    /// The anchors of the lesson headings so far (a transcript's).
    pub headings: Vec<String>,
}

/// The 16 terminal colours, as a dark-background terminal shows them.
const COLOURS: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
];

impl Html {
    pub const HEAD: &'static str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rawlab transcript</title>\n<style>body{background:#1e1e1e;color:#d4d4d4;margin:2em}pre{font:14px/1.35 ui-monospace,Menlo,Consolas,monospace;white-space:pre;overflow-x:auto;margin:0}h2{font:bold 18px/1.4 system-ui,sans-serif;margin:1.5em 0 .5em}h2 a{color:inherit;text-decoration:none}</style>\n</head><body><pre>";
    pub const TAIL: &'static str = "</pre></body></html>\n";

    /// The CSS of the colour the text so far left on (empty for none).
    pub fn css(&self) -> String {
        let mut s = String::new();
        if let Some(c) = self.fg {
            s.push_str(&format!("color:{};", COLOURS[c as usize % 16]));
        }
        if self.bold {
            s.push_str("font-weight:bold;");
        }
        if self.dim {
            s.push_str("opacity:.6;");
        }
        if self.underline {
            s.push_str("text-decoration:underline;");
        }
        s
    }

    /// The span for the colour the text so far left on, to begin a piece of text
    /// that is shown on its own (the previous piece was closed).
    pub fn reopen(&mut self) -> String {
        let style = self.css();
        if style.is_empty() {
            return String::new();
        }
        self.open = true;
        format!("<span style=\"{style}\">")
    }

    /// Closes the open span; the colour is remembered for [`Html::reopen`].
    pub fn close(&mut self) -> String {
        if std::mem::take(&mut self.open) {
            "</span>".into()
        } else {
            String::new()
        }
    }

    pub fn convert(&mut self, text: &str) -> String {
        let mut out = String::new();
        let all = std::mem::take(&mut self.pending) + text;
        let mut rest = all.as_str();
        while let Some(i) = rest.find('\x1b') {
            push_escaped(&mut out, &rest[..i]);
            let seq = &rest[i..];
            let Some(end) = seq.find(|c: char| c.is_ascii_alphabetic()) else {
                self.pending = seq.to_string();
                return out;
            };
            if seq.as_bytes().get(1) == Some(&b'[') && seq.as_bytes()[end] == b'm' {
                out.push_str(&self.close());
                self.apply(&seq[2..end]);
                let style = self.css();
                if !style.is_empty() {
                    out.push_str(&format!("<span style=\"{style}\">"));
                    self.open = true;
                }
            }
            rest = &seq[end + 1..];
        }
        push_escaped(&mut out, rest);
        out
    }

    /// Applies SGR parameters (`1;36`).
    fn apply(&mut self, params: &str) {
        let codes: Vec<u8> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
        for c in if codes.is_empty() { vec![0] } else { codes } {
            match c {
                0 => {
                    *self = Html {
                        pending: std::mem::take(&mut self.pending),
                        headings: std::mem::take(&mut self.headings),
                        ..Html::default()
                    }
                }
                1 => self.bold = true,
                2 => self.dim = true,
                4 => self.underline = true,
                22 => {
                    self.bold = false;
                    self.dim = false;
                }
                24 => self.underline = false,
                30..=37 => self.fg = Some(c - 30),
                39 => self.fg = None,
                90..=97 => self.fg = Some(c - 90 + 8),
                _ => {}
            }
        }
    }
}

/// `s` as HTML text: `&`, `<` and `>` escaped, carriage returns left out.
pub fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            c => out.push(c),
        }
    }
}

/// The colour a field's bytes have in the hex rows (`Tone::Field(n)`), as a CSS colour.
pub fn field_colour(n: usize) -> &'static str {
    let ansi = match PALETTE[n % PALETTE.len()] {
        AnsiColors::Cyan => 6,
        AnsiColors::Yellow => 3,
        AnsiColors::Green => 2,
        AnsiColors::Magenta => 5,
        AnsiColors::Blue => 4,
        AnsiColors::BrightCyan => 14,
        AnsiColors::BrightYellow => 11,
        AnsiColors::BrightGreen => 10,
        AnsiColors::BrightMagenta => 13,
        AnsiColors::BrightBlue => 12,
        _ => 7,
    };
    COLOURS[ansi]
}

/// Text with colour codes as HTML, each line closed on its own.
fn block(out: &mut String, text: &str, class: &str) {
    for line in text.lines() {
        let mut h = Html::default();
        out.push_str("<div class=\"");
        out.push_str(class);
        out.push_str("\">");
        out.push_str(&h.convert(line));
        out.push_str(&h.close());
        out.push_str("</div>");
    }
}

/// The dump of `d` as an HTML fragment: the lines above the bytes, the hex rows
/// with every byte a `<span class="b" data-i="I" data-n="N">` (N: the colour, and so
/// the field line, it belongs to; none for a byte no field covers), then each field
/// line as `<div class="fl" data-n="N" data-s="A" data-e="B">` for the bytes A..B it
/// covers (`data-bits` too, when it does not fill whole bytes). Every field line of
/// the full dump is there (a lesson's short dump is the terminal's).
pub fn linked(d: &Dump) -> String {
    let style = Style {
        color: true,
        fit: false,
    };
    let dis = dissection(d);
    let mut out = String::with_capacity(8192 + d.bytes.len() * 120);
    let mut head = String::new();
    draw_head(&mut head, d, &dis, &style, None);
    out.push_str("<div class=\"head\">");
    block(&mut out, &head, "ln");
    out.push_str("</div>");
    let lines = Lines::of(&dis, d.bytes);
    let colors = byte_colors(&dis, &lines.all, d.bytes.len());
    let emph = emphasised(d);
    hex_html(&mut out, d.bytes, &colors, &emph);
    let mut body = String::new();
    let mut spots = Vec::new();
    fields(&mut body, d, &dis, &lines, &style, None, Some(&mut spots));
    out.push_str("<div class=\"fields\">");
    let mut at = 0;
    for s in &spots {
        block(&mut out, &body[at..s.text.start], "sec");
        out.push_str("<div class=\"fl\"");
        if let Some(n) = s.colour {
            push_attr(&mut out, "data-n", &n.to_string());
        }
        push_attr(&mut out, "data-s", &s.bytes.start.to_string());
        push_attr(&mut out, "data-e", &s.bytes.end.to_string());
        push_attr(&mut out, "data-name", s.name);
        if let Some(b) = &s.bits {
            push_attr(&mut out, "data-bits", b);
        }
        out.push('>');
        let mut h = Html::default();
        out.push_str(&h.convert(body[s.text.clone()].trim_end_matches('\n')));
        out.push_str(&h.close());
        out.push_str("</div>");
        at = s.text.end;
    }
    block(&mut out, &body[at..], "sec");
    out.push_str("</div>");
    out
}

fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The hex rows as HTML: offset, sixteen bytes, their characters; every byte (hex and
/// character) a span naming its index and its field's colour.
fn hex_html(out: &mut String, bytes: &[u8], colors: &[u32], emph: &[bool]) {
    out.push_str("<div class=\"hex\">");
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let base = row * 16;
        out.push_str("<div class=\"row\"><span class=\"off\">");
        out.push_str(&format!("{base:04x}"));
        out.push_str("</span>");
        let cell = |out: &mut String, i: usize, text: &str, class: &str| {
            out.push_str("<span class=\"");
            out.push_str(class);
            if !emph.is_empty() && emph[i] {
                out.push_str(" em");
            }
            out.push_str("\" data-i=\"");
            push_dec(out, i as u128);
            out.push('"');
            match colors[i] {
                NO_FIELD => out.push_str(" style=\"opacity:.6\""),
                n => {
                    out.push_str(" data-n=\"");
                    push_dec(out, u128::from(n));
                    out.push_str("\" style=\"color:");
                    out.push_str(field_colour(n as usize));
                    out.push('"');
                }
            }
            out.push('>');
            out.push_str(text);
            out.push_str("</span>");
        };
        for (j, b) in chunk.iter().enumerate() {
            if j == 8 {
                out.push_str("<span class=\"gap\"> </span>");
            }
            let h = hex2(*b);
            cell(out, base + j, std::str::from_utf8(&h).unwrap_or("??"), "b");
        }
        out.push_str("<span class=\"pad\">");
        for j in chunk.len()..16 {
            out.push_str(if j == 8 { "    " } else { "   " });
        }
        out.push_str("</span><span class=\"txt\">");
        for (j, b) in chunk.iter().enumerate() {
            let c = ascii_char(*b);
            let text = match c {
                '<' => "&lt;".to_string(),
                '>' => "&gt;".to_string(),
                '&' => "&amp;".to_string(),
                c => c.to_string(),
            };
            cell(out, base + j, &text, "a");
        }
        out.push_str("</span></div>");
    }
    out.push_str("</div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_become_spans_and_text_is_escaped() {
        let mut h = Html::default();
        let s = h.convert("\x1b[1;36mset\x1b[0m <ttl> & \x1b[31mbad\x1b[39m.");
        assert_eq!(
            s,
            "<span style=\"color:#11a8cd;font-weight:bold;\">set</span> &lt;ttl&gt; &amp; <span style=\"color:#cd3131;\">bad</span>."
        );
    }

    #[test]
    fn an_escape_cut_between_writes_is_kept() {
        let mut h = Html::default();
        let a = h.convert("x\x1b[3");
        let b = h.convert("2my");
        assert_eq!(
            a + &b + &h.close(),
            "x<span style=\"color:#0dbc79;\">y</span>"
        );
    }

    #[test]
    fn every_byte_and_every_field_line_is_tagged_so_the_page_can_link_them() {
        // An echo request: IPv4 then ICMP, 28 bytes.
        let mut bytes = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1, 8, 0, 0xf7, 0xff,
            0, 0, 0, 0,
        ];
        let sum = crate::wire::checksum::internet(&bytes[..20]);
        bytes[10..12].copy_from_slice(&sum.to_be_bytes());
        let d = Dump::new("#1 test".into(), &bytes, &crate::wire::ipv4::IPV4);
        let html = linked(&d);
        assert_eq!(
            html.matches("class=\"b\"").count(),
            28,
            "one hex cell a byte"
        );
        assert_eq!(
            html.matches("class=\"a\"").count(),
            28,
            "one character a byte"
        );
        // ip.ttl is byte 8: its line and its byte share one colour number.
        let line = html
            .split("<div class=\"fl\"")
            .find(|l| l.contains("data-name=\"ip.ttl\""))
            .expect("a line for ip.ttl");
        assert!(line.contains("data-s=\"8\" data-e=\"9\""), "{line}");
        let n = line
            .split("data-n=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            html.contains(&format!("data-i=\"8\" data-n=\"{n}\"")),
            "byte 8 carries ip.ttl's colour {n}"
        );
        // A field of bits says which: ip.flags.df is one bit of byte 6.
        let df = html
            .split("<div class=\"fl\"")
            .find(|l| l.contains("data-name=\"ip.flags.df\""))
            .unwrap();
        assert!(df.contains("data-bits=\".0.. ....\""), "{df}");
        // The terminal's text is all there, escaped, with no escape code left.
        assert!(html.contains("time to live"));
        assert!(!html.contains('\x1b'));
    }
}
