//! Why a request got no usable HTTP response, as data: a [`FailureKind`] to act on and a message
//! for people; and [`Phase`], what an attempt was doing when it ran out of time.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// What stopped a request from getting a usable HTTP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The attempt ran out of time (queued, connecting, in the TLS handshake, or waiting for or
    /// reading the response).
    Timeout,
    /// The target could not be reached: DNS, refused, unreachable.
    Connect,
    /// The TLS handshake failed, a certificate was refused included.
    Tls,
    /// The proxy could not be reached, refused the tunnel, or the tunnel failed.
    Proxy,
    /// The connection broke, or the peer did not speak HTTP/1.1.
    Protocol,
    /// The answer's body is over the size cap; its status is known, its body is not kept.
    BodyTooLarge,
    /// The sender was closed before the request completed.
    Closed,
}

/// A request that got no usable HTTP response: why, and a message that names no credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// The status of an answer that began but could not be used ([`FailureKind::BodyTooLarge`]);
    /// 0 when no answer began.
    pub status: u16,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: 0,
        }
    }

    /// Why an answer that began could not be read.
    pub(crate) fn unreadable(error: &crate::http1::ParseError) -> Self {
        use crate::http1::ParseError;
        match *error {
            ParseError::BodyTooLarge { status, .. } => Self {
                kind: FailureKind::BodyTooLarge,
                message: error.to_string(),
                status,
            },
            ParseError::Truncated | ParseError::Malformed(_) | ParseError::HeadTooLarge => {
                Self::new(FailureKind::Protocol, error.to_string())
            }
        }
    }

    /// The attempt ran out of time while doing `phase`.
    pub(crate) fn timed_out(phase: Phase, timeout: Duration) -> Self {
        let mut message = format!("timed out {phase} (timeout {}s)", timeout.as_secs_f64());
        if phase == Phase::Tls {
            // The usual cause: `ssl=True` (the default) against a server that speaks plain HTTP,
            // which waits for a request and never answers the TLS client hello.
            message.push_str(
                "; if the server speaks plain HTTP (a local or self-hosted server), use ssl=False",
            );
        }
        Self::new(FailureKind::Timeout, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Failure {}

/// What an attempt was doing, for timeout messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Resolve,
    Connect,
    Tunnel,
    Tls,
    Send,
    Response,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Queued => "before the request could be sent (queued behind others)",
            Self::Resolve => "while resolving the host name",
            Self::Connect => "while connecting",
            Self::Tunnel => "while opening the proxy tunnel",
            Self::Tls => "during the TLS handshake",
            Self::Send => "while sending the request",
            Self::Response => "waiting for the response",
        })
    }
}

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
