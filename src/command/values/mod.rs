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

mod addresses;
mod numbers;

pub use addresses::parse_mac_str;
pub(super) use addresses::*;
pub use numbers::parse_duration_str;
pub(super) use numbers::*;

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
