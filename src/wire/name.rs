//! Domain names as DNS writes them (RFC 1035 §3.1, §4.1.4): labels, each a length
//! byte and that many bytes, ending in a zero byte or in a pointer (two bytes whose
//! top bits are 11) to where the rest of the name was written before. The one
//! reader of them: the dissector walks records with it, the summary and the dump
//! read names with it. Every read is bounded by the message, and a name follows at
//! most `MAX_POINTERS` pointers, so a pointer loop ends as a problem, not a hang.

/// Pointers one name may follow: a name is at most 255 bytes (RFC 1035 §2.3.4), so 127
/// labels; a chain of more pointers than that is a loop or a forgery.
pub const MAX_POINTERS: usize = 127;

/// The longest name on the wire (RFC 1035 §2.3.4), length bytes and the end included.
pub const MAX_WIRE: usize = 255;

/// What stops a name from being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameTrouble {
    /// The message ends where a label's length byte (or a pointer's second byte) should be.
    PastEnd,
    /// A label says it has `len` bytes; only `left` remain.
    LabelPastEnd { len: usize, left: usize },
    /// A pointer to a byte past the message's end.
    PointerPastEnd { to: usize },
    /// A pointer back to where the name already went: it would never end.
    Loop { to: usize },
    /// A length byte whose top bits are 01 or 10 (extended label types, RFC 6891 §5).
    LabelType(u8),
    /// More than 255 bytes on the wire once pointers are followed.
    TooLong,
}

/// Where a name cannot be read on, and why. `at` counts from the message's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameError {
    pub at: usize,
    pub trouble: NameTrouble,
}

impl NameError {
    /// In a few words, for a dump's value column: `pointer loop`.
    pub fn short(&self) -> &'static str {
        match self.trouble {
            NameTrouble::PastEnd => "cut short",
            NameTrouble::LabelPastEnd { .. } => "label past the end",
            NameTrouble::PointerPastEnd { .. } => "pointer past the end",
            NameTrouble::Loop { .. } => "pointer loop",
            NameTrouble::LabelType(_) => "unknown label type",
            NameTrouble::TooLong => "longer than 255 bytes",
        }
    }

    /// In words, with bytes counted from `base` (the message's place in the packet).
    pub fn words(&self, base: usize) -> String {
        let at = base + self.at;
        match self.trouble {
            NameTrouble::PastEnd => {
                format!("the message ends at byte {at}, inside the name (no zero byte ends it)")
            }
            NameTrouble::LabelPastEnd { len, left } => format!(
                "the label at byte {at} says {len} bytes, but only {} in the message",
                remain(left)
            ),
            NameTrouble::PointerPastEnd { to } => format!(
                "the pointer at byte {at} points to byte {} ({to} into the message), past the message's end",
                base + to
            ),
            NameTrouble::Loop { to } => format!(
                "the pointer at byte {at} points to byte {} ({to} into the message), where the name already went: a pointer loop",
                base + to
            ),
            NameTrouble::LabelType(b) => format!(
                "the length byte at byte {at} is 0x{b:02x}: its top bits 01 or 10 are no label type DNS uses"
            ),
            NameTrouble::TooLong => {
                format!("the name is longer than 255 bytes by byte {at} (RFC 1035 §2.3.4)")
            }
        }
    }
}

/// `3 remain`, `1 remains`.
pub fn remain(n: usize) -> String {
    format!("{n} {}", if n == 1 { "remains" } else { "remain" })
}

/// A name read: where it ends in place (after its zero byte or its first pointer),
/// when that is known, and why it could not be read to its end, if it could not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameRead {
    pub end: Option<usize>,
    pub error: Option<NameError>,
}

/// Reads the name at `at` in `msg` (a whole DNS message: pointers count from its first
/// byte), appending it to `text` as `www.example.com`, the root as `<Root>` (as
/// Wireshark writes it). Bytes of a label that are not printable, and dots and
/// backslashes in one, are written `\DDD` (RFC 4343 §2.1).
pub fn read(msg: &[u8], at: usize, text: &mut String) -> NameRead {
    let start = text.len();
    let mut pos = at;
    let mut end = None;
    let mut visited = [usize::MAX; MAX_POINTERS];
    let mut jumps = 0;
    let mut wire = 0usize;
    let fail = |end, at, trouble| NameRead {
        end,
        error: Some(NameError { at, trouble }),
    };
    loop {
        let Some(&b) = msg.get(pos) else {
            return fail(end, pos, NameTrouble::PastEnd);
        };
        match b >> 6 {
            0 if b == 0 => {
                if text.len() == start {
                    text.push_str("<Root>");
                }
                return NameRead {
                    end: end.or(Some(pos + 1)),
                    error: None,
                };
            }
            0 => {
                let len = b as usize;
                let left = msg.len() - pos - 1;
                if len > left {
                    return fail(end, pos, NameTrouble::LabelPastEnd { len, left });
                }
                wire += len + 1;
                if wire + 1 > MAX_WIRE {
                    return fail(end, pos, NameTrouble::TooLong);
                }
                if text.len() > start {
                    text.push('.');
                }
                for &c in &msg[pos + 1..pos + 1 + len] {
                    if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
                        text.push(char::from(c));
                    } else {
                        text.push('\\');
                        super::push_dec(text, u128::from(c / 100));
                        super::push_dec(text, u128::from(c / 10 % 10));
                        super::push_dec(text, u128::from(c % 10));
                    }
                }
                pos += 1 + len;
            }
            3 => {
                let Some(&low) = msg.get(pos + 1) else {
                    return fail(end, pos + 1, NameTrouble::PastEnd);
                };
                end = end.or(Some(pos + 2));
                let to = usize::from(b & 0x3f) << 8 | usize::from(low);
                if to >= msg.len() {
                    return fail(end, pos, NameTrouble::PointerPastEnd { to });
                }
                if jumps == MAX_POINTERS || visited[..jumps].contains(&to) || to == pos {
                    return fail(end, pos, NameTrouble::Loop { to });
                }
                visited[jumps] = to;
                jumps += 1;
                pos = to;
            }
            _ => return fail(end, pos, NameTrouble::LabelType(b)),
        }
    }
}

/// The name at `at` in `msg` in words, as a dump shows it: a name that cannot be read
/// to its end shows what was read, then why it stops.
pub fn write_words(s: &mut String, msg: &[u8], at: usize) {
    let r = read(msg, at, s);
    if let Some(e) = r.error {
        s.push_str("… (");
        s.push_str(e.short());
        s.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(msg: &[u8], at: usize) -> (String, NameRead) {
        let mut s = String::new();
        let r = read(msg, at, &mut s);
        (s, r)
    }

    #[test]
    fn labels_pointers_and_the_root() {
        let mut msg = vec![0u8; 12];
        msg.extend(b"\x07example\x03com\x00");
        msg.extend(b"\x03www\xc0\x0c");
        msg.push(0);
        assert_eq!(name(&msg, 12).0, "example.com");
        assert_eq!(name(&msg, 12).1.end, Some(25));
        let (text, r) = name(&msg, 25);
        assert_eq!(
            (text.as_str(), r.end, r.error),
            ("www.example.com", Some(31), None)
        );
        assert_eq!(name(&msg, 31).0, "<Root>");
        // Odd bytes in a label are escaped, so the text reads back as the same name.
        let odd = b"\x03a.\x07\x00";
        assert_eq!(name(odd, 0).0, "a\\046\\007");
    }

    #[test]
    fn loops_and_ends_are_troubles_not_hangs() {
        // A pointer to itself, and two that point at each other.
        let own = [0xc0u8, 0x00];
        assert_eq!(
            name(&own, 0).1.error.unwrap().trouble,
            NameTrouble::Loop { to: 0 }
        );
        let pair = [0x01u8, b'a', 0xc0, 0x04, 0x01, b'b', 0xc0, 0x00];
        let (text, r) = name(&pair, 0);
        assert_eq!(
            r.end,
            Some(4),
            "the name ends in place at its first pointer"
        );
        assert_eq!(r.error.unwrap().trouble, NameTrouble::Loop { to: 4 });
        assert_eq!(text, "a.b.a");
        // A label past the end, and a message that stops before the zero byte.
        let e = name(b"\x07exa", 0).1;
        assert_eq!(e.end, None);
        assert_eq!(
            e.error.unwrap(),
            NameError {
                at: 0,
                trouble: NameTrouble::LabelPastEnd { len: 7, left: 3 }
            }
        );
        assert_eq!(
            name(b"\x01a", 0).1.error.unwrap().trouble,
            NameTrouble::PastEnd
        );
        assert_eq!(
            name(&[0xc0, 0x09], 0).1.error.unwrap().trouble,
            NameTrouble::PointerPastEnd { to: 9 }
        );
        assert_eq!(
            name(&[0x40], 0).1.error.unwrap().trouble,
            NameTrouble::LabelType(0x40)
        );
        // 128 labels of one byte: longer than a name may be.
        let long: Vec<u8> = (0..128).flat_map(|_| [1, b'x']).chain([0]).collect();
        assert_eq!(
            name(&long, 0).1.error.unwrap().trouble,
            NameTrouble::TooLong
        );
        let mut s = String::new();
        write_words(&mut s, &pair, 0);
        assert_eq!(s, "a.b.a… (pointer loop)");
    }
}
