//! Borrowing the UTF-8 text of Python `str` objects without copying it.
//!
//! Under the limited API of Python 3.9 pyo3 can only ask for a new `bytes` copy of every string
//! (`PyUnicode_AsUTF8String`), which costs an allocation and a copy per channel name, event name
//! and JSON key. `PyUnicode_AsUTF8AndSize` returns the UTF-8 form the `str` object itself caches
//! (for ASCII strings, its own storage): it is in the stable ABI from 3.10 and exported by every
//! CPython 3 before that, so the abi3 wheel can use it on all supported versions.

use std::ops::Deref;
use std::os::raw::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 text of `text`, borrowed from the object. Fails (UnicodeEncodeError) for strings
/// holding lone surrogates, which have no UTF-8 form.
pub fn as_str<'a>(text: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `text` is a live str (the borrow holds a strong reference) and `size` is a valid
    // out-pointer; the call only reads the object and may fill its UTF-8 cache.
    let data = unsafe { PyUnicode_AsUTF8AndSize(text.as_ptr(), &mut size) };
    if data.is_null() {
        return Err(PyErr::fetch(text.py()));
    }
    let size = usize::try_from(size).expect("CPython string sizes are not negative");
    // SAFETY: CPython guarantees `size` bytes of valid UTF-8 at `data`, owned by the immutable str
    // object, which outlives the returned borrow because `text` does.
    Ok(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast::<u8>(), size))
    })
}

/// A string argument: a Python `str` whose UTF-8 has been checked to exist, or text built in Rust.
pub enum PyText<'py> {
    Python(Bound<'py, PyString>),
    Rust(String),
}

impl<'py> PyText<'py> {
    /// Wraps a str after checking it has a UTF-8 form, so that reading it later cannot fail.
    pub fn from_str_object(text: Bound<'py, PyString>) -> PyResult<Self> {
        as_str(&text)?;
        Ok(Self::Python(text))
    }
}

impl Deref for PyText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Self::Python(text) => {
                as_str(text).expect("the UTF-8 form was produced on construction")
            }
            Self::Rust(text) => text,
        }
    }
}

impl AsRef<str> for PyText<'_> {
    fn as_ref(&self) -> &str {
        self
    }
}
