//! The packet receive ring (TPACKET_V3): frames a packet socket reads, shared with
//! the kernel a block at a time.

use super::ffi::SharedMap;
use super::*;
use std::io;

/// Where a block descriptor (`tpacket_block_desc`) keeps its status, frame count and
/// first frame's offset (fields of its `tpacket_hdr_v1`).
const BLOCK_STATUS: usize = std::mem::offset_of!(libc::tpacket_block_desc, hdr)
    + std::mem::offset_of!(libc::tpacket_hdr_v1, block_status);
const NUM_PKTS: usize = std::mem::offset_of!(libc::tpacket_block_desc, hdr)
    + std::mem::offset_of!(libc::tpacket_hdr_v1, num_pkts);
const OFFSET_TO_FIRST_PKT: usize = std::mem::offset_of!(libc::tpacket_block_desc, hdr)
    + std::mem::offset_of!(libc::tpacket_hdr_v1, offset_to_first_pkt);

/// A packet socket's receive ring (TPACKET_V3): the kernel writes frames into blocks
/// of memory it shares with rawlab and hands over a block at a time, so a flood costs
/// no system call and no copy into a socket buffer per frame, and a burst waits in
/// megabytes of blocks rather than in the socket's receive buffer.
pub struct RxRing {
    fd: std::os::fd::RawFd,
    map: SharedMap,
    block_size: usize,
    blocks: usize,
    next: usize,
}

/// One frame in a ring block: its bytes, the kernel's receive time, where it was seen.
pub struct RingFrame<'a> {
    pub bytes: &'a [u8],
    pub stamp: std::time::SystemTime,
    pub meta: FrameMeta,
}

impl RxRing {
    /// Sets up a ring of `blocks` blocks of `block_size` bytes (a power-of-two number
    /// of pages) on packet socket `fd`. A block is handed over when full, or after
    /// `retire_ms` with at least one frame in it, so a lone frame waits no longer.
    pub fn new(
        fd: std::os::fd::RawFd,
        block_size: usize,
        blocks: usize,
        retire_ms: u32,
    ) -> io::Result<RxRing> {
        const FRAME: usize = 2048;
        set_int_option(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            libc::tpacket_versions::TPACKET_V3 as libc::c_int,
        )?;
        let req = libc::tpacket_req3 {
            tp_block_size: block_size as u32,
            tp_block_nr: blocks as u32,
            tp_frame_size: FRAME as u32,
            tp_frame_nr: (block_size / FRAME * blocks) as u32,
            tp_retire_blk_tov: retire_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        // The struct is seven u32s with no padding; the kernel reads them in order.
        const _: () = assert!(std::mem::size_of::<libc::tpacket_req3>() == 7 * 4);
        let req: Vec<u8> = [
            req.tp_block_size,
            req.tp_block_nr,
            req.tp_frame_size,
            req.tp_frame_nr,
            req.tp_retire_blk_tov,
            req.tp_sizeof_priv,
            req.tp_feature_req_word,
        ]
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .collect();
        set_option(fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        // The ring the kernel just made for fd, at its full length.
        let map = SharedMap::new(fd, block_size * blocks)?;
        Ok(RxRing {
            fd,
            map,
            block_size,
            blocks,
            next: 0,
        })
    }

    /// Waits up to `timeout` for the next block the kernel has filled, hands each frame
    /// in it to `each`, and gives the block back. Returns how many frames it held (0
    /// when none came in time).
    pub fn next_block(
        &mut self,
        timeout: std::time::Duration,
        each: &mut dyn FnMut(RingFrame),
    ) -> io::Result<usize> {
        use std::sync::atomic::{Ordering, fence};
        // `next` < `blocks`, so the block lies inside the mapping.
        let block = self.next * self.block_size;
        // The kernel writes the status, so it is read as volatile.
        let status = || self.map.read_volatile_u32(block + BLOCK_STATUS);
        if status() & libc::TP_STATUS_USER == 0 {
            let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
            if let Err(e) = ffi::poll_in(self.fd, ms) {
                return if e.kind() == io::ErrorKind::Interrupted {
                    Ok(0)
                } else {
                    Err(e)
                };
            }
            if status() & libc::TP_STATUS_USER == 0 {
                return Ok(0);
            }
        }
        // The kernel's writes to the block happen before its status says so.
        fence(Ordering::Acquire);
        // The block is the user's until its status is set back; the kernel wrote
        // num_pkts and offset_to_first_pkt before handing it over.
        let count = self.map.read::<u32>(block + NUM_PKTS) as usize;
        let first = self.map.read::<u32>(block + OFFSET_TO_FIRST_PKT) as usize;
        let hdr_len = std::mem::size_of::<libc::tpacket3_hdr>().next_multiple_of(16);
        let mut at = first;
        for _ in 0..count {
            if at + hdr_len + std::mem::size_of::<libc::sockaddr_ll>() > self.block_size {
                break;
            }
            // `at` leaves room for a frame header and the sockaddr_ll after it inside
            // this block; the kernel laid them out there.
            let h: libc::tpacket3_hdr = self.map.read(block + at);
            let sll: libc::sockaddr_ll = self.map.read(block + at + hdr_len);
            let (start, len) = (at + h.tp_mac as usize, h.tp_snaplen as usize);
            if start + len > self.block_size {
                break;
            }
            // The frame's bytes lie inside this block, which the kernel does not write
            // until it is given back below.
            each(RingFrame {
                bytes: self.map.bytes(block + start, len),
                stamp: std::time::UNIX_EPOCH + std::time::Duration::new(h.tp_sec.into(), h.tp_nsec),
                meta: FrameMeta {
                    ifindex: sll.sll_ifindex as u32,
                    pkttype: sll.sll_pkttype,
                    hatype: sll.sll_hatype,
                },
            });
            if h.tp_next_offset == 0 {
                break;
            }
            at += h.tp_next_offset as usize;
        }
        // Every read of the block happens before the kernel may write it again.
        fence(Ordering::Release);
        // The block goes back to the kernel.
        self.map
            .write_volatile_u32(block + BLOCK_STATUS, libc::TP_STATUS_KERNEL);
        self.next = (self.next + 1) % self.blocks;
        Ok(count)
    }

    /// Frames the kernel dropped since last asked, for want of a free block
    /// (PACKET_STATISTICS, which asking resets).
    pub fn drops(&self) -> io::Result<u64> {
        let mut st = [0u8; std::mem::size_of::<libc::tpacket_stats_v3>()];
        ffi::getsockopt(self.fd, libc::SOL_PACKET, libc::PACKET_STATISTICS, &mut st)?;
        let at = std::mem::offset_of!(libc::tpacket_stats_v3, tp_drops);
        let drops = u32::from_ne_bytes(st[at..at + 4].try_into().expect("four bytes"));
        Ok(drops.into())
    }
}
