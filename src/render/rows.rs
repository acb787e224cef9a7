//! The hex rows of a dump: sixteen bytes a row, each field's bytes in its colour, an
//! ASCII column beside them, laid out as bytes and coloured once per run of one colour.

use super::*;

pub(super) const HEX: &[u8; 16] = b"0123456789abcdef";

pub(super) fn hex2(b: u8) -> [u8; 2] {
    [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]
}

/// The character for a byte in the hex rows' text column.
pub(super) fn ascii_char(b: u8) -> char {
    if (b' '..=b'~').contains(&b) {
        char::from(b)
    } else {
        '.'
    }
}

/// The hex rows: offset, sixteen bytes in hex, their characters. In colour, a run of
/// bytes of one field shares one escape code (the spaces between them too), so a
/// payload of a thousand bytes is one colour change, not a thousand. `colors` holds
/// each byte's field number (`NO_FIELD` for none); `emph`, when not empty, which
/// bytes to emphasise.
pub(super) fn hex_rows(buf: &mut String, bytes: &[u8], colors: &[u32], emph: &[bool], color: bool) {
    // A byte's colour: its field's number (or NO_FIELD), and whether it is emphasised.
    let look = |i: usize| (colors[i], !emph.is_empty() && emph[i]);
    // The rows are laid out as bytes and checked as text once: a cell or escape code
    // at a time would cost a copy call each.
    let rows = bytes.len().div_ceil(16);
    let mut out: Vec<u8> = Vec::with_capacity(rows * if color { 400 } else { 80 });
    // A row the same as the one before, byte for byte and field for field, is one `*`
    // for the whole run, as hexdump -C writes it; the last row is always shown, so
    // the offsets say where the run ends.
    let same = |row: usize| {
        let base = row * 16;
        row > 0
            && row + 1 < rows
            && base + 16 <= bytes.len()
            && bytes[base..base + 16] == bytes[base - 16..base]
            && (0..16).all(|j| look(base + j) == look(base - 16 + j))
    };
    let mut squeezed = false;
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let base = row * 16;
        if same(row) {
            if !squeezed {
                let mut last = row;
                while same(last + 1) {
                    last += 1;
                }
                let through = last * 16 + 15;
                let line = format!("  *     the row above again, through {through:04x}\n");
                out.extend_from_slice(line.as_bytes());
                squeezed = true;
            }
            continue;
        }
        squeezed = false;
        let (cells, at) = row_cells(base, chunk);
        if !color {
            out.extend_from_slice(&cells[..=at.end]);
            continue;
        }
        // The plain row with a code before and after each run of bytes of one colour.
        // The space after a byte takes its colour only when the next byte shares it;
        // the gap between the halves never does.
        let mut done = 0;
        let mut paint = |out: &mut Vec<u8>, span: Range<usize>, key: (u32, bool)| {
            put(out, &cells, done..span.start);
            let tone = match key.0 {
                NO_FIELD => Tone::Dim,
                n => Tone::Field(n as usize),
            };
            let c = &codes(tone).fixed;
            let (on, off) = if key.1 {
                (&c[2], &c[3])
            } else {
                (&c[0], &c[1])
            };
            put(out, &on.0, 0..on.1);
            put(out, &cells, span.clone());
            put(out, &off.0, 0..off.1);
            done = span.end;
        };
        let runs = |split: bool| {
            let mut j = 0;
            std::iter::from_fn(move || {
                if j >= chunk.len() {
                    return None;
                }
                let (first, key) = (j, look(base + j));
                j += 1;
                while j < chunk.len() && !(split && j == 8) && look(base + j) == key {
                    j += 1;
                }
                Some((first..j, key))
            })
        };
        for (r, key) in runs(true) {
            let cell = |j: usize| at.hex + 3 * j + usize::from(j >= 8);
            paint(&mut out, cell(r.start)..cell(r.end - 1) + 2, key);
        }
        for (r, key) in runs(false) {
            paint(&mut out, at.text + r.start..at.text + r.end, key);
        }
        put(&mut out, &cells, done..at.end + 1);
    }
    // Only ASCII was written.
    buf.push_str(std::str::from_utf8(&out).unwrap_or_default());
}

/// Appends `from[span]`, sixteen bytes at a time: a block of known size is copied
/// in place, where a short copy of any size would be a call. `from` must hold 16
/// bytes past the span's start.
pub(super) fn put(out: &mut Vec<u8>, from: &[u8], span: Range<usize>) {
    let mut at = span.start;
    while at < span.end {
        let n = (span.end - at).min(16);
        let len = out.len();
        out.extend_from_slice(&from[at..at + 16]);
        out.truncate(len + n);
        at += n;
    }
}

/// A hex row's array: room for a row past offset 0xffff, and 16 bytes to spare for `put`.
pub(super) const ROW_CELLS: usize = 128;

/// Where a hex row's parts start in `row_cells`' array, and where its newline is.
pub(super) struct RowAt {
    pub(super) hex: usize,
    pub(super) text: usize,
    pub(super) end: usize,
}

/// One hex row as plain text, laid out in a fixed array: offset, the cells, the
/// characters from column 58 (more past offset 0xffff) whatever the row's length.
pub(super) fn row_cells(base: usize, chunk: &[u8]) -> ([u8; ROW_CELLS], RowAt) {
    let mut row = [b' '; ROW_CELLS];
    let digits = (usize::BITS - base.leading_zeros()).div_ceil(4).max(4) as usize;
    for k in 0..digits {
        row[2 + k] = HEX[(base >> (4 * (digits - 1 - k))) & 15];
    }
    let hex = 4 + digits;
    let text = hex + 50;
    for (j, b) in chunk.iter().enumerate() {
        let at = hex + 3 * j + usize::from(j >= 8);
        row[at..at + 2].copy_from_slice(&hex2(*b));
        row[text + j] = ascii_char(*b) as u8;
    }
    let end = text + chunk.len();
    row[end] = b'\n';
    (row, RowAt { hex, text, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_equal_rows_is_one_line_that_says_where_it_ends() {
        let bytes: Vec<u8> = [&[1u8; 16][..], &[0; 64], &[2; 16]].concat();
        let colors = vec![NO_FIELD; bytes.len()];
        let mut out = String::new();
        hex_rows(&mut out, &bytes, &colors, &[], false);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(lines[1].starts_with("  0010  00 00"), "{out}");
        assert_eq!(lines[2], "  *     the row above again, through 004f");
        assert!(lines[3].starts_with("  0050  02 02"), "{out}");
        // The last row is always drawn, so the run's end is never the dump's end.
        let zeros = vec![0u8; 48];
        let mut out = String::new();
        hex_rows(&mut out, &zeros, &[NO_FIELD; 48], &[], false);
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(out.lines().last().unwrap().starts_with("  0020"), "{out}");
        // An emphasised byte keeps its row.
        let mut emph = vec![false; bytes.len()];
        emph[40] = true;
        let mut out = String::new();
        hex_rows(&mut out, &bytes, &colors, &emph, false);
        assert!(out.contains("  0020  "), "{out}");
    }
}
