//! `predict "QUESTION" -> KIND`: a question whose answer rawlab can check, asked before
//! the next send, ping or trigger and answered by it. This file reads the directive
//! and the learner's answer; asking, waiting and comparing are the session's.

use super::grammar::any_field;
use super::values::*;
use super::*;

/// What a prediction asks about the next send, ping or trigger.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// How many packets the listeners capture.
    Captured,
    /// How many of them are replies.
    Replies,
    /// The value of a field of the first reply.
    ReplyField(&'static Field),
    /// One byte of the first reply as captured, counted from 0.
    ReplyByte(usize),
    /// Which fields the kernel changed on the way out (the wire copy against the send).
    KernelChanged,
    /// Which fields of the reply differ from the request.
    ReplyChanged,
}

/// The kinds after `->`, for completion and did-you-mean.
pub(super) const KINDS: &[&str] = &[
    "captured",
    "replies",
    "reply",
    "kernel-changed",
    "reply-changed",
];

/// `predict "QUESTION" -> KIND`.
#[derive(Debug, Clone, PartialEq)]
pub struct Predict {
    pub question: String,
    pub ask: Ask,
}

/// The learner's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Number(u128),
    Bytes(Vec<u8>),
    Fields(Vec<&'static Field>),
}

impl Ask {
    /// What an answer looks like, for the question's line and for an error.
    pub fn wants(&self) -> String {
        match self {
            Ask::Captured | Ask::Replies => "a number of packets, such as 2".into(),
            Ask::ReplyField(f) => format!("a value of {}: {}", f.name, f.range_words()),
            Ask::ReplyByte(_) => "a byte: 0..=255, or hex such as 0x3f".into(),
            Ask::KernelChanged | Ask::ReplyChanged => {
                "field names separated by spaces or commas (ip.id ip.checksum), or none".into()
            }
        }
    }

    /// The kind as written after `->`.
    pub fn words(&self) -> String {
        match self {
            Ask::Captured => "captured".into(),
            Ask::Replies => "replies".into(),
            Ask::ReplyField(f) => format!("reply {}", f.name),
            Ask::ReplyByte(n) => format!("reply byte {n}"),
            Ask::KernelChanged => "kernel-changed".into(),
            Ask::ReplyChanged => "reply-changed".into(),
        }
    }
}

const EXAMPLE: &str = "predict \"How many packets will the listener show?\" -> captured";

pub(super) fn parse_predict(args: &mut Args, ctx: &Context) -> Result<Predict, ParseError> {
    let q = args.next("a question in quotes")?;
    if !q.quoted {
        return Err(
            ParseError::new(q.span.clone(), "the question goes in quotes")
                .expected("predict \"QUESTION\" -> KIND")
                .suggest(Some(format!("for example: {EXAMPLE}"))),
        );
    }
    if q.text.trim().is_empty() {
        return Err(ParseError::new(q.span.clone(), "the question is empty")
            .expected("a question the next step answers")
            .suggest(Some(format!("for example: {EXAMPLE}"))));
    }
    let arrow = args.next("`->` and what the answer is")?;
    if arrow.text != "->" {
        return Err(ParseError::new(
            arrow.span.clone(),
            format!("unexpected `{}`", arrow.shown()),
        )
        .expected("-> after the question, then what is asked")
        .suggest(Some(format!("for example: {EXAMPLE}"))));
    }
    let k = args.next(&format!("what is asked: {}", KINDS.join(", ")))?;
    let ask = match k.text.to_ascii_lowercase().as_str() {
        "captured" => Ask::Captured,
        "replies" => Ask::Replies,
        "kernel-changed" => Ask::KernelChanged,
        "reply-changed" => Ask::ReplyChanged,
        "reply" => {
            let t = args.next("a field of the reply (reply ip.ttl), or `byte N` (reply byte 8)")?;
            if t.text.eq_ignore_ascii_case("byte") {
                let n = args.next("a byte offset, counted from 0")?;
                let v = parse_int(n)?;
                if v > 65535 {
                    return Err(
                        ParseError::new(n.span.clone(), "a packet is at most 65535 bytes")
                            .expected("an offset 0..=65534"),
                    );
                }
                Ask::ReplyByte(v as usize)
            } else {
                Ask::ReplyField(any_field(t, ctx)?)
            }
        }
        _ => {
            return Err(
                ParseError::new(k.span.clone(), format!("cannot predict `{}`", k.shown()))
                    .expected(
                        "one of: captured, replies, reply FIELD, reply byte N, kernel-changed, reply-changed",
                    )
                    .suggest(did_you_mean(&k.text, KINDS.iter().copied())),
            );
        }
    };
    Ok(Predict {
        question: q.text.trim().to_string(),
        ask,
    })
}

/// Reads an answer typed for `ask`. The span of an error is in `line`.
pub fn parse_answer(ask: &Ask, line: &str, ctx: &Context) -> Result<Answer, ParseError> {
    let tokens = words::tokenize(line)?;
    let wants = || ask.wants();
    let Some(first) = tokens.first() else {
        return Err(ParseError::new(0..1, "no answer").expected(wants()));
    };
    let one = |tokens: &[Token]| -> Result<(), ParseError> {
        match tokens.get(1) {
            Some(t) => Err(ParseError::new(
                t.span.clone(),
                format!("unexpected `{}`: the answer is one value", t.shown()),
            )
            .expected(wants())),
            None => Ok(()),
        }
    };
    match ask {
        Ask::Captured | Ask::Replies => {
            one(&tokens)?;
            Ok(Answer::Number(
                parse_int(first).map_err(|e| e.expected(wants()))?,
            ))
        }
        Ask::ReplyByte(_) => {
            one(&tokens)?;
            parse_int(first).map_err(|e| e.expected(wants()))?;
            Ok(Answer::Number(u128::from(parse_byte(first)?)))
        }
        Ask::ReplyField(f) => {
            one(&tokens)?;
            match parse_value(f, first)? {
                Value::Raw(r) => Ok(Answer::Number(r)),
                Value::Bytes(b) => Ok(Answer::Bytes(b)),
            }
        }
        Ask::KernelChanged | Ask::ReplyChanged => {
            if tokens.len() == 1
                && ["none", "nothing", "-"].contains(&first.text.to_ascii_lowercase().as_str())
            {
                return Ok(Answer::Fields(Vec::new()));
            }
            let mut fields: Vec<&'static Field> = Vec::new();
            for t in &tokens {
                for (i, part) in t.text.split(',').enumerate() {
                    if part.is_empty() {
                        continue;
                    }
                    let before: usize = t.text.split(',').take(i).map(|p| p.len() + 1).sum();
                    let at = t.span.start + before;
                    let name = Token {
                        text: part.to_string(),
                        span: at..at + part.len(),
                        quoted: false,
                    };
                    let f = any_field(&name, ctx)?;
                    if !fields.contains(&f) {
                        fields.push(f);
                    }
                }
            }
            Ok(Answer::Fields(fields))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{icmp, ipv4};

    fn predict(line: &str) -> Result<Predict, ParseError> {
        match parse(line, &Context::new(&[&ipv4::IPV4, &icmp::ICMP]))? {
            Command::Predict(p) => Ok(p),
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn questions_and_their_kinds() {
        let p = predict("predict \"What TTL?\" -> reply ttl").unwrap();
        assert_eq!(p.question, "What TTL?");
        assert_eq!(p.ask, Ask::ReplyField(&ipv4::TTL));
        assert_eq!(
            predict("predict \"byte?\" -> reply byte 20").unwrap().ask,
            Ask::ReplyByte(20)
        );
        let e = predict("predict how many -> captured").unwrap_err();
        assert_eq!(e.message, "the question goes in quotes");
        let e = predict("predict \"q\" -> captur").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("did you mean `captured`?"));
        let e = predict("predict \"q\" captured").unwrap_err();
        assert_eq!(e.span, 12..20);
    }

    fn parse_answer(ask: &Ask, line: &str) -> Result<Answer, ParseError> {
        super::parse_answer(ask, line, &Context::new(&[&ipv4::IPV4, &icmp::ICMP]))
    }

    #[test]
    fn answers_are_read_for_what_was_asked() {
        assert_eq!(parse_answer(&Ask::Captured, " 2 "), Ok(Answer::Number(2)));
        assert_eq!(
            parse_answer(&Ask::ReplyByte(20), "0x3f"),
            Ok(Answer::Number(0x3f))
        );
        assert!(parse_answer(&Ask::ReplyByte(20), "256").is_err());
        assert_eq!(
            parse_answer(&Ask::ReplyField(&icmp::TYPE), "echo-reply"),
            Ok(Answer::Number(0))
        );
        assert_eq!(
            parse_answer(&Ask::KernelChanged, "ip.id, ip.checksum ip.id"),
            Ok(Answer::Fields(vec![&ipv4::ID, &ipv4::CHECKSUM]))
        );
        assert_eq!(
            parse_answer(&Ask::KernelChanged, "none"),
            Ok(Answer::Fields(vec![]))
        );
        let e = parse_answer(&Ask::KernelChanged, "ip.id,ip.chksum").unwrap_err();
        assert_eq!(e.span, 6..15);
        assert!(parse_answer(&Ask::Captured, "two").is_err());
        assert!(parse_answer(&Ask::Captured, "2 3").is_err());
    }
}
