//! Progress: the lessons a learner went through to the end and the tasks they solved
//! (not given up), kept between sessions in `$XDG_STATE_HOME/rawlab/progress`. A
//! relative XDG_STATE_HOME is ignored, as the XDG spec says; the default is
//! ~/.local/state. Under sudo, without an XDG_STATE_HOME of its own, the state is the
//! invoking user's (their home, not root's), and the file is given to them. Only the
//! prompt and --step record anything: a script or --check proves lessons, it does not
//! take them.

use super::Session;
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where rawlab keeps state (history, progress): `$XDG_STATE_HOME` when it is an
/// absolute path; under sudo the invoking user's ~/.local/state; else ~/.local/state.
pub fn state_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    if let Some(x) = xdg {
        return Some(x);
    }
    if let Some(home) = crate::net::sys::sudo_user_home() {
        return Some(home.join(".local/state"));
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .map(|h| h.join(".local/state"))
}

/// The progress file.
pub fn progress_path() -> Option<PathBuf> {
    state_dir().map(|d| d.join("rawlab").join("progress"))
}

/// Lessons finished and tasks solved, by lesson file name and task goal.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Progress {
    pub lessons: BTreeSet<String>,
    pub tasks: BTreeSet<(String, String)>,
}

impl Progress {
    /// Reads the file; a missing one is no progress, and a line rawlab does not know
    /// (a later version's) is passed over.
    pub fn load(path: &Path) -> Progress {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        Progress::parse(&text)
    }

    pub fn parse(text: &str) -> Progress {
        let mut p = Progress::default();
        for line in text.lines() {
            let mut parts = line.split('\t');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("lesson"), Some(l), None) => {
                    p.lessons.insert(l.to_string());
                }
                (Some("task"), Some(l), Some(goal)) => {
                    p.tasks.insert((l.to_string(), goal.to_string()));
                }
                _ => {}
            }
        }
        p
    }

    pub fn text(&self) -> String {
        let mut s = String::from("# rawlab: lessons finished and tasks solved (one a line)\n");
        for l in &self.lessons {
            s.push_str(&format!("lesson\t{l}\n"));
        }
        for (l, g) in &self.tasks {
            s.push_str(&format!("task\t{l}\t{}\n", g.replace(['\t', '\n'], " ")));
        }
        s
    }

    /// Writes the file whole (through a temporary beside it, so a crash leaves the old
    /// one), creating its directory; under sudo both belong to the user.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.text())?;
        std::fs::rename(&tmp, path)?;
        crate::net::sys::give_to_sudo_user(path);
        Ok(())
    }
}

impl Session {
    /// What is recorded so far (none when this session records nothing).
    pub fn progress(&self) -> Progress {
        self.teach
            .progress_file
            .as_deref()
            .map(Progress::load)
            .unwrap_or_default()
    }

    fn record(
        &mut self,
        out: &mut dyn Write,
        change: impl FnOnce(&mut Progress) -> bool,
    ) -> io::Result<()> {
        let Some(path) = self.teach.progress_file.clone() else {
            return Ok(());
        };
        let mut p = Progress::load(&path);
        if !change(&mut p) {
            return Ok(());
        }
        if let Err(e) = p.save(&path) {
            self.info(
                out,
                &format!("(progress not saved: {}: {e})", path.display()),
            )?;
        }
        Ok(())
    }

    /// A task solved in lesson `file`.
    pub(super) fn record_task(
        &mut self,
        file: &str,
        goal: &str,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.record(out, |p| {
            p.tasks.insert((file.to_string(), goal.to_string()))
        })
    }

    /// Lesson `file` taken to its end.
    pub fn record_lesson(&mut self, file: &str, out: &mut dyn Write) -> io::Result<()> {
        self.record(out, |p| p.lessons.insert(file.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_back_what_it_wrote_and_passes_over_the_unknown() {
        let mut p = Progress::default();
        p.lessons.insert("01-receive-icmp.rawlab".into());
        p.tasks
            .insert(("01-receive-icmp.rawlab".into(), "Ping\tanother".into()));
        let again = Progress::parse(&format!("{}future\tthing\n", p.text()));
        assert_eq!(again.lessons, p.lessons);
        assert!(
            again
                .tasks
                .contains(&("01-receive-icmp.rawlab".into(), "Ping another".into()))
        );
    }
}
