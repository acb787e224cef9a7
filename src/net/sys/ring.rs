//! The packet receive ring (TPACKET_V3): frames a packet socket reads, shared with
//! the kernel a block at a time.

use super::*;
use std::io;

/// A packet socket's receive ring (TPACKET_V3): the kernel writes frames into blocks
/// of memory it shares with rawlab and hands over a block at a time, so a flood costs
/// no system call and no copy into a socket buffer per frame, and a burst waits in
/// megabytes of blocks rather than in the socket's receive buffer.
pub struct RxRing {
    fd: std::os::fd::RawFd,
    map: *mut u8,
    block_size: usize,
    blocks: usize,
    next: usize,
}

// SAFETY: the mapping belongs to the ring alone, and a ring is used by one thread at a
// time (it is moved to its reader, never shared).
unsafe impl Send for RxRing {}

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
        // SAFETY: req is a live tpacket_req3 and the length is its size.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_RX_RING,
                (&req as *const libc::tpacket_req3).cast(),
                std::mem::size_of::<libc::tpacket_req3>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: maps the ring the kernel just made for fd, at its full length; the
        // result is checked before use.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                block_size * blocks,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(RxRing {
            fd,
            map: map.cast(),
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
        // SAFETY: `next` < `blocks`, so the block lies inside the mapping.
        let block = unsafe { self.map.add(self.next * self.block_size) };
        let desc = block.cast::<libc::tpacket_block_desc>();
        // SAFETY: desc points at a block descriptor in the live mapping; the kernel
        // writes its status, so it is read as volatile.
        let status = || unsafe { std::ptr::addr_of!((*desc).hdr.bh1.block_status).read_volatile() };
        if status() & libc::TP_STATUS_USER == 0 {
            let mut pfd = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
            // SAFETY: pfd is one live pollfd.
            if unsafe { libc::poll(&mut pfd, 1, ms) } < 0 {
                let e = io::Error::last_os_error();
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
        // SAFETY: the block is the user's until its status is set back; the kernel
        // wrote num_pkts and offset_to_first_pkt before handing it over.
        let (count, first) = unsafe {
            let h = &(*desc).hdr.bh1;
            (h.num_pkts as usize, h.offset_to_first_pkt as usize)
        };
        let hdr_len = std::mem::size_of::<libc::tpacket3_hdr>().next_multiple_of(16);
        let mut at = first;
        for _ in 0..count {
            if at + hdr_len + std::mem::size_of::<libc::sockaddr_ll>() > self.block_size {
                break;
            }
            // SAFETY: `at` was checked to leave room for a frame header and the
            // sockaddr_ll after it inside this block; the kernel laid them out there.
            let (h, sll) = unsafe {
                let p = block.add(at);
                (
                    p.cast::<libc::tpacket3_hdr>().read_unaligned(),
                    p.add(hdr_len).cast::<libc::sockaddr_ll>().read_unaligned(),
                )
            };
            let (start, len) = (at + h.tp_mac as usize, h.tp_snaplen as usize);
            if start + len > self.block_size {
                break;
            }
            // SAFETY: the frame's bytes were checked to lie inside this block, which is
            // not written by the kernel until it is given back below.
            let bytes = unsafe { std::slice::from_raw_parts(block.add(start), len) };
            each(RingFrame {
                bytes,
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
        // SAFETY: as above; the block goes back to the kernel.
        unsafe {
            std::ptr::addr_of_mut!((*desc).hdr.bh1.block_status)
                .write_volatile(libc::TP_STATUS_KERNEL);
        }
        self.next = (self.next + 1) % self.blocks;
        Ok(count)
    }

    /// Frames the kernel dropped since last asked, for want of a free block
    /// (PACKET_STATISTICS, which asking resets).
    pub fn drops(&self) -> io::Result<u64> {
        // SAFETY: tpacket_stats_v3 is plain old data; all-zero is valid.
        let mut st: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: st and len describe a live buffer of the struct's size.
        let r = unsafe {
            libc::getsockopt(
                self.fd,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(st.tp_drops.into())
    }
}

impl Drop for RxRing {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `new` with this length and is not used after.
        unsafe {
            libc::munmap(self.map.cast(), self.block_size * self.blocks);
        }
    }
}
