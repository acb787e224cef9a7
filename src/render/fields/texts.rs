//! Texts a stream repeats, kept by raw value: a field's words and bits, drawn once
//! for a value and copied after.

use super::*;

/// A field's value in words and its bits, as drawn before for the same raw value and
/// value name. A stream of packets repeats most of its values (addresses, ports,
/// flags, lengths), and looking them up costs less than writing them again.
#[derive(Default)]
pub(in crate::render) struct Seen {
    pub(in crate::render) field: usize,
    pub(in crate::render) raw: u128,
    pub(in crate::render) naming: Naming,
    /// The words, then the bits.
    pub(in crate::render) text: String,
    pub(in crate::render) words: usize,
    pub(in crate::render) words_chars: usize,
    pub(in crate::render) bits_chars: usize,
}

/// How a value got its name: from its field's own list (the value decides), or
/// found in its header's context (icmp.code by type), named or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::render) enum Naming {
    #[default]
    ByValue,
    /// The name's address and length: table names are static.
    Named(usize, usize),
    Unnamed,
}

impl Naming {
    pub(in crate::render) fn of(in_context: Option<Option<&str>>) -> Naming {
        match in_context {
            None => Naming::ByValue,
            Some(Some(n)) => Naming::Named(n.as_ptr() as usize, n.len()),
            Some(None) => Naming::Unnamed,
        }
    }
}

impl Seen {
    pub(in crate::render) fn holds(&self, f: &Field, raw: u128, naming: Naming) -> bool {
        self.field == std::ptr::from_ref(f) as usize && self.raw == raw && self.naming == naming
    }

    pub(in crate::render) fn remember(
        &mut self,
        f: &Field,
        raw: u128,
        naming: Naming,
        words: (&str, usize),
        bits: (&str, usize),
    ) {
        self.field = std::ptr::from_ref(f) as usize;
        self.naming = naming;
        self.raw = raw;
        self.text.clear();
        self.text.push_str(words.0);
        self.text.push_str(bits.0);
        self.words = words.0.len();
        self.words_chars = words.1;
        self.bits_chars = bits.1;
    }
}

/// A thread's texts seen, in a table of `SEEN` slots, one per hash of the key.
pub(in crate::render) struct Texts(Vec<Seen>);

pub(in crate::render) const SEEN: usize = 1024;

thread_local! {
    static TEXTS: std::cell::Cell<Vec<Seen>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Texts {
    /// This thread's table, handed back by `Drop`.
    pub(in crate::render) fn take() -> Texts {
        let mut v = TEXTS.with(|t| t.take());
        if v.is_empty() {
            v.resize_with(SEEN, Seen::default);
        }
        Texts(v)
    }

    pub(in crate::render) fn slot(&mut self, f: &Field, raw: u128, naming: Naming) -> &mut Seen {
        let field = std::ptr::from_ref(f) as usize;
        let name = match naming {
            Naming::Named(at, _) => at,
            Naming::ByValue | Naming::Unnamed => 0,
        };
        let mix = field as u64 ^ raw as u64 ^ (raw >> 64) as u64 ^ name as u64;
        let i = (mix.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize % SEEN;
        &mut self.0[i]
    }
}

impl Drop for Texts {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        TEXTS.with(|t| t.set(v));
    }
}
