//! Stateless signing, webhook verification and decryption, for the calls `Signer` does not
//! cover: the GET endpoints, `Pusher.webhook` and its encrypted events.

use pusher_fast_core::{crypto, signing, webhook};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyBytes;

use crate::errors::NativeResult;

/// Sign a Pusher HTTP API request (auth_version 1.0) and return its query string.
#[pyfunction]
#[pyo3(signature = (key, secret, method, path, params, body, timestamp))]
pub(crate) fn sign_request(
    key: PyBackedStr,
    secret: PyBackedStr,
    method: PyBackedStr,
    path: PyBackedStr,
    params: Vec<(PyBackedStr, PyBackedStr)>,
    body: Option<&[u8]>,
    timestamp: i64,
) -> NativeResult<String> {
    Ok(signing::sign_request(
        &key, &secret, &method, &path, &params, body, timestamp,
    )?)
}

/// Open an encrypted event's envelope; ValueError on bad base64, a nonce that is not 24 bytes,
/// or a ciphertext that does not authenticate.
#[pyfunction]
pub(crate) fn decrypt<'py>(
    py: Python<'py>,
    channel: PyBackedStr,
    master_key: &[u8],
    nonce_b64: PyBackedStr,
    ciphertext_b64: PyBackedStr,
) -> NativeResult<Bound<'py, PyBytes>> {
    let plaintext = crypto::decrypt(&channel, master_key, &nonce_b64, &ciphertext_b64)?;
    Ok(PyBytes::new(py, &plaintext))
}

/// Whether `signature` is the hex HMAC-SHA256 of `body` keyed with `secret`, compared in
/// constant time; anything that is not 64 hex digits is False.
#[pyfunction]
pub(crate) fn verify_webhook(secret: PyBackedStr, body: &[u8], signature: PyBackedStr) -> bool {
    webhook::verify_webhook(&secret, body, &signature)
}
