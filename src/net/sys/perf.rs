//! Perf events on a tracepoint with an mmap'd ring per CPU, read without blocking:
//! the kernel's drop reasons.

use super::ffi::{self, PerfEventAttr, SharedMap};
use std::io;
use std::os::fd::AsRawFd;

/// The effective user id: whether rawlab runs as root right now.
pub fn euid() -> u32 {
    ffi::geteuid()
}

/// What `clock` reads now, in nanoseconds since its epoch (clock_gettime).
pub fn clock_ns(clock: libc::clockid_t) -> io::Result<u64> {
    let ts = ffi::clock_gettime(clock)?;
    Ok(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_ATTR_DISABLED: u64 = 1 << 0;
const PERF_ATTR_USE_CLOCKID: u64 = 1 << 25;
/// A sample's fields (PERF_SAMPLE_*): the kernel writes those asked for in this order.
pub const PERF_SAMPLE_TIME: u64 = 1 << 2;
pub const PERF_SAMPLE_CPU: u64 = 1 << 7;
pub const PERF_SAMPLE_RAW: u64 = 1 << 10;
/// Record types in the ring (PERF_RECORD_*).
pub const PERF_RECORD_LOST: u32 = 2;
pub const PERF_RECORD_SAMPLE: u32 = 9;
/// Where `struct perf_event_mmap_page` keeps data_head, data_tail, data_offset and
/// data_size (each a u64).
const DATA_HEAD: usize = 1024;
const DATA_TAIL: usize = 1032;
const DATA_OFFSET: usize = 1040;
const DATA_SIZE: usize = 1048;

/// One CPU's perf event and the ring the kernel writes its records into, shared with
/// rawlab by mmap. Once open, reading it needs no privilege: the descriptor is what
/// the kernel checked.
pub struct PerfRing {
    /// Unmapped before the descriptor closes (fields drop in order).
    map: SharedMap,
    fd: std::os::fd::OwnedFd,
    data_offset: usize,
    data_size: usize,
    /// A record that wraps past the ring's end is put back together here.
    scratch: Vec<u8>,
}

impl PerfRing {
    /// Opens tracepoint `id` (tracefs's events/…/id) on one CPU for every process
    /// (pid -1), taking a sample of each hit with the fields `sample_type` names, stamped
    /// by `clock`; it stays disabled until [`PerfRing::enable`]. Maps one page of
    /// header and `pages` pages of ring (a power of two).
    pub fn tracepoint(
        id: u64,
        cpu: u32,
        sample_type: u64,
        clock: libc::clockid_t,
        pages: usize,
    ) -> io::Result<PerfRing> {
        let mut attr = PerfEventAttr {
            kind: PERF_TYPE_TRACEPOINT,
            size: std::mem::size_of::<PerfEventAttr>() as u32,
            config: id,
            sample_period: 1,
            sample_type,
            flags: PERF_ATTR_DISABLED | PERF_ATTR_USE_CLOCKID,
            clockid: clock,
            ..PerfEventAttr::default()
        };
        let fd = ffi::perf_event_open(&mut attr, cpu)?;
        let page = ffi::page_size();
        let map_len = page * (1 + pages);
        // The event's ring at the length perf requires (1 + 2^n pages). Writable, so
        // rawlab's data_tail tells the kernel which records it may write over
        // (otherwise it overwrites the oldest).
        let map = SharedMap::new(fd.as_raw_fd(), map_len)?;
        // Both fields lie inside the header page; kernels before 4.1 leave them 0.
        let offset = map.read_volatile_u64(DATA_OFFSET) as usize;
        let size = map.read_volatile_u64(DATA_SIZE) as usize;
        let (data_offset, data_size) = if size == 0 {
            (page, map_len - page)
        } else {
            (offset, size)
        };
        Ok(PerfRing {
            map,
            fd,
            data_offset,
            data_size,
            scratch: Vec::new(),
        })
    }

    /// Lets only the hits `filter` matches into the ring (ftrace's filter syntax on the
    /// event's fields, `reason != 2`), so the kernel does not even write the others.
    pub fn set_filter(&self, filter: &str) -> io::Result<()> {
        let c = std::ffi::CString::new(filter)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a filter"))?;
        ffi::perf_set_filter(&self.fd, &c)
    }

    /// Starts counting and sampling.
    pub fn enable(&self) -> io::Result<()> {
        ffi::perf_enable(&self.fd)
    }

    /// Hands every record the kernel has written since the last call to `each` (its
    /// type and the bytes after its 8-byte header), then gives their space back. Never
    /// blocks. Returns how many records there were.
    pub fn drain(&mut self, each: &mut dyn FnMut(u32, &[u8])) -> usize {
        use std::sync::atomic::Ordering;
        // data_head and data_tail are u64s in the header page, which lives as long as
        // self; the kernel writes head, rawlab writes tail.
        let (head_word, tail_word) = (
            self.map.atomic_u64(DATA_HEAD),
            self.map.atomic_u64(DATA_TAIL),
        );
        // Acquire: the records the kernel wrote before moving head are visible after
        // reading it (the smp_rmb() perf_event_open(2) asks for).
        let head = head_word.load(Ordering::Acquire);
        let mut tail = tail_word.load(Ordering::Relaxed);
        let size = self.data_size as u64;
        let (map, data) = (&self.map, self.data_offset);
        let copy = |from: u64, out: &mut [u8]| {
            let at = (from % size) as usize;
            let first = out.len().min(self.data_size - at);
            // `first` bytes from `at`, and the rest (shorter than the area) from its
            // start. The kernel does not write between tail and head until tail moves.
            let (a, b) = out.split_at_mut(first);
            map.copy_out(data + at, a);
            map.copy_out(data, b);
        };
        let mut count = 0;
        let mut scratch = std::mem::take(&mut self.scratch);
        while head.wrapping_sub(tail) >= 8 {
            let mut hdr = [0u8; 8];
            copy(tail, &mut hdr);
            let kind = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
            let len = u16::from_ne_bytes([hdr[6], hdr[7]]) as u64;
            if len < 8 || len > size || head.wrapping_sub(tail) < len {
                // Not a record: give up on what is left rather than read garbage.
                tail = head;
                break;
            }
            scratch.resize(len as usize - 8, 0);
            copy(tail + 8, &mut scratch);
            each(kind, &scratch);
            tail += len;
            count += 1;
        }
        self.scratch = scratch;
        // Release: every read of the records happens before the kernel may write over
        // them (the smp_mb() before writing data_tail).
        tail_word.store(tail, Ordering::Release);
        count
    }
}

/// Closes perf rings without making rawlab wait for the kernel. The last close of a
/// tracepoint's perf events waits for RCU grace periods before it returns (30–40 ms
/// here, on Linux 6.18), and a process has not exited until its files are closed,
/// so every run as root would end that much later. A forked child takes copies of
/// the descriptors and does the waiting instead: it closes every other descriptor it
/// inherited, so no pipe or terminal waits on it, waits until rawlab has closed its
/// own copies (the end of a pipe), keeps the events `linger` longer, then closes
/// them, which is now the last close, and exits.
pub fn close_rings_apart(rings: Vec<PerfRing>, linger: std::time::Duration) {
    if rings.is_empty() {
        return;
    }
    let Ok((read_end, write_end)) = ffi::pipe() else {
        return drop(rings);
    };
    let events: Vec<libc::c_int> = rings.iter().map(|r| r.fd.as_raw_fd()).collect();
    ffi::fork_lingerer(&events, &read_end, linger);
    // Quick while the child holds the events (as slow as ever if fork failed); then
    // the child may close them. The child is left for init to reap: this runs as
    // rawlab ends.
    drop(rings);
    drop(write_end);
    drop(read_end);
}
