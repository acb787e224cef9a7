//! `save` and `load`: the session's packets to a capture file, and a capture file's
//! packets into the session. Paths are the user's: by the time a command runs, rawlab
//! runs as the user (under sudo it gave up root at start), so files are opened with
//! the user's permissions and what `save` makes belongs to them. No socket here.

use super::{Detail, Flow, Session};
use crate::capture::Packet;
use crate::capture::pcap::{self, Format, SaveFormat};
use crate::render::Tone;
use std::io::{self, Write};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A path as typed, with a leading `~` or `~/` standing for the user's home (the
/// invoking user's under sudo, as the shell would have it) and `~name/` for the home
/// of the user called name.
pub fn expand(path: &str) -> PathBuf {
    let home = || {
        crate::net::sys::sudo_user_home().or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from)
        })
    };
    match path.strip_prefix('~') {
        Some("") => home().unwrap_or_else(|| PathBuf::from(path)),
        Some(rest) if rest.starts_with('/') => match home() {
            Some(h) => h.join(rest.trim_start_matches('/')),
            None => PathBuf::from(path),
        },
        // `~name` and `~name/…`: that user's home, as a shell has it.
        Some(rest) => {
            let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
            match crate::net::sys::home_of_user(name) {
                Some(h) if !name.is_empty() => h.join(tail.trim_start_matches('/')),
                _ => PathBuf::from(path),
            }
        }
        None => PathBuf::from(path),
    }
}

/// A path as it must be typed on a command line: quoted when it holds a space or a quote.
pub fn typed(path: &str) -> String {
    if path.is_empty() || path.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\') {
        format!(
            "\"{}\"",
            path.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\t', "\\t")
                .replace('\n', "\\n")
        )
    } else {
        path.to_string()
    }
}

/// `#1–#3, #5`: packet numbers, runs joined; past eight parts, how many more.
pub fn numbers_words(nos: &[u64]) -> String {
    const PARTS: usize = 8;
    let mut parts = Vec::new();
    let mut i = 0;
    while i < nos.len() {
        if parts.len() == PARTS {
            parts.push(format!("… and {} more", nos.len() - i));
            break;
        }
        let start = nos[i];
        let mut end = start;
        while i + 1 < nos.len() && nos[i + 1] == end + 1 {
            i += 1;
            end = nos[i];
        }
        parts.push(if start == end {
            format!("#{start}")
        } else {
            format!("#{start}–#{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// The names of the capture files (.pcap, .pcapng) in a directory, sorted; at most
/// the first 1000 entries are looked at.
pub fn capture_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .take(1000)
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_capture_name(n))
        .collect();
    names.sort();
    names
}

/// Whether a file name says capture: `.pcap` or `.pcapng`, any case.
pub fn is_capture_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".pcap") || lower.ends_with(".pcapng")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What to try when the OS refused a file: from the reason and the path.
/// What to try after a failed save or load, when the OS reason suggests something.
fn error_hint(e: &pcap::Error) -> Option<String> {
    match e {
        pcap::Error::Io {
            path,
            action,
            reason,
        } => io_hint(path, action, reason),
        _ => None,
    }
}

fn io_hint(path: &Path, action: &str, reason: &str) -> Option<String> {
    if reason == "it is a directory" {
        if action == "write" {
            return Some(format!(
                "name a file inside it, such as {}",
                path.join("capture.pcap").display()
            ));
        }
        let files = capture_files(path);
        return Some(match files.as_slice() {
            [] => "it holds no .pcap or .pcapng file; name a capture file".to_string(),
            some => format!(
                "name a capture file inside it, such as {} (Tab completes names)",
                path.join(&some[0]).display()
            ),
        });
    }
    if reason.contains("No such file or directory") {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        return Some(match parent {
            Some(p) if !p.is_dir() => {
                format!(
                    "there is no directory {}: make it first, or name another",
                    p.display()
                )
            }
            _ if action == "read" => {
                let dir = parent.unwrap_or(Path::new("."));
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                let files = capture_files(dir);
                match crate::wire::suggest::closest(&name, files.iter().map(String::as_str)).first()
                {
                    Some(near) => {
                        let near = match parent {
                            Some(p) => p.join(near).display().to_string(),
                            None => near.to_string(),
                        };
                        format!("did you mean `load {}`?", typed(&near))
                    }
                    None => "Tab completes the names of directories and capture files".to_string(),
                }
            }
            _ => return None,
        });
    }
    if reason.contains("Permission denied") || reason.contains("Read-only") {
        let who = match crate::net::sys::sudo_user() {
            Some(u) => format!(
                "rawlab runs as you (uid {}), not as root, even under sudo",
                u.uid
            ),
            None => format!("rawlab runs as uid {}", crate::net::sys::uid()),
        };
        return Some(format!(
            "{who}: it may {action} only what you may; choose a place of your own, such as your home (~/capture.pcap)"
        ));
    }
    None
}

impl Session {
    /// An error with a second line saying what to try.
    fn fail_with(
        &mut self,
        out: &mut dyn Write,
        text: &str,
        hint: Option<&str>,
    ) -> io::Result<Flow> {
        self.fail(out, text)?;
        if let Some(h) = hint {
            let style = self.style();
            for l in style.wrap(h, "  = ", "    ") {
                writeln!(out, "{}", style.paint(&l, Tone::Note))?;
            }
        }
        Ok(Flow::Continue)
    }

    /// `save FILE [N | A-B …]`, `save! FILE …`: choose the packets, write them, say
    /// what was written or why not.
    pub(super) fn save(
        &mut self,
        typed_path: &str,
        force: bool,
        ranges: &[RangeInclusive<u64>],
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let chosen = match self.chosen_to_save(ranges) {
            Ok(chosen) => chosen,
            Err((text, hint)) => return self.fail_with(out, &text, Some(&hint)),
        };
        let path = expand(typed_path);
        match pcap::save(&path, &chosen, force) {
            Ok(saved) => self.say_saved(&saved, &path, out),
            Err(e) => self.say_not_saved(e, typed_path, out),
        }
    }

    /// The kept packets `ranges` name (all of them without ranges), or why not: the
    /// text and hint of the failure.
    fn chosen_to_save(
        &self,
        ranges: &[RangeInclusive<u64>],
    ) -> Result<Vec<Arc<Packet>>, (String, String)> {
        let all = self.shower.store.all();
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            return Err((
                "there are no packets to save yet".into(),
                "`send`, `ping`, `listen icmp` or `load FILE` first; `captures` lists what is kept"
                    .into(),
            ));
        };
        let (first, last) = (first.no, last.no);
        if let Some(r) = ranges
            .iter()
            .find(|r| *r.start() < first || *r.end() > last)
        {
            let what = if r.start() == r.end() {
                format!("#{}", r.start())
            } else {
                format!("#{}–#{}", r.start(), r.end())
            };
            let text = if *r.end() < first {
                format!(
                    "{what} is no longer kept: only the last {} packets are",
                    self.shower.store.capacity()
                )
            } else {
                format!("{what} is not among the packets kept")
            };
            return Err((
                text,
                format!("the packets kept are #{first}–#{last} (`captures` lists them)"),
            ));
        }
        Ok(if ranges.is_empty() {
            all
        } else {
            all.into_iter()
                .filter(|p| ranges.iter().any(|r| r.contains(&p.no)))
                .collect()
        })
    }

    /// What a save wrote: what it left out, then the packets, the format and the size.
    fn say_saved(&self, saved: &pcap::Saved, path: &Path, out: &mut dyn Write) -> io::Result<Flow> {
        self.left_out_lines(&saved.skipped, out)?;
        if saved.copies > 0 {
            self.info(
                out,
                &format!(
                    "left out {}; a .pcapng file keeps them, on an interface of their own",
                    pcap::copies_words(saved.copies)
                ),
            )?;
        }
        let links: Vec<String> = match saved.format {
            SaveFormat::Pcap => saved.links.iter().map(|l| l.title().to_string()).collect(),
            SaveFormat::PcapNg => saved
                .interfaces
                .iter()
                .zip(&saved.links)
                .map(|(n, l)| format!("{n}: {}", l.title()))
                .collect(),
        };
        let kind = match saved.format {
            SaveFormat::Pcap => format!("pcap of {}", links.join(", ")),
            SaveFormat::PcapNg => format!(
                "pcapng, {} ({})",
                plural(saved.links.len() as u64, "interface", "interfaces"),
                links.join(", ")
            ),
        };
        let text = format!(
            "saved {} ({}) to {}: {kind}, nanosecond timestamps, {} bytes",
            plural(saved.numbers.len() as u64, "packet", "packets"),
            numbers_words(&saved.numbers),
            path.display(),
            saved.bytes
        );
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    /// Why a save wrote nothing, with what to do about it.
    fn say_not_saved(
        &mut self,
        e: pcap::Error,
        typed_path: &str,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        match e {
            pcap::Error::Exists { path } => self.fail_with(
                out,
                &format!("{} already exists; nothing was written", path.display()),
                Some(&format!(
                    "`save! {}` overwrites it; or choose another name",
                    typed(typed_path)
                )),
            ),
            pcap::Error::NothingToSave {
                path,
                skipped,
                copies: copies @ 1..,
            } => {
                self.left_out_lines(&skipped, out)?;
                let e = pcap::Error::NothingToSave {
                    path,
                    skipped,
                    copies,
                };
                self.fail(out, &e.to_string())
            }
            pcap::Error::NothingToSave { path, skipped, .. } => {
                self.left_out_lines(&skipped, out)?;
                self.fail_with(
                    out,
                    &format!(
                        "nothing was written to {}: no capture file can hold {}",
                        path.display(),
                        if skipped.len() == 1 {
                            "that packet"
                        } else {
                            "those packets"
                        }
                    ),
                    None,
                )
            }
            e @ pcap::Error::Io { .. } => {
                self.fail_with(out, &e.to_string(), error_hint(&e).as_deref())
            }
            e => self.fail(out, &e.to_string()),
        }
    }

    /// One line per reason: `#4–#5, #7 left out: Ethernet frames, and …`.
    fn left_out_lines(&self, skipped: &[pcap::Skipped], out: &mut dyn Write) -> io::Result<()> {
        let style = self.style();
        let mut reasons: Vec<(&str, Vec<u64>)> = Vec::new();
        for s in skipped {
            match reasons.iter_mut().find(|(why, _)| *why == s.why) {
                Some((_, nos)) => nos.push(s.no),
                None => reasons.push((&s.why, vec![s.no])),
            }
        }
        for (why, nos) in reasons {
            let text = format!("{} left out: {why}", numbers_words(&nos));
            for l in style.wrap(&text, "", "  ") {
                writeln!(out, "{}", style.paint(&l, Tone::Note))?;
            }
        }
        Ok(())
    }

    /// `load FILE`.
    pub(super) fn load(&mut self, typed_path: &str, out: &mut dyn Write) -> io::Result<Flow> {
        let path = expand(typed_path);
        // A named pipe or a device blocks in open until someone writes to it, where
        // Ctrl-C cannot reach: only a file is loaded (stat opens nothing).
        if let Some(what) = pcap::not_a_file(&path) {
            let text = format!(
                "{} is {what}, not a capture file: `load` reads files, so that it never waits on a writer (to read a pipe, `rawlab read -` takes it on standard input)",
                path.display()
            );
            return self.fail(out, &text);
        }
        let store = self.shower.store.clone();
        let capacity = store.capacity();
        let interrupt = self.interrupt.clone();
        let mut loaded =
            match pcap::load_until(&path, capacity, || interrupt.load(Ordering::Relaxed)) {
                Ok(l) => l,
                Err(pcap::Error::Format { path, error }) => {
                    return self.fail_with(
                        out,
                        &format!("{}: {error}", path.display()),
                        error.hint.as_deref(),
                    );
                }
                Err(e) => return self.fail_with(out, &e.to_string(), error_hint(&e).as_deref()),
            };
        // What `expect` looks at from now on: the packets of this file (if it has any).
        if !loaded.packets.is_empty() {
            self.evidence.traffic_from = store.next_no();
        }
        let kept_before = store.len();
        let oldest_before = store.all().first().map(|p| p.no);
        let n = loaded.packets.len();
        let mut numbers = Vec::with_capacity(n);
        // What each packet's time note is about, by the number it gets here.
        let mut noted: Vec<(u64, &str)> = Vec::new();
        let mut notes = loaded.time_notes.iter().peekable();
        for p in std::mem::take(&mut loaded.packets) {
            let file_no = p.no;
            let no = store.push(p.time, p.bytes, p.first, p.origin);
            numbers.push(no);
            while let Some((_, why)) = notes.next_if(|(at, _)| *at == file_no) {
                noted.push((no, why));
            }
        }
        let previous = self.shower.set_detail(Detail::Lines);
        let shown = self.shower.show_pending(out);
        self.shower.set_detail(previous);
        shown?;
        self.say_left_out(&loaded, &noted, kept_before + n, oldest_before, out)?;
        self.say_loaded(&loaded, &path, typed_path, n, &numbers, out)
    }

    /// After `load`'s packets: those left out, what each time note is about, and which
    /// packets left the ring to make room.
    fn say_left_out(
        &self,
        loaded: &pcap::Loaded,
        noted: &[(u64, &str)],
        kept: usize,
        oldest_before: Option<u64>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let capacity = self.shower.store.capacity();
        let style = self.style();
        for s in &loaded.skipped {
            let text = format!("packet {} of the file left out: {}", s.no, s.why);
            for l in style.wrap(&text, "", "  ") {
                writeln!(out, "{}", style.paint(&l, Tone::Note))?;
            }
        }
        // Each reason once, in the order first met, with the packets it is about.
        let mut reasons: Vec<&str> = Vec::new();
        for (_, why) in noted {
            if !reasons.contains(why) {
                reasons.push(why);
            }
        }
        for reason in reasons {
            let nos: Vec<u64> = noted
                .iter()
                .filter(|(_, why)| *why == reason)
                .map(|(no, _)| *no)
                .collect();
            let text = format!("{}: {reason}", numbers_words(&nos));
            for l in style.wrap(&text, "", "  ") {
                writeln!(out, "{}", style.paint(&l, Tone::Note))?;
            }
        }
        let evicted = kept.saturating_sub(capacity);
        if let (Some(oldest), true) = (oldest_before, evicted > 0) {
            let gone = oldest..oldest + evicted as u64;
            let text = format!(
                "the ring keeps {capacity} packets: {} left it to make room",
                numbers_words(&gone.collect::<Vec<_>>())
            );
            writeln!(out, "{}", style.paint(&text, Tone::Note))?;
        }
        Ok(())
    }

    /// `load`'s last words: what was loaded, and what was not (past the ring, Ctrl-C,
    /// the damage that ended the file).
    fn say_loaded(
        &mut self,
        loaded: &pcap::Loaded,
        path: &std::path::Path,
        typed_path: &str,
        n: usize,
        numbers: &[u64],
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let capacity = self.shower.store.capacity();
        let style = self.style();
        let links: Vec<&str> = loaded.links.iter().map(|l| l.title()).collect();
        let what = format!(
            "{}{}",
            match loaded.format {
                Format::Pcap { nanos, .. } => format!(
                    "pcap, {} timestamps",
                    if nanos { "nanosecond" } else { "microsecond" }
                ),
                Format::PcapNg => "pcapng".to_string(),
            },
            if links.is_empty() {
                String::new()
            } else {
                format!(", {}", links.join(", "))
            }
        );
        let mut text = match n {
            // The damage says it all.
            0 if loaded.error.is_some() => String::new(),
            0 => format!(
                "{} holds no packet rawlab can show ({what})",
                path.display()
            ),
            _ => format!(
                "loaded {} from {} as {} ({what}); `dump {}` shows the first in full",
                plural(n as u64, "packet", "packets"),
                path.display(),
                numbers_words(numbers),
                numbers[0]
            ),
        };
        if !loaded.dropped.is_empty() {
            let names: Vec<&str> = loaded.dropped.iter().map(|l| l.title()).collect();
            text.push_str(&format!(
                "; each packet's {} header was dropped (rawlab has no table for it, so the packet starts at its IP header)",
                names.join(" or ")
            ));
        }
        if !loaded.skipped.is_empty() {
            text.push_str(&format!(
                "; {} left out",
                plural(loaded.skipped.len() as u64, "packet", "packets")
            ));
        }
        if !text.is_empty() {
            self.info(out, &text)?;
        }
        if loaded.left_out > 0 {
            let text = format!(
                "the ring keeps {capacity} packets, so the file's other {} were not loaded: `rawlab read {}` shows every one, and `rawlab --ring N` keeps more",
                loaded.left_out,
                typed(typed_path)
            );
            writeln!(out, "{}", style.paint(&text, Tone::Note))?;
        }
        if loaded.stopped {
            writeln!(
                out,
                "{}",
                style.paint(
                    "stopped (Ctrl-C) before the file's end; the packets read so far are kept",
                    Tone::Note
                )
            )?;
        }
        if let Some(e) = &loaded.error {
            let before = match n {
                0 => None,
                1 => Some("the 1 packet before it is loaded".to_string()),
                n => Some(format!("the {n} packets before it are loaded")),
            };
            let hint = match (&e.hint, before) {
                (Some(h), Some(b)) => format!("{h}: {b}"),
                (Some(h), None) => h.clone(),
                (None, Some(b)) => b,
                (None, None) => "no packet came before it".to_string(),
            };
            return self.fail_with(out, &format!("{}: {e}", path.display()), Some(&hint));
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_join_runs() {
        assert_eq!(numbers_words(&[1, 2, 3, 5, 7, 8]), "#1–#3, #5, #7–#8");
        assert_eq!(numbers_words(&[4]), "#4");
        assert_eq!(numbers_words(&[]), "");
        // Sends three packets apart (each with its copy and reply) join no runs.
        let sends: Vec<u64> = (0..170).map(|i| 1 + 3 * i).collect();
        assert_eq!(
            numbers_words(&sends),
            "#1, #4, #7, #10, #13, #16, #19, #22, … and 162 more"
        );
    }

    #[test]
    fn paths_are_quoted_only_when_they_must_be() {
        assert_eq!(typed("ping.pcap"), "ping.pcap");
        assert_eq!(typed("my ping.pcap"), "\"my ping.pcap\"");
        assert_eq!(typed("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn a_leading_tilde_is_home() {
        let home = expand("~");
        if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            assert_eq!(home, PathBuf::from(&h));
            assert_eq!(expand("~/x.pcap"), PathBuf::from(h).join("x.pcap"));
        }
        // Another user's home, from /etc/passwd (root's is there on every system).
        let root = crate::net::sys::home_of_user("root").expect("root in /etc/passwd");
        assert_eq!(expand("~root/x.pcap"), root.join("x.pcap"));
        assert_eq!(expand("~root"), root);
        assert_eq!(
            expand("~no-such-user-here/x.pcap"),
            PathBuf::from("~no-such-user-here/x.pcap")
        );
        assert_eq!(expand("x/~/y"), PathBuf::from("x/~/y"));
    }
}
