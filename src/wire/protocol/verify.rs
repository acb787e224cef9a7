//! Checking a received layer: the scope its checksum covers, the pseudo-header sum,
//! and what a checked field should hold, with the notes the dump gives when it looks wrong.

use super::*;

/// A checksum over a message and a pseudo-header sum (TCP's, UDP's, ICMPv6's).
pub type ChecksumFn = fn(&[u8], u32) -> u16;

/// A layer of a dissected packet, for verifying: where it starts, where its header and scope end.
pub struct Scope<'a> {
    pub packet: &'a [u8],
    pub start: usize,
    pub hdr_end: usize,
    pub end: usize,
    /// Whether the bytes hold all the layer claims (a quoted packet is cut short).
    pub whole: bool,
    /// The nearest network layer before this one, for pseudo-headers.
    pub network: Network,
    /// When there is none in the packet: the network header it came in, rebuilt from
    /// what the socket reported (its protocol and bytes), for the pseudo-header.
    pub around: Option<(&'static Protocol, &'a [u8])>,
}

impl Scope<'_> {
    pub fn header(&self) -> &[u8] {
        &self.packet[self.start..self.hdr_end]
    }
    /// The header and what it carries, up to the end the outer layer claims.
    pub fn message(&self) -> &[u8] {
        &self.packet[self.start..self.end]
    }
    /// Where the header is in the packet.
    pub fn header_range(&self) -> Range<usize> {
        self.start..self.hdr_end
    }
    /// Where the message is in the packet.
    pub fn message_range(&self) -> Range<usize> {
        self.start..self.end
    }
    /// The pseudo-header sum for `upper` (this layer) over its message.
    pub fn pseudo(&self, upper: &Protocol) -> Option<u32> {
        let len = self.end - self.start;
        match (&self.network, self.around) {
            (None, Some((p, hdr))) => Some((p.pseudo?)(hdr, upper.id_under(p)? as u8, len as u32)),
            _ => pseudo_sum(self.packet, &self.network, upper, len),
        }
    }

    /// What `field`, a checksum over the message and the network layer's pseudo-header
    /// (`sum` computes it), should hold: verifiable only with the whole message and a
    /// network header around it. Offloaded, it holds the pseudo-header sum alone.
    pub fn pseudo_checksum(
        &self,
        upper: &Protocol,
        field: &'static Field,
        sum: ChecksumFn,
    ) -> Vec<Expected> {
        match self.pseudo(upper) {
            Some(p) if self.whole => vec![Expected {
                field,
                want: sum(self.message(), p) as u128,
                covers: self.message_range(),
                pseudo: p,
                offloaded: Some(crate::wire::checksum::fold(p as u64) as u128),
                recorded: None,
            }],
            _ => Vec::new(),
        }
    }
}

pub(super) fn pseudo_sum(
    packet: &[u8],
    network: &Network,
    upper: &Protocol,
    len: usize,
) -> Option<u32> {
    let (p, r) = network.as_ref()?;
    let code = upper.id_under(p)?;
    let hdr = packet.get(r.clone())?;
    Some((p.pseudo?)(hdr, code as u8, len as u32))
}

/// What a checked field (a checksum) should hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub field: &'static Field,
    pub want: u128,
    /// The bytes the checksum covers (offsets in the packet), the field among them
    /// counted as zero, and the pseudo-header sum added to them (0 when none): what
    /// `explain` works through by hand.
    pub covers: Range<usize>,
    pub pseudo: u32,
    /// A different value with an innocent explanation: the pseudo-header sum a kernel
    /// leaves in a checksum for the network card to finish (checksum offload). Some
    /// exactly for checksums that cover a pseudo-header.
    pub offloaded: Option<u128>,
    /// The sum of the header as it arrived, before the receiving kernel wrote its own
    /// address into a record-route slot or its time into a timestamp's (Linux writes
    /// after checking the checksum and does not sum again): what the captured copy's
    /// checksum still holds.
    pub recorded: Option<u128>,
}

/// How a checked field's value compares with what it should hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Correct,
    /// The pseudo-header sum only, left for checksum offload to finish.
    Offloaded,
    /// 0xffff where a fresh sum gives 0x0000: ones' complement has two zeros, and when
    /// the other bytes add up to 0xffff either brings the receiver's sum to all ones.
    /// (Not the other way round: bytes that are all zero add up to 0x0000, and only
    /// 0xffff completes them; with 0x0000 the receiver drops the message.)
    OtherZero,
    /// Right for the header as it arrived: the receiving kernel wrote into a record-route
    /// or timestamp option after checking it (see [`Expected::recorded`]).
    Recorded,
    Wrong,
}

/// Why a received header with a record route or a timestamp can look wrong, for the
/// dump.
pub const RECORDED_NOTE: &str = "right for the header as it arrived: the receiving kernel checked the checksum, then wrote into the options without summing the header again (its address in a record route's next slot, its time in a timestamp's, moving ip.opt.ptr on, or one more in ip.opt.overflow when the slots were full), so the copy a socket gets no longer adds up";

/// Why 0x0000 is as good as 0xffff, for the dump.
pub const OTHER_ZERO_NOTE: &str = "0xffff and 0x0000 are both zero in ones' complement: the other bytes add up to 0xffff, whose complement 0x0000 a fresh sum writes, and 0xffff brings the receiver's sum to all ones just the same, so its check passes either way";

/// Why 0x0000 is wrong where every other byte is zero, for the dump.
pub const ALL_ZERO_NOTE: &str = "every other byte it covers is zero, so they add up to 0x0000 and only 0xffff completes them: with 0x0000, the other zero of ones' complement, the receiver's sum stays 0x0000 instead of all ones, and it drops the message (Linux writes 0x0000 on its echo reply to an all-zero request, and its own receiving side then counts it in Icmp InCsumErrors)";

/// Why a checksum can hold just the pseudo-header sum, for the dump.
pub const OFFLOAD_NOTE: &str = "only the pseudo-header sum: the sending kernel left the rest to the network card (checksum offload), and a copy taken before the card, or on lo where no card finishes it, shows it unfinished; the receiving kernel knows and accepts it";

impl Expected {
    /// A checksum over `covers` alone, with nothing else to accept.
    pub fn sum(field: &'static Field, want: u128, covers: Range<usize>) -> Expected {
        Expected {
            field,
            want,
            covers,
            pseudo: 0,
            offloaded: None,
            recorded: None,
        }
    }

    pub fn verdict(&self, raw: u128) -> Verdict {
        if raw == self.want {
            Verdict::Correct
        } else if self.offloaded == Some(raw) {
            Verdict::Offloaded
        } else if self.recorded == Some(raw) {
            Verdict::Recorded
        } else if raw == 0xffff && self.want == 0 && self.pseudo == 0 && self.offloaded.is_none() {
            // Only for sums with no pseudo-header (ICMPv4, the IPv4 header): for UDP
            // 0x0000 means "no checksum", which its own table judges.
            Verdict::OtherZero
        } else {
            Verdict::Wrong
        }
    }
}
