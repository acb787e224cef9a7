//! The Internet checksum (RFC 1071): the ones' complement of the ones'
//! complement sum of 16-bit big-endian words. IPv4, ICMP, TCP and UDP all use it.

/// The ones' complement sum of `data` as 16-bit big-endian words, an odd last
/// byte padded with zero, added to `initial` (a pseudo-header sum), carries folded.
pub fn sum(data: &[u8], initial: u32) -> u16 {
    let mut acc = initial as u64;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u16::from_be_bytes([w[0], w[1]]) as u64;
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u64) << 8;
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

/// Whether bytes that include their own checksum field add up correctly.
pub fn verifies(data: &[u8]) -> bool {
    sum(data, 0) == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 section 3's worked example: the sum of these bytes is ddf2.
    #[test]
    fn rfc1071_example() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&data, 0), 0xddf2);
        assert_eq!(internet(&data), !0xddf2);
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
