//! What a relation (`lab::Relation`) says, in words, on a dump: a note under the
//! heading, a mark on each field that changed, those bytes emphasised. A session's
//! `dump` and `rawlab read` both draw relations through here, so a reply read from
//! a file reads as it did live. Knows nothing of sockets, sessions or files: what
//! it cannot see (when an earlier packet was sent) it is handed.

use crate::command::Mode;
use crate::lab::{Change, Relation};
use crate::render::{Dump, Mark, Tone};
use crate::wire::push_dec;
use std::ops::Range;
use std::time::{Duration, SystemTime};

/// Adds what relation `r` of a packet taken at `at` says to its dump. `offset` is where
/// the packet's bytes start in the dump's (past a link header no table reads, in a
/// capture file): the relater counts from the packet's first layer. `time_of` gives
/// an earlier packet's time by its number, or None when it is no longer known; the
/// round trip is then left out rather than guessed.
pub fn annotate(
    d: &mut Dump,
    r: &Relation,
    at: SystemTime,
    link: Option<&crate::capture::LinkSeen>,
    offset: usize,
    time_of: &dyn Fn(u64) -> Option<SystemTime>,
) {
    let (note, marked): (String, Vec<(&Change, String)>) = match r {
        Relation::Twin { first } => {
            // To us, or multicast for a frame sent to ff:ff:ff:ff:ff:ff (lo has no
            // broadcast address).
            let arriving = link.map_or(
                crate::capture::direction_words(crate::capture::PACKET_HOST),
                |l| l.direction(),
            );
            (
                format!(
                    "this is #{first} again, arriving: lo hands each frame it sends straight back in, so a packet socket sees it leave (outgoing) and arrive ({arriving}). `listen link lo once` shows each frame once"
                ),
                Vec::new(),
            )
        }
        Relation::WireCopy {
            sent,
            mode,
            changes,
        } => {
            let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
            let listed = if names.is_empty() {
                "nothing".to_string()
            } else {
                names.join(", ")
            };
            let note = match (mode, names.is_empty()) {
                (Mode::Kernel, _) => format!(
                    "this is #{sent} as it went on the wire: the kernel wrote the IP header (mode kernel); it differs from the template in {listed}"
                ),
                (_, true) => {
                    format!(
                        "this is #{sent} as it went on the wire, byte for byte as rawlab handed it"
                    )
                }
                (_, false) => {
                    format!("this is #{sent} as it went on the wire: the kernel changed {listed}")
                }
            };
            let marked = changes
                .iter()
                .map(|c| {
                    let text = if *mode == Mode::Kernel && c.layer_start == 0 {
                        format!(
                            "the kernel wrote {}; the template had {}",
                            c.after(),
                            c.before()
                        )
                    } else {
                        format!(
                            "the kernel changed it: rawlab handed {} in #{sent}",
                            c.before()
                        )
                    };
                    (c, text)
                })
                .collect();
            (note, marked)
        }
        Relation::Reply {
            request,
            sent,
            changes,
        } => {
            // Written piece by piece, not formatted: `read` draws a reply every few
            // packets of a capture.
            let mut note = String::with_capacity(64 + 40 * changes.len());
            note.push_str("reply to #");
            push_dec(&mut note, u128::from(*request));
            if let Some(s) = sent.filter(|s| s != request) {
                note.push_str(", your #");
                push_dec(&mut note, u128::from(s));
            }
            if let Some(d) =
                time_of(sent.unwrap_or(*request)).and_then(|s| at.duration_since(s).ok())
            {
                note.push_str(", ");
                push_duration(&mut note, d);
                note.push_str(" after it was sent");
            }
            note.push_str("; what differs: ");
            if changes.is_empty() {
                note.push_str("nothing");
            }
            for (i, c) in changes.iter().enumerate() {
                if i > 0 {
                    note.push_str(", ");
                }
                note.push_str(c.field.name);
                note.push_str(" (");
                push_span(&mut note, c.span.start + offset..c.span.end + offset);
                note.push(')');
            }
            let marked = changes
                .iter()
                .map(|c| {
                    let mut text = String::with_capacity(48);
                    text.push_str("was ");
                    c.write_before(&mut text);
                    text.push_str(" in #");
                    push_dec(&mut text, u128::from(*request));
                    (c, text)
                })
                .collect();
            (note, marked)
        }
        Relation::Reset { syn, sent } => (
            format!(
                "this host's kernel resets the connection #{syn} (your #{sent}) began: that SYN came from a raw socket, so no socket here owns its port, and when the SYN-ACK arrived TCP refused a connection it never opened"
            ),
            Vec::new(),
        ),
        Relation::Error {
            about,
            sent,
            quoted,
            len,
        } => {
            let yours = sent
                .filter(|s| s != about)
                .map_or(String::new(), |s| format!(" (your #{s})"));
            let how = if quoted >= len {
                format!("the whole of it, {len} bytes")
            } else {
                format!("its first {quoted} of {len} bytes")
            };
            (
                format!("an error about #{about}{yours}: it quotes {how}"),
                Vec::new(),
            )
        }
    };
    d.notes.push((note, Tone::Note));
    d.marks.reserve(marked.len());
    d.emphasize.reserve(marked.len());
    for (c, text) in marked {
        d.marks.push(Mark {
            field: c.field,
            layer_start: c.layer_start + offset,
            text,
            tone: Tone::Note,
        });
        d.emphasize.push(c.span.start + offset..c.span.end + offset);
    }
}

/// `bytes 4–5`, or `byte 20` for one.
pub fn span_words(r: &Range<usize>) -> String {
    let mut s = String::with_capacity(16);
    push_span(&mut s, r.clone());
    s
}

/// [`span_words`], appended to `out`.
fn push_span(out: &mut String, r: Range<usize>) {
    if r.len() <= 1 {
        out.push_str("byte ");
        push_dec(out, r.start as u128);
    } else {
        out.push_str("bytes ");
        push_dec(out, r.start as u128);
        out.push('–');
        push_dec(out, (r.end - 1) as u128);
    }
}

/// `84 µs`, `1.234 ms`, `300 ms`, `2.5 s`.
pub fn duration_words(d: Duration) -> String {
    let mut s = String::with_capacity(16);
    push_duration(&mut s, d);
    s
}

/// [`duration_words`], appended to `s`.
fn push_duration(s: &mut String, d: Duration) {
    // In whole numbers, rounded half up: float formatting cost more than the rest of a
    // reply's note, and `read` writes one every few packets.
    let ns = d.as_nanos();
    let round = |unit: u128| (ns + unit / 2) / unit;
    let (whole, thousandths, unit) = if ns < 1_000_000 {
        (round(1_000), 0, " µs")
    } else if ns < 1_000_000_000 {
        let us = round(1_000);
        (us / 1000, us % 1000, " ms")
    } else {
        let ms = round(1_000_000);
        (ms / 1000, ms % 1000, " s")
    };
    push_dec(s, whole);
    if thousandths > 0 {
        let digits = [thousandths / 100, thousandths / 10 % 10, thousandths % 10];
        let shown = if digits[2] > 0 {
            3
        } else if digits[1] > 0 {
            2
        } else {
            1
        };
        s.push('.');
        for d in &digits[..shown] {
            s.push(char::from(b'0' + *d as u8));
        }
    }
    s.push_str(unit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_in_words() {
        assert_eq!(span_words(&(20..21)), "byte 20");
        assert_eq!(span_words(&(4..6)), "bytes 4–5");
        assert_eq!(span_words(&(7..7)), "byte 7");
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(Duration::from_micros(84)), "84 µs");
        assert_eq!(duration_words(Duration::from_millis(300)), "300 ms");
        assert_eq!(duration_words(Duration::from_micros(1234)), "1.234 ms");
        assert_eq!(duration_words(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(duration_words(Duration::from_secs(1)), "1 s");
        assert_eq!(duration_words(Duration::from_nanos(19_499)), "19 µs");
        assert_eq!(duration_words(Duration::from_nanos(999_600)), "1000 µs");
        assert_eq!(duration_words(Duration::from_micros(1050)), "1.05 ms");
        assert_eq!(duration_words(Duration::from_micros(20_300)), "20.3 ms");
        assert_eq!(duration_words(Duration::from_nanos(1_999_999_999)), "2 s");
        assert_eq!(duration_words(Duration::from_secs(90)), "90 s");
    }
}
