//! The executor: one session's state (template, send mode, listeners, the
//! numbered packets) and what each [`Command`] does to it. The REPL and the
//! script runner are two front ends over [`Session::execute`].
//!
//! Output goes to the `impl Write` the caller passes; packets are drawn by
//! `render`, related by `lab`, sent and captured through `net`.

use crate::capture::{DEFAULT_CAPACITY, Origin, Packet, Store};
use crate::command::{COMMANDS, Command, Mode, SendArgs, command_info};
use crate::lab::{Change, Relater, Relation, silence_reasons};
use crate::net::{self, Listener, Net};
use crate::render::{self, Dump, Mark, Style, Tone};
use crate::template::{Template, Value};
use crate::wire::{self, DATA, Fill, Protocol, ipv4};
use socket2::Socket;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Shows packets as they arrive, in number order, each related to the ones before.
/// Shared by the executor and the REPL's printer thread.
pub struct Shower {
    pub store: Arc<Store>,
    relater: Mutex<Relater>,
    pub style: Style,
    start: SystemTime,
}

/// A packet just shown, and what it was found to be.
pub struct Shown {
    pub packet: Arc<Packet>,
    pub relations: Vec<Relation>,
}

impl Shower {
    pub fn new(store: Arc<Store>, style: Style) -> Shower {
        Shower {
            store,
            relater: Mutex::new(Relater::default()),
            style,
            start: SystemTime::now(),
        }
    }

    /// Draws every packet not shown yet. The caller holds the store's print lock.
    pub fn show_pending(&self, out: &mut dyn Write) -> io::Result<Vec<Shown>> {
        let (packets, skipped) = self.store.take_unshown();
        if skipped > 0 {
            writeln!(
                out,
                "{}",
                self.style.paint(
                    &format!("… {skipped} packets arrived faster than they could be shown and left the ring unseen"),
                    Tone::Note
                )
            )?;
        }
        let mut shown = Vec::with_capacity(packets.len());
        let mut relater = self.relater.lock().unwrap_or_else(|p| p.into_inner());
        for p in packets {
            let relations = relater.observe(&p);
            self.draw(out, &p, &relations)?;
            shown.push(Shown {
                packet: p,
                relations,
            });
        }
        Ok(shown)
    }

    fn since_start(&self, t: SystemTime) -> String {
        let d = t.duration_since(self.start).unwrap_or_default();
        format!("t={}.{:06}s", d.as_secs(), d.subsec_micros())
    }

    fn draw(&self, out: &mut dyn Write, p: &Packet, relations: &[Relation]) -> io::Result<()> {
        let style = &self.style;
        match &p.origin {
            Origin::Sent {
                mode,
                handed_from,
                dst,
            } => {
                let proto = ipv4::PROTO.get(&p.bytes) as u8;
                let handed = p.bytes.len() - handed_from;
                let what = if *handed_from == 0 {
                    format!("{handed} bytes")
                } else {
                    format!("{handed} bytes after the IP header")
                };
                writeln!(
                    out,
                    "{}",
                    style.paint(
                        &format!(
                            "#{} → sent {what} to {dst} · {} · {}",
                            p.no,
                            net::describe_mode(*mode, proto),
                            self.since_start(p.time)
                        ),
                        Tone::Heading
                    )
                )
            }
            Origin::Captured { .. } | Origin::File { .. } => {
                let heading = format!(
                    "#{} ← {} · {} bytes · {}",
                    p.no,
                    p.origin.source(),
                    p.bytes.len(),
                    self.since_start(p.time)
                );
                let mut d = Dump::new(heading, &p.bytes, p.first);
                for r in relations {
                    annotate(&mut d, r, p, &self.store);
                }
                render::dump(out, &d, style)
            }
        }
    }
}

/// Adds what a relation says to a dump: a note under the heading, a mark on each
/// changed field, and the changed bytes emphasised.
fn annotate(d: &mut Dump, r: &Relation, p: &Packet, store: &Store) {
    let (note, marked): (String, Vec<(&Change, String)>) = match r {
        Relation::WireCopy {
            sent,
            mode,
            changes,
        } => {
            let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
            let listed = if names.is_empty() {
                "nothing".to_string()
            } else {
                names.join(", ")
            };
            let note = match (mode, names.is_empty()) {
                (Mode::Kernel, _) => format!(
                    "this is #{sent} as it went on the wire: the kernel wrote the IP header (mode kernel); it differs from the template in {listed}"
                ),
                (_, true) => format!(
                    "this is #{sent} as it went on the wire, byte for byte as rawlab handed it"
                ),
                (_, false) => {
                    format!("this is #{sent} as it went on the wire: the kernel changed {listed}")
                }
            };
            let marked = changes
                .iter()
                .map(|c| {
                    let text = if *mode == Mode::Kernel && c.layer_start == 0 {
                        format!(
                            "the kernel wrote {}; the template had {}",
                            c.after, c.before
                        )
                    } else {
                        format!(
                            "the kernel changed it: rawlab handed {} in #{sent}",
                            c.before
                        )
                    };
                    (c, text)
                })
                .collect();
            (note, marked)
        }
        Relation::Reply {
            request,
            sent,
            changes,
        } => {
            let names: Vec<String> = changes
                .iter()
                .map(|c| format!("{} ({})", c.field.name, span_words(&c.span)))
                .collect();
            let yours = sent
                .filter(|s| s != request)
                .map_or(String::new(), |s| format!(", your #{s}"));
            let rtt = store
                .get(sent.unwrap_or(*request))
                .and_then(|s| p.time.duration_since(s.time).ok())
                .map_or(String::new(), |d| {
                    format!(", {} after it was sent", duration_words(d))
                });
            let listed = if names.is_empty() {
                "nothing".to_string()
            } else {
                names.join(", ")
            };
            let note = format!("reply to #{request}{yours}{rtt}; what differs: {listed}");
            let marked = changes
                .iter()
                .map(|c| (c, format!("was {} in #{request}", c.before)))
                .collect();
            (note, marked)
        }
    };
    d.notes.push((note, Tone::Note));
    for (c, text) in marked {
        d.marks.push(Mark {
            field: c.field,
            layer_start: c.layer_start,
            text,
            tone: Tone::Note,
        });
        d.emphasize.push(c.span.clone());
    }
}

/// `4–5`, or `20` for one byte.
fn span_words(r: &std::ops::Range<usize>) -> String {
    if r.len() <= 1 {
        format!("byte {}", r.start)
    } else {
        format!("bytes {}–{}", r.start, r.end - 1)
    }
}

/// `84 µs`, `1.234 ms`, `300 ms`, `2.5 s`.
pub fn duration_words(d: Duration) -> String {
    fn trim(v: f64) -> String {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{} ms", trim(us / 1000.0))
    } else {
        format!("{} s", trim(us / 1e6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(Duration::from_micros(84)), "84 µs");
        assert_eq!(duration_words(Duration::from_millis(300)), "300 ms");
        assert_eq!(duration_words(Duration::from_micros(1234)), "1.234 ms");
        assert_eq!(duration_words(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(duration_words(Duration::from_secs(1)), "1 s");
    }
}

/// Whether the session should go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

pub struct Session {
    pub template: Template,
    pub mode: Mode,
    /// How long `send` waits for replies.
    pub timeout: Duration,
    pub shower: Arc<Shower>,
    listeners: Vec<Listener>,
    sockets: HashMap<(Mode, u8), Arc<Socket>>,
    pub net: Net,
    /// Set by Ctrl-C: stops a running send or wait.
    pub interrupt: Arc<AtomicBool>,
    /// Commands that failed (for a script's exit status).
    pub failures: usize,
}

impl Session {
    pub fn new(net: Net, style: Style) -> Session {
        Session {
            template: Template::default(),
            mode: Mode::Raw,
            timeout: Duration::from_secs(1),
            shower: Arc::new(Shower::new(Store::new(DEFAULT_CAPACITY), style)),
            listeners: Vec::new(),
            sockets: HashMap::new(),
            net,
            interrupt: Arc::new(AtomicBool::new(false)),
            failures: 0,
        }
    }

    pub fn style(&self) -> Style {
        self.shower.style
    }

    pub fn stack(&self) -> Vec<&'static Protocol> {
        self.template.stack()
    }

    /// `ip/icmp → 127.0.0.1 raw> `
    pub fn prompt(&self) -> String {
        let dst = self
            .template
            .user_value(&ipv4::DST)
            .unwrap_or(ipv4::DST.default);
        format!(
            "{} → {} {}> ",
            self.template.stack_name(),
            ipv4::DST.words(dst),
            self.mode.name()
        )
    }

    fn fail(&mut self, out: &mut dyn Write, text: &str) -> io::Result<Flow> {
        self.failures += 1;
        render::problem(out, text, &self.style())?;
        Ok(Flow::Continue)
    }

    fn info(&self, out: &mut dyn Write, text: &str) -> io::Result<()> {
        writeln!(out, "{}", self.style().paint(text, Tone::Dim))
    }

    /// Runs one command. Errors in the command are printed and counted; only a
    /// failure to write the output is returned.
    pub fn execute(&mut self, cmd: &Command, out: &mut dyn Write) -> io::Result<Flow> {
        self.interrupt.store(false, Ordering::Relaxed);
        let flow = match cmd {
            Command::Nothing => Flow::Continue,
            Command::Comment(text) => {
                writeln!(
                    out,
                    "{}",
                    self.style().paint(&format!("# {text}"), Tone::Dim)
                )?;
                Flow::Continue
            }
            Command::Say(text) => {
                writeln!(out, "{text}")?;
                Flow::Continue
            }
            Command::New(stack) => {
                self.template = Template::new(stack);
                let len = self.template.build(SystemTime::now()).bytes.len();
                self.info(
                    out,
                    &format!(
                        "new template {}: {len} bytes; `show` to see it",
                        self.template.stack_name()
                    ),
                )?;
                Flow::Continue
            }
            Command::Set(f, v) => {
                let before = self.field_words(f);
                match self.template.set(f, v.clone()) {
                    Ok(()) => {
                        let after = self.field_words(f);
                        self.info(out, &format!("{} = {after} (was {before})", f.name))?;
                        Flow::Continue
                    }
                    Err(e) => self.fail(out, &e)?,
                }
            }
            Command::SetTimeout(d) => {
                self.timeout = *d;
                self.info(
                    out,
                    &format!("send now waits up to {} for replies", duration_words(*d)),
                )?;
                Flow::Continue
            }
            Command::Unset(f) => {
                let had = self.template.unset(f);
                let now = self.field_words(f);
                let who = match f.fill {
                    Fill::Computed => "computed by rawlab",
                    Fill::Kernel(_) => "left for the kernel",
                    Fill::Manual => "its default",
                };
                self.info(
                    out,
                    &if had {
                        format!("{} is back to automatic: {now} ({who})", f.name)
                    } else {
                        format!("{} was not set; it stays {now} ({who})", f.name)
                    },
                )?;
                Flow::Continue
            }
            Command::Payload(p) => {
                self.template.payload = p.clone();
                self.info(out, &format!("payload: {}", p.describe()))?;
                Flow::Continue
            }
            Command::Show => {
                self.show_template(out)?;
                Flow::Continue
            }
            Command::Hex => {
                render::hex(
                    out,
                    &self.template.build(SystemTime::now()).bytes,
                    &self.style(),
                )?;
                Flow::Continue
            }
            Command::Mode(m) => {
                self.mode = *m;
                let proto = self.template_proto();
                self.info(
                    out,
                    &format!("mode {}: {}", m.name(), net::describe_mode(*m, proto)),
                )?;
                Flow::Continue
            }
            Command::Send(args) => self.send(args, out)?,
            Command::Listen(proto) => self.listen(*proto, out)?,
            Command::ListenOff => {
                if self.listeners.is_empty() {
                    self.info(out, "no listener was open")?;
                } else {
                    let names: Vec<String> =
                        self.listeners.drain(..).map(|l| l.label.clone()).collect();
                    self.info(out, &format!("closed {}", names.join(", ")))?;
                }
                Flow::Continue
            }
            Command::Wait(d) => {
                self.wait_showing(Instant::now() + *d, out)?;
                Flow::Continue
            }
            Command::Help(topic) => {
                self.help(topic.as_deref(), out)?;
                Flow::Continue
            }
            Command::Quit => Flow::Quit,
        };
        self.show_pending(out)?;
        Ok(flow)
    }

    fn field_words(&self, f: &'static wire::Field) -> String {
        if f == &DATA {
            return self.template.payload.describe();
        }
        let built = self.template.build(SystemTime::now());
        let dis = wire::dissect::dissect(&built.bytes, &ipv4::IPV4);
        if f.kind == wire::Kind::Bytes {
            return dis
                .layer_of(f)
                .and_then(|l| l.tail())
                .map_or("(none)".into(), |(_, r)| {
                    crate::lab::hex_words(&built.bytes[r])
                });
        }
        dis.value(&built.bytes, f)
            .map_or("(absent)".into(), |v| f.words(v))
    }

    fn template_proto(&self) -> u8 {
        ipv4::PROTO.get(&self.template.build(SystemTime::now()).bytes) as u8
    }

    fn show_pending(&self, out: &mut dyn Write) -> io::Result<Vec<Shown>> {
        self.shower.show_pending(out)
    }

    fn show_template(&self, out: &mut dyn Write) -> io::Result<()> {
        let built = self.template.build(SystemTime::now());
        let heading = format!(
            "template {} · {} bytes · mode {}: {}",
            self.template.stack_name(),
            built.bytes.len(),
            self.mode.name(),
            net::describe_mode(self.mode, ipv4::PROTO.get(&built.bytes) as u8)
        );
        let mut d = Dump::new(heading, &built.bytes, &ipv4::IPV4);
        for &(p, start, _) in &built.layers {
            for f in p.all_fields() {
                let text = if self.template.is_set(f) {
                    if f.group
                        || !p.fields.iter().any(|g| {
                            g.group
                                && self.template.user_value(g).is_some()
                                && f.name.starts_with(g.name)
                        })
                    {
                        Some(("set by you".to_string(), Tone::Note))
                    } else {
                        None
                    }
                } else {
                    match f.fill {
                        Fill::Manual => None,
                        Fill::Computed => Some(("computed by rawlab".to_string(), Tone::Dim)),
                        Fill::Kernel(what) => {
                            Some((format!("left 0 for the kernel: {what}"), Tone::Dim))
                        }
                    }
                };
                if let Some((text, tone)) = text
                    && (f.kind != wire::Kind::Bytes || self.template.is_set(f))
                {
                    d.marks.push(Mark {
                        field: f,
                        layer_start: start,
                        text,
                        tone,
                    });
                }
                if matches!(f.fill, Fill::Kernel(_)) && !self.template.is_set(f) {
                    d.unverified.push(f);
                }
            }
        }
        if self.mode == Mode::Kernel {
            d.notes.push((
                "in mode kernel only the bytes after the IP header are handed over; the kernel writes its own IP header (TTL and TOS from socket options)".into(),
                Tone::Note,
            ));
        }
        render::dump(out, &d, &self.style())
    }

    fn help(&self, topic: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
        let style = self.style();
        match topic.and_then(command_info) {
            Some(c) => {
                writeln!(out, "{}", style.paint(c.syntax, Tone::Command))?;
                writeln!(out, "  {}", c.summary)?;
                if !c.aliases.is_empty() {
                    writeln!(out, "  also: {}", c.aliases.join(", "))?;
                }
                writeln!(out, "  example: {}", style.paint(c.example, Tone::Command))?;
            }
            None => {
                let w = COMMANDS.iter().map(|c| c.syntax.len()).max().unwrap_or(0);
                for c in COMMANDS {
                    writeln!(
                        out,
                        "  {}  {}",
                        style.paint(&format!("{:<w$}", c.syntax), Tone::Command),
                        c.summary
                    )?;
                }
                writeln!(
                    out,
                    "Fields use Wireshark's names (ip.ttl, icmp.type); short names work when they fit one field (ttl, df)."
                )?;
            }
        }
        Ok(())
    }

    fn need_network(&mut self, out: &mut dyn Write) -> Option<io::Result<Flow>> {
        if let Net::Unavailable(why) = &self.net {
            let why = why.clone();
            return Some(self.fail(out, &why));
        }
        None
    }

    fn listen(&mut self, proto: u8, out: &mut dyn Write) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        if self.listeners.iter().any(|l| l.proto == proto) {
            self.info(
                out,
                &format!("already listening for {}", proto_words(proto)),
            )?;
            return Ok(Flow::Continue);
        }
        let label = format!("raw socket for {}", proto_words(proto));
        match Listener::open(proto, label.clone(), self.shower.store.clone()) {
            Ok(l) => {
                self.listeners.push(l);
                self.info(
                    out,
                    &format!(
                        "listening: socket(AF_INET, SOCK_RAW, {proto}) gets a copy of every {} packet this host receives, IP header included",
                        proto_words(proto)
                    ),
                )?;
                Ok(Flow::Continue)
            }
            Err(e) => self.fail(
                out,
                &format!(
                    "could not open a raw socket for {}: {e}",
                    proto_words(proto)
                ),
            ),
        }
    }

    /// Waits until `deadline` (or Ctrl-C), showing packets as they arrive.
    fn wait_showing(&self, deadline: Instant, out: &mut dyn Write) -> io::Result<Vec<Shown>> {
        let mut all = Vec::new();
        while Instant::now() < deadline && !self.interrupt.load(Ordering::Relaxed) {
            let step = (Instant::now() + Duration::from_millis(100)).min(deadline);
            if self.shower.store.wait_unshown(step) {
                all.extend(self.show_pending(out)?);
            }
        }
        Ok(all)
    }

    fn send(&mut self, args: &SendArgs, out: &mut dyn Write) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        let mut template = self.template.clone();
        if let Some(dst) = args.dst {
            template
                .set(&ipv4::DST, Value::Raw(u32::from(dst) as u128))
                .expect("every template has ip.dst");
        }
        let first = template.build(SystemTime::now());
        let dst = Ipv4Addr::from(ipv4::DST.get(&first.bytes) as u32);
        let proto = ipv4::PROTO.get(&first.bytes) as u8;
        let hdr_len = first.layers.first().map_or(20, |l| l.2);
        let sock = match self.socket(self.mode, proto) {
            Ok(s) => s,
            Err(e) => {
                return self.fail(
                    out,
                    &format!(
                        "could not open the sending socket ({}): {e}",
                        net::describe_mode(self.mode, proto)
                    ),
                );
            }
        };
        // Capture what goes out and what comes back: use a listener, or open one for the send.
        let temp = if self.listeners.iter().any(|l| l.proto == proto) {
            None
        } else {
            match Listener::open(
                proto,
                format!("send's raw socket for {}", proto_words(proto)),
                self.shower.store.clone(),
            ) {
                Ok(l) => Some(l),
                Err(e) => {
                    return self.fail(
                        out,
                        &format!("could not open a socket to capture replies: {e}"),
                    );
                }
            }
        };
        let mut waiting_reply = Vec::new();
        let mut waiting_copy = Vec::new();
        let mut last_built = first.bytes.clone();
        let mut last_send = Instant::now();
        for i in 0..args.count {
            if self.interrupt.load(Ordering::Relaxed) {
                break;
            }
            let built = if i == 0 {
                first.clone()
            } else {
                template.build(SystemTime::now())
            };
            let handed_from = if self.mode == Mode::Kernel {
                hdr_len
            } else {
                0
            };
            if self.mode == Mode::Kernel {
                let ttl = ipv4::TTL.get(&built.bytes) as u8;
                let tos = ipv4::DSFIELD.get(&built.bytes) as u8;
                if let Err(e) = net::set_kernel_header_options(&sock, ttl, tos) {
                    return self.fail(out, &format!("could not set IP_TTL/IP_TOS: {e}"));
                }
            }
            let no = self.shower.store.push(
                SystemTime::now(),
                built.bytes.clone(),
                &ipv4::IPV4,
                Origin::Sent {
                    mode: self.mode,
                    handed_from,
                    dst,
                },
            );
            if let Err(e) = net::send_to(&sock, &built.bytes[handed_from..], dst) {
                self.show_pending(out)?;
                return self.fail(out, &send_error(&e, dst, &built.bytes));
            }
            last_send = Instant::now();
            waiting_copy.push(no);
            if expects_reply(&built.bytes) {
                waiting_reply.push(no);
            }
            last_built = built.bytes;
            let shown = self.show_pending(out)?;
            settle(&shown, &mut waiting_reply, &mut waiting_copy);
            if let Some(every) = args.every.filter(|_| i + 1 < args.count) {
                let shown = self.wait_showing(Instant::now() + every, out)?;
                settle(&shown, &mut waiting_reply, &mut waiting_copy);
            }
        }
        // Replies come within the timeout; a packet that asks for none is done once its
        // copy is seen on the wire (or after a short while, if it never loops back).
        let asked = waiting_reply.len();
        let deadline = last_send
            + if asked > 0 {
                self.timeout
            } else {
                self.timeout.min(Duration::from_millis(300))
            };
        while Instant::now() < deadline
            && !self.interrupt.load(Ordering::Relaxed)
            && !(waiting_reply.is_empty() && waiting_copy.is_empty())
        {
            if asked == 0 && waiting_copy.is_empty() {
                break;
            }
            if asked > 0 && waiting_reply.is_empty() {
                break;
            }
            let step = (Instant::now() + Duration::from_millis(50)).min(deadline);
            if self.shower.store.wait_unshown(step) {
                let shown = self.show_pending(out)?;
                settle(&shown, &mut waiting_reply, &mut waiting_copy);
            }
        }
        drop(temp);
        self.show_pending(out)?;
        if !waiting_reply.is_empty() && !self.interrupt.load(Ordering::Relaxed) {
            let which: Vec<String> = waiting_reply.iter().map(|n| format!("#{n}")).collect();
            writeln!(
                out,
                "{}",
                self.style().paint(
                    &format!(
                        "no reply to {} within {} (set timeout DURATION to wait longer). Why, from the evidence:",
                        which.join(", "),
                        duration_words(self.timeout)
                    ),
                    Tone::Note
                )
            )?;
            for reason in silence_reasons(&last_built, dst, self.net == Net::Sandbox) {
                for l in self.style().wrap(&reason, "  • ", "    ") {
                    writeln!(out, "{l}")?;
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// The sending socket for a mode, opened once and kept.
    fn socket(&mut self, mode: Mode, proto: u8) -> io::Result<Arc<Socket>> {
        let key = (mode, if mode == Mode::Raw { 255 } else { proto });
        if let std::collections::hash_map::Entry::Vacant(e) = self.sockets.entry(key) {
            let s = net::send_socket(mode, proto)?;
            e.insert(Arc::new(s));
        }
        Ok(self.sockets[&key].clone())
    }
}

/// Crosses off the sends whose reply, or whose copy on the wire, has been shown.
fn settle(shown: &[Shown], waiting_reply: &mut Vec<u64>, waiting_copy: &mut Vec<u64>) {
    for s in shown {
        for r in &s.relations {
            match r {
                Relation::Reply { sent: Some(n), .. } => waiting_reply.retain(|w| w != n),
                Relation::WireCopy { sent, .. } => waiting_copy.retain(|w| w != sent),
                _ => {}
            }
        }
    }
}

/// Whether the packet is a request its receiver answers (an ICMP echo request).
fn expects_reply(bytes: &[u8]) -> bool {
    let d = wire::dissect::dissect(bytes, &ipv4::IPV4);
    d.layers.iter().skip(1).any(|l| {
        l.complete()
            && l.proto
                .pairing
                .and_then(|f| f(&bytes[l.start..l.hdr_end]))
                .is_some_and(|p| p.is_request)
    })
}

fn proto_words(proto: u8) -> String {
    match ipv4::PROTO.value_name(proto as u128) {
        Some(n) => n.to_string(),
        None => format!("IP protocol {proto}"),
    }
}

/// A refused sendto, in words: what the kernel said and what in the packet may be why.
fn send_error(e: &io::Error, dst: Ipv4Addr, bytes: &[u8]) -> String {
    let hint = match e.raw_os_error() {
        Some(libc::EINVAL) => format!(
            "the kernel refused the header as invalid: with IP_HDRINCL, ip.hdr_len ({} bytes) must be at least 20 and no longer than the packet ({} bytes)",
            ipv4::HDR_LEN.get(bytes) * 4,
            bytes.len()
        ),
        Some(libc::EMSGSIZE) => format!("{} bytes is more than the route's MTU allows with DF set, or more than an IP packet holds", bytes.len()),
        Some(libc::ENETUNREACH) | Some(libc::EHOSTUNREACH) => format!("there is no route to {dst} from here"),
        Some(libc::EPERM) | Some(libc::EACCES) => {
            "the kernel did not permit it (a broadcast address needs SO_BROADCAST; a firewall may refuse it)".into()
        }
        _ => String::new(),
    };
    if hint.is_empty() {
        format!("sendto {dst} failed: {e}")
    } else {
        format!("sendto {dst} failed: {e}: {hint}")
    }
}
