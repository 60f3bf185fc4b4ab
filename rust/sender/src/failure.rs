//! Why a request got no HTTP response, as data: a [`FailureKind`] to act on and a message for
//! people.

use std::error::Error as StdError;
use std::fmt;

/// What stopped a request from getting an HTTP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The attempt ran out of time (connecting, in the TLS handshake, or waiting for or reading
    /// the response).
    Timeout,
    /// The target could not be reached: DNS, refused, unreachable.
    Connect,
    /// The TLS handshake failed, a certificate was refused included.
    Tls,
    /// The proxy could not be reached, refused the tunnel, or the tunnel failed.
    Proxy,
    /// The connection broke, or the peer did not speak HTTP/1.1 (an over-long body included).
    Protocol,
    /// The sender was closed before the request completed.
    Closed,
}

/// A request that got no HTTP response: why, and a message that names no credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// `error` and its sources as the message.
    pub(crate) fn caused_by(kind: FailureKind, error: &(dyn StdError + 'static)) -> Self {
        Self::new(kind, describe(error))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Failure {}

/// An error and its sources, `": "`-joined.
pub(crate) fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
