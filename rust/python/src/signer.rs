//! `Signer`: request building for one app. It turns the caller's Python arguments into text and
//! JSON (with the official SDK's TypeErrors), hands them to the core's request builders and
//! authorization rules, and returns their results as Python values.

use pusher_fast_core::auth::{self, ChannelData, UserData};
use pusher_fast_core::json_text::Escape;
use pusher_fast_core::request::{AppCredentials, BatchEvent, BatchField, SignedPost, TriggerEvent};
use pusher_fast_core::{validate, webhook, Error};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyString};

use crate::convert::{channel_list, info_from, optional_text, raw_body, text};
use crate::errors::NativeResult;
use crate::json;
use crate::strings::PyText;

/// `(path, query, body)` of a signed POST.
fn signed_tuple<'py>(py: Python<'py>, post: SignedPost) -> (String, String, Bound<'py, PyBytes>) {
    let body = PyBytes::new(py, post.body.as_bytes());
    (post.path, post.query, body)
}

/// Request building for one app: validation, data serialization, encryption and signing of
/// `events` and `batch_events` requests in one call each.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct Signer {
    pub(crate) app: AppCredentials,
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
            if json::write_value(&mut out, value, Escape::Ascii)? {
                return Ok(out);
            }
        }
        self.dumps_ascii.bind(value.py()).call1((value,))?.extract()
    }

    /// Event data as the official SDK sends it: a str as is, anything else as JSON.
    pub(crate) fn data_text<'py>(&self, data: &Bound<'py, PyAny>) -> PyResult<PyText<'py>> {
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
            if json::write_value(&mut out, data, Escape::Unicode)? {
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
    ) -> NativeResult<BatchEvent<PyText<'py>>> {
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
                ))
                .into());
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
                    ))
                    .into());
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
        BatchField::refuse_unknown(index, unknown)?;
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
    ) -> NativeResult<Bound<'py, PyDict>> {
        let channel = text(channel, "channel")?;
        let socket_id = text(socket_id, "socket_id")?;
        let custom_data = if custom_data.is_truthy()? {
            Some(ChannelData {
                has_user_id: has_user_id(custom_data)?,
                json: self.ascii_json(custom_data)?,
            })
        } else {
            None
        };
        let authorization = auth::authorize_channel(&self.app, &channel, &socket_id, custom_data)?;
        let result = PyDict::new(py);
        result.set_item(intern!(py, "auth"), authorization.auth)?;
        if let Some(channel_data) = authorization.channel_data {
            result.set_item(intern!(py, "channel_data"), channel_data)?;
        }
        if let Some(shared_secret) = authorization.shared_secret {
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
    ) -> NativeResult<Bound<'py, PyDict>> {
        let socket_id = text(socket_id, "socket_id")?;
        let (id, json) = if user_data.is_none() {
            (None, None)
        } else {
            if !(user_data.is_instance_of::<PyDict>() || user_data.hasattr(intern!(py, "keys"))?) {
                return Err(PyTypeError::new_err(format!(
                    "user_data should be a mapping with an 'id', not {}",
                    user_data.get_type().name()?
                ))
                .into());
            }
            let id = user_data.call_method1(intern!(py, "get"), (intern!(py, "id"),))?;
            let id = if id.is_none() {
                None
            } else {
                Some(text(&id, "user_id")?)
            };
            (id, Some(self.ascii_json(user_data)?))
        };
        let user_data = json.as_deref().map(|json| UserData {
            id: id.as_deref(),
            json,
        });
        let authentication = auth::authenticate_user(&self.app, &socket_id, user_data)?;
        let result = PyDict::new(py);
        result.set_item(intern!(py, "auth"), authentication.auth)?;
        result.set_item(intern!(py, "user_data"), authentication.user_data)?;
        Ok(result)
    }

    /// The official SDK's webhook check: the parsed body, or None for a wrong key or signature,
    /// a body that is not a JSON object, or a `time_ms` that is missing or more than 5 minutes
    /// from `now_ms`. `loads(body_bytes)` parses with a custom JSON decoder (a ValueError from it
    /// means not valid); without it the body is parsed in Rust.
    #[pyo3(signature = (key, signature, body, now_ms, loads))]
    fn validate_webhook<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        signature: &Bound<'py, PyAny>,
        body: &Bound<'py, PyAny>,
        now_ms: f64,
        loads: Option<&Bound<'py, PyAny>>,
    ) -> NativeResult<Option<Bound<'py, PyAny>>> {
        let key = text(key, "key")?;
        let signature = text(signature, "signature")?;
        let body = raw_body(body)?;
        let body = body.as_bytes();
        if !webhook::legacy_authentic(&self.app, &key, &signature, body) {
            return Ok(None);
        }
        let parsed = match loads {
            None => json::parse(py, body)?,
            Some(loads) => match loads.call1((PyBytes::new(py, body),)) {
                Ok(parsed) => Some(parsed),
                Err(error) if error.is_instance_of::<PyValueError>(py) => None,
                Err(error) => return Err(error.into()),
            },
        };
        let Some(dict) = parsed
            .as_ref()
            .and_then(|parsed| parsed.cast::<PyDict>().ok())
        else {
            return Ok(None);
        };
        // Only numbers count, as in the official SDK; a decoder may give anything.
        let time_ms = dict
            .get_item(intern!(py, "time_ms"))?
            .filter(|time_ms| {
                time_ms.is_instance_of::<PyInt>() || time_ms.is_instance_of::<PyFloat>()
            })
            .and_then(|time_ms| time_ms.extract::<f64>().ok());
        Ok(webhook::legacy_fresh(time_ms, now_ms)
            .then_some(parsed)
            .flatten())
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
    ) -> NativeResult<(String, String, Bound<'py, PyBytes>)> {
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
    ) -> NativeResult<(String, Vec<String>)> {
        if !matches!(endpoint, "events" | "batch_events") {
            return Err(PyValueError::new_err(format!(
                "endpoint should be 'events' or 'batch_events', not {endpoint:?}"
            ))
            .into());
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
    ) -> NativeResult<(String, String, Bound<'py, PyBytes>)> {
        let not_a_list = events.is_instance_of::<PyString>()
            || events.is_instance_of::<PyBytes>()
            || events.is_instance_of::<PyDict>()
            || events.hasattr("keys")?;
        let iterator = match events.try_iter() {
            Ok(iterator) if !not_a_list => iterator,
            _ => {
                return Err(PyTypeError::new_err(
                    "batch should be a list of events (mappings with channel, name and data)",
                )
                .into())
            }
        };
        let events = iterator.collect::<PyResult<Vec<_>>>()?;
        validate::batch_size(events.len())?;
        let batch = events
            .iter()
            .enumerate()
            .map(|(index, event)| self.batch_event(index, event, already_encoded))
            .collect::<NativeResult<Vec<_>>>()?;
        Ok(signed_tuple(py, self.app.batch(&batch, timestamp)?))
    }
}

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
