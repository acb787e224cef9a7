//! Hostile input, end to end: what a pipe, a terminal or a file may throw at rawlab
//! (bytes that are not UTF-8, lines too long), each answered with a message saying
//! where and what, and the session going on.

mod common;
use common::*;

/// Piped into the prompt, a line that is not UTF-8 is dropped with its line number and
/// the lines after it run; the exit status says something went wrong.
#[test]
fn piped_input_drops_a_bad_byte_line_and_goes_on() {
    for user in users() {
        let dir = scratch();
        let input = dir.join("in.txt");
        std::fs::write(&input, b"set ttl 7\nsay caf\xe9\nshow\n").unwrap();
        std::fs::set_permissions(&input, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let mut cmd = command_for(user);
        cmd.args(["--sandbox", "--color", "never"])
            .stdin(std::fs::File::open(&input).unwrap())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("line 2 of standard input is not UTF-8 (byte 8 is 0xe9): dropped"),
            "[{user:?}] {stdout}"
        );
        assert!(
            stdout.contains("ip.ttl             7"),
            "the rest ran: {stdout}"
        );
        assert_eq!(out.status.code(), Some(1), "{stdout}");
    }
}

/// A script from someone else cannot drive the terminal: escape sequences in `say`,
/// a comment or a command line come out as visible escapes, never raw.
#[test]
fn escape_sequences_in_a_script_are_shown_not_obeyed() {
    let r = run_script(
        User::Me,
        "say hi \u{1b}]0;pwned\u{7} \u{1b}[2J there\n# note \u{1b}[31mred\n",
        &[],
    );
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
        "raw control characters reached the terminal: {:?}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("hi \\u{1b}]0;pwned\\u{7} \\u{1b}[2J there"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("# note \\u{1b}[31mred"), "{}", r.stdout);
    // A bad line is reported with its caret, the escape drawn as a mark.
    let bad = run_script(User::Me, "set ttl 5 \u{1b}[1A\n", &[]);
    assert!(!bad.all().contains('\u{1b}'), "{:?}", bad.all());
    assert!(bad.stderr.contains("error"), "{}", bad.all());
}

/// `load` and `save!` of a named pipe or a terminal are refused at once instead of
/// blocking in open, where Ctrl-C cannot reach; the session goes on.
#[test]
fn load_and_save_refuse_pipes_and_devices_instead_of_blocking() {
    let dir = scratch();
    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is missing");
        return;
    }
    let r = run_script(
        User::Me,
        &format!(
            "load {f}\nload /dev/tty\nsend\nsave! {f}\nset ttl 3\nshow\n",
            f = fifo.display()
        ),
        &[],
    );
    assert!(
        r.stdout
            .contains("is a named pipe (FIFO), not a capture file"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("/dev/tty is a character device"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("it is a named pipe (FIFO), not a file"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("ip.ttl = 3 (was 64)"),
        "the session went on: {}",
        r.all()
    );
}
