//! `NativeSender` (the runtime-thread sender of the asyncio client and the bulk publisher), the
//! `CompletionQueue` its results go to, and the typed results: `Completion` and `FailureKind`.
//!
//! Waits happen with the thread detached from the interpreter, in slices of [`SIGNAL_CHECK`], so
//! that Ctrl-C (or any signal handler raising) interrupts a blocked `wait`. An event loop never
//! waits here: it watches `CompletionQueue.fileno()` and calls `take()`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pusher_fast_sender::{Options, ProxyChoice, Sender};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::PyBytes;

use crate::bulk::PackedRequest;
use crate::errors::NativeResult;
use crate::tls::TlsConfig;

/// How long a detached wait lasts before checking for signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// A number of seconds as a `Duration`: finite, and positive (or zero where allowed).
pub(crate) fn seconds(name: &str, value: f64, allow_zero: bool) -> PyResult<Duration> {
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

/// `None` takes the proxy from the environment (as httpx does); a URL is that proxy.
pub(crate) fn proxy_choice(proxy: Option<String>) -> ProxyChoice {
    proxy.map_or(ProxyChoice::FromEnv, ProxyChoice::Url)
}

/// Why a request got no usable HTTP response.
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
    #[pyo3(name = "BODY_TOO_LARGE")]
    BodyTooLarge,
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
            Kind::BodyTooLarge => Self::BodyTooLarge,
            Kind::Closed => Self::Closed,
        }
    }
}

/// A finished request: the final response (``status``, ``body``, ``retry_after``), or the
/// ``failure`` that stopped it and a ``message`` saying why (``status`` is 0 then, except for
/// ``BODY_TOO_LARGE``, whose status is known).
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
    pub(crate) fn new(py: Python<'_>, completion: pusher_fast_sender::Completion) -> Self {
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

fn completions(py: Python<'_>, done: Vec<pusher_fast_sender::Completion>) -> Vec<Completion> {
    done.into_iter()
        .map(|completion| Completion::new(py, completion))
        .collect()
}

/// Where the completions of submitted requests are delivered.
///
/// A thread collects them with ``wait``; an event loop watches ``fileno()`` (readable while
/// completions wait) and collects them with ``take``.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct CompletionQueue {
    inner: Arc<pusher_fast_sender::CompletionQueue>,
}

#[pymethods]
impl CompletionQueue {
    #[new]
    fn new() -> Self {
        Self {
            inner: Arc::new(pusher_fast_sender::CompletionQueue::new()),
        }
    }

    /// Every completion delivered so far, without waiting.
    fn take(&self, py: Python<'_>) -> Vec<Completion> {
        completions(py, self.inner.take())
    }

    /// Like ``take``, but first waits (without the GIL) up to ``timeout`` seconds for one.
    fn wait(&self, py: Python<'_>, timeout: f64) -> PyResult<Vec<Completion>> {
        let deadline = Instant::now() + seconds("timeout", timeout, true)?;
        loop {
            let slice = deadline
                .saturating_duration_since(Instant::now())
                .min(SIGNAL_CHECK);
            let inner = &self.inner;
            let done = py.detach(move || inner.wait(slice));
            if !done.is_empty() || Instant::now() >= deadline {
                return Ok(completions(py, done));
            }
            py.check_signals()?;
        }
    }

    /// A descriptor that is readable while completions wait (for an event loop's reader).
    #[cfg(unix)]
    fn fileno(&self) -> PyResult<i32> {
        Ok(self.inner.wake_fd()?)
    }
}

/// A keep-alive HTTP/1.1 client that sends already-signed requests on its own thread.
///
/// With ``ordered``, each request names one of ``lanes`` lanes, and a lane sends its requests one
/// after another in submission order (retries included). Otherwise any of the ``lanes`` workers
/// takes the next request, and the ``timeout`` of its first attempt runs from ``submit``.
#[pyclass(module = "pusher_fast._native", name = "NativeSender", frozen)]
pub struct NativeSender {
    inner: Sender,
}

#[pymethods]
impl NativeSender {
    #[new]
    #[pyo3(signature = (
        base_url, *, timeout, lanes, ordered, headers, proxy = None, tls = None, max_body,
        retries = 0, backoff_base = 0.1, backoff_max = 10.0
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        base_url: &str,
        timeout: f64,
        lanes: usize,
        ordered: bool,
        headers: Vec<(String, String)>,
        proxy: Option<String>,
        tls: Option<&TlsConfig>,
        max_body: usize,
        retries: u32,
        backoff_base: f64,
        backoff_max: f64,
    ) -> NativeResult<Self> {
        let options = Options {
            timeout: seconds("timeout", timeout, false)?,
            lanes,
            ordered,
            headers,
            proxy: proxy_choice(proxy),
            tls: tls.map(|tls| Arc::clone(&tls.config)),
            max_body,
            retries,
            backoff_base,
            backoff_max,
        };
        Ok(Self {
            inner: Sender::new(base_url, options)?,
        })
    }

    /// Queue ``method target`` with ``body`` (on ``lane`` when ordered); its ``Completion`` goes
    /// to ``queue``. Never waits.
    #[pyo3(signature = (request_id, lane, method, target, body, queue))]
    fn submit(
        &self,
        request_id: u64,
        lane: Option<usize>,
        method: PyBackedStr,
        target: PyBackedStr,
        body: &[u8],
        queue: &CompletionQueue,
    ) -> NativeResult<()> {
        self.inner
            .submit(request_id, lane, &method, &target, body, &queue.inner)?;
        Ok(())
    }

    /// Queue a ``PackedRequest`` of the bulk packer on its lane (``POST``); its ``Completion``
    /// goes to ``queue``. Never waits.
    fn submit_packed(
        &self,
        request_id: u64,
        request: &PackedRequest,
        queue: &CompletionQueue,
    ) -> NativeResult<()> {
        self.inner.submit_later(
            request_id,
            request.lane(),
            "POST",
            request.later(),
            &queue.inner,
        )?;
        Ok(())
    }

    /// Queue ``(request_id, method, target, body)`` requests on a pool, with one wake-up of the runtime
    /// thread for all of them; their ``Completion``s go to ``queue``. Never waits.
    fn submit_many(
        &self,
        requests: Vec<(u64, PyBackedStr, PyBackedStr, PyBackedBytes)>,
        queue: &CompletionQueue,
    ) -> NativeResult<()> {
        let borrowed = requests
            .iter()
            .map(|(id, method, target, body)| (*id, &**method, &**target, &**body));
        self.inner.submit_many(borrowed, &queue.inner)?;
        Ok(())
    }

    /// Drop a queued request no worker has taken yet: it is not sent and gets no completion.
    fn cancel(&self, request_id: u64) {
        self.inner.cancel(request_id);
    }

    /// Stop taking requests and drop the connections without waiting for the network; requests
    /// not finished by then complete with the ``CLOSED`` failure. Idempotent.
    fn close(&self, py: Python<'_>) {
        let inner = &self.inner;
        py.detach(move || inner.close());
    }
}
