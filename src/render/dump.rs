//! One packet drawn: the heading, the summary, the hex rows with each field's bytes in
//! its colour, then a line per field. What a dump holds (`Dump`) is made by the caller;
//! drawing it needs nothing but the bytes and the tables.

use super::*;

/// A note attached to one field of a dump, printed under its line.
#[derive(Debug, Clone)]
pub struct Mark {
    pub field: &'static Field,
    /// Start of the layer the field belongs to (a packet may hold two of a protocol).
    pub layer_start: usize,
    pub text: String,
    pub tone: Tone,
}

/// A link-layer header in front of the first layer that no protocol table reads yet
/// (Linux cooked or BSD loopback, in a capture file): drawn dim, as a section of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkHeader {
    /// Bytes it takes at the start of the frame.
    pub len: usize,
    /// What it is: `Linux cooked v1`, `BSD loopback`.
    pub title: String,
    /// What it says: addresses, the protocol it announces.
    pub words: String,
    /// Wireshark's name for it (`sll`, `null`), for JSON.
    pub protocol: &'static str,
    /// Its fields (from the tables in `wire::cooked`), those the bytes hold.
    pub fields: Vec<LinkField>,
    /// The Linux packet type it records (`sll.pkttype`), if it records one.
    pub packet_type: Option<u128>,
}

/// One field of a link header, where it is and its value (read in the byte order the
/// header has, which for BSD loopback is the writer's).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkField {
    pub field: &'static Field,
    pub span: Range<usize>,
    pub raw: u128,
}

/// What to draw.
pub struct Dump<'a> {
    /// The first line: number, direction, socket, length.
    pub heading: String,
    pub bytes: &'a [u8],
    /// The first layer, after the link header if there is one; None when rawlab has no
    /// table for it (the bytes are then shown as data).
    pub first: Option<&'static Protocol>,
    /// A link-layer header before the first layer, read by no table.
    pub link: Option<LinkHeader>,
    /// Lines under the heading: what this packet is to others.
    pub notes: Vec<(String, Tone)>,
    pub marks: Vec<Mark>,
    /// Byte ranges to emphasise in the hex rows (what changed).
    pub emphasize: Vec<Range<usize>>,
    /// Fields not to verify (a template's checksum left 0 for the kernel).
    pub unverified: Vec<&'static Field>,
    /// For a lesson: only the field lines with a note under them, and one line saying
    /// how many were left out and that `dump N` (this number) shows them.
    pub teach: Option<u64>,
    /// Checksum offload was explained on an earlier packet: say it in a few words.
    pub offload_told: bool,
    /// The network header around a packet that came without it, rebuilt from the
    /// addresses the socket reported (an AF_INET6 raw socket keeps the IPv6 header):
    /// its protocol and bytes, for the pseudo-header a checksum covers.
    pub around: Option<(&'static Protocol, Vec<u8>)>,
}

impl<'a> Dump<'a> {
    /// A frame from a capture file: a link header no table reads may come first, and
    /// rawlab may have no table for the layer after it.
    pub fn frame(
        heading: String,
        bytes: &'a [u8],
        first: Option<&'static Protocol>,
        link: Option<LinkHeader>,
    ) -> Self {
        Dump {
            heading,
            bytes,
            first,
            link,
            notes: Vec::new(),
            marks: Vec::new(),
            emphasize: Vec::new(),
            unverified: Vec::new(),
            teach: None,
            offload_told: false,
            around: None,
        }
    }

    pub fn new(heading: String, bytes: &'a [u8], first: &'static Protocol) -> Self {
        Dump {
            heading,
            bytes,
            first: Some(first),
            link: None,
            notes: Vec::new(),
            marks: Vec::new(),
            emphasize: Vec::new(),
            unverified: Vec::new(),
            teach: None,
            offload_told: false,
            around: None,
        }
    }
}

/// The annotated dump: heading, notes, hex rows in field colours, then one line per field.
/// It is drawn into one buffer and written at once: a flood of packets draws thousands
/// a second, so no cell allocates.
pub fn dump(out: &mut dyn Write, d: &Dump, style: &Style) -> io::Result<()> {
    thread_local! {
        static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            draw(&mut buf, d, style);
            let result = out.write_all(buf.as_bytes());
            // A jumbo packet's buffer is not kept.
            if buf.capacity() > 1 << 20 {
                *buf = String::new();
            }
            result
        }
        Err(_) => {
            let mut buf = String::new();
            draw(&mut buf, d, style);
            out.write_all(buf.as_bytes())
        }
    })
}

/// The annotated dump appended to `buf` (what `dump` writes).
pub fn draw(buf: &mut String, d: &Dump, style: &Style) {
    draw_dissected(buf, d, &dissection(d), style)
}

/// [`draw`] from a dissection the caller has made already: `dis` is [`dissection`]`(d)`.
pub fn draw_dissected(buf: &mut String, d: &Dump, dis: &Dissection, style: &Style) {
    let width = style.width();
    buf.reserve(2048 + d.bytes.len() * 5);
    draw_head(buf, d, dis, style, width);
    let lines = Lines::of(dis, d.bytes);
    let colors = byte_colors(dis, &lines.all, d.bytes.len());
    // Only colour shows emphasis.
    let emph = if style.color {
        emphasised(d)
    } else {
        Vec::new()
    };
    hex_rows(buf, d.bytes, &colors, &emph, style.color);
    fields(buf, d, dis, &lines, style, width, None);
}

/// Which bytes the dump emphasises (what changed); empty when none is.
pub(super) fn emphasised(d: &Dump) -> Vec<bool> {
    let mut emph = Vec::new();
    if !d.emphasize.is_empty() {
        emph = vec![false; d.bytes.len()];
        for r in &d.emphasize {
            for e in emph.iter_mut().take(r.end).skip(r.start) {
                *e = true;
            }
        }
    }
    emph
}

/// The lines above the hex rows: heading, summary, notes, problems.
pub(super) fn draw_head(
    buf: &mut String,
    d: &Dump,
    dis: &Dissection,
    style: &Style,
    width: Option<usize>,
) {
    paint_into(buf, style.color, &d.heading, 0, Tone::Heading, false);
    buf.push('\n');
    // The summary line: written where it goes, unless it must be wrapped.
    let mut wrapped = String::new();
    let line = if width.is_some() {
        &mut wrapped
    } else {
        &mut *buf
    };
    if width.is_none() {
        line.push_str("  ");
    }
    if let Some(link) = &d.link {
        line.push_str(&link.title);
        line.push(' ');
        line.push_str(&link.words);
    }
    dis.write_summary(line, d.bytes, 0, d.link.is_some());
    if width.is_some() {
        wrapped_into(buf, style, width, &wrapped, "  ", "    ", Tone::Plain);
    } else {
        buf.push('\n');
    }
    for (text, tone) in &d.notes {
        wrapped_into(buf, style, width, text, "  ", "    ", *tone);
    }
    for p in &dis.problems {
        let text = format!("malformed: {} at byte {}: {}", p.layer, p.offset, p.what);
        wrapped_into(buf, style, width, &text, "  ", "    ", Tone::Bad);
    }
}

/// The dump's bytes taken apart: after the link header, from its first layer; all data
/// when rawlab has no table for the first layer.
pub fn dissection(d: &Dump) -> Dissection {
    let start = d.link.as_ref().map_or(0, |l| l.len.min(d.bytes.len()));
    match d.first {
        Some(first) => dissect_from(d.bytes, start, first),
        None => Dissection {
            layers: Vec::new(),
            payload: start..d.bytes.len(),
            trailer: d.bytes.len()..d.bytes.len(),
            problems: Vec::new(),
        },
    }
}

/// One line of a layer's field list: a field where it sits, how deep it is indented,
/// and whether it is the tail as a whole (whose colour only fills the bytes its
/// options leave).
pub(super) struct Line {
    pub(super) placed: Placed,
    pub(super) depth: usize,
    pub(super) whole_tail: bool,
}

/// Whether `f` is a member of one of `groups` (`ip.dsfield.dscp` of `ip.dsfield`).
pub(super) fn member_of<'a>(f: &Field, mut groups: impl Iterator<Item = &'a Field>) -> bool {
    groups.any(|g| {
        f.name.len() > g.name.len()
            && f.name.starts_with(g.name)
            && f.name.as_bytes()[g.name.len()] == b'.'
    })
}

/// Every layer's lines, in one list: layer `i`'s are `all[layers[i].clone()]`.
pub(super) struct Lines {
    pub(super) all: Vec<Line>,
    pub(super) layers: Vec<Range<usize>>,
}

impl Lines {
    pub(super) fn of(dis: &Dissection, bytes: &[u8]) -> Lines {
        let mut all = Vec::with_capacity(16 * dis.layers.len());
        let mut layers = Vec::with_capacity(dis.layers.len());
        for l in &dis.layers {
            let start = all.len();
            layer_lines(&mut all, l, bytes);
            layers.push(start..all.len());
        }
        Lines { all, layers }
    }
}

/// A layer's lines in wire order, appended to `v`: fixed fields (group members under
/// their group), the tail as a whole, then each option or entry with its fields.
pub(super) fn layer_lines(v: &mut Vec<Line>, l: &Layer, bytes: &[u8]) {
    let first = v.len();
    for f in l.fields(bytes) {
        // A group comes before its members.
        let groups = v[first..]
            .iter()
            .map(|x| x.placed.field)
            .filter(|g| g.group);
        let depth = usize::from(member_of(f, groups));
        v.push(Line {
            placed: Placed::fixed(f, l.start),
            depth,
            whole_tail: false,
        });
    }
    if let Some((f, r)) = l.tail() {
        v.push(Line {
            placed: Placed {
                field: f,
                base: r.start,
                span: r,
            },
            depth: 0,
            whole_tail: true,
        });
    }
    for item in &l.items {
        let groups = || item.fields.iter().map(|p| p.field).filter(|f| f.group);
        for p in &item.fields {
            v.push(Line {
                placed: p.clone(),
                depth: 1 + usize::from(member_of(p.field, groups())),
                whole_tail: false,
            });
        }
    }
}

/// A byte no field covers, in `byte_colors`.
pub(super) const NO_FIELD: u32 = u32::MAX;

/// Which field colour each byte gets: the first field that covers it, the n-th
/// non-group line of the dump getting colour n (`NO_FIELD` for none).
pub(super) fn byte_colors(dis: &Dissection, lines: &[Line], len: usize) -> Vec<u32> {
    let mut colors = vec![NO_FIELD; len];
    let mut n = 0;
    let mut deferred = Vec::new();
    for line in lines.iter().filter(|x| !x.placed.field.group) {
        let span = line.placed.span.start.min(len)..line.placed.span.end.min(len);
        if line.whole_tail {
            deferred.push((span, n));
        } else {
            for c in &mut colors[span] {
                if *c == NO_FIELD {
                    *c = n;
                }
            }
        }
        n += 1;
    }
    for (r, n) in deferred {
        for c in &mut colors[r] {
            if *c == NO_FIELD {
                *c = n;
            }
        }
    }
    for b in dis.payload.clone() {
        colors[b] = n;
    }
    colors
}
