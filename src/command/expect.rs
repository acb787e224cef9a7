//! `expect`: what a lesson or script checks about what actually happened.

use super::grammar::any_field;
use super::values::*;
use super::*;

/// What `expect` checks first.
pub(super) const KINDS: &[&str] = &[
    "reply",
    "no",
    "kernel-changed",
    "kernel-kept",
    "captured",
    "last",
    "packet",
    "ping",
];

/// How an `expect` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub const ALL: [(&'static str, Cmp); 6] = [
        ("==", Cmp::Eq),
        ("!=", Cmp::Ne),
        ("<=", Cmp::Le),
        (">=", Cmp::Ge),
        ("<", Cmp::Lt),
        (">", Cmp::Gt),
    ];

    pub fn symbol(self) -> &'static str {
        Cmp::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("==", |(s, _)| s)
    }

    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

/// A field compared with a value: `icmp.type == echo-reply`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCheck {
    pub field: &'static Field,
    pub cmp: Cmp,
    pub value: Value,
}

/// What an `expect` line checks. Traffic checks look at the packets since the last
/// send, ping or trigger began.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// A reply arrived (within the time given, waiting if need be), and the first one passes the check.
    Reply {
        check: Option<FieldCheck>,
        within: Option<Duration>,
    },
    /// No reply arrives (waiting the time given).
    NoReply { within: Option<Duration> },
    /// The kernel changed (or kept) this field of the last send, on its way out.
    KernelChanged {
        field: &'static Field,
        changed: bool,
    },
    /// How many packets were captured.
    Captured { cmp: Cmp, count: u64 },
    /// A field of the last packet captured, or of packet N.
    Packet { no: Option<u64>, check: FieldCheck },
    /// How many replies the last ping received.
    PingReceived { cmp: Cmp, count: u64 },
}

/// `OP` in an expect line.
pub(super) fn parse_cmp(t: &Token) -> Result<Cmp, ParseError> {
    Cmp::ALL
        .iter()
        .find(|(s, _)| *s == t.text)
        .map(|(_, c)| *c)
        .ok_or_else(|| {
            ParseError::new(
                t.span.clone(),
                format!("`{}` is not a comparison", t.shown()),
            )
            .expected("one of == != < <= > >=")
            .suggest((t.text == "=").then(|| "did you mean `==`?".to_string()))
        })
}

/// `FIELD OP VALUE`: any protocol's field (a reply may not look like the template).
pub(super) fn parse_field_check(args: &mut Args, ctx: &Context) -> Result<FieldCheck, ParseError> {
    let t = args.next("a field, such as icmp.type")?;
    let field = any_field(t, ctx)?;
    let cmp = parse_cmp(args.next("a comparison: == != < <= > >=")?)?;
    let v = args.next(&format!(
        "a value for {}: {}",
        field.name,
        field.range_words()
    ))?;
    let value = parse_value(field, v)?;
    if matches!(value, Value::Bytes(_)) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
        return Err(
            ParseError::new(v.span.clone(), "bytes compare only with == or !=")
                .expected("== or !="),
        );
    }
    Ok(FieldCheck { field, cmp, value })
}

/// `[within DUR]` at the end of an expect line.
pub(super) fn parse_within(args: &mut Args) -> Result<Option<Duration>, ParseError> {
    match args.pos_next() {
        None => Ok(None),
        Some(t) if t.text.eq_ignore_ascii_case("within") => {
            let cap = Cap {
                most: Duration::from_secs(60),
                typed: "60s",
                who: "an expect waits at most",
            };
            Ok(Some(parse_duration(
                args.next("a duration such as 1s")?,
                &cap,
            )?))
        }
        Some(t) => Err(
            ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                .expected("within DURATION, or nothing")
                .suggest(did_you_mean(&t.text, ["within"])),
        ),
    }
}

/// `[OP] N`, `==` when no comparison is given.
pub(super) fn parse_count(args: &mut Args) -> Result<(Cmp, u64), ParseError> {
    let t = args.next("a number of packets, such as 2")?;
    let (cmp, n) = match parse_cmp(t) {
        Ok(c) => (c, args.next("a number of packets, such as 2")?),
        Err(_) => (Cmp::Eq, t),
    };
    let v = parse_int(n)?;
    Ok((cmp, v.min(u64::MAX as u128) as u64))
}

pub(super) fn parse_expect(args: &mut Args, ctx: &Context) -> Result<Expect, ParseError> {
    let t = args.next("what to check: reply, no reply, kernel-changed, kernel-kept, captured, last, packet or ping")?;
    match t.text.to_ascii_lowercase().as_str() {
        "reply" => {
            let check = match args.tokens.get(args.pos) {
                Some(n) if !n.text.eq_ignore_ascii_case("within") => {
                    Some(parse_field_check(args, ctx)?)
                }
                _ => None,
            };
            Ok(Expect::Reply {
                check,
                within: parse_within(args)?,
            })
        }
        "no" => {
            let r = args.next("`reply`, as in: expect no reply within 500ms")?;
            if !r.text.eq_ignore_ascii_case("reply") {
                return Err(
                    ParseError::new(r.span.clone(), format!("unexpected `{}`", r.shown()))
                        .expected("expect no reply [within DURATION]"),
                );
            }
            Ok(Expect::NoReply {
                within: parse_within(args)?,
            })
        }
        kind @ ("kernel-changed" | "kernel-kept") => {
            let f = args.next("a field, such as ip.id")?;
            let field = any_field(f, ctx)?;
            Ok(Expect::KernelChanged {
                field,
                changed: kind == "kernel-changed",
            })
        }
        "captured" => {
            let (cmp, count) = parse_count(args)?;
            Ok(Expect::Captured { cmp, count })
        }
        "last" => Ok(Expect::Packet {
            no: None,
            check: parse_field_check(args, ctx)?,
        }),
        "packet" => {
            let no = parse_packet_no(args.next("a packet number, such as 3")?)?;
            Ok(Expect::Packet {
                no: Some(no),
                check: parse_field_check(args, ctx)?,
            })
        }
        "ping" => {
            let r = args.next("`received`, as in: expect ping received 5")?;
            if !r.text.eq_ignore_ascii_case("received") {
                return Err(
                    ParseError::new(r.span.clone(), format!("unexpected `{}`", r.shown()))
                        .expected("expect ping received [OP] N")
                        .suggest(did_you_mean(&r.text, ["received"])),
                );
            }
            let (cmp, count) = parse_count(args)?;
            Ok(Expect::PingReceived { cmp, count })
        }
        _ => Err(
            ParseError::new(t.span.clone(), format!("cannot expect `{}`", t.shown()))
                .expected(format!("one of: {}", KINDS.join(", ")))
                .suggest(did_you_mean(&t.text, KINDS.iter().copied())),
        ),
    }
}
