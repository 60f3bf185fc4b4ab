//! Retry timing: full-jitter exponential backoff with a `Retry-After` lower bound, and the
//! `Retry-After` header's seconds.

use std::time::Duration;

/// The full-jitter exponential backoff before retry number `retry_index + 1` (0-based), given
/// `unit`, a uniform random number in [0, 1): `unit * min(backoff_max, backoff_base * 2^index)`.
/// A `Retry-After` of `retry_after` seconds raises it to at least that; the result never
/// exceeds `backoff_max`.
pub fn backoff_delay(
    backoff_base: f64,
    backoff_max: f64,
    retry_index: u32,
    retry_after: Option<f64>,
    unit: f64,
) -> Duration {
    let exponent = i32::try_from(retry_index.min(1000)).unwrap_or(1000);
    let ceiling = (backoff_base * 2f64.powi(exponent)).min(backoff_max);
    let mut delay = ceiling * unit.clamp(0.0, 1.0);
    if let Some(retry_after) = retry_after {
        delay = delay.max(retry_after);
    }
    let delay = delay.min(backoff_max);
    if delay.is_finite() && delay > 0.0 {
        Duration::from_secs_f64(delay)
    } else {
        Duration::ZERO
    }
}

/// A `Retry-After` value in seconds: a non-negative decimal number (fractions allowed). The
/// HTTP-date form, which Pusher does not send, is ignored.
pub fn parse_retry_after(value: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let seconds: f64 = text.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_exponential_and_capped() {
        assert_eq!(backoff_delay(0.1, 10.0, 0, None, 0.0), Duration::ZERO);
        assert_eq!(
            backoff_delay(0.1, 10.0, 0, None, 0.5),
            Duration::from_millis(50)
        );
        assert_eq!(
            backoff_delay(0.1, 10.0, 3, None, 0.5),
            Duration::from_millis(400)
        );
        assert_eq!(
            backoff_delay(0.1, 10.0, 20, None, 0.5),
            Duration::from_secs(5)
        );
        assert_eq!(
            backoff_delay(0.1, 10.0, u32::MAX, None, 0.999),
            Duration::from_secs_f64(9.99)
        );
        // Retry-After is a floor, backoff_max still the ceiling.
        assert_eq!(
            backoff_delay(0.1, 10.0, 0, Some(2.0), 0.5),
            Duration::from_secs(2)
        );
        assert_eq!(
            backoff_delay(0.1, 10.0, 0, Some(60.0), 0.5),
            Duration::from_secs(10)
        );
        assert_eq!(backoff_delay(0.0, 0.0, 5, Some(1.0), 0.5), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_seconds_with_fractions() {
        assert_eq!(parse_retry_after(b"2"), Some(2.0));
        assert_eq!(parse_retry_after(b" 0.05 "), Some(0.05));
        assert_eq!(parse_retry_after(b"0"), Some(0.0));
        assert_eq!(parse_retry_after(b"-1"), None);
        assert_eq!(parse_retry_after(b"inf"), None);
        assert_eq!(parse_retry_after(b"NaN"), None);
        assert_eq!(parse_retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after(b"\xff"), None);
    }
}
