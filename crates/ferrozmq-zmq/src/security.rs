//! CURVE key pairs and Z85, the text form of keys.

use crate::Result;
use std::ffi::{CString, NulError};
use std::fmt;
use std::string::FromUtf8Error;

/// A new CURVE key pair, in binary (32 bytes each; [`z85_encode`] gives their text).
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let keys = zmq::CurveKeyPair::new().unwrap();
/// let server = zmq::Context::new().socket(zmq::REP).unwrap();
/// server.set_curve_server(true).unwrap();
/// server.set_curve_secretkey(&keys.secret_key).unwrap();
/// assert_eq!(zmq::z85_encode(&keys.public_key).unwrap().len(), 40);
/// ```
#[derive(Debug)]
pub struct CurveKeyPair {
    /// The public key, to give peers.
    pub public_key: [u8; 32],
    /// The secret key, to keep.
    pub secret_key: [u8; 32],
}

impl CurveKeyPair {
    /// Generates a key pair from the system's random numbers (`zmq_curve_keypair`).
    pub fn new() -> Result<CurveKeyPair> {
        let keys = ferrozmq::curve_keypair()?;
        Ok(CurveKeyPair {
            public_key: *keys.public.as_bytes(),
            secret_key: *keys.secret.as_bytes(),
        })
    }
}

/// Why [`z85_encode`] failed.
#[derive(Debug)]
pub enum EncodeError {
    /// The length of the data is not a multiple of 4.
    BadLength,
    /// The encoded text was not UTF-8 (never, as Z85's alphabet is ASCII; kept for code
    /// that matches on it).
    FromUtf8Error(FromUtf8Error),
}

impl From<FromUtf8Error> for EncodeError {
    fn from(error: FromUtf8Error) -> EncodeError {
        EncodeError::FromUtf8Error(error)
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BadLength => f.write_str("Z85 encodes whole groups of 4 bytes"),
            EncodeError::FromUtf8Error(e) => write!(f, "Z85 text is not UTF-8: {e}"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why [`z85_decode`] failed.
#[derive(Debug)]
pub enum DecodeError {
    /// The length of the text is not a multiple of 5.
    BadLength,
    /// The text holds a NUL character.
    NulError(NulError),
    /// The text is not Z85: a character outside its alphabet, or a group of five whose
    /// value does not fit in four bytes. libzmq refuses such text too; the `zmq` crate had
    /// no variant for it and returned garbage.
    InvalidInput,
}

impl From<NulError> for DecodeError {
    fn from(error: NulError) -> DecodeError {
        DecodeError::NulError(error)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadLength => f.write_str("Z85 decodes whole groups of 5 characters"),
            DecodeError::NulError(e) => write!(f, "Z85 text with a NUL character: {e}"),
            DecodeError::InvalidInput => f.write_str("the text is not Z85"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Encodes bytes, a multiple of 4 of them, as Z85 text (`zmq_z85_encode`): 5 characters
/// for each 4 bytes.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// assert_eq!(zmq::z85_encode(&[0x86, 0x4F, 0xD2, 0x6F]).unwrap(), "Hello");
/// assert!(zmq::z85_encode(&[1, 2, 3]).is_err());
/// ```
pub fn z85_encode(data: &[u8]) -> std::result::Result<String, EncodeError> {
    ferrozmq::z85::encode(data).map_err(|_| EncodeError::BadLength)
}

/// Decodes Z85 text, a multiple of 5 characters, into bytes (`zmq_z85_decode`).
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// assert_eq!(zmq::z85_decode("Hello").unwrap(), [0x86, 0x4F, 0xD2, 0x6F]);
/// assert!(matches!(zmq::z85_decode("Hell"), Err(zmq::DecodeError::BadLength)));
/// assert!(matches!(zmq::z85_decode("Hell~"), Err(zmq::DecodeError::InvalidInput)));
/// ```
pub fn z85_decode(data: &str) -> std::result::Result<Vec<u8>, DecodeError> {
    if data.len() % 5 != 0 {
        return Err(DecodeError::BadLength);
    }
    // The zmq crate handed the text to C, which a NUL would have cut short.
    CString::new(data)?;
    ferrozmq::z85::decode(data).map_err(|_| DecodeError::InvalidInput)
}
