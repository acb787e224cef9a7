//! The REPL's helper, built from the tables: Tab completes commands (from the
//! command table), fields and their named values (from the protocol tables),
//! stacks, modes and file paths; a dim hint shows the rest of a command's
//! syntax; the line is coloured as it is typed (command, field, value, error).
//! The logic is in plain functions so it can be tested without a terminal.

use crate::command::{self, COMMANDS, Context, Mode, command_info};
use crate::wire::{self, DATA, Field, Kind, Protocol};
use owo_colors::OwoColorize;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context as RlContext, Helper};
use std::borrow::Cow;

pub struct LabHelper {
    /// The template's layers, for short field names; the REPL updates it after each command.
    pub stack: Vec<&'static Protocol>,
    pub color: bool,
    files: FilenameCompleter,
}

impl LabHelper {
    pub fn new(stack: Vec<&'static Protocol>, color: bool) -> LabHelper {
        LabHelper {
            stack,
            color,
            files: FilenameCompleter::new(),
        }
    }
}

/// The words of `line` before `pos`, and where the word being typed starts.
fn words_before(line: &str, pos: usize) -> (Vec<&str>, usize, &str) {
    let head = &line[..pos];
    // After the last blank, however many bytes it takes (a pasted non-breaking space).
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let done: Vec<&str> = head[..start].split_whitespace().collect();
    (done, start, &head[start..])
}

pub use crate::wire::stacks;

/// Field names to offer: the template's fields by full name, then short names
/// that reach exactly one of them; with `everywhere`, every protocol's fields.
fn field_names(stack: &[&'static Protocol], everywhere: bool) -> Vec<String> {
    let protos: Vec<&'static Protocol> = if everywhere {
        wire::PROTOCOLS.to_vec()
    } else {
        stack.to_vec()
    };
    let mut names: Vec<String> = protos
        .iter()
        .flat_map(|p| p.all_fields())
        .map(|f| f.name.to_string())
        .collect();
    names.push(DATA.name.to_string());
    let shorts: Vec<String> = protos
        .iter()
        .flat_map(|p| p.all_fields())
        .map(|f| f.short().to_string())
        .filter(|s| wire::resolve(s, stack).is_ok())
        .collect();
    names.extend(shorts);
    names.dedup();
    names
}

/// Values worth offering for a field.
fn value_names(f: &Field) -> Vec<String> {
    let mut v: Vec<String> = f.names.iter().map(|(_, n)| n.to_string()).collect();
    match f.kind {
        Kind::Flag => v.extend(["0", "1"].map(String::from)),
        Kind::Ipv4 => v.extend(["127.0.0.1", "0.0.0.0", "192.0.2.2"].map(String::from)),
        Kind::Mac => v.extend(
            [
                "00:00:00:00:00:00",
                &crate::netlink::mac_words(&crate::peer::PEER_MAC),
            ]
            .map(String::from),
        ),
        _ => {}
    }
    v
}

/// The names of this network's interfaces, asked of the kernel (read-only).
fn interface_names() -> Vec<String> {
    crate::link::interfaces()
        .map(|(links, _, _)| links.into_iter().map(|l| l.name).collect())
        .unwrap_or_default()
}

/// What Tab offers at `pos`: where the replaced word starts, and the candidates.
/// None means "complete a file path" (save, load, and script paths).
pub fn complete(
    line: &str,
    pos: usize,
    stack: &[&'static Protocol],
) -> Option<(usize, Vec<String>)> {
    let (done, start, partial) = words_before(line, pos);
    let lower = partial.to_ascii_lowercase();
    let cmd = done.first().and_then(|w| command_info(w)).map(|c| c.name);
    let words: Vec<String> = match (done.len(), cmd) {
        (0, _) => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
        (_, None) => Vec::new(),
        (1, Some("set")) => {
            let mut v = field_names(stack, false);
            v.push("timeout".into());
            v
        }
        (2, Some("set")) if done[1].eq_ignore_ascii_case("timeout") => {
            ["500ms", "1s", "2s", "5s"].map(String::from).to_vec()
        }
        (2, Some("set")) => wire::resolve(done[1], stack)
            .map(value_names)
            .unwrap_or_default(),
        (1, Some("unset")) => field_names(stack, false),
        (1, Some("explain")) => field_names(stack, true),
        (1, Some("new")) => stacks(),
        (1, Some("mode")) => Mode::ALL.iter().map(|m| m.name().to_string()).collect(),
        (2, Some("mode")) if done[1].eq_ignore_ascii_case("link") => interface_names(),
        (1, Some("listen")) => ["icmp", "tcp", "udp", "proto", "link", "off"]
            .map(String::from)
            .to_vec(),
        (2, Some("listen")) if done[1].eq_ignore_ascii_case("link") => {
            let mut v = interface_names();
            v.push("once".into());
            v
        }
        (3, Some("listen")) if done[1].eq_ignore_ascii_case("link") => vec!["once".into()],
        (1, Some("payload")) => ["time", "zeros", "\""].map(String::from).to_vec(),
        (1, Some("trigger")) => ["ping", "http", "udp"].map(String::from).to_vec(),
        (1, Some("serve")) => ["tcp", "off"].map(String::from).to_vec(),
        (2, Some("serve")) => vec!["8080".into()],
        (1, Some("help")) => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
        (1, Some("send" | "ping")) => vec!["127.0.0.1".into()],
        (2, Some("trigger")) if done[1].eq_ignore_ascii_case("http") => vec!["8080".into()],
        (2, Some("trigger")) => vec!["127.0.0.1".into()],
        (_, Some("send" | "ping" | "trigger")) => ["count", "every"].map(String::from).to_vec(),
        (1, Some("save" | "load")) => return None,
        _ => Vec::new(),
    };
    let mut hits: Vec<String> = words
        .into_iter()
        .filter(|w| w.to_ascii_lowercase().starts_with(&lower))
        .collect();
    hits.dedup();
    Some((start, hits))
}

/// The dim rest of the line: the rest of a command's name and its syntax, or a
/// field's range after `set FIELD `.
pub fn hint(line: &str, pos: usize, stack: &[&'static Protocol]) -> Option<String> {
    if pos < line.len() || line.trim().is_empty() {
        return None;
    }
    let (done, _, partial) = words_before(line, pos);
    match done.len() {
        0 => {
            let matching: Vec<_> = COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(partial))
                .collect();
            match matching.as_slice() {
                [c] => {
                    let rest = &c.name[partial.len()..];
                    let args = c.syntax.strip_prefix(c.name).unwrap_or("");
                    Some(format!("{rest}{args}"))
                }
                _ => None,
            }
        }
        1 if partial.is_empty() => {
            let c = command_info(done[0])?;
            let args = c.syntax.strip_prefix(c.name)?.trim_start();
            (!args.is_empty()).then(|| args.to_string())
        }
        2 if partial.is_empty() && done[0].eq_ignore_ascii_case("set") => {
            if done[1].eq_ignore_ascii_case("timeout") {
                return Some("DURATION, such as 500ms or 2s".into());
            }
            let f = wire::resolve(done[1], stack).ok()?;
            Some(match f.kind {
                Kind::Bytes => "hex bytes or \"text\"".to_string(),
                _ => format!("{} ({})", f.range_words(), f.meaning),
            })
        }
        _ => None,
    }
}

/// What each part of a line is, for colouring: byte ranges and their roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Command,
    Field,
    Error,
}

pub fn roles(line: &str, stack: &[&'static Protocol]) -> Vec<(std::ops::Range<usize>, Role)> {
    let mut out = Vec::new();
    let mut words = line
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .map(|(i, _)| i);
    let Some(first) = words.next() else {
        return out;
    };
    if line[first..].starts_with('#') {
        return out;
    }
    let end = line[first..]
        .find(char::is_whitespace)
        .map_or(line.len(), |e| first + e);
    let word = &line[first..end];
    let info = command_info(word);
    out.push((
        first..end,
        if info.is_some() {
            Role::Command
        } else {
            Role::Error
        },
    ));
    if let Some(c) = info.filter(|c| matches!(c.name, "set" | "unset" | "explain")) {
        let rest = &line[end..];
        if let Some(off) = rest.find(|ch: char| !ch.is_whitespace()) {
            let fs = end + off;
            let fe = line[fs..]
                .find(char::is_whitespace)
                .map_or(line.len(), |e| fs + e);
            let name = &line[fs..fe];
            let ok = (c.name == "set" && name.eq_ignore_ascii_case("timeout"))
                || match wire::resolve(name, stack) {
                    Ok(_) => true,
                    Err(wire::Lookup::NotInStack { .. }) => c.name == "explain",
                    Err(_) => false,
                };
            out.push((fs..fe, if ok { Role::Field } else { Role::Error }));
        }
    }
    // Anything else the parser rejects, once the line is complete enough to judge.
    if let Err(e) = command::parse(line, &Context { stack })
        && e.span.start < line.len()
        && !out.iter().any(|(r, _)| r.start == e.span.start)
    {
        out.push((e.span.start..e.span.end.min(line.len()), Role::Error));
    }
    out
}

impl Completer for LabHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &RlContext<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        match complete(line, pos, &self.stack) {
            Some((start, words)) => Ok((
                start,
                words
                    .into_iter()
                    .map(|w| Pair {
                        display: w.clone(),
                        replacement: if w.ends_with('"') { w } else { format!("{w} ") },
                    })
                    .collect(),
            )),
            None => self.files.complete(line, pos, ctx),
        }
    }
}

impl Hinter for LabHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &RlContext<'_>) -> Option<String> {
        hint(line, pos, &self.stack)
    }
}

impl Highlighter for LabHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color {
            return Cow::Borrowed(line);
        }
        let mut roles = roles(line, &self.stack);
        if roles.is_empty() {
            return Cow::Borrowed(line);
        }
        roles.sort_by_key(|(r, _)| r.start);
        let mut s = String::with_capacity(line.len() + 32);
        let mut at = 0;
        for (r, role) in roles {
            // A range off the line's characters would panic the slice: skip it.
            if r.start < at || !line.is_char_boundary(r.start) || !line.is_char_boundary(r.end) {
                continue;
            }
            s.push_str(&line[at..r.start]);
            let text = &line[r.clone()];
            s.push_str(&match role {
                Role::Command => text.bold().cyan().to_string(),
                Role::Field => text.yellow().to_string(),
                Role::Error => text.red().underline().to_string(),
            });
            at = r.end;
        }
        s.push_str(&line[at..]);
        Cow::Owned(s)
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(hint.dimmed().to_string())
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Validator for LabHelper {}

impl Helper for LabHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{icmp, ipv4};

    const STACK: &[&Protocol] = &[&ipv4::IPV4, &icmp::ICMP];

    fn offers(line: &str) -> Vec<String> {
        complete(line, line.len(), STACK)
            .expect("words, not paths")
            .1
    }

    #[test]
    fn completes_commands_fields_values_and_stacks() {
        assert_eq!(offers("se"), ["set", "send", "serve"]);
        assert!(offers("").len() == COMMANDS.len());
        assert_eq!(offers("set ip.tt"), ["ip.ttl"]);
        assert_eq!(offers("set tt"), ["ttl"]);
        assert!(offers("set icmp.").contains(&"icmp.checksum".to_string()));
        assert_eq!(
            offers("set icmp.type echo-r"),
            ["echo-reply", "echo-request"]
        );
        assert_eq!(offers("set proto ud"), ["udp", "udplite"]);
        assert_eq!(offers("set df "), ["0", "1"]);
        assert_eq!(offers("mode h"), ["hdrincl"]);
        assert!(offers("new ").contains(&"ip/icmp".to_string()));
        assert_eq!(offers("listen o"), ["off"]);
        assert_eq!(offers("listen l"), ["link"]);
        assert!(offers("listen link ").contains(&"lo".to_string()));
        assert!(offers("listen link ").contains(&"once".to_string()));
        assert_eq!(offers("listen link lo o"), ["once"]);
        assert!(offers("mode link ").contains(&"lo".to_string()));
        assert_eq!(offers("mode l"), ["link"]);
        assert!(stacks().contains(&"eth/arp".to_string()));
        assert!(stacks().contains(&"eth/ip/icmp".to_string()));
        let frame: &[&Protocol] = &[&wire::eth::ETH, &wire::arp::ARP];
        let frame_offers = complete("set eth.dst b", 13, frame).unwrap().1;
        assert_eq!(frame_offers, ["broadcast"]);
        let frame_offers = complete("set opcode r", 12, frame).unwrap().1;
        assert!(frame_offers.contains(&"reply".to_string()));
        assert_eq!(offers("send 127.0.0.1 c"), ["count"]);
        assert_eq!(offers("sned x"), Vec::<String>::new());
        assert!(offers("set ").contains(&"timeout".to_string()));
        assert_eq!(offers("SET TT"), ["ttl"]);
    }

    #[test]
    fn checksum_is_not_offered_as_a_short_name_when_it_is_ambiguous() {
        assert!(!offers("set che").contains(&"checksum".to_string()));
    }

    #[test]
    fn hints_show_the_rest_of_the_syntax() {
        assert_eq!(
            hint("pin", 3, STACK).as_deref(),
            Some("g DST [count N] [every DURATION]")
        );
        assert_eq!(
            hint("send ", 5, STACK).as_deref(),
            Some("[DST] [count N] [every DURATION]")
        );
        assert_eq!(
            hint("set ttl ", 8, STACK).as_deref(),
            Some("0..=255 (time to live: hops left before a router drops it)")
        );
        assert_eq!(hint("se", 2, STACK), None, "ambiguous: set or send");
        assert_eq!(hint("show", 2, STACK), None, "cursor not at the end");
    }

    #[test]
    fn roles_mark_commands_fields_and_errors() {
        assert_eq!(
            roles("set ttl 3", STACK),
            [(0..3, Role::Command), (4..7, Role::Field)]
        );
        assert_eq!(roles("sned", STACK), [(0..4, Role::Error)]);
        assert_eq!(
            roles("set tll 3", STACK),
            [(0..3, Role::Command), (4..7, Role::Error)]
        );
        assert_eq!(
            roles("set ttl 300", STACK),
            [
                (0..3, Role::Command),
                (4..7, Role::Field),
                (8..11, Role::Error)
            ]
        );
        assert_eq!(
            roles("explain ttl", STACK),
            [(0..7, Role::Command), (8..11, Role::Field)]
        );
        assert!(roles("# a note", STACK).is_empty());
    }

    #[test]
    fn stacks_follow_the_tables() {
        let s = stacks();
        assert!(s.contains(&"ip".to_string()) && s.contains(&"ip/icmp".to_string()));
        assert!(!s.iter().any(|x| x.starts_with("icmp")));
    }
}
