//! The script front end: a file of commands (a lesson) is parsed whole before
//! anything runs, so a typo on line 12 stops the script before line 1 sends a
//! packet; then each command is echoed, as if typed at the prompt, and run.

use crate::command::{self, Command, Context, ParseError};
use crate::render::{self, Tone};
use crate::session::{Flow, Session};
use crate::wire::Protocol;
use std::io::{self, Write};
use std::path::Path;

/// One line of a script, parsed.
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    pub text: String,
    pub command: Command,
}

/// A parse error on one line of a script.
#[derive(Debug, Clone)]
pub struct LineError {
    pub number: usize,
    pub text: String,
    pub error: ParseError,
}

/// Parses every line, following the template's stack through `new` so short field
/// names resolve as they will when the line runs. Returns every error, not just the first.
pub fn parse(text: &str, stack: &[&'static Protocol]) -> Result<Vec<Line>, Vec<LineError>> {
    let mut stack = stack.to_vec();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match command::parse(raw, &Context { stack: &stack }) {
            Ok(cmd) => {
                if let Command::New(s) = &cmd {
                    stack = s.clone();
                }
                lines.push(Line {
                    number: i + 1,
                    text: raw.to_string(),
                    command: cmd,
                });
            }
            Err(error) => errors.push(LineError {
                number: i + 1,
                text: raw.to_string(),
                error,
            }),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// How a script run ended, as an exit status: 0 all well, 1 a command failed, 2 the
/// script could not be read or parsed (and nothing ran).
pub fn run(
    path: &Path,
    session: &mut Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let style = session.style();
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                render::problem(
                    err,
                    &format!(
                        "{}: byte {at} is not UTF-8 text; is this a rawlab script?",
                        path.display()
                    ),
                    &style,
                )?;
                return Ok(2);
            }
        },
        Err(e) => {
            render::problem(err, &format!("cannot read {}: {e}", path.display()), &style)?;
            return Ok(2);
        }
    };
    let lines = match parse(&text, &session.stack()) {
        Ok(l) => l,
        Err(errors) => {
            for e in &errors {
                let place = format!(
                    "{}:{}:{}",
                    path.display(),
                    e.number,
                    e.error.column(&e.text)
                );
                render::parse_error(err, &e.text, &e.error, Some(&place), &style)?;
            }
            render::problem(
                err,
                &format!(
                    "{} has {} error{}; nothing was run",
                    path.display(),
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                ),
                &style,
            )?;
            return Ok(2);
        }
    };
    for line in &lines {
        match &line.command {
            Command::Nothing => continue,
            Command::Comment(_) | Command::Say(_) => {}
            _ => writeln!(
                out,
                "{}",
                style.paint(
                    &format!("{}{}", session.prompt(), line.text.trim()),
                    Tone::Command
                )
            )?,
        }
        if session.execute(&line.command, out)? == Flow::Quit {
            break;
        }
        out.flush()?;
    }
    Ok(if session.failures > 0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
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
