//! The lab never lies, end to end: every packet related correctly, in the sandbox,
//! as the current user and as an ordinary one. A send the kernel refused is no
//! packet; a copy on the wire is recognised whatever the kernel rewrote; answers
//! of every protocol rawlab sends are matched to their send.

mod common;
use common::*;

/// The headings and relation lines of a run, without the field rows.
fn outline(out: &str) -> String {
    out.lines()
        .filter(|l| !l.starts_with("    ") && !l.starts_with("  0"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_refused_send_is_no_packet_and_disturbs_nothing_after_it() {
    for user in users() {
        let r = run_script(
            user,
            "set ip.hdr_len 16\nsend\nunset ip.hdr_len\nsend\ncaptures\n",
            &[],
        );
        let o = outline(&r.stdout);
        assert!(
            o.contains("error: sendto 127.0.0.1 failed: Invalid argument"),
            "{o}"
        );
        // The refused send took no number: the one that went is #1, its copy #2, and
        // the reply #3 answers it within microseconds.
        assert!(o.contains("#1 → sent 30 bytes to 127.0.0.1"), "{o}");
        assert_eq!(o.matches("→ sent 30 bytes").count(), 1, "{o}");
        assert!(
            o.contains(
                "this is #1 as it went on the wire: the kernel changed ip.id, ip.checksum, ip.src"
            ),
            "{o}"
        );
        assert!(
            !o.contains("changed ip.hdr_len"),
            "nothing blamed on the refused header: {o}"
        );
        assert!(o.contains("reply to #2, your #1"), "{o}");
        assert!(!o.contains("no reply"), "{o}");
        assert!(o.contains("3 packets;"), "{o}");
    }
}

#[test]
fn a_copy_is_recognised_whatever_the_kernel_rewrote() {
    for user in users() {
        // ip.len pinned shorter and longer than the packet: Linux writes the real one.
        let r = run_script(
            user,
            "set ip.len 20\nsend\nset ip.len 200\nsend\nset ip.id 0x1234\nset ip.src 127.0.0.1\nunset ip.len\nmode hdrincl\nsend\n",
            &[],
        );
        let o = outline(&r.stdout);
        assert!(
            o.contains("this is #1 as it went on the wire: the kernel changed ip.len, ip.id, ip.checksum, ip.src"),
            "{o}"
        );
        assert!(
            o.contains("this is #4 as it went on the wire: the kernel changed ip.len, ip.id, ip.checksum, ip.src"),
            "{o}"
        );
        // Kept what was set: only the checksum is the kernel's.
        assert!(
            o.contains("this is #7 as it went on the wire: the kernel changed ip.checksum"),
            "{o}"
        );
        for (reply, sent) in [(3, 1), (6, 4), (9, 7)] {
            assert!(
                o.contains(&format!("reply to #{}, your #{sent}", reply - 1)),
                "#{reply} answers #{sent}: {o}"
            );
        }
        assert!(!o.contains("no reply"), "{o}");
    }
}
