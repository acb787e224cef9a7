//! `rawlab read FILE`: every packet of a capture file, batch, like `tcpdump -r`:
//! annotated as a session shows its own packets (text), or one JSON object per
//! line (json). It opens no socket and needs no privilege. The file is read one
//! record at a time, so a file of any size is shown in constant memory; a bad
//! record ends the file with a message saying where, after the packets before it.
//!
//! Each packet is related to those before it (a reply to its request, an error to
//! the datagram it quotes) by the engine a session uses (`lab::Relater`), in file
//! order: each batch by the drawing thread that takes it, once the batch before it
//! is related, before it is drawn.

use crate::capture::pcap::{self, FileError, Reader};
use crate::render::{Style, Tone};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, mpsc};

mod draw;
mod pipeline;
mod relating;
#[cfg(test)]
mod tests;

pub use draw::{brief_line, heading, json_line, text};
use pipeline::{Batch, Drawn, Job, Pipeline, Turns, draw_batch, read_batches, work};
pub use relating::{Item, Relating};

/// What `read` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The annotated dump of each packet.
    Text,
    /// JSON Lines: one object per packet.
    Json,
    /// One line per packet: number, time, summary, relations.
    Brief,
}

/// Which packets `read` shows: those numbered in `packets` (all when empty), at most
/// `count` of them. Every packet is still related to the others, so a reply shown
/// names its request though the request is not shown.
#[derive(Debug, Clone, Default)]
pub struct Select {
    pub packets: Vec<std::ops::RangeInclusive<u64>>,
    pub count: Option<u64>,
    /// `--filter`: only the packets it passes.
    pub filter: Option<crate::command::filter::Filter>,
}

impl Select {
    /// Whether the filter (if any) passes a packet.
    fn passes(&self, item: &Item) -> bool {
        let Some(f) = &self.filter else {
            return true;
        };
        let frame = item.frame();
        match (&item.shared, item.decap.first) {
            (Some((_, dis)), _) => f.matches(frame, dis),
            (None, Some(first)) => f.matches(
                frame,
                &crate::wire::dissect::dissect_from(frame, item.start(), first),
            ),
            (None, None) => false,
        }
    }

    fn wants(&self, no: u64) -> bool {
        self.packets.is_empty() || self.packets.iter().any(|r| r.contains(&no))
    }

    /// No packet numbered `no` or later is wanted.
    fn past(&self, no: u64) -> bool {
        !self.packets.is_empty() && self.packets.iter().all(|r| *r.end() < no)
    }
}

/// Packet numbers and ranges, as `--packets` takes them.
#[derive(Debug, Clone)]
pub struct PacketList(pub Vec<std::ops::RangeInclusive<u64>>);

/// `--packets 3-9,20`: packet numbers and ranges, separated by commas.
pub fn packet_list(s: &str) -> Result<PacketList, String> {
    let number = |w: &str| -> Result<u64, String> {
        match w.trim().trim_start_matches('#').parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!(
                "`{}` is not a packet number (1 or more); expected numbers and ranges such as 3-9,20",
                w.trim()
            )),
        }
    };
    s.split(',')
        .map(|part| match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(format!("{a}-{b} runs backwards: write {b}-{a}"));
                }
                Ok(a..=b)
            }
            None => number(part).map(|n| n..=n),
        })
        .collect::<Result<_, _>>()
        .map(PacketList)
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
    select: &Select,
    style: &Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
    err_style: &Style,
) -> io::Result<u8> {
    let Some(mut reader) = open_or_say(path, err, err_style)? else {
        return Ok(BAD_FILE);
    };
    writeln!(err, "reading from {}: {}", path.display(), reader.format())?;
    // Texts written out come back here to be drawn into again: fresh memory for each
    // batch would cost the kernel a page fault every few kilobytes.
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let mut pipe = Pipeline::new(out, err, &spare);
    let (jobs, job_rx) = mpsc::channel::<Job>();
    let (done_tx, done) = mpsc::channel::<Drawn>();
    let job_rx = Mutex::new(job_rx);
    let turns = Turns::new(path);
    let ended = std::thread::scope(|scope| -> io::Result<Option<(FileError, u64)>> {
        // Moved in, so the workers see the jobs end when this returns.
        let (jobs, done) = (jobs, done);
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        for _ in 0..workers {
            let (job_rx, done_tx, turns, spare) = (&job_rx, done_tx.clone(), &turns, &spare);
            let draw = move |batch: &Batch| draw_batch(batch, format, style, spare);
            scope.spawn(move || work(job_rx, done_tx, turns, select, draw));
        }
        drop(done_tx);
        // Read ahead by at most a few batches a worker: memory stays bounded.
        let ahead = 2 * workers as u64 + 2;
        let (batch, result) = read_batches(&mut reader, select, &mut pipe, &jobs, &done, ahead);
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

/// The file opened, or None when it cannot be, once `err` says why.
fn open_or_say(
    path: &Path,
    err: &mut dyn Write,
    err_style: &Style,
) -> io::Result<Option<Reader<'static>>> {
    match open(path) {
        Ok(r) => Ok(Some(r)),
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
            Ok(None)
        }
    }
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
