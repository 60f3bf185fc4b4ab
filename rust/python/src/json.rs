//! JSON between Python values and text without a round trip through Python's `json` module.
//!
//! Writing is byte-identical to `json.dumps(value, ensure_ascii=...)` (default separators,
//! insertion order), since the official SDK serializes data and auth payloads that way and the
//! result is signed. Only exact built-in types are written here; anything else (subclasses,
//! `Decimal`, dates, keys that are not str, very deep nesting) is left to the `json` module, which
//! also reports the errors users expect from it.
//!
//! Reading gives exactly what `json.loads` gives: the core's reader (`json_read`) for the bodies
//! it reads, and `json.loads` itself for the rest (other encodings, deep nesting, invalid text),
//! whose `RecursionError` becomes the `ValueError` of any other unreadable text.

use pusher_fast_core::float_text::FloatRepr;
use pusher_fast_core::json_read::{self, Builder};
use pusher_fast_core::json_text::JsonWrite;
use pusher_fast_core::text::Text;
use pyo3::exceptions::{PyRecursionError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::strings::{py_string, PyText};

/// Deeper values go to the `json` module, which also detects circular references.
const MAX_DEPTH: usize = 32;

/// Writes the JSON text of `value` into `out` (plain text with either escape, or the literal
/// form of event data). Returns `Ok(false)`, with `out` in an unspecified state, when `value`
/// holds something only the `json` module can write.
pub fn write_value<W: JsonWrite>(out: &mut W, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    write_nested(out, value, 0)
}

fn write_nested<W: JsonWrite>(
    out: &mut W,
    value: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<bool> {
    if depth > MAX_DEPTH {
        return Ok(false);
    }
    if let Ok(text) = value.cast_exact::<PyString>() {
        out.string(&PyText::from_str_object(text.clone())?);
    } else if value.is_none() {
        out.token("null");
    } else if let Ok(flag) = value.cast_exact::<PyBool>() {
        out.token(if flag.is_true() { "true" } else { "false" });
    } else if value.is_exact_instance_of::<PyInt>() {
        match value.extract::<i64>() {
            Ok(number) => out.token(itoa::Buffer::new().format(number)),
            Err(_) => out.token(&value.repr()?.to_cow()?),
        }
    } else if let Ok(number) = value.cast_exact::<PyFloat>() {
        let number = number.value();
        if number.is_nan() {
            out.token("NaN");
        } else if number.is_infinite() {
            out.token(if number > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            });
        } else {
            out.token(FloatRepr::new(number).as_str());
        }
    } else if let Ok(list) = value.cast_exact::<PyList>() {
        return write_array(out, list.iter(), depth);
    } else if let Ok(tuple) = value.cast_exact::<PyTuple>() {
        return write_array(out, tuple.iter(), depth);
    } else if let Ok(dict) = value.cast_exact::<PyDict>() {
        out.token("{");
        for (index, (key, item)) in dict.iter().enumerate() {
            let Ok(key) = key.cast_exact::<PyString>() else {
                return Ok(false);
            };
            if index > 0 {
                out.token(", ");
            }
            out.string(&PyText::from_str_object(key.clone())?);
            out.token(": ");
            if !write_nested(out, &item, depth + 1)? {
                return Ok(false);
            }
        }
        out.token("}");
    } else {
        return Ok(false);
    }
    Ok(true)
}

fn write_array<'py, W: JsonWrite>(
    out: &mut W,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
) -> PyResult<bool> {
    out.token("[");
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.token(", ");
        }
        if !write_nested(out, &item, depth + 1)? {
            return Ok(false);
        }
    }
    out.token("]");
    Ok(true)
}

/// `json.loads(text)` for `text` as bytes, but a text nested too deeply to read is a ValueError
/// like any other unreadable text, never a RecursionError.
pub fn loads<'py>(py: Python<'py>, text: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(value) = json_read::read(text, &mut PyValues { py }) {
        return Ok(value);
    }
    static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let json_loads = JSON_LOADS.import(py, "json", "loads")?;
    match json_loads.call1((PyBytes::new(py, text),)) {
        Err(error) if error.is_instance_of::<PyRecursionError>(py) => Err(PyValueError::new_err(
            "the JSON text is nested too deeply to read",
        )),
        result => result,
    }
}

/// Python values of what the core's reader finds, as `json.loads` makes them.
struct PyValues<'py> {
    py: Python<'py>,
}

/// Integers of up to 18 digits fit an `i64`.
const I64_DIGITS: usize = 18;

impl<'py> Builder for PyValues<'py> {
    type Value = Bound<'py, PyAny>;
    type Error = PyErr;

    fn null(&mut self) -> PyResult<Self::Value> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn boolean(&mut self, value: bool) -> PyResult<Self::Value> {
        Ok(PyBool::new(self.py, value).to_owned().into_any())
    }

    fn integer(&mut self, digits: &str) -> PyResult<Self::Value> {
        let magnitude = digits.trim_start_matches('-');
        if magnitude.len() <= I64_DIGITS {
            let value: i64 = digits.parse().map_err(|_| {
                PyValueError::new_err("the JSON reader passed an integer that is not one")
            })?;
            return Ok(value.into_pyobject(self.py)?.into_any());
        }
        // int() of the digits, as json.loads does (with Python's limit on their number).
        self.py.get_type::<PyInt>().call1((digits,))
    }

    fn float(&mut self, value: f64) -> PyResult<Self::Value> {
        Ok(PyFloat::new(self.py, value).into_any())
    }

    fn string(&mut self, text: &Text) -> PyResult<Self::Value> {
        if let Some(interned) = text.to_str().and_then(|text| webhook_key(self.py, text)) {
            return Ok(interned.into_any());
        }
        Ok(py_string(self.py, text)?.into_any())
    }

    fn array(&mut self, items: Vec<Self::Value>) -> PyResult<Self::Value> {
        Ok(PyList::new(self.py, items)?.into_any())
    }

    fn object(&mut self, members: Vec<(Self::Value, Self::Value)>) -> PyResult<Self::Value> {
        let dict = PyDict::new(self.py);
        for (key, value) in members {
            dict.set_item(key, value)?;
        }
        Ok(dict.into_any())
    }
}

/// The interned string of a name every webhook repeats: no allocation, and its hash is cached.
fn webhook_key<'py>(py: Python<'py>, key: &str) -> Option<Bound<'py, PyString>> {
    let interned = match key {
        "time_ms" => intern!(py, "time_ms"),
        "events" => intern!(py, "events"),
        "name" => intern!(py, "name"),
        "channel" => intern!(py, "channel"),
        "event" => intern!(py, "event"),
        "data" => intern!(py, "data"),
        "socket_id" => intern!(py, "socket_id"),
        "user_id" => intern!(py, "user_id"),
        "subscription_count" => intern!(py, "subscription_count"),
        "channel_occupied" => intern!(py, "channel_occupied"),
        "channel_vacated" => intern!(py, "channel_vacated"),
        "member_added" => intern!(py, "member_added"),
        "member_removed" => intern!(py, "member_removed"),
        "client_event" => intern!(py, "client_event"),
        _ => return None,
    };
    Some(interned.clone())
}
