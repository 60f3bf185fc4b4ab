//! The `events` and `batch_events` requests built from any input: never panics; refused exactly
//! when a documented rule is broken (1 to 100 channels, channel names, event name, socket id, one
//! channel when encrypted, a master key for encrypted channels, 10 KiB of data as sent, 1 to 10
//! events per batch); otherwise the body is byte for byte what Python's `json.dumps` writes for
//! the same members (encrypted data opened with `crypto_secretbox` directly instead), and the
//! query's signature and `body_md5` recompute.
//!
//! Fields: app id, key, secret, master key (absent when `\xfe`), event name, data, socket id and
//! info (absent when `\xfe`), timestamp, flags, then channel names.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Nonce, XSalsa20Poly1305};
use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};
use pusher_fast_core::request::{AppCredentials, BatchField, SignedPost, TriggerEvent};
use pusher_fast_fuzz::{
    check_signed_query, is_channel_name, is_socket_id, python_json_string, Fields,
};
use serde_json::Value;
use sha2::Sha256;

const LIMIT: usize = 10_240;

fn encrypted(name: &str) -> bool {
    name.starts_with("private-encrypted-")
}

/// The size of `{"nonce": "<24 bytes>", "ciphertext": "<plaintext + 16 bytes>"}`.
fn envelope_len(plaintext: usize) -> usize {
    63 + (plaintext + 16).div_ceil(3) * 4
}

/// Whether one event on `channels` may be sent: every rule but the channel count.
fn event_ok(channels: &[&str], name: &str, data: &str, socket_id: Option<&str>, key: bool) -> bool {
    let name_chars = name.chars().count();
    let sent = match channels.iter().any(|channel| encrypted(channel)) {
        false => data.len(),
        true if channels.len() > 1 || !key => return false,
        true => envelope_len(data.len()),
    };
    channels
        .iter()
        .all(|channel| is_channel_name(channel, true))
        && (1..=200).contains(&name_chars)
        && socket_id.is_none_or(is_socket_id)
        && sent <= LIMIT
}

fn object(members: &[(&str, String)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(key, value)| format!("{}: {value}", python_json_string(key, true)))
        .collect();
    format!("{{{}}}", members.join(", "))
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

fn check_post(post: &SignedPost, app: &str, endpoint: &str, secret: &str) {
    assert_eq!(post.path, format!("/apps/{app}/{endpoint}"));
    let pairs = check_signed_query(&post.query, secret, "POST", &post.path);
    let md5 = hex::encode(Md5::digest(post.body.as_bytes()));
    assert!(pairs.contains(&("body_md5".to_owned(), md5)));
}

/// A JSON string of the body that may hold an envelope: the same as `expected`, or (encrypted)
/// an envelope that opens to `expected`'s text.
fn check_data(sent: &Value, data: &str, channel: Option<&str>, master_key: &[u8]) {
    let sent = sent.as_str().expect("data is a string");
    match channel.filter(|channel| encrypted(channel)) {
        None => assert_eq!(sent, data),
        Some(channel) => assert_eq!(open(channel, master_key, sent), data.as_bytes()),
    }
}

fuzz_target!(|input: &[u8]| {
    let mut fields = Fields::new(input);
    let app_id = fields.text();
    let key = fields.text();
    let secret = fields.text();
    let master_key = fields.optional_bytes().map(<[u8]>::to_vec);
    let name = fields.text();
    let data = fields.text();
    let socket_id = fields.optional_text();
    let info = fields.optional_text();
    let timestamp = fields.i64();
    let flags = fields.byte();
    let channels = fields.rest_text();
    let channels: Vec<&str> = channels
        .iter()
        .take(110)
        .map(|name| name.as_ref())
        .collect();
    let socket_id = socket_id.as_deref();
    let info = info.as_deref();
    let has_key = master_key.is_some();
    let key_bytes = master_key.clone().unwrap_or_default();

    let app = AppCredentials::new(
        app_id.to_string(),
        key.to_string(),
        &secret,
        master_key,
        LIMIT,
    );
    let event = TriggerEvent {
        channels: &channels,
        name: &name,
        data: &data,
        socket_id,
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
            check_post(&post, &app_id, "events", &secret);
            let parsed: Value = serde_json::from_str(&post.body).expect("body is JSON");
            check_data(&parsed["data"], &data, Some(channels[0]), &key_bytes);
            if !encrypted(channels[0]) {
                let list: Vec<String> = channels
                    .iter()
                    .map(|channel| python_json_string(channel, true))
                    .collect();
                let mut members = vec![
                    ("name", python_json_string(&name, true)),
                    ("channels", format!("[{}]", list.join(", "))),
                    ("data", python_json_string(&data, true)),
                ];
                if let Some(socket_id) = socket_id {
                    members.push(("socket_id", python_json_string(socket_id, true)));
                }
                if let Some(info) = info {
                    members.push(("info", python_json_string(info, true)));
                }
                assert_eq!(post.body, object(&members));
            }
        }
    }

    // batch: one event per channel, members in the caller's order.
    let batch: Vec<Vec<(BatchField, &str)>> = channels
        .iter()
        .take(12)
        .map(|channel| {
            let mut members = vec![
                (BatchField::Channel, *channel),
                (BatchField::Name, name.as_ref()),
                (BatchField::Data, data.as_ref()),
            ];
            members.extend(socket_id.map(|socket_id| (BatchField::SocketId, socket_id)));
            members.extend(info.map(|info| (BatchField::Info, info)));
            if flags & 1 == 1 {
                members.reverse();
            }
            members
        })
        .collect();
    let batch_ok = (1..=10).contains(&batch.len())
        && channels
            .iter()
            .take(batch.len())
            .all(|channel| event_ok(&[channel], &name, &data, socket_id, has_key));
    match app.batch(&batch, timestamp) {
        Err(error) => {
            assert!(!batch_ok, "batch refused: {error}");
            assert!(!error.to_string().is_empty());
        }
        Ok(post) => {
            assert!(batch_ok, "batch accepted");
            check_post(&post, &app_id, "batch_events", &secret);
            let parsed: Value = serde_json::from_str(&post.body).expect("body is JSON");
            let sent = parsed["batch"].as_array().expect("a batch list");
            assert_eq!(sent.len(), batch.len());
            for (event, channel) in sent.iter().zip(&channels) {
                check_data(&event["data"], &data, Some(channel), &key_bytes);
            }
            if !channels
                .iter()
                .take(batch.len())
                .any(|channel| encrypted(channel))
            {
                let events: Vec<String> = batch
                    .iter()
                    .map(|members| {
                        let members: Vec<(&str, String)> = members
                            .iter()
                            .map(|(field, value)| {
                                (batch_key(*field), python_json_string(value, true))
                            })
                            .collect();
                        object(&members)
                    })
                    .collect();
                assert_eq!(post.body, format!("{{\"batch\": [{}]}}", events.join(", ")));
            }
        }
    }

    // bulk: the items of one event, then a batch of up to ten of them.
    match app.bulk_items(7, &event) {
        Err(error) => assert!(!expected_ok, "bulk refused: {error}"),
        Ok(items) => {
            assert!(expected_ok, "bulk accepted");
            assert_eq!(items.len(), channels.len());
            let first = &items[..items.len().min(10)];
            let post = app
                .batch_of_items(first, timestamp)
                .expect("valid items batch");
            check_post(&post, &app_id, "batch_events", &secret);
            let parsed: Value = serde_json::from_str(&post.body).expect("body is JSON");
            for (item, (sent, channel)) in first
                .iter()
                .zip(parsed["batch"].as_array().unwrap().iter().zip(&channels))
            {
                assert_eq!((item.event_index, item.channel.as_str()), (7, *channel));
                assert_eq!(sent["channel"].as_str(), Some(*channel));
                assert_eq!(sent["name"].as_str(), Some(name.as_ref()));
                check_data(&sent["data"], &data, Some(channel), &key_bytes);
            }
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
