//! The script front end: a file of commands (a lesson) is parsed whole before
//! anything runs, so a typo on line 12 stops the script before line 1 sends a
//! packet; then each command is echoed, as if typed at the prompt, and run.

use crate::command::Command;
use crate::command::script::parse;
use crate::render::{self, Tone};
use crate::session::{Flow, Session};
use std::io::{self, Write};
use std::path::Path;

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
    let mut report = Report::default();
    let mut lines = match parse(text, &session.stack()) {
        Ok(l) => l,
        Err(errors) => {
            for e in &errors {
                let place = format!("{name}:{}:{}", e.number, e.error.column(&e.text));
                render::parse_error(err, &e.text, &(&e.error).into(), Some(&place), &style)?;
            }
            let s = if errors.len() == 1 { "" } else { "s" };
            render::problem(
                err,
                &format!("{name} has {} error{s}; nothing was run", errors.len()),
                &style,
            )?;
            report.unreadable = true;
            return Ok(report);
        }
    };
    let mut i = 0;
    let mut quit = false;
    // The line of the last send, ping or trigger, whose refusal `expect refused` excuses.
    let mut last_traffic = 0;
    while i < lines.len() {
        let line = &lines[i];
        i += 1;
        // A prediction is asked in step mode as narration is said, without an Enter first.
        let narration = matches!(line.command, Command::Comment(_) | Command::Say(_))
            || (pace == Pace::Step && matches!(line.command, Command::Predict(_)));
        match &line.command {
            Command::Nothing => continue,
            Command::TaskBlock(t) if pace != Pace::Step => {
                // Not waited on: the goal is shown, then the reference solution runs as
                // ordinary lines and the goal's expects check it, so a run (and CI)
                // proves the task can be done.
                report.tasks += 1;
                let t = t.clone();
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
                let at = i;
                lines.splice(at..at, t.solution.iter().chain(&t.expects).cloned());
                continue;
            }
            Command::TaskBlock(t) => {
                report.tasks += 1;
                let t = t.clone();
                session.execute(&Command::TaskBlock(t), out)?;
                while session.in_task() {
                    write!(out, "{}", style.paint(&session.prompt(), Tone::Command))?;
                    out.flush()?;
                    let Some(typed) = read_tty_line()? else {
                        break;
                    };
                    if matches!(typed.trim(), "q" | "quit") {
                        return Ok(report);
                    }
                    let flow = session.run_line(&typed, out)?;
                    OUTPUTS_ENDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if flow == Flow::Quit {
                        return Ok(report);
                    }
                }
                continue;
            }
            Command::Comment(text) if pace == Pace::Step => {
                // On a projector narration is plain text, not a dim comment.
                for l in style.wrap(text, "  ", "  ") {
                    writeln!(out, "{}", style.paint(&l, Tone::Heading))?;
                }
                continue;
            }
            _ if narration => {}
            _ => {
                let echo = format!(
                    "{}{}",
                    session.prompt(),
                    crate::render::printable(line.text.trim())
                );
                match pace {
                    Pace::Step => match step(&echo, &style, out, name, line)? {
                        Step::Run => {}
                        Step::Back => {
                            // Run the previous command again, then this one on the next Enter.
                            let prev = lines[..i - 1].iter().rposition(|l| {
                                !matches!(
                                    l.command,
                                    Command::Nothing
                                        | Command::Comment(_)
                                        | Command::Say(_)
                                        | Command::Predict(_)
                                )
                            });
                            // With the narration that leads up to it (not a prediction:
                            // that was asked and answered).
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
                            for l in style.wrap(note, "", "  ") {
                                writeln!(out, "{}", style.paint(&l, Tone::Note))?;
                            }
                            i = at;
                            continue;
                        }
                        Step::Quit => {
                            quit = true;
                            break;
                        }
                    },
                    Pace::Delay(d) => {
                        std::thread::sleep(d);
                        writeln!(out, "{}", style.paint(&echo, Tone::Command))?;
                    }
                    Pace::Straight => writeln!(out, "{}", style.paint(&echo, Tone::Command))?,
                }
            }
        }
        let before = session.failures;
        session.last_error = None;
        let flow = session.execute(&line.command, out)?;
        out.flush()?;
        OUTPUTS_ENDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if session.interrupt.load(std::sync::atomic::Ordering::Relaxed) {
            let text = format!(
                "stopped by Ctrl-C at {name}:{}; the lines after it were not run",
                line.number
            );
            writeln!(out, "{}", style.paint(&text, Tone::Note))?;
            report.interrupted = true;
            // What the listeners caught, and what the kernel dropped, is worth a line.
            if session.listening() {
                session.execute(&Command::ListenOff, out)?;
            }
            break;
        }
        if let Command::Expect(_) = line.command {
            report.expects += 1;
        }
        if let Command::Predict(_) = line.command {
            report.predictions += 1;
            if pace == Pace::Step {
                while session.asking() {
                    write!(out, "{}", style.paint(&session.prompt(), Tone::Command))?;
                    out.flush()?;
                    let Some(answer) = read_tty_line()? else {
                        session.pass_answer(out)?;
                        break;
                    };
                    session.answer(&answer, out)?;
                    OUTPUTS_ENDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            } else {
                session.pass_answer(out)?;
            }
        }
        // A refusal the script expected is no failure of the send it follows.
        if let (Command::Expect(crate::command::Expect::Refused { .. }), Some(Ok(_))) =
            (&line.command, &session.last_expect)
            && let Some(k) = report.failures.iter().rposition(|f| f.line == last_traffic)
        {
            report.failures.remove(k);
        }
        if crate::command::script::is_traffic(&line.command) {
            last_traffic = line.number;
        }
        if session.failures > before {
            let why = match (&line.command, session.last_expect.take()) {
                (Command::Expect(_), Some(Err(why))) => why,
                _ => session.last_error.take().unwrap_or_default(),
            };
            report.failures.push(Failure {
                line: line.number,
                text: line.text.trim().to_string(),
                why,
            });
        }
        if flow == Flow::Quit {
            quit = true;
            break;
        }
    }
    if let (Pace::Step, false, false, Some(file)) =
        (pace, quit, report.interrupted, session.step_lesson)
    {
        session.record_lesson(file, out)?;
    }
    // A prediction left unanswered when the learner quit is theirs to leave.
    if !report.interrupted && !quit {
        let before = session.failures;
        session.last_error = None;
        if session.unrevealed(out)? && session.failures > before {
            report.failures.push(Failure {
                line: lines.len(),
                text: "(the end)".into(),
                why: session.last_error.take().unwrap_or_default(),
            });
        }
    }
    Ok(report)
}

/// Lines read from the terminal so far: each means the learner has seen the screen, so
/// the pager counts its lines afresh.
static TTY_READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Commands run to their end so far: q at a more prompt skips the rest of one command's
/// output, not the narration and the step after it.
static OUTPUTS_ENDED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// `--step`'s output, paused at a "more" prompt when it would scroll lines not yet read
/// off the screen: Enter shows the next screenful, q skips the rest of that output.
/// The prompt goes to the terminal alone, as the step's hint does.
struct Pager<'a> {
    inner: &'a mut dyn Write,
    cols: usize,
    rows: usize,
    /// Lines shown since the learner last typed (a line that wraps counts twice).
    lines: usize,
    col: usize,
    /// Escape sequences, which take no room on the screen.
    escapes: crate::front::record::Strip,
    /// q was typed: nothing more is shown until the next line read from the terminal.
    skipping: bool,
    reads: u64,
    ended: u64,
    /// The prompt in reverse video (not with --color never).
    color: bool,
}

impl<'a> Pager<'a> {
    /// The terminal's width and height, when standard output is one tall enough to page.
    fn screen() -> Option<(usize, usize)> {
        use std::io::IsTerminal;
        if !io::stdout().is_terminal() {
            return None;
        }
        let (w, h) = terminal_size::terminal_size()?;
        (h.0 >= 4 && w.0 >= 8).then_some((usize::from(w.0), usize::from(h.0)))
    }

    fn new(inner: &'a mut dyn Write, cols: usize, rows: usize, color: bool) -> Self {
        Pager {
            color,
            inner,
            cols,
            rows,
            lines: 0,
            col: 0,
            escapes: Default::default(),
            skipping: false,
            reads: TTY_READS.load(std::sync::atomic::Ordering::Relaxed),
            ended: OUTPUTS_ENDED.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Asks whether to go on; false when the learner typed q (or the input ended).
    fn more(&mut self) -> io::Result<bool> {
        self.inner.flush()?;
        let prompt = "-- more: Enter shows the next screen, q skips the rest of this output --";
        let (on, off) = if self.color {
            ("\x1b[7m", "\x1b[0m")
        } else {
            ("", "")
        };
        let mut screen = io::stdout().lock();
        write!(
            screen,
            "{}",
            crate::front::record::for_screen(&format!("{on}{prompt}{off}"))
        )?;
        screen.flush()?;
        drop(screen);
        loop {
            let answer = read_tty_line()?;
            // The prompt's line is taken back: what the class reads stays the lesson.
            let mut screen = io::stdout().lock();
            write!(screen, "\x1b[1A\x1b[2K\r")?;
            screen.flush()?;
            drop(screen);
            match answer.as_deref().map(str::trim) {
                Some("") => return Ok(true),
                None | Some("q" | "quit") => return Ok(false),
                Some(other) => {
                    let mut screen = io::stdout().lock();
                    let text = format!(
                        "{on}`{}` does nothing here: {prompt}{off}",
                        crate::render::printable(other)
                    );
                    write!(screen, "{}", crate::front::record::for_screen(&text))?;
                    screen.flush()?;
                }
            }
        }
    }
}

impl Write for Pager<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let reads = TTY_READS.load(std::sync::atomic::Ordering::Relaxed);
        if reads != self.reads {
            (self.reads, self.lines, self.skipping) = (reads, 0, false);
            // The terminal may have been resized since.
            if let Some((cols, rows)) = Pager::screen() {
                (self.cols, self.rows) = (cols, rows);
            }
        }
        let ended = OUTPUTS_ENDED.load(std::sync::atomic::Ordering::Relaxed);
        if ended != self.ended {
            (self.ended, self.skipping) = (ended, false);
        }
        if self.skipping {
            return Ok(buf.len());
        }
        let mut from = 0;
        for (i, &b) in buf.iter().enumerate() {
            match b {
                _ if !self.escapes.visible(b) => {}
                b'\n' => {
                    self.lines += 1;
                    self.col = 0;
                }
                // A character starts here (not a UTF-8 continuation byte).
                b if b >= 0x20 && b & 0xc0 != 0x80 => {
                    self.col += 1;
                    if self.col > self.cols {
                        self.lines += 1;
                        self.col = 1;
                    }
                }
                _ => {}
            }
            if b == b'\n' && self.lines + 1 >= self.rows {
                self.inner.write_all(&buf[from..=i])?;
                from = i + 1;
                let go_on = self.more()?;
                // more() read a line: count from here.
                self.reads = TTY_READS.load(std::sync::atomic::Ordering::Relaxed);
                self.lines = 0;
                if !go_on {
                    self.skipping = true;
                    writeln!(
                        self.inner,
                        "… the rest of this step's output is skipped (q at the more prompt)"
                    )?;
                    return Ok(buf.len());
                }
            }
        }
        self.inner.write_all(&buf[from..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One line from the terminal (or standard input when there is none), without its end;
/// None at the end of input.
fn read_tty_line() -> io::Result<Option<String>> {
    use std::io::BufRead;
    TTY_READS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut answer = String::new();
    let read = match std::fs::File::open("/dev/tty") {
        Ok(tty) => io::BufReader::new(tty).read_line(&mut answer),
        Err(_) => io::stdin().lock().read_line(&mut answer),
    }?;
    Ok((read > 0).then(|| answer.trim_end_matches(['\n', '\r']).to_string()))
}

/// A step of --step: a marker in the recording (so a player can jump to it), then
/// the prompt.
fn step(
    echo: &str,
    style: &crate::render::Style,
    out: &mut dyn Write,
    name: &str,
    line: &crate::command::script::Line,
) -> io::Result<Step> {
    crate::front::record::marker(&format!(
        "{name}:{} {}",
        line.number,
        crate::render::printable(line.text.trim())
    ));
    step_prompt(echo, style, out)
}

enum Step {
    Run,
    Back,
    Quit,
}

/// Shows the next command and waits for Enter (run it), `b` (back) or `q` (quit),
/// read from the terminal even when the script came on standard input.
fn step_prompt(echo: &str, style: &crate::render::Style, out: &mut dyn Write) -> io::Result<Step> {
    // The hint, and what is said about a key that does nothing, go to the terminal
    // alone: a recording or transcript keeps the lesson, not the keys that paced it.
    let to_screen = |text: &str| -> io::Result<()> {
        let mut screen = io::stdout().lock();
        screen.write_all(crate::front::record::for_screen(text).as_bytes())?;
        screen.flush()
    };
    let hint = format!(
        "  {}",
        style.paint("[Enter runs · b back · q quit]", Tone::Dim)
    );
    write!(out, "{}", style.paint(echo, Tone::Command))?;
    out.flush()?;
    to_screen(&hint)?;
    // In front of a class only Enter, b and q act: anything else typed here is refused,
    // never run (a stray word must not become a command).
    loop {
        let answer = read_tty_line()?;
        writeln!(out)?;
        out.flush()?;
        let Some(answer) = answer else {
            return Ok(Step::Quit);
        };
        match answer.trim() {
            "" => return Ok(Step::Run),
            "q" | "quit" => return Ok(Step::Quit),
            "b" | "back" => return Ok(Step::Back),
            other => {
                let text = format!(
                    "`{}` is not run here: Enter runs the step, b goes back, q quits",
                    crate::render::printable(other)
                );
                to_screen(&format!(
                    "{}\n{}{hint}",
                    style.paint(&text, Tone::Note),
                    style.paint(echo, Tone::Command)
                ))?;
            }
        }
    }
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
