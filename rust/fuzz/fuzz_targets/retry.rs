//! Retry timing is total: any backoff, cap, retry number, `Retry-After` and random unit give a
//! finite delay >= 0, at most the cap (when the cap is positive and finite), at least a
//! `Retry-After` that fits under the cap, never above the larger of the jittered ceiling and
//! `Retry-After`, and growing with the unit. `Retry-After` parses to finite seconds >= 0 only;
//! retryable statuses are 429 and 5xx.
//!
//! Fields: backoff, max_backoff, retry_index, retry_after (absent when empty), unit, a second
//! unit, a Retry-After header value, a status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pusher_fast_core::retry::{backoff_delay, is_retryable_status, parse_retry_after};
use pusher_fast_fuzz::Fields;

fn at_least_zero(value: f64) -> f64 {
    if value > 0.0 {
        value
    } else {
        0.0
    }
}

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let backoff = fields.f64();
    let max_backoff = fields.f64();
    let retry_index = fields.u64() as u32;
    let retry_after = match fields.bytes() {
        [] => None,
        bytes => Some(Fields::new(bytes).f64()),
    };
    let unit = fields.f64();
    let other_unit = fields.f64();
    let header = fields.bytes();
    let status = fields.u64() as u16;

    let delay = backoff_delay(backoff, max_backoff, retry_index, retry_after, unit);
    let case = (backoff, max_backoff, retry_index, retry_after, unit);
    assert!(delay.is_finite() && delay >= 0.0, "{case:?}: {delay}");
    let cap = at_least_zero(max_backoff);
    assert!(delay <= cap, "{case:?}: {delay} above the cap");

    let unit_in_range = at_least_zero(unit).min(1.0);
    let ceiling = (at_least_zero(backoff) * 2f64.powi(retry_index.min(1000) as i32)).min(cap);
    let floor = retry_after
        .filter(|seconds| seconds.is_finite())
        .map_or(0.0, at_least_zero);
    if floor <= cap {
        assert!(delay >= floor, "{case:?}: {delay} below Retry-After");
    }
    let endless_wait = retry_after == Some(f64::INFINITY);
    if ceiling.is_finite() && !endless_wait {
        assert!(
            delay <= ceiling.max(floor),
            "{case:?}: {delay} above the ceiling {ceiling}"
        );
    }
    if unit_in_range == 0.0 && floor == 0.0 && retry_after.is_none_or(|r| r.is_finite()) {
        assert_eq!(delay, 0.0, "{case:?}");
    }

    // More jitter never waits less.
    let (low, high) = if unit <= other_unit {
        (unit, other_unit)
    } else {
        (other_unit, unit)
    };
    if !low.is_nan() && !high.is_nan() {
        let shorter = backoff_delay(backoff, max_backoff, retry_index, retry_after, low);
        let longer = backoff_delay(backoff, max_backoff, retry_index, retry_after, high);
        assert!(shorter <= longer, "{case:?}: {shorter} > {longer}");
    }

    if let Some(seconds) = parse_retry_after(header) {
        assert!(
            seconds.is_finite() && seconds >= 0.0,
            "{header:?}: {seconds}"
        );
        let text = std::str::from_utf8(header).expect("a parsed header is UTF-8");
        assert_eq!(text.trim().parse::<f64>().ok(), Some(seconds));
    }

    assert_eq!(
        is_retryable_status(status),
        status == 429 || (500..600).contains(&status)
    );
});
