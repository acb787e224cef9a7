//! The script front end: a file of commands (a lesson) is parsed whole before
//! anything runs, so a typo on line 12 stops the script before line 1 sends a
//! packet; then each command is echoed, as if typed at the prompt, and run.

use crate::command::script::parse;
use crate::render::{self, Tone};
use crate::session::Session;
use std::io::{self, Write};
use std::path::Path;

mod run;
mod step;

use run::Run;
use step::Pager;

/// A failure in a run: the line, what it said, and why it failed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub line: usize,
    pub text: String,
    pub why: String,
}

/// How a run went.
#[derive(Debug, Default)]
pub struct Report {
    /// `expect` lines run.
    pub expects: usize,
    /// `predict` lines run (each revealed, or a failure).
    pub predictions: usize,
    /// Tasks met (in a script, each reference solution run and its goal checked).
    pub tasks: usize,
    pub failures: Vec<Failure>,
    /// The script could not be read or parsed, so nothing ran.
    pub unreadable: bool,
    /// Ctrl-C stopped it: the command running then, and the lines after it.
    pub interrupted: bool,
}

impl Report {
    /// As an exit status: 0 all well, 1 a command or expect failed, 2 nothing ran,
    /// 130 stopped by Ctrl-C (as a shell reports SIGINT).
    pub fn code(&self) -> i32 {
        if self.interrupted {
            130
        } else if self.unreadable {
            2
        } else if self.failures.is_empty() {
            0
        } else {
            1
        }
    }
}

/// How a run is paced: at once, a pause between commands (`--delay`), or one command
/// per Enter (`--step`, for a projector).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    Straight,
    Delay(std::time::Duration),
    Step,
}

/// Reads a script (a file, or an embedded lesson when no such file exists).
pub fn load(path: &Path) -> Result<(String, String), String> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => Ok((path.display().to_string(), t)),
            Err(e) => Err(not_utf8(&path.display().to_string(), e.as_bytes())),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            match crate::command::lessons::find(&path.to_string_lossy()) {
                Some(l) => Ok((format!("lesson {}", l.name()), l.text.to_string())),
                None => Err(format!(
                    "cannot read {}: {e} (and no embedded lesson is called that: `rawlab --check` lists them)",
                    path.display()
                )),
            }
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Where a script is not UTF-8: each such line (the first few) as `name:line:col` with
/// the byte there, so the editor can go straight to it; a file of mostly such lines is
/// no script at all.
fn not_utf8(name: &str, bytes: &[u8]) -> String {
    const SHOWN: usize = 5;
    let mut bad = Vec::new();
    let mut lines = 0;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        lines += 1;
        if let Err(e) = std::str::from_utf8(line) {
            let ok = e.valid_up_to();
            let col = String::from_utf8_lossy(&line[..ok]).chars().count() + 1;
            bad.push((i + 1, col, line[ok]));
        }
    }
    if bad.len() * 2 > lines && lines > 4 {
        return format!(
            "{name}: {} of its {lines} lines are not UTF-8 text; is this a rawlab script?",
            bad.len()
        );
    }
    let mut text: Vec<String> = bad
        .iter()
        .take(SHOWN)
        .map(|(line, col, b)| format!("{name}:{line}:{col}: byte 0x{b:02x} is not UTF-8"))
        .collect();
    if bad.len() > SHOWN {
        text.push(format!("and {} more lines", bad.len() - SHOWN));
    }
    format!(
        "{}; nothing was run: rawlab reads scripts as UTF-8 text (iconv -f latin1 -t utf-8 converts Latin-1)",
        text.join("; ")
    )
}

/// Runs a script file; see [`run_text`].
pub fn run(
    path: &Path,
    session: &mut Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
    pace: Pace,
) -> io::Result<Report> {
    match load(path) {
        Ok((name, text)) => run_text(&name, &text, session, out, err, pace),
        Err(why) => {
            render::problem(err, &why, &session.style())?;
            Ok(Report {
                unreadable: true,
                ..Report::default()
            })
        }
    }
}

/// Parses the whole script (errors name `name:line:col` and nothing runs), then runs it,
/// echoing each command as if typed at the prompt.
pub fn run_text(
    name: &str,
    text: &str,
    session: &mut Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
    pace: Pace,
) -> io::Result<Report> {
    // In front of a class a step's output never scrolls past unread: it pauses a
    // screen at a time.
    let mut pager;
    let out: &mut dyn Write = match (pace, Pager::screen()) {
        (Pace::Step, Some((cols, rows))) => {
            pager = Pager::new(out, cols, rows, session.style().color);
            &mut pager
        }
        _ => out,
    };
    let style = session.style();
    let lines = match parse(text, &session.stack()) {
        Ok(l) => l,
        Err(errors) => return unparsed(name, &errors, err, &style),
    };
    let mut run = Run::new(name, pace, style, lines);
    let end = run.lines(session, out)?;
    run.finish(end, session, out)
}

/// A script that does not parse: each error at its place, and that nothing ran.
fn unparsed(
    name: &str,
    errors: &[crate::command::script::LineError],
    err: &mut dyn Write,
    style: &crate::render::Style,
) -> io::Result<Report> {
    for e in errors {
        let place = format!("{name}:{}:{}", e.number, e.error.column(&e.text));
        render::parse_error(err, &e.text, &(&e.error).into(), Some(&place), style)?;
    }
    let s = if errors.len() == 1 { "" } else { "s" };
    render::problem(
        err,
        &format!("{name} has {} error{s}; nothing was run", errors.len()),
        style,
    )?;
    Ok(Report {
        unreadable: true,
        ..Report::default()
    })
}

/// `--check`: runs each lesson in a fresh session, its output kept aside, and prints
/// one line per lesson and one per failed expect (expected vs actual).
pub fn check(
    targets: &[(String, String)],
    mut new_session: impl FnMut() -> Session,
    out: &mut dyn Write,
) -> io::Result<i32> {
    let mut worst = 0;
    let (mut passed, mut expects) = (0, 0);
    for (name, text) in targets {
        let mut session = new_session();
        let style = session.style();
        let (mut sink, mut errs) = (Vec::new(), Vec::new());
        let report = run_text(
            name,
            text,
            &mut session,
            &mut sink,
            &mut errs,
            Pace::Straight,
        )?;
        expects += report.expects;
        worst = worst.max(report.code());
        if report.code() == 0 {
            passed += 1;
            let mut line = format!(
                "✓ {name}: {} expect{} passed",
                report.expects,
                if report.expects == 1 { "" } else { "s" }
            );
            if report.tasks > 0 {
                line.push_str(&format!(
                    ", {} task{} solved by {} reference solution",
                    report.tasks,
                    if report.tasks == 1 { "" } else { "s" },
                    if report.tasks == 1 { "its" } else { "their" }
                ));
            }
            if report.predictions > 0 {
                line.push_str(&format!(
                    ", {} prediction{} revealed",
                    report.predictions,
                    if report.predictions == 1 { "" } else { "s" }
                ));
            }
            writeln!(out, "{}", style.paint(&line, Tone::Good))?;
        } else if report.unreadable {
            writeln!(
                out,
                "{}",
                style.paint(&format!("✗ {name}: could not be run"), Tone::Bad)
            )?;
            out.write_all(&errs)?;
        } else {
            let line = format!(
                "✗ {name}: {} of {} failed",
                report.failures.len(),
                report.expects.max(report.failures.len())
            );
            writeln!(out, "{}", style.paint(&line, Tone::Bad))?;
            for f in &report.failures {
                for l in style.wrap(
                    &format!("{name}:{}: {} — {}", f.line, f.text, f.why),
                    "  ",
                    "      ",
                ) {
                    writeln!(out, "{l}")?;
                }
            }
        }
    }
    writeln!(
        out,
        "{passed} of {} scripts passed, {expects} expects checked",
        targets.len()
    )?;
    Ok(worst)
}

/// The scripts a `--check` path names: a file, every .rawlab in a directory (sorted),
/// or with no path at all, every embedded lesson.
pub fn check_targets(paths: &[std::path::PathBuf]) -> Result<Vec<(String, String)>, String> {
    if paths.is_empty() {
        return Ok(crate::command::lessons::all()
            .iter()
            .map(|l| (format!("lesson {}", l.name()), l.text.to_string()))
            .collect());
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("cannot read the directory {}: {e}", p.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "rawlab"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!("{} holds no .rawlab files", p.display()));
            }
            for f in files {
                out.push(load(&f)?);
            }
        } else {
            out.push(load(p)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;
    use crate::wire::{icmp, ipv4};

    #[test]
    fn all_errors_with_line_numbers_and_the_stack_followed() {
        let text = "# a lesson\nset tll 1\nshow\nnew ip\nset icmp.type 0\nsend\n";
        let errors = parse(text, &[&ipv4::IPV4, &icmp::ICMP]).unwrap_err();
        let at: Vec<(usize, usize)> = errors
            .iter()
            .map(|e| (e.number, e.error.column(&e.text)))
            .collect();
        assert_eq!(at, [(2, 5), (5, 5)]);
        assert!(
            errors[1]
                .error
                .message
                .contains("not in this template (ip)")
        );
    }

    #[test]
    fn crlf_and_blank_lines() {
        let lines = parse("show\r\n\r\n  \nhex\n", &[&ipv4::IPV4, &icmp::ICMP]).unwrap();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].command, Command::Show);
        assert_eq!(lines[3].number, 4);
    }
}
