//! Rust core of `pusher-fast`: request signing, channel and user authentication, end-to-end
//! encryption and webhook verification for the Pusher Channels HTTP API.
//!
//! The pure modules know nothing of Python; `py` exposes them as `pusher_fast._native`.

pub mod auth;
pub mod crypto;
pub mod error;
pub mod signing;
pub mod webhook;

mod py;

pub use error::Error;
