//! The packet template: a stack of layers, the values the user set, and the
//! payload. Building reads each protocol's table for defaults, writes what
//! the user set exactly as given, and lets each protocol fill what it computes
//! (innermost first, so an outer length covers the finished inner layers).

use crate::wire::{Building, DATA, Field, Fill, Kind, Protocol, eth, icmp, ipv4};
use std::time::SystemTime;

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

    fn layer_of(&self, f: &Field) -> Option<usize> {
        self.layers
            .iter()
            .position(|l| l.proto.all_fields().any(|g| std::ptr::eq(g, f)))
    }

    /// Sets a field. Values have been width-checked by the parser; this checks what
    /// only the template knows (options come in 32-bit words).
    pub fn set(&mut self, f: &'static Field, v: Value) -> Result<(), String> {
        if std::ptr::eq(f, &DATA) {
            let Value::Bytes(b) = v else {
                return Err("data.data takes bytes: hex such as c0de, or \"text\"".into());
            };
            self.payload = Payload::Bytes(b);
            return Ok(());
        }
        let Some(i) = self.layer_of(f) else {
            return Err(format!(
                "{} is not in this template ({})",
                f.name,
                self.stack_name()
            ));
        };
        let layer = &mut self.layers[i];
        match (f.kind, v) {
            (Kind::Bytes, Value::Bytes(b)) => {
                if b.len() % 4 != 0 || b.len() > 40 {
                    return Err(format!(
                        "{} must be a multiple of 4 bytes, at most 40 (the header length counts 32-bit words); you gave {} — pad with 00 (end of options)",
                        f.name,
                        b.len()
                    ));
                }
                layer.tail = Some(b);
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

    /// Puts a field back to automatic (or its default). Returns whether it had been set.
    pub fn unset(&mut self, f: &'static Field) -> bool {
        if std::ptr::eq(f, &DATA) {
            let had = self.payload != Payload::Bytes(Vec::new());
            self.payload = Payload::Bytes(Vec::new());
            return had;
        }
        let Some(i) = self.layer_of(f) else {
            return false;
        };
        let layer = &mut self.layers[i];
        if f.kind == Kind::Bytes {
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
        self.layers.iter().any(|l| {
            l.set.iter().any(|(g, _)| {
                std::ptr::eq(*g, f)
                    || (g.group && f.name.starts_with(&format!("{}.", g.name)))
                    || (f.group && g.name.starts_with(&format!("{}.", f.name)))
            }) || (f.kind == Kind::Bytes
                && l.tail.is_some()
                && l.proto.tail.is_some_and(|t| std::ptr::eq(t, f)))
        })
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
            let mut hdr = vec![0u8; l.proto.fixed_len];
            let write = |hdr: &mut Vec<u8>, fields: &[&'static Field]| {
                for f in fields.iter().filter(|f| !f.group) {
                    f.set(hdr, f.default);
                    let from_interface = matches!(f.fill, Fill::Interface(_))
                        || (i > 0 && matches!(f.fill, Fill::Kernel(_)) && f.kind == Kind::Ipv4);
                    if let (true, Some(local), 0) = (from_interface, local, f.default) {
                        match f.kind {
                            Kind::Mac => f.set(hdr, mac_raw(local.mac)),
                            Kind::Ipv4 => {
                                f.set(hdr, local.ipv4.map_or(0, |a| u32::from(a) as u128))
                            }
                            _ => {}
                        }
                    }
                }
                for (f, raw) in l.set.iter().filter(|(f, _)| fields.contains(f)) {
                    f.set(hdr, *raw);
                }
            };
            write(&mut hdr, l.proto.fields);
            // The layer names the next one (ip.proto 1 for ICMP) unless the user said otherwise.
            if let (Some(nf), Some(next)) = (l.proto.next_field, self.layers.get(i + 1))
                && let (false, Some(code)) = (self.is_set(nf), next.proto.id_under(l.proto))
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
            if let Some(tail) = &l.tail {
                hdr.extend(tail);
            }
            layers.push((l.proto, start, hdr.len()));
            bytes.extend(hdr);
        }
        bytes.extend(self.payload.bytes(now));
        for i in (0..layers.len()).rev() {
            let (p, start, hdr_len) = layers[i];
            let next = layers.get(i + 1).map(|(n, _, _)| *n);
            let mut b = Building {
                packet: &mut bytes,
                start,
                hdr_len,
                next,
                is_set: &|f| self.is_set(f),
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

    /// Whether the template is a whole frame (it starts with a link layer such as Ethernet),
    /// sent with `mode link`, rather than a packet for an IP socket.
    pub fn is_frame(&self) -> bool {
        self.layers.first().is_some_and(|l| l.proto == &eth::ETH)
    }
}

/// A MAC address as a field's raw value.
pub fn mac_raw(mac: [u8; 6]) -> u128 {
    mac.iter().fold(0u128, |acc, b| acc << 8 | *b as u128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dissect::dissect;

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

    #[test]
    fn payload_time_is_sixteen_bytes() {
        assert_eq!(Payload::Time.bytes(SystemTime::now()).len(), 16);
        assert_eq!(Payload::Zeros(56).bytes(now()), vec![0; 56]);
    }
}
