//! The variable tail of a header: options (type, length, value) or entries of one
//! layout, each an item of fields placed where its bytes are.

use super::*;
use crate::wire::{Entries, OptionKind, OptionList, Tail, TailSpec};

/// The items of a tail: options or entries, as the protocol reads its bytes.
pub(super) fn tail_items(
    packet: &[u8],
    start: usize,
    range: Range<usize>,
    spec: &TailSpec,
    (title, cut_ok): (&'static str, bool),
    problems: &mut Vec<Problem>,
) -> Vec<Item> {
    match (spec.format)(&packet[start..range.end]) {
        Tail::Bytes => Vec::new(),
        Tail::Records(r) => super::records::items(
            packet,
            start,
            range,
            r,
            spec.field,
            (title, cut_ok),
            problems,
        ),
        Tail::Options(list) => options(packet, range, list, title, problems),
        Tail::Entries(e) => {
            let mut items = Vec::new();
            entries(packet, range, e, spec.field, title, problems, &mut items);
            items
        }
    }
}

/// Entries of one layout from `range.start + e.from`, one item each; bytes left
/// over are a problem, shown under `leftover`.
fn entries(
    packet: &[u8],
    range: Range<usize>,
    e: &Entries,
    leftover: &'static Field,
    title: &'static str,
    problems: &mut Vec<Problem>,
    items: &mut Vec<Item>,
) {
    let empty_from = e
        .empty
        .map(|(from, fields)| (range.start + from(&packet[range.clone()]), fields));
    let mut at = range.start + e.from;
    while at + e.stride <= range.end {
        let fields = match empty_from {
            Some((from, empty)) if at >= from => empty,
            _ => e.fields,
        };
        items.push(Item {
            span: at..at + e.stride,
            fields: fields
                .iter()
                .map(|(shift, f)| Placed::fixed(f, at + shift))
                .collect(),
            entries: Vec::new(),
        });
        at += e.stride;
    }
    if at < range.end {
        problems.push(bad_option(
            title,
            at,
            (e.stride, range.end - at, None),
            format!(
                "the last entry needs {} bytes, but only {} remain",
                e.stride,
                range.end - at
            ),
        ));
        items.push(Item {
            span: at..range.end,
            fields: vec![Placed::bytes(leftover, at..range.end)],
            entries: Vec::new(),
        });
    }
}

/// A type-length-value option list. A length that cannot be right stops the walk,
/// and the rest is shown as bytes.
fn options(
    packet: &[u8],
    range: Range<usize>,
    list: &OptionList,
    title: &'static str,
    problems: &mut Vec<Problem>,
) -> Vec<Item> {
    let mut items = Vec::new();
    let end = range.end;
    let mut at = range.start;
    let kind_fields = |at: usize| list.kind.iter().map(move |f| Placed::fixed(f, at));
    let rest = |at: usize| Item {
        span: at..end,
        fields: vec![Placed::bytes(list.unknown, at..end)],
        entries: Vec::new(),
    };
    while at < end {
        let kind = packet[at] as u128;
        // Named only when a problem needs it: most options have none.
        let name = || {
            list.kind[0]
                .value_name(kind)
                .map_or_else(|| format!("kind {kind}"), |n| format!("{n} ({kind})"))
        };
        if list.single.contains(&kind) {
            items.push(Item {
                span: at..at + 1,
                fields: kind_fields(at).collect(),
                entries: Vec::new(),
            });
            at += 1;
            if list.end == Some(kind) && at < end {
                if let Some(pad) = list.padding {
                    items.push(Item {
                        span: at..end,
                        fields: vec![Placed::bytes(pad, at..end)],
                        entries: Vec::new(),
                    });
                }
                break;
            }
            continue;
        }
        let Some(total) = option_length(packet, at..end, list, title, &name, problems) else {
            items.push(rest(at));
            break;
        };
        items.push(option_item(
            packet,
            at..at + total,
            kind,
            list,
            title,
            &name,
            problems,
        ));
        at += total;
    }
    items
}

/// The length of the option at `range.start`, from its length byte: None (with the
/// problem noted) when the options end before it or the length cannot be right.
fn option_length(
    packet: &[u8],
    range: Range<usize>,
    list: &OptionList,
    title: &'static str,
    name: &dyn Fn() -> String,
    problems: &mut Vec<Problem>,
) -> Option<usize> {
    let (at, end) = (range.start, range.end);
    if at + 2 > end {
        problems.push(bad_option(
            title,
            at,
            (list.min_len, 1, None),
            format!(
                "option {} needs at least {} bytes (its kind and {}), but only 1 remains in the options",
                name(),
                list.min_len,
                list.len.name
            ),
        ));
        return None;
    }
    let len_raw = packet[at + 1] as usize;
    let total = len_raw * list.len_scale + list.len_add;
    if total < list.min_len {
        problems.push(bad_option(
            title,
            at + 1,
            (list.min_len, total, Some(list.len)),
            format!(
                "{} for option {}: an option is at least {} bytes (kind and length); the rest is shown as bytes",
                says(list.len, &packet[at..], total),
                name(),
                list.min_len
            ),
        ));
        return None;
    }
    if at + total > end {
        problems.push(bad_option(
            title,
            at + 1,
            (total, end - at, Some(list.len)),
            format!(
                "{} for option {}, but only {} remain in the options; the rest is shown as bytes",
                says(list.len, &packet[at..], total),
                name(),
                end - at
            ),
        ));
        return None;
    }
    Some(total)
}

/// The option that takes up `opt`: its kind and length, then its fields as the table
/// knows its kind (or its bytes), with a problem when its length is not the kind's own.
fn option_item(
    packet: &[u8],
    opt: Range<usize>,
    kind: u128,
    list: &OptionList,
    title: &'static str,
    name: &dyn Fn() -> String,
    problems: &mut Vec<Problem>,
) -> Item {
    let (at, total) = (opt.start, opt.len());
    let mut fields: Vec<Placed> = list.kind.iter().map(|f| Placed::fixed(f, at)).collect();
    fields.push(Placed::fixed(list.len, at));
    let mut entry_spans = Vec::new();
    match list.kind_of(kind) {
        Some(k) => {
            if let Some(want) = k.len.filter(|w| *w != total) {
                problems.push(bad_option(
                    title,
                    at + 1,
                    (want, total, Some(list.len)),
                    format!(
                        "{}, but option {} is always {want} bytes",
                        says(list.len, &packet[at..], total),
                        name()
                    ),
                ));
            }
            entry_spans = known_option(packet, opt.clone(), k, list, title, problems, &mut fields);
        }
        None if total > 2 => fields.push(Placed::bytes(list.unknown, at + 2..opt.end)),
        None => {}
    }
    Item {
        span: opt,
        fields,
        entries: entry_spans,
    }
}

/// The fields of an option of a kind the table knows, as far as its bytes go: its own
/// fields, its entries (a route's addresses), and what is left as bytes. Returns where
/// each whole entry is.
fn known_option(
    packet: &[u8],
    opt: Range<usize>,
    k: &OptionKind,
    list: &OptionList,
    title: &'static str,
    problems: &mut Vec<Problem>,
    fields: &mut Vec<Placed>,
) -> Vec<Range<usize>> {
    let (at, total) = (opt.start, opt.len());
    let mut spans = Vec::new();
    let fits: Vec<&'static Field> = k
        .fields
        .iter()
        .copied()
        .filter(|f| f.end_byte() <= total)
        .collect();
    fields.extend(fits.iter().map(|f| Placed::fixed(f, at)));
    let mut done = fits.iter().map(|f| f.end_byte()).max().unwrap_or(2).max(2);
    if let Some(pick) = k.entries {
        let e = pick(&packet[opt.clone()]);
        let mut sub = Vec::new();
        if at + e.from <= opt.end {
            entries(
                packet,
                at..opt.end,
                e,
                list.unknown,
                title,
                problems,
                &mut sub,
            );
            done = total;
        }
        // A last entry cut short is left over bytes, not an entry.
        spans.extend(
            sub.iter()
                .filter(|i| i.span.len() == e.stride)
                .map(|i| i.span.clone()),
        );
        fields.extend(sub.into_iter().flat_map(|i| i.fields));
    }
    if done < total {
        let f = k.rest.unwrap_or(list.unknown);
        fields.push(Placed::bytes(f, at + done..opt.end));
    }
    spans
}

/// An option or entry that does not fit: it spoils its own layer only.
pub(super) fn bad_option(
    layer: &'static str,
    offset: usize,
    (needed, had, field): (usize, usize, Option<&'static Field>),
    what: String,
) -> Problem {
    Problem {
        layer,
        offset,
        kind: Trouble::BadOption,
        sizes: Some(Sizes { needed, had, field }),
        what,
        layout: false,
    }
}
