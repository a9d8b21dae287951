//! splitmix64: a tiny deterministic PRNG for the relaxation's pilot runs,
//! the solver's tests and the benchmarks' generators, so that they need no `rand` and their inputs never
//! change with a dependency's version. (Benchmarks include this file by
//! path.)

/// The generator's state.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
