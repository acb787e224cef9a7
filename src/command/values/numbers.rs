//! Numbers as typed: integers (decimal, hex, binary), ports, bytes, packet numbers
//! and ranges, and durations with their units and caps.

use super::*;

/// An integer: decimal, 0x hex or 0b binary.
pub(in crate::command) fn integer(i: &str) -> IResult<&str, u128> {
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
pub(in crate::command) fn parse_port(t: &Token) -> Result<u16, ParseError> {
    match parse_int(t) {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => {
            Err(ParseError::new(t.span.clone(), format!("{n} is not a port")).expected("1..=65535"))
        }
        Err(e) => Err(e),
    }
}

/// A packet number as `captures` shows it: `2` or `#2`.
pub(in crate::command) fn parse_packet_no(t: &Token) -> Result<u64, ParseError> {
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

/// Packets to save: `3`, `#3`, `2-5`, `#2-#5` (or `2–5`, `2..5`).
pub(in crate::command) fn parse_packet_range(t: &Token) -> Result<RangeInclusive<u64>, ParseError> {
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
pub(in crate::command) fn parse_byte(t: &Token) -> Result<u8, ParseError> {
    let v = parse_int(t)?;
    u8::try_from(v).map_err(|_| {
        ParseError::new(t.span.clone(), format!("{v} does not fit in a byte"))
            .expected("0..=255")
            .suggest(Some("a byte holds 0 to 255 (0x00 to 0xff)".into()))
    })
}

pub(in crate::command) fn parse_int(t: &Token) -> Result<u128, ParseError> {
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
pub(in crate::command) const DURATION_UNITS: &str = "ns, us (or µs), ms, s or m";

/// The most a duration may be where it is typed, and the words for it: `wait` waits
/// at most ten minutes.
pub(in crate::command) struct Cap {
    pub most: Duration,
    /// As typed (`10m`), for the message and the suggestion.
    pub typed: &'static str,
    /// What the limit is, such as "`wait` waits at most".
    pub who: &'static str,
}

/// A duration that may be at most `cap`: an unknown unit (`1h`) is told the units
/// there are and the cap, a number without one is guessed as milliseconds, and a
/// duration over the cap is told the cap.
pub(in crate::command) fn parse_duration(t: &Token, cap: &Cap) -> Result<Duration, ParseError> {
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
