//! Pusher HTTP API request signing (auth_version 1.0) and the digests it is built from.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

use crate::error::Error;

pub type HmacSha256 = Hmac<Sha256>;

/// Everything but the RFC 3986 unreserved characters `A-Za-z0-9-._~` is percent-encoded.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Keys the signature adds itself; a caller supplying one would forge or break it.
const RESERVED_KEYS: [&str; 5] = [
    "auth_key",
    "auth_timestamp",
    "auth_version",
    "auth_signature",
    "body_md5",
];

const AUTH_VERSION: &str = "1.0";

/// Lower-case hex of a digest, held on the stack; `LEN` is twice the digest size.
pub(crate) struct HexDigest<const LEN: usize>([u8; LEN]);

impl<const LEN: usize> HexDigest<LEN> {
    fn encode(digest: &[u8]) -> Self {
        let mut hex = [0; LEN];
        hex::encode_to_slice(digest, &mut hex).expect("hex buffer is twice the digest size");
        Self(hex)
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

/// Hex of an HMAC-SHA256 tag.
pub(crate) type Sha256Hex = HexDigest<64>;
/// Hex of an MD5 digest.
type Md5Hex = HexDigest<32>;

/// An HMAC-SHA256 instance keyed with `secret`.
pub fn keyed_hmac(secret: &[u8]) -> HmacSha256 {
    // Only fixed-size-key MACs can reject a key; HMAC hashes or pads keys of any length.
    <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// Finishes `mac` and returns its tag as lower-case hex.
pub(crate) fn finalize_hex(mac: HmacSha256) -> Sha256Hex {
    HexDigest::encode(&mac.finalize().into_bytes())
}

/// Lower-case hex HMAC-SHA256 of `message` keyed with `secret`.
#[cfg(test)]
pub(crate) fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    let mut mac = keyed_hmac(secret);
    mac.update(message);
    finalize_hex(mac).as_str().to_owned()
}

fn md5_digest_hex(data: &[u8]) -> Md5Hex {
    HexDigest::encode(&Md5::digest(data))
}

/// Lower-case hex MD5 of `data`.
#[cfg(test)]
pub(crate) fn md5_hex(data: &[u8]) -> String {
    md5_digest_hex(data).as_str().to_owned()
}

/// A query parameter with its key lower-cased.
type Param<'a> = (Cow<'a, str>, &'a str);

fn lowercase(key: &str) -> Cow<'_, str> {
    if !key.is_ascii() {
        Cow::Owned(key.to_lowercase())
    } else if key.bytes().any(|byte| byte.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

fn validate_request_line(method: &str, path: &str) -> Result<(), Error> {
    if method.is_empty() {
        return Err(Error::EmptyMethod);
    }
    if path.is_empty() {
        return Err(Error::EmptyPath);
    }
    if !path.starts_with('/') {
        return Err(Error::RelativePath(path.to_owned()));
    }
    Ok(())
}

/// The caller's parameters plus the auth parameters, keys lower-cased, sorted by key.
fn signed_params<'a, K, V>(
    caller_params: &'a [(K, V)],
    auth_params: &[Param<'a>],
) -> Result<Vec<Param<'a>>, Error>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    // One spare slot for the auth_signature the caller inserts afterwards.
    let mut params = Vec::with_capacity(caller_params.len() + auth_params.len() + 1);
    for (key, value) in caller_params {
        let key = key.as_ref();
        if key.is_empty() {
            return Err(Error::EmptyParamKey);
        }
        let lowered = lowercase(key);
        if RESERVED_KEYS.contains(&lowered.as_ref()) {
            return Err(Error::ReservedParamKey(key.to_owned()));
        }
        params.push((lowered, value.as_ref()));
    }
    params.extend_from_slice(auth_params);
    params.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    if let Some(pair) = params.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Error::DuplicateParamKey(pair[0].0.clone().into_owned()));
    }
    Ok(params)
}

/// Length of the canonical query of `params`, to size buffers exactly.
fn canonical_query_len(params: &[Param<'_>]) -> usize {
    let separators = params.len().saturating_sub(1);
    let pairs: usize = params
        .iter()
        .map(|(key, value)| key.len() + 1 + value.len())
        .sum();
    pairs + separators
}

/// Appends `k=v&k=v...` over already sorted, lower-cased parameters, without any escaping.
#[cfg(test)]
fn push_canonical_query(out: &mut String, params: &[Param<'_>]) {
    for (index, (key, value)) in params.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// `METHOD\nPATH\n` followed by the canonical query: the message that is HMAC'd (as text, for
/// the tests; signing feeds the same bytes to the HMAC directly).
#[cfg(test)]
fn string_to_sign(method: &str, path: &str, params: &[Param<'_>]) -> String {
    let capacity = method.len() + path.len() + 2 + canonical_query_len(params);
    let mut message = String::with_capacity(capacity);
    message.push_str(method);
    message.push('\n');
    message.push_str(path);
    message.push('\n');
    push_canonical_query(&mut message, params);
    message
}

/// The final query string: every key and value percent-encoded, pairs joined with `&`.
fn encode_query(params: &[Param<'_>]) -> String {
    // Exact for the usual unreserved-only parameters; grows only for escaped bytes.
    let mut query = String::with_capacity(canonical_query_len(params));
    for (index, (key, value)) in params.iter().enumerate() {
        if index > 0 {
            query.push('&');
        }
        push_encoded(&mut query, key);
        query.push('=');
        push_encoded(&mut query, value);
    }
    query
}

/// Appends `text` percent-encoded; the auth parameters never need it, so they are copied as is.
fn push_encoded(out: &mut String, text: &str) {
    let unreserved =
        |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
    if text.bytes().all(unreserved) {
        out.push_str(text);
    } else {
        out.extend(utf8_percent_encode(text, QUERY_COMPONENT));
    }
}

/// Feeds the message that is HMAC'd, `METHOD\nPATH\n` followed by the canonical query, into `mac`.
fn update_with_string_to_sign(
    mac: &mut HmacSha256,
    method: &str,
    path: &str,
    params: &[Param<'_>],
) {
    mac.update(method.as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    for (index, (key, value)) in params.iter().enumerate() {
        if index > 0 {
            mac.update(b"&");
        }
        mac.update(key.as_bytes());
        mac.update(b"=");
        mac.update(value.as_bytes());
    }
}

/// Signs a Pusher HTTP API request and returns the query string to append after `?`.
///
/// The signed parameters are `params` plus `auth_key`, `auth_timestamp`, `auth_version=1.0` and,
/// when `body` is `Some` (even empty), `body_md5`. Keys are lower-cased; the returned query holds
/// the same parameters plus `auth_signature`, sorted by key and percent-encoded.
///
/// Fails on an empty method, a path that is empty or does not start with `/`, an empty
/// parameter key, keys that collide once lower-cased, or a caller key the signature reserves.
pub fn sign_request<K, V>(
    key: &str,
    secret: &str,
    method: &str,
    path: &str,
    params: &[(K, V)],
    body: Option<&[u8]>,
    timestamp: i64,
) -> Result<String, Error>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    sign_request_keyed(
        key,
        keyed_hmac(secret.as_bytes()),
        method,
        path,
        params,
        body,
        timestamp,
    )
}

/// [`sign_request`] with an HMAC already keyed with the secret (cloned from a cached one).
pub fn sign_request_keyed<K, V>(
    key: &str,
    mut mac: HmacSha256,
    method: &str,
    path: &str,
    params: &[(K, V)],
    body: Option<&[u8]>,
    timestamp: i64,
) -> Result<String, Error>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    validate_request_line(method, path)?;
    let mut timestamp_digits = itoa::Buffer::new();
    let timestamp = timestamp_digits.format(timestamp);
    let body_md5 = body.map(md5_digest_hex);

    let auth_params: [Param<'_>; 4] = [
        (Cow::Borrowed("auth_key"), key),
        (Cow::Borrowed("auth_timestamp"), timestamp),
        (Cow::Borrowed("auth_version"), AUTH_VERSION),
        (
            Cow::Borrowed("body_md5"),
            body_md5.as_ref().map_or("", HexDigest::as_str),
        ),
    ];
    let auth_params = match body_md5 {
        Some(_) => &auth_params[..],
        None => &auth_params[..3],
    };
    let mut signed = signed_params(params, auth_params)?;

    update_with_string_to_sign(&mut mac, method, path, &signed);
    let signature = finalize_hex(mac);

    let position = signed.partition_point(|(key, _)| key.as_ref() < "auth_signature");
    signed.insert(
        position,
        (Cow::Borrowed("auth_signature"), signature.as_str()),
    );
    Ok(encode_query(&signed))
}

/// Signs the `events` and `batch_events` POSTs of one app: [`sign_request_keyed`] for a body and
/// no parameters, with the parts that never change (the encoded key, the keyed HMAC) made once.
pub struct PostSigner {
    key: String,
    /// `auth_key=<key, percent-encoded>&auth_signature=`.
    query_head: String,
    mac: HmacSha256,
}

impl PostSigner {
    pub fn new(key: &str, secret: &[u8]) -> Self {
        let mut query_head = String::with_capacity(key.len() + 25);
        query_head.push_str("auth_key=");
        push_encoded(&mut query_head, key);
        query_head.push_str("&auth_signature=");
        Self {
            key: key.to_owned(),
            query_head,
            mac: keyed_hmac(secret),
        }
    }

    /// A fresh HMAC-SHA256 keyed with the secret.
    pub fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    /// The query string of `POST {path}` with `body`; `path` is one of the app's own (absolute).
    pub fn sign(&self, path: &str, body: &[u8], timestamp: i64) -> String {
        // The parameters in key order: auth_key, auth_timestamp, auth_version, body_md5, with
        // auth_signature between auth_key and auth_timestamp in the query.
        let mut timestamp_digits = itoa::Buffer::new();
        let timestamp = timestamp_digits.format(timestamp);
        let body_md5 = md5_digest_hex(body);
        let mut mac = self.mac();
        for part in [
            b"POST\n".as_slice(),
            path.as_bytes(),
            b"\nauth_key=",
            self.key.as_bytes(),
            b"&auth_timestamp=",
            timestamp.as_bytes(),
            b"&auth_version=",
            AUTH_VERSION.as_bytes(),
            b"&body_md5=",
            body_md5.as_str().as_bytes(),
        ] {
            mac.update(part);
        }
        let signature = finalize_hex(mac);
        let tail = [
            signature.as_str(),
            "&auth_timestamp=",
            timestamp,
            "&auth_version=",
            AUTH_VERSION,
            "&body_md5=",
            body_md5.as_str(),
        ];
        let mut query = String::with_capacity(
            self.query_head.len() + tail.iter().map(|part| part.len()).sum::<usize>(),
        );
        query.push_str(&self.query_head);
        for part in tail {
            query.push_str(part);
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS_KEY: &str = "278d425bdf160c739803";
    const DOCS_SECRET: &str = "7ad3773142a6692b25b8";
    const DOCS_BODY: &str =
        r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
    const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";
    const NO_PARAMS: &[(&str, &str)] = &[];

    /// Splits a returned query string into its (still encoded) key/value pairs.
    fn pairs(query: &str) -> Vec<(&str, &str)> {
        query
            .split('&')
            .map(|pair| pair.split_once('=').expect("pair has '='"))
            .collect()
    }

    fn value<'q>(query: &'q str, key: &str) -> &'q str {
        pairs(query)
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("{key} missing from {query}"))
    }

    #[test]
    fn docs_rest_example() {
        assert_eq!(
            md5_hex(DOCS_BODY.as_bytes()),
            "ec365a775a4cd0599faeb73354201b6f"
        );
        let md5 = md5_digest_hex(DOCS_BODY.as_bytes());
        let auth: [Param<'_>; 4] = [
            ("auth_key".into(), DOCS_KEY),
            ("auth_timestamp".into(), "1353088179"),
            ("auth_version".into(), "1.0"),
            ("body_md5".into(), md5.as_str()),
        ];
        let signed = signed_params(NO_PARAMS, &auth).unwrap();
        assert_eq!(
            string_to_sign("POST", "/apps/3/events", &signed),
            "POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179\
             &auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f"
        );

        let query = sign_request(
            DOCS_KEY,
            DOCS_SECRET,
            "POST",
            "/apps/3/events",
            NO_PARAMS,
            Some(DOCS_BODY.as_bytes()),
            1353088179,
        )
        .unwrap();
        assert_eq!(
            query,
            "auth_key=278d425bdf160c739803&auth_signature=\
             da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c\
             &auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f"
        );
    }

    #[test]
    fn python_sdk_get_with_empty_body() {
        let auth: [Param<'_>; 4] = [
            ("auth_key".into(), "key"),
            ("auth_timestamp".into(), "1000"),
            ("auth_version".into(), "1.0"),
            ("body_md5".into(), EMPTY_MD5),
        ];
        let signed = signed_params(&[("foo", "bar")], &auth).unwrap();
        assert_eq!(
            string_to_sign("GET", "/some/obscure/api", &signed),
            "GET\n/some/obscure/api\nauth_key=key&auth_timestamp=1000&auth_version=1.0\
             &body_md5=d41d8cd98f00b204e9800998ecf8427e&foo=bar"
        );

        let query = sign_request(
            "key",
            "secret",
            "GET",
            "/some/obscure/api",
            &[("foo", "bar")],
            Some(b""),
            1000,
        )
        .unwrap();
        assert_eq!(
            value(&query, "auth_signature"),
            "5c49f04a95eedc9028b1e0e8de7c2c7ad63504a0e3b5c145d2accaef6c14dbac"
        );
        assert_eq!(value(&query, "body_md5"), EMPTY_MD5);
        assert_eq!(value(&query, "foo"), "bar");
    }

    /// The SDK sends a POST's params as the JSON body, so none are in the query.
    #[test]
    fn python_sdk_post() {
        let body = br#"{"foo": "bar"}"#;
        assert_eq!(md5_hex(body), "94232c5b8fc9272f6f73a1e36eb68fcf");
        let query = sign_request(
            "key",
            "secret",
            "POST",
            "/some/obscure/api",
            NO_PARAMS,
            Some(body),
            1000,
        )
        .unwrap();
        assert_eq!(
            query,
            "auth_key=key&auth_signature=\
             e05fa4cafee86311746ee3981d5581a5e4e87c27bbab0aeb1059e2df5c90258b\
             &auth_timestamp=1000&auth_version=1.0&body_md5=94232c5b8fc9272f6f73a1e36eb68fcf"
        );
    }

    #[test]
    fn go_sdk_digests() {
        assert_eq!(
            hmac_sha256_hex(b"supersecret", b"Hello!"),
            "64e3f44166575febbc5de88c9476325ea7d4b3684752158d9fdb31fce34b980d"
        );
        assert_eq!(md5_hex(b"Hello!"), "952d2c56d0485958336747bcdd98590d");
        assert_eq!(md5_hex(b""), EMPTY_MD5);
    }

    #[test]
    fn without_body_there_is_no_body_md5() {
        let query = sign_request("k", "s", "GET", "/channels", NO_PARAMS, None, 7).unwrap();
        let keys: Vec<_> = pairs(&query).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "auth_key",
                "auth_signature",
                "auth_timestamp",
                "auth_version"
            ]
        );
        let mut mac = keyed_hmac(b"s");
        mac.update(b"GET\n/channels\nauth_key=k&auth_timestamp=7&auth_version=1.0");
        assert_eq!(value(&query, "auth_signature"), finalize_hex(mac).as_str());
    }

    #[test]
    fn keys_are_lowercased_sorted_and_values_signed_raw_but_sent_encoded() {
        let params = [
            ("Info", "user_count,subscription_count"),
            ("filter_by_prefix", "presence-"),
            ("Zeta", "a&b=c d"),
            ("café", "é~-._"),
        ];
        let query = sign_request("k", "s", "GET", "/apps/1/channels", &params, None, 42).unwrap();

        let mut mac = keyed_hmac(b"s");
        mac.update(
            "GET\n/apps/1/channels\nauth_key=k&auth_timestamp=42&auth_version=1.0\
             &café=é~-._&filter_by_prefix=presence-&info=user_count,subscription_count\
             &zeta=a&b=c d"
                .as_bytes(),
        );
        let signature = finalize_hex(mac);
        assert_eq!(
            query,
            format!(
                "auth_key=k&auth_signature={}&auth_timestamp=42&auth_version=1.0\
                 &caf%C3%A9=%C3%A9~-._&filter_by_prefix=presence-\
                 &info=user_count%2Csubscription_count&zeta=a%26b%3Dc%20d",
                signature.as_str()
            )
        );
    }

    #[test]
    fn buffers_are_sized_exactly() {
        let auth: [Param<'_>; 2] = [("a".into(), "1"), ("bé".into(), "xyz")];
        let message = string_to_sign("GET", "/p", &auth);
        assert_eq!(message, "GET\n/p\na=1&bé=xyz");
        assert_eq!(message.capacity(), message.len());
        assert_eq!(string_to_sign("GET", "/p", &[]), "GET\n/p\n");
    }

    #[test]
    fn unicode_keys_are_lowercased() {
        let query = sign_request("k", "s", "GET", "/x", &[("ÉTAT", "Ünï")], None, 1).unwrap();
        assert_eq!(value(&query, "%C3%A9tat"), "%C3%9Cn%C3%AF");
    }

    #[test]
    fn owned_params_are_accepted() {
        let params = vec![(String::from("a"), String::from("1"))];
        let query = sign_request("k", "s", "GET", "/x", &params, None, 1).unwrap();
        assert_eq!(value(&query, "a"), "1");
    }

    #[test]
    fn negative_and_large_timestamps_are_decimal() {
        let query = sign_request("k", "s", "GET", "/x", NO_PARAMS, None, i64::MAX).unwrap();
        assert_eq!(value(&query, "auth_timestamp"), "9223372036854775807");
        let query = sign_request("k", "s", "GET", "/x", NO_PARAMS, None, -5).unwrap();
        assert_eq!(value(&query, "auth_timestamp"), "-5");
    }

    #[test]
    fn rejects_bad_request_lines() {
        let sign = |method, path| sign_request("k", "s", method, path, NO_PARAMS, None, 1);
        assert_eq!(sign("", "/x"), Err(Error::EmptyMethod));
        assert_eq!(sign("GET", ""), Err(Error::EmptyPath));
        assert_eq!(sign("GET", "x/y"), Err(Error::RelativePath("x/y".into())));
    }

    #[test]
    fn rejects_bad_params() {
        let sign = |params: &[(&str, &str)]| sign_request("k", "s", "GET", "/x", params, None, 1);
        assert_eq!(sign(&[("", "v")]), Err(Error::EmptyParamKey));
        assert_eq!(
            sign(&[("a", "1"), ("A", "2")]),
            Err(Error::DuplicateParamKey("a".into()))
        );
        for reserved in [
            "auth_key",
            "AUTH_TIMESTAMP",
            "auth_Version",
            "auth_signature",
            "Body_MD5",
        ] {
            assert_eq!(
                sign(&[(reserved, "v")]),
                Err(Error::ReservedParamKey(reserved.into()))
            );
        }
    }

    #[test]
    fn error_messages_name_the_key() {
        let err = sign_request("k", "s", "GET", "/x", &[("Auth_Key", "v")], None, 1).unwrap_err();
        assert!(err.to_string().contains("\"Auth_Key\""), "{err}");
        let err =
            sign_request("k", "s", "GET", "/x", &[("b", "1"), ("B", "2")], None, 1).unwrap_err();
        assert!(err.to_string().contains("\"b\""), "{err}");
    }

    #[test]
    fn the_post_signer_signs_as_sign_request_does() {
        for (key, secret, path, body, timestamp) in [
            ("key", "secret", "/apps/4/events", b"{}".as_slice(), 1000),
            (
                DOCS_KEY,
                DOCS_SECRET,
                "/apps/3/events",
                DOCS_BODY.as_bytes(),
                1353088179,
            ),
            ("k é&=", "sé", "/apps/x/batch_events", b"".as_slice(), -5),
            ("K~-._", "s", "/apps/1/events", "é".as_bytes(), i64::MAX),
        ] {
            let general =
                sign_request(key, secret, "POST", path, NO_PARAMS, Some(body), timestamp).unwrap();
            let signer = PostSigner::new(key, secret.as_bytes());
            assert_eq!(signer.sign(path, body, timestamp), general, "{key} {path}");
        }
    }
}
