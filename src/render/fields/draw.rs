//! The gathered field lines drawn: each section's heading, its rows in columns, and
//! the notes under them.

use super::*;

impl Table {
    /// Every section, its heading and its rows in columns, each row's notes under it.
    pub(super) fn draw(
        &self,
        buf: &mut String,
        d: &Dump,
        color: bool,
        width: Option<usize>,
        mut spots: Option<&mut Vec<Spot>>,
    ) {
        // A column as wide as its widest cell, but a long value or long bits (24
        // characters and more) do not widen it for the others.
        let widest = |cell: fn(&Row) -> usize, cap: usize| {
            self.rows
                .iter()
                .map(cell)
                .filter(|w| *w <= cap)
                .max()
                .unwrap_or(0)
        };
        let name_w = widest(Row::name_chars, usize::MAX);
        let value_w = widest(|r| r.value_chars, 24);
        let bits_w = widest(|r| r.bits_chars, 24);
        let scratch = &self.scratch;
        let mut left_out = 0;
        for sec in &self.sections {
            // Teaching: a layer with nothing to say is one title line, and a field
            // with nothing to say is left out (and counted).
            let kept = |r: &Row| d.teach.is_none() || !r.marks.is_empty();
            left_out += self.rows[sec.rows.clone()]
                .iter()
                .filter(|r| !kept(r))
                .count();
            buf.push_str("  ");
            paint_into(
                buf,
                color,
                &scratch[sec.title.clone()],
                0,
                Tone::Heading,
                false,
            );
            buf.push('\n');
            for r in self.rows[sec.rows.clone()].iter().filter(|r| kept(r)) {
                let line_start = buf.len();
                let name_chars = r.name_chars();
                let pads = [
                    name_w.saturating_sub(name_chars),
                    value_w.saturating_sub(r.value_chars),
                    bits_w.saturating_sub(r.bits_chars),
                ];
                buf.push_str("    ");
                let c = (color && r.tone != Tone::Plain).then(|| codes(r.tone));
                if let Some(c) = c {
                    buf.push_str(&c.on);
                }
                spaces(buf, 2 * r.depth);
                buf.push_str(r.name);
                spaces(buf, pads[0]);
                if let Some(c) = c {
                    buf.push_str(&c.off);
                }
                buf.push_str("  ");
                let value = &scratch[r.value.clone()];
                paint_into(buf, color, value, pads[1], r.value_tone, false);
                buf.push_str("  ");
                paint_into(buf, color, &scratch[r.bits.clone()], pads[2], r.tone, false);
                buf.push_str("  ");
                let used = 10
                    + name_chars.max(name_w)
                    + r.value_chars.max(value_w)
                    + r.bits_chars.max(bits_w);
                let meaning = match width {
                    Some(w) if w < used + 10 => Cow::Borrowed(""),
                    Some(w) => Cow::Owned(cut(r.meaning, w - used)),
                    None => Cow::Borrowed(r.meaning),
                };
                paint_into(buf, color, &meaning, 0, Tone::Dim, false);
                buf.push('\n');
                for (what, tone) in &self.said[r.marks.clone()] {
                    let text = match what {
                        Said::Mark(k) => d.marks[*k].text.as_str(),
                        Said::Scratch(at) => &scratch[at.clone()],
                        Said::Link => d.link.as_ref().map_or("", |l| l.words.as_str()),
                    };
                    mark_into(buf, color, width, name_w, text, *tone);
                }
                if let Some(spots) = spots.as_deref_mut() {
                    spots.push(Spot {
                        text: line_start..buf.len(),
                        name: r.name,
                        bytes: r.span.clone(),
                        colour: match r.tone {
                            Tone::Field(n) => Some(n),
                            _ => None,
                        },
                        bits: Some(&scratch[r.bits.clone()])
                            .filter(|b| b.contains('.') && !b.contains('…'))
                            .map(str::to_string),
                    });
                }
            }
        }
        if let (Some(no), true) = (d.teach, left_out > 0) {
            let text = format!(
                "    {left_out} more field{} with nothing to note: `dump {no}` shows every one",
                if left_out == 1 { "" } else { "s" }
            );
            paint_into(buf, color, &text, 0, Tone::Dim, false);
            buf.push('\n');
        }
    }
}

/// A note under a field line: `↳ ` and its text, indented past the field's name;
/// wrapped to the terminal, when fitting it, with the lines after the first further in.
pub(in crate::render) fn mark_into(
    buf: &mut String,
    color: bool,
    width: Option<usize>,
    name_w: usize,
    text: &str,
    tone: Tone,
) {
    match width {
        None => {
            let c = (color && tone != Tone::Plain).then(|| codes(tone));
            if let Some(c) = c {
                buf.push_str(&c.on);
            }
            spaces(buf, 6 + name_w);
            buf.push_str("↳ ");
            buf.push_str(text);
            if let Some(c) = c {
                buf.push_str(&c.off);
            }
            buf.push('\n');
        }
        Some(_) => {
            let (first, rest) = (" ".repeat(6 + name_w), " ".repeat(8 + name_w));
            for l in wrap_to(width, &format!("↳ {text}"), &first, &rest) {
                paint_into(buf, color, &l, 0, tone, false);
                buf.push('\n');
            }
        }
    }
}
