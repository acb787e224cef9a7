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

use crate::capture::pcap::{self, FileError, Format as FileFormat, Reader, Record, link};
use crate::capture::{Origin, Packet};
use crate::lab::words::annotate;
use crate::lab::{Relater, Relation};
use crate::render::clock;
use crate::render::json;
use crate::render::{self, Dump, Style, Tone};
use crate::wire::cooked;
use crate::wire::dissect::{Dissection, dissect};
use crate::wire::push_dec;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::SystemTime;

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
        buf.reserve(batch.items.len() * 8192 + batch.bytes * 12);
        let items = batch.items.iter().filter(|i| i.show);
        match format {
            Format::Text => {
                let mut buf = String::from_utf8(buf).unwrap_or_default();
                for item in items {
                    text(&mut buf, item, style);
                }
                Ok(buf.into_bytes())
            }
            Format::Json => {
                for item in items {
                    json_line(&mut buf, item)?;
                }
                Ok(buf)
            }
            Format::Brief => {
                let mut buf = String::from_utf8(buf).unwrap_or_default();
                for item in items {
                    brief_line(&mut buf, item, style);
                }
                Ok(buf.into_bytes())
            }
        }
    };
    let mut pipe = Pipeline::new(out, err, &spare);
    let (jobs, job_rx) = mpsc::channel::<(u64, Batch)>();
    let (done_tx, done) = mpsc::channel::<(u64, Batch, io::Result<Vec<u8>>)>();
    let job_rx = Mutex::new(job_rx);
    let turns = Turns::new(path);
    let ended = std::thread::scope(|scope| -> io::Result<Option<(FileError, u64)>> {
        // Moved in, so the workers see the jobs end when this returns.
        let (jobs, done) = (jobs, done);
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        for _ in 0..workers {
            let (job_rx, done_tx, turns) = (&job_rx, done_tx.clone(), &turns);
            scope.spawn(move || {
                // A worker stops when the jobs end (or the reader went away).
                while let Ok((seq, mut batch)) = job_rx
                    .lock()
                    .map_err(|_| ())
                    .and_then(|r| r.recv().map_err(|_| ()))
                {
                    if !turns.relate(seq, &mut batch, select) {
                        break;
                    }
                    let drawn = draw(&batch);
                    // The dissections and relations are freed by the thread that made
                    // them, while they are in its cache.
                    batch.items.clear();
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
        // Packets selected so far, to stop at --count.
        let mut selected = 0u64;
        let result = loop {
            // With a filter, what is shown is known once related: --count is kept there.
            let counted = select.filter.is_none() && select.count.is_some_and(|c| selected >= c);
            if counted || select.past(shown + 1) {
                break Ok(None);
            }
            let next = reader.next_record();
            let described = describe_interfaces(&mut reader);
            batch.notes.extend(described);
            match next {
                Some(Ok(rec)) => {
                    shown += 1;
                    selected += u64::from(select.wants(shown));
                    batch.bytes += rec.bytes.len();
                    batch.records.push((rec, reader.interfaces().len()));
                    if batch.records.len() < BATCH && batch.bytes < BATCH_BYTES {
                        continue;
                    }
                }
                Some(Err(e)) => break Ok(Some((e, shown))),
                None => break Ok(None),
            }
            let next = pipe.fresh_batch();
            if let Err(e) = pipe.send(&jobs, &done, std::mem::replace(&mut batch, next), ahead) {
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

/// Records to draw, and the lines about new interfaces that come before them.
#[derive(Default)]
struct Batch {
    notes: Vec<String>,
    /// As read, each with how many interfaces the file had described by then.
    records: Vec<(Record, usize)>,
    /// The records related, to draw.
    items: Vec<Item>,
    bytes: usize,
}

/// The relater, handed from batch to batch in file order: each batch is related by the
/// drawing thread that took it, once the batch before it is, and then drawn on the same
/// core while its packets are in cache. On the reading thread the relater made a third
/// busy thread on two cores, sharing a core and its cache with a drawing thread: 100,000
/// packets read plain took 0.41 s there and take 0.37 s here (0.30 s unrelated; medians
/// of 11 rounds taken in turn).
struct Turns {
    state: Mutex<Turn>,
    passed: Condvar,
}

struct Turn {
    /// The batch whose turn it is.
    next: u64,
    /// Packets chosen to be shown so far (for --count).
    shown: u64,
    relating: Relating,
    /// A drawing thread panicked while relating: no later batch's turn will come.
    broken: bool,
}

impl Turns {
    fn new(path: &Path) -> Self {
        Turns {
            state: Mutex::new(Turn {
                next: 0,
                shown: 0,
                relating: Relating::new(path),
                broken: false,
            }),
            passed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Turn> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Relates batch `seq`'s records into its items, after every batch before it.
    /// False when that turn will never come.
    fn relate(&self, seq: u64, batch: &mut Batch, select: &Select) -> bool {
        // Declared first, so it is dropped last: after the lock, even when relating panics.
        let _pass = Pass(self);
        let mut turn = self.lock();
        while turn.next != seq && !turn.broken {
            turn = self.passed.wait(turn).unwrap_or_else(|p| p.into_inner());
        }
        if turn.broken {
            return false;
        }
        for (rec, interfaces) in batch.records.drain(..) {
            let mut item = turn.relating.relate(rec, interfaces);
            item.show = select.count.is_none_or(|c| turn.shown < c)
                && select.wants(item.rec.no)
                && select.passes(&item);
            turn.shown += u64::from(item.show);
            batch.items.push(item);
        }
        turn.next += 1;
        true
    }
}

/// Wakes the batches waiting for their turn when a turn ends, and ends them all when it
/// ended in a panic.
struct Pass<'a>(&'a Turns);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().broken = true;
        }
        self.0.passed.notify_all();
    }
}

/// A record to draw, with what the packets before it say it is (made by
/// [`Relating::relate`]).
pub struct Item {
    /// The record; its bytes are [`Item::frame`], not `rec.bytes`.
    rec: Record,
    /// How many interfaces the file had described by then.
    interfaces: usize,
    /// Where rawlab's note says the packet was (`outgoing on lo`, a sendto copy), or
    /// the direction the file's flags give.
    whence: Option<String>,
    /// Where the first layer starts in the frame, and what comes before it.
    decap: link::Decap,
    relations: Vec<Relation>,
    /// When each earlier packet its relations name was captured, while still known.
    times: Vec<(u64, SystemTime)>,
    /// The packet the relater was handed and its layers, when it is the whole frame (no
    /// link header for the relater to drop): the record's bytes went to it rather than
    /// being copied, and the frame is drawn from that dissection rather than taken apart
    /// again.
    shared: Option<(Arc<Packet>, Dissection)>,
    /// Chosen to be shown (by --packets, --filter, --count).
    show: bool,
}

impl Item {
    /// The record's bytes, any link header included.
    pub fn frame(&self) -> &[u8] {
        self.shared
            .as_ref()
            .map_or(&self.rec.bytes, |(p, _)| &p.bytes)
    }

    /// Where the packet the relater saw starts in the frame: its relations count from there.
    fn start(&self) -> usize {
        self.decap.start().min(self.frame().len())
    }

    /// The record's link type.
    pub fn link(&self) -> link::LinkType {
        self.rec.link
    }
}

/// How many records' times are kept for the round trips replies are drawn with.
const TIMES: usize = 4096;

/// Relates each record to those before it, in file order, as `load` would hand them to
/// a session's store: the same packet (the link header a table cannot read dropped),
/// numbered as in the file, and none for a record with no layer rawlab reads. [`run`]
/// hands one from batch to batch; the fuzz targets use it a record at a time.
pub struct Relating {
    relater: Relater,
    path: Arc<Path>,
    /// The last [`TIMES`] records' numbers and times, oldest first: a reply's round trip
    /// needs its request's time, and the relater keeps packets, not times. A request
    /// further back than these is still named; its reply is drawn without the time.
    times: VecDeque<(u64, SystemTime)>,
}

impl Relating {
    /// For the records of the file at `path`.
    pub fn new(path: &Path) -> Self {
        Relating {
            relater: Relater::default(),
            path: path.into(),
            times: VecDeque::with_capacity(TIMES),
        }
    }

    /// Relates the next record of the file (`interfaces`: how many the file has
    /// described so far) to those before it.
    pub fn relate(&mut self, mut rec: Record, interfaces: usize) -> Item {
        let decap = link::decap(rec.link, &rec.bytes);
        let start = decap.start().min(rec.bytes.len());
        let mut shared = None;
        let mut relations = Vec::new();
        let mut whence = rec.direction().map(str::to_string);
        if let Some(first) = decap.first {
            let whole = start == 0;
            let bytes = if whole {
                std::mem::take(&mut rec.bytes)
            } else {
                rec.bytes[start..].to_vec()
            };
            let origin = pcap::note::origin_of(&rec.comments, &self.path, rec.no);
            whence = whence_words(&origin).or(whence);
            let p = Arc::new(Packet::new(rec.no, rec.time, bytes, first, origin));
            let d = dissect(&p.bytes, first);
            relations = self.relater.observe_dissected(&p, &d);
            // Behind a link header the drawing counts from the frame and the relater
            // from the packet: the frame is taken apart again when it is drawn.
            if whole {
                shared = Some((p, d));
            }
        }
        let mut times = Vec::new();
        for no in relations.iter().flat_map(named) {
            if let Ok(i) = self.times.binary_search_by_key(&no, |(n, _)| *n) {
                times.push(self.times[i]);
            }
        }
        if self.times.len() == TIMES {
            self.times.pop_front();
        }
        self.times.push_back((rec.no, rec.time));
        Item {
            rec,
            interfaces,
            whence,
            decap,
            relations,
            times,
            shared,
            show: true,
        }
    }
}

/// The earlier packets a relation names.
fn named(r: &Relation) -> impl Iterator<Item = u64> {
    let (first, second) = match r {
        Relation::WireCopy { sent, .. } => (Some(*sent), None),
        Relation::Reply { request, sent, .. } => (Some(*request), *sent),
        Relation::Error { about, sent, .. } => (Some(*about), *sent),
        Relation::Reset { syn, sent } => (Some(*syn), Some(*sent)),
        Relation::Twin { first } => (Some(*first), None),
        // The window's words need no earlier packet's time.
        Relation::Window(_) => (None, None),
    };
    first.into_iter().chain(second)
}

/// Hands batches to the workers and writes what they drew in file order.
struct Pipeline<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    /// Where written texts go back for reuse.
    spare: &'w Mutex<Vec<Vec<u8>>>,
    /// Batches written, emptied for the next records: a batch's list of related records
    /// is some 80 KiB, and growing and freeing one for every batch made the allocator
    /// sweep every small block freed since (malloc_consolidate), and relating frees many.
    spare_batches: Vec<Batch>,
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
            spare_batches: Vec::new(),
            sent: 0,
            written: 0,
            early: Default::default(),
        }
    }

    /// An empty batch, one written before when there is one.
    fn fresh_batch(&mut self) -> Batch {
        self.spare_batches.pop().unwrap_or_default()
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
        while let Some((mut batch, text)) = self.early.remove(&self.written) {
            for l in &batch.notes {
                writeln!(self.err, "{l}")?;
            }
            self.out.write_all(&text)?;
            self.written += 1;
            if self.spare_batches.len() < 16 {
                batch.notes.clear();
                batch.records.clear();
                batch.items.clear();
                batch.bytes = 0;
                self.spare_batches.push(batch);
            }
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
pub fn heading(item: &Item) -> String {
    let (rec, len) = (&item.rec, item.frame().len());
    let mut h = String::with_capacity(80);
    h.push('#');
    push_dec(&mut h, u128::from(rec.no));
    h.push_str(" · ");
    clock::write_utc(&mut h, rec.time, rec.digits);
    h.push_str(" · ");
    push_dec(&mut h, len as u128);
    if len as u64 != u64::from(rec.orig_len) {
        h.push_str(" of ");
        push_dec(&mut h, u128::from(rec.orig_len));
        h.push_str(" bytes captured · ");
    } else {
        h.push_str(" bytes · ");
    }
    h.push_str(rec.link.title());
    if let Some(i) = rec.interface.filter(|_| item.interfaces > 1) {
        h.push_str(" on interface ");
        push_dec(&mut h, u128::from(i));
    }
    if let Some(w) = &item.whence {
        h.push_str(" · ");
        h.push_str(w);
    }
    h
}

/// Where a packet rawlab saved was, from its note: `outgoing on lo`, `on lo`, or
/// that it is a sendto copy, which never went on the wire.
fn whence_words(origin: &Origin) -> Option<String> {
    match origin {
        Origin::Sent { mode, .. } => Some(format!(
            "sendto copy: what rawlab handed the kernel in mode {}, not a capture",
            mode.name()
        )),
        Origin::Captured {
            link: Some(seen), ..
        } => Some(format!("{} on {}", seen.direction(), seen.iface)),
        Origin::Captured { iface: Some(i), .. } => Some(format!("arriving on {i}")),
        _ => None,
    }
}

/// The annotated dump of one packet read from a file, appended to `out`.
pub fn text(out: &mut String, item: &Item, style: &Style) {
    let (rec, frame, decap) = (&item.rec, item.frame(), &item.decap);
    let mut d = Dump::frame(heading(item), frame, decap.first, decap.header.clone());
    if (frame.len() as u64) < u64::from(rec.orig_len) {
        d.notes.push((
            format!(
                "the capture kept the first {} of the packet's {} bytes (its snapshot length); a length that reaches past them is reported as malformed",
                frame.len(),
                rec.orig_len
            ),
            Tone::Dim,
        ));
    }
    if let Some(note) = &decap.note {
        d.notes.push((note.clone(), Tone::Dim));
    }
    if let Some(note) = rec.time_note {
        d.notes.push((note.to_string(), Tone::Note));
    }
    let time_of = |no| item.times.iter().find(|(n, _)| *n == no).map(|(_, t)| *t);
    for r in &item.relations {
        annotate(&mut d, r, rec.time, None, item.start(), &time_of);
    }
    match &item.shared {
        Some((_, dis)) => render::draw_dissected(out, &d, dis, style),
        None => render::draw(out, &d, style),
    }
}

/// One packet in one line, as tcpdump's default prints it: number, time, what it is
/// (each layer's summary), and what it is to the packets before it.
pub fn brief_line(out: &mut String, item: &Item, style: &Style) {
    let (rec, frame) = (&item.rec, item.frame());
    let mut line = String::with_capacity(120);
    line.push('#');
    push_dec(&mut line, u128::from(rec.no));
    line.push(' ');
    clock::write_utc(&mut line, rec.time, rec.digits);
    line.push(' ');
    let summary = match (&item.shared, item.decap.first) {
        (Some((_, dis)), _) => dis.summary(frame),
        (None, Some(first)) => {
            crate::wire::dissect::dissect_from(frame, item.start(), first).summary(frame)
        }
        (None, None) => format!(
            "{} bytes of {}: no layer rawlab reads",
            frame.len(),
            rec.link.title()
        ),
    };
    line.push_str(&summary);
    for r in &item.relations {
        line.push_str(&crate::lab::words::relation_brief(r));
    }
    out.push_str(&style.paint(&line, Tone::Plain));
    out.push('\n');
}

/// One packet as one line of JSON (docs/json.md), appended to `out`.
pub fn json_line(out: &mut Vec<u8>, item: &Item) -> io::Result<()> {
    let (rec, frame, decap) = (&item.rec, item.frame(), &item.decap);
    let mut m = json::Obj::new(out);
    m.num("rawlab_json", u64::from(json::VERSION));
    m.num("number", rec.no);
    m.str("timestamp", &clock::rfc3339(rec.time, rec.digits));
    m.str("time_epoch", &clock::epoch(rec.time, rec.digits));
    m.num("captured_length", frame.len() as u64);
    m.num("original_length", u64::from(rec.orig_len));
    m.num("linktype", u64::from(rec.link.0));
    m.str_or_null("linktype_name", rec.link.name());
    if let Some(i) = rec.interface {
        m.num("interface", u64::from(i));
        m.str_or_null("interface_name", rec.interface_name.as_deref());
    }
    // Which way it went, where the file says: a pcapng record's flags, else a Linux
    // cooked header's packet type.
    let direction = rec.direction().or_else(|| {
        decap
            .header
            .as_ref()
            .and_then(|h| h.packet_type)
            .and_then(cooked::direction)
    });
    m.str_or_null("direction", direction);
    match &decap.header {
        Some(h) => {
            let end = h.len.min(frame.len());
            let mut l = json::Obj::new(m.key("link"));
            l.str("protocol", h.protocol);
            l.str("title", &h.title);
            l.num("length", end as u64);
            l.hex_or_null("header", &frame[..end]);
            l.str("summary", &h.words);
            json::link_fields(l.key("fields"), frame, h);
            l.str_or_null(
                "packet_type",
                h.packet_type.and_then(cooked::packet_type_name),
            );
            l.end();
        }
        None => m.key("link").extend_from_slice(b"null"),
    }
    match &item.shared {
        Some((_, dis)) => json::write_dissection(&mut m, frame, dis),
        None => {
            let d = Dump::frame(String::new(), frame, decap.first, decap.header.clone());
            json::write_dissection(&mut m, frame, &render::dissection(&d));
        }
    }
    if let Some(note) = &decap.note {
        m.str("note", note);
    }
    if let Some(note) = rec.time_note {
        m.str("time_note", note);
    }
    for (k, v) in crate::lab::words::relations_json(&item.relations) {
        m.value(&k, &v);
    }
    m.end();
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::pcap::LinkType;
    use crate::wire::ipv4;
    use serde_json::Value;
    use std::time::{Duration, UNIX_EPOCH};

    const REQUEST: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

    /// The kernel's answer to the post's request.
    fn reply() -> Vec<u8> {
        let mut b = REQUEST.to_vec();
        b[5] = 0xd5; // ip.id
        b[11] = 0x08; // ip.checksum
        b[20] = 0; // icmp.type echo-reply
        b[22] = 0x3f; // icmp.checksum
        b
    }

    fn record(no: u64, micros: u64, link: LinkType, bytes: Vec<u8>) -> Record {
        Record {
            no,
            offset: 0,
            time: UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_micros(micros),
            digits: 6,
            link,
            orig_len: bytes.len() as u32,
            bytes,
            interface: None,
            comments: Vec::new(),
            flags: None,
            interface_name: None,
            time_note: None,
        }
    }

    fn drawn(item: &Item) -> String {
        let mut out = String::new();
        text(&mut out, item, &Style::PLAIN);
        out
    }

    /// Read from a file, a reply's dump says what a session's `dump` says of the same
    /// packets loaded into it, line for line below the heading.
    #[test]
    fn a_reply_is_drawn_as_a_session_draws_it() {
        let mut r = Relating::new(Path::new("lo.pcap"));
        let first = r.relate(record(1, 0, LinkType::RAW, REQUEST.to_vec()), 1);
        let second = r.relate(record(2, 19, LinkType::RAW, reply()), 1);
        assert!(first.relations.is_empty());
        let read = drawn(&second);
        assert!(
            read.contains("\n  reply to #1, 19 µs after it was sent; what differs: ip.id (bytes 4–5), ip.checksum (bytes 10–11), icmp.type (byte 20), icmp.checksum (bytes 22–23)\n"),
            "{read}"
        );
        assert!(read.contains("↳ was 8 (echo-request) in #1"), "{read}");

        let shower =
            crate::session::Shower::new(crate::capture::Store::new(10), Style::PLAIN, false);
        for item in [&first, &second] {
            let rec = &item.rec;
            let origin = Origin::File {
                path: Path::new("lo.pcap").into(),
                index: rec.no,
            };
            shower
                .store
                .push(rec.time, item.frame().to_vec(), &ipv4::IPV4, origin);
        }
        let p = shower.store.get(2).unwrap();
        let mut session = Vec::new();
        shower.dump(&mut session, &p, p.relations()).unwrap();
        let session = String::from_utf8(session).unwrap();
        let below = |s: &str| s.split_once('\n').unwrap().1.to_string();
        assert_eq!(below(&read), below(&session));
    }

    /// Behind a link header no table reads, relations count from the packet, the dump
    /// from the frame: notes and marks say where the bytes are in the frame.
    #[test]
    fn behind_a_cooked_header_the_fields_are_where_the_frame_has_them() {
        let cooked = |ip: &[u8]| {
            let mut f = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0];
            f.extend(ip);
            f
        };
        let mut r = Relating::new(Path::new("any.pcap"));
        r.relate(record(1, 0, LinkType::LINUX_SLL, cooked(&REQUEST)), 1);
        let second = r.relate(record(2, 25, LinkType::LINUX_SLL, cooked(&reply())), 1);
        assert_eq!(second.start(), 16);
        let read = drawn(&second);
        assert!(
            read.contains("what differs: ip.id (bytes 20–21), ip.checksum (bytes 26–27), icmp.type (byte 36), icmp.checksum (bytes 38–39)\n"),
            "{read}"
        );
        let id = read
            .lines()
            .position(|l| l.starts_with("    ip.id"))
            .unwrap();
        assert!(
            read.lines()
                .nth(id + 1)
                .unwrap()
                .contains("↳ was 0x1cd4 in #1"),
            "{read}"
        );
    }

    /// A request further back than the times kept is still named; its round trip is
    /// left out rather than guessed.
    #[test]
    fn a_reply_to_a_request_whose_time_is_gone() {
        let mut r = Relating::new(Path::new("long.pcap"));
        r.relate(record(1, 0, LinkType::RAW, REQUEST.to_vec()), 1);
        let datagram = crate::wire::udp::tests::DATAGRAM.to_vec();
        for no in 2..TIMES as u64 + 3 {
            r.relate(record(no, no, LinkType::RAW, datagram.clone()), 1);
        }
        assert!(r.times.len() <= TIMES);
        let last = r.relate(record(TIMES as u64 + 3, 9999, LinkType::RAW, reply()), 1);
        assert!(last.times.is_empty());
        let read = drawn(&last);
        assert!(
            read.contains("\n  reply to #1; what differs: ip.id"),
            "{read}"
        );
    }

    #[test]
    fn an_error_names_the_datagram_it_quotes_in_json() {
        let mut r = Relating::new(Path::new("udp.pcap"));
        let datagram = crate::wire::udp::tests::DATAGRAM.to_vec();
        let error = crate::wire::icmp::tests::PORT_UNREACHABLE.to_vec();
        let items = [
            r.relate(record(1, 0, LinkType::RAW, datagram), 1),
            r.relate(record(2, 40, LinkType::RAW, error), 1),
        ];
        let lines: Vec<Value> = items
            .iter()
            .map(|i| {
                let mut out = Vec::new();
                json_line(&mut out, i).unwrap();
                serde_json::from_slice(&out).unwrap()
            })
            .collect();
        assert_eq!(lines[1]["error_about"], 1);
        assert_eq!(lines[1]["quoted_length"], 30);
        assert!(lines[0].get("error_about").is_none(), "{}", lines[0]);
        // What the error says, read from its own fields: who refused it, and why.
        let text = drawn(&items[1]);
        assert!(
            text.contains(
                "\n  an error about #1: it quotes the whole of it, 30 bytes; no socket on 127.0.0.1 listens on the port it was sent to, so its kernel refused it\n"
            ),
            "{text}"
        );
    }
}
