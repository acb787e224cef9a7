//! Records that start with a domain name (DNS's questions and resource records): each
//! an item whose name is placed where its bytes are, its fixed fields after the name,
//! and its data by type. Names are read by `wire::name`, bounded by the message.

use super::tail::bad_option;
use super::*;
use crate::wire::name::NameTrouble;
use crate::wire::{Records, Section, name};

/// The items of a tail of records, section by section, as many as the fixed header's
/// counts say. `msg` is where the message starts (pointers count from there); a record
/// that cannot be read ends the walk, and the rest is shown as bytes under `rest`.
/// With `cut_ok` (a quote cut short) records missing at the end are no problem.
pub(super) fn items(
    packet: &[u8],
    msg: usize,
    range: Range<usize>,
    r: &Records,
    rest: &'static Field,
    (title, cut_ok): (&'static str, bool),
    problems: &mut Vec<Problem>,
) -> Vec<Item> {
    let end = range.end;
    let message = &packet[msg..end];
    let mut items = Vec::new();
    let mut at = range.start;
    let mut walk = RecordWalk {
        packet,
        msg,
        end,
        title,
        cut_ok,
        problems,
    };
    'sections: for s in r.sections {
        let count = s.count.get(message) as usize;
        for n in 0..count {
            if at >= end {
                walk.past_end(s, count, n);
                break 'sections;
            }
            match walk.record(s, at) {
                Ok(item) => {
                    at = item.span.end;
                    items.push(item);
                }
                Err(mut item) => {
                    // What the record's fields could show, then the rest as bytes.
                    let from = item.span.end;
                    if from < end {
                        item.fields.push(Placed::bytes(rest, from..end));
                        item.span.end = end;
                    }
                    items.push(item);
                    return items;
                }
            }
        }
    }
    if at < end {
        items.push(Item {
            span: at..end,
            fields: vec![Placed::bytes(r.extra, at..end)],
            entries: Vec::new(),
        });
    }
    items
}

/// A walk of records under way.
struct RecordWalk<'a, 'p> {
    packet: &'a [u8],
    msg: usize,
    end: usize,
    title: &'static str,
    /// A quote cut short: running into the end is no fault.
    cut_ok: bool,
    problems: &'p mut Vec<Problem>,
}

impl RecordWalk<'_, '_> {
    fn message(&self) -> &[u8] {
        &self.packet[self.msg..self.end]
    }

    /// A record that does not fit, with the sizes behind it when a length is to blame.
    fn problem(&mut self, offset: usize, sizes: Option<Sizes>, what: String) {
        self.trouble(offset, sizes, what, true)
    }

    /// A problem; one caused by the message's end (`by_end`) is none in a cut quote.
    fn trouble(&mut self, offset: usize, sizes: Option<Sizes>, what: String, by_end: bool) {
        if by_end && self.cut_ok {
            return;
        }
        let mut p = bad_option(self.title, offset, (0, 0, None), what);
        p.sizes = sizes;
        self.problems.push(p);
    }

    /// The count says more records than the message holds.
    fn past_end(&mut self, s: &Section, count: usize, n: usize) {
        let what = match (count, s.what.strip_suffix('y')) {
            (1, _) => s.what.to_string(),
            (_, Some(stem)) => format!("{stem}ies"),
            _ => format!("{}s", s.what),
        };
        self.problem(
            self.msg + s.count.first_byte(),
            None,
            format!(
                "{} says {count} {what}, but the message ends at byte {} after {n} of them",
                s.count.name, self.end
            ),
        );
    }

    /// A name placed at `at`, read to its end in place; a problem if it cannot be read.
    /// Returns where it ends in place, when that is known.
    fn name(&mut self, f: &'static Field, at: usize, fields: &mut Vec<Placed>) -> Option<usize> {
        let mut scratch = String::new();
        let r = name::read(self.message(), at - self.msg, &mut scratch);
        let end = r.end.map(|e| self.msg + e);
        if let Some(e) = r.error {
            let what = format!("{}: {}", f.name, e.words(self.msg));
            let by_end = matches!(
                e.trouble,
                NameTrouble::PastEnd
                    | NameTrouble::LabelPastEnd { .. }
                    | NameTrouble::PointerPastEnd { .. }
            );
            self.trouble(self.msg + e.at.min(self.end - self.msg), None, what, by_end);
        }
        if let Some(e) = end {
            fields.push(Placed {
                field: f,
                base: self.msg,
                span: at..e,
            });
        }
        end
    }

    /// One record at `at`: Ok with its item, or Err with what of it could be read when
    /// the walk cannot go on past it.
    fn record(&mut self, s: &Section, at: usize) -> Result<Item, Item> {
        let mut fields = Vec::new();
        let cut = |fields: Vec<Placed>, to: usize| Item {
            span: at..to,
            fields,
            entries: Vec::new(),
        };
        let Some(name_end) = self.name(s.name, at, &mut fields) else {
            return Err(cut(fields, at));
        };
        let need = s.fields.iter().map(|f| f.end_byte()).max().unwrap_or(0);
        if name_end + need > self.end {
            let left = self.end - name_end;
            fields.extend(
                s.fields
                    .iter()
                    .filter(|f| f.end_byte() <= left)
                    .map(|f| Placed::fixed(f, name_end)),
            );
            let shown = fields.last().map_or(name_end, |p| p.span.end);
            self.problem(
                name_end,
                sized(need, left, None),
                format!(
                    "the {} at byte {at} needs {need} bytes after its name, but only {} in the message",
                    s.what,
                    name::remain(left)
                ),
            );
            return Err(cut(fields, shown));
        }
        fields.extend(s.fields.iter().map(|f| Placed::fixed(f, name_end)));
        let mut record_end = name_end + need;
        let Some(d) = s.data else {
            return Ok(cut(fields, record_end));
        };
        let len = d.len.get(&self.packet[name_end..]) as usize;
        let data = record_end..record_end + len;
        if data.end > self.end {
            self.problem(
                name_end + d.len.first_byte(),
                sized(len, self.end - record_end, Some(d.len)),
                format!(
                    "{} says {len} bytes of data for the {} at byte {at}, but only {} in the message",
                    d.len.name,
                    s.what,
                    name::remain(self.end - record_end)
                ),
            );
            return Err(cut(fields, record_end));
        }
        record_end = data.end;
        let ty = d.by.get(&self.packet[name_end..]);
        match d.kinds.iter().find(|(t, _)| *t == ty).map(|(_, f)| *f) {
            Some(f) if f.kind == Kind::Name && len > 0 => {
                match self.name(f, data.start, &mut fields) {
                    Some(e) if e != data.end => {
                        let (from, what) = if e < data.end {
                            (e, "ends before")
                        } else {
                            (data.end, "runs past")
                        };
                        self.trouble(
                            from,
                            None,
                            format!(
                                "{} {what} the end of the data {} gives (byte {})",
                                f.name, d.len.name, data.end
                            ),
                            false,
                        );
                        if e > data.end {
                            // The name is shown, but the record ends where its length says.
                            fields.pop();
                            fields.push(Placed::bytes(d.other, data.clone()));
                        } else {
                            fields.push(Placed::bytes(d.other, e..data.end));
                        }
                    }
                    Some(_) => {}
                    None => fields.push(Placed::bytes(d.other, data.clone())),
                }
            }
            Some(f) if f.kind != Kind::Name && f.end_byte() == len => {
                fields.push(Placed::fixed(f, data.start));
            }
            Some(f) if len > 0 => {
                self.trouble(
                    name_end + d.len.first_byte(),
                    sized(f.end_byte(), len, Some(d.len)),
                    format!(
                        "{} says {len} bytes of data, but {} is {} bytes; shown as bytes",
                        d.len.name,
                        f.name,
                        f.end_byte()
                    ),
                    false,
                );
                fields.push(Placed::bytes(d.other, data.clone()));
            }
            _ if len > 0 => fields.push(Placed::bytes(d.other, data.clone())),
            _ => {}
        }
        Ok(cut(fields, record_end))
    }
}
