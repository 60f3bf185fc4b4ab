//! Event data to JSON text without a round trip through Python's `json` module.
//!
//! The output is byte-identical to `json.dumps(value, ensure_ascii=False)` (default separators,
//! insertion order), since the official SDK serializes data that way and the result is signed.
//! Only exact built-in types are written here; anything else (subclasses, `Decimal`, dates, keys
//! that are not str, very deep nesting) is left to the `json` module, which also reports the
//! errors users expect from it.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::json_text::{push_string, Escape};

/// Deeper values go to the `json` module, which also detects circular references.
const MAX_DEPTH: usize = 32;

/// Appends the JSON text of `value` to `out`. Returns `Ok(false)`, with `out` in an unspecified
/// state, when `value` holds something only the `json` module can write.
pub fn write_value(out: &mut String, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    write_nested(out, value, 0)
}

fn write_nested(out: &mut String, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<bool> {
    if depth > MAX_DEPTH {
        return Ok(false);
    }
    if let Ok(text) = value.cast_exact::<PyString>() {
        push_string(out, &text.to_cow()?, Escape::Unicode);
    } else if value.is_none() {
        out.push_str("null");
    } else if let Ok(flag) = value.cast_exact::<PyBool>() {
        out.push_str(if flag.is_true() { "true" } else { "false" });
    } else if value.is_exact_instance_of::<PyInt>() {
        match value.extract::<i64>() {
            Ok(number) => out.push_str(itoa::Buffer::new().format(number)),
            Err(_) => out.push_str(&value.repr()?.to_cow()?),
        }
    } else if let Ok(number) = value.cast_exact::<PyFloat>() {
        let number = number.value();
        if number.is_nan() {
            out.push_str("NaN");
        } else if number.is_infinite() {
            out.push_str(if number > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            });
        } else {
            // float.__repr__ is what json writes; reproducing its shortest-repr rules is not
            // worth the risk of a single differing digit in a signed body.
            out.push_str(&value.repr()?.to_cow()?);
        }
    } else if let Ok(list) = value.cast_exact::<PyList>() {
        return write_array(out, list.iter(), depth);
    } else if let Ok(tuple) = value.cast_exact::<PyTuple>() {
        return write_array(out, tuple.iter(), depth);
    } else if let Ok(dict) = value.cast_exact::<PyDict>() {
        out.push('{');
        for (index, (key, item)) in dict.iter().enumerate() {
            let Ok(key) = key.cast_exact::<PyString>() else {
                return Ok(false);
            };
            if index > 0 {
                out.push_str(", ");
            }
            push_string(out, &key.to_cow()?, Escape::Unicode);
            out.push_str(": ");
            if !write_nested(out, &item, depth + 1)? {
                return Ok(false);
            }
        }
        out.push('}');
    } else {
        return Ok(false);
    }
    Ok(true)
}

fn write_array<'py>(
    out: &mut String,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
) -> PyResult<bool> {
    out.push('[');
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        if !write_nested(out, &item, depth + 1)? {
            return Ok(false);
        }
    }
    out.push(']');
    Ok(true)
}
