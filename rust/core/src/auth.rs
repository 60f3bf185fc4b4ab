//! The `auth` strings of private/presence channel authorization and user authentication.

use hmac::Mac;

use crate::signing::{finalize_hex, keyed_hmac, HmacSha256};

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

/// The `auth` field authorizing `socket_id` on `channel`:
/// `key:hex(HMAC-SHA256(secret, "socket_id:channel[:channel_data]"))`.
///
/// `channel_data` is given for presence channels only.
pub fn channel_auth(
    key: &str,
    secret: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    channel_auth_keyed(
        key,
        keyed_hmac(secret.as_bytes()),
        socket_id,
        channel,
        channel_data,
    )
}

/// [`channel_auth`] with an HMAC already keyed with the secret (cloned from a cached one).
pub fn channel_auth_keyed(
    key: &str,
    mut mac: HmacSha256,
    socket_id: &str,
    channel: &str,
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

/// The `auth` field authenticating the user of `socket_id`:
/// `key:hex(HMAC-SHA256(secret, "socket_id::user::user_data"))`.
pub fn user_auth(key: &str, secret: &str, socket_id: &str, user_data: &str) -> String {
    user_auth_keyed(key, keyed_hmac(secret.as_bytes()), socket_id, user_data)
}

/// [`user_auth`] with an HMAC already keyed with the secret (cloned from a cached one).
pub fn user_auth_keyed(key: &str, mut mac: HmacSha256, socket_id: &str, user_data: &str) -> String {
    mac.update(socket_id.as_bytes());
    mac.update(b"::user::");
    mac.update(user_data.as_bytes());
    auth_string(key, mac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::hmac_sha256_hex;

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
