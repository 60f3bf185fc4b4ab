//! Argument coercion: the text of `str`/`bytes` arguments with the official SDK's TypeErrors,
//! optional text, channel attributes, channel lists, mappings and raw bodies.

use pusher_fast_core::limits::MAX_CHANNELS;
use pusher_fast_core::text::TextBuf;
use pusher_fast_core::validate::{self, InfoScope};
use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyFrozenSet, PyList, PyMemoryView, PySet, PyString, PyTuple};

use crate::errors::NativeResult;
use crate::strings::PyText;

/// The text of a `str` or UTF-8 `bytes` argument; anything else is a TypeError naming `what`,
/// worded as the official SDK's `ensure_text`.
pub(crate) fn text<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<PyText<'py>> {
    into_text(value.clone(), what)
}

/// [`text`] of a value the caller gives up.
pub(crate) fn into_text<'py>(value: Bound<'py, PyAny>, what: &str) -> PyResult<PyText<'py>> {
    let value = match value.cast_into::<PyString>() {
        Ok(string) => return PyText::from_str_object(string),
        Err(error) => error.into_inner(),
    };
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return std::str::from_utf8(bytes.as_bytes())
            .map(|text| PyText::from_rust(TextBuf::from(text)))
            .map_err(|_| PyValueError::new_err(format!("{what} is not valid UTF-8")));
    }
    Err(PyTypeError::new_err(format!(
        "{what} should be a string instead it is a {}",
        value.get_type().name()?
    )))
}

/// `None` for a value the official SDK treats as absent (`None`, `""`, anything falsy).
pub(crate) fn optional_text<'py>(
    value: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Option<PyText<'py>>> {
    into_optional_text(value.clone(), what)
}

/// [`optional_text`] of a value the caller gives up.
pub(crate) fn into_optional_text<'py>(
    value: Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Option<PyText<'py>>> {
    if !value.is_truthy()? {
        return Ok(None);
    }
    into_text(value, what).map(Some)
}

/// Channel attributes given as `"a,b"`, or as a list, tuple or set of names, checked against what
/// `scope` offers.
pub(crate) fn info_from(
    value: &Bound<'_, PyAny>,
    scope: InfoScope<'_>,
) -> NativeResult<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        let names = text(value, "info")?;
        let bytes = names.as_bytes();
        let parts = bytes.split(|byte| *byte == b',').map(|part| {
            // SAFETY: splitting generalized UTF-8 at an ASCII comma leaves whole sequences.
            unsafe { pusher_fast_core::text::Text::from_bytes_unchecked(part) }
        });
        return Ok(validate::info(parts, scope)?);
    }
    let is_collection = value.is_instance_of::<PyList>()
        || value.is_instance_of::<PyTuple>()
        || value.is_instance_of::<PySet>()
        || value.is_instance_of::<PyFrozenSet>();
    if !is_collection {
        return Err(PyTypeError::new_err(format!(
            "info should be a string or a list of strings, not {}",
            value.get_type().name()?
        ))
        .into());
    }
    let names = value
        .try_iter()?
        .map(|item| text(&item?, "info attribute"))
        .collect::<PyResult<Vec<PyText<'_>>>>()?;
    Ok(validate::info(names.iter().map(|name| &**name), scope)?)
}

/// The channels of a trigger: one name, or any iterable of names (not a mapping). An iterable is
/// read no further than one name past the limit, so an endless one is refused too.
pub(crate) fn channel_list<'py>(channels: &Bound<'py, PyAny>) -> NativeResult<Vec<PyText<'py>>> {
    if channels.is_instance_of::<PyString>() || channels.is_instance_of::<PyBytes>() {
        return Ok(vec![text(channels, "channel")?]);
    }
    let wrong_type = || PyTypeError::new_err("Expected a single or a list of channels");
    if channels.is_instance_of::<PyDict>() {
        return Err(wrong_type().into());
    }
    let iterator = channels.try_iter().map_err(|_| wrong_type())?;
    let mut names = Vec::new();
    for item in iterator {
        if names.len() == MAX_CHANNELS {
            return Err(validate::too_many_channels().into());
        }
        names.push(into_text(item?, "channel")?);
    }
    Ok(names)
}

/// Whether `value` is a mapping: a dict, a `collections.abc.Mapping`, or any object with `keys`
/// and `__getitem__`.
pub(crate) fn is_mapping(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    if value.is_instance_of::<PyDict>() {
        return Ok(true);
    }
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Ok(false);
    }
    let py = value.py();
    Ok(value.hasattr(intern!(py, "keys"))? && value.hasattr(intern!(py, "__getitem__"))?)
}

/// `mapping[key]`, or None when the mapping has no such key (`mapping` is a mapping).
pub(crate) fn mapping_item<'py>(
    mapping: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(dict) = mapping.cast::<PyDict>() {
        return dict.get_item(key);
    }
    match mapping.get_item(key) {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_instance_of::<PyKeyError>(mapping.py()) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The keys of a mapping, in its order.
pub(crate) fn mapping_keys<'py>(mapping: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if let Ok(dict) = mapping.cast::<PyDict>() {
        return Ok(dict.keys().iter().collect());
    }
    mapping
        .call_method0(intern!(mapping.py(), "keys"))?
        .try_iter()?
        .collect()
}

/// A dict of a mapping-like object (the object itself when it is a dict), for JSON writers that
/// only know dicts.
pub(crate) fn as_dict<'py>(mapping: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if mapping.is_instance_of::<PyDict>() {
        return Ok(mapping.clone());
    }
    let dict = PyDict::new(mapping.py());
    for key in mapping_keys(mapping)? {
        dict.set_item(&key, mapping.get_item(&key)?)?;
    }
    Ok(dict.into_any())
}

/// A request body as bytes: `str` (its UTF-8; a lone surrogate as `surrogatepass` writes it, which
/// no signature made over UTF-8 matches), `bytes`, `bytearray` or `memoryview`.
pub(crate) fn raw_body<'py>(body: &Bound<'py, PyAny>) -> PyResult<StrOrBytesOwned<'py>> {
    if let Ok(string) = body.cast::<PyString>() {
        return PyText::from_str_object(string.clone()).map(StrOrBytesOwned::Str);
    }
    if let Ok(bytes) = PyBackedBytes::extract(body.as_borrowed()) {
        return Ok(StrOrBytesOwned::Bytes(bytes));
    }
    if body.is_instance_of::<PyMemoryView>() {
        let copy = body.call_method0(intern!(body.py(), "tobytes"))?;
        return Ok(StrOrBytesOwned::Bytes(PyBackedBytes::extract(
            copy.as_borrowed(),
        )?));
    }
    Err(PyTypeError::new_err(format!(
        "body should be a string instead it is a {}",
        body.get_type().name()?
    )))
}

/// An owned `str | bytes` argument, read as bytes.
pub(crate) enum StrOrBytesOwned<'py> {
    Str(PyText<'py>),
    Bytes(PyBackedBytes),
}

impl StrOrBytesOwned<'_> {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Str(text) => text.as_bytes(),
            Self::Bytes(bytes) => bytes,
        }
    }
}
