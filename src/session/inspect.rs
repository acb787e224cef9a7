//! Looking, not sending: `show` (the template), `captures`, `dump N`, `diff A B`
//! and `explain FIELD`. Everything here reads the template, the store and the
//! protocol tables; nothing opens a socket.

use super::{Flow, Session};
use crate::capture::Packet;
use crate::lab;
use crate::lab::words::span_words;
use crate::net::Mode;
use crate::render::{self, Dump, Mark, Tone};
use crate::wire::{self, DATA, Field, Fill, Kind};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::SystemTime;

impl Session {
    pub(super) fn show_template(&self, out: &mut dyn Write) -> io::Result<()> {
        self.show_as(&format!("template {}", self.template.stack_name()), out)?;
        if let Some(f) = &self.fragmented {
            let text = format!(
                "cut into {} fragments for an MTU of {} bytes: `send` sends those (`fragments` lists them, `fragment off` sends the template whole)",
                f.list.len(),
                f.mtu
            );
            self.info(out, &text)?;
        }
        Ok(())
    }

    /// The template drawn as it will be sent, under a heading that starts with `label`
    /// (`template ip/icmp`, `fragment 2 of 3`).
    pub(super) fn show_as(&self, label: &str, out: &mut dyn Write) -> io::Result<()> {
        let built = self.built(SystemTime::now());
        let socket = if self.template.is_frame() {
            format!(
                "socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) on {}: rawlab writes the whole frame",
                self.link_iface
            )
        } else {
            super::socket_words(self.mode, &built)
        };
        let heading = format!(
            "{label} · {} bytes · mode {}: {socket}",
            built.bytes.len(),
            self.mode.name(),
        );
        let mut d = Dump::new(heading, &built.bytes, built.layers[0].0);
        let quote = self.template.quote_start();
        for (i, &(p, start, _)) in built.layers.iter().enumerate() {
            let quoted = quote.is_some_and(|q| i >= q);
            for f in p.all_fields() {
                let (set, group_set) = (
                    self.template.layer_is_set(i, f),
                    p.fields.iter().any(|g| {
                        g.group
                            && g != &f
                            && self.template.user_value(g).is_some()
                            && f.name.starts_with(g.name)
                    }),
                );
                let filled = f.kind != Kind::Bytes
                    && f.end_byte() <= built.bytes.len() - start
                    && f.get(&built.bytes[start..]) != 0;
                let text = match (set, f.fill) {
                    // A member of a group the user set says nothing: the group line does.
                    (true, _) if group_set => None,
                    (true, _) => Some(("set by you".to_string(), Tone::Note)),
                    (false, Fill::Manual) => None,
                    (false, Fill::Computed) if f.kind != Kind::Bytes => {
                        Some(("computed by rawlab".to_string(), Tone::Dim))
                    }
                    (false, Fill::Computed) => None,
                    // No kernel fills a quoted header: rawlab did, or left 0.
                    (false, Fill::Kernel(_)) if quoted => Some((
                        if filled {
                            "in the quote no kernel fills it: rawlab did".to_string()
                        } else {
                            "in the quote no kernel fills it: it is sent as 0".to_string()
                        },
                        Tone::Dim,
                    )),
                    // Inside a frame no kernel fills the IP header: rawlab did, or left 0.
                    (false, Fill::Kernel(_)) if start > 0 => Some((
                        if filled {
                            "inside a frame no kernel fills it: rawlab did".to_string()
                        } else {
                            "inside a frame no kernel fills it: it goes out as 0".to_string()
                        },
                        Tone::Dim,
                    )),
                    (false, Fill::Kernel(what)) => Some((super::left_for_kernel(what), Tone::Dim)),
                    (false, Fill::Interface(_)) => Some((
                        if filled {
                            format!("filled by rawlab from {}", self.link_iface)
                        } else {
                            format!("left 0: {} has no such address", self.link_iface)
                        },
                        Tone::Dim,
                    )),
                };
                if let Some((text, tone)) = text {
                    d.marks.push(Mark {
                        field: f,
                        layer_start: start,
                        text,
                        tone,
                    });
                }
                if matches!(f.fill, Fill::Kernel(_)) && !set && start == 0 {
                    d.unverified.push(f);
                }
            }
        }
        if self.mode == Mode::Kernel {
            d.notes.push((
                "in mode kernel only the bytes after the IP header are handed over; the kernel writes its own IP header (TTL and TOS from socket options)".into(),
                Tone::Note,
            ));
        }
        if self.template.is_frame() && self.mode != Mode::Link {
            d.notes.push((
                format!(
                    "a whole frame: it goes out with `mode link` (now mode {})",
                    self.mode.name()
                ),
                Tone::Note,
            ));
        }
        render::dump(out, &d, &self.style())
    }

    pub(super) fn captures(&self, out: &mut dyn Write) -> io::Result<()> {
        let all = self.shower.store.all();
        if all.is_empty() {
            return self.info(
                out,
                "no packets yet: `send`, `ping`, or `listen icmp` and `trigger ping 127.0.0.1`",
            );
        }
        for p in &all {
            writeln!(out, "{}", self.shower.line_related(p))?;
        }
        self.info(
            out,
            &format!(
                "{} packets; `dump N` shows one, `diff A B` compares two",
                all.len()
            ),
        )
    }

    /// A packet by number, or the error that says why there is none.
    pub(super) fn packet(
        &mut self,
        no: u64,
        out: &mut dyn Write,
    ) -> io::Result<Option<Arc<Packet>>> {
        if let Some(p) = self.shower.store.get(no) {
            return Ok(Some(p));
        }
        let all = self.shower.store.all();
        let text = match (all.first(), all.last()) {
            (Some(first), Some(last)) if no < first.no => format!(
                "#{no} is no longer kept: only the last {} packets are, #{}–#{} now",
                self.shower.store.capacity(),
                first.no,
                last.no
            ),
            (Some(first), Some(last)) => {
                format!(
                    "there is no packet #{no}: the packets kept are #{}–#{} (`captures` lists them)",
                    first.no, last.no
                )
            }
            _ => format!(
                "there is no packet #{no}: none are kept yet (`send` or `listen icmp` first)"
            ),
        };
        self.fail(out, &text)?;
        Ok(None)
    }

    pub(super) fn dump(&mut self, no: u64, out: &mut dyn Write) -> io::Result<Flow> {
        if let Some(p) = self.packet(no, out)? {
            self.shower.dump(out, &p, &self.shower.relations_of(no))?;
        }
        Ok(Flow::Continue)
    }

    pub(super) fn diff(&mut self, a: u64, b: u64, out: &mut dyn Write) -> io::Result<Flow> {
        // One error is enough: with no packets kept, both numbers fail for one reason.
        let Some(pa) = self.packet(a, out)? else {
            return Ok(Flow::Continue);
        };
        let Some(pb) = self.packet(b, out)? else {
            return Ok(Flow::Continue);
        };
        let style = self.style();
        let (da, db) = (
            wire::dissect::dissect(&pa.bytes, pa.first),
            wire::dissect::dissect(&pb.bytes, pb.first),
        );
        let same_stack = da.stack_name() == db.stack_name();
        let changes = lab::changes_between(&pa.bytes, &da, &pb.bytes, &db);
        let differing: Vec<usize> = (0..pa.bytes.len().max(pb.bytes.len()))
            .filter(|i| pa.bytes.get(*i) != pb.bytes.get(*i))
            .collect();
        let head = if differing.is_empty() {
            format!("#{a} and #{b} are the same {} bytes", pa.bytes.len())
        } else if !same_stack {
            format!(
                "#{a} → #{b}: different layers ({} and {}); fields compared while they match",
                da.stack_name(),
                db.stack_name()
            )
        } else {
            format!(
                "#{a} → #{b}: {} field{} differ{}",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" },
                if changes.len() == 1 { "s" } else { "" }
            )
        };
        writeln!(out, "{}", style.paint(&head, Tone::Heading))?;
        let name_w = changes
            .iter()
            .map(|c| c.field.name.len())
            .max()
            .unwrap_or(0);
        let span_w = changes
            .iter()
            .map(|c| span_words(&c.span).chars().count())
            .max()
            .unwrap_or(0);
        for c in &changes {
            let span = span_words(&c.span);
            writeln!(
                out,
                "  {:<name_w$}  {span:<span_w$}  {} → {}",
                c.field.name,
                c.before(),
                style.paint(&c.after(), Tone::Note)
            )?;
        }
        if !differing.is_empty() {
            let ranges = byte_ranges(&differing);
            writeln!(
                out,
                "  bytes that differ: {} ({} of {})",
                ranges.join(", "),
                differing.len(),
                pa.bytes.len().max(pb.bytes.len())
            )?;
        }
        if pa.bytes.len() != pb.bytes.len() {
            writeln!(
                out,
                "  lengths differ: #{a} has {} bytes, #{b} has {}",
                pa.bytes.len(),
                pb.bytes.len()
            )?;
        }
        Ok(Flow::Continue)
    }

    /// `explain FIELD`; `quoted` for `explain quoted.FIELD`, the field in the datagram an
    /// ICMP error quotes.
    pub(super) fn explain(
        &self,
        f: &'static Field,
        quoted: bool,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let style = self.style();
        let owner = wire::PROTOCOLS
            .iter()
            .find(|p| p.all_fields().any(|g| g == f))
            .copied();
        // A field of options or records (tcp.options.mss_val, dns.qry.name): set as the
        // bytes of its protocol's tail.
        let in_tail = wire::PROTOCOLS
            .iter()
            .find_map(|p| Some((*p, p.tail?)).filter(|_| p.item_fields().contains(&f)));
        if let Some((p, n)) = wire::option_named_by(f) {
            return self.explain_option(p, n, out);
        }
        let prefix = if quoted { "quoted." } else { "" };
        writeln!(
            out,
            "{}",
            style.paint(
                &format!("{prefix}{} — {}", f.name, f.meaning),
                Tone::Heading
            )
        )?;
        let mut row = |label: &str, text: String| explain_row(&style, out, label, &text);
        row("where", place_words(f, owner, in_tail))?;
        row("values", f.range_words())?;
        if !f.names.is_empty() {
            let names: Vec<String> = f.names.iter().map(|(v, n)| format!("{n} = {v}")).collect();
            row("names", names.join(", "))?;
        }
        let also = self.short_names(f, owner);
        if !also.is_empty() {
            row(
                "also",
                format!(
                    "{} (short names that work when they fit one field)",
                    also.join(", ")
                ),
            )?;
        }
        row("filled by", filler_words(f, quoted, owner, in_tail))?;
        if let Some(text) = self.quoted_note(f) {
            row("quoted", text)?;
        }
        row("about", f.notes.to_string())?;
        row("defined", f.rfc.to_string())?;
        row("now", self.now_words(f, quoted, in_tail))?;
        self.checksum_workbench(f, out)
    }

    /// Short names that reach this field in the template (or in its own protocol).
    fn short_names(
        &self,
        f: &'static Field,
        owner: Option<&'static wire::Protocol>,
    ) -> Vec<&'static str> {
        let stack = match owner {
            Some(p) if !self.template.stack().contains(&p) => vec![p],
            _ => self.template.stack(),
        };
        let last = f.name.rsplit('.').next().unwrap_or(f.name);
        let mut also: Vec<&str> = Vec::new();
        for name in [f.short(), last]
            .into_iter()
            .chain(f.aliases.iter().copied())
        {
            if name != f.name
                && !also.contains(&name)
                && wire::resolve(name, &stack).is_ok_and(|g| g == f)
            {
                also.push(name);
            }
        }
        also
    }

    /// An ICMP error built as layers holds the field twice, perhaps: which `set` reaches.
    fn quoted_note(&self, f: &'static Field) -> Option<String> {
        let stack = self.template.stack();
        let q = self.template.quote_start()?;
        if !stack[q..].iter().any(|p| p.all_fields().any(|g| g == f)) {
            return None;
        }
        let outer = stack[..q].iter().any(|p| p.all_fields().any(|g| g == f));
        Some(if outer {
            format!(
                "this template's ICMP error quotes a datagram that has it too: `set {0}` sets the outer one, `set quoted.{0}` the quoted one (which holds {1})",
                f.name,
                self.quoted_words(f)
            )
        } else {
            format!(
                "in this template's quoted datagram: `set {0}` (or `set quoted.{0}`) sets it there",
                f.name
            )
        })
    }

    /// What the template holds in the field now.
    fn now_words(
        &self,
        f: &'static Field,
        quoted: bool,
        in_tail: Option<(&'static wire::Protocol, &'static wire::TailSpec)>,
    ) -> String {
        if quoted {
            format!(
                "{} in the template's quoted datagram (`set quoted.{}` changes it)",
                self.quoted_words(f),
                f.name
            )
        } else if self
            .template
            .stack()
            .iter()
            .any(|p| p.all_fields().any(|g| g == f))
            || f == &DATA
        {
            format!("{} in the template", self.field_words(f))
        } else if let Some((p, t)) = in_tail.filter(|(p, _)| self.template.stack().contains(p)) {
            let built = self.built(SystemTime::now());
            let dis = wire::dissect::dissect(&built.bytes, built.layers[0].0);
            let found = dis.layers.iter().find_map(|l| {
                let at = l
                    .items
                    .iter()
                    .flat_map(|i| &i.fields)
                    .find(|x| x.field == f)?;
                Some(render::placed_words(&built.bytes, at, l.hdr_end))
            });
            match found {
                Some(w) => format!(
                    "{w} in the template (the first of its {} that has it)",
                    t.field.name
                ),
                None => format!("none in the template's {} ({})", t.field.name, p.title),
            }
        } else {
            format!("not in this template ({})", self.template.stack_name())
        }
    }

    /// `explain ip.opt.rr`: an option set by name, what it holds and how to set it, and
    /// whether the template has one.
    fn explain_option(
        &self,
        p: &'static wire::Protocol,
        n: &'static wire::NamedOption,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let style = self.style();
        let f = n.field;
        writeln!(
            out,
            "{}",
            style.paint(&format!("{} — {}", f.name, f.meaning), Tone::Heading)
        )?;
        let list = wire::list_with(p, n);
        let tail = p.tail.map_or("", |t| t.field.name);
        let kind = list
            .and_then(|l| l.kind[0].value_name(n.code))
            .map_or(String::new(), |name| format!(" ({name})"));
        let mut row = |label: &str, text: String| explain_row(&style, out, label, &text);
        row(
            "where",
            format!(
                "one option in {tail}, the {} header's variable part: type {}{kind}; rawlab grows the header length to cover it and pads the options with zeros (end of list) to a whole 32-bit word",
                p.title, n.code
            ),
        )?;
        row(
            "set",
            format!(
                "`set {} …`: {}, for example `set {} {}`; `unset {}` takes it out. Options go in the order you set them; setting one again replaces it where it stands",
                f.name, n.syntax, f.name, n.example, f.name
            ),
        )?;
        // The fields the dump shows in it: those after the type and length, then the entries.
        if let Some(k) = list.and_then(|l| l.kind_of(n.code)) {
            let mut names: Vec<&str> = k.fields.iter().map(|g| g.name).collect();
            for e in k.all_entries {
                names.extend(e.fields.iter().map(|(_, g)| g.name));
                names.extend(
                    e.empty
                        .iter()
                        .flat_map(|(_, fs)| fs.iter().map(|(_, g)| g.name)),
                );
            }
            let mut seen: Vec<&str> = Vec::new();
            names.retain(|n| {
                let new = !seen.contains(n);
                seen.push(n);
                new
            });
            if let Some(l) = list {
                names.insert(0, l.len.name);
                names.insert(0, l.kind[0].name);
            }
            row("fields", format!("{} (`explain` each)", names.join(", ")))?;
        }
        row("about", f.notes.to_string())?;
        row("defined", f.rfc.to_string())?;
        let now = match self.template.option_bytes(n) {
            Some(b) => {
                let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
                format!(
                    "{} bytes in the template's {tail}: {}",
                    b.len(),
                    hex.join(" ")
                )
            }
            None if self.template.stack().contains(&p) => {
                format!("none in the template's {tail}")
            }
            None => format!("not in this template ({})", self.template.stack_name()),
        };
        row("now", now)
    }

    /// For a checksum field in the template: the sum worked by hand over the template's
    /// bytes, word by word, the carries folded, the complement taken, and compared
    /// with what the template holds.
    fn checksum_workbench(&self, f: &'static Field, out: &mut dyn Write) -> io::Result<()> {
        let style = self.style();
        let built = self.built(SystemTime::now());
        let dis = wire::dissect::dissect(&built.bytes, built.layers[0].0);
        let Some((i, e)) = dis.checksum(&built.bytes, f) else {
            return Ok(());
        };
        let l = &dis.layers[i];
        let at = l.start + f.first_byte()..l.start + f.end_byte();
        let w = wire::checksum::work(&built.bytes, e.covers.clone(), at.clone(), e.pseudo);
        let what = if e.covers.end == l.hdr_end {
            format!("the {} header", l.proto.title)
        } else {
            format!("the {} header and what it carries", l.proto.title)
        };
        let head = format!(
            "the checksum worked by hand over the template's bytes {}–{} ({what}), its own bytes {}–{} counted as 0000:",
            e.covers.start,
            e.covers.end.saturating_sub(1),
            at.start,
            at.end - 1
        );
        for l in style.wrap(&head, "  worked     ", "             ") {
            writeln!(out, "{l}")?;
        }
        let line = |text: String| format!("             {text}");
        if e.pseudo != 0 {
            writeln!(
                out,
                "{}",
                line(format!(
                    "pseudo-header (both addresses, the protocol, the length) sums to 0x{:04x}; the words add to it",
                    e.pseudo
                ))
            )?;
        }
        for text in worked_words(&w, e.covers.end, &at, f.name) {
            writeln!(out, "{}", line(text))?;
        }
        for text in folded_words(&w, e.want) {
            writeln!(out, "{}", line(text))?;
        }
        let holds = f.get(&built.bytes[l.start..]);
        let (verdict, tone) = checksum_verdict(holds, &e, f);
        for l in style.wrap(&verdict, "             ", "             ") {
            writeln!(out, "{}", style.paint(&l, tone))?;
        }
        Ok(())
    }
}

/// The checksum's words, one line each with the running sum; a long message shows
/// the first words and the last, the middle counted. The field's own bytes (`at`)
/// are marked as counted as 0.
fn worked_words(
    w: &wire::checksum::Worked,
    covers_end: usize,
    at: &std::ops::Range<usize>,
    name: &str,
) -> Vec<String> {
    let n = w.words.len();
    let shown: Vec<usize> = if n <= 20 {
        (0..n).collect()
    } else {
        (0..12).chain(n - 4..n).collect()
    };
    let mut lines = Vec::new();
    for (k, &j) in shown.iter().enumerate() {
        if k > 0 && shown[k - 1] + 1 != j {
            lines.push(format!("  … {} more words …", j - shown[k - 1] - 1));
        }
        let (off, word, sum) = w.words[j];
        let end = (off + 1).min(covers_end - 1);
        let bytes = if end > off {
            format!("{off}–{end}")
        } else {
            format!("{off}+pad")
        };
        let own = if at.contains(&off) {
            format!("  ← {name}, counted as 0")
        } else {
            String::new()
        };
        lines.push(format!("  {bytes:<9} + {word:04x}   sum 0x{sum:04x}{own}"));
    }
    lines
}

/// The carries folded back in, the complement, and (when the field wants other than
/// the complement) why 0 is sent as ffff.
fn folded_words(w: &wire::checksum::Worked, want: u128) -> Vec<String> {
    let carries = if w.total > 0xffff {
        format!(
            "carries: 0x{:x} is wider than 16 bits; add what overflowed back in: 0x{:04x} + 0x{:x} = 0x{:04x}",
            w.total,
            w.total & 0xffff,
            w.total >> 16,
            w.folded
        )
    } else {
        format!("carries: none, 0x{:04x} fits in 16 bits", w.folded)
    };
    let mut lines = vec![
        carries,
        format!(
            "complement: every bit flipped, ~0x{:04x} = 0x{:04x}",
            w.folded, w.complement
        ),
    ];
    if want != u128::from(w.complement) {
        lines.push(format!(
            "a result of 0 is sent as 0x{want:04x}: 0 in this field means no checksum at all"
        ));
    }
    lines
}

/// Whether what the template holds adds up, in words and a tone.
fn checksum_verdict(holds: u128, e: &wire::Expected, f: &Field) -> (String, Tone) {
    match (e.verdict(holds), f.fill) {
        (wire::Verdict::Correct, _) => (
            format!(
                "the template holds 0x{holds:04x}: it adds up ✓ (a receiver sums every word, this one too, and gets ffff)"
            ),
            Tone::Good,
        ),
        (_, Fill::Kernel(_)) if holds == 0 => (
            "the template leaves it 0 for the kernel to fill as the packet goes out (with the other fields it fills, so the kernel's value will differ)".to_string(),
            Tone::Note,
        ),
        _ => (
            format!(
                "the template holds 0x{holds:04x}, not 0x{:04x}: a receiver would find the sum wrong and drop the packet without a word",
                e.want
            ),
            Tone::Bad,
        ),
    }
}

/// `4–5, 10–11, 20`
fn byte_ranges(offsets: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < offsets.len() {
        let start = offsets[i];
        let mut end = start;
        while i + 1 < offsets.len() && offsets[i + 1] == end + 1 {
            i += 1;
            end = offsets[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    out
}

/// `explain`'s "where": the bytes and bits a field stands at in its header.
fn place_words(
    f: &'static Field,
    owner: Option<&'static wire::Protocol>,
    in_tail: Option<(&'static wire::Protocol, &'static wire::TailSpec)>,
) -> String {
    match (owner, f.kind) {
        (_, Kind::Bytes) if f == &DATA => "after the last header, any length".to_string(),
        (Some(p), Kind::Bytes) => format!(
            "{}, after its {}-byte fixed header, variable length",
            p.title, p.fixed_len
        ),
        (Some(p), _) => {
            let bytes = if f.end_byte() - f.first_byte() == 1 {
                format!("byte {}", f.first_byte())
            } else {
                format!("bytes {}–{}", f.first_byte(), f.end_byte() - 1)
            };
            let bits = if f.byte_aligned() {
                String::new()
            } else {
                format!(
                    ", bits {}–{} counting from the first byte's top bit",
                    f.bit_offset,
                    f.bit_offset + f.bits as usize - 1
                )
            };
            format!(
                "{} header, {bytes}{bits}; {} bit{} wide",
                p.title,
                f.bits,
                if f.bits == 1 { "" } else { "s" }
            )
        }
        (None, _) => match in_tail {
            Some((p, t)) => format!(
                "inside {}, the {} header's variable part, in each option or record that has it",
                t.field.name, p.title
            ),
            None => "—".to_string(),
        },
    }
}

/// `explain`'s "filled by": who puts the field's value in a packet.
fn filler_words(
    f: &'static Field,
    quoted: bool,
    owner: Option<&'static wire::Protocol>,
    in_tail: Option<(&'static wire::Protocol, &'static wire::TailSpec)>,
) -> String {
    match f.fill {
        Fill::Manual if f == &DATA => "you, with `payload`".to_string(),
        _ if in_tail.is_some() && owner.is_none() => {
            let tail = in_tail.map_or("", |(_, t)| t.field.name);
            format!("you, as the bytes of {tail} (`set {tail} HEX`); the dump shows each option or record")
        }
        Fill::Manual => format!(
            "you; a new template starts with {}",
            f.words(wire::starting_value(f))
        ),
        Fill::Computed => "rawlab computes it on every build, unless you set it (then it is sent exactly as you set it)".to_string(),
        Fill::Kernel(_) if quoted => "you: in a quoted datagram no kernel fills it, so it is sent as the template holds it (rawlab computes the quote's lengths and checksum)".to_string(),
        Fill::Kernel(what) => format!("the kernel: rawlab leaves it 0 unless you set it; {what}"),
        Fill::Interface(what) => format!("rawlab, from the interface a frame goes out on (AF_PACKET adds nothing): {what}, unless you set it"),
    }
}

/// One row of `explain`: a label, then the text wrapped under it.
fn explain_row(
    style: &render::Style,
    out: &mut dyn Write,
    label: &str,
    text: &str,
) -> io::Result<()> {
    let first = format!("  {label:<10} ");
    for l in style.wrap(text, &first, "             ") {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::byte_ranges;

    #[test]
    fn ranges() {
        assert_eq!(
            byte_ranges(&[4, 5, 10, 11, 20, 22, 23]),
            ["4–5", "10–11", "20", "22–23"]
        );
        assert!(byte_ranges(&[]).is_empty());
    }
}
