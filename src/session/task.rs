//! A lesson's task, worked at the prompt or in --step: the goal is shown, the learner
//! types their own commands, and after each send, ping or trigger the goal's expect
//! lines are judged (without counting as failures) and the ones that still fail are
//! shown; a hint comes after every two tries that fail, or on `hint`; `give up` shows
//! and runs the reference solution. Scripts and --check never come here: they run the
//! solution as ordinary lines (front::script).

use super::expect::Outcome;
use super::{Flow, Session};
use crate::command::Command;
use crate::command::script::Task;
use crate::render::Tone;
use std::io::{self, Write};

/// Tries that fail before a hint comes by itself.
const TRIES_PER_HINT: usize = 2;

/// The task being worked on.
pub(super) struct TaskRun {
    task: Task,
    /// Sends, pings and triggers tried so far.
    tries: usize,
    hints_shown: usize,
    /// The lesson it belongs to, for progress.
    pub(super) lesson: Option<&'static str>,
}

impl Session {
    /// Shows the task's goal and waits for the learner's commands.
    pub(super) fn start_task(&mut self, t: &Task, out: &mut dyn Write) -> io::Result<Flow> {
        let style = self.style();
        for l in style.wrap(&format!("▶ task: {}", t.goal), "", "  ") {
            writeln!(out, "{}", style.paint(&l, Tone::Heading))?;
        }
        for w in &t.words {
            for l in style.wrap(w, "  ", "  ") {
                writeln!(out, "{l}")?;
            }
        }
        self.info(out, "  the goal, checked after each send, ping or trigger:")?;
        for e in &t.expects {
            for l in style.wrap(&format!("☐ {}", e.text.trim()), "    ", "      ") {
                writeln!(out, "{l}")?;
            }
        }
        self.info(
            out,
            "  type your own commands; `hint` gives a hint, `give up` shows and runs the reference solution",
        )?;
        let lesson = self.lesson_file();
        self.teach.task = Some(TaskRun {
            task: t.clone(),
            tries: 0,
            hints_shown: 0,
            lesson,
        });
        Ok(Flow::Continue)
    }

    /// Whether a task waits for the learner.
    pub fn in_task(&self) -> bool {
        self.teach.task.is_some()
    }

    /// Each goal line, judged now: the line as written, and why it fails (None: it passes).
    fn goal_lines(&self, t: &Task) -> Vec<(String, Option<String>)> {
        t.expects
            .iter()
            .map(|l| {
                let why = match &l.command {
                    Command::Expect(e) => match self.judge(e) {
                        Outcome::Pass(_) => None,
                        Outcome::Fail(why) | Outcome::NotYet(why) => Some(why),
                    },
                    _ => None,
                };
                (l.text.trim().to_string(), why)
            })
            .collect()
    }

    fn show_goal(&self, lines: &[(String, Option<String>)], out: &mut dyn Write) -> io::Result<()> {
        let style = self.style();
        for (text, why) in lines {
            let (shown, tone) = match why {
                None => (format!("  ✓ {text}"), Tone::Good),
                Some(w) => (format!("  ✗ {text}: {w}"), Tone::Bad),
            };
            for l in style.wrap(&shown, "", "      ") {
                writeln!(out, "{}", style.paint(&l, tone))?;
            }
        }
        Ok(())
    }

    /// After a send, ping or trigger while a task runs: the goal judged, what still
    /// fails shown; done when all passes.
    pub(super) fn task_try(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let Some(run) = self.teach.task.as_mut() else {
            return Ok(());
        };
        run.tries += 1;
        let (tries, task) = (run.tries, run.task.clone());
        self.settle_traffic(out)?;
        let lines = self.goal_lines(&task);
        let failing = lines.iter().filter(|(_, w)| w.is_some()).count();
        let style = self.style();
        if failing == 0 {
            let done = format!(
                "✓ task done in {tries} tr{}: {}",
                if tries == 1 { "y" } else { "ies" },
                task.goal
            );
            self.show_goal(&lines, out)?;
            writeln!(out, "{}", style.paint(&done, Tone::Good))?;
            let run = self.teach.task.take().expect("a task runs");
            self.task_done(run.lesson, &task.goal, out)?;
            self.teach.lesson_moved = true;
            return self.lesson_narrate(out);
        }
        let head = format!(
            "the goal after try {tries}: {failing} of {} line{} still fail{}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            if failing == 1 { "s" } else { "" }
        );
        writeln!(out, "{}", style.paint(&head, Tone::Note))?;
        self.show_goal(&lines, out)?;
        if tries % TRIES_PER_HINT == 0 {
            self.next_hint(out)?;
        }
        Ok(())
    }

    fn next_hint(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let Some(run) = self.teach.task.as_mut() else {
            return Ok(());
        };
        let text = match run.task.hints.get(run.hints_shown) {
            Some(h) => {
                run.hints_shown += 1;
                format!("hint {} of {}: {h}", run.hints_shown, run.task.hints.len())
            }
            None => "no more hints: `give up` shows and runs the reference solution".into(),
        };
        let style = self.style();
        for l in style.wrap(&text, "  ", "    ") {
            writeln!(out, "{}", style.paint(&l, Tone::Note))?;
        }
        Ok(())
    }

    /// `hint` at the prompt.
    pub(super) fn hint(&mut self, text: Option<&str>, out: &mut dyn Write) -> io::Result<Flow> {
        if text.is_some() {
            return self.fail(
                out,
                "`hint TEXT` belongs inside a task in a lesson file; `hint` alone gives the running task's next hint",
            );
        }
        if self.teach.task.is_none() {
            return self.fail(
                out,
                "no task is running: `lesson N` starts a lesson, and its tasks stop for you",
            );
        }
        self.next_hint(out)?;
        Ok(Flow::Continue)
    }

    /// `give up`: the reference solution, shown and run, and the goal judged after it.
    pub(super) fn give_up(&mut self, out: &mut dyn Write) -> io::Result<Flow> {
        let Some(run) = self.teach.task.take() else {
            return self.fail(
                out,
                "no task is running: `lesson N` starts a lesson, and its tasks stop for you",
            );
        };
        let style = self.style();
        self.info(out, "the reference solution:")?;
        for l in &run.task.solution {
            writeln!(
                out,
                "{}",
                style.paint(
                    &format!("{}{}", self.prompt(), l.text.trim()),
                    Tone::Command
                )
            )?;
            if self.execute(&l.command, out)? == Flow::Quit {
                return Ok(Flow::Quit);
            }
        }
        self.settle_traffic(out)?;
        let lines = self.goal_lines(&run.task);
        self.show_goal(&lines, out)?;
        self.info(
            out,
            "the task stays open in your progress (only tasks you solve get their ✓); `lesson` lists them",
        )?;
        self.teach.lesson_moved = true;
        self.lesson_narrate(out)?;
        Ok(Flow::Continue)
    }

    /// Records a solved task, in the lesson it belongs to.
    fn task_done(
        &mut self,
        lesson: Option<&'static str>,
        goal: &str,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match lesson.or(self.teach.step_lesson) {
            Some(file) => self.record_task(file, goal, out),
            None => Ok(()),
        }
    }
}
