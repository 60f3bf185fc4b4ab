//! What a [`Sender`](crate::Sender) is made with, and why it can refuse to be made or to take a
//! request.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;

/// The most lanes a sender may have.
pub const MAX_LANES: usize = 4096;

/// Why a [`Sender`] could not be made or could not take a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderError {
    /// A bad argument: base URL, proxy URL, header, lane, method, path, option (`ValueError`).
    InvalidArgument(String),
    /// The sender is closed (`RuntimeError`).
    Closed,
    /// The runtime could not be started, or a lane stopped unexpectedly (`RuntimeError`).
    Runtime(String),
}

impl fmt::Display for SenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidArgument(message) | Self::Runtime(message) => f.write_str(message),
            Self::Closed => f.write_str("the sender is closed"),
        }
    }
}

impl StdError for SenderError {}

pub(crate) fn invalid(message: impl Into<String>) -> SenderError {
    SenderError::InvalidArgument(message.into())
}

/// Which proxy to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyChoice {
    /// `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` (either case), as httpx reads them.
    FromEnv,
    /// This proxy URL (`http://` or `https://`, optional `user:password@`).
    Url(String),
    /// No proxy at all.
    Direct,
}

/// Everything but the base URL that a [`Sender`](crate::Sender) is made with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bound of one attempt, from the submission (time queued counts): connect, TLS, send and
    /// read the whole response.
    pub timeout: Duration,
    /// How many requests may be in flight (one connection each).
    pub lanes: usize,
    /// Ordered lanes: each request names its lane, and a lane sends its requests one after
    /// another in submission order (retries included). Otherwise a pool: any free worker takes
    /// the next request.
    pub ordered: bool,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    pub proxy: ProxyChoice,
    /// The TLS configuration for an `https://` target or proxy.
    pub tls: Option<Arc<ClientConfig>>,
    /// Answers with a longer body fail as [`FailureKind::BodyTooLarge`](crate::FailureKind).
    pub max_body: usize,
    /// How many times a failed attempt may be repeated (0: never).
    pub retries: u32,
    /// Seconds: the first retry waits up to this, doubling each time.
    pub backoff_base: f64,
    /// Seconds: no retry waits longer, `Retry-After` included.
    pub backoff_max: f64,
}

impl Options {
    /// Defaults for tests and Rust callers: 10 s timeout, 4 ordered lanes, direct, no TLS.
    pub fn new() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            lanes: 4,
            ordered: true,
            headers: Vec::new(),
            proxy: ProxyChoice::Direct,
            tls: None,
            max_body: pusher_fast_core::limits::MAX_RESPONSE_BODY_BYTES,
            retries: 0,
            backoff_base: 0.1,
            backoff_max: 10.0,
        }
    }

    /// Refuses lanes, timeout or backoff settings a sender cannot work with.
    pub(crate) fn check(&self) -> Result<(), SenderError> {
        if self.lanes == 0 || self.lanes > MAX_LANES {
            return Err(invalid(format!(
                "lanes must be between 1 and {MAX_LANES}, got {}",
                self.lanes
            )));
        }
        if self.timeout.is_zero() {
            return Err(invalid("timeout must be greater than 0"));
        }
        for (name, value) in [
            ("backoff_base", self.backoff_base),
            ("backoff_max", self.backoff_max),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid(format!(
                    "{name} must be a finite number of seconds >= 0, got {value}"
                )));
            }
        }
        Ok(())
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}
