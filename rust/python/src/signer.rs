//! `Signer`: request building for one app. It turns the caller's Python arguments into text and
//! JSON (with the official SDK's TypeErrors), hands them to the core's request builders and
//! authorization rules, and returns their results as Python values: `trigger` and `batch` return
//! the finished `PreparedRequest`, signed with the clock read here.

use std::sync::Arc;

use pusher_fast_core::auth::{self, ChannelData, UserData};
use pusher_fast_core::json_text::{Escape, JsonLiteral, JsonText, LiteralWriter};
use pusher_fast_core::limits::MAX_BATCH_SIZE;
use pusher_fast_core::request::{
    AppCredentials, BatchEvent, BatchField, BatchValue, EventData, PostEndpoint, SignedPost,
    TriggerEvent,
};
use pusher_fast_core::text::{Text, TextBuf};
use pusher_fast_core::validate::{self, InfoScope};
use pusher_fast_core::webhook;
use pyo3::exceptions::{PyRecursionError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyIterator, PyList, PyString, PyTuple,
};

use crate::clock;
use crate::convert::{
    as_dict, channel_list, info_from, into_optional_text, into_text, is_mapping, mapping_item,
    mapping_keys, optional_text, raw_body, text,
};
use crate::errors::NativeResult;
use crate::json;
use crate::request::PreparedRequest;
use crate::strings::PyText;

/// Event data converted for the core: text (a str, or JSON for an encrypted channel or from a
/// custom encoder), or JSON written straight into the literal form the body holds.
pub(crate) enum DataValue<'py> {
    Text(PyText<'py>),
    Literal(JsonLiteral),
}

impl DataValue<'_> {
    pub(crate) fn as_data(&self) -> EventData<'_> {
        match self {
            Self::Text(text) => EventData::Text(text),
            Self::Literal(literal) => EventData::Literal(literal),
        }
    }
}

/// A member of a batch event, converted.
enum BatchMember<'py> {
    Text(PyText<'py>),
    Data(DataValue<'py>),
}

impl BatchValue for BatchMember<'_> {
    fn text(&self) -> &Text {
        match self {
            Self::Text(text) | Self::Data(DataValue::Text(text)) => text,
            Self::Data(DataValue::Literal(literal)) => literal.literal(),
        }
    }

    fn data(&self) -> EventData<'_> {
        match self {
            Self::Text(text) => EventData::Text(text),
            Self::Data(data) => data.as_data(),
        }
    }
}

/// Request building for one app: validation, data serialization, encryption and signing of
/// `events` and `batch_events` requests in one call each.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct Signer {
    /// Shared with the bulk publisher's requests, which the sender's thread signs.
    pub(crate) app: Arc<AppCredentials>,
    /// Serializes what the Rust writer cannot (or every value, with a custom encoder):
    /// `dumps(value) -> str`, i.e. `json.dumps(value, cls=..., ensure_ascii=False)`.
    dumps: Py<PyAny>,
    /// The same for channel and user data, which the official SDK writes ASCII-escaped:
    /// `json.dumps(value, cls=...)`.
    dumps_ascii: Py<PyAny>,
    custom_encoder: bool,
    /// What every `PreparedRequest` of this app shares.
    base_url: Py<PyString>,
    post_headers: Py<PyAny>,
    events_path: Py<PyString>,
    batch_events_path: Py<PyString>,
}

impl Signer {
    /// `json.dumps(value, cls=encoder)` of auth payloads, in Rust unless there is a custom encoder.
    fn ascii_json(&self, value: &Bound<'_, PyAny>) -> PyResult<String> {
        if !self.custom_encoder {
            let mut out = TextBuf::new();
            let mut writer = JsonText {
                out: &mut out,
                escape: Escape::Ascii,
            };
            if json::write_value(&mut writer, value)? {
                // ASCII-escaped JSON is ASCII.
                return out.into_string().map_err(|_| {
                    PyValueError::new_err("ASCII-escaped JSON held a non-ASCII character")
                });
            }
        }
        self.dumps_ascii.bind(value.py()).call1((value,))?.extract()
    }

    /// Event data as the official SDK sends it: a str as is, anything else as JSON (written as
    /// text for an `encrypted` channel, which encrypts it, and straight into the body's form
    /// otherwise).
    pub(crate) fn data_value<'py>(
        &self,
        data: &Bound<'py, PyAny>,
        encrypted: bool,
    ) -> PyResult<DataValue<'py>> {
        self.data_value_reusing(data, encrypted, &mut None)
    }

    /// [`Self::data_value`], writing a literal into `spare`'s memory when it holds a buffer.
    pub(crate) fn data_value_reusing<'py>(
        &self,
        data: &Bound<'py, PyAny>,
        encrypted: bool,
        spare: &mut Option<TextBuf>,
    ) -> PyResult<DataValue<'py>> {
        if let Ok(string) = data.cast::<PyString>() {
            return PyText::from_str_object(string.clone()).map(DataValue::Text);
        }
        if data.is_instance_of::<PyBytes>() || data.is_instance_of::<PyByteArray>() {
            return Err(PyTypeError::new_err(
                "data should be a str or a JSON-serializable value, not bytes; decode it first",
            ));
        }
        if !self.custom_encoder {
            if encrypted {
                let mut out = TextBuf::with_capacity(128);
                let mut writer = JsonText {
                    out: &mut out,
                    escape: Escape::Unicode,
                };
                if json::write_value(&mut writer, data)? {
                    return Ok(DataValue::Text(PyText::from_rust(out)));
                }
            } else {
                let mut writer = match spare.take() {
                    Some(buffer) => LiteralWriter::reusing(buffer),
                    None => LiteralWriter::with_capacity(160),
                };
                if json::write_value(&mut writer, data)? {
                    return Ok(DataValue::Literal(writer.finish()));
                }
            }
        }
        let dumped = self.dumps.bind(data.py()).call1((data,))?;
        PyText::from_str_object(dumped.cast_into::<PyString>()?).map(DataValue::Text)
    }

    /// The `PreparedRequest` of a signed POST.
    fn prepared(&self, py: Python<'_>, post: SignedPost) -> PreparedRequest {
        let path = match post.endpoint {
            PostEndpoint::Events => &self.events_path,
            PostEndpoint::BatchEvents => &self.batch_events_path,
        };
        PreparedRequest::new_signed(
            intern!(py, "POST").clone().into_any().unbind(),
            self.base_url.clone_ref(py).into_any(),
            path.clone_ref(py).into_any(),
            PyString::new(py, &post.query).into_any().unbind(),
            self.post_headers.clone_ref(py),
            PyBytes::new(py, &post.body).into_any().unbind(),
        )
    }

    /// Converts batch event number `index` into `fields` (empty on the way in); a literal is
    /// written into `spare`'s memory when it holds a buffer.
    fn batch_event<'py>(
        &self,
        index: usize,
        event: &Bound<'py, PyAny>,
        already_encoded: bool,
        fields: &mut BatchEvent<BatchMember<'py>>,
        spare: &mut Option<TextBuf>,
    ) -> NativeResult<()> {
        let mut unknown: Vec<String> = Vec::new();
        // Data is converted last, once the channel says whether it is to be encrypted.
        let mut data = None;
        let mut member = |key: &Bound<'py, PyAny>, value: Bound<'py, PyAny>| -> NativeResult<()> {
            match batch_field(key)? {
                Ok(BatchField::Data) => {
                    if already_encoded && !value.is_instance_of::<PyString>() {
                        return Err(PyTypeError::new_err(format!(
                            "batch event #{index}: already_encoded=True needs str data"
                        ))
                        .into());
                    }
                    data = Some((fields.len(), value));
                    fields.push((BatchField::Data, BatchMember::Text(PyText::empty())));
                }
                Ok(field) => {
                    if let Some(member) = batch_member(field, value)? {
                        fields.push((field, BatchMember::Text(member)));
                    }
                }
                Err(name) => unknown.push(name),
            }
            Ok(())
        };
        if let Ok(dict) = event.cast::<PyDict>() {
            for (key, value) in dict.iter() {
                member(&key, value)?;
            }
        } else if is_mapping(event)? {
            for key in mapping_keys(event)? {
                let value = event.get_item(&key)?;
                member(&key, value)?;
            }
        } else {
            return Err(PyTypeError::new_err(format!(
                "batch event #{index} should be a mapping, not {}",
                event.get_type().name()?
            ))
            .into());
        }
        BatchField::refuse_unknown(index, unknown)?;
        if let Some((position, value)) = data {
            let encrypted = fields.iter().any(|(field, value)| {
                *field == BatchField::Channel && validate::is_encrypted_channel(value.text())
            });
            let data = self.data_value_reusing(&value, encrypted, spare)?;
            fields[position].1 = BatchMember::Data(data);
        }
        Ok(())
    }
}

/// The text of a batch member other than `data`; None for an absent optional one.
fn batch_member(field: BatchField, value: Bound<'_, PyAny>) -> NativeResult<Option<PyText<'_>>> {
    Ok(match field {
        BatchField::Channel => Some(into_text(value, "channel")?),
        BatchField::Name => Some(into_text(value, "event_name")?),
        BatchField::SocketId => into_optional_text(value, "socket_id")?,
        BatchField::Info => {
            info_from(&value, InfoScope::Event)?.map(|info| PyText::from_rust(TextBuf::from(info)))
        }
        BatchField::Data => None,
    })
}

/// The batch member a mapping key names, or the key as text when it names none. Keys are
/// compared by identity with the interned names first: literal dict keys are those objects.
fn batch_field(key: &Bound<'_, PyAny>) -> PyResult<Result<BatchField, String>> {
    static KEYS: PyOnceLock<[(Py<PyString>, BatchField); 5]> = PyOnceLock::new();
    let py = key.py();
    let known = KEYS.get_or_init(py, || {
        [
            BatchField::Channel,
            BatchField::Name,
            BatchField::Data,
            BatchField::SocketId,
            BatchField::Info,
        ]
        .map(|field| (PyString::intern(py, field.key()).unbind(), field))
    });
    if let Some((_, field)) = known.iter().find(|(name, _)| key.is(name)) {
        return Ok(Ok(*field));
    }
    let name = key.str()?.to_string_lossy().into_owned();
    Ok(BatchField::from_key(&name).ok_or(name))
}

/// The events of a batch: a list or tuple as it is (its length checked first), any other
/// iterable one event at a time (the writer refuses the event past the limit, so an endless
/// iterable is read no further).
fn batch_events<'py>(events: &Bound<'py, PyAny>) -> NativeResult<Bound<'py, PyIterator>> {
    if let Ok(list) = events.cast::<PyList>() {
        validate::batch_size(list.len())?;
    } else if let Ok(tuple) = events.cast::<PyTuple>() {
        validate::batch_size(tuple.len())?;
    } else if events.is_instance_of::<PyString>()
        || events.is_instance_of::<PyBytes>()
        || is_mapping(events)?
    {
        return Err(not_a_batch().into());
    }
    Ok(events.try_iter().map_err(|_| not_a_batch())?)
}

fn not_a_batch() -> PyErr {
    PyTypeError::new_err("batch should be a list of events (mappings with channel, name and data)")
}

#[pymethods]
impl Signer {
    #[new]
    #[pyo3(signature = (
        app_id, key, secret, master_key, max_payload_bytes, dumps, dumps_ascii, custom_encoder,
        base_url, post_headers
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        app_id: String,
        key: String,
        secret: String,
        master_key: Option<Vec<u8>>,
        max_payload_bytes: usize,
        dumps: Py<PyAny>,
        dumps_ascii: Py<PyAny>,
        custom_encoder: bool,
        base_url: Py<PyString>,
        post_headers: Py<PyAny>,
    ) -> Self {
        let app = AppCredentials::new(
            app_id,
            key,
            secret.as_bytes(),
            master_key,
            max_payload_bytes,
        );
        let path = |endpoint| PyString::new(py, app.path(endpoint)).unbind();
        let events_path = path(PostEndpoint::Events);
        let batch_events_path = path(PostEndpoint::BatchEvents);
        Self {
            app: Arc::new(app),
            dumps,
            dumps_ascii,
            custom_encoder,
            base_url,
            post_headers,
            events_path,
            batch_events_path,
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
            let mapping = is_mapping(custom_data)?;
            if validate::is_presence_channel(&channel) && !mapping {
                return Err(PyTypeError::new_err(format!(
                    "custom_data should be a mapping with a user_id, not {}",
                    custom_data.get_type().name()?
                ))
                .into());
            }
            let value = if mapping {
                as_dict(custom_data)?
            } else {
                custom_data.clone()
            };
            Some(ChannelData {
                has_user_id: mapping
                    && mapping_item(&value, intern!(py, "user_id"))?
                        .is_some_and(|id| !id.is_none()),
                json: self.ascii_json(&value)?,
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
            if !is_mapping(user_data)? {
                return Err(PyTypeError::new_err(format!(
                    "user_data should be a mapping with an 'id', not {}",
                    user_data.get_type().name()?
                ))
                .into());
            }
            let user_data = as_dict(user_data)?;
            let id = match mapping_item(&user_data, intern!(py, "id"))? {
                Some(id) if !id.is_none() => Some(text(&id, "user_id")?),
                _ => None,
            };
            (id, Some(self.ascii_json(&user_data)?))
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
    /// from `now_ms`. The body is read as `json.loads` reads it, or by `loads(body_bytes)` (a
    /// custom decoder, whose ValueError and RecursionError mean not valid).
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
        let (Some(key), Some(signature)) = (key.to_str(), signature.to_str()) else {
            return Ok(None);
        };
        if !webhook::legacy_authentic(&self.app, key, signature, body) {
            return Ok(None);
        }
        let parsed = match loads {
            None => json::loads(py, body),
            Some(loads) => loads.call1((PyBytes::new(py, body),)),
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error)
                if error.is_instance_of::<PyValueError>(py)
                    || error.is_instance_of::<PyRecursionError>(py) =>
            {
                return Ok(None)
            }
            Err(error) => return Err(error.into()),
        };
        let Ok(dict) = parsed.cast::<PyDict>() else {
            return Ok(None);
        };
        // Only numbers count, as in the official SDK; a decoder may give anything.
        let time_ms = dict
            .get_item(intern!(py, "time_ms"))?
            .filter(|time_ms| {
                time_ms.is_instance_of::<PyInt>() || time_ms.is_instance_of::<PyFloat>()
            })
            .and_then(|time_ms| time_ms.extract::<f64>().ok());
        Ok(webhook::legacy_fresh(time_ms, now_ms).then_some(parsed))
    }

    /// The `PreparedRequest` of `POST /apps/{id}/events`, signed now.
    #[pyo3(signature = (channels, event_name, data, socket_id=None, info=None))]
    fn trigger<'py>(
        &self,
        py: Python<'py>,
        channels: &Bound<'py, PyAny>,
        event_name: &Bound<'py, PyAny>,
        data: &Bound<'py, PyAny>,
        socket_id: Option<&Bound<'py, PyAny>>,
        info: Option<&Bound<'py, PyAny>>,
    ) -> NativeResult<PreparedRequest> {
        let names = channel_list(channels)?;
        let names: Vec<&Text> = names.iter().map(|name| &**name).collect();
        let name = text(event_name, "event_name")?;
        let encrypted = names
            .iter()
            .any(|name| validate::is_encrypted_channel(name));
        let data = self.data_value(data, encrypted)?;
        let socket_id = match socket_id {
            Some(socket_id) => optional_text(socket_id, "socket_id")?,
            None => None,
        };
        let info = match info {
            Some(info) => info_from(info, InfoScope::Event)?,
            None => None,
        };
        let event = TriggerEvent {
            channels: &names,
            name: &name,
            data: data.as_data(),
            socket_id: socket_id.as_deref(),
            info: info.as_deref(),
        };
        let post = self.app.trigger(&event, clock::unix_seconds(py)?)?;
        Ok(self.prepared(py, post))
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
        let Some(endpoint) = PostEndpoint::from_name(endpoint) else {
            return Err(PyValueError::new_err(format!(
                "endpoint should be 'events' or 'batch_events', not {endpoint:?}"
            ))
            .into());
        };
        let sign_all = || {
            bodies
                .iter()
                .map(|body| self.app.sign_post(endpoint, body, timestamp))
                .collect::<Vec<_>>()
        };
        // Detaching has a fixed cost that only pays for itself over many signatures.
        let queries = if bodies.len() >= 64 {
            py.detach(sign_all)
        } else {
            sign_all()
        };
        Ok((self.app.path(endpoint).to_owned(), queries))
    }

    /// The `PreparedRequest` of `POST /apps/{id}/batch_events`, signed now. The caller's mappings
    /// are only read.
    #[pyo3(signature = (events, already_encoded=false))]
    fn batch<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
        already_encoded: bool,
    ) -> NativeResult<PreparedRequest> {
        let mut writer = self.app.batch_writer(MAX_BATCH_SIZE);
        // One event's members at a time; written as soon as they are read.
        let mut fields = Vec::with_capacity(5);
        let mut spare = None;
        for (index, event) in batch_events(events)?.enumerate() {
            self.batch_event(index, &event?, already_encoded, &mut fields, &mut spare)?;
            writer.push(&fields)?;
            for (_, member) in fields.drain(..) {
                if let BatchMember::Data(DataValue::Literal(literal)) = member {
                    spare = Some(literal.into_buffer());
                }
            }
        }
        let post = writer.finish(clock::unix_seconds(py)?)?;
        Ok(self.prepared(py, post))
    }
}
