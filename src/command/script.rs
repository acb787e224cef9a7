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
        match parse_line(raw, &Context { stack: &stack }) {
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
    errors.extend(unanswered_predictions(&lines));
    errors.sort_by_key(|e| e.number);
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// Whether a command is a step a prediction waits for.
pub fn is_traffic(c: &Command) -> bool {
    matches!(
        c,
        Command::Send(_) | Command::Ping(..) | Command::Trigger(_)
    )
}

/// A `predict` is answered by the next send, ping or trigger: one with none after it,
/// or followed by another `predict` first, is a mistake in the script.
fn unanswered_predictions(lines: &[Line]) -> Vec<LineError> {
    let mut errors = Vec::new();
    let mut open: Option<&Line> = None;
    let error = |l: &Line, message: String, suggestion: &str| {
        let start = l.text.len() - l.text.trim_start().len();
        LineError {
            number: l.number,
            text: l.text.clone(),
            error: ParseError {
                span: start..start + "predict".len(),
                message,
                expected: Some("a send, ping or trigger after the predict".into()),
                suggestion: Some(suggestion.into()),
            },
        }
    };
    for l in lines {
        if let Command::Predict(_) = l.command {
            if let Some(prev) = open.replace(l) {
                errors.push(error(
                    prev,
                    format!(
                        "this prediction is not answered before the next one, at line {}",
                        l.number
                    ),
                    "put a send, ping or trigger between the two predictions",
                ));
            }
        } else if is_traffic(&l.command) {
            open = None;
        }
    }
    if let Some(l) = open {
        errors.push(error(
            l,
            "no send, ping or trigger comes after this prediction to answer it".into(),
            "put the predict just before the send it is about",
        ));
    }
    errors
}
