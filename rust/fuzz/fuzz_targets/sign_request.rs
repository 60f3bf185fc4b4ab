//! Request signing with any method, path, parameters, body and timestamp: never panics; refuses
//! exactly the documented bad inputs (empty method, empty or relative path, empty key, reserved
//! key, keys equal once lower-cased), naming the right one; otherwise the query string decodes
//! back to the caller's parameters (keys lower-cased) plus the auth parameters, sorted, with the
//! body's MD5, and its signature recomputes with the `hmac` and `sha2` crates.
//!
//! Fields: key, secret, method, path, body (absent when `\xfe`), timestamp, then parameter keys
//! and values alternating.
#![no_main]

use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};
use pusher_fast_core::signing::sign_request;
use pusher_fast_core::Error;
use pusher_fast_fuzz::{check_signed_query, Fields};

const RESERVED: [&str; 5] = [
    "auth_key",
    "auth_timestamp",
    "auth_version",
    "auth_signature",
    "body_md5",
];

fn expected_error(method: &str, path: &str, params: &[(String, String)]) -> Option<Error> {
    if method.is_empty() {
        return Some(Error::EmptyMethod);
    }
    if path.is_empty() {
        return Some(Error::EmptyPath);
    }
    if !path.starts_with('/') {
        return Some(Error::RelativePath(path.to_owned()));
    }
    for (key, _) in params {
        if key.is_empty() {
            return Some(Error::EmptyParamKey);
        }
        if RESERVED.contains(&key.to_lowercase().as_str()) {
            return Some(Error::ReservedParamKey(key.clone()));
        }
    }
    let mut lowered: Vec<String> = params.iter().map(|(key, _)| key.to_lowercase()).collect();
    lowered.sort();
    lowered
        .windows(2)
        .find(|pair| pair[0] == pair[1])
        .map(|pair| Error::DuplicateParamKey(pair[0].clone()))
}

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let key = fields.text();
    let secret = fields.text();
    let method = fields.text();
    let path = fields.text();
    let body = fields.optional_bytes();
    let timestamp = fields.i64();
    let rest = fields.rest_text();
    let params: Vec<(String, String)> = rest
        .chunks(2)
        .take(24)
        .map(|pair| {
            let value = pair.get(1).map_or(String::new(), |value| value.to_string());
            (pair[0].to_string(), value)
        })
        .collect();

    let result = sign_request(&key, &secret, &method, &path, &params, body, timestamp);
    let query = match (result, expected_error(&method, &path, &params)) {
        (Ok(query), None) => query,
        (Err(error), Some(expected)) => {
            assert_eq!(error, expected);
            assert!(!error.to_string().is_empty());
            return;
        }
        (result, expected) => panic!("got {result:?}, expected an error {expected:?}"),
    };

    let pairs = check_signed_query(&query, secret.as_bytes(), &method, &path);
    let mut expected: Vec<(String, String)> = params
        .iter()
        .map(|(key, value)| (key.to_lowercase(), value.clone()))
        .collect();
    expected.push(("auth_key".into(), key.to_string()));
    expected.push(("auth_timestamp".into(), timestamp.to_string()));
    expected.push(("auth_version".into(), "1.0".into()));
    if let Some(body) = body {
        expected.push(("body_md5".into(), hex::encode(Md5::digest(body))));
    }
    expected.sort();
    let signed: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(key, _)| key != "auth_signature")
        .collect();
    assert_eq!(signed, expected);
});
