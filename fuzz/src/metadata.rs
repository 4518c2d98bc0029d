//! READY/INITIATE metadata: a property list that decodes re-encodes to exactly the input,
//! and every property is found again by name.

use zmtp::metadata::Metadata;

/// Input: a property list, as it follows the command name in READY.
pub fn check(data: &[u8]) {
    let Ok(metadata) = Metadata::decode(data) else {
        return;
    };
    let mut wire = Vec::new();
    metadata.encode(&mut wire);
    assert_eq!(wire, data, "metadata re-encodes to the same bytes");
    for (name, _) in metadata.iter() {
        assert!(
            metadata.get(&name.to_ascii_lowercase()).is_some(),
            "property {name} not found by a case-insensitive lookup"
        );
    }
}
