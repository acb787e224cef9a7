//! The template's commands: `new`, `set` (fields, quoted fields and options set by
//! name), `unset`, `fields` and `payload`.

use super::*;

pub(in crate::command) fn new(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("a layer stack such as ip/icmp")?;
    Ok(Command::New(parse_stack(t)?))
}

pub(in crate::command) fn new_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Stacks]
    } else {
        Vec::new()
    }
}

pub(in crate::command) fn set(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    let t = args.next("a field name such as ttl or icmp.type")?;
    if t.text.eq_ignore_ascii_case("timeout") {
        let d = args.next("a duration such as 500ms or 2s")?;
        return Ok(Command::SetTimeout(parse_duration(d, &TIMEOUT_CAP)?));
    }
    if let Some(n) = named_option(t, ctx)? {
        return Ok(Command::SetOption(n.field, option_value(n, args)?));
    }
    if let Some(n) = quoted_option(t, ctx) {
        return Ok(Command::SetQuotedOption(n.field, option_value(n, args)?));
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
pub(super) fn target(t: &Token, ctx: &Context) -> Result<(&'static Field, bool), ParseError> {
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
pub(in crate::command) const QUOTED: &str = "quoted.";

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
    let fields = stack[q..].iter().flat_map(|p| p.all_fields());
    // Options set by name too (`quoted.ip.opt.rr`), after the fields.
    let options = wire::named_options(&stack[q..])
        .into_iter()
        .map(|n| n.field);
    for f in fields.chain(options) {
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

pub(in crate::command) fn set_offers(done: &[&str], ctx: &Context) -> Vec<Offer> {
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
        [f] if quoted_option_named(f, ctx).is_some() => {
            let n = quoted_option_named(f, ctx).expect("just found");
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

/// The option a `quoted.ip.opt.NAME` word names in the quoted datagram's layers, if
/// the template quotes one that has it.
fn quoted_option(t: &Token, ctx: &Context) -> Option<&'static wire::NamedOption> {
    quoted_option_named(&t.text, ctx)
}

fn quoted_option_named(word: &str, ctx: &Context) -> Option<&'static wire::NamedOption> {
    let rest = word
        .get(..QUOTED.len())
        .filter(|p| p.eq_ignore_ascii_case(QUOTED))
        .map(|_| &word[QUOTED.len()..])?;
    let q = wire::template::quote_start(ctx.stack)?;
    wire::named_option(rest, &ctx.stack[q..]).map(|(_, _, n)| n)
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

pub(in crate::command) fn unset(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    let t = args.next("a field name such as ip.checksum")?;
    if let Some(n) = named_option(t, ctx)? {
        return Ok(Command::UnsetOption(n.field));
    }
    if let Some(n) = quoted_option(t, ctx) {
        return Ok(Command::UnsetQuotedOption(n.field));
    }
    Ok(match target(t, ctx)? {
        (f, true) => Command::UnsetQuoted(f),
        (f, false) => Command::Unset(f),
    })
}

pub(in crate::command) fn fields_offers(done: &[&str], ctx: &Context) -> Vec<Offer> {
    field_first(done, ctx, false)
}

/// A field first (of the template's layers, or of any protocol when `everywhere`),
/// and `quoted.` ones where the template quotes a datagram; nothing after it.
pub(super) fn field_first(done: &[&str], ctx: &Context, everywhere: bool) -> Vec<Offer> {
    match done {
        [] if wire::template::quote_start(ctx.stack).is_some() => {
            vec![Offer::Fields { everywhere }, Offer::Quoted]
        }
        [] => vec![Offer::Fields { everywhere }],
        _ => Vec::new(),
    }
}

pub(in crate::command) fn payload(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
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
pub(in crate::command) fn fits(
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
pub(super) fn udp_data_fits(data: &[u8], span: &Range<usize>) -> Result<(), ParseError> {
    let stack = [&wire::ipv4::IPV4, &wire::udp::UDP];
    fits(data.len() as u128, "bytes", span, &Context::new(&stack))
}

pub(in crate::command) fn payload_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(PAYLOAD_WORDS)]
    } else {
        Vec::new()
    }
}
