//! The seeded pseudo-random numbers behind data splits and augmentation.
//!
//! Owns SplitMix64 (Steele, Lea & Flood 2014; the generator `java.util.SplittableRandom` and
//! `rand`'s seeding use) written out here so that a split or an augmented image depends only on
//! the seed, never on a crate's version. Must not know data sets or images.
//!
//! One step: `state += 0x9e3779b97f4a7c15`, then the output is `state` passed through the
//! finalizer `z = (z ^ z>>30)·0xbf58476d1ce4e5b9; z = (z ^ z>>27)·0x94d049bb133111eb; z ^ z>>31`
//! (wrapping arithmetic). Integers below `n` use Lemire's multiply-shift with rejection, so they
//! are exactly uniform.

/// SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's finalizer: a bijective mix of all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// An independent stream for one item of one pass: each key is folded in through the
    /// finalizer, so `(seed, epoch, index)` triples that differ anywhere give unrelated streams.
    pub fn for_item(seed: u64, epoch: u64, index: u64) -> Self {
        let s = [epoch, index].iter().fold(mix(seed), |acc, &k| {
            mix(acc.wrapping_add(GOLDEN).wrapping_add(mix(k)))
        });
        Rng::new(s)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// A uniform integer in `0..n`. Panics if `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        // Lemire: the high half of x·n is uniform once the biased low values are rejected.
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniform index in `0..n`. Panics if `n == 0`.
    pub fn below_usize(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// A uniform integer in `lo..=hi`. Panics if `lo > hi`.
    pub fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "Rng::range_i64({lo}, {hi})");
        let span = hi.abs_diff(lo);
        if span == u64::MAX {
            return self.next_u64() as i64;
        }
        lo.wrapping_add(self.below(span + 1) as i64)
    }

    /// A fair coin.
    pub fn coin(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }

    /// Fisher–Yates shuffle, last position first.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_splitmix64_outputs() {
        // Reference values of SplitMix64 seeded with 1234567 (from the C reference code).
        let mut r = Rng::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut r = Rng::new(7);
        let mut seen = [0usize; 5];
        for _ in 0..1000 {
            seen[r.below(5) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 150), "{seen:?}");
    }

    #[test]
    fn item_streams_differ_and_repeat() {
        let a = Rng::for_item(1, 0, 0).next_u64();
        assert_eq!(a, Rng::for_item(1, 0, 0).next_u64());
        assert_ne!(a, Rng::for_item(1, 0, 1).next_u64());
        assert_ne!(a, Rng::for_item(1, 1, 0).next_u64());
        assert_ne!(
            Rng::for_item(1, 0, 1).next_u64(),
            Rng::for_item(1, 1, 0).next_u64()
        );
    }
}
