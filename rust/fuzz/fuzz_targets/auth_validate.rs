//! Channel authorization, user authentication and every `validate` rule against an oracle written
//! from the documented rules: never panics; accepts exactly the channel alphabet
//! (`A-Za-z0-9-_=@,.;`) and lengths (1 to 200 characters; `#server-to-user-` only where allowed),
//! socket ids `<digits>.<digits>`, event names of 1 to 200 characters, user ids of the channel
//! alphabet, prefix filters of the alphabet and `#`, the two info attributes; signatures recompute
//! with the `hmac` and `sha2` crates and the shared secret is SHA-256(channel ‖ master key).
//!
//! Fields: key, secret, channel, socket id, channel data (absent when `\xfe`), flags, master key
//! (absent when `\xfe`), user id (absent when `\xfe`), user data, event name, prefix filter,
//! payload limit, count, then info attribute names.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use pusher_fast_core::auth::{authenticate_user, authorize_channel, ChannelData, UserData};
use pusher_fast_core::request::AppCredentials;
use pusher_fast_core::{validate, Error};
use pusher_fast_fuzz::{
    hmac_hex, is_channel_char, is_channel_name, is_name_of, is_socket_id, Fields,
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

fn expected_info(names: &[&str]) -> Result<Option<String>, ()> {
    let mut wanted: Vec<&str> = Vec::new();
    for name in names
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
    {
        if name != "user_count" && name != "subscription_count" {
            return Err(());
        }
        if !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    Ok((!wanted.is_empty()).then(|| wanted.join(",")))
}

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let key = fields.text();
    let secret = fields.text();
    let channel = fields.text();
    let socket_id = fields.text();
    let channel_data = fields.optional_text();
    let flags = fields.byte();
    let master_key = fields.optional_bytes().map(<[u8]>::to_vec);
    let user_id = fields.optional_text();
    let user_json = fields.text();
    let event_name = fields.text();
    let prefix = fields.text();
    let limit = fields.u64() as usize % 20_000;
    let count = fields.u64() as usize;
    let info_names = fields.rest_text();

    agrees(
        validate::channel(&channel, true),
        is_channel_name(&channel, true),
        "channel",
    );
    agrees(
        validate::channel(&channel, false),
        is_channel_name(&channel, false),
        "channel",
    );
    agrees(
        validate::socket_id(&socket_id),
        is_socket_id(&socket_id),
        "socket id",
    );
    agrees(
        validate::event_name(&event_name),
        (1..=200).contains(&event_name.chars().count()),
        "event name",
    );
    if let Some(user_id) = &user_id {
        agrees(
            validate::user_id(user_id),
            is_name_of(user_id, 200),
            "user id",
        );
    }
    agrees(
        validate::prefix_filter(&prefix),
        prefix.chars().all(|ch| ch == '#' || is_channel_char(ch)),
        "prefix filter",
    );
    agrees(
        validate::payload_size(&user_json, limit),
        user_json.len() <= limit,
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
    let names: Vec<&str> = info_names.iter().map(|name| name.as_ref()).collect();
    match (validate::info(names.iter().copied()), expected_info(&names)) {
        (Ok(got), Ok(expected)) => assert_eq!(got, expected),
        (Err(error), Err(())) => assert!(error.to_string().starts_with("Unknown info attribute")),
        (got, expected) => panic!("info {names:?}: got {got:?}, expected {expected:?}"),
    }
    let presence = channel.starts_with("presence-");
    let encrypted = channel.starts_with("private-encrypted-");
    assert_eq!(validate::is_presence_channel(&channel), presence);
    assert_eq!(validate::is_encrypted_channel(&channel), encrypted);

    let has_master_key = master_key.is_some();
    let app = AppCredentials::new(
        "1".to_owned(),
        key.to_string(),
        &secret,
        master_key.clone(),
        10_240,
    );
    let has_user_id = flags & 1 == 1;
    let custom = channel_data.as_ref().map(|json| ChannelData {
        json: json.to_string(),
        has_user_id,
    });
    let authorized = is_channel_name(&channel, false)
        && is_socket_id(&socket_id)
        && (!presence || (channel_data.is_some() && has_user_id))
        && (!encrypted || has_master_key);
    match authorize_channel(&app, &channel, &socket_id, custom) {
        Err(error) => {
            assert!(!authorized, "authorization refused: {error}");
            assert!(!error.to_string().is_empty());
        }
        Ok(authorization) => {
            assert!(authorized, "authorization given");
            let mut message = format!("{socket_id}:{channel}");
            if let Some(json) = &channel_data {
                message.push(':');
                message.push_str(json);
            }
            assert_eq!(
                authorization.auth,
                format!("{key}:{}", hmac_hex(secret.as_bytes(), message.as_bytes()))
            );
            assert_eq!(
                authorization.channel_data.as_deref(),
                channel_data.as_deref()
            );
            let shared_secret = master_key.filter(|_| encrypted).map(|master_key| {
                STANDARD.encode(
                    Sha256::new()
                        .chain_update(channel.as_bytes())
                        .chain_update(master_key)
                        .finalize(),
                )
            });
            assert_eq!(authorization.shared_secret, shared_secret);
        }
    }

    let user_data = (flags & 2 == 2).then(|| UserData {
        id: user_id.as_deref(),
        json: &user_json,
    });
    let authenticated = is_socket_id(&socket_id)
        && user_data.is_some()
        && user_id.as_deref().is_some_and(|id| is_name_of(id, 200));
    match authenticate_user(&app, &socket_id, user_data) {
        Err(error) => {
            assert!(!authenticated, "authentication refused: {error}");
            assert!(!error.to_string().is_empty());
        }
        Ok(authentication) => {
            assert!(authenticated, "authentication given");
            let message = format!("{socket_id}::user::{user_json}");
            assert_eq!(
                authentication.auth,
                format!("{key}:{}", hmac_hex(secret.as_bytes(), message.as_bytes()))
            );
            assert_eq!(authentication.user_data, user_json);
        }
    }
});
