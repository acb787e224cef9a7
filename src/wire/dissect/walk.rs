//! The walk through a packet: layer by layer, each header placed as far as its bytes
//! (and the lengths around it) allow, with a problem noted where it is cut short.

use super::*;

/// Takes `packet` apart from byte `start` on, starting with `first`: the bytes before
/// are a link-layer header no table reads (Linux cooked, BSD loopback). Spans and
/// problem offsets count from the packet's first byte.
pub fn dissect_from(packet: &[u8], start: usize, first: &'static Protocol) -> Dissection {
    let mut walk = Walk {
        packet,
        layers: Vec::with_capacity(4),
        problems: Vec::new(),
        at: start.min(packet.len()),
        end: packet.len(),
        trailer: packet.len()..packet.len(),
        quoted: false,
        fragment: false,
        bound: None,
    };
    let mut next = Some(first);
    while let Some(p) = next {
        next = walk.layer(p);
    }
    Dissection {
        layers: walk.layers,
        payload: walk.at.min(walk.end)..walk.end,
        trailer: walk.trailer,
        problems: walk.problems,
    }
}

/// A dissection under way: the layers so far, and where the next one starts.
struct Walk<'a> {
    packet: &'a [u8],
    layers: Vec<Layer>,
    problems: Vec<Problem>,
    /// Where the next layer starts.
    at: usize,
    /// Where the bytes the layers may use end (an outer length may end them early).
    end: usize,
    trailer: Range<usize>,
    /// The layers from here on are a quoted packet (an ICMP error's).
    quoted: bool,
    /// The layers from here on ride in an IPv4 fragment: a length they claim covers the
    /// whole datagram, which these bytes are only the first piece of.
    fragment: bool,
    /// The length field that last moved `end` before the packet's last byte, and its
    /// layer: a header cut there is cut by that claim, not by the bytes.
    bound: Option<(&'static Field, &'static str)>,
}

impl Walk<'_> {
    fn problem(
        &mut self,
        p: &Protocol,
        offset: usize,
        kind: Trouble,
        sizes: Option<Sizes>,
        what: String,
    ) {
        self.problems.push(Problem {
            layer: p.title,
            offset,
            kind,
            sizes,
            what,
            layout: true,
        });
    }

    /// Takes one layer of protocol `p` apart at `at`; returns the protocol of the next,
    /// if there is one to read.
    fn layer(&mut self, p: &'static Protocol) -> Option<&'static Protocol> {
        if !self.placeable(p) {
            return None;
        }
        // The first layer of a quote must be whole: it is what says what was quoted.
        let quote_head = self.quoted && self.layers.last().is_some_and(|l| !l.quoted);
        let lenient = self.quoted && !quote_head;
        let avail = self.end - self.at;
        if avail < p.fixed_len {
            self.cut_fixed(p, avail, quote_head, lenient);
            return None;
        }
        let (at, packet) = (self.at, self.packet);
        let head = &packet[at..self.end];
        let (hdr, fixed_end, hdr_cut) = self.header_len(p, head, avail, lenient);
        let (layer_end, cut) = self.claimed_end(p, head, hdr, avail);
        let fixed_end = at + fixed_end.min(hdr);
        // Inside a quote cut short, what the bytes stop before is no fault of the layer.
        let cut_ok = self.quoted && self.layers.last().is_some_and(|l| l.cut);
        let items = match p.tail {
            Some(t) if at + hdr > fixed_end => tail_items(
                packet,
                at,
                fixed_end..at + hdr,
                t,
                (p.title, cut_ok),
                &mut self.problems,
            ),
            _ => Vec::new(),
        };
        let mut layer = Layer {
            proto: p,
            start: at,
            hdr_end: at + hdr,
            end: layer_end,
            fixed_end,
            quoted: self.quoted,
            // A layer that says nothing of its own length (DNS) ends where the layer
            // around it does: cut short with it.
            cut: cut || hdr_cut || (cut_ok && (p.claimed_len)(head).is_none()),
            items,
        };
        place_unparsed(&mut layer, packet);
        self.layers.push(layer);
        self.at += hdr;
        if hdr_cut {
            return None;
        }
        let header = &packet[at..at + hdr];
        self.quoted |= (p.quotes)(header);
        self.fragment |= p == &crate::wire::ipv4::IPV4 && crate::wire::ipv4::is_fragment(header);
        (p.next)(header)
    }

    /// Whether `p` may stand here: not past the most layers rawlab reads, and where
    /// its table allows it (IPv6 extension headers in order, say).
    fn placeable(&mut self, p: &'static Protocol) -> bool {
        if self.layers.len() == MAX_LAYERS {
            self.problem(
                p,
                self.at,
                Trouble::TooDeep,
                None,
                format!(
                    "layer {}: rawlab reads at most {MAX_LAYERS} layers (a chain this deep is almost surely a loop); the rest is shown as data",
                    MAX_LAYERS + 1
                ),
            );
            return false;
        }
        // The layers of the same packet so far (a quoted packet starts a chain of its own).
        let before: Vec<&'static Protocol> = self
            .layers
            .iter()
            .rev()
            .take_while(|l| l.quoted == self.quoted)
            .map(|l| l.proto)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        match (p.misplaced)(&before) {
            Some(why) => {
                self.problem(
                    p,
                    self.at,
                    Trouble::Misplaced,
                    None,
                    format!("{why}; the rest is shown as data"),
                );
                false
            }
            None => true,
        }
    }

    /// Why the bytes stop where they do, when it is not the packet's end.
    fn ends(&self) -> String {
        match self.bound {
            Some((f, title)) if self.end < self.packet.len() => {
                format!(" ({} ends the {title} packet at byte {})", f.name, self.end)
            }
            _ => String::new(),
        }
    }

    /// Fewer bytes than the fixed header: the layer is what there is, cut.
    fn cut_fixed(&mut self, p: &'static Protocol, avail: usize, quote_head: bool, lenient: bool) {
        let ends = self.ends();
        if quote_head {
            let outer = self.layers.last().map_or("the error", |l| l.proto.title);
            self.problem(
                p,
                self.at,
                Trouble::Truncated,
                sized(p.fixed_len, avail, None),
                format!(
                    "{outer} quotes only {avail} bytes of the {} header that caused it; {} {} header needs {}{ends}",
                    p.title,
                    article(p.title),
                    p.title,
                    p.fixed_len
                ),
            );
        } else if !lenient {
            self.problem(
                p,
                self.at,
                Trouble::Truncated,
                sized(p.fixed_len, avail, None),
                format!(
                    "{} header truncated: needs {} bytes, has {avail}{ends}",
                    p.title, p.fixed_len
                ),
            );
        }
        let mut layer = Layer {
            proto: p,
            start: self.at,
            hdr_end: self.end,
            end: self.end,
            fixed_end: self.end,
            quoted: self.quoted,
            cut: true,
            items: Vec::new(),
        };
        place_unparsed(&mut layer, self.packet);
        self.layers.push(layer);
        self.at = self.end;
    }

    /// How long the header is: what it claims, at least its fixed part, at most the
    /// bytes there are. Returns the length, where the fields that depend on the bytes
    /// end, and whether the header is cut short.
    fn header_len(
        &mut self,
        p: &'static Protocol,
        head: &[u8],
        avail: usize,
        lenient: bool,
    ) -> (usize, usize, bool) {
        let at = self.at;
        let claimed = (p.header_len)(head);
        let mut hdr = claimed;
        if claimed < p.fixed_len {
            let from = p.len_field.map_or_else(
                || format!("the {} header says", p.title),
                |f| format!("{} says", f.name),
            );
            self.problem(
                p,
                at + p.len_field.map_or(0, |f| f.first_byte()),
                Trouble::LengthTooShort,
                sized(p.fixed_len, claimed, p.len_field),
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
        if hdr <= avail {
            return (hdr, fixed_end, false);
        }
        if !lenient {
            let ends = self.ends();
            match p.len_field {
                Some(f) if claimed == hdr => self.problem(
                    p,
                    at + f.first_byte(),
                    Trouble::LengthPastEnd,
                    sized(hdr, avail, Some(f)),
                    format!(
                        "{}, but only {avail} are there{ends}; the header is cut short",
                        says(f, head, hdr)
                    ),
                ),
                _ => self.problem(
                    p,
                    at,
                    Trouble::Truncated,
                    sized(hdr, avail, p.len_field),
                    format!(
                        "{} header needs {hdr} bytes, but only {avail} are there{ends}",
                        p.summary_text(&head[..p.fixed_len])
                    ),
                ),
            }
        }
        (avail, fixed_end, true)
    }

    /// Where the layer ends by the length its header claims for the whole (ip.len),
    /// which may end the packet early (the rest is a trailer); and whether a quote is
    /// cut short of it.
    fn claimed_end(
        &mut self,
        p: &'static Protocol,
        head: &[u8],
        hdr: usize,
        avail: usize,
    ) -> (usize, bool) {
        let at = self.at;
        let Some((claim, field)) = (p.claimed_len)(head) else {
            return (self.end, false);
        };
        if claim < hdr {
            self.problem(
                p,
                at + field.first_byte(),
                Trouble::LengthTooShort,
                sized(hdr, claim, Some(field)),
                format!(
                    "{}, shorter than its own {hdr}-byte header",
                    says(field, head, claim)
                ),
            );
        } else if claim > avail {
            if self.quoted {
                return (self.end, true);
            }
            if self.fragment {
                return (self.end, false);
            }
            self.problem(
                p,
                at + field.first_byte(),
                Trouble::LengthPastEnd,
                sized(claim, avail, Some(field)),
                format!("{}, but only {avail} are there", says(field, head, claim)),
            );
        } else if claim < avail {
            self.end = at + claim;
            self.trailer = self.end..self.packet.len();
            self.bound = Some((field, p.title));
        }
        (self.end, false)
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
    // packet drawn, so it allocates nothing when all is covered. Most headers take
    // four words, and only those are zeroed.
    let n = end - start;
    let words = n.div_ceil(64);
    let mut small = [0u64; 4];
    let mut large: [u64; 64];
    let mut heap = Vec::new();
    let bits: &mut [u64] = if words <= small.len() {
        &mut small[..words]
    } else if words <= 64 {
        large = [0u64; 64];
        &mut large[..words]
    } else {
        heap.resize(words, 0);
        &mut heap
    };
    // Whole words at a time: bits lo..hi set.
    let mut cover = |r: Range<usize>| {
        let lo = r.start.clamp(start, end) - start;
        let hi = (r.end.clamp(start, end) - start).max(lo);
        let mut b = lo;
        while b < hi {
            let (w, at) = (b / 64, b % 64);
            let k = (hi - b).min(64 - at);
            let mask = if k == 64 {
                u64::MAX
            } else {
                ((1u64 << k) - 1) << at
            };
            bits[w] |= mask;
            b += k;
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
    let whole = |w: usize| match n - w * 64 {
        k if k >= 64 => u64::MAX,
        k => (1u64 << k) - 1,
    };
    if bits.iter().enumerate().all(|(w, b)| *b == whole(w)) {
        return;
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
            entries: Vec::new(),
        });
    }
}
