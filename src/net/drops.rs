//! The kernel's own word on the packets it drops: the `skb:kfree_skb` tracepoint,
//! which names a reason for each drop (`ICMP_CSUM`, `NO_SOCKET`, …) and the kernel
//! code that dropped it. Opening it needs root, so rawlab opens it at start, before
//! it gives root up, and keeps only the descriptors; without root, or without
//! tracefs, [`Tracer::open`] says in one line why there are no drop reasons and how
//! to get them, and everything else works as before.
//!
//! This module reads tracefs's description of the event (which bytes hold what, and
//! this kernel's names for its reason numbers, which differ between kernels), turns
//! the samples into [`Drop`]s and says them in words. The perf event, its ring and
//! every `unsafe` line are in `sys`; nothing here knows sockets or sessions.
//!
//! The tracepoint is host-wide and carries no addresses: a drop seen here is *a*
//! packet of some protocol dropped at some time, never provably the learner's. Its
//! words say only that.

use crate::net::sys;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, Seek};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where tracefs may be mounted, in the order rawlab looks; it mounts nothing itself.
const TRACEFS: &[&str] = &["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
/// The event, under tracefs's `events/`.
const EVENT: &str = "events/skb/kfree_skb";
/// Pages of ring per CPU (a power of two): 32 KiB holds some 400 drops, and only
/// drops with a reason reach it (see [`noise`]); it is emptied whenever asked.
const RING_PAGES: usize = 8;
/// The history kept for a send to ask about after the fact: this many drops, none
/// older than [`HISTORY_AGE`].
const HISTORY_LEN: usize = 4096;
pub const HISTORY_AGE: Duration = Duration::from_secs(60);
/// What each sample carries besides the event's own record: when (on `clock`) and on
/// which CPU.
const SAMPLE: u64 = sys::PERF_SAMPLE_TIME | sys::PERF_SAMPLE_CPU | sys::PERF_SAMPLE_RAW;

/// The one line `status` gives when drop reasons need root.
pub const NEED_ROOT: &str = "drop reasons need root: run `sudo rawlab`";
/// The same for root of a user namespace (`unshare -Ur`), which the host's kernel
/// does not take for root.
pub const NEED_HOST_ROOT: &str =
    "drop reasons need root on the host, not a user namespace's: run `sudo rawlab`";

/// Where a field of the event's record lies, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAt {
    pub offset: usize,
    pub size: usize,
}

impl FieldAt {
    /// The field's value in `record` (native byte order, as the kernel wrote it), or
    /// None when the record is too short or the size is not an integer's.
    fn get(self, record: &[u8]) -> Option<u64> {
        let b = record.get(self.offset..self.offset + self.size)?;
        Some(match self.size {
            1 => b[0].into(),
            2 => u16::from_ne_bytes([b[0], b[1]]).into(),
            4 => u32::from_ne_bytes(b.try_into().ok()?).into(),
            8 => u64::from_ne_bytes(b.try_into().ok()?),
            _ => return None,
        })
    }
}

/// What tracefs's `format` file says about `skb:kfree_skb` on this kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// The kernel address the packet was freed from (the caller of kfree_skb).
    pub location: FieldAt,
    /// skb->protocol, already in host byte order (the event applies ntohs): an EtherType.
    pub protocol: FieldAt,
    /// enum skb_drop_reason.
    pub reason: FieldAt,
    /// This kernel's reason numbers and names, from the `__print_symbolic` list of
    /// its print fmt, in the order given.
    pub reasons: Vec<(u32, String)>,
}

impl Format {
    /// Reads a `format` file's text: the offsets of `location`, `protocol` and
    /// `reason`, and the reason names. The error says what is missing.
    pub fn parse(text: &str) -> Result<Format, String> {
        let mut fields: HashMap<&str, FieldAt> = HashMap::new();
        for line in text.lines() {
            let Some(decl) = line.trim().strip_prefix("field:") else {
                continue;
            };
            let mut parts = decl.split(';').map(str::trim);
            // `void * location`, `char name[16]`: the name is the last word.
            let name = parts
                .next()
                .and_then(|d| d.split_whitespace().last())
                .map(|n| n.split('[').next().unwrap_or(n));
            let mut offset = None;
            let mut size = None;
            for p in parts {
                if let Some(v) = p.strip_prefix("offset:") {
                    offset = v.trim().parse().ok();
                } else if let Some(v) = p.strip_prefix("size:") {
                    size = v.trim().parse().ok();
                }
            }
            if let (Some(name), Some(offset), Some(size)) = (name, offset, size) {
                fields.insert(name, FieldAt { offset, size });
            }
        }
        let field = |name: &str| {
            fields
                .get(name)
                .copied()
                .ok_or_else(|| format!("this kernel's skb:kfree_skb has no `{name}` field"))
        };
        let reason = field("reason")
            .map_err(|e| format!("{e}, so it names no drop reason (Linux 5.17 added them)"))?;
        Ok(Format {
            location: field("location")?,
            protocol: field("protocol")?,
            reason,
            reasons: symbolic(text, "REC->reason"),
        })
    }

    /// This kernel's name for reason number `n`.
    pub fn reason_name(&self, n: u32) -> Option<&str> {
        self.reasons
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, name)| name.as_str())
    }

    /// This kernel's number for the reason named `name`.
    pub fn reason_number(&self, name: &str) -> Option<u32> {
        self.reasons
            .iter()
            .find(|(_, m)| m == name)
            .map(|(n, _)| *n)
    }

    /// Location, protocol and reason number from one record, or None when it is too
    /// short for them.
    fn read(&self, record: &[u8]) -> Option<(u64, u16, u32)> {
        Some((
            self.location.get(record)?,
            self.protocol.get(record)? as u16,
            self.reason.get(record)? as u32,
        ))
    }
}

/// The `{ number, "NAME" }` pairs of the `__print_symbolic(ARG, …)` call on `arg`
/// in a print fmt. A pair whose number is still an enum's name (a kernel that did
/// not rewrite it) is left out: its number cannot be known.
fn symbolic(text: &str, arg: &str) -> Vec<(u32, String)> {
    let start = format!("__print_symbolic({arg},");
    let Some(at) = text.find(&start) else {
        return Vec::new();
    };
    let mut rest = &text[at + start.len()..];
    let mut out = Vec::new();
    while let Some(open) = rest.find(['{', ')']) {
        if rest.as_bytes()[open] == b')' {
            break;
        }
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let pair = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let Some((num, name)) = pair.split_once(',') else {
            continue;
        };
        let num = num.trim();
        let num = match num.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        let name = name.trim().trim_matches('"');
        if let Some(n) = num {
            out.push((n, name.to_string()));
        }
    }
    out
}

/// Reasons that are not drops worth showing. NOT_SPECIFIED (a plain kfree_skb() that
/// names no reason) is left out by default: the kernel frees packets that way all the
/// time, for reasons it does not say, and a learner cannot tell one of those from
/// another. CONSUMED and NOT_DROPPED_YET are not drops at all (kernels that list them
/// report some packets used up normally through this event); they are always left out.
fn noise(format: &Format, keep_unspecified: bool) -> Vec<u32> {
    let mut names = vec!["CONSUMED", "NOT_DROPPED_YET"];
    if !keep_unspecified {
        names.push("NOT_SPECIFIED");
    }
    names
        .into_iter()
        .filter_map(|n| format.reason_number(n))
        .collect()
}

/// The tracefs filter that keeps `noise` out of the ring: `reason != 2 && reason != 1`.
fn filter(noise: &[u32]) -> Option<String> {
    (!noise.is_empty()).then(|| {
        noise
            .iter()
            .map(|n| format!("reason != {n}"))
            .collect::<Vec<_>>()
            .join(" && ")
    })
}

/// CPUs as /sys/devices/system/cpu/online lists them: `0-3,8,10-11`.
fn parse_cpus(list: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    out.extend(a..=b);
                }
            }
            None => out.extend(part.parse::<u32>().ok()),
        }
    }
    out
}

fn online_cpus() -> Vec<u32> {
    let listed = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .map(|s| parse_cpus(&s))
        .unwrap_or_default();
    if listed.is_empty() {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        (0..n as u32).collect()
    } else {
        listed
    }
}

/// One drop the kernel reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drop {
    /// When the kernel dropped it (the sample's stamp, on the wall clock).
    pub when: SystemTime,
    /// This kernel's name for the reason (`ICMP_CSUM`), or its number in words when
    /// the kernel's list has no name for it.
    pub reason: String,
    /// The kernel function that dropped it (`icmp_rcv`), when /proc/kallsyms names it.
    pub function: Option<String>,
    /// skb->protocol: the EtherType of what was dropped (0x0800 IPv4).
    pub protocol: u16,
}

impl Drop {
    /// `a drop of an IPv4 packet, reason ICMP_CSUM, in icmp_rcv, 14 µs after #1 left`:
    /// what was seen, placed against a send. The tracepoint carries no addresses, so
    /// the words never say whose packet it was.
    pub fn words(&self, sent_at: SystemTime, sent_no: u64) -> String {
        let when = match self.when.duration_since(sent_at) {
            Ok(d) => format!("{} after", crate::render::duration_words(d)),
            Err(e) => format!("{} before", crate::render::duration_words(e.duration())),
        };
        format!("{}, {when} #{sent_no} left", self.what())
    }

    /// The same, placed on the clock (UTC) when there is no send to place it against.
    pub fn words_at(&self) -> String {
        format!(
            "{}, at {}",
            self.what(),
            crate::render::clock::utc(self.when, 6)
        )
    }

    /// `a drop of an IPv4 packet, reason ICMP_CSUM, in icmp_rcv`.
    fn what(&self) -> String {
        let mut s = format!(
            "a drop of {}, reason {}",
            protocol_words(self.protocol),
            self.reason
        );
        if let Some(f) = &self.function {
            s.push_str(", in ");
            s.push_str(f);
        }
        s
    }
}

/// Drops of one kind (protocol, reason, function) that followed one send: the first
/// of them and how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub first: Drop,
    pub count: usize,
    /// The send they followed (its time and number), when there was one.
    pub after: Option<(SystemTime, u64)>,
}

impl Kind {
    /// The first drop's words, and how many were like it: `a drop of an IPv4 packet,
    /// reason NO_SOCKET, in ping_rcv, 35 µs after #1 left (the first of 3 like it)`.
    pub fn words(&self) -> String {
        let mut s = match self.after {
            Some((t, no)) => self.first.words(t, no),
            None => self.first.words_at(),
        };
        if self.count > 1 {
            s.push_str(&format!(" (the first of {} like it)", self.count));
        }
        s
    }
}

/// Gathers `drops` (oldest first) by kind and by the send each followed (`sends`,
/// oldest first: time and number), in the order each kind first came. A flood of one
/// kind is then one line, and the drop nearest a send stays in sight.
pub fn by_kind(drops: &[Drop], sends: &[(SystemTime, u64)]) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = Vec::new();
    // (protocol, reason, function, the send's number) → its place in `kinds`.
    type Key<'a> = (u16, &'a str, Option<&'a str>, Option<u64>);
    let mut at: HashMap<Key, usize> = HashMap::new();
    for d in drops {
        let after = sends
            .partition_point(|(t, _)| *t <= d.when)
            .checked_sub(1)
            .map(|i| sends[i]);
        let key = (
            d.protocol,
            d.reason.as_str(),
            d.function.as_deref(),
            after.map(|(_, no)| no),
        );
        match at.get(&key) {
            Some(&i) => kinds[i].count += 1,
            None => {
                at.insert(key, kinds.len());
                kinds.push(Kind {
                    first: d.clone(),
                    count: 1,
                    after,
                });
            }
        }
    }
    kinds
}

/// `an IPv4 packet`, `a packet of EtherType 0x88cc (lldp)`: what skb->protocol says
/// was dropped.
pub fn protocol_words(protocol: u16) -> String {
    match protocol {
        0x0800 => "an IPv4 packet".into(),
        0x86dd => "an IPv6 packet".into(),
        0x0806 => "an ARP packet".into(),
        0 => "a packet whose buffer names no protocol".into(),
        p => match crate::wire::eth::TYPE_NAMES
            .iter()
            .find(|(n, _)| *n == u128::from(p))
        {
            Some((_, name)) => format!("a packet of EtherType 0x{p:04x} ({name})"),
            None => format!("a packet of EtherType 0x{p:04x}"),
        },
    }
}

/// A drop as the ring gave it: numbers only, named when shown.
#[derive(Debug, Clone, Copy)]
struct Seen {
    when: SystemTime,
    location: u64,
    protocol: u16,
    reason: u32,
}

/// A sample's body as [`SAMPLE`] asks for it (time, then CPU and a reserved word,
/// then the raw record's length and the record), unless its reason is `noise`.
fn sample(format: &Format, noise: &[u32], body: &[u8], offset: i128) -> Option<Seen> {
    let time = u64::from_ne_bytes(body.get(0..8)?.try_into().ok()?);
    let raw_len = u32::from_ne_bytes(body.get(16..20)?.try_into().ok()?) as usize;
    let record = body.get(20..20 + raw_len)?;
    let (location, protocol, reason) = format.read(record)?;
    if noise.contains(&reason) {
        return None;
    }
    Some(Seen {
        when: Clock::wall(time, offset),
        location,
        protocol,
        reason,
    })
}

/// The samples a PERF_RECORD_LOST says the kernel could not write (after the
/// event's id).
fn lost(body: &[u8]) -> u64 {
    body.get(8..16)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_ne_bytes)
}

/// The clock that stamps the samples, and how its readings go on the wall clock.
/// perf takes only clocks it can read from any context for a tracepoint (Linux 6.18
/// refuses CLOCK_REALTIME and CLOCK_BOOTTIME with EINVAL), so samples are stamped
/// on the monotonic clock and moved by how far the wall clock is ahead of it when
/// they are read. That is exact unless the wall clock was stepped, or the machine
/// suspended, between a drop and its reading.
struct Clock;

impl Clock {
    const ID: libc::clockid_t = libc::CLOCK_MONOTONIC;

    /// How far the wall clock is ahead of the samples' clock now, in ns.
    fn offset() -> i128 {
        let (Ok(wall), Ok(ours)) = (
            sys::clock_ns(libc::CLOCK_REALTIME),
            sys::clock_ns(Clock::ID),
        ) else {
            return 0;
        };
        i128::from(wall) - i128::from(ours)
    }

    /// A sample's stamp on the wall clock.
    fn wall(ns: u64, offset: i128) -> SystemTime {
        let t = (i128::from(ns) + offset).max(0) as u128;
        UNIX_EPOCH + Duration::new((t / 1_000_000_000) as u64, (t % 1_000_000_000) as u32)
    }
}

/// The kernel's symbol table, opened as root so that it shows addresses after root is
/// given up (the kernel decides at open whether this reader may see them), and read
/// only when a drop is shown: reading it all costs tens of milliseconds.
struct Symbols {
    file: Option<File>,
    /// Each location asked about, and the function it lies in.
    known: HashMap<u64, Option<String>>,
}

impl Symbols {
    /// Names the function each of `locations` lies in, reading the table once for
    /// all the ones not known yet.
    fn resolve(&mut self, locations: impl IntoIterator<Item = u64>) {
        let mut wanted: Vec<u64> = locations
            .into_iter()
            .filter(|l| !self.known.contains_key(l))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return;
        }
        let found = match self.file.as_mut() {
            Some(f) => f
                .rewind()
                .and_then(|()| functions_at(io::BufReader::new(&*f), &wanted)),
            None => Ok(vec![None; wanted.len()]),
        };
        let found = found.unwrap_or_else(|_| {
            // A table that cannot be read now will not be read later either.
            self.file = None;
            vec![None; wanted.len()]
        });
        self.known.extend(wanted.into_iter().zip(found));
    }

    fn name(&self, location: u64) -> Option<String> {
        self.known.get(&location).cloned().flatten()
    }
}

/// A function is taken to hold an address at most this far past its start; farther,
/// the address is in something the table does not list.
const LONGEST_FUNCTION: u64 = 1 << 20;

/// For each of `wanted` (sorted), the text symbol at or below it in a kallsyms
/// table (`ffffffff81a2b3c0 T icmp_rcv`, a module's as `name [module]`), in one
/// pass. A table whose addresses are all zero (kptr_restrict) names nothing.
///
/// The kernel writes the table as it is read, tens of milliseconds for all of it, so
/// the reading stops once every address has a symbol and the table has gone past
/// them all: the kernel's own symbols come first, sorted by address, and no
/// module's lies inside the kernel's own code.
fn functions_at(mut table: impl BufRead, wanted: &[u64]) -> io::Result<Vec<Option<String>>> {
    let mut best: Vec<Option<(u64, String)>> = vec![None; wanted.len()];
    let last = wanted.last().copied().unwrap_or(0);
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        if table.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            continue;
        };
        let mut words = text.split_whitespace();
        let (Some(addr), Some(kind), Some(name)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        if addr > last && best.iter().all(Option::is_some) {
            break;
        }
        if addr == 0 || !matches!(kind, "t" | "T" | "w" | "W") {
            continue;
        }
        let module = words.next();
        // The wanted addresses this symbol could hold: those at or above it.
        let from = wanted.partition_point(|w| *w < addr);
        for (w, b) in wanted[from..].iter().zip(&mut best[from..]) {
            if w - addr > LONGEST_FUNCTION {
                break;
            }
            if b.as_ref().is_none_or(|(a, _)| addr > *a) {
                let full = match module {
                    Some(module) => format!("{name} {module}"),
                    None => name.to_string(),
                };
                *b = Some((addr, full));
            }
        }
    }
    Ok(best.into_iter().map(|b| b.map(|(_, n)| n)).collect())
}

struct State {
    rings: Vec<sys::PerfRing>,
    history: VecDeque<Seen>,
    /// Drops seen since the tracer opened (noise left out), kept or not.
    seen: u64,
    /// Samples the kernel could not write because a ring was full.
    lost: u64,
    symbols: Symbols,
}

/// The `skb:kfree_skb` tracepoint, open on every CPU: drops the kernel reports,
/// drained from the rings whenever asked, and kept a while.
pub struct Tracer {
    format: Format,
    /// Reason numbers left out (see [`noise`]).
    noise: Vec<u32>,
    /// Where tracefs was found.
    pub tracefs: PathBuf,
    state: Mutex<State>,
}

/// How long the events outlive rawlab, held by a child it forks as it ends. The
/// kernel unregisters a tracepoint from perf when its last perf event closes, and
/// waits for RCU grace periods holding the lock every open and every read of the
/// event's `format` takes: a run as root that starts during that wait waits too
/// (30–40 ms). Held a second longer, runs that follow one another (a script of
/// lessons, a test suite) find the tracepoint still registered, and the wait comes
/// once, after the last, when nobody waits for it.
const LINGER: Duration = Duration::from_secs(1);

impl std::ops::Drop for Tracer {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        sys::close_rings_apart(std::mem::take(&mut st.rings), LINGER);
    }
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("tracefs", &self.tracefs)
            .field("reasons", &self.format.reasons.len())
            .finish_non_exhaustive()
    }
}

/// A one-line why for a file of tracefs that could not be read.
fn unreadable(path: &Path, e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::PermissionDenied {
        NEED_HOST_ROOT.to_string()
    } else {
        format!("could not read {}: {e}", path.display())
    }
}

impl Tracer {
    /// Opens the tracepoint, leaving NOT_SPECIFIED drops out (see [`noise`]). Must run
    /// as root; the error is one line saying why not and how to get drop reasons.
    pub fn open() -> Result<Tracer, String> {
        Tracer::open_with(false)
    }

    /// Opens the tracepoint; `keep_unspecified` keeps drops that name no reason.
    pub fn open_with(keep_unspecified: bool) -> Result<Tracer, String> {
        if sys::euid() != 0 {
            return Err(NEED_ROOT.into());
        }
        if !crate::net::sys::in_first_user_namespace() {
            return Err(NEED_HOST_ROOT.into());
        }
        let tracefs = TRACEFS
            .iter()
            .map(PathBuf::from)
            .find(|d| d.join("events").is_dir())
            .ok_or("tracefs is not mounted: `sudo mount -t tracefs nodev /sys/kernel/tracing`")?;
        let event = tracefs.join(EVENT);
        let read = |name: &str| {
            let path = event.join(name);
            std::fs::read_to_string(&path).map_err(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    format!(
                        "this kernel has no skb:kfree_skb tracepoint ({} is missing)",
                        event.display()
                    )
                } else {
                    unreadable(&path, &e)
                }
            })
        };
        let id: u64 = read("id")?
            .trim()
            .parse()
            .map_err(|_| format!("{}/id holds no event number", event.display()))?;
        let format = Format::parse(&read("format")?)?;
        let noise = noise(&format, keep_unspecified);
        let filter = filter(&noise);
        let mut rings = Vec::new();
        for cpu in online_cpus() {
            let ring = match sys::PerfRing::tracepoint(id, cpu, SAMPLE, Clock::ID, RING_PAGES) {
                Ok(r) => r,
                // A CPU that went offline since the list was read.
                Err(e) if e.raw_os_error() == Some(libc::ENODEV) && !rings.is_empty() => continue,
                Err(e) => {
                    return Err(match e.raw_os_error() {
                        Some(libc::EACCES | libc::EPERM) => format!(
                            "the kernel refused skb:kfree_skb to perf_event_open even as root ({e}): a security module or lockdown may forbid tracing here"
                        ),
                        _ => format!("perf_event_open refused skb:kfree_skb on CPU {cpu}: {e}"),
                    });
                }
            };
            // Without the filter the noise is left out here instead, after the kernel
            // has written it: the ring fills sooner, nothing else changes.
            if let Some(f) = &filter {
                let _ = ring.set_filter(f);
            }
            rings.push(ring);
        }
        for r in &rings {
            r.enable()
                .map_err(|e| format!("could not enable skb:kfree_skb: {e}"))?;
        }
        Ok(Tracer {
            format,
            noise,
            tracefs,
            state: Mutex::new(State {
                rings,
                history: VecDeque::new(),
                seen: 0,
                lost: 0,
                symbols: Symbols {
                    file: File::open("/proc/kallsyms").ok(),
                    known: HashMap::new(),
                },
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes what the rings hold into the history, without waiting, and forgets what
    /// is too old.
    fn drain(&self, st: &mut State) {
        let offset = Clock::offset();
        let mut fresh = Vec::new();
        let mut lost_now = 0;
        for ring in &mut st.rings {
            ring.drain(&mut |kind, body| match kind {
                sys::PERF_RECORD_SAMPLE => {
                    if let Some(s) = sample(&self.format, &self.noise, body, offset) {
                        fresh.push(s);
                    }
                }
                sys::PERF_RECORD_LOST => lost_now += lost(body),
                _ => {}
            });
        }
        // Each CPU's ring is in order; together they are not.
        fresh.sort_by_key(|s| s.when);
        st.seen += fresh.len() as u64;
        st.lost += lost_now;
        st.history.extend(fresh);
        let too_old = SystemTime::now()
            .checked_sub(HISTORY_AGE)
            .unwrap_or(UNIX_EPOCH);
        while st
            .history
            .front()
            .is_some_and(|s| st.history.len() > HISTORY_LEN || s.when < too_old)
        {
            st.history.pop_front();
        }
    }

    /// The drops between `from` and `to` (inclusive), of one protocol (an EtherType)
    /// or all, oldest first, from the history kept (the last minute, at most 4096).
    pub fn drops(&self, from: SystemTime, to: SystemTime, protocol: Option<u16>) -> Vec<Drop> {
        let mut st = self.state();
        self.drain(&mut st);
        let chosen: Vec<Seen> = st
            .history
            .iter()
            .filter(|s| s.when >= from && s.when <= to)
            .filter(|s| protocol.is_none_or(|p| p == s.protocol))
            .copied()
            .collect();
        self.named(&mut st, &chosen)
    }

    /// The last `n` drops kept, oldest first.
    pub fn last(&self, n: usize) -> Vec<Drop> {
        let mut st = self.state();
        self.drain(&mut st);
        let skip = st.history.len().saturating_sub(n);
        let chosen: Vec<Seen> = st.history.iter().skip(skip).copied().collect();
        self.named(&mut st, &chosen)
    }

    /// How many drops were seen since the tracer opened, and how many more the kernel
    /// could not report because a ring was full, as of the last [`Tracer::drops`] or
    /// [`Tracer::last`] (so the counts agree with the drops they returned).
    pub fn counts(&self) -> (u64, u64) {
        let st = self.state();
        (st.seen, st.lost)
    }

    /// Whether drops that name no reason are kept.
    pub fn keeps_unspecified(&self) -> bool {
        self.format
            .reason_number("NOT_SPECIFIED")
            .is_some_and(|n| !self.noise.contains(&n))
    }

    /// Drops in words' terms: reasons named, functions looked up (once per location).
    fn named(&self, st: &mut State, seen: &[Seen]) -> Vec<Drop> {
        st.symbols.resolve(seen.iter().map(|s| s.location));
        seen.iter()
            .map(|s| Drop {
                when: s.when,
                reason: match self.format.reason_name(s.reason) {
                    Some(n) => n.to_string(),
                    None => format!("number {} (this kernel's list does not name it)", s.reason),
                },
                function: st.symbols.name(s.location),
                protocol: s.protocol,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
