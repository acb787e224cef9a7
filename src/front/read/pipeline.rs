//! The threads `read` runs: the reading thread fills batches of records and queues
//! them, each drawing thread relates a batch in its turn (the relater handed from
//! batch to batch in file order) and draws it, and the pipeline writes what they
//! drew in file order, reading ahead by a few batches at most.

use super::{Format, Item, Relating, Select, brief_line, json_line, text};
use crate::capture::pcap::{FileError, Format as FileFormat, Reader, Record};
use crate::render::Style;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard, mpsc};

/// A batch to draw, with its number in file order.
pub(super) type Job = (u64, Batch);
/// A batch drawn, with its number and its text (or why it could not be drawn).
pub(super) type Drawn = (u64, Batch, io::Result<Vec<u8>>);

/// A drawing thread: relates each batch it takes in its turn, draws it and hands it
/// back. It stops when the jobs end (or the reader went away).
pub(super) fn work(
    jobs: &Mutex<mpsc::Receiver<Job>>,
    done: mpsc::Sender<Drawn>,
    turns: &Turns,
    select: &Select,
    draw: impl Fn(&Batch) -> io::Result<Vec<u8>>,
) {
    while let Ok((seq, mut batch)) = jobs
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
        if done.send((seq, batch, drawn)).is_err() {
            break;
        }
    }
}

/// The packets of a batch that are shown, drawn as `format` asks. Dumps are drawn
/// straight into the batch's text, which is written as it is.
pub(super) fn draw_batch(
    batch: &Batch,
    format: Format,
    style: &Style,
    spare: &Mutex<Vec<Vec<u8>>>,
) -> io::Result<Vec<u8>> {
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
}

/// Reads the file's records into batches, queueing each as it fills, until the file
/// ends, a record is bad (given with how many records came before it), or what is
/// selected has all been read. Gives back the last batch, not yet queued.
pub(super) fn read_batches(
    reader: &mut Reader,
    select: &Select,
    pipe: &mut Pipeline,
    jobs: &mpsc::Sender<Job>,
    done: &mpsc::Receiver<Drawn>,
    ahead: u64,
) -> (Batch, io::Result<Option<(FileError, u64)>>) {
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
        let described = describe_interfaces(reader);
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
        if let Err(e) = pipe.send(jobs, done, std::mem::replace(&mut batch, next), ahead) {
            break Err(e);
        }
    };
    (batch, result)
}

/// Packets a worker draws at a time, and how many bytes of them at most (jumbo packets
/// make small batches, so the read-ahead stays a few MiB).
pub(super) const BATCH: usize = 256;
pub(super) const BATCH_BYTES: usize = 256 << 10;

/// Records to draw, and the lines about new interfaces that come before them.
#[derive(Default)]
pub(super) struct Batch {
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
pub(super) struct Turns {
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
    pub(super) fn new(path: &Path) -> Self {
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

/// Hands batches to the workers and writes what they drew in file order.
pub(super) struct Pipeline<'w> {
    pub(super) out: &'w mut dyn Write,
    pub(super) err: &'w mut dyn Write,
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
    pub(super) fn new(
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
        spare: &'w Mutex<Vec<Vec<u8>>>,
    ) -> Self {
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
    pub(super) fn send(
        &mut self,
        jobs: &mpsc::Sender<Job>,
        done: &mpsc::Receiver<Drawn>,
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
    pub(super) fn finish(&mut self, done: &mpsc::Receiver<Drawn>) -> io::Result<()> {
        while self.written < self.sent {
            self.take(done)?;
        }
        Ok(())
    }

    /// Takes one drawn batch and writes every batch now in order.
    fn take(&mut self, done: &mpsc::Receiver<Drawn>) -> io::Result<()> {
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
