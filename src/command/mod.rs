//! The command language: one line in, one [`Command`] out, or an error that
//! says where (a byte span for the caret), what was wrong, what would be
//! accepted, and what the user may have meant. Parsing has no side effects;
//! it reads the template's layer stack to resolve short field names, and the room its
//! headers leave to hold a payload to it.
//!
//! A line goes: [`words`] splits it, [`COMMANDS`] (the one table of commands, in
//! `table.rs`) finds the command by its first word, and the command's own parse
//! function (in `grammar/`) reads the rest, with the value parsers of `values/`;
//! `expect.rs` holds the checks lessons make, `script.rs` the script files and
//! `lessons.rs` the built-in lessons.

pub mod bpf;
mod expect;
pub mod filter;
mod grammar;
pub use grammar::{quoted_field, quoted_field_names};
pub mod lessons;
mod predict;
pub mod script;
mod table;
#[cfg(test)]
mod tests;
mod values;
mod words;

pub use expect::{Cmp, ERRNOS, Expect, FieldCheck, Operand, ReplyCheck, SOCKETS};
pub use predict::{Answer, Ask, Predict, parse_answer};
pub use table::{COMMANDS, CommandInfo, Offer, Offers, Parse, command_info};
pub use values::{parse_duration_str, parse_mac_str};
pub use words::{Token, quote_arg, words};

use crate::net::Mode;
use crate::wire::suggest::closest;
use crate::wire::template::{Payload, Value};
use crate::wire::{self, DATA, Field, Kind, Lookup, Protocol};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::{Range, RangeInclusive};
use std::time::Duration;
use words::tokenize;

/// What `send` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct SendArgs {
    /// `send DST`, `ping DST`: IPv4 or IPv6 (`trigger ping` takes IPv4 alone).
    pub dst: Option<IpAddr>,
    pub count: u64,
    pub every: Option<Duration>,
    /// `send order 2 1`: the fragments to send, by number (1 is the first), in this
    /// order; empty sends every fragment in order (or the template when not fragmented).
    pub order: Vec<usize>,
}

/// What `fragment` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragmenting {
    /// `fragment SIZE`: split the template for an MTU of SIZE bytes.
    Mtu(u16),
    /// `fragment off`: back to the whole template.
    Off,
}

/// What `fragments` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FragmentPick {
    /// `fragments`: list them.
    List,
    /// `fragments N`: show fragment N and select it, so `set` changes it alone.
    One(usize),
    /// `fragments all`: select none: `set` changes the template, split again.
    All,
}

/// What `ping` takes besides count, every and mode, as ping(8) does: the ICMP data's
/// size (`-s`, 56 by default) and the TTL (`-t`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PingOpts {
    pub size: Option<u16>,
    pub ttl: Option<u8>,
    /// `stamps`: each line begins with the time its answer came, as `ping -D` prints.
    pub stamps: bool,
    /// `rr`: a record-route option in each request, its addresses shown with each
    /// reply, as `ping -R` does.
    pub record_route: bool,
}

/// Most ICMP data bytes `ping size` takes: what fits an IPv4 datagram after 28 bytes
/// of headers (ping(8) says the same).
pub const MAX_PING_SIZE: u16 = 65_507;

/// The probes `trace` sends: traceroute(8)'s `-I`, its default (UDP), and `-T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Icmp,
    Udp,
    Tcp,
}

impl Probe {
    pub fn name(self) -> &'static str {
        match self {
            Probe::Icmp => "icmp",
            Probe::Udp => "udp",
            Probe::Tcp => "tcp",
        }
    }
}

/// Most hops `trace` tries (traceroute(8)'s default).
pub const MAX_HOPS: u8 = 30;

/// Largest `count` a single send accepts.
pub const MAX_COUNT: u64 = 100_000;

/// What `serve` runs on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// A TCP server answering each connection with a short HTTP reply.
    Http,
    /// A UDP socket that sends every datagram back (RFC 862).
    UdpEcho,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A blank line.
    Nothing,
    /// `# text`: narration in a script.
    Comment(String),
    New(Vec<&'static Protocol>),
    Set(&'static Field, Value),
    /// `set quoted.FIELD VALUE`: a field of the datagram an ICMP error quotes.
    SetQuoted(&'static Field, Value),
    SetTimeout(Duration),
    /// `set ip.opt.rr 9`: an option set by name, by the field that names it.
    SetOption(&'static Field, wire::OptionValue),
    /// `unset ip.opt.rr`: that option taken out.
    UnsetOption(&'static Field),
    /// `set quoted.ip.opt.rr 9`: an option of the datagram an ICMP error quotes.
    SetQuotedOption(&'static Field, wire::OptionValue),
    /// `unset quoted.ip.opt.rr`.
    UnsetQuotedOption(&'static Field),
    Unset(&'static Field),
    /// `unset quoted.FIELD`.
    UnsetQuoted(&'static Field),
    Payload(Payload),
    Show,
    Hex,
    Mode(Mode),
    Send(SendArgs),
    /// `fragment SIZE | off`: the template as the fragments an MTU of SIZE makes.
    Fragment(Fragmenting),
    /// `fragments [N | all]`: list the fragments, or show and select one.
    Fragments(FragmentPick),
    /// `listen icmp` / `listen proto N`: an IP protocol number.
    Listen(u8),
    /// `listen icmp6`: an AF_INET6 raw socket for an IPv6 next-header number.
    ListenV6(u8),
    /// `listen link [IFACE] [once]`: an AF_PACKET socket on one interface or all; `once`
    /// drops the incoming twin of each frame looped back on lo.
    ListenLink {
        iface: Option<String>,
        once: bool,
    },
    /// `route DST`: the kernel's route to DST and the path MTU it cached.
    Route(IpAddr),
    /// `trace DST [proto icmp|udp|tcp] [hops N]`: probes with TTL 1, 2, … until the
    /// destination answers.
    Trace {
        dst: IpAddr,
        probe: Probe,
        hops: u8,
    },
    /// `listen … where EXPR`: a listener whose packets are shown only when the filter
    /// passes them (all are kept and related; `dump N` draws any). `text` as typed.
    ListenWhere {
        listen: Box<Command>,
        filter: filter::Filter,
        text: String,
    },
    /// `mode link [IFACE]`: send whole frames on an interface.
    ModeLink(Option<String>),
    /// `ifaces`: the interfaces, read over netlink.
    Ifaces,
    ListenOff,
    Wait(Duration),
    Say(String),
    Help(Option<String>),
    /// `ping DST [count N] [every DUR] [mode M]`: echo requests with a timestamp, RTT per
    /// reply, sent as the mode says (by default as ping(8) sends: the kernel writes the IP
    /// header).
    Ping(SendArgs, Mode, PingOpts),
    /// `trigger ping DST …`: traffic made by the kernel, as if from another window.
    Trigger(Trigger),
    Captures,
    /// `save FILE [N | A-B …]`, `save! FILE …`: packets kept (all when none are named) to
    /// a capture file; `force` (save!) overwrites an existing one. The path is as typed
    /// (`~/` is the executor's to expand).
    Save {
        path: String,
        force: bool,
        packets: Vec<RangeInclusive<u64>>,
    },
    /// `load FILE`: a capture file's packets into the session's numbered list.
    Load(String),
    Dump(u64),
    /// `why N`: what became of packet #N, or what it is, with the evidence.
    Why(u64),
    Diff(u64, u64),
    Clear,
    Explain(&'static Field),
    /// `explain quoted.FIELD`: the field in the datagram an ICMP error quotes.
    ExplainQuoted(&'static Field),
    Reset,
    Status,
    /// `privilege off|on`: CAP_NET_RAW given up (effective set only) or taken back, to
    /// see what a raw socket is without it.
    Privilege(bool),
    /// `expect …`: a check on what actually happened, for lessons.
    Expect(Expect),
    /// `predict "QUESTION" -> KIND`: asks, takes the learner's answer, and compares it
    /// with what the next send, ping or trigger shows.
    Predict(Predict),
    Lesson(LessonCmd),
    /// `task "GOAL"`: opens a task in a lesson file (up to `end task`); the script
    /// reader folds the block into a [`Command::TaskBlock`].
    Task(String),
    /// A lesson's task, folded: its goal, its expects, hints and reference solution.
    TaskBlock(Box<script::Task>),
    /// `hint TEXT` in a task; `hint` alone at the prompt: the running task's next hint.
    Hint(Option<String>),
    /// `solution`: opens a task's reference solution (up to `end solution`).
    Solution,
    /// `end task`, `end solution`.
    End(Block),
    /// `give up`: the running task's reference solution, shown and run.
    GiveUp,
    /// `serve tcp PORT`: a small HTTP server on 127.0.0.1; `serve udp PORT`: a UDP echo
    /// server there; `serve off`.
    Serve(Option<(Served, u16)>),
    Quit,
}

/// A block in a lesson file that `end` closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Task,
    Solution,
}

/// What `lesson` was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum LessonCmd {
    List,
    /// Start the lesson with this number or name, step by step.
    Start(String),
    /// The lesson after the current (or last) one.
    Next,
    Stop,
}

/// Traffic `trigger` makes, through ordinary sockets rather than raw ones.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Echo requests built by the kernel, through an ICMP datagram ("ping") socket.
    Ping(SendArgs),
    /// A real HTTP GET to a server on 127.0.0.1 (a one-shot one, unless `serve` runs on the port).
    Http(Option<u16>),
    /// One UDP datagram.
    Udp {
        dst: Ipv4Addr,
        port: u16,
        data: Vec<u8>,
    },
}

/// A parse error: where (byte span of the line), what, what would do, and a guess.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub span: Range<usize>,
    pub message: String,
    pub expected: Option<String>,
    pub suggestion: Option<String>,
}

impl From<&ParseError> for crate::render::Caret {
    fn from(e: &ParseError) -> Self {
        crate::render::Caret {
            span: e.span.clone(),
            message: e.message.clone(),
            expected: e.expected.clone(),
            suggestion: e.suggestion.clone(),
        }
    }
}

impl ParseError {
    fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        ParseError {
            span,
            message: message.into(),
            expected: None,
            suggestion: None,
        }
    }
    fn expected(mut self, e: impl Into<String>) -> Self {
        self.expected = Some(e.into());
        self
    }
    fn suggest(mut self, s: Option<String>) -> Self {
        self.suggestion = s;
        self
    }

    /// 1-based column of the error's start, counted in characters.
    pub fn column(&self, line: &str) -> usize {
        line.get(..self.span.start.min(line.len()))
            .map_or(1, |s| s.chars().count() + 1)
    }
}

/// What parsing may read: the layers of the template the line applies to, and how
/// many payload bytes fit after its headers.
pub struct Context<'a> {
    pub stack: &'a [&'static Protocol],
    /// [`Template::payload_room`](crate::wire::template::Template::payload_room).
    pub room: usize,
}

impl<'a> Context<'a> {
    /// The context of a fresh template over `stack` (no options set), as a script is
    /// checked before it runs and the prompt judges a line as it is typed.
    pub fn new(stack: &'a [&'static Protocol]) -> Context<'a> {
        Context {
            stack,
            room: crate::wire::template::Template::new(stack).payload_room(),
        }
    }
}

/// Parses one line.
pub fn parse(line: &str, ctx: &Context) -> Result<Command, ParseError> {
    if let Some(text) = line.trim_start().strip_prefix('#') {
        return Ok(Command::Comment(text.trim().to_string()));
    }
    let tokens = tokenize(line)?;
    let Some((first, rest)) = tokens.split_first() else {
        return Ok(Command::Nothing);
    };
    if first.quoted && command_info(&first.text).is_some() {
        return Err(ParseError::new(
            first.span.clone(),
            "a command is a bare word, not a string in quotes",
        )
        .expected("a command: type `help` for the list")
        .suggest(Some(format!("write it without quotes: {}", first.text))));
    }
    let Some(info) = command_info(&first.text).filter(|_| !first.quoted) else {
        let names = COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()));
        let guess = closest(&first.text, names)
            .first()
            .map(|n| format!("did you mean `{n}`?"));
        return Err(ParseError::new(
            first.span.clone(),
            format!("unknown command `{}`", first.shown()),
        )
        .expected("a command: type `help` for the list")
        .suggest(guess));
    };
    let mut args = Args {
        tokens: rest,
        pos: 0,
        end: line.len(),
        line,
        word: first,
        info,
    };
    let cmd = (info.parse)(&mut args, ctx)?;
    args.finish()?;
    Ok(cmd)
}

/// The words after a command name, consumed left to right.
pub struct Args<'a> {
    tokens: &'a [Token],
    pos: usize,
    /// Where the line ends, for an error about what is missing.
    end: usize,
    line: &'a str,
    /// The command's name as typed (`save!`, `q`).
    word: &'a Token,
    info: &'static CommandInfo,
}

impl<'a> Args<'a> {
    fn next(&mut self, what: &str) -> Result<&'a Token, ParseError> {
        match self.tokens.get(self.pos) {
            Some(t) => {
                self.pos += 1;
                Ok(t)
            }
            None => Err(ParseError::new(
                self.end..self.end + 1,
                format!("`{}` needs {what}", self.info.name),
            )
            .expected(format!(
                "{} (for example: {})",
                self.info.syntax, self.info.example
            ))),
        }
    }

    fn pos_next(&mut self) -> Option<&'a Token> {
        let t = self.tokens.get(self.pos);
        self.pos += t.is_some() as usize;
        t
    }

    /// The remaining words as one value (`payload c0 de` is `c0de`), keeping the first span.
    fn rest_joined(&mut self, what: &str) -> Result<Token, ParseError> {
        let first = self.next(what)?.clone();
        let rest = &self.tokens[self.pos..];
        self.pos = self.tokens.len();
        if rest.is_empty() || first.quoted || rest.iter().any(|t| t.quoted) {
            if let Some(extra) = rest.first() {
                return Err(ParseError::new(
                    extra.span.clone(),
                    format!("unexpected `{}` after the value", extra.shown()),
                )
                .expected("one value"));
            }
            return Ok(first);
        }
        // The blanks between the words become as many spaces as they took bytes, so a
        // place in the text is the same distance from the first word's start as on the
        // line, and an error's caret lands under the right character.
        let mut text = first.text.clone();
        let mut end = first.span.end;
        for t in rest {
            text.extend(std::iter::repeat_n(' ', t.span.start.saturating_sub(end)));
            text.push_str(&t.text);
            end = t.span.end;
        }
        Ok(Token {
            text,
            span: first.span.start..rest.last().map_or(first.span.end, |t| t.span.end),
            quoted: false,
        })
    }

    /// `t` where none of `words` (nor anything else) goes: the command's syntax, and the
    /// word it may have meant.
    fn unexpected(&self, t: &Token, words: &[&str]) -> ParseError {
        ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
            .expected(format!(
                "{} (for example: {})",
                self.info.syntax, self.info.example
            ))
            .suggest(values::did_you_mean(&t.text, words.iter().copied()))
    }

    fn finish(&self) -> Result<(), ParseError> {
        match self.tokens.get(self.pos) {
            None => Ok(()),
            Some(t) => Err(ParseError::new(
                t.span.start..self.tokens.last().unwrap().span.end,
                format!("unexpected `{}`", t.shown()),
            )
            .expected(format!(
                "{} (for example: {})",
                self.info.syntax, self.info.example
            ))),
        }
    }
}
