//! Build → dissect on arbitrary template edits: a stack from those `new` offers, any
//! fields set to any value that fits (as `set` does after the parser's width check),
//! options set as bytes, any payload. The built bytes dissect back with every field
//! that was set holding its value, the options' bytes where they were put, and every
//! field rawlab computed (lengths, checksums) verifying, unless an edit put the layout
//! in doubt.

use arbitrary::Arbitrary;
use rawlab::render::Dump;
use rawlab::wire::template::{Payload, Template, Value};
use rawlab::wire::dissect::dissect;
use rawlab::wire::{Field, Fill, Kind, Protocol, Verdict};
use std::time::SystemTime;

/// The payload after the last header.
#[derive(Debug, Arbitrary)]
pub enum Data {
    Bytes(Vec<u8>),
    Time,
    Zeros(u16),
}

/// What a learner might do to a template, as libFuzzer's bytes decode it.
#[derive(Debug, Arbitrary)]
pub struct Edits {
    /// Which stack, among those `new` offers.
    pub stack: u16,
    /// (which field of the stack, its value before masking to the field's width)
    pub sets: Vec<(u16, u128)>,
    /// (which layer's options, their bytes before trimming to whole units)
    pub tails: Vec<(u8, Vec<u8>)>,
    pub data: Data,
}

/// Whether `m` is a member of group `g` (`ip.flags.df` of `ip.flags`).
fn member(g: &Field, m: &Field) -> bool {
    m.name.len() > g.name.len()
        && m.name.starts_with(g.name)
        && m.name.as_bytes()[g.name.len()] == b'.'
}

/// One input of the `roundtrip` target.
pub fn run(e: Edits) {
    let stacks = crate::stacks();
    let stack: &[&'static Protocol] = &stacks[usize::from(e.stack) % stacks.len()];
    let fields: Vec<(usize, &'static Field)> = stack
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.all_fields()
                .filter(|f| f.kind != Kind::Bytes)
                .map(move |f| (i, f))
        })
        .collect();
    let mut t = Template::new(stack);
    // (layer, field, value) the bytes must hold; a later edit of the same bits drops one.
    let mut want: Vec<(usize, &'static Field, u128)> = Vec::new();
    for &(pick, v) in e.sets.iter().take(32) {
        let (i, f) = fields[usize::from(pick) % fields.len()];
        // `set` writes into the first layer that has the field.
        if stack.iter().position(|p| p.all_fields().any(|g| g == f)) != Some(i) {
            continue;
        }
        let v = v & f.max_raw();
        t.set(f, Value::Raw(v))
            .expect("a value that fits its field is accepted");
        want.retain(|(_, g, _)| !(*g == f || member(f, g) || member(g, f)));
        want.push((i, f, v));
    }
    let mut tails: Vec<(usize, Vec<u8>)> = Vec::new();
    for (pick, bytes) in e.tails.iter().take(4) {
        // `set` writes options into the first layer of a protocol.
        let with_tail: Vec<usize> = (0..stack.len())
            .filter(|i| stack[*i].tail.is_some() && !stack[..*i].contains(&stack[*i]))
            .collect();
        let Some(&i) = with_tail.get(usize::from(*pick) % with_tail.len().max(1)) else {
            break;
        };
        let spec = stack[i].tail.expect("picked for its tail");
        // The fixed part this layer builds with (a type may make it longer).
        let tail_now = tails
            .iter()
            .find(|(j, _)| *j == i)
            .map_or(spec.default.len(), |(_, b)| b.len());
        let fixed = t.build(SystemTime::UNIX_EPOCH).layers[i].2 - tail_now;
        let room = spec.max_header.saturating_sub(fixed);
        let n = bytes.len().min(room);
        let n = (fixed + n) / spec.unit * spec.unit;
        let Some(n) = n.checked_sub(fixed) else {
            continue;
        };
        let b = bytes[..n].to_vec();
        t.set(spec.field, Value::Bytes(b.clone()))
            .expect("a tail of whole units is accepted");
        tails.retain(|(j, _)| *j != i);
        tails.push((i, b));
    }
    t.payload = match e.data {
        Data::Bytes(b) => Payload::Bytes(b),
        Data::Time => Payload::Time,
        Data::Zeros(n) => Payload::Zeros(usize::from(n) % 2048),
    };
    let built = t.build(SystemTime::UNIX_EPOCH);
    let b = &built.bytes;
    let d = dissect(b, stack[0]);
    if let Err(why) = d.audit(b, 0) {
        panic!("audit: {why}");
    }
    // A dissected layer stands for template layer i when it is the same protocol at the
    // same place, outside any quote.
    let found = |i: usize| {
        let (p, start, _) = built.layers[i];
        d.layers
            .iter()
            .position(|l| l.proto == p && l.start == start && !l.quoted)
    };
    for &(i, f, v) in &want {
        let Some(k) = found(i) else { continue };
        let l = &d.layers[k];
        if l.fields(b).any(|g| g == f) {
            assert_eq!(
                l.get(b, f),
                v,
                "{} set to {v:#x} reads back otherwise",
                f.name
            );
        }
    }
    for (i, bytes) in &tails {
        let Some(k) = found(*i) else { continue };
        let (_, start, len) = built.layers[*i];
        let l = &d.layers[k];
        if l.hdr_end == start + len && l.fixed_end + bytes.len() == l.hdr_end {
            assert_eq!(
                &b[l.fixed_end..l.hdr_end],
                &bytes[..],
                "options read back otherwise"
            );
        }
    }
    // Computed fields verify, unless the user set one (a length that lies moves what a
    // checksum covers) or the dissector doubts the layer.
    let overridden = want.iter().any(|(_, f, _)| f.fill == Fill::Computed);
    if !overridden {
        for i in 0..built.layers.len() {
            let Some(k) = found(i) else { continue };
            if !d.verifiable(k) {
                continue;
            }
            let l = &d.layers[k];
            for x in (l.proto.expected)(&d.scope(k, b)) {
                if x.field.fill == Fill::Computed && !t.is_set(x.field) {
                    let raw = l.get(b, x.field);
                    assert_eq!(
                        x.verdict(raw),
                        Verdict::Correct,
                        "{} computed as {raw:#x}, the bytes add up to {:#x}",
                        x.field.name,
                        x.want
                    );
                }
            }
        }
    }
    crate::show(&Dump::new("template".into(), b, stack[0]));
}
