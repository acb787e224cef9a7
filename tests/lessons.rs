//! Every lesson, run and checked the way a learner or CI would: `rawlab --check`
//! in the sandbox, as the current user and as an ordinary one. Where the lesson
//! text and the kernel disagree, this fails.

mod common;
use common::*;

#[test]
fn every_lesson_passes_its_expects() {
    let lessons = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let n = std::fs::read_dir(lessons)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rawlab"))
        .count();
    for user in users() {
        let dir = scratch();
        // Copy the lessons where an ordinary user may read them.
        let copy = dir.join("lessons");
        std::fs::create_dir(&copy).unwrap();
        for e in std::fs::read_dir(lessons).unwrap().flatten() {
            std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
        }
        let r = run(
            user,
            &["--sandbox".into(), "--check".into(), "lessons".into()],
            &dir,
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains(&format!("{n} of {n} scripts passed")),
            "{}",
            r.all()
        );
        assert!(!r.stdout.contains("✗"), "{}", r.all());
    }
}

#[test]
fn the_embedded_lessons_are_the_ones_in_the_tree() {
    let dir = scratch();
    let r = run(User::Me, &["--sandbox".into(), "--check".into()], &dir);
    let n = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons"))
        .unwrap()
        .count();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains(&format!("{n} of {n} scripts passed")),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("✓ lesson 01-receive-icmp:"),
        "{}",
        r.all()
    );
}

#[test]
fn a_failed_expect_is_named_with_expected_and_actual() {
    let r = run_script(
        User::Me,
        "send\nexpect reply icmp.type == echo-request\n",
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    let dir = scratch();
    let file = dir.join("bad.rawlab");
    std::fs::write(
        &file,
        "send\nexpect reply icmp.type == echo-request\nexpect captured 2\n",
    )
    .unwrap();
    let r = run(
        User::Me,
        &[
            "--sandbox".into(),
            "--check".into(),
            file.display().to_string(),
        ],
        &dir,
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("1 of 2 failed"), "{}", r.all());
    assert!(
        r.stdout.contains(":2: expect reply icmp.type == echo-request — expected icmp.type == 8 (echo-request), but #3 has 0 (echo-reply)"),
        "{}",
        r.all()
    );
}

#[test]
fn a_lesson_runs_by_number_from_the_binary_alone() {
    let dir = scratch();
    let r = run(
        User::Me,
        &[
            "--sandbox".into(),
            "--color".into(),
            "never".into(),
            "1".into(),
        ],
        &dir,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("# Lesson 1 — a raw socket that receives every ping"),
        "{}",
        r.all()
    );
}

#[test]
fn record_and_transcript_keep_the_session() {
    for user in users() {
        let dir = scratch();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let args: Vec<String> = [
            "--sandbox",
            "--color",
            "always",
            "--record",
            "s.cast",
            "--transcript",
            "s.html",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let r = run(user, &args, &dir);
        assert_eq!(r.code, 0, "{}", r.all());
        let cast = std::fs::read_to_string(dir.join("s.cast")).unwrap();
        let mut lines = cast.lines();
        let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        assert_eq!(header["version"], 2, "{header}");
        assert!(header["width"].as_u64().unwrap() > 0 && header["height"].as_u64().unwrap() > 0);
        let mut last = 0.0;
        let mut text = String::new();
        let mut markers = Vec::new();
        for l in lines {
            let ev: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = ev[0].as_f64().unwrap();
            assert!(t >= last, "events go forward in time");
            last = t;
            match ev[1].as_str() {
                Some("o") => text.push_str(ev[2].as_str().unwrap()),
                Some("m") => markers.push(ev[2].as_str().unwrap().to_string()),
                other => panic!("an event of kind {other:?}: {l}"),
            }
        }
        // The lesson is marked once, so a player can jump to it.
        assert_eq!(
            markers,
            ["Lesson 1 — a raw socket that receives every ping"],
            "{cast}"
        );
        assert!(
            text.contains("Lesson 1") && text.contains("\r\n") && text.contains("\x1b["),
            "the output, coloured"
        );
        let html = std::fs::read_to_string(dir.join("s.html")).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        assert!(
            html.contains("<span style=\"") && html.contains("Lesson 1") && !html.contains('\x1b')
        );
        // Made by the user who ran rawlab, and never overwritten without --force.
        let again = run(user, &args, &dir);
        assert_eq!(again.code, 2, "{}", again.all());
        assert!(
            again
                .stderr
                .contains("already exists; rawlab does not overwrite files (add --force"),
            "{}",
            again.all()
        );
    }
}

/// A transcript is coloured whatever stdout is (a pipe here, which gets no colour), its
/// narration at full strength rather than dim, one heading with an anchor for the
/// lesson, and lines that scroll rather than wrap into the margin.
#[test]
fn a_transcript_is_coloured_and_headed_whatever_stdout_is() {
    let dir = scratch();
    let args: Vec<String> = ["--transcript", "t.html", "--record", "t.cast", "2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let r = run(User::Me, &args, &dir);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        !r.stdout.contains('\x1b'),
        "stdout is a pipe: no colour\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  Bytes 2-3: the total length"),
        "{}",
        r.stdout
    );
    let cast = std::fs::read_to_string(dir.join("t.cast")).unwrap();
    assert!(
        !cast.contains("\\u001b["),
        "the recording keeps what the screen got"
    );
    let html = std::fs::read_to_string(dir.join("t.html")).unwrap();
    assert!(html.contains("<span style=\"color:"), "coloured");
    let headings: Vec<&str> = html.matches("<h2 id=\"").collect();
    assert_eq!(headings.len(), 1, "{html}");
    assert!(
        html.contains("<h2 id=\"lesson-2\"><a href=\"#lesson-2\">Lesson 2 — "),
        "{html}"
    );
    // Narration is bold text, not a dim comment.
    let line = html
        .lines()
        .find(|l| l.contains("Bytes 2-3: the total length"))
        .unwrap();
    assert!(
        line.contains("font-weight:bold") && !line.contains("opacity") && !line.contains("# "),
        "{line}"
    );
    assert!(html.contains("white-space:pre;overflow-x:auto"), "{html}");
    // A lesson begun by `lesson N` gets its heading too, a lesson taken again an anchor
    // of its own.
    std::fs::write(
        dir.join("twice.rawlab"),
        "lesson 1\nlesson stop\nlesson 1\n",
    )
    .unwrap();
    let args: Vec<String> = ["--sandbox", "--transcript", "again.html", "twice.rawlab"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let r = run(User::Me, &args, &dir);
    assert_eq!(r.code, 0, "{}", r.all());
    let html = std::fs::read_to_string(dir.join("again.html")).unwrap();
    let ids: Vec<&str> = html
        .match_indices("<h2 id=\"")
        .map(|(i, m)| html[i + m.len()..].split('"').next().unwrap())
        .collect();
    assert_eq!(ids, ["lesson-1", "lesson-1-2"], "{html}");
}

/// A lesson runs in the sandbox even with privilege (root in CI), and so does a check:
/// lessons expect the sandbox's loopback and peer, not the host's network.
#[test]
fn lessons_and_checks_run_in_the_sandbox_whatever_the_privilege() {
    for user in users() {
        let dir = scratch();
        for args in [vec!["--color", "never", "1"], vec!["--check", "1"]] {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let r = run(user, &args, &dir);
            assert_eq!(r.code, 0, "{}", r.all());
            assert!(
                r.stderr
                    .contains("sandbox network (lessons run here, the same on every machine)"),
                "{}",
                r.all()
            );
        }
    }
}
