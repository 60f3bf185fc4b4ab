//! `BulkPacker`: a stream of events into signed `batch_events` requests, lane by lane.

use std::sync::Arc;

use pusher_fast_core::bulk::{is_event_key, EventChannels, EventMembers, PackedBatch, Packer};
use pusher_fast_core::request::{AppCredentials, PostEndpoint, TriggerEvent};
use pusher_fast_core::text::{Text, TextBuf};
use pusher_fast_core::validate;
use pusher_fast_sender::LaterRequest;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{
    channel_list, is_mapping, mapping_item as member, mapping_keys, optional_text, text,
};
use crate::errors::NativeResult;
use crate::signer::{DataValue, Signer};
use crate::strings::PyText;

/// Turns a stream of events into signed `batch_events` requests, lane by lane, keeping each
/// channel's events in order (see `bulk.rs`). Used by the bulk publisher.
#[pyclass(module = "pusher_fast._native")]
pub(crate) struct BulkPacker {
    packer: Packer<Item>,
    /// The buffer the last event's data was written into, for the next one.
    spare: Option<TextBuf>,
}

impl BulkPacker {
    /// Checks one event and packs its items; batches that became full go to `full`. Returns how
    /// many channels (items) the event has.
    fn pack_event(
        &mut self,
        signer: &Signer,
        index: u64,
        event: &Bound<'_, PyAny>,
        full: &mut Vec<PackedBatch<Item>>,
    ) -> NativeResult<usize> {
        let py = event.py();
        if !is_mapping(event)? {
            return Err(PyTypeError::new_err(format!(
                "event should be a mapping with channel (or channels), name and data, not {}",
                event.get_type().name()?
            ))
            .into());
        }
        let members = EventMembers {
            channel: member(event, intern!(py, "channel"))?,
            channels: member(event, intern!(py, "channels"))?,
            name: member(event, intern!(py, "name"))?,
            data: member(event, intern!(py, "data"))?,
            socket_id: member(event, intern!(py, "socket_id"))?,
        };
        let mut unknown = Vec::new();
        let has_more_keys = match event.cast::<PyDict>() {
            Ok(dict) => dict.len() > members.count(),
            Err(_) => true,
        };
        if has_more_keys {
            for key in mapping_keys(event)? {
                let key = key.str()?.to_string_lossy().into_owned();
                if !is_event_key(&key) {
                    unknown.push(key);
                }
            }
        }
        let shape = members.check(unknown)?;
        let names = match &shape.channels {
            EventChannels::One(channel) => ChannelNames::One(text(channel, "channel")?),
            EventChannels::Many(channels) => ChannelNames::Many(channel_list(channels)?),
        };
        let many;
        let one;
        let names: &[&Text] = match &names {
            ChannelNames::One(name) => {
                one = [&**name];
                &one
            }
            ChannelNames::Many(names) => {
                many = names.iter().map(|name| &**name).collect::<Vec<&Text>>();
                &many
            }
        };
        let name = text(&shape.name, "event_name")?;
        let encrypted = names
            .iter()
            .any(|name| validate::is_encrypted_channel(name));
        let data = signer.data_value_reusing(&shape.data, encrypted, &mut self.spare)?;
        let socket_id = match &shape.socket_id {
            Some(value) => optional_text(value, "socket_id")?,
            None => None,
        };
        let trigger = TriggerEvent {
            channels: names,
            name: &name,
            data: data.as_data(),
            socket_id: socket_id.as_deref(),
            info: None,
        };
        let item = || Item {
            index,
            event: event.clone().unbind(),
        };
        self.packer
            .push(&signer.app.bulk_event(&trigger)?, item, full);
        if let DataValue::Literal(literal) = data {
            self.spare = Some(literal.into_buffer());
        }
        Ok(names.len())
    }
}

/// One item of a packed batch: the stream position of its event, and the event (for the failures
/// the publisher reports).
pub(crate) struct Item {
    index: u64,
    event: Py<PyAny>,
}

/// An event's channel names: one, or a list.
enum ChannelNames<'py> {
    One(PyText<'py>),
    Many(Vec<PyText<'py>>),
}

/// The `batch_events` request of one packed batch, ready for `NativeSender.submit_packed`. It is
/// signed when sent, on the sender's thread: the body's MD5 and the HMAC are a fifth of packing's
/// work, which the thread reading the caller's events is spared.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct PackedRequest {
    /// The lane of the batch's channels.
    #[pyo3(get)]
    lane: usize,
    items: Vec<Item>,
    signing: Arc<SignLater>,
}

/// What signing a packed batch takes: the app, the body and the time it was packed at.
struct SignLater {
    app: Arc<AppCredentials>,
    body: Vec<u8>,
    timestamp: i64,
}

impl SignLater {
    fn path_and_query(&self) -> String {
        let endpoint = PostEndpoint::BatchEvents;
        let query = self.app.sign_post(endpoint, &self.body, self.timestamp);
        format!("{}?{query}", self.app.path(endpoint))
    }
}

/// A packed request's signing, handed to the sender (the request keeps its share for Python).
struct SharedSigning(Arc<SignLater>);

impl LaterRequest for SharedSigning {
    fn target(&self) -> String {
        self.0.path_and_query()
    }

    fn body(&self) -> &[u8] {
        &self.0.body
    }
}

impl PackedRequest {
    fn new(signer: &Signer, batch: PackedBatch<Item>, timestamp: i64) -> Self {
        Self {
            lane: batch.lane,
            items: batch.tags,
            signing: Arc::new(SignLater {
                app: Arc::clone(&signer.app),
                body: batch.body,
                timestamp,
            }),
        }
    }

    /// What the sender's thread makes the request of: target (signed there) and body.
    pub(crate) fn later(&self) -> Box<dyn LaterRequest> {
        Box::new(SharedSigning(Arc::clone(&self.signing)))
    }

    pub(crate) fn lane(&self) -> usize {
        self.lane
    }
}

#[pymethods]
impl PackedRequest {
    /// The stream positions of the batch's events, in order (a multi-channel event's items
    /// share one).
    #[getter]
    fn event_indices(&self) -> Vec<u64> {
        self.items.iter().map(|item| item.index).collect()
    }

    /// The events themselves, as the caller gave them, in the same order.
    #[getter]
    fn events(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        self.items
            .iter()
            .map(|item| item.event.clone_ref(py))
            .collect()
    }

    /// How many items (events on one channel each) the batch holds.
    fn __len__(&self) -> usize {
        self.items.len()
    }

    /// `/apps/{id}/batch_events`.
    #[getter]
    fn path(&self) -> &str {
        self.signing.app.path(PostEndpoint::BatchEvents)
    }

    /// `/apps/{id}/batch_events?{signed query}`, signed now with the time of packing.
    #[getter]
    fn path_and_query(&self) -> String {
        self.signing.path_and_query()
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.signing.body)
    }
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
            spare: None,
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
    ) -> NativeResult<(Vec<PackedRequest>, Vec<(u64, Py<PyAny>)>, Vec<(u64, usize)>)> {
        let mut full = Vec::new();
        let mut failures = Vec::new();
        let mut multi = Vec::new();
        for (offset, event) in events.try_iter()?.enumerate() {
            let index = first_index + offset as u64;
            match self.pack_event(signer, index, &event?, &mut full) {
                Ok(1) => {}
                Ok(copies) => multi.push((index, copies)),
                Err(error) => failures.push((index, PyErr::from(error).into_value(py).into_any())),
            }
        }
        let requests = full
            .into_iter()
            .map(|batch| PackedRequest::new(signer, batch, timestamp))
            .collect();
        Ok((requests, failures, multi))
    }

    /// The requests of every partly filled batch; call once the stream has ended.
    fn flush(&mut self, signer: &Signer, timestamp: i64) -> Vec<PackedRequest> {
        self.packer
            .flush()
            .into_iter()
            .map(|batch| PackedRequest::new(signer, batch, timestamp))
            .collect()
    }

    /// Items waiting in partly filled batches.
    fn pending(&self) -> usize {
        self.packer.pending()
    }
}
