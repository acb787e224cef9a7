//! The one table of commands. The parser dispatches on it; `help`, the prompt's
//! completion, hints and colours, the man page's command reference and the tests that
//! walk it all read it, so a command is described in one place.

use super::grammar::{self, bare};
use super::*;

/// A command's entry in the table: its names, syntax, what it does, an example, how
/// its arguments parse and what may be typed at each place.
pub struct CommandInfo {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub syntax: &'static str,
    pub summary: &'static str,
    pub example: &'static str,
    /// What the example does and what to look for, for `help COMMAND`.
    pub detail: &'static str,
    /// Reads the words after the command's name.
    pub parse: Parse,
    /// What may be typed next, given the words after the name typed so far: for Tab,
    /// the hints and the colours at the prompt.
    pub offers: Offers,
}

/// A command's parser: the words after its name in, a command out.
pub type Parse = fn(&mut Args<'_>, &Context) -> Result<Command, ParseError>;

/// What may come after `done`, the words typed after the command's name.
pub type Offers = fn(&[&str], &Context) -> Vec<Offer>;

/// What may be typed at one place of a command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Offer {
    /// One of these words.
    Words(&'static [&'static str]),
    /// A field name: the template's (by full or short name), or any protocol's.
    Fields { everywhere: bool },
    /// A value for this field.
    Values(&'static Field),
    /// A layer stack, such as ip/icmp.
    Stacks,
    /// An interface of this network.
    Ifaces,
    /// A file name (save, load), and what the hint says of it.
    Path(&'static str),
    /// A command's name.
    Commands,
    /// A lesson's number or name.
    Lessons,
    /// Nothing to complete; what belongs here, in words, for the hint.
    Note(&'static str),
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
        parse: bare!(Command::Show),
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "hex",
        aliases: &[],
        syntax: "hex",
        summary: "a plain hex dump of the template's bytes",
        example: "hex",
        detail: "The same bytes as `show`, as a plain hexyl dump: offsets, hex and text, nothing else.",
        parse: bare!(Command::Hex),
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "new",
        aliases: &[],
        syntax: "new STACK",
        summary: "start a new template from a layer stack (fields at their defaults)",
        example: "new ip/icmp",
        detail: "Replaces the template with a fresh one over the layers named, outermost first, separated by /. Every field starts at its table default; the payload is empty. `reset` brings back the post's packet instead.",
        parse: grammar::new,
        offers: grammar::new_offers,
    },
    CommandInfo {
        name: "set",
        aliases: &[],
        syntax: "set FIELD VALUE | set timeout DURATION",
        summary: "change one field (full or short name); or how long send waits for replies",
        example: "set ttl 1",
        detail: "Sets ip.ttl to 1 in the template. Fields take Wireshark's names (ip.ttl, icmp.type) or a short name that fits one field (ttl). Values: decimal, 0x hex, 0b binary, a dotted IPv4 address, or a name such as echo-reply. rawlab hands over a field you set exactly as you set it, even a wrong checksum; what the kernel does with it depends on the mode: in modes raw and hdrincl Linux still rewrites ip.len and ip.checksum (and fills ip.id and ip.src when they are 0), in mode kernel it writes the whole IP header, and in mode link nothing is touched. A listener shows what went on the wire, with each field the kernel changed marked.",
        parse: grammar::set,
        offers: grammar::set_offers,
    },
    CommandInfo {
        name: "unset",
        aliases: &[],
        syntax: "unset FIELD",
        summary: "put a field back to automatic (or its default)",
        example: "unset icmp.checksum",
        detail: "Hands icmp.checksum back to rawlab, which computes it again on every build. For fields the kernel fills (ip.id, ip.src, ip.checksum) it goes back to 0, the kernel's cue.",
        parse: grammar::unset,
        offers: grammar::fields_offers,
    },
    CommandInfo {
        name: "payload",
        aliases: &[],
        syntax: "payload HEX | \"TEXT\" | time | zeros N",
        summary: "the bytes after the last header",
        example: "payload c0de",
        detail: "Puts the two bytes c0 de after the ICMP header, as the post does. \"TEXT\" takes the bytes of the text (escapes \\n \\t \\\" work), `time` a 16-byte send timestamp as ping(8) writes it, `zeros 56` fifty-six zero bytes. However it is typed, a payload holds at most what an IP packet's 65,535 bytes leave after the template's headers: 65,507 after ip/udp or ip/icmp.",
        parse: grammar::payload,
        offers: grammar::payload_offers,
    },
    CommandInfo {
        name: "mode",
        aliases: &[],
        syntax: "mode raw | hdrincl | kernel | link [IFACE]",
        summary: "how packets reach the kernel: IPPROTO_RAW, IP_HDRINCL, the kernel writes the IP header, or whole frames over AF_PACKET",
        example: "mode kernel",
        detail: "From now on send uses socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) without IP_HDRINCL: rawlab hands over only the ICMP message and the kernel writes the IP header itself (TTL and TOS from socket options). Compare its header with yours. `mode raw` (IPPROTO_RAW) and `mode hdrincl` (IP_HDRINCL on the template's protocol) send your header. `mode link veth0` sends whole frames (`new eth/arp`, `new eth/ip/icmp`) through socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) on an interface: the kernel adds and fixes nothing. In the sandbox the default interface is veth0, the cable to the peer; on the host's network, a real interface other than lo needs --allow-remote. The mode is for `send`: `ping` sends as ping(8) does unless told (`ping 127.0.0.1 mode raw`).",
        parse: grammar::mode,
        offers: grammar::mode_offers,
    },
    CommandInfo {
        name: "send",
        aliases: &[],
        syntax: "send [DST] [count N] [every DURATION] [order N…]",
        summary: "send the template and show what the kernel put on the wire and what came back",
        example: "send 127.0.0.1 count 3 every 100ms",
        detail: "Sends the template three times to 127.0.0.1, 100 ms apart. Each send is numbered; its copy on the wire is shown with every field the kernel changed marked, and each reply with what differs from the request. rawlab waits up to the timeout (`set timeout`) for replies, and if none comes says why it thinks so. Ctrl-C stops it. After `fragment SIZE` it sends the fragments instead, one after another (`order 3 1 2` in that order, or only those named), and the reply to the datagram they make is related to all of them.",
        parse: grammar::send,
        offers: grammar::send_offers,
    },
    CommandInfo {
        name: "fragment",
        aliases: &["frag"],
        syntax: "fragment SIZE | fragment off",
        summary: "split the template into the IPv4 fragments the kernel would make for an MTU of SIZE bytes; send sends them",
        example: "fragment 576",
        detail: "Builds the template once and cuts what follows its IPv4 header into pieces that fit an MTU of 576 bytes, each a multiple of 8 bytes but the last, as the kernel does: every fragment gets a copy of the IP header (after the first, options whose copied flag is clear become no-operations, as Linux does) with the same ip.id (rawlab picks one when the template's is 0, so the fragments agree), its ip.frag_offset, ip.flags.mf set on all but the last, and its own ip.len (the kernel writes each ip.checksum). The first fragment carries the ICMP, UDP or TCP header, whose checksum covers the whole datagram. `fragments` lists them and `fragments N` shows one; `send` then sends them in order through mode hdrincl (or raw), so the kernel hands them on as they are, and the receiver puts the datagram back together; `send order 2 1` sends them out of order, or only some (`send order 1`: a lone first fragment, which the receiver holds waiting for the rest). `fragment off` goes back to sending the whole template.",
        parse: grammar::fragment,
        offers: grammar::fragment_offers,
    },
    CommandInfo {
        name: "fragments",
        aliases: &[],
        syntax: "fragments [N | all]",
        summary: "list the fragments `fragment` made, or show fragment N and select it, so `set` changes it alone",
        example: "fragments 2",
        detail: "Shows the second fragment as `show` shows the template, and selects it: from now on `set` and `unset` change that fragment alone (set its ip.frag_offset to make an overlap, its ip.flags.mf to 0 to end the datagram early). `fragments all` selects none again: then `set` changes the template and the fragments are cut again from it, losing what was changed in one. `fragments` alone lists them, one line each, with the fragment notation `tcpdump -v` prints: (id 4660, offset 552, flags [+]).",
        parse: grammar::fragments,
        offers: grammar::fragments_offers,
    },
    CommandInfo {
        name: "ping",
        aliases: &[],
        syntax: "ping DST [count N] [every DURATION] [mode raw|hdrincl|kernel]",
        summary: "the post's closing exercise: echo requests with a timestamp, the round trip of each, statistics at the end",
        example: "ping 127.0.0.1 count 5 every 200ms",
        detail: "Builds five echo requests, each with this session's own identifier, a sequence number and a send timestamp in the payload, and prints one line per reply with its round-trip time, then ping(8)'s statistics: transmitted, received, loss, min/avg/max/mdev. They go out as ping(8) sends them, through a raw ICMP socket that lets the kernel write the IP header, and the socket that waits for replies lets only answers in (echo replies, and ICMP messages that report a packet undelivered), so the times compare with ping(8)'s; the session's mode is for `send`. With a listener open (`listen icmp`) each request is also shown as it went on the wire, with the kernel's share of the round trip, at the cost of the copy the kernel makes for the listener. `mode raw` at the end sends them through IPPROTO_RAW with rawlab's IP header, as the post does (`mode hdrincl`: IP_HDRINCL); that costs some microseconds a packet, because the kernel makes a route for each packet whose header it did not write. Defaults: count 4, every 1s. Ctrl-C stops it and prints the statistics.",
        parse: grammar::ping,
        offers: grammar::ping_offers,
    },
    CommandInfo {
        name: "trace",
        aliases: &["traceroute"],
        syntax: "trace DST [proto icmp|udp|tcp] [hops N]",
        summary: "traceroute: probes with TTL 1, 2, 3 … until DST answers; each router on the way says it dropped one",
        example: "trace 203.0.113.2",
        detail: "Sends one probe with TTL 1, then one with TTL 2, and so on, as traceroute(8) does, and prints a line per hop: the address that answered, the round trip (the kernel's stamps), and what answered. A router that gets a datagram whose TTL would reach 0 drops it and sends back ICMP time exceeded, quoting it; so the probe with TTL N finds the Nth router, and the destination itself answers the last (an echo reply for `proto icmp`, the default; a port unreachable for `proto udp`, sent to ports from 33434 where nothing listens; a reset or SYN-ACK for `proto tcp`, a SYN to port 80). In the sandbox the peer at 192.0.2.2 routes to a far host at 203.0.113.2: `trace 203.0.113.2` finds the peer, then the far host. A hop that says nothing within the timeout (`timeout`) is a `*`. rawlab writes the IP header (mode hdrincl) so it can set each TTL. Stops at the destination or after N hops (default 30); Ctrl-C stops it.",
        parse: grammar::trace,
        offers: grammar::trace_offers,
    },
    CommandInfo {
        name: "trigger",
        aliases: &[],
        syntax: "trigger ping DST [count N] [every DURATION] | trigger http [PORT] | trigger udp DST PORT [DATA]",
        summary: "make traffic \"from another window\": kernel-built pings, a real HTTP GET, a UDP datagram",
        example: "trigger ping 127.0.0.1 count 3",
        detail: "Sends three echo requests through an ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP), the way ping(8) does without privilege: the kernel writes both headers and picks the identifier. It runs in the background, so a listener shows the packets while you type. `trigger http 8080` connects to 127.0.0.1:8080 (starting a one-shot server there unless `serve tcp 8080` runs) and sends a GET, so `listen tcp` sees the handshake, the request, the answer and the close. `trigger udp 127.0.0.1 9999 \"hi\"` sends one datagram; to a closed port it earns an ICMP port unreachable that quotes it.",
        parse: grammar::trigger,
        offers: grammar::trigger_offers,
    },
    CommandInfo {
        name: "serve",
        aliases: &[],
        syntax: "serve tcp PORT | serve udp PORT | serve off",
        summary: "a small HTTP or UDP echo server on 127.0.0.1, to send your own segments and datagrams to",
        example: "serve tcp 8080",
        detail: "`serve tcp 8080` listens on 127.0.0.1:8080 and answers every connection with a short HTTP reply, until `serve off`. Send it a SYN you built (new ip/tcp, set dstport 8080) and watch the kernel answer SYN-ACK, then reset the connection it never opened. `serve udp 7` sends every datagram that reaches 127.0.0.1:7 back to where it came from (the echo service, RFC 862): a datagram you built (new ip/udp, set dstport 7) earns an answer with the ports swapped.",
        parse: grammar::serve,
        offers: grammar::serve_offers,
    },
    CommandInfo {
        name: "listen",
        aliases: &[],
        syntax: "listen icmp | tcp | udp | icmp6 | proto N | link [IFACE] [once] [where FILTER] | off",
        summary: "open a raw socket for an IP protocol, or a packet socket for every frame; captures are shown as they arrive",
        example: "listen icmp",
        detail: "Opens socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), the post's first program: the kernel hands it a copy of every ICMP packet this host receives, IP header included. Packets are numbered and shown above the prompt as they arrive. `listen link lo` opens socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) on lo instead: every frame, any protocol, from the Ethernet header down, each with its direction (outgoing, to us, broadcast, multicast, other host); without IFACE, every interface. On lo each frame shows twice, leaving and arriving; `once` shows it once. `where FILTER` shows only the packets a filter passes, in the field grammar of expect (`listen icmp where icmp.type == echo-reply`, `listen link lo where arp or not ipv6`); every packet is still kept and related, so `dump N` and `captures` see all. `listen off` closes every listener.",
        parse: grammar::listen,
        offers: grammar::listen_offers,
    },
    CommandInfo {
        name: "ifaces",
        aliases: &["interfaces", "links"],
        syntax: "ifaces",
        summary: "the network's interfaces: index, MAC, MTU, state, flags and addresses, read over netlink",
        example: "ifaces",
        detail: "Asks the kernel over AF_NETLINK (RTM_GETLINK and RTM_GETADDR dumps, as `ip addr` does) for every interface of this network: its index (what AF_PACKET's sockaddr_ll names), MAC, MTU, operational state, flags and addresses. In the sandbox: lo, and veth0, the cable to the peer at 192.0.2.2.",
        parse: bare!(Command::Ifaces),
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "captures",
        aliases: &["list"],
        syntax: "captures",
        summary: "list the numbered packets, one line each",
        example: "captures",
        detail: "Lists every packet this session has kept: sent and captured, with its number, direction, socket, length, time and a summary. The oldest drop off after 10,000.",
        parse: bare!(Command::Captures),
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "dump",
        aliases: &[],
        syntax: "dump N",
        summary: "show packet #N annotated again",
        example: "dump 2",
        detail: "Draws packet #2 in full, with what rawlab found about it (the kernel's changes, the request it answers).",
        parse: grammar::dump,
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "why",
        aliases: &[],
        syntax: "why N",
        summary: "what became of packet #N (or what it is), with the kernel's evidence",
        example: "why 1",
        detail: "For a packet you sent: whether the kernel took it, its copy on the wire and what the kernel changed, the answer and how long it took, or, when none came, what the kernel counted and why that means silence. For a captured packet: what it is to the packets before it (a copy, a reply, an ICMP message quoting one, a frame seen again on lo) or that nothing this session sent explains it.",
        parse: grammar::why,
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "diff",
        aliases: &[],
        syntax: "diff A B",
        summary: "the fields and bytes that differ between two packets, with both values",
        example: "diff 2 3",
        detail: "Compares packet #2 with #3 field by field (for the post's ping: ip.id, ip.checksum, icmp.type 8 → 0, icmp.checksum) and lists the byte offsets that differ.",
        parse: grammar::diff,
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "save",
        aliases: &["save!"],
        syntax: "save FILE [N | A-B …] | save! FILE …",
        summary: "write the packets kept (or those named) to a capture file, as Wireshark and tcpdump read them",
        example: "save ping.pcap",
        detail: "Writes the packets `captures` lists to ping.pcap with their times, to the nanosecond. A pcap file holds what went on the wire, the packets rawlab's sockets captured: what rawlab handed to sendto is left out and counted (`listen` before sending captures each send's wire copy). `save ping.pcap 2-3 5` writes #2, #3 and #5 only. A pcap file holds one link type, so when IP packets and Ethernet frames are mixed the fewer are left out, each named. A name ending in .pcapng writes pcapng, which holds everything: one interface per place a packet was seen (lo, veth0, and rawlab-sendto for the sendto copies), each packet's direction, and a note from which `load` and `rawlab read` rebuild every relation (docs/pcapng.md). A packet no capture file can hold (ICMPv6 from an AF_INET6 socket, which never saw its IPv6 header) is left out with a line saying so. An existing file is kept: `save! ping.pcap` overwrites it. The file is yours: under sudo rawlab already runs as you. `load ping.pcap`, `rawlab read ping.pcap` and Wireshark read it back.",
        parse: grammar::save,
        offers: grammar::save_offers,
    },
    CommandInfo {
        name: "load",
        aliases: &[],
        syntax: "load FILE",
        summary: "read a pcap or pcapng file's packets into the session, numbered like captures",
        example: "load ping.pcap",
        detail: "Reads ping.pcap (pcap or pcapng, as tcpdump, tshark, Wireshark or `save` wrote it) and adds each packet to the session's list under the next number, one line each, so `dump N`, `diff A B`, `captures` and `expect` work on them as on packets just captured, and replies in the file are matched to their requests; a pcapng file rawlab saved comes back as the session had it, its sends, copies and replies related as they were. A link-layer header rawlab has no table for (Linux cooked, BSD loopback) is dropped; a packet with no layer rawlab reads is left out, and named. A damaged file is loaded up to the damage, and rawlab says which packet, at which byte, and what is wrong. At most as many packets as the ring keeps are loaded (`status` says how many; --ring changes it).",
        parse: grammar::load,
        offers: grammar::load_offers,
    },
    CommandInfo {
        name: "clear",
        aliases: &[],
        syntax: "clear",
        summary: "forget the packets kept so far; numbering starts again at #1",
        example: "clear",
        detail: "Empties the list of packets. The template, mode and listeners stay. (Ctrl-L clears the screen.)",
        parse: bare!(Command::Clear),
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "explain",
        aliases: &["what"],
        syntax: "explain FIELD",
        summary: "what a field is, its width and range, how rawlab and the kernel treat it, where it is defined",
        example: "explain ttl",
        detail: "Explains ip.ttl: its place in the header, its width and range, its named values, who fills it (you, rawlab or the kernel), what Linux does with it, and its RFC section. Any field of any protocol works, in the template or not.",
        parse: grammar::explain,
        offers: grammar::explain_offers,
    },
    CommandInfo {
        name: "wait",
        aliases: &["sleep"],
        syntax: "wait DURATION",
        summary: "pause, showing whatever the listeners capture meanwhile",
        example: "wait 200ms",
        detail: "Waits 200 ms, drawing any packet a listener captures meanwhile. A duration is a number and a unit, ns, us (or µs), ms, s or m; `wait` waits at most 10m. Ctrl-C ends it early.",
        parse: grammar::wait,
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "lesson",
        aliases: &["lessons"],
        syntax: "lesson [N | NAME | next | stop]",
        summary: "list the lessons, or take one step by step at the prompt",
        example: "lesson 4",
        detail: "Starts lesson 4 at the prompt: its narration is printed, and its next command waits on the input line already typed. Enter runs it; or clear the line and try your own commands first, and the lesson's next step waits for you. `lesson next` goes on to the following lesson, `lesson stop` ends it, `lesson` lists them all.",
        parse: grammar::lesson,
        offers: grammar::lesson_offers,
    },
    CommandInfo {
        name: "expect",
        aliases: &[],
        syntax: "expect reply [FIELD OP VALUE] [within DUR] | no reply [within DUR] | kernel-changed FIELD | kernel-kept FIELD | captured [OP] N | last FIELD OP VALUE | packet N FIELD OP VALUE | ping received [OP] N",
        summary: "check what actually happened (lessons use it; --check runs them)",
        example: "expect reply icmp.type == echo-reply within 1s",
        detail: "Passes when a reply to the last send, ping or trigger has arrived (waiting up to 1 s for it) and its icmp.type is echo-reply; otherwise says what was expected and what there was. Traffic checks look at the packets since that command began. OP is one of == != < <= > >=. In a script a failed expect makes the run fail; `rawlab --check lessons/` runs every lesson and names each failure.",
        parse: grammar::expect,
        offers: grammar::expect_offers,
    },
    CommandInfo {
        name: "say",
        aliases: &["echo"],
        syntax: "say TEXT",
        summary: "print a line of narration (for lessons)",
        example: "say Now watch the TTL.",
        detail: "Prints the text as it is. In a script, lines starting with # are narration too.",
        parse: grammar::say,
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "reset",
        aliases: &[],
        syntax: "reset",
        summary: "back to the post's packet, mode raw, a 1 s timeout, no listeners",
        example: "reset",
        detail: "Starts over without leaving: the template is the post's ping again, the mode raw, the timeout 1 s, and every listener is closed. The packets kept so far stay (`clear` forgets them).",
        parse: bare!(Command::Reset),
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "status",
        aliases: &["whoami"],
        syntax: "status",
        summary: "who rawlab runs as, its capabilities, its network, where it may send and how fast",
        example: "status",
        detail: "Shows the network (the host's or the sandbox), the user and group rawlab runs as (under sudo it gives up root and keeps only CAP_NET_RAW), the capabilities it holds, where packets may go (loopback, this host, sandbox peers; elsewhere only with --allow-remote), the pace of repeated sends, how many packets the ring keeps, and the kernel's own drop reasons: under sudo, the last few drops its skb:kfree_skb tracepoint reported, each placed against the send before it (the tracepoint is host-wide and names no addresses, so a drop is never said to be yours).",
        parse: bare!(Command::Status),
        offers: grammar::no_offers,
    },
    CommandInfo {
        name: "help",
        aliases: &["?"],
        syntax: "help [COMMAND]",
        summary: "list the commands, or show one with an example",
        example: "help send",
        detail: "Shows send's syntax, what it does and a worked example. Tab completes commands, fields and values; `explain FIELD` describes a field.",
        parse: grammar::help,
        offers: grammar::help_offers,
    },
    CommandInfo {
        name: "quit",
        aliases: &["exit", "q"],
        syntax: "quit",
        summary: "leave rawlab (Ctrl-D does too)",
        example: "quit",
        detail: "Closes every socket and leaves; the sandbox, if any, disappears with rawlab.",
        parse: bare!(Command::Quit),
        offers: grammar::no_offers,
    },
];

/// Finds a command by name or alias.
pub fn command_info(name: &str) -> Option<&'static CommandInfo> {
    let name = name.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name.as_str()))
}
