//! Issue 18, the learner acts: expectations that compare a reply with its request or
//! describe it field by field, run as scripts in the sandbox as each user. Every check
//! here is tried once where it holds and once where it must fail, so none can pass by
//! construction.

mod common;
use common::*;

/// Runs a script and returns the run; a run that should pass exits 0, one that should
/// fail exits 1 and names the failure.
fn script(user: User, text: &str) -> Run {
    run_script(user, text, &[])
}

/// Runs a script that must exit with `code` (0: every check passed, 1: one failed,
/// 2: refused before it ran) and print each of `says`; returns the run.
fn script_says(user: User, text: &str, code: i32, says: &[&str]) -> Run {
    let r = script(user, text);
    assert_eq!(r.code, code, "{}", r.all());
    for want in says {
        assert!(r.stdout.contains(want), "{want}\n{}", r.all());
    }
    r
}

#[test]
fn a_reply_field_compared_with_the_request() {
    for user in users() {
        script_says(
            user,
            "listen icmp\nsend\nexpect reply icmp.ident == request within 1s\nexpect reply icmp.type != request\nexpect reply ip.dst == request ip.src\n",
            0,
            &[
                "✓ expect reply icmp.type != request: #3 has icmp.type 0 (echo-reply), request #2 has icmp.type 8 (echo-request)",
            ],
        );
        // The kernel's reply is an echo reply, so its type is not the request's.
        script_says(
            user,
            "listen icmp\nsend\nexpect reply icmp.type == request within 1s\n",
            1,
            &[
                "✗ expect reply icmp.type == request within 1 s: expected icmp.type == the request's icmp.type, but reply #3 has 0 (echo-reply) and request #2 has 8 (echo-request)",
            ],
        );
        // A wrong checksum gets no reply, so there is nothing to compare with.
        script_says(
            user,
            "listen icmp\nset icmp.checksum 1\nsend\nexpect reply icmp.ident == request\n",
            1,
            &["no reply arrived"],
        );
    }
}

#[test]
fn a_reply_described_field_by_field_names_what_differed() {
    for user in users() {
        script_says(
            user,
            "listen icmp\nsend\nexpect reply like icmp.type echo-reply, icmp.code 0, icmp.ident request, icmp.seq request, data c0de within 1s\n",
            0,
            &[
                ": #3 has icmp.type 0 (echo-reply), icmp.code 0, icmp.ident 0, icmp.seq 0, data.data c0 de",
            ],
        );
        script_says(
            user,
            "listen icmp\npayload beef\nsend\nexpect reply like icmp.type echo-request, icmp.code 0, data c0de within 1s\n",
            1,
            &[
                "reply #3 differs in 2 of 3 fields: icmp.type: expected 8 (echo-request), got 0 (echo-reply); data.data: expected c0 de, got be ef",
            ],
        );
    }
}

/// Runs rawlab's prompt on `input` piped to it (as a learner's lines), in the sandbox.
fn piped(user: User, input: &str) -> Run {
    let dir = scratch();
    let state = dir.join("state").display().to_string();
    piped_in(user, input, &dir, &[("XDG_STATE_HOME", &state)])
}

/// The same from `dir` (also HOME), with the environment given (sudo's variables are
/// removed unless given).
fn piped_in(user: User, input: &str, dir: &std::path::Path, env: &[(&str, &str)]) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = command_for(user);
    cmd.args(["--sandbox", "--color", "never"])
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("XDG_STATE_HOME")
        .env_remove("SUDO_UID")
        .env_remove("SUDO_GID");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
        user,
    }
}

#[test]
fn a_script_shows_each_prediction_and_its_answer() {
    for user in users() {
        script_says(
            user,
            "listen icmp\npredict \"How many packets will the listener show?\" -> captured\nsend\npredict \"Which fields will the kernel change?\" -> kernel-changed\nsend\npredict \"Byte 20 of the reply?\" -> reply byte 20\nsend\n",
            0,
            &[
                "? How many packets will the listener show?",
                "answer: 2 captured (#2, #3)",
                "answer: ip.id, ip.checksum, ip.src (#5 against #4)",
                "answer: 0x00 (0) at byte 20 of reply #9",
            ],
        );
        // A wrong checksum gets no reply: a question about the reply has no answer,
        // and the run fails, as a lesson asking it should.
        script_says(
            user,
            "listen icmp\nset icmp.checksum 1\npredict \"What TTL comes back?\" -> reply ip.ttl\nsend\n",
            1,
            &["\"What TTL comes back?\" has no answer: no reply came"],
        );
    }
}

#[test]
fn a_prediction_with_nothing_to_answer_it_is_refused_before_anything_runs() {
    let r = script_says(
        User::Me,
        "predict \"How many?\" -> captured\npredict \"And now?\" -> replies\nsend\npredict \"Left?\" -> replies\n",
        2,
        &[],
    );
    assert!(
        r.stderr.contains("test.rawlab:1:1")
            && r.stderr
                .contains("this prediction is not answered before the next one, at line 2")
            && r.stderr.contains("test.rawlab:4:1")
            && r.stderr
                .contains("no send, ping or trigger comes after this prediction to answer it")
            && r.stderr
                .contains("put the predict just before the send it is about"),
        "{}",
        r.all()
    );
    assert!(!r.stdout.contains("sent"), "{}", r.all());
}

#[test]
fn the_prompt_takes_an_answer_and_says_what_was_right() {
    for user in users() {
        let r = piped(
            user,
            "listen icmp\npredict \"How many?\" -> captured\nthree\n3\nsend\npredict \"Changed?\" -> kernel-changed\nip.id, ip.ttl\nsend\npredict \"TTL?\" -> reply ip.ttl\n64\nsend\n",
        );
        for want in [
            "error: `three` is not a number",
            "type your answer again, or Enter alone to just watch",
            "✗ you said 3; it was 2 captured (#2, #3)",
            "✗ right: ip.id · missed: ip.checksum, ip.src · the kernel left alone: ip.ttl",
            "✓ you said 64: right — 64 in reply #9",
        ] {
            assert!(r.stdout.contains(want), "{want}\n{}", r.all());
        }
    }
}

const TASK: &str = "listen icmp
task \"Make the kernel answer a payload of your own\"
  # Any two bytes but the post's.
  expect reply icmp.type == echo-reply
  expect reply data != c0de
  hint The payload command sets the bytes after the ICMP header.
  hint Try: payload beef
  solution
    payload beef
    send
  end solution
end task
";

#[test]
fn a_script_runs_each_tasks_reference_solution_and_checks_its_goal() {
    for user in users() {
        let ok = script_says(user, TASK, 0, &[]);
        assert!(
            ok.stdout
                .contains("▶ task: Make the kernel answer a payload of your own")
                && ok
                    .stdout
                    .contains("✓ expect reply data.data != c0 de: #3 has be ef"),
            "{}",
            ok.all()
        );
        // A solution that does not reach the goal fails the run, at the goal's line.
        script_says(
            user,
            &TASK.replace("payload beef", "payload c0de"),
            1,
            &["✗ expect reply data.data != c0 de: expected data.data != c0 de, but #3 has c0 de"],
        );
    }
    let dir = scratch();
    std::fs::write(dir.join("t.rawlab"), TASK).unwrap();
    let r = run(
        User::Me,
        &["--sandbox".into(), "--check".into(), "t.rawlab".into()],
        &dir,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("✓ t.rawlab: 2 expects passed, 1 task solved by its reference solution"),
        "{}",
        r.all()
    );
}

#[test]
fn a_malformed_task_is_refused_where_it_is_wrong() {
    let r = script_says(
        User::Me,
        "task \"nothing to check\"\n  solution\n    send\n  end solution\nend task\ntask \"no solution\"\n  expect reply\nend task\ntask \"a stray send\"\n  send\n  expect reply\n  solution\n    send\n  end solution\nend task\nend task\nhint outside\ntask goal\n",
        2,
        &[],
    );
    for want in [
        "test.rawlab:1:1: error: task \"nothing to check\" has no expect lines: nothing says when it is done",
        "add the check the learner's commands must pass, such as: expect reply icmp.type == echo-reply",
        "test.rawlab:6:1: error: task \"no solution\" has no reference solution",
        "test.rawlab:10:3: error: `send` inside a task runs only in its solution",
        "test.rawlab:16:1: error: `end task` with no task open",
        "test.rawlab:17:1: error: this belongs inside a task",
        "test.rawlab:18:6: error: the goal goes in quotes",
    ] {
        assert!(r.stderr.contains(want), "{want}\n{}", r.all());
    }
    assert!(!r.stdout.contains("sent"), "{}", r.all());
}

/// In --step rawlab stops at the task: the learner's own commands run, the failing goal
/// lines are shown after each try, a hint comes after two, and the goal passing ends it.
#[test]
fn in_step_mode_the_learner_solves_a_task_with_their_own_commands() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("setsid").arg("--version").output().is_err() {
        eprintln!("skipped: setsid is missing");
        return;
    }
    let dir = scratch();
    std::fs::write(dir.join("t.rawlab"), TASK).unwrap();
    // setsid: no controlling terminal, so --step reads the learner from standard input.
    let mut child = Command::new("setsid")
        .arg(env!("CARGO_BIN_EXE_rawlab"))
        .args(["--sandbox", "--color", "never", "--step", "t.rawlab"])
        .current_dir(&dir)
        .env("HOME", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"\nsend\nsend\nhint\npayload 0102\nsend\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in [
        "▶ task: Make the kernel answer a payload of your own",
        "☐ expect reply data != c0de",
        "the goal after try 1: 1 of 2 lines still fails",
        "✗ expect reply data != c0de: expected data.data != c0 de, but #3 has c0 de",
        "hint 1 of 2: The payload command sets the bytes after the ICMP header.",
        "hint 2 of 2: Try: payload beef",
        "✓ task done in 3 tries: Make the kernel answer a payload of your own",
    ] {
        assert!(stdout.contains(want), "{want}\n{stdout}");
    }
    assert_eq!(out.status.code(), Some(0), "{stdout}");
}

/// Lesson 1 taken at the prompt as a learner would: each command it offers, an answer to
/// its prediction, and a solution of their own to its task.
const LESSON_1: &str = "lesson 1
listen icmp
2
trigger ping 127.0.0.1
wait 500ms
expect captured 2
expect packet 1 icmp.type == echo-request
expect packet 2 icmp.type == echo-reply
expect packet 1 ip.version == 4
expect packet 1 ip.hdr_len == 20
expect packet 1 icmp.ident != 0
expect reply icmp.ident == request
privilege off
send
expect refused EPERM
trigger ping 127.0.0.1
wait 500ms
expect captured 2
expect reply icmp.type == echo-reply
privilege on
trigger ping 127.0.0.1
trigger ping 127.0.0.2
";

#[test]
fn progress_survives_a_restart_with_a_tick_for_each_lesson_and_task_done() {
    for user in users() {
        let dir = scratch();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let state = dir.join("state");
        let env = [("XDG_STATE_HOME", state.to_str().unwrap())];
        let first = piped_in(user, LESSON_1, &dir, &env);
        for want in [
            "✓ you said 2: right — 2 captured (#1, #2)",
            "▶ task: Ping another address of this host and catch the kernel answering from it",
            "the goal after try 1: 1 of 2 lines still fails",
            "✗ expect reply ip.src == 127.0.0.2: expected ip.src == 127.0.0.2, but #6 has 127.0.0.1",
            "✓ task done in 2 tries: Ping another address of this host and catch the kernel answering from it",
            "end of lesson 01-receive-icmp",
        ] {
            assert!(first.stdout.contains(want), "{want}\n{}", first.all());
        }
        let again = piped_in(user, "lesson\n", &dir, &env);
        for want in [
            "✓  1  a raw socket that receives every ping",
            "       ✓ task: Ping another address of this host and catch the kernel answering from it",
            "       ☐ task: Give the request a TTL of your own",
            "1 of 12 lessons, 1 of 12 tasks",
        ] {
            assert!(again.stdout.contains(want), "{want}\n{}", again.all());
        }
        let file = state.join("rawlab/progress");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("lesson\t01-receive-icmp.rawlab"), "{text}");
    }
}

#[test]
fn a_task_given_up_is_shown_solved_but_not_ticked() {
    let dir = scratch();
    let state = dir.join("state");
    let env = [("XDG_STATE_HOME", state.to_str().unwrap())];
    let input = LESSON_1.replace("trigger ping 127.0.0.2\n", "hint\ngive up\nlesson\n");
    let r = piped_in(User::Me, &input, &dir, &env);
    for want in [
        "hint 1 of 2: `trigger ping` takes any destination",
        "the reference solution:",
        "raw> trigger ping 127.0.0.2",
        "✓ expect reply ip.src == 127.0.0.2",
        "☐ task: Ping another address of this host",
        "1 of 12 lessons, 0 of 12 tasks",
    ] {
        assert!(r.stdout.contains(want), "{want}\n{}", r.all());
    }
}

#[test]
fn a_relative_xdg_state_home_is_ignored() {
    let dir = scratch();
    let r = piped_in(
        User::Me,
        LESSON_1,
        &dir,
        &[("XDG_STATE_HOME", "relative/state")],
    );
    assert!(r.stdout.contains("✓ task done"), "{}", r.all());
    assert!(
        dir.join(".local/state/rawlab/progress").exists(),
        "{}",
        r.all()
    );
    assert!(!dir.join("relative").exists(), "{}", r.all());
}

/// Under sudo rawlab runs as the user who ran it, and the progress file is theirs.
#[test]
fn under_sudo_the_progress_file_belongs_to_the_user() {
    use std::os::unix::fs::MetadataExt;
    if users().len() < 2 {
        eprintln!("skipped: needs root to act as sudo does");
        return;
    }
    let dir = scratch();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let state = dir.join("state");
    let env = [
        ("XDG_STATE_HOME", state.to_str().unwrap()),
        ("SUDO_UID", "65534"),
        ("SUDO_GID", "65534"),
    ];
    let r = piped_in(User::Me, LESSON_1, &dir, &env);
    assert!(r.stdout.contains("✓ task done"), "{}", r.all());
    let file = state.join("rawlab/progress");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "{}", r.all());
    let dir_meta = std::fs::metadata(state.join("rawlab")).unwrap();
    assert_eq!(dir_meta.uid(), 65534);
}

/// In --step only Enter, b and q act: a command typed at the step prompt is refused,
/// not run, whatever it is.
#[test]
fn step_mode_refuses_what_is_not_enter_b_or_q() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("setsid").arg("--version").output().is_err() {
        eprintln!("skipped: setsid is missing");
        return;
    }
    let dir = scratch();
    let mut child = Command::new("setsid")
        .arg(env!("CARGO_BIN_EXE_rawlab"))
        .args(["--sandbox", "--color", "never", "--step", "4"])
        .current_dir(&dir)
        .env("HOME", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"send\n\n\nq\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("`send` is not run here: Enter runs the step, b goes back, q quits"),
        "{stdout}"
    );
    assert!(stdout.contains("template ip/icmp · 30 bytes"), "{stdout}");
    assert!(!stdout.contains("→ sent"), "{stdout}");
    assert_eq!(out.status.code(), Some(0), "{stdout}");
}

/// What the screen says about the kernel must be true of it: Linux's 0x0000 on its
/// echo reply to an all-zero request is wrong by its own check (its receiving side
/// counts the reply in Icmp InCsumErrors, and no echo reply as arrived), and the dump
/// says so; 0xffff where the bytes add up to 0xffff is the other zero, and the kernel
/// answers it; an IPPROTO_RAW listener is told it will hear nothing.
#[test]
fn the_screen_is_right_about_the_kernel() {
    let r = script(
        User::Me,
        "listen icmp\npayload zeros 2\nsend\nexpect reply icmp.checksum == 0\nexpect counted Icmp InCsumErrors == 1\nexpect counted Icmp InEchoReps == 0\nlisten proto 255\n",
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("icmp.checksum      0x0000 ✗ wrong")
            && r.stdout
                .contains("✗ should be 0xffff: every other byte it covers is zero"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains(
            "an IPPROTO_RAW socket only sends, and the kernel hands it no packet it receives"
        ),
        "{}",
        r.all()
    );
    let other = script(
        User::Me,
        "payload f7ff\nset icmp.checksum 0xffff\nsend\nexpect reply icmp.type == echo-reply\nexpect counted Icmp InCsumErrors == 0\n",
    );
    assert_eq!(other.code, 0, "{}", other.all());
    assert!(
        other.stdout.contains("icmp.checksum      0xffff ✓ correct")
            && other
                .stdout
                .contains("0xffff and 0x0000 are both zero in ones' complement"),
        "{}",
        other.all()
    );
}

/// `expect refused`: a send the kernel refuses is expected, and then no failure; one it
/// takes, or refuses for another reason, fails the check.
#[test]
fn a_refused_send_can_be_expected() {
    for user in users() {
        let ok = script(
            user,
            "set ihl 16\nsend\nexpect refused EINVAL\nexpect captured 0\n",
        );
        assert_eq!(ok.code, 0, "{}", ok.all());
        assert!(
            ok.stdout
                .contains("✓ expect refused EINVAL: the kernel refused it with EINVAL"),
            "{}",
            ok.all()
        );
        let taken = script(user, "send\nexpect refused\n");
        assert_eq!(taken.code, 1, "{}", taken.all());
        assert!(
            taken
                .stdout
                .contains("expected the kernel to refuse the send, but it took it"),
            "{}",
            taken.all()
        );
        let other = script(user, "set ihl 16\nsend\nexpect refused EPERM\n");
        assert_eq!(other.code, 1, "{}", other.all());
        assert!(
            other
                .stdout
                .contains("expected the kernel to refuse the send with EPERM, but it said EINVAL"),
            "{}",
            other.all()
        );
    }
}

/// `expect captured by SOCKET`: what one kind of socket caught, so a lesson can show
/// an IPPROTO_RAW listener hearing nothing while the send's own socket hears both.
#[test]
fn captures_are_counted_by_the_socket_that_caught_them() {
    for user in users() {
        script_says(
            user,
            "listen proto 255\nsend\nexpect captured by raw 0\nexpect captured by send 2\n",
            0,
            &[],
        );
        script_says(
            user,
            "listen icmp\nsend\nexpect captured by icmp 0\n",
            1,
            &["expected == 0 captured by icmp, but 2 were"],
        );
        // IPv6's listener by the name `listen` takes: the request and the reply on ::1.
        script_says(
            user,
            "listen icmp6\nnew ip6/icmp6\nsend\nexpect captured by icmp6 2\n",
            0,
            &["2 captured by icmp6"],
        );
    }
}

/// `expect set FIELD`: a task can ask that the learner work a value out themselves.
#[test]
fn a_field_set_by_hand_can_be_expected() {
    script_says(
        User::Me,
        "set icmp.checksum 0x3721\nexpect set icmp.checksum\nsend\nexpect reply\n",
        0,
        &[],
    );
    script_says(
        User::Me,
        "payload beef\nexpect set icmp.checksum\n",
        1,
        &[
            "expected icmp.checksum set by hand (`set icmp.checksum VALUE`), but the template leaves it to rawlab",
        ],
    );
}

/// With IP_HDRINCL the socket keeps the protocol it was opened for when ip.proto says
/// another, and the send's line names the socket it really went through.
#[test]
fn a_send_names_the_socket_it_went_through() {
    let r = script_says(
        User::Me,
        "mode hdrincl\nset ip.proto 17\nlisten link lo once\nsend\nexpect kernel-kept ip.proto\nexpect no reply within 200ms\n",
        0,
        &[],
    );
    assert!(
        r.stdout
            .contains("mode hdrincl: socket(AF_INET, SOCK_RAW, 1) with IP_HDRINCL")
            && r.stdout.contains(
                "#1 → sent 30 bytes to 127.0.0.1 · socket(AF_INET, SOCK_RAW, 1) with IP_HDRINCL"
            ),
        "{}",
        r.all()
    );
}

/// `expect counted`: the kernel's own counters around the last send, so a lesson's
/// "the kernel counts a bad checksum" can fail.
#[test]
fn a_kernel_counter_can_be_expected() {
    for user in users() {
        script_says(
            user,
            "set icmp.checksum 0x1111\nset timeout 300ms\nsend\nexpect counted Icmp InCsumErrors == 1\n",
            0,
            &["✓ expect counted Icmp InCsumErrors == 1: Icmp InCsumErrors moved by 1"],
        );
        script_says(
            user,
            "send\nexpect counted Icmp InCsumErrors >= 1\n",
            1,
            &["expected Icmp InCsumErrors to move by >= 1, but it moved by 0"],
        );
    }
}

/// A lesson draws its packets for teaching: the hex, the summary and the fields with
/// something to say; `dump N` still shows every field, and a plain script shows all.
#[test]
fn a_lesson_draws_the_fields_it_is_about() {
    let dir = scratch();
    let r = run(
        User::Me,
        &[
            "--sandbox".into(),
            "--color".into(),
            "never".into(),
            "6".into(),
        ],
        &dir,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("more fields with nothing to note: `dump 3` shows every one")
            && r.stdout.contains("↳ was 8 (echo-request) in #2")
            && !r.stdout.contains("    ip.version "),
        "{}",
        r.all()
    );
    let three = run(
        User::Me,
        &[
            "--sandbox".into(),
            "--color".into(),
            "never".into(),
            "3".into(),
        ],
        &dir,
    );
    assert!(three.stdout.lines().count() < 500, "{}", three.all());
    // The long word on checksum offload comes once; later segments say it in a few.
    assert_eq!(
        three.stdout.matches("only the pseudo-header sum").count(),
        1,
        "{}",
        three.all()
    );
    assert!(
        three.stdout.contains("checksum offload, as above"),
        "{}",
        three.all()
    );
    // Lesson 2 asks for a dump: that one is whole.
    let two = run(
        User::Me,
        &[
            "--sandbox".into(),
            "--color".into(),
            "never".into(),
            "2".into(),
        ],
        &dir,
    );
    assert!(two.stdout.contains("    ip.version "), "{}", two.all());
    let plain = script(User::Me, "listen icmp\nsend\n");
    assert!(plain.stdout.contains("    ip.version "), "{}", plain.all());
}

/// The `[Enter runs …]` hint is for the screen: a recording keeps the lesson, not it.
#[test]
fn a_recording_of_step_mode_keeps_out_the_hint() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("setsid").arg("--version").output().is_err() {
        eprintln!("skipped: setsid is missing");
        return;
    }
    let dir = scratch();
    let mut child = Command::new("setsid")
        .arg(env!("CARGO_BIN_EXE_rawlab"))
        .args([
            "--sandbox",
            "--color",
            "never",
            "--record",
            "s.cast",
            "--step",
            "4",
        ])
        .current_dir(&dir)
        .env("HOME", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"\n\nq\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[Enter runs · b back · q quit]"),
        "{stdout}"
    );
    let cast = std::fs::read_to_string(dir.join("s.cast")).unwrap();
    assert!(cast.contains("raw> show"), "{cast}");
    assert!(!cast.contains("Enter runs"), "{cast}");
    // A marker per step, so a player can jump from one to the next.
    assert!(
        cast.lines().any(|l| l.contains("\"m\"")
            && l.contains("lesson 04-craft-ip-header:")
            && l.ends_with(" show\"]")),
        "{cast}"
    );
}
