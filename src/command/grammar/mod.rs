//! Each command's arguments: how they parse, and what may be typed at each place (for
//! completion and hints). The table in `table.rs` names one parse function and one
//! offers function per command; the keyword lists here serve both, so nothing the
//! parser accepts is missing from Tab.
//!
//! Each family of commands has its file: `template.rs`, `sending.rs`, `traffic.rs`,
//! `packets.rs` and `teaching.rs`; the keyword lists and limits they share are here.

use super::expect::parse_expect;
use super::table::{Offer, command_info};
use super::values::*;
use super::*;

/// What `listen` takes first.
pub(super) const LISTEN_WORDS: &[&str] = &["icmp", "tcp", "udp", "icmp6", "proto", "link", "off"];
/// Other names `listen` takes for ICMPv6.
const ICMP6_NAMES: &[&str] = &["icmp6", "icmpv6", "ipv6-icmp"];
const TRIGGER_WORDS: &[&str] = &["ping", "http", "udp"];
const SERVE_WORDS: &[&str] = &["tcp", "udp", "off"];
const PAYLOAD_WORDS: &[&str] = &["time", "zeros", "\""];
const LESSON_WORDS: &[&str] = &["list", "next", "stop"];
const MODE_WORDS: &[&str] = &["raw", "hdrincl", "kernel", "link"];
const IP_MODE_WORDS: &[&str] = &["raw", "hdrincl", "kernel"];
const SEND_WORDS: &[&str] = &["count", "every", "order"];
/// What `trigger ping` takes after its destination: no fragments there.
const TRIGGER_PING_WORDS: &[&str] = &["count", "every"];
const FRAGMENT_WORDS: &[&str] = &["1500", "576", "off"];
const FRAGMENTS_WORDS: &[&str] = &["1", "2", "all"];
/// The smallest MTU `fragment` takes: an IPv4 header (20 bytes) and one 8-byte block.
pub(super) const MIN_FRAGMENT_MTU: u128 = 28;
const PING_WORDS: &[&str] = &[
    "count", "every", "interval", "mode", "size", "ttl", "stamps", "rr",
];
const TIMEOUTS: &[&str] = &["500ms", "1s", "2s", "5s"];
const DESTINATIONS: &[&str] = &["127.0.0.1"];
const PORTS: &[&str] = &["8080"];

/// How long `wait` waits at most.
const WAIT_CAP: Cap = Cap {
    most: Duration::from_secs(600),
    typed: "10m",
    who: "`wait` waits at most",
};
/// How long a send waits for replies at most.
const TIMEOUT_CAP: Cap = Cap {
    most: Duration::from_secs(600),
    typed: "10m",
    who: "a send waits for replies at most",
};
/// The longest gap between repeated sends.
const EVERY_CAP: Cap = Cap {
    most: Duration::from_secs(60),
    typed: "60s",
    who: "repeated sends go at least once a minute, so `every` is at most",
};

/// `interval`'s cap: the same as `every`'s, said in ping -i's words.
const INTERVAL_CAP: Cap = Cap {
    most: EVERY_CAP.most,
    typed: "60s",
    who: "ping sends at least once a minute, so `interval` is at most",
};

/// The parse function of a command that takes no arguments.
macro_rules! bare {
    ($cmd:expr) => {
        |_: &mut Args<'_>, _: &Context| -> Result<Command, ParseError> { Ok($cmd) }
    };
}
pub(super) use bare;

mod packets;
mod sending;
mod teaching;
mod template;
mod traffic;

pub(super) use packets::*;
pub(super) use sending::*;
pub(super) use teaching::*;
pub(super) use template::*;
pub use template::{quoted_field, quoted_field_names};
pub(super) use traffic::*;

/// Nothing to offer after the command.
pub(super) fn no_offers(_: &[&str], _: &Context) -> Vec<Offer> {
    Vec::new()
}
