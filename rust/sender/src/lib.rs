//! The native HTTP transports of `pusher-fast`, without Python (`pusher-fast-python` wraps them):
//! already-signed requests over pooled keep-alive HTTP/1.1 connections.
//!
//! # Two ways to send
//!
//! * [`CallClient`]: the calling thread sends the request and reads the answer itself, on a
//!   pooled connection, with blocking sockets whose timeouts are lowered so that no wait passes
//!   the call's deadline. For callers that block anyway (the synchronous `Pusher`): no hand-off
//!   to another thread, so a call costs about what the network does.
//! * [`Sender`]: one current-thread tokio runtime on a dedicated thread (`pusher-fast-sender`)
//!   runs `lanes` workers, each with one keep-alive connection. Ordered lanes send each lane's
//!   requests one after another in submission order, retries included (the bulk publisher keeps
//!   every channel's events in order this way); a pool lets any free worker take the next
//!   request (the asyncio client). Completions go to the [`CompletionQueue`] each request names,
//!   which a thread can wait on and an event loop can watch through a descriptor, so the runtime
//!   thread never touches Python and cannot deadlock with the GIL.
//!
//! Both speak HTTP/1.1 through one engine, `http1` (request heads, and a response parser that
//! follows RFC 9112's framing and refuses a body over the cap), and share the route (target,
//! proxy from the URL or the environment with `NO_PROXY`, header lines), the TLS configuration
//! (`tls`: the roots the caller names, or none) and the proxy tunnel.
//!
//! # Guarantees
//!
//! * A deadline from the call: an attempt must be over by `timeout` after the request was handed
//!   over (time queued counts); a retry gets a fresh `timeout` after its backoff.
//! * A request without a usable answer completes with a [`Failure`]: its [`FailureKind`] says what
//!   went wrong as data, its message says it for people and never holds a proxy credential.
//! * Retries (opt-in) follow `pusher_fast_core::retry`, as Python's retry policy does: failures
//!   without an answer, 429 and 5xx, with exponential backoff, full jitter and any `Retry-After`
//!   as a lower bound. A 2xx is never retried, even with a body over the cap. A retry after a
//!   timeout or a connection lost after the request was written can deliver it twice.
//! * A request that may have left is never resent within an attempt (RFC 9112 §9.3.1: POST is not
//!   idempotent); only a GET whose reused connection closed without answering is sent once more.
//!   A connection idle for a while is checked before reuse, and one idle over 5 s is replaced
//!   (httpx's `keepalive_expiry`).
//! * [`Sender::close`] (and dropping it) stops the runtime without waiting for the network: every
//!   request not finished by then completes as [`FailureKind::Closed`], so none is lost silently.
//! * Fork: a client dropped in a child process (whose parent made it) leaves its connections,
//!   locks and thread handles alone instead of waiting on a thread that does not exist there.

mod call;
mod connect;
mod endpoint;
mod failure;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod http1;
mod lane;
mod options;
mod proxy;
mod queue;
mod route;
mod sender;
mod tls;
mod wire;

#[cfg(test)]
mod call_tests;
#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

pub use call::CallClient;
pub use failure::{Failure, FailureKind};
pub use http1::Response;
pub use options::{Options, ProxyChoice, SenderError, MAX_LANES};
pub use queue::{Completion, CompletionQueue, LaterRequest, Request};
pub use rustls::ClientConfig;
pub use sender::Sender;
pub use tls::{client_config, Roots, TlsSetupError};
pub use wire::{CallError, OnInterrupt};
