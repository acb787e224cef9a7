//! The commands that shape the template and the session around it: `new`, `set`,
//! `unset`, `payload`, `mode`, `set timeout`, `hex`, and the narration a script
//! prints (`#`, `say`), each one function.

use super::{Flow, Session, duration_words, socket_words};
use crate::net::Mode;
use crate::render::{self, Tone};
use crate::wire::template::{Payload, Template, Value};
use crate::wire::{self, DATA, Fill, Protocol};
use std::io::{self, Write};
use std::time::{Duration, SystemTime};

impl Session {
    /// `# text`: narration, dim.
    pub(super) fn comment(&mut self, text: &str, out: &mut dyn Write) -> io::Result<Flow> {
        if self.teach.narrate_plainly {
            // As --step says it on a projector: plain text, without the comment marks.
            for l in self.style().wrap(&render::printable(text), "  ", "  ") {
                writeln!(out, "{}", self.style().paint(&l, Tone::Heading))?;
            }
            return Ok(Flow::Continue);
        }
        if text.is_empty() {
            writeln!(out, "{}", self.style().paint("#", Tone::Dim))?;
            return Ok(Flow::Continue);
        }
        for l in self.style().wrap(&render::printable(text), "# ", "# ") {
            writeln!(out, "{}", self.style().paint(&l, Tone::Dim))?;
        }
        Ok(Flow::Continue)
    }

    /// `say text`: narration, plain.
    pub(super) fn say(&mut self, text: &str, out: &mut dyn Write) -> io::Result<Flow> {
        for l in self.style().wrap(&render::printable(text), "", "") {
            writeln!(out, "{l}")?;
        }
        Ok(Flow::Continue)
    }

    pub(super) fn new_template(
        &mut self,
        stack: &[&'static Protocol],
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        self.template = Template::new(stack);
        let len = self.built(SystemTime::now()).bytes.len();
        let mut text = format!(
            "new template {}: {len} bytes; `show` to see it",
            self.template.stack_name()
        );
        match (self.template.is_frame(), self.mode) {
            (true, Mode::Link) => {}
            (true, _) => text.push_str(&format!(
                "; a frame goes out with `mode link` (on {} unless you name another)",
                self.link_iface
            )),
            (false, Mode::Link) => text.push_str(
                "; mode link sends whole frames: `mode raw` (or hdrincl, kernel) sends this packet",
            ),
            (false, _) => {}
        }
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    pub(super) fn set_field(
        &mut self,
        f: &'static wire::Field,
        v: &Value,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let before = self.field_words(f);
        match self.template.set(f, v.clone()) {
            Ok(()) => {
                let after = self.field_words(f);
                self.info(out, &format!("{} = {after} (was {before})", f.name))?;
                Ok(Flow::Continue)
            }
            Err(e) => self.fail(out, &e),
        }
    }

    /// `set ip.opt.NAME …` and `unset ip.opt.NAME`: an option set by name; with
    /// `quoted`, an option of the datagram an ICMP error quotes (`set quoted.ip.opt.rr 9`).
    pub(super) fn set_option(
        &mut self,
        f: &'static wire::Field,
        v: Option<&wire::OptionValue>,
        quoted: bool,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let Some((_, n)) = wire::option_named_by(f) else {
            return self.fail(out, &format!("{} is not an option set by name", f.name));
        };
        let (from, what) = match (quoted, self.template.quote_start()) {
            (false, _) => (0, ""),
            (true, Some(q)) => (q, "quoted "),
            (true, None) => {
                let e = self.template.quote_or_why().unwrap_err();
                return self.fail(out, &e);
            }
        };
        let before = self.option_words_from(from, n);
        let set = |t: &mut wire::template::Template, v| match quoted {
            false => t.set_option(n, v),
            true => t.set_quoted_option(n, v),
        };
        let text = match v {
            Some(v) => match set(&mut self.template, v) {
                Ok(()) => format!(
                    "{what}{} = {} (was {before})",
                    f.name,
                    self.option_words_from(from, n)
                ),
                Err(e) => return self.fail(out, &e),
            },
            None if (if quoted {
                self.template.unset_quoted_option(n)
            } else {
                self.template.unset_option(n)
            }) =>
            {
                format!(
                    "{what}{} taken out (was {before}); {}",
                    f.name,
                    self.option_words_from(from, n)
                )
            }
            None if quoted => format!(
                "quoted {} was not set; the quoted datagram has none",
                f.name
            ),
            None => format!("{} was not set; the template has none", f.name),
        };
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    /// An option set by name in words, in the layers from `from` on (0, or the quoted
    /// datagram's start): its bytes and the header length, or "none".
    fn option_words_from(&self, from: usize, n: &'static wire::NamedOption) -> String {
        let built = self.built(SystemTime::now());
        let Some(&(p, _, hdr)) = built
            .layers
            .iter()
            .skip(from)
            .find(|(p, _, _)| wire::list_with(p, n).is_some())
        else {
            return "none".into();
        };
        let quoted = if from > 0 { "quoted " } else { "" };
        let header = format!("{quoted}{} header {hdr} bytes", p.title);
        match self.template.option_bytes_from(from, n) {
            Some(b) => {
                let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
                let unit = if b.len() == 1 { "byte" } else { "bytes" };
                format!("{} {unit} {}; {header}", b.len(), hex.join(" "))
            }
            None => format!("none; {header}"),
        }
    }

    /// `set quoted.FIELD VALUE`: the field in the quoted datagram of an ICMP error.
    pub(super) fn set_quoted_field(
        &mut self,
        f: &'static wire::Field,
        v: &Value,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let before = self.quoted_words(f);
        match self.template.set_quoted(f, v.clone()) {
            Ok(()) => {
                let after = self.quoted_words(f);
                self.info(out, &format!("quoted {} = {after} (was {before})", f.name))?;
                Ok(Flow::Continue)
            }
            Err(e) => self.fail(out, &e),
        }
    }

    /// A field's value in the quoted datagram, in words.
    pub(super) fn quoted_words(&self, f: &'static wire::Field) -> String {
        let built = self.built(SystemTime::now());
        let dis = wire::dissect::dissect(&built.bytes, built.layers[0].0);
        match dis
            .layers
            .iter()
            .find(|l| l.quoted && l.proto.all_fields().any(|g| g == f))
        {
            Some(l) if l.fields(&built.bytes).any(|g| g == f) => l.words(&built.bytes, f),
            _ => "(not in the quoted datagram)".into(),
        }
    }

    pub(super) fn set_timeout(&mut self, d: Duration, out: &mut dyn Write) -> io::Result<Flow> {
        self.timeout = d;
        let text = format!(
            "send and ping now wait up to {} for replies",
            duration_words(d)
        );
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    /// `unset quoted.FIELD`: the quoted layer's field back to automatic.
    pub(super) fn unset_quoted_field(
        &mut self,
        f: &'static wire::Field,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let had = self.template.unset_quoted(f);
        let now = self.quoted_words(f);
        let text = if had {
            format!("quoted {} is back to automatic: {now}", f.name)
        } else {
            format!("quoted {} was not set; it stays {now}", f.name)
        };
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    pub(super) fn unset_field(
        &mut self,
        f: &'static wire::Field,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let had = self.template.unset(f);
        let now = self.field_words(f);
        let who = match f.fill {
            Fill::Computed => "computed by rawlab",
            Fill::Kernel(_) => "left for the kernel",
            Fill::Manual => "its default",
            Fill::Interface(_) => "filled by rawlab from the sending interface",
        };
        let text = if had {
            format!("{} is back to automatic: {now} ({who})", f.name)
        } else {
            format!("{} was not set; it stays {now} ({who})", f.name)
        };
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    pub(super) fn set_payload(&mut self, p: &Payload, out: &mut dyn Write) -> io::Result<Flow> {
        // The parser held the payload to a fresh template's room; a script checked
        // before it ran cannot know the options set since, which take room too.
        let (len, room) = (
            p.bytes(SystemTime::now()).len(),
            self.template.payload_room(),
        );
        if len > room {
            let text = format!(
                "{len} bytes of payload do not fit: an IP packet holds {} bytes, and the headers of {} as set now leave {room} (`payload zeros {room}` is the most)",
                wire::template::IP_MAX,
                self.template.stack_name()
            );
            return self.fail(out, &text);
        }
        self.template.payload = p.clone();
        self.info(out, &format!("payload: {}", p.describe()))?;
        Ok(Flow::Continue)
    }

    /// `hex`: the template's bytes as hexyl draws them.
    pub(super) fn hex(&mut self, out: &mut dyn Write) -> io::Result<Flow> {
        render::hex(out, &self.built(SystemTime::now()).bytes, &self.style())?;
        Ok(Flow::Continue)
    }

    pub(super) fn set_mode(&mut self, m: Mode, out: &mut dyn Write) -> io::Result<Flow> {
        self.mode = m;
        let built = self.template.build(SystemTime::now());
        let text = format!("mode {}: {}", m.name(), socket_words(m, &built));
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    /// A field's value in the template, in words.
    pub(super) fn field_words(&self, f: &'static wire::Field) -> String {
        if f == &DATA {
            return self.template.payload.describe();
        }
        let built = self.built(SystemTime::now());
        let dis = wire::dissect::dissect(&built.bytes, built.layers[0].0);
        if f.kind == wire::Kind::Bytes {
            return dis
                .layer_of(f)
                .and_then(|l| l.tail())
                .map_or("(none)".into(), |(_, r)| {
                    crate::lab::hex_words(&built.bytes[r])
                });
        }
        // A fixed field is named in its header's context (icmp.code by icmp.type).
        match dis.layer_of(f) {
            Some(l) if l.fields(&built.bytes).any(|g| g == f) => l.words(&built.bytes, f),
            _ => "(not in this packet)".into(),
        }
    }
}
