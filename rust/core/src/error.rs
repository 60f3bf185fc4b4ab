//! The single error type of the pyo3-free modules.

use std::fmt;

/// Why a signing, authentication or encryption input was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The HTTP method is empty.
    EmptyMethod,
    /// The request path is empty.
    EmptyPath,
    /// The request path does not start with `/`.
    RelativePath(String),
    /// A query parameter has an empty key.
    EmptyParamKey,
    /// Two query parameters share a key once lower-cased.
    DuplicateParamKey(String),
    /// A caller-supplied parameter uses a key the signature itself adds.
    ReservedParamKey(String),
    /// A secretbox nonce is not 24 bytes long.
    InvalidNonceLength(usize),
    /// A field of an encrypted envelope is not valid standard base64.
    InvalidBase64(&'static str),
    /// The ciphertext does not authenticate under the channel's shared secret.
    DecryptionFailed,
    /// An argument breaks one of the API's rules; the message names the rule and the value.
    InvalidInput(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyMethod => f.write_str("HTTP method must not be empty"),
            Self::EmptyPath => f.write_str("request path must not be empty"),
            Self::RelativePath(path) => write!(f, "request path {path:?} must start with '/'"),
            Self::EmptyParamKey => f.write_str("query parameter key must not be empty"),
            Self::DuplicateParamKey(key) => write!(
                f,
                "query parameter {key:?} is given more than once (keys are case-insensitive)"
            ),
            Self::ReservedParamKey(key) => write!(
                f,
                "query parameter {key:?} is reserved: it is added by the request signature"
            ),
            Self::InvalidNonceLength(len) => {
                write!(f, "nonce must be 24 bytes, got {len}")
            }
            Self::InvalidBase64(field) => write!(f, "{field} is not valid base64"),
            Self::DecryptionFailed => f.write_str(
                "ciphertext failed to authenticate (wrong master key or channel, or tampered data)",
            ),
            Self::InvalidInput(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}
