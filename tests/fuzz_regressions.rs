//! Inputs the fuzz targets in fuzz/ found to crash rawlab, each kept byte for byte
//! and run through the same code the target ran, so the crash cannot come back.
//! Each test names the target and the artifact it came from.

mod common;
use common::pcapng_block;
use rawlab::command::{self, Context};
use rawlab::front::repl;
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

/// Runs a `command` target input as the target does: its first byte picks the stack,
/// the rest is the line, parsed and any error drawn with its caret, as the prompt
/// does; a panic is the failure. Returns the line.
fn command_input(input: &[u8]) -> String {
    let stacks = stacks();
    let stack = &stacks[usize::from(input[0]) % stacks.len()];
    let line = String::from_utf8_lossy(&input[1..]).into_owned();
    parse_drawn(&line, stack);
    line
}

fn parse_drawn(line: &str, stack: &[&'static Protocol]) {
    if let Err(e) = command::parse(line, &Context::new(stack)) {
        let mut out = Vec::new();
        render::parse_error(&mut out, line, &(&e).into(), None, &Style::PLAIN).unwrap();
    }
}

/// fuzz target `command`, crash-a1b58bbdb6d8f7b795070d15240dbb26e991114b: a form feed
/// between words. The tokenizer skipped only ASCII blanks but split words at any
/// Unicode whitespace, so a word could not start and an `expect` fired.
#[test]
fn form_feed_between_words() {
    let input = b"Hset \x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0cdstport 08dstpo0";
    command_input(input);
}

/// The same crash as a learner meets it: a non-breaking space, which pasting from a
/// web page brings, or any other Unicode space between words.
#[test]
fn unicode_spaces_between_words() {
    for space in ['\u{a0}', '\u{b}', '\u{c}', '\u{85}', '\u{2003}', '\u{3000}'] {
        let line = format!("set{space}ttl{space}9");
        let stack = [&wire::ipv4::IPV4, &wire::icmp::ICMP];
        parse_drawn(&line, &stack);
        let got = command::parse(&line, &Context::new(&stack));
        assert!(got.is_ok(), "{space:?}: {got:?}");
    }
}

/// fuzz target `command`, timeout-56e0160f3a2a22b9c4155d8e51763f66c3224d0f: `explain`
/// with a long mistyped name. "Did you mean" measured the edit distance from the word
/// to every field name, each in time proportional to the product of their lengths, so
/// a word of thousands of characters (a paste) took tens of milliseconds per parse in
/// a release build, and the prompt parses at every key to colour the line.
#[test]
fn a_long_mistyped_name_is_answered_at_once() {
    let input = b"Hexplain ip.h\x05\x05\x05\x05\x05\x05\xef\xbf\xbd\xff\xff\xff\x7f\xef\xbf\xd6hdrincl\xd6\xd6\xd6\xd6LLL\xd6\xd6\xd6\xd6\xd6\xd6\xd6\xd6\xd6\xc6\xd6\xd6\xd6\xd6\xd6\xd6\xd6\xd6\xbdplyen ic\x05\x05m\x05\x05\x05dr_lenp";
    command_input(input);
    let stack = [&wire::ipv4::IPV4, &wire::icmp::ICMP];
    for line in [
        format!("set {}", "x".repeat(10_000)),
        format!("explain {}", "ttl".repeat(3_000)),
        format!("{} 1", "sned".repeat(2_500)),
    ] {
        let t = std::time::Instant::now();
        parse_drawn(&line, &stack);
        let took = t.elapsed();
        // Microseconds once fixed; a debug build on a busy machine has room to spare.
        assert!(
            took < std::time::Duration::from_millis(100),
            "{}… took {took:?}",
            &line[..12]
        );
    }
}

/// What the `command` target does at the prompt with its input's first line: hint at
/// the end, then complete and hint at the character boundary its first byte picks.
fn prompt_input(input: &[u8]) {
    let stacks = stacks();
    let pick = usize::from(input[0]);
    let stack = &stacks[pick % stacks.len()];
    let text = String::from_utf8_lossy(&input[1..]).into_owned();
    let line = text.split('\n').next().unwrap();
    let _ = repl::hint(line, line.len(), stack);
    let bounds: Vec<usize> = line
        .char_indices()
        .map(|(i, _)| i)
        .chain([line.len()])
        .collect();
    let pos = bounds[pick % bounds.len()];
    let _ = repl::complete(line, pos, stack);
    let _ = repl::hint(line, pos, stack);
}

/// fuzz target `command`, crash-32a942819a369b018711ace77045a40d0deb31ec: Tab after a
/// word that ends in a Unicode space (U+2008 here, three bytes). Completion took the
/// word being typed to start one byte after the space, inside it.
#[test]
fn completion_after_a_wide_space() {
    let input = b"H\x22 Le\xd1s\xe3son 3 \xe2\x80\x88\x00\x00\x00zzz\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00zzuzzzzzzzzzznzzzzzzzzzzzzzz\x00\x00 \x00\x00a raw \x10ocket";
    assert_eq!(input.len(), 94);
    prompt_input(input);
}

/// The same as a learner meets it: `set`, a pasted non-breaking space, Tab.
#[test]
fn tab_after_a_non_breaking_space() {
    let stack = [&wire::ipv4::IPV4, &wire::icmp::ICMP];
    for line in ["set\u{a0}", "set\u{a0}tt", "set ttl\u{3000}"] {
        let (start, words) = repl::complete(line, line.len(), &stack).unwrap();
        assert!(line.is_char_boundary(start), "{line:?}: {start}");
        if line == "set\u{a0}tt" {
            assert!(words.contains(&"ttl".to_string()), "{words:?}");
        }
        let _ = repl::hint(line, line.len(), &stack);
    }
}

/// fuzz target `command`, crash-1b2c5285f67afe04b953a4b954dfa4eda8d4ed1e: colouring a
/// `payload` line with a bad byte after a blank. Bytes given in several words are
/// joined without their blanks, but the error's place was counted in the joined text
/// from where the line's words start, so it fell short by one byte per blank: inside a
/// multi-byte character, the highlighter sliced the line there and panicked.
#[test]
fn payload_error_after_a_blank_while_colouring() {
    use rustyline::highlight::Highlighter;
    let input = b"Hpayload _ __\x8f\x8f\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xffl __\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xa3\xa3\xa3\xff6.r\xff\xff\x8f\x8f\x8f\xff\xff\xff0df\xff";
    assert_eq!(input.len(), 90);
    let line = command_input(input);
    let stacks = stacks();
    let stack = stacks[usize::from(input[0]) % stacks.len()].clone();
    let helper = repl::LabHelper::new(stack, true);
    let _ = helper.highlight(&line, line.len());
}

/// The same mistake in plain ASCII put the caret under the wrong character.
#[test]
fn the_caret_is_under_the_bad_byte_of_a_payload_in_words() {
    let stack = [&wire::ipv4::IPV4, &wire::icmp::ICMP];
    for (line, at) in [
        ("payload c0 de zz", 14),
        ("payload c0  de\u{a0}zz", 16),
        ("set ip.options 01 01 01 0g", 25),
    ] {
        let e = command::parse(line, &Context::new(&stack)).unwrap_err();
        assert_eq!(e.span, at..at + 1, "{line:?}: {}", e.message);
    }
}

/// fuzz target `command`, crash-3c833091adbb81b904f840d3bf6cfd57e0beaf25: a MAC address
/// of twelve bytes that are not all ASCII (`expect reply eth.src == ±±src!=`). Twelve
/// bytes were read as twelve hex digits by slicing two bytes at a time, which cut a
/// two-byte character in half.
#[test]
fn a_twelve_byte_mac_with_wide_characters() {
    let input = b"Hexpect reply eth.src == \xb1\xb1src!== \xb1\xb1\xb1\xb1.dstopjts0:02";
    command_input(input);
    // The same as a learner would type it, and its neighbours.
    let stack = [&wire::eth::ETH, &wire::ipv4::IPV4, &wire::icmp::ICMP];
    for value in [
        "±±src!==",
        "ééééé!",
        "+f+f+f+f+f+f",
        "+f:+f:+f:+f:+f:+f",
        "0011223344zz",
    ] {
        let line = format!("set eth.src {value}");
        parse_drawn(&line, &stack);
        let got = command::parse(&line, &Context::new(&stack));
        assert!(got.is_err(), "{value} is not a MAC address: {got:?}");
    }
    for value in ["02:72:61:77:00:02", "02-72-61-77-00-02", "027261770002"] {
        let line = format!("set eth.src {value}");
        assert!(
            command::parse(&line, &Context::new(&stack)).is_ok(),
            "{value}"
        );
    }
}

/// fuzz target `pcap`, crash-2a746c13db4064118e4aca568910835a9d883766: a pcapng
/// packet whose timestamp, in its interface's units, is further from 1970 than a
/// system time can hold (here whole seconds, if_tsresol 0, and the largest 64-bit
/// count). Adding it to the epoch overflowed and panicked.
#[test]
fn a_pcapng_timestamp_past_any_clock() {
    // Section header: byte-order magic, version 1.0, section length unknown.
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend(u64::MAX.to_le_bytes());
    // Interface: Ethernet, no snapshot limit, if_tsresol 0 (whole seconds).
    let mut idb = vec![1, 0, 0, 0, 0, 0, 0, 0];
    idb.extend([9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // A 14-byte frame stamped u64::MAX seconds after 1970.
    let mut epb = vec![0, 0, 0, 0];
    epb.extend(u32::MAX.to_le_bytes());
    epb.extend(u32::MAX.to_le_bytes());
    epb.extend(14u32.to_le_bytes());
    epb.extend(14u32.to_le_bytes());
    epb.extend([0u8; 14]);
    epb.extend([0, 0]);
    let mut file = pcapng_block(0x0a0d_0d0a, &shb);
    file.extend(pcapng_block(1, &idb));
    file.extend(pcapng_block(6, &epb));
    let mut reader = rawlab::capture::pcap::Reader::new(&file[..]).unwrap();
    let record = reader.next_record().unwrap().unwrap();
    assert_eq!(record.bytes.len(), 14);
    assert!(record.time > std::time::UNIX_EPOCH);
    // Shown as the last second of 9999, and said so.
    assert_eq!(record.time_note, Some(rawlab::capture::pcap::PAST_9999));
    assert!(reader.next_record().is_none());

    // And the artifact itself, read as `rawlab read` reads it.
    let artifact = include_bytes!("fixtures/fuzz/pcap-crash-2a746c13.pcapng");
    let mut reader = rawlab::capture::pcap::Reader::new(&artifact[..]).unwrap();
    while let Some(Ok(_)) = reader.next_record() {}
}
