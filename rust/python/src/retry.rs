//! Retry timing for Python's `RetryPolicy`, from the same core functions the native lanes use.

use pusher_fast_core::retry;
use pyo3::prelude::*;
use pyo3::types::PyInt;

/// Seconds to wait before retry number `retry_index + 1`: full-jitter exponential backoff
/// (`unit` is the caller's uniform random number in [0, 1)), at least `retry_after`, at most
/// `max_backoff`. Always a finite number of seconds >= 0.
#[pyfunction]
#[pyo3(signature = (backoff, max_backoff, retry_index, retry_after, unit))]
pub(crate) fn backoff_delay(
    backoff: f64,
    max_backoff: f64,
    retry_index: u64,
    retry_after: Option<f64>,
    unit: f64,
) -> f64 {
    let retry_index = u32::try_from(retry_index).unwrap_or(u32::MAX);
    retry::backoff_delay(backoff, max_backoff, retry_index, retry_after, unit)
}

/// A `Retry-After` header value in seconds (a non-negative number), or None.
#[pyfunction]
pub(crate) fn parse_retry_after(value: &str) -> Option<f64> {
    retry::parse_retry_after(value.as_bytes())
}

/// Whether a response with `status` is worth another attempt (429 and 5xx).
#[pyfunction]
pub(crate) fn is_retryable_status(status: &Bound<'_, PyInt>) -> bool {
    // No HTTP status is outside u16, so neither is a retryable one.
    status
        .extract::<u16>()
        .is_ok_and(retry::is_retryable_status)
}
