//! `pusher_fast._native.NativeSender`: the pyo3 face of [`crate::sender::Sender`].
//!
//! Python produces signed requests and collects results; the sender's own runtime thread does
//! the network. Every wait happens with the thread detached from the interpreter, in slices of
//! [`SIGNAL_CHECK`] so that Ctrl-C (or any signal handler raising) interrupts a blocked
//! `submit` or `completed`. The fast paths (room in the queue, results already there) never
//! detach.

use std::time::{Duration, Instant};

use bytes::Bytes;
use pusher_fast_sender::{Options, ProxyChoice, Request, Sender};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyBytes;

use crate::errors::NativeResult;

/// How long a detached wait lasts before checking for signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

fn seconds(name: &str, value: f64, allow_zero: bool) -> PyResult<Duration> {
    let ok = value.is_finite() && (value > 0.0 || (allow_zero && value == 0.0));
    let duration = ok
        .then(|| Duration::try_from_secs_f64(value).ok())
        .flatten();
    duration.ok_or_else(|| {
        PyValueError::new_err(format!(
            "{name} must be a finite number of seconds {} 0, got {value}",
            if allow_zero { ">=" } else { ">" }
        ))
    })
}

/// Why a request got no HTTP response.
#[pyclass(eq, hash, frozen, module = "pusher_fast._native")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum FailureKind {
    #[pyo3(name = "TIMEOUT")]
    Timeout,
    #[pyo3(name = "CONNECT")]
    Connect,
    #[pyo3(name = "TLS")]
    Tls,
    #[pyo3(name = "PROXY")]
    Proxy,
    #[pyo3(name = "PROTOCOL")]
    Protocol,
    #[pyo3(name = "CLOSED")]
    Closed,
}

impl From<pusher_fast_sender::FailureKind> for FailureKind {
    fn from(kind: pusher_fast_sender::FailureKind) -> Self {
        use pusher_fast_sender::FailureKind as Kind;
        match kind {
            Kind::Timeout => Self::Timeout,
            Kind::Connect => Self::Connect,
            Kind::Tls => Self::Tls,
            Kind::Proxy => Self::Proxy,
            Kind::Protocol => Self::Protocol,
            Kind::Closed => Self::Closed,
        }
    }
}

/// A finished request: the final response (``status``, ``body``, ``retry_after``), or, with
/// ``status`` 0, the ``failure`` that stopped it and a ``message`` saying why.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct Completion {
    #[pyo3(get)]
    request_id: u64,
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    body: Py<PyBytes>,
    #[pyo3(get)]
    failure: Option<FailureKind>,
    #[pyo3(get)]
    message: Option<String>,
    #[pyo3(get)]
    attempts: u32,
    #[pyo3(get)]
    retry_after: Option<f64>,
}

impl Completion {
    fn new(py: Python<'_>, completion: pusher_fast_sender::Completion) -> Self {
        let (failure, message) = match completion.failure {
            Some(failure) => (Some(failure.kind.into()), Some(failure.message)),
            None => (None, None),
        };
        Self {
            request_id: completion.id,
            status: completion.status,
            body: PyBytes::new(py, &completion.body).unbind(),
            failure,
            message,
            attempts: completion.attempts,
            retry_after: completion.retry_after,
        }
    }
}

#[pymethods]
impl Completion {
    fn __repr__(&self) -> String {
        format!(
            "Completion(request_id={}, status={}, failure={}, attempts={})",
            self.request_id,
            self.status,
            self.failure
                .map_or("None".to_owned(), |kind| format!("FailureKind.{kind:?}")),
            self.attempts,
        )
    }
}

/// A pooled keep-alive HTTP/1.1 client that sends already-signed requests on its own thread.
///
/// Requests submitted to the same lane are sent one after another in submission order (retries
/// included); lanes run concurrently. ``submit`` waits while ``max_queued`` requests are
/// submitted and not yet collected with ``completed``, which returns them as ``Completion``s.
#[pyclass(module = "pusher_fast._native", name = "NativeSender", frozen)]
pub struct NativeSender {
    inner: Sender,
}

#[pymethods]
impl NativeSender {
    #[new]
    #[pyo3(signature = (
        base_url, *, timeout, lanes, max_queued, headers, proxy = None, verify = true,
        ca_file = None, retries = 0, backoff_base = 0.1, backoff_max = 10.0
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        base_url: String,
        timeout: f64,
        lanes: usize,
        max_queued: usize,
        headers: Vec<(String, String)>,
        proxy: Option<String>,
        verify: bool,
        ca_file: Option<String>,
        retries: u32,
        backoff_base: f64,
        backoff_max: f64,
    ) -> NativeResult<Self> {
        let options = Options {
            timeout: seconds("timeout", timeout, false)?,
            lanes,
            max_queued,
            headers,
            proxy: proxy.map_or(ProxyChoice::FromEnv, ProxyChoice::Url),
            verify,
            ca_file,
            retries,
            backoff_base,
            backoff_max,
        };
        // Loading the platform's CA certificates reads files: let other threads run meanwhile.
        let inner = py.detach(move || Sender::new(&base_url, options))?;
        Ok(Self { inner })
    }

    /// Queue one request on ``lane``; waits (without the GIL) while ``max_queued`` are pending.
    fn submit(
        &self,
        py: Python<'_>,
        request_id: u64,
        lane: usize,
        method: PyBackedStr,
        path_and_query: PyBackedStr,
        body: &[u8],
    ) -> NativeResult<()> {
        let request = Request::new(
            request_id,
            lane,
            &method,
            &path_and_query,
            Bytes::copy_from_slice(body),
        )?;
        let mut request = match self.inner.try_submit(request)? {
            None => return Ok(()),
            Some(request) => request,
        };
        loop {
            let inner = &self.inner;
            let back = py.detach(move || inner.submit_timeout(request, SIGNAL_CHECK))?;
            match back {
                None => return Ok(()),
                Some(back) => request = back,
            }
            py.check_signals()?;
        }
    }

    /// Return and forget every finished request.
    ///
    /// With ``wait``, first block (without the GIL) until one is ready or ``timeout`` seconds
    /// passed (``None``: no limit); returns ``[]`` at once when nothing is pending.
    #[pyo3(signature = (wait, timeout = None))]
    fn completed(
        &self,
        py: Python<'_>,
        wait: bool,
        timeout: Option<f64>,
    ) -> PyResult<Vec<Completion>> {
        let deadline = match timeout {
            None => None,
            Some(timeout) => Instant::now().checked_add(seconds("timeout", timeout, true)?),
        };
        let mut done = self.inner.take_completed();
        while wait && done.is_empty() && self.inner.pending() > 0 && !self.inner.is_closed() {
            let slice = match deadline {
                None => SIGNAL_CHECK,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    left.min(SIGNAL_CHECK)
                }
            };
            let inner = &self.inner;
            done = py.detach(move || inner.wait_completed(slice));
            if done.is_empty() {
                py.check_signals()?;
            }
        }
        Ok(done
            .into_iter()
            .map(|completion| Completion::new(py, completion))
            .collect())
    }

    /// Requests submitted and not yet returned by ``completed``.
    fn pending(&self) -> usize {
        self.inner.pending()
    }

    /// Stop taking requests and drop the connections without waiting for the network.
    ///
    /// Requests not finished by then are returned by ``completed`` with status 0 and the
    /// ``CLOSED`` failure. Idempotent.
    fn close(&self, py: Python<'_>) {
        let inner = &self.inner;
        py.detach(move || inner.close());
    }
}
