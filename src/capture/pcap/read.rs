//! Reading: one record at a time, each placed by packet number and byte offset so a
//! damaged file is reported where it is damaged, with the packets before it kept.

use super::*;
use circular::Buffer;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::SystemTime;

/// Bytes read from the file at a time. A record larger than this grows the buffer.
pub(super) const BUFFER: usize = 256 * 1024;
/// The largest record rawlab reads: anything bigger is a damaged length field.
pub(super) const MAX_RECORD: usize = 16 * 1024 * 1024;
/// libpcap's largest snapshot length; a file that says 0 means "no limit", and this is it.
pub const MAX_SNAPLEN: u32 = 262_144;

/// One packet read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1 for the file's first packet.
    pub no: u64,
    /// Where its record (header included) starts in the file.
    pub offset: u64,
    /// When it was captured, as the file says.
    pub time: SystemTime,
    /// Digits after the second that the file's clock has (6 for microseconds, 9 for nanoseconds).
    pub digits: u8,
    pub link: LinkType,
    /// The bytes captured (as many as the snapshot length let through).
    pub bytes: Vec<u8>,
    /// How long the packet was on the wire.
    pub orig_len: u32,
    /// The pcapng interface it was captured on; None in a pcap file.
    pub interface: Option<u32>,
    /// That interface's name (`if_name`), when the file gives one.
    pub interface_name: Option<std::sync::Arc<str>>,
    /// Why `time` is not the file's own: the record has none, or one no clock can show.
    pub time_note: Option<&'static str>,
    /// pcapng: the packet's comments (rawlab writes a note among them, see
    /// [`super::note`]); empty in a pcap file.
    pub comments: Vec<String>,
    /// pcapng: the enhanced packet block's flags word (direction, reception type).
    pub flags: Option<u32>,
}

impl Record {
    /// Which way the packet went, where the record says (a pcapng enhanced packet
    /// block's `epb_flags`, its two lowest bits: 1 inbound, 2 outbound): `incoming`
    /// or `outgoing`.
    pub fn direction(&self) -> Option<&'static str> {
        match self.flags? & 3 {
            1 => Some("incoming"),
            2 => Some("outgoing"),
            _ => None,
        }
    }
}

/// A simple packet block has no time field.
pub const NO_TIME: &str =
    "a simple packet block carries no timestamp: the time shown is the epoch, 1970-01-01";
/// A pcapng timestamp past what a date can show.
pub const PAST_9999: &str = "the file's timestamp lies past the year 9999 (the record is damaged, or its interface's if_tsresol is wrong): the time shown is the last second of 9999";

/// Which of the two formats a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The classic libpcap format: one link type, one snapshot length for the whole file.
    Pcap { nanos: bool, big_endian: bool },
    /// pcapng: sections of interfaces, each with its own link type.
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pcap { nanos, big_endian } => write!(
                f,
                "pcap, {} timestamps, {}",
                if *nanos { "nanosecond" } else { "microsecond" },
                if *big_endian {
                    "big-endian"
                } else {
                    "little-endian"
                }
            ),
            Format::PcapNg => f.write_str("pcapng"),
        }
    }
}

/// An interface a file's packets were captured on (pcap files have exactly one).
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub link: LinkType,
    /// The most bytes of a packet the capture kept; 0 when the file sets no limit.
    pub snaplen: u32,
    /// pcapng's `if_name`, when the file gives it (shared with every record of it).
    pub name: Option<std::sync::Arc<str>>,
    /// Timestamp units per second.
    pub(super) resolution: u64,
    /// Seconds added to every timestamp (pcapng's `if_tsoffset`).
    pub(super) offset: i64,
    pub(super) digits: u8,
}

impl Interface {
    /// In words: `Ethernet (EN10MB, 1), snapshot length 262144`.
    pub fn words(&self) -> String {
        let limit = if self.snaplen == 0 {
            "no snapshot length".to_string()
        } else {
            format!("snapshot length {}", self.snaplen)
        };
        format!("{}, {limit}", self.link.words())
    }

    /// The largest captured length a record may claim.
    pub(super) fn limit(&self) -> u32 {
        if self.snaplen == 0 {
            MAX_SNAPLEN
        } else {
            self.snaplen
        }
    }
}

/// What is wrong with a file, where.
#[derive(Debug, Clone, PartialEq)]
pub struct FileError {
    /// The packet the damage is in (1 for the first), when it is in one.
    pub packet: Option<u64>,
    /// Where the bad part starts, in bytes from the start of the file.
    pub offset: u64,
    pub what: String,
    /// What to try, or what probably happened.
    pub hint: Option<String>,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.packet {
            Some(n) => write!(f, "packet {n} at byte {}: {}", self.offset, self.what),
            None => write!(f, "{} at byte {}", self.what, self.offset),
        }
    }
}

impl std::error::Error for FileError {}

impl FileError {
    pub(super) fn at(offset: u64, what: impl Into<String>) -> Self {
        FileError {
            packet: None,
            offset,
            what: what.into(),
            hint: None,
        }
    }

    pub(super) fn in_packet(packet: u64, offset: u64, what: impl Into<String>) -> Self {
        FileError {
            packet: Some(packet),
            ..FileError::at(offset, what)
        }
    }

    pub(super) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Reads a capture file record by record. Memory stays at about one buffer
/// ([`BUFFER`], more only for a record larger than that) whatever the file's size.
pub struct Reader<'r> {
    inner: Box<dyn PcapReaderIterator + Send + 'r>,
    format: Format,
    section: Section,
    next_no: u64,
    done: bool,
}

/// What the blocks read so far say about the ones to come.
pub(super) struct Section {
    /// The current section's interfaces (pcap: the one the header describes).
    pub(super) interfaces: Vec<Interface>,
    /// How many of them have been handed out by `new_interfaces`.
    pub(super) described: usize,
    /// The current pcapng section's byte order (a pcap file's is in `Format`).
    pub(super) big_endian: bool,
}

/// The byte order a pcapng section header block declares, from its byte-order magic.
pub(super) fn shb_big_endian(block: &[u8]) -> bool {
    block.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..])
}

/// Reads until `buf` is full or the input ends.
pub(super) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

pub(super) const PCAPNG_MAGIC: u32 = 0x0a0d_0d0a;
/// pcapng block types: enhanced packet block, simple packet block.
pub(super) const EPB: u32 = 6;
pub(super) const SPB: u32 = 3;

/// What a file that is not a capture probably is, from its first bytes.
pub(super) fn what_it_is(head: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(&[0x1f, 0x8b]) {
        Some("it is gzip-compressed: `gunzip` it (or `zcat FILE > FILE.pcap`) first")
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("it is zstd-compressed: `unzstd` it first")
    } else if starts(b"BZh") {
        Some("it is bzip2-compressed: `bunzip2` it first")
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z']) {
        Some("it is xz-compressed: `unxz` it first")
    } else if starts(b"PK\x03\x04") {
        Some("it is a zip archive: unzip it first")
    } else if starts(b"\x7fELF") {
        Some("it is a program (ELF), not a capture")
    } else if starts(&[0xa1, 0xb2, 0xcd, 0x34]) || starts(&[0x34, 0xcd, 0xb2, 0xa1]) {
        Some(
            "it is a big-endian \"modified\" pcap (Kuznetzov's patch): `editcap -F pcap` converts it",
        )
    } else if !head.is_empty()
        && head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        Some("it looks like text; a hex dump can be turned into a pcap with `text2pcap`")
    } else {
        None
    }
}

impl<'r> Reader<'r> {
    /// Starts reading a capture from `input`: checks the file header.
    pub fn new(mut input: impl Read + Send + 'r) -> Result<Reader<'r>, FileError> {
        let mut buf = Buffer::with_capacity(BUFFER);
        let n = read_full(&mut input, buf.space())
            .map_err(|e| FileError::at(0, format!("cannot read: {}", os_reason(&e))))?;
        buf.fill(n);
        let head = buf.data();
        if n < 4 {
            let what = if n == 0 {
                "empty file: it has no pcap or pcapng header".to_string()
            } else {
                format!("the file is {n} bytes long, too short for a pcap or pcapng header")
            };
            return Err(FileError::at(0, what).hint(
                "a pcap file starts with a 24-byte header, a pcapng file with a section header block",
            ));
        }
        let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let big = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let format = match magic {
            PCAPNG_MAGIC => Format::PcapNg,
            0xa1b2_c3d4 | 0xa1b2_cd34 => Format::Pcap {
                nanos: false,
                big_endian: false,
            },
            0xa1b2_3c4d => Format::Pcap {
                nanos: true,
                big_endian: false,
            },
            0xd4c3_b2a1 => Format::Pcap {
                nanos: false,
                big_endian: true,
            },
            0x4d3c_b2a1 => Format::Pcap {
                nanos: true,
                big_endian: true,
            },
            _ => {
                let mut e =
                    FileError::at(0, format!("not a pcap or pcapng file: magic 0x{big:08x}"));
                e.hint = Some(what_it_is(head).map_or_else(
                    || "a pcap file starts with a1 b2 c3 d4 or d4 c3 b2 a1 (a1 b2 3c 4d or 4d 3c b2 a1 with nanosecond timestamps), a pcapng file with 0a 0d 0d 0a".to_string(),
                    str::to_string,
                ));
                return Err(e);
            }
        };
        let inner: Box<dyn PcapReaderIterator + Send + 'r> = match format {
            Format::PcapNg => match PcapNGReader::from_buffer(buf, input) {
                Ok(r) => Box::new(r),
                Err(e) => return Err(header_error(&e, n, format)),
            },
            Format::Pcap { .. } => match LegacyPcapReader::from_buffer(buf, input) {
                Ok(r) => Box::new(r),
                Err(e) => return Err(header_error(&e, n, format)),
            },
        };
        let mut reader = Reader {
            inner,
            format,
            section: Section {
                interfaces: Vec::new(),
                described: 0,
                big_endian: false,
            },
            next_no: 1,
            done: false,
        };
        if let Format::Pcap { nanos, .. } = format {
            // The first "block" of a pcap reader is the file header.
            match reader.inner.next() {
                Ok((len, PcapBlockOwned::LegacyHeader(h))) => {
                    let iface = legacy_interface(&h, nanos);
                    reader.section.interfaces.push(iface);
                    reader.inner.consume(len);
                }
                _ => return Err(FileError::at(0, "the pcap file header could not be read")),
            }
        }
        Ok(reader)
    }

    /// Opens a file for reading; errors name the OS's reason.
    pub fn open(path: &Path) -> Result<Reader<'static>, Error> {
        let io_err = |reason: String| Error::Io {
            path: path.to_path_buf(),
            action: "read",
            reason,
        };
        let file = File::open(path).map_err(|e| io_err(os_reason(&e)))?;
        // Linux opens a directory for reading; it is the first read that fails.
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(io_err("it is a directory".into()));
        }
        Reader::new(file).map_err(|error| Error::Format {
            path: path.to_path_buf(),
            error,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The interfaces of the current section (a pcap file's one, from its header).
    pub fn interfaces(&self) -> &[Interface] {
        &self.section.interfaces
    }

    /// Interfaces described since the last call (a pcapng file may describe one at any point).
    pub fn new_interfaces(&mut self) -> impl Iterator<Item = (usize, &Interface)> {
        let s = &mut self.section;
        let from = s.described.min(s.interfaces.len());
        s.described = s.interfaces.len();
        s.interfaces.iter().enumerate().skip(from)
    }

    /// The next packet, an error that ends the file, or None at its end.
    pub fn next_record(&mut self) -> Option<Result<Record, FileError>> {
        if self.done {
            return None;
        }
        let r = self.step();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }

    fn step(&mut self) -> Option<Result<Record, FileError>> {
        // Bounded: each turn either returns, consumes a block, reads more of the file,
        // or grows the buffer; a turn that does none of these ends the loop with an error.
        let mut stalled = 0;
        loop {
            let at = self.inner.consumed() as u64;
            let no = self.next_no;
            let outcome = match self.inner.next() {
                Ok((len, block)) => Next::Block(len, take_block(&mut self.section, block, at, no)),
                Err(PcapError::Eof) => return None,
                Err(PcapError::Incomplete(_)) => Next::More,
                Err(PcapError::BufferTooSmall) => Next::Grow,
                Err(PcapError::UnexpectedEof) => Next::Truncated,
                Err(PcapError::ReadError) => {
                    return Some(Err(FileError::at(at, "the file could not be read further")));
                }
                // The parser's own words name its combinator, not the file's fault; the
                // block's header says more (see `malformed`).
                Err(PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind)) => {
                    Next::Malformed(format!("{kind:?}"))
                }
                Err(PcapError::HeaderNotRecognized) => Next::Malformed("not a block".into()),
            };
            match outcome {
                Next::Block(len, taken) => {
                    self.inner.consume(len);
                    stalled = 0;
                    match taken {
                        Ok(Some(rec)) => {
                            self.next_no += 1;
                            return Some(Ok(rec));
                        }
                        Ok(None) => continue,
                        Err(e) => return Some(Err(e)),
                    }
                }
                Next::More | Next::Grow => {
                    if let Some(e) = self.check_pending(at, no) {
                        return Some(Err(e));
                    }
                    let before = self.inner.data().len();
                    if matches!(outcome, Next::Grow) {
                        let want = self.pending_len().unwrap_or(0).max(BUFFER) + BUFFER;
                        if want > MAX_RECORD + BUFFER || !self.inner.grow(want) {
                            return Some(Err(self.too_big(at, no)));
                        }
                    }
                    if let Err(e) = self.inner.refill() {
                        return Some(Err(FileError::at(at, format!("cannot read: {e}"))));
                    }
                    if self.inner.data().len() == before && !self.inner.reader_exhausted() {
                        stalled += 1;
                        if stalled > 3 {
                            return Some(Err(self.too_big(at, no)));
                        }
                    }
                }
                Next::Truncated => return Some(Err(self.truncated(at, no))),
                Next::Malformed(detail) => return Some(Err(self.malformed(at, no, &detail))),
            }
        }
    }

    /// The first bytes of the record or block that is waiting to be read, as its header
    /// declares it: (captured length, total length of the record).
    fn pending(&self) -> Option<(u32, usize)> {
        let d = self.inner.data();
        match self.format {
            Format::Pcap { big_endian, .. } => {
                let word = |i: usize| -> Option<u32> {
                    let b: [u8; 4] = d.get(i..i + 4)?.try_into().ok()?;
                    Some(if big_endian {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    })
                };
                let caplen = word(8)?;
                Some((caplen, 16 + caplen as usize))
            }
            Format::PcapNg => {
                let big = self.pending_big_endian();
                let word = |i: usize| -> Option<u32> {
                    let b: [u8; 4] = d.get(i..i + 4)?.try_into().ok()?;
                    Some(if big {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    })
                };
                let ty = word(0)?;
                let len = word(4)? as usize;
                let caplen = if ty == EPB { word(20)? } else { 0 };
                Some((caplen, len))
            }
        }
    }

    fn pending_len(&self) -> Option<usize> {
        self.pending().map(|(_, len)| len)
    }

    /// The byte order of the pcapng block waiting: a section header block declares its
    /// own (its type reads the same both ways); any other is in its section's.
    fn pending_big_endian(&self) -> bool {
        let d = self.inner.data();
        if d.get(0..4) == Some(&PCAPNG_MAGIC.to_le_bytes()[..]) {
            shb_big_endian(d)
        } else {
            self.section.big_endian
        }
    }

    /// The type of the pcapng block waiting, in its byte order.
    fn pending_type(&self) -> Option<u32> {
        let b: [u8; 4] = self.inner.data().get(0..4)?.try_into().ok()?;
        Some(if self.pending_big_endian() {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// Before waiting for more of a record: does its header already say it is damaged?
    fn check_pending(&self, at: u64, no: u64) -> Option<FileError> {
        let (caplen, len) = self.pending()?;
        match self.format {
            Format::Pcap { .. } => {
                let iface = self.section.interfaces.first()?;
                check_caplen(caplen, iface, at, no).err()
            }
            Format::PcapNg => {
                if self.pending_type() == Some(EPB)
                    && let Some(iface) = self.section.interfaces.get(self.pending_if_id()? as usize)
                    && let Err(e) = check_caplen(caplen, iface, at, no)
                {
                    return Some(e);
                }
                if len > MAX_RECORD {
                    return Some(self.too_big(at, no));
                }
                None
            }
        }
    }

    fn pending_if_id(&self) -> Option<u32> {
        let d = self.inner.data();
        let b: [u8; 4] = d.get(8..12)?.try_into().ok()?;
        Some(if self.pending_big_endian() {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// Whether the block waiting is a packet (it then gets a packet number in errors).
    fn pending_is_packet(&self) -> bool {
        match self.format {
            Format::Pcap { .. } => true,
            // Enhanced, simple, and the obsolete packet block.
            Format::PcapNg => matches!(self.pending_type(), Some(EPB | SPB | 2)),
        }
    }

    fn error_here(&self, at: u64, no: u64, what: String) -> FileError {
        if self.pending_is_packet() {
            FileError::in_packet(no, at, what)
        } else {
            FileError::at(at, what)
        }
    }

    fn truncated(&self, at: u64, no: u64) -> FileError {
        let have = self.inner.data().len();
        let what = match (self.format, self.pending()) {
            (Format::Pcap { .. }, _) if have < 16 => format!(
                "truncated record: the file ends {have} byte{} into a 16-byte record header",
                if have == 1 { "" } else { "s" }
            ),
            (Format::Pcap { .. }, Some((caplen, _))) => format!(
                "truncated record: its header says {caplen} captured bytes follow, the file has {}",
                have - 16
            ),
            (Format::PcapNg, Some((_, len))) => format!(
                "truncated block: its header says it is {len} bytes long, the file has {have}"
            ),
            (Format::PcapNg, None) => format!(
                "truncated block: the file ends {have} byte{} into a block header",
                if have == 1 { "" } else { "s" }
            ),
            (Format::Pcap { .. }, None) => "truncated record".to_string(),
        };
        self.error_here(at, no, what).hint(
            "the file ends in the middle of a record: the capture was probably cut off while being written (a tcpdump killed hard, a disk full, a partial copy); the packets before it are intact",
        )
    }

    fn too_big(&self, at: u64, no: u64) -> FileError {
        let len = self.pending_len().unwrap_or(0);
        self.error_here(
            at,
            no,
            format!(
                "its header says it is {len} bytes long, more than the {} MiB rawlab reads in one record",
                MAX_RECORD >> 20
            ),
        )
        .hint("a length field this large is almost always damage: the bytes from here on are not records")
    }

    fn malformed(&self, at: u64, no: u64, detail: &str) -> FileError {
        let what = match self.format {
            Format::Pcap { .. } => format!("malformed record ({detail})"),
            Format::PcapNg => match (self.pending_type(), self.pending_len()) {
                (Some(ty), Some(len)) if len % 4 != 0 || len < 12 => format!(
                    "malformed block: type 0x{ty:08x} says it is {len} bytes long, which is not a multiple of 4 of at least 12"
                ),
                (Some(ty), Some(len)) => format!(
                    "malformed block of type 0x{ty:08x}, {len} bytes long: its trailing length or its fields disagree with its header"
                ),
                _ => format!("malformed block ({detail})"),
            },
        };
        self.error_here(at, no, what)
            .hint("the bytes from here on do not follow the format; the packets before are intact")
    }
}

pub(super) enum Next {
    Block(usize, Result<Option<Record>, FileError>),
    More,
    Grow,
    Truncated,
    Malformed(String),
}

impl Iterator for Reader<'_> {
    type Item = Result<Record, FileError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}
