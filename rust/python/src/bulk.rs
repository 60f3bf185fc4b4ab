//! `BulkPacker`: a stream of events into signed `batch_events` requests, lane by lane.

use pusher_fast_core::bulk::{is_event_key, EventChannels, EventMembers, PackedBatch, Packer};
use pusher_fast_core::request::{BulkItem, TriggerEvent};
use pusher_fast_core::text::Text;
use pusher_fast_core::validate;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{
    channel_list, is_mapping, mapping_item as member, mapping_keys, optional_text, text,
};
use crate::errors::NativeResult;
use crate::signer::Signer;

/// Turns a stream of events into signed `batch_events` requests, lane by lane, keeping each
/// channel's events in order (see `bulk.rs`). Used by the bulk publisher.
#[pyclass(module = "pusher_fast._native")]
pub(crate) struct BulkPacker {
    packer: Packer,
}

impl BulkPacker {
    fn items_of(
        signer: &Signer,
        index: u64,
        event: &Bound<'_, PyAny>,
    ) -> NativeResult<Vec<BulkItem>> {
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
            EventChannels::One(channel) => vec![text(channel, "channel")?],
            EventChannels::Many(channels) => channel_list(channels)?,
        };
        let names: Vec<&Text> = names.iter().map(|name| &**name).collect();
        let name = text(&shape.name, "event_name")?;
        let encrypted = names
            .iter()
            .any(|name| validate::is_encrypted_channel(name));
        let data = signer.data_value(&shape.data, encrypted)?;
        let socket_id = match &shape.socket_id {
            Some(value) => optional_text(value, "socket_id")?,
            None => None,
        };
        let event = TriggerEvent {
            channels: &names,
            name: &name,
            data: data.as_data(),
            socket_id: socket_id.as_deref(),
            info: None,
        };
        Ok(signer.app.bulk_items(index, &event)?)
    }
}

/// The signed `batch_events` request of one packed batch, ready for `NativeSender.submit`.
#[pyclass(frozen, module = "pusher_fast._native")]
pub(crate) struct PackedRequest {
    /// The lane of the batch's channels.
    #[pyo3(get)]
    lane: usize,
    /// `/apps/{id}/batch_events?{signed query}`.
    #[pyo3(get)]
    path_and_query: String,
    #[pyo3(get)]
    body: Py<PyBytes>,
    /// The stream positions of the batch's events, in order.
    #[pyo3(get)]
    event_indices: Vec<u64>,
}

impl PackedRequest {
    fn signed(
        py: Python<'_>,
        signer: &Signer,
        batch: &PackedBatch,
        timestamp: i64,
    ) -> NativeResult<Self> {
        let post = signer.app.batch_of_items(&batch.items, timestamp)?;
        Ok(Self {
            lane: batch.lane,
            path_and_query: format!("{}?{}", signer.app.path(post.endpoint), post.query),
            body: PyBytes::new(py, &post.body).unbind(),
            event_indices: batch.items.iter().map(|item| item.event_index).collect(),
        })
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
                            requests.push(PackedRequest::signed(py, signer, &batch, timestamp)?);
                        }
                    }
                }
                Err(error) => failures.push((index, PyErr::from(error).into_value(py).into_any())),
            }
        }
        Ok((requests, failures, multi))
    }

    /// The requests of every partly filled batch; call once the stream has ended.
    fn flush(
        &mut self,
        py: Python<'_>,
        signer: &Signer,
        timestamp: i64,
    ) -> NativeResult<Vec<PackedRequest>> {
        self.packer
            .flush()
            .iter()
            .map(|batch| PackedRequest::signed(py, signer, batch, timestamp))
            .collect()
    }

    /// Items waiting in partly filled batches.
    fn pending(&self) -> usize {
        self.packer.pending()
    }
}
