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
        let Some(q) = self.quote_start() else {
            return Err(format!(
                "{} quotes no datagram: quoted fields are in stacks such as ip/icmp/ip/udp",
                self.stack_name()
            ));
        };
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
    ) -> Option<(
        usize,
        usize,
        &'static crate::wire::TailSpec,
        &'static crate::wire::OptionList,
    )> {
        let i = self
            .layers
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
        let Some((i, fixed, spec, list)) = self.options_for(n) else {
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
        let Some((i, fixed, spec, _)) = self.options_for(n) else {
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
        let layer = self
            .layers
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
mod tests {
    use super::*;
    use crate::wire::dissect::dissect;

    #[test]
    fn payload_room_is_what_the_ip_length_leaves() {
        use crate::wire::{icmpv6, udp};
        let room = |stack: &[&'static Protocol]| Template::new(stack).payload_room();
        assert_eq!(room(&[&ipv4::IPV4, &udp::UDP]), 65_507);
        assert_eq!(room(&[&ipv4::IPV4, &icmp::ICMP]), 65_507);
        assert_eq!(room(&[&eth::ETH, &ipv4::IPV4, &udp::UDP]), 65_507);
        assert_eq!(room(&[&ipv4::IPV4]), 65_515);
        // IPv6's payload length leaves its fixed header out.
        assert_eq!(room(&[&ipv6::IPV6, &icmpv6::ICMPV6]), 65_527);
        let mut t = Template::new(&[&ipv4::IPV4, &udp::UDP]);
        t.set(&ipv4::OPTIONS, Value::Bytes(vec![1, 1, 1, 0]))
            .unwrap();
        assert_eq!(t.payload_room(), 65_503, "options take room too");
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    #[test]
    fn default_is_the_posts_packet() {
        let b = Template::default().build(now());
        assert_eq!(
            b.bytes,
            [
                0x45, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00,
                0xc0, 0xde
            ]
        );
    }

    #[test]
    fn set_values_round_trip_through_the_dissector() {
        let mut t = Template::default();
        for f in ipv4::FIELDS.iter().chain(icmp::FIELDS).filter(|f| !f.group) {
            let v = 0x5a5a_5a5a & f.max_raw();
            t.set(f, Value::Raw(v)).unwrap();
        }
        let b = t.build(now());
        let d = dissect(&b.bytes, &ipv4::IPV4);
        for f in ipv4::FIELDS.iter().chain(icmp::FIELDS).filter(|f| !f.group) {
            // A header length of 0x5a & 0xf = 10 words reaches past the 20 bytes built.
            if std::ptr::eq(*f, &ipv4::HDR_LEN) {
                continue;
            }
            let l = &d.layers[0];
            if f.name.starts_with("ip.") {
                assert_eq!(
                    f.get(&b.bytes[l.start..]),
                    0x5a5a_5a5a & f.max_raw(),
                    "{}",
                    f.name
                );
            }
        }
        assert_eq!(
            icmp::CHECKSUM.get(&b.bytes[20..]),
            0x5a5a,
            "a set checksum is never fixed"
        );
    }

    #[test]
    fn group_and_members() {
        let mut t = Template::default();
        t.set(&ipv4::FLAGS, Value::Raw(0b010)).unwrap();
        assert!(t.is_set(&ipv4::FLAG_DF));
        t.set(&ipv4::FLAG_MF, Value::Raw(1)).unwrap();
        let b = t.build(now());
        assert_eq!(ipv4::FLAGS.get(&b.bytes), 0b011);
        assert!(t.unset(&ipv4::FLAGS));
        assert!(!t.is_set(&ipv4::FLAG_MF));
        assert_eq!(ipv4::FLAGS.get(&t.build(now()).bytes), 0);
    }

    #[test]
    fn options_grow_the_header() {
        let mut t = Template::default();
        t.set(&ipv4::OPTIONS, Value::Bytes(vec![1, 1, 1, 0]))
            .unwrap();
        let b = t.build(now());
        assert_eq!(ipv4::HDR_LEN.get(&b.bytes), 6);
        assert_eq!(ipv4::LEN.get(&b.bytes), 34);
        assert_eq!(b.layers[1].1, 24);
        let err = t
            .set(&ipv4::OPTIONS, Value::Bytes(vec![1, 1, 0]))
            .unwrap_err();
        assert!(err.contains("multiple of 4"), "{err}");
    }

    #[test]
    fn unset_goes_back_to_automatic() {
        let mut t = Template::default();
        t.set(&icmp::CHECKSUM, Value::Raw(0x1111)).unwrap();
        assert!(t.unset(&icmp::CHECKSUM));
        assert!(!t.unset(&icmp::CHECKSUM));
        assert_eq!(icmp::CHECKSUM.get(&t.build(now()).bytes[20..]), 0x3721);
    }

    /// Checks every checksum rawlab computed against what the bytes add up to.
    fn all_checksums_verify(t: &Template, b: &[u8]) {
        let d = dissect(b, t.layers[0].proto);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.layers.len(), t.layers.len());
        for (i, l) in d.layers.iter().enumerate() {
            for e in (l.proto.expected)(&d.scope(i, b)) {
                if e.field.fill == Fill::Computed {
                    assert_eq!(
                        e.verdict(l.get(b, e.field)),
                        crate::wire::Verdict::Correct,
                        "{}",
                        e.field.name
                    );
                }
            }
        }
    }

    /// Three stacks as a learner builds them, byte for byte; tshark 4.0 called each of
    /// these checksums good.
    #[test]
    fn stacks_build_with_checksums_that_verify() {
        use crate::wire::{icmpv6, ipv6, tcp, udp};
        let hello = || Payload::Bytes(b"hello".to_vec());

        let mut t = Template::new(&[&ipv4::IPV4, &tcp::TCP]);
        t.set(&ipv4::SRC, Value::Raw(0x7f00_0001)).unwrap();
        t.set(&tcp::OPTIONS, Value::Bytes(vec![2, 4, 5, 0xb4, 1, 3, 3, 7]))
            .unwrap();
        t.payload = hello();
        let b = t.build(now()).bytes;
        assert_eq!(ipv4::PROTO.get(&b), 6);
        assert_eq!(tcp::HDR_LEN.get(&b[20..]), 7);
        assert_eq!(tcp::FLAGS.get(&b[20..]), 0x002, "a SYN");
        assert_eq!(tcp::CHECKSUM.get(&b[20..]), 0xaabd);
        all_checksums_verify(&t, &b);

        let mut t = Template::new(&[&ipv4::IPV4, &udp::UDP]);
        t.set(&ipv4::SRC, Value::Raw(0x7f00_0001)).unwrap();
        t.payload = hello();
        let b = t.build(now()).bytes;
        assert_eq!(udp::LENGTH.get(&b[20..]), 13);
        assert_eq!(udp::CHECKSUM.get(&b[20..]), 0x21b6);
        all_checksums_verify(&t, &b);

        let mut t = Template::new(&[&ipv6::IPV6, &icmpv6::ICMPV6]);
        t.payload = hello();
        let b = t.build(now()).bytes;
        assert_eq!(
            &b[..8],
            [0x60, 0, 0, 0, 0, 13, 58, 64],
            "version 6, plen 13, next header ICMPv6, hop limit 64"
        );
        assert_eq!(icmpv6::TYPE.get(&b[40..]), 128);
        assert_eq!(icmpv6::CHECKSUM.get(&b[40..]), 0x3be4);
        all_checksums_verify(&t, &b);

        let t = Template::new(&[
            &ipv6::IPV6,
            &ipv6::HOPOPTS,
            &ipv6::ROUTING,
            &ipv6::FRAGMENT,
            &ipv6::DSTOPTS,
            &udp::UDP,
        ]);
        let b = t.build(now()).bytes;
        let d = dissect(&b, &ipv6::IPV6);
        assert_eq!(
            d.stack_name(),
            "ipv6/ipv6.hopopts/ipv6.routing/ipv6.fraghdr/ipv6.dstopts/udp"
        );
        all_checksums_verify(&t, &b);
    }

    #[test]
    fn a_tail_must_make_whole_words() {
        use crate::wire::ipv6;
        let mut t = Template::new(&[&ipv6::IPV6, &ipv6::HOPOPTS]);
        let err = t
            .set(&ipv6::HOP_OPTIONS, Value::Bytes(vec![1, 0]))
            .unwrap_err();
        assert_eq!(
            err,
            "ipv6.hopopts.options must make the IPv6 hop-by-hop options header a multiple of 8 bytes, at most 2048: its 2 fixed bytes and the 2 you gave make 4 — pad with 00 (Pad1) or 01 NN and NN zeros (PadN)"
        );
        t.set(
            &ipv6::HOP_OPTIONS,
            Value::Bytes(vec![1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        )
        .unwrap();
        let b = t.build(now()).bytes;
        assert_eq!(
            ipv6::HOP_LEN.get(&b[40..]),
            1,
            "16 bytes: one unit past the first 8"
        );
    }

    /// Options set by name: in the order set, one of a kind replaced where it stands,
    /// padded to whole words, the header length following; bytes set before are read
    /// into options; `set ip.options` and `unset` start again.
    #[test]
    fn options_set_by_name_make_the_option_bytes() {
        use crate::wire::OptionValue;
        let named = |f: &Field| crate::wire::option_named_by(f).expect("named").1;
        let (rr, nop, ra) = (
            named(&ipv4::OPT_RR),
            named(&ipv4::OPT_NOP),
            named(&ipv4::ROUTER_ALERT),
        );
        let mut t = Template::default();
        t.set_option(nop, &OptionValue::Count(1)).unwrap();
        t.set_option(rr, &OptionValue::Count(9)).unwrap();
        let b = t.build(now()).bytes;
        assert_eq!(ipv4::HDR_LEN.get(&b), 15, "IHL follows the options");
        assert_eq!(b[20..24], [1, 7, 39, 4]);
        assert_eq!(b.len(), 60 + 10);
        // Full: the router alert does not fit, and the error says what takes the room.
        let e = t.set_option(ra, &OptionValue::Raw(0)).unwrap_err();
        assert!(
            e.contains("only 0 are left") && e.contains("the other options take 40 bytes"),
            "{e}"
        );
        // Replaced where it stands: the no-operation stays first.
        t.set_option(rr, &OptionValue::Count(1)).unwrap();
        t.set_option(ra, &OptionValue::Raw(0)).unwrap();
        let b = t.build(now()).bytes;
        assert_eq!(b[20..32], [1, 7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0]);
        assert_eq!(ipv4::HDR_LEN.get(&b), 8);
        assert_eq!(t.option_bytes(ra), Some(vec![148, 4, 0, 0]));
        assert!(t.unset_option(nop));
        assert!(!t.unset_option(nop), "already out");
        let b = t.build(now()).bytes;
        assert_eq!(
            b[20..32],
            [7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0],
            "padded with zeros"
        );
        // Bytes set as ip.options are read into options, then one is replaced.
        t.set(&ipv4::OPTIONS, Value::Bytes(vec![148, 4, 0, 1]))
            .unwrap();
        assert_eq!(t.option_bytes(ra), Some(vec![148, 4, 0, 1]));
        t.set_option(rr, &OptionValue::Count(2)).unwrap();
        let b = t.build(now()).bytes;
        assert_eq!(
            b[20..36],
            [148, 4, 0, 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert!(t.unset(&ipv4::OPTIONS));
        assert_eq!(t.option_bytes(rr), None);
        assert_eq!(ipv4::HDR_LEN.get(&t.build(now()).bytes), 5);
        // A template with no IPv4 header has none of them.
        let mut v6 = Template::new(&[&ipv6::IPV6, &crate::wire::icmpv6::ICMPV6]);
        let e = v6.set_option(rr, &OptionValue::Count(1)).unwrap_err();
        assert!(
            e.starts_with("ip.opt.rr is not in this template (ipv6/icmpv6)"),
            "{e}"
        );
    }

    /// `new ip/icmp/ip/udp`: a port unreachable quoting a UDP datagram, each layer built
    /// from its table, the quoted IPv4 header's length and checksum computed for the
    /// quoted datagram and the ICMP checksum covering the quote.
    #[test]
    fn an_icmp_error_quotes_its_layers() {
        use crate::wire::{icmpv6, udp};
        let mut t = Template::new(&[&ipv4::IPV4, &icmp::ICMP, &ipv4::IPV4, &udp::UDP]);
        assert_eq!(t.quote_start(), Some(2));
        t.set(&ipv4::DST, Value::Raw(0x7f00_0001)).unwrap();
        t.set_quoted(&ipv4::SRC, Value::Raw(0x7f00_0001)).unwrap();
        t.set_quoted(&ipv4::DST, Value::Raw(0x7f00_0002)).unwrap();
        t.set(&udp::DSTPORT, Value::Raw(33434)).unwrap();
        let built = t.build(now());
        let b = &built.bytes;
        assert_eq!(icmp::TYPE.get(&b[20..]), 3, "destination unreachable");
        assert_eq!(icmp::CODE.get(&b[20..]), 3, "port unreachable");
        assert_eq!(ipv4::DST.get(b), 0x7f00_0001, "the outer destination");
        assert_eq!(ipv4::SRC.get(&b[28..]), 0x7f00_0001);
        assert_eq!(
            ipv4::DST.get(&b[28..]),
            0x7f00_0002,
            "set in the quote only"
        );
        assert_eq!(ipv4::PROTO.get(&b[28..]), 17);
        assert_eq!(ipv4::LEN.get(&b[28..]), 28, "the quoted datagram's length");
        assert_eq!(ipv4::LEN.get(b), 56);
        let d = dissect(b, &ipv4::IPV4);
        assert_eq!(d.stack_name(), "ip/icmp/ip/udp");
        let quoted: Vec<bool> = d.layers.iter().map(|l| l.quoted).collect();
        assert_eq!(quoted, [false, false, true, true]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        // The ICMP checksum covers the quote (the outer IPv4 checksum is the kernel's).
        for e in (icmp::ICMP.expected)(&d.scope(1, b)) {
            assert_eq!(
                e.verdict(d.layers[1].get(b, e.field)),
                crate::wire::Verdict::Correct
            );
        }
        assert_eq!(
            ipv4::CHECKSUM.get(&b[28..]) as u16,
            crate::wire::ipv4::header_checksum(&b[28..48]),
            "the quoted header's checksum"
        );

        let t = Template::new(&[&ipv6::IPV6, &icmpv6::ICMPV6, &ipv6::IPV6, &udp::UDP]);
        let b = t.build(now()).bytes;
        assert_eq!(icmpv6::TYPE.get(&b[40..]), 1);
        assert_eq!(icmpv6::CODE.get(&b[40..]), 4);
        let d = dissect(&b, &ipv6::IPV6);
        assert_eq!(d.stack_name(), "ipv6/icmpv6/ipv6/udp");

        let mut t = Template::new(&[&ipv4::IPV4, &icmp::ICMP, &ipv4::IPV4, &udp::UDP]);
        t.set(&ipv4::TTL, Value::Raw(9)).unwrap();
        t.set_quoted(&ipv4::TTL, Value::Raw(3)).unwrap();
        assert!(t.unset_quoted(&ipv4::TTL));
        assert!(!t.unset_quoted(&ipv4::TTL));
        let b = t.build(now()).bytes;
        assert_eq!((ipv4::TTL.get(&b), ipv4::TTL.get(&b[28..])), (9, 64));

        let mut t = Template::new(&[&ipv4::IPV4, &udp::UDP]);
        assert!(t.set_quoted(&ipv4::SRC, Value::Raw(1)).is_err());
    }

    #[test]
    fn payload_time_is_sixteen_bytes() {
        assert_eq!(Payload::Time.bytes(SystemTime::now()).len(), 16);
        assert_eq!(Payload::Zeros(56).bytes(now()), vec![0; 56]);
    }
}

/// Every stack rawlab builds, through `Template::set` and back through the dissector:
/// one property per protocol table.
#[cfg(test)]
mod properties {
    use super::*;
    use crate::wire::dissect::{Dissection, dissect};
    use crate::wire::{Verdict, icmpv6, ipv6, tcp, udp};
    use proptest::prelude::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    /// Fields a user sets by hand (or leaves for the kernel): everything but groups,
    /// bytes and what rawlab computes.
    fn settable(stack: &[&'static Protocol]) -> Vec<&'static Field> {
        let mut v: Vec<&'static Field> = Vec::new();
        for f in stack.iter().flat_map(|p| p.all_fields()) {
            if !f.group && f.kind != Kind::Bytes && f.fill != Fill::Computed && !v.contains(&f) {
                v.push(f);
            }
        }
        v
    }

    /// Every checksum rawlab computed (not set, not left to the kernel) verifies, in every
    /// layer the dissector can vouch for.
    fn computed_checksums_verify(t: &Template, b: &[u8], d: &Dissection) {
        for (i, l) in d.layers.iter().enumerate() {
            if !l.quoted && d.verifiable(i) {
                layer_checksums_verify(t, b, d, i);
            }
        }
    }

    /// Every checksum rawlab computed in layer `i` verifies.
    fn layer_checksums_verify(t: &Template, b: &[u8], d: &Dissection, i: usize) {
        let l = &d.layers[i];
        for e in (l.proto.expected)(&d.scope(i, b)) {
            if e.field.fill == Fill::Computed && !t.is_set(e.field) {
                let raw = l.get(b, e.field);
                assert_eq!(
                    e.verdict(raw),
                    Verdict::Correct,
                    "{} is {raw:#x}, the bytes add up to {:#x}",
                    e.field.name,
                    e.want
                );
            }
        }
    }

    /// A template of `stack` with the picked fields set (each value cut to its field's
    /// width; a later pick of a field replaces an earlier one) and `payload`, and what
    /// each set field should read back as.
    fn template_with(
        stack: &[&'static Protocol],
        picks: &[(usize, u128)],
        payload: &[u8],
    ) -> (Template, Vec<(&'static Field, u128)>) {
        let fields = settable(stack);
        let mut t = Template::new(stack);
        t.payload = Payload::Bytes(payload.to_vec());
        let mut want: Vec<(&'static Field, u128)> = Vec::new();
        for &(i, v) in picks {
            let f = fields[i % fields.len()];
            let v = v & f.max_raw();
            t.set(f, Value::Raw(v)).unwrap();
            want.retain(|(g, _)| g != &f);
            want.push((f, v));
        }
        (t, want)
    }

    /// Sets random values (each fitting its field) and a random payload; every field the
    /// dissector finds again holds what was set, and computed checksums verify.
    fn round_trip(stack: &[&'static Protocol], picks: &[(usize, u128)], payload: &[u8]) {
        let (t, want) = template_with(stack, picks, payload);
        let b = t.build(now()).bytes;
        let d = dissect(&b, stack[0]);
        for (f, v) in &want {
            // A field the bytes now lay out elsewhere (a later fragment carries no header;
            // another type has other fields) is not there to read back.
            let Some(l) = d
                .layers
                .iter()
                .find(|l| l.proto.all_fields().any(|g| g == *f))
            else {
                continue;
            };
            if l.fields(&b).any(|g| g == *f) && !l.quoted {
                assert_eq!(l.get(&b, f), *v, "{} in {:02x?}", f.name, b);
            }
        }
        computed_checksums_verify(&t, &b, &d);
    }

    fn picks() -> impl Strategy<Value = Vec<(usize, u128)>> {
        prop::collection::vec((any::<usize>(), any::<u128>()), 0..12)
    }

    fn payload() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), 0..48)
    }

    /// Every stack `new` offers, as protocols.
    fn all_stacks() -> Vec<Vec<&'static Protocol>> {
        crate::wire::stacks()
            .iter()
            .map(|s| {
                s.split('/')
                    .map(|n| crate::wire::protocol_named(n).unwrap())
                    .collect()
            })
            .collect()
    }

    /// Any stack, any fields set by hand (each value fitting its field), any options of
    /// whole units, any payload: what was set reads back from the layer built at that
    /// place, the options' bytes come back, and everything rawlab computed verifies:
    /// checksums are correct, header lengths cover the header built, and lengths that
    /// reach to the end of the packet do.
    fn any_stack_round_trip(
        stack: &[&'static Protocol],
        picks: &[(usize, u128)],
        tails: &[(usize, Vec<u8>)],
        payload: &[u8],
    ) {
        let (mut t, want) = template_with(stack, picks, payload);
        // `set` writes into the first layer of a protocol (a second destination options
        // header keeps its default).
        let with_tail: Vec<usize> = (0..stack.len())
            .filter(|i| stack[*i].tail.is_some() && !stack[..*i].contains(&stack[*i]))
            .collect();
        let mut set_tails: Vec<(usize, Vec<u8>)> = Vec::new();
        for (pick, bytes) in tails {
            let Some(&i) = with_tail.get(pick % with_tail.len().max(1)) else {
                break;
            };
            let spec = stack[i].tail.unwrap();
            let fixed = t.header(i, None).len();
            let n = (fixed + bytes.len().min(spec.max_header - fixed)) / spec.unit * spec.unit;
            let Some(n) = n.checked_sub(fixed) else {
                continue;
            };
            t.set(spec.field, Value::Bytes(bytes[..n].to_vec()))
                .unwrap();
            set_tails.retain(|(j, _)| *j != i);
            set_tails.push((i, bytes[..n].to_vec()));
        }
        let built = t.build(now());
        let b = &built.bytes;
        let d = dissect(b, stack[0]);
        d.audit(b, 0).unwrap();
        // The dissected layer that stands for template layer i: same protocol, same place.
        let found = |i: usize| {
            let (p, start, _) = built.layers[i];
            d.layers
                .iter()
                .position(|l| l.proto == p && l.start == start && !l.quoted)
        };
        for (f, v) in &want {
            let i = stack
                .iter()
                .position(|p| p.all_fields().any(|g| g == *f))
                .unwrap();
            let Some(k) = found(i) else { continue };
            let l = &d.layers[k];
            if l.fields(b).any(|g| g == *f) {
                assert_eq!(l.get(b, f), *v, "{} in {:02x?}", f.name, b);
            }
        }
        for (i, bytes) in &set_tails {
            let Some(k) = found(*i) else { continue };
            let l = &d.layers[k];
            // A tail some types give meaning to (an ICMP router advertisement's entries) is
            // data under any other type.
            let (_, start, hdr_len) = built.layers[*i];
            if l.hdr_end == start + hdr_len {
                let got = &b[l.fixed_end..l.hdr_end];
                assert_eq!(got, &bytes[..], "{} options", l.proto.name);
            }
        }
        for (i, &(p, start, hdr_len)) in built.layers.iter().enumerate() {
            let Some(k) = found(i) else { continue };
            let l = &d.layers[k];
            if p.len_field.is_some_and(|f| f.fill == Fill::Computed) {
                assert_eq!(l.hdr_end, start + hdr_len, "{}'s header length", p.name);
            }
            if let Some((claim, f)) = (p.claimed_len)(&b[start..])
                && f.fill == Fill::Computed
            {
                assert_eq!(start + claim, b.len(), "{} reaches the end", f.name);
            }
        }
        // Checksums of the layers rawlab built (the payload after a last `ip` may read as
        // the ICMP its protocol field names, with no checksum rawlab computed).
        for i in 0..built.layers.len() {
            if let Some(k) = found(i).filter(|k| d.verifiable(*k)) {
                layer_checksums_verify(&t, b, &d, k);
            }
        }
    }

    fn tails() -> impl Strategy<Value = Vec<(usize, Vec<u8>)>> {
        prop::collection::vec(
            (any::<usize>(), prop::collection::vec(any::<u8>(), 0..64)),
            0..3,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every stack `new` offers, Ethernet and ARP among them, with options.
        #[test]
        fn every_stack(which in any::<usize>(), p in picks(), t in tails(), d in payload()) {
            let stacks = all_stacks();
            any_stack_round_trip(&stacks[which % stacks.len()], &p, &t, &d);
        }

        #[test]
        fn ethernet_and_arp(p in picks(), t in tails(), d in payload()) {
            use crate::wire::arp;
            any_stack_round_trip(&[&eth::ETH, &arp::ARP], &p, &t, &d);
            any_stack_round_trip(&[&eth::ETH, &ipv4::IPV4, &icmp::ICMP], &p, &t, &d);
            any_stack_round_trip(&[&eth::ETH, &ipv6::IPV6, &ipv6::ROUTING, &icmpv6::ICMPV6], &p, &t, &d);
        }

        #[test]
        fn ipv4_and_icmp(p in picks(), d in payload()) {
            round_trip(&[&ipv4::IPV4, &icmp::ICMP], &p, &d);
        }

        #[test]
        fn tcp(p in picks(), d in payload()) {
            round_trip(&[&ipv4::IPV4, &tcp::TCP], &p, &d);
            round_trip(&[&ipv6::IPV6, &tcp::TCP], &p, &d);
        }

        #[test]
        fn udp(p in picks(), d in payload()) {
            round_trip(&[&ipv4::IPV4, &udp::UDP], &p, &d);
            round_trip(&[&ipv6::IPV6, &udp::UDP], &p, &d);
        }

        #[test]
        fn ipv6_and_icmpv6(p in picks(), d in payload()) {
            round_trip(&[&ipv6::IPV6, &icmpv6::ICMPV6], &p, &d);
        }

        #[test]
        fn ipv6_extension_headers(p in picks(), d in payload()) {
            round_trip(
                &[&ipv6::IPV6, &ipv6::HOPOPTS, &ipv6::ROUTING, &ipv6::FRAGMENT, &ipv6::DSTOPTS, &udp::UDP],
                &p,
                &d,
            );
        }

        /// A computed field the user sets is written as given, never fixed.
        #[test]
        fn computed_fields_keep_what_the_user_set(i in any::<usize>(), v in any::<u128>()) {
            let stacks: [&[&'static Protocol]; 4] = [
                &[&ipv4::IPV4, &tcp::TCP],
                &[&ipv4::IPV4, &udp::UDP],
                &[&ipv6::IPV6, &ipv6::HOPOPTS, &icmpv6::ICMPV6],
                &[&ipv4::IPV4, &icmp::ICMP],
            ];
            for stack in stacks {
                let computed: Vec<&'static Field> = stack
                    .iter()
                    .flat_map(|p| p.all_fields())
                    .filter(|f| f.fill == Fill::Computed && !f.group)
                    .collect();
                let f = computed[i % computed.len()];
                let v = v & f.max_raw();
                let mut t = Template::new(stack);
                t.set(f, Value::Raw(v)).unwrap();
                let built = t.build(now());
                let (p, at, _) = *built.layers.iter().find(|(p, _, _)| p.all_fields().any(|g| g == f)).unwrap();
                // A variant's field is written only when the type makes room for it.
                if p.fields_of(&built.bytes[at..]).any(|g| g == f) {
                    prop_assert_eq!(f.get(&built.bytes[at..]), v, "{}", f.name);
                }
            }
        }

        /// Options set as bytes come back as the same bytes, the header length grown to
        /// cover them.
        #[test]
        fn tails_read_back(words in 0usize..=10, seed in any::<u64>()) {
            let bytes = |n: usize| -> Vec<u8> {
                (0..n).map(|i| (seed.rotate_left(i as u32 * 7) as u8) | 1).collect()
            };
            for (stack, field, len) in [
                (&[&ipv4::IPV4, &udp::UDP][..], &ipv4::OPTIONS, words * 4),
                (&[&ipv4::IPV4, &tcp::TCP][..], &tcp::OPTIONS, words * 4),
                (&[&ipv6::IPV6, &ipv6::HOPOPTS, &udp::UDP][..], &ipv6::HOP_OPTIONS, 6 + words * 8),
            ] {
                let mut t = Template::new(stack);
                let opts = bytes(len);
                t.set(field, Value::Bytes(opts.clone())).unwrap();
                let b = t.build(now()).bytes;
                let d = dissect(&b, stack[0]);
                let l = d.layer_of(field).unwrap();
                let (_, r) = l.tail().unwrap_or((field, l.hdr_end..l.hdr_end));
                prop_assert_eq!(&b[r], &opts[..]);
                prop_assert_eq!(d.layers.len(), stack.len(), "{:?}", d.problems);
                computed_checksums_verify(&t, &b, &d);
            }
        }
    }
}
