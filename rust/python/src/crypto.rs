//! Stateless signing, digests, authentication strings, encryption and webhook verification.

use pusher_fast_core::{auth, crypto, signing, webhook};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyString};

use crate::errors::NativeResult;

/// A `str | bytes` argument; a `str` stands for its UTF-8 encoding.
pub(crate) enum StrOrBytes<'a> {
    Str(PyBackedStr),
    Bytes(&'a [u8]),
}

impl StrOrBytes<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Str(text) => text.as_bytes(),
            Self::Bytes(bytes) => bytes,
        }
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for StrOrBytes<'a> {
    type Error = PyErr;

    fn extract(object: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = <&'a [u8]>::extract(object) {
            return Ok(Self::Bytes(bytes));
        }
        // A str that cannot be encoded (lone surrogates) must report that, not a type mismatch.
        if object.is_instance_of::<PyString>() {
            return PyBackedStr::extract(object).map(Self::Str);
        }
        Err(PyTypeError::new_err(format!(
            "expected str or bytes, got {}",
            object.get_type().name()?
        )))
    }
}

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

/// Lower-case hex HMAC-SHA256 of `message` keyed with `secret` (str is encoded as UTF-8).
#[pyfunction]
pub(crate) fn hmac_sha256_hex(secret: StrOrBytes<'_>, message: StrOrBytes<'_>) -> String {
    signing::hmac_sha256_hex(secret.as_bytes(), message.as_bytes())
}

/// Lower-case hex MD5 of `data`.
#[pyfunction]
pub(crate) fn md5_hex(data: &[u8]) -> String {
    signing::md5_hex(data)
}

/// `key:hex(HMAC(secret, "socket_id:channel[:channel_data]"))`, the `auth` field of a channel
/// authorization.
#[pyfunction]
#[pyo3(signature = (key, secret, socket_id, channel, channel_data))]
pub(crate) fn channel_auth(
    key: PyBackedStr,
    secret: PyBackedStr,
    socket_id: PyBackedStr,
    channel: PyBackedStr,
    channel_data: Option<PyBackedStr>,
) -> String {
    auth::channel_auth(&key, &secret, &socket_id, &channel, channel_data.as_deref())
}

/// `key:hex(HMAC(secret, "socket_id::user::user_data"))`, the `auth` field of a user
/// authentication.
#[pyfunction]
pub(crate) fn user_auth(
    key: PyBackedStr,
    secret: PyBackedStr,
    socket_id: PyBackedStr,
    user_data: PyBackedStr,
) -> String {
    auth::user_auth(&key, &secret, &socket_id, &user_data)
}

/// The 32-byte secretbox key of an encrypted channel: SHA-256(channel UTF-8 bytes ‖ master_key).
#[pyfunction]
pub(crate) fn shared_secret<'py>(
    py: Python<'py>,
    channel: PyBackedStr,
    master_key: &[u8],
) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &crypto::shared_secret(&channel, master_key))
}

/// Seal `plaintext` for `channel` with NaCl secretbox and return the event data envelope
/// `{"nonce": "<b64>", "ciphertext": "<b64>"}`.
#[pyfunction]
#[pyo3(signature = (channel, master_key, plaintext, nonce = None))]
pub(crate) fn encrypt(
    channel: PyBackedStr,
    master_key: &[u8],
    plaintext: &[u8],
    nonce: Option<&[u8]>,
) -> NativeResult<String> {
    Ok(crypto::encrypt(&channel, master_key, plaintext, nonce)?)
}

/// Open an envelope made by `encrypt`; ValueError on bad base64, a nonce that is not 24 bytes,
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
