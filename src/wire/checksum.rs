//! The Internet checksum (RFC 1071): the ones' complement of the ones'
//! complement sum of 16-bit big-endian words. IPv4, ICMP, TCP and UDP all use it.

use std::ops::Range;

/// The ones' complement sum of `data` as 16-bit big-endian words, an odd last
/// byte padded with zero, added to `initial` (a pseudo-header sum), carries folded.
pub fn sum(data: &[u8], initial: u32) -> u16 {
    fold(wide_sum(data, initial))
}

/// The sum before its carries are folded: exact, so parts can be taken back out.
fn wide_sum(data: &[u8], initial: u32) -> u64 {
    let mut acc = initial as u64;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u16::from_be_bytes([w[0], w[1]]) as u64;
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u64) << 8;
    }
    acc
}

/// `sum` with the bytes at `zero` taken as 0: the sum a checksum field is computed
/// from while the field holds something else (no copy of the data is made).
pub fn sum_zeroed(data: &[u8], initial: u32, zero: Range<usize>) -> u16 {
    let mut acc = wide_sum(data, initial);
    // The sum is exact until folded: take the zeroed bytes' part back out.
    let end = zero.end.min(data.len());
    for (i, b) in data.iter().enumerate().take(end).skip(zero.start) {
        acc -= if i % 2 == 0 {
            (*b as u64) << 8
        } else {
            *b as u64
        };
    }
    fold(acc)
}

/// Folds the carries of a wide sum back into 16 bits.
pub fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The checksum to store: the complement of the sum.
pub fn internet(data: &[u8]) -> u16 {
    !sum(data, 0)
}

/// A checksum worked through by hand, for `explain`: each 16-bit word added in turn,
/// the carries folded back in, the complement taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Worked {
    /// The pseudo-header's sum, added before the words (0 when there is none).
    pub pseudo: u32,
    /// Each word: where it starts in the packet, its value (the checksum's own bytes
    /// counted as 0, an odd last byte padded with a zero), and the sum so far.
    pub words: Vec<(usize, u16, u64)>,
    /// The sum before folding.
    pub total: u64,
    /// The sum with its carries added back in, 16 bits.
    pub folded: u16,
    /// Its complement: what the checksum should be.
    pub complement: u16,
}

/// Works the checksum over `covers` (offsets in `packet`), the bytes of `field` taken
/// as zero, starting from the pseudo-header sum `pseudo`.
pub fn work(packet: &[u8], covers: Range<usize>, field: Range<usize>, pseudo: u32) -> Worked {
    let byte = |i: usize| {
        if field.contains(&i) || i >= covers.end {
            0
        } else {
            packet.get(i).copied().unwrap_or(0)
        }
    };
    let mut acc = u64::from(pseudo);
    let mut words = Vec::new();
    for at in covers.clone().step_by(2) {
        let w = u16::from_be_bytes([byte(at), byte(at + 1)]);
        acc += u64::from(w);
        words.push((at, w, acc));
    }
    let folded = fold(acc);
    Worked {
        pseudo,
        words,
        total: acc,
        folded,
        complement: !folded,
    }
}

/// Whether bytes that include their own checksum field add up correctly.
pub fn verifies(data: &[u8]) -> bool {
    sum(data, 0) == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Taking bytes out of the sum gives what zeroing them in a copy gives, at any
    /// offset, odd or even, in data of any length.
    #[test]
    fn a_zeroed_range_sums_as_a_zeroed_copy() {
        let data: Vec<u8> = (0..41u32).map(|i| (i * 97 + 13) as u8).collect();
        for len in [0, 1, 2, 7, 20, 41] {
            let d = &data[..len];
            for start in 0..len.max(1) {
                for end in start..=(start + 3).min(len + 2) {
                    let mut copy = d.to_vec();
                    for b in copy.iter_mut().take(end).skip(start) {
                        *b = 0;
                    }
                    for initial in [0, 0x1_2345] {
                        assert_eq!(
                            sum_zeroed(d, initial, start..end),
                            sum(&copy, initial),
                            "len {len}, {start}..{end}"
                        );
                    }
                }
            }
        }
    }

    /// RFC 1071 section 3's worked example: the sum of these bytes is ddf2.
    #[test]
    fn rfc1071_example() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&data, 0), 0xddf2);
        assert_eq!(internet(&data), !0xddf2);
    }

    /// Worked by hand, the post's echo request comes to 0x3721 too, its checksum's
    /// word counted as zero.
    #[test]
    fn worked_by_hand() {
        let icmp = [0x08, 0x00, 0x37, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde];
        let w = work(&icmp, 0..10, 2..4, 0);
        let words: Vec<u16> = w.words.iter().map(|(_, w, _)| *w).collect();
        assert_eq!(words, [0x0800, 0, 0, 0, 0xc0de]);
        assert_eq!((w.total, w.folded, w.complement), (0xc8de, 0xc8de, 0x3721));
        // A carry: ffff + 0002 = 1_0001, folded to 0002.
        let w = work(&[0xff, 0xff, 0x00, 0x02], 0..4, 4..4, 0);
        assert_eq!((w.total, w.folded), (0x1_0001, 0x0002));
        // An odd last byte is padded, and a pseudo-header sum comes first.
        let w = work(&[0x01, 0x02, 0x03], 0..3, 3..3, 0x10);
        assert_eq!(w.words, [(0, 0x0102, 0x0112), (2, 0x0300, 0x0412)]);
    }

    /// The post's echo request: 08 00 [37 21] 00 00 00 00 c0 de.
    #[test]
    fn the_posts_icmp_echo() {
        let icmp = [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde];
        assert_eq!(internet(&icmp), 0x3721);
        let reply = [0x00, 0x00, 0x3f, 0x21, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xde];
        assert!(verifies(&reply));
    }

    /// The post's captured request header, with the kernel's checksum 0x6009.
    #[test]
    fn the_posts_ip_header() {
        let hdr = [
            0x45, 0x00, 0x00, 0x1e, 0x1c, 0xd4, 0x00, 0x00, 0x40, 0x01, 0x60, 0x09, 0x7f, 0x00,
            0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
        ];
        assert!(verifies(&hdr));
        let mut zeroed = hdr;
        zeroed[10] = 0;
        zeroed[11] = 0;
        assert_eq!(internet(&zeroed), 0x6009);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(sum(&[0xab], 0), 0xab00);
        assert_eq!(sum(&[0x12, 0x34, 0x56], 0), 0x1234 + 0x5600);
    }

    #[test]
    fn carries_fold_more_than_once() {
        assert_eq!(fold(0x1_fffe), 0xffff);
        assert_eq!(sum(&[0xff; 64], 0), 0xffff);
        assert_eq!(fold(0xffff_ffff), 0xffff);
    }
}
