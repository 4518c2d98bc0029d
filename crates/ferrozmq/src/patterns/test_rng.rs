//! A seeded pseudo-random source for randomized tests, so that they need no dependency and
//! every failure replays.

/// Marsaglia's xorshift64: fast, and good enough to shuffle test operations.
pub(super) struct TestRng(u64);

impl TestRng {
    /// A generator starting from `seed`, which must not be zero.
    pub(super) fn new(seed: u64) -> Self {
        assert_ne!(seed, 0, "xorshift gets stuck at zero");
        Self(seed)
    }

    /// A number below `bound`.
    pub(super) fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }

    /// A word of up to `max_len` bytes from the first `letters` letters of the alphabet, so
    /// that prefixes nest and collide often.
    pub(super) fn word(&mut self, max_len: usize, letters: u8) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len)
            .map(|_| b'a' + self.below(usize::from(letters)) as u8)
            .collect()
    }
}
