//! The interactive front end: rustyline for editing, completion and history, a
//! printer thread that shows captured packets above the prompt without garbling
//! the line being typed, and Ctrl-C that stops a running command, not rawlab.

mod helper;

pub use helper::{LabHelper, complete, hint, stacks};

use crate::front::record::{Recorder, Tee};
use crate::render;
use crate::session::{Flow, Session};
use rustyline::config::Configurer;
use rustyline::error::ReadlineError;
use rustyline::history::{DefaultHistory, History};
use rustyline::{CompletionType, Editor, ExternalPrinter};
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where history lives: rawlab's state directory (`session::state_dir`: an absolute
/// $XDG_STATE_HOME, under sudo the invoking user's ~/.local/state, else ~/.local/state).
pub fn history_path() -> Option<PathBuf> {
    crate::session::state_dir().map(|d| d.join("rawlab").join("history"))
}

/// How many packets the printer draws above the prompt each time it looks (ten times a
/// second at most while packets keep coming): the rest are counted as passed over, so
/// a flood never buries the prompt or grows memory.
const SHOWN_PER_GLANCE: usize = 40;
const GLANCE: Duration = Duration::from_millis(100);

/// Longest line read from a pipe; the rest of a longer one is dropped, with a message.
const MAX_PIPED_LINE: usize = 1 << 20;

/// Lines from a pipe, not a terminal: read as they come, with no line editing applied
/// (a tab or an escape in a piped file is a character, not a key), each run as typed.
/// A line that is not UTF-8 or too long is dropped with a message saying which line
/// and why, and the rest still run; any error makes the exit status 1.
fn run_piped(
    session: &mut Session,
    mut input: impl BufRead,
    rec: Option<Arc<Mutex<Recorder>>>,
) -> io::Result<i32> {
    let stdout = io::stdout();
    let style = session.style();
    let mut dropped = 0;
    let mut raw = Vec::new();
    for no in 1.. {
        raw.clear();
        let n =
            io::Read::take(&mut input, MAX_PIPED_LINE as u64 + 1).read_until(b'\n', &mut raw)?;
        if n == 0 {
            break;
        }
        // What the session writes is recorded (and shown on the page) as at a terminal.
        let mut out = crate::front::record::Tee::new(stdout.lock(), rec.clone());
        if raw.len() > MAX_PIPED_LINE && raw.last() != Some(&b'\n') {
            // Skip to the end of the line without keeping it.
            let mut rest = Vec::new();
            let mut skipped = raw.len();
            loop {
                rest.clear();
                let m = io::Read::take(&mut input, 1 << 16).read_until(b'\n', &mut rest)?;
                skipped += m;
                if m == 0 || rest.last() == Some(&b'\n') {
                    // The line's length is its bytes, not the newline that ends it.
                    skipped -= (rest.last() == Some(&b'\n')) as usize;
                    break;
                }
            }
            dropped += 1;
            let text = format!(
                "line {no} of standard input is {skipped} bytes, more than the {} a line may have: dropped; the lines after it still run",
                MAX_PIPED_LINE
            );
            render::problem(&mut out, &text, &style)?;
            continue;
        }
        while raw.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            raw.pop();
        }
        let line = match std::str::from_utf8(&raw) {
            Ok(l) => l,
            Err(e) => {
                dropped += 1;
                let at = e.valid_up_to();
                let text = format!(
                    "line {no} of standard input is not UTF-8 (byte {} is 0x{:02x}): dropped; rawlab reads UTF-8 text, so save the file as UTF-8 (iconv -f latin1 -t utf-8 converts Latin-1)",
                    at + 1,
                    raw[at]
                );
                render::problem(&mut out, &text, &style)?;
                continue;
            }
        };
        if let Some(r) = &rec {
            // The command itself, as a terminal would have echoed it.
            let prompt = session.prompt();
            lock(r).output(&format!("{prompt}{line}\n"));
        }
        let flow = session.run_line(line, &mut out)?;
        session.lesson_after(line, &mut out)?;
        out.flush()?;
        if flow == Flow::Quit {
            break;
        }
    }
    Ok(i32::from(dropped + session.failures > 0))
}

pub fn run(session: &mut Session, rec: Option<Arc<Mutex<Recorder>>>) -> io::Result<i32> {
    // The learner takes lessons here: what they finish is kept.
    session.teach.progress_file = crate::session::progress_path();
    if !io::stdin().is_terminal() {
        return run_piped(session, io::stdin().lock(), rec);
    }
    // At a terminal a flood is shown a glance at a time, whoever draws it (the printer
    // between commands, a command while it runs).
    if io::stdout().is_terminal() {
        session.shower.at_most(SHOWN_PER_GLANCE);
    }
    let history = history_path();
    let mut rl = editor(session, history.as_deref())?;
    // SIGTERM and SIGHUP at the prompt would end rawlab inside the line editor, with the
    // terminal left raw and this session's history lost: a thread of its own puts the
    // terminal back, saves a copy of the history kept beside the editor's, and exits.
    let kept: Arc<Mutex<DefaultHistory>> = Arc::new(Mutex::new(DefaultHistory::new()));
    if let Some(h) = &history {
        let _ = lock(&kept).load(h);
    }
    watch_for_the_end(kept.clone(), history.clone());
    // Ctrl-C while a command runs sets the flag the command checks; at the prompt
    // rustyline reads it as a key and clears the line.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, session.interrupt.clone());
    let running = Arc::new(AtomicBool::new(true));
    let printer_thread = start_printer(&mut rl, session, running.clone(), rec.clone());
    read_lines(&mut rl, session, &kept, &rec)?;
    running.store(false, Ordering::Relaxed);
    if let Some(t) = printer_thread {
        let _ = t.join();
    }
    if let Some(h) = &history {
        save_history(&mut rl, h);
    }
    Ok(0)
}

/// The line editor: completion and hints from the session's template, and the history
/// kept at `history`.
fn editor(
    session: &Session,
    history: Option<&Path>,
) -> io::Result<Editor<LabHelper, DefaultHistory>> {
    let mut rl: Editor<LabHelper, DefaultHistory> = Editor::new().map_err(io::Error::other)?;
    rl.set_helper(Some(LabHelper::new(session.stack(), session.style().color)));
    rl.set_completion_type(CompletionType::List);
    rl.set_max_history_size(5000).map_err(io::Error::other)?;
    if let Some(h) = history {
        let _ = rl.load_history(h);
    }
    Ok(rl)
}

/// Packets that arrive between commands are drawn by a printer thread and handed
/// to rustyline's external printer by a second thread. The second may block (the
/// printer's queue holds one message until the prompt reads it), so it holds no
/// lock the command loop needs and is never joined. The printer stops once `running`
/// is cleared; None when the editor has no external printer.
fn start_printer(
    rl: &mut Editor<LabHelper, DefaultHistory>,
    session: &Session,
    running: Arc<AtomicBool>,
    rec: Option<Arc<Mutex<Recorder>>>,
) -> Option<std::thread::JoinHandle<()>> {
    let mut printer = rl.create_external_printer().ok()?;
    // Bounded: while the prompt is slow to print (a flood), the printer waits here
    // rather than piling drawn text up in memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<String>(1);
    std::thread::spawn(move || {
        for text in rx {
            if printer.print(text).is_err() {
                break;
            }
        }
    });
    let shower = session.shower.clone();
    Some(std::thread::spawn(move || {
        while running.load(Ordering::Relaxed) {
            shower.store.idle_wait(Duration::from_millis(100));
            let glance = std::time::Instant::now();
            let mut buf = Vec::new();
            // While a command runs it holds the lock and shows what comes itself:
            // wait for it rather than look again (packets stay unshown meanwhile).
            let full = {
                let _g = shower.store.print_lock();
                shower
                    .show_pending(&mut buf)
                    .is_ok_and(|s| s.len() >= SHOWN_PER_GLANCE)
            };
            if !buf.is_empty() {
                let text = String::from_utf8_lossy(&buf);
                if let Some(r) = &rec {
                    r.lock().unwrap_or_else(|p| p.into_inner()).output(&text);
                }
                if tx.send(text.trim_end_matches('\n').to_string()).is_err() {
                    break;
                }
            }
            // In a flood, look again only a tenth of a second later: what comes
            // meanwhile is counted, not drawn, and typed keys get the terminal.
            if full {
                std::thread::sleep(GLANCE.saturating_sub(glance.elapsed()));
            }
        }
    }))
}

/// The prompt: each line read is kept in the history (and the recording) and run,
/// until `quit`, the end of input, or an error reading it.
fn read_lines(
    rl: &mut Editor<LabHelper, DefaultHistory>,
    session: &mut Session,
    kept: &Mutex<DefaultHistory>,
    rec: &Option<Arc<Mutex<Recorder>>>,
) -> io::Result<()> {
    let stdout = io::stdout();
    let style = session.style();
    let keep = |text: &str| {
        if let Some(r) = rec {
            r.lock().unwrap_or_else(|p| p.into_inner()).output(text);
        }
    };
    loop {
        let offered = session.lesson_pending().unwrap_or_default();
        match rl.readline_with_initial(&session.prompt(), (&offered, "")) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                    let _ = lock(kept).add(line.as_str());
                }
                keep(&format!("{}{line}\n", session.prompt()));
                let shower = session.shower.clone();
                let _guard = shower.store.print_lock();
                let mut out = Tee::new(stdout.lock(), rec.clone());
                let flow = session.run_line(&line, &mut out)?;
                session.lesson_after(&line, &mut out)?;
                out.flush()?;
                if flow == Flow::Quit {
                    break;
                }
                if let Some(h) = rl.helper_mut() {
                    h.stack = session.stack();
                    h.answering = session.asking();
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            // A key that sent a byte which is not UTF-8 (a terminal set to Latin-1): the
            // line is dropped, and the session goes on with nothing else lost.
            Err(ReadlineError::Io(e)) if e.kind() == io::ErrorKind::InvalidData => {
                render::problem(
                    &mut stdout.lock(),
                    "that line held a byte that is not UTF-8 (is the terminal set to Latin-1?): dropped; the template, listeners and packets are as they were. Set the terminal to UTF-8 to type such characters",
                    &style,
                )?;
                session.failures += 1;
                continue;
            }
            Err(e) => {
                render::problem(&mut stdout.lock(), &format!("reading input: {e}"), &style)?;
                break;
            }
        }
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// On SIGTERM or SIGHUP: the terminal as it was before the line editor took it, the
/// history saved, and exit as a process the signal ended would (128 + its number).
fn watch_for_the_end(kept: Arc<Mutex<DefaultHistory>>, history: Option<PathBuf>) {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    use std::os::fd::AsRawFd;
    let settings = crate::net::sys::terminal_settings(io::stdin().as_raw_fd());
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                if let Some(s) = &settings {
                    crate::net::sys::restore_terminal(io::stdin().as_raw_fd(), s);
                }
                if let Some(h) = &history {
                    if let Some(dir) = h.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    if lock(&kept).save(h).is_ok() {
                        crate::net::sys::give_to_sudo_user(h);
                    }
                }
                let _ = writeln!(io::stdout());
                std::process::exit(128 + sig);
            }
        });
}

/// Saves history where the user will find it, owned by them even under sudo.
fn save_history(rl: &mut Editor<LabHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if rl.save_history(path).is_ok() {
        crate::net::sys::give_to_sudo_user(path);
    }
}
