//! `predict`: a question asked before the next send, ping or trigger. The learner's
//! answer is taken at the prompt (or in --step), the step runs, and rawlab says what
//! was right; a script shows the question and the answer without waiting. What is
//! true is read from the packets and their relations, as `expect` reads it.

use super::Session;
use super::expect::{Got, read_field};
use crate::command::{Answer, Ask, Context, Predict, parse_answer};
use crate::lab::Relation;
use crate::render::{self, Tone};
use crate::wire::Field;
use std::io::{self, Write};

/// A prediction made and not yet revealed.
pub(super) struct Pending {
    predict: Predict,
    answer: Option<Answer>,
    /// Waiting for the learner's answer: the prompt takes it instead of a command.
    asking: bool,
}

/// What the step showed, for comparing with an answer.
enum Truth {
    Number(u128),
    Bytes(Vec<u8>),
    Fields(Vec<&'static Field>),
}

impl Session {
    pub(super) fn predict(&mut self, p: &Predict, out: &mut dyn Write) -> io::Result<()> {
        if let Some(old) = self.teach.prediction.take() {
            self.info(
                out,
                &format!(
                    "the prediction before (\"{}\") had no send after it: dropped",
                    old.predict.question
                ),
            )?;
        }
        let style = self.style();
        for l in style.wrap(&format!("? {}", p.question), "", "  ") {
            writeln!(out, "{}", style.paint(&l, Tone::Heading))?;
        }
        self.info(
            out,
            &format!(
                "  your answer: {} (the next send, ping or trigger tells; Enter alone just watches)",
                p.ask.wants()
            ),
        )?;
        self.teach.prediction = Some(Pending {
            predict: p.clone(),
            answer: None,
            asking: true,
        });
        Ok(())
    }

    /// Whether the prompt waits for an answer to a prediction rather than a command.
    pub fn asking(&self) -> bool {
        self.teach.prediction.as_ref().is_some_and(|p| p.asking)
    }

    /// The learner's answer to the prediction asked, as typed. An answer that does not
    /// read as what was asked is refused with the reason (false: ask again); an empty
    /// line just watches. A lesson taken at the prompt goes on once it is taken.
    pub fn answer(&mut self, line: &str, out: &mut dyn Write) -> io::Result<bool> {
        let stack = self.stack();
        let style = self.style();
        let Some(p) = self.teach.prediction.as_mut().filter(|p| p.asking) else {
            return Ok(true);
        };
        let said = if line.trim().is_empty() {
            p.asking = false;
            "no prediction, then: watch what the next step shows".to_string()
        } else {
            match parse_answer(&p.predict.ask, line, &Context::new(&stack)) {
                Ok(a) => {
                    let words = answer_words(&p.predict.ask, &a);
                    p.answer = Some(a);
                    p.asking = false;
                    format!("noted: {words}; the next send, ping or trigger will tell")
                }
                Err(e) => {
                    render::parse_error(out, line, &(&e).into(), None, &style)?;
                    self.info(out, "type your answer again, or Enter alone to just watch")?;
                    return Ok(false);
                }
            }
        };
        self.info(out, &said)?;
        self.teach.lesson_moved = true;
        self.lesson_narrate(out)?;
        Ok(true)
    }

    /// In a script (not --step) the question is not waited on: the answer follows the step.
    pub fn pass_answer(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(p) = self.teach.prediction.as_mut().filter(|p| p.asking) {
            p.asking = false;
            self.info(
                out,
                "  (a script does not wait: the answer follows the next step)",
            )?;
        }
        Ok(())
    }

    /// After a send, ping or trigger: what it showed, against the learner's answer. A
    /// prediction that cannot be answered (no reply came) is a failure: the lesson asked
    /// something the kernel did not show.
    pub(super) fn reveal(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let Some(p) = self.teach.prediction.take() else {
            return Ok(());
        };
        self.settle_traffic(out)?;
        let ask = &p.predict.ask;
        let (truth, evidence) = match self.truth(ask) {
            Ok(t) => t,
            Err(why) => {
                self.fail(
                    out,
                    &format!("\"{}\" has no answer: {why}", p.predict.question),
                )?;
                return Ok(());
            }
        };
        let style = self.style();
        let (text, tone) = match (&p.answer, &truth) {
            (None, _) => (format!("answer: {evidence}"), Tone::Note),
            (Some(Answer::Fields(said)), Truth::Fields(is)) => {
                let right: Vec<&str> = said
                    .iter()
                    .filter(|f| is.contains(f))
                    .map(|f| f.name)
                    .collect();
                let missed: Vec<&str> = is
                    .iter()
                    .filter(|f| !said.contains(f))
                    .map(|f| f.name)
                    .collect();
                let wrong: Vec<&str> = said
                    .iter()
                    .filter(|f| !is.contains(f))
                    .map(|f| f.name)
                    .collect();
                let mut parts = Vec::new();
                if !right.is_empty() {
                    parts.push(format!("right: {}", right.join(", ")));
                }
                if !missed.is_empty() {
                    parts.push(format!("missed: {}", missed.join(", ")));
                }
                if !wrong.is_empty() {
                    let not = match ask {
                        Ask::KernelChanged => "the kernel left alone",
                        _ => "the same in the reply",
                    };
                    parts.push(format!("{not}: {}", wrong.join(", ")));
                }
                let all = missed.is_empty() && wrong.is_empty();
                if parts.is_empty() {
                    parts.push("nothing changed, as you said".into());
                }
                (
                    format!(
                        "{} {} — {evidence}",
                        if all { "✓" } else { "✗" },
                        parts.join(" · ")
                    ),
                    if all { Tone::Good } else { Tone::Bad },
                )
            }
            (Some(a), t) => {
                let right = match (a, t) {
                    (Answer::Number(x), Truth::Number(y)) => x == y,
                    (Answer::Bytes(x), Truth::Bytes(y)) => x == y,
                    _ => false,
                };
                let said = answer_words(ask, a);
                if right {
                    (format!("✓ you said {said}: right — {evidence}"), Tone::Good)
                } else {
                    (format!("✗ you said {said}; it was {evidence}"), Tone::Bad)
                }
            }
        };
        for l in style.wrap(&text, "", "    ") {
            writeln!(out, "{}", style.paint(&l, tone))?;
        }
        Ok(())
    }

    /// Before judging what a step did: a trigger still running in the background (a
    /// ping's echo requests) is waited for, within a bound, and what it brought is
    /// numbered and shown.
    pub(super) fn settle_traffic(&mut self, out: &mut dyn Write) -> io::Result<()> {
        use std::time::{Duration, Instant};
        if self.open.triggers.is_empty() {
            self.shower.store.settle_all();
            self.shower.show_pending(out)?;
            return Ok(());
        }
        let deadline = Instant::now() + self.timeout * 3;
        while !self.open.triggers.iter().all(|t| t.finished())
            && Instant::now() < deadline
            && !self.interrupted()
        {
            self.shower
                .store
                .wait_unshown(Instant::now() + Duration::from_millis(20));
            self.shower.show_pending(out)?;
        }
        // The listeners get the last packets a moment after the trigger has its reply.
        self.show_until_quiet(out)?;
        self.shower.store.settle_all();
        self.shower.show_pending(out)?;
        // Those that ended are waited for no more.
        self.open.triggers.retain(|t| !t.finished());
        Ok(())
    }

    /// At the end of a script: a prediction no step answered is the script's fault.
    pub fn unrevealed(&mut self, out: &mut dyn Write) -> io::Result<bool> {
        match self.teach.prediction.take() {
            Some(p) => {
                self.fail(
                    out,
                    &format!(
                        "\"{}\" was never answered: no send, ping or trigger came after it",
                        p.predict.question
                    ),
                )?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// What the last step showed for `ask`, and that in words with its evidence.
    fn truth(&self, ask: &Ask) -> Result<(Truth, String), String> {
        let seen = self.since_traffic();
        let numbers = |v: &[u64]| {
            v.iter()
                .map(|n| format!("#{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match ask {
            Ask::Captured => {
                let nos: Vec<u64> = seen.iter().map(|(p, _)| p.no).collect();
                let n = nos.len() as u128;
                Ok((
                    Truth::Number(n),
                    if n == 0 {
                        "0: nothing was captured".into()
                    } else {
                        format!("{n} captured ({})", numbers(&nos))
                    },
                ))
            }
            Ask::Replies => {
                let nos: Vec<u64> = seen
                    .iter()
                    .filter(|(_, r)| r.iter().any(|r| matches!(r, Relation::Reply { .. })))
                    .map(|(p, _)| p.no)
                    .collect();
                let n = nos.len() as u128;
                Ok((
                    Truth::Number(n),
                    if n == 0 {
                        "0: no reply came".into()
                    } else {
                        format!(
                            "{n} repl{} ({})",
                            if n == 1 { "y" } else { "ies" },
                            numbers(&nos)
                        )
                    },
                ))
            }
            Ask::ReplyField(f) => {
                let (p, _) = self.first_reply().ok_or("no reply came")?;
                let got = read_field(&p, f)?;
                let words = format!("{} in reply #{}", got.words(f), p.no);
                Ok((
                    match got {
                        Got::Num(v) => Truth::Number(v),
                        Got::Bytes(b) => Truth::Bytes(b),
                        Got::Text(t) => Truth::Bytes(t.into_bytes()),
                    },
                    words,
                ))
            }
            Ask::ReplyByte(n) => {
                let (p, _) = self.first_reply().ok_or("no reply came")?;
                let b = *p.bytes.get(*n).ok_or(format!(
                    "reply #{} has {} bytes, so no byte {n}",
                    p.no,
                    p.bytes.len()
                ))?;
                Ok((
                    Truth::Number(b as u128),
                    format!("0x{b:02x} ({b}) at byte {n} of reply #{}", p.no),
                ))
            }
            Ask::KernelChanged => {
                let (wire, sent, changes) = seen
                    .iter()
                    .find_map(|(p, r)| {
                        r.iter().find_map(|r| match r {
                            Relation::WireCopy { sent, changes, .. } => {
                                Some((p.no, *sent, changes.clone()))
                            }
                            _ => None,
                        })
                    })
                    .ok_or("no copy of the send was seen on the wire: a listener (listen icmp) must be open before the send")?;
                let fields = changed_fields(changes.iter().map(|c| c.field));
                let words = format!(
                    "{} (#{wire} against #{sent})",
                    fields_words(&fields, "the kernel changed nothing")
                );
                Ok((Truth::Fields(fields), words))
            }
            Ask::ReplyChanged => {
                let (reply, request, changes) = seen
                    .iter()
                    .find_map(|(p, r)| {
                        r.iter().find_map(|r| match r {
                            Relation::Reply {
                                request, changes, ..
                            } => Some((p.no, *request, changes.clone())),
                            _ => None,
                        })
                    })
                    .ok_or("no reply came")?;
                let fields = changed_fields(changes.iter().map(|c| c.field));
                let words = format!(
                    "{} (#{reply} against #{request})",
                    fields_words(&fields, "the reply is the request's bytes")
                );
                Ok((Truth::Fields(fields), words))
            }
        }
    }
}

/// The fields named once each, without the groups (ip.flags over ip.flags.df).
fn changed_fields(fields: impl Iterator<Item = &'static Field>) -> Vec<&'static Field> {
    let mut out: Vec<&'static Field> = Vec::new();
    for f in fields.filter(|f| !f.group) {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

fn fields_words(fields: &[&'static Field], none: &str) -> String {
    if fields.is_empty() {
        none.to_string()
    } else {
        fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
    }
}

/// An answer in words: `2`, `0 (echo-reply)`, `0x3f (63)`, `ip.id, ip.checksum`.
fn answer_words(ask: &Ask, a: &Answer) -> String {
    match (ask, a) {
        (Ask::ReplyField(f), Answer::Number(v)) => f.words(*v),
        (Ask::ReplyByte(_), Answer::Number(v)) => format!("0x{v:02x} ({v})"),
        (_, Answer::Number(v)) => v.to_string(),
        (_, Answer::Bytes(b)) => crate::lab::hex_words(b),
        (_, Answer::Fields(f)) => fields_words(f, "none"),
    }
}
