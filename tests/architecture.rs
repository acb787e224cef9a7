//! The architecture, checked by reading the code: each part of `src/` imports only
//! the parts below it (docs/architecture.md draws them), `unsafe` lives in one
//! module, and files and functions stay short enough to read. A new `use crate::…`
//! that crosses a line fails here, naming the file, as does a file or function that
//! grows past its limit.

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

/// The longest a file outside the protocol tables and the tests may be, and the longest
/// function outside the tests (issue "A house a newcomer can live in").
const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 120;

/// Files that may be longer, and why: the protocol tables, where each field is declared
/// once with its meaning, RFC and notes, and a table is as long as its protocol has
/// fields.
const PROTOCOL_TABLES: &[&str] = &[
    "wire/ipv4.rs",
    "wire/ipv6.rs",
    "wire/icmpv6.rs",
    "wire/icmp.rs",
    "wire/tcp.rs",
    "wire/udp.rs",
    "wire/eth.rs",
    "wire/arp.rs",
    "wire/dns.rs",
    "wire/cooked.rs",
];

/// The text with comments, strings and character literals blanked out, newlines kept,
/// so braces in prose or messages are not taken for code and lines still count.
fn blanked(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let keep = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(k).copied().unwrap_or('\0');
        if at(i) == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(i) == '/' && at(i + 1) == '*' {
            // Block comments nest.
            let mut depth = 0;
            while i < c.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    keep(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if at(i) == 'r'
            && (i == 0 || !ident(c[i - 1]) || (c[i - 1] == 'b' && (i < 2 || !ident(c[i - 2]))))
            && {
                let mut k = i + 1;
                while at(k) == '#' {
                    k += 1;
                }
                at(k) == '"'
            }
        {
            // A raw string: r"…", r#"…"#, br"…".
            let mut hashes = 0;
            i += 1;
            while at(i) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < c.len() && !(c[i] == '"' && (1..=hashes).all(|h| at(i + h) == '#')) {
                keep(&mut out, c[i]);
                i += 1;
            }
            i += 1 + hashes;
        } else if at(i) == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                keep(&mut out, c[i]);
                if c[i] == '\\' {
                    i += 1;
                    keep(&mut out, at(i));
                }
                i += 1;
            }
            i += 1;
        } else if at(i) == '\'' && at(i + 1) == '\\' {
            // An escaped character ('\n', '\'', '\u{…}'): up to its closing quote.
            i += 3;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if at(i) == '\'' && at(i + 2) == '\'' {
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Where the brace opened at `open` closes, in blanked code.
fn closing(code: &[char], open: usize) -> usize {
    let mut depth = 0;
    for (k, ch) in code.iter().enumerate().skip(open) {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// What the length rules see of one file: its lines outside test modules, each
/// function's name, first line and length (outside test modules), and the modules it
/// declares as tests (`#[cfg(test)] mod name;`).
struct Lengths {
    lines: usize,
    functions: Vec<(String, usize, usize)>,
    test_modules: Vec<String>,
}

fn lengths(text: &str) -> Lengths {
    let code: Vec<char> = blanked(text).chars().collect();
    let line_at = |k: usize| code[..k].iter().filter(|c| **c == '\n').count() + 1;
    let word_at = |k: usize, w: &str| {
        let ident = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
        w.chars()
            .enumerate()
            .all(|(j, ch)| code.get(k + j) == Some(&ch))
            && !ident(k.checked_sub(1).and_then(|b| code.get(b)))
            && !ident(code.get(k + w.chars().count()))
    };
    let skip_space = |mut k: usize| {
        while code.get(k).is_some_and(|c| c.is_whitespace()) {
            k += 1;
        }
        k
    };
    let name_at = |k: usize| -> String {
        code[k.min(code.len())..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || **c == '_')
            .collect()
    };
    // Test modules: `#[cfg(test)] mod name …` and any `mod tests`, inline (skipped)
    // or in a file of their own (named, to be skipped there).
    let mut tests: Vec<(usize, usize)> = Vec::new();
    let mut test_modules = Vec::new();
    for k in 0..code.len() {
        if !word_at(k, "mod") {
            continue;
        }
        let name_start = skip_space(k + 3);
        let name = name_at(name_start);
        let before: String = code[..k].iter().collect();
        let before = before.trim_end();
        let before = before
            .strip_suffix("pub(crate)")
            .or_else(|| before.strip_suffix("pub(super)"))
            .or_else(|| before.strip_suffix("pub"))
            .unwrap_or(before)
            .trim_end();
        if !(name == "tests" || before.ends_with("#[cfg(test)]")) {
            continue;
        }
        let after = skip_space(name_start + name.chars().count());
        match code.get(after) {
            Some('{') => tests.push((k, closing(&code, after))),
            Some(';') => test_modules.push(name),
            _ => {}
        }
    }
    let in_tests = |k: usize| tests.iter().any(|(a, b)| (*a..=*b).contains(&k));
    let test_lines: usize = tests
        .iter()
        .map(|(a, b)| line_at(*b) - line_at(*a) + 1)
        .sum();
    let mut functions = Vec::new();
    for k in 0..code.len() {
        if !word_at(k, "fn") || in_tests(k) {
            continue;
        }
        // A function, not a function pointer type (`fn(&[u8]) -> …`).
        let name_start = skip_space(k + 2);
        let name = name_at(name_start);
        if name.is_empty() {
            continue;
        }
        // Its body: the first brace outside its parameters and types; a `;` first is
        // a declaration (a trait's) with no body.
        let mut depth = 0i32;
        let mut body = None;
        for (j, ch) in code.iter().enumerate().skip(name_start) {
            match ch {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                ';' if depth == 0 => break,
                '{' if depth == 0 => {
                    body = Some(j);
                    break;
                }
                _ => {}
            }
        }
        if let Some(open) = body {
            let first = line_at(k);
            functions.push((name, first, line_at(closing(&code, open)) - first + 1));
        }
    }
    Lengths {
        lines: text.lines().count() - test_lines,
        functions,
        test_modules,
    }
}

#[test]
fn the_length_rules_see_code_and_skip_tests_and_words() {
    let text = "fn short() {\n    let s = \"{ not code\";\n    let c = '{';\n}\n\n// fn in_a_comment() {\n/// r\"}\"\nfn two(x: [u8; 2]) -> u8 {\n    let r = r#\"}\"#;\n    x[0]\n}\n\ntype F = fn(&[u8]) -> u8;\n\ntrait T {\n    fn declared(&self);\n}\n\n#[cfg(test)]\nmod tests {\n    fn long() {\n    }\n}\n\n#[cfg(test)]\nmod properties;\n";
    let l = lengths(text);
    let found: Vec<(&str, usize, usize)> = l
        .functions
        .iter()
        .map(|(n, a, b)| (n.as_str(), *a, *b))
        .collect();
    assert_eq!(found, [("short", 1, 4), ("two", 8, 4)]);
    assert_eq!(l.test_modules, ["properties"]);
    // The test module, `mod tests {` to its brace, is not counted.
    assert_eq!(l.lines, text.lines().count() - 4);
}

#[test]
fn files_and_functions_stay_short() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    let measured: Vec<(PathBuf, Lengths)> = all
        .into_iter()
        .map(|f| {
            let l = lengths(&std::fs::read_to_string(&f).unwrap());
            (f, l)
        })
        .collect();
    // Files that are test modules: tests.rs, and each declared under #[cfg(test)].
    let mut test_files: Vec<PathBuf> = Vec::new();
    for (f, l) in &measured {
        let stem = f.file_stem().unwrap().to_string_lossy();
        let dir = if matches!(stem.as_ref(), "mod" | "lib" | "main") {
            f.parent().unwrap().to_path_buf()
        } else {
            f.with_extension("")
        };
        for m in &l.test_modules {
            test_files.push(dir.join(format!("{m}.rs")));
            test_files.push(dir.join(m).join("mod.rs"));
        }
    }
    let mut long = Vec::new();
    for (f, l) in &measured {
        let rel = f.strip_prefix(&src).unwrap().display().to_string();
        if f.file_name().is_some_and(|n| n == "tests.rs") || test_files.contains(f) {
            continue;
        }
        if l.lines > MAX_FILE_LINES && !PROTOCOL_TABLES.contains(&rel.as_str()) {
            long.push(format!(
                "{rel}: {} lines, more than {MAX_FILE_LINES} (outside its tests)",
                l.lines
            ));
        }
        for (name, line, n) in &l.functions {
            if *n > MAX_FN_LINES {
                long.push(format!(
                    "{rel}:{line} fn {name}: {n} lines, more than {MAX_FN_LINES}"
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "too long (split by concern: docs/architecture.md says where things live):\n{}",
        long.join("\n")
    );
}
