//! The interactive front end: rustyline for editing, completion and history, a
//! printer thread that shows captured packets above the prompt without garbling
//! the line being typed, and Ctrl-C that stops a running command, not rawlab.

mod helper;

pub use helper::{LabHelper, complete, hint, stacks};

use crate::record::{Recorder, Tee};
use crate::render;
use crate::session::{Flow, Session};
use rustyline::config::Configurer;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Editor, ExternalPrinter};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where history lives: $XDG_STATE_HOME/rawlab/history, or ~/.local/state/rawlab/history
/// in the home of the user who ran sudo, when rawlab was started through it.
pub fn history_path() -> Option<PathBuf> {
    if let Some(home) = crate::sys::sudo_user_home() {
        return Some(home.join(".local/state/rawlab/history"));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("rawlab").join("history"))
}

pub fn run(session: &mut Session, rec: Option<Arc<Mutex<Recorder>>>) -> io::Result<i32> {
    let mut rl: Editor<LabHelper, DefaultHistory> = Editor::new().map_err(io::Error::other)?;
    rl.set_helper(Some(LabHelper::new(session.stack(), session.style().color)));
    rl.set_completion_type(CompletionType::List);
    rl.set_max_history_size(5000).map_err(io::Error::other)?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    // Ctrl-C while a command runs sets the flag the command checks; at the prompt
    // rustyline reads it as a key and clears the line.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, session.interrupt.clone());

    // Packets that arrive between commands are drawn by a printer thread and handed
    // to rustyline's external printer by a second thread. The second may block (the
    // printer's queue holds one message until the prompt reads it), so it holds no
    // lock the command loop needs and is never joined.
    let running = Arc::new(AtomicBool::new(true));
    let printer_thread = rl.create_external_printer().ok().map(|mut printer| {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for text in rx {
                if printer.print(text).is_err() {
                    break;
                }
            }
        });
        let shower = session.shower.clone();
        let running = running.clone();
        let rec = rec.clone();
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                shower.store.idle_wait(Duration::from_millis(100));
                let mut buf = Vec::new();
                // While a command runs it holds the lock and shows what comes itself:
                // wait for it rather than look again (packets stay unshown meanwhile).
                {
                    let _g = shower.store.print_lock();
                    let _ = shower.show_pending(&mut buf);
                }
                if !buf.is_empty() {
                    let text = String::from_utf8_lossy(&buf);
                    if let Some(r) = &rec {
                        r.lock().unwrap_or_else(|p| p.into_inner()).output(&text);
                    }
                    if tx.send(text.trim_end_matches('\n').to_string()).is_err() {
                        break;
                    }
                }
            }
        })
    });

    let stdout = io::stdout();
    let style = session.style();
    let keep = |text: &str| {
        if let Some(r) = &rec {
            r.lock().unwrap_or_else(|p| p.into_inner()).output(text);
        }
    };
    loop {
        let offered = session.lesson_pending().unwrap_or_default();
        match rl.readline_with_initial(&session.prompt(), (&offered, "")) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                }
                keep(&format!("{}{line}\n", session.prompt()));
                let shower = session.shower.clone();
                let _guard = shower.store.print_lock();
                let mut out = Tee {
                    inner: stdout.lock(),
                    rec: rec.clone(),
                };
                let flow = session.run_line(&line, &mut out)?;
                session.lesson_after(&line, &mut out)?;
                out.flush()?;
                if flow == Flow::Quit {
                    break;
                }
                if let Some(h) = rl.helper_mut() {
                    h.stack = session.stack();
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                render::problem(&mut stdout.lock(), &format!("reading input: {e}"), &style)?;
                break;
            }
        }
    }
    running.store(false, Ordering::Relaxed);
    if let Some(t) = printer_thread {
        let _ = t.join();
    }
    if let Some(h) = &history {
        save_history(&mut rl, h);
    }
    Ok(0)
}

/// Saves history where the user will find it, owned by them even under sudo.
fn save_history(rl: &mut Editor<LabHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if rl.save_history(path).is_ok() {
        crate::sys::give_to_sudo_user(path);
    }
}
