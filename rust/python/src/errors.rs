//! The one place where errors of the Rust crates become Python exceptions.
//!
//! Bindings return [`NativeResult`]: `?` takes core and sender errors as they are and Python errors
//! raised along the way, and pyo3 turns the result into an exception through the `From` below.

use pusher_fast_core::Error;
use pusher_fast_sender::SenderError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;

// Raised into the public hierarchy, which Python owns.
pyo3::import_exception!(pusher_fast.errors, PusherClientClosed);

/// An error on its way to Python.
#[derive(Debug)]
pub enum NativeError {
    /// Input the API's rules refuse: `ValueError`.
    Core(Error),
    /// A sender that cannot be made or cannot take a request.
    Sender(SenderError),
    /// Raised by Python itself (a conversion, a callback), passed on unchanged.
    Python(PyErr),
}

pub type NativeResult<T> = Result<T, NativeError>;

impl From<Error> for NativeError {
    fn from(error: Error) -> Self {
        Self::Core(error)
    }
}

impl From<SenderError> for NativeError {
    fn from(error: SenderError) -> Self {
        Self::Sender(error)
    }
}

impl From<PyErr> for NativeError {
    fn from(error: PyErr) -> Self {
        Self::Python(error)
    }
}

impl From<NativeError> for PyErr {
    fn from(error: NativeError) -> Self {
        match error {
            NativeError::Core(error) => PyValueError::new_err(error.to_string()),
            NativeError::Sender(SenderError::InvalidArgument(message)) => {
                PyValueError::new_err(message)
            }
            NativeError::Sender(SenderError::Closed) => {
                PusherClientClosed::new_err("the client is closed")
            }
            NativeError::Sender(SenderError::Runtime(message)) => PyRuntimeError::new_err(message),
            NativeError::Python(error) => error,
        }
    }
}
