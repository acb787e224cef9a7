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
        let (stdout, _, code) = piped(user, b"set ttl 7\nsay caf\xe9\nshow\n");
        assert!(
            stdout.contains("line 2 of standard input is not UTF-8 (byte 8 is 0xe9): dropped"),
            "[{user:?}] {stdout}"
        );
        assert!(
            stdout.contains("ip.ttl             7"),
            "the rest ran: {stdout}"
        );
        assert_eq!(code, Some(1), "{stdout}");
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

/// The hostile corpus: the lines of tests/fixtures/hostile/*.txt (bytes that are not
/// UTF-8, NUL and control bytes, terminal escapes in every place a word goes), lines
/// of a megabyte, and every command of the table with the wrong number of words (each
/// one the parser refuses).
fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        lines.extend(
            bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    assert!(
        lines.len() >= 40,
        "the committed corpus holds {} lines",
        lines.len()
    );
    const MB: usize = 1 << 20;
    lines.push(vec![b'a'; MB]);
    lines.push([b"say ".as_slice(), &vec![b'x'; MB]].concat());
    lines.push([b"payload ".as_slice(), &b"ab".repeat(MB / 2)].concat());
    lines.push([b"set ttl ".as_slice(), &vec![b'9'; MB]].concat());
    lines.push([b"payload \"".as_slice(), &vec![b'q'; MB]].concat());
    lines.push([b"send ".as_slice(), &b"count ".repeat(MB / 6)].concat());
    lines.extend(wrong_arity().into_iter().map(String::into_bytes));
    lines
}

/// Every command of the table, once with nothing after its name and once with its
/// example and a word too many: those the parser refuses. Only `say`, `#` and `lesson`
/// take any words at all, and `expect` has a shape for every count.
fn wrong_arity() -> Vec<String> {
    use rawlab::command::{COMMANDS, Context, parse};
    use rawlab::wire::{icmp, ipv4};
    let stack = [&ipv4::IPV4, &icmp::ICMP];
    let ctx = Context::new(&stack);
    let mut lines = Vec::new();
    let mut none = Vec::new();
    for c in COMMANDS {
        let tried = [c.name.to_string(), format!("{} extra words", c.example)];
        let refused: Vec<String> = tried
            .into_iter()
            .filter(|l| parse(l, &ctx).is_err())
            .collect();
        if refused.is_empty() {
            none.push(c.name);
        }
        lines.extend(refused);
    }
    assert_eq!(
        none,
        ["hint", "say"],
        "commands that take any number of words"
    );
    lines
}

/// Runs rawlab as `user` on `input` through a pipe (standard input not a terminal),
/// killed after 90 s.
fn piped(user: User, input: &[u8]) -> (String, String, Option<i32>) {
    use std::io::Write;
    use std::process::Stdio;
    let dir = scratch();
    let path = dir.join("in.txt");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(input)
        .unwrap();
    let child = command_for(user)
        .args(["--sandbox", "--color", "never"])
        .current_dir(&dir)
        .env("HOME", &dir)
        .env_remove("SUDO_UID")
        .stdin(std::fs::File::open(&path).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if rx.recv_timeout(std::time::Duration::from_secs(90)).is_err() {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = tx.send(());
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// What the parser says of a line (None when it takes it, or the line is not UTF-8).
fn refused(line: &[u8]) -> Option<bool> {
    use rawlab::command::{Context, parse};
    use rawlab::wire::{icmp, ipv4};
    let text = std::str::from_utf8(line).ok()?;
    let stack = [&ipv4::IPV4, &icmp::ICMP];
    Some(parse(text, &Context::new(&stack)).is_err())
}

/// The whole corpus piped into the prompt, a good line after each bad one: nothing
/// panics, each bad line gets a message that says where (a caret under the line, or the
/// line's number and byte), every good line after it runs, nothing reaches the terminal
/// raw, and the exit status says there were errors.
#[test]
fn the_hostile_corpus_through_the_piped_prompt() {
    let corpus = corpus();
    let mut input = Vec::new();
    for (i, line) in corpus.iter().enumerate() {
        input.extend_from_slice(line);
        input.extend_from_slice(format!("\nsay marker-{i}\n").as_bytes());
    }
    input.extend_from_slice(b"set ttl 9\nshow\n");
    for user in users() {
        let (stdout, stderr, code) = piped(user, &input);
        assert!(!stderr.contains("panicked"), "[{user:?}] {stderr}");
        assert_eq!(code, Some(1), "[{user:?}] errors make exit 1: {stderr}");
        for c in ['\u{1b}', '\u{7}', '\u{9b}', '\0'] {
            assert!(
                !stdout.contains(c),
                "[{user:?}] {c:?} reached the terminal raw"
            );
        }
        let mut rest = stdout.as_str();
        for (i, line) in corpus.iter().enumerate() {
            let marker = format!("\nmarker-{i}\n");
            let at = rest.find(&marker).unwrap_or_else(|| {
                panic!(
                    "[{user:?}] the good line after corpus line {i} ({:?}) did not run",
                    String::from_utf8_lossy(&line[..line.len().min(60)])
                )
            });
            let said = &rest[..at];
            rest = &rest[at + marker.len() - 1..];
            let shown = String::from_utf8_lossy(&line[..line.len().min(60)]).into_owned();
            match refused(line) {
                // Longer than a line may be: dropped, with its line number and length.
                _ if line.len() > 1 << 20 => assert!(
                    said.contains(&format!(
                        "line {} of standard input is {} bytes, more than the 1048576 a line may have: dropped",
                        2 * i + 1,
                        line.len()
                    )),
                    "[{user:?}] {shown:?}: {said}"
                ),
                // Not UTF-8: dropped, with its line number and the byte.
                None if std::str::from_utf8(line).is_err() => assert!(
                    said.contains(&format!("line {} of standard input is not UTF-8 (byte ", 2 * i + 1)),
                    "[{user:?}] {shown:?}: {said}"
                ),
                // Refused by the parser: the line shown with a caret under the place.
                Some(true) => assert!(
                    said.contains("error: ") && said.contains("  │ ") && said.contains('^'),
                    "[{user:?}] {shown:?}: {}",
                    &said[..said.len().min(2000)]
                ),
                _ => {}
            }
        }
        assert!(
            rest.contains("ip.ttl             9"),
            "[{user:?}] the session went on"
        );
    }
}

/// Runs the script `file` in the sandbox, which must refuse it whole: exit 2, no
/// panic, none of its lines run.
fn refused_whole(user: User, file: &std::path::Path, dir: &std::path::Path) -> Run {
    let r = run(
        user,
        &[
            "--sandbox".into(),
            "--color".into(),
            "never".into(),
            file.display().to_string(),
        ],
        dir,
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(!r.stderr.contains("panicked"), "{}", r.all());
    assert!(!r.stdout.contains("marker-"), "nothing ran: {}", r.all());
    r
}

/// The same corpus as script files: the runner reads every line before it runs any, so
/// a script with bad lines runs none of them (exit 2) and names each one by line and
/// column: the lines that are not UTF-8, or, once those are gone, every line the parser
/// refuses.
#[test]
fn the_hostile_corpus_through_the_script_runner() {
    let corpus = corpus();
    let script = |lines: &[&Vec<u8>]| {
        let mut s = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            s.extend_from_slice(l);
            s.extend_from_slice(format!("\nsay marker-{i}\n").as_bytes());
        }
        s
    };
    let all: Vec<&Vec<u8>> = corpus.iter().collect();
    let text: Vec<&Vec<u8>> = corpus
        .iter()
        .filter(|l| std::str::from_utf8(l).is_ok())
        .collect();
    for user in users() {
        let dir = scratch();
        let file = dir.join("hostile.rawlab");
        std::fs::write(&file, script(&all)).unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let r = refused_whole(user, &file, &dir);
        // The first line that is not UTF-8 is `say caf\xe9`, the first of bytes.txt.
        let first = 2 * corpus
            .iter()
            .position(|l| std::str::from_utf8(l).is_err())
            .unwrap()
            + 1;
        assert!(
            r.stderr.contains(&format!(
                "{}:{first}:8: byte 0xe9 is not UTF-8",
                file.display()
            )),
            "{}",
            r.all()
        );
        assert!(
            r.stderr.contains("more lines; nothing was run"),
            "{}",
            r.all()
        );

        std::fs::write(&file, script(&text)).unwrap();
        let r = refused_whole(user, &file, &dir);
        for c in ['\u{1b}', '\u{7}', '\u{9b}', '\0'] {
            assert!(!r.stderr.contains(c), "{c:?} reached the terminal raw");
        }
        let bad: Vec<usize> = text
            .iter()
            .enumerate()
            .filter(|(_, l)| refused(l) == Some(true))
            .map(|(i, _)| 2 * i + 1)
            .collect();
        for n in &bad {
            let place = format!("{}:{n}:", file.display());
            assert!(
                r.stderr
                    .lines()
                    .any(|l| l.starts_with(&place) && l.contains(": error: ")),
                "line {n} is named: {}",
                &r.stderr[..r.stderr.len().min(3000)]
            );
        }
        assert!(
            r.stderr
                .contains(&format!("has {} errors; nothing was run", bad.len())),
            "{}",
            &r.stderr[r.stderr.len().saturating_sub(500)..]
        );
    }
}

/// A script is checked before it runs against a fresh template's room; when it runs, the
/// options set since take room too, and a payload that no longer fits is refused there.
#[test]
fn a_payload_is_held_to_the_room_the_headers_leave_when_it_runs() {
    let r = run_script(
        User::Me,
        "new ip/udp\nset ip.options 01010100\npayload zeros 65507\npayload zeros 65503\nhex\n",
        &[],
    );
    assert!(
        r.stdout.contains(
            "error: 65507 bytes of payload do not fit: an IP packet holds 65535 bytes, and the headers of ip/udp as set now leave 65503"
        ),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("payload: 65503 zero bytes"),
        "{}",
        r.all()
    );
    assert_eq!(r.code, 1, "{}", r.all());
}
