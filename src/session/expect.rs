//! `expect`: checks on what actually happened, the way lessons verify their
//! claims against the kernel. Traffic checks look at the packets since the last
//! send, ping or trigger began; `within` waits (showing packets) for them.

use super::Session;
use crate::capture::Packet;
use crate::command::{Cmp, Expect, FieldCheck, Operand, ReplyCheck};
use crate::lab::Relation;
use crate::render::Tone;
use crate::wire::Field;
use crate::wire::template::Value;
use crate::wire::{DATA, Kind, dissect::dissect};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a check came out: passed (with what was seen), failed (expected vs actual),
/// or not decided yet (keep waiting, if there is time).
pub(super) enum Outcome {
    Pass(String),
    Fail(String),
    NotYet(String),
}

impl Session {
    pub(super) fn expect(&mut self, e: &Expect, out: &mut dyn Write) -> io::Result<()> {
        // What a trigger still sends in the background belongs to the step checked.
        self.settle_traffic(out)?;
        let (within, settle_at_deadline) = match e {
            Expect::Reply { within, .. }
            | Expect::ReplyRequest { within, .. }
            | Expect::ReplyLike { within, .. } => (*within, false),
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
    pub(super) fn since_traffic(&self) -> Vec<(Arc<Packet>, Vec<Relation>)> {
        self.shower
            .store
            .all()
            .into_iter()
            .filter(|p| p.no >= self.evidence.traffic_from && !p.is_sent())
            .map(|p| {
                let r = self.shower.relations_of(p.no);
                (p, r)
            })
            .collect()
    }

    /// The first reply since the last traffic command, and the number of its request.
    /// A reply to one of rawlab's own sends comes first: the kernel's own exchanges on
    /// the way (an ARP request it makes to deliver the answer) are not what was asked.
    pub(super) fn first_reply(&self) -> Option<(Arc<Packet>, u64)> {
        let replies: Vec<(Arc<Packet>, u64, bool)> = self
            .since_traffic()
            .into_iter()
            .filter_map(|(p, r)| {
                r.iter().find_map(|r| match r {
                    Relation::Reply { request, sent, .. } => {
                        Some((p.clone(), *request, sent.is_some()))
                    }
                    _ => None,
                })
            })
            .collect();
        let ours = replies.iter().position(|(_, _, ours)| *ours).unwrap_or(0);
        replies.into_iter().nth(ours).map(|(p, q, _)| (p, q))
    }

    /// The first reply and its request, or why there is no pair to compare yet.
    fn reply_and_request(&self) -> Result<(Arc<Packet>, Arc<Packet>), Outcome> {
        let Some((reply, q)) = self.first_reply() else {
            return Err(Outcome::NotYet("no reply arrived".into()));
        };
        match self.shower.store.get(q) {
            Some(request) => Ok((reply, request)),
            None => Err(Outcome::Fail(format!(
                "#{} answers #{q}, which is no longer kept to compare with",
                reply.no
            ))),
        }
    }

    pub(super) fn judge(&self, e: &Expect) -> Outcome {
        match e {
            Expect::ReplyRequest { check, .. } => self.judge_reply_request(check),
            Expect::ReplyLike { checks, .. } => self.judge_reply_like(checks),
            Expect::Reply { check, .. } => match (self.first_reply(), check) {
                (None, _) => Outcome::NotYet("no reply arrived".into()),
                (Some((p, _)), None) => Outcome::Pass(format!("#{} is a reply", p.no)),
                (Some((p, _)), Some(c)) => field_outcome(&p, c),
            },
            Expect::NoReply { .. } => self.judge_no_reply(),
            Expect::KernelChanged { field, changed } => self.judge_kernel_changed(field, *changed),
            Expect::Captured { cmp, count, by } => self.judge_captured(*cmp, *count, *by),
            Expect::Packet { no, check } => self.judge_packet(*no, check),
            Expect::PacketByte {
                no,
                offset,
                cmp,
                value,
            } => self.judge_packet_byte(*no, *offset, *cmp, *value),
            Expect::Counted {
                table,
                name,
                cmp,
                count,
            } => self.judge_counted(table, name, *cmp, *count),
            Expect::Set(f) => self.judge_set(f),
            Expect::Refused { errno } => self.judge_refused(*errno),
            Expect::PingReceived { cmp, count } => match self.evidence.last_ping {
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

    /// `expect reply FIELD OP request [FIELD]`: the first reply against its request.
    fn judge_reply_request(&self, check: &ReplyCheck) -> Outcome {
        let (reply, request) = match self.reply_and_request() {
            Err(o) => return o,
            Ok(pair) => pair,
        };
        match compare(&reply, &request, check) {
            Err(why) => Outcome::Fail(why),
            Ok(Compared { ok, got, want }) => {
                let theirs = match check.against {
                    Operand::Request(f) => f,
                    Operand::Value(_) => check.field,
                };
                verdict(
                    ok,
                    format!(
                        "#{} has {} {got}, request #{} has {} {want}",
                        reply.no, check.field.name, request.no, theirs.name
                    ),
                    format!(
                        "expected {} {} the request's {}, but reply #{} has {got} and request #{} has {want}",
                        check.field.name,
                        check.cmp.symbol(),
                        theirs.name,
                        reply.no,
                        request.no
                    ),
                )
            }
        }
    }

    /// `expect reply like …`: every field of the first reply, naming each that differs.
    fn judge_reply_like(&self, checks: &[ReplyCheck]) -> Outcome {
        let (reply, request) = match self.reply_and_request() {
            Err(o) => return o,
            Ok(pair) => pair,
        };
        let mut same = Vec::new();
        let mut differ = Vec::new();
        for c in checks {
            match compare(&reply, &request, c) {
                Ok(Compared { ok: true, got, .. }) => same.push(format!("{} {got}", c.field.name)),
                Ok(Compared { got, want, .. }) => {
                    differ.push(format!("{}: expected {want}, got {got}", c.field.name))
                }
                Err(why) => differ.push(format!("{}: {why}", c.field.name)),
            }
        }
        if differ.is_empty() {
            Outcome::Pass(format!("#{} has {}", reply.no, same.join(", ")))
        } else {
            Outcome::Fail(format!(
                "reply #{} differs in {} of {} field{}: {}",
                reply.no,
                differ.len(),
                checks.len(),
                if checks.len() == 1 { "" } else { "s" },
                differ.join("; ")
            ))
        }
    }

    /// `expect no reply`: silence since the last traffic command.
    fn judge_no_reply(&self) -> Outcome {
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

    /// `expect kernel-changed|kernel-kept FIELD`: the last wire copy of a send against the send.
    fn judge_kernel_changed(&self, field: &'static Field, changed: bool) -> Outcome {
        let copy = self.since_traffic().into_iter().rev().find_map(|(p, r)| {
            r.into_iter().find_map(|r| match r {
                Relation::WireCopy { sent, changes, .. } => Some((p.no, sent, changes)),
                _ => None,
            })
        });
        let Some((wire, sent, changes)) = copy else {
            return Outcome::Fail("no copy of a send was seen on the wire to compare with".into());
        };
        let change = changes.iter().find(|c| c.field == field);
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

    /// `expect captured [by SOCKET] [OP] N`.
    fn judge_captured(&self, cmp: Cmp, count: u64, by: Option<&'static str>) -> Outcome {
        let n = self
            .since_traffic()
            .iter()
            .filter(|(p, _)| by.is_none_or(|b| captured_by(p, b)))
            .count() as u64;
        let on = by.map_or(String::new(), |b| format!(" by {b}"));
        verdict(
            cmp.holds(n, count),
            format!("{n} captured{on}"),
            format!(
                "expected {} {count} captured{on}, but {n} were",
                cmp.symbol()
            ),
        )
    }

    /// `expect packet N FIELD OP VALUE`, or `expect last FIELD OP VALUE`: the last one captured.
    fn judge_packet(&self, no: Option<u64>, check: &FieldCheck) -> Outcome {
        let p = match no {
            Some(n) => self.shower.store.get(n),
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

    /// `expect packet N byte OFFSET OP BYTE`.
    fn judge_packet_byte(&self, no: u64, offset: usize, cmp: Cmp, value: u8) -> Outcome {
        let Some(p) = self.shower.store.get(no) else {
            return Outcome::Fail(format!("there is no packet #{no}"));
        };
        match p.bytes.get(offset) {
            None => Outcome::Fail(format!(
                "#{no} has {} bytes, none at offset {offset}",
                p.bytes.len()
            )),
            Some(b) => verdict(
                cmp.holds(*b, value),
                format!("#{no} has 0x{b:02x} at offset {offset}"),
                format!(
                    "expected byte {offset} of #{no} {} 0x{value:02x}, but it is 0x{b:02x}",
                    cmp.symbol()
                ),
            ),
        }
    }

    /// `expect counted TABLE NAME [OP] N`: a kernel counter around the last send.
    fn judge_counted(&self, table: &str, name: &str, cmp: Cmp, count: u64) -> Outcome {
        let last = self.evidence.outcomes.back().filter(|o| {
            o.sent
                .first()
                .is_some_and(|n| *n >= self.evidence.traffic_from)
        });
        let Some(o) = last else {
            return Outcome::Fail(
                "no send since the last traffic command to read the counters around".into(),
            );
        };
        let Some(c) = &o.counted else {
            return Outcome::Fail(
                "the kernel's counters (/proc/net/snmp) could not be read here".into(),
            );
        };
        let by = c.by(table, name);
        let moved = u64::try_from(by).unwrap_or(0);
        verdict(
            by >= 0 && cmp.holds(moved, count),
            format!("{table} {name} moved by {by}"),
            format!(
                "expected {table} {name} to move by {} {count}, but it moved by {by}",
                cmp.symbol()
            ),
        )
    }

    /// `expect set FIELD`: the template's field was set by hand.
    fn judge_set(&self, f: &'static Field) -> Outcome {
        match self.template.user_value(f) {
            Some(v) => Outcome::Pass(format!(
                "the template's {} is {}, set by hand",
                f.name,
                f.words(v)
            )),
            None => Outcome::Fail(format!(
                "expected {} set by hand (`set {} VALUE`), but the template leaves it to {}",
                f.name,
                f.name,
                if f.fill == crate::wire::Fill::Computed {
                    "rawlab"
                } else {
                    "its default or the kernel"
                }
            )),
        }
    }

    /// `expect refused [ERRNO]`: the kernel refused the last send.
    fn judge_refused(&self, errno: Option<(&'static str, i32)>) -> Outcome {
        let got = self
            .evidence
            .refused
            .load(std::sync::atomic::Ordering::Relaxed);
        let name = |v: i32| {
            crate::command::ERRNOS
                .iter()
                .find(|(_, e)| *e == v)
                .map_or(format!("error {v}"), |(n, _)| n.to_string())
        };
        match (got, errno) {
            (0, _) => {
                Outcome::Fail("expected the kernel to refuse the send, but it took it".into())
            }
            (g, Some((n, v))) if g != v => Outcome::Fail(format!(
                "expected the kernel to refuse the send with {n}, but it said {}",
                name(g)
            )),
            (g, _) => Outcome::Pass(format!("the kernel refused it with {}", name(g))),
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
        Expect::ReplyRequest {
            check: c,
            within: w,
        } => format!("expect reply {}{}", reply_check(c), within(w)),
        Expect::ReplyLike { checks, within: w } => format!(
            "expect reply like {}{}",
            checks
                .iter()
                .map(|c| reply_check(c).replacen(" == ", " ", 1))
                .collect::<Vec<_>>()
                .join(", "),
            within(w)
        ),
        Expect::NoReply { within: w } => format!("expect no reply{}", within(w)),
        Expect::KernelChanged { field, changed } => {
            format!(
                "expect kernel-{} {}",
                if *changed { "changed" } else { "kept" },
                field.name
            )
        }
        Expect::Captured { cmp, count, by } => format!(
            "expect captured{} {} {count}",
            by.map_or(String::new(), |b| format!(" by {b}")),
            cmp.symbol()
        ),
        Expect::Packet { no, check: c } => match no {
            Some(n) => format!("expect packet {n} {}", check(c)),
            None => format!("expect last {}", check(c)),
        },
        Expect::PingReceived { cmp, count } => {
            format!("expect ping received {} {count}", cmp.symbol())
        }
        Expect::PacketByte {
            no,
            offset,
            cmp,
            value,
        } => format!(
            "expect packet {no} byte {offset} {} 0x{value:02x}",
            cmp.symbol()
        ),
        Expect::Set(f) => format!("expect set {}", f.name),
        Expect::Counted {
            table,
            name,
            cmp,
            count,
        } => format!("expect counted {table} {name} {} {count}", cmp.symbol()),
        Expect::Refused { errno } => match errno {
            Some((n, _)) => format!("expect refused {n}"),
            None => "expect refused".into(),
        },
    }
}

/// `icmp.ident == request`, `ip.dst == request ip.src`, `icmp.type == 0 (echo-reply)`.
fn reply_check(c: &ReplyCheck) -> String {
    let against = match &c.against {
        Operand::Request(f) if *f == c.field => "request".to_string(),
        Operand::Request(f) => format!("request {}", f.name),
        Operand::Value(v) => Got::of(v).words(c.field),
    };
    format!("{} {} {against}", c.field.name, c.cmp.symbol())
}

/// The listener an IP socket's name in `expect captured by` stands for: the one
/// `listen NAME` opens (`raw` is IPPROTO_RAW's, as `listen proto 255` opens it).
fn listener_of(name: &str) -> Option<(crate::net::Family, u8)> {
    use crate::net::Family::{V4, V6};
    Some(match name {
        "icmp" => (V4, 1),
        "tcp" => (V4, 6),
        "udp" => (V4, 17),
        "icmp6" => (V6, 58),
        "raw" => (V4, 255),
        _ => return None,
    })
}

/// Whether packet `p` came in on the kind of socket `by` names (see `expect captured by`).
fn captured_by(p: &Packet, by: &str) -> bool {
    let crate::capture::Origin::Captured { socket, .. } = &p.origin else {
        return false;
    };
    match by {
        "link" => socket.starts_with("packet socket"),
        "send" => socket.starts_with("send's"),
        w => listener_of(w).is_some_and(|(family, proto)| {
            **socket == *super::listen::listener_label(family, proto).1
        }),
    }
}

fn verdict(ok: bool, pass: String, fail: String) -> Outcome {
    if ok {
        Outcome::Pass(pass)
    } else {
        Outcome::Fail(fail)
    }
}

/// A field's value as read from a packet: a number, or bytes.
#[derive(PartialEq)]
pub(super) enum Got {
    Num(u128),
    Bytes(Vec<u8>),
    /// A domain name, as text.
    Text(String),
}

impl Got {
    fn of(v: &Value) -> Got {
        match v {
            Value::Raw(r) => Got::Num(*r),
            Value::Bytes(b) => Got::Bytes(b.clone()),
        }
    }

    pub(super) fn words(&self, f: &Field) -> String {
        match self {
            Got::Num(v) => f.words(*v),
            Got::Bytes(b) => crate::lab::hex_words(b),
            Got::Text(t) => t.clone(),
        }
    }

    fn holds(&self, cmp: Cmp, want: &Got) -> bool {
        match (self, want) {
            (Got::Num(a), Got::Num(b)) => cmp.holds(a, b),
            (Got::Bytes(a), Got::Bytes(b)) => match cmp {
                Cmp::Eq => a == b,
                Cmp::Ne => a != b,
                _ => false,
            },
            // A name typed in an expect is text, held as its bytes.
            (Got::Text(a), Got::Bytes(b)) => match cmp {
                Cmp::Eq => a.as_bytes() == b.as_slice(),
                Cmp::Ne => a.as_bytes() != b.as_slice(),
                _ => false,
            },
            (Got::Text(a), Got::Text(b)) => match cmp {
                Cmp::Eq => a == b,
                Cmp::Ne => a != b,
                _ => false,
            },
            _ => false,
        }
    }
}

/// Reads one field of a packet, or says that the packet has none.
pub(super) fn read_field(p: &Packet, f: &'static Field) -> Result<Got, String> {
    let d = dissect(&p.bytes, p.first);
    if f.kind == Kind::Name {
        // A domain name: the first record's that has it, as text.
        return d
            .layers
            .iter()
            .find_map(|l| {
                let at = l
                    .items
                    .iter()
                    .flat_map(|i| &i.fields)
                    .find(|x| x.field == f)?;
                Some(crate::render::placed_words(&p.bytes, at, l.hdr_end))
            })
            .map(Got::Text)
            .ok_or_else(|| format!("#{} has no {}", p.no, f.name));
    }
    if f == &DATA || f.kind == Kind::Bytes {
        let bytes = if f == &DATA {
            Some(p.bytes[d.payload.clone()].to_vec())
        } else {
            d.layer_of(f)
                .and_then(|l| l.tail())
                .map(|(_, r)| p.bytes[r].to_vec())
        };
        bytes
            .map(Got::Bytes)
            .ok_or_else(|| format!("#{} has no {}", p.no, f.name))
    } else {
        d.value(&p.bytes, f)
            .map(Got::Num)
            .ok_or_else(|| format!("#{} has no {} ({})", p.no, f.name, d.stack_name()))
    }
}

/// A reply's field against what it should be, both in words.
struct Compared {
    ok: bool,
    got: String,
    want: String,
}

/// Compares a reply's field with a value or with the request's field.
fn compare(reply: &Packet, request: &Packet, c: &ReplyCheck) -> Result<Compared, String> {
    let got = read_field(reply, c.field)?;
    let (want, theirs) = match &c.against {
        Operand::Value(v) => (Got::of(v), c.field),
        Operand::Request(f) => (read_field(request, f)?, *f),
    };
    Ok(Compared {
        ok: got.holds(c.cmp, &want),
        got: got.words(c.field),
        want: want.words(theirs),
    })
}

/// Checks one field of a packet.
fn field_outcome(p: &Packet, c: &FieldCheck) -> Outcome {
    let f = c.field;
    let got = match read_field(p, f) {
        Ok(g) => g,
        Err(why) => return Outcome::Fail(why),
    };
    let want = Got::of(&c.value);
    if matches!(got, Got::Num(_)) && matches!(want, Got::Bytes(_)) {
        return Outcome::Fail(format!("{} is a number, not bytes", f.name));
    }
    let actual = got.words(f);
    // A name is typed as text, and said as text.
    let want_words = match (&want, f.kind) {
        (Got::Bytes(b), Kind::Name) => String::from_utf8_lossy(b).into_owned(),
        _ => want.words(f),
    };
    verdict(
        got.holds(c.cmp, &want),
        format!("#{} has {actual}", p.no),
        format!(
            "expected {} {} {want_words}, but #{} has {actual}",
            f.name,
            c.cmp.symbol(),
            p.no
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every socket `expect captured by` names is one a packet can have come in on: the
    /// name of a listener `listen` opens, not a spelling of its own (`icmp6` once looked
    /// for "…for icmp6" where the listener says "icmpv6", and never matched).
    #[test]
    fn every_socket_expect_names_is_a_listeners_label() {
        for name in crate::command::SOCKETS {
            let label = match *name {
                "link" => "packet socket on lo".to_string(),
                "send" => "send's IPv4 raw socket for icmp".to_string(),
                n => {
                    let (family, proto) = listener_of(n).unwrap_or_else(|| panic!("{n}"));
                    super::super::listen::listener_label(family, proto).1
                }
            };
            let p = Packet::new(
                1,
                std::time::UNIX_EPOCH,
                vec![0x45; 20],
                &crate::wire::ipv4::IPV4,
                crate::capture::Origin::Captured {
                    socket: label.as_str().into(),
                    link: None,
                    iface: None,
                },
            );
            assert!(captured_by(&p, name), "{name}: {label}");
            let others = crate::command::SOCKETS.iter().filter(|o| **o != *name);
            for other in others {
                assert!(!captured_by(&p, other), "{label} is not {other}'s");
            }
        }
        assert_eq!(
            listener_of("icmp6").map(|(f, p)| super::super::listen::listener_label(f, p).1),
            Some("AF_INET6 raw socket for icmpv6".to_string())
        );
        assert_eq!(
            listener_of("raw").map(|(f, p)| super::super::listen::listener_label(f, p).1),
            Some("raw socket for IPPROTO_RAW (255)".to_string())
        );
    }
}
