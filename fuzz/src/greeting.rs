//! The 64-octet greeting: [`Greeting::check_prefix`] on every prefix agrees with
//! [`Greeting::decode`] on the whole, and what decodes re-encodes to the same fields.

use zmtp::greeting::{Greeting, GREETING_LEN};

/// Feeds `data` (a would-be greeting, possibly short) to the greeting parsers.
pub fn check(data: &[u8]) {
    // A session refuses garbage on its first bytes; once refused, a prefix must never be
    // accepted again by a longer one, or a peer could talk its way past the check.
    let mut refused_at = None;
    for end in 0..=data.len().min(GREETING_LEN) {
        match (Greeting::check_prefix(&data[..end]), refused_at) {
            (Ok(()), Some(at)) => {
                panic!("{end} octets accepted after the first {at} were refused")
            }
            (Err(_), None) => refused_at = Some(end),
            _ => {}
        }
    }
    let Some(whole) = data
        .get(..GREETING_LEN)
        .and_then(|g| <&[u8; GREETING_LEN]>::try_from(g).ok())
    else {
        return;
    };
    match Greeting::decode(whole) {
        Ok(greeting) => {
            assert_eq!(refused_at, None, "decode accepted a refused prefix");
            let again = Greeting::decode(&greeting.encode()).expect("our own greeting decodes");
            assert_eq!(again, greeting, "greeting fields survive a round trip");
        }
        Err(e) => assert!(
            refused_at.is_some(),
            "decode refused ({e}) what check_prefix accepted"
        ),
    }
}
