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
mod tests;
