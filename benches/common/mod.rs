//! Inputs shared by the benchmarks.

/// Pseudo-random bytes with some redundancy, like an executable: compressible about 2:1.
pub fn payload(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 4 < 2 {
                (x & 0x0f) as u8
            } else {
                (x >> 24) as u8
            }
        })
        .collect()
}
