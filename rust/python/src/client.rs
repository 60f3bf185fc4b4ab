//! `NativeClient`: the synchronous `Pusher`'s transport. The calling thread sends the request and
//! reads the answer itself, with the GIL released, over a pooled keep-alive connection.

use std::sync::Arc;
use std::time::Instant;

use pusher_fast_sender::{CallClient, CallError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyDict;

use crate::errors::NativeResult;
use crate::sender::{proxy_choice, seconds, Completion};
use crate::tls::TlsConfig;

/// A keep-alive HTTP/1.1 connection pool whose requests run on the calling thread, without the
/// GIL, each over before ``timeout`` seconds from the call.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct NativeClient {
    inner: CallClient,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (base_url, *, timeout, headers, proxy = None, tls = None, max_body, max_idle))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        base_url: &str,
        timeout: f64,
        headers: Vec<(String, String)>,
        proxy: Option<String>,
        tls: Option<&TlsConfig>,
        max_body: usize,
        max_idle: usize,
    ) -> NativeResult<Self> {
        let inner = CallClient::new(
            base_url,
            &headers,
            &proxy_choice(proxy),
            tls.map(|tls| Arc::clone(&tls.config)),
            seconds("timeout", timeout, false)?,
            max_body,
            max_idle,
        )?;
        Ok(Self { inner })
    }

    /// Send ``method target`` with ``body`` and wait for the answer.
    ///
    /// Returns a new empty dict for a 2xx answer whose body is empty or ``{}`` (the usual answer
    /// to a trigger), and a ``Completion`` for anything else (other bodies, other statuses, and
    /// failures). A signal handler that raises (Ctrl-C) stops the call with its exception.
    fn send<'py>(
        &self,
        py: Python<'py>,
        method: PyBackedStr,
        target: PyBackedStr,
        body: &[u8],
    ) -> NativeResult<Bound<'py, PyAny>> {
        let started = Instant::now();
        let request = self.inner.request_bytes(&method, &target, body)?;
        let inner = &self.inner;
        let outcome = py.detach(|| {
            let mut on_interrupt = || Python::attach(|py| py.check_signals());
            inner.call(&request, &method, started, &mut on_interrupt)
        });
        let completion = match outcome {
            Ok(response) => {
                let empty = response.body.is_empty() || response.body == b"{}";
                if (200..300).contains(&response.status) && empty {
                    return Ok(PyDict::new(py).into_any());
                }
                pusher_fast_sender::Completion {
                    id: 0,
                    status: response.status,
                    body: response.body,
                    failure: None,
                    attempts: 1,
                    retry_after: response.retry_after,
                }
            }
            Err(CallError::Failed(failure)) => pusher_fast_sender::Completion {
                id: 0,
                status: failure.status,
                body: Vec::new(),
                failure: Some(failure),
                attempts: 1,
                retry_after: None,
            },
            Err(CallError::Interrupted(error)) => return Err(error.into()),
        };
        Ok(Bound::new(py, Completion::new(py, completion))?.into_any())
    }

    /// Close the pooled connections and end the calls in progress (they fail as ``CLOSED``).
    fn close(&self) {
        self.inner.close();
    }
}
