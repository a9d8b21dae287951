//! Where every random number of the sampler comes from.
//!
//! Reproducibility and stable re-rolls both hinge on this module: a draw is a
//! pure function of (seed, purpose, token id, trait name, attempt), never of
//! thread scheduling or of how many other draws happened before it.
//!
//! * The seed string is absorbed, with a domain label and length prefixes,
//!   into a 256-bit key by a sponge whose permutation is ChaCha20
//!   ([`derive_key`]): `state ← ChaCha20(state ⊕ block)` per 32-byte block.
//! * Each trait gets its own key, derived the same way from
//!   (seed, `"trait"`, trait name). So a token's draw of a trait does not
//!   depend on the trait's position in the file, on other traits, or on
//!   other tokens.
//! * A single uniform is a keyed mix of (trait key, token id, attempt):
//!   three rounds of the MurmurHash3 64-bit finaliser with key injection
//!   ([`uniform`]). It is not cryptographic, but passes the statistical
//!   needs of sampling and costs a few nanoseconds, where running a ChaCha
//!   block per draw would dominate a million-token run.
//! * Sequential decisions (legendary ids) use a `ChaCha8Rng` keyed the same way.
//!
//! All arithmetic is on integers; the only floating-point step is the final
//! conversion to a double in `[0, 1)` (53 bits), identical on every machine.

use rand::{Rng, SeedableRng};
use rand_chacha::{ChaCha8Rng, ChaCha20Rng};

/// Version label mixed into every key: changing the sampling algorithm
/// changes it, so that old and new outputs are never silently mixed.
const DOMAIN: &[u8] = b"dropc-sample-v1";

/// A 256-bit key from labelled parts (length-prefixed, so `("ab","c")` and
/// `("a","bc")` differ), absorbed by a ChaCha20 sponge.
pub fn derive_key(parts: &[&[u8]]) -> [u8; 32] {
    let mut bytes = Vec::with_capacity(64);
    for part in [DOMAIN].iter().chain(parts) {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part);
    }
    let mut state = [0u8; 32];
    for block in bytes.chunks(32) {
        for (s, b) in state.iter_mut().zip(block) {
            *s ^= b;
        }
        let mut rng = ChaCha20Rng::from_seed(state);
        let mut next = [0u8; 32];
        for chunk in next.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        state = next;
    }
    state
}

/// A key for one purpose, as two words for [`uniform`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamKey(pub u64, pub u64);

impl StreamKey {
    /// The key of `(seed, purpose, name)`.
    pub fn new(seed: &str, purpose: &str, name: &str) -> Self {
        let k = derive_key(&[seed.as_bytes(), purpose.as_bytes(), name.as_bytes()]);
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&k[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        StreamKey(word(0), word(1))
    }

    /// A 64-bit value that depends on the key, `a` and `b`.
    pub fn mix(&self, a: u64, b: u64) -> u64 {
        let mut x = fmix64(self.0 ^ a.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        x = fmix64(x ^ self.1 ^ b.wrapping_mul(0xc2b2_ae3d_27d4_eb4f));
        fmix64(x ^ self.0.rotate_left(29))
    }

    /// A uniform double in `[0, 1)` for draw number `attempt` of token `id`.
    pub fn uniform(&self, id: u64, attempt: u64) -> f64 {
        to_unit(self.mix(id, attempt))
    }
}

/// A uniform double in `[0, 1)` from the top 53 bits of `x`.
pub fn to_unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The MurmurHash3 64-bit finaliser (a bijection with full avalanche).
fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A ChaCha8 generator for sequential decisions of one purpose.
pub fn chacha(seed: &str, purpose: &str) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(derive_key(&[seed.as_bytes(), purpose.as_bytes()]))
}

/// A number in `0..n` from a 64-bit draw (multiply-shift; bias below 2^-40 for n < 2^24).
pub fn below(rng: &mut impl Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinct() {
        let a = StreamKey::new("s", "trait", "Body");
        assert_eq!(a, StreamKey::new("s", "trait", "Body"));
        assert_ne!(a, StreamKey::new("s", "trait", "Eyes"));
        assert_ne!(StreamKey::new("ab", "c", ""), StreamKey::new("a", "bc", ""));
        let u = a.uniform(7, 0);
        assert!((0.0..1.0).contains(&u));
        assert_ne!(u, a.uniform(7, 1));
    }

    #[test]
    fn uniforms_look_uniform() {
        let k = StreamKey::new("seed", "trait", "T");
        let n = 100_000;
        let mut bins = [0u32; 10];
        for id in 0..n {
            bins[(k.uniform(id, 0) * 10.0) as usize] += 1;
        }
        let expected = n as f64 / 10.0;
        let chi: f64 = bins.iter().map(|&b| (b as f64 - expected).powi(2) / expected).sum();
        assert!(chi < 27.9, "chi-square {chi}"); // 9 d.o.f., p = 0.001
    }
}
