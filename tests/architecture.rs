//! The architecture, checked by reading the code: each part of `src/` imports only
//! the parts below it (docs/architecture.md draws them), and `unsafe` lives in one
//! module. A new `use crate::…` that crosses a line fails here, naming the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each part and the parts it may use. `command` takes one plain type from `net`
/// (`Mode`, how a packet is handed to the kernel); `capture` and `lab` meet at the
/// packet (`capture` relates each packet as it numbers it, `lab` reads packets).
const ALLOWED: &[(&str, &[&str])] = &[
    ("wire", &[]),
    ("render", &["wire"]),
    ("command", &["wire", "render", "net::Mode"]),
    ("net", &["wire", "render"]),
    ("capture", &["wire", "render", "net", "lab"]),
    ("lab", &["wire", "render", "net", "capture"]),
    (
        "session",
        &["wire", "render", "command", "net", "capture", "lab"],
    ),
    (
        "front",
        &[
            "wire", "render", "command", "net", "capture", "lab", "session",
        ],
    ),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::a::b` path in the text, as (a, b).
fn uses(text: &str) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let word = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        let first = word(rest);
        let second = rest[first.len()..]
            .strip_prefix("::")
            .map(word)
            .unwrap_or_default();
        v.push((first, second));
    }
    v
}

#[test]
fn each_part_imports_only_the_parts_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    for f in &all {
        let rel = f.strip_prefix(&src).unwrap();
        let part = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let part = part.trim_end_matches(".rs");
        let Some(may) = allowed.get(part) else {
            // lib.rs and main.rs sit above every part.
            assert!(
                matches!(part, "lib" | "main"),
                "{} is in no part: add it to ALLOWED and docs/architecture.md",
                rel.display()
            );
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (first, second) in uses(&text) {
            if first == part {
                continue;
            }
            let ok = may.contains(&first.as_str())
                || may.contains(&format!("{first}::{second}").as_str());
            if !ok {
                wrong.push(format!("{} uses crate::{first}::{second}", rel.display()));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "imports against the grain:\n{}",
        wrong.join("\n")
    );
}

/// The text of a Rust file without its comments (line and block) or string and
/// character literals, so a word in prose or in a message is not taken for code.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = text[i..].find("*/").map_or(b.len(), |j| i + j + 2);
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            // An escaped character ('\n', '\'', '\u{…}'): up to its closing quote.
            i = text[i + 3..].find('\'').map_or(b.len(), |j| i + 3 + j + 1);
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Whether `code` uses the keyword `unsafe` (a block, fn, impl or trait), not a name
/// that merely contains it (`unsafe_char`).
fn uses_unsafe(code: &str) -> bool {
    code.match_indices("unsafe").any(|(i, w)| {
        let before = code[..i].chars().next_back();
        let after = code[i + w.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !part(before) && !part(after)
    })
}

#[test]
fn the_keyword_test_sees_unsafe_code_and_not_words() {
    assert!(uses_unsafe(&code_only("let x = unsafe { f() };")));
    assert!(uses_unsafe(&code_only("unsafe impl Send for T {}")));
    assert!(!uses_unsafe(&code_only(
        "let unsafe_char = 1; // unsafe here"
    )));
    assert!(!uses_unsafe(&code_only(
        r#"let s = "no unsafe"; /* unsafe */"#
    )));
    assert!(uses_unsafe(&code_only(r#"let q = '\"'; unsafe { g() }"#)));
    assert!(uses_unsafe(&code_only(r#"let q = '\''; unsafe { g() }"#)));
}

#[test]
fn unsafe_code_is_written_in_one_file() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    assert!(lib.contains("#![deny(unsafe_code)]"));
    let mut all = Vec::new();
    files(&src, &mut all);
    let rel = |f: &PathBuf| f.strip_prefix(&src).unwrap().display().to_string();
    let allowing: Vec<String> = all
        .iter()
        .filter(|f| code_only(&std::fs::read_to_string(f).unwrap()).contains("allow(unsafe_code)"))
        .map(rel)
        .collect();
    assert_eq!(
        allowing,
        ["net/sys/mod.rs"],
        "only net::sys::ffi is let off"
    );
    let sys = std::fs::read_to_string(src.join("net/sys/mod.rs")).unwrap();
    assert!(sys.contains("#[allow(unsafe_code)]\nmod ffi;"), "{sys}");
    let mut writing: Vec<String> = all
        .iter()
        .filter(|f| uses_unsafe(&code_only(&std::fs::read_to_string(f).unwrap())))
        .map(rel)
        .collect();
    writing.sort();
    assert_eq!(
        writing,
        ["net/sys/ffi.rs"],
        "unsafe code outside net/sys/ffi.rs"
    );
}
