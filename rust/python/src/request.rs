//! `PreparedRequest`: a signed request, ready to send with any HTTP client. Built in Rust by the
//! request builders (no Python `__init__` per request) and constructible from Python as before.

use pyo3::basic::CompareOp;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{IntoPyDict, PyBool, PyDict, PyString, PyTuple};

/// A signed request, ready to send with any HTTP client: ``method``, ``url``, ``headers`` and
/// ``body``.
///
/// The attribute names follow the official SDK's ``pusher.http.Request``, so custom ``backend=``
/// classes written for it keep working. The signed query string is left out of ``repr()``: it can
/// be replayed for a few minutes.
#[pyclass(frozen, module = "pusher_fast", name = "PreparedRequest")]
pub(crate) struct PreparedRequest {
    /// ``"GET"`` or ``"POST"``.
    #[pyo3(get)]
    method: Py<PyAny>,
    /// ``scheme://host[:port]``.
    #[pyo3(get)]
    base_url: Py<PyAny>,
    /// ``/apps/{app_id}/...``.
    #[pyo3(get)]
    path: Py<PyAny>,
    /// The signed query string, percent-encoded.
    #[pyo3(get)]
    query_string: Py<PyAny>,
    #[pyo3(get)]
    headers: Py<PyAny>,
    #[pyo3(get)]
    body: Py<PyAny>,
}

impl PreparedRequest {
    pub(crate) fn new_signed(
        method: Py<PyAny>,
        base_url: Py<PyAny>,
        path: Py<PyAny>,
        query_string: Py<PyAny>,
        headers: Py<PyAny>,
        body: Py<PyAny>,
    ) -> Self {
        Self {
            method,
            base_url,
            path,
            query_string,
            headers,
            body,
        }
    }

    fn fields<'py>(&self, py: Python<'py>) -> [&Bound<'py, PyAny>; 6] {
        [
            self.method.bind(py),
            self.base_url.bind(py),
            self.path.bind(py),
            self.query_string.bind(py),
            self.headers.bind(py),
            self.body.bind(py),
        ]
    }
}

#[pymethods]
impl PreparedRequest {
    #[new]
    fn py_new(
        method: Py<PyAny>,
        base_url: Py<PyAny>,
        path: Py<PyAny>,
        query_string: Py<PyAny>,
        headers: Py<PyAny>,
        body: Py<PyAny>,
    ) -> Self {
        Self::new_signed(method, base_url, path, query_string, headers, body)
    }

    /// ``base_url`` + ``path`` + ``?`` + ``query_string``.
    #[getter]
    fn url<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        let [_, base_url, path, query, ..] = self.fields(py);
        let url = format!(
            "{}{}?{}",
            base_url.str()?.to_cow()?,
            path.str()?.to_cow()?,
            query.str()?.to_cow()?
        );
        Ok(PyString::new(py, &url))
    }

    /// ``path`` + ``?`` + ``query_string``.
    #[getter]
    fn signed_path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        let [_, _, path, query, ..] = self.fields(py);
        let signed = format!("{}?{}", path.str()?.to_cow()?, query.str()?.to_cow()?);
        Ok(PyString::new(py, &signed))
    }

    /// The query string's parameters, decoded: ``dict(urllib.parse.parse_qsl(query_string))``.
    #[getter]
    fn query_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        static PARSE_QSL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let parse_qsl = PARSE_QSL.import(py, "urllib.parse", "parse_qsl")?;
        let kwargs = [(intern!(py, "keep_blank_values"), true)].into_py_dict(py)?;
        let pairs = parse_qsl.call((self.query_string.bind(py),), Some(&kwargs))?;
        py.get_type::<PyDict>().call1((pairs,))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let [method, base_url, path, ..] = self.fields(py);
        Ok(format!(
            "PreparedRequest(method={}, base_url={}, path={})",
            method.repr()?.to_cow()?,
            base_url.repr()?.to_cow()?,
            path.repr()?.to_cow()?
        ))
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<Self>() else {
            return Ok(py.NotImplemented());
        };
        let equal = match op {
            CompareOp::Eq | CompareOp::Ne => {
                let other = other.get();
                let mut equal = true;
                for (mine, theirs) in self.fields(py).into_iter().zip(other.fields(py)) {
                    if !mine.eq(theirs)? {
                        equal = false;
                        break;
                    }
                }
                equal
            }
            _ => return Ok(py.NotImplemented()),
        };
        let result = equal ^ matches!(op, CompareOp::Ne);
        Ok(PyBool::new(py, result).to_owned().into_any().unbind())
    }

    /// Pickles and copies as a call of the constructor.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let fields = slf.get().fields(py);
        Ok((slf.get_type().into_any(), PyTuple::new(py, fields)?))
    }
}
