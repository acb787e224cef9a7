//! Dissecting: bytes into layers, each with its table, its byte span and any
//! problem found. Like smoltcp's views it makes no judgement as to content:
//! a header that lies about its length is shown as far as the bytes go, with
//! a note saying where and why, and never a panic.

use super::{Field, Protocol, Scope};
use std::ops::Range;

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
}

impl Layer {
    /// The fixed fields (common and variant) that lie wholly inside the bytes present.
    pub fn fields<'a>(&'a self, packet: &'a [u8]) -> impl Iterator<Item = &'static Field> + 'a {
        let header = &packet[self.start..self.hdr_end];
        self.proto
            .fields_of(header)
            .filter(move |f| f.end_byte() <= header.len())
    }

    /// The variable part after the fixed header (options), if any bytes are there.
    pub fn tail(&self) -> Option<(&'static Field, Range<usize>)> {
        let from = self.start + self.proto.fixed_len;
        match self.proto.tail {
            Some(f) if self.hdr_end > from => Some((f, from..self.hdr_end)),
            _ => None,
        }
    }

    /// Bytes of a fixed field inside the packet.
    pub fn span(&self, f: &Field) -> Range<usize> {
        self.start + f.first_byte()..self.start + f.end_byte()
    }

    /// Raw value of a fixed field.
    pub fn get(&self, packet: &[u8], f: &Field) -> u128 {
        f.get(&packet[self.start..self.hdr_end])
    }

    /// Whether the whole fixed header is present.
    pub fn complete(&self) -> bool {
        self.hdr_end - self.start >= self.proto.fixed_len
    }

    pub fn scope<'a>(&self, packet: &'a [u8]) -> Scope<'a> {
        Scope {
            packet,
            start: self.start,
            hdr_end: self.hdr_end,
            end: self.end,
        }
    }
}

/// Something wrong with the bytes: which layer, where, what was needed, what there was.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub layer: &'static str,
    pub offset: usize,
    pub what: String,
}

/// A packet taken apart.
#[derive(Debug, Clone)]
pub struct Dissection {
    pub layers: Vec<Layer>,
    /// The bytes after the last header.
    pub payload: Range<usize>,
    /// Bytes past the length the outermost layer claims (padding, trailers).
    pub trailer: Range<usize>,
    pub problems: Vec<Problem>,
}

impl Dissection {
    /// The layer a field belongs to, if the packet has it.
    pub fn layer_of(&self, f: &Field) -> Option<&Layer> {
        self.layers
            .iter()
            .find(|l| l.proto.all_fields().any(|g| std::ptr::eq(g, f)))
    }

    /// Raw value of a fixed field, if the packet has the whole of it.
    pub fn value(&self, packet: &[u8], f: &Field) -> Option<u128> {
        let l = self.layer_of(f)?;
        l.fields(packet).any(|g| g == f).then(|| l.get(packet, f))
    }

    /// The stack in words: `ip/icmp`.
    pub fn stack_name(&self) -> String {
        let names: Vec<&str> = self.layers.iter().map(|l| l.proto.name).collect();
        names.join("/")
    }

    /// One line: each layer's summary.
    pub fn summary(&self, packet: &[u8]) -> String {
        let mut parts: Vec<String> = self
            .layers
            .iter()
            .filter(|l| l.complete())
            .map(|l| (l.proto.summary)(&packet[l.start..l.hdr_end]))
            .collect();
        if !self.payload.is_empty() {
            parts.push(format!("{} bytes of data", self.payload.len()));
        }
        if !self.problems.is_empty() {
            parts.push("malformed".to_string());
        }
        parts.join(" · ")
    }
}

/// Takes `packet` apart, starting with `first`.
pub fn dissect(packet: &[u8], first: &'static Protocol) -> Dissection {
    dissect_from(packet, 0, first)
}

/// Takes `packet` apart from byte `start` on, starting with `first`: the bytes before
/// are a link-layer header no table reads yet (Ethernet in a capture file). Spans and
/// problem offsets count from the packet's first byte.
pub fn dissect_from(packet: &[u8], start: usize, first: &'static Protocol) -> Dissection {
    let mut layers = Vec::new();
    let mut problems = Vec::new();
    let mut at = start.min(packet.len());
    let mut end = packet.len();
    let mut trailer = end..end;
    let mut next = Some(first);
    while let Some(p) = next {
        let avail = end - at;
        if avail < p.fixed_len {
            problems.push(Problem {
                layer: p.title,
                offset: at,
                what: format!(
                    "{} header truncated: needs {} bytes, has {avail}",
                    p.title, p.fixed_len
                ),
            });
            layers.push(Layer {
                proto: p,
                start: at,
                hdr_end: end,
                end,
            });
            at = end;
            break;
        }
        let claimed = (p.header_len)(&packet[at..end]);
        let mut hdr = claimed;
        if claimed < p.fixed_len {
            problems.push(Problem {
                layer: p.title,
                offset: at,
                what: format!(
                    "header length says {claimed} bytes, less than the {} a {} header needs; read as {}",
                    p.fixed_len, p.title, p.fixed_len
                ),
            });
            hdr = p.fixed_len;
        }
        if hdr > avail {
            problems.push(Problem {
                layer: p.title,
                offset: at,
                what: format!(
                    "header length says {hdr} bytes, but only {avail} are there; options cut short"
                ),
            });
            hdr = avail;
        }
        let mut layer_end = end;
        if let Some((claim, field)) = (p.claimed_len)(&packet[at..end]) {
            if claim < hdr {
                problems.push(Problem {
                    layer: p.title,
                    offset: at + field.first_byte(),
                    what: format!(
                        "{} says {claim} bytes, shorter than its own {hdr}-byte header",
                        field.name
                    ),
                });
            } else if claim > avail {
                problems.push(Problem {
                    layer: p.title,
                    offset: at + field.first_byte(),
                    what: format!(
                        "{} says {claim} bytes, but only {avail} are there",
                        field.name
                    ),
                });
            } else if claim < avail {
                layer_end = at + claim;
                trailer = layer_end..end;
                end = layer_end;
            }
        }
        layers.push(Layer {
            proto: p,
            start: at,
            hdr_end: at + hdr,
            end: layer_end,
        });
        next = (p.next)(&packet[at..at + hdr]);
        at += hdr;
    }
    Dissection {
        layers,
        payload: at..end,
        trailer,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{icmp, ipv4};

    const POST: [u8; 30] = [
        0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x60, 0x09, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde,
    ];

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
    fn small_ihl_is_reported_and_read_as_twenty() {
        let mut p = POST;
        p[0] = 0x43;
        let d = dissect(&p, &ipv4::IPV4);
        assert!(
            d.problems[0].what.contains("less than the 20"),
            "{:?}",
            d.problems
        );
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

        let mut short = POST.to_vec();
        short.extend([0xaa, 0xbb]);
        let d = dissect(&short, &ipv4::IPV4);
        assert!(d.problems.is_empty());
        assert_eq!(d.trailer, 30..32);
        assert_eq!(d.payload, 28..30);
    }
}
