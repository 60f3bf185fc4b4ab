//! What a [`Sender`](crate::Sender) is made with, and why it can refuse to be made or to take a
//! request.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

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

/// Everything but the base URL that a [`Sender`] is made with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bound of one attempt: connect, TLS, send and read the whole response.
    pub timeout: Duration,
    /// How many requests may be in flight; each lane keeps its own order.
    pub lanes: usize,
    /// How many requests may be submitted and not yet collected before `submit` waits.
    pub max_queued: usize,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    pub proxy: ProxyChoice,
    /// Verify the server's certificate (and the proxy's, for an `https://` proxy).
    pub verify: bool,
    /// A PEM bundle of extra trusted roots, added to the platform's.
    pub ca_file: Option<String>,
    /// How many times a failed attempt may be repeated (0: never).
    pub retries: u32,
    /// Seconds: the first retry waits up to this, doubling each time.
    pub backoff_base: f64,
    /// Seconds: no retry waits longer, `Retry-After` included.
    pub backoff_max: f64,
}

impl Options {
    /// Defaults for tests and Rust callers: 10 s timeout, 4 lanes, 1024 queued, direct.
    pub fn new() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            lanes: 4,
            max_queued: 1024,
            headers: Vec::new(),
            proxy: ProxyChoice::Direct,
            verify: true,
            ca_file: None,
            retries: 0,
            backoff_base: 0.1,
            backoff_max: 10.0,
        }
    }
}

impl Options {
    /// Refuses lanes, queue bound, timeout or backoff settings a sender cannot work with.
    pub(crate) fn check(&self) -> Result<(), SenderError> {
        if self.lanes == 0 || self.lanes > MAX_LANES {
            return Err(invalid(format!(
                "lanes must be between 1 and {MAX_LANES}, got {}",
                self.lanes
            )));
        }
        if self.max_queued == 0 {
            return Err(invalid("max_queued must be at least 1"));
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
