//! The native sender of `pusher-fast`: sends already-signed HTTP requests over pooled keep-alive
//! HTTP/1.1 connections, off the caller's thread. Knows nothing of Python (`pusher-fast-python`
//! wraps it as `NativeSender`).
//!
//! # Design
//!
//! * One current-thread tokio runtime per [`Sender`], driven by a dedicated thread
//!   (`pusher-fast-sender`). Measured on 2 cores against nginx, one runtime thread costs about
//!   10 µs of CPU per small POST (one `writev` and one `recvfrom`), the same as a 1-worker
//!   multi-thread runtime and less than 2 workers, and it leaves the other core to the Python
//!   producer.
//! * Requests go to *lanes* (`lane`). Each lane is one task that owns one keep-alive connection
//!   and sends its requests strictly one after another, in submission order, retries included;
//!   lanes run concurrently. So `lanes` is the number of requests (and connections) in flight,
//!   and no pool lock is ever taken. A lane connects lazily and reconnects when the server
//!   closes.
//! * The caller and the lanes meet in one mutex-guarded state (`queue`): the lanes' queues
//!   (unbounded tokio channels, bounded in effect by `max_queued`), the count of requests
//!   submitted and not yet collected, and the finished results. Condition variables are only
//!   signalled when somebody waits, so the steady state of a producer that polls costs no
//!   futex calls.
//! * One attempt (connect, proxy `CONNECT`, TLS handshake, send, read the whole response) is
//!   bounded by `timeout`, like httpx's single timeout number.
//! * A request without a response completes with a [`Failure`]: its [`FailureKind`] says what
//!   went wrong as data (timeout, connect, TLS, proxy, protocol, closed), its message says it
//!   for people and never holds a proxy credential.
//! * Retries (opt-in) follow `pusher_fast_core::retry`, as Python's retry policy does:
//!   connection errors, timeouts, 5xx and 429 are retried in the same lane (so order holds), with
//!   exponential backoff and full jitter, and the `Retry-After` (seconds, fractions allowed) of
//!   any retryable response as a lower bound, everything capped at `backoff_max`. A retry after
//!   a timeout or a connection lost after the request was written can deliver the request twice.
//! * A request that provably never left (hyper hands it back because a reused keep-alive
//!   connection was already closed) is sent once more on a fresh connection within the same
//!   attempt. A request that did leave is never resent within an attempt (RFC 9112 §9.3.1: POST
//!   is not idempotent); to keep the race with a server closing an idle connection rare, a
//!   connection idle for more than 5 s is replaced, like httpx's `keepalive_expiry`.
//! * [`Sender::close`] (and dropping the sender) stops the runtime without waiting for the
//!   network: every request not finished by then completes with status 0 and a
//!   [`FailureKind::Closed`] failure, so no request is lost silently. The runtime thread never touches Python, so it cannot deadlock with the GIL, and
//!   it exits when the sender is closed or dropped.
//!
//! # Modules
//!
//! `options` (what a sender is made with), `endpoint` (URL, host and port), `proxy` (proxy URL,
//! environment, `NO_PROXY`, the `CONNECT` tunnel), `tls` (roots and verifiers), `connect` (from a
//! request to bytes on a connection), `failure` (why a request got no response), `queue` (the
//! state callers and lanes share), `lane` (one lane's attempts and retries) and `sender`
//! ([`Sender`] itself).

mod connect;
mod endpoint;
mod failure;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod lane;
mod options;
mod proxy;
mod queue;
mod sender;
mod tls;

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

pub use failure::{Failure, FailureKind};
pub use options::{Options, ProxyChoice, SenderError, MAX_LANES};
pub use queue::{Completion, Request};
pub use sender::Sender;
