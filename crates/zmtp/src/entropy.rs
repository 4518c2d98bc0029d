//! Where CURVE's keys and nonces come from.
//!
//! The protocol code never reaches for randomness itself: it asks an [`Entropy`] source it was
//! given. Production code passes [`OsEntropy`] (the operating system's generator); tests pass
//! a scripted source so that every key, nonce and box is reproducible.

use std::fmt;

/// A source of unpredictable bytes.
///
/// Implementations used outside tests must be cryptographically secure: CURVE's secret keys
/// and long nonces are drawn from it.
///
/// ```
/// use ferrozmq_zmtp::entropy::{Entropy, OsEntropy};
///
/// let mut nonce = [0u8; 16];
/// OsEntropy.fill(&mut nonce).unwrap();
/// ```
pub trait Entropy {
    /// Fills `dest` entirely with random bytes.
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), EntropyError>;
}

/// The operating system's generator (`getrandom(2)`, `/dev/urandom`, `BCryptGenRandom`, ...).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(dest).map_err(|e| EntropyError {
            // Widened: the OS error type is i32 on most platforms, usize on UEFI.
            os_code: e.raw_os_error().map(|code| code as i64),
        })
    }
}

/// The generator could not deliver (in practice: the OS has no entropy source to offer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntropyError {
    /// The operating system's error number, when it gave one.
    pub os_code: Option<i64>,
}

impl fmt::Display for EntropyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.os_code {
            Some(code) => write!(f, "no random bytes available (OS error {code})"),
            None => write!(f, "no random bytes available"),
        }
    }
}

impl std::error::Error for EntropyError {}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Reproducible bytes for tests: a counter run through a 64-bit mixer. Not random at all,
    /// which is the point.
    #[derive(Clone, Debug)]
    pub(crate) struct SeededEntropy {
        state: u64,
    }

    impl SeededEntropy {
        pub(crate) fn new(seed: u64) -> Self {
            SeededEntropy { state: seed }
        }
    }

    impl Entropy for SeededEntropy {
        fn fill(&mut self, dest: &mut [u8]) -> Result<(), EntropyError> {
            for chunk in dest.chunks_mut(8) {
                self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
            }
            Ok(())
        }
    }

    /// Hands out the given bytes in order, then fails: pins down exactly which draws a
    /// handshake makes, and lets a test make the generator run dry.
    #[derive(Clone, Debug)]
    pub(crate) struct ScriptedEntropy {
        bytes: Vec<u8>,
    }

    impl ScriptedEntropy {
        pub(crate) fn new(draws: &[&[u8]]) -> Self {
            ScriptedEntropy {
                bytes: draws.concat(),
            }
        }
    }

    impl Entropy for ScriptedEntropy {
        fn fill(&mut self, dest: &mut [u8]) -> Result<(), EntropyError> {
            if self.bytes.len() < dest.len() {
                return Err(EntropyError { os_code: None });
            }
            let rest = self.bytes.split_off(dest.len());
            dest.copy_from_slice(&self.bytes);
            self.bytes = rest;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn os_entropy_fills_the_whole_buffer() {
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        OsEntropy.fill(&mut a).unwrap();
        OsEntropy.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 64]);
    }

    #[test]
    fn seeded_entropy_is_reproducible() {
        let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
        SeededEntropy::new(7).fill(&mut a).unwrap();
        SeededEntropy::new(7).fill(&mut b).unwrap();
        assert_eq!(a, b);
        SeededEntropy::new(8).fill(&mut b).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn scripted_entropy_runs_dry() {
        let mut e = ScriptedEntropy::new(&[b"ab", b"c"]);
        let mut two = [0u8; 2];
        e.fill(&mut two).unwrap();
        assert_eq!(&two, b"ab");
        assert!(e.fill(&mut two).is_err());
    }
}
