//! `why N`: a packet's fate after the fact, from the relations the store found and
//! the evidence kept: for a send, whether the kernel took it, its copies on the wire
//! and what the kernel changed, its answer, or, when none came, what was counted;
//! for a captured packet, what it is to the packets before it, or that nothing this
//! session sent explains it.

use super::{Flow, Session, duration_words};
use crate::capture::{Origin, Packet};
use crate::lab::{Relation, silence_reasons};
use crate::render::Tone;
use crate::wire::{Verdict, dissect::dissect};
use std::io::{self, Write};

impl Session {
    pub(super) fn why(&mut self, no: u64, out: &mut dyn Write) -> io::Result<Flow> {
        let Some(p) = self.packet(no, out)? else {
            return Ok(Flow::Continue);
        };
        let style = self.style();
        writeln!(out, "{}", style.paint(&self.why_heading(&p), Tone::Heading))?;
        // What came after it and names it: its copies, answers, errors, twins.
        let later: Vec<(u64, Relation)> = self
            .shower
            .store
            .after(no)
            .iter()
            .flat_map(|q| q.relations().iter().map(|r| (q.no, r.clone())))
            .filter(|(_, r)| names(r, no))
            .collect();
        let mut lines: Vec<String> = p
            .relations()
            .iter()
            .map(|r| self.what_it_is(&p, r))
            .collect();
        let answered = self.what_followed(&p, &later, &mut lines);
        // The send's evidence: what the kernel counted while it ran.
        let outcome = self
            .evidence
            .outcomes
            .iter()
            .rev()
            .find(|o| o.sent.contains(&no))
            .cloned();
        let mut silent = false;
        if p.is_sent() && !answered {
            lines.push("no answer to it was seen".into());
            match &outcome {
                Some(_) => silent = true,
                None => self.silence_from_bytes(&p, &mut lines),
            }
        } else if p.is_sent()
            && let Some(o) = &outcome
            && let Some(c) = &o.counted
        {
            lines.push(format!(
                "while its send ran the kernel counted, {}:",
                self.counters_scope()
            ));
            lines.extend(self.counted_lines(c).into_iter().map(|l| format!("  {l}")));
            lines.extend(self.peer_counted_lines(o).unwrap_or_default());
            lines.extend(self.drop_lines(o));
        }
        if !p.is_sent() {
            lines.extend(wrong_checksums(&p));
            if p.relations().is_empty() && later.is_empty() {
                lines.push(self.unexplained(&p));
            }
        }
        for l in lines {
            // Counter lines sit under their heading.
            let (first, rest) = match l.strip_prefix("  ") {
                Some(_) => ("    ", "      "),
                None => ("  • ", "    "),
            };
            for w in style.wrap(l.trim_start(), first, rest) {
                writeln!(out, "{w}")?;
            }
        }
        if silent && let Some(o) = &outcome {
            self.why_silent(o, o.dst, out)?;
        }
        Ok(Flow::Continue)
    }

    /// `#N was handed to the kernel …`, `#N was captured on …`, `#N is packet K of …`.
    fn why_heading(&self, p: &Packet) -> String {
        let no = p.no;
        match &p.origin {
            Origin::Sent {
                mode, dst, iface, ..
            } => {
                let to = match iface {
                    Some(i) => format!("a frame on {i}"),
                    None => format!("to {dst}"),
                };
                format!(
                    "#{no} was handed to the kernel ({to}, mode {}) at {}, and the kernel took it",
                    mode.name(),
                    self.shower.since_start(p.time)
                )
            }
            Origin::Captured { socket, .. } => format!(
                "#{no} was captured on {socket} at {}",
                self.shower.since_start(p.time)
            ),
            Origin::File { path, index } => {
                format!("#{no} is packet {index} of {}", path.display())
            }
        }
    }

    /// What the packets after `p` that name it are to it, in words; whether one
    /// answered it (a reply, an error about it).
    fn what_followed(
        &self,
        p: &Packet,
        later: &[(u64, Relation)],
        lines: &mut Vec<String>,
    ) -> bool {
        let no = p.no;
        let mut answered = false;
        for (n, r) in later {
            match r {
                Relation::WireCopy { fragments, .. } if !fragments.is_empty() => {
                    lines.push(format!(
                        "the receiving kernel put {} back together into #{n} ({} fragments, reassembled)",
                        crate::lab::fragments_words(fragments),
                        fragments.len()
                    ));
                }
                Relation::WireCopy { changes, .. } => {
                    let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
                    lines.push(if names.is_empty() {
                        format!("on the wire it is #{n}, byte for byte as handed over")
                    } else {
                        format!(
                            "on the wire it is #{n}: the kernel changed {}",
                            names.join(", ")
                        )
                    });
                }
                Relation::Reply {
                    request, fragments, ..
                } if !fragments.is_empty() => {
                    answered = true;
                    lines.push(format!(
                        "#{n} answers the datagram {} make (reply to #{request}; {} fragments, reassembled)",
                        crate::lab::fragments_words(fragments),
                        fragments.len()
                    ));
                }
                Relation::Reply { request, .. } => {
                    answered = true;
                    let after = self
                        .shower
                        .store
                        .get(*n)
                        .and_then(|q| q.time.duration_since(p.time).ok())
                        .map_or(String::new(), |d| format!(", {} after", duration_words(d)));
                    let via = if *request == no {
                        String::new()
                    } else {
                        format!(" (to its copy #{request})")
                    };
                    lines.push(format!("#{n} answers it{via}{after}"));
                }
                Relation::Error { about, .. } => {
                    answered = true;
                    let what = self
                        .shower
                        .store
                        .get(*n)
                        .map(|q| dissect(&q.bytes, q.first).summary(&q.bytes))
                        .unwrap_or_default();
                    let via = if *about == no {
                        String::new()
                    } else {
                        format!(" (quoting its copy #{about})")
                    };
                    lines.push(format!("#{n} is an error about it{via}: {what}"));
                }
                Relation::Reset { .. } => lines.push(format!(
                    "#{n} is this host's kernel resetting the connection it began"
                )),
                Relation::Twin { .. } => {
                    lines.push(format!("#{n} is the same frame arriving again on lo"))
                }
                Relation::Window(_) => {}
            }
        }
        answered
    }

    /// A send too far back to have its evidence kept: why no answer, from the bytes alone.
    fn silence_from_bytes(&self, p: &Packet, lines: &mut Vec<String>) {
        let frame = p.first == &crate::wire::eth::ETH;
        let around = self.surroundings(frame);
        let Origin::Sent { dst, .. } = &p.origin else {
            return;
        };
        lines.push(
            "its send is too far back for what the kernel counted to be kept: from the bytes alone"
                .into(),
        );
        lines.extend(silence_reasons(&p.bytes, p.first, *dst, &around));
    }

    /// What a packet nothing relates to is, as far as rawlab can say.
    fn unexplained(&self, p: &Packet) -> String {
        match &p.origin {
            Origin::File { .. } => {
                "nothing else in what was loaded answers it or is answered by it".into()
            }
            _ if self.net == crate::net::Net::Host => {
                "nothing this session sent explains it: another program's traffic on this host"
                    .into()
            }
            _ => "nothing this session sent explains it: in the sandbox, traffic the kernel made itself (a trigger, a server) or the peer's".into(),
        }
    }

    /// A relation of the packet itself, in words.
    fn what_it_is(&self, p: &Packet, r: &Relation) -> String {
        match r {
            Relation::WireCopy {
                sent, fragments, ..
            } if !fragments.is_empty() => format!(
                "it is the datagram {} make, put back together by the receiving kernel ({} fragments, reassembled); #{sent} carried its header",
                crate::lab::fragments_words(fragments),
                fragments.len()
            ),
            Relation::WireCopy { sent, changes, .. } => {
                let names: Vec<&str> = changes.iter().map(|c| c.field.name).collect();
                if names.is_empty() {
                    format!("it is #{sent} as it went on the wire, byte for byte as handed over")
                } else {
                    format!(
                        "it is #{sent} as it went on the wire: the kernel changed {}",
                        names.join(", ")
                    )
                }
            }
            Relation::Reply { request, sent, .. } => {
                let yours = sent
                    .filter(|s| s != request)
                    .map_or(String::new(), |s| format!(", your #{s}"));
                let after = self
                    .shower
                    .store
                    .get(sent.unwrap_or(*request))
                    .and_then(|q| p.time.duration_since(q.time).ok())
                    .map_or(String::new(), |d| {
                        format!(", {} after it was sent", duration_words(d))
                    });
                format!("it answers #{request}{yours}{after}")
            }
            Relation::Error { about, sent, .. } => {
                let yours = sent
                    .filter(|s| s != about)
                    .map_or(String::new(), |s| format!(" (your #{s})"));
                format!("it is an error about #{about}{yours}, quoting it")
            }
            Relation::Reset { syn, sent } => format!(
                "it is this host's kernel resetting the connection #{syn} (your #{sent}) began: no socket here owns that port"
            ),
            Relation::Twin { first } => {
                format!(
                    "it is #{first} again, arriving: lo hands every frame it sends straight back"
                )
            }
            Relation::Window(w) => format!(
                "its window, tcp.window_size_value: {}",
                crate::lab::words::window_words(w)
            ),
        }
    }
}

/// Whether relation `r` (of a later packet) is about packet `no`.
fn names(r: &Relation, no: u64) -> bool {
    match r {
        Relation::WireCopy {
            sent, fragments, ..
        } => *sent == no || fragments.contains(&no),
        Relation::Reply {
            request,
            sent,
            fragments,
            ..
        } => *request == no || *sent == Some(no) || fragments.contains(&no),
        Relation::Error { about, sent, .. } => *about == no || *sent == Some(no),
        Relation::Reset { syn, sent } => *syn == no || *sent == no,
        Relation::Twin { first } => *first == no,
        // Every segment of a connection would name its SYN: not what `why` is after.
        Relation::Window(_) => false,
    }
}

/// The checksums of a captured packet that do not hold: a receiver drops it for them.
fn wrong_checksums(p: &Packet) -> Vec<String> {
    let d = dissect(&p.bytes, p.first);
    let mut out = Vec::new();
    for i in (0..d.layers.len()).filter(|i| d.verifiable(*i)) {
        let l = &d.layers[i];
        for e in (l.proto.expected)(&d.scope(i, &p.bytes)) {
            let have = l.get(&p.bytes, e.field);
            if e.verdict(have) == Verdict::Wrong {
                out.push(format!(
                    "its {} is {}, but the bytes add up to {}: a receiver drops it",
                    e.field.name,
                    e.field.words(have),
                    e.field.words(e.want)
                ));
            }
        }
    }
    out
}
