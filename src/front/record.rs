//! Keeping a session: `--record FILE.cast` writes an asciinema v2 recording
//! (a header line, then `[seconds, "o", text]` events) and `--transcript
//! FILE.html` a self-contained page with the session's colours, to hand out.
//! Both see exactly what the terminal sees, through [`Tee`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::render::html::{Html, push_escaped};

/// Where a session is kept.
pub struct Recorder {
    start: Instant,
    cast: Option<BufWriter<File>>,
    html: Option<(BufWriter<File>, Html)>,
    /// The classroom page's terminal pane (`--web`).
    pub web: Option<Arc<crate::front::web::Feed>>,
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
            web: None,
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
        self.cast_out(text);
        self.coloured_out(text);
    }

    /// Text drawn in colour for the transcript (and the page) while the terminal shows
    /// it plain: the recording keeps it as the terminal showed it.
    pub fn output_coloured(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if self.cast.is_some() {
            let plain = Strip::default().strip(text.as_bytes());
            self.cast_out(&String::from_utf8_lossy(&plain));
        }
        self.coloured_out(text);
    }

    /// Into the recording, as an output event.
    fn cast_out(&mut self, text: &str) {
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
    }

    /// Into the transcript and the page, which keep the colours.
    fn coloured_out(&mut self, text: &str) {
        if let Some((w, html)) = &mut self.html {
            let _ = w.write_all(html.convert(text).as_bytes());
        }
        if let Some(feed) = &self.web {
            feed.push(text);
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
            let style = html.css();
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
