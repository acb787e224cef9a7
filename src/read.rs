//! `rawlab read FILE`: every packet of a capture file, batch, like `tcpdump -r`:
//! annotated as a session shows its own packets (text), or one JSON object per
//! line (json). It opens no socket and needs no privilege. The file is read one
//! record at a time, so a file of any size is shown in constant memory; a bad
//! record ends the file with a message saying where, after the packets before it.

use crate::clock;
use crate::json;
use crate::pcap::{self, FileError, Format as FileFormat, Reader, Record, link};
use crate::render::{self, Dump, Style, Tone};
use crate::wire::push_dec;
use serde_json::{Map, Value};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, mpsc};

/// What `read` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The annotated dump of each packet.
    Text,
    /// JSON Lines: one object per packet.
    Json,
}

/// Exit code when the file cannot be read to its end (after the packets before the damage).
pub const BAD_FILE: u8 = 1;

/// Opens `path` for reading, or standard input for `-` (`tcpdump -w - | rawlab read -`).
fn open(path: &Path) -> Result<Reader<'static>, pcap::Error> {
    if path != Path::new("-") {
        return Reader::open(path);
    }
    Reader::new(io::stdin()).map_err(|error| pcap::Error::Format {
        path: path.to_path_buf(),
        error,
    })
}

/// Shows every packet of the file at `path` (`-`: standard input) on `out`; what the file
/// is, and what is wrong with it, on `err` (in `err_style`). Returns the exit code. An
/// error writing `out` (a reader that went away) is returned as is.
pub fn run(
    path: &Path,
    format: Format,
    style: &Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
    err_style: &Style,
) -> io::Result<u8> {
    let mut reader = match open(path) {
        Ok(r) => r,
        Err(e) => {
            let hint = match &e {
                pcap::Error::Format { error, .. } => error.hint.clone(),
                _ => None,
            };
            let what = match &e {
                pcap::Error::Format { path, error } => format!("{}: {error}", path.display()),
                other => other.to_string(),
            };
            failure(err, &what, hint.as_deref(), err_style)?;
            return Ok(BAD_FILE);
        }
    };
    writeln!(err, "reading from {}: {}", path.display(), reader.format())?;
    // Texts written out come back here to be drawn into again: fresh memory for each
    // batch would cost the kernel a page fault every few kilobytes.
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    // Dumps are drawn straight into the batch's text, which is written as it is.
    let draw = |batch: &Batch| -> io::Result<Vec<u8>> {
        let mut buf = spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        buf.clear();
        // Room enough that the text is not copied as it grows: a dump takes about
        // a header's worth of lines plus five characters a byte (ten in colour).
        buf.reserve(batch.records.len() * 8192 + batch.bytes * 12);
        match format {
            Format::Text => {
                let mut buf = String::from_utf8(buf).unwrap_or_default();
                for (rec, interfaces) in &batch.records {
                    text(&mut buf, rec, *interfaces, style);
                }
                Ok(buf.into_bytes())
            }
            Format::Json => {
                for (rec, _) in &batch.records {
                    json_line(&mut buf, rec)?;
                }
                Ok(buf)
            }
        }
    };
    let mut pipe = Pipeline::new(out, err, &spare);
    let (jobs, job_rx) = mpsc::channel::<(u64, Batch)>();
    let (done_tx, done) = mpsc::channel::<(u64, Batch, io::Result<Vec<u8>>)>();
    let job_rx = Mutex::new(job_rx);
    let ended = std::thread::scope(|scope| -> io::Result<Option<(FileError, u64)>> {
        // Moved in, so the workers see the jobs end when this returns.
        let (jobs, done) = (jobs, done);
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        for _ in 0..workers {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || {
                // A worker stops when the jobs end (or the reader went away).
                while let Ok((seq, batch)) = job_rx
                    .lock()
                    .map_err(|_| ())
                    .and_then(|r| r.recv().map_err(|_| ()))
                {
                    let drawn = draw(&batch);
                    if done_tx.send((seq, batch, drawn)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // Read ahead by at most a few batches a worker: memory stays bounded.
        let ahead = 2 * workers as u64 + 2;
        let mut batch = Batch::default();
        let mut shown = 0u64;
        let result = loop {
            let next = reader.next_record();
            let described = describe_interfaces(&mut reader);
            batch.notes.extend(described);
            match next {
                Some(Ok(rec)) => {
                    shown += 1;
                    batch.bytes += rec.bytes.len();
                    batch.records.push((rec, reader.interfaces().len()));
                    if batch.records.len() < BATCH && batch.bytes < BATCH_BYTES {
                        continue;
                    }
                }
                Some(Err(e)) => break Ok(Some((e, shown))),
                None => break Ok(None),
            }
            if let Err(e) = pipe.send(&jobs, &done, std::mem::take(&mut batch), ahead) {
                break Err(e);
            }
        };
        result.and_then(|ended| {
            pipe.send(&jobs, &done, batch, ahead)?;
            drop(jobs);
            pipe.finish(&done)?;
            Ok(ended)
        })
    })?;
    pipe.out.flush()?;
    match ended {
        None => Ok(0),
        Some((e, shown)) => {
            bad_record(pipe.err, path, &e, shown, err_style)?;
            Ok(BAD_FILE)
        }
    }
}

/// Packets a worker draws at a time, and how many bytes of them at most (jumbo packets
/// make small batches, so the read-ahead stays a few MiB).
const BATCH: usize = 256;
const BATCH_BYTES: usize = 256 << 10;

/// Records to draw, each with how many interfaces the file had described by then, and
/// the lines about new interfaces that come before them.
#[derive(Default)]
struct Batch {
    notes: Vec<String>,
    records: Vec<(Record, usize)>,
    bytes: usize,
}

/// Hands batches to the workers and writes what they drew in file order.
struct Pipeline<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    /// Where written texts go back for reuse.
    spare: &'w Mutex<Vec<Vec<u8>>>,
    sent: u64,
    written: u64,
    early: std::collections::BTreeMap<u64, (Batch, Vec<u8>)>,
}

impl<'w> Pipeline<'w> {
    fn new(out: &'w mut dyn Write, err: &'w mut dyn Write, spare: &'w Mutex<Vec<Vec<u8>>>) -> Self {
        Pipeline {
            out,
            err,
            spare,
            sent: 0,
            written: 0,
            early: Default::default(),
        }
    }

    /// Queues a batch, first waiting while `ahead` batches are still unwritten.
    fn send(
        &mut self,
        jobs: &mpsc::Sender<(u64, Batch)>,
        done: &mpsc::Receiver<(u64, Batch, io::Result<Vec<u8>>)>,
        batch: Batch,
        ahead: u64,
    ) -> io::Result<()> {
        if batch.records.is_empty() && batch.notes.is_empty() {
            return Ok(());
        }
        while self.sent - self.written >= ahead {
            self.take(done)?;
        }
        jobs.send((self.sent, batch))
            .map_err(|_| io::Error::other("the drawing threads stopped"))?;
        self.sent += 1;
        Ok(())
    }

    /// Waits for every batch sent and writes them.
    fn finish(
        &mut self,
        done: &mpsc::Receiver<(u64, Batch, io::Result<Vec<u8>>)>,
    ) -> io::Result<()> {
        while self.written < self.sent {
            self.take(done)?;
        }
        Ok(())
    }

    /// Takes one drawn batch and writes every batch now in order.
    fn take(&mut self, done: &mpsc::Receiver<(u64, Batch, io::Result<Vec<u8>>)>) -> io::Result<()> {
        let (seq, batch, drawn) = done
            .recv()
            .map_err(|_| io::Error::other("the drawing threads stopped"))?;
        self.early.insert(seq, (batch, drawn?));
        while let Some((batch, text)) = self.early.remove(&self.written) {
            for l in &batch.notes {
                writeln!(self.err, "{l}")?;
            }
            self.out.write_all(&text)?;
            self.written += 1;
            // At most a few are kept (as many as can be in flight), and none from a
            // batch of jumbo packets.
            if let Ok(mut spare) = self.spare.lock()
                && spare.len() < 16
                && text.capacity() <= 8 << 20
            {
                spare.push(text);
            }
        }
        Ok(())
    }
}

/// One line per interface the file has described since the last call.
fn describe_interfaces(reader: &mut Reader) -> Vec<String> {
    let ng = reader.format() == FileFormat::PcapNg;
    let lines: Vec<String> = reader
        .new_interfaces()
        .map(|(i, iface)| {
            if ng {
                let name = iface
                    .name
                    .as_deref()
                    .map_or(String::new(), |n| format!(" ({n})"));
                format!("  interface {i}{name}: {}", iface.words())
            } else {
                format!("  link type {}", iface.words())
            }
        })
        .collect();
    lines
}

fn failure(err: &mut dyn Write, what: &str, hint: Option<&str>, style: &Style) -> io::Result<()> {
    writeln!(
        err,
        "{}",
        style.paint(&format!("rawlab: {what}"), Tone::Bad)
    )?;
    if let Some(h) = hint {
        writeln!(err, "  = {}", style.paint(h, Tone::Note))?;
    }
    Ok(())
}

fn bad_record(
    err: &mut dyn Write,
    path: &Path,
    e: &FileError,
    shown: u64,
    style: &Style,
) -> io::Result<()> {
    failure(
        err,
        &format!("{}: {e}", path.display()),
        e.hint.as_deref(),
        style,
    )?;
    let before = match shown {
        0 => "no packet came before it".to_string(),
        1 => "the 1 packet before it is shown".to_string(),
        n => format!("the {n} packets before it are shown"),
    };
    writeln!(err, "  {before}")
}

/// The heading of a packet read from a file: number, absolute time, length, link type.
pub fn heading(rec: &Record, interfaces: usize) -> String {
    let mut h = String::with_capacity(80);
    h.push('#');
    push_dec(&mut h, u128::from(rec.no));
    h.push_str(" · ");
    clock::write_utc(&mut h, rec.time, rec.digits);
    h.push_str(" · ");
    push_dec(&mut h, rec.bytes.len() as u128);
    if rec.bytes.len() as u64 != u64::from(rec.orig_len) {
        h.push_str(" of ");
        push_dec(&mut h, u128::from(rec.orig_len));
        h.push_str(" bytes captured · ");
    } else {
        h.push_str(" bytes · ");
    }
    h.push_str(rec.link.title());
    if let Some(i) = rec.interface.filter(|_| interfaces > 1) {
        h.push_str(" on interface ");
        push_dec(&mut h, u128::from(i));
    }
    h
}

/// The annotated dump of one packet read from a file, appended to `out`.
pub fn text(out: &mut String, rec: &Record, interfaces: usize, style: &Style) {
    let decap = link::decap(rec.link, &rec.bytes);
    let mut d = Dump::frame(
        heading(rec, interfaces),
        &rec.bytes,
        decap.first,
        decap.header,
    );
    if (rec.bytes.len() as u64) < u64::from(rec.orig_len) {
        d.notes.push((
            format!(
                "the capture kept the first {} of the packet's {} bytes (its snapshot length); a length that reaches past them is reported as malformed",
                rec.bytes.len(),
                rec.orig_len
            ),
            Tone::Dim,
        ));
    }
    if let Some(note) = decap.note {
        d.notes.push((note, Tone::Dim));
    }
    if let Some(note) = rec.time_note {
        d.notes.push((note.to_string(), Tone::Note));
    }
    render::draw(out, &d, style)
}

/// One packet as one line of JSON.
pub fn json_line(out: &mut dyn Write, rec: &Record) -> io::Result<()> {
    let decap = link::decap(rec.link, &rec.bytes);
    let mut m = Map::new();
    m.insert("number".into(), Value::from(rec.no));
    m.insert(
        "timestamp".into(),
        Value::from(clock::rfc3339(rec.time, rec.digits)),
    );
    m.insert(
        "time_epoch".into(),
        Value::from(clock::epoch(rec.time, rec.digits)),
    );
    m.insert("captured_length".into(), Value::from(rec.bytes.len()));
    m.insert("original_length".into(), Value::from(rec.orig_len));
    m.insert("linktype".into(), Value::from(rec.link.0));
    m.insert(
        "linktype_name".into(),
        rec.link.name().map_or(Value::Null, Value::from),
    );
    if let Some(i) = rec.interface {
        m.insert("interface".into(), Value::from(i));
    }
    let link = match &decap.header {
        Some(h) => {
            let end = h.len.min(rec.bytes.len());
            let mut l = Map::new();
            l.insert("title".into(), Value::from(h.title.as_str()));
            l.insert("length".into(), Value::from(end));
            l.insert("header".into(), Value::from(json::hex(&rec.bytes[..end])));
            l.insert("summary".into(), Value::from(h.words.as_str()));
            Value::Object(l)
        }
        None => Value::Null,
    };
    m.insert("link".into(), link);
    let d = Dump::frame(String::new(), &rec.bytes, decap.first, decap.header);
    m.extend(json::dissection(&rec.bytes, &render::dissection(&d)));
    if let Some(note) = decap.note {
        m.insert("note".into(), Value::from(note));
    }
    if let Some(note) = rec.time_note {
        m.insert("time_note".into(), Value::from(note));
    }
    serde_json::to_writer(&mut *out, &Value::Object(m)).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
