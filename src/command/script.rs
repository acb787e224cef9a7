//! A script: a file of commands (a lesson), parsed whole before anything runs, so a
//! typo on line 12 is found before line 1 sends a packet. Running it is the front
//! end's (`front::script`).

use super::{Command, Context, ParseError, parse as parse_line};
use crate::wire::Protocol;

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
        match parse_line(raw, &Context::new(&stack)) {
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
