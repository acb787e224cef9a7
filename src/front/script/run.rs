//! A parsed script run line by line: what comes before each line (a task's goal,
//! narration, the echo and the pause its pace asks for, a step back), the command
//! run, and what is counted of it for the report.

use super::step::{OUTPUTS_ENDED, Step, read_tty_line, step};
use super::{Failure, Pace, Report};
use crate::command::Command;
use crate::command::script::Line;
use crate::render::Tone;
use crate::session::{Flow, Session};
use std::io::{self, Write};

/// A script being run: its lines, the next to run, and the report so far.
pub(super) struct Run<'a> {
    name: &'a str,
    pace: Pace,
    style: crate::render::Style,
    lines: Vec<Line>,
    /// The index of the next line to run (a step back sets it back).
    next: usize,
    /// The line of the last send, ping or trigger, whose refusal `expect refused` excuses.
    last_traffic: usize,
    report: Report,
}

/// How the lines of a run ended.
#[derive(PartialEq)]
pub(super) enum End {
    /// Every line ran.
    Ran,
    /// The learner (or a `quit` line) ended it.
    Quit,
    /// Ctrl-C stopped it.
    Interrupted,
    /// The learner quit inside a task: the run ends there, with nothing after.
    Left,
}

/// What comes before a line runs.
enum Lead {
    /// Run the line.
    Run,
    /// It was dealt with (or is to be run later): go on to the next line.
    Next,
    End(End),
}

impl<'a> Run<'a> {
    pub(super) fn new(
        name: &'a str,
        pace: Pace,
        style: crate::render::Style,
        lines: Vec<Line>,
    ) -> Self {
        Run {
            name,
            pace,
            style,
            lines,
            next: 0,
            last_traffic: 0,
            report: Report::default(),
        }
    }

    /// Runs the lines in turn, until the last one or until the run is ended.
    pub(super) fn lines(&mut self, session: &mut Session, out: &mut dyn Write) -> io::Result<End> {
        while self.next < self.lines.len() {
            let line = self.lines[self.next].clone();
            self.next += 1;
            match self.lead(&line, session, out)? {
                Lead::Run => {}
                Lead::Next => continue,
                Lead::End(end) => return Ok(end),
            }
            if let Some(end) = self.execute(&line, session, out)? {
                return Ok(end);
            }
        }
        Ok(End::Ran)
    }

    /// What is shown before the line runs: a task's goal, narration, or the echo of the
    /// command (and, in step mode, the wait for Enter).
    fn lead(
        &mut self,
        line: &Line,
        session: &mut Session,
        out: &mut dyn Write,
    ) -> io::Result<Lead> {
        let style = self.style;
        // A prediction is asked in step mode as narration is said, without an Enter first.
        let narration = matches!(line.command, Command::Comment(_) | Command::Say(_))
            || (self.pace == Pace::Step && matches!(line.command, Command::Predict(_)));
        match &line.command {
            Command::Nothing => Ok(Lead::Next),
            Command::TaskBlock(t) if self.pace != Pace::Step => {
                self.solve_task(t, out)?;
                Ok(Lead::Next)
            }
            Command::TaskBlock(t) => self.work_task(t, session, out),
            Command::Comment(text) if self.pace == Pace::Step => {
                // On a projector narration is plain text, not a dim comment.
                for l in style.wrap(text, "  ", "  ") {
                    writeln!(out, "{}", style.paint(&l, Tone::Heading))?;
                }
                Ok(Lead::Next)
            }
            _ if narration => Ok(Lead::Run),
            _ => self.echo(line, session, out),
        }
    }

    /// A task in a script is not waited on: the goal is shown, then the reference
    /// solution runs as ordinary lines and the goal's expects check it, so a run (and
    /// CI) proves the task can be done.
    fn solve_task(
        &mut self,
        t: &crate::command::script::Task,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let style = self.style;
        self.report.tasks += 1;
        writeln!(
            out,
            "{}",
            style.paint(&format!("▶ task: {}", t.goal), Tone::Heading)
        )?;
        for w in &t.words {
            for l in style.wrap(w, "  ", "  ") {
                writeln!(out, "{}", style.paint(&l, Tone::Dim))?;
            }
        }
        writeln!(
            out,
            "{}",
            style.paint(
                "  (a script does not wait: the reference solution runs, then the goal is checked)",
                Tone::Dim
            )
        )?;
        let at = self.next;
        self.lines
            .splice(at..at, t.solution.iter().chain(&t.expects).cloned());
        Ok(())
    }

    /// A task in step mode is worked at the terminal, until it is done or the learner
    /// quits.
    fn work_task(
        &mut self,
        t: &crate::command::script::Task,
        session: &mut Session,
        out: &mut dyn Write,
    ) -> io::Result<Lead> {
        let style = self.style;
        self.report.tasks += 1;
        session.execute(&Command::TaskBlock(Box::new(t.clone())), out)?;
        while session.in_task() {
            write!(out, "{}", style.paint(&session.prompt(), Tone::Command))?;
            out.flush()?;
            let Some(typed) = read_tty_line()? else {
                break;
            };
            if matches!(typed.trim(), "q" | "quit") {
                return Ok(Lead::End(End::Left));
            }
            let flow = session.run_line(&typed, out)?;
            OUTPUTS_ENDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if flow == Flow::Quit {
                return Ok(Lead::End(End::Left));
            }
        }
        Ok(Lead::Next)
    }

    /// The command echoed as if typed at the prompt, after the pause its pace asks for.
    fn echo(&mut self, line: &Line, session: &Session, out: &mut dyn Write) -> io::Result<Lead> {
        let style = self.style;
        let echo = format!(
            "{}{}",
            session.prompt(),
            crate::render::printable(line.text.trim())
        );
        match self.pace {
            Pace::Step => match step(&echo, &style, out, self.name, line)? {
                Step::Run => {}
                Step::Back => {
                    self.step_back(out)?;
                    return Ok(Lead::Next);
                }
                Step::Quit => return Ok(Lead::End(End::Quit)),
            },
            Pace::Delay(d) => {
                std::thread::sleep(d);
                writeln!(out, "{}", style.paint(&echo, Tone::Command))?;
            }
            Pace::Straight => writeln!(out, "{}", style.paint(&echo, Tone::Command))?,
        }
        Ok(Lead::Run)
    }

    /// Back one step: the previous command runs again, then this one on the next Enter.
    fn step_back(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let lines = &self.lines;
        let i = self.next;
        let prev = lines[..i - 1].iter().rposition(|l| {
            !matches!(
                l.command,
                Command::Nothing | Command::Comment(_) | Command::Say(_) | Command::Predict(_)
            )
        });
        // With the narration that leads up to it (not a prediction: that was asked and
        // answered).
        let mut at = prev.unwrap_or(i - 1);
        while at > 0
            && matches!(
                lines[at - 1].command,
                Command::Comment(_) | Command::Say(_) | Command::Nothing
            )
        {
            at -= 1;
        }
        let note = "back one step: it runs again with its narration; what it did is not undone (the template, listeners and packets stay as they are now)";
        for l in self.style.wrap(note, "", "  ") {
            writeln!(out, "{}", self.style.paint(&l, Tone::Note))?;
        }
        self.next = at;
        Ok(())
    }

    /// Runs the line's command and counts what it did; `Some` when the run ends here.
    fn execute(
        &mut self,
        line: &Line,
        session: &mut Session,
        out: &mut dyn Write,
    ) -> io::Result<Option<End>> {
        let before = session.failures;
        session.last_error = None;
        let flow = session.execute(&line.command, out)?;
        out.flush()?;
        OUTPUTS_ENDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if session.interrupt.load(std::sync::atomic::Ordering::Relaxed) {
            self.interrupted(line, session, out)?;
            return Ok(Some(End::Interrupted));
        }
        if let Command::Expect(_) = line.command {
            self.report.expects += 1;
        }
        if let Command::Predict(_) = line.command {
            self.report.predictions += 1;
            self.answer(session, out)?;
        }
        self.excuse_refusal(line, session);
        if crate::command::script::is_traffic(&line.command) {
            self.last_traffic = line.number;
        }
        if session.failures > before {
            let why = match (&line.command, session.last_expect.take()) {
                (Command::Expect(_), Some(Err(why))) => why,
                _ => session.last_error.take().unwrap_or_default(),
            };
            self.report.failures.push(Failure {
                line: line.number,
                text: line.text.trim().to_string(),
                why,
            });
        }
        Ok((flow == Flow::Quit).then_some(End::Quit))
    }

    /// Ctrl-C stopped the line: says where, and stops the listeners.
    fn interrupted(
        &mut self,
        line: &Line,
        session: &mut Session,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let text = format!(
            "stopped by Ctrl-C at {}:{}; the lines after it were not run",
            self.name, line.number
        );
        writeln!(out, "{}", self.style.paint(&text, Tone::Note))?;
        self.report.interrupted = true;
        // What the listeners caught, and what the kernel dropped, is worth a line.
        if session.listening() {
            session.execute(&Command::ListenOff, out)?;
        }
        Ok(())
    }

    /// A prediction's answer: the learner's, at the terminal in step mode, or passed.
    fn answer(&self, session: &mut Session, out: &mut dyn Write) -> io::Result<()> {
        if self.pace != Pace::Step {
            return session.pass_answer(out);
        }
        while session.asking() {
            write!(
                out,
                "{}",
                self.style.paint(&session.prompt(), Tone::Command)
            )?;
            out.flush()?;
            let Some(answer) = read_tty_line()? else {
                session.pass_answer(out)?;
                break;
            };
            session.answer(&answer, out)?;
            OUTPUTS_ENDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    /// A refusal the script expected is no failure of the send it follows.
    fn excuse_refusal(&mut self, line: &Line, session: &Session) {
        if let (Command::Expect(crate::command::Expect::Refused { .. }), Some(Ok(_))) =
            (&line.command, &session.last_expect)
            && let Some(k) = self
                .report
                .failures
                .iter()
                .rposition(|f| f.line == self.last_traffic)
        {
            self.report.failures.remove(k);
        }
    }

    /// After the lines: a finished lesson recorded, and a prediction left unrevealed.
    pub(super) fn finish(
        mut self,
        end: End,
        session: &mut Session,
        out: &mut dyn Write,
    ) -> io::Result<Report> {
        if end == End::Left {
            return Ok(self.report);
        }
        if let (Pace::Step, End::Ran, Some(file)) = (self.pace, &end, session.teach.step_lesson) {
            session.record_lesson(file, out)?;
        }
        // A prediction left unanswered when the learner quit is theirs to leave.
        if end == End::Ran {
            let before = session.failures;
            session.last_error = None;
            if session.unrevealed(out)? && session.failures > before {
                self.report.failures.push(Failure {
                    line: self.lines.len(),
                    text: "(the end)".into(),
                    why: session.last_error.take().unwrap_or_default(),
                });
            }
        }
        Ok(self.report)
    }
}
