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
    "refused",
    "set",
    "counted",
];

/// The counter tables of /proc/net/snmp, snmp6 and netstat that `expect counted` names.
pub(super) const COUNTER_TABLES: &[&str] = &[
    "Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite", "IpExt", "TcpExt", "Ip6", "Icmp6", "Udp6",
];

/// The sockets `expect captured by` can name: `link` (packet sockets), `send` (the
/// socket a send reads its replies on), and the IP listeners by protocol (`raw` is
/// IPPROTO_RAW, 255).
pub const SOCKETS: &[&str] = &["link", "send", "icmp", "tcp", "udp", "icmp6", "raw"];

/// The errors `expect refused` knows by name: (name, errno).
pub const ERRNOS: &[(&str, i32)] = &[
    ("EINVAL", libc::EINVAL),
    ("EPERM", libc::EPERM),
    ("EACCES", libc::EACCES),
    ("EMSGSIZE", libc::EMSGSIZE),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("EHOSTUNREACH", libc::EHOSTUNREACH),
    ("ENOBUFS", libc::ENOBUFS),
];

/// Their names, for completion.
pub(super) const ERRNO_NAMES: &[&str] = &[
    "EINVAL",
    "EPERM",
    "EACCES",
    "EMSGSIZE",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ENOBUFS",
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

/// What a reply's field is compared with: a value, or a field of the request it answers
/// (the same field, or another: `ip.dst == request ip.src`).
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Value(Value),
    Request(&'static Field),
}

/// One field of a reply checked: `icmp.ident == request`, or one item of a `like` list.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyCheck {
    pub field: &'static Field,
    pub cmp: Cmp,
    pub against: Operand,
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
    /// A reply arrived and its field compares so with the request's: `expect reply
    /// icmp.ident == request`, `expect reply ip.dst == request ip.src`.
    ReplyRequest {
        check: ReplyCheck,
        within: Option<Duration>,
    },
    /// A reply arrived and looks like this, field by field (each `==`): `expect reply
    /// like icmp.type echo-reply, icmp.ident request`. A failure names every field
    /// that differed, expected vs got.
    ReplyLike {
        checks: Vec<ReplyCheck>,
        within: Option<Duration>,
    },
    /// No reply arrives (waiting the time given).
    NoReply { within: Option<Duration> },
    /// The kernel changed (or kept) this field of the last send, on its way out.
    KernelChanged {
        field: &'static Field,
        changed: bool,
    },
    /// How many packets were captured (by one kind of socket only, when `by` names it:
    /// see [`SOCKETS`]).
    Captured {
        cmp: Cmp,
        count: u64,
        by: Option<&'static str>,
    },
    /// A field of the last packet captured, or of packet N.
    Packet { no: Option<u64>, check: FieldCheck },
    /// One byte of packet N, by its offset counted from 0 (as the dump counts): `expect
    /// packet 1 byte 20 == 8`, for a post that names bytes by number.
    PacketByte {
        no: u64,
        offset: usize,
        cmp: Cmp,
        value: u8,
    },
    /// How many replies the last ping received.
    PingReceived { cmp: Cmp, count: u64 },
    /// How much a kernel counter moved around the last send (its table and name as
    /// /proc/net/snmp lists them): `expect counted Icmp InCsumErrors == 1`.
    Counted {
        table: &'static str,
        name: String,
        cmp: Cmp,
        count: u64,
    },
    /// The template's field is set by hand (`set`), not left for rawlab or the kernel:
    /// a task can ask the learner to work a value out themselves.
    Set(&'static Field),
    /// The kernel refused the last send (sendto failed), with this error if one is named.
    Refused { errno: Option<(&'static str, i32)> },
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

/// `expect KIND …`: one function a kind with more than a field to read.
pub(super) fn parse_expect(args: &mut Args, ctx: &Context) -> Result<Expect, ParseError> {
    let t = args.next("what to check: reply, no reply, kernel-changed, kernel-kept, captured, last, packet or ping")?;
    match t.text.to_ascii_lowercase().as_str() {
        "reply" => expect_reply(args, ctx),
        "no" => expect_no_reply(args),
        kind @ ("kernel-changed" | "kernel-kept") => {
            let f = args.next("a field, such as ip.id")?;
            let field = any_field(f, ctx)?;
            Ok(Expect::KernelChanged {
                field,
                changed: kind == "kernel-changed",
            })
        }
        "captured" => expect_captured(args),
        "last" => Ok(Expect::Packet {
            no: None,
            check: parse_field_check(args, ctx)?,
        }),
        "packet" => {
            let no = parse_packet_no(args.next("a packet number, such as 3")?)?;
            if args
                .tokens
                .get(args.pos)
                .is_some_and(|t| !t.quoted && t.text.eq_ignore_ascii_case("byte"))
            {
                args.pos += 1;
                let at = args.next("a byte offset, counted from 0 as the dump counts")?;
                let offset = parse_int(at)?;
                if offset > 65_535 {
                    return Err(ParseError::new(
                        at.span.clone(),
                        "a packet is at most 65535 bytes",
                    )
                    .expected("an offset 0..=65535"));
                }
                let cmp = parse_cmp(args.next("a comparison: == != < <= > >=")?)?;
                let value = parse_byte(args.next("a byte: 0..=255, or hex such as 0x08")?)?;
                return Ok(Expect::PacketByte {
                    no,
                    offset: offset as usize,
                    cmp,
                    value,
                });
            }
            Ok(Expect::Packet {
                no: Some(no),
                check: parse_field_check(args, ctx)?,
            })
        }
        "ping" => expect_ping_received(args),
        "counted" => expect_counted(args),
        "set" => {
            let f = args.next("a field, such as icmp.checksum")?;
            Ok(Expect::Set(any_field(f, ctx)?))
        }
        "refused" => expect_refused(args),
        _ => Err(
            ParseError::new(t.span.clone(), format!("cannot expect `{}`", t.shown()))
                .expected(format!("one of: {}", KINDS.join(", ")))
                .suggest(did_you_mean(&t.text, KINDS.iter().copied())),
        ),
    }
}

/// `expect reply …`: a reply, maybe with a field check against a value or the
/// request, or like a list of fields.
fn expect_reply(args: &mut Args, ctx: &Context) -> Result<Expect, ParseError> {
    let next = args.tokens.get(args.pos);
    if next.is_some_and(|n| n.text.eq_ignore_ascii_case("like")) {
        args.pos += 1;
        let checks = parse_like(args, ctx)?;
        return Ok(Expect::ReplyLike {
            checks,
            within: parse_within(args)?,
        });
    }
    if next.is_some_and(|n| !n.text.eq_ignore_ascii_case("within"))
        && args
            .tokens
            .get(args.pos + 2)
            .is_some_and(|v| !v.quoted && v.text.eq_ignore_ascii_case(REQUEST))
    {
        let field = any_field(args.next("a field, such as icmp.ident")?, ctx)?;
        let cmp = parse_cmp(args.next("a comparison: == != < <= > >=")?)?;
        let at = args.next("`request`")?;
        let check = request_check(field, cmp, at, args, ctx)?;
        return Ok(Expect::ReplyRequest {
            check,
            within: parse_within(args)?,
        });
    }
    let check = match next {
        Some(n) if !n.text.eq_ignore_ascii_case("within") => Some(parse_field_check(args, ctx)?),
        _ => None,
    };
    Ok(Expect::Reply {
        check,
        within: parse_within(args)?,
    })
}

/// `expect no reply [within DURATION]`.
fn expect_no_reply(args: &mut Args) -> Result<Expect, ParseError> {
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

/// `expect captured [by SOCKET] [OP] N`.
fn expect_captured(args: &mut Args) -> Result<Expect, ParseError> {
    let by = match args.tokens.get(args.pos) {
        Some(b) if b.text.eq_ignore_ascii_case("by") => {
            args.pos += 1;
            let w = args.next("a socket: link, send, icmp, tcp, udp, icmp6 or raw")?;
            let lower = w.text.to_ascii_lowercase();
            match SOCKETS.iter().find(|s| **s == lower) {
                Some(s) => Some(*s),
                None => {
                    return Err(ParseError::new(
                        w.span.clone(),
                        format!("no listener is called `{}`", w.shown()),
                    )
                    .expected(format!("one of: {}", SOCKETS.join(", ")))
                    .suggest(
                        did_you_mean(&lower, SOCKETS.iter().copied()).or(Some(
                            "link: the packet sockets; send: the socket a send reads its replies on; icmp, tcp, udp, icmp6, raw: `listen` sockets".into(),
                        )),
                    ));
                }
            }
        }
        _ => None,
    };
    let (cmp, count) = parse_count(args)?;
    Ok(Expect::Captured { cmp, count, by })
}

/// `expect ping received [OP] N`.
fn expect_ping_received(args: &mut Args) -> Result<Expect, ParseError> {
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

/// `expect counted TABLE NAME [OP] N`: a table and a name of /proc/net/snmp.
fn expect_counted(args: &mut Args) -> Result<Expect, ParseError> {
    let t = args.next("a counter table, such as Icmp")?;
    let Some(table) = COUNTER_TABLES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(&t.text))
    else {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` is not a counter table", t.shown()),
        )
        .expected(format!("one of: {}", COUNTER_TABLES.join(", ")))
        .suggest(
            did_you_mean(&t.text, COUNTER_TABLES.iter().copied()).or(Some(
                "the tables are the line heads of /proc/net/snmp".into(),
            )),
        ));
    };
    let n = args.next("a counter's name, such as InCsumErrors")?;
    if n.quoted || !n.text.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ParseError::new(
            n.span.clone(),
            format!("`{}` is not a counter's name", n.shown()),
        )
        .expected("a name as /proc/net/snmp lists it, such as InCsumErrors")
        .suggest(Some(format!(
            "for example: expect counted {table} InCsumErrors == 1"
        ))));
    }
    let (cmp, count) = parse_count(args)?;
    Ok(Expect::Counted {
        table,
        name: n.text.clone(),
        cmp,
        count,
    })
}

/// `expect refused [ERRNO]`: any refusal, or one by its errno's name.
fn expect_refused(args: &mut Args) -> Result<Expect, ParseError> {
    let Some(e) = args.pos_next() else {
        return Ok(Expect::Refused { errno: None });
    };
    let name = e.text.to_ascii_uppercase();
    match ERRNOS.iter().find(|(n, _)| *n == name) {
        Some((n, v)) => Ok(Expect::Refused {
            errno: Some((n, *v)),
        }),
        None => Err(ParseError::new(
            e.span.clone(),
            format!("`{}` is not an error rawlab knows by name", e.shown()),
        )
        .expected(format!(
            "one of {}, or nothing (any refusal)",
            ERRNOS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ")
        ))
        .suggest(
            did_you_mean(&name, ERRNO_NAMES.iter().copied())
                .or(Some("leave the name out to accept any refusal".into())),
        )),
    }
}

/// The word that stands for the request in a reply's check. (arp.opcode has a value
/// named `request` too: there, as everywhere in `expect reply`, it means the request
/// packet; write 1 for the opcode.)
pub(super) const REQUEST: &str = "request";

/// Whether two fields can be compared: addresses with addresses of their kind, bytes with
/// bytes, numbers (decimal, hex, flags) with numbers.
fn comparable(a: &Field, b: &Field) -> bool {
    let class = |f: &Field| match f.kind {
        Kind::Dec | Kind::Hex | Kind::Flag => Kind::Dec,
        k => k,
    };
    class(a) == class(b)
}

/// What kind of value a field holds, in words, for an error.
fn kind_words(f: &Field) -> &'static str {
    match f.kind {
        Kind::Dec | Kind::Hex | Kind::Flag => "a number",
        Kind::Ipv4 => "an IPv4 address",
        Kind::Ipv6 => "an IPv6 address",
        Kind::Mac => "a MAC address",
        Kind::Bytes => "bytes",
        Kind::Name => "a domain name",
    }
}

/// After `FIELD OP request`: the request's field, the same one unless another is named
/// (`ip.dst == request ip.src`).
fn request_check(
    field: &'static Field,
    cmp: Cmp,
    at: &Token,
    args: &mut Args,
    ctx: &Context,
) -> Result<ReplyCheck, ParseError> {
    let theirs = match args.tokens.get(args.pos) {
        Some(t) if !t.text.eq_ignore_ascii_case("within") && !t.text.starts_with(',') => {
            args.pos += 1;
            any_field(t, ctx)?
        }
        _ => field,
    };
    let span = at.span.start..args.tokens[args.pos - 1].span.end;
    check_against(field, cmp, theirs, span)?;
    Ok(ReplyCheck {
        field,
        cmp,
        against: Operand::Request(theirs),
    })
}

/// Whether a reply's field may be compared so with the request's `theirs`.
fn check_against(
    field: &'static Field,
    cmp: Cmp,
    theirs: &'static Field,
    span: std::ops::Range<usize>,
) -> Result<(), ParseError> {
    if !comparable(field, theirs) {
        return Err(ParseError::new(
            span,
            format!(
                "{} is {} and the request's {} {}: they do not compare",
                field.name,
                kind_words(field),
                theirs.name,
                kind_words(theirs)
            ),
        )
        .expected(format!("a field that holds {}", kind_words(field)))
        .suggest(Some(format!(
            "compare the same field: {} == request",
            field.name
        ))));
    }
    if field.kind == Kind::Bytes && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
        return Err(ParseError::new(span, "bytes compare only with == or !=")
            .expected("== or !=")
            .suggest(Some(format!(
                "expect reply {} == request (or != request)",
                field.name
            ))));
    }
    Ok(())
}

/// `like FIELD VALUE, FIELD VALUE …`: the reply described field by field, as packetdrill
/// writes a packet it expects. A VALUE may be `request` (the request's same field).
/// Commas separate the items; `within DUR` may end the list.
fn parse_like(args: &mut Args, ctx: &Context) -> Result<Vec<ReplyCheck>, ParseError> {
    let mut checks: Vec<ReplyCheck> = Vec::new();
    if args.tokens.get(args.pos).is_none() {
        return Err(ParseError::new(
            args.end..args.end + 1,
            "`expect reply like` needs the fields the reply should have",
        )
        .expected("FIELD VALUE, FIELD VALUE … [within DUR]")
        .suggest(Some(
            "for example: expect reply like icmp.type echo-reply, icmp.ident request".into(),
        )));
    }
    loop {
        let field = like_field(args, ctx, &checks)?;
        let (against, mut comma, last) = like_value(args, ctx, field)?;
        checks.push(ReplyCheck {
            field,
            cmp: Cmp::Eq,
            against,
        });
        // A comma may also stand alone: `icmp.type 0 , icmp.code 0`.
        if !comma && args.tokens.get(args.pos).is_some_and(|t| t.text == ",") {
            args.pos += 1;
            comma = true;
        }
        if !like_goes_on(args, field, comma, last)? {
            return Ok(checks);
        }
    }
}

/// The FIELD of a `like` item: a field not yet in the list, with no comma straight
/// after it.
fn like_field(
    args: &mut Args,
    ctx: &Context,
    checks: &[ReplyCheck],
) -> Result<&'static Field, ParseError> {
    let t = args.next("a field and its value, such as: like icmp.type echo-reply, icmp.code 0")?;
    let (name, comma) = strip_comma(t);
    if name.text.is_empty() {
        return Err(
            ParseError::new(t.span.clone(), "a comma with no field before it")
                .expected("FIELD VALUE, FIELD VALUE …")
                .suggest(Some("remove the extra comma".into())),
        );
    }
    let field = any_field(&name, ctx)?;
    if comma {
        return Err(ParseError::new(
            name.span.end..name.span.end + 1,
            format!("{} has no value before the comma", field.name),
        )
        .expected(format!(
            "a value for {}: {}",
            field.name,
            field.range_words()
        ))
        .suggest(Some(format!(
            "for example: like {} {}",
            field.name,
            example_value(field)
        ))));
    }
    if checks.iter().any(|c| c.field == field) {
        return Err(ParseError::new(
            name.span.clone(),
            format!("{} is already in the list", field.name),
        )
        .expected("each field once")
        .suggest(Some(format!("drop one of the two {} items", field.name))));
    }
    Ok(field)
}

/// The VALUE of a `like` item for `field`: a value, `request` (the request's same
/// field) or `request FIELD` (another of the request's). Returns it, whether a comma
/// ended it, and the last word read (where an error points).
fn like_value<'a>(
    args: &mut Args<'a>,
    ctx: &Context,
    field: &'static Field,
) -> Result<(Operand, bool, &'a Token), ParseError> {
    let v = args.next(&format!(
        "a value for {}: {}",
        field.name,
        field.range_words()
    ))?;
    if Cmp::ALL.iter().any(|(s, _)| *s == v.text) {
        return Err(ParseError::new(
            v.span.clone(),
            format!("`like` lists values without `{}`", v.text),
        )
        .expected("FIELD VALUE, FIELD VALUE …")
        .suggest(Some(format!(
            "write `{} VALUE`; for another comparison use expect reply {} {} VALUE",
            field.name, field.name, v.text
        ))));
    }
    let (value, mut comma) = strip_comma(v);
    // The last word read, for where an error points.
    let mut last = v;
    let against = if !value.quoted && value.text.eq_ignore_ascii_case(REQUEST) {
        // `request` alone is the request's same field; `request FIELD` another one.
        match args.tokens.get(args.pos) {
            Some(t) if !comma && t.text != "," && !t.text.eq_ignore_ascii_case("within") => {
                args.pos += 1;
                let (name, c) = strip_comma(t);
                let theirs = any_field(&name, ctx)?;
                check_against(field, Cmp::Eq, theirs, value.span.start..name.span.end)?;
                comma = c;
                last = t;
                Operand::Request(theirs)
            }
            _ => Operand::Request(field),
        }
    } else {
        Operand::Value(parse_value(field, &value)?)
    };
    Ok((against, comma, last))
}

/// After a `like` item: whether another follows (a comma was read), or the list
/// ends here (the line's end or `within`); anything else is an error.
fn like_goes_on(
    args: &Args,
    field: &'static Field,
    comma: bool,
    last: &Token,
) -> Result<bool, ParseError> {
    match args.tokens.get(args.pos) {
        None => {
            if comma {
                return Err(ParseError::new(
                    last.span.end - 1..last.span.end,
                    "the list ends with a comma",
                )
                .expected("another FIELD VALUE after the comma")
                .suggest(Some("remove the last comma".into())));
            }
            Ok(false)
        }
        Some(t) if !comma && t.text.eq_ignore_ascii_case("within") => Ok(false),
        Some(t) if !comma => Err(ParseError::new(
            t.span.clone(),
            format!(
                "unexpected `{}` after {} {}",
                t.shown(),
                field.name,
                last.text
            ),
        )
        .expected("a comma before the next field, `within DURATION`, or nothing")
        .suggest(Some(format!(
            "put a comma after the value: {} {}, {} …",
            field.name, last.text, t.text
        )))),
        Some(_) => Ok(true),
    }
}

/// A word without the comma that may end it (`echo-reply,`), and whether it had one.
fn strip_comma(t: &Token) -> (Token, bool) {
    match t.text.strip_suffix(',') {
        Some(rest) if !t.quoted => (
            Token {
                text: rest.to_string(),
                span: t.span.start..t.span.end - 1,
                quoted: false,
            },
            true,
        ),
        _ => (t.clone(), false),
    }
}

/// A value a field could hold, for a suggestion.
fn example_value(f: &Field) -> String {
    match (f.names.first(), f.kind) {
        (Some((_, n)), _) => n.to_string(),
        (None, Kind::Ipv4) => "127.0.0.1".into(),
        (None, Kind::Ipv6) => "::1".into(),
        (None, Kind::Mac) => "00:00:00:00:00:00".into(),
        (None, Kind::Bytes) => "c0de".into(),
        _ => f.default.to_string(),
    }
}
