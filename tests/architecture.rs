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

#[test]
fn unsafe_code_is_allowed_in_one_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    assert!(lib.contains("#![deny(unsafe_code)]"));
    let mut all = Vec::new();
    files(&src, &mut all);
    let allowing: Vec<String> = all
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("allow(unsafe_code)")
        })
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    assert_eq!(allowing, ["net/mod.rs"], "only net::sys is let off");
    let net = std::fs::read_to_string(src.join("net/mod.rs")).unwrap();
    assert!(net.contains("#[allow(unsafe_code)]\npub mod sys;"), "{net}");
}
