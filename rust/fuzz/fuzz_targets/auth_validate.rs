//! Channel authorization, user authentication and every `validate` rule against an oracle written
//! from the documented rules: never panics; accepts exactly the channel alphabet
//! (`A-Za-z0-9-_=@,.;`) and lengths (1 to 200 characters; `#server-to-user-` only where allowed),
//! socket ids `<digits>.<digits>`, event names of 1 to 200 characters (code points, as Python's
//! `len()` counts them, lone surrogates included), user ids of the channel alphabet, prefix filters
//! of the alphabet and `#`; the two info attributes where each scope offers them (an event: both;
//! the channel list: `user_count` only, and only with a `presence-` prefix; one channel:
//! `user_count` on a presence channel, `subscription_count` on any other), unknown names refused
//! first; signatures recompute with the `hmac` and `sha2` crates and the shared secret is
//! SHA-256(channel ‖ master key).
//!
//! Names are Python text: a field that is generalized UTF-8 keeps its lone surrogates
//! (`\xed\xa0\x80` is U+D800), which no name alphabet holds.
//!
//! Fields: key, secret (bytes), channel, socket id, channel data (absent when `\xfe`), flags,
//! master key (absent when `\xfe`), user id (absent when `\xfe`), user data, event name, prefix
//! filter, payload limit, count, then info attribute names.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use pusher_fast_core::auth::{authenticate_user, authorize_channel, ChannelData, UserData};
use pusher_fast_core::request::AppCredentials;
use pusher_fast_core::validate::InfoScope;
use pusher_fast_core::{validate, Error};
use pusher_fast_fuzz::{
    hmac_hex, is_channel_char, is_channel_name, is_name_of, is_socket_id, Fields, PyText,
};
use sha2::{Digest, Sha256};

fn agrees(result: Result<(), Error>, valid: bool, what: &str) {
    match result {
        Ok(()) => assert!(valid, "{what}: accepted"),
        Err(error) => {
            assert!(!valid, "{what}: refused: {error}");
            assert!(!error.to_string().is_empty());
        }
    }
}

/// Where info attributes are asked for, as the oracle sees it.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    Event,
    ChannelList { prefix: &'a PyText },
    Channel { channel: &'a PyText },
}

/// Why the oracle expects `info` to refuse.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// A name that is neither attribute (after trimming): refused before anything else.
    Unknown,
    /// Known attributes the scope does not offer.
    NotOffered,
}

fn expected_info(names: &[PyText], scope: Scope<'_>) -> Result<Option<String>, Refusal> {
    let mut wanted: Vec<&str> = Vec::new();
    for name in names.iter().map(PyText::trim) {
        let name = match name.as_str() {
            Some("") => continue,
            Some("user_count") => "user_count",
            Some("subscription_count") => "subscription_count",
            _ => return Err(Refusal::Unknown),
        };
        if !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    let user_count = wanted.contains(&"user_count");
    let subscription_count = wanted.contains(&"subscription_count");
    let offered = match scope {
        Scope::Event => true,
        Scope::ChannelList { prefix } => {
            !subscription_count && (!user_count || prefix.starts_with("presence-"))
        }
        Scope::Channel { channel } if channel.starts_with("presence-") => !subscription_count,
        Scope::Channel { .. } => !user_count,
    };
    if !offered {
        return Err(Refusal::NotOffered);
    }
    Ok((!wanted.is_empty()).then(|| wanted.join(",")))
}

fn check_info(names: &[PyText], scope: Scope<'_>) {
    let core_scope = match scope {
        Scope::Event => InfoScope::Event,
        Scope::ChannelList { prefix } => InfoScope::ChannelList {
            prefix: prefix.text(),
        },
        Scope::Channel { channel } => InfoScope::Channel {
            channel: channel.text(),
        },
    };
    let got = validate::info(names.iter().map(PyText::text), core_scope);
    match (got, expected_info(names, scope)) {
        (Ok(got), Ok(expected)) => assert_eq!(got, expected),
        (Err(error), Err(refusal)) => {
            let message = error.to_string();
            assert_eq!(
                message.starts_with("Unknown info attribute"),
                refusal == Refusal::Unknown,
                "info {names:?} in {scope:?}: {message}"
            );
            assert!(!message.is_empty());
        }
        (got, expected) => {
            panic!("info {names:?} in {scope:?}: got {got:?}, expected {expected:?}")
        }
    }
}

/// A name of the channel alphabet: a lone surrogate is never one of its characters.
fn is_channel(name: &PyText, server_to_user: bool) -> bool {
    name.as_str()
        .is_some_and(|name| is_channel_name(name, server_to_user))
}

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let key = fields.text();
    let secret = fields.bytes();
    let channel = fields.py_text();
    let socket_id = fields.py_text();
    let channel_data = fields.optional_text();
    let flags = fields.byte();
    let master_key = fields.optional_bytes().map(<[u8]>::to_vec);
    let user_id = fields.optional_py_text();
    let user_json = fields.text();
    let event_name = fields.py_text();
    let prefix = fields.py_text();
    let limit = fields.u64() as usize % 20_000;
    let count = fields.u64() as usize;
    let info_names = fields.rest_py_text();

    agrees(
        validate::channel(channel.text(), true),
        is_channel(&channel, true),
        "channel",
    );
    agrees(
        validate::channel(channel.text(), false),
        is_channel(&channel, false),
        "channel",
    );
    agrees(
        validate::socket_id(socket_id.text()),
        socket_id.as_str().is_some_and(is_socket_id),
        "socket id",
    );
    agrees(
        validate::event_name(event_name.text()),
        (1..=200).contains(&event_name.char_count()),
        "event name",
    );
    if let Some(user_id) = &user_id {
        agrees(
            validate::user_id(user_id.text()),
            user_id.as_str().is_some_and(|id| is_name_of(id, 200)),
            "user id",
        );
    }
    agrees(
        validate::prefix_filter(prefix.text()),
        prefix
            .as_str()
            .is_some_and(|prefix| prefix.chars().all(|ch| ch == '#' || is_channel_char(ch))),
        "prefix filter",
    );
    // A size as the API counts it: UTF-8, a lone surrogate three bytes.
    let size = event_name.utf8_size();
    agrees(
        validate::payload_size(size, limit),
        size <= limit,
        "payload",
    );
    agrees(
        validate::channel_count(count),
        (1..=100).contains(&count),
        "channel count",
    );
    agrees(
        validate::batch_size(count),
        (1..=10).contains(&count),
        "batch size",
    );
    for scope in [
        Scope::Event,
        Scope::ChannelList { prefix: &prefix },
        Scope::Channel { channel: &channel },
    ] {
        check_info(&info_names, scope);
    }
    let presence = channel.starts_with("presence-");
    let encrypted = channel.starts_with("private-encrypted-");
    assert_eq!(validate::is_presence_channel(channel.text()), presence);
    assert_eq!(validate::is_encrypted_channel(channel.text()), encrypted);

    let has_master_key = master_key.is_some();
    let app = AppCredentials::new(
        "1".to_owned(),
        key.to_string(),
        secret,
        master_key.clone(),
        10_240,
    );
    let has_user_id = flags & 1 == 1;
    let custom = channel_data.as_ref().map(|json| ChannelData {
        json: json.to_string(),
        has_user_id,
    });
    let authorized = is_channel(&channel, false)
        && socket_id.as_str().is_some_and(is_socket_id)
        && (!presence || (channel_data.is_some() && has_user_id))
        && (!encrypted || has_master_key);
    match authorize_channel(&app, channel.text(), socket_id.text(), custom) {
        Err(error) => {
            assert!(!authorized, "authorization refused: {error}");
            assert!(!error.to_string().is_empty());
        }
        Ok(authorization) => {
            assert!(authorized, "authorization given");
            let mut message = [socket_id.bytes(), b":", channel.bytes()].concat();
            if let Some(json) = &channel_data {
                message.push(b':');
                message.extend_from_slice(json.as_bytes());
            }
            assert_eq!(
                authorization.auth,
                format!("{key}:{}", hmac_hex(secret, &message))
            );
            assert_eq!(
                authorization.channel_data.as_deref(),
                channel_data.as_deref()
            );
            let shared_secret = master_key.filter(|_| encrypted).map(|master_key| {
                STANDARD.encode(
                    Sha256::new()
                        .chain_update(channel.bytes())
                        .chain_update(master_key)
                        .finalize(),
                )
            });
            assert_eq!(authorization.shared_secret, shared_secret);
        }
    }

    let user_data = (flags & 2 == 2).then(|| UserData {
        id: user_id.as_ref().map(PyText::text),
        json: &user_json,
    });
    let authenticated = socket_id.as_str().is_some_and(is_socket_id)
        && user_data.is_some()
        && user_id
            .as_ref()
            .and_then(PyText::as_str)
            .is_some_and(|id| is_name_of(id, 200));
    match authenticate_user(&app, socket_id.text(), user_data) {
        Err(error) => {
            assert!(!authenticated, "authentication refused: {error}");
            assert!(!error.to_string().is_empty());
        }
        Ok(authentication) => {
            assert!(authenticated, "authentication given");
            let message = [socket_id.bytes(), b"::user::", user_json.as_bytes()].concat();
            assert_eq!(
                authentication.auth,
                format!("{key}:{}", hmac_hex(secret, &message))
            );
            assert_eq!(authentication.user_data, user_json);
        }
    }
});
