//! The lessons, embedded in the binary at build time (see build.rs): found by
//! number or name, listed with their titles.

include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

/// One embedded lesson.
#[derive(Debug, Clone, Copy)]
pub struct Lesson {
    /// `04-craft-ip-header.rawlab`
    pub file: &'static str,
    pub text: &'static str,
}

impl Lesson {
    /// The number in front of the name: 4 for `04-craft-ip-header`.
    pub fn number(&self) -> Option<u32> {
        self.file.split('-').next()?.parse().ok()
    }

    /// `04-craft-ip-header`
    pub fn name(&self) -> &'static str {
        self.file.trim_end_matches(".rawlab")
    }

    /// The first narration line, without its `#` and "Lesson N —" prefix.
    pub fn title(&self) -> String {
        let first = self
            .text
            .lines()
            .find_map(|l| l.trim_start().strip_prefix('#'))
            .unwrap_or("")
            .trim();
        match first.split_once(" — ") {
            Some((lead, rest)) if lead.to_ascii_lowercase().starts_with("lesson") => {
                rest.to_string()
            }
            _ => first.to_string(),
        }
    }
}

pub fn all() -> Vec<Lesson> {
    EMBEDDED
        .iter()
        .map(|(file, text)| Lesson { file, text })
        .collect()
}

/// A lesson by number (`4`, `04`) or name (`04-craft-ip-header`, with or without `.rawlab`).
pub fn find(key: &str) -> Option<Lesson> {
    let key = key.trim_end_matches(".rawlab");
    let n: Option<u32> = key.parse().ok();
    all()
        .into_iter()
        .find(|l| l.name() == key || (n.is_some() && l.number() == n))
}

/// The lesson `path` names (see [`is_lesson`]).
pub fn of_path(path: &std::path::Path) -> Option<Lesson> {
    let name = path.file_name().and_then(|n| n.to_str());
    if let Some(l) = all().into_iter().find(|l| Some(l.file) == name) {
        return Some(l);
    }
    (!path.exists())
        .then(|| find(&path.to_string_lossy()))
        .flatten()
}

/// Whether `path` names a lesson: one of the lesson files (by its file name, wherever it
/// is copied), or an embedded lesson's number or name when no such file exists.
pub fn is_lesson(path: &std::path::Path) -> bool {
    let by_file = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| all().iter().any(|l| l.file == n));
    by_file || (!path.exists() && find(&path.to_string_lossy()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lessons_are_known_by_file_number_and_name() {
        use std::path::Path;
        assert!(is_lesson(Path::new("lessons/11-ethernet-and-arp.rawlab")));
        assert!(is_lesson(Path::new("/tmp/copy/05-icmp-checksum.rawlab")));
        assert!(is_lesson(Path::new("4")));
        assert!(is_lesson(Path::new("04-craft-ip-header")));
        assert!(!is_lesson(Path::new("my-script.rawlab")));
        assert!(!is_lesson(Path::new("99")));
    }

    #[test]
    fn every_file_in_lessons_is_embedded_and_numbered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rawlab"))
            .collect();
        files.sort();
        let embedded: Vec<&str> = all().iter().map(|l| l.file).collect();
        assert_eq!(files, embedded);
        let numbers: Vec<u32> = all()
            .iter()
            .map(|l| l.number().expect("a numbered name"))
            .collect();
        let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
        assert_eq!(
            numbers, expected,
            "lessons are numbered 1, 2, 3… without gaps"
        );
        for l in all() {
            assert!(!l.title().is_empty(), "{} has no title line", l.file);
            // The text too, not just the name: a build script built for another checkout
            // once embedded that checkout's lessons.
            let on_disk = std::fs::read_to_string(format!("{dir}/{}", l.file)).unwrap();
            assert!(
                l.text == on_disk,
                "{} embedded is not the file in this tree",
                l.file
            );
        }
    }

    #[test]
    fn found_by_number_or_name() {
        let first = all()[0];
        assert_eq!(find("1").unwrap().file, first.file);
        assert_eq!(find("01").unwrap().file, first.file);
        assert_eq!(find(first.name()).unwrap().file, first.file);
        assert_eq!(find(first.file).unwrap().file, first.file);
        assert!(find("99").is_none());
    }
}
