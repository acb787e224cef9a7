//! `load`: a capture file's packets as the session keeps them, up to the ring's size.

use super::*;
use crate::capture::Packet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A packet left out: of a file loaded (no layer rawlab reads), or of a save (no
/// capture file can hold it).
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// Its number: in the file loaded, or in the session saved.
    pub no: u64,
    pub why: String,
}

/// What `load` read.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub format: Format,
    /// The link types of the packets read, in order of first appearance.
    pub links: Vec<LinkType>,
    /// The link types whose headers were dropped (no table reads them: Linux cooked, BSD loopback).
    pub dropped: Vec<LinkType>,
    /// In file order; each `no` is its number in the file (the store numbers them anew).
    pub packets: Vec<Packet>,
    /// Packets with no layer rawlab has a table for yet.
    pub skipped: Vec<Skipped>,
    /// Packets past `max`, counted but not kept.
    pub left_out: u64,
    /// Packets kept whose time is not the file's own (their numbers in the file, and why).
    pub time_notes: Vec<(u64, &'static str)>,
    /// The damage that ended the file early; the packets before it are in `packets`.
    pub error: Option<FileError>,
    /// Reading was stopped (Ctrl-C) before the file's end.
    pub stopped: bool,
}

/// at the first layer rawlab has a table for.
pub fn load(path: &Path, max: usize) -> Result<Loaded, Error> {
    load_until(path, max, || false)
}

/// [`load`], stopping early (with [`Loaded::stopped`] set) once `stop` says so; it is
/// asked before each record.
pub fn load_until(path: &Path, max: usize, stop: impl Fn() -> bool) -> Result<Loaded, Error> {
    let mut reader = Reader::open(path)?;
    let mut loaded = Loaded {
        path: path.to_path_buf(),
        format: reader.format(),
        links: Vec::new(),
        dropped: Vec::new(),
        packets: Vec::new(),
        skipped: Vec::new(),
        left_out: 0,
        time_notes: Vec::new(),
        error: None,
        stopped: false,
    };
    // One name shared by every packet, not a copy each.
    let shared: Arc<Path> = path.into();
    // Bounded by the file: each turn reads one record or ends.
    loop {
        if stop() {
            loaded.stopped = true;
            break;
        }
        let rec = match reader.next_record() {
            None => break,
            Some(Ok(rec)) => rec,
            Some(Err(e)) => {
                loaded.error = Some(e);
                break;
            }
        };
        if !loaded.links.contains(&rec.link) {
            loaded.links.push(rec.link);
        }
        if loaded.packets.len() >= max {
            loaded.left_out += 1;
            continue;
        }
        let decap = link::decap(rec.link, &rec.bytes);
        let Some(first) = decap.first else {
            loaded.skipped.push(Skipped {
                no: rec.no,
                why: decap
                    .note
                    .unwrap_or_else(|| "no layer rawlab knows".to_string()),
            });
            continue;
        };
        let start = decap.header.as_ref().map_or(0, |h| h.len);
        if start > 0 && !loaded.dropped.contains(&rec.link) {
            loaded.dropped.push(rec.link);
        }
        if let Some(note) = rec.time_note {
            loaded.time_notes.push((rec.no, note));
        }
        loaded.packets.push(Packet {
            no: rec.no,
            time: rec.time,
            bytes: rec.bytes[start..].to_vec(),
            first,
            origin: note::origin_of(&rec.comments, &shared, rec.no),
            addrs: None,
            read: None,
            related: Default::default(),
        });
    }
    Ok(loaded)
}
