//! What a relation (`lab::Relation`) says, in words, on a dump: a note under the
//! heading, a mark on each field that changed, those bytes emphasised. A session's
//! `dump` and `rawlab read` both draw relations through here, so a reply read from
//! a file reads as it did live. Knows nothing of sockets, sessions or files: what
//! it cannot see (when an earlier packet was sent) it is handed.

use crate::command::Mode;
use crate::lab::{Change, Relation};
use crate::render::{Dump, Mark, Tone};
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
    offset: usize,
    time_of: &dyn Fn(u64) -> Option<SystemTime>,
) {
    let (note, marked): (String, Vec<(&Change, String)>) = match r {
        Relation::Twin { first } => (
            format!(
                "this is #{first} again, arriving: lo hands each frame it sends straight back in, so a packet socket sees it leave (outgoing) and arrive (to us). `listen link lo once` shows each frame once"
            ),
            Vec::new(),
        ),
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
                            c.after, c.before
                        )
                    } else {
                        format!(
                            "the kernel changed it: rawlab handed {} in #{sent}",
                            c.before
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
            let names: Vec<String> = changes
                .iter()
                .map(|c| {
                    let span = c.span.start + offset..c.span.end + offset;
                    format!("{} ({})", c.field.name, span_words(&span))
                })
                .collect();
            let yours = sent
                .filter(|s| s != request)
                .map_or(String::new(), |s| format!(", your #{s}"));
            let rtt = time_of(sent.unwrap_or(*request))
                .and_then(|s| at.duration_since(s).ok())
                .map_or(String::new(), |d| {
                    format!(", {} after it was sent", duration_words(d))
                });
            let listed = if names.is_empty() {
                "nothing".to_string()
            } else {
                names.join(", ")
            };
            let note = format!("reply to #{request}{yours}{rtt}; what differs: {listed}");
            let marked = changes
                .iter()
                .map(|c| (c, format!("was {} in #{request}", c.before)))
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
    if r.len() <= 1 {
        format!("byte {}", r.start)
    } else {
        format!("bytes {}–{}", r.start, r.end - 1)
    }
}

/// `84 µs`, `1.234 ms`, `300 ms`, `2.5 s`.
pub fn duration_words(d: Duration) -> String {
    fn trim(v: f64) -> String {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{} ms", trim(us / 1000.0))
    } else {
        format!("{} s", trim(us / 1e6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(Duration::from_micros(84)), "84 µs");
        assert_eq!(duration_words(Duration::from_millis(300)), "300 ms");
        assert_eq!(duration_words(Duration::from_micros(1234)), "1.234 ms");
        assert_eq!(duration_words(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(duration_words(Duration::from_secs(1)), "1 s");
    }
}
