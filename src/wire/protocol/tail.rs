//! The variable part of a header after its fixed fields (a `TailSpec`), and how its
//! bytes read: options, entries, or records that start with a domain name.

use super::*;

/// The data at the end of a resource record: its length from a field before it, its
/// layout by the record's type.
pub struct RecordData {
    /// The field after the name that says how many bytes of data follow (dns.resp.len).
    pub len: &'static Field,
    /// The field after the name whose value picks the layout (dns.resp.type).
    pub by: &'static Field,
    /// Layouts by type: a fixed field (an address, when the length is its width) or a
    /// `Kind::Name` (CNAME, NS, PTR), which must end where the data does.
    pub kinds: &'static [(u128, &'static Field)],
    /// The data of any other type, or of a length its type's layout cannot have.
    pub other: &'static Field,
}

/// One section of records that each start with a domain name (DNS's questions, answers).
pub struct Section {
    /// The fixed header's field that counts the section's records (dns.count.queries).
    pub count: &'static Field,
    /// One record of it in words, for problems: `query`, `answer`.
    pub what: &'static str,
    /// The name each record starts with (`Kind::Name`).
    pub name: &'static Field,
    /// The fixed fields after the name; their offsets count from the name's end.
    pub fields: &'static [&'static Field],
    /// For a resource record: the data after the fields.
    pub data: Option<&'static RecordData>,
}

/// Records in sections, each section as many as a field of the fixed header counts,
/// each record a name (with compression pointers) and fixed fields after it: DNS.
pub struct Records {
    pub sections: &'static [Section],
    /// Bytes after the last record the counts announce.
    pub extra: &'static Field,
}

impl Records {
    /// Every field a record may hold.
    pub fn all_fields(&self) -> Vec<&'static Field> {
        let mut v = Vec::new();
        for s in self.sections {
            v.push(s.name);
            v.extend(s.fields.iter().copied());
            if let Some(d) = s.data {
                v.extend(d.kinds.iter().map(|(_, f)| *f));
                v.push(d.other);
            }
        }
        v.push(self.extra);
        v
    }
}

/// How the bytes of a tail read.
#[derive(Clone, Copy)]
pub enum Tail {
    /// Plain bytes.
    Bytes,
    Options(&'static OptionList),
    Entries(&'static Entries),
    Records(&'static Records),
}

/// The variable part of a header after its fixed fields: settable as bytes, shown
/// item by item.
pub struct TailSpec {
    /// The bytes as users set them (`ip.options`).
    pub field: &'static Field,
    /// The whole header, fixed part and tail, is a multiple of this many bytes.
    pub unit: usize,
    /// The longest header the length field can express.
    pub max_header: usize,
    /// What a new template carries (an IPv6 option header needs padding to 8 bytes).
    pub default: &'static [u8],
    /// How to pad, for errors: "pad with 00 (end of options)".
    pub pad: &'static str,
    /// How the bytes read, given the header.
    pub format: fn(&[u8]) -> Tail,
    /// Every format `format` may return, for the table test.
    pub formats: &'static [Tail],
}

impl TailSpec {
    /// Every field the tail's items may hold, the tail itself first.
    pub fn all_fields(&self) -> Vec<&'static Field> {
        let mut v = vec![self.field];
        for t in self.formats {
            match t {
                Tail::Bytes => {}
                Tail::Options(l) => v.extend(l.all_fields()),
                Tail::Entries(e) => v.extend(e.fields.iter().map(|(_, f)| *f)),
                Tail::Records(r) => v.extend(r.all_fields()),
            }
        }
        let mut seen: Vec<&'static Field> = Vec::new();
        v.retain(|f| {
            let new = !seen.contains(f);
            seen.push(f);
            new
        });
        v
    }
}
