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

/// What the session holds for teaching: the lesson, task and prediction under way, and
/// what the front ends asked (where progress is kept, how narration is drawn).
#[derive(Default)]
pub struct Teaching {
    /// The lesson being taken step by step at the prompt.
    pub(super) lesson: Option<LessonRun>,
    /// The task the learner is working on.
    pub(super) task: Option<super::task::TaskRun>,
    /// A prediction asked and not yet revealed.
    pub(super) prediction: Option<super::predict::Pending>,
    /// The lesson moved on inside the line just run (a task done, an answer taken), so
    /// that line is not also taken as the lesson's next command.
    pub(super) lesson_moved: bool,
    /// The file of the lesson taken last, for `lesson next`.
    pub(super) last_lesson: Option<&'static str>,
    /// Where progress is recorded: set by the prompt and --step, None for scripts.
    pub progress_file: Option<std::path::PathBuf>,
    /// The lesson file --step is taking, for progress.
    pub step_lesson: Option<&'static str>,
    /// Narration printed at full strength, not as dim comments (for a transcript, which
    /// is read for the lesson).
    pub narrate_plainly: bool,
    /// Told of each lesson begun at the prompt (its number and title), so a transcript
    /// can give it a heading.
    pub on_lesson: Option<fn(u32, &str)>,
}

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
                self.lesson_list(out)?;
                return Ok(Flow::Continue);
            }
            LessonCmd::Stop => {
                self.teach.task = None;
                self.shower.set_detail(super::Detail::Full);
                match self.teach.lesson.take() {
                    Some(r) => self.info(out, &format!("left lesson {}", r.lesson.name()))?,
                    None => self.info(out, "no lesson is running")?,
                }
                return Ok(Flow::Continue);
            }
            LessonCmd::Next => {
                let after = self
                    .teach
                    .lesson
                    .as_ref()
                    .map(|r| r.lesson.file)
                    .or(self.teach.last_lesson);
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
        self.teach.task = None;
        // A lesson's packets are drawn for teaching; `dump N` shows every field.
        self.shower.set_detail(super::Detail::Teach);
        // A lesson counts its packets from #1 and starts from the post's packet.
        self.execute(&Command::Reset, &mut io::sink())?;
        self.shower.clear();
        self.evidence.traffic_from = 1;
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
        out.flush()?;
        if let Some(tell) = self.teach.on_lesson {
            tell(lesson.number().unwrap_or(0), &lesson.title());
        }
        writeln!(out, "{}", self.style().paint(&title, Tone::Heading))?;
        self.teach.last_lesson = Some(lesson.file);
        self.teach.lesson = Some(LessonRun {
            lesson,
            lines,
            pos: 0,
        });
        self.lesson_narrate(out)?;
        Ok(Flow::Continue)
    }

    /// `lesson`: every lesson with its tasks, ✓ for what was finished or solved, and
    /// one line of totals.
    fn lesson_list(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let current = self.teach.lesson.as_ref().map(|r| r.lesson.file);
        let done = self.progress();
        let style = self.style();
        let (mut lessons_done, mut tasks_all, mut tasks_done) = (0, 0, 0);
        let all = lessons::all();
        for l in &all {
            let finished = done.lessons.contains(l.file);
            lessons_done += finished as usize;
            let mark = match (Some(l.file) == current, finished) {
                (true, _) => "▶",
                (false, true) => "✓",
                _ => " ",
            };
            let line = format!("{mark} {:>2}  {}", l.number().unwrap_or(0), l.title());
            let tone = if finished { Tone::Good } else { Tone::Plain };
            writeln!(out, "{}", style.paint(&line, tone))?;
            for goal in tasks_of(l) {
                tasks_all += 1;
                let solved = done.tasks.contains(&(l.file.to_string(), goal.clone()));
                tasks_done += solved as usize;
                let line = format!("{} task: {goal}", if solved { "✓" } else { "☐" });
                let tone = if solved { Tone::Good } else { Tone::Dim };
                for l in style.wrap(&line, "       ", "               ") {
                    writeln!(out, "{}", style.paint(&l, tone))?;
                }
            }
        }
        let summary = format!(
            "{lessons_done} of {} lessons, {tasks_done} of {tasks_all} tasks",
            all.len()
        );
        writeln!(out, "{}", style.paint(&summary, Tone::Heading))?;
        let kept = match &self.teach.progress_file {
            Some(p) => format!("progress is kept in {}", p.display()),
            None => "this run keeps no progress (only the prompt and --step do)".into(),
        };
        self.info(
            out,
            &format!("`lesson N` takes one step by step here, stopping at its tasks; `rawlab N` runs it as a script; {kept}"),
        )
    }

    /// Prints the lesson's narration up to its next command (or its end).
    pub(super) fn lesson_narrate(&mut self, out: &mut dyn Write) -> io::Result<()> {
        loop {
            let Some(run) = &mut self.teach.lesson else {
                return Ok(());
            };
            let Some(line) = run.pending() else {
                let name = run.lesson.name();
                let file = run.lesson.file;
                self.teach.lesson = None;
                self.shower.set_detail(super::Detail::Full);
                self.record_lesson(file, out)?;
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
        self.teach.lesson.as_ref().map(|r| r.lesson.file)
    }

    /// The command the running lesson offers next, for the prompt to pre-type.
    pub fn lesson_pending(&self) -> Option<String> {
        if self.asking() || self.in_task() {
            return None;
        }
        self.teach
            .lesson
            .as_ref()?
            .pending()
            .map(|l| l.text.trim().to_string())
    }

    /// After a line ran at the prompt: if it was the lesson's next command, the lesson
    /// moves on and prints its narration up to the following command.
    pub fn lesson_after(&mut self, typed: &str, out: &mut dyn Write) -> io::Result<()> {
        if std::mem::take(&mut self.teach.lesson_moved) {
            return Ok(());
        }
        let same = self
            .lesson_pending()
            .is_some_and(|want| want.split_whitespace().eq(typed.split_whitespace()));
        if same {
            if let Some(run) = &mut self.teach.lesson {
                run.pos += 1;
            }
            self.lesson_narrate(out)?;
        }
        Ok(())
    }
}

/// The goals of a lesson's tasks, in order.
pub fn tasks_of(l: &Lesson) -> Vec<String> {
    let stack = crate::wire::template::Template::default().stack();
    script::parse(l.text, &stack)
        .map(|lines| {
            lines
                .into_iter()
                .filter_map(|line| match line.command {
                    Command::TaskBlock(t) => Some(t.goal),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}
