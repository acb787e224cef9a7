//! The front ends over one executor: the REPL at a terminal (`repl`), scripts and
//! lessons run from a file (`script`), `rawlab read` of a capture file (`read`), and
//! recordings of a session (`record`).

pub mod man;
pub mod read;
pub mod record;
pub mod repl;
pub mod script;
pub mod web;

use std::ffi::OsStr;

/// Whether the environment lets `--color auto` colour a terminal: not when `NO_COLOR`
/// is set and not empty (no-color.org), nor when `TERM` is `dumb`, a terminal that
/// says it understands no escape codes. `--color always` colours all the same.
pub fn colour_allowed(no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    no_color.is_none_or(OsStr::is_empty) && term != Some(OsStr::new("dumb"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_a_dumb_terminal_mean_no_colour() {
        let s = |v: &'static str| Some(OsStr::new(v));
        assert!(colour_allowed(None, s("xterm-256color")));
        assert!(colour_allowed(None, None), "no TERM says nothing");
        assert!(
            colour_allowed(s(""), s("xterm")),
            "an empty NO_COLOR is unset"
        );
        assert!(!colour_allowed(s("1"), s("xterm")));
        assert!(!colour_allowed(None, s("dumb")));
        assert!(colour_allowed(None, s("dumb-ish")), "only dumb itself");
    }
}
