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
mod fragment;
mod inspect;
mod lesson;
mod link;
mod listen;
mod ping;
mod predict;
mod progress;
mod send;
mod shower;
mod status;
mod task;
mod template;
mod trace;
mod transmit;
mod trigger;
mod why;

pub use expect::describe as describe_expect;
pub use file::{capture_files, expand as expand_path, is_capture_name};
pub use progress::{Progress, progress_path, state_dir};

use crate::render::duration_words;
pub use shower::{Detail, Shower, Shown, View};

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
use crate::wire::{self, Protocol, ipv4};
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
    /// The interface `mode link` sends on.
    pub link_iface: String,
    /// The sandbox's second host, when there is one.
    pub peer: Option<Arc<Peer>>,
    pub net: Net,
    /// Set by Ctrl-C: stops a running send, ping or wait.
    pub interrupt: Arc<AtomicBool>,
    /// Commands that failed (for a script's exit status).
    pub failures: usize,
    /// The ICMP identifier this session's `ping` uses, unique to it.
    ping_ident: u16,
    /// Where packets may go and how fast.
    pub policy: Policy,
    /// How the last `expect` came out: what was seen, or expected vs actual.
    pub last_expect: Option<Result<String, String>>,
    /// What the last failed command said, for a script's report.
    pub last_error: Option<String>,
    /// `privilege off` gave up CAP_NET_RAW (and `reset` takes it back).
    net_raw_dropped: bool,
    /// The template cut into fragments (`fragment SIZE`), which `send` sends instead.
    fragmented: Option<fragment::Fragmented>,
    /// The lesson, task and prediction under way, and what the front ends asked of
    /// teaching (where progress goes, how narration is drawn).
    pub teach: lesson::Teaching,
    /// Its listeners, sending sockets, triggers and servers.
    pub open: listen::Open,
    /// What the kernel counted and said, and what the last commands came to.
    pub evidence: evidence::Evidence,
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
            policy.peers.extend(p.hosts());
        }
        let shower = Arc::new(Shower::new(Store::new(opts.ring), style, shared));
        shower.own_flow("icmp", ping_ident as u64);
        Session {
            template: Template::default(),
            mode: Mode::Raw,
            timeout: Duration::from_secs(1),
            shower,
            link_iface: default_link_iface(opts.peer.as_deref()),
            peer: opts.peer,
            net,
            interrupt: Arc::new(AtomicBool::new(false)),
            failures: 0,
            ping_ident,
            policy,
            last_expect: None,
            last_error: None,
            net_raw_dropped: false,
            fragmented: None,
            teach: lesson::Teaching::default(),
            evidence: evidence::Evidence {
                traffic_from: 1,
                last_ping: None,
                refused: std::sync::atomic::AtomicI32::new(0),
                counters: crate::net::counters::Source::open(),
                outcomes: Default::default(),
                tracer: opts.tracer,
                no_tracer: opts.no_tracer,
            },
            open: listen::Open {
                listeners: Vec::new(),
                link_listeners: Vec::new(),
                sockets: HashMap::new(),
                triggers: Vec::new(),
                servers: Vec::new(),
            },
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
        if self.asking() {
            return "your answer> ".to_string();
        }
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
        if self.asking() {
            self.answer(line, out)?;
            return Ok(Flow::Continue);
        }
        match command::parse(
            line,
            &Context {
                stack: &self.stack(),
                room: self.template.payload_room(),
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
            Command::Comment(text) => self.comment(text, out)?,
            Command::Say(text) => self.say(text, out)?,
            Command::New(stack) => {
                self.fragmented = None;
                self.new_template(stack, out)?
            }
            Command::Set(f, v) => self.set_or_unset(f, Some(v), out)?,
            Command::SetQuoted(f, v) => {
                self.then_refragment(out, |s, out| s.set_quoted_field(f, v, out))?
            }
            Command::SetOption(f, v) | Command::SetQuotedOption(f, v) => {
                let quoted = matches!(cmd, Command::SetQuotedOption(..));
                self.then_refragment(out, |s, out| s.set_option(f, Some(v), quoted, out))?
            }
            Command::UnsetOption(f) | Command::UnsetQuotedOption(f) => {
                let quoted = matches!(cmd, Command::UnsetQuotedOption(..));
                self.then_refragment(out, |s, out| s.set_option(f, None, quoted, out))?
            }
            Command::UnsetQuoted(f) => {
                self.then_refragment(out, |s, out| s.unset_quoted_field(f, out))?
            }
            Command::Fragment(what) => self.fragment(what, out)?,
            Command::Fragments(pick) => self.fragments(pick, out)?,
            Command::SetTimeout(d) => self.set_timeout(*d, out)?,
            Command::Unset(f) => self.set_or_unset(f, None, out)?,
            Command::Payload(p) => self.then_refragment(out, |s, out| s.set_payload(p, out))?,
            Command::Show => {
                self.show_template(out)?;
                Flow::Continue
            }
            Command::Hex => self.hex(out)?,
            Command::Mode(m) => self.set_mode(*m, out)?,
            Command::Send(args) => self.traffic(out, |s, out| s.send(args, out))?,
            Command::Ping(args, mode, opts) => {
                self.traffic(out, |s, out| s.ping(args, *mode, *opts, out))?
            }
            Command::Trigger(t) => self.traffic(out, |s, out| s.trigger(t, out))?,
            Command::Predict(p) => {
                self.predict(p, out)?;
                Flow::Continue
            }
            Command::Listen(proto) => self.listen(net::Family::V4, *proto, out)?,
            Command::ListenV6(proto) => self.listen(net::Family::V6, *proto, out)?,
            Command::ListenLink { iface, once } => {
                self.listen_link(iface.as_deref(), *once, out)?
            }
            Command::ModeLink(iface) => self.mode_link(iface.as_deref(), out)?,
            Command::Ifaces => self.ifaces(out)?,
            Command::Route(dst) => self.route(*dst, out)?,
            Command::Trace { dst, probe, hops } => self.trace(*dst, *probe, *hops, out)?,
            Command::ListenWhere {
                listen,
                filter,
                text,
            } => self.listen_where(listen, filter, text, out)?,
            Command::ListenOff => self.listen_off(out)?,
            Command::Wait(d) => self.wait(*d, out)?,
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
                self.explain(f, false, out)?;
                Flow::Continue
            }
            Command::ExplainQuoted(f) => {
                self.explain(f, true, out)?;
                Flow::Continue
            }
            Command::Clear => self.clear(out)?,
            Command::Reset => {
                self.fragmented = None;
                self.reset(out)?
            }
            Command::Help(topic) => {
                self.help(topic.as_deref(), out)?;
                Flow::Continue
            }
            Command::Status => {
                self.status(out)?;
                Flow::Continue
            }
            Command::Privilege(on) => self.privilege(*on, out)?,
            Command::Expect(e) => {
                self.expect(e, out)?;
                Flow::Continue
            }
            Command::Lesson(l) => self.lesson(l, out)?,
            Command::TaskBlock(t) => self.start_task(t, out)?,
            Command::Hint(text) => self.hint(text.as_deref(), out)?,
            Command::GiveUp => self.give_up(out)?,
            Command::Task(_) | Command::Solution | Command::End(_) => self.fail(
                out,
                "`task`, `solution` and `end` write a task in a lesson file (task \"GOAL\" … end task); `lesson N` takes a lesson and stops at its tasks",
            )?,
            Command::Serve(what) => self.serve(*what, out)?,
            Command::Quit => Flow::Quit,
        };
        self.shower.show_pending(out)?;
        Ok(flow)
    }

    /// `set FIELD VALUE` and `unset FIELD`: on the fragments while the template is
    /// fragmented, else on the template, which is then fragmented again.
    fn set_or_unset(
        &mut self,
        f: &'static wire::Field,
        v: Option<&wire::template::Value>,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        if let Some(flow) = self.set_while_fragmented(f, v, out)? {
            return Ok(flow);
        }
        let flow = match v {
            Some(v) => self.set_field(f, v, out)?,
            None => self.unset_field(f, out)?,
        };
        self.refragment(out)?;
        Ok(flow)
    }

    /// An edit of the template, then the fragments made again from it.
    fn then_refragment(
        &mut self,
        out: &mut dyn Write,
        edit: impl FnOnce(&mut Self, &mut dyn Write) -> io::Result<Flow>,
    ) -> io::Result<Flow> {
        let flow = edit(self, out)?;
        self.refragment(out)?;
        Ok(flow)
    }

    /// A command that makes traffic (send, ping, trigger): the checks that follow
    /// look at what comes from here on; then a prediction is revealed and a task's
    /// goal checked.
    fn traffic(
        &mut self,
        out: &mut dyn Write,
        run: impl FnOnce(&mut Self, &mut dyn Write) -> io::Result<Flow>,
    ) -> io::Result<Flow> {
        self.evidence.traffic_from = self.shower.store.next_no();
        self.evidence.refused.store(0, Ordering::Relaxed);
        let flow = run(self, out)?;
        self.reveal(out)?;
        self.task_try(out)?;
        Ok(flow)
    }

    fn need_network(&mut self, out: &mut dyn Write) -> Option<io::Result<Flow>> {
        if let Net::Unavailable(why) = &self.net {
            let why = why.clone();
            return Some(self.fail(out, &why));
        }
        None
    }

    /// Whether a listener (IP or link) is open.
    pub fn listening(&self) -> bool {
        !self.open.listeners.is_empty() || !self.open.link_listeners.is_empty()
    }

    fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::Relaxed)
    }
}

/// The socket() call a mode uses for the template: its family from the network layer,
/// the protocol from the layers after it, as the send picks them (not from ip.proto,
/// which with IP_HDRINCL may say something else).
pub fn socket_words(mode: Mode, built: &wire::template::Built) -> String {
    let layers: Vec<&'static Protocol> = built.layers.iter().map(|(p, _, _)| *p).collect();
    let at = layers
        .iter()
        .position(|p| *p == &wire::ipv4::IPV4 || *p == &wire::ipv6::IPV6);
    let family = match at.map(|i| layers[i]) {
        Some(p) if p == &wire::ipv6::IPV6 => net::Family::V6,
        _ => net::Family::V4,
    };
    let proto = at
        .and_then(|i| upper_proto(layers[i], layers[i + 1..].iter().copied()))
        .unwrap_or(255);
    net::describe_mode_in(family, mode, proto as u8)
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

/// `icmp`, or `IP protocol 47`.
fn proto_words(proto: u8) -> String {
    match ipv4::PROTO.value_name(proto as u128) {
        // 255 is no protocol on the wire: as socket()'s argument, IPPROTO_RAW.
        Some(_) if proto == 255 => "IPPROTO_RAW (255)".to_string(),
        Some(n) => n.to_string(),
        None => format!("IP protocol {proto}"),
    }
}

/// The mark on a field rawlab left 0 for the kernel to write (`Fill::Kernel`), in
/// the template (`show`) and in what was sent.
fn left_for_kernel(what: &str) -> String {
    format!("left 0 for the kernel: {what}")
}
