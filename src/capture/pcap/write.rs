//! Writing: pcap for one link type, pcapng for several, with rawlab's notes as
//! comments, for `save`.

use super::*;
use crate::capture::{Origin, Packet};
use crate::wire::Protocol;
use pcap_parser::{LegacyPcapBlock, Linktype, PcapHeader, ToVec};
use std::fmt;
use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Timestamp resolution of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Micro,
    Nano,
}

/// Writes a pcap file: a header, then one record per packet.
pub struct Writer<W: Write> {
    out: W,
    resolution: Resolution,
}

impl<W: Write> Writer<W> {
    /// Writes the file header: one link type and the largest snapshot length.
    pub fn new(mut out: W, link: LinkType, resolution: Resolution) -> io::Result<Self> {
        let header = PcapHeader {
            magic_number: match resolution {
                Resolution::Micro => 0xa1b2_c3d4,
                Resolution::Nano => 0xa1b2_3c4d,
            },
            snaplen: MAX_SNAPLEN,
            network: Linktype(link.0 as i32),
            ..PcapHeader::new()
        };
        out.write_all(
            &header
                .to_vec_raw()
                .map_err(|e| io::Error::other(format!("{e:?}")))?,
        )?;
        Ok(Writer { out, resolution })
    }

    /// Writes one packet, captured whole at `time`.
    pub fn write(&mut self, time: SystemTime, bytes: &[u8]) -> io::Result<()> {
        self.write_cut(time, bytes, bytes.len())
    }

    /// Writes one packet of which `bytes` were captured from `orig_len` on the wire.
    pub fn write_cut(&mut self, time: SystemTime, bytes: &[u8], orig_len: usize) -> io::Result<()> {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let frac = match self.resolution {
            Resolution::Micro => since.subsec_micros(),
            Resolution::Nano => since.subsec_nanos(),
        };
        let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "packet too large");
        let block = LegacyPcapBlock {
            ts_sec: u32::try_from(since.as_secs()).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "timestamp past 2106, the last second a pcap file can hold",
                )
            })?,
            ts_usec: frac,
            caplen: u32::try_from(bytes.len()).map_err(|_| too_big())?,
            origlen: u32::try_from(orig_len.max(bytes.len())).map_err(|_| too_big())?,
            data: bytes,
        };
        self.out.write_all(
            &block
                .to_vec_raw()
                .map_err(|e| io::Error::other(format!("{e:?}")))?,
        )
    }

    /// Flushes and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The link type a file of packets starting with `first` needs.
pub fn link_type_for(first: &Protocol) -> Option<LinkType> {
    link::link_type_for(first)
}

/// The format `save` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveFormat {
    /// The classic format: one link type for the whole file.
    Pcap,
    /// pcapng: an interface per link type, so IP packets and Ethernet frames share a file.
    PcapNg,
}

impl SaveFormat {
    /// From the file's name: `.pcapng` (any case) is pcapng, anything else pcap.
    pub fn for_path(path: &Path) -> SaveFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("pcapng") => SaveFormat::PcapNg,
            _ => SaveFormat::Pcap,
        }
    }
}

impl fmt::Display for SaveFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SaveFormat::Pcap => "pcap",
            SaveFormat::PcapNg => "pcapng",
        })
    }
}

/// What `save` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub path: PathBuf,
    pub format: SaveFormat,
    /// The session's numbers of the packets written, in order.
    pub numbers: Vec<u64>,
    /// The file's link types: one for pcap; for pcapng, one interface each, in order.
    pub links: Vec<LinkType>,
    /// pcapng: the interfaces' names, in order (beside `links`); empty for pcap.
    pub interfaces: Vec<String>,
    /// The file's length.
    pub bytes: u64,
    /// Packets left out, by their session number, and why.
    pub skipped: Vec<Skipped>,
    /// Sendto copies left out of a pcap file (what rawlab handed the kernel, not what
    /// went on the wire; pcapng keeps them).
    pub copies: usize,
}

/// Saves packets (sent and captured, with their times) with nanosecond timestamps: pcapng
/// when the name ends in `.pcapng`, pcap otherwise. An existing file is kept unless `force`.
pub fn save(path: &Path, packets: &[Arc<Packet>], force: bool) -> Result<Saved, Error> {
    save_with(path, packets, force, Resolution::Nano)
}

/// The link type a packet is written with, or why no capture file can hold it.
pub(super) fn saveable(p: &Packet) -> Result<LinkType, String> {
    match link_type_for(p.first) {
        _ if p.addrs.is_some() => Err(format!(
            "{} without its IPv6 header: an AF_INET6 raw socket hands over only what follows that header, and a capture file of IP packets needs it (`listen link` captures whole frames, header and all)",
            p.first.title
        )),
        Some(l) => Ok(l),
        None => Err(format!(
            "packets that start with {}, where no capture file's link type starts",
            p.first.title
        )),
    }
}

/// What of the packets given a file can hold: the packets kept with their link types,
/// the link types in order of first appearance, those left out and why, and how many
/// sendto copies a pcap file leaves out.
struct Chosen<'p> {
    kept: Vec<(&'p Arc<Packet>, LinkType)>,
    links: Vec<LinkType>,
    skipped: Vec<Skipped>,
    copies: usize,
}

/// Step one of a save: which packets go in. A pcap file holds what was on the wire
/// (no sendto copy) and one link type, the one most packets have.
fn choose(format: SaveFormat, packets: &[Arc<Packet>]) -> Chosen<'_> {
    let mut skipped = Vec::new();
    let mut copies = 0;
    let mut kept: Vec<(&Arc<Packet>, LinkType)> = Vec::with_capacity(packets.len());
    for p in packets {
        // What rawlab handed to sendto is not what went on the wire: pcapng keeps it,
        // on an interface of its own.
        if format == SaveFormat::Pcap && p.is_sent() {
            copies += 1;
            continue;
        }
        match saveable(p) {
            Ok(l) => kept.push((p, l)),
            Err(why) => skipped.push(Skipped { no: p.no, why }),
        }
    }
    // The link types in order of first appearance, with how many packets have each.
    let mut links: Vec<(LinkType, usize)> = Vec::new();
    for (_, l) in &kept {
        match links.iter_mut().find(|(k, _)| k == l) {
            Some((_, n)) => *n += 1,
            None => links.push((*l, 1)),
        }
    }
    if format == SaveFormat::Pcap && links.len() > 1 {
        // The first on a tie.
        let (main, _) = links
            .iter()
            .fold(links[0], |best, l| if l.1 > best.1 { *l } else { best });
        kept.retain(|(p, l)| {
            if *l == main {
                return true;
            }
            skipped.push(Skipped {
                no: p.no,
                why: format!(
                    "{}, and this pcap file holds {} (a pcap file has one link type; a .pcapng file holds both)",
                    link_words(*l),
                    link_words(main)
                ),
            });
            false
        });
        links = vec![(main, kept.len())];
        skipped.sort_by_key(|s| s.no);
    }
    Chosen {
        kept,
        links: links.into_iter().map(|(l, _)| l).collect(),
        skipped,
        copies,
    }
}

/// Step two: the file, made new (an existing one is kept unless `force`); never a
/// directory or a named pipe, whose open would wait for a reader Ctrl-C cannot reach.
fn create(path: &Path, force: bool) -> Result<std::fs::File, Error> {
    let refuse = |reason: String| Error::Io {
        path: path.to_path_buf(),
        action: "write",
        reason,
    };
    if path.is_dir() {
        return Err(refuse("it is a directory".into()));
    }
    if let Some(what) = not_a_file(path) {
        return Err(refuse(format!("it is {what}, not a file")));
    }
    let mut opts = OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    opts.open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            Error::Exists {
                path: path.to_path_buf(),
            }
        } else {
            refuse(os_reason(&e))
        }
    })
}

/// Step three for pcapng: one interface each place a packet was seen, in order of
/// first appearance, and each packet on its own with its comments and direction.
/// Gives the interfaces written.
fn write_pcapng<W: Write>(
    out: W,
    kept: &[(&Arc<Packet>, LinkType)],
    resolution: Resolution,
) -> io::Result<(W, Vec<note::NgIface>)> {
    let mut ifaces: Vec<note::NgIface> = Vec::new();
    let mut on = Vec::with_capacity(kept.len());
    for (p, l) in kept {
        let iface = note::iface_of(p, *l);
        let id = match ifaces.iter().position(|i| *i == iface) {
            Some(id) => id,
            None => {
                ifaces.push(iface);
                ifaces.len() - 1
            }
        };
        on.push(id as u32);
    }
    let mut w = NgWriter::new(out, &ifaces, resolution)?;
    for ((p, _), id) in kept.iter().zip(on) {
        let comments = [comment(p), note::note(p)];
        w.write(id, p.time, &p.bytes, &comments, note::flags_of(p))?;
    }
    Ok((w.finish()?, ifaces))
}

/// [`save`] with a chosen timestamp resolution. Packets a capture file cannot hold are
/// left out and listed in [`Saved::skipped`]; when none is left the file is not made.
pub fn save_with(
    path: &Path,
    packets: &[Arc<Packet>],
    force: bool,
    resolution: Resolution,
) -> Result<Saved, Error> {
    let format = SaveFormat::for_path(path);
    let Chosen {
        kept,
        mut links,
        skipped,
        copies,
    } = choose(format, packets);
    if kept.is_empty() {
        return Err(Error::NothingToSave {
            path: path.to_path_buf(),
            skipped,
            copies,
        });
    }
    let io_err = |e: io::Error| Error::Io {
        path: path.to_path_buf(),
        action: "write",
        reason: os_reason(&e),
    };
    let out = Counted {
        inner: BufWriter::new(create(path, force)?),
        n: 0,
    };
    let mut interfaces = Vec::new();
    let out = match format {
        SaveFormat::Pcap => {
            let mut w = Writer::new(out, links[0], resolution).map_err(io_err)?;
            for (p, _) in &kept {
                w.write(p.time, &p.bytes).map_err(io_err)?;
            }
            w.finish().map_err(io_err)?
        }
        SaveFormat::PcapNg => {
            let (out, ifaces) = write_pcapng(out, &kept, resolution).map_err(io_err)?;
            links = ifaces.iter().map(|i| i.link).collect();
            interfaces = ifaces.into_iter().map(|i| i.name).collect();
            out
        }
    };
    let bytes = out.n;
    out.inner
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(io_err)?;
    Ok(Saved {
        path: path.to_path_buf(),
        format,
        numbers: kept.iter().map(|(p, _)| p.no).collect(),
        links,
        interfaces,
        bytes,
        skipped,
        copies,
    })
}

/// `raw IP packets`, `Ethernet frames`: what a file of this link type holds.
pub(super) fn link_words(l: LinkType) -> String {
    match l {
        LinkType::ETHERNET => "Ethernet frames".to_string(),
        LinkType::RAW => "raw IP packets".to_string(),
        other => format!("{} packets ({})", other.title(), other.0),
    }
}

/// A pcapng packet comment saying where the packet came from in the session and what
/// it is to the packets before it, in words (the note beside it says it for programs).
pub(super) fn comment(p: &Packet) -> String {
    let mut c = whence(p);
    for r in p.relations() {
        c.push_str(&crate::lab::words::relation_brief(r));
    }
    c
}

fn whence(p: &Packet) -> String {
    match &p.origin {
        Origin::Sent {
            mode, handed_from, ..
        } if *handed_from > 0 => format!(
            "rawlab #{}: sent in mode {}, as rawlab built it; the kernel got the bytes after the IP header and wrote its own",
            p.no,
            mode.name()
        ),
        Origin::Sent { mode, .. } => format!(
            "rawlab #{}: sent in mode {}, as rawlab handed it to the kernel",
            p.no,
            mode.name()
        ),
        other => format!("rawlab #{}: {}", p.no, other.source()),
    }
}

/// Counts the bytes written through it.
pub(super) struct Counted<W: Write> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a pcapng file: a section header, an interface description per interface,
/// then an enhanced packet block per packet (with comments and direction flags).
pub struct NgWriter<W: Write> {
    out: W,
    interfaces: usize,
    resolution: Resolution,
}

pub(super) fn gen_err(e: impl fmt::Debug) -> io::Error {
    io::Error::other(format!("{e:?}"))
}

/// A pcapng option, its length checked.
fn option<'a>(
    code: u16,
    value: std::borrow::Cow<'a, [u8]>,
) -> io::Result<pcap_parser::PcapNGOption<'a>> {
    let len = u16::try_from(value.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pcapng option too long"))?;
    Ok(pcap_parser::PcapNGOption {
        code: pcap_parser::OptionCode(code),
        len,
        value,
    })
}

impl<W: Write> NgWriter<W> {
    /// Writes the section header and the interfaces, numbered in order from 0.
    pub fn new(mut out: W, ifaces: &[note::NgIface], resolution: Resolution) -> io::Result<Self> {
        use pcap_parser::{InterfaceDescriptionBlock, OptionCode, SectionHeaderBlock};
        use std::borrow::Cow;
        let app = concat!("rawlab ", env!("CARGO_PKG_VERSION"));
        let mut shb = SectionHeaderBlock {
            block_type: 0,
            block_len1: 0,
            bom: 0,
            major_version: 1,
            minor_version: 0,
            section_len: -1,
            options: vec![option(
                OptionCode::ShbUserAppl.0,
                Cow::Borrowed(app.as_bytes()),
            )?],
            block_len2: 0,
        };
        out.write_all(&shb.to_vec().map_err(gen_err)?)?;
        let tsresol = match resolution {
            Resolution::Micro => 6,
            Resolution::Nano => 9,
        };
        for i in ifaces {
            let mut options = vec![option(
                OptionCode::IfName.0,
                Cow::Borrowed(i.name.as_bytes()),
            )?];
            if let Some(d) = &i.description {
                options.push(option(
                    OptionCode::IfDescription.0,
                    Cow::Borrowed(d.as_bytes()),
                )?);
            }
            let mut idb = InterfaceDescriptionBlock {
                block_type: 0,
                block_len1: 0,
                linktype: Linktype(i.link.0 as i32),
                reserved: 0,
                snaplen: MAX_SNAPLEN,
                options,
                block_len2: 0,
                if_tsresol: tsresol,
                if_tsoffset: 0,
            };
            out.write_all(&idb.to_vec().map_err(gen_err)?)?;
        }
        Ok(NgWriter {
            out,
            interfaces: ifaces.len(),
            resolution,
        })
    }

    /// Writes one packet, captured whole at `time`, on interface `if_id`, with
    /// `comments` (each an opt_comment) and the flags word (direction) when known.
    pub fn write(
        &mut self,
        if_id: u32,
        time: SystemTime,
        bytes: &[u8],
        comments: &[String],
        flags: Option<u32>,
    ) -> io::Result<()> {
        use pcap_parser::{EnhancedPacketBlock, OptionCode};
        use std::borrow::Cow;
        if if_id as usize >= self.interfaces {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no such interface",
            ));
        }
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let ts = match self.resolution {
            Resolution::Micro => since.as_micros(),
            Resolution::Nano => since.as_nanos(),
        } as u64;
        let len = u32::try_from(bytes.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let mut options = Vec::new();
        for c in comments.iter().filter(|c| !c.is_empty()) {
            options.push(option(OptionCode::Comment.0, Cow::Borrowed(c.as_bytes()))?);
        }
        if let Some(f) = flags {
            // epb_flags (code 2), in the section's byte order: little-endian here.
            options.push(option(2, Cow::Owned(f.to_le_bytes().to_vec()))?);
        }
        let mut epb = EnhancedPacketBlock {
            block_type: 0,
            block_len1: 0,
            if_id,
            ts_high: (ts >> 32) as u32,
            ts_low: ts as u32,
            caplen: len,
            origlen: len,
            data: bytes,
            options,
            block_len2: 0,
        };
        self.out.write_all(&epb.to_vec().map_err(gen_err)?)
    }

    /// Flushes and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
