//! Connection metadata: the name/value properties carried by READY (and INITIATE in CURVE).
//!
//! ```text
//! property = name-len (1) | name (1..255) | value-len (4, big endian) | value
//! ```

use crate::error::ProtocolError;
use bytes::Bytes;

/// The `Socket-Type` property name.
pub const SOCKET_TYPE: &str = "Socket-Type";
/// The `Identity` property name (the sender's routing id).
pub const IDENTITY: &str = "Identity";

/// An ordered list of properties. Names compare without regard to case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    properties: Vec<(String, Bytes)>,
}

impl Metadata {
    /// No properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a property. Names must be 1 to 255 characters of `A-Z a-z 0-9 - _ . +`.
    pub fn insert(&mut self, name: &str, value: impl Into<Bytes>) -> Result<(), ProtocolError> {
        if !is_valid_name(name.as_bytes()) {
            return Err(ProtocolError::MalformedMetadata);
        }
        self.properties.push((name.to_string(), value.into()));
        Ok(())
    }

    /// The value of the first property called `name` (any case).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All properties in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.properties.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.properties.len()
    }

    /// True when there are no properties.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// Appends the wire form to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for (name, value) in &self.properties {
            out.push(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(value.len() as u32).to_be_bytes());
            out.extend_from_slice(value);
        }
    }

    /// Parses the wire form. The whole input must be consumed by well-formed properties.
    pub fn decode(mut input: &[u8]) -> Result<Metadata, ProtocolError> {
        let mut properties = Vec::new();
        while let Some((&name_len, rest)) = input.split_first() {
            let name_len = usize::from(name_len);
            let name = rest
                .get(..name_len)
                .ok_or(ProtocolError::MalformedMetadata)?;
            if !is_valid_name(name) {
                return Err(ProtocolError::MalformedMetadata);
            }
            let rest = &rest[name_len..];
            let size = rest.get(..4).ok_or(ProtocolError::MalformedMetadata)?;
            let value_len = u32::from_be_bytes([size[0], size[1], size[2], size[3]]);
            if value_len > i32::MAX as u32 {
                return Err(ProtocolError::MalformedMetadata);
            }
            let rest = &rest[4..];
            let value = rest
                .get(..value_len as usize)
                .ok_or(ProtocolError::MalformedMetadata)?;
            // Validated above: ASCII only.
            let name = String::from_utf8_lossy(name).into_owned();
            properties.push((name, Bytes::copy_from_slice(value)));
            input = &rest[value_len as usize..];
        }
        Ok(Metadata { properties })
    }
}

fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_looks_up_without_case() {
        let mut m = Metadata::new();
        m.insert(SOCKET_TYPE, "REQ").unwrap();
        m.insert(IDENTITY, Bytes::new()).unwrap();
        let mut wire = Vec::new();
        m.encode(&mut wire);
        assert_eq!(
            wire,
            b"\x0bSocket-Type\x00\x00\x00\x03REQ\x08Identity\x00\x00\x00\x00".to_vec()
        );
        let back = Metadata::decode(&wire).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.get("socket-type").map(|v| &v[..]), Some(&b"REQ"[..]));
        assert_eq!(back.get("IDENTITY").map(|v| v.len()), Some(0));
        assert!(back.get("Resource").is_none());
    }

    #[test]
    fn truncated_or_overlong_properties_are_refused() {
        for bad in [
            &b"\x0bSocket-Type\x00\x00\x00\x05REQ"[..],
            &b"\x0bSocket"[..],
            &b"\x00\x00\x00\x00\x00"[..],
            &b"\x01A\x80\x00\x00\x00"[..],
            &b"\x02A \x00\x00\x00\x00"[..],
        ] {
            assert_eq!(Metadata::decode(bad), Err(ProtocolError::MalformedMetadata));
        }
    }

    #[test]
    fn invalid_names_cannot_be_inserted() {
        let mut m = Metadata::new();
        assert!(m.insert("", "x").is_err());
        assert!(m.insert("has space", "x").is_err());
        assert!(m.insert("X-App.v1+x_y", "x").is_ok());
    }
}
