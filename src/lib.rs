//! rawlab: a lab for Linux raw sockets.
//!
//! Follow a command from the line a user types to the socket and back:
//! - `command`  parses a line into a [`command::Command`] (no side effects);
//! - `session`  executes it: the template, the send modes, listeners, captures;
//! - `template` builds the packet bytes from the protocol tables in `wire`;
//! - `net`      opens and uses the IP sockets (socket2), `link` the AF_PACKET ones,
//!   `netlink`  talks to the kernel about interfaces, `peer` makes the sandbox's
//!   second host, and `sys` holds every raw syscall;
//! - `drops`    the kernel's own drop reasons (the skb:kfree_skb tracepoint), opened
//!   as root at start and read as drops are asked about;
//! - `lab`      relates packets: what the kernel changed, which reply answers what;
//!   `evidence` reads what the kernel counted (SNMP counters) around a send;
//! - `render`   draws the annotated dump into any `impl Write`, and `annotate` puts
//!   what `lab` found on it in words;
//! - `repl` and `script` are the two front ends over one executor;
//! - `pcap`     reads pcap/pcapng files record by record and writes pcap (`save`/`load`);
//! - `read`     is `rawlab read FILE`: a capture file's packets as dumps or JSON (`json`).

pub mod annotate;
pub mod capture;
pub mod clock;
pub mod command;
pub mod drops;
pub mod evidence;
pub mod json;
pub mod lab;
pub mod lessons;
pub mod link;
pub mod net;
pub mod netlink;
pub mod pcap;
pub mod peer;
pub mod policy;
pub mod read;
pub mod record;
pub mod render;
pub mod repl;
pub mod script;
pub mod session;
pub mod suggest;
pub mod sys;
pub mod template;
pub mod traffic;
pub mod wire;
