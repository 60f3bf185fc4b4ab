//! Webhook verification against an HMAC computed with the `hmac` and `sha2` crates directly:
//! `verify_webhook` is true exactly when the signature is 64 hex digits (any case) of the body's
//! HMAC; the right tag always verifies, whatever the case of its digits; a flipped bit of the tag
//! or of the body never does; `legacy_authentic` also wants the key, and `legacy_fresh` is total.
//!
//! Fields: secret, body, signature, case mask, bit to flip, key, time_ms, now_ms.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pusher_fast_core::limits::DEFAULT_MAX_PAYLOAD_BYTES;
use pusher_fast_core::request::AppCredentials;
use pusher_fast_core::webhook::{legacy_authentic, legacy_fresh, verify_webhook};
use pusher_fast_fuzz::{hmac_hex, Fields};

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let secret = fields.text();
    let body = fields.bytes();
    let signature = fields.text();
    let case_mask = fields.u64();
    let flip = fields.u64();
    let key = fields.text();
    let time_ms = fields.f64();
    let now_ms = fields.f64();

    let expected = hmac_hex(secret.as_bytes(), body);
    let claimed_matches = signature.len() == 64 && signature.to_ascii_lowercase() == expected;
    assert_eq!(verify_webhook(&secret, body, &signature), claimed_matches);

    // The right tag, its hex digits in a mix of cases.
    let mixed: String = expected
        .chars()
        .enumerate()
        .map(|(index, digit)| {
            if case_mask >> (index % 64) & 1 == 1 {
                digit.to_ascii_uppercase()
            } else {
                digit
            }
        })
        .collect();
    assert!(verify_webhook(&secret, body, &mixed));

    // One bit of the tag flipped.
    let mut tag = hex::decode(&expected).unwrap();
    let bit = (flip % 256) as usize;
    tag[bit / 8] ^= 1 << (bit % 8);
    assert!(!verify_webhook(&secret, body, &hex::encode(&tag)));

    // One bit of the body flipped.
    if !body.is_empty() {
        let mut flipped = body.to_vec();
        let bit = (flip % (body.len() as u64 * 8)) as usize;
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert!(!verify_webhook(&secret, &flipped, &expected));
    }

    let app = AppCredentials::new(
        "1".to_owned(),
        "key".to_owned(),
        secret.as_bytes(),
        None,
        DEFAULT_MAX_PAYLOAD_BYTES,
    );
    assert_eq!(
        legacy_authentic(&app, &key, &signature, body),
        key == "key" && claimed_matches
    );
    assert!(legacy_authentic(&app, "key", &expected, body));

    let fresh = time_ms != 0.0 && (now_ms - time_ms).abs() <= 300_000.0;
    assert_eq!(legacy_fresh(Some(time_ms), now_ms), fresh);
    assert!(!legacy_fresh(None, now_ms));
});
