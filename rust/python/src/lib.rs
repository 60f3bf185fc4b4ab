//! The `pusher_fast._native` extension module: thin pyo3 bindings over `pusher-fast-core` (the
//! API's rules) and `pusher-fast-sender` (the native HTTP sender). Each binding converts its
//! arguments, calls the Rust crates and converts the result; errors become Python exceptions in
//! one place, `errors`.
//!
//! Inputs are small, so the bindings keep the GIL rather than pay for detaching. Strings are read
//! from the UTF-8 that `str` objects cache (`strings`; a string with a lone surrogate through its
//! `surrogatepass` encoding) or taken as `PyBackedStr`, never copied into a Rust `String` on the
//! way in.

use pyo3::prelude::*;

mod bulk;
mod checks;
mod client;
mod clock;
mod convert;
mod crypto;
mod errors;
mod json;
mod request;
mod retry;
mod sender;
mod signer;
mod strings;
mod tls;

#[pymodule(gil_used = false)]
mod _native {
    use pusher_fast_core::limits;
    use pyo3::prelude::*;
    use pyo3::types::PyTuple;

    #[pymodule_export]
    use crate::bulk::{BulkPacker, PackedRequest};
    #[pymodule_export]
    use crate::checks::{
        check_channel, check_channel_count, check_event_name, check_payload_size,
        check_prefix_filter, check_socket_id, check_user_id, normalize_info,
    };
    // Request building: prepared requests, attribute scopes, retry bounds, JSON reading.
    #[pymodule_export]
    use crate::checks::{
        check_backoff, check_info_attributes, check_retries, loads_json, InfoScope,
    };
    #[pymodule_export]
    use crate::request::PreparedRequest;
    #[pymodule_export]
    const MAX_RETRIES: u32 = pusher_fast_core::retry::MAX_RETRIES;
    #[pymodule_export]
    const MAX_BACKOFF_SECONDS: f64 = pusher_fast_core::retry::MAX_BACKOFF_SECONDS;
    #[pymodule_export]
    use crate::client::NativeClient;
    #[pymodule_export]
    use crate::crypto::{decrypt, sign_request, verify_webhook};
    #[pymodule_export]
    use crate::retry::{backoff_delay, is_retryable_status, parse_retry_after};
    #[pymodule_export]
    use crate::sender::{Completion, CompletionQueue, FailureKind, NativeSender};
    #[pymodule_export]
    use crate::signer::Signer;
    #[pymodule_export]
    use crate::tls::TlsConfig;

    #[pymodule_export]
    const MAX_CHANNELS: usize = limits::MAX_CHANNELS;
    #[pymodule_export]
    const MAX_BATCH_SIZE: usize = limits::MAX_BATCH_SIZE;
    #[pymodule_export]
    const MAX_CHANNEL_NAME_LENGTH: usize = limits::MAX_CHANNEL_NAME_LENGTH;
    #[pymodule_export]
    const MAX_EVENT_NAME_LENGTH: usize = limits::MAX_EVENT_NAME_LENGTH;
    #[pymodule_export]
    const MAX_USER_ID_LENGTH: usize = limits::MAX_USER_ID_LENGTH;
    #[pymodule_export]
    const CHANNEL_NAME_CHARACTERS: &str = limits::CHANNEL_NAME_CHARACTERS;
    #[pymodule_export]
    const ENCRYPTED_CHANNEL_PREFIX: &str = limits::ENCRYPTED_CHANNEL_PREFIX;
    #[pymodule_export]
    const PRESENCE_CHANNEL_PREFIX: &str = limits::PRESENCE_CHANNEL_PREFIX;
    #[pymodule_export]
    const SERVER_TO_USER_PREFIX: &str = limits::SERVER_TO_USER_PREFIX;
    #[pymodule_export]
    const DEFAULT_MAX_PAYLOAD_BYTES: usize = limits::DEFAULT_MAX_PAYLOAD_BYTES;
    #[pymodule_export]
    const LEGACY_WEBHOOK_WINDOW_MS: u32 = limits::LEGACY_WEBHOOK_WINDOW_MS;
    #[pymodule_export]
    const MAX_RESPONSE_BODY_BYTES: usize = limits::MAX_RESPONSE_BODY_BYTES;

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        // A tuple, which a const cannot be.
        let attributes = PyTuple::new(module.py(), limits::INFO_ATTRIBUTES)?;
        module.add("INFO_ATTRIBUTES", attributes)?;
        // `setattr`, not `add`: `add` would also list `__version__` in `__all__`.
        module.setattr("__version__", env!("CARGO_PKG_VERSION"))
    }
}
