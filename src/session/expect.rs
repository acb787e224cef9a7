//! `expect`: checks on what actually happened, the way lessons verify their
//! claims against the kernel. Traffic checks look at the packets since the last
//! send, ping or trigger began; `within` waits (showing packets) for them.

use super::Session;
use crate::capture::Packet;
use crate::command::{Cmp, Expect, FieldCheck};
use crate::lab::Relation;
use crate::render::Tone;
use crate::wire::template::Value;
use crate::wire::{DATA, Kind, dissect::dissect};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a check came out: passed (with what was seen), failed (expected vs actual),
/// or not decided yet (keep waiting, if there is time).
enum Outcome {
    Pass(String),
    Fail(String),
    NotYet(String),
}

impl Session {
    pub(super) fn expect(&mut self, e: &Expect, out: &mut dyn Write) -> io::Result<()> {
        let (within, settle_at_deadline) = match e {
            Expect::Reply { within, .. } => (*within, false),
            Expect::NoReply { within } => (*within, true),
            _ => (None, false),
        };
        let deadline = Instant::now() + within.unwrap_or(Duration::ZERO);
        let outcome = loop {
            self.shower.show_pending(out)?;
            let now = self.judge(e);
            let done = match &now {
                Outcome::Pass(_) => !settle_at_deadline || Instant::now() >= deadline,
                Outcome::Fail(_) => true,
                Outcome::NotYet(_) => Instant::now() >= deadline,
            };
            if done || self.interrupted() {
                break now;
            }
            let step = (Instant::now() + Duration::from_millis(20)).min(deadline);
            self.shower.store.wait_unshown(step);
        };
        let style = self.style();
        let text = describe(e);
        let (result, shown) = match outcome {
            Outcome::Pass(seen) => (
                Ok(seen.clone()),
                style.paint(&format!("✓ {text}: {seen}"), Tone::Good),
            ),
            Outcome::Fail(why) | Outcome::NotYet(why) => {
                self.failures += 1;
                (
                    Err(why.clone()),
                    style.paint(&format!("✗ {text}: {why}"), Tone::Bad),
                )
            }
        };
        for l in style.wrap(&shown, "", "    ") {
            writeln!(out, "{l}")?;
        }
        self.last_expect = Some(result);
        Ok(())
    }

    /// Captured packets since the last traffic command, each with what was found about it.
    fn since_traffic(&self) -> Vec<(Arc<Packet>, Vec<Relation>)> {
        self.shower
            .store
            .all()
            .into_iter()
            .filter(|p| p.no >= self.traffic_from && !p.is_sent())
            .map(|p| {
                let r = self.shower.relations_of(p.no);
                (p, r)
            })
            .collect()
    }

    fn judge(&self, e: &Expect) -> Outcome {
        match e {
            Expect::Reply { check, .. } => {
                let reply = self
                    .since_traffic()
                    .into_iter()
                    .find(|(_, r)| r.iter().any(|r| matches!(r, Relation::Reply { .. })));
                match (reply, check) {
                    (None, _) => Outcome::NotYet("no reply arrived".into()),
                    (Some((p, _)), None) => Outcome::Pass(format!("#{} is a reply", p.no)),
                    (Some((p, _)), Some(c)) => field_outcome(&p, c),
                }
            }
            Expect::NoReply { .. } => {
                match self
                    .since_traffic()
                    .into_iter()
                    .find(|(_, r)| r.iter().any(|r| matches!(r, Relation::Reply { .. })))
                {
                    Some((p, r)) => {
                        let to = r
                            .iter()
                            .find_map(|r| match r {
                                Relation::Reply { request, .. } => Some(*request),
                                _ => None,
                            })
                            .unwrap_or(0);
                        Outcome::Fail(format!(
                            "expected silence, but #{} is a reply to #{to}",
                            p.no
                        ))
                    }
                    None => Outcome::Pass("no reply came".into()),
                }
            }
            Expect::KernelChanged { field, changed } => {
                let copy = self.since_traffic().into_iter().rev().find_map(|(p, r)| {
                    r.into_iter().find_map(|r| match r {
                        Relation::WireCopy { sent, changes, .. } => Some((p.no, sent, changes)),
                        _ => None,
                    })
                });
                let Some((wire, sent, changes)) = copy else {
                    return Outcome::Fail(
                        "no copy of a send was seen on the wire to compare with".into(),
                    );
                };
                let change = changes.iter().find(|c| c.field == *field);
                match (change, changed) {
                    (Some(c), true) => Outcome::Pass(format!(
                        "#{sent} had {}, the wire (#{wire}) {}",
                        c.before(),
                        c.after()
                    )),
                    (None, false) => {
                        Outcome::Pass(format!("#{wire} carries {} as #{sent} had it", field.name))
                    }
                    (Some(c), false) => Outcome::Fail(format!(
                        "expected the kernel to keep {}, but it changed it: {} in #{sent}, {} on the wire (#{wire})",
                        field.name,
                        c.before(),
                        c.after()
                    )),
                    (None, true) => Outcome::Fail(format!(
                        "expected the kernel to change {}, but #{wire} carries it as #{sent} had it",
                        field.name
                    )),
                }
            }
            Expect::Captured { cmp, count } => {
                let n = self.since_traffic().len() as u64;
                verdict(
                    cmp.holds(n, *count),
                    format!("{n} captured"),
                    format!("expected {} {count} captured, but {n} were", cmp.symbol()),
                )
            }
            Expect::Packet { no, check } => {
                let p = match no {
                    Some(n) => self.shower.store.get(*n),
                    None => self
                        .shower
                        .store
                        .all()
                        .into_iter()
                        .rev()
                        .find(|p| !p.is_sent()),
                };
                match p {
                    Some(p) => field_outcome(&p, check),
                    None => Outcome::Fail(match no {
                        Some(n) => format!("there is no packet #{n}"),
                        None => "nothing has been captured".into(),
                    }),
                }
            }
            Expect::PingReceived { cmp, count } => match self.last_ping {
                None => Outcome::Fail("no ping has run".into()),
                Some((sent, got)) => verdict(
                    cmp.holds(got, *count),
                    format!("{got} of {sent} replies"),
                    format!(
                        "expected {} {count} replies, but the ping received {got} of {sent}",
                        cmp.symbol()
                    ),
                ),
            },
        }
    }
}

/// The check in words, as a lesson would write it.
pub fn describe(e: &Expect) -> String {
    let check = |c: &FieldCheck| {
        let v = match &c.value {
            Value::Raw(r) => c.field.words(*r),
            Value::Bytes(b) if c.field.kind == Kind::Name => {
                String::from_utf8_lossy(b).into_owned()
            }
            Value::Bytes(b) => crate::lab::hex_words(b),
        };
        format!("{} {} {v}", c.field.name, c.cmp.symbol())
    };
    let within = |w: &Option<Duration>| {
        w.map_or(String::new(), |d| {
            format!(" within {}", super::duration_words(d))
        })
    };
    match e {
        Expect::Reply {
            check: c,
            within: w,
        } => {
            format!(
                "expect reply{}{}",
                c.as_ref()
                    .map_or(String::new(), |c| format!(" {}", check(c))),
                within(w)
            )
        }
        Expect::NoReply { within: w } => format!("expect no reply{}", within(w)),
        Expect::KernelChanged { field, changed } => {
            format!(
                "expect kernel-{} {}",
                if *changed { "changed" } else { "kept" },
                field.name
            )
        }
        Expect::Captured { cmp, count } => format!("expect captured {} {count}", cmp.symbol()),
        Expect::Packet { no, check: c } => match no {
            Some(n) => format!("expect packet {n} {}", check(c)),
            None => format!("expect last {}", check(c)),
        },
        Expect::PingReceived { cmp, count } => {
            format!("expect ping received {} {count}", cmp.symbol())
        }
    }
}

fn verdict(ok: bool, pass: String, fail: String) -> Outcome {
    if ok {
        Outcome::Pass(pass)
    } else {
        Outcome::Fail(fail)
    }
}

/// Checks one field of a packet.
fn field_outcome(p: &Packet, c: &FieldCheck) -> Outcome {
    let d = dissect(&p.bytes, p.first);
    let f = c.field;
    let (actual, ok) = if f.kind == Kind::Name {
        // A domain name: the first record's that has it, as text.
        let Some(text) = d.layers.iter().find_map(|l| {
            let at = l
                .items
                .iter()
                .flat_map(|i| &i.fields)
                .find(|x| x.field == f)?;
            Some(crate::render::placed_words(&p.bytes, at, l.hdr_end))
        }) else {
            return Outcome::Fail(format!("#{} has no {}", p.no, f.name));
        };
        let want = match &c.value {
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Raw(_) => String::new(),
        };
        let ok = match c.cmp {
            Cmp::Eq => text == want,
            Cmp::Ne => text != want,
            _ => false,
        };
        (text, ok)
    } else if f == &DATA || f.kind == Kind::Bytes {
        let bytes = if f == &DATA {
            Some(p.bytes[d.payload.clone()].to_vec())
        } else {
            d.layer_of(f)
                .and_then(|l| l.tail())
                .map(|(_, r)| p.bytes[r].to_vec())
        };
        let Some(bytes) = bytes else {
            return Outcome::Fail(format!("#{} has no {}", p.no, f.name));
        };
        let want = match &c.value {
            Value::Bytes(b) => b.clone(),
            Value::Raw(_) => Vec::new(),
        };
        let ok = match c.cmp {
            Cmp::Eq => bytes == want,
            Cmp::Ne => bytes != want,
            _ => false,
        };
        (crate::lab::hex_words(&bytes), ok)
    } else {
        let Some(v) = d.value(&p.bytes, f) else {
            return Outcome::Fail(format!("#{} has no {} ({})", p.no, f.name, d.stack_name()));
        };
        let want = match c.value {
            Value::Raw(r) => r,
            Value::Bytes(_) => return Outcome::Fail(format!("{} is a number, not bytes", f.name)),
        };
        (f.words(v), c.cmp.holds(v, want))
    };
    let want_words = match &c.value {
        Value::Bytes(b) if f.kind == Kind::Name => String::from_utf8_lossy(b).into_owned(),
        Value::Raw(r) => f.words(*r),
        Value::Bytes(b) => crate::lab::hex_words(b),
    };
    verdict(
        ok,
        format!("#{} has {actual}", p.no),
        format!(
            "expected {} {} {want_words}, but #{} has {actual}",
            f.name,
            c.cmp.symbol(),
            p.no
        ),
    )
}
