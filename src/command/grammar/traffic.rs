//! The commands for traffic beyond one template: `route`, `trace`, `trigger`, `serve`,
//! `listen` and `wait`.

use super::*;

pub(in crate::command) fn route(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    // Anything after the destination is refused by the dispatcher (Args::finish).
    let dst = parse_ip(args.next("a destination, such as 203.0.113.2 or 2001:db8:2::2")?)?;
    Ok(Command::Route(dst))
}

pub(in crate::command) fn route_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done.len() {
        0 => vec![Offer::Words(&["203.0.113.2", "127.0.0.1", "2001:db8:2::2"])],
        _ => Vec::new(),
    }
}

const TRACE_WORDS: &[&str] = &["proto", "hops"];

const PROBE_WORDS: &[&str] = &["icmp", "udp", "tcp"];

pub(in crate::command) fn trace(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
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

pub(in crate::command) fn trace_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done.last() {
        None => vec![Offer::Words(&["203.0.113.2", "127.0.0.1", "2001:db8:2::2"])],
        Some(w) if w.eq_ignore_ascii_case("proto") => vec![Offer::Words(PROBE_WORDS)],
        Some(w) if w.eq_ignore_ascii_case("hops") => Vec::new(),
        Some(_) => vec![Offer::Words(TRACE_WORDS)],
    }
}

pub(in crate::command) fn trigger(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
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

pub(in crate::command) fn trigger_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(TRIGGER_WORDS)],
        [w] if w.eq_ignore_ascii_case("http") => vec![Offer::Words(PORTS)],
        [w] if w.eq_ignore_ascii_case("udp") => vec![Offer::Words(DESTINATIONS)],
        [w, rest @ ..] if w.eq_ignore_ascii_case("ping") => send_words(rest, TRIGGER_PING_WORDS),
        _ => Vec::new(),
    }
}

pub(in crate::command) fn serve(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
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

pub(in crate::command) fn serve_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(SERVE_WORDS)],
        [w] if !w.eq_ignore_ascii_case("off") => vec![Offer::Words(PORTS)],
        _ => Vec::new(),
    }
}

pub(in crate::command) fn listen(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
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

pub(in crate::command) fn listen_offers(done: &[&str], _: &Context) -> Vec<Offer> {
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

pub(in crate::command) fn wait(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("a duration such as 200ms")?;
    Ok(Command::Wait(parse_duration(t, &WAIT_CAP)?))
}
