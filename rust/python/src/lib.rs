//! The `pusher_fast._native` extension module: thin pyo3 bindings over `pusher-fast-core` (the
//! API's rules) and `pusher-fast-sender` (the native HTTP sender). Each binding converts its
//! arguments, calls the Rust crates and converts the result; errors become Python exceptions in
//! one place, `errors`.
//!
//! Inputs are small, so the bindings keep the GIL rather than pay for detaching. Strings are read
//! from the UTF-8 that `str` objects cache (`strings`) or taken as `PyBackedStr`, never copied
//! into a Rust `String` on the way in.

use pyo3::prelude::*;

mod bulk;
mod checks;
mod convert;
mod crypto;
mod errors;
mod json;
mod sender;
mod signer;
mod strings;

#[pymodule(gil_used = false)]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::bulk::{BulkPacker, PackedRequest};
    #[pymodule_export]
    use crate::checks::{
        check_channel, check_channel_count, check_event_name, check_payload_size,
        check_prefix_filter, check_socket_id, check_user_id, normalize_info,
    };
    #[pymodule_export]
    use crate::crypto::{
        channel_auth, decrypt, encrypt, hmac_sha256_hex, md5_hex, shared_secret, sign_request,
        user_auth, verify_webhook,
    };
    #[pymodule_export]
    use crate::sender::{Completion, FailureKind, NativeSender};
    #[pymodule_export]
    use crate::signer::Signer;

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        // `setattr`, not `add`: `add` would also list `__version__` in `__all__`.
        module.setattr("__version__", env!("CARGO_PKG_VERSION"))
    }
}
