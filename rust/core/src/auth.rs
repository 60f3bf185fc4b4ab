//! Channel authorization and user authentication: the rules they follow and the `auth` strings
//! they sign.

use hmac::Mac;

use crate::error::Error;
use crate::request::AppCredentials;
use crate::signing::{finalize_hex, HmacSha256};
use crate::text::Text;
use crate::{crypto, validate};

/// What a channel-authorization endpoint returns to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelAuthorization {
    /// `key:signature`.
    pub auth: String,
    /// The custom data, as signed (given for presence channels).
    pub channel_data: Option<String>,
    /// The channel's secretbox key as base64 (encrypted channels only).
    pub shared_secret: Option<String>,
}

/// The custom data of a channel authorization, already serialized by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelData {
    /// The JSON text that is signed and returned as `channel_data`.
    pub json: String,
    /// Whether the data names its user: a `user_id` that is not null.
    pub has_user_id: bool,
}

/// What a user-authentication endpoint returns for `pusher:signin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAuthentication {
    /// `key:signature`.
    pub auth: String,
    /// The user data, as signed.
    pub user_data: String,
}

/// The user data of a user authentication, already serialized by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserData<'a> {
    /// Its `id` member, when it has one that is not null.
    pub id: Option<&'a Text>,
    /// The JSON text that is signed and returned as `user_data`.
    pub json: &'a str,
}

/// Authorizes `socket_id` on a private, presence or encrypted `channel`.
///
/// A presence channel needs custom data naming its user; an encrypted channel needs the app's
/// master key, and its authorization carries the channel's shared secret. `#server-to-user-`
/// channels are never authorized.
pub fn authorize_channel(
    app: &AppCredentials,
    channel: &Text,
    socket_id: &Text,
    custom_data: Option<ChannelData>,
) -> Result<ChannelAuthorization, Error> {
    validate::channel(channel, false)?;
    validate::socket_id(socket_id)?;
    let names_user = custom_data.as_ref().is_some_and(|data| data.has_user_id);
    if validate::is_presence_channel(channel) && !names_user {
        return Err(Error::InvalidInput(
            "A presence channel needs custom_data with a user_id, e.g. {'user_id': '42'}"
                .to_owned(),
        ));
    }
    let channel_data = custom_data.map(|data| data.json);
    let shared_secret = if validate::is_encrypted_channel(channel) {
        let master_key = app.master_key.as_deref().ok_or_else(|| {
            Error::InvalidInput(format!(
                "Cannot authorize encrypted channel {channel}: no encryption master key was \
                 configured (pass encryption_master_key_base64)"
            ))
        })?;
        // A valid channel name is ASCII.
        let channel = channel.to_str().unwrap_or_default();
        Some(crypto::shared_secret_base64(channel, master_key))
    } else {
        None
    };
    let auth = channel_signature(
        &app.key,
        app.mac(),
        socket_id,
        channel,
        channel_data.as_deref(),
    );
    Ok(ChannelAuthorization {
        auth,
        channel_data,
        shared_secret,
    })
}

/// Authenticates the user of `socket_id` for `pusher:signin`: the user data must be given and
/// name the user with a valid user id.
pub fn authenticate_user(
    app: &AppCredentials,
    socket_id: &Text,
    user_data: Option<UserData<'_>>,
) -> Result<UserAuthentication, Error> {
    validate::socket_id(socket_id)?;
    let user_data = user_data.ok_or_else(|| Error::InvalidInput("user_data is null".to_owned()))?;
    let id = user_data
        .id
        .ok_or_else(|| Error::InvalidInput("user_data has no id field".to_owned()))?;
    validate::user_id(id)?;
    let auth = user_signature(&app.key, app.mac(), socket_id, user_data.json);
    Ok(UserAuthentication {
        auth,
        user_data: user_data.json.to_owned(),
    })
}

/// `key:hex_signature`, the form of every `auth` field.
fn auth_string(key: &str, mac: HmacSha256) -> String {
    let signature = finalize_hex(mac);
    let signature = signature.as_str();
    let mut auth = String::with_capacity(key.len() + 1 + signature.len());
    auth.push_str(key);
    auth.push(':');
    auth.push_str(signature);
    auth
}

/// The `auth` field authorizing `socket_id` on `channel`, signed with `mac` (keyed with the
/// secret): `key:hex(HMAC-SHA256(secret, "socket_id:channel[:channel_data]"))`.
fn channel_signature(
    key: &str,
    mut mac: HmacSha256,
    socket_id: &Text,
    channel: &Text,
    channel_data: Option<&str>,
) -> String {
    mac.update(socket_id.as_bytes());
    mac.update(b":");
    mac.update(channel.as_bytes());
    if let Some(channel_data) = channel_data {
        mac.update(b":");
        mac.update(channel_data.as_bytes());
    }
    auth_string(key, mac)
}

/// The `auth` field authenticating the user of `socket_id`, signed with `mac` (keyed with the
/// secret): `key:hex(HMAC-SHA256(secret, "socket_id::user::user_data"))`.
fn user_signature(key: &str, mut mac: HmacSha256, socket_id: &Text, user_data: &str) -> String {
    mac.update(socket_id.as_bytes());
    mac.update(b"::user::");
    mac.update(user_data.as_bytes());
    auth_string(key, mac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{hmac_sha256_hex, keyed_hmac};

    fn t(text: &str) -> &Text {
        Text::new(text)
    }

    fn channel_auth(
        key: &str,
        secret: &str,
        socket_id: &str,
        channel: &str,
        channel_data: Option<&str>,
    ) -> String {
        let mac = keyed_hmac(secret.as_bytes());
        channel_signature(key, mac, t(socket_id), t(channel), channel_data)
    }

    fn user_auth(key: &str, secret: &str, socket_id: &str, user_data: &str) -> String {
        user_signature(key, keyed_hmac(secret.as_bytes()), t(socket_id), user_data)
    }

    fn app(master_key: Option<Vec<u8>>) -> AppCredentials {
        AppCredentials::new(
            "1".to_owned(),
            "key".to_owned(),
            b"secret",
            master_key,
            crate::limits::DEFAULT_MAX_PAYLOAD_BYTES,
        )
    }

    fn presence_data(json: &str, has_user_id: bool) -> Option<ChannelData> {
        Some(ChannelData {
            json: json.to_owned(),
            has_user_id,
        })
    }

    fn message<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn private_channels_are_signed_without_data() {
        let authorization = authorize_channel(&app(None), t("private-c"), t("1.1"), None).unwrap();
        assert_eq!(
            authorization,
            ChannelAuthorization {
                auth: channel_auth("key", "secret", "1.1", "private-c", None),
                channel_data: None,
                shared_secret: None,
            }
        );
    }

    #[test]
    fn presence_channels_need_data_naming_the_user() {
        let json = r#"{"user_id": "42"}"#;
        let authorization = authorize_channel(
            &app(None),
            t("presence-c"),
            t("1.1"),
            presence_data(json, true),
        )
        .unwrap();
        assert_eq!(authorization.channel_data.as_deref(), Some(json));
        assert_eq!(
            authorization.auth,
            channel_auth("key", "secret", "1.1", "presence-c", Some(json))
        );
        let refusal = "A presence channel needs custom_data with a user_id, e.g. {'user_id': '42'}";
        for data in [None, presence_data(r#"{"x": 1}"#, false)] {
            assert_eq!(
                message(authorize_channel(
                    &app(None),
                    t("presence-c"),
                    t("1.1"),
                    data
                )),
                refusal
            );
        }
        // Other channels sign custom data when given, whether or not it names a user.
        let private = authorize_channel(
            &app(None),
            t("private-c"),
            t("1.1"),
            presence_data("{}", false),
        )
        .unwrap();
        assert_eq!(private.channel_data.as_deref(), Some("{}"));
    }

    #[test]
    fn encrypted_channels_need_the_master_key_and_get_the_shared_secret() {
        let master_key = vec![7u8; 32];
        let authorization = authorize_channel(
            &app(Some(master_key.clone())),
            t("private-encrypted-c"),
            t("1.1"),
            None,
        )
        .unwrap();
        assert_eq!(
            authorization.shared_secret,
            Some(crypto::shared_secret_base64(
                "private-encrypted-c",
                &master_key
            ))
        );
        assert_eq!(
            message(authorize_channel(
                &app(None),
                t("private-encrypted-c"),
                t("1.1"),
                None
            )),
            "Cannot authorize encrypted channel private-encrypted-c: no encryption master key \
             was configured (pass encryption_master_key_base64)"
        );
    }

    #[test]
    fn channel_and_socket_id_are_checked_first() {
        assert_eq!(
            message(authorize_channel(
                &app(None),
                t("private c"),
                t("1.1"),
                None
            )),
            "Invalid Channel: private c"
        );
        assert_eq!(
            message(authorize_channel(
                &app(None),
                t("#server-to-user-1"),
                t("1.1"),
                None
            )),
            "Channel should be a valid channel, got: #server-to-user-1"
        );
        assert_eq!(
            message(authorize_channel(
                &app(None),
                t("presence-c"),
                t("1.1x"),
                None
            )),
            "Invalid socket ID: 1.1x"
        );
    }

    #[test]
    fn users_are_authenticated_with_a_valid_id() {
        let json = r#"{"id": "42"}"#;
        let user = UserData {
            id: Some(t("42")),
            json,
        };
        let authentication = authenticate_user(&app(None), t("1.1"), Some(user)).unwrap();
        assert_eq!(
            authentication,
            UserAuthentication {
                auth: user_auth("key", "secret", "1.1", json),
                user_data: json.to_owned(),
            }
        );
        assert_eq!(
            message(authenticate_user(&app(None), t("1.1"), None)),
            "user_data is null"
        );
        let no_id = UserData {
            id: None,
            json: "{}",
        };
        assert_eq!(
            message(authenticate_user(&app(None), t("1.1"), Some(no_id))),
            "user_data has no id field"
        );
        let bad_id = UserData {
            id: Some(t("a b")),
            json: "{}",
        };
        assert_eq!(
            message(authenticate_user(&app(None), t("1.1"), Some(bad_id))),
            "Invalid user id: a b"
        );
        assert_eq!(
            message(authenticate_user(&app(None), t("x"), Some(user))),
            "Invalid socket ID: x"
        );
    }

    const DOCS_KEY: &str = "278d425bdf160c739803";
    const DOCS_SECRET: &str = "7ad3773142a6692b25b8";

    #[test]
    fn docs_private_channel() {
        assert_eq!(
            channel_auth(DOCS_KEY, DOCS_SECRET, "1234.1234", "private-foobar", None),
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
    }

    #[test]
    fn docs_user_authentication() {
        assert_eq!(
            user_auth(DOCS_KEY, DOCS_SECRET, "1234.1234", r#"{"id":"12345"}"#),
            "278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba"
        );
    }

    #[test]
    fn python_sdk_private_channel() {
        assert_eq!(
            channel_auth("foo", "bar", "345.23", "private-channel", None),
            "foo:89955e77e1b40e33df6d515a5ecbba86a01dc816a5b720da18a06fd26f7d92ff"
        );
    }

    #[test]
    fn python_sdk_private_encrypted_channel() {
        assert_eq!(
            channel_auth("foo", "bar", "345.23", "private-encrypted-channel", None),
            "foo:fff0503dfe4929f5162efe4d1dacbce524b0d8e7e1331117a8651c0e74d369e3"
        );
    }

    #[test]
    fn python_sdk_presence_channel() {
        assert_eq!(
            channel_auth(
                "key",
                "secret",
                "1.1",
                "presence-c1",
                Some(r#"{"money": "1.32"}"#)
            ),
            "key:7f2ae5922800a20b9615543ce7c8e7d1c97115d108939410825ea690f308a05f"
        );
    }

    #[test]
    fn go_sdk_user_authentication() {
        assert_eq!(
            user_auth("key", "secret", "12345.12345", r#"{"id":"1234"}"#),
            "key:e4c63b82c1e1d0955901f6a29ca51b244155bafda93968bc5664010f5ba54a41"
        );
    }

    #[test]
    fn channel_data_is_joined_with_a_colon_even_when_empty() {
        let expected = hmac_sha256_hex("s".as_bytes(), "1.1:presence-c:".as_bytes());
        assert_eq!(
            channel_auth("k", "s", "1.1", "presence-c", Some("")),
            format!("k:{expected}")
        );
    }

    #[test]
    fn unicode_inputs_are_signed_as_utf8() {
        let expected = hmac_sha256_hex("sé".as_bytes(), r#"1.1::user::{"name":"Zoë"}"#.as_bytes());
        assert_eq!(
            user_auth("kë", "sé", "1.1", r#"{"name":"Zoë"}"#),
            format!("kë:{expected}")
        );
    }
}
