//! Each command's arguments: how they parse, and what may be typed at each place (for
//! completion and hints). The table in `table.rs` names one parse function and one
//! offers function per command; the keyword lists here serve both, so nothing the
//! parser accepts is missing from Tab.

use super::expect::parse_expect;
use super::table::{Offer, command_info};
use super::values::*;
use super::*;

/// What `listen` takes first.
pub(super) const LISTEN_WORDS: &[&str] = &["icmp", "tcp", "udp", "icmp6", "proto", "link", "off"];
/// Other names `listen` takes for ICMPv6.
const ICMP6_NAMES: &[&str] = &["icmp6", "icmpv6", "ipv6-icmp"];
const TRIGGER_WORDS: &[&str] = &["ping", "http", "udp"];
const SERVE_WORDS: &[&str] = &["tcp", "udp", "off"];
const PAYLOAD_WORDS: &[&str] = &["time", "zeros", "\""];
const LESSON_WORDS: &[&str] = &["list", "next", "stop"];
const MODE_WORDS: &[&str] = &["raw", "hdrincl", "kernel", "link"];
const IP_MODE_WORDS: &[&str] = &["raw", "hdrincl", "kernel"];
const SEND_WORDS: &[&str] = &["count", "every", "order"];
/// What `trigger ping` takes after its destination: no fragments there.
const TRIGGER_PING_WORDS: &[&str] = &["count", "every"];
const FRAGMENT_WORDS: &[&str] = &["1500", "576", "off"];
const FRAGMENTS_WORDS: &[&str] = &["1", "2", "all"];
/// The smallest MTU `fragment` takes: an IPv4 header (20 bytes) and one 8-byte block.
pub(super) const MIN_FRAGMENT_MTU: u128 = 28;
const PING_WORDS: &[&str] = &[
    "count", "every", "interval", "mode", "size", "ttl", "stamps", "rr",
];
const TIMEOUTS: &[&str] = &["500ms", "1s", "2s", "5s"];
const DESTINATIONS: &[&str] = &["127.0.0.1"];
const PORTS: &[&str] = &["8080"];

/// How long `wait` waits at most.
const WAIT_CAP: Cap = Cap {
    most: Duration::from_secs(600),
    typed: "10m",
    who: "`wait` waits at most",
};
/// How long a send waits for replies at most.
const TIMEOUT_CAP: Cap = Cap {
    most: Duration::from_secs(600),
    typed: "10m",
    who: "a send waits for replies at most",
};
/// The longest gap between repeated sends.
const EVERY_CAP: Cap = Cap {
    most: Duration::from_secs(60),
    typed: "60s",
    who: "repeated sends go at least once a minute, so `every` is at most",
};

/// `interval`'s cap: the same as `every`'s, said in ping -i's words.
const INTERVAL_CAP: Cap = Cap {
    most: EVERY_CAP.most,
    typed: "60s",
    who: "ping sends at least once a minute, so `interval` is at most",
};

/// The parse function of a command that takes no arguments.
macro_rules! bare {
    ($cmd:expr) => {
        |_: &mut Args<'_>, _: &Context| -> Result<Command, ParseError> { Ok($cmd) }
    };
}
pub(super) use bare;

/// Nothing to offer after the command.
pub(super) fn no_offers(_: &[&str], _: &Context) -> Vec<Offer> {
    Vec::new()
}

pub(super) fn new(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("a layer stack such as ip/icmp")?;
    Ok(Command::New(parse_stack(t)?))
}

pub(super) fn new_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Stacks]
    } else {
        Vec::new()
    }
}

pub(super) fn set(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    let t = args.next("a field name such as ttl or icmp.type")?;
    if t.text.eq_ignore_ascii_case("timeout") {
        let d = args.next("a duration such as 500ms or 2s")?;
        return Ok(Command::SetTimeout(parse_duration(d, &TIMEOUT_CAP)?));
    }
    if let Some(n) = named_option(t, ctx)? {
        return Ok(Command::SetOption(n.field, option_value(n, args)?));
    }
    let (field, quoted) = target(t, ctx)?;
    let what = format!("a value for {}: {}", field.name, field.range_words());
    let v = if field.kind == Kind::Bytes {
        args.rest_joined(&what)?
    } else {
        args.next(&what)?.clone()
    };
    let value = parse_value(field, &v)?;
    if let Value::Bytes(b) = &value
        && field == &DATA
    {
        fits(b.len() as u128, "bytes", &v.span, ctx)?;
    }
    if !quoted {
        not_an_error_before_a_quote(field, &value, &v, ctx)?;
    }
    Ok(if quoted {
        Command::SetQuoted(field, value)
    } else {
        Command::Set(field, value)
    })
}

/// The field a `set` or `unset` names, and whether it is `quoted.FIELD`: a field of the
/// datagram an ICMP error quotes.
fn target(t: &Token, ctx: &Context) -> Result<(&'static Field, bool), ParseError> {
    let quoted = t
        .text
        .get(..QUOTED.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(QUOTED));
    if quoted {
        let Some(q) = wire::template::quote_start(ctx.stack) else {
            let rest = &t.text[QUOTED.len()..];
            return Err(ParseError::new(
                t.span.clone(),
                format!(
                    "`{QUOTED}` names a field of the datagram an ICMP error quotes, and {} quotes none",
                    stack_words(ctx.stack)
                ),
            )
            .expected("a stack such as ip/icmp/ip/udp (`new ip/icmp/ip/udp`)")
            .suggest(Some(format!("did you mean `{rest}`?"))));
        };
        let sub = Token {
            text: t.text[QUOTED.len()..].to_string(),
            span: t.span.start + QUOTED.len()..t.span.end,
            quoted: false,
        };
        let inner = Context {
            stack: &ctx.stack[q..],
            room: ctx.room,
        };
        Ok((resolve_field(&sub, &inner)?, true))
    } else {
        Ok((resolve_field(t, ctx)?, false))
    }
}

/// The prefix `set` takes for a field of an ICMP error's quoted datagram.
pub(super) const QUOTED: &str = "quoted.";

fn stack_words(stack: &[&'static Protocol]) -> String {
    stack.iter().map(|p| p.name).collect::<Vec<_>>().join("/")
}

/// An error message's type set to one that quotes nothing (echo request), in a stack
/// where a quoted datagram follows it.
fn not_an_error_before_a_quote(
    field: &'static Field,
    value: &Value,
    v: &Token,
    ctx: &Context,
) -> Result<(), ParseError> {
    let Some(q) = wire::template::quote_start(ctx.stack) else {
        return Ok(());
    };
    let quoter = ctx.stack[q - 1];
    let Some(quote) = quoter.quote else {
        return Ok(());
    };
    let Value::Raw(raw) = value else {
        return Ok(());
    };
    if field != quote.type_field || quote.errors.contains(raw) {
        return Ok(());
    }
    let name = |t: u128| {
        field
            .value_name(t)
            .map_or(t.to_string(), |n| format!("{t} ({n})"))
    };
    let errors: Vec<String> = quote.errors.iter().map(|&t| name(t)).collect();
    let plain: Vec<&str> = ctx.stack[..q - 1].iter().map(|p| p.name).collect();
    Err(ParseError::new(
        v.span.clone(),
        format!(
            "{} {} is not an error, and in {} the {} message quotes the datagram after it",
            field.name,
            name(*raw),
            stack_words(ctx.stack),
            quoter.title
        ),
    )
    .expected(format!("an error type: {}", errors.join(", ")))
    .suggest(Some(format!(
        "for a message that quotes nothing, `new {}/{}`",
        plain.join("/"),
        quoter.name
    ))))
}

/// What `set quoted.` completes to: each field of the quoted datagram's layers, by
/// its full name after the prefix (`quoted.ip.src`); none when nothing is quoted.
pub fn quoted_field_names(stack: &[&'static Protocol]) -> Vec<String> {
    let Some(q) = wire::template::quote_start(stack) else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    for f in stack[q..].iter().flat_map(|p| p.all_fields()) {
        let name = format!("{QUOTED}{}", f.name);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The field a `quoted.FIELD` word names in the quoted datagram, if it names one.
pub fn quoted_field(word: &str, stack: &[&'static Protocol]) -> Option<&'static Field> {
    let rest = word
        .get(..QUOTED.len())
        .filter(|p| p.eq_ignore_ascii_case(QUOTED))
        .map(|_| &word[QUOTED.len()..])?;
    let q = wire::template::quote_start(stack)?;
    wire::resolve(rest, &stack[q..]).ok()
}

pub(super) fn set_offers(done: &[&str], ctx: &Context) -> Vec<Offer> {
    match done {
        [] if wire::template::quote_start(ctx.stack).is_some() => vec![
            Offer::Fields { everywhere: false },
            Offer::Quoted,
            Offer::Words(&["timeout"]),
        ],
        [] => vec![
            Offer::Fields { everywhere: false },
            Offer::Words(&["timeout"]),
        ],
        [t] if t.eq_ignore_ascii_case("timeout") => {
            vec![
                Offer::Words(TIMEOUTS),
                Offer::Note("DURATION, such as 500ms or 2s"),
            ]
        }
        [f] if wire::named_option(f, ctx.stack).is_some() => {
            let (_, _, n) = wire::named_option(f, ctx.stack).expect("just found");
            vec![Offer::Words(n.words), Offer::Note(n.syntax)]
        }
        [f] => quoted_field(f, ctx.stack)
            .ok_or(())
            .or_else(|_| wire::resolve(f, ctx.stack).map_err(|_| ()))
            .map(|f| vec![Offer::Values(f)])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The option a `set` or `unset` names (`ip.opt.rr`), if it names one; an option of a
/// layer the template does not have is an error.
fn named_option(
    t: &Token,
    ctx: &Context,
) -> Result<Option<&'static wire::NamedOption>, ParseError> {
    if let Some((_, _, n)) = wire::named_option(&t.text, ctx.stack) {
        return Ok(Some(n));
    }
    match wire::named_option(&t.text, wire::PROTOCOLS) {
        Some((p, _, n)) => Err(ParseError::new(
            t.span.clone(),
            format!(
                "{} is an option of {}, which {} does not have",
                n.field.name,
                p.title,
                stack_words(ctx.stack)
            ),
        )
        .expected(format!("a field of {}", stack_words(ctx.stack)))
        .suggest(
            wire::stacks()
                .into_iter()
                // Two layers, the second one that carries no packet of its own (ip/icmp).
                .find(|s| {
                    let names: Vec<&str> = s.split('/').collect();
                    names.len() == 2
                        && names[0] == p.name
                        && wire::protocol_named(names[1]).is_some_and(|q| !q.starts)
                })
                .map(|s| format!("start a template that has it: `new {s}`")),
        )),
        None => Ok(None),
    }
}

/// The words after an option's name, as its shape takes them: a count, addresses
/// (spaces or commas between), ping -T's words for timestamps, or the one field's value.
fn option_value(
    n: &'static wire::NamedOption,
    args: &mut Args,
) -> Result<wire::OptionValue, ParseError> {
    use wire::{OptionValue, Shape};
    let mut words: Vec<Token> = Vec::new();
    while let Some(t) = args.pos_next() {
        let mut at = t.span.start;
        for part in t.text.split(',') {
            if !part.is_empty() {
                words.push(Token {
                    text: part.to_string(),
                    span: at..at + part.len(),
                    quoted: t.quoted,
                });
            }
            at += part.len() + 1;
        }
    }
    let name = n.field.name;
    let missing = || {
        ParseError::new(
            args.end..args.end + 1,
            format!("`set {name}` needs {}", n.syntax),
        )
        .expected(n.syntax)
        .suggest(Some(format!("for example `set {name} {}`", n.example)))
    };
    let count = |t: &Token| -> Result<usize, ParseError> {
        let v = parse_int(t)?;
        usize::try_from(v).map_err(|_| {
            ParseError::new(t.span.clone(), format!("`{}` is far too many", t.shown()))
                .expected(n.syntax)
        })
    };
    let addresses = |ws: &[Token]| -> Result<Vec<u128>, ParseError> {
        ws.iter()
            .map(|t| parse_ipv4(t).map(|a| u32::from(a) as u128))
            .collect()
    };
    let one_count = |ws: &[Token]| -> Result<usize, ParseError> {
        match ws {
            [] => Ok(1),
            [t] => count(t),
            [_, extra, ..] => Err(ParseError::new(
                extra.span.clone(),
                format!("unexpected `{}`", extra.shown()),
            )
            .expected(n.syntax)),
        }
    };
    let looks_like_address = |t: &Token| t.text.contains('.');
    Ok(match &n.shape {
        Shape::Single => OptionValue::Count(one_count(&words)?),
        Shape::Route { slots, .. } => match words.first() {
            None if *slots => OptionValue::Count(9),
            None => return Err(missing()),
            Some(t) if *slots && !looks_like_address(t) => OptionValue::Count(one_count(&words)?),
            Some(_) => OptionValue::Addresses(addresses(&words)?),
        },
        Shape::Stamps { .. } => {
            const FLAGS: &[(&str, u128)] = &[("tsonly", 0), ("tsandaddr", 1), ("tsprespec", 3)];
            let (flag, rest) = match words.first() {
                None => return Err(missing()),
                Some(t) if t.text.chars().all(|c| c.is_ascii_digit()) => (0, &words[..]),
                Some(t) => match FLAGS.iter().find(|(w, _)| t.text.eq_ignore_ascii_case(w)) {
                    Some((_, f)) => (*f, &words[1..]),
                    None => {
                        return Err(ParseError::new(
                            t.span.clone(),
                            format!("`{}` is no kind of timestamp option", t.shown()),
                        )
                        .expected(n.syntax)
                        .suggest(did_you_mean(&t.text, FLAGS.iter().map(|(w, _)| *w))));
                    }
                },
            };
            if flag == 3 {
                if rest.is_empty() {
                    return Err(missing());
                }
                OptionValue::Stamps {
                    flag,
                    slots: 0,
                    addresses: addresses(rest)?,
                }
            } else {
                let slots = match rest {
                    [] => {
                        if flag == 0 {
                            9
                        } else {
                            4
                        }
                    }
                    _ => one_count(rest)?,
                };
                OptionValue::Stamps {
                    flag,
                    slots,
                    addresses: Vec::new(),
                }
            }
        }
        Shape::Value(f) => match words.as_slice() {
            [] => OptionValue::Raw(f.default),
            [t] => match parse_value(f, t)? {
                Value::Raw(r) => OptionValue::Raw(r),
                Value::Bytes(_) => return Err(missing()),
            },
            [_, extra, ..] => {
                return Err(ParseError::new(
                    extra.span.clone(),
                    format!("unexpected `{}`", extra.shown()),
                )
                .expected(n.syntax));
            }
        },
    })
}

pub(super) fn unset(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    let t = args.next("a field name such as ip.checksum")?;
    if let Some(n) = named_option(t, ctx)? {
        return Ok(Command::UnsetOption(n.field));
    }
    Ok(match target(t, ctx)? {
        (f, true) => Command::UnsetQuoted(f),
        (f, false) => Command::Unset(f),
    })
}

pub(super) fn fields_offers(done: &[&str], ctx: &Context) -> Vec<Offer> {
    field_first(done, ctx, false)
}

/// A field first (of the template's layers, or of any protocol when `everywhere`),
/// and `quoted.` ones where the template quotes a datagram; nothing after it.
fn field_first(done: &[&str], ctx: &Context, everywhere: bool) -> Vec<Offer> {
    match done {
        [] if wire::template::quote_start(ctx.stack).is_some() => {
            vec![Offer::Fields { everywhere }, Offer::Quoted]
        }
        [] => vec![Offer::Fields { everywhere }],
        _ => Vec::new(),
    }
}

pub(super) fn payload(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    let t = args.next("hex bytes, \"text\", time, or zeros N")?;
    if !t.quoted && t.text.eq_ignore_ascii_case("time") {
        return Ok(Command::Payload(Payload::Time));
    }
    if !t.quoted && t.text.eq_ignore_ascii_case("zeros") {
        let n = args.next("how many zero bytes, such as 56")?;
        let count = parse_int(n)?;
        fits(count, "zero bytes", &n.span, ctx)?;
        return Ok(Command::Payload(Payload::Zeros(count as usize)));
    }
    args.pos -= 1;
    let v = args.rest_joined("hex bytes or \"text\"")?;
    match parse_value(&DATA, &v)? {
        Value::Bytes(b) => {
            let what = if v.quoted { "bytes of text" } else { "bytes" };
            fits(b.len() as u128, what, &v.span, ctx)?;
            Ok(Command::Payload(Payload::Bytes(b)))
        }
        Value::Raw(_) => unreachable!("data.data is bytes"),
    }
}

/// `1234567` as `1,234,567`.
fn grouped(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One limit for every payload, however it is typed (hex, text, `zeros N`, `set
/// data`): what an IP packet's 16-bit length leaves after the template's headers.
pub(super) fn fits(
    len: u128,
    what: &str,
    span: &Range<usize>,
    ctx: &Context,
) -> Result<(), ParseError> {
    if len <= ctx.room as u128 {
        return Ok(());
    }
    let stack: Vec<&str> = ctx.stack.iter().map(|p| p.name).collect();
    let room = ctx.room;
    Err(ParseError::new(
        span.clone(),
        format!(
            "{} {what} do not fit: an IP packet holds {} bytes, and the headers of {} leave {} for the payload",
            grouped(len),
            grouped(wire::template::IP_MAX as u128),
            stack.join("/"),
            grouped(room as u128)
        ),
    )
    .expected(format!("at most {room} bytes of payload"))
    .suggest(Some(format!(
        "`payload zeros {room}` is the most one packet carries; for more, send several"
    ))))
}

/// `trigger udp`'s data: what a UDP datagram over IPv4 carries.
fn udp_data_fits(data: &[u8], span: &Range<usize>) -> Result<(), ParseError> {
    let stack = [&wire::ipv4::IPV4, &wire::udp::UDP];
    fits(data.len() as u128, "bytes", span, &Context::new(&stack))
}

pub(super) fn payload_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(PAYLOAD_WORDS)]
    } else {
        Vec::new()
    }
}

pub(super) fn mode(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let m = parse_mode(
        args.next("raw, hdrincl, kernel or link")?,
        &Mode::ALL,
        "raw (IPPROTO_RAW), hdrincl (IP_HDRINCL), kernel (the kernel writes the IP header) or link [IFACE] (whole frames)",
    )?;
    Ok(match m {
        Mode::Link => Command::ModeLink(match args.pos_next() {
            Some(i) => Some(parse_iface(i)?),
            None => None,
        }),
        m => Command::Mode(m),
    })
}

pub(super) fn mode_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(MODE_WORDS)],
        [l] if l.eq_ignore_ascii_case("link") => vec![Offer::Ifaces],
        _ => Vec::new(),
    }
}

pub(super) fn send(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let defaults = SendArgs {
        dst: None,
        count: 1,
        every: None,
        order: Vec::new(),
    };
    Ok(Command::Send(parse_send(
        args, defaults, false, None, None,
    )?))
}

/// `[DST] [count N] [every DUR]`, and `[mode M]` for ping: what the words typed so far
/// leave to be typed.
fn send_words(done: &[&str], keywords: &'static [&'static str]) -> Vec<Offer> {
    match done.last() {
        None => vec![Offer::Words(DESTINATIONS), Offer::Words(keywords)],
        Some(w) if w.eq_ignore_ascii_case("mode") => vec![Offer::Words(IP_MODE_WORDS)],
        Some(w)
            if ["count", "every", "size", "ttl"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k)) =>
        {
            Vec::new()
        }
        Some(_) => vec![Offer::Words(keywords)],
    }
}

pub(super) fn send_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.last().is_some_and(|w| w.eq_ignore_ascii_case("order")) {
        return vec![Offer::Note(
            "fragment numbers, in the order to send them (2 1)",
        )];
    }
    send_words(done, SEND_WORDS)
}

pub(super) fn fragment(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("an MTU in bytes, such as 576, or off")?;
    if t.text.eq_ignore_ascii_case("off") && !t.quoted {
        return Ok(Command::Fragment(Fragmenting::Off));
    }
    let v = parse_int(t).map_err(|e| {
        e.expected("an MTU in bytes (576, 1500) or off")
            .suggest(did_you_mean(&t.text, ["off"]))
    })?;
    if !(MIN_FRAGMENT_MTU..=65_535).contains(&v) {
        return Err(ParseError::new(
            t.span.clone(),
            format!("fragment {v}: an MTU of {v} bytes holds no fragment"),
        )
        .expected(format!(
            "{MIN_FRAGMENT_MTU}..=65535: a fragment holds its IPv4 header (20 bytes, more with options) and at least one 8-byte block"
        ))
        .suggest(Some("`fragment 576` (the MTU every IPv4 host must take), or `fragment 1500` (Ethernet's)".into())));
    }
    Ok(Command::Fragment(Fragmenting::Mtu(v as u16)))
}

pub(super) fn fragment_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(FRAGMENT_WORDS)],
        _ => Vec::new(),
    }
}

pub(super) fn fragments(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let Some(t) = args.pos_next() else {
        return Ok(Command::Fragments(FragmentPick::List));
    };
    if t.text.eq_ignore_ascii_case("all") && !t.quoted {
        return Ok(Command::Fragments(FragmentPick::All));
    }
    let v = parse_int(t).map_err(|e| {
        e.expected("a fragment's number, as `fragments` lists them, or all")
            .suggest(did_you_mean(&t.text, ["all"]))
    })?;
    if v == 0 || v > 8192 {
        return Err(
            ParseError::new(t.span.clone(), format!("fragment {v} is out of range"))
                .expected("a fragment's number from 1, as `fragments` lists them")
                .suggest(Some("`fragments 1` shows the first".into())),
        );
    }
    Ok(Command::Fragments(FragmentPick::One(v as usize)))
}

pub(super) fn fragments_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(FRAGMENTS_WORDS)],
        _ => Vec::new(),
    }
}

pub(super) fn ping(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let defaults = SendArgs {
        dst: None,
        count: 4,
        every: Some(Duration::from_secs(1)),
        order: Vec::new(),
    };
    // As ping(8) sends unless asked otherwise: its round trips compare with ping(8)'s.
    let mut mode = Mode::Kernel;
    let mut opts = PingOpts::default();
    let args = parse_send(args, defaults, true, Some(&mut mode), Some(&mut opts))?;
    Ok(Command::Ping(args, mode, opts))
}

pub(super) fn ping_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    // ping needs its destination first.
    if done.is_empty() {
        return vec![Offer::Words(DESTINATIONS)];
    }
    send_words(done, PING_WORDS)
}

pub(super) fn route(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    // Anything after the destination is refused by the dispatcher (Args::finish).
    let dst = parse_ip(args.next("a destination, such as 203.0.113.2 or 2001:db8:2::2")?)?;
    Ok(Command::Route(dst))
}

pub(super) fn route_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done.len() {
        0 => vec![Offer::Words(&["203.0.113.2", "127.0.0.1", "2001:db8:2::2"])],
        _ => Vec::new(),
    }
}

const TRACE_WORDS: &[&str] = &["proto", "hops"];
const PROBE_WORDS: &[&str] = &["icmp", "udp", "tcp"];

pub(super) fn trace(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let dst = parse_ip(args.next("a destination, such as 203.0.113.2 or 2001:db8:2::2")?)?;
    let (mut probe, mut hops) = (None, None);
    while let Some(t) = args.pos_next() {
        let word = t.text.to_ascii_lowercase();
        let again = |t: &Token| {
            ParseError::new(t.span.clone(), format!("`{}` is given twice", t.shown()))
                .expected("each of proto and hops at most once")
        };
        match word.as_str() {
            "proto" if probe.is_some() => return Err(again(t)),
            "hops" if hops.is_some() => return Err(again(t)),
            "proto" => {
                let p = args.next("icmp, udp or tcp")?;
                probe = Some(match p.text.to_ascii_lowercase().as_str() {
                    "icmp" => Probe::Icmp,
                    "udp" => Probe::Udp,
                    "tcp" => Probe::Tcp,
                    _ => {
                        return Err(ParseError::new(
                            p.span.clone(),
                            format!("`{}` is no probe trace sends", p.shown()),
                        )
                        .expected("icmp (echo requests, as traceroute -I), udp (to ports from 33434, traceroute's default) or tcp (SYNs to port 80, as traceroute -T)")
                        .suggest(did_you_mean(&p.text, PROBE_WORDS.iter().copied())));
                    }
                });
            }
            "hops" => {
                let n = args.next("how many hops at most, such as 5")?;
                let v = parse_int(n)?;
                if v == 0 || v > u128::from(MAX_HOPS) {
                    return Err(ParseError::new(
                        n.span.clone(),
                        format!("hops {v} is out of range"),
                    )
                    .expected(format!("1..={MAX_HOPS} (a TTL for each)")));
                }
                hops = Some(v as u8);
            }
            _ => return Err(args.unexpected(t, TRACE_WORDS)),
        }
    }
    Ok(Command::Trace {
        dst,
        probe: probe.unwrap_or(Probe::Icmp),
        hops: hops.unwrap_or(MAX_HOPS),
    })
}

pub(super) fn trace_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done.last() {
        None => vec![Offer::Words(&["203.0.113.2", "127.0.0.1", "2001:db8:2::2"])],
        Some(w) if w.eq_ignore_ascii_case("proto") => vec![Offer::Words(PROBE_WORDS)],
        Some(w) if w.eq_ignore_ascii_case("hops") => Vec::new(),
        Some(_) => vec![Offer::Words(TRACE_WORDS)],
    }
}

pub(super) fn trigger(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("what to trigger: ping, http or udp")?;
    Ok(Command::Trigger(
        match t.text.to_ascii_lowercase().as_str() {
            "http" => Trigger::Http(match args.pos_next() {
                Some(p) => Some(parse_port(p)?),
                None => None,
            }),
            "udp" => {
                let dst = parse_ipv4(args.next("a destination, such as 127.0.0.1")?)?;
                let port = parse_port(args.next("a port, such as 9999")?)?;
                let data = match args.pos_next() {
                    Some(d) => {
                        let data = if d.quoted {
                            d.text.as_bytes().to_vec()
                        } else {
                            parse_hex(d)?
                        };
                        udp_data_fits(&data, &d.span)?;
                        data
                    }
                    None => b"hello from rawlab".to_vec(),
                };
                Trigger::Udp { dst, port, data }
            }
            "ping" => {
                let defaults = SendArgs {
                    dst: None,
                    count: 1,
                    every: Some(Duration::from_secs(1)),
                    order: Vec::new(),
                };
                Trigger::Ping(parse_send(args, defaults, true, None, None)?)
            }
            _ => {
                return Err(ParseError::new(
                t.span.clone(),
                format!("rawlab cannot trigger `{}`", t.shown()),
            )
            .expected("ping (echo requests the kernel builds), http (a real HTTP GET on loopback) or udp (a datagram)")
            .suggest(did_you_mean(&t.text, TRIGGER_WORDS.iter().copied())));
            }
        },
    ))
}

pub(super) fn trigger_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(TRIGGER_WORDS)],
        [w] if w.eq_ignore_ascii_case("http") => vec![Offer::Words(PORTS)],
        [w] if w.eq_ignore_ascii_case("udp") => vec![Offer::Words(DESTINATIONS)],
        [w, rest @ ..] if w.eq_ignore_ascii_case("ping") => send_words(rest, TRIGGER_PING_WORDS),
        _ => Vec::new(),
    }
}

pub(super) fn serve(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("tcp PORT, udp PORT, or off")?;
    Ok(Command::Serve(match t.text.to_ascii_lowercase().as_str() {
        "off" => None,
        "tcp" => Some((
            Served::Http,
            parse_port(args.next("a port, such as 8080")?)?,
        )),
        "udp" => Some((
            Served::UdpEcho,
            parse_port(args.next("a port, such as 7")?)?,
        )),
        _ => {
            return Err(ParseError::new(
                t.span.clone(),
                format!("rawlab cannot serve `{}`", t.shown()),
            )
            .expected("serve tcp PORT, serve udp PORT, or serve off")
            .suggest(did_you_mean(&t.text, SERVE_WORDS.iter().copied())));
        }
    }))
}

pub(super) fn serve_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(SERVE_WORDS)],
        [w] if !w.eq_ignore_ascii_case("off") => vec![Offer::Words(PORTS)],
        _ => Vec::new(),
    }
}

/// `dump N`, `why N`: one packet number.
fn packet(args: &mut Args, example: &str) -> Result<u64, ParseError> {
    parse_packet_no(args.next(&format!(
        "a packet number, such as {example} (see `captures`)"
    ))?)
}

pub(super) fn dump(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    Ok(Command::Dump(packet(args, "2")?))
}

pub(super) fn why(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    Ok(Command::Why(packet(args, "1")?))
}

pub(super) fn diff(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let a = parse_packet_no(args.next("two packet numbers, such as 2 3")?)?;
    let b = parse_packet_no(args.next("a second packet number")?)?;
    Ok(Command::Diff(a, b))
}

pub(super) fn save(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    if args.tokens.is_empty() {
        // Named as typed: `save!` or `save`.
        return Err(ParseError::new(
            args.end..args.end + 1,
            format!("`{}` needs a file name, such as ping.pcap", args.word.text),
        )
        .expected(format!(
            "{} (for example: {})",
            args.info.syntax, args.info.example
        )));
    }
    let path = parse_path(args.next("a file name, such as ping.pcap")?)?;
    let mut packets = Vec::new();
    while let Some(t) = args.pos_next() {
        packets.push(parse_packet_range(t)?);
    }
    Ok(Command::Save {
        path,
        force: args.word.text.ends_with('!'),
        packets,
    })
}

pub(super) fn save_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Path(
            "FILE [N | A-B …] (.pcap or .pcapng; an existing FILE is kept: save! overwrites)",
        )]
    } else {
        vec![Offer::Note(
            "[N | A-B …] (packets from `captures`; all when none are named)",
        )]
    }
}

pub(super) fn load(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("the name of a pcap or pcapng file, such as ping.pcap")?;
    Ok(Command::Load(parse_path(t)?))
}

pub(super) fn load_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Path(
            "FILE (a .pcap or .pcapng file; Tab completes names)",
        )]
    } else {
        Vec::new()
    }
}

pub(super) fn explain(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    let t = args.next("a field name, such as ttl or icmp.checksum")?;
    if let Some((_, _, n)) = wire::named_option(&t.text, wire::PROTOCOLS) {
        return Ok(Command::Explain(n.field));
    }
    if t.text
        .get(..QUOTED.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(QUOTED))
    {
        // The same words `set quoted.FIELD` takes, and the same errors.
        return Ok(Command::ExplainQuoted(target(t, ctx)?.0));
    }
    Ok(Command::Explain(any_field(t, ctx)?))
}

/// A field of any protocol, in the template or not.
pub(super) fn any_field(t: &Token, ctx: &Context) -> Result<&'static Field, ParseError> {
    match wire::resolve(&t.text, ctx.stack) {
        // Any field a table declares: one of another protocol, or one inside options
        // or records (dns.qry.name), which is shown and explained though set as bytes.
        Err(Lookup::NotInStack { field } | Lookup::InTail { field, .. }) => Ok(field),
        _ => resolve_field(t, ctx),
    }
}

pub(super) fn explain_offers(done: &[&str], ctx: &Context) -> Vec<Offer> {
    field_first(done, ctx, true)
}

pub(super) fn expect(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    Ok(Command::Expect(parse_expect(args, ctx)?))
}

pub(super) fn expect_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(super::expect::KINDS)],
        [w] if w.eq_ignore_ascii_case("no") => vec![Offer::Words(&["reply"])],
        [w] if w.eq_ignore_ascii_case("ping") => vec![Offer::Words(&["received"])],
        [w] if w.eq_ignore_ascii_case("captured") => vec![Offer::Words(&["by"])],
        [w] if w.eq_ignore_ascii_case("counted") => {
            vec![Offer::Words(super::expect::COUNTER_TABLES)]
        }
        [w, b] if w.eq_ignore_ascii_case("captured") && b.eq_ignore_ascii_case("by") => {
            vec![Offer::Words(super::expect::SOCKETS)]
        }
        [w] if w.eq_ignore_ascii_case("refused") => {
            vec![Offer::Words(super::expect::ERRNO_NAMES)]
        }
        [w] if w.eq_ignore_ascii_case("reply") => {
            vec![
                Offer::Fields { everywhere: true },
                Offer::Words(&["like", "within"]),
            ]
        }
        [w, l] if w.eq_ignore_ascii_case("reply") && l.eq_ignore_ascii_case("like") => {
            vec![Offer::Fields { everywhere: true }]
        }
        [w] if w.eq_ignore_ascii_case("last") || w.eq_ignore_ascii_case("set") => {
            vec![Offer::Fields { everywhere: true }]
        }
        [w] if w.to_ascii_lowercase().starts_with("kernel-") => {
            vec![Offer::Fields { everywhere: true }]
        }
        _ => Vec::new(),
    }
}

pub(super) fn predict(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    Ok(Command::Predict(super::predict::parse_predict(args, ctx)?))
}

pub(super) fn predict_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Note("a question in quotes")],
        [_] => vec![Offer::Words(&["->"])],
        [_, _] => vec![Offer::Words(super::predict::KINDS)],
        [_, _, r] if r.eq_ignore_ascii_case("reply") => {
            vec![Offer::Fields { everywhere: true }, Offer::Words(&["byte"])]
        }
        _ => Vec::new(),
    }
}

pub(super) fn task(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("the goal, in quotes")?;
    if !t.quoted || t.text.trim().is_empty() {
        return Err(ParseError::new(
            t.span.clone(),
            if t.quoted {
                "the goal is empty"
            } else {
                "the goal goes in quotes"
            },
        )
        .expected("task \"GOAL\"")
        .suggest(Some(
            "for example: task \"Make the kernel answer a payload of your own\"".into(),
        )));
    }
    Ok(Command::Task(t.text.trim().to_string()))
}

pub(super) fn hint(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let from = args.tokens.first().map_or(args.end, |t| t.span.start);
    args.pos = args.tokens.len();
    let text = args.line[from..].trim();
    Ok(Command::Hint((!text.is_empty()).then(|| text.to_string())))
}

/// What `end` closes.
const BLOCKS: &[&str] = &["task", "solution"];

pub(super) fn end(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("what it closes: task or solution")?;
    match t.text.to_ascii_lowercase().as_str() {
        "task" => Ok(Command::End(Block::Task)),
        "solution" => Ok(Command::End(Block::Solution)),
        _ => Err(
            ParseError::new(t.span.clone(), format!("cannot end `{}`", t.shown()))
                .expected("end task, or end solution")
                .suggest(did_you_mean(&t.text, BLOCKS.iter().copied()).or(Some(
                    "`end task` closes a task, `end solution` its reference solution".into(),
                ))),
        ),
    }
}

pub(super) fn end_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(BLOCKS)]
    } else {
        Vec::new()
    }
}

pub(super) fn give(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("`up`, as in: give up")?;
    if !t.text.eq_ignore_ascii_case("up") {
        return Err(
            ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                .expected("give up")
                .suggest(Some(
                    "`give up` shows the task's reference solution and runs it".into(),
                )),
        );
    }
    Ok(Command::GiveUp)
}

pub(super) fn privilege(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("`off` or `on`")?;
    match t.text.to_ascii_lowercase().as_str() {
        "off" | "drop" => Ok(Command::Privilege(false)),
        "on" | "raise" => Ok(Command::Privilege(true)),
        _ => Err(
            ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                .expected("off or on")
                .suggest(Some(
                    "`privilege off` gives up CAP_NET_RAW, `privilege on` takes it back".into(),
                )),
        ),
    }
}

pub(super) fn privilege_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(&["off", "on"])]
    } else {
        Vec::new()
    }
}

pub(super) fn give_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(&["up"])]
    } else {
        Vec::new()
    }
}

pub(super) fn lesson(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let Some(t) = args.pos_next() else {
        return Ok(Command::Lesson(LessonCmd::List));
    };
    Ok(Command::Lesson(
        match t.text.to_ascii_lowercase().as_str() {
            "list" => LessonCmd::List,
            "next" => LessonCmd::Next,
            "stop" | "off" | "end" => LessonCmd::Stop,
            key => match lessons::find(key) {
                Some(l) => LessonCmd::Start(l.name().to_string()),
                None => {
                    let names: Vec<&str> = lessons::all().iter().map(|l| l.name()).collect();
                    let last = lessons::all().last().and_then(|l| l.number()).unwrap_or(1);
                    return Err(ParseError::new(
                    t.span.clone(),
                    format!("there is no lesson `{}`", t.shown()),
                )
                .expected(format!(
                    "a lesson's number (1..={last}) or name, next, stop, or nothing for the list"
                ))
                .suggest(did_you_mean(key, names)));
                }
            },
        },
    ))
}

pub(super) fn lesson_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(LESSON_WORDS), Offer::Lessons]
    } else {
        Vec::new()
    }
}

pub(super) fn listen(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    // `where EXPR` ends the line: the words before it are the listener's.
    let Some(at) = args
        .tokens
        .iter()
        .position(|t| !t.quoted && t.text.eq_ignore_ascii_case("where"))
    else {
        return listen_plain(args, ctx);
    };
    let where_ = &args.tokens[at];
    let from = args.tokens.get(at + 1).map_or(args.end, |t| t.span.start);
    let text = &args.line[from..];
    if text.trim().is_empty() {
        return Err(
            ParseError::new(args.end..args.end + 1, "`where` needs a filter after it")
                .expected("listen icmp where icmp.type == echo-reply"),
        );
    }
    let filter = super::filter::parse_filter(text).map_err(|mut e| {
        e.span = e.span.start + from..e.span.end + from;
        e
    })?;
    let mut before = Args {
        tokens: &args.tokens[..at],
        pos: 0,
        end: where_.span.start,
        line: args.line,
        word: args.word,
        info: args.info,
    };
    let listen = listen_plain(&mut before, ctx)?;
    before.finish()?;
    if matches!(listen, Command::ListenOff) {
        return Err(
            ParseError::new(where_.span.clone(), "`listen off` takes no filter")
                .expected("listen off"),
        );
    }
    args.pos = args.tokens.len();
    Ok(Command::ListenWhere {
        listen: Box::new(listen),
        filter,
        text: text.trim().to_string(),
    })
}

fn listen_plain(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("icmp, tcp, udp, icmp6, proto N, link, or off")?;
    let word = t.text.to_ascii_lowercase();
    if ICMP6_NAMES.contains(&word.as_str()) {
        return Ok(Command::ListenV6(58));
    }
    Ok(match word.as_str() {
        "off" => Command::ListenOff,
        "link" => {
            let mut iface = None;
            let mut once = false;
            while let Some(w) = args.pos_next() {
                if w.text.eq_ignore_ascii_case("once") && !w.quoted && !once {
                    once = true;
                } else if iface.is_none() && !once {
                    iface = Some(parse_iface(w)?);
                } else {
                    return Err(ParseError::new(
                        w.span.clone(),
                        format!("unexpected `{}`", w.shown()),
                    )
                    .expected("listen link [IFACE] [once] (for example: listen link lo once)")
                    .suggest(did_you_mean(&w.text, ["once"])));
                }
            }
            Command::ListenLink { iface, once }
        }
        "proto" => {
            let n = args.next("an IP protocol number, 0..=255")?;
            let v = parse_int(n)?;
            if v > 255 {
                return Err(ParseError::new(
                    n.span.clone(),
                    format!("{v} is not an IP protocol number"),
                )
                .expected("0..=255 (ip.proto is 8 bits)"));
            }
            Command::Listen(v as u8)
        }
        name => match wire::ipv4::PROTO_NAMES.iter().find(|(_, n)| *n == name) {
            Some((n, _)) if *n != 0 && *n != 255 => Command::Listen(*n as u8),
            _ => {
                return Err(ParseError::new(
                    t.span.clone(),
                    format!("cannot listen for `{}`", t.shown()),
                )
                .expected("icmp, tcp, udp, icmp6, proto N (an IP protocol number), link [IFACE] (every frame), or off")
                .suggest(did_you_mean(&t.text, LISTEN_WORDS.iter().copied())));
            }
        },
    })
}

pub(super) fn listen_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.iter().any(|w| w.eq_ignore_ascii_case("where")) {
        return vec![Offer::Fields { everywhere: true }];
    }
    let filterable = !done.is_empty() && !done[0].eq_ignore_ascii_case("off");
    let mut offers = listen_places(done);
    if filterable && !(done.len() == 1 && done[0].eq_ignore_ascii_case("proto")) {
        offers.push(Offer::Words(&["where"]));
    }
    offers
}

fn listen_places(done: &[&str]) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(LISTEN_WORDS)],
        [l] if l.eq_ignore_ascii_case("link") => vec![Offer::Ifaces, Offer::Words(&["once"])],
        [l, w] if l.eq_ignore_ascii_case("link") && !w.eq_ignore_ascii_case("once") => {
            vec![Offer::Words(&["once"])]
        }
        _ => Vec::new(),
    }
}

pub(super) fn wait(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("a duration such as 200ms")?;
    Ok(Command::Wait(parse_duration(t, &WAIT_CAP)?))
}

pub(super) fn say(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let from = args.tokens.first().map_or(args.end, |t| t.span.start);
    args.pos = args.tokens.len();
    Ok(Command::Say(args.line[from..].trim().to_string()))
}

pub(super) fn help(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.pos_next();
    if let Some(t) = t
        && command_info(&t.text).is_none()
    {
        return Err(ParseError::new(
            t.span.clone(),
            format!("no command is called `{}`", t.shown()),
        )
        .expected("a command name; `help` lists them")
        .suggest(did_you_mean(&t.text, COMMANDS.iter().map(|c| c.name))));
    }
    Ok(Command::Help(t.map(|t| t.text.to_ascii_lowercase())))
}

pub(super) fn help_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Commands]
    } else {
        Vec::new()
    }
}

/// The modes `ping … mode` takes: IP sockets only.
pub(super) const PING_MODES: &str = "raw (IPPROTO_RAW, as the post sends), hdrincl (IP_HDRINCL) or kernel (the kernel writes the IP header, as ping(8) has it)";

/// One of `modes` by name, as `mode` and `ping … mode` take them; `expected` lists them.
pub(super) fn parse_mode(t: &Token, modes: &[Mode], expected: &str) -> Result<Mode, ParseError> {
    modes
        .iter()
        .copied()
        .find(|m| m.name().eq_ignore_ascii_case(&t.text))
        .ok_or_else(|| {
            let error = if Mode::ALL
                .iter()
                .any(|m| m.name().eq_ignore_ascii_case(&t.text))
            {
                // Only `link` is left out anywhere.
                "ping sends packets through an IP socket, and mode link sends frames".to_string()
            } else {
                format!("unknown mode `{}`", t.shown())
            };
            ParseError::new(t.span.clone(), error)
                .expected(expected)
                .suggest(did_you_mean(&t.text, modes.iter().map(|m| m.name())))
        })
}

/// `[DST] [count N] [every DURATION]` after send, ping or trigger ping, and
/// `[mode M]` where `mode` is given (ping). DST may stand only first, as the first
/// word after the command.
pub(super) fn parse_send(
    args: &mut Args,
    mut s: SendArgs,
    dst_required: bool,
    mut mode: Option<&mut Mode>,
    mut ping: Option<&mut PingOpts>,
) -> Result<SendArgs, ParseError> {
    let first = args.pos;
    let keywords: &[&str] = match (&mode, &ping) {
        (_, Some(_)) => PING_WORDS,
        (Some(_), None) => &["count", "every", "mode"],
        (None, None) if args.info.name == "send" => SEND_WORDS,
        (None, None) => &["count", "every"],
    };
    // Each option once: `count 2 count 3` is a slip, and taking either would guess.
    // Kept: each option's word and where it stands among the words.
    let mut given: Vec<(String, usize)> = Vec::new();
    while let Some(t) = args.pos_next() {
        let word = t.text.to_ascii_lowercase();
        if keywords.contains(&word.as_str()) && !t.quoted {
            given_once(args, t, &word, &given)?;
            given.push((word.clone(), args.pos - 1));
        }
        match word.as_str() {
            "mode" if mode.is_some() => {
                let m = args.next("raw, hdrincl or kernel")?;
                let ip = [Mode::Raw, Mode::HdrIncl, Mode::Kernel];
                if let Some(slot) = mode.as_deref_mut() {
                    *slot = parse_mode(m, &ip, PING_MODES)?;
                }
            }
            "order" if keywords.contains(&"order") => parse_order(args, &mut s.order)?,
            "count" => s.count = parse_count(args)?,
            "every" => {
                let d = args.next("a duration such as 100ms")?;
                s.every = Some(parse_duration(d, &EVERY_CAP)?);
            }
            "interval" if ping.is_some() => s.every = Some(parse_interval(args)?),
            "size" | "rr" | "stamps" | "ttl" if ping.is_some() => {
                if let Some(o) = ping.as_deref_mut() {
                    parse_ping_option(args, &word, o)?;
                }
            }
            _ if s.dst.is_none() && args.pos - 1 == first => {
                // A misspelt keyword in the address's place: say so, not "bad address".
                match (
                    parse_ipv4(t),
                    did_you_mean(&t.text, keywords.iter().copied()),
                ) {
                    (Ok(a), _) => s.dst = Some(a),
                    (Err(_), Some(_)) => return Err(args.unexpected(t, keywords)),
                    (Err(e), None) => return Err(e),
                }
            }
            _ => return Err(args.unexpected(t, keywords)),
        }
    }
    if dst_required && s.dst.is_none() {
        let at = args
            .tokens
            .get(first)
            .map_or(args.end..args.end + 1, |t| t.span.clone());
        return Err(
            ParseError::new(at, format!("`{}` needs a destination", args.info.name)).expected(
                format!("an IPv4 address first, as in: {}", args.info.example),
            ),
        );
    }
    Ok(s)
}

/// Each option once: the error for `word` (token `t`) when it, or the word that says
/// the same, was `given` already.
fn given_once(
    args: &Args,
    t: &Token,
    word: &str,
    given: &[(String, usize)],
) -> Result<(), ParseError> {
    if let Some(&(_, first)) = given.iter().find(|(w, _)| *w == word) {
        // `stamps` takes no value: the word alone is the option.
        let alone = matches!(word, "stamps" | "rr");
        let value = |at: usize| args.tokens.get(at).map_or(String::new(), |v| v.shown());
        let end = if alone {
            t.span.end
        } else {
            args.tokens.get(args.pos).map_or(t.span.end, |v| v.span.end)
        };
        let suggestion = if alone {
            format!("`{word}` once is enough")
        } else {
            format!(
                "keep one: `{word} {}` (column {}) or `{word} {}`",
                value(first + 1),
                args.line[..args.tokens[first].span.start].chars().count() + 1,
                value(args.pos)
            )
        };
        return Err(
            ParseError::new(t.span.start..end, format!("`{word}` is given twice"))
                .expected(format!(
                    "each option once: {} (for example: {})",
                    args.info.syntax, args.info.example
                ))
                .suggest(Some(suggestion)),
        );
    }
    // `interval` is ping(8)'s word for `every`: one of them.
    let same = |w: &str| matches!(w, "every" | "interval");
    if same(word)
        && let Some((other, _)) = given.iter().find(|(w, _)| same(w))
    {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{word}` says again what `{other}` said"),
        )
        .expected("the gap between requests once: `every DURATION` or `interval SECONDS`")
        .suggest(Some(format!("keep `{other}` and drop `{word}`"))));
    }
    Ok(())
}

/// `interval SECONDS`, as ping -i takes it: seconds, fractions allowed (0.2); a unit
/// may follow.
fn parse_interval(args: &mut Args) -> Result<Duration, ParseError> {
    let d = args.next("seconds between requests, such as 0.2 (ping -i)")?;
    let plain = !d.text.is_empty() && d.text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let t = if plain {
        Token {
            text: format!("{}s", d.text),
            ..d.clone()
        }
    } else {
        d.clone()
    };
    parse_duration(&t, &INTERVAL_CAP)
}

/// Ping's own options: `size N`, `rr`, `stamps`, `ttl N`.
fn parse_ping_option(args: &mut Args, word: &str, o: &mut PingOpts) -> Result<(), ParseError> {
    match word {
        "size" => {
            let n = args.next("how many ICMP data bytes, such as 56")?;
            let v = parse_int(n)?;
            if v > MAX_PING_SIZE as u128 {
                return Err(ParseError::new(
                    n.span.clone(),
                    format!("size {v} does not fit an IPv4 datagram"),
                )
                .expected(format!(
                    "0..={MAX_PING_SIZE} (65,535 less the IP and ICMP headers)"
                )));
            }
            o.size = Some(v as u16);
        }
        "rr" => o.record_route = true,
        "stamps" => o.stamps = true,
        _ => o.ttl = Some(parse_ping_ttl(args)?),
    }
    Ok(())
}

/// `order 2 1 …`: fragment numbers from 1, as many as follow.
fn parse_order(args: &mut Args, order: &mut Vec<usize>) -> Result<(), ParseError> {
    let first_no = args.next("fragment numbers, such as 2 1")?;
    let mut at = Some(first_no);
    while let Some(n) = at {
        let v = parse_int(n)?;
        if v == 0 || v > 8192 {
            return Err(
                ParseError::new(n.span.clone(), format!("fragment {v} is out of range"))
                    .expected("fragment numbers from 1, as `fragments` lists them")
                    .suggest(Some(
                        "`send order 2 1` sends the second fragment, then the first".into(),
                    )),
            );
        }
        order.push(v as usize);
        at = args
            .tokens
            .get(args.pos)
            .filter(|t| !t.quoted && t.text.bytes().all(|b| b.is_ascii_digit()));
        if at.is_some() {
            args.pos += 1;
        }
    }
    Ok(())
}

/// `count N`: how many packets, 1 to MAX_COUNT.
fn parse_count(args: &mut Args) -> Result<u64, ParseError> {
    let n = args.next("how many packets, such as 3")?;
    let v = parse_int(n)?;
    if v == 0 || v > MAX_COUNT as u128 {
        return Err(
            ParseError::new(n.span.clone(), format!("count {v} is out of range"))
                .expected(format!("1..={MAX_COUNT}")),
        );
    }
    Ok(v as u64)
}

/// `ttl N` after ping: 1 to 255.
fn parse_ping_ttl(args: &mut Args) -> Result<u8, ParseError> {
    let n = args.next("a time to live, such as 1")?;
    let v = parse_int(n)?;
    if v == 0 || v > 255 {
        return Err(
            ParseError::new(n.span.clone(), format!("ttl {v} is out of range"))
                .expected("1..=255 (ip.ttl is 8 bits; 0 would be dropped by the first router)"),
        );
    }
    Ok(v as u8)
}
