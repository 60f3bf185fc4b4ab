//! Building the signed `events` and `batch_events` requests: validation, end-to-end encryption,
//! the size check, the JSON body (byte-identical to the official Python SDK's) and the signature.

use std::borrow::Cow;

use crate::crypto;
use crate::error::Error;
use crate::json_text::{push_string, Escape, ObjectWriter};
use crate::signing::{keyed_hmac, sign_request_keyed, HmacSha256};
use crate::validate;

/// What every request of one app is signed with, plus the limits that apply to its events.
pub struct AppCredentials {
    pub app_id: String,
    pub key: String,
    pub master_key: Option<Vec<u8>>,
    pub max_payload_bytes: usize,
    /// HMAC-SHA256 keyed with the secret once; every signature starts from a clone of it.
    mac: HmacSha256,
}

/// A signed POST, ready to send: `POST {path}?{query}` with `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPost {
    pub path: String,
    pub query: String,
    pub body: String,
}

/// One event of a single `trigger`, data already serialized to its string form.
pub struct TriggerEvent<'a> {
    pub channels: &'a [&'a str],
    pub name: &'a str,
    pub data: &'a str,
    pub socket_id: Option<&'a str>,
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

    fn key(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Name => "name",
            Self::Data => "data",
            Self::SocketId => "socket_id",
            Self::Info => "info",
        }
    }
}

/// One event on one channel, validated, data final (encrypted where the channel asks for it):
/// what the bulk publisher packs into `batch_events` requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItem {
    /// Position of the event in the caller's stream; a multi-channel event gives one item per
    /// channel, all with the same index.
    pub event_index: u64,
    pub channel: String,
    pub name: String,
    pub data: String,
    pub socket_id: Option<String>,
}

/// One batch event: its members in the caller's order (the body keeps that order, as the
/// official SDK does), `data` already serialized. Absent optional members are simply not listed.
pub type BatchEvent<S = String> = Vec<(BatchField, S)>;

impl AppCredentials {
    pub fn new(
        app_id: String,
        key: String,
        secret: &str,
        master_key: Option<Vec<u8>>,
        max_payload_bytes: usize,
    ) -> Self {
        Self {
            app_id,
            key,
            master_key,
            max_payload_bytes,
            mac: keyed_hmac(secret.as_bytes()),
        }
    }

    /// A fresh HMAC-SHA256 keyed with the app secret.
    pub fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    /// The signed request of a `trigger`: one event on 1 to 100 channels.
    pub fn trigger(&self, event: &TriggerEvent<'_>, timestamp: i64) -> Result<SignedPost, Error> {
        let data = self.checked_payload(event)?;

        let mut body = String::with_capacity(64 + event.name.len() + data.len() * 2);
        let mut object = ObjectWriter::open(&mut body);
        object.string("name", event.name, Escape::Ascii);
        let channels = object.key("channels", Escape::Ascii);
        channels.push('[');
        for (index, channel) in event.channels.iter().enumerate() {
            if index > 0 {
                channels.push_str(", ");
            }
            push_string(channels, channel, Escape::Ascii);
        }
        channels.push(']');
        object.string("data", &data, Escape::Ascii);
        if let Some(socket_id) = event.socket_id {
            object.string("socket_id", socket_id, Escape::Ascii);
        }
        if let Some(info) = event.info {
            object.string("info", info, Escape::Ascii);
        }
        object.close();
        self.post("events", body, timestamp)
    }

    /// The signed request of a `trigger_batch`: 1 to 10 events, each on its own channel.
    ///
    /// Errors name the event: `batch event #3: Invalid Channel: ...`.
    pub fn batch<S: AsRef<str>>(
        &self,
        events: &[BatchEvent<S>],
        timestamp: i64,
    ) -> Result<SignedPost, Error> {
        validate::batch_size(events.len())?;
        let mut body = String::with_capacity(16 + events.len() * 128);
        body.push_str("{\"batch\": [");
        for (index, event) in events.iter().enumerate() {
            if index > 0 {
                body.push_str(", ");
            }
            self.push_batch_event(&mut body, event)
                .map_err(|error| Error::InvalidInput(format!("batch event #{index}: {error}")))?;
        }
        body.push_str("]}");
        self.post("batch_events", body, timestamp)
    }

    fn push_batch_event<S: AsRef<str>>(
        &self,
        body: &mut String,
        event: &BatchEvent<S>,
    ) -> Result<(), Error> {
        let field = |wanted: BatchField| {
            event
                .iter()
                .find(|(field, _)| *field == wanted)
                .map(|(_, value)| value.as_ref())
        };
        let missing =
            |wanted: BatchField| Error::InvalidInput(format!("has no '{}'", wanted.key()));
        let channel = field(BatchField::Channel).ok_or_else(|| missing(BatchField::Channel))?;
        let name = field(BatchField::Name).ok_or_else(|| missing(BatchField::Name))?;
        let data = field(BatchField::Data).ok_or_else(|| missing(BatchField::Data))?;
        validate::channel(channel, true)?;
        validate::event_name(name)?;
        if let Some(socket_id) = field(BatchField::SocketId) {
            validate::socket_id(socket_id)?;
        }
        let data = self.payload(&[channel], data)?;

        let mut object = ObjectWriter::open(body);
        for (field, value) in event {
            let value = if *field == BatchField::Data {
                &data
            } else {
                value.as_ref()
            };
            object.string(field.key(), value, Escape::Ascii);
        }
        object.close();
        Ok(())
    }

    /// The items of one bulk event: one per channel, each validated and with its final data.
    pub fn bulk_items(
        &self,
        event_index: u64,
        event: &TriggerEvent<'_>,
    ) -> Result<Vec<BulkItem>, Error> {
        // A multi-channel event cannot hold an encrypted channel, so the data is shared.
        let data = self.checked_payload(event)?;
        Ok(event
            .channels
            .iter()
            .map(|channel| BulkItem {
                event_index,
                channel: (*channel).to_owned(),
                name: event.name.to_owned(),
                data: data.clone().into_owned(),
                socket_id: event.socket_id.map(str::to_owned),
            })
            .collect())
    }

    /// The signed `batch_events` request of up to 10 already validated items.
    pub fn batch_of_items(&self, items: &[BulkItem], timestamp: i64) -> Result<SignedPost, Error> {
        validate::batch_size(items.len())?;
        let capacity: usize = items.iter().map(|item| 64 + item.data.len() * 2).sum();
        let mut body = String::with_capacity(16 + capacity);
        body.push_str("{\"batch\": [");
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                body.push_str(", ");
            }
            let mut object = ObjectWriter::open(&mut body);
            object.string("channel", &item.channel, Escape::Ascii);
            object.string("name", &item.name, Escape::Ascii);
            object.string("data", &item.data, Escape::Ascii);
            if let Some(socket_id) = &item.socket_id {
                object.string("socket_id", socket_id, Escape::Ascii);
            }
            object.close();
        }
        body.push_str("]}");
        self.post("batch_events", body, timestamp)
    }

    /// Checks an event's channels, name and socket id, and returns its data as sent.
    fn checked_payload<'d>(&self, event: &TriggerEvent<'d>) -> Result<Cow<'d, str>, Error> {
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

    /// Event data as sent: encrypted for an encrypted channel, then size-checked.
    fn payload<'d>(&self, channels: &[&str], data: &'d str) -> Result<Cow<'d, str>, Error> {
        let data = match channels
            .iter()
            .find(|name| validate::is_encrypted_channel(name))
        {
            None => Cow::Borrowed(data),
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
                Cow::Owned(crypto::encrypt(channel, master_key, data.as_bytes()))
            }
        };
        validate::payload_size(&data, self.max_payload_bytes)?;
        Ok(data)
    }

    fn post(&self, endpoint: &str, body: String, timestamp: i64) -> Result<SignedPost, Error> {
        let path = self.path(endpoint);
        let query = self.sign_post(&path, body.as_bytes(), timestamp)?;
        Ok(SignedPost { path, query, body })
    }

    /// `/apps/{app_id}/{endpoint}`.
    pub fn path(&self, endpoint: &str) -> String {
        format!("/apps/{}/{endpoint}", self.app_id)
    }

    /// The signed query string of `POST {path}` with `body`, which is signed as it is.
    pub fn sign_post(&self, path: &str, body: &[u8], timestamp: i64) -> Result<String, Error> {
        let no_params: [(&str, &str); 0] = [];
        sign_request_keyed(
            &self.key,
            self.mac(),
            "POST",
            path,
            &no_params,
            Some(body),
            timestamp,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::md5_hex;

    fn credentials(master_key: Option<Vec<u8>>) -> AppCredentials {
        AppCredentials::new(
            "4".to_owned(),
            "key".to_owned(),
            "secret",
            master_key,
            crate::limits::DEFAULT_MAX_PAYLOAD_BYTES,
        )
    }

    fn event<'a>(channels: &'a [&'a str], data: &'a str) -> TriggerEvent<'a> {
        TriggerEvent {
            channels,
            name: "my-event",
            data,
            socket_id: None,
            info: None,
        }
    }

    fn message(result: Result<SignedPost, Error>) -> String {
        result.unwrap_err().to_string()
    }

    // The bodies below are what pusher 3.3.4 sends for the same call (json.dumps of the params).
    #[test]
    fn trigger_body_matches_the_official_sdk() {
        let post = credentials(None)
            .trigger(&event(&["a", "b"], "{\"x\": \"é\"}"), 1000)
            .unwrap();
        assert_eq!(post.path, "/apps/4/events");
        assert_eq!(
            post.body,
            r#"{"name": "my-event", "channels": ["a", "b"], "data": "{\"x\": \"\u00e9\"}"}"#
        );
        assert!(post
            .query
            .contains(&format!("body_md5={}", md5_hex(post.body.as_bytes()))));
        assert!(post.query.starts_with("auth_key=key&auth_signature="));
    }

    #[test]
    fn trigger_optional_members() {
        let mut with_options = event(&["a"], "d");
        with_options.socket_id = Some("1.2");
        with_options.info = Some("user_count");
        let post = credentials(None).trigger(&with_options, 1000).unwrap();
        assert_eq!(
            post.body,
            r#"{"name": "my-event", "channels": ["a"], "data": "d", "socket_id": "1.2", "info": "user_count"}"#
        );
    }

    #[test]
    fn trigger_validation() {
        let creds = credentials(None);
        assert_eq!(
            message(creds.trigger(&event(&[], "d"), 1)),
            "Expected at least one channel, got an empty list"
        );
        assert_eq!(
            message(creds.trigger(&event(&["a b"], "d"), 1)),
            "Invalid Channel: a b"
        );
        let mut bad_socket = event(&["a"], "d");
        bad_socket.socket_id = Some("x");
        assert_eq!(
            message(creds.trigger(&bad_socket, 1)),
            "Invalid socket ID: x"
        );
        let big = "x".repeat(10241);
        assert_eq!(
            message(creds.trigger(&event(&["a"], &big), 1)),
            "Too much data: Event data is 10241 bytes, the limit is 10240"
        );
    }

    #[test]
    fn encrypted_trigger() {
        let key = vec![7u8; 32];
        let creds = credentials(Some(key.clone()));
        let post = creds
            .trigger(&event(&["private-encrypted-x"], "secret"), 1)
            .unwrap();
        assert!(post.body.contains(r#"\"ciphertext\": \""#));
        assert!(!post.body.contains("secret\""));
        assert_eq!(
            message(creds.trigger(&event(&["private-encrypted-x", "b"], "d"), 1)),
            "You cannot trigger to multiple channels when using encrypted channels"
        );
        assert!(
            message(credentials(None).trigger(&event(&["private-encrypted-x"], "d"), 1))
                .starts_with(
                    "Cannot trigger on encrypted channel private-encrypted-x: no encryption"
                )
        );
        // 7600 bytes of plaintext fit; the envelope of 7700 is over 10240 bytes.
        assert!(creds
            .trigger(&event(&["private-encrypted-x"], &"x".repeat(7600)), 1)
            .is_ok());
        assert!(
            message(creds.trigger(&event(&["private-encrypted-x"], &"x".repeat(7700)), 1))
                .starts_with("Too much data: Event data is 10351 bytes")
        );
    }

    #[test]
    fn batch_keeps_caller_key_order() {
        let events = vec![
            vec![
                (BatchField::Name, "e".to_owned()),
                (BatchField::Channel, "c".to_owned()),
                (BatchField::Data, "1".to_owned()),
            ],
            vec![
                (BatchField::Channel, "d".to_owned()),
                (BatchField::Name, "é".to_owned()),
                (BatchField::Data, "2".to_owned()),
                (BatchField::SocketId, "1.1".to_owned()),
            ],
        ];
        let post = credentials(None).batch(&events, 1).unwrap();
        assert_eq!(post.path, "/apps/4/batch_events");
        assert_eq!(
            post.body,
            r#"{"batch": [{"name": "e", "channel": "c", "data": "1"}, {"channel": "d", "name": "\u00e9", "data": "2", "socket_id": "1.1"}]}"#
        );
    }

    #[test]
    fn batch_events_refuse_unknown_keys() {
        assert_eq!(BatchField::refuse_unknown(0, Vec::new()), Ok(()));
        assert_eq!(
            BatchField::refuse_unknown(3, vec!["zeta".to_owned(), "extra".to_owned()])
                .unwrap_err()
                .to_string(),
            "batch event #3 has unknown key(s) extra, zeta"
        );
        assert_eq!(BatchField::from_key("info"), Some(BatchField::Info));
        assert_eq!(BatchField::from_key("channels"), None);
    }

    #[test]
    fn batch_errors_name_the_event() {
        let creds = credentials(None);
        let good = vec![
            (BatchField::Channel, "c".to_owned()),
            (BatchField::Name, "e".to_owned()),
            (BatchField::Data, "1".to_owned()),
        ];
        let no_name = vec![
            (BatchField::Channel, "c".to_owned()),
            (BatchField::Data, "1".to_owned()),
        ];
        assert_eq!(
            message(creds.batch(&[good.clone(), no_name], 1)),
            "batch event #1: has no 'name'"
        );
        assert_eq!(
            message(creds.batch(&vec![good; 11], 1)),
            "Too many events in batch: 11, at most 10 per request"
        );
        assert_eq!(
            message(creds.batch::<String>(&[], 1)),
            "batch must hold at least one event"
        );
    }
}
