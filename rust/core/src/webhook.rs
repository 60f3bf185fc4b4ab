//! Verification of incoming webhooks: the `X-Pusher-Signature` header, and the official SDK's
//! `validate_webhook` check (key, signature and a five-minute window around `time_ms`).

use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::limits::LEGACY_WEBHOOK_WINDOW_MS;
use crate::request::AppCredentials;
use crate::signing::{keyed_hmac, HmacSha256};

/// Size of an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;

/// Whether `signature` is the hex HMAC-SHA256 of `body` keyed with `secret`.
///
/// Hex digits of either case are accepted; anything other than 64 hex digits is `false`.
/// The tags are compared in constant time so a forger learns nothing from response timing.
pub fn verify_webhook(secret: &str, body: &[u8], signature: &str) -> bool {
    verify_webhook_keyed(keyed_hmac(secret.as_bytes()), body, signature)
}

/// [`verify_webhook`] with an HMAC already keyed with the secret (cloned from a cached one).
pub fn verify_webhook_keyed(mut mac: HmacSha256, body: &[u8], signature: &str) -> bool {
    let mut claimed = [0u8; TAG_LEN];
    if hex::decode_to_slice(signature, &mut claimed).is_err() {
        return false;
    }
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    expected.as_slice().ct_eq(&claimed).into()
}

/// The first half of the official SDK's check, before the body is parsed: `key` is the app's key
/// and `signature` is the body's.
pub fn legacy_authentic(app: &AppCredentials, key: &str, signature: &str, body: &[u8]) -> bool {
    key == app.key && verify_webhook_keyed(app.mac(), body, signature)
}

/// The second half, on the parsed body: its `time_ms` is a number other than 0 and at most
/// [`LEGACY_WEBHOOK_WINDOW_MS`] away from `now_ms`.
pub fn legacy_fresh(time_ms: Option<f64>, now_ms: f64) -> bool {
    time_ms.is_some_and(|time_ms| {
        time_ms != 0.0 && (now_ms - time_ms).abs() <= f64::from(LEGACY_WEBHOOK_WINDOW_MS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::DEFAULT_MAX_PAYLOAD_BYTES;
    use crate::signing::hmac_sha256_hex;

    const SECRET: &str = "7ad3773142a6692b25b8";
    const BODY: &[u8] =
        br#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test"}]}"#;

    fn signature() -> String {
        hmac_sha256_hex(SECRET.as_bytes(), BODY)
    }

    #[test]
    fn the_legacy_check_wants_the_app_key_and_a_matching_signature() {
        let app = AppCredentials::new(
            "1".to_owned(),
            "key".to_owned(),
            SECRET.as_bytes(),
            None,
            DEFAULT_MAX_PAYLOAD_BYTES,
        );
        assert!(legacy_authentic(&app, "key", &signature(), BODY));
        assert!(!legacy_authentic(&app, "other", &signature(), BODY));
        assert!(!legacy_authentic(&app, "key", &signature(), b"{}"));
        assert!(!legacy_authentic(&app, "key", "", BODY));
    }

    #[test]
    fn the_legacy_window_is_five_minutes_either_way() {
        let now = 1_700_000_000_000.0;
        assert!(legacy_fresh(Some(now), now));
        assert!(legacy_fresh(Some(now - 300_000.0), now));
        assert!(legacy_fresh(Some(now + 300_000.0), now));
        assert!(!legacy_fresh(Some(now - 300_001.0), now));
        assert!(!legacy_fresh(Some(now + 300_001.0), now));
        assert!(!legacy_fresh(None, now));
        assert!(!legacy_fresh(Some(0.0), 100.0));
        assert!(!legacy_fresh(Some(f64::NAN), now));
        assert!(!legacy_fresh(Some(f64::INFINITY), now));
    }

    #[test]
    fn accepts_lower_and_upper_case_hex() {
        assert!(verify_webhook(SECRET, BODY, &signature()));
        assert!(verify_webhook(SECRET, BODY, &signature().to_uppercase()));
    }

    #[test]
    fn go_sdk_vector() {
        assert!(verify_webhook(
            "supersecret",
            b"Hello!",
            "64e3f44166575febbc5de88c9476325ea7d4b3684752158d9fdb31fce34b980d"
        ));
    }

    #[test]
    fn rejects_other_secret_or_body() {
        assert!(!verify_webhook("other", BODY, &signature()));
        assert!(!verify_webhook(SECRET, b"{}", &signature()));
    }

    #[test]
    fn rejects_flipped_digit() {
        let mut flipped = signature().into_bytes();
        flipped[63] = if flipped[63] == b'0' { b'1' } else { b'0' };
        assert!(!verify_webhook(
            SECRET,
            BODY,
            std::str::from_utf8(&flipped).unwrap()
        ));
    }

    #[test]
    fn rejects_wrong_length_or_non_hex() {
        let good = signature();
        assert!(!verify_webhook(SECRET, BODY, ""));
        assert!(!verify_webhook(SECRET, BODY, &good[..62]));
        assert!(!verify_webhook(SECRET, BODY, &good[..63]));
        assert!(!verify_webhook(SECRET, BODY, &format!("{good}00")));
        assert!(!verify_webhook(SECRET, BODY, &format!("{}zz", &good[..62])));
        assert!(!verify_webhook(SECRET, BODY, &format!(" {}", &good[..63])));
        assert!(!verify_webhook(SECRET, BODY, &format!("{}é", &good[..62])));
    }
}
