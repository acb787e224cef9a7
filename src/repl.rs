//! The interactive front end: rustyline for editing and history, a printer
//! thread that shows captured packets above the prompt without garbling the
//! line being typed, and Ctrl-C that stops a running command, not rawlab.

use crate::command::{self, Context};
use crate::render;
use crate::session::{Flow, Session};
use rustyline::error::ReadlineError;
use rustyline::{DefaultEditor, ExternalPrinter};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Where history lives: $XDG_STATE_HOME/rawlab/history, or ~/.local/state/rawlab/history.
pub fn history_path() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("rawlab").join("history"))
}

pub fn run(session: &mut Session) -> io::Result<i32> {
    let mut rl = DefaultEditor::new().map_err(io::Error::other)?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    // Ctrl-C while a command runs sets the flag the command checks; at the prompt
    // rustyline reads it as a key and clears the line.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, session.interrupt.clone());

    let running = Arc::new(AtomicBool::new(true));
    let printer_thread = rl.create_external_printer().ok().map(|mut printer| {
        let shower = session.shower.clone();
        let running = running.clone();
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                shower.store.idle_wait(Duration::from_millis(100));
                if let Some(_g) = shower.store.try_print_lock() {
                    let mut buf = Vec::new();
                    if shower.show_pending(&mut buf).is_ok() && !buf.is_empty() {
                        let text = String::from_utf8_lossy(&buf);
                        let _ = printer.print(text.trim_end_matches('\n').to_string());
                    }
                }
            }
        })
    });

    let stdout = io::stdout();
    let style = session.style();
    loop {
        match rl.readline(&session.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                }
                let parsed = command::parse(
                    &line,
                    &Context {
                        stack: &session.stack(),
                    },
                );
                let mut out = stdout.lock();
                let shower = session.shower.clone();
                let _guard = shower.store.print_lock();
                match parsed {
                    Ok(cmd) => {
                        if session.execute(&cmd, &mut out)? == Flow::Quit {
                            break;
                        }
                    }
                    Err(e) => render::parse_error(&mut out, &line, &e, None, &style)?,
                }
                out.flush()?;
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
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    Ok(0)
}
