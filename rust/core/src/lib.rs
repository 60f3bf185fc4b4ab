//! The rules of `pusher-fast`, without Python: request signing, channel and user authentication,
//! end-to-end encryption, webhook verification, input validation, the JSON text the official SDK
//! sends, bulk batching and retry timing for the Pusher Channels HTTP API.
//!
//! Nothing here knows about Python: the `pusher-fast-python` crate converts arguments, calls these
//! functions and converts their results.

pub mod auth;
pub mod bulk;
pub mod crypto;
pub mod error;
pub mod float_text;
pub mod json_read;
pub mod json_text;
pub mod limits;
pub mod random;
pub mod request;
pub mod retry;
pub mod signing;
pub mod text;
pub mod validate;
pub mod webhook;

pub use error::Error;
