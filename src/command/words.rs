//! A line split into words: the parser's tokenizer, and the same split for the prompt.

use super::ParseError;
use nom::branch::alt;
use nom::bytes::complete::{escaped_transform, is_not, tag, take_while1};
use nom::character::complete::char;
use nom::combinator::{map, opt, value};
use nom::sequence::delimited;
use nom::{IResult, Parser};
use std::ops::Range;

/// One word of the line, with its place: a bare word, or a string in quotes (its text
/// with the escapes applied).
#[derive(Debug, Clone)]
pub struct Token {
    pub text: String,
    pub span: Range<usize>,
    pub quoted: bool,
}

impl Token {
    /// The word as an error message quotes it: control characters escaped, and cut
    /// short when long, so a pasted 10 kB line does not come back whole.
    pub fn shown(&self) -> String {
        let escaped: String = self.text.chars().flat_map(char::escape_debug).collect();
        crate::render::cut(&escaped, 32)
    }
}

/// Splits a line into words and quoted strings, keeping each one's byte span.
pub(super) fn tokenize(line: &str) -> Result<Vec<Token>, ParseError> {
    match scan(line) {
        (tokens, None) => Ok(tokens),
        (_, Some(e)) => Err(e),
    }
}

/// `word` as one word of a command line: as it is when it can be, else in double
/// quotes with `\\` and `"` escaped (what [`words`] reads back as `word`).
pub fn quote_arg(word: &str) -> String {
    if !word.is_empty() && !word.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\') {
        return word.to_string();
    }
    let mut s = String::from("\"");
    for c in word.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// The words of a line as the parser splits them, however unfinished the line (for
/// the prompt, while it is typed): a string not closed yet, or with a bad escape, is
/// one last word running to the end of the line.
pub fn words(line: &str) -> Vec<Token> {
    scan(line).0
}

/// The words, and what stopped the split early, if anything did.
fn scan(line: &str) -> (Vec<Token>, Option<ParseError>) {
    fn quoted(i: &str) -> IResult<&str, String> {
        delimited(
            char('"'),
            map(
                opt(escaped_transform(
                    is_not("\\\""),
                    '\\',
                    alt((
                        value("\\", tag("\\")),
                        value("\"", tag("\"")),
                        value("\n", tag("n")),
                        value("\r", tag("r")),
                        value("\t", tag("t")),
                        value("\0", tag("0")),
                    )),
                )),
                Option::unwrap_or_default,
            ),
            char('"'),
        )
        .parse(i)
    }
    fn bare(i: &str) -> IResult<&str, &str> {
        take_while1(|c: char| !c.is_whitespace() && c != '"').parse(i)
    }

    let mut tokens = Vec::new();
    let mut rest = line;
    loop {
        // Words end at any Unicode whitespace (a pasted non-breaking space, a form
        // feed), so the blanks between them are the same set.
        rest = rest.trim_start_matches(char::is_whitespace);
        if rest.is_empty() {
            break;
        }
        let start = line.len() - rest.len();
        if rest.starts_with('"') {
            match quoted(rest) {
                Ok((r, text)) => {
                    tokens.push(Token {
                        text,
                        span: start..line.len() - r.len(),
                        quoted: true,
                    });
                    rest = r;
                }
                Err(_) => {
                    let bad_escape = rest
                        .char_indices()
                        .skip(1)
                        .scan(false, |esc, (i, c)| {
                            let was = *esc;
                            *esc = !was && c == '\\';
                            Some((i, c, was))
                        })
                        .find(|(_, c, was)| *was && !"\\\"nrt0".contains(*c));
                    let error = match bad_escape {
                        Some((i, c, _)) => ParseError::new(
                            start + i - 1..start + i + c.len_utf8(),
                            format!("unknown escape `\\{c}` in a string"),
                        )
                        .expected("one of \\\\ \\\" \\n \\r \\t \\0"),
                        None => {
                            ParseError::new(start..line.len(), "this string has no closing quote")
                                .expected("text between double quotes, such as \"GET /\"")
                                .suggest(Some(format!(
                                    "close it: {}\"",
                                    crate::render::cut(&line[start..], 40)
                                )))
                        }
                    };
                    tokens.push(Token {
                        text: rest[1..].to_string(),
                        span: start..line.len(),
                        quoted: true,
                    });
                    return (tokens, Some(error));
                }
            }
        } else {
            let (r, word) = bare(rest).expect("rest starts with a non-space, non-quote");
            tokens.push(Token {
                text: word.to_string(),
                span: start..start + word.len(),
                quoted: false,
            });
            rest = r;
        }
    }
    (tokens, None)
}
