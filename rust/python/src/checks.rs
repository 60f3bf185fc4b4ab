//! The checks `pusher_fast.validation` and the local test server run before anything is sent or
//! accepted, and the bounds of the retry policy.

use pusher_fast_core::text::Text;
use pusher_fast_core::{retry, validate};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString};

use crate::convert::info_from;
use crate::errors::NativeResult;
use crate::json;
use crate::strings::PyText;

fn text_of<'py>(value: &Bound<'py, PyString>) -> PyResult<PyText<'py>> {
    PyText::from_str_object(value.clone())
}

/// ValueError unless `name` is a valid channel name (see `validation.validate_channel`).
#[pyfunction]
pub(crate) fn check_channel(
    name: &Bound<'_, PyString>,
    allow_server_to_user: bool,
) -> NativeResult<()> {
    Ok(validate::channel(&text_of(name)?, allow_server_to_user)?)
}

/// ValueError unless `name` is a valid event name.
#[pyfunction]
pub(crate) fn check_event_name(name: &Bound<'_, PyString>) -> NativeResult<()> {
    Ok(validate::event_name(&text_of(name)?)?)
}

/// ValueError unless `socket_id` looks like `<digits>.<digits>`.
#[pyfunction]
pub(crate) fn check_socket_id(socket_id: &Bound<'_, PyString>) -> NativeResult<()> {
    Ok(validate::socket_id(&text_of(socket_id)?)?)
}

/// ValueError unless `user_id` is a valid user id.
#[pyfunction]
pub(crate) fn check_user_id(user_id: &Bound<'_, PyString>) -> NativeResult<()> {
    Ok(validate::user_id(&text_of(user_id)?)?)
}

/// ValueError unless 1 to 100 channels.
#[pyfunction]
pub(crate) fn check_channel_count(count: usize) -> NativeResult<()> {
    Ok(validate::channel_count(count)?)
}

/// ValueError when the encoding of `data` is longer than `limit` bytes.
#[pyfunction]
pub(crate) fn check_payload_size(data: &Bound<'_, PyString>, limit: usize) -> NativeResult<()> {
    Ok(validate::payload_size(text_of(data)?.len(), limit)?)
}

/// ValueError unless `prefix` is channel-name characters (and `#`).
#[pyfunction]
pub(crate) fn check_prefix_filter(prefix: &Bound<'_, PyString>) -> NativeResult<()> {
    Ok(validate::prefix_filter(&text_of(prefix)?)?)
}

/// Where channel attributes are asked for; each place offers its own.
#[pyclass(eq, eq_int, frozen, hash, module = "pusher_fast._native")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum InfoScope {
    /// The `info` of a trigger or a batch event: `user_count` and `subscription_count`.
    #[pyo3(name = "EVENT")]
    Event,
    /// The channel list (`target` is its prefix filter): `user_count`, with a `presence-` prefix.
    #[pyo3(name = "CHANNEL_LIST")]
    ChannelList,
    /// One channel (`target`): `user_count` for presence channels, `subscription_count` else.
    #[pyo3(name = "CHANNEL")]
    Channel,
}

impl InfoScope {
    fn scope(self, target: &Text) -> validate::InfoScope<'_> {
        match self {
            Self::Event => validate::InfoScope::Event,
            Self::ChannelList => validate::InfoScope::ChannelList { prefix: target },
            Self::Channel => validate::InfoScope::Channel { channel: target },
        }
    }
}

/// Channel attributes (`"a,b"` or a collection of names) normalised to `"a,b"`, or None;
/// ValueError for names `scope` does not offer for `target` (a prefix filter or a channel).
#[pyfunction]
#[pyo3(signature = (info, scope = None, target = None))]
pub(crate) fn normalize_info(
    info: &Bound<'_, PyAny>,
    scope: Option<&Bound<'_, InfoScope>>,
    target: Option<&Bound<'_, PyString>>,
) -> NativeResult<Option<String>> {
    let scope = scope.map_or(InfoScope::Event, |scope| *scope.get());
    let target = target.map(text_of).transpose()?;
    let target = target.as_deref().unwrap_or(Text::new(""));
    info_from(info, scope.scope(target))
}

/// ValueError unless `scope` offers every one of `attributes` (exact names) for `target`.
#[pyfunction]
pub(crate) fn check_info_attributes(
    attributes: Vec<Bound<'_, PyString>>,
    scope: &Bound<'_, InfoScope>,
    target: &Bound<'_, PyString>,
) -> NativeResult<()> {
    let scope = *scope.get();
    let target = text_of(target)?;
    let attributes = attributes
        .iter()
        .map(text_of)
        .collect::<PyResult<Vec<_>>>()?;
    Ok(validate::info_attributes(
        attributes.iter().map(|name| &**name),
        scope.scope(&target),
    )?)
}

/// ValueError unless `retries` is 0 to `MAX_RETRIES`.
#[pyfunction]
pub(crate) fn check_retries(retries: &Bound<'_, PyInt>) -> NativeResult<u32> {
    let shown = retries.repr()?.to_string_lossy().into_owned();
    Ok(retry::check_retries(retries.extract::<i64>().ok(), &shown)?)
}

/// ValueError unless `seconds` (the option `name`) is finite, above 0 and at most
/// `MAX_BACKOFF_SECONDS`.
#[pyfunction]
pub(crate) fn check_backoff(name: &str, seconds: f64) -> NativeResult<f64> {
    Ok(retry::check_backoff(name, seconds)?)
}

/// `json.loads(body)`, read in Rust where it can be; ValueError (never RecursionError) for a body
/// that is not JSON.
#[pyfunction]
pub(crate) fn loads_json<'py>(py: Python<'py>, body: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    json::loads(py, body)
}
