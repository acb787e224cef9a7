//! Runs saved inputs through a fuzz target's code in an ordinary build (no
//! sanitizer, no coverage counters) and times each, slowest first: what a user's
//! machine would spend on that input.
//!
//!     cargo run --release --manifest-path fuzz/Cargo.toml --example replay -- \
//!         dissect fuzz/work/dissect fuzz/corpus/dissect
//!
//! Prints the inputs and how many, the ten slowest with their times, and exits 1 if
//! any took 100 ms or more.

use arbitrary::{Arbitrary, Unstructured};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: replay TARGET FILE_OR_FOLDER...");
    let run: fn(&[u8]) = match target.as_str() {
        "command" => rawlab_fuzz::command::run,
        "dissect" => rawlab_fuzz::dissect::run,
        "dump" => rawlab_fuzz::dissect::run_dump,
        "json" => rawlab_fuzz::dissect::run_json,
        "pcap" => rawlab_fuzz::pcap::run,
        // As libfuzzer-sys decodes a typed input.
        "roundtrip" => |data| {
            if let Ok(e) =
                rawlab_fuzz::roundtrip::Edits::arbitrary_take_rest(Unstructured::new(data))
            {
                rawlab_fuzz::roundtrip::run(e);
            }
        },
        other => panic!("no target {other}"),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for a in args {
        let p = PathBuf::from(a);
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(&p)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .collect();
            v.sort();
            files.extend(v);
        } else {
            files.push(p);
        }
    }
    let mut times: Vec<(Duration, PathBuf)> = Vec::with_capacity(files.len());
    let mut total = Duration::ZERO;
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let t = Instant::now();
        run(&data);
        let took = t.elapsed();
        total += took;
        times.push((took, f));
    }
    times.sort_by_key(|t| std::cmp::Reverse(t.0));
    println!("{target}: {} inputs in {total:?}", times.len());
    for (t, f) in times.iter().take(10) {
        println!("  {t:>12?}  {}", f.display());
    }
    if times
        .first()
        .is_some_and(|(t, _)| *t >= Duration::from_millis(100))
    {
        std::process::exit(1);
    }
}
