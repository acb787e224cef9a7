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
