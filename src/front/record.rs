//! Keeping a session: `--record FILE.cast` writes an asciinema v2 recording
//! (a header line, then `[seconds, "o", text]` events) and `--transcript
//! FILE.html` a self-contained page with the session's colours, to hand out.
//! Both see exactly what the terminal sees, through [`Tee`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::render::html::Html;

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
        if let Some(feed) = &self.web {
            feed.push(text);
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
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(r) = &self.rec {
            r.lock()
                .unwrap_or_else(|p| p.into_inner())
                .output(&String::from_utf8_lossy(&buf[..n]));
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The recorder of this run, for what records from deep inside (a step's marker).
static RUNNING: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Recorder>>> =
    std::sync::OnceLock::new();

/// Makes `rec` the run's recorder, for [`marker`].
pub fn set_running(rec: std::sync::Arc<std::sync::Mutex<Recorder>>) {
    let _ = RUNNING.set(rec);
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
