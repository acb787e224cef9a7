//! The commands that send the template: `mode`, `send`, `fragment`, `fragments` and
//! `ping`, with the options they share (`count`, `every`, each once) and ping's own.

use super::*;

pub(in crate::command) fn mode(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
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

pub(in crate::command) fn mode_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(MODE_WORDS)],
        [l] if l.eq_ignore_ascii_case("link") => vec![Offer::Ifaces],
        _ => Vec::new(),
    }
}

pub(in crate::command) fn send(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
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
pub(super) fn send_words(done: &[&str], keywords: &'static [&'static str]) -> Vec<Offer> {
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

pub(in crate::command) fn send_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.last().is_some_and(|w| w.eq_ignore_ascii_case("order")) {
        return vec![Offer::Note(
            "fragment numbers, in the order to send them (2 1)",
        )];
    }
    send_words(done, SEND_WORDS)
}

pub(in crate::command) fn fragment(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("an MTU in bytes, such as 576, or off")?;
    if t.text.eq_ignore_ascii_case("off") && !t.quoted {
        return Ok(Command::Fragment(Fragmenting::Off));
    }
    let v = parse_int(t).map_err(|e| {
        e.expected("an MTU in bytes (576, 1500) or off")
            .suggest(did_you_mean(&t.text, ["off"]))
    })?;
    if !(MIN_FRAGMENT_MTU..=65_535).contains(&v) {
        // Too small to hold a piece, or larger than any packet's length field can say.
        let why = if v < MIN_FRAGMENT_MTU {
            format!("fragment {v}: an MTU of {v} bytes holds no fragment")
        } else {
            format!(
                "fragment {v}: an MTU of {v} bytes is more than any packet can be (its length field counts to 65535), so nothing would be cut"
            )
        };
        return Err(ParseError::new(t.span.clone(), why)
        .expected(format!(
            "{MIN_FRAGMENT_MTU}..=65535: a fragment holds its IPv4 header (20 bytes, more with options) and at least one 8-byte block"
        ))
        .suggest(Some("`fragment 576` (the MTU every IPv4 host must take), or `fragment 1500` (Ethernet's)".into())));
    }
    Ok(Command::Fragment(Fragmenting::Mtu(v as u16)))
}

pub(in crate::command) fn fragment_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(FRAGMENT_WORDS)],
        _ => Vec::new(),
    }
}

pub(in crate::command) fn fragments(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
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

pub(in crate::command) fn fragments_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(FRAGMENTS_WORDS)],
        _ => Vec::new(),
    }
}

pub(in crate::command) fn ping(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
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

pub(in crate::command) fn ping_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    // ping needs its destination first.
    if done.is_empty() {
        return vec![Offer::Words(DESTINATIONS)];
    }
    send_words(done, PING_WORDS)
}

/// The modes `ping … mode` takes: IP sockets only.
pub(in crate::command) const PING_MODES: &str = "raw (IPPROTO_RAW, as the post sends), hdrincl (IP_HDRINCL) or kernel (the kernel writes the IP header, as ping(8) has it)";

/// One of `modes` by name, as `mode` and `ping … mode` take them; `expected` lists them.
pub(in crate::command) fn parse_mode(
    t: &Token,
    modes: &[Mode],
    expected: &str,
) -> Result<Mode, ParseError> {
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
pub(in crate::command) fn parse_send(
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
                // `trigger ping` opens an IPv4 ping socket: IPv4 alone.
                let v4_only = args.info.name == "trigger";
                let addr = if v4_only {
                    parse_ipv4(t).map(IpAddr::V4).map_err(|e| {
                        if t.text.contains(':') {
                            e.suggest(Some(format!(
                                "`trigger ping` sends through an IPv4 ping socket; `ping {}` pings over IPv6",
                                t.shown()
                            )))
                        } else {
                            e
                        }
                    })
                } else {
                    parse_ip(t)
                };
                match (addr, did_you_mean(&t.text, keywords.iter().copied())) {
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
                format!(
                    "{} first, as in: {}",
                    if args.info.name == "trigger" {
                        "an IPv4 address"
                    } else {
                        "an IPv4 or IPv6 address"
                    },
                    args.info.example
                ),
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
