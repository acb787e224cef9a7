//! The executor: one session's state (template, send mode, listeners, the
//! numbered packets) and what each [`Command`] does to it. The REPL and the
//! script runner are two front ends over [`Session::run_line`] and
//! [`Session::execute`].
//!
//! This file holds the state and the small commands; `send.rs` sends (send,
//! ping, trigger), `inspect.rs` looks (show, captures, dump, diff, explain),
//! `shower.rs` draws packets as they arrive, `file.rs` saves and loads them
//! (capture files). Output goes to the `Write` the caller passes; packets are
//! drawn by `render`, related by `lab`, sent and captured through `net`.

mod evidence;
mod expect;
mod file;
mod inspect;
mod lesson;
mod link;
mod ping;
mod send;
mod shower;
mod transmit;
mod trigger;
mod why;

pub use expect::describe as describe_expect;
pub use file::{capture_files, expand as expand_path, is_capture_name};

use crate::render::duration_words;
pub use shower::{Detail, Shower, Shown};

use crate::capture::{DEFAULT_CAPACITY, Store};
use crate::command::{self, COMMANDS, Command, Context, command_info};
use crate::net::Mode;
use crate::net::drops::Tracer;
use crate::net::link::LinkListener;
use crate::net::peer::Peer;
use crate::net::policy::{DEFAULT_MAX_RATE, Policy};
use crate::net::{self, Listener, Net};
use crate::render::{self, Style, Tone};
use crate::wire::template::Template;
use crate::wire::{self, DATA, Fill, Protocol, ipv4};
use socket2::Socket;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// How many sends' outcomes `why` can look back on.
const KEPT_OUTCOMES: usize = 64;

/// Whether the session should go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// What a long wait does with each batch of packets it has just shown.
type OnShown<'a> = dyn FnMut(&[Shown], &mut dyn Write) -> io::Result<()> + 'a;

pub struct Session {
    pub template: Template,
    pub mode: Mode,
    /// How long `send` and `ping` wait for replies.
    pub timeout: Duration,
    pub shower: Arc<Shower>,
    listeners: Vec<Listener>,
    link_listeners: Vec<LinkListener>,
    sockets: HashMap<(net::Family, Mode, u8), Arc<Socket>>,
    /// The interface `mode link` sends on.
    pub link_iface: String,
    /// The sandbox's second host, when there is one.
    pub peer: Option<Arc<Peer>>,
    triggers: Vec<trigger::Background>,
    /// `serve tcp` servers.
    servers: Vec<crate::net::traffic::Server>,
    pub net: Net,
    /// Set by Ctrl-C: stops a running send, ping or wait.
    pub interrupt: Arc<AtomicBool>,
    /// Commands that failed (for a script's exit status).
    pub failures: usize,
    /// The ICMP identifier this session's `ping` uses, unique to it.
    ping_ident: u16,
    /// Where packets may go and how fast.
    pub policy: Policy,
    /// The first packet number of the last send, ping or trigger: what `expect` looks at.
    traffic_from: u64,
    /// (transmitted, received) of the last ping.
    last_ping: Option<(u64, u64)>,
    /// How the last `expect` came out: what was seen, or expected vs actual.
    pub last_expect: Option<Result<String, String>>,
    /// What the last failed command said, for a script's report.
    pub last_error: Option<String>,
    /// The lesson being taken step by step at the prompt.
    lesson: Option<lesson::LessonRun>,
    /// The file of the lesson taken last, for `lesson next`.
    last_lesson: Option<&'static str>,
    /// This network namespace's counters, read around each send and ping.
    counters: Option<crate::net::counters::Source>,
    /// What the last sends saw, with their evidence, for `why N`.
    outcomes: std::collections::VecDeque<Arc<send::Outcome>>,
    /// The kernel's own drop reasons (skb:kfree_skb), when rawlab could open them.
    pub tracer: Option<Arc<Tracer>>,
    /// Why there is no tracer, in one line saying how to get one.
    pub no_tracer: String,
}

/// How a session is set up from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many packets the ring keeps.
    pub ring: usize,
    pub allow_remote: bool,
    pub max_rate: u32,
    /// The sandbox's peer, made at start.
    pub peer: Option<Arc<Peer>>,
    /// The kernel's drop reasons, opened at start while rawlab was still root.
    pub tracer: Option<Arc<Tracer>>,
    /// Why there is no tracer (`drop reasons need root: run `sudo rawlab``).
    pub no_tracer: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ring: DEFAULT_CAPACITY,
            allow_remote: false,
            max_rate: DEFAULT_MAX_RATE,
            peer: None,
            tracer: None,
            no_tracer: "drop reasons are opened only when rawlab starts".to_string(),
        }
    }
}

impl Session {
    pub fn new(net: Net, style: Style) -> Session {
        Session::with_options(net, style, Options::default())
    }

    pub fn with_options(net: Net, style: Style, opts: Options) -> Session {
        let shared = net == Net::Host;
        let ping_ident = (std::process::id() & 0xffff) as u16;
        let mut policy = Policy::new(opts.allow_remote, net == Net::Sandbox, opts.max_rate);
        if let Some(p) = &opts.peer {
            policy.peers.push(p.peer_addr.into());
        }
        let shower = Arc::new(Shower::new(Store::new(opts.ring), style, shared));
        shower.own_flow("icmp", ping_ident as u64);
        Session {
            template: Template::default(),
            mode: Mode::Raw,
            timeout: Duration::from_secs(1),
            shower,
            listeners: Vec::new(),
            link_listeners: Vec::new(),
            sockets: HashMap::new(),
            link_iface: default_link_iface(opts.peer.as_deref()),
            peer: opts.peer,
            triggers: Vec::new(),
            servers: Vec::new(),
            net,
            interrupt: Arc::new(AtomicBool::new(false)),
            failures: 0,
            ping_ident,
            policy,
            traffic_from: 1,
            last_ping: None,
            last_expect: None,
            last_error: None,
            lesson: None,
            last_lesson: None,
            counters: crate::net::counters::Source::open(),
            outcomes: Default::default(),
            tracer: opts.tracer,
            no_tracer: opts.no_tracer,
        }
    }

    pub fn style(&self) -> Style {
        self.shower.style
    }

    pub fn stack(&self) -> Vec<&'static Protocol> {
        self.template.stack()
    }

    /// `ip/icmp → 127.0.0.1 raw> `, `eth/arp → 192.0.2.2 link@veth0> `: the stack, where
    /// it goes (the first IP layer's destination, the address ARP asks about, or the
    /// MAC), the mode.
    pub fn prompt(&self) -> String {
        let value = |f: &'static wire::Field| self.template.user_value(f).unwrap_or(f.default);
        let stack = self.template.stack();
        let dst = if let Some((_, dst)) = stack.iter().find_map(|p| p.addresses) {
            dst.words(value(dst))
        } else if stack.contains(&&wire::arp::ARP) {
            wire::arp::DST_PROTO.words(value(&wire::arp::DST_PROTO))
        } else if stack.contains(&&wire::eth::ETH) {
            wire::mac_words(value(&wire::eth::DST))
        } else {
            "?".into()
        };
        let mode = match self.mode {
            Mode::Link => format!("link@{}", self.link_iface),
            m => m.name().to_string(),
        };
        format!("{} → {dst} {mode}> ", self.template.stack_name())
    }

    /// Parses and runs one line as typed at the prompt: a bad line gets its error
    /// (with a caret) and changes nothing.
    pub fn run_line(&mut self, line: &str, out: &mut dyn Write) -> io::Result<Flow> {
        match command::parse(
            line,
            &Context {
                stack: &self.stack(),
            },
        ) {
            Ok(cmd) => self.execute(&cmd, out),
            Err(e) => {
                self.failures += 1;
                render::parse_error(out, line, &(&e).into(), None, &self.style())?;
                Ok(Flow::Continue)
            }
        }
    }

    fn fail(&mut self, out: &mut dyn Write, text: &str) -> io::Result<Flow> {
        self.failures += 1;
        self.last_error = Some(text.to_string());
        render::problem(out, text, &self.style())?;
        Ok(Flow::Continue)
    }

    fn info(&self, out: &mut dyn Write, text: &str) -> io::Result<()> {
        for l in self.style().wrap(text, "", "  ") {
            writeln!(out, "{}", self.style().paint(&l, Tone::Dim))?;
        }
        Ok(())
    }

    /// Runs one command. Errors in the command are printed and counted; only a
    /// failure to write the output is returned.
    pub fn execute(&mut self, cmd: &Command, out: &mut dyn Write) -> io::Result<Flow> {
        self.interrupt.store(false, Ordering::Relaxed);
        // Packets that arrived while the user was typing come first, every one of them
        // numbered, so `captures`, `save` and `expect` see all there is.
        self.shower.store.settle_all();
        self.shower.show_pending(out)?;
        let flow = match cmd {
            Command::Nothing => Flow::Continue,
            Command::Comment(text) => {
                if text.is_empty() {
                    writeln!(out, "{}", self.style().paint("#", Tone::Dim))?;
                    return Ok(Flow::Continue);
                }
                for l in self.style().wrap(&render::printable(text), "# ", "# ") {
                    writeln!(out, "{}", self.style().paint(&l, Tone::Dim))?;
                }
                Flow::Continue
            }
            Command::Say(text) => {
                for l in self.style().wrap(&render::printable(text), "", "") {
                    writeln!(out, "{l}")?;
                }
                Flow::Continue
            }
            Command::New(stack) => {
                self.template = Template::new(stack);
                let len = self.built(SystemTime::now()).bytes.len();
                let mut text = format!(
                    "new template {}: {len} bytes; `show` to see it",
                    self.template.stack_name()
                );
                match (self.template.is_frame(), self.mode) {
                    (true, Mode::Link) => {}
                    (true, _) => text.push_str(&format!(
                        "; a frame goes out with `mode link` (on {} unless you name another)",
                        self.link_iface
                    )),
                    (false, Mode::Link) => text.push_str(
                        "; mode link sends whole frames: `mode raw` (or hdrincl, kernel) sends this packet",
                    ),
                    (false, _) => {}
                }
                self.info(out, &text)?;
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
                    &format!(
                        "send and ping now wait up to {} for replies",
                        duration_words(*d)
                    ),
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
                    Fill::Interface(_) => "filled by rawlab from the sending interface",
                };
                let text = if had {
                    format!("{} is back to automatic: {now} ({who})", f.name)
                } else {
                    format!("{} was not set; it stays {now} ({who})", f.name)
                };
                self.info(out, &text)?;
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
                render::hex(out, &self.built(SystemTime::now()).bytes, &self.style())?;
                Flow::Continue
            }
            Command::Mode(m) => {
                self.mode = *m;
                let proto = self.template_proto();
                self.info(
                    out,
                    &format!("mode {}: {}", m.name(), {
                        let _ = proto;
                        let built = self.template.build(SystemTime::now());
                        socket_words(*m, built.layers[0].0, &built.bytes)
                    }),
                )?;
                Flow::Continue
            }
            Command::Send(args) => {
                self.traffic_from = self.shower.store.next_no();
                self.send(args, out)?
            }
            Command::Ping(args, mode) => {
                self.traffic_from = self.shower.store.next_no();
                self.ping(args, *mode, out)?
            }
            Command::Trigger(t) => {
                self.traffic_from = self.shower.store.next_no();
                self.trigger(t, out)?
            }
            Command::Listen(proto) => self.listen(net::Family::V4, *proto, out)?,
            Command::ListenV6(proto) => self.listen(net::Family::V6, *proto, out)?,
            Command::ListenLink { iface, once } => {
                self.listen_link(iface.as_deref(), *once, out)?
            }
            Command::ModeLink(iface) => self.mode_link(iface.as_deref(), out)?,
            Command::Ifaces => self.ifaces(out)?,
            Command::ListenOff => {
                if self.listeners.is_empty() && self.link_listeners.is_empty() {
                    self.info(out, "no listener was open")?;
                } else {
                    let mut names: Vec<String> = self
                        .listeners
                        .drain(..)
                        .map(|l| format!("{} ({})", l.label, l.stats.words()))
                        .collect();
                    names.extend(
                        self.link_listeners
                            .drain(..)
                            .map(|l| link::closing_words(&l)),
                    );
                    self.info(out, &format!("closed {}", names.join(", ")))?;
                }
                Flow::Continue
            }
            Command::Wait(d) => {
                self.wait_showing(Instant::now() + *d, &[], out, &mut |_, _| Ok(()))?;
                Flow::Continue
            }
            Command::Captures => {
                self.captures(out)?;
                Flow::Continue
            }
            Command::Save {
                path,
                force,
                packets,
            } => self.save(path, *force, packets, out)?,
            Command::Load(path) => self.load(path, out)?,
            Command::Dump(n) => self.dump(*n, out)?,
            Command::Why(n) => self.why(*n, out)?,
            Command::Diff(a, b) => self.diff(*a, *b, out)?,
            Command::Explain(f) => {
                self.explain(f, out)?;
                Flow::Continue
            }
            Command::Clear => {
                let n = self.shower.store.len();
                self.shower.clear();
                self.traffic_from = 1;
                self.info(out, &format!("forgot {n} packets; the next is #1"))?;
                Flow::Continue
            }
            Command::Reset => {
                self.template = Template::default();
                self.mode = Mode::Raw;
                self.link_iface = default_link_iface(self.peer.as_deref());
                self.timeout = Duration::from_secs(1);
                self.listeners.clear();
                self.link_listeners.clear();
                self.triggers.clear();
                self.servers.clear();
                self.info(out, "back to the post's packet, mode raw, timeout 1 s; listeners closed (packets kept: `clear` forgets them)")?;
                Flow::Continue
            }
            Command::Help(topic) => {
                self.help(topic.as_deref(), out)?;
                Flow::Continue
            }
            Command::Status => {
                self.status(out)?;
                Flow::Continue
            }
            Command::Expect(e) => {
                self.expect(e, out)?;
                Flow::Continue
            }
            Command::Lesson(l) => self.lesson(l, out)?,
            Command::Serve(what) => self.serve(*what, out)?,
            Command::Quit => Flow::Quit,
        };
        self.shower.show_pending(out)?;
        Ok(flow)
    }

    /// A field's value in the template, in words.
    fn field_words(&self, f: &'static wire::Field) -> String {
        if f == &DATA {
            return self.template.payload.describe();
        }
        let built = self.built(SystemTime::now());
        let dis = wire::dissect::dissect(&built.bytes, built.layers[0].0);
        if f.kind == wire::Kind::Bytes {
            return dis
                .layer_of(f)
                .and_then(|l| l.tail())
                .map_or("(none)".into(), |(_, r)| {
                    crate::lab::hex_words(&built.bytes[r])
                });
        }
        // A fixed field is named in its header's context (icmp.code by icmp.type).
        match dis.layer_of(f) {
            Some(l) if l.fields(&built.bytes).any(|g| g == f) => l.words(&built.bytes, f),
            _ => "(not in this packet)".into(),
        }
    }

    /// The template's IP protocol number (ip.proto of its IPv4 layer, wherever it is).
    fn template_proto(&self) -> u8 {
        ip_proto(&self.built(SystemTime::now()))
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
                for l in style.wrap(c.detail, "  ", "  ") {
                    writeln!(out, "{l}")?;
                }
            }
            None => {
                // One column for the syntax, as wide as the longer ones need; a syntax
                // wider than that (expect's) gets a line of its own, the summary under it.
                const WIDEST: usize = 44;
                let w = COMMANDS
                    .iter()
                    .map(|c| c.syntax.chars().count())
                    .filter(|n| *n <= WIDEST)
                    .max()
                    .unwrap_or(0);
                for c in COMMANDS {
                    let long = c.syntax.chars().count() > w;
                    let syntax = if long {
                        writeln!(out, "  {}", style.paint(c.syntax, Tone::Command))?;
                        " ".repeat(w)
                    } else {
                        style.paint(&format!("{:<w$}", c.syntax), Tone::Command)
                    };
                    match style.width() {
                        Some(width) if width > w + 20 => {
                            writeln!(out, "  {syntax}  {}", render::cut(c.summary, width - w - 4))?
                        }
                        _ => writeln!(out, "  {syntax}  {}", c.summary)?,
                    }
                }
                for l in style.wrap(
                    "Fields use Wireshark's names (ip.ttl, icmp.type); a short name works when it fits one field (ttl, df). `help COMMAND` for an example, `explain FIELD` for a field; Tab completes.",
                    "",
                    "",
                ) {
                    writeln!(out, "{l}")?;
                }
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

    fn serve(
        &mut self,
        what: Option<(command::Served, u16)>,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let Some((served, port)) = what else {
            let ports: Vec<String> = self.servers.drain(..).map(|s| s.port.to_string()).collect();
            let text = if ports.is_empty() {
                "no server was running".to_string()
            } else {
                format!("stopped serving on port {}", ports.join(", "))
            };
            self.info(out, &text)?;
            return Ok(Flow::Continue);
        };
        let proto = match served {
            command::Served::Http => "tcp",
            command::Served::UdpEcho => "udp",
        };
        if self
            .servers
            .iter()
            .any(|s| s.port == port && s.proto == proto)
        {
            self.info(out, &format!("already serving {proto} on 127.0.0.1:{port}"))?;
            return Ok(Flow::Continue);
        }
        let started = match served {
            command::Served::Http => crate::net::traffic::Server::start(port),
            command::Served::UdpEcho => crate::net::traffic::Server::echo_udp(port),
        };
        match started {
            Ok(s) => {
                let text = match served {
                    command::Served::Http => format!(
                        "serving HTTP on 127.0.0.1:{port}: the kernel now answers a SYN to that port; `serve off` stops it"
                    ),
                    command::Served::UdpEcho => format!(
                        "echoing UDP on 127.0.0.1:{port}: every datagram to it goes back with the ports swapped; `serve off` stops it"
                    ),
                };
                self.servers.push(s);
                self.info(out, &text)?;
                Ok(Flow::Continue)
            }
            Err(e) => self.fail(
                out,
                &format!("could not listen on {proto} 127.0.0.1:{port}: {e}"),
            ),
        }
    }

    fn listen(&mut self, family: net::Family, proto: u8, out: &mut dyn Write) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        let what = match family {
            net::Family::V4 => proto_words(proto),
            net::Family::V6 => crate::wire::ipv6::NXT
                .value_name(proto as u128)
                .map_or(format!("IPv6 next header {proto}"), str::to_string),
        };
        if self
            .listeners
            .iter()
            .any(|l| l.proto == proto && l.family == family)
        {
            self.info(out, &format!("already listening for {what}"))?;
            return Ok(Flow::Continue);
        }
        let label = match family {
            net::Family::V4 => format!("raw socket for {what}"),
            net::Family::V6 => format!("AF_INET6 raw socket for {what}"),
        };
        match Listener::open(
            family,
            proto,
            net::Letting::Everything,
            label,
            self.shower.store.clone(),
        ) {
            Ok(l) => {
                self.listeners.push(l);
                let text = match family {
                    net::Family::V4 => format!(
                        "listening: socket(AF_INET, SOCK_RAW, {proto}) gets a copy of every {what} packet this host receives, IP header included"
                    ),
                    net::Family::V6 => format!(
                        "listening: socket(AF_INET6, SOCK_RAW, {proto}) gets every {what} message this host receives, but not its IPv6 header: the kernel keeps that to itself and says only who sent it and to whom"
                    ),
                };
                self.info(out, &text)?;
                Ok(Flow::Continue)
            }
            Err(e) => self.fail(out, &format!("could not open a raw socket for {what}: {e}")),
        }
    }

    /// Shows packets as they come until `deadline` (or Ctrl-C), handing each batch
    /// shown to `each`, and reads the `held` listeners every 10 ms (nobody else
    /// does). Nothing is kept here: a long `wait` during a flood stays in constant
    /// memory.
    fn wait_showing(
        &self,
        deadline: Instant,
        held: &[net::Held],
        out: &mut dyn Write,
        each: &mut OnShown<'_>,
    ) -> io::Result<()> {
        let every = if held.is_empty() { 50 } else { 10 };
        while Instant::now() < deadline && !self.interrupted() {
            held.iter().for_each(net::Held::read);
            let step = (Instant::now() + Duration::from_millis(every)).min(deadline);
            if self.shower.store.wait_unshown(step) {
                let shown = self.shower.show_pending(out)?;
                each(&shown, out)?;
                out.flush()?;
            }
        }
        Ok(())
    }

    /// Who rawlab runs as, with which capabilities, on which network, under which rules.
    fn status(&self, out: &mut dyn Write) -> io::Result<()> {
        let style = self.style();
        let network = match &self.net {
            Net::Host => "the host's (raw sockets permitted)".to_string(),
            Net::Sandbox => match &self.peer {
                Some(p) => format!(
                    "a sandbox: a private user + network namespace: loopback, and {} ({}) cabled to a peer at {} in a namespace of its own",
                    p.iface, p.addr, p.peer_addr
                ),
                None => "a sandbox: a private user + network namespace, loopback only".to_string(),
            },
            Net::Unavailable(_) => {
                "none: raw sockets are not permitted and no sandbox could be made".to_string()
            }
        };
        let caps = crate::net::sys::effective_caps();
        let mut user = format!(
            "uid {}, gid {}",
            crate::net::sys::uid(),
            crate::net::sys::gid()
        );
        if let Some((uid, gid)) = crate::net::sys::outside_ids() {
            user.push_str(&format!(
                " inside the sandbox's user namespace (uid {uid}, gid {gid} outside: its capabilities reach only the sandbox)"
            ));
        }
        if let Some(u) = crate::net::sys::sudo_user() {
            user.push_str(&format!(
                " (started through sudo by uid {}; root was given up)",
                u.uid
            ));
        }
        let mut places = vec!["loopback".to_string()];
        if self.net == Net::Host {
            let addrs: Vec<String> = crate::net::sys::local_ipv4_addrs()
                .iter()
                .filter(|a| !a.is_loopback())
                .map(|a| a.to_string())
                .collect();
            if !addrs.is_empty() {
                places.push(format!("this host's addresses ({})", addrs.join(", ")));
            }
        }
        if !self.policy.peers.is_empty() {
            let peers: Vec<String> = self.policy.peers.iter().map(|a| a.to_string()).collect();
            places.push(format!("sandbox peers ({})", peers.join(", ")));
        }
        let sends = if self.policy.allow_remote {
            "anywhere (--allow-remote)".to_string()
        } else {
            format!("{}; elsewhere only with --allow-remote", places.join(", "))
        };
        let rows = [
            ("network", network),
            ("user", user),
            (
                "caps",
                if caps.is_empty() {
                    "none".to_string()
                } else {
                    caps.join(", ")
                },
            ),
            ("sends to", sends),
            (
                "frames",
                if self.policy.allow_remote {
                    format!(
                        "on any interface (--allow-remote); mode link uses {}",
                        self.link_iface
                    )
                } else if self.net == Net::Sandbox {
                    format!(
                        "on any interface here, all private; mode link uses {}",
                        self.link_iface
                    )
                } else {
                    format!(
                        "on lo; on the host's other interfaces only with --allow-remote; mode link uses {}",
                        self.link_iface
                    )
                },
            ),
            (
                "forges",
                if self.policy.sandboxed || self.policy.allow_remote {
                    "any ip.src".to_string()
                } else {
                    "ip.src only from this host's addresses".to_string()
                },
            ),
            (
                "pace",
                format!(
                    "at most {} packets/s for repeated sends (--max-rate)",
                    self.policy.max_rate
                ),
            ),
            (
                "ring",
                format!(
                    "keeps the last {} packets; {} now",
                    self.shower.store.capacity(),
                    self.shower.store.len()
                ),
            ),
        ];
        for (k, v) in rows {
            for l in style.wrap(&v, &format!("  {k:<9} "), "            ") {
                writeln!(out, "{l}")?;
            }
        }
        self.status_drops(out)
    }

    /// The status line on the kernel's drop reasons, then the last minute's drops by
    /// kind, each kind placed against the send it followed.
    fn status_drops(&self, out: &mut dyn Write) -> io::Result<()> {
        const KINDS: usize = 8;
        let style = self.style();
        let Some(tracer) = &self.tracer else {
            for l in style.wrap(&self.no_tracer, "  drops     ", "            ") {
                writeln!(out, "{l}")?;
            }
            return Ok(());
        };
        let how = if crate::net::sys::sudo_user().is_some() {
            "opened as root before giving it up"
        } else {
            "opened as root at start"
        };
        let now = SystemTime::now();
        let recent = tracer.drops(now - crate::net::drops::HISTORY_AGE, now, None);
        let (seen, lost) = tracer.counts();
        let mut head = format!(
            "reasons from the kernel's skb:kfree_skb tracepoint ({how}); {seen} seen since start"
        );
        if !tracer.keeps_unspecified() {
            head.push_str(" (NOT_SPECIFIED ones left out)");
        }
        if lost > 0 {
            head.push_str(&format!(
                ", and {lost} more the kernel could not report: its buffer was full"
            ));
        }
        let sends: Vec<(SystemTime, u64)> = self
            .shower
            .store
            .all()
            .iter()
            .filter(|p| p.is_sent())
            .map(|p| (p.time, p.no))
            .collect();
        let kinds = crate::net::drops::by_kind(&recent, &sends);
        match kinds.len() {
            0 => {}
            n if n > KINDS => head.push_str(&format!(
                "; the last {KINDS} of {n} kinds in the last minute (the tracepoint is host-wide: not all are yours):"
            )),
            _ => head.push_str(
                "; the last minute's, by kind (the tracepoint is host-wide: not all are yours):",
            ),
        }
        for l in style.wrap(&head, "  drops     ", "            ") {
            writeln!(out, "{l}")?;
        }
        for k in kinds.iter().skip(kinds.len().saturating_sub(KINDS)) {
            for l in style.wrap(&k.words(), "            ", "              ") {
                writeln!(out, "{l}")?;
            }
        }
        Ok(())
    }

    /// Whether a listener (IP or link) is open.
    pub fn listening(&self) -> bool {
        !self.listeners.is_empty() || !self.link_listeners.is_empty()
    }

    fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::Relaxed)
    }
}

/// The socket() call a mode uses for a packet, from the packet's own layers (its
/// family from the first, the protocol from what follows it).
pub fn socket_words(mode: Mode, first: &'static Protocol, bytes: &[u8]) -> String {
    let d = wire::dissect::dissect(bytes, first);
    let family = if first == &wire::ipv6::IPV6 {
        net::Family::V6
    } else {
        net::Family::V4
    };
    let proto = upper_proto(first, d.layers.iter().skip(1).map(|l| l.proto)).or_else(|| {
        first
            .next_field
            .and_then(|f| d.layers.first().map(|l| l.get(bytes, f)))
    });
    net::describe_mode_in(family, mode, proto.unwrap_or(255) as u8)
}

/// The protocol a raw socket is opened for to send or see a packet whose network layer
/// is `net`, given the layers after it: the first past IPv6's extension headers, which
/// the kernel takes in before it hands the packet to its sockets.
fn upper_proto<'a>(net: &Protocol, after: impl IntoIterator<Item = &'a Protocol>) -> Option<u128> {
    after
        .into_iter()
        .find(|p| !wire::ipv6::is_extension(p))
        .and_then(|p| p.id_under(net))
}

/// The interface `mode link` uses until told otherwise: the cable to the sandbox's peer,
/// or lo.
fn default_link_iface(peer: Option<&Peer>) -> String {
    peer.map_or("lo", |p| p.iface).to_string()
}

/// ip.proto of a built packet's IPv4 layer, wherever it is (0 when it has none).
fn ip_proto(built: &crate::wire::template::Built) -> u8 {
    built
        .layers
        .iter()
        .find(|(p, _, _)| *p == &ipv4::IPV4)
        .map_or(0, |(_, start, _)| {
            ipv4::PROTO.get(&built.bytes[*start..]) as u8
        })
}

/// `icmp`, or `IP protocol 47`.
fn proto_words(proto: u8) -> String {
    match ipv4::PROTO.value_name(proto as u128) {
        Some(n) => n.to_string(),
        None => format!("IP protocol {proto}"),
    }
}

/// The mark on a field rawlab left 0 for the kernel to write (`Fill::Kernel`), in
/// the template (`show`) and in what was sent.
fn left_for_kernel(what: &str) -> String {
    format!("left 0 for the kernel: {what}")
}
