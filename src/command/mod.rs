//! The command language: one line in, one [`Command`] out, or an error that
//! says where (a byte span for the caret), what was wrong, what would be
//! accepted, and what the user may have meant. Parsing has no side effects;
//! it reads the template's layer stack only to resolve short field names.
//!
//! [`COMMANDS`] is the one table of commands: the parser dispatches on it, and
//! `help`, completion and did-you-mean read it.

pub mod lessons;
pub mod script;

use crate::net::Mode;
use crate::wire::suggest::closest;
use crate::wire::template::{Payload, Value};
use crate::wire::{self, DATA, Field, Kind, Lookup, Protocol};
use nom::branch::alt;
use nom::bytes::complete::{escaped_transform, is_not, tag, take_while1};
use nom::character::complete::{char, digit1, hex_digit1};
use nom::combinator::{all_consuming, map, opt, recognize, value};
use nom::sequence::{delimited, pair, preceded};
use nom::{IResult, Parser};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::{Range, RangeInclusive};
use std::time::Duration;

/// What `send` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct SendArgs {
    pub dst: Option<Ipv4Addr>,
    pub count: u64,
    pub every: Option<Duration>,
}

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
    SetTimeout(Duration),
    Unset(&'static Field),
    Payload(Payload),
    Show,
    Hex,
    Mode(Mode),
    Send(SendArgs),
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
    Ping(SendArgs, Mode),
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
    Reset,
    Status,
    /// `expect …`: a check on what actually happened, for lessons.
    Expect(Expect),
    Lesson(LessonCmd),
    /// `serve tcp PORT`: a small HTTP server on 127.0.0.1; `serve udp PORT`: a UDP echo
    /// server there; `serve off`.
    Serve(Option<(Served, u16)>),
    Quit,
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

/// How an `expect` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub const ALL: [(&'static str, Cmp); 6] = [
        ("==", Cmp::Eq),
        ("!=", Cmp::Ne),
        ("<=", Cmp::Le),
        (">=", Cmp::Ge),
        ("<", Cmp::Lt),
        (">", Cmp::Gt),
    ];

    pub fn symbol(self) -> &'static str {
        Cmp::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("==", |(s, _)| s)
    }

    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

/// A field compared with a value: `icmp.type == echo-reply`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCheck {
    pub field: &'static Field,
    pub cmp: Cmp,
    pub value: Value,
}

/// What an `expect` line checks. Traffic checks look at the packets since the last
/// send, ping or trigger began.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// A reply arrived (within the time given, waiting if need be), and the first one passes the check.
    Reply {
        check: Option<FieldCheck>,
        within: Option<Duration>,
    },
    /// No reply arrives (waiting the time given).
    NoReply { within: Option<Duration> },
    /// The kernel changed (or kept) this field of the last send, on its way out.
    KernelChanged {
        field: &'static Field,
        changed: bool,
    },
    /// How many packets were captured.
    Captured { cmp: Cmp, count: u64 },
    /// A field of the last packet captured, or of packet N.
    Packet { no: Option<u64>, check: FieldCheck },
    /// How many replies the last ping received.
    PingReceived { cmp: Cmp, count: u64 },
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

/// A command's entry in the table: its syntax, what it does, an example.
pub struct CommandInfo {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub syntax: &'static str,
    pub summary: &'static str,
    pub example: &'static str,
    /// What the example does and what to look for, for `help COMMAND`.
    pub detail: &'static str,
}

/// Every command, in the order `help` lists them.
pub static COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        name: "show",
        aliases: &[],
        syntax: "show",
        summary: "the template annotated, field by field, as it will be sent",
        example: "show",
        detail: "Draws the packet rawlab will hand to the kernel: hex rows coloured by field, then one line per field with its value, bytes and meaning. Fields rawlab computes and fields left for the kernel are marked.",
    },
    CommandInfo {
        name: "hex",
        aliases: &[],
        syntax: "hex",
        summary: "a plain hex dump of the template's bytes",
        example: "hex",
        detail: "The same bytes as `show`, as a plain hexyl dump: offsets, hex and text, nothing else.",
    },
    CommandInfo {
        name: "new",
        aliases: &[],
        syntax: "new STACK",
        summary: "start a new template from a layer stack (fields at their defaults)",
        example: "new ip/icmp",
        detail: "Replaces the template with a fresh one over the layers named, outermost first, separated by /. Every field starts at its table default; the payload is empty. `reset` brings back the post's packet instead.",
    },
    CommandInfo {
        name: "set",
        aliases: &[],
        syntax: "set FIELD VALUE | set timeout DURATION",
        summary: "change one field (full or short name); or how long send waits for replies",
        example: "set ttl 1",
        detail: "Sets ip.ttl to 1 in the template. Fields take Wireshark's names (ip.ttl, icmp.type) or a short name that fits one field (ttl). Values: decimal, 0x hex, 0b binary, a dotted IPv4 address, or a name such as echo-reply. rawlab hands over a field you set exactly as you set it, even a wrong checksum; what the kernel does with it depends on the mode: in modes raw and hdrincl Linux still rewrites ip.len and ip.checksum (and fills ip.id and ip.src when they are 0), in mode kernel it writes the whole IP header, and in mode link nothing is touched. A listener shows what went on the wire, with each field the kernel changed marked.",
    },
    CommandInfo {
        name: "unset",
        aliases: &[],
        syntax: "unset FIELD",
        summary: "put a field back to automatic (or its default)",
        example: "unset icmp.checksum",
        detail: "Hands icmp.checksum back to rawlab, which computes it again on every build. For fields the kernel fills (ip.id, ip.src, ip.checksum) it goes back to 0, the kernel's cue.",
    },
    CommandInfo {
        name: "payload",
        aliases: &[],
        syntax: "payload HEX | \"TEXT\" | time | zeros N",
        summary: "the bytes after the last header",
        example: "payload c0de",
        detail: "Puts the two bytes c0 de after the ICMP header, as the post does. \"TEXT\" takes the bytes of the text (escapes \\n \\t \\\" work), `time` a 16-byte send timestamp as ping(8) writes it, `zeros 56` fifty-six zero bytes.",
    },
    CommandInfo {
        name: "mode",
        aliases: &[],
        syntax: "mode raw | hdrincl | kernel | link [IFACE]",
        summary: "how packets reach the kernel: IPPROTO_RAW, IP_HDRINCL, the kernel writes the IP header, or whole frames over AF_PACKET",
        example: "mode kernel",
        detail: "From now on send uses socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) without IP_HDRINCL: rawlab hands over only the ICMP message and the kernel writes the IP header itself (TTL and TOS from socket options). Compare its header with yours. `mode raw` (IPPROTO_RAW) and `mode hdrincl` (IP_HDRINCL on the template's protocol) send your header. `mode link veth0` sends whole frames (`new eth/arp`, `new eth/ip/icmp`) through socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) on an interface: the kernel adds and fixes nothing. In the sandbox the default interface is veth0, the cable to the peer; on the host's network, a real interface other than lo needs --allow-remote. The mode is for `send`: `ping` sends as ping(8) does unless told (`ping 127.0.0.1 mode raw`).",
    },
    CommandInfo {
        name: "send",
        aliases: &[],
        syntax: "send [DST] [count N] [every DURATION]",
        summary: "send the template and show what the kernel put on the wire and what came back",
        example: "send 127.0.0.1 count 3 every 100ms",
        detail: "Sends the template three times to 127.0.0.1, 100 ms apart. Each send is numbered; its copy on the wire is shown with every field the kernel changed marked, and each reply with what differs from the request. rawlab waits up to the timeout (`set timeout`) for replies, and if none comes says why it thinks so. Ctrl-C stops it.",
    },
    CommandInfo {
        name: "ping",
        aliases: &[],
        syntax: "ping DST [count N] [every DURATION] [mode raw|hdrincl|kernel]",
        summary: "the post's closing exercise: echo requests with a timestamp, the round trip of each, statistics at the end",
        example: "ping 127.0.0.1 count 5 every 200ms",
        detail: "Builds five echo requests, each with this session's own identifier, a sequence number and a send timestamp in the payload, and prints one line per reply with its round-trip time, then ping(8)'s statistics: transmitted, received, loss, min/avg/max/mdev. They go out as ping(8) sends them, through a raw ICMP socket that lets the kernel write the IP header, and the socket that waits for replies lets only answers in (echo replies, and ICMP messages that report a packet undelivered), so the times compare with ping(8)'s; the session's mode is for `send`. With a listener open (`listen icmp`) each request is also shown as it went on the wire, with the kernel's share of the round trip, at the cost of the copy the kernel makes for the listener. `mode raw` at the end sends them through IPPROTO_RAW with rawlab's IP header, as the post does (`mode hdrincl`: IP_HDRINCL); that costs some microseconds a packet, because the kernel makes a route for each packet whose header it did not write. Defaults: count 4, every 1s. Ctrl-C stops it and prints the statistics.",
    },
    CommandInfo {
        name: "trigger",
        aliases: &[],
        syntax: "trigger ping DST [count N] [every DURATION] | trigger http [PORT] | trigger udp DST PORT [DATA]",
        summary: "make traffic \"from another window\": kernel-built pings, a real HTTP GET, a UDP datagram",
        example: "trigger ping 127.0.0.1 count 3",
        detail: "Sends three echo requests through an ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP), the way ping(8) does without privilege: the kernel writes both headers and picks the identifier. It runs in the background, so a listener shows the packets while you type. `trigger http 8080` connects to 127.0.0.1:8080 (starting a one-shot server there unless `serve tcp 8080` runs) and sends a GET, so `listen tcp` sees the handshake, the request, the answer and the close. `trigger udp 127.0.0.1 9999 \"hi\"` sends one datagram; to a closed port it earns an ICMP port unreachable that quotes it.",
    },
    CommandInfo {
        name: "serve",
        aliases: &[],
        syntax: "serve tcp PORT | serve udp PORT | serve off",
        summary: "a small HTTP or UDP echo server on 127.0.0.1, to send your own segments and datagrams to",
        example: "serve tcp 8080",
        detail: "`serve tcp 8080` listens on 127.0.0.1:8080 and answers every connection with a short HTTP reply, until `serve off`. Send it a SYN you built (new ip/tcp, set dstport 8080) and watch the kernel answer SYN-ACK, then reset the connection it never opened. `serve udp 7` sends every datagram that reaches 127.0.0.1:7 back to where it came from (the echo service, RFC 862): a datagram you built (new ip/udp, set dstport 7) earns an answer with the ports swapped.",
    },
    CommandInfo {
        name: "listen",
        aliases: &[],
        syntax: "listen icmp | tcp | udp | icmp6 | proto N | link [IFACE] [once] | off",
        summary: "open a raw socket for an IP protocol, or a packet socket for every frame; captures are shown as they arrive",
        example: "listen icmp",
        detail: "Opens socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), the post's first program: the kernel hands it a copy of every ICMP packet this host receives, IP header included. Packets are numbered and shown above the prompt as they arrive. `listen link lo` opens socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) on lo instead: every frame, any protocol, from the Ethernet header down, each with its direction (outgoing, to us, broadcast, multicast, other host); without IFACE, every interface. On lo each frame shows twice, leaving and arriving; `once` shows it once. `listen off` closes every listener.",
    },
    CommandInfo {
        name: "ifaces",
        aliases: &["interfaces", "links"],
        syntax: "ifaces",
        summary: "the network's interfaces: index, MAC, MTU, state, flags and addresses, read over netlink",
        example: "ifaces",
        detail: "Asks the kernel over AF_NETLINK (RTM_GETLINK and RTM_GETADDR dumps, as `ip addr` does) for every interface of this network: its index (what AF_PACKET's sockaddr_ll names), MAC, MTU, operational state, flags and addresses. In the sandbox: lo, and veth0, the cable to the peer at 192.0.2.2.",
    },
    CommandInfo {
        name: "captures",
        aliases: &["list"],
        syntax: "captures",
        summary: "list the numbered packets, one line each",
        example: "captures",
        detail: "Lists every packet this session has kept: sent and captured, with its number, direction, socket, length, time and a summary. The oldest drop off after 10,000.",
    },
    CommandInfo {
        name: "dump",
        aliases: &[],
        syntax: "dump N",
        summary: "show packet #N annotated again",
        example: "dump 2",
        detail: "Draws packet #2 in full, with what rawlab found about it (the kernel's changes, the request it answers).",
    },
    CommandInfo {
        name: "why",
        aliases: &[],
        syntax: "why N",
        summary: "what became of packet #N (or what it is), with the kernel's evidence",
        example: "why 1",
        detail: "For a packet you sent: whether the kernel took it, its copy on the wire and what the kernel changed, the answer and how long it took, or, when none came, what the kernel counted and why that means silence. For a captured packet: what it is to the packets before it (a copy, a reply, an ICMP message quoting one, a frame seen again on lo) or that nothing this session sent explains it.",
    },
    CommandInfo {
        name: "diff",
        aliases: &[],
        syntax: "diff A B",
        summary: "the fields and bytes that differ between two packets, with both values",
        example: "diff 2 3",
        detail: "Compares packet #2 with #3 field by field (for the post's ping: ip.id, ip.checksum, icmp.type 8 → 0, icmp.checksum) and lists the byte offsets that differ.",
    },
    CommandInfo {
        name: "save",
        aliases: &["save!"],
        syntax: "save FILE [N | A-B …] | save! FILE …",
        summary: "write the packets kept (or those named) to a capture file, as Wireshark and tcpdump read them",
        example: "save ping.pcap",
        detail: "Writes every packet `captures` lists to ping.pcap with its time, to the nanosecond: what rawlab sent (as rawlab built it) and what its sockets captured. `save ping.pcap 2-3 5` writes #2, #3 and #5 only. A pcap file holds one link type, so when IP packets and Ethernet frames are mixed the fewer are left out, each named; a name ending in .pcapng writes pcapng, which holds both and notes where each packet came from. A packet no capture file can hold (ICMPv6 from an AF_INET6 socket, which never saw its IPv6 header) is left out with a line saying so. An existing file is kept: `save! ping.pcap` overwrites it. The file is yours: under sudo rawlab already runs as you. `load ping.pcap`, `rawlab read ping.pcap` and Wireshark read it back.",
    },
    CommandInfo {
        name: "load",
        aliases: &[],
        syntax: "load FILE",
        summary: "read a pcap or pcapng file's packets into the session, numbered like captures",
        example: "load ping.pcap",
        detail: "Reads ping.pcap (pcap or pcapng, as tcpdump, tshark, Wireshark or `save` wrote it) and adds each packet to the session's list under the next number, one line each, so `dump N`, `diff A B`, `captures` and `expect` work on them as on packets just captured, and replies in the file are matched to their requests. A link-layer header rawlab has no table for (Linux cooked, BSD loopback) is dropped; a packet with no layer rawlab reads is left out, and named. A damaged file is loaded up to the damage, and rawlab says which packet, at which byte, and what is wrong. At most as many packets as the ring keeps are loaded (`status` says how many; --ring changes it).",
    },
    CommandInfo {
        name: "clear",
        aliases: &[],
        syntax: "clear",
        summary: "forget the packets kept so far; numbering starts again at #1",
        example: "clear",
        detail: "Empties the list of packets. The template, mode and listeners stay. (Ctrl-L clears the screen.)",
    },
    CommandInfo {
        name: "explain",
        aliases: &["what"],
        syntax: "explain FIELD",
        summary: "what a field is, its width and range, how rawlab and the kernel treat it, where it is defined",
        example: "explain ttl",
        detail: "Explains ip.ttl: its place in the header, its width and range, its named values, who fills it (you, rawlab or the kernel), what Linux does with it, and its RFC section. Any field of any protocol works, in the template or not.",
    },
    CommandInfo {
        name: "wait",
        aliases: &["sleep"],
        syntax: "wait DURATION",
        summary: "pause, showing whatever the listeners capture meanwhile",
        example: "wait 200ms",
        detail: "Waits 200 ms, drawing any packet a listener captures meanwhile. Ctrl-C ends it early.",
    },
    CommandInfo {
        name: "lesson",
        aliases: &["lessons"],
        syntax: "lesson [N | NAME | next | stop]",
        summary: "list the lessons, or take one step by step at the prompt",
        example: "lesson 4",
        detail: "Starts lesson 4 at the prompt: its narration is printed, and its next command waits on the input line already typed. Enter runs it; or clear the line and try your own commands first, and the lesson's next step waits for you. `lesson next` goes on to the following lesson, `lesson stop` ends it, `lesson` lists them all.",
    },
    CommandInfo {
        name: "expect",
        aliases: &[],
        syntax: "expect reply [FIELD OP VALUE] [within DUR] | no reply [within DUR] | kernel-changed FIELD | kernel-kept FIELD | captured [OP] N | last FIELD OP VALUE | packet N FIELD OP VALUE | ping received [OP] N",
        summary: "check what actually happened (lessons use it; --check runs them)",
        example: "expect reply icmp.type == echo-reply within 1s",
        detail: "Passes when a reply to the last send, ping or trigger has arrived (waiting up to 1 s for it) and its icmp.type is echo-reply; otherwise says what was expected and what there was. Traffic checks look at the packets since that command began. OP is one of == != < <= > >=. In a script a failed expect makes the run fail; `rawlab --check lessons/` runs every lesson and names each failure.",
    },
    CommandInfo {
        name: "say",
        aliases: &["echo"],
        syntax: "say TEXT",
        summary: "print a line of narration (for lessons)",
        example: "say Now watch the TTL.",
        detail: "Prints the text as it is. In a script, lines starting with # are narration too.",
    },
    CommandInfo {
        name: "reset",
        aliases: &[],
        syntax: "reset",
        summary: "back to the post's packet, mode raw, a 1 s timeout, no listeners",
        example: "reset",
        detail: "Starts over without leaving: the template is the post's ping again, the mode raw, the timeout 1 s, and every listener is closed. The packets kept so far stay (`clear` forgets them).",
    },
    CommandInfo {
        name: "status",
        aliases: &["whoami"],
        syntax: "status",
        summary: "who rawlab runs as, its capabilities, its network, where it may send and how fast",
        example: "status",
        detail: "Shows the network (the host's or the sandbox), the user and group rawlab runs as (under sudo it gives up root and keeps only CAP_NET_RAW), the capabilities it holds, where packets may go (loopback, this host, sandbox peers; elsewhere only with --allow-remote), the pace of repeated sends, how many packets the ring keeps, and the kernel's own drop reasons: under sudo, the last few drops its skb:kfree_skb tracepoint reported, each placed against the send before it (the tracepoint is host-wide and names no addresses, so a drop is never said to be yours).",
    },
    CommandInfo {
        name: "help",
        aliases: &["?"],
        syntax: "help [COMMAND]",
        summary: "list the commands, or show one with an example",
        example: "help send",
        detail: "Shows send's syntax, what it does and a worked example. Tab completes commands, fields and values; `explain FIELD` describes a field.",
    },
    CommandInfo {
        name: "quit",
        aliases: &["exit", "q"],
        syntax: "quit",
        summary: "leave rawlab (Ctrl-D does too)",
        example: "quit",
        detail: "Closes every socket and leaves; the sandbox, if any, disappears with rawlab.",
    },
];

/// Finds a command by name or alias.
pub fn command_info(name: &str) -> Option<&'static CommandInfo> {
    let name = name.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name.as_str()))
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

/// One word of the line, with its place.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    span: Range<usize>,
    quoted: bool,
}

impl Token {
    /// The word as an error message quotes it: control characters escaped, and cut
    /// short when long, so a pasted 10 kB line does not come back whole.
    fn shown(&self) -> String {
        let escaped: String = self.text.chars().flat_map(char::escape_debug).collect();
        crate::render::cut(&escaped, 32)
    }
}

/// What parsing may read: the layers of the template the line applies to.
pub struct Context<'a> {
    pub stack: &'a [&'static Protocol],
}

/// Splits a line into words and quoted strings, keeping each one's byte span.
fn tokenize(line: &str) -> Result<Vec<Token>, ParseError> {
    fn quoted(i: &str) -> IResult<&str, String> {
        delimited(
            char('"'),
            map(
                opt(escaped_transform(
                    is_not("\\\""),
                    '\\',
                    alt((
                        value("\\", tag("\\")),
                        value("\"", tag("\"")),
                        value("\n", tag("n")),
                        value("\r", tag("r")),
                        value("\t", tag("t")),
                        value("\0", tag("0")),
                    )),
                )),
                Option::unwrap_or_default,
            ),
            char('"'),
        )
        .parse(i)
    }
    fn bare(i: &str) -> IResult<&str, &str> {
        take_while1(|c: char| !c.is_whitespace() && c != '"').parse(i)
    }

    let mut tokens = Vec::new();
    let mut rest = line;
    loop {
        // Words end at any Unicode whitespace (a pasted non-breaking space, a form
        // feed), so the blanks between them are the same set.
        rest = rest.trim_start_matches(char::is_whitespace);
        if rest.is_empty() {
            break;
        }
        let start = line.len() - rest.len();
        if rest.starts_with('"') {
            match quoted(rest) {
                Ok((r, text)) => {
                    tokens.push(Token {
                        text,
                        span: start..line.len() - r.len(),
                        quoted: true,
                    });
                    rest = r;
                }
                Err(_) => {
                    let bad_escape = rest
                        .char_indices()
                        .skip(1)
                        .scan(false, |esc, (i, c)| {
                            let was = *esc;
                            *esc = !was && c == '\\';
                            Some((i, c, was))
                        })
                        .find(|(_, c, was)| *was && !"\\\"nrt0".contains(*c));
                    return Err(match bad_escape {
                        Some((i, c, _)) => ParseError::new(
                            start + i - 1..start + i + c.len_utf8(),
                            format!("unknown escape `\\{c}` in a string"),
                        )
                        .expected("one of \\\\ \\\" \\n \\r \\t \\0"),
                        None => {
                            ParseError::new(start..line.len(), "this string has no closing quote")
                                .expected("text between double quotes, such as \"GET /\"")
                                .suggest(Some(format!(
                                    "close it: {}\"",
                                    crate::render::cut(&line[start..], 40)
                                )))
                        }
                    });
                }
            }
        } else {
            let (r, word) = bare(rest).expect("rest starts with a non-space, non-quote");
            tokens.push(Token {
                text: word.to_string(),
                span: start..start + word.len(),
                quoted: false,
            });
            rest = r;
        }
    }
    Ok(tokens)
}

/// Parses one line.
pub fn parse(line: &str, ctx: &Context) -> Result<Command, ParseError> {
    let trimmed = line.trim_start();
    if let Some(text) = trimmed.strip_prefix('#') {
        return Ok(Command::Comment(text.trim().to_string()));
    }
    let tokens = tokenize(line)?;
    let Some(first) = tokens.first() else {
        return Ok(Command::Nothing);
    };
    let rest = &tokens[1..];
    let end = line.len();
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
        end,
        info,
    };
    let cmd = match info.name {
        "new" => {
            let t = args.next("a layer stack such as ip/icmp")?;
            Command::New(parse_stack(t)?)
        }
        "set" => {
            let t = args.next("a field name such as ttl or icmp.type")?;
            if t.text.eq_ignore_ascii_case("timeout") {
                let d = args.next("a duration such as 500ms or 2s")?;
                Command::SetTimeout(parse_duration(d)?)
            } else {
                let field = resolve_field(t, ctx)?;
                let what = format!("a value for {}: {}", field.name, field.range_words());
                let v = if field.kind == Kind::Bytes {
                    args.rest_joined(&what)?
                } else {
                    args.next(&what)?.clone()
                };
                Command::Set(field, parse_value(field, &v)?)
            }
        }
        "unset" => {
            let t = args.next("a field name such as ip.checksum")?;
            Command::Unset(resolve_field(t, ctx)?)
        }
        "payload" => {
            let t = args.next("hex bytes, \"text\", time, or zeros N")?;
            if !t.quoted && t.text.eq_ignore_ascii_case("time") {
                Command::Payload(Payload::Time)
            } else if !t.quoted && t.text.eq_ignore_ascii_case("zeros") {
                let n = args.next("how many zero bytes, such as 56")?;
                let count = parse_int(n)?;
                if count > 65_000 {
                    return Err(ParseError::new(
                        n.span.clone(),
                        format!("{count} zero bytes would not fit in an IP packet"),
                    )
                    .expected("at most 65000"));
                }
                Command::Payload(Payload::Zeros(count as usize))
            } else {
                args.pos -= 1;
                let v = args.rest_joined("hex bytes or \"text\"")?;
                match parse_value(&DATA, &v)? {
                    Value::Bytes(b) => Command::Payload(Payload::Bytes(b)),
                    Value::Raw(_) => unreachable!("data.data is bytes"),
                }
            }
        }
        "show" => Command::Show,
        "hex" => Command::Hex,
        "mode" => match parse_mode(
            args.next("raw, hdrincl, kernel or link")?,
            &Mode::ALL,
            "raw (IPPROTO_RAW), hdrincl (IP_HDRINCL), kernel (the kernel writes the IP header) or link [IFACE] (whole frames)",
        )? {
            Mode::Link => Command::ModeLink(match args.pos_next() {
                Some(i) => Some(parse_iface(i)?),
                None => None,
            }),
            m => Command::Mode(m),
        },
        "send" => Command::Send(parse_send(
            &mut args,
            SendArgs {
                dst: None,
                count: 1,
                every: None,
            },
            false,
            None,
        )?),
        "ping" => {
            let defaults = SendArgs {
                dst: None,
                count: 4,
                every: Some(Duration::from_secs(1)),
            };
            // As ping(8) sends unless asked otherwise: its round trips compare with ping(8)'s.
            let mut mode = Mode::Kernel;
            let args = parse_send(&mut args, defaults, true, Some(&mut mode))?;
            Command::Ping(args, mode)
        }
        "trigger" => {
            let t = args.next("what to trigger: ping, http or udp")?;
            match t.text.to_ascii_lowercase().as_str() {
                "http" => {
                    let port = match args.pos_next() {
                        Some(p) => Some(parse_port(p)?),
                        None => None,
                    };
                    Command::Trigger(Trigger::Http(port))
                }
                "udp" => {
                    let dst = parse_ipv4(args.next("a destination, such as 127.0.0.1")?)?;
                    let port = parse_port(args.next("a port, such as 9999")?)?;
                    let data = match args.pos_next() {
                        Some(d) if d.quoted => d.text.as_bytes().to_vec(),
                        Some(d) => parse_hex(d)?,
                        None => b"hello from rawlab".to_vec(),
                    };
                    Command::Trigger(Trigger::Udp { dst, port, data })
                }
                "ping" => {
                    let defaults = SendArgs {
                        dst: None,
                        count: 1,
                        every: Some(Duration::from_secs(1)),
                    };
                    Command::Trigger(Trigger::Ping(parse_send(&mut args, defaults, true, None)?))
                }
                _ => {
                    return Err(ParseError::new(
                        t.span.clone(),
                        format!("rawlab cannot trigger `{}`", t.shown()),
                    )
                    .expected("ping (echo requests the kernel builds), http (a real HTTP GET on loopback) or udp (a datagram)")
                    .suggest(did_you_mean(&t.text, ["ping", "http", "udp"])));
                }
            }
        }
        "serve" => {
            let t = args.next("tcp PORT, udp PORT, or off")?;
            match t.text.to_ascii_lowercase().as_str() {
                "off" => Command::Serve(None),
                "tcp" => Command::Serve(Some((
                    Served::Http,
                    parse_port(args.next("a port, such as 8080")?)?,
                ))),
                "udp" => Command::Serve(Some((
                    Served::UdpEcho,
                    parse_port(args.next("a port, such as 7")?)?,
                ))),
                _ => {
                    return Err(ParseError::new(
                        t.span.clone(),
                        format!("rawlab cannot serve `{}`", t.shown()),
                    )
                    .expected("serve tcp PORT, serve udp PORT, or serve off")
                    .suggest(did_you_mean(&t.text, ["tcp", "udp", "off"])));
                }
            }
        }
        "captures" => Command::Captures,
        "dump" => {
            let t = args.next("a packet number, such as 2 (see `captures`)")?;
            Command::Dump(parse_packet_no(t)?)
        }
        "why" => {
            let t = args.next("a packet number, such as 1 (see `captures`)")?;
            Command::Why(parse_packet_no(t)?)
        }
        "diff" => {
            let a = args.next("two packet numbers, such as 2 3")?;
            let a = parse_packet_no(a)?;
            let b = args.next("a second packet number")?;
            Command::Diff(a, parse_packet_no(b)?)
        }
        "save" => {
            if rest.is_empty() {
                // Named as typed: `save!` or `save`.
                return Err(ParseError::new(
                    end..end + 1,
                    format!("`{}` needs a file name, such as ping.pcap", first.text),
                )
                .expected(format!("{} (for example: {})", info.syntax, info.example)));
            }
            let path = parse_path(args.next("a file name, such as ping.pcap")?)?;
            let mut packets = Vec::new();
            while let Some(t) = args.pos_next() {
                packets.push(parse_packet_range(t)?);
            }
            Command::Save {
                path,
                force: first.text.ends_with('!'),
                packets,
            }
        }
        "load" => Command::Load(parse_path(
            args.next("the name of a pcap or pcapng file, such as ping.pcap")?,
        )?),
        "clear" => Command::Clear,
        "explain" => {
            let t = args.next("a field name, such as ttl or icmp.checksum")?;
            match wire::resolve(&t.text, ctx.stack) {
                Err(Lookup::NotInStack { field }) => Command::Explain(field),
                _ => Command::Explain(resolve_field(t, ctx)?),
            }
        }
        "reset" => Command::Reset,
        "expect" => Command::Expect(parse_expect(&mut args, ctx)?),
        "status" => Command::Status,
        "lesson" => Command::Lesson(match args.pos_next() {
            None => LessonCmd::List,
            Some(t) => match t.text.to_ascii_lowercase().as_str() {
                "list" => LessonCmd::List,
                "next" => LessonCmd::Next,
                "stop" | "off" | "end" => LessonCmd::Stop,
                key => match crate::command::lessons::find(key) {
                    Some(l) => LessonCmd::Start(l.name().to_string()),
                    None => {
                        let names: Vec<&str> = crate::command::lessons::all()
                            .iter()
                            .map(|l| l.name())
                            .collect();
                        return Err(ParseError::new(t.span.clone(), format!("there is no lesson `{}`", t.shown()))
                            .expected(format!("a lesson's number (1..={}) or name, next, stop, or nothing for the list", crate::command::lessons::all().last().and_then(|l| l.number()).unwrap_or(1)))
                            .suggest(did_you_mean(key, names)));
                    }
                },
            },
        }),
        "ifaces" => Command::Ifaces,
        "listen" => {
            let t = args.next("icmp, tcp, udp, icmp6, proto N, link, or off")?;
            match t.text.to_ascii_lowercase().as_str() {
                "off" => Command::ListenOff,
                "icmp6" | "icmpv6" | "ipv6-icmp" => Command::ListenV6(58),
                "link" => {
                    let mut iface = None;
                    let mut once = false;
                    while let Some(w) = args.pos_next() {
                        if w.text.eq_ignore_ascii_case("once") && !w.quoted && !once {
                            once = true;
                        } else if iface.is_none() && !once {
                            iface = Some(parse_iface(w)?);
                        } else {
                            return Err(ParseError::new(
                                w.span.clone(),
                                format!("unexpected `{}`", w.shown()),
                            )
                            .expected(
                                "listen link [IFACE] [once] (for example: listen link lo once)",
                            )
                            .suggest(did_you_mean(&w.text, ["once"])));
                        }
                    }
                    Command::ListenLink { iface, once }
                }
                "proto" => {
                    let n = args.next("an IP protocol number, 0..=255")?;
                    let v = parse_int(n)?;
                    if v > 255 {
                        return Err(ParseError::new(
                            n.span.clone(),
                            format!("{v} is not an IP protocol number"),
                        )
                        .expected("0..=255 (ip.proto is 8 bits)"));
                    }
                    Command::Listen(v as u8)
                }
                name => match wire::ipv4::PROTO_NAMES.iter().find(|(_, n)| *n == name) {
                    Some((n, _)) if *n != 0 && *n != 255 => Command::Listen(*n as u8),
                    _ => {
                        return Err(ParseError::new(
                            t.span.clone(),
                            format!("cannot listen for `{}`", t.shown()),
                        )
                        .expected("icmp, tcp, udp, icmp6, proto N (an IP protocol number), link [IFACE] (every frame), or off")
                        .suggest(did_you_mean(
                            &t.text,
                            ["icmp", "tcp", "udp", "icmp6", "proto", "link", "off"],
                        )));
                    }
                },
            }
        }
        "wait" => {
            let t = args.next("a duration such as 200ms")?;
            let d = parse_duration(t)?;
            if d > Duration::from_secs(600) {
                return Err(ParseError::new(
                    t.span.clone(),
                    "that is longer than rawlab will wait",
                )
                .expected("at most 10m"));
            }
            Command::Wait(d)
        }
        "say" => {
            let from = rest.first().map_or(end, |t| t.span.start);
            args.pos = rest.len();
            Command::Say(line[from..].trim().to_string())
        }
        "help" => {
            let t = args.pos_next();
            if let Some(t) = t
                && command_info(&t.text).is_none()
            {
                return Err(ParseError::new(
                    t.span.clone(),
                    format!("no command is called `{}`", t.shown()),
                )
                .expected("a command name; `help` lists them")
                .suggest(did_you_mean(&t.text, COMMANDS.iter().map(|c| c.name))));
            }
            Command::Help(t.map(|t| t.text.to_ascii_lowercase()))
        }
        "quit" => Command::Quit,
        other => unreachable!("command {other} has no parser"),
    };
    args.finish()?;
    Ok(cmd)
}

/// The words after a command name, consumed left to right.
struct Args<'a> {
    tokens: &'a [Token],
    pos: usize,
    end: usize,
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

fn did_you_mean<'a>(typed: &str, names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(typed, names)
        .first()
        .map(|n| format!("did you mean `{n}`?"))
}

fn parse_stack(t: &Token) -> Result<Vec<&'static Protocol>, ParseError> {
    let mut stack: Vec<&'static Protocol> = Vec::new();
    let mut at = t.span.start;
    for part in t.text.split('/') {
        let span = at..at + part.len();
        at += part.len() + 1;
        let name = part.to_ascii_lowercase();
        let Some(p) = wire::protocol_named(&name) else {
            let names = wire::PROTOCOLS.iter().map(|p| p.name);
            return Err(ParseError::new(span, format!("unknown layer `{part}`"))
                .expected(format!(
                    "layers separated by /, from: {}",
                    wire::PROTOCOLS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .suggest(did_you_mean(&name, names)));
        };
        if let Some(prev) = stack.last() {
            if p.id_under(prev).is_none() {
                let fits: Vec<&str> = wire::PROTOCOLS
                    .iter()
                    .filter(|q| q.id_under(prev).is_some())
                    .map(|q| q.name)
                    .collect();
                return Err(ParseError::new(
                    span,
                    format!("{} cannot follow {}", p.title, prev.title),
                )
                .expected(if fits.is_empty() {
                    format!("nothing after {}", prev.name)
                } else {
                    format!("after {}: {}", prev.name, fits.join(", "))
                }));
            }
        } else if !p.starts {
            let under: Vec<&str> = p.ids.iter().map(|(o, _)| *o).collect();
            let first = under.first().copied().unwrap_or("ip");
            return Err(ParseError::new(
                span,
                format!(
                    "{} cannot start a stack: it needs {} under it",
                    p.title,
                    under.join(" or ")
                ),
            )
            .expected(format!("{first}/{}", p.name))
            .suggest(Some(format!("did you mean `{first}/{}`?", p.name))));
        }
        stack.push(p);
    }
    Ok(stack)
}

/// Fields worth showing as examples: the first one a user sets by hand in each layer.
fn examples(stack: &[&'static Protocol]) -> String {
    let names: Vec<&str> = stack
        .iter()
        .filter_map(|p| {
            p.fields
                .iter()
                .find(|f| !f.group && f.fill == wire::Fill::Manual && f.bits > 0 && f.bits % 8 == 0)
                .map(|f| f.name)
        })
        .collect();
    names.join(", ")
}

fn resolve_field(t: &Token, ctx: &Context) -> Result<&'static Field, ParseError> {
    let stack_name = ctx
        .stack
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join("/");
    wire::resolve(&t.text, ctx.stack).map_err(|e| match e {
        Lookup::Unknown { suggestions } => {
            let guess = suggestions.first().map(|s| {
                let full = wire::resolve(s, ctx.stack).map(|f| f.name).unwrap_or(s);
                if full == *s {
                    format!("did you mean `{s}`?")
                } else {
                    format!("did you mean `{s}` ({full})?")
                }
            });
            ParseError::new(t.span.clone(), format!("unknown field `{}`", t.shown()))
                .expected(format!(
                    "a field of {stack_name}, such as {}",
                    examples(ctx.stack)
                ))
                .suggest(guess)
        }
        Lookup::Ambiguous { candidates } => ParseError::new(
            t.span.clone(),
            format!("`{}` could be {}", t.shown(), candidates.join(" or ")),
        )
        .expected("the full name")
        .suggest(Some(format!("say which: {}", candidates.join(", ")))),
        Lookup::InTail { field, tail } => ParseError::new(
            t.span.clone(),
            format!("{} sits inside {}, which is set as bytes", field.name, tail.name),
        )
        .expected(format!("set {} HEX", tail.name))
        .suggest(Some(format!(
            "set {} to the bytes of every option (for TCP, `set tcp.options 020405b4` is an MSS of 1460); the dump then shows {} inside them",
            tail.name, field.name
        ))),
        Lookup::NotInStack { field } => {
            // The same field under another layer of this template (icmp.type in ip6/icmp6).
            // Only a sibling protocol's field (icmp ↔ icmpv6, ip ↔ ipv6), not any with the
            // same short name (eth.src is no ip.src).
            let family = |n: &str| n.split('.').next().unwrap_or("").trim_end_matches("v6").trim_end_matches('6').to_string();
            let here = wire::resolve(field.short(), ctx.stack).ok().filter(|f| family(f.name) == family(field.name));
            ParseError::new(
                t.span.clone(),
                format!("{} is not in this template ({stack_name})", field.name),
            )
            .expected(format!("a field of {stack_name}"))
            .suggest(Some(match here {
                Some(f) => format!("did you mean `{}`?", f.name),
                None => match wire::stack_with(field) {
                    Some(stack) => format!("start a template that has it: `new {stack}`"),
                    None => "start a template that has it with `new`".into(),
                },
            }))
        }
    })
}

/// An interface name as the kernel allows it: 1 to 15 bytes, no `/`, no space.
/// Whether it exists is for the executor to say.
fn parse_iface(t: &Token) -> Result<String, ParseError> {
    if t.quoted {
        return Err(ParseError::new(
            t.span.clone(),
            "an interface name is a bare word, not a string in quotes",
        )
        .expected("a name such as lo or veth0")
        .suggest(Some(format!("write it without quotes: {}", t.shown()))));
    }
    let bad = t.text.is_empty()
        || t.text.len() > 15
        || t.quoted
        || t.text
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_control());
    if bad {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` is not an interface name", t.shown()),
        )
        .expected("a name such as lo or veth0: at most 15 characters, no / or :")
        .suggest(Some("`ifaces` lists the interfaces there are".into())));
    }
    Ok(t.text.clone())
}

/// A MAC address: six bytes of hex separated by `:` or `-` (`02:72:61:77:00:02`),
/// or twelve hex digits.
pub fn parse_mac_str(s: &str) -> Option<u128> {
    // Hex digits only (from_str_radix would take a sign, `+f`), so every slice below
    // falls between ASCII characters.
    let hex = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split([':', '-']).collect();
    let bytes: Vec<u8> = if parts.len() == 6 {
        parts
            .iter()
            .map(|p| {
                (hex(p) && p.len() <= 2)
                    .then(|| u8::from_str_radix(p, 16).ok())
                    .flatten()
            })
            .collect::<Option<Vec<u8>>>()?
    } else if parts.len() == 1 && s.len() == 12 && hex(s) {
        (0..6)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        return None;
    };
    Some(bytes.iter().fold(0u128, |acc, b| acc << 8 | *b as u128))
}

fn parse_mac(f: &Field, t: &Token) -> Result<u128, ParseError> {
    let lower = t.text.to_ascii_lowercase();
    if let Some((v, _)) = f.names.iter().find(|(_, n)| *n == lower) {
        return Ok(*v);
    }
    parse_mac_str(&t.text).ok_or_else(|| {
        let groups = t.text.split([':', '-']).count();
        let hint = if groups != 6 && t.text.contains([':', '-']) {
            format!("a MAC has six bytes; `{}` has {groups}", t.shown())
        } else if t.text.parse::<Ipv4Addr>().is_ok() {
            format!(
                "{} is a hardware address, not an IP one: ARP finds the MAC behind an IP address (`new eth/arp`)",
                f.name
            )
        } else {
            "each byte is two hex digits, such as 02:72:61:77:00:02".to_string()
        };
        let names: Vec<&str> = f.names.iter().map(|(_, n)| *n).collect();
        let expected = if names.is_empty() {
            f.range_words()
        } else {
            format!("{}, or {}", f.range_words(), names.join(", "))
        };
        ParseError::new(
            t.span.clone(),
            format!("`{}` is not a MAC address", t.shown()),
        )
        .expected(expected)
        .suggest(Some(hint))
    })
}

/// An integer: decimal, 0x hex or 0b binary.
fn integer(i: &str) -> IResult<&str, u128> {
    alt((
        map(
            preceded(alt((tag("0x"), tag("0X"))), hex_digit1),
            |h: &str| u128::from_str_radix(h, 16).unwrap_or(u128::MAX),
        ),
        map(
            preceded(
                alt((tag("0b"), tag("0B"))),
                take_while1(|c| c == '0' || c == '1'),
            ),
            |b: &str| u128::from_str_radix(b, 2).unwrap_or(u128::MAX),
        ),
        map(digit1, |d: &str| d.parse().unwrap_or(u128::MAX)),
    ))
    .parse(i)
}

/// A TCP or UDP port, 1..=65535.
fn parse_port(t: &Token) -> Result<u16, ParseError> {
    match parse_int(t) {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => {
            Err(ParseError::new(t.span.clone(), format!("{n} is not a port")).expected("1..=65535"))
        }
        Err(e) => Err(e),
    }
}

/// A packet number as `captures` shows it: `2` or `#2`.
fn parse_packet_no(t: &Token) -> Result<u64, ParseError> {
    let bare = Token {
        text: t.text.trim_start_matches('#').to_string(),
        ..t.clone()
    };
    match parse_int(&bare) {
        Ok(n) if n >= 1 && n <= u64::MAX as u128 => Ok(n as u64),
        _ => Err(ParseError::new(
            t.span.clone(),
            format!("`{}` is not a packet number", t.shown()),
        )
        .expected("a number from `captures`, such as 2")),
    }
}

/// A file name for save or load: any word or quoted string but an empty one, or one
/// that looks like the packet numbers that follow it.
fn parse_path(t: &Token) -> Result<String, ParseError> {
    if t.text.is_empty() {
        return Err(ParseError::new(t.span.clone(), "the file name is empty")
            .expected("a file name, such as ping.pcap"));
    }
    if t.text.contains('\0') {
        return Err(
            ParseError::new(t.span.clone(), "a file name cannot hold a NUL byte")
                .expected("a file name, such as ping.pcap"),
        );
    }
    if t.text == "-" {
        return Err(ParseError::new(
            t.span.clone(),
            "`-` stands for standard input or output, which save and load do not use",
        )
        .expected("a file name, such as ping.pcap")
        .suggest(Some(
            "`rawlab read -` reads a capture from standard input; a file really called - is ./-"
                .into(),
        )));
    }
    if !t.quoted && parse_packet_range(t).is_ok() {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` looks like packet numbers, not a file name", t.shown()),
        )
        .expected("the file name first, then the packets: save FILE [N | A-B …]")
        .suggest(Some(format!(
            "for example `save capture.pcap {}`; a file really called {} is ./{}",
            t.shown(),
            t.shown(),
            t.shown()
        ))));
    }
    Ok(t.text.clone())
}

/// Packets to save: `3`, `#3`, `2-5`, `#2-#5` (or `2–5`, `2..5`).
fn parse_packet_range(t: &Token) -> Result<RangeInclusive<u64>, ParseError> {
    let bad = || {
        ParseError::new(
            t.span.clone(),
            format!("`{}` is not a packet number or range", t.shown()),
        )
        .expected("packet numbers from `captures`: 3, #3, or a range such as 2-5")
    };
    if t.quoted {
        return Err(bad());
    }
    let (a, b) = ["-", "–", ".."]
        .iter()
        .find_map(|sep| t.text.split_once(sep))
        .unwrap_or((&t.text, &t.text));
    let no = |s: &str| {
        parse_packet_no(&Token {
            text: s.to_string(),
            ..t.clone()
        })
        .map_err(|_| bad())
    };
    let (a, b) = (no(a)?, no(b)?);
    if a > b {
        return Err(
            ParseError::new(t.span.clone(), format!("the range {a}-{b} runs backwards"))
                .expected("the lower number first")
                .suggest(Some(format!("did you mean `{b}-{a}`?"))),
        );
    }
    Ok(a..=b)
}

fn parse_int(t: &Token) -> Result<u128, ParseError> {
    match all_consuming(integer).parse(t.text.as_str()) {
        Ok((_, v)) if v != u128::MAX => Ok(v),
        Ok(_) => Err(
            ParseError::new(t.span.clone(), format!("`{}` is far too large", t.shown()))
                .expected("a smaller number"),
        ),
        Err(_) => Err(
            ParseError::new(t.span.clone(), format!("`{}` is not a number", t.shown()))
                .expected("a number: decimal (64), hex (0x40) or binary (0b1000000)"),
        ),
    }
}

/// A duration: a number and a unit, such as 500ms, 1.5s, 20us or 2m.
pub fn parse_duration_str(s: &str) -> Option<Duration> {
    let parsed: IResult<&str, (&str, &str)> = all_consuming(pair(
        recognize(pair(digit1, opt(pair(char('.'), digit1)))),
        alt((
            tag("ms"),
            tag("us"),
            tag("µs"),
            tag("ns"),
            tag("s"),
            tag("m"),
        )),
    ))
    .parse(s);
    let (_, (num, unit)) = parsed.ok()?;
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "ns" => n / 1e9,
        "us" | "µs" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    (secs.is_finite() && secs < 1e9).then(|| Duration::from_secs_f64(secs))
}

fn parse_duration(t: &Token) -> Result<Duration, ParseError> {
    parse_duration_str(&t.text).ok_or_else(|| {
        let hint = t
            .text
            .chars()
            .all(|c| c.is_ascii_digit())
            .then(|| format!("did you mean `{}ms`?", t.shown()));
        ParseError::new(t.span.clone(), format!("`{}` is not a duration", t.shown()))
            .expected("a number with a unit: 500ms, 1s, 1.5s, 200us, 2m")
            .suggest(hint)
    })
}

fn parse_ipv4(t: &Token) -> Result<Ipv4Addr, ParseError> {
    t.text.parse::<Ipv4Addr>().map_err(|_| {
        let looks_like_name = t.text.chars().any(|c| c.is_ascii_alphabetic());
        let e = ParseError::new(t.span.clone(), format!("`{}` is not an IPv4 address", t.shown()))
            .expected("four numbers 0..=255 separated by dots, such as 127.0.0.1");
        if let Ok(v6) = t.text.parse::<Ipv6Addr>() {
            // An IPv6 packet is built, not addressed here (lesson 9).
            e.suggest(Some(format!(
                "{v6} is IPv6, and this takes IPv4: build an IPv6 packet with `new ip6/icmp6`, `set ipv6.dst {v6}`, then `send` (as lesson 9 does)"
            )))
        } else if looks_like_name {
            e.suggest(Some("rawlab takes IPv4 literals only and never looks names up: for this host, try 127.0.0.1".into()))
        } else {
            e
        }
    })
}

fn parse_ipv6(t: &Token) -> Result<Ipv6Addr, ParseError> {
    t.text.parse::<Ipv6Addr>().map_err(|_| {
        let e = ParseError::new(t.span.clone(), format!("`{}` is not an IPv6 address", t.text))
            .expected("up to eight groups of hex digits separated by colons, :: for a run of zeros, such as ::1 or fe80::1");
        if t.text.parse::<Ipv4Addr>().is_ok() {
            e.suggest(Some(format!(
                "an IPv4 address inside IPv6 is written ::ffff:{}",
                t.text
            )))
        } else if t.text.chars().any(|c| c.is_ascii_alphabetic() && !c.is_ascii_hexdigit()) {
            e.suggest(Some(
                "rawlab takes IPv6 literals only and never looks names up: for this host, try ::1"
                    .into(),
            ))
        } else {
            e
        }
    })
}

/// Hex bytes: `c0de`, `c0:de`, `0xc0de`, `c0 de` (words joined), an even number of digits.
fn parse_hex(t: &Token) -> Result<Vec<u8>, ParseError> {
    let s = t
        .text
        .strip_prefix("0x")
        .or_else(|| t.text.strip_prefix("0X"))
        .unwrap_or(&t.text);
    let separator = |c: char| matches!(c, ':' | '-' | '_' | ' ');
    let digits: String = s.chars().filter(|c| !separator(*c)).collect();
    if let Some((i, c)) = s
        .char_indices()
        .find(|(_, c)| !c.is_ascii_hexdigit() && !separator(*c))
    {
        let at = t.span.start + (t.text.len() - s.len()) + i;
        return Err(
            ParseError::new(at..at + c.len_utf8(), format!("`{c}` is not a hex digit"))
                .expected("hex bytes such as c0de, or text in double quotes such as \"hello\"")
                .suggest(Some(format!("for text, quote it: \"{}\"", t.text))),
        );
    }
    if !digits.len().is_multiple_of(2) {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` has an odd number of hex digits", t.shown()),
        )
        .expected("two hex digits per byte")
        .suggest(Some(format!("did you mean `0{digits}`?"))));
    }
    Ok((0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("checked hex"))
        .collect())
}

/// A value for a field, by the field's kind, checked against its width.
fn parse_value(f: &'static Field, t: &Token) -> Result<Value, ParseError> {
    if f.kind == Kind::Bytes {
        return if t.quoted {
            Ok(Value::Bytes(t.text.as_bytes().to_vec()))
        } else {
            parse_hex(t).map(Value::Bytes)
        };
    }
    if t.quoted {
        return Err(ParseError::new(
            t.span.clone(),
            format!("{} takes a number, not text", f.name),
        )
        .expected(f.range_words()));
    }
    if f.kind == Kind::Ipv4 {
        return parse_ipv4(t).map(|a| Value::Raw(u32::from(a) as u128));
    }
    if f.kind == Kind::Ipv6 {
        return parse_ipv6(t).map(|a| Value::Raw(u128::from(a)));
    }
    if f.kind == Kind::Mac {
        return parse_mac(f, t).map(Value::Raw);
    }
    let lower = t.text.to_ascii_lowercase();
    // A field's own names, and those that hold in some context (every icmp.code name).
    let names = wire::all_names(f);
    if let Some((v, _)) = names.iter().find(|(_, n)| *n == lower) {
        return Ok(Value::Raw(*v));
    }
    if f.kind == Kind::Flag {
        match lower.as_str() {
            "on" | "true" | "yes" | "set" => return Ok(Value::Raw(1)),
            "off" | "false" | "no" | "clear" => return Ok(Value::Raw(0)),
            _ => {}
        }
    }
    let Ok((_, shown)) = all_consuming(integer).parse(t.text.as_str()) else {
        let names: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
        let mut e = ParseError::new(
            t.span.clone(),
            format!("`{}` is not a value for {}", t.shown(), f.name),
        );
        e = if names.is_empty() {
            e.expected(format!("a number, {}", f.range_words()))
        } else {
            e.expected(format!(
                "a number ({}) or a name: {}",
                f.range_words(),
                names.join(", ")
            ))
        };
        if lower
            .strip_prefix('-')
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(e.suggest(Some(
                "header fields hold no negative numbers: the smallest is 0".into(),
            )));
        }
        return Err(e.suggest(did_you_mean(&lower, names)));
    };
    let scale = f.scale as u128;
    if shown % scale != 0 {
        return Err(ParseError::new(
            t.span.clone(),
            format!(
                "{} counts in steps of {scale}; {shown} is not a multiple",
                f.name
            ),
        )
        .expected(f.range_words())
        .suggest(Some(format!("did you mean {}?", shown / scale * scale))));
    }
    let raw = shown / scale;
    if raw > f.max_raw() || shown == u128::MAX {
        return Err(ParseError::new(
            t.span.clone(),
            format!(
                "{} is {} bit{}: {}; {} does not fit",
                f.name,
                f.bits,
                if f.bits == 1 { "" } else { "s" },
                f.range_words(),
                t.shown()
            ),
        )
        .expected(f.range_words()));
    }
    Ok(Value::Raw(raw))
}

/// `OP` in an expect line.
fn parse_cmp(t: &Token) -> Result<Cmp, ParseError> {
    Cmp::ALL
        .iter()
        .find(|(s, _)| *s == t.text)
        .map(|(_, c)| *c)
        .ok_or_else(|| {
            ParseError::new(
                t.span.clone(),
                format!("`{}` is not a comparison", t.shown()),
            )
            .expected("one of == != < <= > >=")
            .suggest((t.text == "=").then(|| "did you mean `==`?".to_string()))
        })
}

/// `FIELD OP VALUE`: any protocol's field (a reply may not look like the template).
fn parse_field_check(args: &mut Args, ctx: &Context) -> Result<FieldCheck, ParseError> {
    let t = args.next("a field, such as icmp.type")?;
    let field = match wire::resolve(&t.text, ctx.stack) {
        Err(Lookup::NotInStack { field }) => field,
        _ => resolve_field(t, ctx)?,
    };
    let cmp = parse_cmp(args.next("a comparison: == != < <= > >=")?)?;
    let v = args.next(&format!(
        "a value for {}: {}",
        field.name,
        field.range_words()
    ))?;
    let value = parse_value(field, v)?;
    if matches!(value, Value::Bytes(_)) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
        return Err(
            ParseError::new(v.span.clone(), "bytes compare only with == or !=")
                .expected("== or !="),
        );
    }
    Ok(FieldCheck { field, cmp, value })
}

/// `[within DUR]` at the end of an expect line.
fn parse_within(args: &mut Args) -> Result<Option<Duration>, ParseError> {
    match args.pos_next() {
        None => Ok(None),
        Some(t) if t.text.eq_ignore_ascii_case("within") => {
            let d = parse_duration(args.next("a duration such as 1s")?)?;
            if d > Duration::from_secs(60) {
                return Err(ParseError::new(
                    args.tokens[args.pos - 1].span.clone(),
                    "an expect waits at most a minute",
                )
                .expected("at most 60s"));
            }
            Ok(Some(d))
        }
        Some(t) => Err(
            ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                .expected("within DURATION, or nothing")
                .suggest(did_you_mean(&t.text, ["within"])),
        ),
    }
}

/// `[OP] N`, `==` when no comparison is given.
fn parse_count(args: &mut Args) -> Result<(Cmp, u64), ParseError> {
    let t = args.next("a number of packets, such as 2")?;
    let (cmp, n) = match parse_cmp(t) {
        Ok(c) => (c, args.next("a number of packets, such as 2")?),
        Err(_) => (Cmp::Eq, t),
    };
    let v = parse_int(n)?;
    Ok((cmp, v.min(u64::MAX as u128) as u64))
}

fn parse_expect(args: &mut Args, ctx: &Context) -> Result<Expect, ParseError> {
    let t = args.next("what to check: reply, no reply, kernel-changed, kernel-kept, captured, last, packet or ping")?;
    let kinds = [
        "reply",
        "no",
        "kernel-changed",
        "kernel-kept",
        "captured",
        "last",
        "packet",
        "ping",
    ];
    match t.text.to_ascii_lowercase().as_str() {
        "reply" => {
            let check = match args.tokens.get(args.pos) {
                Some(n) if !n.text.eq_ignore_ascii_case("within") => {
                    Some(parse_field_check(args, ctx)?)
                }
                _ => None,
            };
            Ok(Expect::Reply {
                check,
                within: parse_within(args)?,
            })
        }
        "no" => {
            let r = args.next("`reply`, as in: expect no reply within 500ms")?;
            if !r.text.eq_ignore_ascii_case("reply") {
                return Err(
                    ParseError::new(r.span.clone(), format!("unexpected `{}`", r.shown()))
                        .expected("expect no reply [within DURATION]"),
                );
            }
            Ok(Expect::NoReply {
                within: parse_within(args)?,
            })
        }
        kind @ ("kernel-changed" | "kernel-kept") => {
            let f = args.next("a field, such as ip.id")?;
            let field = match wire::resolve(&f.text, ctx.stack) {
                Err(Lookup::NotInStack { field }) => field,
                _ => resolve_field(f, ctx)?,
            };
            Ok(Expect::KernelChanged {
                field,
                changed: kind == "kernel-changed",
            })
        }
        "captured" => {
            let (cmp, count) = parse_count(args)?;
            Ok(Expect::Captured { cmp, count })
        }
        "last" => Ok(Expect::Packet {
            no: None,
            check: parse_field_check(args, ctx)?,
        }),
        "packet" => {
            let no = parse_packet_no(args.next("a packet number, such as 3")?)?;
            Ok(Expect::Packet {
                no: Some(no),
                check: parse_field_check(args, ctx)?,
            })
        }
        "ping" => {
            let r = args.next("`received`, as in: expect ping received 5")?;
            if !r.text.eq_ignore_ascii_case("received") {
                return Err(
                    ParseError::new(r.span.clone(), format!("unexpected `{}`", r.shown()))
                        .expected("expect ping received [OP] N")
                        .suggest(did_you_mean(&r.text, ["received"])),
                );
            }
            let (cmp, count) = parse_count(args)?;
            Ok(Expect::PingReceived { cmp, count })
        }
        _ => Err(
            ParseError::new(t.span.clone(), format!("cannot expect `{}`", t.shown()))
                .expected(format!("one of: {}", kinds.join(", ")))
                .suggest(did_you_mean(&t.text, kinds)),
        ),
    }
}

/// The modes `ping … mode` takes: IP sockets only.
const PING_MODES: &str = "raw (IPPROTO_RAW, as the post sends), hdrincl (IP_HDRINCL) or kernel (the kernel writes the IP header, as ping(8) has it)";

/// One of `modes` by name, as `mode` and `ping … mode` take them; `expected` lists them.
fn parse_mode(t: &Token, modes: &[Mode], expected: &str) -> Result<Mode, ParseError> {
    modes
        .iter()
        .copied()
        .find(|m| m.name().eq_ignore_ascii_case(&t.text))
        .ok_or_else(|| {
            let error = if Mode::ALL
                .iter()
                .any(|m| m.name().eq_ignore_ascii_case(&t.text))
            {
                // Only `link` is left out anywhere.
                "ping sends packets through an IP socket, and mode link sends frames".to_string()
            } else {
                format!("unknown mode `{}`", t.shown())
            };
            ParseError::new(t.span.clone(), error)
                .expected(expected)
                .suggest(did_you_mean(&t.text, modes.iter().map(|m| m.name())))
        })
}

/// `[DST] [count N] [every DURATION]` after send, ping or trigger ping, and
/// `[mode M]` where `mode` is given (ping). DST may stand only first, as the first
/// word after the command.
fn parse_send(
    args: &mut Args,
    mut s: SendArgs,
    dst_required: bool,
    mut mode: Option<&mut Mode>,
) -> Result<SendArgs, ParseError> {
    let first = args.pos;
    let keywords: &[&str] = if mode.is_some() {
        &["count", "every", "mode"]
    } else {
        &["count", "every"]
    };
    while let Some(t) = args.pos_next() {
        match t.text.to_ascii_lowercase().as_str() {
            "mode" if mode.is_some() => {
                let m = args.next("raw, hdrincl or kernel")?;
                let ip = [Mode::Raw, Mode::HdrIncl, Mode::Kernel];
                if let Some(slot) = mode.as_deref_mut() {
                    *slot = parse_mode(m, &ip, PING_MODES)?;
                }
            }
            "count" => {
                let n = args.next("how many packets, such as 3")?;
                let v = parse_int(n)?;
                if v == 0 || v > MAX_COUNT as u128 {
                    return Err(ParseError::new(
                        n.span.clone(),
                        format!("count {v} is out of range"),
                    )
                    .expected(format!("1..={MAX_COUNT}")));
                }
                s.count = v as u64;
            }
            "every" => {
                let d = args.next("a duration such as 100ms")?;
                let every = parse_duration(d)?;
                if every > Duration::from_secs(60) {
                    return Err(ParseError::new(
                        d.span.clone(),
                        "rawlab sends at least once a minute",
                    )
                    .expected("at most 60s"));
                }
                s.every = Some(every);
            }
            _ if s.dst.is_none() && args.pos - 1 == first => {
                // A misspelt keyword in the address's place: say so, not "bad address".
                match (
                    parse_ipv4(t),
                    did_you_mean(&t.text, keywords.iter().copied()),
                ) {
                    (Ok(a), _) => s.dst = Some(a),
                    (Err(_), Some(guess)) => {
                        return Err(ParseError::new(
                            t.span.clone(),
                            format!("unexpected `{}`", t.shown()),
                        )
                        .expected(format!(
                            "{} (for example: {})",
                            args.info.syntax, args.info.example
                        ))
                        .suggest(Some(guess)));
                    }
                    (Err(e), None) => return Err(e),
                }
            }
            _ => {
                return Err(
                    ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                        .expected(format!(
                            "{} (for example: {})",
                            args.info.syntax, args.info.example
                        ))
                        .suggest(did_you_mean(&t.text, keywords.iter().copied())),
                );
            }
        }
    }
    if dst_required && s.dst.is_none() {
        let at = args
            .tokens
            .get(first)
            .map_or(args.end..args.end + 1, |t| t.span.clone());
        return Err(
            ParseError::new(at, format!("`{}` needs a destination", args.info.name)).expected(
                format!("an IPv4 address first, as in: {}", args.info.example),
            ),
        );
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{icmp, ipv4};

    fn p(line: &str) -> Result<Command, ParseError> {
        parse(
            line,
            &Context {
                stack: &[&ipv4::IPV4, &icmp::ICMP],
            },
        )
    }

    fn err(line: &str) -> ParseError {
        p(line).expect_err(line)
    }

    #[test]
    fn accepts() {
        assert_eq!(
            p("set ttl 1").unwrap(),
            Command::Set(&ipv4::TTL, Value::Raw(1))
        );
        assert_eq!(
            p("  set ip.ttl 0x40 ").unwrap(),
            Command::Set(&ipv4::TTL, Value::Raw(64))
        );
        assert_eq!(
            p("set icmp.type echo-reply").unwrap(),
            Command::Set(&icmp::TYPE, Value::Raw(0))
        );
        assert_eq!(
            p("set src 127.0.0.9").unwrap(),
            Command::Set(&ipv4::SRC, Value::Raw(0x7f00_0009))
        );
        assert_eq!(
            p("set df on").unwrap(),
            Command::Set(&ipv4::FLAG_DF, Value::Raw(1))
        );
        assert_eq!(
            p("set ihl 24").unwrap(),
            Command::Set(&ipv4::HDR_LEN, Value::Raw(6))
        );
        assert_eq!(
            p("set proto tcp").unwrap(),
            Command::Set(&ipv4::PROTO, Value::Raw(6))
        );
        assert_eq!(
            p("set timeout 500ms").unwrap(),
            Command::SetTimeout(Duration::from_millis(500))
        );
        assert_eq!(
            p("payload C0DE").unwrap(),
            Command::Payload(Payload::Bytes(vec![0xc0, 0xde]))
        );
        assert_eq!(
            p("payload c0 de").unwrap(),
            Command::Payload(Payload::Bytes(vec![0xc0, 0xde]))
        );
        assert_eq!(
            p("payload \"GET /\\n\"").unwrap(),
            Command::Payload(Payload::Bytes(b"GET /\n".to_vec()))
        );
        assert_eq!(p("payload time").unwrap(), Command::Payload(Payload::Time));
        assert_eq!(
            p("payload zeros 56").unwrap(),
            Command::Payload(Payload::Zeros(56))
        );
        assert_eq!(
            p("payload \"\"").unwrap(),
            Command::Payload(Payload::Bytes(vec![]))
        );
        assert_eq!(
            p("new ip/icmp").unwrap(),
            Command::New(vec![&ipv4::IPV4, &icmp::ICMP])
        );
        assert_eq!(p("mode hdrincl").unwrap(), Command::Mode(Mode::HdrIncl));
        assert_eq!(
            p("send 127.0.0.2 count 3 every 10ms").unwrap(),
            Command::Send(SendArgs {
                dst: Some(Ipv4Addr::new(127, 0, 0, 2)),
                count: 3,
                every: Some(Duration::from_millis(10))
            })
        );
        assert_eq!(
            p("send").unwrap(),
            Command::Send(SendArgs {
                dst: None,
                count: 1,
                every: None
            })
        );
        let ping = |count, every, mode| {
            Command::Ping(
                SendArgs {
                    dst: Some(Ipv4Addr::LOCALHOST),
                    count,
                    every: Some(every),
                },
                mode,
            )
        };
        let second = Duration::from_secs(1);
        // As ping(8) sends unless told: the session's mode is for `send`.
        assert_eq!(p("ping 127.0.0.1").unwrap(), ping(4, second, Mode::Kernel));
        assert_eq!(
            p("ping 127.0.0.1 mode raw count 2").unwrap(),
            ping(2, second, Mode::Raw)
        );
        assert_eq!(
            p("PING 127.0.0.1 every 10ms MODE HdrIncl").unwrap(),
            ping(4, Duration::from_millis(10), Mode::HdrIncl)
        );
        let e = err("ping 127.0.0.1 mode link");
        assert_eq!(
            (e.span.clone(), e.message.as_str()),
            (
                20..24,
                "ping sends packets through an IP socket, and mode link sends frames"
            )
        );
        assert!(e.expected.as_deref().unwrap().contains("as ping(8) has it"));
        // An IPv6 address where IPv4 is taken says how IPv6 is sent.
        let e = err("ping ::1");
        assert_eq!(
            (e.span.clone(), e.message.as_str()),
            (5..8, "`::1` is not an IPv4 address")
        );
        assert_eq!(
            e.suggestion.as_deref(),
            Some(
                "::1 is IPv6, and this takes IPv4: build an IPv6 packet with `new ip6/icmp6`, `set ipv6.dst ::1`, then `send` (as lesson 9 does)"
            )
        );
        let e = err("ping 127.0.0.1 mode kernal");
        assert_eq!(e.message, "unknown mode `kernal`");
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `kernel`?"));
        let e = err("ping 127.0.0.1 mode");
        assert_eq!(e.span, 19..20);
        assert_eq!(
            err("ping 127.0.0.1 mod raw").suggestion.as_deref(),
            Some("did you mean `mode`?")
        );
        // Only ping takes a mode.
        let e = err("send 127.0.0.1 mode raw");
        assert_eq!(e.message, "unexpected `mode`");
        assert_eq!(
            err("trigger ping 127.0.0.1 mode raw").message,
            "unexpected `mode`"
        );
        assert_eq!(p("listen icmp").unwrap(), Command::Listen(1));
        assert_eq!(p("listen proto 47").unwrap(), Command::Listen(47));
        assert_eq!(p("listen off").unwrap(), Command::ListenOff);
        assert_eq!(
            p("# narration").unwrap(),
            Command::Comment("narration".into())
        );
        assert_eq!(p("").unwrap(), Command::Nothing);
        assert_eq!(
            p("say Hello,   world").unwrap(),
            Command::Say("Hello,   world".into())
        );
        assert_eq!(p("SHOW").unwrap(), Command::Show);
        assert_eq!(p("exit").unwrap(), Command::Quit);
        assert_eq!(
            p("wait 1.5s").unwrap(),
            Command::Wait(Duration::from_millis(1500))
        );
    }

    #[test]
    fn rejects_with_positions() {
        let e = err("sned");
        assert_eq!(
            (e.span.clone(), e.suggestion.as_deref()),
            (0..4, Some("did you mean `send`?"))
        );
        let e = err("set tll 64");
        assert_eq!(e.span, 4..7);
        assert_eq!(
            e.suggestion.as_deref(),
            Some("did you mean `ttl` (ip.ttl)?")
        );
        let e = err("set ttl 300");
        assert_eq!(e.span, 8..11);
        assert_eq!(e.message, "ip.ttl is 8 bits: 0..=255; 300 does not fit");
        let e = err("set checksum 1");
        assert_eq!(
            e.message,
            "`checksum` could be ip.checksum or icmp.checksum"
        );
        let e = err("set dst localhost");
        assert!(e.suggestion.unwrap().contains("never looks names up"));
        let e = err("set ttl");
        assert_eq!(e.span, 7..8);
        assert!(e.expected.unwrap().contains("set ttl 1"));
        let e = err("payload \"abc");
        assert_eq!(e.span, 8..12);
        assert_eq!(e.message, "this string has no closing quote");
        let e = err("payload c0d");
        assert!(e.message.contains("odd number"));
        let e = err("payload xyz");
        assert_eq!(e.span, 8..9);
        let e = err("new ip/icmpp");
        assert_eq!(e.span, 7..12);
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `icmp`?"));
        let e = err("new icmp");
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `ip/icmp`?"));
        let e = err("mode rwa");
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `raw`?"));
        let e = err("show me");
        assert_eq!(e.span, 5..7);
        let e = err("send 127.0.0.1 cuont 3");
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `count`?"));
        let e = err("send count 0");
        assert!(e.message.contains("out of range"));
        let e = err("wait 200");
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `200ms`?"));
        let e = err("set ihl 21");
        assert!(e.message.contains("steps of 4"));
        let e = err("set type echo-rply");
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `echo-reply`?"));
        let e = err("payload \"a\\qb\"");
        assert_eq!(e.span, 10..12);
        let e = err("set ttl 99999999999999999999999999999999999999999999");
        assert!(
            e.message.contains("does not fit") || e.message.contains("too large"),
            "{}",
            e.message
        );
    }

    fn p_in(line: &str, stack: &[&'static Protocol]) -> Result<Command, ParseError> {
        parse(line, &Context { stack })
    }

    #[test]
    fn the_new_protocols_parse() {
        use crate::wire::{icmpv6, ipv6, tcp, udp};
        let tcp_stack = [&ipv4::IPV4, &tcp::TCP];
        assert_eq!(
            p_in("set syn 0", &tcp_stack).unwrap(),
            Command::Set(&tcp::FLAG_SYN, Value::Raw(0))
        );
        assert_eq!(
            p_in("set ack on", &tcp_stack).unwrap(),
            Command::Set(&tcp::FLAG_ACK, Value::Raw(1))
        );
        assert_eq!(
            p_in("set tcp.flags syn-ack", &tcp_stack).unwrap(),
            Command::Set(&tcp::FLAGS, Value::Raw(0x012))
        );
        assert_eq!(
            p_in("set seq 1000", &tcp_stack).unwrap(),
            Command::Set(&tcp::SEQ, Value::Raw(1000))
        );
        assert_eq!(
            p_in("set tcp.hdr_len 24", &tcp_stack).unwrap(),
            Command::Set(&tcp::HDR_LEN, Value::Raw(6))
        );
        assert_eq!(
            p_in("set dport 53", &[&ipv4::IPV4, &udp::UDP]).unwrap(),
            Command::Set(&udp::DSTPORT, Value::Raw(53))
        );
        let e = p_in("set mss 1460", &tcp_stack).unwrap_err();
        assert_eq!(
            e.message,
            "tcp.options.mss_val sits inside tcp.options, which is set as bytes"
        );
        assert!(e.suggestion.unwrap().contains("set tcp.options 020405b4"));

        let v6 = [&ipv6::IPV6, &icmpv6::ICMPV6];
        assert_eq!(
            p_in("set ipv6.dst 2001:DB8::1", &v6).unwrap(),
            Command::Set(&ipv6::DST, Value::Raw(0x2001_0db8 << 96 | 1))
        );
        assert_eq!(
            p_in("set proto gre", &[&ipv4::IPV4]).unwrap(),
            Command::Set(&ipv4::PROTO, Value::Raw(47))
        );
        assert_eq!(
            p_in("set nxt ipv6-frag", &v6).unwrap(),
            Command::Set(&ipv6::NXT, Value::Raw(44))
        );
        let e = p_in("set ipv6.src 127.0.0.1", &v6).unwrap_err();
        assert_eq!(
            e.suggestion.as_deref(),
            Some("an IPv4 address inside IPv6 is written ::ffff:127.0.0.1")
        );
        let e = p_in("set ipv6.src ::1::2", &v6).unwrap_err();
        assert_eq!(e.message, "`::1::2` is not an IPv6 address");
        let e = p_in("set icmp.type 1", &v6).unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `icmpv6.type`?"));
        let e = p_in("set target ::1", &v6).unwrap_err();
        assert!(
            e.message
                .contains("could be icmpv6.nd.ns.target_address or"),
            "{}",
            e.message
        );
        assert_eq!(
            p("new ip6/hopopts/frag/icmp6").unwrap(),
            Command::New(vec![
                &ipv6::IPV6,
                &ipv6::HOPOPTS,
                &ipv6::FRAGMENT,
                &icmpv6::ICMPV6
            ])
        );
    }

    /// Names that hold for one type only are accepted whatever the type is now: the
    /// template may change its type later, and a script is parsed before it runs.
    #[test]
    fn code_names_from_every_type() {
        assert_eq!(
            p("set icmp.code port-unreachable").unwrap(),
            Command::Set(&icmp::CODE, Value::Raw(3))
        );
        assert_eq!(
            p("set code ttl-exceeded").unwrap(),
            Command::Set(&icmp::CODE, Value::Raw(0))
        );
        let e = p("set code port-unreachabel").unwrap_err();
        assert_eq!(
            e.suggestion.as_deref(),
            Some("did you mean `port-unreachable`?")
        );
    }

    #[test]
    fn link_layer_commands_and_mac_values() {
        use crate::wire::{arp, eth};
        let frame = Context {
            stack: &[&eth::ETH, &arp::ARP],
        };
        let q = |line: &str| parse(line, &frame);
        assert_eq!(
            q("set eth.dst 02:72:61:77:00:02").unwrap(),
            Command::Set(&eth::DST, Value::Raw(0x0272_6177_0002))
        );
        assert_eq!(
            q("set eth.dst 02-72-61-77-00-02").unwrap(),
            Command::Set(&eth::DST, Value::Raw(0x0272_6177_0002))
        );
        assert_eq!(
            q("set eth.dst broadcast").unwrap(),
            Command::Set(&eth::DST, Value::Raw(eth::BROADCAST))
        );
        assert_eq!(
            q("set tpa 192.0.2.2").unwrap(),
            Command::Set(&arp::DST_PROTO, Value::Raw(0xc000_0202))
        );
        assert_eq!(
            q("set arp.opcode reply").unwrap(),
            Command::Set(&arp::OPCODE, Value::Raw(2))
        );
        assert_eq!(
            q("new eth/arp").unwrap(),
            Command::New(vec![&eth::ETH, &arp::ARP])
        );
        assert_eq!(
            p("new eth/ip/icmp").unwrap(),
            Command::New(vec![&eth::ETH, &ipv4::IPV4, &icmp::ICMP])
        );
        assert_eq!(p("mode link").unwrap(), Command::ModeLink(None));
        assert_eq!(
            p("mode link veth0").unwrap(),
            Command::ModeLink(Some("veth0".into()))
        );
        assert_eq!(
            p("listen link").unwrap(),
            Command::ListenLink {
                iface: None,
                once: false
            }
        );
        assert_eq!(
            p("listen link lo once").unwrap(),
            Command::ListenLink {
                iface: Some("lo".into()),
                once: true
            }
        );
        assert_eq!(
            p("listen link once").unwrap(),
            Command::ListenLink {
                iface: None,
                once: true
            }
        );
        assert_eq!(p("ifaces").unwrap(), Command::Ifaces);

        let e = q("set eth.dst 02:72:61:77:00").unwrap_err();
        assert_eq!(e.span, 12..26);
        assert_eq!(
            e.suggestion.as_deref(),
            Some("a MAC has six bytes; `02:72:61:77:00` has 5")
        );
        let e = q("set eth.src 192.0.2.1").unwrap_err();
        assert!(
            e.suggestion
                .unwrap()
                .contains("hardware address, not an IP one")
        );
        let e = q("set eth.dst 02:72:61:77:00:zz").unwrap_err();
        assert_eq!(e.message, "`02:72:61:77:00:zz` is not a MAC address");
        let e = p("listen link lo twice").unwrap_err();
        assert_eq!(e.span, 15..20);
        let e = p("listen link lo once lo").unwrap_err();
        assert_eq!(e.message, "unexpected `lo`");
        let e = p("mode link a/b").unwrap_err();
        assert!(e.message.contains("not an interface name"), "{}", e.message);
        let e = p("mode link averyveryverylongname").unwrap_err();
        assert!(e.expected.unwrap().contains("at most 15"));
        let e = p("new arp").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `eth/arp`?"));
        let e = p("new eth/icmp").unwrap_err();
        assert_eq!(e.message, "ICMP cannot follow Ethernet");
        let e = p("set eth.src 02:72:61:77:00:01").unwrap_err();
        assert_eq!(
            e.suggestion.as_deref(),
            Some("start a template that has it: `new eth/ip/icmp`")
        );
        let e = q("set icmp.type 0").unwrap_err();
        assert!(e.suggestion.unwrap().ends_with("`new ip/icmp`"));
        let e = p("set arp.opcode 1").unwrap_err();
        assert!(e.suggestion.unwrap().ends_with("`new eth/arp`"));
    }

    #[test]
    fn save_and_load_take_a_file_and_packets() {
        assert_eq!(
            p("save ping.pcap").unwrap(),
            Command::Save {
                path: "ping.pcap".into(),
                force: false,
                packets: vec![]
            }
        );
        assert_eq!(
            p("SAVE! \"my ping.pcap\" 2-3 #5 #7-#9 10–11 12..12").unwrap(),
            Command::Save {
                path: "my ping.pcap".into(),
                force: true,
                packets: vec![2..=3, 5..=5, 7..=9, 10..=11, 12..=12]
            }
        );
        assert_eq!(
            p("load ~/caps/lo.pcapng").unwrap(),
            Command::Load("~/caps/lo.pcapng".into())
        );
        assert_eq!(
            p("save 2024-05-01.pcap").unwrap(),
            Command::Save {
                path: "2024-05-01.pcap".into(),
                force: false,
                packets: vec![]
            },
            "a date is a name, not a range"
        );
        let e = err("save 3");
        assert_eq!(e.span, 5..6);
        let e = err("save x.pcap 5-2");
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `2-5`?"));
        let e = err("save! ");
        assert_eq!(e.message, "`save!` needs a file name, such as ping.pcap");
        let e = err("save x.pcap 0");
        assert_eq!(e.span, 12..13);
        assert!(err("load -").message.contains("standard input"));
    }

    #[test]
    fn macs_in_every_spelling() {
        assert_eq!(parse_mac_str("ff:ff:ff:ff:ff:ff"), Some(0xffff_ffff_ffff));
        assert_eq!(parse_mac_str("2:72:61:77:0:1"), Some(0x0272_6177_0001));
        assert_eq!(parse_mac_str("027261770001"), Some(0x0272_6177_0001));
        assert_eq!(parse_mac_str("02:72:61:77:00"), None);
        assert_eq!(parse_mac_str("02:72:61:77:00:100"), None);
        assert_eq!(parse_mac_str("02::61:77:00:01"), None);
        assert_eq!(parse_mac_str(""), None);
    }

    #[test]
    fn columns_count_characters() {
        let line = "say é; sned";
        let e = ParseError::new(9..13, "x");
        assert_eq!(e.column(line), 9);
    }

    #[test]
    fn every_command_has_a_parser_and_help() {
        for c in COMMANDS {
            assert!(!c.summary.is_empty() && !c.example.is_empty());
            let parsed = p(c.example);
            assert!(parsed.is_ok(), "example of {} fails: {:?}", c.name, parsed);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_str("20us"), Some(Duration::from_micros(20)));
        assert_eq!(parse_duration_str("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration_str("1"), None);
        assert_eq!(parse_duration_str("ms"), None);
    }
}
