//! What the fuzz targets share: drawing a packet every way rawlab draws one (the
//! dump plain and in colour, JSON) and checking the dissection underneath, so a
//! broken invariant is a crash the fuzzer keeps. No sockets, no files.
//!
//! Each target's body lives here (`command::run`, …) and the files in
//! fuzz_targets/ only hand libFuzzer's input to it, so `examples/replay.rs` runs
//! the same code on saved inputs in an ordinary build, to time them.

pub mod command;
pub mod dissect;
pub mod pcap;
pub mod roundtrip;

use rawlab::render::{self, Dump, Style};
use rawlab::wire::{self, Protocol};
use std::sync::OnceLock;

/// Every stack `new` offers, as protocols (`eth/ip/icmp` …), computed once.
pub fn stacks() -> &'static [Vec<&'static Protocol>] {
    static STACKS: OnceLock<Vec<Vec<&'static Protocol>>> = OnceLock::new();
    STACKS.get_or_init(|| {
        wire::stacks()
            .iter()
            .map(|s| {
                s.split('/')
                    .map(|n| wire::protocol_named(n).expect("stacks() names known protocols"))
                    .collect()
            })
            .collect()
    })
}

/// Draws a dump as `rawlab read` and the session do, plain and in colour, and as JSON,
/// after auditing the dissection under it. Panics (a crash for the fuzzer) on a broken
/// invariant, with the reason.
pub fn show(d: &Dump) {
    let dis = take_apart(d);
    draw(d);
    json(d, &dis);
}

/// The dissection under a dump, audited, with its summary line and the checksum each
/// layer should carry: everything but the drawing.
pub fn take_apart(d: &Dump) -> rawlab::wire::dissect::Dissection {
    let dis = audit(d);
    let _ = dis.summary(d.bytes);
    for i in 0..dis.layers.len() {
        if dis.verifiable(i) {
            let l = &dis.layers[i];
            let _ = (l.proto.expected)(&dis.scope(i, d.bytes));
        }
    }
    dis
}

/// The dump drawn plain and in colour: UTF-8, and no escape code without colour.
pub fn draw(d: &Dump) {
    for style in [
        Style::PLAIN,
        Style {
            color: true,
            fit: false,
        },
    ] {
        let mut out = Vec::with_capacity(4096);
        render::dump(&mut out, d, &style).expect("a Vec takes every write");
        let text = std::str::from_utf8(&out).expect("the dump is UTF-8");
        if !style.color {
            assert!(!text.contains('\x1b'), "escape codes without colour");
        }
    }
}

/// The dissection as the JSON object `rawlab read --format json` writes.
pub fn json(d: &Dump, dis: &rawlab::wire::dissect::Dissection) {
    let json = serde_json::Value::Object(rawlab::render::json::dissection(d.bytes, &dis));
    let text = serde_json::to_string(&json).expect("JSON serialises");
    assert!(!text.is_empty());
}

/// The dissection under a dump, audited (see `Dissection::audit`): a broken invariant
/// panics with the reason.
pub fn audit(d: &Dump) -> rawlab::wire::dissect::Dissection {
    let dis = render::dissection(d);
    let start = d.link.as_ref().map_or(0, |l| l.len.min(d.bytes.len()));
    if let Err(e) = dis.audit(d.bytes, start) {
        panic!("dissection audit: {e}");
    }
    dis
}
