//! `help` has an entry for every command and `explain` one for every field of
//! every protocol table: this walks both tables through a real session.

use rawlab::command::COMMANDS;
use rawlab::net::Net;
use rawlab::render::Style;
use rawlab::session::Session;
use rawlab::wire::{DATA, PROTOCOLS};

fn run(s: &mut Session, line: &str) -> String {
    let mut out = Vec::new();
    s.run_line(line, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn help_covers_every_command_with_a_worked_example() {
    let mut s = Session::new(
        Net::Unavailable("no network in this test".into()),
        Style::PLAIN,
    );
    let list = run(&mut s, "help");
    for c in COMMANDS {
        assert!(list.contains(c.syntax), "`help` does not list {}", c.name);
        let one = run(&mut s, &format!("help {}", c.name));
        assert!(one.starts_with(c.syntax), "help {}:\n{one}", c.name);
        assert!(
            one.contains(&format!("example: {}", c.example)),
            "help {}:\n{one}",
            c.name
        );
        assert!(
            one.contains(&c.detail[..20]),
            "help {} lacks its detail:\n{one}",
            c.name
        );
        assert!(!one.contains("error"), "help {}:\n{one}", c.name);
    }
}

#[test]
fn explain_covers_every_field_of_every_table() {
    let mut s = Session::new(
        Net::Unavailable("no network in this test".into()),
        Style::PLAIN,
    );
    let fields = PROTOCOLS
        .iter()
        .flat_map(|p| p.all_fields())
        .chain(std::iter::once(&DATA));
    let mut n = 0;
    for f in fields {
        let out = run(&mut s, &format!("explain {}", f.name));
        assert!(
            out.starts_with(&format!("{} — {}", f.name, f.meaning)),
            "explain {}:\n{out}",
            f.name
        );
        for label in ["where", "values", "filled by", "about", "defined", "now"] {
            assert!(
                out.contains(&format!("  {label}")),
                "explain {} lacks {label}:\n{out}",
                f.name
            );
        }
        assert!(
            out.contains(f.rfc),
            "explain {} lacks its RFC:\n{out}",
            f.name
        );
        n += 1;
    }
    assert!(n >= 20, "only {n} fields walked");
    // The fields inside options and records too, which are set as their tail's bytes.
    for p in PROTOCOLS {
        for f in p.item_fields() {
            let out = run(&mut s, &format!("explain {}", f.name));
            assert!(
                out.starts_with(&format!("{} — {}", f.name, f.meaning)) && out.contains(f.rfc),
                "explain {}:\n{out}",
                f.name
            );
            // ip.opt.ra is also the router alert option, explained as one.
            let place = if rawlab::wire::option_named_by(f).is_some() {
                "  where      one option in "
            } else {
                "  where      inside "
            };
            assert!(out.contains(place), "explain {}:\n{out}", f.name);
        }
    }
    // Each option set by name: where it goes, how to set it, its fields, what the
    // template holds.
    for p in PROTOCOLS {
        for n in rawlab::wire::option_lists(p).flat_map(|l| l.named) {
            let out = run(&mut s, &format!("explain {}", n.field.name));
            assert!(
                out.starts_with(&format!("{} — {}", n.field.name, n.field.meaning)),
                "{out}"
            );
            for label in ["where", "set", "about", "defined", "now"] {
                assert!(
                    out.contains(&format!("  {label} ")),
                    "explain {} lacks {label}:\n{out}",
                    n.field.name
                );
            }
            assert!(out.contains(n.syntax) && out.contains(n.field.rfc), "{out}");
        }
    }
    run(&mut s, "new ip/icmp");
    run(&mut s, "set ip.opt.rr 2");
    let out = run(&mut s, "explain ip.opt.rr");
    assert!(
        out.contains(
            "now        11 bytes in the template's ip.options: 07 0b 04 00 00 00 00 00 00 00 00"
        ),
        "{out}"
    );
    assert!(
        out.contains("fields     ip.opt.type, ip.opt.len, ip.opt.ptr, ip.rec_rt, ip.empty_rt"),
        "{out}"
    );
    assert!(
        run(&mut s, "explain ip.opt.ts").contains("now        none in the template's ip.options")
    );
    // A field of the quoted datagram, by the name `set quoted.` takes.
    run(&mut s, "new ip/icmp/ip/udp");
    run(&mut s, "set quoted.ip.ttl 3");
    let out = run(&mut s, "explain quoted.ip.ttl");
    assert!(out.starts_with("quoted.ip.ttl — time to live"), "{out}");
    assert!(
        out.contains(
            "now        3 in the template's quoted datagram (`set quoted.ip.ttl` changes it)"
        ),
        "{out}"
    );
    let out = run(&mut s, "explain quoted.ip.id");
    assert!(
        out.contains("filled by  you: in a quoted datagram no kernel fills it"),
        "{out}"
    );
    // In a template that has it, a record's field says what the template holds.
    run(&mut s, "new ip/udp/dns");
    let out = run(&mut s, "explain dns.qry.name");
    assert!(
        out.contains("now        example.com in the template"),
        "{out}"
    );
    assert!(run(&mut s, "explain dns.id").contains("DNS header, bytes 0–1"));
}

/// `explain` on a checksum works it by hand over the template's bytes: each word and
/// the sum so far, the carries, the complement, and whether the template's value is it.
#[test]
fn explain_works_a_checksum_by_hand() {
    let mut s = Session::new(
        Net::Unavailable("no network in this test".into()),
        Style::PLAIN,
    );
    let out = run(&mut s, "explain icmp.checksum");
    for line in [
        "over the template's bytes 20–29 (the ICMP header and what it carries), its own bytes 22–23 counted as 0000",
        "20–21     + 0800   sum 0x0800",
        "22–23     + 0000   sum 0x0800  ← icmp.checksum, counted as 0",
        "28–29     + c0de   sum 0xc8de",
        "carries: none, 0xc8de fits in 16 bits",
        "complement: every bit flipped, ~0xc8de = 0x3721",
        "the template holds 0x3721: it adds up ✓",
    ] {
        assert!(out.contains(line), "{line:?} missing:\n{out}");
    }
    run(&mut s, "set icmp.checksum 0x1111");
    let out = run(&mut s, "explain icmp.checksum");
    assert!(
        out.contains("the template holds 0x1111, not 0x3721"),
        "{out}"
    );
    // The IP header's sum carries, and the kernel fills the field.
    let out = run(&mut s, "explain ip.checksum");
    assert!(
        out.contains(
            "0x10420 is wider than 16 bits; add what overflowed back in: 0x0420 + 0x1 = 0x0421"
        ),
        "{out}"
    );
    assert!(
        out.contains("left 0 for the kernel") || out.contains("leaves it 0 for the kernel"),
        "{out}"
    );
    // UDP's covers a pseudo-header first, and an odd last byte is padded.
    run(&mut s, "new ip/udp");
    run(&mut s, "payload \"hello\"");
    let out = run(&mut s, "explain udp.checksum");
    assert!(
        out.contains("pseudo-header (both addresses, the protocol, the length) sums to 0x"),
        "{out}"
    );
    assert!(out.contains("32+pad    + 6f00"), "{out}");
    assert!(out.contains("it adds up ✓"), "{out}");
    // A field that is no checksum gets no workbench.
    assert!(!run(&mut s, "explain udp.length").contains("worked"));
}

/// The man page is one page: its command reference is the table's, and it names no
/// page that does not exist.
#[test]
fn the_man_page_holds_every_command_and_the_usual_sections() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rawlab"))
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    for s in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH COMMANDS",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"SEE ALSO\"",
    ] {
        let bare = s.replace('"', "");
        assert!(
            page.contains(s) || page.contains(&bare),
            "the man page has no {s}"
        );
    }
    assert!(!page.contains("rawlab-read"), "no rawlab-read(1) exists");
    assert!(
        page.contains("\\-\\-format"),
        "read's --format is described"
    );
    for c in COMMANDS {
        let example = c.example.replace('-', "\\-");
        assert!(
            page.contains(&format!("Example: \\fB{example}\\fR")),
            "the man page lacks {}",
            c.name
        );
    }
    for v in ["NO_COLOR", "TERM", "XDG_STATE_HOME", "SUDO_UID"] {
        assert!(page.contains(v), "ENVIRONMENT lacks {v}");
    }
    assert!(page.is_ascii(), "roff escapes every other character");
}
