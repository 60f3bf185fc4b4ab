//! The `events` and `batch_events` requests built from any input: never panics; refused exactly
//! when a documented rule is broken (1 to 100 channels, channel names, event name, socket id, one
//! channel when encrypted, a master key for encrypted channels, data with no lone surrogate when
//! encrypted, 10 KiB of data as sent, 1 to 10 events per batch); otherwise the body is byte for
//! byte what Python's `json.dumps` writes for the same members (encrypted data opened with
//! `crypto_secretbox` directly instead), and the query's signature and `body_md5` recompute.
//!
//! Names and data are Python text: a field that is generalized UTF-8 keeps its lone surrogates
//! (`\xed\xa0\x80` is U+D800), which the body escapes as `json.dumps` does (`\ud800`) and the size
//! check counts as three bytes.
//!
//! Fields: app id, key, secret (bytes), master key (absent when `\xfe`), event name, data, socket
//! id and info (absent when `\xfe`), timestamp, flags, then channel names.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Nonce, XSalsa20Poly1305};
use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};
use pusher_fast_core::bulk::Packer;
use pusher_fast_core::request::{
    AppCredentials, BatchField, EventData, PostEndpoint, SignedPost, TriggerEvent,
};
use pusher_fast_core::text::{Text, TextBuf};
use pusher_fast_fuzz::{
    check_signed_query, is_channel_name, is_socket_id, python_json, python_json_string, Fields,
    PyText,
};
use serde_json::Value;
use sha2::Sha256;

const LIMIT: usize = 10_240;

fn encrypted(name: &PyText) -> bool {
    name.starts_with("private-encrypted-")
}

/// The size of `{"nonce": "<24 bytes>", "ciphertext": "<plaintext + 16 bytes>"}`.
fn envelope_len(plaintext: usize) -> usize {
    63 + (plaintext + 16).div_ceil(3) * 4
}

/// A name of the channel alphabet: a lone surrogate is never one of its characters.
fn is_channel(name: &PyText) -> bool {
    name.as_str()
        .is_some_and(|name| is_channel_name(name, true))
}

/// Whether one event on `channels` may be sent: every rule but the channel count.
fn event_ok(
    channels: &[&PyText],
    name: &PyText,
    data: &PyText,
    socket_id: Option<&PyText>,
    key: bool,
) -> bool {
    let sent = match channels.iter().any(|channel| encrypted(channel)) {
        false => data.utf8_size(),
        // Encrypted data is UTF-8, which a lone surrogate has no form in.
        true if channels.len() > 1 || !key || data.has_surrogate() => return false,
        true => envelope_len(data.utf8_size()),
    };
    channels.iter().all(|channel| is_channel(channel))
        && (1..=200).contains(&name.char_count())
        && socket_id.is_none_or(|socket_id| socket_id.as_str().is_some_and(is_socket_id))
        && sent <= LIMIT
}

/// What a body is expected to be: bytes, with holes where encrypted data goes (the envelope's
/// nonce is random, so it is read back and opened rather than compared).
#[derive(Default)]
struct Template(Vec<Piece>);

enum Piece {
    Bytes(Vec<u8>),
    /// A JSON string holding an envelope sealed for this channel.
    Sealed(String),
}

/// A member's value: JSON text, or the envelope of the data on an encrypted channel.
enum Member {
    Json(Vec<u8>),
    Sealed(String),
}

impl Template {
    fn bytes(&mut self, bytes: &[u8]) {
        match self.0.last_mut() {
            Some(Piece::Bytes(last)) => last.extend_from_slice(bytes),
            _ => self.0.push(Piece::Bytes(bytes.to_vec())),
        }
    }

    /// An object with Python's separators, members in order.
    fn object(&mut self, members: Vec<(&str, Member)>) {
        self.bytes(b"{");
        for (index, (key, value)) in members.into_iter().enumerate() {
            if index > 0 {
                self.bytes(b", ");
            }
            self.bytes(python_json_string(key, true).as_bytes());
            self.bytes(b": ");
            match value {
                Member::Json(json) => self.bytes(&json),
                Member::Sealed(channel) => self.0.push(Piece::Sealed(channel)),
            }
        }
        self.bytes(b"}");
    }

    /// Checks `body` against the template: equal bytes, and each envelope opens to `data`.
    fn check(&self, body: &[u8], master_key: &[u8], data: &PyText) {
        let lossy = String::from_utf8_lossy;
        let mut at = 0;
        for piece in &self.0 {
            match piece {
                Piece::Bytes(expected) => {
                    assert!(
                        body[at..].starts_with(expected),
                        "body {:?} is not {:?} at byte {at}",
                        lossy(body),
                        lossy(expected)
                    );
                    at += expected.len();
                }
                Piece::Sealed(channel) => {
                    let mut strings =
                        serde_json::Deserializer::from_slice(&body[at..]).into_iter::<String>();
                    let envelope = strings
                        .next()
                        .and_then(Result::ok)
                        .unwrap_or_else(|| panic!("no envelope at byte {at} of {:?}", lossy(body)));
                    at += strings.byte_offset();
                    assert_eq!(open(channel, master_key, &envelope), data.bytes());
                }
            }
        }
        assert_eq!(at, body.len(), "body {:?} is longer", lossy(body));
    }
}

/// The `data` member: `json.dumps` of the text, or an envelope on an encrypted channel.
fn data_member(data: &PyText, channel: &PyText) -> Member {
    if encrypted(channel) {
        Member::Sealed(channel.as_str().expect("a valid name").to_owned())
    } else {
        Member::Json(python_json(data, true))
    }
}

/// Opens an envelope with the channel's key derived and used here directly.
fn open(channel: &str, master_key: &[u8], envelope: &str) -> Vec<u8> {
    let Value::Object(members) = serde_json::from_str(envelope).expect("envelope is JSON") else {
        panic!("envelope {envelope:?} is not an object");
    };
    let keys: Vec<&str> = members.keys().map(String::as_str).collect();
    assert_eq!(keys, ["nonce", "ciphertext"]);
    let field = |name: &str| STANDARD.decode(members[name].as_str().unwrap()).unwrap();
    let key: [u8; 32] = Sha256::new()
        .chain_update(channel.as_bytes())
        .chain_update(master_key)
        .finalize()
        .into();
    let nonce: [u8; 24] = field("nonce").try_into().expect("24-byte nonce");
    XSalsa20Poly1305::new(&key.into())
        .decrypt(&Nonce::from(nonce), field("ciphertext").as_slice())
        .expect("the envelope opens")
}

fn check_post(
    post: &SignedPost,
    app: &AppCredentials,
    app_id: &str,
    endpoint: PostEndpoint,
    secret: &[u8],
) {
    assert_eq!(post.endpoint, endpoint);
    let path = app.path(post.endpoint);
    assert_eq!(path, format!("/apps/{app_id}/{}", endpoint.name()));
    let pairs = check_signed_query(&post.query, secret, "POST", path);
    let md5 = hex::encode(Md5::digest(&post.body));
    assert!(pairs.contains(&("body_md5".to_owned(), md5)));
}

fuzz_target!(|input: &[u8]| {
    let mut fields = Fields::new(input);
    let app_id = fields.text();
    let key = fields.text();
    let secret = fields.bytes();
    let master_key = fields.optional_bytes().map(<[u8]>::to_vec);
    let name = fields.py_text();
    let data = fields.py_text();
    let socket_id = fields.optional_py_text();
    let info = fields.optional_text();
    let timestamp = fields.i64();
    let flags = fields.byte();
    let mut channels = fields.rest_py_text();
    channels.truncate(110);
    let channels: Vec<&PyText> = channels.iter().collect();
    let channel_texts: Vec<&Text> = channels.iter().map(|channel| channel.text()).collect();
    let socket_id = socket_id.as_ref();
    let info = info.as_deref();
    let has_key = master_key.is_some();
    let key_bytes = master_key.clone().unwrap_or_default();

    let app = AppCredentials::new(
        app_id.to_string(),
        key.to_string(),
        secret,
        master_key,
        LIMIT,
    );
    let event = TriggerEvent {
        channels: &channel_texts,
        name: name.text(),
        data: EventData::Text(data.text()),
        socket_id: socket_id.map(PyText::text),
        info,
    };

    // trigger: one event on every channel.
    let expected_ok = (1..=100).contains(&channels.len())
        && event_ok(&channels, &name, &data, socket_id, has_key);
    match app.trigger(&event, timestamp) {
        Err(error) => {
            assert!(!expected_ok, "refused: {error}");
            assert!(!error.to_string().is_empty());
        }
        Ok(post) => {
            assert!(expected_ok, "accepted");
            check_post(&post, &app, &app_id, PostEndpoint::Events, secret);
            let list: Vec<Vec<u8>> = channels
                .iter()
                .map(|channel| python_json(channel, true))
                .collect();
            let mut members = vec![
                ("name", Member::Json(python_json(&name, true))),
                (
                    "channels",
                    Member::Json([&b"["[..], &list.join(&b", "[..]), b"]"].concat()),
                ),
                ("data", data_member(&data, channels[0])),
            ];
            if let Some(socket_id) = socket_id {
                members.push(("socket_id", Member::Json(python_json(socket_id, true))));
            }
            if let Some(info) = info {
                let info = python_json_string(info, true).into_bytes();
                members.push(("info", Member::Json(info)));
            }
            let mut expected = Template::default();
            expected.object(members);
            expected.check(&post.body, &key_bytes, &data);
        }
    }

    // batch: one event per channel, members in the caller's order.
    let info = info.map(PyText::from);
    let batch: Vec<Vec<(BatchField, &PyText)>> = channels
        .iter()
        .take(12)
        .map(|channel| {
            let mut members = vec![
                (BatchField::Channel, *channel),
                (BatchField::Name, &name),
                (BatchField::Data, &data),
            ];
            members.extend(socket_id.map(|socket_id| (BatchField::SocketId, socket_id)));
            members.extend(info.as_ref().map(|info| (BatchField::Info, info)));
            if flags & 1 == 1 {
                members.reverse();
            }
            members
        })
        .collect();
    let batch_texts: Vec<Vec<(BatchField, TextBuf)>> = batch
        .iter()
        .map(|members| {
            members
                .iter()
                .map(|(field, value)| (*field, value.text().to_text_buf()))
                .collect()
        })
        .collect();
    let batch_ok = (1..=10).contains(&batch.len())
        && channels
            .iter()
            .take(batch.len())
            .all(|channel| event_ok(&[channel], &name, &data, socket_id, has_key));
    match app.batch(&batch_texts, timestamp) {
        Err(error) => {
            assert!(!batch_ok, "batch refused: {error}");
            assert!(!error.to_string().is_empty());
        }
        Ok(post) => {
            assert!(batch_ok, "batch accepted");
            check_post(&post, &app, &app_id, PostEndpoint::BatchEvents, secret);
            let mut expected = Template::default();
            expected.bytes(b"{\"batch\": [");
            for (index, (members, channel)) in batch.iter().zip(&channels).enumerate() {
                if index > 0 {
                    expected.bytes(b", ");
                }
                expected.object(
                    members
                        .iter()
                        .map(|(field, value)| {
                            let value = match field {
                                BatchField::Data => data_member(value, channel),
                                _ => Member::Json(python_json(value, true)),
                            };
                            (batch_key(*field), value)
                        })
                        .collect(),
                );
            }
            expected.bytes(b"]}");
            expected.check(&post.body, &key_bytes, &data);
        }
    }

    // bulk: the items of one event packed on one lane, then its first batch of up to ten.
    match app.bulk_event(&event) {
        Err(error) => assert!(!expected_ok, "bulk refused: {error}"),
        Ok(bulk) => {
            assert!(expected_ok, "bulk accepted");
            let mut packer = Packer::new(1);
            let mut batches = Vec::new();
            let mut next = 0usize;
            let tag = || {
                next += 1;
                next - 1
            };
            packer.push(&bulk, tag, &mut batches);
            batches.extend(packer.flush());
            let items: usize = batches.iter().map(|batch| batch.tags.len()).sum();
            assert_eq!(items, channels.len());
            let first = &batches[0];
            let count = channels.len().min(10);
            assert_eq!(first.tags, (0..count).collect::<Vec<_>>());
            let post = app.batch_events_post(first.body.clone(), timestamp);
            check_post(&post, &app, &app_id, PostEndpoint::BatchEvents, secret);
            let mut expected = Template::default();
            expected.bytes(b"{\"batch\": [");
            for (index, channel) in channels[..count].iter().enumerate() {
                if index > 0 {
                    expected.bytes(b", ");
                }
                // A bulk event has no `info`.
                let mut members = vec![
                    ("channel", Member::Json(python_json(channel, true))),
                    ("name", Member::Json(python_json(&name, true))),
                    ("data", data_member(&data, channel)),
                ];
                if let Some(socket_id) = socket_id {
                    members.push(("socket_id", Member::Json(python_json(socket_id, true))));
                }
                expected.object(members);
            }
            expected.bytes(b"]}");
            expected.check(&post.body, &key_bytes, &data);
        }
    }
});

fn batch_key(field: BatchField) -> &'static str {
    match field {
        BatchField::Channel => "channel",
        BatchField::Name => "name",
        BatchField::Data => "data",
        BatchField::SocketId => "socket_id",
        BatchField::Info => "info",
    }
}
