//! Filters: which packets to show, in the field grammar of `expect`
//! (`icmp.type == echo-reply`, `tcp.flags.syn == 1 and tcp.flags.ack == 0`,
//! `ip.src == 127.0.0.1 or ipv6`, `not udp`, parentheses). A protocol's name alone
//! means the packet has that layer; a field's name alone, that it has the field.
//! `and` binds tighter than `or`, as in Wireshark's display filters.

use super::expect::parse_cmp;
use super::grammar::any_field;
use super::values::{did_you_mean, parse_value};
use super::*;
use crate::wire::dissect::Dissection;

/// A compiled filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// A field compared with a value: true when some occurrence of it compares so.
    Check(FieldCheck),
    /// The packet has this field.
    Has(&'static Field),
    /// The packet has a layer of this protocol.
    Layer(&'static Protocol),
    Not(Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

impl Filter {
    /// Whether the packet (its bytes and their dissection) passes.
    pub fn matches(&self, bytes: &[u8], d: &Dissection) -> bool {
        match self {
            Filter::Check(c) => check(c, bytes, d),
            Filter::Has(f) => {
                (*f == &DATA && !d.payload.is_empty())
                    || d.layers
                        .iter()
                        .any(|l| l.each_placed(bytes).any(|p| p.field == *f))
            }
            Filter::Layer(p) => d.layers.iter().any(|l| l.proto == *p),
            Filter::Not(f) => !f.matches(bytes, d),
            Filter::And(a, b) => a.matches(bytes, d) && b.matches(bytes, d),
            Filter::Or(a, b) => a.matches(bytes, d) || b.matches(bytes, d),
        }
    }
}

/// `FIELD OP VALUE` against every place the field is in the packet (an ICMP error's
/// quoted header too, as Wireshark matches it).
fn check(c: &FieldCheck, bytes: &[u8], d: &Dissection) -> bool {
    let f = c.field;
    if f == &DATA {
        let data = &bytes[d.payload.clone()];
        return match &c.value {
            Value::Bytes(b) => c.cmp.holds(data, b.as_slice()),
            Value::Raw(_) => false,
        };
    }
    d.layers.iter().any(|l| {
        l.each_placed(bytes)
            .filter(|p| p.field == f)
            .any(|p| match &c.value {
                // A name as text, its pointers followed inside its layer's header.
                Value::Bytes(want) if f.kind == Kind::Name => {
                    let mut name = String::new();
                    let msg = &bytes[p.base..l.hdr_end.max(p.span.end)];
                    crate::wire::name::write_words(&mut name, msg, p.span.start - p.base);
                    c.cmp.holds(name.as_bytes(), want.as_slice())
                }
                Value::Raw(want) => {
                    !matches!(f.kind, Kind::Bytes | Kind::Name) && c.cmp.holds(p.get(bytes), *want)
                }
                Value::Bytes(want) => c.cmp.holds(&bytes[p.span.clone()], want.as_slice()),
            })
    })
}

/// Parses a filter expression; errors point into `text`.
pub fn parse_filter(text: &str) -> Result<Filter, ParseError> {
    // Parentheses are words of their own, wherever they stand.
    let tokens: Vec<Token> = words::tokenize(text)?
        .into_iter()
        .flat_map(split_parens)
        .collect();
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        end: text.len(),
    };
    let f = p.or()?;
    match p.peek() {
        None => Ok(f),
        Some(t) => Err(
            ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                .expected("and, or, or the end of the filter")
                .suggest(did_you_mean(&t.text, ["and", "or"])),
        ),
    }
}

/// `(udp` is `(` and `udp`: a bare word's parentheses split off, with their places.
fn split_parens(t: Token) -> Vec<Token> {
    if t.quoted || !t.text.contains(['(', ')']) {
        return vec![t];
    }
    let mut out = Vec::new();
    let mut word = String::new();
    let mut start = t.span.start;
    for (i, c) in t.text.char_indices() {
        let at = t.span.start + i;
        if c == '(' || c == ')' {
            if !word.is_empty() {
                out.push(Token {
                    text: std::mem::take(&mut word),
                    span: start..at,
                    quoted: false,
                });
            }
            out.push(Token {
                text: c.to_string(),
                span: at..at + 1,
                quoted: false,
            });
            start = at + 1;
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(Token {
            text: word,
            span: start..t.span.end,
            quoted: false,
        });
    }
    out
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    end: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn is(&self, word: &str) -> bool {
        self.peek()
            .is_some_and(|t| !t.quoted && t.text.eq_ignore_ascii_case(word))
    }

    fn next(&mut self, what: &str) -> Result<&'a Token, ParseError> {
        let t = self.peek().ok_or_else(|| {
            ParseError::new(self.end..self.end + 1, format!("the filter needs {what}"))
                .expected("FIELD OP VALUE, a protocol, not …, ( … ), joined by and / or")
        })?;
        self.pos += 1;
        Ok(t)
    }

    fn or(&mut self) -> Result<Filter, ParseError> {
        let mut f = self.and()?;
        while self.is("or") || self.is("||") {
            self.pos += 1;
            f = Filter::Or(Box::new(f), Box::new(self.and()?));
        }
        Ok(f)
    }

    fn and(&mut self) -> Result<Filter, ParseError> {
        let mut f = self.unary()?;
        while self.is("and") || self.is("&&") {
            self.pos += 1;
            f = Filter::And(Box::new(f), Box::new(self.unary()?));
        }
        Ok(f)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        if self.is("not") || self.is("!") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.is("(") {
            let open = self.next("(")?;
            let f = self.or()?;
            if !self.is(")") {
                return Err(
                    ParseError::new(open.span.clone(), "this parenthesis is never closed")
                        .expected("a `)` after the expression it opens"),
                );
            }
            self.pos += 1;
            return Ok(f);
        }
        self.atom()
    }

    /// A comparison, a protocol's name, or a field's name alone.
    fn atom(&mut self) -> Result<Filter, ParseError> {
        let t = self.next("a field, a protocol or `not`")?;
        if t.text == ")" {
            return Err(
                ParseError::new(t.span.clone(), "`)` with nothing before it")
                    .expected("a field, a protocol or `not`"),
            );
        }
        let comparing = self
            .peek()
            .is_some_and(|o| Cmp::ALL.iter().any(|(s, _)| *s == o.text) || o.text == "=");
        if !comparing && let Some(p) = wire::protocol_named(&t.text.to_ascii_lowercase()) {
            return Ok(Filter::Layer(p));
        }
        // Any protocol's field, by its full name or a short name only one has.
        let ctx = Context {
            stack: wire::PROTOCOLS,
            room: crate::wire::template::IP_MAX,
        };
        let field = any_field(t, &ctx).map_err(|e| {
            e.expected("a field's full name (ip.ttl, icmp.type, tcp.flags.syn), or a protocol (ip, icmp, tcp, udp, ipv6, eth, arp)")
        })?;
        if !comparing {
            return Ok(Filter::Has(field));
        }
        let cmp = parse_cmp(self.next("a comparison: == != < <= > >=")?)?;
        let v = self.next(&format!(
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
        Ok(Filter::Check(FieldCheck { field, cmp, value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dissect::dissect;

    fn passes(expr: &str, bytes: &[u8]) -> bool {
        let f = parse_filter(expr).unwrap_or_else(|e| panic!("{expr}: {}", e.message));
        f.matches(bytes, &dissect(bytes, &wire::ipv4::IPV4))
    }

    #[test]
    fn filters_read_the_fields_and_layers() {
        let echo = crate::wire::POST_ON_THE_WIRE;
        assert!(passes("icmp.type == echo-request", &echo));
        assert!(!passes("icmp.type == echo-reply", &echo));
        assert!(passes("icmp and ip.ttl >= 64", &echo));
        assert!(passes("not udp", &echo));
        assert!(passes(
            "udp or (ip.src == 127.0.0.1 and icmp.code == 0)",
            &echo
        ));
        assert!(!passes("(udp or tcp)", &echo));
        assert!(passes("data.data == c0de", &echo));
        assert!(passes("icmp.checksum", &echo));
        assert!(!passes("tcp.flags.syn", &echo));
        assert!(passes("not not icmp", &echo));
        // `and` binds tighter than `or`.
        assert!(passes("icmp or udp and tcp", &echo));
    }

    #[test]
    fn a_bad_filter_says_where_and_what_would_do() {
        let e = parse_filter("icmp.tpye == 8").unwrap_err();
        assert_eq!(e.span, 0..9);
        assert!(
            e.suggestion.as_deref().unwrap_or("").contains("icmp.type"),
            "{e:?}"
        );
        let e = parse_filter("(icmp or udp").unwrap_err();
        assert_eq!(e.span, 0..1);
        let e = parse_filter("icmp udp").unwrap_err();
        assert!(e.message.contains("unexpected `udp`"), "{e:?}");
        let e = parse_filter("ip.ttl = 3").unwrap_err();
        assert!(
            e.suggestion.as_deref() == Some("did you mean `==`?"),
            "{e:?}"
        );
        assert!(parse_filter("").is_err());
    }
}
