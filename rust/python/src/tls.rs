//! `TlsConfig`: one client TLS configuration, built once and shared by every transport that uses
//! the same roots (the Python layer keeps one per root source and process).

use std::path::PathBuf;
use std::sync::Arc;

use pusher_fast_sender::ClientConfig;
use pusher_fast_sender::{client_config, Roots};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A TLS client configuration: verification against the roots of ``bundle`` (a PEM file) or
/// ``directory`` (of PEM files), or no verification when both are ``None``.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct TlsConfig {
    pub(crate) config: Arc<ClientConfig>,
}

#[pymethods]
impl TlsConfig {
    #[new]
    #[pyo3(signature = (*, bundle = None, directory = None))]
    fn new(py: Python<'_>, bundle: Option<PathBuf>, directory: Option<PathBuf>) -> PyResult<Self> {
        let roots = match (bundle, directory) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err("give bundle or directory, not both"))
            }
            (Some(path), None) => Some(Roots::Bundle(path)),
            (None, Some(path)) => Some(Roots::Directory(path)),
            (None, None) => None,
        };
        // Reading and parsing the roots touches files: let other threads run meanwhile.
        let config = py
            .detach(move || client_config(roots.as_ref()))
            .map_err(|error| PyValueError::new_err(error.to_string()))?;
        Ok(Self { config })
    }
}
