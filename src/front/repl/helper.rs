//! The REPL's helper, built from the tables: Tab completes commands (from the
//! command table), fields and their named values (from the protocol tables),
//! stacks, modes and file paths; a dim hint shows the rest of a command's
//! syntax; the line is coloured as it is typed (command, field, value, error).
//! The logic is in plain functions so it can be tested without a terminal.

use crate::command::{self, COMMANDS, CommandInfo, Context, Offer, command_info};
use crate::wire::{self, DATA, Field, Kind, Protocol};
use owo_colors::OwoColorize;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context as RlContext, Helper};
use std::borrow::Cow;

pub struct LabHelper {
    /// The template's layers, for short field names; the REPL updates it after each command.
    pub stack: Vec<&'static Protocol>,
    pub color: bool,
    /// The prompt waits for an answer to a prediction, not a command: no completion,
    /// hints or colours of the command language.
    pub answering: bool,
}

impl LabHelper {
    pub fn new(stack: Vec<&'static Protocol>, color: bool) -> LabHelper {
        LabHelper {
            stack,
            color,
            answering: false,
        }
    }
}

/// Where the cursor stands in a line, as the parser splits it (`command::words`).
struct Place<'l> {
    /// The command the first word names.
    info: Option<&'static CommandInfo>,
    /// The words after the command's name before the one being typed, as parsed.
    done: Vec<String>,
    /// Where the word being typed starts, and what of it is typed (as typed: an open
    /// quote included).
    start: usize,
    partial: &'l str,
    /// The word being typed is the command's name.
    first: bool,
}

impl Place<'_> {
    /// What may be typed here, by the command table.
    fn offers(&self, stack: &[&'static Protocol]) -> Vec<Offer> {
        if self.first {
            return vec![Offer::Commands];
        }
        let Some(info) = self.info else {
            return Vec::new();
        };
        let done: Vec<&str> = self.done.iter().map(String::as_str).collect();
        (info.offers)(&done, &Context::new(stack))
    }
}

fn place(line: &str, pos: usize) -> Place<'_> {
    let head = &line[..pos];
    let mut words = command::words(head);
    // The last word is being typed when the cursor touches it.
    let typing = words.pop_if(|w| w.span.end == pos);
    let (start, partial) = match &typing {
        Some(w) => (w.span.start, &head[w.span.start..]),
        None => (pos, ""),
    };
    let comment = head.trim_start().starts_with('#');
    let info = words
        .first()
        .filter(|w| !w.quoted && !comment)
        .and_then(|w| command_info(&w.text));
    Place {
        info,
        done: words.iter().skip(1).map(|w| w.text.clone()).collect(),
        start,
        partial,
        first: words.is_empty() && !comment,
    }
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
    // Options set by name (`ip.opt.rr`), after the fields.
    for n in wire::named_options(&protos) {
        if !names.iter().any(|m| m == n.field.name) {
            names.push(n.field.name.to_string());
        }
    }
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
                &crate::net::netlink::mac_words(&crate::net::peer::PEER_MAC),
            ]
            .map(String::from),
        ),
        _ => {}
    }
    v
}

/// The names of this network's interfaces, asked of the kernel (read-only).
fn interface_names() -> Vec<String> {
    crate::net::link::interfaces()
        .map(|(links, _, _)| links.into_iter().map(|l| l.name).collect())
        .unwrap_or_default()
}

/// Where the file name being typed starts, and what of it is typed before `pos`, when
/// the command table says a file name goes there (after save, save! and load; a quoted
/// name may hold spaces).
pub fn path_argument(line: &str, pos: usize) -> Option<(usize, &str)> {
    let p = place(line.get(..pos)?, pos);
    p.offers(&[])
        .iter()
        .any(|o| matches!(o, Offer::Path(_)))
        .then_some((p.start, p.partial))
}

/// A file-name candidate: what the list shows, and what replaces the typed part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathCandidate {
    pub display: String,
    pub replacement: String,
}

/// What Tab offers for a file name being typed (`partial`, as typed: maybe quoted,
/// maybe starting with `~/`): directories (ending in /, to go on into them) and
/// capture files (.pcap, .pcapng). Hidden entries only when the name typed starts
/// with a dot. At most 2000 entries of a directory are looked at.
pub fn complete_path(partial: &str) -> Vec<PathCandidate> {
    let quoted = partial.starts_with('"');
    let raw = partial.strip_prefix('"').unwrap_or(partial);
    if raw == "~" {
        return vec![PathCandidate {
            display: "~/".into(),
            replacement: format!("{}~/", if quoted { "\"" } else { "" }),
        }];
    }
    let (dir_part, prefix) = match raw.rfind('/') {
        Some(i) => raw.split_at(i + 1),
        None => ("", raw),
    };
    let dir = if dir_part.is_empty() {
        std::path::PathBuf::from(".")
    } else {
        crate::session::expand_path(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, bool)> = entries
        .take(2000)
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            // Follows links: a link to a directory is a directory.
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            (is_dir || crate::session::is_capture_name(&name)).then_some((name, is_dir))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|(name, is_dir)| {
            let text = format!("{dir_part}{name}");
            let needs_quotes =
                quoted || text.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\');
            let replacement = match (needs_quotes, is_dir) {
                (false, true) => format!("{text}/"),
                (false, false) => format!("{text} "),
                // A directory keeps its quote open, so Tab can go on inside it.
                // Inside quotes a backslash and a quote are escaped; what was typed
                // inside quotes already is.
                (true, _) => {
                    let esc = |t: &str| t.replace('\\', "\\\\").replace('"', "\\\"");
                    let dir = if quoted {
                        dir_part.to_string()
                    } else {
                        esc(dir_part)
                    };
                    let name = esc(&name);
                    if is_dir {
                        format!("\"{dir}{name}/")
                    } else {
                        format!("\"{dir}{name}\" ")
                    }
                }
            };
            PathCandidate {
                display: if is_dir { format!("{name}/") } else { name },
                replacement,
            }
        })
        .collect()
}

/// The words an offer stands for.
fn candidates(offer: &Offer, stack: &[&'static Protocol]) -> Vec<String> {
    match offer {
        Offer::Words(w) => w.iter().map(|w| w.to_string()).collect(),
        Offer::Fields { everywhere } => field_names(stack, *everywhere),
        Offer::Quoted => command::quoted_field_names(stack),
        Offer::Values(f) => value_names(f),
        Offer::Stacks => stacks(),
        Offer::Ifaces => interface_names(),
        Offer::Commands => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
        Offer::Lessons => command::lessons::all()
            .iter()
            .map(|l| l.name().to_string())
            .collect(),
        Offer::Path(_) | Offer::Note(_) => Vec::new(),
    }
}

/// What Tab offers at `pos`: where the replaced word starts, and the candidates.
/// None means "complete a file path" (after save, save! and load: [`complete_path`]).
pub fn complete(
    line: &str,
    pos: usize,
    stack: &[&'static Protocol],
) -> Option<(usize, Vec<String>)> {
    let p = place(line, pos);
    let offers = p.offers(stack);
    if offers.iter().any(|o| matches!(o, Offer::Path(_))) {
        return None;
    }
    let lower = p.partial.to_ascii_lowercase();
    let mut hits: Vec<String> = offers
        .iter()
        .flat_map(|o| candidates(o, stack))
        .filter(|w| w.to_ascii_lowercase().starts_with(&lower))
        .collect();
    hits.dedup();
    Some((p.start, hits))
}

/// The dim rest of the line: the rest of a command's name and its syntax, or what
/// belongs where the cursor is (a field's range after `set FIELD `, a file name).
pub fn hint(line: &str, pos: usize, stack: &[&'static Protocol]) -> Option<String> {
    if pos < line.len() || line.len() > LIVELY || line.trim().is_empty() {
        return None;
    }
    let p = place(line, pos);
    if p.first {
        let matching: Vec<_> = COMMANDS
            .iter()
            .filter(|c| c.name.starts_with(p.partial))
            .collect();
        return match matching.as_slice() {
            [c] => {
                let rest = &c.name[p.partial.len()..];
                let args = c.syntax.strip_prefix(c.name).unwrap_or("");
                Some(format!("{rest}{args}"))
            }
            _ => None,
        };
    }
    if !p.partial.is_empty() {
        return None;
    }
    let c = p.info?;
    for o in p.offers(stack) {
        match o {
            Offer::Note(n) | Offer::Path(n) => return Some(n.to_string()),
            Offer::Values(f) => {
                return Some(match f.kind {
                    Kind::Bytes => "hex bytes or \"text\"".to_string(),
                    _ => format!("{} ({})", f.range_words(), f.meaning),
                });
            }
            _ => {}
        }
    }
    if !p.done.is_empty() {
        return None;
    }
    let args = c.syntax.strip_prefix(c.name)?.trim_start();
    (!args.is_empty()).then(|| args.to_string())
}

/// What each part of a line is, for colouring: byte ranges and their roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Command,
    Field,
    /// A file name that names what it should: an existing capture for `load`, a file
    /// `save!` will overwrite.
    Path,
    Error,
}

/// How a file name after save or load looks before Enter: Path when it names what the
/// command needs, Error when the command would refuse it (a directory, a file `save`
/// keeps, a directory that is not there), None while it is still being typed.
fn path_role(cmd: &str, force: bool, typed: &str) -> Option<Role> {
    let raw = typed
        .strip_prefix('"')
        .map_or(typed, |r| r.strip_suffix('"').unwrap_or(r));
    if raw.is_empty() {
        return None;
    }
    let path = crate::session::expand_path(raw);
    let meta = std::fs::metadata(&path).ok();
    match (cmd, meta) {
        (_, Some(m)) if m.is_dir() => Some(Role::Error),
        ("load", Some(_)) => Some(Role::Path),
        ("load", None) => None,
        (_, Some(_)) if force => Some(Role::Path),
        (_, Some(_)) => Some(Role::Error),
        (_, None) => match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) if !p.is_dir() => Some(Role::Error),
            _ => None,
        },
    }
}

/// What each word of `line` is, by the command table's offers for its place.
pub fn roles(line: &str, stack: &[&'static Protocol]) -> Vec<(std::ops::Range<usize>, Role)> {
    let mut out = Vec::new();
    if line.trim_start().starts_with('#') {
        return out;
    }
    let words = command::words(line);
    let Some((first, rest)) = words.split_first() else {
        return out;
    };
    let info = command_info(&first.text).filter(|_| !first.quoted);
    out.push((
        first.span.clone(),
        if info.is_some() {
            Role::Command
        } else {
            Role::Error
        },
    ));
    let ctx = Context::new(stack);
    for (i, w) in rest.iter().enumerate() {
        let Some(c) = info else { break };
        let done: Vec<&str> = rest[..i].iter().map(|w| w.text.as_str()).collect();
        let offers = (c.offers)(&done, &ctx);
        let a_word = offers.iter().any(|o| match o {
            Offer::Words(ws) => ws.iter().any(|x| x.eq_ignore_ascii_case(&w.text)),
            _ => false,
        });
        for o in &offers {
            match o {
                Offer::Quoted if command::quoted_field(&w.text, stack).is_some() => {
                    out.push((w.span.clone(), Role::Field));
                }
                Offer::Fields { .. }
                    if !a_word && command::quoted_field(&w.text, stack).is_some() => {}
                Offer::Fields { everywhere } if !a_word => {
                    let among = if *everywhere { wire::PROTOCOLS } else { stack };
                    let ok = match wire::resolve(&w.text, stack) {
                        Ok(_) => true,
                        Err(wire::Lookup::NotInStack { .. }) => *everywhere,
                        Err(_) => false,
                    } || wire::named_option(&w.text, among).is_some();
                    out.push((w.span.clone(), if ok { Role::Field } else { Role::Error }));
                }
                Offer::Path(_) => {
                    if let Some(role) =
                        path_role(c.name, first.text.ends_with('!'), &line[w.span.clone()])
                    {
                        out.push((w.span.clone(), role));
                    }
                }
                _ => {}
            }
        }
    }
    // Anything else the parser rejects, once the line is complete enough to judge.
    if let Err(e) = command::parse(line, &Context::new(stack))
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
        _ctx: &RlContext<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if self.answering {
            return Ok((pos, Vec::new()));
        }
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
            None => {
                let (start, partial) = path_argument(line, pos).unwrap_or((pos, ""));
                Ok((
                    start,
                    complete_path(partial)
                        .into_iter()
                        .map(|c| Pair {
                            display: c.display,
                            replacement: c.replacement,
                        })
                        .collect(),
                ))
            }
        }
    }
}

impl Hinter for LabHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &RlContext<'_>) -> Option<String> {
        if self.answering {
            return None;
        }
        hint(line, pos, &self.stack)
    }
}

/// Past this many bytes a line is pasted, not typed: it is neither coloured nor hinted
/// as it grows, since each key would redo the work over the whole line (a 100 kB paste
/// took minutes). Enter still parses it once and says what is wrong.
pub const LIVELY: usize = 4096;

impl Highlighter for LabHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color || line.len() > LIVELY || self.answering {
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
                Role::Path => text.underline().to_string(),
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

    fn highlight_char(&self, line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color && line.len() <= LIVELY
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
        assert_eq!(offers("send 127.0.0.1 m"), Vec::<String>::new());
        assert_eq!(offers("ping 127.0.0.1 count 3 m"), ["mode"]);
        assert_eq!(offers("ping 127.0.0.1 mode "), ["raw", "hdrincl", "kernel"]);
        assert_eq!(offers("ping 127.0.0.1 MODE r"), ["raw"]);
        assert_eq!(offers("sned x"), Vec::<String>::new());
        assert!(offers("set ").contains(&"timeout".to_string()));
        assert_eq!(offers("SET TT"), ["ttl"]);
    }

    /// Options by name are offered with the fields, their words after them, and
    /// highlighted as fields; quoted fields after `unset` and `explain`.
    #[test]
    fn options_by_name_and_quoted_fields_are_offered() {
        let opts = offers("set ip.opt.");
        for name in [
            "ip.opt.rr",
            "ip.opt.ts",
            "ip.opt.ra",
            "ip.opt.lsrr",
            "ip.opt.ssrr",
            "ip.opt.nop",
            "ip.opt.eol",
        ] {
            assert!(opts.contains(&name.to_string()), "{name}: {opts:?}");
        }
        assert_eq!(offers("set ip.opt.ts tsa"), ["tsandaddr"]);
        assert!(offers("explain ip.opt.l").contains(&"ip.opt.lsrr".to_string()));
        assert!(offers("unset ip.opt.r").contains(&"ip.opt.rr".to_string()));
        let line = "set ip.opt.rr 9";
        assert_eq!(roles(line, STACK)[1], (4..13, Role::Field));
        let quoting: &[&Protocol] = &[&ipv4::IPV4, &icmp::ICMP, &ipv4::IPV4, &wire::udp::UDP];
        for line in ["unset quoted.ip.t", "explain quoted.ip.t"] {
            let got = complete(line, line.len(), quoting).unwrap().1;
            assert!(
                got.contains(&"quoted.ip.ttl".to_string()),
                "{line}: {got:?}"
            );
        }
        assert!(
            !offers("unset quoted.")
                .iter()
                .any(|o| o.starts_with("quoted."))
        );
    }

    #[test]
    fn checksum_is_not_offered_as_a_short_name_when_it_is_ambiguous() {
        assert!(!offers("set che").contains(&"checksum".to_string()));
    }

    #[test]
    fn hints_show_the_rest_of_the_syntax() {
        assert_eq!(
            hint("pin", 3, STACK).as_deref(),
            Some(
                "g DST [count N] [every DURATION | interval SECONDS] [size N] [ttl N] [stamps] [rr] [mode raw|hdrincl|kernel]"
            )
        );
        assert_eq!(
            hint("send ", 5, STACK).as_deref(),
            Some("[DST] [count N] [every DURATION] [order N…]")
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
    fn file_names_are_completed_after_save_and_load() {
        assert_eq!(path_argument("load ", 5), Some((5, "")));
        assert_eq!(path_argument("load ca", 7), Some((5, "ca")));
        assert_eq!(path_argument("  save! ~/c", 11), Some((8, "~/c")));
        assert_eq!(path_argument("save \"my d", 10), Some((5, "\"my d")));
        assert_eq!(path_argument("save x.pcap 2", 13), None, "packet numbers");
        assert_eq!(
            path_argument("save \"a b\" ", 11),
            None,
            "the quote is closed"
        );
        assert_eq!(path_argument("show x", 6), None);
        assert_eq!(
            path_argument("load", 4),
            None,
            "the command is still being typed"
        );
        assert_eq!(complete("load ", 5, STACK), None);
        assert_eq!(complete("save x.pcap ", 12, STACK), Some((12, vec![])));

        let dir = std::env::temp_dir().join(format!("rawlab-complete-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["caps", "my dir", ".hidden"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        for f in [
            "cap.pcap",
            "cap2.PCAPNG",
            "capture.txt",
            "my cap.pcap",
            ".old.pcap",
        ] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        let d = dir.display();
        let got = |typed: &str| -> Vec<(String, String)> {
            complete_path(typed)
                .into_iter()
                .map(|c| (c.display, c.replacement))
                .collect()
        };
        assert_eq!(
            got(&format!("{d}/ca")),
            [
                ("cap.pcap".into(), format!("{d}/cap.pcap ")),
                ("cap2.PCAPNG".into(), format!("{d}/cap2.PCAPNG ")),
                ("caps/".into(), format!("{d}/caps/")),
            ],
            "directories and capture files, not capture.txt"
        );
        assert_eq!(
            got(&format!("{d}/my")),
            [
                ("my cap.pcap".into(), format!("\"{d}/my cap.pcap\" ")),
                ("my dir/".into(), format!("\"{d}/my dir/")),
            ],
            "a name with a space is quoted; a directory's quote stays open"
        );
        assert_eq!(
            got(&format!("\"{d}/my dir/")),
            Vec::<(String, String)>::new()
        );
        assert_eq!(
            got(&format!("{d}/.")),
            [
                (".hidden/".into(), format!("{d}/.hidden/")),
                (".old.pcap".into(), format!("{d}/.old.pcap ")),
            ],
            "hidden names only when a dot is typed"
        );
        assert!(
            !got(&format!("{d}/"))
                .iter()
                .any(|(n, _)| n.starts_with('.'))
        );
        assert_eq!(got("~"), [("~/".into(), "~/".into())]);
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            let home = std::path::PathBuf::from(home);
            if home.is_dir() {
                let listed = got("~/");
                assert!(
                    listed.iter().all(|(_, r)| r.starts_with("~/")),
                    "~/ is kept as typed: {listed:?}"
                );
            }
        }

        // Highlighting: what save and load would refuse is marked before Enter.
        let load_ok = format!("load {d}/cap.pcap");
        assert_eq!(roles(&load_ok, STACK)[1], (5..load_ok.len(), Role::Path));
        let load_dir = format!("load {d}/caps");
        assert_eq!(roles(&load_dir, STACK)[1], (5..load_dir.len(), Role::Error));
        let save_there = format!("save {d}/cap.pcap");
        assert_eq!(
            roles(&save_there, STACK)[1],
            (5..save_there.len(), Role::Error)
        );
        let save_forced = format!("save! {d}/cap.pcap");
        assert_eq!(
            roles(&save_forced, STACK)[1],
            (6..save_forced.len(), Role::Path)
        );
        let save_new = format!("save {d}/new.pcap");
        assert_eq!(roles(&save_new, STACK).len(), 1, "a new name is fine");
        let save_nowhere = format!("save {d}/nowhere/new.pcap");
        assert_eq!(roles(&save_nowhere, STACK)[1].1, Role::Error);
        let quoted = format!("load \"{d}/my cap.pcap\"");
        assert_eq!(roles(&quoted, STACK)[1], (5..quoted.len(), Role::Path));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn save_and_load_hint_their_file_and_packets() {
        assert_eq!(
            hint("load ", 5, STACK).as_deref(),
            Some("FILE (a .pcap or .pcapng file; Tab completes names)")
        );
        assert!(
            hint("save ", 5, STACK)
                .unwrap()
                .contains("save! overwrites")
        );
        assert!(
            hint("save! ", 6, STACK)
                .unwrap()
                .contains("save! overwrites")
        );
        assert_eq!(
            hint("save x.pcap ", 12, STACK).as_deref(),
            Some("[N | A-B …] (packets from `captures`; all when none are named)")
        );
        assert_eq!(
            hint("save \"a ", 8, STACK),
            None,
            "still in the quoted name"
        );
    }

    #[test]
    fn a_pasted_line_is_neither_coloured_nor_hinted() {
        let h = LabHelper::new(vec![&ipv4::IPV4, &icmp::ICMP], true);
        let short = "set ttl 9";
        assert!(matches!(h.highlight(short, short.len()), Cow::Owned(_)));
        let long = format!("set ttl {}", "9".repeat(LIVELY));
        assert!(matches!(h.highlight(&long, long.len()), Cow::Borrowed(_)));
        assert!(!h.highlight_char(&long, long.len(), CmdKind::Other));
        assert_eq!(
            hint(&format!("sa{}", " ".repeat(LIVELY)), LIVELY + 2, &[]),
            None
        );
    }

    #[test]
    fn stacks_follow_the_tables() {
        let s = stacks();
        assert!(s.contains(&"ip".to_string()) && s.contains(&"ip/icmp".to_string()));
        assert!(!s.iter().any(|x| x.starts_with("icmp")));
    }
}
