//! Shows packets as they arrive, in number order, each related to the ones
//! before it (`lab::Relater`), and remembers what it found so `dump N` can
//! draw a packet again. Shared by the executor and the REPL's printer thread.
//!
//! On a shared host, a captured packet that nothing in this session explains
//! (not a send's copy, not a reply, not a flow this session started) is
//! someone else's: it gets one dim, labelled line instead of a full dump, so a
//! classroom on one machine never reads another learner's replies as theirs.

use crate::capture::{Origin, Packet, Store};
use crate::lab::Relation;
use crate::lab::words::annotate;
use crate::net::Mode;
use crate::render::{self, Dump, Style, Tone};
use crate::wire::Fill;
use crate::wire::dissect::dissect;
use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// How much of each packet to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The annotated dump (a sent packet gets one line).
    Full,
    /// Nothing for this session's own packets (ping prints its own lines), one line for others.
    Quiet,
    /// One line for every packet (`load`: `dump N` draws one in full).
    Lines,
    /// For lessons: the annotated dump with only the fields that have something to say
    /// (what the kernel changed, what a reply changed, a wrong checksum, a note);
    /// `dump N` still draws every field.
    Teach,
}

/// A packet just shown, and what it was found to be.
pub struct Shown {
    pub packet: Arc<Packet>,
    pub relations: Vec<Relation>,
}

pub struct Shower {
    pub store: Arc<Store>,
    pub style: Style,
    /// Whether other programs' traffic can reach our sockets (the host's network).
    shared: bool,
    start: SystemTime,
    /// (protocol, flow) pairs this session started: ping's identifier, trigger sockets.
    own: Mutex<HashSet<(&'static str, u64)>>,
    /// Lines from background work (a trigger finishing), shown with the next packets.
    notes: Mutex<Vec<String>>,
    detail: Mutex<Detail>,
    /// A lesson's dump has explained checksum offload once already.
    offload_told: std::sync::atomic::AtomicBool,
    /// Packets that left the ring before they were shown, all told: what was never
    /// matched to a request (see [`Shower::unseen`]).
    unseen: AtomicU64,
    /// At most this many packets are drawn each time (see [`Shower::at_most`]).
    at_most: std::sync::atomic::AtomicUsize,
    /// `listen … where`: the listeners (by socket label) whose packets are shown only
    /// when their filter passes them.
    filters: Mutex<Vec<(String, crate::command::filter::Filter)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shower {
    pub fn new(store: Arc<Store>, style: Style, shared: bool) -> Shower {
        Shower {
            store,
            style,
            shared,
            start: SystemTime::now(),
            own: Mutex::new(HashSet::new()),
            notes: Mutex::new(Vec::new()),
            filters: Mutex::new(Vec::new()),
            detail: Mutex::new(Detail::Full),
            offload_told: std::sync::atomic::AtomicBool::new(false),
            unseen: AtomicU64::new(0),
            at_most: std::sync::atomic::AtomicUsize::new(usize::MAX),
        }
    }

    /// How many packets have left the ring unseen since the session began: a send
    /// compares it before and after, since a reply among them was never matched.
    pub fn unseen(&self) -> u64 {
        self.unseen.load(Ordering::Relaxed)
    }

    /// Marks a flow as this session's (ICMP echo identifier `flow` for proto "icmp").
    pub fn own_flow(&self, proto: &'static str, flow: u64) {
        lock(&self.own).insert((proto, flow));
    }

    /// A line to show with the next packets (from a background thread).
    pub fn note(&self, text: String) {
        lock(&self.notes).push(text);
        self.store.nudge();
    }

    /// Sets how much to draw; returns what it was.
    pub fn set_detail(&self, d: Detail) -> Detail {
        std::mem::replace(&mut *lock(&self.detail), d)
    }

    /// What was found about packet `no` when it came in.
    pub fn relations_of(&self, no: u64) -> Vec<Relation> {
        self.store
            .get(no)
            .map(|p| p.relations().to_vec())
            .unwrap_or_default()
    }

    /// Forgets every packet and what was found about them.
    pub fn clear(&self) {
        self.store.clear();
    }

    /// Draws every packet not shown yet, and any pending notes. The caller holds the
    /// store's print lock.
    pub fn show_pending(&self, out: &mut dyn Write) -> io::Result<Vec<Shown>> {
        self.show_at_most(out, self.at_most.load(Ordering::Relaxed))
    }

    /// Shows of what the listener `label` captures only what `f` passes.
    pub fn filter(&self, label: &str, f: crate::command::filter::Filter) {
        let mut filters = lock(&self.filters);
        filters.retain(|(l, _)| l != label);
        filters.push((label.to_string(), f));
    }

    /// Every listener's packets shown again (they are closed).
    pub fn unfilter(&self) {
        lock(&self.filters).clear();
    }

    /// Whether a filter keeps `p` from being drawn.
    fn filtered_out(&self, p: &Packet) -> bool {
        let Origin::Captured { socket, .. } = &p.origin else {
            return false;
        };
        let filters = lock(&self.filters);
        filters
            .iter()
            .find(|(l, _)| l.as_str() == &**socket)
            .is_some_and(|(_, f)| !f.matches(&p.bytes, &dissect(&p.bytes, p.first)))
    }

    /// Draws at most `n` packets each time packets are shown, counting the rest as
    /// passed over: for a terminal, which a flood would otherwise bury for seconds.
    pub fn at_most(&self, n: usize) {
        self.at_most.store(n.max(1), Ordering::Relaxed);
    }

    /// Draws at most `max` of the packets not shown yet, in order, and counts the rest
    /// as passed over in one line: a terminal shows a few hundred dumps a second, and a
    /// flood is tens of thousands, so the rest are numbered and related but not drawn
    /// (`dump N` draws any of them). Memory stays as flat as the ring.
    pub fn show_at_most(&self, out: &mut dyn Write, max: usize) -> io::Result<Vec<Shown>> {
        let (mut packets, skipped) = self.store.take_unshown();
        // Nothing is drawn of this session's own packets while quiet (ping's lines).
        let max = if *lock(&self.detail) == Detail::Quiet {
            usize::MAX
        } else {
            max
        };
        let passed = packets.len().saturating_sub(max);
        let passed_over = packets.split_off(packets.len() - passed);
        self.unseen.fetch_add(skipped, Ordering::Relaxed);
        if skipped > 0 {
            let text = format!(
                "… {skipped} packets arrived faster than they could be shown and left the ring unseen"
            );
            writeln!(out, "{}", self.style.paint(&text, Tone::Note))?;
        }
        let detail = *lock(&self.detail);
        let mut shown = Vec::with_capacity(packets.len());
        for p in packets {
            let relations = p.relations().to_vec();
            let own = self.is_own(&p, &relations);
            // A listener's filter hides it from view only: it is still handed on.
            let detail = if self.filtered_out(&p) {
                Detail::Quiet
            } else {
                detail
            };
            match (detail, own) {
                (Detail::Quiet, _) if !own => {}
                (_, false) => writeln!(
                    out,
                    "{}",
                    self.style.paint(
                        &format!(
                            "{} · not from this session: another program's traffic",
                            self.line(&p)
                        ),
                        Tone::Dim
                    )
                )?,
                (Detail::Full, true) => self.draw(out, &p, &relations, false)?,
                (Detail::Teach, true) => self.draw(out, &p, &relations, true)?,
                (Detail::Quiet, true) => {}
                (Detail::Lines, true) => writeln!(out, "{}", self.line_related(&p))?,
            }
            shown.push(Shown {
                packet: p,
                relations,
            });
        }
        if let (Some(first), Some(last)) = (passed_over.first(), passed_over.last()) {
            let text = format!(
                "… {} more packets (#{}–#{}) came faster than a terminal can show them: passed over, not drawn (`dump N` shows any, `captures` lists them)",
                passed_over.len(),
                first.no,
                last.no
            );
            writeln!(out, "{}", self.style.paint(&text, Tone::Note))?;
        }
        let notes = std::mem::take(&mut *lock(&self.notes));
        for n in notes {
            writeln!(out, "{}", self.style.paint(&n, Tone::Note))?;
        }
        Ok(shown)
    }

    fn is_own(&self, p: &Packet, relations: &[Relation]) -> bool {
        // Related to one of this session's sends (a reply to someone else's request is
        // still someone else's; a looped-back twin tells nothing: its first copy does).
        let ours = relations.iter().any(|r| {
            matches!(
                r,
                Relation::WireCopy { .. }
                    | Relation::Reply { sent: Some(_), .. }
                    | Relation::Error { sent: Some(_), .. }
                    | Relation::Reset { .. }
            )
        });
        // A twin is as much ours as the frame it repeats.
        let twin_of_ours = relations.iter().any(|r| match r {
            Relation::Twin { first } => self
                .store
                .get(*first)
                .is_some_and(|f| f.is_sent() || self.is_own(&f, f.relations())),
            _ => false,
        });
        if twin_of_ours {
            return true;
        }
        // A loaded file is the user's own, whoever's traffic it once held.
        let loaded = matches!(p.origin, Origin::File { .. });
        if !self.shared || p.is_sent() || loaded || ours {
            return true;
        }
        let d = dissect(&p.bytes, p.first);
        let own = lock(&self.own);
        d.layers.iter().filter(|l| l.complete()).any(|l| {
            let header = &p.bytes[l.start..l.hdr_end];
            let paired = l
                .proto
                .pairing
                .and_then(|f| f(header))
                .is_some_and(|pair| own.contains(&(l.proto.name, pair.flow)));
            // Segments and datagrams without a pairing belong to a flow by their ports.
            let ports = || {
                // TCP's and UDP's ports are common fields, named `<proto>.srcport`.
                let port = |dir: &str| {
                    l.proto
                        .fields
                        .iter()
                        .find(|f| f.short() == dir && f.end_byte() <= header.len())
                        .map(|f| f.get(header) as u64)
                };
                Some((port("srcport")?, port("dstport")?))
            };
            paired
                || ports().is_some_and(|(a, b)| {
                    own.contains(&(l.proto.name, a << 16 | b))
                        || own.contains(&(l.proto.name, b << 16 | a))
                })
        })
    }

    /// `t=1.234567s`, counted from the session's start.
    pub fn since_start(&self, t: SystemTime) -> String {
        match t.duration_since(self.start) {
            Ok(d) => format!("t={}.{:06}s", d.as_secs(), d.subsec_micros()),
            // From before the session (a packet loaded from a file): its time of day
            // (`dump` and `load` give the date).
            Err(_) => {
                let utc = crate::render::clock::utc(t, 6);
                utc.split_once(' ')
                    .map_or(utc.clone(), |(_, t)| t.to_string())
            }
        }
    }

    /// One line: number, direction, socket, length, time, the layers in words.
    pub fn line(&self, p: &Packet) -> String {
        self.line_brief(p, 0)
    }

    /// The packet's line and what it is to the others (`· reply to #2`), fitted to the
    /// terminal: when too wide, outer layers (an Ethernet header's MACs, then the IP
    /// addresses) give way to their names first, so the line ends with what the
    /// packet is rather than a cut.
    pub fn line_related(&self, p: &Packet) -> String {
        let mut relations = String::new();
        for r in p.relations() {
            relations.push_str(&crate::lab::words::relation_brief(r));
        }
        let width = self.style.width();
        let mut brief = 0;
        loop {
            let line = self.line_brief(p, brief) + &relations;
            match width {
                Some(w) if line.chars().count() > w && brief + 1 < self.depth(p) => brief += 1,
                Some(w) => break crate::render::cut(&line, w),
                None => break line,
            }
        }
    }

    /// How many layers the packet has (for `line_brief`).
    pub fn depth(&self, p: &Packet) -> usize {
        dissect(&p.bytes, p.first).layers.len()
    }

    /// The packet's line with its first `brief` layers named by title alone.
    pub fn line_brief(&self, p: &Packet, brief: usize) -> String {
        let d = dissect(&p.bytes, p.first);
        let (arrow, how) = match &p.origin {
            Origin::Sent {
                mode,
                iface: Some(i),
                ..
            } => ("→", format!("sent, mode {} on {i}", mode.name())),
            Origin::Sent { mode, .. } => ("→", format!("sent, mode {}", mode.name())),
            Origin::Captured { socket, link, .. } => ("←", with_link(socket, link.as_ref())),
            // Short: the file's name and the packet's place in it (`dump` says the rest).
            Origin::File { path, index } => (
                "←",
                format!(
                    "{} packet {index}",
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into()
                    )
                ),
            ),
        };
        let time = self.since_start(p.time);
        format!(
            "#{} {arrow} {how} · {} bytes · {time} · {}",
            p.no,
            p.bytes.len(),
            d.summary_brief(&p.bytes, brief)
        )
    }

    /// The full drawing of one packet: a sent packet as one line (its copy on the wire
    /// carries the detail), a captured one as the annotated dump.
    fn draw(
        &self,
        out: &mut dyn Write,
        p: &Packet,
        relations: &[Relation],
        teach: bool,
    ) -> io::Result<()> {
        match &p.origin {
            Origin::Sent {
                mode: Mode::Link,
                iface,
                ..
            } => {
                let text = format!(
                    "#{} → sent a {}-byte frame on {} · {} · {}",
                    p.no,
                    p.bytes.len(),
                    iface.as_deref().unwrap_or("?"),
                    crate::net::describe_mode(Mode::Link, 0),
                    self.since_start(p.time)
                );
                writeln!(out, "{}", self.style.paint(&text, Tone::Heading))
            }
            Origin::Sent {
                mode,
                handed_from,
                dst,
                proto,
                ..
            } => {
                let handed = p.bytes.len() - handed_from;
                let what = if *handed_from == 0 {
                    format!("{handed} bytes")
                } else {
                    format!("{handed} bytes after the IP header")
                };
                let text = format!(
                    "#{} → sent {what} to {dst} · {} · {}",
                    p.no,
                    // The socket it went through, not what its bytes would suggest:
                    // with IP_HDRINCL ip.proto may name another protocol.
                    crate::net::describe_mode_in(
                        if dst.is_ipv6() {
                            crate::net::Family::V6
                        } else {
                            crate::net::Family::V4
                        },
                        *mode,
                        *proto
                    ),
                    self.since_start(p.time)
                );
                writeln!(out, "{}", self.style.paint(&text, Tone::Heading))
            }
            Origin::Captured { .. } | Origin::File { .. } => self.dump_as(out, p, relations, teach),
        }
    }

    /// The annotated dump of any packet, sent or captured, with what was found about it.
    pub fn dump(&self, out: &mut dyn Write, p: &Packet, relations: &[Relation]) -> io::Result<()> {
        self.dump_as(out, p, relations, false)
    }

    /// [`Shower::dump`], with only the fields that have something to say when `teach`.
    fn dump_as(
        &self,
        out: &mut dyn Write,
        p: &Packet,
        relations: &[Relation],
        teach: bool,
    ) -> io::Result<()> {
        let mut d = self.dump_of(p, relations);
        d.teach = teach.then_some(p.no);
        // In a lesson the long note on checksum offload is given once.
        d.offload_told = teach && self.offload_told.load(Ordering::Relaxed);
        render::dump(out, &d, &self.style)?;
        if teach && has_offloaded(p) {
            self.offload_told.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// What the dump of `p` holds: its heading, and the notes and marks of what was
    /// found about it (what the kernel changed, what it answers).
    fn dump_of<'p>(&self, p: &'p Packet, relations: &[Relation]) -> Dump<'p> {
        let heading = match &p.origin {
            Origin::Sent {
                mode,
                iface: Some(i),
                ..
            } => format!(
                "#{} → sent on {i} · mode {} · {} bytes as rawlab built them · {}",
                p.no,
                mode.name(),
                p.bytes.len(),
                self.since_start(p.time)
            ),
            Origin::Sent { mode, dst, .. } => format!(
                "#{} → sent to {dst} · mode {} · {} bytes as rawlab built them · {}",
                p.no,
                mode.name(),
                p.bytes.len(),
                self.since_start(p.time)
            ),
            Origin::Captured { socket, link, .. } => format!(
                "#{} ← captured on {} · {} bytes · {}",
                p.no,
                with_link(socket, link.as_ref()),
                p.bytes.len(),
                self.since_start(p.time)
            ),
            // A loaded packet's time is the file's, from before this session: absolute.
            Origin::File { .. } => format!(
                "#{} ← {} · {} bytes · {}",
                p.no,
                p.origin.source(),
                p.bytes.len(),
                crate::render::clock::utc(p.time, 6)
            ),
        };
        let mut d = Dump::new(heading, &p.bytes, p.first);
        // What an AF_INET6 socket kept, as far as it said: the addresses of the IPv6
        // header, over which ICMPv6, UDP and TCP checksums are computed.
        if let Some((std::net::IpAddr::V6(src), std::net::IpAddr::V6(dst))) = p.addrs
            && p.first != &crate::wire::ipv6::IPV6
        {
            d.around = Some((
                &crate::wire::ipv6::IPV6,
                crate::wire::ipv6::header_around(src, dst),
            ));
        }
        // What rawlab handed over, where the kernel writes some fields on the way out
        // (not in mode link): those are not judged here, and a 0 left for it says so.
        if let Origin::Sent { mode, .. } = &p.origin
            && *mode != Mode::Link
        {
            for f in p.first.fields {
                let Fill::Kernel(what) = f.fill else { continue };
                d.unverified.push(f);
                if f.end_byte() <= p.bytes.len() && f.get(&p.bytes) == 0 {
                    d.marks.push(render::Mark {
                        field: f,
                        layer_start: 0,
                        text: super::left_for_kernel(what),
                        tone: Tone::Dim,
                    });
                }
            }
        }
        if let Origin::Sent { handed_from, .. } = &p.origin
            && *handed_from > 0
        {
            d.notes.push((
                format!(
                    "the kernel got bytes {handed_from}–{} and wrote the IP header itself: bytes 0–{} are rawlab's template, not what went on the wire (a listener, such as `listen icmp`, shows that)",
                    p.bytes.len() - 1,
                    handed_from - 1
                ),
                Tone::Dim,
            ));
        }
        if let Some((src, dst)) = p.addrs {
            d.notes.push((
                format!("{src} → {dst}, as the socket reported it: the IPv6 header stayed with the kernel"),
                Tone::Dim,
            ));
        }
        if let Origin::Captured {
            link: Some(seen), ..
        } = &p.origin
            && seen.loopback
            && !relations.iter().any(|r| matches!(r, Relation::Twin { .. }))
        {
            d.notes.push((
                format!(
                    "{} has no hardware: its MAC addresses are all zeros, and it needs no ARP. Every frame on it is seen twice by a packet socket: leaving ({}) and arriving again ({})",
                    seen.iface,
                    crate::net::link::direction_words(crate::net::link::PACKET_OUTGOING),
                    crate::net::link::direction_words(crate::net::link::PACKET_HOST)
                ),
                Tone::Dim,
            ));
        }
        let time_of = |no| self.store.get(no).map(|s| s.time);
        for r in relations {
            let link = match &p.origin {
                Origin::Captured { link, .. } => link.as_ref(),
                _ => None,
            };
            annotate(&mut d, r, p.time, link, 0, &time_of);
        }
        d
    }

    /// Packet `no` as the classroom page shows it: its line, its full dump as linked
    /// HTML, and its JSON description (the keys `read --format json` writes, from the
    /// same functions). Another program's packet on a shared host is its line alone.
    pub fn view(&self, no: u64) -> Option<View> {
        let p = self.store.get(no)?;
        let relations = p.relations();
        let (line, own) = self.listed(&p);
        let html = own.then(|| render::html::linked(&self.dump_of(&p, relations)));
        Some(View {
            no,
            own,
            line,
            html,
            json: if own { self.json_of(&p) } else { Vec::new() },
        })
    }

    /// The packet's line with what it is to the others, unfitted, and whether it is
    /// this session's own: what the page's packet list shows of it.
    pub fn listed(&self, p: &Packet) -> (String, bool) {
        let mut line = self.line_brief(p, 0);
        for r in p.relations() {
            line.push_str(&crate::lab::words::relation_brief(r));
        }
        (line, self.is_own(p, p.relations()))
    }

    /// The packet's JSON object, as `read --format json` describes one (docs/json.md).
    fn json_of(&self, p: &Packet) -> Vec<u8> {
        use render::json::{Obj, VERSION, write_dissection};
        let mut out = Vec::with_capacity(1024);
        let mut m = Obj::new(&mut out);
        m.num("rawlab_json", u64::from(VERSION));
        m.num("number", p.no);
        m.str("timestamp", &render::clock::rfc3339(p.time, 9));
        m.str("time_epoch", &render::clock::epoch(p.time, 9));
        m.num("captured_length", p.bytes.len() as u64);
        m.num("original_length", p.bytes.len() as u64);
        let direction = match &p.origin {
            Origin::Sent { .. } => Some("outgoing"),
            Origin::Captured { link: Some(l), .. }
                if l.pkttype == crate::net::link::PACKET_OUTGOING =>
            {
                Some("outgoing")
            }
            // A copy of this session's send, caught on its way out.
            Origin::Captured { .. }
                if p.relations()
                    .iter()
                    .any(|r| matches!(r, Relation::WireCopy { .. })) =>
            {
                Some("outgoing")
            }
            Origin::Captured { .. } => Some("incoming"),
            Origin::File { .. } => None,
        };
        m.str_or_null("direction", direction);
        let d = Dump::new(String::new(), &p.bytes, p.first);
        write_dissection(&mut m, &p.bytes, &render::dissection(&d));
        for (k, v) in crate::lab::words::relations_json(p.relations()) {
            m.value(&k, &v);
        }
        m.end();
        out
    }
}

/// A packet as the classroom page shows it (see [`Shower::view`]).
pub struct View {
    pub no: u64,
    /// This session's (not another program's traffic on a shared host).
    pub own: bool,
    /// Its one line: number, direction, socket, length, time, summary, relations.
    pub line: String,
    /// Its full annotated dump, linked ([`render::html::linked`]).
    pub html: Option<String>,
    /// Its JSON object (empty for another program's packet).
    pub json: Vec<u8>,
}

/// `packet socket on every interface · veth0 · to us`: the socket, and for a frame the
/// interface and the direction the kernel gave it.
fn with_link(socket: &str, link: Option<&crate::net::link::LinkSeen>) -> String {
    match link {
        Some(l) if socket.ends_with(&format!(" on {}", l.iface)) => {
            format!("{socket} · {}", l.direction())
        }
        Some(l) => format!("{socket} · {} · {}", l.iface, l.direction()),
        None => socket.to_string(),
    }
}

/// Whether a checksum of `p` holds only the pseudo-header sum (checksum offload).
fn has_offloaded(p: &Packet) -> bool {
    let dis = crate::wire::dissect::dissect(&p.bytes, p.first);
    dis.layers.iter().enumerate().any(|(i, l)| {
        dis.verifiable(i)
            && (l.proto.expected)(&dis.scope(i, &p.bytes))
                .iter()
                .any(|e| e.verdict(l.get(&p.bytes, e.field)) == crate::wire::Verdict::Offloaded)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::DEFAULT_CAPACITY;
    use crate::wire::{icmp, ipv4};

    /// An echo request from 127.0.0.1 to itself with this identifier.
    fn echo(ident: u16) -> Vec<u8> {
        let mut t = crate::wire::template::Template::default();
        t.set(&ipv4::SRC, crate::wire::template::Value::Raw(0x7f00_0001))
            .unwrap();
        t.set(
            &icmp::IDENT,
            crate::wire::template::Value::Raw(ident as u128),
        )
        .unwrap();
        t.build(SystemTime::now()).bytes
    }

    fn show(shower: &Shower, bytes: Vec<u8>) -> String {
        let origin = Origin::Captured {
            socket: "raw socket for icmp".into(),
            link: None,
            iface: None,
        };
        shower
            .store
            .push(SystemTime::now(), bytes, &ipv4::IPV4, origin);
        let mut out = Vec::new();
        shower.show_pending(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn on_a_shared_host_other_programs_traffic_is_one_dim_labelled_line() {
        let shower = Shower::new(Store::new(DEFAULT_CAPACITY), Style::PLAIN, true);
        shower.own_flow("icmp", 4242);
        let theirs = show(&shower, echo(7));
        assert_eq!(theirs.lines().count(), 1, "{theirs}");
        assert!(
            theirs.contains("#1 ← raw socket for icmp")
                && theirs.ends_with("not from this session: another program's traffic\n"),
            "{theirs}"
        );
        let ours = show(&shower, echo(4242));
        assert!(
            ours.starts_with("#2 ← captured on raw socket for icmp") && ours.contains("icmp.ident"),
            "{ours}"
        );
    }

    #[test]
    fn a_loaded_file_is_the_users_own_one_line_a_packet() {
        let shower = Shower::new(Store::new(DEFAULT_CAPACITY), Style::PLAIN, true);
        let origin = Origin::File {
            path: std::path::Path::new("/tmp/old/lo.pcap").into(),
            index: 7,
        };
        let at = std::time::UNIX_EPOCH + std::time::Duration::new(1_714_566_896, 123_456_789);
        shower.store.push(at, echo(7), &ipv4::IPV4, origin);
        shower.set_detail(Detail::Lines);
        let mut out = Vec::new();
        shower.show_pending(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "#1 ← lo.pcap packet 7 · 30 bytes · 12:34:56.123456 UTC · IPv4 127.0.0.1 → 127.0.0.1 ttl 64 icmp · ICMP echo-request id 7 seq 0 · 2 bytes of data\n"
        );
    }

    #[test]
    fn in_the_sandbox_everything_is_the_sessions_own() {
        let shower = Shower::new(Store::new(DEFAULT_CAPACITY), Style::PLAIN, false);
        let out = show(&shower, echo(7));
        assert!(!out.contains("another program"), "{out}");
    }
}
