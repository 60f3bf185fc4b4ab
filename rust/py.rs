//! The `pusher_fast._native` extension module: thin pyo3 wrappers over the pure modules.
//!
//! Inputs are small, so the wrappers keep the GIL rather than pay for detaching. Strings are taken
//! as `PyBackedStr`: under the abi3-py39 limited API that is one UTF-8 `bytes` object, where
//! `Cow<str>` would copy it once more into a Rust `String`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{
    PyByteArray, PyBytes, PyDict, PyFrozenSet, PyList, PyMemoryView, PySet, PyString, PyTuple,
};

use crate::bulk::{PackedBatch, Packer};
use crate::error::Error;
use crate::json_text::Escape;
use crate::py_json;
use crate::py_str::PyText;
use crate::request::{AppCredentials, BatchEvent, BatchField, BulkItem, SignedPost, TriggerEvent};
use crate::{auth, crypto, signing, validate, webhook};

impl From<Error> for PyErr {
    fn from(error: Error) -> Self {
        PyValueError::new_err(error.to_string())
    }
}

/// A `str | bytes` argument; a `str` stands for its UTF-8 encoding.
enum StrOrBytes<'a> {
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
fn sign_request(
    key: PyBackedStr,
    secret: PyBackedStr,
    method: PyBackedStr,
    path: PyBackedStr,
    params: Vec<(PyBackedStr, PyBackedStr)>,
    body: Option<&[u8]>,
    timestamp: i64,
) -> PyResult<String> {
    Ok(signing::sign_request(
        &key, &secret, &method, &path, &params, body, timestamp,
    )?)
}

/// Lower-case hex HMAC-SHA256 of `message` keyed with `secret` (str is encoded as UTF-8).
#[pyfunction]
fn hmac_sha256_hex(secret: StrOrBytes<'_>, message: StrOrBytes<'_>) -> String {
    signing::hmac_sha256_hex(secret.as_bytes(), message.as_bytes())
}

/// Lower-case hex MD5 of `data`.
#[pyfunction]
fn md5_hex(data: &[u8]) -> String {
    signing::md5_hex(data)
}

/// `key:hex(HMAC(secret, "socket_id:channel[:channel_data]"))`, the `auth` field of a channel
/// authorization.
#[pyfunction]
#[pyo3(signature = (key, secret, socket_id, channel, channel_data))]
fn channel_auth(
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
fn user_auth(
    key: PyBackedStr,
    secret: PyBackedStr,
    socket_id: PyBackedStr,
    user_data: PyBackedStr,
) -> String {
    auth::user_auth(&key, &secret, &socket_id, &user_data)
}

/// The 32-byte secretbox key of an encrypted channel: SHA-256(channel UTF-8 bytes ‖ master_key).
#[pyfunction]
fn shared_secret<'py>(
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
fn encrypt(
    channel: PyBackedStr,
    master_key: &[u8],
    plaintext: &[u8],
    nonce: Option<&[u8]>,
) -> PyResult<String> {
    Ok(crypto::encrypt(&channel, master_key, plaintext, nonce)?)
}

/// Open an envelope made by `encrypt`; ValueError on bad base64, a nonce that is not 24 bytes,
/// or a ciphertext that does not authenticate.
#[pyfunction]
fn decrypt<'py>(
    py: Python<'py>,
    channel: PyBackedStr,
    master_key: &[u8],
    nonce_b64: PyBackedStr,
    ciphertext_b64: PyBackedStr,
) -> PyResult<Bound<'py, PyBytes>> {
    let plaintext = crypto::decrypt(&channel, master_key, &nonce_b64, &ciphertext_b64)?;
    Ok(PyBytes::new(py, &plaintext))
}

/// Whether `signature` is the hex HMAC-SHA256 of `body` keyed with `secret`, compared in
/// constant time; anything that is not 64 hex digits is False.
#[pyfunction]
fn verify_webhook(secret: PyBackedStr, body: &[u8], signature: PyBackedStr) -> bool {
    webhook::verify_webhook(&secret, body, &signature)
}

/// The text of a `str` or UTF-8 `bytes` argument; anything else is a TypeError naming `what`,
/// worded as the official SDK's `ensure_text`.
fn text<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<PyText<'py>> {
    if let Ok(string) = value.cast::<PyString>() {
        return PyText::from_str_object(string.clone());
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return std::str::from_utf8(bytes.as_bytes())
            .map(|text| PyText::Rust(text.to_owned()))
            .map_err(|_| PyValueError::new_err(format!("{what} is not valid UTF-8")));
    }
    Err(PyTypeError::new_err(format!(
        "{what} should be a string instead it is a {}",
        value.get_type().name()?
    )))
}

/// `None` for a value the official SDK treats as absent (`None`, `""`, anything falsy).
fn optional_text<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Option<PyText<'py>>> {
    if !value.is_truthy()? {
        return Ok(None);
    }
    text(value, what).map(Some)
}

/// Channel attributes given as `"a,b"`, or as a list, tuple or set of names.
fn info_from(value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        let names = text(value, "info")?;
        return Ok(validate::info(names.split(','))?);
    }
    let is_collection = value.is_instance_of::<PyList>()
        || value.is_instance_of::<PyTuple>()
        || value.is_instance_of::<PySet>()
        || value.is_instance_of::<PyFrozenSet>();
    if !is_collection {
        return Err(PyTypeError::new_err(format!(
            "info should be a string or a list of strings, not {}",
            value.get_type().name()?
        )));
    }
    let names = value
        .try_iter()?
        .map(|item| text(&item?, "info attribute"))
        .collect::<PyResult<Vec<PyText<'_>>>>()?;
    Ok(validate::info(names.iter().map(|name| &**name))?)
}

fn signed_tuple<'py>(py: Python<'py>, post: SignedPost) -> (String, String, Bound<'py, PyBytes>) {
    let body = PyBytes::new(py, post.body.as_bytes());
    (post.path, post.query, body)
}

/// Request building for one app: validation, data serialization, encryption and signing of
/// `events` and `batch_events` requests in one call each.
#[pyclass(frozen, module = "pusher_fast._native")]
struct Signer {
    app: AppCredentials,
    /// Serializes what the Rust writer cannot (or every value, with a custom encoder):
    /// `dumps(value) -> str`, i.e. `json.dumps(value, cls=..., ensure_ascii=False)`.
    dumps: Py<PyAny>,
    /// The same for channel and user data, which the official SDK writes ASCII-escaped:
    /// `json.dumps(value, cls=...)`.
    dumps_ascii: Py<PyAny>,
    custom_encoder: bool,
}

impl Signer {
    /// `json.dumps(value, cls=encoder)` of auth payloads, in Rust unless there is a custom encoder.
    fn ascii_json(&self, value: &Bound<'_, PyAny>) -> PyResult<String> {
        if !self.custom_encoder {
            let mut out = String::new();
            if py_json::write_value(&mut out, value, Escape::Ascii)? {
                return Ok(out);
            }
        }
        self.dumps_ascii.bind(value.py()).call1((value,))?.extract()
    }

    /// Event data as the official SDK sends it: a str as is, anything else as JSON.
    fn data_text<'py>(&self, data: &Bound<'py, PyAny>) -> PyResult<PyText<'py>> {
        if let Ok(string) = data.cast::<PyString>() {
            return PyText::from_str_object(string.clone());
        }
        if data.is_instance_of::<PyBytes>() || data.is_instance_of::<PyByteArray>() {
            return Err(PyTypeError::new_err(
                "data should be a str or a JSON-serializable value, not bytes; decode it first",
            ));
        }
        if !self.custom_encoder {
            let mut out = String::new();
            if py_json::write_value(&mut out, data, Escape::Unicode)? {
                return Ok(PyText::Rust(out));
            }
        }
        self.dumps
            .bind(data.py())
            .call1((data,))?
            .extract()
            .map(PyText::Rust)
    }

    fn batch_event<'py>(
        &self,
        index: usize,
        event: &Bound<'py, PyAny>,
        already_encoded: bool,
    ) -> PyResult<BatchEvent<PyText<'py>>> {
        let pairs: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> =
            if let Ok(dict) = event.cast::<PyDict>() {
                dict.iter().collect()
            } else if event.hasattr("items")? && !event.is_instance_of::<PyString>() {
                event
                    .call_method0("items")?
                    .try_iter()?
                    .map(|pair| pair?.extract())
                    .collect::<PyResult<_>>()?
            } else {
                return Err(PyTypeError::new_err(format!(
                    "batch event #{index} should be a mapping, not {}",
                    event.get_type().name()?
                )));
            };
        let mut fields = Vec::with_capacity(pairs.len());
        let mut unknown: Vec<String> = Vec::new();
        for (key, value) in pairs {
            let field = match batch_field(&key)? {
                Ok(field) => field,
                Err(name) => {
                    unknown.push(name);
                    continue;
                }
            };
            let value = match field {
                BatchField::Channel => text(&value, "channel")?,
                BatchField::Name => text(&value, "event_name")?,
                BatchField::Data if already_encoded && !value.is_instance_of::<PyString>() => {
                    return Err(PyTypeError::new_err(format!(
                        "batch event #{index}: already_encoded=True needs str data"
                    )));
                }
                BatchField::Data => self.data_text(&value)?,
                BatchField::SocketId => match optional_text(&value, "socket_id")? {
                    Some(socket_id) => socket_id,
                    None => continue,
                },
                BatchField::Info => match info_from(&value)? {
                    Some(info) => PyText::Rust(info),
                    None => continue,
                },
            };
            fields.push((field, value));
        }
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(PyValueError::new_err(format!(
                "batch event #{index} has unknown key(s) {}",
                unknown.join(", ")
            )));
        }
        Ok(fields)
    }
}

/// The batch member a mapping key names, or the key as text when it names none. Keys are
/// compared by identity with the interned names first: literal dict keys are those objects.
fn batch_field(key: &Bound<'_, PyAny>) -> PyResult<Result<BatchField, String>> {
    let py = key.py();
    let known = [
        (intern!(py, "channel"), BatchField::Channel),
        (intern!(py, "name"), BatchField::Name),
        (intern!(py, "data"), BatchField::Data),
        (intern!(py, "socket_id"), BatchField::SocketId),
        (intern!(py, "info"), BatchField::Info),
    ];
    if let Some((_, field)) = known.iter().find(|(name, _)| key.is(*name)) {
        return Ok(Ok(*field));
    }
    let name = key.str()?.to_cow()?.into_owned();
    Ok(BatchField::from_key(&name).ok_or(name))
}

#[pymethods]
impl Signer {
    #[new]
    #[pyo3(signature = (
        app_id, key, secret, master_key, max_payload_bytes, dumps, dumps_ascii, custom_encoder
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        app_id: String,
        key: String,
        secret: String,
        master_key: Option<Vec<u8>>,
        max_payload_bytes: usize,
        dumps: Py<PyAny>,
        dumps_ascii: Py<PyAny>,
        custom_encoder: bool,
    ) -> Self {
        Self {
            app: AppCredentials::new(app_id, key, &secret, master_key, max_payload_bytes),
            dumps,
            dumps_ascii,
            custom_encoder,
        }
    }

    /// `{"auth": ...}` plus `channel_data` (presence) and `shared_secret` (encrypted channels).
    #[pyo3(signature = (channel, socket_id, custom_data))]
    fn authorize_channel<'py>(
        &self,
        py: Python<'py>,
        channel: &Bound<'py, PyAny>,
        socket_id: &Bound<'py, PyAny>,
        custom_data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let name = text(channel, "channel")?;
        validate::channel(&name, false)?;
        let socket_id = text(socket_id, "socket_id")?;
        validate::socket_id(&socket_id)?;
        if name.starts_with("presence-") && !has_user_id(custom_data)? {
            return Err(PyValueError::new_err(
                "A presence channel needs custom_data with a user_id, e.g. {'user_id': '42'}",
            ));
        }
        let channel_data = if custom_data.is_truthy()? {
            Some(self.ascii_json(custom_data)?)
        } else {
            None
        };
        let shared_secret = if validate::is_encrypted_channel(&name) {
            let master_key = self.app.master_key.as_deref().ok_or_else(|| {
                PyValueError::new_err(format!(
                    "Cannot authorize encrypted channel {}: no encryption master key was \
                     configured (pass encryption_master_key_base64)",
                    &*name
                ))
            })?;
            Some(crypto::shared_secret_base64(&name, master_key))
        } else {
            None
        };
        let auth = auth::channel_auth_keyed(
            &self.app.key,
            self.app.mac(),
            &socket_id,
            &name,
            channel_data.as_deref(),
        );
        let result = PyDict::new(py);
        result.set_item(intern!(py, "auth"), auth)?;
        if let Some(channel_data) = channel_data {
            result.set_item(intern!(py, "channel_data"), channel_data)?;
        }
        if let Some(shared_secret) = shared_secret {
            result.set_item(intern!(py, "shared_secret"), shared_secret)?;
        }
        Ok(result)
    }

    /// `{"auth": ..., "user_data": ...}` for `pusher:signin`; `user_data` needs a string `id`.
    fn authenticate_user<'py>(
        &self,
        py: Python<'py>,
        socket_id: &Bound<'py, PyAny>,
        user_data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let socket_id = text(socket_id, "socket_id")?;
        validate::socket_id(&socket_id)?;
        if user_data.is_none() {
            return Err(PyValueError::new_err("user_data is null"));
        }
        if !(user_data.is_instance_of::<PyDict>() || user_data.hasattr(intern!(py, "keys"))?) {
            return Err(PyTypeError::new_err(format!(
                "user_data should be a mapping with an 'id', not {}",
                user_data.get_type().name()?
            )));
        }
        let id = user_data.call_method1(intern!(py, "get"), (intern!(py, "id"),))?;
        if id.is_none() {
            return Err(PyValueError::new_err("user_data has no id field"));
        }
        validate::user_id(&text(&id, "user_id")?)?;
        let encoded = self.ascii_json(user_data)?;
        let auth = auth::user_auth_keyed(&self.app.key, self.app.mac(), &socket_id, &encoded);
        let result = PyDict::new(py);
        result.set_item(intern!(py, "auth"), auth)?;
        result.set_item(intern!(py, "user_data"), encoded)?;
        Ok(result)
    }

    /// The official SDK's webhook check, for clients without a custom JSON decoder: the parsed
    /// body, or None for a wrong key or signature, bad JSON, no `time_ms`, or a `time_ms` more
    /// than 5 minutes from `now_ms`.
    fn validate_webhook<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        signature: &Bound<'py, PyAny>,
        body: &Bound<'py, PyAny>,
        now_ms: f64,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let key = text(key, "key")?;
        let signature = text(signature, "signature")?;
        let body = raw_body(body)?;
        let body = body.as_bytes();
        if *key != *self.app.key || !webhook::verify_webhook_keyed(self.app.mac(), body, &signature)
        {
            return Ok(None);
        }
        let Some(parsed) = py_json::parse(py, body)? else {
            return Ok(None);
        };
        let Ok(dict) = parsed.cast::<PyDict>() else {
            return Ok(None);
        };
        let Some(time_ms) = dict.get_item(intern!(py, "time_ms"))? else {
            return Ok(None);
        };
        let fresh = match time_ms.extract::<f64>() {
            Ok(time_ms) if time_ms != 0.0 => (now_ms - time_ms).abs() <= WEBHOOK_WINDOW_MS,
            _ => false,
        };
        Ok(fresh.then_some(parsed))
    }

    /// `(path, query, body)` of `POST /apps/{id}/events`.
    #[pyo3(signature = (channels, event_name, data, socket_id, info, timestamp))]
    #[allow(clippy::too_many_arguments)]
    fn trigger<'py>(
        &self,
        py: Python<'py>,
        channels: &Bound<'py, PyAny>,
        event_name: &Bound<'py, PyAny>,
        data: &Bound<'py, PyAny>,
        socket_id: &Bound<'py, PyAny>,
        info: &Bound<'py, PyAny>,
        timestamp: i64,
    ) -> PyResult<(String, String, Bound<'py, PyBytes>)> {
        let names = channel_list(channels)?;
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        let name = text(event_name, "event_name")?;
        let data = self.data_text(data)?;
        let socket_id = optional_text(socket_id, "socket_id")?;
        let info = info_from(info)?;
        let event = TriggerEvent {
            channels: &names,
            name: &name,
            data: &data,
            socket_id: socket_id.as_deref(),
            info: info.as_deref(),
        };
        Ok(signed_tuple(py, self.app.trigger(&event, timestamp)?))
    }

    /// `(path, [query, ...])`: the signature of every already serialized body, for `POST` to
    /// `events` or `batch_events`. Bodies are signed as they are; many are signed without the GIL.
    fn sign_posts(
        &self,
        py: Python<'_>,
        endpoint: &str,
        bodies: Vec<PyBackedBytes>,
        timestamp: i64,
    ) -> PyResult<(String, Vec<String>)> {
        if !matches!(endpoint, "events" | "batch_events") {
            return Err(PyValueError::new_err(format!(
                "endpoint should be 'events' or 'batch_events', not {endpoint:?}"
            )));
        }
        let path = self.app.path(endpoint);
        let sign_all = || {
            bodies
                .iter()
                .map(|body| self.app.sign_post(&path, body, timestamp))
                .collect::<Result<Vec<_>, Error>>()
        };
        // Detaching has a fixed cost that only pays for itself over many signatures.
        let queries = if bodies.len() >= 64 {
            py.detach(sign_all)?
        } else {
            sign_all()?
        };
        Ok((path, queries))
    }

    /// `(path, query, body)` of `POST /apps/{id}/batch_events`. The caller's mappings are only read.
    fn batch<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
        already_encoded: bool,
        timestamp: i64,
    ) -> PyResult<(String, String, Bound<'py, PyBytes>)> {
        let not_a_list = events.is_instance_of::<PyString>()
            || events.is_instance_of::<PyBytes>()
            || events.is_instance_of::<PyDict>()
            || events.hasattr("keys")?;
        let iterator = match events.try_iter() {
            Ok(iterator) if !not_a_list => iterator,
            _ => {
                return Err(PyTypeError::new_err(
                    "batch should be a list of events (mappings with channel, name and data)",
                ))
            }
        };
        let events = iterator.collect::<PyResult<Vec<_>>>()?;
        validate::batch_size(events.len())?;
        let batch = events
            .iter()
            .enumerate()
            .map(|(index, event)| self.batch_event(index, event, already_encoded))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(signed_tuple(py, self.app.batch(&batch, timestamp)?))
    }
}

/// The keys a bulk event may have.
const BULK_EVENT_KEYS: [&str; 5] = ["channel", "channels", "name", "data", "socket_id"];

/// One member of a bulk event mapping, or None when it is absent.
fn member<'py>(
    event: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(dict) = event.cast::<PyDict>() {
        return dict.get_item(key);
    }
    match event.get_item(key) {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_instance_of::<pyo3::exceptions::PyKeyError>(event.py()) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Turns a stream of events into signed `batch_events` requests, lane by lane, keeping each
/// channel's events in order (see `bulk.rs`). Used by the bulk publisher.
#[pyclass(module = "pusher_fast._native")]
struct BulkPacker {
    packer: Packer,
}

impl BulkPacker {
    fn items_of(signer: &Signer, index: u64, event: &Bound<'_, PyAny>) -> PyResult<Vec<BulkItem>> {
        let py = event.py();
        if !(event.is_instance_of::<PyDict>() || event.hasattr(intern!(py, "keys"))?) {
            return Err(PyTypeError::new_err(format!(
                "event should be a mapping with channel (or channels), name and data, not {}",
                event.get_type().name()?
            )));
        }
        let channel = member(event, intern!(py, "channel"))?;
        let channels = member(event, intern!(py, "channels"))?;
        let name = member(event, intern!(py, "name"))?;
        let data = member(event, intern!(py, "data"))?;
        let socket_id = member(event, intern!(py, "socket_id"))?;
        let known = [&channel, &channels, &name, &data, &socket_id]
            .iter()
            .filter(|value| value.is_some())
            .count();
        if event.len()? > known {
            let mut unknown = Vec::new();
            for key in event.try_iter()? {
                let key = key?.str()?.to_cow()?.into_owned();
                if !BULK_EVENT_KEYS.contains(&key.as_str()) {
                    unknown.push(key);
                }
            }
            unknown.sort_unstable();
            return Err(PyValueError::new_err(format!(
                "event has unknown key(s) {}",
                unknown.join(", ")
            )));
        }
        let names = match (&channel, &channels) {
            (Some(channel), None) => vec![text(channel, "channel")?],
            (None, Some(channels)) => channel_list(channels)?,
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "event has both 'channel' and 'channels'; give one",
                ))
            }
            (None, None) => return Err(PyValueError::new_err("event has no 'channel'")),
        };
        let name = name.ok_or_else(|| PyValueError::new_err("event has no 'name'"))?;
        let data = data.ok_or_else(|| PyValueError::new_err("event has no 'data'"))?;
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        let name = text(&name, "event_name")?;
        let data = signer.data_text(&data)?;
        let socket_id = match &socket_id {
            Some(value) => optional_text(value, "socket_id")?,
            None => None,
        };
        let event = TriggerEvent {
            channels: &names,
            name: &name,
            data: &data,
            socket_id: socket_id.as_deref(),
            info: None,
        };
        Ok(signer.app.bulk_items(index, &event)?)
    }
}

/// `(lane, "path?query", body, event indices)` of one packed batch.
type PackedRequest<'py> = (usize, String, Bound<'py, PyBytes>, Vec<u64>);

fn signed_batch<'py>(
    py: Python<'py>,
    signer: &Signer,
    batch: &PackedBatch,
    timestamp: i64,
) -> PyResult<PackedRequest<'py>> {
    let post = signer.app.batch_of_items(&batch.items, timestamp)?;
    let indices = batch.items.iter().map(|item| item.event_index).collect();
    let body = PyBytes::new(py, post.body.as_bytes());
    Ok((
        batch.lane,
        format!("{}?{}", post.path, post.query),
        body,
        indices,
    ))
}

#[pymethods]
impl BulkPacker {
    #[new]
    fn new(lanes: usize) -> PyResult<Self> {
        if lanes == 0 {
            return Err(PyValueError::new_err("lanes must be at least 1"));
        }
        Ok(Self {
            packer: Packer::new(lanes),
        })
    }

    /// Packs `events` (numbered from `first_index`). Returns the requests of the batches that
    /// became full, `(index, exception)` for every event that failed validation, and
    /// `(index, copies)` for every event that went to more than one channel.
    #[allow(clippy::type_complexity)]
    fn pack<'py>(
        &mut self,
        py: Python<'py>,
        signer: &Signer,
        events: &Bound<'py, PyAny>,
        first_index: u64,
        timestamp: i64,
    ) -> PyResult<(
        Vec<PackedRequest<'py>>,
        Vec<(u64, Py<PyAny>)>,
        Vec<(u64, usize)>,
    )> {
        let mut requests = Vec::new();
        let mut failures = Vec::new();
        let mut multi = Vec::new();
        for (offset, event) in events.try_iter()?.enumerate() {
            let index = first_index + offset as u64;
            match Self::items_of(signer, index, &event?) {
                Ok(items) => {
                    if items.len() > 1 {
                        multi.push((index, items.len()));
                    }
                    for item in items {
                        if let Some(batch) = self.packer.push(item) {
                            requests.push(signed_batch(py, signer, &batch, timestamp)?);
                        }
                    }
                }
                Err(error) => failures.push((index, error.into_value(py).into_any())),
            }
        }
        Ok((requests, failures, multi))
    }

    /// The requests of every partly filled batch; call once the stream has ended.
    fn flush<'py>(
        &mut self,
        py: Python<'py>,
        signer: &Signer,
        timestamp: i64,
    ) -> PyResult<Vec<PackedRequest<'py>>> {
        self.packer
            .flush()
            .iter()
            .map(|batch| signed_batch(py, signer, batch, timestamp))
            .collect()
    }

    /// Items waiting in partly filled batches.
    fn pending(&self) -> usize {
        self.packer.pending()
    }
}

/// A request body as bytes: `str` (its UTF-8), `bytes`, `bytearray` or `memoryview`.
fn raw_body(body: &Bound<'_, PyAny>) -> PyResult<StrOrBytesOwned> {
    if body.is_instance_of::<PyString>() {
        return PyBackedStr::extract(body.as_borrowed()).map(StrOrBytesOwned::Str);
    }
    if let Ok(bytes) = PyBackedBytes::extract(body.as_borrowed()) {
        return Ok(StrOrBytesOwned::Bytes(bytes));
    }
    if body.is_instance_of::<PyMemoryView>() {
        let copy = body.call_method0(intern!(body.py(), "tobytes"))?;
        return Ok(StrOrBytesOwned::Bytes(PyBackedBytes::extract(
            copy.as_borrowed(),
        )?));
    }
    Err(PyTypeError::new_err(format!(
        "body should be a string instead it is a {}",
        body.get_type().name()?
    )))
}

/// An owned `str | bytes` argument, read as bytes.
enum StrOrBytesOwned {
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
}

impl StrOrBytesOwned {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Str(text) => text.as_bytes(),
            Self::Bytes(bytes) => bytes,
        }
    }
}

/// How far the official SDK lets a webhook's `time_ms` be from now.
const WEBHOOK_WINDOW_MS: f64 = 300_000.0;

/// Whether presence `custom_data` is a mapping with a non-None `user_id`.
fn has_user_id(custom_data: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = custom_data.py();
    if let Ok(dict) = custom_data.cast::<PyDict>() {
        return Ok(dict
            .get_item(intern!(py, "user_id"))?
            .is_some_and(|id| !id.is_none()));
    }
    if !custom_data.hasattr(intern!(py, "keys"))? {
        return Ok(false);
    }
    let id = custom_data.call_method1(intern!(py, "get"), (intern!(py, "user_id"),))?;
    Ok(!id.is_none())
}

/// The channels of a trigger: one name, or any iterable of names (not a mapping).
fn channel_list<'py>(channels: &Bound<'py, PyAny>) -> PyResult<Vec<PyText<'py>>> {
    if channels.is_instance_of::<PyString>() || channels.is_instance_of::<PyBytes>() {
        return Ok(vec![text(channels, "channel")?]);
    }
    let wrong_type = || PyTypeError::new_err("Expected a single or a list of channels");
    if channels.is_instance_of::<PyDict>() {
        return Err(wrong_type());
    }
    let iterator = channels.try_iter().map_err(|_| wrong_type())?;
    iterator.map(|item| text(&item?, "channel")).collect()
}

/// ValueError unless `name` is a valid channel name (see `validation.validate_channel`).
#[pyfunction]
fn check_channel(name: PyBackedStr, allow_server_to_user: bool) -> PyResult<()> {
    Ok(validate::channel(&name, allow_server_to_user)?)
}

/// ValueError unless `name` is a valid event name.
#[pyfunction]
fn check_event_name(name: PyBackedStr) -> PyResult<()> {
    Ok(validate::event_name(&name)?)
}

/// ValueError unless `socket_id` looks like `<digits>.<digits>`.
#[pyfunction]
fn check_socket_id(socket_id: PyBackedStr) -> PyResult<()> {
    Ok(validate::socket_id(&socket_id)?)
}

/// ValueError unless `user_id` is a valid user id.
#[pyfunction]
fn check_user_id(user_id: PyBackedStr) -> PyResult<()> {
    Ok(validate::user_id(&user_id)?)
}

/// ValueError unless 1 to 100 channels.
#[pyfunction]
fn check_channel_count(count: usize) -> PyResult<()> {
    Ok(validate::channel_count(count)?)
}

/// ValueError when the UTF-8 form of `data` is longer than `limit` bytes.
#[pyfunction]
fn check_payload_size(data: PyBackedStr, limit: usize) -> PyResult<()> {
    Ok(validate::payload_size(&data, limit)?)
}

/// Channel attributes normalised to `"a,b"`, or None; ValueError for unknown names.
#[pyfunction]
fn normalize_info(info: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    info_from(info)
}

#[pymodule(gil_used = false)]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::{
        channel_auth, check_channel, check_channel_count, check_event_name, check_payload_size,
        check_socket_id, check_user_id, decrypt, encrypt, hmac_sha256_hex, md5_hex, normalize_info,
        shared_secret, sign_request, user_auth, verify_webhook, BulkPacker, Signer,
    };
    #[pymodule_export]
    use crate::py_sender::NativeSender;

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        // `setattr`, not `add`: `add` would also list `__version__` in `__all__`.
        module.setattr("__version__", env!("CARGO_PKG_VERSION"))
    }
}
