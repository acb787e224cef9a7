//! Keeping a session: `--record FILE.cast` writes an asciinema v2 recording
//! (a header line, then `[seconds, "o", text]` events) and `--transcript
//! FILE.html` a self-contained page with the session's colours, to hand out.
//! Both see exactly what the terminal sees, through [`Tee`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where a session is kept.
pub struct Recorder {
    start: Instant,
    cast: Option<BufWriter<File>>,
    html: Option<(BufWriter<File>, Html)>,
}

/// Opens a file for writing, refusing to overwrite one that exists unless forced;
/// errors name the path and the reason.
pub fn create(path: &Path, force: bool) -> Result<File, String> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if force {
        o.create(true).truncate(true);
    } else {
        o.create_new(true);
    }
    o.open(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => {
            format!(
                "{} already exists; rawlab does not overwrite files (add --force to replace it)",
                path.display()
            )
        }
        _ => format!("cannot write {}: {e}", path.display()),
    })
}

impl Recorder {
    pub fn new(
        cast: Option<&Path>,
        html: Option<&Path>,
        force: bool,
        size: (u16, u16),
    ) -> Result<Recorder, String> {
        let mut r = Recorder {
            start: Instant::now(),
            cast: None,
            html: None,
        };
        if let Some(p) = cast {
            let mut w = BufWriter::new(create(p, force)?);
            let header = serde_json::json!({
                "version": 2,
                "width": size.0,
                "height": size.1,
                "timestamp": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
                "title": "rawlab",
                "env": { "TERM": std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into()) },
            });
            writeln!(w, "{header}").map_err(|e| format!("cannot write {}: {e}", p.display()))?;
            r.cast = Some(w);
        }
        if let Some(p) = html {
            let mut w = BufWriter::new(create(p, force)?);
            w.write_all(Html::HEAD.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
            r.html = Some((w, Html::default()));
        }
        Ok(r)
    }

    /// Something the terminal shows.
    pub fn output(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let t = self.start.elapsed().as_secs_f64();
        if let Some(w) = &mut self.cast {
            // A terminal turns \n into \r\n; a player needs it spelt out.
            let shown = text.replace("\r\n", "\n").replace('\n', "\r\n");
            let _ = writeln!(
                w,
                "{}",
                serde_json::json!([(t * 1e6).round() / 1e6, "o", shown])
            );
        }
        if let Some((w, html)) = &mut self.html {
            let _ = w.write_all(html.convert(text).as_bytes());
        }
    }

    /// Text drawn in colour for the transcript while the terminal shows it plain: the
    /// recording keeps it as the terminal showed it.
    pub fn output_coloured(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some((w, html)) = &mut self.html {
            let _ = w.write_all(html.convert(text).as_bytes());
        }
        if self.cast.is_some() {
            let plain = Strip::default().strip(text.as_bytes());
            let html = self.html.take();
            self.output(&String::from_utf8_lossy(&plain));
            self.html = html;
        }
    }

    /// A lesson begins: the transcript gets a heading with an anchor (`#lesson-3`, then
    /// `#lesson-3-2` if it is taken again), the recording a marker.
    pub fn heading(&mut self, number: u32, title: &str) {
        let label = format!("Lesson {number} — {title}");
        self.marker(&label);
        if let Some((w, html)) = &mut self.html {
            let base = format!("lesson-{number}");
            html.headings.push(base.clone());
            let seen = html.headings.iter().filter(|h| **h == base).count();
            let id = if seen > 1 {
                format!("{base}-{seen}")
            } else {
                base
            };
            let mut text = String::new();
            push_escaped(&mut text, &label);
            let closed = html.close();
            let style = html.style();
            let _ = write!(
                w,
                "{closed}</pre>\n<h2 id=\"{id}\"><a href=\"#{id}\">{text}</a></h2>\n<pre>"
            );
            if !style.is_empty() {
                let _ = write!(w, "<span style=\"{style}\">");
                html.open = true;
            }
        }
    }

    /// A marker (asciicast's "m" event): a player lists them, so a recording of
    /// --step can be jumped through step by step.
    pub fn marker(&mut self, label: &str) {
        let t = self.start.elapsed().as_secs_f64();
        if let Some(w) = &mut self.cast {
            let _ = writeln!(
                w,
                "{}",
                serde_json::json!([(t * 1e6).round() / 1e6, "m", label])
            );
        }
    }

    pub fn finish(&mut self) {
        if let Some(w) = &mut self.cast {
            let _ = w.flush();
        }
        if let Some((w, html)) = &mut self.html {
            let _ = w.write_all(html.close().as_bytes());
            let _ = w.write_all(Html::TAIL.as_bytes());
            let _ = w.flush();
        }
        self.cast = None;
        self.html = None;
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A writer that writes through and keeps a copy.
pub struct Tee<W: Write> {
    pub inner: W,
    pub rec: Option<Arc<Mutex<Recorder>>>,
    /// Colours taken out on the way through (see [`set_plain_screen`]): the session
    /// draws in colour for the transcript while the screen, a file or a pipe, gets
    /// none.
    pub strip: Strip,
}

impl<W: Write> Tee<W> {
    pub fn new(inner: W, rec: Option<Arc<Mutex<Recorder>>>) -> Self {
        Tee {
            inner,
            rec,
            strip: Strip::default(),
        }
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let plain = PLAIN_SCREEN.load(std::sync::atomic::Ordering::Relaxed);
        let n = if plain {
            let kept = self.strip.strip(buf);
            self.inner.write_all(&kept)?;
            buf.len()
        } else {
            self.inner.write(buf)?
        };
        if let Some(r) = &self.rec {
            let text = String::from_utf8_lossy(&buf[..n]);
            let mut r = r.lock().unwrap_or_else(|p| p.into_inner());
            if plain {
                r.output_coloured(&text);
            } else {
                r.output(&text);
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Takes ANSI escape sequences out of a stream of bytes, one cut between two writes
/// included.
#[derive(Default)]
pub struct Strip {
    /// 1: after ESC, 2: inside a CSI sequence.
    state: u8,
}

impl Strip {
    /// Whether byte `b`, the next of the stream, is shown (not part of an escape).
    pub fn visible(&mut self, b: u8) -> bool {
        match (self.state, b) {
            (1, b'[') => self.state = 2,
            (1, _) => self.state = 0,
            (2, 0x40..=0x7e) => self.state = 0,
            (2, _) => {}
            (_, 0x1b) => self.state = 1,
            _ => return true,
        }
        false
    }

    fn strip(&mut self, buf: &[u8]) -> Vec<u8> {
        buf.iter().copied().filter(|b| self.visible(*b)).collect()
    }
}

/// Whether the screen (stdout) is to have no colour while the session draws in colour
/// for a transcript: set once, at start.
static PLAIN_SCREEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Colours are for the transcript alone: every [`Tee`] takes them out of what it
/// writes through, and out of a recording, which keeps what the terminal saw.
pub fn set_plain_screen() {
    PLAIN_SCREEN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Text for the screen alone (a hint, a prompt), its colours taken out when the screen
/// is to have none.
pub fn for_screen(text: &str) -> String {
    if PLAIN_SCREEN.load(std::sync::atomic::Ordering::Relaxed) {
        String::from_utf8_lossy(&Strip::default().strip(text.as_bytes())).into_owned()
    } else {
        text.to_string()
    }
}

/// Turns text with ANSI colour codes into HTML spans, keeping state across calls.
#[derive(Default)]
struct Html {
    fg: Option<u8>,
    bold: bool,
    dim: bool,
    underline: bool,
    open: bool,
    /// An escape sequence cut between two writes.
    pending: String,
    /// The anchors of the lesson headings so far.
    headings: Vec<String>,
}

/// The 16 terminal colours, as a dark-background terminal shows them.
const COLOURS: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
];

impl Html {
    const HEAD: &'static str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rawlab transcript</title>\n<style>body{background:#1e1e1e;color:#d4d4d4;margin:2em}pre{font:14px/1.35 ui-monospace,Menlo,Consolas,monospace;white-space:pre;overflow-x:auto;margin:0}h2{font:bold 18px/1.4 system-ui,sans-serif;margin:1.5em 0 .5em}h2 a{color:inherit;text-decoration:none}</style>\n</head><body><pre>";
    const TAIL: &'static str = "</pre></body></html>\n";

    fn style(&self) -> String {
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

    fn close(&mut self) -> String {
        if std::mem::take(&mut self.open) {
            "</span>".into()
        } else {
            String::new()
        }
    }

    fn convert(&mut self, text: &str) -> String {
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
                let style = self.style();
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

fn push_escaped(out: &mut String, s: &str) {
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

/// The recorder of this run, for what records from deep inside (a step's marker).
static RUNNING: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Recorder>>> =
    std::sync::OnceLock::new();

/// Makes `rec` the run's recorder, for [`marker`].
pub fn set_running(rec: std::sync::Arc<std::sync::Mutex<Recorder>>) {
    let _ = RUNNING.set(rec);
}

/// A lesson's heading in the run's transcript and a marker in its recording, if there
/// are any.
pub fn heading(number: u32, title: &str) {
    if let Some(r) = RUNNING.get() {
        r.lock()
            .unwrap_or_else(|p| p.into_inner())
            .heading(number, title);
    }
}

/// A marker in the run's recording, if there is one.
pub fn marker(label: &str) {
    if let Some(r) = RUNNING.get() {
        r.lock().unwrap_or_else(|p| p.into_inner()).marker(label);
    }
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
    fn the_cast_is_asciinema_v2() {
        let dir = std::env::temp_dir().join(format!("rawlab-cast-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.cast");
        let _ = std::fs::remove_file(&p);
        let mut r = Recorder::new(Some(&p), None, false, (80, 24)).unwrap();
        r.output("hello\nworld");
        r.finish();
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines = text.lines();
        let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        assert_eq!(header["version"], 2);
        let ev: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        assert_eq!(ev[1], "o");
        assert_eq!(ev[2], "hello\r\nworld");
        assert!(
            Recorder::new(Some(&p), None, false, (80, 24))
                .err()
                .unwrap()
                .contains("already exists")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
