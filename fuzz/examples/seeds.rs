//! Writes the seed corpora under fuzz/corpus/ and the dictionary fuzz/command.dict
//! from what the project already has: the real loopback captures in tests/fixtures/
//! (made in the sandbox, see its README), a packet built for every stack `new`
//! offers, the lessons' command lines, and the tables' names. Run it again after
//! the tables or lessons change:
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example seeds
//!
//! Each file starts with the byte the target reads first (which first layer, which
//! stack), so a seed means to the target what it meant here.

use rawlab::command::COMMANDS;
use rawlab::capture::pcap::{Reader, link};
use rawlab::wire::template::{Payload, Template};
use rawlab::wire::{self, PROTOCOLS, Protocol};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn index(p: &Protocol) -> u8 {
    PROTOCOLS
        .iter()
        .position(|q| *q == p)
        .expect("a known protocol") as u8
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).expect("write a seed");
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("../tests/fixtures");
    let corpus = root.join("corpus");
    for t in ["dissect", "pcap", "command"] {
        let dir = corpus.join(t);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("make the corpus folder");
    }
    let mut names: Vec<PathBuf> = fs::read_dir(&fixtures)
        .expect("tests/fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    names.sort();
    // pcap: the capture files whole. dissect: each packet after its link header.
    for path in &names {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        write(&corpus.join("pcap"), &file, &fs::read(path).unwrap());
        let mut r = Reader::open(path).expect("a fixture reads");
        while let Some(Ok(rec)) = r.next_record() {
            let d = link::decap(rec.link, &rec.bytes);
            let Some(first) = d.first else { continue };
            let mut seed = vec![index(first)];
            seed.extend(&rec.bytes[d.start()..]);
            write(
                &corpus.join("dissect"),
                &format!("{file}-{}", rec.no),
                &seed,
            );
            // Ethernet frames whole too, from the first layer a card hands over.
            if rec.link.0 == 1 {
                let mut seed = vec![index(&wire::eth::ETH)];
                seed.extend(&rec.bytes);
                write(
                    &corpus.join("dissect"),
                    &format!("{file}-{}-eth", rec.no),
                    &seed,
                );
            }
        }
    }
    // dissect: a packet for every stack of up to three layers, as `new` builds it, with
    // a few bytes of data (the longer stacks are these with more extension headers).
    for s in wire::stacks()
        .into_iter()
        .filter(|s| s.split('/').count() <= 3)
    {
        let stack: Vec<&'static Protocol> = s
            .split('/')
            .map(|n| wire::protocol_named(n).unwrap())
            .collect();
        let mut t = Template::new(&stack);
        t.payload = Payload::Bytes(b"rawlab".to_vec());
        let mut seed = vec![index(stack[0])];
        seed.extend(t.build(SystemTime::UNIX_EPOCH).bytes);
        write(
            &corpus.join("dissect"),
            &format!("stack-{}", s.replace('/', "-")),
            &seed,
        );
    }
    // command: every line of every lesson, under the default stack (the first byte picks
    // the stack short names resolve in: ip/icmp's place among the stacks).
    let default = wire::stacks().iter().position(|s| s == "ip/icmp").unwrap() as u8;
    let mut n = 0;
    for l in rawlab::command::lessons::all() {
        let text = l.text;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            n += 1;
            let mut seed = vec![default];
            seed.extend(line.as_bytes());
            write(&corpus.join("command"), &format!("lesson-{n:03}"), &seed);
        }
    }
    // The dictionary: command words, stack and field names, named values.
    let mut words: Vec<String> = COMMANDS.iter().map(|c| c.name.to_string()).collect();
    words.extend(wire::stacks());
    for p in PROTOCOLS {
        for f in p.all_fields().chain(p.item_fields()) {
            words.push(f.name.to_string());
            words.push(f.short().to_string());
            words.extend(wire::all_names(f).into_iter().map(|(_, n)| n.to_string()));
        }
    }
    words.extend(
        [
            "count",
            "every",
            "once",
            "off",
            "time",
            "zeros",
            "link",
            "raw",
            "hdrincl",
            "kernel",
            "ms",
            "0x",
            "::1",
            "127.0.0.1",
            "02:72:61:77:00:02",
            "\"",
            "\\",
            "==",
            "!=",
            "<=",
            ">=",
        ]
        .map(String::from),
    );
    words.sort();
    words.dedup();
    let dict: String = words
        .iter()
        .map(|w| {
            let esc: String = w
                .bytes()
                .map(|b| match b {
                    b'"' | b'\\' => format!("\\{}", b as char),
                    0x20..=0x7e => (b as char).to_string(),
                    _ => format!("\\x{b:02x}"),
                })
                .collect();
            format!("\"{esc}\"\n")
        })
        .collect();
    fs::write(root.join("command.dict"), dict).expect("write the dictionary");
}
