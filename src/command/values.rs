//! Values as typed: numbers, addresses, durations, hex, packet numbers and ranges,
//! file and interface names, field names and layer stacks; each checked, with a
//! message that says what would do.

use super::*;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1, hex_digit1};
use nom::combinator::{all_consuming, map, opt, recognize};
use nom::sequence::{pair, preceded};
use nom::{IResult, Parser};

pub(super) fn did_you_mean<'a>(
    typed: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(typed, names)
        .first()
        .map(|n| format!("did you mean `{n}`?"))
}

pub(super) fn parse_stack(t: &Token) -> Result<Vec<&'static Protocol>, ParseError> {
    let mut stack: Vec<&'static Protocol> = Vec::new();
    let mut at = t.span.start;
    for part in t.text.split('/') {
        let span = at..at + part.len();
        at += part.len() + 1;
        let name = part.to_ascii_lowercase();
        let Some(p) = wire::protocol_named(&name) else {
            let names = wire::PROTOCOLS.iter().map(|p| p.name);
            return Err(ParseError::new(span, format!("unknown layer `{part}`"))
                .expected(format!(
                    "layers separated by /, from: {}",
                    wire::PROTOCOLS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .suggest(did_you_mean(&name, names)));
        };
        if let Some(prev) = stack.last() {
            if !p.may_follow(prev) {
                let fits: Vec<&str> = wire::PROTOCOLS
                    .iter()
                    .filter(|q| q.may_follow(prev))
                    .map(|q| q.name)
                    .collect();
                // A network layer after a transport one: perhaps an ICMP error quoting
                // the datagram typed so far (ip/udp/ip → ip/icmp/ip/udp).
                let quoter = wire::PROTOCOLS
                    .iter()
                    .find(|q| q.quote.is_some_and(|qu| qu.network == p) && q.may_follow(stack[0]));
                let suggestion = quoter.filter(|_| stack[0] == p).map(|q| {
                    let typed: Vec<&str> = stack.iter().map(|l| l.name).collect();
                    format!(
                        "an {} error quotes a datagram after it: did you mean `{}/{}/{}`?",
                        q.title,
                        stack[0].name,
                        q.name,
                        typed.join("/")
                    )
                });
                return Err(ParseError::new(
                    span,
                    format!("{} cannot follow {}", p.title, prev.title),
                )
                .expected(if fits.is_empty() {
                    format!("nothing after {}", prev.name)
                } else if prev.quote.is_some() {
                    format!(
                        "after {}: {} (an error's quoted datagram starts with {})",
                        prev.name,
                        fits.join(", "),
                        prev.quote.map_or("", |q| q.network.name)
                    )
                } else {
                    format!("after {}: {}", prev.name, fits.join(", "))
                })
                .suggest(suggestion));
            }
        } else if !p.starts {
            let under: Vec<&str> = p.ids.iter().map(|(o, _)| *o).collect();
            let first = under.first().copied().unwrap_or("ip");
            return Err(ParseError::new(
                span,
                format!(
                    "{} cannot start a stack: it needs {} under it",
                    p.title,
                    under.join(" or ")
                ),
            )
            .expected(format!("{first}/{}", p.name))
            .suggest(Some(format!("did you mean `{first}/{}`?", p.name))));
        }
        stack.push(p);
    }
    Ok(stack)
}

/// Fields worth showing as examples: the first one a user sets by hand in each layer.
pub(super) fn examples(stack: &[&'static Protocol]) -> String {
    let names: Vec<&str> = stack
        .iter()
        .filter_map(|p| {
            p.fields
                .iter()
                .find(|f| !f.group && f.fill == wire::Fill::Manual && f.bits > 0 && f.bits % 8 == 0)
                .map(|f| f.name)
        })
        .collect();
    names.join(", ")
}

pub(super) fn resolve_field(t: &Token, ctx: &Context) -> Result<&'static Field, ParseError> {
    let stack_name = ctx
        .stack
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join("/");
    wire::resolve(&t.text, ctx.stack).map_err(|e| match e {
        Lookup::Unknown { suggestions } => {
            let guess = suggestions.first().map(|s| {
                let full = wire::resolve(s, ctx.stack).map(|f| f.name).unwrap_or(s);
                if full == *s {
                    format!("did you mean `{s}`?")
                } else {
                    format!("did you mean `{s}` ({full})?")
                }
            });
            ParseError::new(t.span.clone(), format!("unknown field `{}`", t.shown()))
                .expected(format!(
                    "a field of {stack_name}, such as {}",
                    examples(ctx.stack)
                ))
                .suggest(guess)
        }
        Lookup::Ambiguous { candidates } => ParseError::new(
            t.span.clone(),
            format!("`{}` could be {}", t.shown(), candidates.join(" or ")),
        )
        .expected("the full name")
        .suggest(Some(format!("say which: {}", candidates.join(", ")))),
        Lookup::InTail { field, tail } => ParseError::new(
            t.span.clone(),
            format!("{} sits inside {}, which is set as bytes", field.name, tail.name),
        )
        .expected(format!("set {} HEX", tail.name))
        .suggest(Some(format!(
            "set {} to the bytes of every option (for TCP, `set tcp.options 020405b4` is an MSS of 1460); the dump then shows {} inside them",
            tail.name, field.name
        ))),
        Lookup::NotInStack { field } => {
            // The same field under another layer of this template (icmp.type in ip6/icmp6).
            // Only a sibling protocol's field (icmp ↔ icmpv6, ip ↔ ipv6), not any with the
            // same short name (eth.src is no ip.src).
            let family = |n: &str| n.split('.').next().unwrap_or("").trim_end_matches("v6").trim_end_matches('6').to_string();
            let here = wire::resolve(field.short(), ctx.stack).ok().filter(|f| family(f.name) == family(field.name));
            ParseError::new(
                t.span.clone(),
                format!("{} is not in this template ({stack_name})", field.name),
            )
            .expected(format!("a field of {stack_name}"))
            .suggest(Some(match here {
                Some(f) => format!("did you mean `{}`?", f.name),
                None => match wire::stack_with(field) {
                    Some(stack) => format!("start a template that has it: `new {stack}`"),
                    None => "start a template that has it with `new`".into(),
                },
            }))
        }
    })
}

/// An interface name as the kernel allows it: 1 to 15 bytes, no `/`, no space.
/// Whether it exists is for the executor to say.
pub(super) fn parse_iface(t: &Token) -> Result<String, ParseError> {
    if t.quoted {
        return Err(ParseError::new(
            t.span.clone(),
            "an interface name is a bare word, not a string in quotes",
        )
        .expected("a name such as lo or veth0")
        .suggest(Some(format!("write it without quotes: {}", t.shown()))));
    }
    let bad = t.text.is_empty()
        || t.text.len() > 15
        || t.quoted
        || t.text
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_control());
    if bad {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` is not an interface name", t.shown()),
        )
        .expected("a name such as lo or veth0: at most 15 characters, no / or :")
        .suggest(Some("`ifaces` lists the interfaces there are".into())));
    }
    Ok(t.text.clone())
}

/// A MAC address: six bytes of hex separated by `:` or `-` (`02:72:61:77:00:02`),
/// or twelve hex digits.
pub fn parse_mac_str(s: &str) -> Option<u128> {
    // Hex digits only (from_str_radix would take a sign, `+f`), so every slice below
    // falls between ASCII characters.
    let hex = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split([':', '-']).collect();
    let bytes: Vec<u8> = if parts.len() == 6 {
        parts
            .iter()
            .map(|p| {
                (hex(p) && p.len() <= 2)
                    .then(|| u8::from_str_radix(p, 16).ok())
                    .flatten()
            })
            .collect::<Option<Vec<u8>>>()?
    } else if parts.len() == 1 && s.len() == 12 && hex(s) {
        (0..6)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        return None;
    };
    Some(bytes.iter().fold(0u128, |acc, b| acc << 8 | *b as u128))
}

pub(super) fn parse_mac(f: &Field, t: &Token) -> Result<u128, ParseError> {
    let lower = t.text.to_ascii_lowercase();
    if let Some((v, _)) = f.names.iter().find(|(_, n)| *n == lower) {
        return Ok(*v);
    }
    parse_mac_str(&t.text).ok_or_else(|| {
        let groups = t.text.split([':', '-']).count();
        let hint = if groups != 6 && t.text.contains([':', '-']) {
            format!("a MAC has six bytes; `{}` has {groups}", t.shown())
        } else if t.text.parse::<Ipv4Addr>().is_ok() {
            format!(
                "{} is a hardware address, not an IP one: ARP finds the MAC behind an IP address (`new eth/arp`)",
                f.name
            )
        } else {
            "each byte is two hex digits, such as 02:72:61:77:00:02".to_string()
        };
        let names: Vec<&str> = f.names.iter().map(|(_, n)| *n).collect();
        let expected = if names.is_empty() {
            f.range_words()
        } else {
            format!("{}, or {}", f.range_words(), names.join(", "))
        };
        ParseError::new(
            t.span.clone(),
            format!("`{}` is not a MAC address", t.shown()),
        )
        .expected(expected)
        .suggest(Some(hint))
    })
}

/// An integer: decimal, 0x hex or 0b binary.
pub(super) fn integer(i: &str) -> IResult<&str, u128> {
    alt((
        map(
            preceded(alt((tag("0x"), tag("0X"))), hex_digit1),
            |h: &str| u128::from_str_radix(h, 16).unwrap_or(u128::MAX),
        ),
        map(
            preceded(
                alt((tag("0b"), tag("0B"))),
                take_while1(|c| c == '0' || c == '1'),
            ),
            |b: &str| u128::from_str_radix(b, 2).unwrap_or(u128::MAX),
        ),
        map(digit1, |d: &str| d.parse().unwrap_or(u128::MAX)),
    ))
    .parse(i)
}

/// A TCP or UDP port, 1..=65535.
pub(super) fn parse_port(t: &Token) -> Result<u16, ParseError> {
    match parse_int(t) {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => {
            Err(ParseError::new(t.span.clone(), format!("{n} is not a port")).expected("1..=65535"))
        }
        Err(e) => Err(e),
    }
}

/// A packet number as `captures` shows it: `2` or `#2`.
pub(super) fn parse_packet_no(t: &Token) -> Result<u64, ParseError> {
    let bare = Token {
        text: t.text.trim_start_matches('#').to_string(),
        ..t.clone()
    };
    match parse_int(&bare) {
        Ok(n) if n >= 1 && n <= u64::MAX as u128 => Ok(n as u64),
        _ => Err(ParseError::new(
            t.span.clone(),
            format!("`{}` is not a packet number", t.shown()),
        )
        .expected("a number from `captures`, such as 2")),
    }
}

/// A file name for save or load: any word or quoted string but an empty one, or one
/// that looks like the packet numbers that follow it.
pub(super) fn parse_path(t: &Token) -> Result<String, ParseError> {
    if t.text.is_empty() {
        return Err(ParseError::new(t.span.clone(), "the file name is empty")
            .expected("a file name, such as ping.pcap"));
    }
    if t.text.contains('\0') {
        return Err(
            ParseError::new(t.span.clone(), "a file name cannot hold a NUL byte")
                .expected("a file name, such as ping.pcap"),
        );
    }
    if t.text == "-" {
        return Err(ParseError::new(
            t.span.clone(),
            "`-` stands for standard input or output, which save and load do not use",
        )
        .expected("a file name, such as ping.pcap")
        .suggest(Some(
            "`rawlab read -` reads a capture from standard input; a file really called - is ./-"
                .into(),
        )));
    }
    if !t.quoted && parse_packet_range(t).is_ok() {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` looks like packet numbers, not a file name", t.shown()),
        )
        .expected("the file name first, then the packets: save FILE [N | A-B …]")
        .suggest(Some(format!(
            "for example `save capture.pcap {}`; a file really called {} is ./{}",
            t.shown(),
            t.shown(),
            t.shown()
        ))));
    }
    Ok(t.text.clone())
}

/// Packets to save: `3`, `#3`, `2-5`, `#2-#5` (or `2–5`, `2..5`).
pub(super) fn parse_packet_range(t: &Token) -> Result<RangeInclusive<u64>, ParseError> {
    let bad = || {
        ParseError::new(
            t.span.clone(),
            format!("`{}` is not a packet number or range", t.shown()),
        )
        .expected("packet numbers from `captures`: 3, #3, or a range such as 2-5")
    };
    if t.quoted {
        return Err(bad());
    }
    let (a, b) = ["-", "–", ".."]
        .iter()
        .find_map(|sep| t.text.split_once(sep))
        .unwrap_or((&t.text, &t.text));
    let no = |s: &str| {
        parse_packet_no(&Token {
            text: s.to_string(),
            ..t.clone()
        })
        .map_err(|_| bad())
    };
    let (a, b) = (no(a)?, no(b)?);
    if a > b {
        return Err(
            ParseError::new(t.span.clone(), format!("the range {a}-{b} runs backwards"))
                .expected("the lower number first")
                .suggest(Some(format!("did you mean `{b}-{a}`?"))),
        );
    }
    Ok(a..=b)
}

/// One byte's value, 0..=255, in decimal or hex: a byte of a packet.
pub(super) fn parse_byte(t: &Token) -> Result<u8, ParseError> {
    let v = parse_int(t)?;
    u8::try_from(v).map_err(|_| {
        ParseError::new(t.span.clone(), format!("{v} does not fit in a byte"))
            .expected("0..=255")
            .suggest(Some("a byte holds 0 to 255 (0x00 to 0xff)".into()))
    })
}

pub(super) fn parse_int(t: &Token) -> Result<u128, ParseError> {
    match all_consuming(integer).parse(t.text.as_str()) {
        Ok((_, v)) if v != u128::MAX => Ok(v),
        Ok(_) => Err(
            ParseError::new(t.span.clone(), format!("`{}` is far too large", t.shown()))
                .expected("a smaller number"),
        ),
        Err(_) => Err(
            ParseError::new(t.span.clone(), format!("`{}` is not a number", t.shown()))
                .expected("a number: decimal (64), hex (0x40) or binary (0b1000000)"),
        ),
    }
}

/// A duration: a number and a unit, such as 500ms, 1.5s, 20us or 2m.
pub fn parse_duration_str(s: &str) -> Option<Duration> {
    let parsed: IResult<&str, (&str, &str)> = all_consuming(pair(
        recognize(pair(digit1, opt(pair(char('.'), digit1)))),
        alt((
            tag("ms"),
            tag("us"),
            tag("µs"),
            tag("ns"),
            tag("s"),
            tag("m"),
        )),
    ))
    .parse(s);
    let (_, (num, unit)) = parsed.ok()?;
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "ns" => n / 1e9,
        "us" | "µs" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    (secs.is_finite() && secs < 1e9).then(|| Duration::from_secs_f64(secs))
}

/// The units a duration takes, in words, for every message about one.
pub(super) const DURATION_UNITS: &str = "ns, us (or µs), ms, s or m";

/// The most a duration may be where it is typed, and the words for it: `wait` waits
/// at most ten minutes.
pub(super) struct Cap {
    pub most: Duration,
    /// As typed (`10m`), for the message and the suggestion.
    pub typed: &'static str,
    /// What the limit is, such as "`wait` waits at most".
    pub who: &'static str,
}

/// A duration that may be at most `cap`: an unknown unit (`1h`) is told the units
/// there are and the cap, a number without one is guessed as milliseconds, and a
/// duration over the cap is told the cap.
pub(super) fn parse_duration(t: &Token, cap: &Cap) -> Result<Duration, ParseError> {
    let limit = format!("{} {}", cap.who, cap.typed);
    let Some(d) = parse_duration_str(&t.text) else {
        let digits = t
            .text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(t.text.len());
        let (num, unit) = t.text.split_at(digits);
        let number: Option<f64> = num.parse().ok();
        let (message, hint) = match (number, unit.to_ascii_lowercase().as_str()) {
            (Some(_), "") => (
                format!("`{}` has no unit", t.shown()),
                Some(format!("did you mean `{}ms`?", t.shown())),
            ),
            (Some(n), u @ ("h" | "hr" | "hrs" | "hour" | "hours" | "d" | "day" | "days")) => {
                // Rounded to a thousandth, so 0.1h is 6m and not 6.000000000000001m.
                let minutes = (if u.starts_with('h') {
                    n * 60.0
                } else {
                    n * 1440.0
                } * 1000.0)
                    .round()
                    / 1000.0;
                let fits = minutes * 60.0 <= cap.most.as_secs_f64();
                (
                    format!(
                        "`{}` is not a duration: rawlab counts no longer unit than m (minutes)",
                        t.shown()
                    ),
                    Some(if fits {
                        format!("did you mean `{minutes}m`?")
                    } else {
                        format!(
                            "{} is {minutes}m, longer than that: `{}` is the longest",
                            t.shown(),
                            cap.typed
                        )
                    }),
                )
            }
            (Some(_), u) if !u.is_empty() && u.chars().all(|c| c.is_alphabetic()) => (
                format!(
                    "`{}` is not a duration: `{}` is not a unit",
                    t.shown(),
                    unit
                ),
                [
                    ("s", &["sec", "secs", "second", "seconds"][..]),
                    (
                        "ms",
                        &["msec", "msecs", "millis", "millisecond", "milliseconds"],
                    ),
                    (
                        "us",
                        &["usec", "usecs", "micros", "microsecond", "microseconds"],
                    ),
                    (
                        "ns",
                        &["nsec", "nsecs", "nanos", "nanosecond", "nanoseconds"],
                    ),
                    ("m", &["min", "mins", "minute", "minutes"]),
                ]
                .iter()
                .find(|(_, spelt)| spelt.contains(&u))
                .map(|(unit, _)| *unit)
                .or_else(|| closest(u, ["ns", "us", "ms", "s", "m"]).first().copied())
                .map(|u| format!("did you mean `{num}{u}`?")),
            ),
            _ => (format!("`{}` is not a duration", t.shown()), None),
        };
        return Err(ParseError::new(t.span.clone(), message)
            .expected(format!(
                "a number and a unit, one of {DURATION_UNITS} (such as 200ms or 1.5s); {limit}"
            ))
            .suggest(hint));
    };
    if d > cap.most {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` is too long: {limit}", t.shown()),
        )
        .expected(format!("at most {}", cap.typed))
        .suggest(Some(format!("`{}` is the longest", cap.typed))));
    }
    Ok(d)
}

pub(super) fn parse_ipv4(t: &Token) -> Result<Ipv4Addr, ParseError> {
    t.text.parse::<Ipv4Addr>().map_err(|_| {
        let looks_like_name = t.text.chars().any(|c| c.is_ascii_alphabetic());
        let e = ParseError::new(t.span.clone(), format!("`{}` is not an IPv4 address", t.shown()))
            .expected("four numbers 0..=255 separated by dots, such as 127.0.0.1");
        if let Some(a) = inet_aton(&t.text) {
            // 0x7f000001, 2130706433, 127.1, 0177.0.0.1: forms inet_aton(3) reads, which
            // mean one address to ping(8) and another (or none) to a reader.
            e.suggest(Some(format!(
                "rawlab reads an IPv4 address only as four decimal numbers with dots (a dotted quad); `{}` is what inet_aton(3) reads as {a}: write {a}",
                t.shown()
            )))
        } else if let Ok(v6) = t.text.parse::<Ipv6Addr>() {
            // An IPv6 packet is built, not addressed here (lesson 9).
            e.suggest(Some(format!(
                "{v6} is IPv6, and this takes IPv4: build an IPv6 packet with `new ip6/icmp6`, `set ipv6.dst {v6}`, then `send` (as lesson 9 does)"
            )))
        } else if looks_like_name {
            e.suggest(Some("rawlab takes IPv4 literals only and never looks names up: for this host, try 127.0.0.1".into()))
        } else {
            e
        }
    })
}

/// An IPv4 or an IPv6 address: one with a colon is read as IPv6.
pub(super) fn parse_ip(t: &Token) -> Result<IpAddr, ParseError> {
    if t.text.contains(':') {
        parse_ipv6(t).map(IpAddr::V6)
    } else {
        parse_ipv4(t).map(IpAddr::V4)
    }
}

/// An IPv4 address as inet_aton(3) reads it: one to four parts, each decimal, octal
/// (a leading 0) or hex (0x), the last filling the bytes left.
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or(p.strip_prefix("0X")) {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 16 || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        nums.push(u64::from_str_radix(digits, radix).ok()?);
    }
    let (last, head) = nums.split_last()?;
    if head.iter().any(|n| *n > 255) || *last >= 1u64 << (8 * (4 - head.len())) {
        return None;
    }
    let value = head
        .iter()
        .enumerate()
        .fold(*last, |acc, (i, n)| acc | n << (8 * (3 - i)));
    Some(Ipv4Addr::from(value as u32))
}

pub(super) fn parse_ipv6(t: &Token) -> Result<Ipv6Addr, ParseError> {
    t.text.parse::<Ipv6Addr>().map_err(|_| {
        let e = ParseError::new(t.span.clone(), format!("`{}` is not an IPv6 address", t.text))
            .expected("up to eight groups of hex digits separated by colons, :: for a run of zeros, such as ::1 or fe80::1");
        if t.text.parse::<Ipv4Addr>().is_ok() {
            e.suggest(Some(format!(
                "an IPv4 address inside IPv6 is written ::ffff:{}",
                t.text
            )))
        } else if t.text.chars().any(|c| c.is_ascii_alphabetic() && !c.is_ascii_hexdigit()) {
            e.suggest(Some(
                "rawlab takes IPv6 literals only and never looks names up: for this host, try ::1"
                    .into(),
            ))
        } else {
            e
        }
    })
}

/// Hex bytes: `c0de`, `c0:de`, `0xc0de`, `c0 de` (words joined), an even number of digits.
pub(super) fn parse_hex(t: &Token) -> Result<Vec<u8>, ParseError> {
    let s = t
        .text
        .strip_prefix("0x")
        .or_else(|| t.text.strip_prefix("0X"))
        .unwrap_or(&t.text);
    let separator = |c: char| matches!(c, ':' | '-' | '_' | ' ');
    let digits: String = s.chars().filter(|c| !separator(*c)).collect();
    if let Some((i, c)) = s
        .char_indices()
        .find(|(_, c)| !c.is_ascii_hexdigit() && !separator(*c))
    {
        let at = t.span.start + (t.text.len() - s.len()) + i;
        return Err(
            ParseError::new(at..at + c.len_utf8(), format!("`{c}` is not a hex digit"))
                .expected("hex bytes such as c0de, or text in double quotes such as \"hello\"")
                .suggest(Some(format!("for text, quote it: \"{}\"", t.text))),
        );
    }
    if !digits.len().is_multiple_of(2) {
        return Err(ParseError::new(
            t.span.clone(),
            format!("`{}` has an odd number of hex digits", t.shown()),
        )
        .expected("two hex digits per byte")
        .suggest(Some(format!("did you mean `0{digits}`?"))));
    }
    Ok((0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("checked hex"))
        .collect())
}

/// A group of flags as a list, as nping and Scapy take them: names joined by `,`, `|`
/// or `+` (`syn,ack`, `syn|ack`), or Scapy's letters (`SA`). None when `t` is neither,
/// so the caller reads a number or says what is wrong.
fn flag_list(f: &'static Field, t: &Token) -> Option<Result<u128, ParseError>> {
    let flags = wire::flags_in(f);
    if flags.is_empty() {
        return None;
    }
    let text = t.text.as_str();
    let words: Vec<&str> = flags
        .iter()
        .flat_map(|(_, w, _)| w.iter().copied())
        .collect();
    let letters: String = flags.iter().map(|(_, _, l)| *l).collect();
    let expected = || {
        format!(
            "flag names joined by , or | ({}), or Scapy's letters ({letters}), or a number ({})",
            flags
                .iter()
                .map(|(_, w, _)| w[0])
                .collect::<Vec<_>>()
                .join(", "),
            f.range_words()
        )
    };
    let lower = text.to_ascii_lowercase();
    if let Some((v, _, _)) = flags.iter().find(|(_, w, _)| w.contains(&lower.as_str())) {
        return Some(Ok(*v));
    }
    if text.contains([',', '|', '+']) {
        let mut value = 0;
        let mut at = 0;
        for part in text.split([',', '|', '+']) {
            let start = t.span.start + at;
            at += part.len() + 1;
            let lower = part.trim().to_ascii_lowercase();
            let letter = match part.trim().as_bytes() {
                [c] if c.is_ascii_uppercase() => Some(*c as char),
                _ => None,
            };
            let named = flags
                .iter()
                .find(|(_, w, l)| w.contains(&lower.as_str()) || Some(*l) == letter)
                .map(|(v, _, _)| *v)
                .or_else(|| f.names.iter().find(|(_, n)| *n == lower).map(|(v, _)| *v));
            match named {
                Some(v) => value |= v,
                None => {
                    let what = if lower.is_empty() {
                        "an empty flag name".to_string()
                    } else {
                        format!("`{}` is not a flag of {}", part.trim(), f.name)
                    };
                    return Some(Err(ParseError::new(
                        start..(start + part.len()).max(start + 1),
                        what,
                    )
                    .expected(expected())
                    .suggest(did_you_mean(&lower, words.iter().copied()))));
                }
            }
        }
        return Some(Ok(value));
    }
    let all_letters = !text.is_empty()
        && text.len() <= letters.len()
        && text
            .chars()
            .all(|c| letters.contains(c.to_ascii_uppercase()));
    if !all_letters {
        return None;
    }
    if text.chars().any(|c| c.is_ascii_lowercase()) {
        return Some(Err(ParseError::new(
            t.span.clone(),
            format!("`{}` is not a value for {}", t.shown(), f.name),
        )
        .expected(expected())
        .suggest(Some(format!(
            "Scapy's flag letters are capitals: {}",
            text.to_ascii_uppercase()
        )))));
    }
    let value = text
        .chars()
        .filter_map(|c| flags.iter().find(|(_, _, l)| *l == c).map(|(v, _, _)| *v))
        .fold(0, |a, v| a | v);
    Some(Ok(value))
}

/// A value for a field, by the field's kind, checked against its width.
pub(super) fn parse_value(f: &'static Field, t: &Token) -> Result<Value, ParseError> {
    if f.kind == Kind::Name {
        // A domain name as text, quoted or not: compared with the name as read.
        return Ok(Value::Bytes(t.text.as_bytes().to_vec()));
    }
    if f.kind == Kind::Bytes {
        return if t.quoted {
            Ok(Value::Bytes(t.text.as_bytes().to_vec()))
        } else {
            parse_hex(t).map(Value::Bytes)
        };
    }
    if t.quoted {
        return Err(ParseError::new(
            t.span.clone(),
            format!("{} takes a number, not text", f.name),
        )
        .expected(f.range_words()));
    }
    if f.kind == Kind::Ipv4 {
        return parse_ipv4(t).map(|a| Value::Raw(u32::from(a) as u128));
    }
    if f.kind == Kind::Ipv6 {
        return parse_ipv6(t).map(|a| Value::Raw(u128::from(a)));
    }
    if f.kind == Kind::Mac {
        return parse_mac(f, t).map(Value::Raw);
    }
    let lower = t.text.to_ascii_lowercase();
    // A field's own names, and those that hold in some context (every icmp.code name).
    let names = wire::all_names(f);
    if let Some((v, _)) = names.iter().find(|(_, n)| *n == lower) {
        return Ok(Value::Raw(*v));
    }
    if f.kind == Kind::Flag {
        match lower.as_str() {
            "on" | "true" | "yes" | "set" => return Ok(Value::Raw(1)),
            "off" | "false" | "no" | "clear" => return Ok(Value::Raw(0)),
            _ => {}
        }
    }
    if f.group
        && let Some(v) = flag_list(f, t)
    {
        return v.map(Value::Raw);
    }
    let Ok((_, shown)) = all_consuming(integer).parse(t.text.as_str()) else {
        let names: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
        let mut e = ParseError::new(
            t.span.clone(),
            format!("`{}` is not a value for {}", t.shown(), f.name),
        );
        e = if names.is_empty() {
            e.expected(format!("a number, {}", f.range_words()))
        } else {
            e.expected(format!(
                "a number ({}) or a name: {}",
                f.range_words(),
                names.join(", ")
            ))
        };
        if lower
            .strip_prefix('-')
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(e.suggest(Some(
                "header fields hold no negative numbers: the smallest is 0".into(),
            )));
        }
        return Err(e.suggest(did_you_mean(&lower, names)));
    };
    let scale = f.scale as u128;
    if shown % scale != 0 {
        return Err(ParseError::new(
            t.span.clone(),
            format!(
                "{} counts in steps of {scale}; {shown} is not a multiple",
                f.name
            ),
        )
        .expected(f.range_words())
        .suggest(Some(format!("did you mean {}?", shown / scale * scale))));
    }
    let raw = shown / scale;
    if raw > f.max_raw() || shown == u128::MAX {
        return Err(ParseError::new(
            t.span.clone(),
            format!(
                "{} is {} bit{}: {}; {} does not fit",
                f.name,
                f.bits,
                if f.bits == 1 { "" } else { "s" },
                f.range_words(),
                t.shown()
            ),
        )
        .expected(f.range_words()));
    }
    Ok(Value::Raw(raw))
}
