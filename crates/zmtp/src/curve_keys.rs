//! CURVE long-term keys: X25519 key pairs and their 40-character Z85 form.
//!
//! A server publishes its public key; clients need it before they connect. A client may have
//! a key pair of its own, which the server can check through its authenticator.
//!
//! ```
//! use ferrozmq_zmtp::curve_keys::{CurveKeyPair, CurveSecretKey};
//!
//! let pair = CurveKeyPair::generate().unwrap();
//! let text = pair.secret.to_z85();
//! assert_eq!(text.len(), 40);
//! // The public key follows from the secret one.
//! let secret = CurveSecretKey::from_z85(&text).unwrap();
//! assert_eq!(secret.public_key(), pair.public);
//! ```

use crate::entropy::{Entropy, EntropyError, OsEntropy};
use crate::z85::{self, Z85Error};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroize;

/// Size of a CURVE key, public or secret.
pub const KEY_LEN: usize = 32;

/// A public key: a point on Curve25519, as 32 octets.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurvePublicKey([u8; KEY_LEN]);

impl CurvePublicKey {
    /// The key with these octets.
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurvePublicKey(bytes)
    }

    /// The key's octets.
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Parses the 40-character Z85 form.
    ///
    /// ```
    /// let key = ferrozmq_zmtp::curve_keys::CurvePublicKey::from_z85(
    ///     "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
    /// ).unwrap();
    /// assert_eq!(key.to_z85(), "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    /// ```
    pub fn from_z85(text: &str) -> Result<Self, Z85Error> {
        z85::decode_key(text).map(CurvePublicKey)
    }

    /// The 40-character Z85 form.
    pub fn to_z85(&self) -> String {
        z85::encode_key(&self.0)
    }

    pub(crate) fn to_box_key(self) -> crypto_box::PublicKey {
        crypto_box::PublicKey::from(self.0)
    }
}

impl AsRef<[u8]> for CurvePublicKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurvePublicKey({})", self.to_z85())
    }
}

impl fmt::Display for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl FromStr for CurvePublicKey {
    type Err = Z85Error;

    fn from_str(text: &str) -> Result<Self, Z85Error> {
        Self::from_z85(text)
    }
}

/// A secret key: 32 octets, any value (X25519 clamps it when it is used). Wiped from memory
/// when dropped; its `Debug` form does not show it.
#[derive(Clone)]
pub struct CurveSecretKey([u8; KEY_LEN]);

impl CurveSecretKey {
    /// The key with these octets.
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurveSecretKey(bytes)
    }

    /// The key's octets. Handle with care: whoever has them can act as the key's owner.
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Draws a new key from `entropy`.
    pub fn generate_with(entropy: &mut dyn Entropy) -> Result<Self, EntropyError> {
        let mut key = CurveSecretKey([0; KEY_LEN]);
        entropy.fill(&mut key.0)?;
        Ok(key)
    }

    /// The matching public key (X25519 of the key with the curve's base point).
    ///
    /// ```
    /// use ferrozmq_zmtp::curve_keys::CurveSecretKey;
    ///
    /// let secret = CurveSecretKey::from_z85("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6").unwrap();
    /// assert_eq!(secret.public_key().to_z85(), "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    /// ```
    pub fn public_key(&self) -> CurvePublicKey {
        CurvePublicKey(*self.to_box_key().public_key().as_bytes())
    }

    /// Parses the 40-character Z85 form.
    pub fn from_z85(text: &str) -> Result<Self, Z85Error> {
        z85::decode_key(text).map(CurveSecretKey)
    }

    /// The 40-character Z85 form.
    pub fn to_z85(&self) -> String {
        z85::encode_key(&self.0)
    }

    pub(crate) fn to_box_key(&self) -> crypto_box::SecretKey {
        crypto_box::SecretKey::from(self.0)
    }
}

impl Drop for CurveSecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl AsRef<[u8]> for CurveSecretKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurveSecretKey(..)")
    }
}

impl FromStr for CurveSecretKey {
    type Err = Z85Error;

    fn from_str(text: &str) -> Result<Self, Z85Error> {
        Self::from_z85(text)
    }
}

/// A public key with its secret key.
///
/// ```
/// use ferrozmq_zmtp::curve_keys::CurveKeyPair;
///
/// let server = CurveKeyPair::generate().unwrap();
/// println!("give clients this key: {}", server.public);
/// ```
#[derive(Clone, Debug)]
pub struct CurveKeyPair {
    /// The half to publish.
    pub public: CurvePublicKey,
    /// The half to keep.
    pub secret: CurveSecretKey,
}

impl CurveKeyPair {
    /// A new pair from the operating system's generator.
    pub fn generate() -> Result<Self, EntropyError> {
        Self::generate_with(&mut OsEntropy)
    }

    /// A new pair from `entropy`.
    pub fn generate_with(entropy: &mut dyn Entropy) -> Result<Self, EntropyError> {
        CurveSecretKey::generate_with(entropy).map(Self::from_secret)
    }

    /// The pair that `secret` belongs to.
    pub fn from_secret(secret: CurveSecretKey) -> Self {
        CurveKeyPair {
            public: secret.public_key(),
            secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::testing::SeededEntropy;

    fn hex(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn x25519_public_key_matches_rfc_7748() {
        // RFC 7748 section 6.1, Alice's and Bob's key pairs.
        let alice = CurveSecretKey::from_bytes(hex(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        assert_eq!(
            alice.public_key().as_bytes(),
            &hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        );
        let bob = CurveSecretKey::from_bytes(hex(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        ));
        assert_eq!(
            bob.public_key().as_bytes(),
            &hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        );
    }

    #[test]
    fn libzmq_documentation_key_pairs_agree() {
        // The example certificates of the zmq_curve(7) manual page.
        for (public, secret) in [
            (
                "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
                "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
            ),
            (
                "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
                "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
            ),
        ] {
            let secret: CurveSecretKey = secret.parse().unwrap();
            assert_eq!(secret.public_key(), public.parse().unwrap());
        }
    }

    #[test]
    fn generated_pairs_are_consistent_and_distinct() {
        let a = CurveKeyPair::generate().unwrap();
        let b = CurveKeyPair::generate().unwrap();
        assert_eq!(a.secret.public_key(), a.public);
        assert_ne!(a.public, b.public);
        let seeded = CurveKeyPair::generate_with(&mut SeededEntropy::new(1)).unwrap();
        let again = CurveKeyPair::generate_with(&mut SeededEntropy::new(1)).unwrap();
        assert_eq!(seeded.public, again.public);
    }

    #[test]
    fn z85_forms_round_trip_and_secrets_stay_out_of_debug() {
        let pair = CurveKeyPair::generate_with(&mut SeededEntropy::new(9)).unwrap();
        let public = CurvePublicKey::from_z85(&pair.public.to_z85()).unwrap();
        assert_eq!(public, pair.public);
        let secret = CurveSecretKey::from_z85(&pair.secret.to_z85()).unwrap();
        assert_eq!(secret.as_bytes(), pair.secret.as_bytes());
        let debug = format!("{pair:?}");
        assert!(!debug.contains(&pair.secret.to_z85()));
        assert!(debug.contains(&pair.public.to_z85()));
        assert!(CurvePublicKey::from_z85("too short").is_err());
    }
}
