//! IPv4 and IPv6 fragments this session sent, remembered so that a datagram the
//! receiving kernel put back together is related to them: what ties a fragment to
//! its datagram, and the datagram its pieces make.

use super::*;

/// An IPv4 or IPv6 fragment this session sent, as a datagram put back together is
/// compared with its fragments.
pub(in crate::lab) struct FragmentSent {
    no: u64,
    time: std::time::SystemTime,
    /// (source, destination, ip.id, ip.proto): what ties one datagram's fragments; for
    /// IPv6, the fragment header's identification and next header.
    key: FragKey,
    offset: usize,
    more: bool,
    data: Vec<u8>,
}

impl Relater {
    /// The datagram fragments `nos` make when `first` (at offset 0) is one of them: its
    /// header (more fragments cleared, the whole length) and every piece in place.
    pub(super) fn reassembled(&self, first: &Packet, nos: &[u64]) -> Option<Vec<u8>> {
        if !nos.contains(&first.no) {
            return None;
        }
        let mut pieces: Vec<&FragmentSent> = self
            .fragments
            .iter()
            .filter(|f| nos.contains(&f.no))
            .collect();
        pieces.sort_by_key(|f| f.offset);
        let head = pieces
            .first()
            .filter(|f| f.no == first.no && f.offset == 0)?;
        let hdr = first.bytes.len().checked_sub(head.data.len())?;
        let d = dissect(&first.bytes, first.first);
        if let Some(net) = net_layer(&d).filter(|l| l.proto == &ipv6::IPV6) {
            return reassembled6(first, &d, net, &pieces);
        }
        // Where its IPv4 header starts: past a link header, in a frame.
        let ip = net_layer(&d).filter(|l| l.proto == &ipv4::IPV4)?.start;
        let mut b = first.bytes[..hdr].to_vec();
        for f in &pieces {
            if f.offset != b.len() - hdr {
                return None;
            }
            b.extend(&f.data);
        }
        ipv4::FLAG_MF.set(&mut b[ip..], 0);
        let len = (b.len() - ip).min(0xffff) as u128;
        ipv4::LEN.set(&mut b[ip..], len);
        Some(b)
    }

    /// Remembers a send (or a packet read from a file) that is an IPv4 fragment. A
    /// fragment at an offset already held for the same datagram begins it again (the
    /// same fragments sent once more).
    pub(super) fn note_fragment(&mut self, p: &Arc<Packet>, d: &Dissection) {
        let Some((key, offset, more, from)) = piece_of(p, d) else {
            return;
        };
        if self
            .fragments
            .iter()
            .any(|f| f.key == key && f.offset == offset)
        {
            self.fragments.retain(|f| f.key != key);
        }
        push_bounded(
            &mut self.fragments,
            FragmentSent {
                no: p.no,
                time: p.time,
                key,
                offset,
                more,
                data: p.bytes[from..].to_vec(),
            },
        );
    }

    /// Every fragment of the datagram whose first fragment is packet `first` (a send,
    /// or one read from a file), in number order; empty when it was no fragment.
    pub(super) fn fragments_of(&self, first: Option<u64>) -> Vec<u64> {
        let Some(f) = first.and_then(|n| self.fragments.iter().find(|f| f.no == n)) else {
            return Vec::new();
        };
        let mut nos: Vec<u64> = self
            .fragments
            .iter()
            .filter(|g| g.key == f.key)
            .map(|g| g.no)
            .collect();
        nos.sort_unstable();
        nos
    }

    /// Whether a captured datagram is fragments this session sent, put back together
    /// by the receiving kernel: the same addresses (or a source left for the kernel),
    /// id and protocol, and their pieces, laid at their offsets, are its bytes. The
    /// relation names the fragment at offset 0, which carried the upper header.
    pub(super) fn reassembly_of(
        &mut self,
        p: &Arc<Packet>,
        d: &Dissection,
    ) -> Option<(Relation, u64)> {
        if self.fragments.is_empty() {
            return None;
        }
        // What the datagram says of itself: its ends, its id (IPv4's; an AF_INET6 socket
        // hands over no IPv6 header, and so no identification), its protocol, and the
        // bytes the fragments carried.
        let (src, dst, id, proto, data) = match d.layers.first() {
            Some(l) if l.proto == &ipv4::IPV4 => {
                if !l.complete() || ipv4::is_fragment(l.header(&p.bytes)) {
                    return None;
                }
                (
                    l.get(&p.bytes, &ipv4::SRC),
                    l.get(&p.bytes, &ipv4::DST),
                    Some(l.get(&p.bytes, &ipv4::ID)),
                    l.get(&p.bytes, &ipv4::PROTO),
                    p.bytes.get(l.hdr_end..)?,
                )
            }
            Some(l) if !l.proto.starts => {
                let (std::net::IpAddr::V6(src), std::net::IpAddr::V6(dst)) = p.addrs? else {
                    return None;
                };
                let proto = p.first.id_under(&ipv6::IPV6)?;
                (u128::from(src), u128::from(dst), None, proto, &p.bytes[..])
            }
            _ => return None,
        };
        let mut pieces: Vec<&FragmentSent> = self
            .fragments
            .iter()
            .filter(|f| {
                let (fs, fd, fid, fp) = f.key;
                (fs == 0 || fs == src)
                    && fd == dst
                    && id.is_none_or(|id| fid == id)
                    && fp == proto
                    && p.time.duration_since(f.time).unwrap_or_default() < WIRE_WINDOW
            })
            .collect();
        pieces.sort_by_key(|f| (f.offset, f.no));
        pieces.dedup_by_key(|f| f.offset);
        let mut at = 0;
        for f in &pieces {
            if f.offset != at || data.get(at..at + f.data.len()) != Some(&f.data[..]) {
                return None;
            }
            at += f.data.len();
        }
        if at != data.len() || pieces.last().is_none_or(|f| f.more) {
            return None;
        }
        let first = pieces[0].no;
        let mut nos: Vec<u64> = pieces.iter().map(|f| f.no).collect();
        nos.sort_unstable();
        let mode = self
            .sent
            .iter()
            .find(|s| s.packet.no == first)
            .map_or(Mode::HdrIncl, |s| s.mode);
        // Replies are compared with the datagram put back together from now on.
        self.requests.retain(|r| r.sent != Some(first));
        Some((
            Relation::WireCopy {
                sent: first,
                mode,
                changes: Vec::new(),
                fragments: nos,
            },
            first,
        ))
    }
}

/// (source, destination, identification, protocol): what ties fragments together.
type FragKey = (u128, u128, u128, u128);

/// What ties a fragment to its datagram (the key of [`FragmentSent`]), where its piece
/// starts in the datagram, whether more follow, and where the piece starts in the
/// packet: for an IPv4 fragment, or an IPv6 packet with a fragment header saying it is
/// a piece. None for anything else.
fn piece_of(p: &Packet, d: &Dissection) -> Option<(FragKey, usize, bool, usize)> {
    // The network layer, past a link header (a frame read from a file).
    let l = net_layer(d)?;
    let b = &p.bytes;
    if l.proto == &ipv6::IPV6 {
        let f = d
            .layers
            .iter()
            .find(|f| f.proto == &ipv6::FRAGMENT && !f.quoted && f.start >= l.hdr_end)?;
        if !ipv6::is_fragment(f.header(b)) || f.hdr_end > b.len() {
            return None;
        }
        let key = (
            l.get(b, &ipv6::SRC),
            l.get(b, &ipv6::DST),
            f.get(b, &ipv6::FRAG_IDENT),
            f.get(b, &ipv6::FRAG_NXT),
        );
        let offset = ipv6::FRAG_OFFSET.shown(f.get(b, &ipv6::FRAG_OFFSET)) as usize;
        return Some((key, offset, f.get(b, &ipv6::FRAG_MORE) == 1, f.hdr_end));
    }
    if l.proto != &ipv4::IPV4 || !ipv4::is_fragment(l.header(b)) || l.hdr_end > b.len() {
        return None;
    }
    let key = (
        l.get(b, &ipv4::SRC),
        l.get(b, &ipv4::DST),
        l.get(b, &ipv4::ID),
        l.get(b, &ipv4::PROTO),
    );
    let offset = ipv4::FRAG_OFFSET.shown(l.get(b, &ipv4::FRAG_OFFSET)) as usize;
    Some((key, offset, l.get(b, &ipv4::FLAG_MF) == 1, l.hdr_end))
}

/// The IPv6 packet fragments `pieces` make (sorted by offset, the first `first`'s): the
/// headers before the fragment header, the header before it naming what the fragment
/// header named, the payload length the whole's, and every piece in place.
fn reassembled6(
    first: &Packet,
    d: &Dissection,
    net: &Layer,
    pieces: &[&FragmentSent],
) -> Option<Vec<u8>> {
    let k = d
        .layers
        .iter()
        .position(|l| l.proto == &ipv6::FRAGMENT && !l.quoted)?;
    let (frag, before) = (&d.layers[k], d.layers.get(k.checked_sub(1)?)?);
    let nxt = frag.get(&first.bytes, &ipv6::FRAG_NXT);
    let mut b = first.bytes[..frag.start].to_vec();
    let base = b.len();
    for f in pieces {
        if f.offset != b.len() - base {
            return None;
        }
        b.extend(&f.data);
    }
    before.proto.next_field?.set(&mut b[before.start..], nxt);
    let plen = (b.len() - net.start - ipv6::IPV6.fixed_len).min(0xffff);
    ipv6::PLEN.set(&mut b[net.start..], plen as u128);
    Some(b)
}
