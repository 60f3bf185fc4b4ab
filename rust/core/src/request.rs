//! Building the signed `events` and `batch_events` requests: validation, end-to-end encryption,
//! the size check, the JSON body (byte-identical to the official Python SDK's) and the signature.

use std::borrow::Cow;

use crate::crypto;
use crate::error::Error;
use crate::json_text::{push_string, Escape, JsonLiteral, ObjectWriter};
use crate::limits::MAX_BATCH_SIZE;
use crate::signing::{HmacSha256, PostSigner};
use crate::text::{Text, TextBuf};
use crate::validate;

/// What every request of one app is signed with, plus the limits that apply to its events.
pub struct AppCredentials {
    pub app_id: String,
    pub key: String,
    pub master_key: Option<Vec<u8>>,
    pub max_payload_bytes: usize,
    signer: PostSigner,
    events_path: String,
    batch_events_path: String,
}

/// The two endpoints events are posted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostEndpoint {
    /// `POST /apps/{id}/events`: one event on 1 to 100 channels.
    Events,
    /// `POST /apps/{id}/batch_events`: 1 to 10 events.
    BatchEvents,
}

impl PostEndpoint {
    /// The endpoint of a path's last segment, `events` or `batch_events`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "events" => Some(Self::Events),
            "batch_events" => Some(Self::BatchEvents),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::BatchEvents => "batch_events",
        }
    }
}

/// A signed POST, ready to send: `POST {path}?{query}` with `body`, where the path is
/// [`AppCredentials::path`] of `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPost {
    pub endpoint: PostEndpoint,
    pub query: String,
    pub body: Vec<u8>,
}

/// Event data, already serialized.
#[derive(Clone, Copy, Debug)]
pub enum EventData<'a> {
    /// Text, sent as a JSON string (encrypted first on an encrypted channel).
    Text(&'a Text),
    /// JSON written straight into the body's form (see [`JsonLiteral`]); not for an encrypted
    /// channel, whose data is encrypted from its text.
    Literal(&'a JsonLiteral),
}

/// Event data as sent: its text (encrypted where it had to be) or its literal.
enum Payload<'a> {
    Text(Cow<'a, Text>),
    Literal(&'a JsonLiteral),
}

impl Payload<'_> {
    fn write(&self, object: &mut ObjectWriter<'_>, key: &'static str) {
        match self {
            Self::Text(text) => object.string(key, text, Escape::Ascii),
            Self::Literal(literal) => object.raw(key, literal.literal()),
        }
    }
}

/// One event of a single `trigger`, data already serialized.
pub struct TriggerEvent<'a> {
    pub channels: &'a [&'a Text],
    pub name: &'a Text,
    pub data: EventData<'a>,
    pub socket_id: Option<&'a Text>,
    pub info: Option<&'a str>,
}

/// The members a batch event may have; any other key is refused before this point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchField {
    Channel,
    Name,
    Data,
    SocketId,
    Info,
}

impl BatchField {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "channel" => Some(Self::Channel),
            "name" => Some(Self::Name),
            "data" => Some(Self::Data),
            "socket_id" => Some(Self::SocketId),
            "info" => Some(Self::Info),
            _ => None,
        }
    }

    /// Refuses the keys of batch event number `index` that name no member (`unknown`).
    pub fn refuse_unknown(index: usize, mut unknown: Vec<String>) -> Result<(), Error> {
        if unknown.is_empty() {
            return Ok(());
        }
        unknown.sort_unstable();
        Err(Error::InvalidInput(format!(
            "batch event #{index} has unknown key(s) {}",
            unknown.join(", ")
        )))
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Name => "name",
            Self::Data => "data",
            Self::SocketId => "socket_id",
            Self::Info => "info",
        }
    }
}

/// A bulk event, checked, its data final (encrypted where its channel asks for it): what the bulk
/// packer writes into `batch_events` bodies, one item per channel.
pub struct BulkEvent<'a> {
    pub channels: &'a [&'a Text],
    name: &'a Text,
    data: Payload<'a>,
    socket_id: Option<&'a Text>,
}

impl BulkEvent<'_> {
    /// Appends the item of this event on `channel` (one of its channels) as a `batch_events`
    /// body lists it: `{"channel": ..., "name": ..., "data": ...[, "socket_id": ...]}`.
    pub fn write_item(&self, channel: &Text, body: &mut TextBuf) {
        let mut object = ObjectWriter::open(body);
        object.string("channel", channel, Escape::Ascii);
        object.string("name", self.name, Escape::Ascii);
        self.data.write(&mut object, "data");
        if let Some(socket_id) = self.socket_id {
            object.string("socket_id", socket_id, Escape::Ascii);
        }
        object.close();
    }
}

/// A member's value in a batch event: text, or (for `data`) event data.
pub trait BatchValue {
    /// The value of a member other than `data`.
    fn text(&self) -> &Text;
    /// The value of `data`.
    fn data(&self) -> EventData<'_>;
}

impl BatchValue for TextBuf {
    fn text(&self) -> &Text {
        self
    }

    fn data(&self) -> EventData<'_> {
        EventData::Text(self)
    }
}

/// One batch event: its members in the caller's order (the body keeps that order, as the
/// official SDK does), `data` already serialized. Absent optional members are simply not listed.
pub type BatchEvent<V = TextBuf> = Vec<(BatchField, V)>;

impl AppCredentials {
    pub fn new(
        app_id: String,
        key: String,
        secret: &[u8],
        master_key: Option<Vec<u8>>,
        max_payload_bytes: usize,
    ) -> Self {
        let events_path = format!("/apps/{app_id}/events");
        let batch_events_path = format!("/apps/{app_id}/batch_events");
        Self {
            signer: PostSigner::new(&key, secret),
            app_id,
            key,
            master_key,
            max_payload_bytes,
            events_path,
            batch_events_path,
        }
    }

    /// A fresh HMAC-SHA256 keyed with the app secret.
    pub fn mac(&self) -> HmacSha256 {
        self.signer.mac()
    }

    /// The signed request of a `trigger`: one event on 1 to 100 channels.
    pub fn trigger(&self, event: &TriggerEvent<'_>, timestamp: i64) -> Result<SignedPost, Error> {
        let data = self.checked_payload(event)?;

        let data_len = match &data {
            Payload::Text(text) => text.len() * 2,
            Payload::Literal(literal) => literal.literal().len(),
        };
        let mut body =
            TextBuf::with_capacity(96 + event.name.len() + data_len + event.channels.len() * 24);
        let mut object = ObjectWriter::open(&mut body);
        object.string("name", event.name, Escape::Ascii);
        let channels = object.key(Text::new("channels"), Escape::Ascii);
        channels.push_ascii(b'[');
        for (index, channel) in event.channels.iter().enumerate() {
            if index > 0 {
                channels.push_str(", ");
            }
            push_string(channels, channel, Escape::Ascii);
        }
        channels.push_ascii(b']');
        data.write(&mut object, "data");
        if let Some(socket_id) = event.socket_id {
            object.string("socket_id", socket_id, Escape::Ascii);
        }
        if let Some(info) = event.info {
            object.string("info", Text::new(info), Escape::Ascii);
        }
        object.close();
        Ok(self.post(PostEndpoint::Events, body.into_bytes(), timestamp))
    }

    /// The signed request of a `trigger_batch`: 1 to 10 events, each on its own channel.
    ///
    /// Errors name the event: `batch event #3: Invalid Channel: ...`.
    pub fn batch<V: BatchValue>(
        &self,
        events: &[BatchEvent<V>],
        timestamp: i64,
    ) -> Result<SignedPost, Error> {
        validate::batch_size(events.len())?;
        let mut writer = self.batch_writer(events.len());
        for event in events {
            writer.push(event)?;
        }
        writer.finish(timestamp)
    }

    /// A `batch_events` body written one event at a time, for about `events` events.
    pub fn batch_writer(&self, events: usize) -> BatchWriter<'_> {
        let mut body = TextBuf::with_capacity(16 + events * 128);
        body.push_str("{\"batch\": [");
        BatchWriter {
            app: self,
            body,
            events: 0,
        }
    }

    fn push_batch_event<V: BatchValue>(
        &self,
        body: &mut TextBuf,
        event: &[(BatchField, V)],
    ) -> Result<(), Error> {
        let field = |wanted: BatchField| {
            event
                .iter()
                .find(|(field, _)| *field == wanted)
                .map(|(_, value)| value)
        };
        let missing =
            |wanted: BatchField| Error::InvalidInput(format!("has no '{}'", wanted.key()));
        let text = |wanted: BatchField| field(wanted).map(BatchValue::text);
        let channel = text(BatchField::Channel).ok_or_else(|| missing(BatchField::Channel))?;
        let name = text(BatchField::Name).ok_or_else(|| missing(BatchField::Name))?;
        let data = field(BatchField::Data).ok_or_else(|| missing(BatchField::Data))?;
        validate::channel(channel, true)?;
        validate::event_name(name)?;
        if let Some(socket_id) = text(BatchField::SocketId) {
            validate::socket_id(socket_id)?;
        }
        let data = self.payload(&[channel], data.data())?;

        let mut object = ObjectWriter::open(body);
        for (field, value) in event {
            if *field == BatchField::Data {
                data.write(&mut object, field.key());
            } else {
                object.string(field.key(), value.text(), Escape::Ascii);
            }
        }
        object.close();
        Ok(())
    }

    /// Checks a bulk event as a `trigger` of it would be checked; its data is shared by the
    /// items of all its channels (a multi-channel event cannot hold an encrypted channel).
    pub fn bulk_event<'a>(&self, event: &TriggerEvent<'a>) -> Result<BulkEvent<'a>, Error> {
        Ok(BulkEvent {
            channels: event.channels,
            name: event.name,
            data: self.checked_payload(event)?,
            socket_id: event.socket_id,
        })
    }

    /// The signed `batch_events` request of a complete body (the bulk packer's).
    pub fn batch_events_post(&self, body: Vec<u8>, timestamp: i64) -> SignedPost {
        self.post(PostEndpoint::BatchEvents, body, timestamp)
    }

    /// Checks an event's channels, name and socket id, and returns its data as sent.
    fn checked_payload<'d>(&self, event: &TriggerEvent<'d>) -> Result<Payload<'d>, Error> {
        validate::channel_count(event.channels.len())?;
        for channel in event.channels {
            validate::channel(channel, true)?;
        }
        validate::event_name(event.name)?;
        if let Some(socket_id) = event.socket_id {
            validate::socket_id(socket_id)?;
        }
        self.payload(event.channels, event.data)
    }

    /// Event data as sent: encrypted for an encrypted channel, then size-checked. The channels are
    /// valid names (ASCII) by now.
    fn payload<'d>(&self, channels: &[&Text], data: EventData<'d>) -> Result<Payload<'d>, Error> {
        let data = match channels
            .iter()
            .find(|name| validate::is_encrypted_channel(name))
        {
            None => match data {
                EventData::Text(text) => Payload::Text(Cow::Borrowed(text)),
                EventData::Literal(literal) => Payload::Literal(literal),
            },
            Some(_) if channels.len() > 1 => {
                return Err(Error::InvalidInput(
                    "You cannot trigger to multiple channels when using encrypted channels"
                        .to_owned(),
                ));
            }
            Some(channel) => {
                let master_key = self.master_key.as_deref().ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "Cannot trigger on encrypted channel {channel}: no encryption master key \
                         was configured (pass encryption_master_key_base64)"
                    ))
                })?;
                let EventData::Text(data) = data else {
                    return Err(Error::InvalidInput(format!(
                        "The data for {channel} must be given as text to be encrypted"
                    )));
                };
                let plaintext = data.to_str().ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "Cannot encrypt the data for {channel}: it holds a lone surrogate, which \
                         is not valid Unicode and has no UTF-8 form"
                    ))
                })?;
                let channel = channel.to_str().unwrap_or_default();
                let sealed = crypto::encrypt(channel, master_key, plaintext.as_bytes());
                Payload::Text(Cow::Owned(TextBuf::from(sealed)))
            }
        };
        let size = match &data {
            Payload::Text(text) => text.len(),
            Payload::Literal(literal) => literal.len(),
        };
        validate::payload_size(size, self.max_payload_bytes)?;
        Ok(data)
    }

    fn post(&self, endpoint: PostEndpoint, body: Vec<u8>, timestamp: i64) -> SignedPost {
        let query = self.sign_post(endpoint, &body, timestamp);
        SignedPost {
            endpoint,
            query,
            body,
        }
    }

    /// `/apps/{app_id}/{endpoint}`.
    pub fn path(&self, endpoint: PostEndpoint) -> &str {
        match endpoint {
            PostEndpoint::Events => &self.events_path,
            PostEndpoint::BatchEvents => &self.batch_events_path,
        }
    }

    /// The signed query string of a POST to `endpoint` with `body`, which is signed as it is.
    pub fn sign_post(&self, endpoint: PostEndpoint, body: &[u8], timestamp: i64) -> String {
        self.signer.sign(self.path(endpoint), body, timestamp)
    }
}

/// The body of a `trigger_batch`, written event by event ([`AppCredentials::batch_writer`]):
/// each event is checked and written as it comes, so nothing of it is kept.
pub struct BatchWriter<'a> {
    app: &'a AppCredentials,
    body: TextBuf,
    events: usize,
}

impl BatchWriter<'_> {
    /// Checks and writes the next event (members in the caller's order). Errors name the event:
    /// `batch event #3: Invalid Channel: ...`.
    pub fn push<V: BatchValue>(&mut self, event: &[(BatchField, V)]) -> Result<(), Error> {
        let index = self.events;
        if index == MAX_BATCH_SIZE {
            return Err(validate::too_many_batch_events());
        }
        if index > 0 {
            self.body.push_str(", ");
        }
        self.app
            .push_batch_event(&mut self.body, event)
            .map_err(|error| Error::InvalidInput(format!("batch event #{index}: {error}")))?;
        self.events += 1;
        Ok(())
    }

    /// The signed request of the events written: 1 to 10 of them.
    pub fn finish(mut self, timestamp: i64) -> Result<SignedPost, Error> {
        validate::batch_size(self.events)?;
        self.body.push_str("]}");
        Ok(self
            .app
            .post(PostEndpoint::BatchEvents, self.body.into_bytes(), timestamp))
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
