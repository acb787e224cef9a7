//! Blocks into records: a parsed pcap record or pcapng block becomes a [`Record`] (its
//! time in its interface's units, its bytes cut to the captured length, its comments
//! and flags) or reader state (a section's byte order, its interfaces), and the
//! checks on lengths and times that name where a file is damaged.

use super::*;
use pcap_parser::{Block, PcapBlockOwned, PcapError, PcapHeader};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Turns a parsed block into a record (packets) or into reader state (headers).
pub(super) fn take_block(
    section: &mut Section,
    block: PcapBlockOwned,
    at: u64,
    no: u64,
) -> Result<Option<Record>, FileError> {
    match block {
        PcapBlockOwned::Legacy(b) => legacy_record(&section.interfaces[0], &b, at, no).map(Some),
        PcapBlockOwned::LegacyHeader(_) => Ok(None),
        PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
            // A new section starts its own list of interfaces, in its own byte order.
            section.interfaces.clear();
            section.described = 0;
            section.big_endian = shb.big_endian();
            Ok(None)
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            let iface = interface_of(&idb, section.interfaces.len(), at)?;
            section.interfaces.push(iface);
            Ok(None)
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            enhanced_record(section, &epb, at, no).map(Some)
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            simple_record(section, &spb, at, no).map(Some)
        }
        // Statistics, name resolution, secrets, comments: nothing to show as a packet.
        PcapBlockOwned::NG(_) => Ok(None),
    }
}

/// A classic pcap record, on the file's one interface.
fn legacy_record(
    iface: &Interface,
    b: &pcap_parser::LegacyPcapBlock,
    at: u64,
    no: u64,
) -> Result<Record, FileError> {
    check_caplen(b.caplen, iface, at, no)?;
    let frac = u64::from(b.ts_usec) * (1_000_000_000 / iface.resolution);
    Ok(Record {
        no,
        offset: at,
        time: UNIX_EPOCH + Duration::new(u64::from(b.ts_sec), 0) + Duration::from_nanos(frac),
        digits: iface.digits,
        link: iface.link,
        bytes: b.data.to_vec(),
        orig_len: b.origlen,
        interface: None,
        interface_name: None,
        time_note: None,
        comments: Vec::new(),
        flags: None,
    })
}

/// The interface an interface description block describes; `count` were before it.
fn interface_of(
    idb: &pcap_parser::pcapng::InterfaceDescriptionBlock,
    count: usize,
    at: u64,
) -> Result<Interface, FileError> {
    let (resolution, digits) = match idb.ts_resolution() {
        Some(r) if r > 0 => (r, digits_of(idb.if_tsresol)),
        _ => {
            return Err(FileError::at(
                at,
                format!(
                    "interface description block {count}: timestamp resolution code 0x{:02x} is not one a clock can have",
                    idb.if_tsresol
                ),
            ));
        }
    };
    let name = idb.if_name().and_then(|n| n.ok()).map(std::sync::Arc::from);
    Ok(Interface {
        link: LinkType(idb.linktype.0 as u32),
        snaplen: idb.snaplen,
        name,
        resolution,
        offset: idb.if_tsoffset,
        digits,
    })
}

/// An enhanced packet block's record, on the interface it names, with its comments
/// and flags options.
fn enhanced_record(
    section: &Section,
    epb: &pcap_parser::pcapng::EnhancedPacketBlock,
    at: u64,
    no: u64,
) -> Result<Record, FileError> {
    let interfaces = &section.interfaces;
    let Some(iface) = interfaces.get(epb.if_id as usize) else {
        return Err(FileError::in_packet(
            no,
            at,
            format!(
                "it names interface {}, but the section describes {} interface{} before it",
                epb.if_id,
                interfaces.len(),
                if interfaces.len() == 1 { "" } else { "s" }
            ),
        )
        .hint("each interface needs an interface description block before its first packet; the file may have been cut and pasted together"));
    };
    check_caplen(epb.caplen, iface, at, no)?;
    let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
    let (time, clamped) = ng_time(ts, iface);
    let (comments, flags) = comments_and_flags(&epb.options, section.big_endian);
    Ok(Record {
        no,
        offset: at,
        time,
        digits: iface.digits,
        link: iface.link,
        bytes: epb.data[..(epb.caplen as usize).min(epb.data.len())].to_vec(),
        orig_len: epb.origlen,
        interface: Some(epb.if_id),
        interface_name: iface.name.clone(),
        time_note: clamped.then_some(PAST_9999),
        comments,
        flags,
    })
}

/// A packet block's comments (option 1) and its flags word (option 2, in the
/// section's byte order).
fn comments_and_flags(
    options: &[pcap_parser::pcapng::PcapNGOption],
    big_endian: bool,
) -> (Vec<String>, Option<u32>) {
    let (mut comments, mut flags) = (Vec::new(), None);
    for o in options {
        match (o.code.0, o.as_bytes()) {
            (1, Ok(c)) => comments.push(String::from_utf8_lossy(c).into_owned()),
            (2, Ok(&[a, b, c, d])) => {
                flags = Some(if big_endian {
                    u32::from_be_bytes([a, b, c, d])
                } else {
                    u32::from_le_bytes([a, b, c, d])
                })
            }
            _ => {}
        }
    }
    (comments, flags)
}

/// A simple packet block's record, on the section's first interface, with no time.
fn simple_record(
    section: &Section,
    spb: &pcap_parser::pcapng::SimplePacketBlock,
    at: u64,
    no: u64,
) -> Result<Record, FileError> {
    let Some(iface) = section.interfaces.first() else {
        return Err(FileError::in_packet(
            no,
            at,
            "a simple packet block comes before any interface description block",
        ));
    };
    // A simple packet block has no captured length: the interface's snapshot
    // length and the original length bound it.
    let len = (spb.origlen as usize)
        .min(spb.data.len())
        .min(iface.limit() as usize);
    Ok(Record {
        no,
        offset: at,
        time: UNIX_EPOCH,
        digits: iface.digits,
        link: iface.link,
        bytes: spb.data[..len].to_vec(),
        orig_len: spb.origlen,
        interface: Some(0),
        interface_name: iface.name.clone(),
        time_note: Some(NO_TIME),
        comments: Vec::new(),
        flags: None,
    })
}

pub(super) fn header_error(e: &PcapError<&[u8]>, have: usize, format: Format) -> FileError {
    let (what, need) = match format {
        Format::PcapNg => ("pcapng section header block", 28),
        Format::Pcap { .. } => ("pcap file header", 24),
    };
    match e {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => FileError::at(
            0,
            format!("truncated {what}: it needs {need} bytes, the file has {have}"),
        ),
        _ => FileError::at(
            0,
            format!("malformed {what}: its byte-order magic or its lengths are wrong"),
        ),
    }
    .hint("the file starts like a capture but its header is damaged")
}

pub(super) fn legacy_interface(h: &PcapHeader, nanos: bool) -> Interface {
    Interface {
        link: LinkType(h.network.0 as u32),
        snaplen: h.snaplen,
        name: None,
        resolution: if nanos { 1_000_000_000 } else { 1_000_000 },
        // libpcap and Wireshark ignore thiszone (every writer sets it to 0); so does rawlab.
        offset: 0,
        digits: if nanos { 9 } else { 6 },
    }
}

/// Digits worth showing for a pcapng `if_tsresol`: its power of ten, or 9 for powers of two.
pub(super) fn digits_of(tsresol: u8) -> u8 {
    if tsresol & 0x80 == 0 {
        tsresol.min(9)
    } else {
        9
    }
}

/// The last second of the year 9999: a damaged file's timestamp past it (a 64-bit count
/// of seconds reaches 584 billion years) is shown as this, rather than overflowing.
pub(super) const LATEST: Duration = Duration::from_secs(253_402_300_799);

/// A pcapng timestamp in its interface's units and offset, as a time; true when it
/// lay past [`LATEST`] and is shown as that.
pub(super) fn ng_time(ts: u64, iface: &Interface) -> (SystemTime, bool) {
    let secs = ts / iface.resolution;
    let frac = ts % iface.resolution;
    let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(iface.resolution)) as u32;
    let since = Duration::new(secs, nanos);
    let since = if iface.offset >= 0 {
        since.saturating_add(Duration::from_secs(iface.offset as u64))
    } else {
        since.saturating_sub(Duration::from_secs(iface.offset.unsigned_abs()))
    };
    (UNIX_EPOCH + since.min(LATEST), since > LATEST)
}

pub(super) fn check_caplen(
    caplen: u32,
    iface: &Interface,
    at: u64,
    no: u64,
) -> Result<(), FileError> {
    if caplen <= iface.limit() {
        return Ok(());
    }
    let what = if iface.snaplen == 0 {
        format!(
            "captured length {caplen} exceeds {MAX_SNAPLEN}, the most any capture keeps of a packet"
        )
    } else {
        format!(
            "captured length {caplen} exceeds the snapshot length {}",
            iface.snaplen
        )
    };
    Err(FileError::in_packet(no, at, what).hint(
        "no capture keeps more of a packet than its snapshot length: this record's header is damaged, so the bytes from here on cannot be trusted",
    ))
}
