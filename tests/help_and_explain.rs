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
}
