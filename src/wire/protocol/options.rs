//! Type-length-value option lists (their kinds and entries), and the options a user
//! sets by name, with how each is built.

use super::*;

/// Entries of one layout, one after another (recorded route addresses, SACK blocks,
/// router advertisement entries).
pub struct Entries {
    /// Where the first entry starts, in bytes from the start of the option (0 in a tail).
    pub from: usize,
    pub fields: &'static [At],
    /// Bytes per entry.
    pub stride: usize,
    /// Where the empty slots start, in bytes from the option's start (a route option's
    /// pointer), and the fields they are shown with instead.
    pub empty: Option<EmptySlots>,
}

/// One kind of option in a type-length-value list. Field offsets count from the
/// option's first byte, the kind.
pub struct OptionKind {
    pub code: u128,
    /// Fields after the kind and length bytes.
    pub fields: &'static [&'static Field],
    /// The option's total length in bytes, when the kind has only one.
    pub len: Option<usize>,
    /// Which entries repeat to the option's end, given the option's bytes, if any.
    pub entries: Option<fn(&[u8]) -> &'static Entries>,
    /// Every layout `entries` may return, for the table test.
    pub all_entries: &'static [&'static Entries],
    /// Bytes from the end of `fields` to the option's end (a link-layer address), if any.
    pub rest: Option<&'static Field>,
}

impl OptionKind {
    /// A kind with fixed fields only; the tables tweak the rest.
    pub const fn new(code: u128, fields: &'static [&'static Field], len: Option<usize>) -> Self {
        OptionKind {
            code,
            fields,
            len,
            entries: None,
            all_entries: &[],
            rest: None,
        }
    }
}

/// A type-length-value option list: TCP and IPv4 options, IPv6 hop-by-hop and
/// destination options, ICMPv6 neighbour discovery options.
pub struct OptionList {
    /// The kind byte every option starts with: its field, then any fields over its bits
    /// (ip.opt.type's copy, class and number).
    pub kind: &'static [&'static Field],
    /// The length byte after the kind.
    pub len: &'static Field,
    /// How the length counts: the option's total bytes are `value × len_scale + len_add`.
    pub len_scale: usize,
    pub len_add: usize,
    /// The fewest bytes an option with a length may have.
    pub min_len: usize,
    /// Kinds that are one byte with no length (end of list, no-operation, Pad1).
    pub single: &'static [u128],
    /// The kind that ends the list; what follows is padding.
    pub end: Option<u128>,
    /// The bytes after the end of the list.
    pub padding: Option<&'static Field>,
    pub kinds: &'static [OptionKind],
    /// The data of an option whose kind has no entry in `kinds`, and of bytes that
    /// cannot be read as options.
    pub unknown: &'static Field,
    /// The options a user sets one by one by name (`set ip.opt.rr 9`); the rest are set
    /// as the list's bytes.
    pub named: &'static [NamedOption],
}

/// How an option set by name takes its value, and which of the table's fields it writes.
pub enum Shape {
    /// A one-byte kind with no length (no-operation, end of list): the value says how many.
    Single,
    /// A pointer, then entries of one address each: empty slots a hop fills (record
    /// route, `slots` true), or the hops the sender names (source routes).
    Route {
        ptr: &'static Field,
        entries: &'static Entries,
        slots: bool,
    },
    /// The timestamp option: a pointer, overflow and flag, then timestamps alone or each
    /// after an address.
    Stamps {
        ptr: &'static Field,
        flag: &'static Field,
        only: &'static Entries,
        with_addr: &'static Entries,
    },
    /// One field after the kind and length (router alert).
    Value(&'static Field),
}

/// An option a user sets by name: its field (the name `set`, `explain` and Tab know, its
/// meaning and RFC), its kind, how its value is written, and how it is typed.
pub struct NamedOption {
    pub field: &'static Field,
    pub code: u128,
    pub shape: Shape,
    /// What follows the name in `set`, in words.
    pub syntax: &'static str,
    /// Words Tab offers after the name.
    pub words: &'static [&'static str],
    /// A value as typed after the name (`9` for `set ip.opt.rr 9`).
    pub example: &'static str,
}

/// The value of an option set by name, as parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// How many: bytes of a one-byte kind, or empty slots.
    Count(usize),
    /// Addresses, one per entry.
    Addresses(Vec<u128>),
    /// A timestamp option: its flag, and empty slots or the prespecified addresses.
    Stamps {
        flag: u128,
        slots: usize,
        addresses: Vec<u128>,
    },
    /// The one field's value.
    Raw(u128),
}

impl NamedOption {
    /// The option's bytes for a value, every byte written through the table's fields;
    /// an error says what does not fit.
    pub fn build(
        &self,
        list: &OptionList,
        v: &OptionValue,
        room: usize,
    ) -> Result<Vec<u8>, String> {
        let name = self.field.name;
        let fit = Fitting {
            option: self,
            list,
            room,
        };
        match (&self.shape, v) {
            (Shape::Single, OptionValue::Count(n)) => {
                if *n == 0 || *n > room {
                    return Err(format!(
                        "{name} takes how many one-byte options to put here, 1 to {room} (the room left in the options)"
                    ));
                }
                Ok(vec![self.code as u8; *n])
            }
            (
                Shape::Route {
                    ptr,
                    entries: e,
                    slots,
                },
                OptionValue::Count(n),
            ) if *slots => fit.empty_slots(ptr, e, *n),
            (
                Shape::Route {
                    ptr,
                    entries: e,
                    slots,
                },
                OptionValue::Addresses(a),
            ) => fit.addresses(ptr, e, *slots, a),
            (
                Shape::Stamps {
                    ptr,
                    flag,
                    only,
                    with_addr,
                },
                OptionValue::Stamps {
                    flag: fl,
                    slots,
                    addresses,
                },
            ) => {
                let e = if *fl == 0 { only } else { with_addr };
                fit.stamps(ptr, flag, e, *fl, *slots, addresses)
            }
            (Shape::Value(f), OptionValue::Raw(raw)) => fit.value(f, *raw),
            _ => Err(format!("{name} takes {}", self.syntax)),
        }
    }
}

/// A named option being built into the `room` bytes its list has left.
struct Fitting<'a> {
    option: &'a NamedOption,
    list: &'a OptionList,
    room: usize,
}

impl Fitting<'_> {
    /// The option's first `len` bytes zeroed, its kind and length written.
    fn start(&self, len: usize) -> Vec<u8> {
        let list = self.list;
        let mut b = vec![0u8; len];
        list.kind[0].set(&mut b, self.option.code);
        list.len
            .set(&mut b, ((len - list.len_add) / list.len_scale) as u128);
        b
    }

    /// Entries after `from` bytes, as many as the room leaves.
    fn most(&self, e: &Entries) -> usize {
        self.room.saturating_sub(e.from) / e.stride
    }

    /// What the entries are, one and many.
    fn too_many(&self, n: usize, e: &Entries, (one, many): (&str, &str)) -> String {
        let (name, room) = (self.option.field.name, self.room);
        if n == 0 {
            return format!("{name} needs at least one {one}");
        }
        let what = if self.most(e) == 1 { one } else { many };
        format!(
            "{name} holds at most {} {what} ({} bytes each, after the option's first {}) in the {room} bytes of options left; you gave {n}",
            self.most(e),
            e.stride,
            e.from
        )
    }

    /// `n` empty slots for the hops to fill (record route).
    fn empty_slots(&self, ptr: &Field, e: &Entries, n: usize) -> Result<Vec<u8>, String> {
        if n == 0 || n > self.most(e) {
            return Err(self.too_many(n, e, ("slot", "slots")));
        }
        let mut b = self.start(e.from + n * e.stride);
        ptr.set(&mut b, (e.from + 1) as u128);
        Ok(b)
    }

    /// Addresses, one per entry: recorded ones (`slots`) or the hops of a source route.
    fn addresses(
        &self,
        ptr: &Field,
        e: &Entries,
        slots: bool,
        a: &[u128],
    ) -> Result<Vec<u8>, String> {
        if a.is_empty() || a.len() > self.most(e) {
            return Err(self.too_many(a.len(), e, ("address", "addresses")));
        }
        let mut b = self.start(e.from + a.len() * e.stride);
        // Recorded addresses fill their slots, so the pointer is past them; a
        // source route starts at its first hop.
        let next = if slots { a.len() } else { 0 };
        ptr.set(&mut b, (e.from + 1 + next * e.stride) as u128);
        entries(&mut b, e, a);
        Ok(b)
    }

    /// The timestamp option with flag `fl`: `slots` empty ones, or one after each of
    /// the `addresses` given.
    fn stamps(
        &self,
        ptr: &Field,
        flag: &Field,
        e: &Entries,
        fl: u128,
        slots: usize,
        addresses: &[u128],
    ) -> Result<Vec<u8>, String> {
        let n = if addresses.is_empty() {
            slots
        } else {
            addresses.len()
        };
        if n == 0 || n > self.most(e) {
            let what = if fl == 0 {
                ("timestamp", "timestamps")
            } else {
                ("address and timestamp pair", "address and timestamp pairs")
            };
            return Err(self.too_many(n, e, what));
        }
        let mut b = self.start(e.from + n * e.stride);
        ptr.set(&mut b, (e.from + 1) as u128);
        flag.set(&mut b, fl);
        entries(&mut b, e, addresses);
        Ok(b)
    }

    /// One field's value, in an option as long as its kind is.
    fn value(&self, f: &Field, raw: u128) -> Result<Vec<u8>, String> {
        let (name, room) = (self.option.field.name, self.room);
        let len = self
            .list
            .kind_of(self.option.code)
            .and_then(|k| k.len)
            .unwrap_or(f.end_byte());
        if len > room {
            return Err(format!(
                "{name} takes {len} bytes, and only {room} are left in the options"
            ));
        }
        let mut b = self.start(len);
        f.set(&mut b, raw);
        Ok(b)
    }
}

/// Addresses written into the entries, one each.
fn entries(b: &mut [u8], e: &Entries, addrs: &[u128]) {
    for (i, a) in addrs.iter().enumerate() {
        let (at, f) = e.fields[0];
        f.set(&mut b[e.from + i * e.stride + at..], *a);
    }
}

impl OptionList {
    pub fn kind_of(&self, code: u128) -> Option<&'static OptionKind> {
        self.kinds.iter().find(|k| k.code == code)
    }

    /// The option set by this name (`ip.opt.rr`), if the list has one.
    pub fn named(&self, name: &str) -> Option<&'static NamedOption> {
        self.named
            .iter()
            .find(|n| n.field.name.eq_ignore_ascii_case(name))
    }

    /// The list's bytes as options, in order: each one's kind and bytes, a run of one
    /// kind of one-byte option as one. Bytes that cannot be read on (a length that
    /// lies) are one last piece under their first byte's kind; zeros after the last
    /// option, the padding, are left out.
    pub fn split(&self, bytes: &[u8]) -> Vec<(u128, Vec<u8>)> {
        let mut out: Vec<(u128, Vec<u8>)> = Vec::new();
        let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        let mut i = 0;
        while i < end {
            let code = bytes[i] as u128;
            if self.single.contains(&code) {
                match out.last_mut() {
                    Some((c, b)) if *c == code && self.single.contains(c) => b.push(code as u8),
                    _ => out.push((code, vec![code as u8])),
                }
                i += 1;
                continue;
            }
            let len = bytes
                .get(i + 1)
                .map(|l| *l as usize * self.len_scale + self.len_add)
                .filter(|l| *l >= self.min_len && i + l <= bytes.len())
                .unwrap_or(end - i);
            out.push((code, bytes[i..i + len].to_vec()));
            i += len;
        }
        out
    }

    /// Every field an option of this list may hold.
    pub fn all_fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        let mut v: Vec<&'static Field> = self.kind.to_vec();
        v.push(self.len);
        for k in self.kinds {
            v.extend(k.fields.iter().copied());
            for e in k.all_entries {
                v.extend(e.fields.iter().map(|(_, f)| *f));
                v.extend(e.empty.iter().flat_map(|(_, f)| f.iter().map(|(_, f)| *f)));
            }
            v.extend(k.rest);
        }
        v.extend(self.padding);
        v.push(self.unknown);
        let mut seen: Vec<&'static Field> = Vec::new();
        v.retain(|f| {
            let new = !seen.contains(f);
            seen.push(f);
            new
        });
        v.into_iter()
    }
}
