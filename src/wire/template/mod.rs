//! The packet template: a stack of layers, the values the user set, and the
//! payload. Building reads each protocol's table for defaults, writes what
//! the user set exactly as given, and lets each protocol fill what it computes
//! (innermost first, so an outer length covers the finished inner layers).

use crate::wire::{
    Building, DATA, Field, Fill, Kind, NamedOption, OptionValue, Protocol, eth, icmp, ipv4, ipv6,
};
use std::time::SystemTime;

/// The most an IP packet holds: IPv4's total length and IPv6's payload length are
/// 16 bits (a jumbogram aside).
pub const IP_MAX: usize = 65_535;

/// The bytes after the last header.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Bytes(Vec<u8>),
    /// A send timestamp, as ping(8) puts it: seconds and microseconds, 8 bytes each, host order.
    Time,
    Zeros(usize),
}

impl Payload {
    pub fn bytes(&self, now: SystemTime) -> Vec<u8> {
        match self {
            Payload::Bytes(b) => b.clone(),
            Payload::Zeros(n) => vec![0; *n],
            Payload::Time => {
                let t = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                let mut b = t.as_secs().to_ne_bytes().to_vec();
                b.extend((t.subsec_micros() as u64).to_ne_bytes());
                b
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Payload::Bytes(b) if b.is_empty() => "none".into(),
            Payload::Bytes(b) => format!("{} bytes", b.len()),
            Payload::Time => "a 16-byte send timestamp".into(),
            Payload::Zeros(n) => format!("{n} zero bytes"),
        }
    }
}

/// A value given to `set`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Raw(u128),
    Bytes(Vec<u8>),
}

/// One layer of the template and what the user set in it, in the order they set it.
#[derive(Debug, Clone)]
pub struct TemplateLayer {
    pub proto: &'static Protocol,
    set: Vec<(&'static Field, u128)>,
    tail: Option<Vec<u8>>,
    /// The options set by name, in the order set (each kind once; a run of no-operation
    /// bytes is one): `tail` is made from them, padded to whole words.
    named: Vec<(u128, Vec<u8>)>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub layers: Vec<TemplateLayer>,
    pub payload: Payload,
}

/// The addresses of the interface a frame goes out on, for the fields rawlab fills
/// from it (eth.src, arp.src.*, and ip.src inside a frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub mac: [u8; 6],
    pub ipv4: Option<std::net::Ipv4Addr>,
}

/// A built packet and where each layer sits in it.
#[derive(Debug, Clone)]
pub struct Built {
    pub bytes: Vec<u8>,
    /// (protocol, first byte, header length)
    pub layers: Vec<(&'static Protocol, usize, usize)>,
}

impl Default for Template {
    /// The post's packet: IPv4 to 127.0.0.1, TTL 64, ICMP echo request, payload C0 DE,
    /// with id, source and IP checksum left 0 for the kernel.
    fn default() -> Self {
        let mut t = Template::new(&[&ipv4::IPV4, &icmp::ICMP]);
        t.payload = Payload::Bytes(vec![0xc0, 0xde]);
        t
    }
}

impl Template {
    /// An empty template over a stack of layers, every field at its table default.
    pub fn new(stack: &[&'static Protocol]) -> Template {
        Template {
            layers: stack
                .iter()
                .map(|p| TemplateLayer {
                    proto: p,
                    set: Vec::new(),
                    tail: None,
                    named: Vec::new(),
                })
                .collect(),
            payload: Payload::Bytes(Vec::new()),
        }
    }

    pub fn stack(&self) -> Vec<&'static Protocol> {
        self.layers.iter().map(|l| l.proto).collect()
    }

    /// `ip/icmp`
    pub fn stack_name(&self) -> String {
        let names: Vec<&str> = self.layers.iter().map(|l| l.proto.name).collect();
        names.join("/")
    }

    /// The first layer from `from` on that has this field.
    fn layer_of(&self, from: usize, f: &Field) -> Option<usize> {
        self.layers
            .iter()
            .skip(from)
            .position(|l| l.proto.all_fields().any(|g| std::ptr::eq(g, f)))
            .map(|i| i + from)
    }

    /// Where the quoted datagram starts, in an ICMP error built as layers
    /// (`ip/icmp/ip/udp`: 2).
    pub fn quote_start(&self) -> Option<usize> {
        quote_start(&self.stack())
    }

    /// Sets a field. Values have been width-checked by the parser; this checks what
    /// only the template knows (options come in 32-bit words). A field goes to the first
    /// layer that has it: the outer one, when an ICMP error quotes the same protocol.
    pub fn set(&mut self, f: &'static Field, v: Value) -> Result<(), String> {
        self.set_in(0, f, v)
    }

    /// Sets a field in the quoted datagram (`set quoted.ip.src`): the first layer after
    /// the ICMP error that has it.
    pub fn set_quoted(&mut self, f: &'static Field, v: Value) -> Result<(), String> {
        let q = self.quote_or_why()?;
        if std::ptr::eq(f, &DATA) {
            return self.set_in(0, f, v);
        }
        if self.layer_of(q, f).is_none() {
            return Err(format!(
                "{} is not in the quoted datagram ({})",
                f.name,
                self.layers[q..]
                    .iter()
                    .map(|l| l.proto.name)
                    .collect::<Vec<_>>()
                    .join("/")
            ));
        }
        self.set_in(q, f, v)
    }

    fn set_in(&mut self, from: usize, f: &'static Field, v: Value) -> Result<(), String> {
        if std::ptr::eq(f, &DATA) {
            let Value::Bytes(b) = v else {
                return Err("data.data takes bytes: hex such as c0de, or \"text\"".into());
            };
            self.payload = Payload::Bytes(b);
            return Ok(());
        }
        let Some(i) = self.layer_of(from, f) else {
            return Err(format!(
                "{} is not in this template ({})",
                f.name,
                self.stack_name()
            ));
        };
        let fixed = self.header(i, None).len();
        let layer = &mut self.layers[i];
        match (f.kind, v) {
            (Kind::Bytes, Value::Bytes(b)) => {
                let Some(spec) = layer.proto.tail else {
                    return Err(format!("{} cannot be set", f.name));
                };
                let total = fixed + b.len();
                if !total.is_multiple_of(spec.unit) || total > spec.max_header {
                    return Err(format!(
                        "{} must make the {} header a multiple of {} bytes, at most {}: its {fixed} fixed bytes and the {} you gave make {total} — {}",
                        f.name,
                        layer.proto.title,
                        spec.unit,
                        spec.max_header,
                        b.len(),
                        spec.pad
                    ));
                }
                layer.tail = Some(b);
                layer.named.clear();
            }
            (Kind::Bytes, Value::Raw(_)) => {
                return Err(format!("{} takes bytes in hex, such as 01010100", f.name));
            }
            (_, Value::Raw(raw)) => {
                // A group replaces what was set in its members; a later member overrides a group.
                let member_of = |g: &Field, m: &Field| m.name.starts_with(&format!("{}.", g.name));
                layer
                    .set
                    .retain(|(g, _)| !(std::ptr::eq(*g, f) || f.group && member_of(f, g)));
                layer.set.push((f, raw));
            }
            (_, Value::Bytes(_)) => {
                return Err(format!("{} takes a number, not bytes", f.name));
            }
        }
        Ok(())
    }

    /// The layer whose options have this option set by name (the first), its fixed
    /// header's length, its tail and option list; the options it holds as bytes read
    /// into options set by name, so one can be replaced or taken out.
    fn options_for(
        &mut self,
        n: &NamedOption,
        from: usize,
    ) -> Option<(
        usize,
        usize,
        &'static crate::wire::TailSpec,
        &'static crate::wire::OptionList,
    )> {
        let i = from
            + self
                .layers
                .get(from..)?
                .iter()
                .position(|l| crate::wire::list_with(l.proto, n).is_some())?;
        let fixed = self.header(i, None).len();
        let layer = &mut self.layers[i];
        let (spec, list) = (layer.proto.tail?, crate::wire::list_with(layer.proto, n)?);
        if layer.named.is_empty()
            && let Some(t) = &layer.tail
        {
            layer.named = list.split(t);
        }
        Some((i, fixed, spec, list))
    }

    /// Sets an option by name (`set ip.opt.rr 9`) in the first layer whose options have
    /// it: it replaces one of its kind where that stood, or goes after the others, and
    /// the layer's options are made again from them, padded with zeros (end of list) to
    /// whole words. Options set as bytes before are read into options first.
    pub fn set_option(&mut self, n: &'static NamedOption, v: &OptionValue) -> Result<(), String> {
        self.set_option_from(0, n, v)
    }

    /// Sets an option by name in the quoted datagram (`set quoted.ip.opt.rr 9`): in its
    /// first layer whose options have it.
    pub fn set_quoted_option(
        &mut self,
        n: &'static NamedOption,
        v: &OptionValue,
    ) -> Result<(), String> {
        let q = self.quote_or_why()?;
        self.set_option_from(q, n, v)
    }

    /// Where the quoted datagram starts, or why there is none.
    pub fn quote_or_why(&self) -> Result<usize, String> {
        self.quote_start().ok_or_else(|| {
            format!(
                "{} quotes no datagram: quoted fields are in stacks such as ip/icmp/ip/udp",
                self.stack_name()
            )
        })
    }

    fn set_option_from(
        &mut self,
        from: usize,
        n: &'static NamedOption,
        v: &OptionValue,
    ) -> Result<(), String> {
        let Some((i, fixed, spec, list)) = self.options_for(n, from) else {
            return Err(format!(
                "{} is not in this template ({}): it is an option of {}",
                n.field.name,
                self.stack_name(),
                crate::wire::option_named_by(n.field).map_or("another layer", |(p, _)| p.title)
            ));
        };
        let layer = &mut self.layers[i];
        let others: usize = layer
            .named
            .iter()
            .filter(|(c, _)| *c != n.code)
            .map(|(_, b)| b.len())
            .sum();
        let room = spec.max_header.saturating_sub(fixed + others);
        let bytes = n.build(list, v, room).map_err(|e| {
            if others > 0 {
                format!(
                    "{e}; the other options take {others} bytes of the {} (`unset` one, or `unset {}` for none)",
                    spec.max_header - fixed,
                    spec.field.name
                )
            } else {
                e
            }
        })?;
        match layer.named.iter_mut().find(|(c, _)| *c == n.code) {
            Some(slot) => slot.1 = bytes,
            None => layer.named.push((n.code, bytes)),
        }
        layer.tail = Some(compose(&layer.named, spec.unit, fixed));
        Ok(())
    }

    /// Takes an option set by name out of the template. Returns whether it was there.
    pub fn unset_option(&mut self, n: &'static NamedOption) -> bool {
        self.unset_option_from(0, n)
    }

    /// Takes an option set by name out of the quoted datagram.
    pub fn unset_quoted_option(&mut self, n: &'static NamedOption) -> bool {
        self.quote_start()
            .is_some_and(|q| self.unset_option_from(q, n))
    }

    fn unset_option_from(&mut self, from: usize, n: &'static NamedOption) -> bool {
        let Some((i, fixed, spec, _)) = self.options_for(n, from) else {
            return false;
        };
        let layer = &mut self.layers[i];
        let before = layer.named.len();
        layer.named.retain(|(c, _)| *c != n.code);
        if layer.named.len() == before {
            return false;
        }
        layer.tail = (!layer.named.is_empty()).then(|| compose(&layer.named, spec.unit, fixed));
        true
    }

    /// The bytes of an option set by name, if the template holds one of its kind.
    pub fn option_bytes(&self, n: &'static NamedOption) -> Option<Vec<u8>> {
        self.option_bytes_from(0, n)
    }

    /// The bytes of an option set by name, from layer `from` on (the quoted datagram's
    /// start, for its options).
    pub fn option_bytes_from(&self, from: usize, n: &'static NamedOption) -> Option<Vec<u8>> {
        let layer = self
            .layers
            .get(from..)?
            .iter()
            .find(|l| crate::wire::list_with(l.proto, n).is_some())?;
        let list = crate::wire::list_with(layer.proto, n)?;
        let named = if layer.named.is_empty() {
            list.split(layer.tail.as_deref()?)
        } else {
            layer.named.clone()
        };
        named
            .into_iter()
            .find(|(c, _)| *c == n.code)
            .map(|(_, b)| b)
    }

    /// Puts a field of the quoted datagram back to automatic. Returns whether it had
    /// been set.
    pub fn unset_quoted(&mut self, f: &'static Field) -> bool {
        match self.quote_start() {
            Some(q) if !std::ptr::eq(f, &DATA) => self.unset_in(q, f),
            _ => false,
        }
    }

    /// Puts a field back to automatic (or its default). Returns whether it had been set.
    pub fn unset(&mut self, f: &'static Field) -> bool {
        self.unset_in(0, f)
    }

    fn unset_in(&mut self, from: usize, f: &'static Field) -> bool {
        if std::ptr::eq(f, &DATA) {
            let had = self.payload != Payload::Bytes(Vec::new());
            self.payload = Payload::Bytes(Vec::new());
            return had;
        }
        let Some(i) = self.layer_of(from, f) else {
            return false;
        };
        let layer = &mut self.layers[i];
        if f.kind == Kind::Bytes {
            layer.named.clear();
            return layer.tail.take().is_some();
        }
        let before = layer.set.len();
        let member_of = |m: &Field| m.name.starts_with(&format!("{}.", f.name));
        layer
            .set
            .retain(|(g, _)| !(std::ptr::eq(*g, f) || f.group && member_of(g)));
        layer.set.len() != before
    }

    /// Whether the user set this field (or, for a member, its group).
    pub fn is_set(&self, f: &Field) -> bool {
        if std::ptr::eq(f, &DATA) {
            return true;
        }
        (0..self.layers.len()).any(|i| self.layer_is_set(i, f))
    }

    /// Whether the user set this field (or its group) in layer `i`.
    pub fn layer_is_set(&self, i: usize, f: &Field) -> bool {
        let l = &self.layers[i];
        {
            l.set.iter().any(|(g, _)| {
                std::ptr::eq(*g, f)
                    || (g.group && f.name.starts_with(&format!("{}.", g.name)))
                    || (f.group && g.name.starts_with(&format!("{}.", f.name)))
            }) || (f.kind == Kind::Bytes
                && l.tail.is_some()
                && l.proto.tail.is_some_and(|t| std::ptr::eq(t.field, f)))
        }
    }

    /// The value a field will be built with, if set by the user.
    pub fn user_value(&self, f: &Field) -> Option<u128> {
        self.layers
            .iter()
            .flat_map(|l| l.set.iter())
            .rev()
            .find(|(g, _)| std::ptr::eq(*g, f))
            .map(|(_, v)| *v)
    }

    /// Layer `i`'s fixed header: defaults, what the user set, the field naming the next
    /// layer, and the fields of the variant the bytes pick. No tail.
    fn header(&self, i: usize, local: Option<&Local>) -> Vec<u8> {
        let l = &self.layers[i];
        let mut hdr = vec![0u8; l.proto.fixed_len.max(l.proto.common_end())];
        let write = |hdr: &mut Vec<u8>, fields: &[&'static Field]| {
            for f in fields.iter().filter(|f| !f.group) {
                f.set(hdr, f.default);
                // Inside a frame no kernel fills the sender's addresses: rawlab does,
                // from the interface the frame goes out on.
                let from_interface = matches!(f.fill, Fill::Interface(_))
                    || (i > 0 && matches!(f.fill, Fill::Kernel(_)) && f.kind == Kind::Ipv4);
                if let (true, Some(local), 0) = (from_interface, local, f.default) {
                    match f.kind {
                        Kind::Mac => f.set(hdr, mac_raw(local.mac)),
                        Kind::Ipv4 => f.set(hdr, local.ipv4.map_or(0, |a| u32::from(a) as u128)),
                        _ => {}
                    }
                }
            }
            for (f, raw) in l.set.iter().filter(|(f, _)| fields.contains(f)) {
                f.set(hdr, *raw);
            }
        };
        write(&mut hdr, l.proto.fields);
        // An error message before the network layer it quotes is an error unless the user
        // said which message: port unreachable.
        if let (Some(q), Some(next)) = (l.proto.quote, self.layers.get(i + 1))
            && next.proto == q.network
            && !self.layer_is_set(i, q.type_field)
        {
            q.type_field.set(&mut hdr, q.default.0);
            if !self.layer_is_set(i, q.code_field) {
                q.code_field.set(&mut hdr, q.default.1);
            }
        }
        // The layer names the next one (ip.proto 1 for ICMP) unless the user said otherwise.
        if let (Some(nf), Some(next)) = (l.proto.next_field, self.layers.get(i + 1))
            && let (false, Some(code)) = (self.layer_is_set(i, nf), next.proto.id_under(l.proto))
        {
            nf.set(&mut hdr, code);
        }
        // Variant fields follow from the common ones (ICMP's type picks its rest of header).
        if let Some(variant) = l.proto.variant {
            let fields = variant(&hdr);
            let need = fields.iter().map(|f| f.end_byte()).max().unwrap_or(0);
            if need > hdr.len() {
                hdr.resize(need, 0);
            }
            write(&mut hdr, fields);
        }
        hdr
    }

    /// Builds the bytes as they will be handed to the kernel.
    pub fn build(&self, now: SystemTime) -> Built {
        self.build_on(now, None)
    }

    /// Builds the bytes, filling what comes from the sending interface when it is known:
    /// fields marked `Fill::Interface`, and the addresses a kernel would fill on an IP
    /// socket (ip.src) in a layer no kernel will see, inside a frame.
    pub fn build_on(&self, now: SystemTime, local: Option<&Local>) -> Built {
        let mut bytes = Vec::new();
        let mut layers = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let start = bytes.len();
            let mut hdr = self.header(i, local);
            if let Some(spec) = l.proto.tail {
                hdr.extend(l.tail.as_deref().unwrap_or(spec.default));
            }
            layers.push((l.proto, start, hdr.len()));
            bytes.extend(hdr);
        }
        bytes.extend(self.payload.bytes(now));
        for i in (0..layers.len()).rev() {
            let (p, start, hdr_len) = layers[i];
            let next = layers.get(i + 1).map(|(n, _, _)| *n);
            let network = layers[..i]
                .iter()
                .rev()
                .find(|(n, _, _)| n.pseudo.is_some())
                .map(|&(n, s, h)| (n, s..s + h));
            let mut b = Building {
                packet: &mut bytes,
                start,
                hdr_len,
                next,
                network,
                is_set: &|f| self.layer_is_set(i, f),
            };
            (p.fill)(&mut b);
        }
        Built { bytes, layers }
    }

    /// A field's fill in words for the template view: who writes it.
    pub fn who_writes(&self, f: &Field) -> Option<String> {
        if self.is_set(f) {
            return Some("set by you".into());
        }
        match f.fill {
            Fill::Manual => None,
            Fill::Computed => Some("computed by rawlab".into()),
            Fill::Kernel(_) => Some("left 0 for the kernel".into()),
            Fill::Interface(_) => Some("filled by rawlab from the sending interface".into()),
        }
    }

    /// How many payload bytes fit after these headers: 65,535 less what the first IP
    /// layer's length counts of them (IPv4's total length counts its own header, IPv6's
    /// payload length not its fixed 40 bytes), so 65,507 for ip/udp; a frame's link
    /// header is not counted, and with no IP layer every header is.
    pub fn payload_room(&self) -> usize {
        let headers = Template {
            layers: self.layers.clone(),
            payload: Payload::Bytes(Vec::new()),
        }
        .build(SystemTime::UNIX_EPOCH);
        let len = headers.bytes.len();
        let counted = match headers
            .layers
            .iter()
            .find(|(p, _, _)| std::ptr::eq(*p, &ipv4::IPV4) || std::ptr::eq(*p, &ipv6::IPV6))
        {
            Some((p, start, _)) if std::ptr::eq(*p, &ipv6::IPV6) => {
                len.saturating_sub(start + ipv6::IPV6.fixed_len)
            }
            Some((_, start, _)) => len - start,
            None if self.is_frame() => len - headers.layers[0].2,
            None => len,
        };
        IP_MAX.saturating_sub(counted)
    }

    /// Whether the template is a whole frame (it starts with a link layer such as Ethernet),
    /// sent with `mode link`, rather than a packet for an IP socket.
    pub fn is_frame(&self) -> bool {
        self.layers.first().is_some_and(|l| l.proto == &eth::ETH)
    }
}

/// Options one after another, then zeros (end of list) until the header with its
/// `fixed` bytes is a multiple of `unit`.
fn compose(named: &[(u128, Vec<u8>)], unit: usize, fixed: usize) -> Vec<u8> {
    let mut b: Vec<u8> = named.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    while !(fixed + b.len()).is_multiple_of(unit) {
        b.push(0);
    }
    b
}

/// Where the quoted datagram starts in a stack: the layer after an error message
/// that is the network layer it quotes (`ip/icmp/ip/udp`: 2).
pub fn quote_start(stack: &[&'static Protocol]) -> Option<usize> {
    stack
        .windows(2)
        .position(|w| w[0].quote.is_some_and(|q| q.network == w[1]))
        .map(|i| i + 1)
}

/// A MAC address as a field's raw value.
pub fn mac_raw(mac: [u8; 6]) -> u128 {
    mac.iter().fold(0u128, |acc, b| acc << 8 | *b as u128)
}

#[cfg(test)]
mod tests;

/// Every stack rawlab builds, through `Template::set` and back through the dissector:
/// one property per protocol table.
#[cfg(test)]
mod properties;
