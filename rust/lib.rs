//! Rust core of `pusher-fast`: request signing, channel and user authentication, end-to-end
//! encryption and webhook verification for the Pusher Channels HTTP API.
//!
//! The pure modules know nothing of Python; `py` (with `py_json`, which writes Python values as
//! JSON) exposes them as `pusher_fast._native`.

pub mod auth;
pub mod bulk;
pub mod crypto;
pub mod error;
pub mod json_text;
pub mod request;
pub mod sender;
pub mod signing;
pub mod validate;
pub mod webhook;

mod py;
mod py_json;
mod py_sender;
mod py_str;

pub use error::Error;
