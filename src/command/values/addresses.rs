//! Addresses as typed: MAC, IPv4 (with the shorthands inet_aton takes) and IPv6.

use super::*;

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

pub(in crate::command) fn parse_mac(f: &Field, t: &Token) -> Result<u128, ParseError> {
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

pub(in crate::command) fn parse_ipv4(t: &Token) -> Result<Ipv4Addr, ParseError> {
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
pub(in crate::command) fn parse_ip(t: &Token) -> Result<IpAddr, ParseError> {
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

pub(in crate::command) fn parse_ipv6(t: &Token) -> Result<Ipv6Addr, ParseError> {
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
