//! `rawlab man`: one page, rawlab(1). The command line's part comes from clap; the
//! subcommands are described on this page (there is no rawlab-read(1)); the reference
//! of the commands typed at the prompt and in scripts comes from the command table, so
//! the page never tells another story than `help`.

use crate::command::COMMANDS;
use std::io::{self, Write};

/// Text made safe for roff: backslashes escaped, and a line that would start with a
/// control character (`.` or `'`) guarded.
fn roff(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\e"),
            '-' => escaped.push_str("\\-"),
            // Any other character roff reads as is when it is ASCII; the rest by number,
            // so the page needs no input encoding.
            c if c.is_ascii() => escaped.push(c),
            c => escaped.push_str(&format!("\\[u{:04X}]", c as u32)),
        }
    }
    escaped
        .lines()
        .map(|l| {
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text with `code` in backquotes set in bold, as the help texts write commands.
fn roff_prose(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("\\fB{}\\fR", roff(part)));
        } else {
            out.push_str(&roff(part));
        }
    }
    out
}

fn section(out: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(out, ".SH {title}")
}

/// An indented paragraph with a bold tag.
fn item(out: &mut dyn Write, tag: &str, body: &str) -> io::Result<()> {
    writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(tag), body)
}

/// The whole page, for the command line `cmd` describes.
pub fn page(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    subcommands(&cmd, out)?;
    commands(out)?;
    conventions(out)?;
    man.render_version_section(out)?;
    Ok(())
}

/// Each subcommand with its arguments, on this page.
fn subcommands(cmd: &clap::Command, out: &mut dyn Write) -> io::Result<()> {
    section(out, "SUBCOMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let args: Vec<String> = sub
            .get_arguments()
            .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
            .map(|a| match (a.get_long(), a.get_value_names()) {
                (Some(l), Some(v)) => format!("[--{l} {}]", v[0]),
                (Some(l), None) => format!("[--{l}]"),
                (None, Some(v)) => v[0].to_string(),
                (None, None) => a.get_id().to_string(),
            })
            .collect();
        let tag = format!("rawlab {} {}", sub.get_name(), args.join(" "));
        let mut body = sub
            .get_about()
            .map(|a| roff(&a.to_string()))
            .unwrap_or_default();
        for a in sub.get_arguments().filter(|a| a.get_help().is_some()) {
            let name = match a.get_long() {
                Some(l) => format!("--{l}"),
                None => a.get_id().to_string(),
            };
            let values: Vec<String> = a
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect();
            let choices = if values.is_empty() {
                String::new()
            } else {
                format!(" (one of: {})", values.join(", "))
            };
            body.push_str(&format!(
                "\n.br\n\\fB{}\\fR: {}{}",
                roff(&name),
                roff(&a.get_help().map(|h| h.to_string()).unwrap_or_default()),
                roff(&choices)
            ));
        }
        item(out, tag.trim_end(), &body)?;
    }
    Ok(())
}

/// The command table, as `help COMMAND` shows each entry.
fn commands(out: &mut dyn Write) -> io::Result<()> {
    section(out, "COMMANDS")?;
    writeln!(
        out,
        "{}",
        roff_prose(
            "What can be typed at rawlab's prompt, one per line in a script, and in a lesson. Fields take Wireshark's names (`ip.ttl`, `icmp.type`) or a short name that fits one field (`ttl`); `help COMMAND` at the prompt shows the same text, and Tab completes."
        )
    )?;
    for c in COMMANDS {
        let mut body = roff_prose(c.summary);
        if !c.aliases.is_empty() {
            body.push_str(&format!("\n.br\nAlso: {}.", roff(&c.aliases.join(", "))));
        }
        body.push_str(&format!(
            "\n.br\nExample: \\fB{}\\fR\n.br\n{}",
            roff(c.example),
            roff_prose(c.detail)
        ));
        item(out, c.syntax, &body)?;
    }
    Ok(())
}

/// Exit status, environment, files, and where to read on.
fn conventions(out: &mut dyn Write) -> io::Result<()> {
    section(out, "EXIT STATUS")?;
    for (code, meaning) in [
        ("0", "Everything ran; every expect held."),
        (
            "1",
            "A script's command or expect failed, piped input held a line that could not run, a capture file could not be read, or rawlab could not give up root.",
        ),
        (
            "2",
            "A usage error: an unknown option or script, two scripts without --check, a recording that cannot be written.",
        ),
        ("130", "Interrupted by Ctrl-C (SIGINT) while a script ran."),
        (
            "129, 143",
            "Ended by SIGHUP or SIGTERM; the terminal was put back and the history saved.",
        ),
    ] {
        item(out, code, &roff(meaning))?;
    }

    section(out, "ENVIRONMENT")?;
    for (name, meaning) in [
        (
            "NO_COLOR",
            "When set and not empty, no colour (as --color never); only --color always still colours.",
        ),
        (
            "TERM",
            "`dumb` means no colour, as NO_COLOR does, and a plain prompt with no line editing.",
        ),
        (
            "XDG_STATE_HOME",
            "Where the prompt's history and the lessons' progress are kept (`rawlab/history`, `rawlab/progress` under it); an unset, empty or relative value means ~/.local/state (under sudo, the invoking user's).",
        ),
        (
            "SUDO_UID, SUDO_GID, DOAS_USER, PKEXEC_UID",
            "Under sudo, doas or pkexec, rawlab becomes this user at once, keeping only CAP_NET_RAW, so every file it writes is the user's.",
        ),
        (
            "HOME",
            "Where `~/` in a file name points, and the history's default place.",
        ),
    ] {
        item(out, name, &roff_prose(meaning))?;
    }

    section(out, "FILES")?;
    item(
        out,
        "~/.local/state/rawlab/history",
        &roff("The prompt's history (at most 5,000 lines), owned by the user under sudo."),
    )?;
    item(
        out,
        "lessons/*.rawlab",
        &roff_prose(
            "The lessons, also built into the binary: `rawlab 4` runs lesson 4, `rawlab --check` checks them all.",
        ),
    )?;

    section(out, "SEE ALSO")?;
    writeln!(
        out,
        "raw(7), packet(7), ip(7), icmp(7), ping(8), tcpdump(8), tshark(1), pcap-savefile(5)"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn roff_guards_control_lines_and_backslashes() {
        assert_eq!(super::roff(".x\\y"), "\\&.x\\ey");
        assert_eq!(super::roff_prose("a `b-c` d"), "a \\fBb\\-c\\fR d");
        assert_eq!(super::roff("A…B"), "A\\[u2026]B");
    }
}
