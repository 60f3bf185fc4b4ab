//! Argument coercion: the text of `str`/`bytes` arguments with the official SDK's TypeErrors,
//! optional text, channel attributes, channel lists and raw bodies.

use pusher_fast_core::validate;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyDict, PyFrozenSet, PyList, PyMemoryView, PySet, PyString, PyTuple};

use crate::errors::NativeResult;
use crate::strings::PyText;

/// The text of a `str` or UTF-8 `bytes` argument; anything else is a TypeError naming `what`,
/// worded as the official SDK's `ensure_text`.
pub(crate) fn text<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<PyText<'py>> {
    if let Ok(string) = value.cast::<PyString>() {
        return PyText::from_str_object(string.clone());
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return std::str::from_utf8(bytes.as_bytes())
            .map(|text| PyText::Rust(text.to_owned()))
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
    if !value.is_truthy()? {
        return Ok(None);
    }
    text(value, what).map(Some)
}

/// Channel attributes given as `"a,b"`, or as a list, tuple or set of names.
pub(crate) fn info_from(value: &Bound<'_, PyAny>) -> NativeResult<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        let names = text(value, "info")?;
        return Ok(validate::info(names.split(','))?);
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
    Ok(validate::info(names.iter().map(|name| &**name))?)
}

/// The channels of a trigger: one name, or any iterable of names (not a mapping).
pub(crate) fn channel_list<'py>(channels: &Bound<'py, PyAny>) -> PyResult<Vec<PyText<'py>>> {
    if channels.is_instance_of::<PyString>() || channels.is_instance_of::<PyBytes>() {
        return Ok(vec![text(channels, "channel")?]);
    }
    let wrong_type = || PyTypeError::new_err("Expected a single or a list of channels");
    if channels.is_instance_of::<PyDict>() {
        return Err(wrong_type());
    }
    let iterator = channels.try_iter().map_err(|_| wrong_type())?;
    iterator.map(|item| text(&item?, "channel")).collect()
}

/// A request body as bytes: `str` (its UTF-8), `bytes`, `bytearray` or `memoryview`.
pub(crate) fn raw_body(body: &Bound<'_, PyAny>) -> PyResult<StrOrBytesOwned> {
    if body.is_instance_of::<PyString>() {
        return PyBackedStr::extract(body.as_borrowed()).map(StrOrBytesOwned::Str);
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
pub(crate) enum StrOrBytesOwned {
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
}

impl StrOrBytesOwned {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Str(text) => text.as_bytes(),
            Self::Bytes(bytes) => bytes,
        }
    }
}
