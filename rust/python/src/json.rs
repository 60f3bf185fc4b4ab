//! JSON between Python values and text without a round trip through Python's `json` module.
//!
//! Writing is byte-identical to `json.dumps(value, ensure_ascii=...)` (default separators,
//! insertion order), since the official SDK serializes data and auth payloads that way and the
//! result is signed. Only exact built-in types are written here; anything else (subclasses,
//! `Decimal`, dates, keys that are not str, very deep nesting) is left to the `json` module, which
//! also reports the errors users expect from it. Reading gives what `json.loads` gives.

use std::fmt;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::strings::as_str;
use pusher_fast_core::json_text::{push_string, Escape};

/// Deeper values go to the `json` module, which also detects circular references.
const MAX_DEPTH: usize = 32;

/// Appends the JSON text of `value` to `out`, strings escaped as `escape` says. Returns
/// `Ok(false)`, with `out` in an unspecified state, when `value` holds something only the `json`
/// module can write.
pub fn write_value(out: &mut String, value: &Bound<'_, PyAny>, escape: Escape) -> PyResult<bool> {
    write_nested(out, value, escape, 0)
}

fn write_nested(
    out: &mut String,
    value: &Bound<'_, PyAny>,
    escape: Escape,
    depth: usize,
) -> PyResult<bool> {
    if depth > MAX_DEPTH {
        return Ok(false);
    }
    if let Ok(text) = value.cast_exact::<PyString>() {
        push_string(out, as_str(text)?, escape);
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
        return write_array(out, list.iter(), escape, depth);
    } else if let Ok(tuple) = value.cast_exact::<PyTuple>() {
        return write_array(out, tuple.iter(), escape, depth);
    } else if let Ok(dict) = value.cast_exact::<PyDict>() {
        out.push('{');
        for (index, (key, item)) in dict.iter().enumerate() {
            let Ok(key) = key.cast_exact::<PyString>() else {
                return Ok(false);
            };
            if index > 0 {
                out.push_str(", ");
            }
            push_string(out, as_str(key)?, escape);
            out.push_str(": ");
            if !write_nested(out, &item, escape, depth + 1)? {
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
    escape: Escape,
    depth: usize,
) -> PyResult<bool> {
    out.push('[');
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        if !write_nested(out, &item, escape, depth + 1)? {
            return Ok(false);
        }
    }
    out.push(']');
    Ok(true)
}

/// Parses JSON text into Python values as `json.loads` would (objects become dicts, numbers ints
/// or floats); `None` when the text is not valid JSON.
pub fn parse<'py>(py: Python<'py>, text: &[u8]) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let seed = PyValueSeed { py };
    let Ok(value) = seed.deserialize(&mut deserializer) else {
        return Ok(None);
    };
    if deserializer.end().is_err() {
        return Ok(None);
    }
    value.map(Some)
}

/// Builds Python values while serde_json reads; a Python error is carried out as the value.
struct PyValueSeed<'py> {
    py: Python<'py>,
}

type Built<'py> = PyResult<Bound<'py, PyAny>>;

impl<'de, 'py> DeserializeSeed<'de> for PyValueSeed<'py> {
    type Value = Built<'py>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for PyValueSeed<'py> {
    type Value = Built<'py>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Ok(PyBool::new(self.py, value).to_owned().into_any()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(value
            .into_pyobject(self.py)
            .map(Bound::into_any)
            .map_err(Into::into))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(value
            .into_pyobject(self.py)
            .map(Bound::into_any)
            .map_err(Into::into))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Ok(PyFloat::new(self.py, value).into_any()))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Ok(PyString::new(self.py, value).into_any()))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Ok(self.py.None().into_bound(self.py)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = PyList::empty(self.py);
        while let Some(item) = seq.next_element_seed(PyValueSeed { py: self.py })? {
            match item.and_then(|item| list.append(item)) {
                Ok(()) => {}
                Err(error) => return Ok(Err(error)),
            }
        }
        Ok(Ok(list.into_any()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.py);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value = map.next_value_seed(PyValueSeed { py: self.py })?;
            let key = webhook_key(self.py, &key).unwrap_or_else(|| PyString::new(self.py, &key));
            if let Err(error) = value.and_then(|value| dict.set_item(key, value)) {
                return Ok(Err(error));
            }
        }
        Ok(Ok(dict.into_any()))
    }
}

/// The interned string of a key every webhook repeats: no allocation, and its hash is cached.
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
        _ => return None,
    };
    Some(interned.clone())
}
