//! Dissecting: bytes into layers, each with its table, its byte span, its
//! options and any problem found. Like smoltcp's views it makes no judgement
//! as to content: a header that lies about its length is shown as far as the
//! bytes go, with a note saying where and why, and never a panic. Every read
//! is bounded by the bytes present; every loop consumes bytes or stops.

use super::{
    Entries, Field, Kind, Network, OptionList, Protocol, Scope, Tail, TailSpec, UNPARSED, push_dec,
};
use std::ops::Range;

/// More layers than this is a chain that loops (nested quotes, repeated extension
/// headers); the rest is shown as data.
pub const MAX_LAYERS: usize = 32;

/// One field found in the bytes, where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub field: &'static Field,
    /// The byte the field's bit offset counts from (its layer's, option's or entry's start).
    pub base: usize,
    /// The bytes it covers (for a `Bytes` field, all of them).
    pub span: Range<usize>,
}

impl Placed {
    /// A fixed-width field whose bit offset counts from `base`.
    pub fn fixed(field: &'static Field, base: usize) -> Placed {
        Placed {
            field,
            base,
            span: base + field.first_byte()..base + field.end_byte(),
        }
    }

    fn bytes(field: &'static Field, span: Range<usize>) -> Placed {
        Placed {
            field,
            base: span.start,
            span,
        }
    }

    /// Raw value (0 for a `Bytes` field).
    pub fn get(&self, packet: &[u8]) -> u128 {
        if self.field.kind == Kind::Bytes {
            0
        } else {
            self.field.get(&packet[self.base..self.span.end])
        }
    }
}

/// One option or entry of a layer's tail, with its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub span: Range<usize>,
    pub fields: Vec<Placed>,
}

/// One layer found in the bytes.
#[derive(Debug, Clone)]
pub struct Layer {
    pub proto: &'static Protocol,
    /// First byte of the header.
    pub start: usize,
    /// One past the last header byte present (options included).
    pub hdr_end: usize,
    /// One past the last byte this layer covers, its payload included.
    pub end: usize,
    /// Where the fixed fields end and the tail (options) starts.
    pub fixed_end: usize,
    /// Part of a quoted packet: the copy of the datagram an ICMP error carries.
    pub quoted: bool,
    /// The bytes stop before where the layer claims to end (a quote is cut short).
    pub cut: bool,
    /// The options or entries of its tail.
    pub items: Vec<Item>,
}

impl Layer {
    /// The fixed fields (common and variant) that lie wholly inside the bytes present.
    pub fn fields<'a>(&'a self, packet: &'a [u8]) -> impl Iterator<Item = &'static Field> + 'a {
        let header = &packet[self.start..self.hdr_end];
        self.proto
            .fields_of(header)
            .filter(move |f| f.end_byte() <= header.len())
    }

    /// The variable part after the fixed fields (options), if any bytes are there.
    pub fn tail(&self) -> Option<(&'static Field, Range<usize>)> {
        match self.proto.tail {
            Some(t) if self.hdr_end > self.fixed_end => {
                Some((t.field, self.fixed_end..self.hdr_end))
            }
            _ => None,
        }
    }

    /// Every field present, in wire order: the fixed ones, the tail as a whole, then
    /// the fields of each option or entry.
    pub fn placed(&self, packet: &[u8]) -> Vec<Placed> {
        let mut v: Vec<Placed> = self
            .fields(packet)
            .map(|f| Placed::fixed(f, self.start))
            .collect();
        if let Some((f, r)) = self.tail() {
            v.push(Placed::bytes(f, r));
        }
        v.extend(self.items.iter().flat_map(|i| i.fields.iter().cloned()));
        v
    }

    /// Bytes of a fixed field inside the packet.
    pub fn span(&self, f: &Field) -> Range<usize> {
        self.start + f.first_byte()..self.start + f.end_byte()
    }

    /// Raw value of a fixed field.
    pub fn get(&self, packet: &[u8], f: &Field) -> u128 {
        f.get(&packet[self.start..self.hdr_end])
    }

    /// The header bytes present.
    pub fn header<'a>(&self, packet: &'a [u8]) -> &'a [u8] {
        &packet[self.start..self.hdr_end]
    }

    /// A field's value in words, named in the context of this header.
    pub fn words(&self, packet: &[u8], f: &Field) -> String {
        self.proto.words(f, self.header(packet))
    }

    /// Whether the whole fixed header is present.
    pub fn complete(&self) -> bool {
        self.hdr_end - self.start >= self.proto.fixed_len
    }
}

/// Something wrong with the bytes: which layer, where, what was needed, what there was.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub layer: &'static str,
    pub offset: usize,
    pub what: String,
    /// Whether it puts where later bytes lie in doubt (a length, a cut). A bad option
    /// does not: it spoils only its own layer.
    pub layout: bool,
}

/// A packet taken apart.
#[derive(Debug, Clone)]
pub struct Dissection {
    pub layers: Vec<Layer>,
    /// The bytes after the last header.
    pub payload: Range<usize>,
    /// Bytes past the length the layers claim (padding, trailers).
    pub trailer: Range<usize>,
    pub problems: Vec<Problem>,
}

impl Dissection {
    /// The layer a field belongs to, if the packet has it.
    pub fn layer_of(&self, f: &Field) -> Option<&Layer> {
        self.layers
            .iter()
            .find(|l| l.proto.all_fields().any(|g| g == f) || l.proto.item_fields().contains(&f))
    }

    /// Raw value of a field, if the packet has the whole of it: a fixed field of the
    /// first layer that has it, or the first option or entry that holds it.
    pub fn value(&self, packet: &[u8], f: &Field) -> Option<u128> {
        for l in &self.layers {
            if l.proto.all_fields().any(|g| g == f) && f.kind != Kind::Bytes {
                return l.fields(packet).any(|g| g == f).then(|| l.get(packet, f));
            }
            if let Some(p) = l
                .items
                .iter()
                .flat_map(|i| &i.fields)
                .find(|p| p.field == f)
            {
                return Some(p.get(packet));
            }
        }
        None
    }

    /// What verifying layer `i` needs: its bytes, and the network layer around it.
    pub fn scope<'a>(&self, i: usize, packet: &'a [u8]) -> Scope<'a> {
        let l = &self.layers[i];
        let network: Network = self.layers[..i]
            .iter()
            .rev()
            .find(|n| n.proto.pseudo.is_some() && n.complete())
            .map(|n| (n.proto, n.start..n.hdr_end));
        Scope {
            packet,
            start: l.start,
            hdr_end: l.hdr_end,
            end: l.end,
            whole: !l.cut,
            network,
        }
    }

    /// Whether layer `i` can be verified: its header whole, nothing wrong in it, and no
    /// doubt about where it lies. (A quote cut short still has a header to check; what
    /// needs the whole message, the protocol's `expected` leaves out by `Scope::whole`.)
    pub fn verifiable(&self, i: usize) -> bool {
        let l = &self.layers[i];
        l.complete()
            && self
                .problems
                .iter()
                .all(|p| p.offset >= l.hdr_end || (!p.layout && p.offset < l.start))
    }

    /// The checksum field `f` of the first layer that has it and can be verified: what
    /// it should hold and the bytes it covers. None when no layer has it.
    pub fn checksum(&self, packet: &[u8], f: &Field) -> Option<(usize, super::Expected)> {
        (0..self.layers.len())
            .filter(|i| self.verifiable(*i))
            .find_map(|i| {
                let l = &self.layers[i];
                let e = (l.proto.expected)(&self.scope(i, packet))
                    .into_iter()
                    .find(|e| e.field == f)?;
                Some((i, e))
            })
    }

    /// The stack in words: `ip/icmp`.
    pub fn stack_name(&self) -> String {
        let names: Vec<&str> = self.layers.iter().map(|l| l.proto.name).collect();
        names.join("/")
    }

    /// One line: each layer's summary (drawing appends it in place: `write_summary`;
    /// the fuzz targets and tests call this).
    pub fn summary(&self, packet: &[u8]) -> String {
        self.summary_brief(packet, 0)
    }

    /// The summary with the first `brief` layers named by their titles alone, for a
    /// line that must fit a width: the inner layers say the most about a packet.
    pub fn summary_brief(&self, packet: &[u8], brief: usize) -> String {
        let mut s = String::with_capacity(160);
        self.write_summary(&mut s, packet, brief, false);
        s
    }

    /// `summary_brief`, appended to `s`; with `lead`, after words already on the line
    /// (" · " then comes before its first part too).
    pub fn write_summary(&self, s: &mut String, packet: &[u8], brief: usize, lead: bool) {
        let mut empty = !lead;
        let mut part = |s: &mut String| {
            if !empty {
                s.push_str(" · ");
            }
            empty = false;
        };
        for (i, l) in self.layers.iter().enumerate() {
            if !(l.complete() || l.quoted) {
                continue;
            }
            part(s);
            if l.quoted {
                s.push_str("quoted ");
            }
            if i < brief {
                s.push_str(l.proto.title);
            } else {
                (l.proto.summary)(l.header(packet), s);
            }
        }
        if !self.payload.is_empty() {
            part(s);
            push_dec(s, self.payload.len() as u128);
            s.push_str(" bytes of data");
        }
        if !self.problems.is_empty() {
            part(s);
            s.push_str("malformed");
        }
    }
}

impl Dissection {
    /// Checks what must hold of any dissection, whatever the bytes: layers in order
    /// inside the packet, items and their fields inside their layer's header, payload
    /// and trailer in bounds, every problem at a byte that is there (or just past the
    /// end, where something was missing), and every byte from `start` (after a link
    /// header) shown by some field, the data, the trailer, or an unparsed span. For the
    /// tests and the fuzz targets; says what is wrong rather than panicking.
    pub fn audit(&self, packet: &[u8], start: usize) -> Result<(), String> {
        let len = packet.len();
        let mut covered = vec![false; len];
        let mut cover = |r: &Range<usize>, what: &dyn std::fmt::Debug| {
            if r.start > r.end || r.end > len {
                return Err(format!("{what:?}: span {r:?} outside {len} bytes"));
            }
            for c in &mut covered[r.clone()] {
                *c = true;
            }
            Ok(())
        };
        let mut at = start.min(len);
        for l in &self.layers {
            let ok = l.start >= at
                && l.start <= l.hdr_end
                && l.hdr_end <= len
                && l.fixed_end >= l.start
                && l.fixed_end <= l.hdr_end
                && l.end <= len
                && l.end >= l.hdr_end.min(l.end);
            if !ok {
                return Err(format!(
                    "{} layer out of order or bounds: start {} fixed_end {} hdr_end {} end {} after {at} in {len} bytes",
                    l.proto.name, l.start, l.fixed_end, l.hdr_end, l.end
                ));
            }
            for i in &l.items {
                if i.span.start < l.start || i.span.end > l.hdr_end || i.span.start > i.span.end {
                    return Err(format!(
                        "{} item {:?} outside its header",
                        l.proto.name, i.span
                    ));
                }
                for p in &i.fields {
                    if p.span.start < i.span.start
                        || p.span.end > i.span.end
                        || p.base > p.span.start
                    {
                        return Err(format!("{} outside its item {:?}", p.field.name, i.span));
                    }
                }
            }
            for p in l.placed(packet) {
                cover(&p.span, &p.field.name)?;
                // Reading the value must stay inside the bytes.
                let _ = p.get(packet);
            }
            at = l.hdr_end;
        }
        if self.payload.start < at.min(self.payload.end) && !self.layers.is_empty() {
            return Err(format!(
                "payload {:?} starts inside a header ending at {at}",
                self.payload
            ));
        }
        cover(&self.payload, &"payload")?;
        cover(&self.trailer, &"trailer")?;
        for p in &self.problems {
            if p.offset > len {
                return Err(format!("problem past the end: {p:?}"));
            }
        }
        match covered.iter().skip(start).position(|c| !c) {
            Some(i) => Err(format!(
                "byte {} is shown by no field, data, trailer or unparsed span",
                start + i
            )),
            None => Ok(()),
        }
    }
}

/// "a" or "an" before a layer's title, as it is read aloud: an IPv4, an ARP, a TCP.
fn article(title: &str) -> &'static str {
    match title.as_bytes().first() {
        Some(b'A' | b'E' | b'I' | b'O') => "an",
        _ => "a",
    }
}

/// "ip.len says 40 bytes", or "ipv6.plen says 100 bytes (140 in all)".
fn says(field: &Field, header: &[u8], total: usize) -> String {
    let shown = field.shown(field.get(header));
    let unit = if field.unit.is_empty() {
        "bytes"
    } else {
        field.unit
    };
    if shown == total as u128 {
        format!("{} says {total} {unit}", field.name)
    } else {
        format!("{} says {shown} {unit} ({total} in all)", field.name)
    }
}

/// Takes `packet` apart, starting with `first`.
pub fn dissect(packet: &[u8], first: &'static Protocol) -> Dissection {
    dissect_from(packet, 0, first)
}

/// Takes `packet` apart from byte `start` on, starting with `first`: the bytes before
/// are a link-layer header no table reads (Linux cooked, BSD loopback). Spans and
/// problem offsets count from the packet's first byte.
pub fn dissect_from(packet: &[u8], start: usize, first: &'static Protocol) -> Dissection {
    let mut layers: Vec<Layer> = Vec::with_capacity(4);
    let mut problems = Vec::new();
    let mut at = start.min(packet.len());
    let mut end = packet.len();
    let mut trailer = end..end;
    let mut next = Some(first);
    let mut quoted = false;
    // The length field that last moved `end` before the packet's last byte, and its
    // layer: a header cut there is cut by that claim, not by the bytes.
    let mut bound: Option<(&'static Field, &'static str)> = None;
    while let Some(p) = next {
        let mut problem = |offset: usize, what: String| {
            problems.push(Problem {
                layer: p.title,
                offset,
                what,
                layout: true,
            })
        };
        if layers.len() == MAX_LAYERS {
            problem(
                at,
                format!(
                    "layer {}: rawlab reads at most {MAX_LAYERS} layers (a chain this deep is almost surely a loop); the rest is shown as data",
                    MAX_LAYERS + 1
                ),
            );
            break;
        }
        // The layers of the same packet so far (a quoted packet starts a chain of its own).
        let before: Vec<&'static Protocol> = layers
            .iter()
            .rev()
            .take_while(|l| l.quoted == quoted)
            .map(|l| l.proto)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Some(why) = (p.misplaced)(&before) {
            problem(at, format!("{why}; the rest is shown as data"));
            break;
        }
        // The first layer of a quote must be whole: it is what says what was quoted.
        let quote_head = quoted && layers.last().is_some_and(|l| !l.quoted);
        let lenient = quoted && !quote_head;
        let avail = end - at;
        // Why the bytes stop where they do, when it is not the packet's end.
        let ends = match bound {
            Some((f, title)) if end < packet.len() => {
                format!(" ({} ends the {title} packet at byte {end})", f.name)
            }
            _ => String::new(),
        };
        if avail < p.fixed_len {
            if quote_head {
                let outer = layers.last().map_or("the error", |l| l.proto.title);
                problem(
                    at,
                    format!(
                        "{outer} quotes only {avail} bytes of the {} header that caused it; {} {} header needs {}{ends}",
                        p.title,
                        article(p.title),
                        p.title,
                        p.fixed_len
                    ),
                );
            } else if !lenient {
                problem(
                    at,
                    format!(
                        "{} header truncated: needs {} bytes, has {avail}{ends}",
                        p.title, p.fixed_len
                    ),
                );
            }
            let mut layer = Layer {
                proto: p,
                start: at,
                hdr_end: end,
                end,
                fixed_end: end,
                quoted,
                cut: true,
                items: Vec::new(),
            };
            place_unparsed(&mut layer, packet);
            layers.push(layer);
            at = end;
            break;
        }
        let head = &packet[at..end];
        let claimed = (p.header_len)(head);
        let mut hdr = claimed;
        if claimed < p.fixed_len {
            let from = p.len_field.map_or_else(
                || format!("the {} header says", p.title),
                |f| format!("{} says", f.name),
            );
            problem(
                at + p.len_field.map_or(0, |f| f.first_byte()),
                format!(
                    "{from} {claimed} bytes, less than the {} {} {} header needs; read as {}",
                    p.fixed_len,
                    article(p.title),
                    p.title,
                    p.fixed_len
                ),
            );
            hdr = p.fixed_len;
        }
        // Fields that depend on the bytes (ICMP's timestamps) may reach past fixed_len.
        let fixed_end = p.tail_start(head);
        hdr = hdr.max(fixed_end);
        let mut hdr_cut = false;
        if hdr > avail {
            if !lenient {
                match p.len_field {
                    Some(f) if claimed == hdr => problem(
                        at + f.first_byte(),
                        format!(
                            "{}, but only {avail} are there{ends}; the header is cut short",
                            says(f, head, hdr)
                        ),
                    ),
                    _ => problem(
                        at,
                        format!(
                            "{} header needs {hdr} bytes, but only {avail} are there{ends}",
                            p.summary_text(&head[..p.fixed_len])
                        ),
                    ),
                }
            }
            hdr = avail;
            hdr_cut = true;
        }
        let mut cut = hdr_cut;
        let mut layer_end = end;
        if let Some((claim, field)) = (p.claimed_len)(head) {
            if claim < hdr {
                problem(
                    at + field.first_byte(),
                    format!(
                        "{}, shorter than its own {hdr}-byte header",
                        says(field, head, claim)
                    ),
                );
            } else if claim > avail {
                if quoted {
                    cut = true;
                } else {
                    problem(
                        at + field.first_byte(),
                        format!("{}, but only {avail} are there", says(field, head, claim)),
                    );
                }
            } else if claim < avail {
                layer_end = at + claim;
                trailer = layer_end..packet.len();
                end = layer_end;
                bound = Some((field, p.title));
            }
        }
        let fixed_end = at + fixed_end.min(hdr);
        let items = match p.tail {
            Some(t) if at + hdr > fixed_end => {
                tail_items(packet, at, fixed_end..at + hdr, t, p.title, &mut problems)
            }
            _ => Vec::new(),
        };
        let mut layer = Layer {
            proto: p,
            start: at,
            hdr_end: at + hdr,
            end: layer_end,
            fixed_end,
            quoted,
            cut,
            items,
        };
        place_unparsed(&mut layer, packet);
        layers.push(layer);
        let header = &packet[at..at + hdr];
        if hdr_cut {
            at += hdr;
            break;
        }
        next = (p.next)(header);
        quoted |= (p.quotes)(header);
        at += hdr;
    }
    Dissection {
        layers,
        payload: at.min(end)..end,
        trailer,
        problems,
    }
}

/// Header bytes that no whole field, tail or item covers (the packet ends inside a
/// field) become an item of their own, so the dump accounts for every byte.
fn place_unparsed(layer: &mut Layer, packet: &[u8]) {
    let (start, end) = (layer.start, layer.hdr_end);
    if start >= end {
        return;
    }
    // One bit a byte, on the stack for any header up to 4096 bytes (every one rawlab
    // reads, bar a giant IPv6 extension header): this runs for every layer of every
    // packet drawn, so it allocates nothing when all is covered.
    let n = end - start;
    let mut stack = [0u64; 64];
    let mut heap = Vec::new();
    let bits: &mut [u64] = if n <= 64 * stack.len() {
        &mut stack[..n.div_ceil(64)]
    } else {
        heap.resize(n.div_ceil(64), 0);
        &mut heap
    };
    let mut cover = |r: Range<usize>| {
        let lo = r.start.clamp(start, end) - start;
        for b in lo..r.end.clamp(start, end).saturating_sub(start).max(lo) {
            bits[b / 64] |= 1 << (b % 64);
        }
    };
    for f in layer.fields(packet) {
        cover(layer.span(f));
    }
    // The tail, as a whole, covers the options; each item lies inside it (or, for an
    // item placed here, is where nothing else was).
    if let Some((_, r)) = layer.tail() {
        cover(r);
    }
    for i in &layer.items {
        cover(i.span.clone());
    }
    let is_set = |b: usize| bits[b / 64] & (1 << (b % 64)) != 0;
    let mut i = 0;
    while i < n {
        if is_set(i) {
            i += 1;
            continue;
        }
        let from = i;
        while i < n && !is_set(i) {
            i += 1;
        }
        let span = start + from..start + i;
        layer.items.push(Item {
            span: span.clone(),
            fields: vec![Placed::bytes(&UNPARSED, span)],
        });
    }
}

/// The items of a tail: options or entries, as the protocol reads its bytes.
fn tail_items(
    packet: &[u8],
    start: usize,
    range: Range<usize>,
    spec: &TailSpec,
    title: &'static str,
    problems: &mut Vec<Problem>,
) -> Vec<Item> {
    match (spec.format)(&packet[start..range.end]) {
        Tail::Bytes => Vec::new(),
        Tail::Options(list) => options(packet, range, list, title, problems),
        Tail::Entries(e) => {
            let mut items = Vec::new();
            entries(packet, range, e, spec.field, title, problems, &mut items);
            items
        }
    }
}

/// Entries of one layout from `range.start + e.from`, one item each; bytes left
/// over are a problem, shown under `leftover`.
fn entries(
    packet: &[u8],
    range: Range<usize>,
    e: &Entries,
    leftover: &'static Field,
    title: &'static str,
    problems: &mut Vec<Problem>,
    items: &mut Vec<Item>,
) {
    let empty_from = e
        .empty
        .map(|(from, fields)| (range.start + from(&packet[range.clone()]), fields));
    let mut at = range.start + e.from;
    while at + e.stride <= range.end {
        let fields = match empty_from {
            Some((from, empty)) if at >= from => empty,
            _ => e.fields,
        };
        items.push(Item {
            span: at..at + e.stride,
            fields: fields
                .iter()
                .map(|(shift, f)| Placed::fixed(f, at + shift))
                .collect(),
        });
        at += e.stride;
    }
    if at < range.end {
        problems.push(Problem {
            layer: title,
            offset: at,
            what: format!(
                "the last entry needs {} bytes, but only {} remain",
                e.stride,
                range.end - at
            ),
            layout: false,
        });
        items.push(Item {
            span: at..range.end,
            fields: vec![Placed::bytes(leftover, at..range.end)],
        });
    }
}

/// A type-length-value option list. A length that cannot be right stops the walk,
/// and the rest is shown as bytes.
fn options(
    packet: &[u8],
    range: Range<usize>,
    list: &OptionList,
    title: &'static str,
    problems: &mut Vec<Problem>,
) -> Vec<Item> {
    let mut items = Vec::new();
    let end = range.end;
    let mut at = range.start;
    let kind_fields = |at: usize| list.kind.iter().map(move |f| Placed::fixed(f, at));
    let rest = |at: usize| Item {
        span: at..end,
        fields: vec![Placed::bytes(list.unknown, at..end)],
    };
    while at < end {
        let kind = packet[at] as u128;
        // Named only when a problem needs it: most options have none.
        let name = || {
            list.kind[0]
                .value_name(kind)
                .map_or_else(|| format!("kind {kind}"), |n| format!("{n} ({kind})"))
        };
        if list.single.contains(&kind) {
            items.push(Item {
                span: at..at + 1,
                fields: kind_fields(at).collect(),
            });
            at += 1;
            if list.end == Some(kind) && at < end {
                if let Some(pad) = list.padding {
                    items.push(Item {
                        span: at..end,
                        fields: vec![Placed::bytes(pad, at..end)],
                    });
                }
                break;
            }
            continue;
        }
        if at + 2 > end {
            problems.push(Problem {
                layer: title,
                offset: at,
                what: format!(
                    "option {} needs at least {} bytes (its kind and {}), but only 1 remains in the options",
                    name(),
                    list.min_len,
                    list.len.name
                ),
                layout: false,
            });
            items.push(rest(at));
            break;
        }
        let len_raw = packet[at + 1] as usize;
        let total = len_raw * list.len_scale + list.len_add;
        if total < list.min_len {
            problems.push(Problem {
                layer: title,
                offset: at + 1,
                what: format!(
                    "{} for option {}: an option is at least {} bytes (kind and length); the rest is shown as bytes",
                    says(list.len, &packet[at..], total),
                    name(),
                    list.min_len
                ),
                layout: false,
            });
            items.push(rest(at));
            break;
        }
        if at + total > end {
            problems.push(Problem {
                layer: title,
                offset: at + 1,
                what: format!(
                    "{} for option {}, but only {} remain in the options; the rest is shown as bytes",
                    says(list.len, &packet[at..], total),
                    name(),
                    end - at
                ),
                layout: false,
            });
            items.push(rest(at));
            break;
        }
        let mut fields: Vec<Placed> = kind_fields(at).collect();
        fields.push(Placed::fixed(list.len, at));
        let opt = at..at + total;
        match list.kind_of(kind) {
            Some(k) => {
                if let Some(want) = k.len.filter(|w| *w != total) {
                    problems.push(Problem {
                        layer: title,
                        offset: at + 1,
                        what: format!(
                            "{}, but option {} is always {want} bytes",
                            says(list.len, &packet[at..], total),
                            name()
                        ),
                        layout: false,
                    });
                }
                let fits: Vec<&'static Field> = k
                    .fields
                    .iter()
                    .copied()
                    .filter(|f| f.end_byte() <= total)
                    .collect();
                fields.extend(fits.iter().map(|f| Placed::fixed(f, at)));
                let mut done = fits.iter().map(|f| f.end_byte()).max().unwrap_or(2).max(2);
                if let Some(pick) = k.entries {
                    let e = pick(&packet[opt.clone()]);
                    let mut sub = Vec::new();
                    if at + e.from <= opt.end {
                        entries(
                            packet,
                            at..opt.end,
                            e,
                            list.unknown,
                            title,
                            problems,
                            &mut sub,
                        );
                        done = total;
                    }
                    fields.extend(sub.into_iter().flat_map(|i| i.fields));
                }
                if done < total {
                    let f = k.rest.unwrap_or(list.unknown);
                    fields.push(Placed::bytes(f, at + done..opt.end));
                }
            }
            None if total > 2 => fields.push(Placed::bytes(list.unknown, at + 2..opt.end)),
            None => {}
        }
        items.push(Item { span: opt, fields });
        at += total;
    }
    items
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::{icmp, ipv4};

    const POST: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

    #[test]
    fn the_posts_packet() {
        let d = dissect(&POST, &ipv4::IPV4);
        assert_eq!(d.stack_name(), "ip/icmp");
        assert_eq!(d.layers[1].start, 20);
        assert_eq!(d.payload, 28..30);
        assert!(d.problems.is_empty());
        assert_eq!(d.value(&POST, &icmp::TYPE), Some(8));
        assert_eq!(
            d.summary(&POST),
            "IPv4 127.0.0.1 → 127.0.0.1 ttl 64 icmp · ICMP echo-request id 0 seq 0 · 2 bytes of data"
        );
    }

    #[test]
    fn truncated_at_every_offset_never_panics() {
        for cut in 0..POST.len() {
            let d = dissect(&POST[..cut], &ipv4::IPV4);
            assert!(!d.problems.is_empty(), "cut at {cut} should be reported");
            let covered = d.layers.last().map_or(0, |l| l.hdr_end).max(d.payload.end);
            assert_eq!(covered, cut, "every byte is in a layer or the payload");
        }
    }

    #[test]
    fn a_brief_summary_names_outer_layers_by_title() {
        let d = dissect(&POST, &ipv4::IPV4);
        let full = d.summary(&POST);
        assert!(full.starts_with("IPv4 127.0.0.1 → 127.0.0.1"), "{full}");
        let brief = d.summary_brief(&POST, 1);
        assert!(brief.starts_with("IPv4 · ICMP echo-request"), "{brief}");
        assert!(brief.len() < full.len());
        assert_eq!(d.summary_brief(&POST, 0), full);
    }

    #[test]
    fn a_field_cut_short_is_shown_as_unparsed() {
        let d = dissect(&POST[..18], &ipv4::IPV4);
        let l = &d.layers[0];
        assert_eq!(l.items.len(), 1);
        assert_eq!(l.items[0].span, 16..18, "the first two bytes of ip.dst");
        assert_eq!(l.items[0].fields[0].field, &crate::wire::UNPARSED);
        assert!(!l.fields(&POST[..18]).any(|f| f == &ipv4::DST));
        d.audit(&POST[..18], 0).unwrap();
        // A whole header has nothing unparsed.
        assert!(
            dissect(&POST, &ipv4::IPV4)
                .layers
                .iter()
                .all(|l| l.items.is_empty())
        );
    }

    #[test]
    fn small_ihl_is_reported_and_read_as_twenty() {
        let mut p = POST;
        p[0] = 0x43;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "ip.hdr_len says 12 bytes, less than the 20 an IPv4 header needs; read as 20"
        );
        assert_eq!(d.problems[0].offset, 0);
        assert_eq!(d.layers[0].hdr_end, 20);
    }

    #[test]
    fn dissecting_after_a_link_header_counts_from_the_frame_start() {
        let mut frame = vec![0xeeu8; 14];
        frame.extend(POST);
        let d = dissect_from(&frame, 14, &ipv4::IPV4);
        assert_eq!(d.stack_name(), "ip/icmp");
        assert_eq!((d.layers[0].start, d.layers[1].start), (14, 34));
        assert_eq!(d.payload, 42..44);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.value(&frame, &icmp::TYPE), Some(8));
        let cut = dissect_from(&frame[..20], 14, &ipv4::IPV4);
        assert_eq!(cut.problems[0].offset, 14);
    }

    #[test]
    fn lengths_that_lie() {
        let mut long = POST;
        long[3] = 40;
        let d = dissect(&long, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "ip.len says 40 bytes, but only 30 are there"
        );
        assert_eq!(d.problems[0].offset, 2);

        let mut short = POST.to_vec();
        short.extend([0xaa, 0xbb]);
        let d = dissect(&short, &ipv4::IPV4);
        assert!(d.problems.is_empty());
        assert_eq!(d.trailer, 30..32);
        assert_eq!(d.payload, 28..30);

        let mut tiny = POST;
        tiny[3] = 12;
        let d = dissect(&tiny, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "ip.len says 12 bytes, shorter than its own 20-byte header"
        );
    }

    #[test]
    fn ihl_past_the_end_says_which_field() {
        let mut p = POST;
        p[0] = 0x4f;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "ip.hdr_len says 60 bytes, but only 30 are there; the header is cut short"
        );
        assert_eq!(d.layers.len(), 1, "nothing is read after a cut header");
    }

    /// Real packets and built ones, every protocol and option kind among them.
    /// Packets of every kind the tables read, for tests that cut and mangle them.
    pub(crate) fn samples() -> Vec<(&'static Protocol, Vec<u8>)> {
        use crate::wire::{icmp, icmpv6, ipv6, tcp, udp};
        let mut v: Vec<(&'static Protocol, Vec<u8>)> = vec![
            (&ipv4::IPV4, POST.to_vec()),
            (&ipv4::IPV4, tcp::tests::SYN.to_vec()),
            (&ipv4::IPV4, tcp::tests::RST.to_vec()),
            (&ipv4::IPV4, udp::tests::DATAGRAM.to_vec()),
            (&ipv4::IPV4, icmp::tests::PORT_UNREACHABLE.to_vec()),
            (&ipv6::IPV6, ipv6::tests::ECHO.to_vec()),
            (&ipv6::IPV6, udp::tests::DATAGRAM6.to_vec()),
        ];
        let t = crate::wire::template::Template::new(&[
            &ipv6::IPV6,
            &ipv6::HOPOPTS,
            &ipv6::ROUTING,
            &ipv6::FRAGMENT,
            &ipv6::DSTOPTS,
            &icmpv6::ICMPV6,
        ]);
        v.push((
            &ipv6::IPV6,
            t.build(std::time::SystemTime::UNIX_EPOCH).bytes,
        ));
        // IPv4 with record route and timestamp options, carrying an ICMP timestamp.
        let mut p = vec![
            0x4d, 0, 0, 72, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        p.extend([7, 11, 8, 127, 0, 0, 1, 0, 0, 0, 0, 1]);
        p.extend([68, 12, 5, 1, 127, 0, 0, 1, 0, 0, 0, 42, 148, 4, 0, 0]);
        p.extend([1, 1, 1, 0]);
        p.extend([13, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
        v.push((&ipv4::IPV4, p));
        v
    }

    /// What every dissection must be, whatever the bytes (see `Dissection::audit`).
    fn check(d: &Dissection, bytes: &[u8]) {
        if let Err(e) = d.audit(bytes, 0) {
            panic!("{e}: {bytes:02x?}");
        }
    }

    #[test]
    fn every_sample_cut_at_every_offset() {
        for (first, p) in samples() {
            let whole = dissect(&p, first);
            assert!(whole.problems.is_empty(), "{:?}", whole.problems);
            for cut in 0..p.len() {
                let d = dissect(&p[..cut], first);
                check(&d, &p[..cut]);
                assert!(
                    !d.problems.is_empty(),
                    "cut at {cut} of {p:02x?} is not reported"
                );
                let covered = d.layers.last().map_or(0, |l| l.hdr_end).max(d.payload.end);
                assert_eq!(covered, cut, "every byte is in a layer or the payload");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Samples with random bytes overwritten and cut anywhere: never a panic, never
        /// a read past the bytes, from any first protocol.
        #[test]
        fn mangled_packets_never_panic(
            which in 0usize..64,
            first in 0usize..64,
            edits in proptest::collection::vec((0usize..256, proptest::prelude::any::<u8>()), 0..8),
            cut in 0usize..256,
        ) {
            let all = samples();
            let (p0, mut p) = all[which % all.len()].clone();
            for (i, b) in edits {
                let n = p.len();
                p[i % n] = b;
            }
            p.truncate(cut.max(1));
            for first in [p0, crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()]] {
                let d = dissect(&p, first);
                check(&d, &p);
            }
        }

        #[test]
        fn random_bytes_never_panic(
            first in 0usize..64,
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160),
        ) {
            let first = crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()];
            let d = dissect(&bytes, first);
            check(&d, &bytes);
        }

        /// After a link header no table reads (a capture file's), from any byte.
        #[test]
        fn after_any_link_header(
            first in 0usize..64,
            start in 0usize..200,
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160),
        ) {
            let first = crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()];
            let d = dissect_from(&bytes, start, first);
            if let Err(e) = d.audit(&bytes, start.min(bytes.len())) {
                panic!("{e}: {bytes:02x?} from {start}");
            }
        }
    }
}
