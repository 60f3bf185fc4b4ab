//! Where callers and lanes meet: the requests handed to the lanes, the finished results, and the
//! mutex-guarded state with its two condition variables.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use hyper::http::uri::PathAndQuery;
use hyper::Method;
use tokio::sync::mpsc;

use crate::failure::Failure;
use crate::options::{invalid, SenderError};

/// One request to send: already signed, its path carries the query string.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: u64,
    pub lane: usize,
    pub(crate) method: Method,
    pub(crate) path: PathAndQuery,
    pub(crate) body: Bytes,
}

impl Request {
    /// Validates the method and the origin-form target (`/path?query`).
    pub fn new(
        id: u64,
        lane: usize,
        method: &str,
        path_and_query: &str,
        body: Bytes,
    ) -> Result<Self, SenderError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| invalid(format!("invalid HTTP method {method:?}")))?;
        if !path_and_query.starts_with('/') {
            return Err(invalid(format!(
                "path_and_query {path_and_query:?} must start with '/'"
            )));
        }
        let path =
            PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(path_and_query.as_bytes()))
                .map_err(|_| invalid(format!("invalid path_and_query {path_and_query:?}")))?;
        Ok(Self {
            id,
            lane,
            method,
            path,
            body,
        })
    }
}

/// A finished request, as returned by [`Sender::take_completed`](crate::Sender::take_completed).
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub id: u64,
    /// The final HTTP status; 0 when the last attempt got no response.
    pub status: u16,
    /// The final response body (empty when `status` is 0).
    pub body: Bytes,
    /// Why there is no response; `None` with a status.
    pub failure: Option<Failure>,
    /// How many attempts were made (0 when closed before the first).
    pub attempts: u32,
    /// The final response's `Retry-After`, in seconds.
    pub retry_after: Option<f64>,
}

impl Completion {
    pub(crate) fn response(
        id: u64,
        attempts: u32,
        status: u16,
        body: Bytes,
        retry_after: Option<f64>,
    ) -> Self {
        Self {
            id,
            status,
            body,
            failure: None,
            attempts,
            retry_after,
        }
    }

    pub(crate) fn failed(id: u64, attempts: u32, failure: Failure) -> Self {
        Self {
            id,
            status: 0,
            body: Bytes::new(),
            failure: Some(failure),
            attempts,
            retry_after: None,
        }
    }
}

/// What lanes and callers share.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    /// Signalled when room frees up for `submit`, or on close.
    pub(crate) room: Condvar,
    /// Signalled when the first result arrives for a waiting `wait_completed`, or on close.
    pub(crate) ready: Condvar,
}

pub(crate) struct State {
    pub(crate) closed: bool,
    pub(crate) queues: Vec<mpsc::UnboundedSender<Request>>,
    /// Submitted and not yet returned by `take_completed`.
    pub(crate) outstanding: usize,
    pub(crate) done: Vec<Completion>,
    pub(crate) waiting_for_room: usize,
    pub(crate) waiting_for_ready: usize,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn finish(&self, completion: Completion) {
        let mut state = self.lock();
        state.done.push(completion);
        if state.waiting_for_ready > 0 && state.done.len() == 1 {
            self.ready.notify_all();
        }
    }

    pub(crate) fn finish_all(&self, completions: Vec<Completion>) {
        if completions.is_empty() {
            return;
        }
        let mut state = self.lock();
        state.done.extend(completions);
        if state.waiting_for_ready > 0 {
            self.ready.notify_all();
        }
    }
}
