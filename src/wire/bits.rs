//! Bit fields: any width at any bit offset, most significant bit first.

/// Reads `bits` bits starting `bit_off` bits into `buf`, most significant first.
pub fn get_bits(buf: &[u8], bit_off: usize, bits: u32) -> u128 {
    let first = bit_off / 8;
    let end = (bit_off + bits as usize).div_ceil(8);
    debug_assert!(end - first <= 16 || bit_off.is_multiple_of(8));
    let mut acc: u128 = 0;
    for &b in &buf[first..end] {
        acc = (acc << 8) | b as u128;
    }
    let trailing = end * 8 - (bit_off + bits as usize);
    acc >>= trailing;
    if bits >= 128 {
        acc
    } else {
        acc & ((1u128 << bits) - 1)
    }
}

/// Writes the low `bits` bits of `value` starting `bit_off` bits into `buf`.
pub fn set_bits(buf: &mut [u8], bit_off: usize, bits: u32, value: u128) {
    for i in 0..bits as usize {
        let bit = (value >> (bits as usize - 1 - i)) & 1;
        let pos = bit_off + i;
        let mask = 0x80u8 >> (pos % 8);
        if bit == 1 {
            buf[pos / 8] |= mask;
        } else {
            buf[pos / 8] &= !mask;
        }
    }
}
