//! Retry timing, one implementation for every path: full-jitter exponential backoff with a
//! `Retry-After` lower bound, the `Retry-After` header's seconds, and which statuses are worth
//! another attempt.

use crate::error::Error;

/// The most retries a policy may ask for.
pub const MAX_RETRIES: u32 = 100;
/// The longest `backoff` or `max_backoff` a policy may name, in seconds (an hour).
pub const MAX_BACKOFF_SECONDS: f64 = 3600.0;

/// A policy's number of retries: 0 to [`MAX_RETRIES`]. `None` stands for a number too large to
/// be given as an `i64`, shown as `shown`.
pub fn check_retries(retries: Option<i64>, shown: &str) -> Result<u32, Error> {
    retries
        .and_then(|retries| u32::try_from(retries).ok())
        .filter(|retries| *retries <= MAX_RETRIES)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "retries must be an integer from 0 to {MAX_RETRIES}, got {shown}"
            ))
        })
}

/// A policy's `backoff` or `max_backoff` (named `name`): a finite number of seconds above 0 and at
/// most [`MAX_BACKOFF_SECONDS`].
pub fn check_backoff(name: &str, seconds: f64) -> Result<f64, Error> {
    if seconds > 0.0 && seconds <= MAX_BACKOFF_SECONDS {
        Ok(seconds)
    } else {
        Err(Error::InvalidInput(format!(
            "{name} must be a finite number of seconds above 0 and at most {MAX_BACKOFF_SECONDS}, \
             got {seconds}"
        )))
    }
}

/// Seconds to wait before retry number `retry_index + 1` (0-based), given `unit`, a uniform
/// random number in [0, 1): `unit * min(max_backoff, backoff * 2^retry_index)`, raised to the
/// server's `retry_after` seconds if that is longer, and never more than `max_backoff`.
///
/// Total: any input, NaN and infinities included, gives a finite number of seconds >= 0. A
/// negative or NaN `backoff` or `max_backoff` counts as 0, a NaN `retry_after` as absent, and
/// `unit` is clamped to [0, 1]; an infinite wait (only possible with an infinite `max_backoff`)
/// is clamped to `f64::MAX`.
pub fn backoff_delay(
    backoff: f64,
    max_backoff: f64,
    retry_index: u32,
    retry_after: Option<f64>,
    unit: f64,
) -> f64 {
    let backoff = at_least_zero(backoff);
    let max_backoff = at_least_zero(max_backoff);
    // 2^1000 is finite, so a zero backoff stays zero rather than becoming 0 * inf = NaN.
    let exponent = i32::try_from(retry_index.min(1000)).unwrap_or(1000);
    let ceiling = (backoff * 2f64.powi(exponent)).min(max_backoff);
    let unit = at_least_zero(unit).min(1.0);
    let mut delay = if unit == 0.0 { 0.0 } else { ceiling * unit };
    if let Some(retry_after) = retry_after.filter(|seconds| !seconds.is_nan()) {
        delay = delay.max(retry_after);
    }
    let delay = at_least_zero(delay.min(max_backoff));
    if delay.is_finite() {
        delay
    } else {
        f64::MAX
    }
}

/// `value`, or 0 for a negative value or NaN.
fn at_least_zero(value: f64) -> f64 {
    if value > 0.0 {
        value
    } else {
        0.0
    }
}

/// A `Retry-After` value in seconds: a non-negative decimal number (fractions allowed). The
/// HTTP-date form, which Pusher does not send, is ignored.
pub fn parse_retry_after(value: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let seconds: f64 = text.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then_some(seconds)
}

/// Whether a response with this status is worth another attempt: 429 (rate limited) and 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_exponential_and_capped() {
        assert_eq!(backoff_delay(0.1, 10.0, 0, None, 0.0), 0.0);
        assert_eq!(backoff_delay(0.1, 10.0, 0, None, 0.5), 0.05);
        assert_eq!(backoff_delay(0.1, 10.0, 3, None, 0.5), 0.4);
        assert_eq!(backoff_delay(0.1, 10.0, 20, None, 0.5), 5.0);
        assert!((backoff_delay(0.1, 10.0, u32::MAX, None, 0.999) - 9.99).abs() < 1e-12);
        // Retry-After is a floor, max_backoff still the ceiling.
        assert_eq!(backoff_delay(0.1, 10.0, 0, Some(2.0), 0.5), 2.0);
        assert_eq!(backoff_delay(0.1, 10.0, 0, Some(60.0), 0.5), 10.0);
        assert_eq!(backoff_delay(0.0, 0.0, 5, Some(1.0), 0.5), 0.0);
        assert_eq!(backoff_delay(1.0, 10.0, 0, Some(0.25), 0.0), 0.25);
    }

    #[test]
    fn backoff_is_total() {
        let specials = [
            f64::NAN,
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            0.5,
            1.0,
            1e308,
            f64::MAX,
            f64::INFINITY,
        ];
        for backoff in specials {
            for max_backoff in specials {
                for retry_index in [0, 1, 63, 64, 1023, 1024, u32::MAX] {
                    for unit in specials {
                        for retry_after in specials.map(Some).into_iter().chain([None]) {
                            let delay =
                                backoff_delay(backoff, max_backoff, retry_index, retry_after, unit);
                            let case = (backoff, max_backoff, retry_index, retry_after, unit);
                            assert!(delay.is_finite() && delay >= 0.0, "{case:?}: {delay}");
                            assert!(delay <= at_least_zero(max_backoff), "{case:?}: {delay}");
                        }
                    }
                }
            }
        }
        assert_eq!(
            backoff_delay(1.0, f64::INFINITY, 0, Some(f64::INFINITY), 0.5),
            f64::MAX
        );
        assert_eq!(
            backoff_delay(f64::NAN, f64::NAN, 3, Some(f64::NAN), f64::NAN),
            0.0
        );
    }

    #[test]
    fn retry_after_is_seconds_with_fractions() {
        assert_eq!(parse_retry_after(b"2"), Some(2.0));
        assert_eq!(parse_retry_after(b" 0.05 "), Some(0.05));
        assert_eq!(parse_retry_after(b"0"), Some(0.0));
        assert_eq!(parse_retry_after(b"-1"), None);
        assert_eq!(parse_retry_after(b"inf"), None);
        assert_eq!(parse_retry_after(b"NaN"), None);
        assert_eq!(parse_retry_after(b""), None);
        assert_eq!(parse_retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after(b"\xff"), None);
    }

    #[test]
    fn policies_are_bounded() {
        assert_eq!(check_retries(Some(0), "0"), Ok(0));
        assert_eq!(check_retries(Some(100), "100"), Ok(100));
        for (retries, shown) in [(Some(101), "101"), (Some(-1), "-1"), (None, "2**70")] {
            assert_eq!(
                check_retries(retries, shown).unwrap_err().to_string(),
                format!("retries must be an integer from 0 to 100, got {shown}")
            );
        }
        assert_eq!(check_backoff("backoff", 0.1), Ok(0.1));
        assert_eq!(check_backoff("max_backoff", 3600.0), Ok(3600.0));
        for bad in [0.0, -1.0, 3600.5, 1e20, f64::INFINITY, f64::NAN] {
            assert_eq!(
                check_backoff("max_backoff", bad).unwrap_err().to_string(),
                format!(
                    "max_backoff must be a finite number of seconds above 0 and at most 3600, \
                     got {bad}"
                )
            );
        }
    }

    #[test]
    fn rate_limits_and_server_errors_are_retryable() {
        for status in [429, 500, 502, 503, 504, 599] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [
            0, 200, 204, 301, 400, 401, 403, 404, 413, 428, 430, 499, 600,
        ] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }
}
