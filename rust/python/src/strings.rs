//! Reading Python `str` objects as core [`Text`] without copying, and making `str` objects of it.
//!
//! Under the limited API of Python 3.9 pyo3 can only ask for a new `bytes` copy of every string
//! (`PyUnicode_AsUTF8String`), which costs an allocation and a copy per channel name, event name
//! and JSON key. `PyUnicode_AsUTF8AndSize` returns the UTF-8 form the `str` object itself caches
//! (for ASCII strings, its own storage): it is in the stable ABI from 3.10 and exported by every
//! CPython 3 before that, so the abi3 wheel can use it on all supported versions.
//!
//! A string holding a lone surrogate has no UTF-8 form; it is read through its `surrogatepass`
//! encoding instead (generalized UTF-8, see `pusher_fast_core::text`), a copy made only then.

use std::ops::Deref;
use std::os::raw::c_char;

use pusher_fast_core::text::{Text, TextBuf};
use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The text of a `str`, borrowed from the object (or from a `surrogatepass` copy it holds).
pub struct PyText<'py> {
    /// Keeps the bytes at `data` alive.
    _owner: Owner<'py>,
    data: *const u8,
    len: usize,
}

// Only held, never read: each variant owns the bytes a `PyText` points at.
#[allow(dead_code)]
enum Owner<'py> {
    /// The UTF-8 the str object caches (or its own ASCII storage).
    Str(Bound<'py, PyString>),
    /// The `surrogatepass` encoding of a str holding a lone surrogate.
    Surrogates(Bound<'py, PyBytes>),
    /// Text built in Rust.
    Rust(TextBuf),
}

impl<'py> PyText<'py> {
    /// The text of `text`, surrogates included.
    pub fn from_str_object(text: Bound<'py, PyString>) -> PyResult<Self> {
        let mut size: ffi::Py_ssize_t = 0;
        // SAFETY: `text` is a live str (the Bound holds a strong reference) and `size` is a valid
        // out-pointer; the call only reads the object and may fill its UTF-8 cache.
        let data = unsafe { PyUnicode_AsUTF8AndSize(text.as_ptr(), &mut size) };
        if data.is_null() {
            let error = PyErr::fetch(text.py());
            if !error.is_instance_of::<PyUnicodeEncodeError>(text.py()) {
                return Err(error);
            }
            return Self::surrogate_passing(text);
        }
        Ok(Self {
            data: data.cast::<u8>(),
            len: usize::try_from(size).expect("CPython string sizes are not negative"),
            _owner: Owner::Str(text),
        })
    }

    #[cold]
    fn surrogate_passing(text: Bound<'py, PyString>) -> PyResult<Self> {
        let py = text.py();
        // SAFETY: `text` is a live str; the encoding and error-handler names are NUL-terminated.
        let encoded = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyUnicode_AsEncodedString(
                    text.as_ptr(),
                    c"utf-8".as_ptr(),
                    c"surrogatepass".as_ptr(),
                ),
            )?
        };
        let bytes = encoded.cast_into::<PyBytes>()?;
        let slice = bytes.as_bytes();
        Ok(Self {
            data: slice.as_ptr(),
            len: slice.len(),
            _owner: Owner::Surrogates(bytes),
        })
    }

    /// No text.
    pub fn empty() -> Self {
        Self::from_rust(TextBuf::new())
    }

    /// Text built in Rust.
    pub fn from_rust(text: TextBuf) -> Self {
        let (data, len) = (text.as_bytes().as_ptr(), text.len());
        Self {
            _owner: Owner::Rust(text),
            data,
            len,
        }
    }
}

impl Deref for PyText<'_> {
    type Target = Text;

    fn deref(&self) -> &Text {
        // SAFETY: `data` and `len` describe the UTF-8 cache of an immutable str, the storage of an
        // immutable bytes object, or the heap buffer of a TextBuf (which moving the TextBuf does
        // not move); `owner` keeps each alive for as long as `self`. All three hold generalized
        // UTF-8: UTF-8, `surrogatepass` output, or text built by the core.
        unsafe { Text::from_bytes_unchecked(std::slice::from_raw_parts(self.data, self.len)) }
    }
}

impl AsRef<Text> for PyText<'_> {
    fn as_ref(&self) -> &Text {
        self
    }
}

/// A `str` of `text`; lone surrogates become lone surrogates again.
pub fn py_string<'py>(py: Python<'py>, text: &Text) -> PyResult<Bound<'py, PyString>> {
    if let Some(text) = text.to_str() {
        return Ok(PyString::new(py, text));
    }
    let bytes = text.as_bytes();
    let len = ffi::Py_ssize_t::try_from(bytes.len()).expect("text sizes fit in Py_ssize_t");
    // SAFETY: `bytes` is valid for `len` bytes; the error-handler name is NUL-terminated.
    unsafe {
        let string = Bound::from_owned_ptr_or_err(
            py,
            ffi::PyUnicode_DecodeUTF8(
                bytes.as_ptr().cast::<c_char>(),
                len,
                c"surrogatepass".as_ptr(),
            ),
        )?;
        Ok(string.cast_into_unchecked::<PyString>())
    }
}
