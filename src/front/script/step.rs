//! The terminal's side of `--step`: the pager that pauses a screenful at a time,
//! the step prompt (Enter, `b`, `q`), and lines read from the terminal.

use crate::render::Tone;
use std::io::{self, Write};

/// Lines read from the terminal so far: each means the learner has seen the screen, so
/// the pager counts its lines afresh.
static TTY_READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Commands run to their end so far: q at a more prompt skips the rest of one command's
/// output, not the narration and the step after it.
pub(super) static OUTPUTS_ENDED: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// `--step`'s output, paused at a "more" prompt when it would scroll lines not yet read
/// off the screen: Enter shows the next screenful, q skips the rest of that output.
/// The prompt goes to the terminal alone, as the step's hint does.
pub(super) struct Pager<'a> {
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
    pub(super) fn screen() -> Option<(usize, usize)> {
        use std::io::IsTerminal;
        if !io::stdout().is_terminal() {
            return None;
        }
        let (w, h) = terminal_size::terminal_size()?;
        (h.0 >= 4 && w.0 >= 8).then_some((usize::from(w.0), usize::from(h.0)))
    }

    pub(super) fn new(inner: &'a mut dyn Write, cols: usize, rows: usize, color: bool) -> Self {
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
pub(super) fn read_tty_line() -> io::Result<Option<String>> {
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
pub(super) fn step(
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

pub(super) enum Step {
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
