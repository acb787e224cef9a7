//! What the environment tells rawlab, as the man page's ENVIRONMENT section says:
//! `TERM=dumb` means no colour even at a terminal (as `NO_COLOR` does), and a
//! relative `XDG_STATE_HOME` is ignored, as the XDG Base Directory spec requires,
//! so history never lands relative to wherever a session was started. The binary
//! runs in a pseudo-terminal, so it colours by default and any escape byte shows.

mod common;
use common::*;
use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession as Pty;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// rawlab in a terminal, with the environment given and nothing else of the suite's.
fn spawn(user: User, home: &Path, term: &str, env: &[(&str, &str)], args: &[&str]) -> Pty {
    let mut cmd = match user {
        User::Me => Command::new(binary_for(user)),
        User::Nobody => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(binary_for(user));
            c
        }
    };
    cmd.args(args)
        .env("HOME", home)
        .env("TERM", term)
        .env_remove("XDG_STATE_HOME")
        .env_remove("NO_COLOR")
        .env_remove("SUDO_UID")
        .env_remove("SUDO_GID")
        .current_dir(home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut pty = Pty::spawn(cmd).expect("spawn in a pty");
    pty.get_process_mut().set_window_size(120, 60).unwrap();
    pty
}

/// Reads what the terminal is sent until `done` says so, or the process ended and
/// nothing more comes (its status kept in `ended`), for at most 20 s.
fn pump(
    pty: &mut Pty,
    out: &mut Vec<u8>,
    ended: &mut Option<WaitStatus>,
    done: impl Fn(&[u8]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 8192];
    loop {
        let mut got = false;
        while let Ok(n) = pty.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            got = true;
        }
        if done(out) {
            return;
        }
        if ended.is_none() {
            match pty.get_process().status() {
                Ok(WaitStatus::StillAlive) => {}
                Ok(s) => *ended = Some(s),
                Err(e) => panic!("the process is gone: {e}"),
            }
        }
        if ended.is_some() && !got {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; the terminal was sent:\n{}",
            String::from_utf8_lossy(out)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn find(hay: &[u8], needle: &str) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

fn contains(hay: &[u8], needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// `marker` was sent, and a prompt after it.
fn prompt_after(hay: &[u8], marker: &str) -> bool {
    find(hay, marker).is_some_and(|i| contains(&hay[i..], "> "))
}

fn home() -> PathBuf {
    let dir = scratch();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    dir
}

/// TERM, other variables, flags, and whether the output is coloured.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
    bool,
);

/// A capture file read at a terminal: coloured for xterm, plain for a dumb terminal
/// and under NO_COLOR, coloured again when asked for in so many words.
#[test]
fn term_dumb_means_no_colour() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lo.pcap");
    for user in users() {
        let home = home();
        let file = home.join("lo.pcap");
        std::fs::copy(&fixture, &file).unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let file = file.display().to_string();
        let cases: [Case; 4] = [
            ("xterm-256color", &[], &[], true),
            ("dumb", &[], &[], false),
            ("xterm-256color", &[("NO_COLOR", "1")], &[], false),
            ("dumb", &[], &["--color", "always"], true),
        ];
        for (term, env, flags, coloured) in cases {
            let mut args = vec!["read", file.as_str(), "--packets", "1-3"];
            args.extend(flags);
            let mut pty = spawn(user, &home, term, env, &args);
            let mut out = Vec::new();
            let mut ended = None;
            pump(&mut pty, &mut out, &mut ended, |_| false);
            let text = String::from_utf8_lossy(&out);
            assert!(text.contains("ICMP echo-request"), "[{user:?}] {text}");
            assert_eq!(
                out.contains(&0x1b),
                coloured,
                "[{user:?}] TERM={term} {env:?} {flags:?}: escape bytes {}:\n{text}",
                if coloured { "missing" } else { "present" }
            );
        }
    }
}

/// The prompt at a dumb terminal: the line editor falls back to plain lines and the
/// session draws without colour, so not one escape byte is sent.
#[test]
fn the_prompt_at_a_dumb_terminal_sends_no_escape() {
    for user in users() {
        let home = home();
        let sandbox: &[&str] = if user == User::Me {
            &["--sandbox"]
        } else {
            &[]
        };
        let mut pty = spawn(user, &home, "dumb", &[], sandbox);
        let mut out = Vec::new();
        let mut ended = None;
        pump(&mut pty, &mut out, &mut ended, |o| contains(o, "> "));
        pty.write_all(b"show\r").unwrap();
        pty.flush().unwrap();
        // Then the next prompt: the editor reads again.
        pump(&mut pty, &mut out, &mut ended, |o| {
            prompt_after(o, "icmp.checksum")
        });
        std::thread::sleep(Duration::from_millis(100));
        pty.write_all(b"\x04").unwrap();
        pty.flush().unwrap();
        pump(&mut pty, &mut out, &mut ended, |_| false);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("ip.ttl"), "[{user:?}] {text}");
        assert!(
            !out.contains(&0x1b),
            "[{user:?}] escape bytes sent:\n{text:?}"
        );
        assert!(
            matches!(ended, Some(WaitStatus::Exited(_, 0))),
            "[{user:?}] {ended:?}"
        );
    }
}

/// A session's history with XDG_STATE_HOME relative, then absolute: the first goes to
/// ~/.local/state as if it were unset, leaving nothing under the working directory;
/// the second goes where it says.
#[test]
fn a_relative_xdg_state_home_is_ignored() {
    for user in users() {
        let home = home();
        let absolute = home.join("elsewhere");
        let absolute = absolute.display().to_string();
        for (xdg, history) in [
            ("state", home.join(".local/state/rawlab/history")),
            (absolute.as_str(), home.join("elsewhere/rawlab/history")),
        ] {
            let mut args = vec!["--color", "never"];
            if user == User::Me {
                args.push("--sandbox");
            }
            let mut pty = spawn(
                user,
                &home,
                "xterm-256color",
                &[("XDG_STATE_HOME", xdg)],
                &args,
            );
            let mut out = Vec::new();
            let mut ended = None;
            pump(&mut pty, &mut out, &mut ended, |o| contains(o, "> "));
            pty.write_all(b"set ttl 7\r").unwrap();
            pty.flush().unwrap();
            // Then the next prompt: the editor reads again.
            pump(&mut pty, &mut out, &mut ended, |o| {
                prompt_after(o, "ip.ttl = 7")
            });
            std::thread::sleep(Duration::from_millis(100));
            pty.write_all(b"\x04").unwrap();
            pty.flush().unwrap();
            pump(&mut pty, &mut out, &mut ended, |_| false);
            assert!(
                matches!(ended, Some(WaitStatus::Exited(_, 0))),
                "[{user:?}] {ended:?}: {}",
                String::from_utf8_lossy(&out)
            );
            let kept = std::fs::read_to_string(&history).unwrap_or_else(|e| {
                panic!(
                    "[{user:?}] XDG_STATE_HOME={xdg}: no history at {} ({e})",
                    history.display()
                )
            });
            assert!(kept.contains("set ttl 7"), "{kept}");
            assert!(
                !home.join("state").exists(),
                "[{user:?}] a relative XDG_STATE_HOME was used: {} exists",
                home.join("state").display()
            );
            std::fs::remove_file(&history).unwrap();
        }
    }
}
