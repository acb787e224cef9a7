//! `lesson` at the prompt: a lesson taken step by step. Its narration is
//! printed, and its next command is offered on the input line (the REPL
//! pre-types it); the learner runs it with Enter, or tries their own commands
//! first, and the lesson waits.

use super::{Flow, Session};
use crate::command::lessons::{self, Lesson};
use crate::command::script::{self, Line};
use crate::command::{Command, LessonCmd};
use crate::render::Tone;
use std::io::{self, Write};

pub(super) struct LessonRun {
    lesson: Lesson,
    lines: Vec<Line>,
    /// The next line to offer or print.
    pos: usize,
}

impl LessonRun {
    fn pending(&self) -> Option<&Line> {
        self.lines.get(self.pos)
    }
}

impl Session {
    pub(super) fn lesson(&mut self, cmd: &LessonCmd, out: &mut dyn Write) -> io::Result<Flow> {
        let key = match cmd {
            LessonCmd::List => {
                let current = self.lesson.as_ref().map(|r| r.lesson.file);
                for l in lessons::all() {
                    let mark = if Some(l.file) == current { "▶" } else { " " };
                    writeln!(out, "{mark} {:>2}  {}", l.number().unwrap_or(0), l.title())?;
                }
                self.info(
                    out,
                    "`lesson N` takes one step by step here; `rawlab N` runs it as a script",
                )?;
                return Ok(Flow::Continue);
            }
            LessonCmd::Stop => {
                self.task = None;
                match self.lesson.take() {
                    Some(r) => self.info(out, &format!("left lesson {}", r.lesson.name()))?,
                    None => self.info(out, "no lesson is running")?,
                }
                return Ok(Flow::Continue);
            }
            LessonCmd::Next => {
                let after = self
                    .lesson
                    .as_ref()
                    .map(|r| r.lesson.file)
                    .or(self.last_lesson);
                let all = lessons::all();
                let next = match after {
                    Some(f) => all.iter().skip_while(|l| l.file != f).nth(1).copied(),
                    None => all.first().copied(),
                };
                match next {
                    Some(l) => l.name().to_string(),
                    None => {
                        return self.fail(out, "that was the last lesson; `lesson` lists them all");
                    }
                }
            }
            LessonCmd::Start(key) => key.clone(),
        };
        let Some(lesson) = lessons::find(&key) else {
            return self.fail(out, &format!("there is no lesson {key}"));
        };
        self.task = None;
        // A lesson counts its packets from #1 and starts from the post's packet.
        self.execute(&Command::Reset, &mut io::sink())?;
        self.shower.clear();
        self.traffic_from = 1;
        let lines = match script::parse(lesson.text, &self.stack()) {
            Ok(l) => l,
            Err(e) => {
                return self.fail(
                    out,
                    &format!(
                        "lesson {} does not parse at line {}: {}",
                        lesson.name(),
                        e[0].number,
                        e[0].error.message
                    ),
                );
            }
        };
        let title = format!(
            "lesson {} — {} (a fresh template; packets count from #1)",
            lesson.number().unwrap_or(0),
            lesson.title()
        );
        writeln!(out, "{}", self.style().paint(&title, Tone::Heading))?;
        self.last_lesson = Some(lesson.file);
        self.lesson = Some(LessonRun {
            lesson,
            lines,
            pos: 0,
        });
        self.lesson_narrate(out)?;
        Ok(Flow::Continue)
    }

    /// Prints the lesson's narration up to its next command (or its end).
    pub(super) fn lesson_narrate(&mut self, out: &mut dyn Write) -> io::Result<()> {
        loop {
            let Some(run) = &mut self.lesson else {
                return Ok(());
            };
            let Some(line) = run.pending() else {
                let name = run.lesson.name();
                self.lesson = None;
                let text =
                    format!("end of lesson {name}: `lesson next` goes on, `lesson` lists them all");
                return self.info(out, &text);
            };
            match &line.command {
                Command::TaskBlock(_) => {
                    let cmd = line.command.clone();
                    run.pos += 1;
                    self.execute(&cmd, out)?;
                    // The learner's commands go on until the goal passes or they give up.
                    return Ok(());
                }
                Command::Predict(_) => {
                    let cmd = line.command.clone();
                    run.pos += 1;
                    self.execute(&cmd, out)?;
                    // The prompt takes the answer; `answer` narrates on.
                    return Ok(());
                }
                Command::Comment(_) | Command::Say(_) | Command::Nothing => {
                    let cmd = line.command.clone();
                    run.pos += 1;
                    // The title and the credit are in the heading already.
                    let heading = matches!(&cmd, Command::Comment(t) if t.starts_with("After \"Raw sockets") || (t.starts_with("Lesson ") && t.contains(" — ")));
                    if !heading {
                        self.execute(&cmd, out)?;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// The file of the lesson running at the prompt.
    pub(super) fn lesson_file(&self) -> Option<&'static str> {
        self.lesson.as_ref().map(|r| r.lesson.file)
    }

    /// The command the running lesson offers next, for the prompt to pre-type.
    pub fn lesson_pending(&self) -> Option<String> {
        if self.asking() || self.in_task() {
            return None;
        }
        self.lesson
            .as_ref()?
            .pending()
            .map(|l| l.text.trim().to_string())
    }

    /// After a line ran at the prompt: if it was the lesson's next command, the lesson
    /// moves on and prints its narration up to the following command.
    pub fn lesson_after(&mut self, typed: &str, out: &mut dyn Write) -> io::Result<()> {
        let same = self
            .lesson_pending()
            .is_some_and(|want| want.split_whitespace().eq(typed.split_whitespace()));
        if same {
            if let Some(run) = &mut self.lesson {
                run.pos += 1;
            }
            self.lesson_narrate(out)?;
        }
        Ok(())
    }
}
