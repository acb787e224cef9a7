//! The REPL in a real terminal: the binary runs in a pseudo-terminal, as a new
//! user would meet it (inside its sandbox, as the current user and as an
//! ordinary one), and each step checks the screen as a terminal draws it.

mod common;
use common::*;
use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession as Pty;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROWS: u16 = 300;
const COLS: u16 = 120;

struct Term {
    pty: Pty,
    vt: vt100::Parser,
    user: User,
    /// Everything the terminal was sent, for what scrolled off the screen.
    log: Vec<u8>,
}

impl Term {
    /// Starts rawlab in a terminal. As root it needs --sandbox to stay off the host's
    /// network; as an ordinary user the sandbox comes by itself.
    fn start(user: User, home: &Path, extra: &[&str]) -> Term {
        let bin = binary_for(user);
        let mut cmd = match user {
            User::Me => Command::new(&bin),
            User::Nobody => {
                let mut c = Command::new("setpriv");
                c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                    .arg(&bin);
                c
            }
        };
        if user == User::Me {
            cmd.arg("--sandbox");
        }
        cmd.args(extra)
            .env("HOME", home)
            .env("TERM", "xterm-256color")
            .env_remove("XDG_STATE_HOME")
            .env_remove("NO_COLOR")
            .env_remove("SUDO_UID")
            .current_dir(home);
        let mut pty = Pty::spawn(cmd).expect("spawn in a pty");
        pty.get_process_mut().set_window_size(COLS, ROWS).unwrap();
        let vt = vt100::Parser::new(ROWS.try_into().unwrap(), COLS.try_into().unwrap(), 0);
        Term {
            pty,
            vt,
            user,
            log: Vec::new(),
        }
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 8192];
        loop {
            match self.pty.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    self.vt.process(&buf[..n]);
                    self.log.extend_from_slice(&buf[..n]);
                }
                Err(_) => break,
            }
        }
    }

    fn screen(&self) -> String {
        self.vt.screen().contents()
    }

    /// The line the cursor is on.
    fn cursor_line(&self) -> String {
        let (row, _) = self.vt.screen().cursor_position();
        self.vt
            .screen()
            .rows(0, COLS)
            .nth(row as usize)
            .unwrap_or_default()
    }

    /// The cursor line up to the cursor: what has been typed, without the dim hint after it.
    fn typed(&self) -> String {
        let (row, col) = self.vt.screen().cursor_position();
        self.vt
            .screen()
            .rows(0, col)
            .nth(row as usize)
            .unwrap_or_default()
    }

    /// Waits (at most 15 s) until the screen satisfies `pred`.
    fn wait(&mut self, what: &str, pred: impl Fn(&Term) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            self.pump();
            if pred(self) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "[{:?}] timed out waiting for {what}; the screen:\n{}\nthreads:\n{}",
                    self.user,
                    self.screen(),
                    self.threads()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Each thread of the process and what it waits in, for a hang's report.
    fn threads(&self) -> String {
        let pid = self.pty.get_process().pid();
        let mut out = String::new();
        for t in std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let p = t.path();
            let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
            let call = read("syscall");
            out.push_str(&format!(
                "  {} {} syscall {}\n",
                read("comm").trim(),
                read("wchan"),
                call.split(' ').next().unwrap_or("")
            ));
        }
        out
    }

    fn wait_text(&mut self, text: &str) {
        let t = text.to_string();
        self.wait(text, move |s| s.screen().contains(&t));
    }

    fn wait_prompt(&mut self) {
        self.wait("a prompt", |s| s.cursor_line().ends_with("> "));
    }

    /// Ctrl-D at the prompt, once it is drawn: rustyline has the terminal in raw mode
    /// then. Sent while a command's output is still coming, the terminal is still in
    /// canonical mode, which takes the ^D itself as end of file, and no one reads it.
    fn leave(&mut self) {
        self.wait_prompt();
        self.send("\x04");
    }

    fn send(&mut self, s: &str) {
        self.pty.write_all(s.as_bytes()).unwrap();
        self.pty.flush().unwrap();
    }

    /// Waits for the process to end and returns its exit code, the pty still open.
    fn status(&mut self) -> i32 {
        match self.pty.get_process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("rawlab did not exit normally: {other:?}"),
        }
    }

    /// Waits for the process to end and returns its exit code.
    fn exit_code(self) -> i32 {
        match self.pty.get_process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("rawlab did not exit normally: {other:?}"),
        }
    }
}

fn home() -> PathBuf {
    let dir = scratch();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    dir
}

#[test]
fn a_first_session_completion_typo_and_ctrl_d() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_text("rawlab: sandbox network");
        t.wait_prompt();
        assert!(
            t.cursor_line().starts_with("ip/icmp → 127.0.0.1 raw> "),
            "{}",
            t.screen()
        );

        // Tab completes a short field name; the completed line is on the screen.
        t.send("set tt\t");
        t.wait("the completed line", |s| {
            s.typed().ends_with("raw> set ttl ")
        });
        assert!(
            t.cursor_line().contains("0..=255"),
            "the hint shows the range: {}",
            t.screen()
        );
        t.send("5\r");
        t.wait_text("ip.ttl = 5 (was 64)");

        // A typo gets a caret and a suggestion, and the session goes on.
        t.send("sned\r");
        t.wait_text("did you mean `send`?");
        t.wait_prompt();

        // The prompt follows the template.
        t.send("mode kernel\r");
        t.wait("the new prompt", |s| s.cursor_line().ends_with("kernel> "));

        // Ctrl-D leaves with status 0 and history is written.
        t.leave();
        assert_eq!(t.exit_code(), 0);
        let history = std::fs::read_to_string(home.join(".local/state/rawlab/history"))
            .expect("history file");
        assert!(
            history.contains("set ttl 5") && history.contains("mode kernel"),
            "{history}"
        );
    }
}

#[test]
fn a_captured_packet_appears_above_a_half_typed_line() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_prompt();
        t.send("listen icmp\r");
        t.wait_text("listening:");
        t.wait_prompt();
        // Two kernel-built echoes, the second 800 ms after the first: it arrives while
        // the next line is still being typed.
        t.send("trigger ping 127.0.0.1 count 2 every 800ms\r");
        t.wait_text("#2 ← captured on raw socket for icmp");
        t.wait_prompt();
        t.send("set tt");
        t.wait_text("trigger ping 127.0.0.1: 2 sent, 2 replies");
        // The half-typed line is drawn again under the packets, intact.
        t.wait("the half-typed line", |s| {
            s.typed().ends_with("raw> set tt")
        });
        t.send("l 9\r");
        t.wait_text("ip.ttl = 9 (was 64)");
        t.send("quit\r");
        assert_eq!(t.exit_code(), 0);
    }
}

/// Every command that takes long stops on Ctrl-C, within a fraction of a second, and
/// the prompt is back: a long wait, a slow send, a long reply timeout.
#[test]
fn ctrl_c_stops_each_long_command() {
    let home = home();
    let mut t = Term::start(User::Me, &home, &["--color", "never"]);
    t.wait_prompt();
    for (line, started) in [
        ("wait 10m", None),
        ("send count 5 every 60s", Some("#1 → sent")),
        ("set timeout 10m", None),
        ("set ip.checksum 1", None),
        ("send", Some("#1 → sent")),
    ] {
        t.send(&format!("{line}\r"));
        if let Some(text) = started {
            t.wait_text(text);
        }
        std::thread::sleep(Duration::from_millis(300));
        t.pump();
        t.log.clear();
        let asked = Instant::now();
        t.send("\x03");
        // What is typed before the new prompt is dropped with the line, as in a shell.
        t.wait("the prompt after Ctrl-C", |s| {
            String::from_utf8_lossy(&s.log).contains("raw> ")
        });
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "{line}: Ctrl-C took {:?}",
            asked.elapsed()
        );
        t.send("say back-after-ctrl-c\r");
        t.wait("the prompt to take a command", |s| {
            String::from_utf8_lossy(&s.log).contains("\nback-after-ctrl-c")
        });
        t.log.clear();
        t.send("clear\r");
        t.wait_prompt();
    }
    t.leave();
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn ctrl_c_stops_a_ping_with_statistics_and_a_live_prompt() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_prompt();
        t.send("ping 127.0.0.1 count 100 every 50ms\r");
        t.wait_text("icmp_seq=5 ");
        t.send("\x03");
        t.wait_text("rawlab ping statistics");
        t.wait_text("(interrupted)");
        let screen = t.screen();
        let stats = screen
            .lines()
            .find(|l| l.contains("packets transmitted"))
            .unwrap()
            .to_string();
        let sent: u32 = stats.split_whitespace().next().unwrap().parse().unwrap();
        assert!((5..100).contains(&sent), "stopped early: {stats}");
        assert!(screen.contains("rtt min/avg/max/mdev = "), "{screen}");
        t.wait_prompt();
        // The prompt is alive: a command after the interruption works.
        t.send("explain ttl\r");
        t.wait_text("ip.ttl — time to live");
        // Ctrl-C at the prompt clears the line and rawlab stays. (What is typed after
        // Ctrl-C but before the new prompt is dropped with the line, as in a shell, so
        // wait for the new prompt before typing on.)
        t.wait_prompt();
        let row = t.vt.screen().cursor_position().0;
        t.send("set ttl 7\x03");
        t.wait("a new prompt", move |s| {
            s.vt.screen().cursor_position().0 > row && s.cursor_line().ends_with("> ")
        });
        t.send("show\r");
        t.wait_text("template ip/icmp");
        assert!(
            !t.screen().contains("ip.ttl = 7"),
            "Ctrl-C dropped the line: {}",
            t.screen()
        );
        t.leave();
        assert_eq!(t.exit_code(), 0);
    }
}

#[test]
fn colour_and_highlighting_in_a_terminal() {
    let home = home();
    let mut t = Term::start(User::Me, &home, &[]);
    t.wait_prompt();
    t.send("set tll");
    // The unknown field is drawn red while typed (the command in cyan).
    t.wait("highlighted input", |s| {
        let (row, _) = s.vt.screen().cursor_position();
        let cells: Vec<_> = (0..COLS)
            .filter_map(|c| s.vt.screen().cell(row, c))
            .collect();
        let text: String = cells.iter().map(|c| c.contents()).collect();
        let at = text.find("tll").map(|i| text[..i].chars().count());
        at.is_some_and(|i| cells[i].fgcolor() == vt100::Color::Idx(1))
    });
    t.send("\x15show\r");
    t.wait_text("template ip/icmp");
    t.leave();
    assert_eq!(t.exit_code(), 0);
}

/// Ctrl-C in a script stops the command running (a ping still prints its statistics),
/// skips the rest of the script, reports what the listener caught, and exits 130.
#[test]
fn ctrl_c_stops_a_script_with_statistics() {
    for user in users() {
        let home = home();
        let script = home.join("long.rawlab");
        std::fs::write(
            &script,
            "listen icmp\nping 127.0.0.1 count 100 every 50ms\nexplain ttl\n",
        )
        .unwrap();
        let mut t = Term::start(user, &home, &["--color", "never", "long.rawlab"]);
        t.wait_text("icmp_seq=3 ");
        t.send("\x03");
        t.wait_text("(interrupted)");
        t.wait_text("stopped by Ctrl-C at long.rawlab:2; the lines after it were not run");
        t.wait_text("closed raw socket for icmp (");
        let screen = t.screen();
        assert_eq!(t.exit_code(), 130, "{screen}");
        assert!(
            !screen.contains("ip.ttl — time to live"),
            "the line after ran: {screen}"
        );
    }
}

#[test]
fn step_mode_runs_a_lesson_one_enter_at_a_time() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never", "--step", "4"]);
        // Narration is printed plain, without the comment marks.
        t.wait_text("  The post builds a 30-byte packet by hand");
        t.wait("the first step", |s| {
            s.cursor_line()
                .contains("raw> show  [Enter runs · b back · q quit]")
        });
        t.send("\r");
        t.wait_text("template ip/icmp · 30 bytes");
        // The prediction is asked at once, and its answer read from the terminal.
        t.wait_text("? Which fields will the kernel change on the way out?");
        t.send("ip.id ip.checksum\r");
        t.wait_text("noted: ip.id, ip.checksum");
        t.wait("the second step", |s| {
            s.cursor_line().contains("raw> send  [Enter runs")
        });
        // b goes back: the previous command is offered again.
        t.send("b\r");
        t.wait_text("back one step: it runs again with its narration; what it did is not undone");
        t.wait("show again", |s| {
            s.cursor_line().contains("raw> show  [Enter runs")
        });
        t.send("q\r");
        assert_eq!(t.exit_code(), 0);
    }
}

/// A step whose output is longer than the screen pauses at a "more" prompt, shown on
/// the screen alone: Enter shows the next screenful, a stray word does nothing, q skips
/// the rest of that output and the next step comes as usual.
#[test]
fn step_mode_pauses_output_longer_than_the_screen() {
    const SHORT: u16 = 30;
    for user in users() {
        let home = home();
        let cast = home.join("step.cast");
        let cast_arg = cast.to_str().unwrap().to_string();
        let mut t = Term::start(
            user,
            &home,
            &["--color", "never", "--record", &cast_arg, "--step", "3"],
        );
        t.pty
            .get_process_mut()
            .set_window_size(COLS, SHORT)
            .unwrap();
        t.vt.set_size(SHORT.try_into().unwrap(), COLS.try_into().unwrap());
        t.wait("the first step", |s| {
            s.cursor_line().contains("raw> listen tcp  [Enter runs")
        });
        t.send("\r");
        t.wait_text("? How many TCP segments");
        t.send("\r");
        t.wait("trigger http offered", |s| {
            s.cursor_line().contains("raw> trigger http  [Enter runs")
        });
        t.send("\r");
        let more = "-- more: Enter shows the next screen, q skips the rest of this output --";
        t.wait("a more prompt", |s| s.cursor_line().starts_with(more));
        // Nothing scrolled past unread: the step's first lines are still on the screen.
        assert!(
            t.screen().contains("trigger http: a TCP connection"),
            "{}",
            t.screen()
        );
        t.send("dump 1\r");
        t.wait_text("`dump 1` does nothing here");
        t.send("\r");
        t.wait("a second more prompt", |s| {
            s.cursor_line().starts_with(more) && !s.screen().contains("trigger http: a TCP")
        });
        t.send("q\r");
        t.wait_text("the rest of this step's output is skipped (q at the more prompt)");
        t.wait("the next step", |s| {
            s.cursor_line()
                .contains("raw> expect captured by tcp >= 8  [Enter runs")
        });
        t.send("q\r");
        assert_eq!(t.exit_code(), 0);
        // The recording keeps the lesson and the skip, not the prompt that paced it.
        let rec = std::fs::read_to_string(&cast).unwrap();
        // The terminal's own width, not a guess.
        let header: serde_json::Value = serde_json::from_str(rec.lines().next().unwrap()).unwrap();
        assert_eq!(header["width"], u64::from(COLS), "{header}");
        // A marker per step, named by its place and command.
        assert!(
            rec.contains("\"m\",\"lesson 03-tcp-raw-socket:16 trigger http\"]"),
            "{rec}"
        );
        assert!(rec.contains("output is skipped"), "{rec}");
        assert!(!rec.contains("-- more"), "{rec}");
        assert!(!rec.contains("does nothing here"), "{rec}");
    }
}

#[test]
fn a_lesson_at_the_prompt_offers_its_next_command() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_prompt();
        t.send("lesson 1\r");
        t.wait_text("lesson 1 — a raw socket that receives every ping");
        // The lesson's first command waits on the input line, typed already.
        t.wait("the offered command", |s| {
            s.typed().ends_with("raw> listen icmp")
        });
        t.send("\r");
        t.wait_text("listening: socket(AF_INET, SOCK_RAW, 1)");
        // A prediction: the prompt takes the answer, not a command.
        t.wait_text("? One ping: how many packets will the listener see?");
        t.wait("the answer prompt", |s| {
            s.typed().ends_with("your answer> ")
        });
        t.send("2\r");
        t.wait_text("noted: 2; the next send, ping or trigger will tell");
        t.wait("the next command", |s| {
            s.typed().ends_with("raw> trigger ping 127.0.0.1")
        });
        // The learner may type something else first: the lesson waits.
        t.send("\x15help ping\r");
        t.wait_text("example: ping 127.0.0.1 count 5 every 200ms");
        t.wait("the same command again", |s| {
            s.typed().ends_with("raw> trigger ping 127.0.0.1")
        });
        t.send("\x15lesson stop\r");
        t.wait_text("left lesson 01-receive-icmp");
        t.leave();
        assert_eq!(t.exit_code(), 0);
    }
}

/// Issue 18's learner: at a real terminal, lesson 1's task stops the lesson; a wrong try
/// shows the goal line that still fails, two tries bring a hint, and their own command
/// solves it; `lesson` then ticks it.
#[test]
fn a_learner_solves_a_task_at_the_prompt() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_prompt();
        t.send("lesson 1\r");
        t.wait("listen icmp offered", |s| {
            s.typed().ends_with("raw> listen icmp")
        });
        t.send("\r");
        t.wait("the answer prompt", |s| {
            s.typed().ends_with("your answer> ")
        });
        t.send("2\r");
        // Each command the lesson offers, up to its task.
        for offered in [
            "trigger ping 127.0.0.1",
            "wait 500ms",
            "expect captured 2",
            "expect packet 1 icmp.type == echo-request",
            "expect packet 2 icmp.type == echo-reply",
            "expect packet 1 ip.version == 4",
            "expect packet 1 ip.hdr_len == 20",
            "expect packet 1 icmp.ident != 0",
            "expect reply icmp.ident == request",
            "privilege off",
            "send",
            "expect refused EPERM",
            "trigger ping 127.0.0.1",
            "wait 500ms",
            "expect captured 2",
            "expect reply icmp.type == echo-reply",
            "privilege on",
        ] {
            let want = format!("raw> {offered}");
            t.wait(offered, move |s| s.typed().ends_with(&want));
            t.send("\r");
        }
        t.wait_text("▶ task: Ping another address of this host");
        t.wait("an empty line for the learner", |s| {
            s.typed().ends_with("raw> ")
        });
        t.send("trigger ping 127.0.0.1\r");
        t.wait_text("the goal after try 1: 1 of 2 lines still fails");
        t.wait_text("✗ expect reply ip.src == 127.0.0.2: expected ip.src == 127.0.0.2");
        t.wait_prompt();
        t.send("trigger ping 127.0.0.3\r");
        t.wait_text("the goal after try 2");
        t.wait_text("hint 1 of 2: `trigger ping` takes any destination");
        t.wait_prompt();
        t.send("trigger ping 127.0.0.2\r");
        t.wait_text("✓ task done in 3 tries: Ping another address of this host");
        t.wait_text("end of lesson 01-receive-icmp");
        t.wait_prompt();
        t.send("lesson\r");
        t.wait_text("1 of 12 lessons, 1 of 12 tasks");
        t.leave();
        assert_eq!(t.exit_code(), 0);
    }
}

#[test]
fn a_resized_terminal_and_a_pasted_10_kb_line() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_prompt();
        // Narrow the terminal: dumps fit the new width instead of wrapping.
        t.pty.get_process_mut().set_window_size(64, ROWS).unwrap();
        t.vt.set_size(ROWS.try_into().unwrap(), 64.try_into().unwrap());
        t.send("show\r");
        t.wait_text("data.data");
        t.wait_prompt();
        let screen = t.vt.screen();
        let wrapped: Vec<u16> = (0..ROWS).filter(|r| screen.row_wrapped(*r)).collect();
        let rows: Vec<String> = screen.rows(0, 64).collect();
        let in_dump: Vec<&u16> = wrapped
            .iter()
            .filter(|r| rows[**r as usize].starts_with("    "))
            .collect();
        assert!(
            in_dump.is_empty(),
            "field lines wrapped at rows {in_dump:?}:\n{}",
            t.screen()
        );
        // A 10 kB paste: one clear error, cut to a window, and the prompt lives on.
        t.pty.get_process_mut().set_window_size(COLS, ROWS).unwrap();
        t.vt.set_size(ROWS.try_into().unwrap(), COLS.try_into().unwrap());
        let long = format!("set ttl {}\r", "9".repeat(10_000));
        t.send(&long);
        t.wait_text("does not fit");
        t.wait_prompt();
        assert!(
            t.screen().contains("99999999…"),
            "the echo is cut: {}",
            t.screen()
        );
        t.send("set ttl 3\r");
        t.wait_text("ip.ttl = 3 (was 64)");
        t.leave();
        assert_eq!(t.exit_code(), 0);
    }
}

#[test]
fn tab_completes_capture_files_and_directories_for_save_and_load() {
    for user in users() {
        let home = home();
        let caps = home.join("captures");
        std::fs::create_dir(&caps).unwrap();
        std::fs::set_permissions(&caps, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_prompt();
        t.send("send\r");
        t.wait_text("reply to #2");
        t.wait_prompt();
        // A directory completes with its slash, so Tab goes on inside it.
        t.send("save ca\t");
        t.wait("the completed directory", |s| {
            s.typed().ends_with("raw> save captures/")
        });
        t.send("ping.pcap\r");
        t.wait_text("saved 2 packets (#2–#3) to captures/ping.pcap");
        t.wait_prompt();
        // ~/ is the home directory; the capture file completes whole, and loads.
        t.send("load ~/captures/p\t");
        t.wait("the completed file", |s| {
            s.typed().ends_with("raw> load ~/captures/ping.pcap ")
        });
        t.send("\r");
        t.wait_text("loaded 2 packets from");
        t.wait_text("as #4–#5");
        t.wait_prompt();
        t.send("diff 4 5\r");
        t.wait_text("#4 → #5: 4 fields differ");
        t.send("quit\r");
        assert_eq!(t.exit_code(), 0);
    }
}

/// A byte that is not UTF-8 (a Latin-1 terminal's é) drops that line with a message;
/// the session goes on with its template, and SIGTERM at the prompt still saves the
/// history and ends as a signal would (128 + 15).
#[test]
fn a_latin1_byte_drops_one_line_and_sigterm_keeps_the_history() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never"]);
        t.wait_prompt();
        t.send("set ttl 9\r");
        t.wait_text("ip.ttl = 9 (was 64)");
        t.send("say caf\u{e9}\r");
        t.wait_text("café");
        t.pty.write_all(b"say caf\xe9\r").unwrap();
        t.pty.flush().unwrap();
        t.wait_text("that line held a byte that is not UTF-8");
        t.wait_prompt();
        t.send("show\r");
        t.wait_text("ip.ttl             9");
        t.wait_prompt();
        t.send("sho");
        let pid = t.pty.get_process().pid();
        let tty = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !cooked(&tty),
            "the line editor holds the terminal raw at the prompt"
        );
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        assert_eq!(t.status(), 143);
        assert!(cooked(&tty), "[{user:?}] SIGTERM left {tty:?} raw");
        let history = std::fs::read_to_string(home.join(".local/state/rawlab/history"))
            .expect("history saved on SIGTERM");
        assert!(
            history.contains("set ttl 9") && history.contains("say café"),
            "{history}"
        );
    }
}

/// A 20-column terminal: `explain` and the notes under a dump's fields wrap their words
/// within it, a few words a line, instead of a letter a line past an indent as wide as
/// the screen.
#[test]
fn long_field_texts_wrap_on_a_20_column_terminal() {
    const NARROW: u16 = 20;
    let home = home();
    let mut t = Term::start(User::Me, &home, &["--color", "never"]);
    t.wait_prompt();
    t.pty
        .get_process_mut()
        .set_window_size(NARROW, ROWS)
        .unwrap();
    t.vt.set_size(ROWS.try_into().unwrap(), NARROW.try_into().unwrap());
    t.send("explain ttl\r");
    t.wait_text("RFC 791");
    t.send("send\r");
    t.wait_text("reply to #2");
    t.wait_prompt();
    let log = String::from_utf8_lossy(&t.log).replace('\r', "");
    let explain: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with("  where"))
        .take_while(|l| !l.starts_with("  defined"))
        .collect();
    let notes: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.contains("↳ the kernel"))
        .take_while(|l| !l.starts_with("    ip."))
        .collect();
    assert!(explain.len() > 10 && notes.len() > 2, "{log}");
    for l in explain.iter().chain(&notes) {
        assert!(
            l.chars().count() <= NARROW as usize,
            "{l:?} is wider than the terminal:\n{}",
            explain.join("\n")
        );
        assert!(l.trim().chars().count() > 1, "{l:?} holds a letter alone");
    }
    t.leave();
    assert_eq!(t.exit_code(), 0);
}

/// Whether the terminal at `tty` is cooked again (canonical input, signals from keys), as
/// a shell needs it, read with stty while the test still holds the pty open.
fn cooked(tty: &Path) -> bool {
    let out = Command::new("stty")
        .arg("-a")
        .arg("-F")
        .arg(tty)
        .output()
        .expect("stty");
    let flags = String::from_utf8_lossy(&out.stdout);
    let has = |f: &str| flags.split_whitespace().any(|w| w == f);
    // Echo is not compared: the test's pty starts without it.
    has("icanon") && has("isig")
}

/// SIGHUP (the terminal window closed) at the prompt: the history is saved, the
/// terminal put back, and rawlab ends as the signal would (128 + 1).
#[test]
fn sighup_at_the_prompt_saves_the_history_and_the_terminal() {
    let home = home();
    let mut t = Term::start(User::Me, &home, &["--color", "never"]);
    t.wait_prompt();
    t.send("set ttl 12\r");
    t.wait_text("ip.ttl = 12 (was 64)");
    t.wait_prompt();
    let pid = t.pty.get_process().pid();
    let tty = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
    let _ = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status();
    // Read while the pty is still open (exit_code closes it).
    assert_eq!(t.status(), 129);
    assert!(cooked(&tty), "SIGHUP left {tty:?} raw");
    let history = std::fs::read_to_string(home.join(".local/state/rawlab/history"))
        .expect("history saved on SIGHUP");
    assert!(history.contains("set ttl 12"), "{history}");
}

/// A 1 MB line pasted as terminals paste (bracketed): highlighting and hints stop at a
/// few kilobytes, so it is taken in one piece and answered with one clear error, and
/// the prompt lives on. (Bytes typed one at a time past the first row make rustyline
/// repaint the whole line per key: that cost is the line editor's, not measured here.)
#[test]
fn a_pasted_megabyte_is_answered_at_once() {
    let home = home();
    let mut t = Term::start(User::Me, &home, &["--color", "always"]);
    t.wait_prompt();
    let mut paste = b"\x1b[200~set ttl ".to_vec();
    paste.extend(std::iter::repeat_n(b'9', 1 << 20));
    paste.extend(b"\x1b[201~\r");
    for chunk in paste.chunks(1 << 14) {
        t.pty.write_all(chunk).unwrap();
        t.pump();
    }
    t.pty.flush().unwrap();
    t.wait_text("does not fit");
    t.wait_prompt();
    t.send("set ttl 3\r");
    t.wait_text("ip.ttl = 3 (was 64)");
    t.leave();
    assert_eq!(t.exit_code(), 0);
}

/// A flood at the prompt (a trigger sending 200,000 echoes as fast as it can, a
/// listener showing them):
/// the printer draws a glance at a time and counts the rest as passed over, memory
/// stays bounded, and a typed command still runs. How fast it answers is measured by
/// bench/flood_prompt.py, not asserted here.
#[test]
fn a_flood_at_the_prompt_keeps_memory_bounded_and_typed_commands_running() {
    for user in users() {
        let home = home();
        let mut t = Term::start(user, &home, &["--color", "never", "--max-rate", "1000000"]);
        t.wait_prompt();
        t.send("listen icmp\r");
        t.wait_text("listening:");
        // Two triggers side by side (a trigger sends at most 100,000).
        t.send("trigger ping 127.0.0.1 count 100000 every 1us\r");
        // Read from everything the terminal was sent: the flood scrolls the line away.
        t.wait("the first trigger's line", |s| {
            String::from_utf8_lossy(&s.log).contains("trigger: 100000 echo requests")
        });
        t.send("trigger ping 127.0.0.1 count 100000 every 1us\r");
        t.wait_text("passed over, not drawn");
        t.send("say typed-during-the-flood\r");
        // Said, not echoed: the line the command printed (it may scroll off at once).
        t.wait("the typed command's output", |s| {
            String::from_utf8_lossy(&s.log).contains("\ntyped-during-the-flood")
        });
        let pid = t.pty.get_process().pid();
        let rss_kb: u64 = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap();
        assert!(
            rss_kb < 150 * 1024,
            "[{user:?}] {rss_kb} kB resident during the flood"
        );
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        let _ = t.pty.get_process().wait();
    }
}
