//! Counting distinct values in bounded memory: exact up to a few thousand values, then a
//! k-minimum-values estimate.
//!
//! A sketch keeps the `K` smallest 64-bit hashes it has seen. While fewer than `K` distinct
//! hashes exist the count is exact; beyond that it is `(K - 1) / (kth smallest / 2^64)`, whose
//! relative error is about `1 / sqrt(K)` (about 1.6 % for `K = 4096`). The memory of a sketch
//! never exceeds `K` hashes, whatever the archive size.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

/// Hashes kept per sketch.
const K: usize = 4096;

/// A bounded distinct counter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Distinct {
    smallest: BTreeSet<u64>,
}

impl Distinct {
    /// Adds a value (case-sensitive; lowercase it first for addresses and domains).
    pub(crate) fn add(&mut self, value: &str) {
        self.add_hash(hash_of(value));
    }

    /// Adds a value by its hash (merging another sketch: the `K` smallest hashes of a union
    /// are the `K` smallest of the two sketches' hashes, so a merged count is the count the
    /// values would have given in one run).
    pub(crate) fn add_hash(&mut self, hash: u64) {
        if self.smallest.len() < K {
            self.smallest.insert(hash);
            return;
        }
        if let Some(&largest) = self.smallest.last() {
            if hash < largest && self.smallest.insert(hash) {
                self.smallest.pop_last();
            }
        }
    }

    /// The hashes kept, smallest first.
    pub(crate) fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.smallest.iter().copied()
    }

    /// The number of distinct values added (exact below `K`, estimated above).
    pub(crate) fn count(&self) -> u64 {
        if self.smallest.len() < K {
            return self.smallest.len() as u64;
        }
        let Some(&kth) = self.smallest.last() else { return 0 };
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let estimate =
            ((K - 1) as f64 / (kth as f64 / 18_446_744_073_709_551_616.0)).round() as u64;
        estimate
    }
}

/// A well-mixed, deterministic 64-bit hash (FNV-1a followed by a finaliser).
fn hash_of(value: &str) -> u64 {
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    value.hash(&mut hasher);
    let mut x = hasher.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Distinct;

    #[test]
    fn exact_for_small_sets_close_for_large_ones() {
        let mut small = Distinct::default();
        for i in 0..100 {
            small.add(&format!("user{}@example.net", i % 40));
        }
        assert_eq!(small.count(), 40);
        let mut large = Distinct::default();
        for i in 0..200_000 {
            large.add(&format!("user{i}@example.net"));
        }
        let count = large.count();
        assert!((190_000..210_000).contains(&count), "estimate {count}");
    }
}
