//! Numbers and names in words, as dumps and summaries write them.

use super::*;

/// A number in decimal, appended to `s`.
pub fn push_dec<W: std::fmt::Write + ?Sized>(s: &mut W, v: u128) {
    // 64-bit division when the value fits: u128 division is slow.
    let Ok(mut v) = u64::try_from(v) else {
        let _ = write!(s, "{v}");
        return;
    };
    // Most values are small (ports aside): their digits come ready-made.
    if v < 1000 {
        static SMALL: std::sync::OnceLock<(String, Vec<u16>)> = std::sync::OnceLock::new();
        let (text, ends) = SMALL.get_or_init(|| {
            let mut text = String::new();
            let mut ends = vec![0u16];
            for n in 0..1000 {
                text.push_str(&n.to_string());
                ends.push(text.len() as u16);
            }
            (text, ends)
        });
        let n = v as usize;
        let _ = s.write_str(&text[usize::from(ends[n])..usize::from(ends[n + 1])]);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let _ = s.write_str(std::str::from_utf8(&digits[at..]).unwrap_or("?"));
}

/// A number in lower-case hex with at least `width` digits, appended to `s`.
pub fn push_hex<W: std::fmt::Write + ?Sized>(s: &mut W, v: u128, width: usize) {
    let needed = (128 - v.leading_zeros() as usize).div_ceil(4).max(1);
    for i in (0..needed.max(width)).rev() {
        let nibble = if i < 32 {
            (v >> (4 * i)) as usize & 15
        } else {
            0
        };
        let _ = s.write_char(char::from(b"0123456789abcdef"[nibble]));
    }
}

/// `TITLE SRC → DST`: how a summary names both ends of a frame or datagram.
pub fn push_ends(s: &mut String, title: &str, src: &Field, dst: &Field, header: &[u8]) {
    s.push_str(title);
    s.push(' ');
    src.write_text(s, header);
    s.push_str(" → ");
    dst.write_text(s, header);
}

/// A value's name, or `word` and its number where the table has none (`proto 253`).
pub fn push_name_or(s: &mut String, name: Option<&str>, word: &str, raw: u128) {
    match name {
        Some(n) => s.push_str(n),
        None => {
            s.push_str(word);
            push_dec(s, raw);
        }
    }
}

/// What an IP header says comes next (`f`, holding `raw`): its name or `word` and
/// number, and in full (when `describe`) if rawlab does not take it apart, since its
/// payload then shows as data.
pub fn push_next(
    s: &mut String,
    outer: &Protocol,
    (f, raw): (&Field, u128),
    word: &str,
    describe: bool,
) {
    push_name_or(s, f.value_name(raw), word, raw);
    if describe
        && carried(outer, raw).is_none()
        && let Some(what) = ipproto::describe(raw)
    {
        s.push_str(" (");
        s.push_str(what);
        s.push(')');
    }
}
