//! Inputs the fuzz targets in fuzz/ found to crash rawlab, each kept byte for byte
//! and run through the same code the target ran, so the crash cannot come back.
//! Each test names the target and the artifact it came from.

use rawlab::command::{self, Context};
use rawlab::render::{self, Style};
use rawlab::wire::{self, Protocol};

fn stacks() -> Vec<Vec<&'static Protocol>> {
    wire::stacks()
        .iter()
        .map(|s| {
            s.split('/')
                .map(|n| wire::protocol_named(n).unwrap())
                .collect()
        })
        .collect()
}

/// Parses a line under every stack and draws any error with its caret, as the
/// prompt does; a panic is the failure.
fn parse_everywhere(line: &str) {
    for stack in stacks() {
        if let Err(e) = command::parse(line, &Context { stack: &stack }) {
            let mut out = Vec::new();
            render::parse_error(&mut out, line, &e, None, &Style::PLAIN).unwrap();
        }
    }
}

/// fuzz target `command`, crash-a1b58bbdb6d8f7b795070d15240dbb26e991114b: a form feed
/// between words. The tokenizer skipped only ASCII blanks but split words at any
/// Unicode whitespace, so a word could not start and an `expect` fired.
#[test]
fn form_feed_between_words() {
    let input = b"Hset \x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0cdstport 08dstpo0";
    parse_everywhere(std::str::from_utf8(&input[1..]).unwrap());
}

/// The same crash as a learner meets it: a non-breaking space, which pasting from a
/// web page brings, or any other Unicode space between words.
#[test]
fn unicode_spaces_between_words() {
    for space in ['\u{a0}', '\u{b}', '\u{c}', '\u{85}', '\u{2003}', '\u{3000}'] {
        let line = format!("set{space}ttl{space}9");
        parse_everywhere(&line);
        let stack = [&wire::ipv4::IPV4, &wire::icmp::ICMP];
        let got = command::parse(&line, &Context { stack: &stack });
        assert!(got.is_ok(), "{space:?}: {got:?}");
    }
}
