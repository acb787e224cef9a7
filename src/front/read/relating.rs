//! Each record related to those before it, in file order, as a session's store
//! would: the packet it is, and what the packets before it say of it.

use crate::capture::pcap::{self, Record, link};
use crate::capture::{Origin, Packet};
use crate::lab::{Relater, Relation};
use crate::wire::dissect::{Dissection, dissect};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// A record to draw, with what the packets before it say it is (made by
/// [`Relating::relate`]).
pub struct Item {
    /// The record; its bytes are [`Item::frame`], not `rec.bytes`.
    pub(super) rec: Record,
    /// How many interfaces the file had described by then.
    pub(super) interfaces: usize,
    /// Where rawlab's note says the packet was (`outgoing on lo`, a sendto copy), or
    /// the direction the file's flags give.
    pub(super) whence: Option<String>,
    /// Where the first layer starts in the frame, and what comes before it.
    pub(super) decap: link::Decap,
    pub(super) relations: Vec<Relation>,
    /// When each earlier packet its relations name was captured, while still known.
    pub(super) times: Vec<(u64, SystemTime)>,
    /// The packet the relater was handed and its layers, when it is the whole frame (no
    /// link header for the relater to drop): the record's bytes went to it rather than
    /// being copied, and the frame is drawn from that dissection rather than taken apart
    /// again.
    pub(super) shared: Option<(Arc<Packet>, Dissection)>,
    /// Chosen to be shown (by --packets, --filter, --count).
    pub(super) show: bool,
}

impl Item {
    /// The record's bytes, any link header included.
    pub fn frame(&self) -> &[u8] {
        self.shared
            .as_ref()
            .map_or(&self.rec.bytes, |(p, _)| &p.bytes)
    }

    /// Where the packet the relater saw starts in the frame: its relations count from there.
    pub(super) fn start(&self) -> usize {
        self.decap.start().min(self.frame().len())
    }

    /// The record's link type.
    pub fn link(&self) -> link::LinkType {
        self.rec.link
    }
}

/// How many records' times are kept for the round trips replies are drawn with.
pub(super) const TIMES: usize = 4096;

/// Relates each record to those before it, in file order, as `load` would hand them to
/// a session's store: the same packet (the link header a table cannot read dropped),
/// numbered as in the file, and none for a record with no layer rawlab reads. [`run`](super::run)
/// hands one from batch to batch; the fuzz targets use it a record at a time.
pub struct Relating {
    relater: Relater,
    path: Arc<Path>,
    /// The last [`TIMES`] records' numbers and times, oldest first: a reply's round trip
    /// needs its request's time, and the relater keeps packets, not times. A request
    /// further back than these is still named; its reply is drawn without the time.
    pub(super) times: VecDeque<(u64, SystemTime)>,
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
