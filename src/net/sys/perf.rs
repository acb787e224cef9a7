//! Perf events on a tracepoint with an mmap'd ring per CPU, read without blocking:
//! the kernel's drop reasons.

use std::io;
use std::os::fd::AsRawFd;

/// The effective user id: whether rawlab runs as root right now.
pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

/// What `clock` reads now, in nanoseconds since its epoch (clock_gettime).
pub fn clock_ns(clock: libc::clockid_t) -> io::Result<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a live timespec the call writes.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// `struct perf_event_attr` as far as PERF_ATTR_SIZE_VER5 (linux/perf_event.h): every
/// kernel since 4.1 takes this size, and it reaches `clockid`.
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    /// The bit fields: disabled is bit 0, use_clockid bit 25.
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
    branch_sample_type: u64,
    sample_regs_user: u64,
    sample_stack_user: u32,
    clockid: i32,
    sample_regs_intr: u64,
    aux_watermark: u32,
    sample_max_stack: u16,
    reserved_2: u16,
}

const _: () = assert!(std::mem::size_of::<PerfEventAttr>() == 112);

const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
const PERF_ATTR_DISABLED: u64 = 1 << 0;
const PERF_ATTR_USE_CLOCKID: u64 = 1 << 25;
/// A sample's fields (PERF_SAMPLE_*): the kernel writes those asked for in this order.
pub const PERF_SAMPLE_TIME: u64 = 1 << 2;
pub const PERF_SAMPLE_CPU: u64 = 1 << 7;
pub const PERF_SAMPLE_RAW: u64 = 1 << 10;
/// Record types in the ring (PERF_RECORD_*).
pub const PERF_RECORD_LOST: u32 = 2;
pub const PERF_RECORD_SAMPLE: u32 = 9;
const PERF_EVENT_IOC_ENABLE: libc::Ioctl = libc::_IO(b'$' as u32, 0);
const PERF_EVENT_IOC_SET_FILTER: libc::Ioctl = libc::_IOW::<*const libc::c_char>(b'$' as u32, 6);
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
    fd: std::os::fd::OwnedFd,
    map: *mut u8,
    map_len: usize,
    data_offset: usize,
    data_size: usize,
    /// A record that wraps past the ring's end is put back together here.
    scratch: Vec<u8>,
}

// SAFETY: the mapping belongs to this ring alone, and `drain` takes `&mut self`, so
// one thread at a time reads it and moves the tail.
unsafe impl Send for PerfRing {}

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
        let attr = PerfEventAttr {
            kind: PERF_TYPE_TRACEPOINT,
            size: std::mem::size_of::<PerfEventAttr>() as u32,
            config: id,
            sample_period: 1,
            sample_type,
            flags: PERF_ATTR_DISABLED | PERF_ATTR_USE_CLOCKID,
            clockid: clock,
            ..PerfEventAttr::default()
        };
        // SAFETY: attr is a live perf_event_attr whose size field says how much the
        // kernel may read; the other arguments are integers.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &attr as *const PerfEventAttr,
                -1 as libc::c_int,
                cpu as libc::c_int,
                -1 as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this descriptor to us alone.
        let fd =
            unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32) };
        // SAFETY: sysconf takes a name only.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let map_len = page * (1 + pages);
        // SAFETY: maps the event's ring at the length perf requires (1 + 2^n pages); the
        // result is checked before use. Writable, so rawlab's data_tail tells the kernel
        // which records it may write over (otherwise it overwrites the oldest).
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let map = map.cast::<u8>();
        // SAFETY: both fields lie inside the header page; kernels before 4.1 leave them 0.
        let (offset, size) = unsafe {
            (
                map.add(DATA_OFFSET).cast::<u64>().read_volatile() as usize,
                map.add(DATA_SIZE).cast::<u64>().read_volatile() as usize,
            )
        };
        let (data_offset, data_size) = if size == 0 {
            (page, map_len - page)
        } else {
            (offset, size)
        };
        Ok(PerfRing {
            fd,
            map,
            map_len,
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
        // SAFETY: the fd is a live perf event; c is a NUL-terminated string that
        // outlives the call.
        if unsafe { libc::ioctl(self.fd.as_raw_fd(), PERF_EVENT_IOC_SET_FILTER, c.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Starts counting and sampling.
    pub fn enable(&self) -> io::Result<()> {
        // SAFETY: the fd is a live perf event; ENABLE takes no argument.
        if unsafe { libc::ioctl(self.fd.as_raw_fd(), PERF_EVENT_IOC_ENABLE, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Hands every record the kernel has written since the last call to `each` (its
    /// type and the bytes after its 8-byte header), then gives their space back. Never
    /// blocks. Returns how many records there were.
    pub fn drain(&mut self, each: &mut dyn FnMut(u32, &[u8])) -> usize {
        use std::sync::atomic::{AtomicU64, Ordering};
        // SAFETY: data_head and data_tail are 8-aligned u64s inside the header page,
        // which lives as long as self; the kernel writes head, rawlab writes tail.
        let (head_word, tail_word) = unsafe {
            (
                AtomicU64::from_ptr(self.map.add(DATA_HEAD).cast::<u64>()),
                AtomicU64::from_ptr(self.map.add(DATA_TAIL).cast::<u64>()),
            )
        };
        // Acquire: the records the kernel wrote before moving head are visible after
        // reading it (the smp_rmb() perf_event_open(2) asks for).
        let head = head_word.load(Ordering::Acquire);
        let mut tail = tail_word.load(Ordering::Relaxed);
        let size = self.data_size as u64;
        // SAFETY: data_offset + data_size lies inside the mapping.
        let data = unsafe { self.map.add(self.data_offset) };
        let copy = |from: u64, out: &mut [u8]| {
            let at = (from % size) as usize;
            let first = out.len().min(self.data_size - at);
            // SAFETY: both pieces lie inside the data area: `first` bytes from `at`, and
            // the rest (shorter than the area) from its start. The kernel does not write
            // between tail and head until tail moves.
            unsafe {
                std::ptr::copy_nonoverlapping(data.add(at), out.as_mut_ptr(), first);
                std::ptr::copy_nonoverlapping(data, out.as_mut_ptr().add(first), out.len() - first);
            }
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
    let mut ends = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into `ends`.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return drop(rings);
    }
    let [read_end, write_end] = ends;
    let events: Vec<libc::c_int> = rings.iter().map(|r| r.fd.as_raw_fd()).collect();
    // What the child keeps open, in order: the events and the pipe's read end.
    let mut kept: Vec<libc::c_uint> = events.iter().map(|&fd| fd as libc::c_uint).collect();
    kept.push(read_end as libc::c_uint);
    kept.sort_unstable();
    // SAFETY: fork copies this thread alone; the child calls only async-signal-safe
    // functions (close_range, close, read, nanosleep, _exit) and reads `kept`,
    // `events` and errno, allocating nothing.
    if unsafe { libc::fork() } == 0 {
        let close_from_to = |lo: libc::c_uint, hi: libc::c_uint| {
            if lo > hi {
                return;
            }
            // SAFETY: closes the child's own copies of descriptors; nothing uses them.
            unsafe {
                if libc::syscall(libc::SYS_close_range, lo, hi, 0) != 0 {
                    // Before Linux 5.9: one at a time, as far as any fd rawlab opens.
                    for fd in lo..=hi.min(4095) {
                        libc::close(fd as libc::c_int);
                    }
                }
            }
        };
        let mut from = 0;
        for &fd in &kept {
            if fd > 0 {
                close_from_to(from, fd - 1);
            }
            from = fd + 1;
        }
        close_from_to(from, libc::c_uint::MAX);
        let interrupted = || io::Error::last_os_error().kind() == io::ErrorKind::Interrupted;
        // SAFETY: as above. read returns 0 once every write end is closed: the child's
        // went just now, rawlab's goes after its own copies of the events.
        unsafe {
            let mut byte = 0u8;
            while libc::read(read_end, (&mut byte as *mut u8).cast(), 1) < 0 && interrupted() {}
            let mut nap = libc::timespec {
                tv_sec: linger.as_secs() as libc::time_t,
                tv_nsec: linger.subsec_nanos() as libc::c_long,
            };
            while libc::nanosleep(&nap, &mut nap) != 0 && interrupted() {}
            for &fd in &events {
                libc::close(fd);
            }
            libc::_exit(0);
        }
    }
    // Quick while the child holds the events (as slow as ever if fork failed); then
    // the child may close them. The child is left for init to reap: this runs as
    // rawlab ends.
    drop(rings);
    // SAFETY: both ends are this process's own, used nowhere else.
    unsafe {
        libc::close(write_end);
        libc::close(read_end);
    }
}

impl Drop for PerfRing {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `tracepoint` with this length and is not used
        // after; the descriptor closes after it.
        unsafe {
            libc::munmap(self.map.cast(), self.map_len);
        }
    }
}
