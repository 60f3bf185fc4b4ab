//! The checks `pusher_fast.validation` runs before anything is sent.

use pusher_fast_core::validate;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

use crate::convert::info_from;
use crate::errors::NativeResult;

/// ValueError unless `name` is a valid channel name (see `validation.validate_channel`).
#[pyfunction]
pub(crate) fn check_channel(name: PyBackedStr, allow_server_to_user: bool) -> NativeResult<()> {
    Ok(validate::channel(&name, allow_server_to_user)?)
}

/// ValueError unless `name` is a valid event name.
#[pyfunction]
pub(crate) fn check_event_name(name: PyBackedStr) -> NativeResult<()> {
    Ok(validate::event_name(&name)?)
}

/// ValueError unless `socket_id` looks like `<digits>.<digits>`.
#[pyfunction]
pub(crate) fn check_socket_id(socket_id: PyBackedStr) -> NativeResult<()> {
    Ok(validate::socket_id(&socket_id)?)
}

/// ValueError unless `user_id` is a valid user id.
#[pyfunction]
pub(crate) fn check_user_id(user_id: PyBackedStr) -> NativeResult<()> {
    Ok(validate::user_id(&user_id)?)
}

/// ValueError unless 1 to 100 channels.
#[pyfunction]
pub(crate) fn check_channel_count(count: usize) -> NativeResult<()> {
    Ok(validate::channel_count(count)?)
}

/// ValueError when the UTF-8 form of `data` is longer than `limit` bytes.
#[pyfunction]
pub(crate) fn check_payload_size(data: PyBackedStr, limit: usize) -> NativeResult<()> {
    Ok(validate::payload_size(&data, limit)?)
}

/// ValueError unless `prefix` is channel-name characters (and `#`).
#[pyfunction]
pub(crate) fn check_prefix_filter(prefix: PyBackedStr) -> NativeResult<()> {
    Ok(validate::prefix_filter(&prefix)?)
}

/// Channel attributes normalised to `"a,b"`, or None; ValueError for unknown names.
#[pyfunction]
pub(crate) fn normalize_info(info: &Bound<'_, PyAny>) -> NativeResult<Option<String>> {
    info_from(info)
}
