//! The clock requests are signed with: `int(time.time())`, read in Rust unless `time.time` has been
//! replaced (tests freeze it with `monkeypatch.setattr(time, "time", ...)` or `mock.patch`, and
//! users do the same), in which case the replacement is called, as the official SDK would call it.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyInt, PyModule};

static TIME_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
/// The built-in `time.time`, once seen in place.
static BUILTIN_TIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Whole seconds since the epoch, as `int(time.time())` gives them.
pub(crate) fn unix_seconds(py: Python<'_>) -> PyResult<i64> {
    let module = TIME_MODULE
        .get_or_try_init(py, || py.import("time").map(Bound::unbind))?
        .bind(py);
    let time = module.getattr(intern!(py, "time"))?;
    let builtin = match BUILTIN_TIME.get(py) {
        Some(builtin) => time.is(builtin),
        None if is_builtin_time(module, &time)? => {
            let _ = BUILTIN_TIME.set(py, time.clone().unbind());
            true
        }
        None => false,
    };
    if builtin {
        return Ok(system_seconds());
    }
    let now = time.call0()?;
    py.get_type::<PyInt>().call1((now,))?.extract()
}

/// Whether `time` is the C function `time.time` itself, not something put in its place.
fn is_builtin_time(module: &Bound<'_, PyModule>, time: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = module.py();
    Ok(time.is_exact_instance_of::<PyCFunction>()
        && time.getattr(intern!(py, "__self__"))?.is(module)
        && time
            .getattr(intern!(py, "__name__"))?
            .eq(intern!(py, "time"))?)
}

fn system_seconds() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        // Before 1970: int() truncates towards zero.
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
