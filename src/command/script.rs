//! A script: a file of commands (a lesson), parsed whole before anything runs, so a
//! typo on line 12 is found before line 1 sends a packet. Running it is the front
//! end's (`front::script`).

use super::{Block, Command, Context, ParseError, parse as parse_line};
use crate::wire::Protocol;

/// One line of a script, parsed.
#[derive(Debug, Clone, PartialEq)]
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
    errors.extend(unanswered_predictions(&lines));
    let lines = fold_tasks(lines, &mut errors);
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

/// A task in a lesson: a goal in words and as expect lines, hints, and the reference
/// solution that proves it can be reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The line `task "…"` is on.
    pub number: usize,
    pub goal: String,
    /// Narration inside the task, saying more of the goal.
    pub words: Vec<String>,
    /// The goal, as `expect` lines.
    pub expects: Vec<Line>,
    pub hints: Vec<String>,
    pub solution: Vec<Line>,
}

/// An error on a line, pointing at its first word.
fn block_error(l: &Line, message: String, expected: &str, suggestion: String) -> LineError {
    let start = l.text.len() - l.text.trim_start().len();
    let word = l.text.split_whitespace().next().map_or(1, str::len);
    LineError {
        number: l.number,
        text: l.text.clone(),
        error: ParseError {
            span: start..start + word,
            message,
            expected: Some(expected.into()),
            suggestion: Some(suggestion),
        },
    }
}

/// Folds each `task … end task` into one line holding a [`Task`]; a block that is
/// malformed (nothing to check, no solution, a command where only the goal belongs,
/// an `end` with nothing open) is an error at its line.
fn fold_tasks(lines: Vec<Line>, errors: &mut Vec<LineError>) -> Vec<Line> {
    let mut out = Vec::new();
    let mut task: Option<(Line, Task)> = None;
    let mut in_solution = false;
    for l in lines {
        match task.as_mut() {
            None => {
                task = outside_tasks(l, errors, &mut out);
                in_solution = false;
            }
            Some((_, t)) if in_solution => in_solution = in_a_solution(l, t, errors),
            Some(open) => {
                if in_a_task(l, open, &mut in_solution, errors) {
                    let (opened, t) = task.take().expect("a task is open");
                    out.extend(closed_task(opened, t, errors));
                }
            }
        }
    }
    if let Some((opened, t)) = task {
        errors.push(block_error(
            &opened,
            format!(
                "task \"{}\" has no `end task`{}",
                t.goal,
                if in_solution {
                    " (and its solution no `end solution`)"
                } else {
                    ""
                }
            ),
            "end task",
            "close the task with `end task`".into(),
        ));
    }
    out
}

/// What a task's body may hold, for the errors that say so.
const INSIDE: &str = "expect, hint, say or # lines, and one solution … end solution";

/// A line outside any task: kept, or opening a task (returned, with its line), or an
/// error when it belongs inside one.
fn outside_tasks(
    l: Line,
    errors: &mut Vec<LineError>,
    out: &mut Vec<Line>,
) -> Option<(Line, Task)> {
    match &l.command {
        Command::Task(goal) => {
            let task = Task {
                number: l.number,
                goal: goal.clone(),
                words: Vec::new(),
                expects: Vec::new(),
                hints: Vec::new(),
                solution: Vec::new(),
            };
            return Some((l, task));
        }
        Command::End(b) => errors.push(block_error(
            &l,
            format!("`end {}` with no {} open", block_word(*b), block_word(*b)),
            "task \"GOAL\" … end task",
            "remove it, or open the block before it".into(),
        )),
        Command::Solution | Command::Hint(Some(_)) => errors.push(block_error(
            &l,
            "this belongs inside a task".into(),
            "task \"GOAL\" … end task",
            "move it between `task \"…\"` and `end task`".into(),
        )),
        _ => out.push(l),
    }
    None
}

/// A line inside a task's solution: a command of it, or its end. Returns whether
/// the solution is still open.
fn in_a_solution(l: Line, t: &mut Task, errors: &mut Vec<LineError>) -> bool {
    match &l.command {
        Command::End(Block::Solution) => return false,
        Command::End(Block::Task) => errors.push(block_error(
            &l,
            format!("the solution opened in task \"{}\" is not closed", t.goal),
            "end solution, then end task",
            "add `end solution` before `end task`".into(),
        )),
        Command::Task(_) | Command::Solution | Command::Hint(Some(_)) => errors.push(block_error(
            &l,
            "a solution holds commands only".into(),
            "the commands that solve the task, then end solution",
            "close the solution with `end solution` first".into(),
        )),
        _ => t.solution.push(l),
    }
    true
}

/// A line in a task's body (outside its solution): an expect, hint or narration,
/// the solution's start, or an error. Returns whether it is `end task`.
fn in_a_task(
    l: Line,
    (opened, t): &mut (Line, Task),
    in_solution: &mut bool,
    errors: &mut Vec<LineError>,
) -> bool {
    match &l.command {
        Command::Expect(_) => t.expects.push(l),
        Command::Hint(Some(h)) => t.hints.push(h.clone()),
        Command::Comment(w) | Command::Say(w) => t.words.push(w.clone()),
        Command::Nothing => {}
        Command::Solution if !t.solution.is_empty() => errors.push(block_error(
            &l,
            "this task has a solution already".into(),
            INSIDE,
            "keep one solution … end solution per task".into(),
        )),
        Command::Solution => *in_solution = true,
        Command::End(Block::Task) => return true,
        Command::End(Block::Solution) => errors.push(block_error(
            &l,
            "`end solution` with no solution open".into(),
            INSIDE,
            "open it with `solution`, or remove this line".into(),
        )),
        Command::Task(_) => errors.push(block_error(
            &l,
            format!("task \"{}\" (line {}) is still open", t.goal, opened.number),
            "end task before the next task",
            "add `end task` before this line".into(),
        )),
        _ => {
            let word = l.text.split_whitespace().next().unwrap_or("").to_string();
            errors.push(block_error(
                &l,
                format!("`{word}` inside a task runs only in its solution"),
                INSIDE,
                "put it between `solution` and `end solution`, or before the task".into(),
            ))
        }
    }
    false
}

/// A task at its `end task`: one line holding it, or an error when it has nothing to
/// check or no solution.
fn closed_task(opened: Line, t: Task, errors: &mut Vec<LineError>) -> Option<Line> {
    if t.expects.is_empty() {
        errors.push(block_error(
            &opened,
            format!("task \"{}\" has no expect lines: nothing says when it is done", t.goal),
            "at least one expect line inside the task: its goal",
            "add the check the learner's commands must pass, such as: expect reply icmp.type == echo-reply".into(),
        ));
        None
    } else if t.solution.is_empty() {
        errors.push(block_error(
            &opened,
            format!("task \"{}\" has no reference solution", t.goal),
            "solution … end solution inside the task",
            "add the commands that reach the goal between `solution` and `end solution`, so --check proves the task can be done".into(),
        ));
        None
    } else {
        Some(Line {
            number: opened.number,
            text: opened.text.clone(),
            command: Command::TaskBlock(Box::new(t)),
        })
    }
}

fn block_word(b: Block) -> &'static str {
    match b {
        Block::Task => "task",
        Block::Solution => "solution",
    }
}
