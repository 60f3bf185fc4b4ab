use super::*;
use crate::signing::md5_hex;

fn t(text: &str) -> &Text {
    Text::new(text)
}

fn credentials(master_key: Option<Vec<u8>>) -> AppCredentials {
    AppCredentials::new(
        "4".to_owned(),
        "key".to_owned(),
        b"secret",
        master_key,
        crate::limits::DEFAULT_MAX_PAYLOAD_BYTES,
    )
}

fn event<'a>(channels: &'a [&'a Text], data: &'a str) -> TriggerEvent<'a> {
    TriggerEvent {
        channels,
        name: t("my-event"),
        data: EventData::Text(t(data)),
        socket_id: None,
        info: None,
    }
}

fn message(result: Result<SignedPost, Error>) -> String {
    result.unwrap_err().to_string()
}

fn body(post: &SignedPost) -> &str {
    std::str::from_utf8(&post.body).unwrap()
}

fn batch(fields: &[(BatchField, &str)]) -> BatchEvent {
    fields
        .iter()
        .map(|(field, value)| (*field, TextBuf::from(*value)))
        .collect()
}

// The bodies below are what pusher 3.3.4 sends for the same call (json.dumps of the params).
#[test]
fn trigger_body_matches_the_official_sdk() {
    let creds = credentials(None);
    let post = creds
        .trigger(&event(&[t("a"), t("b")], "{\"x\": \"é\"}"), 1000)
        .unwrap();
    assert_eq!(creds.path(post.endpoint), "/apps/4/events");
    assert_eq!(
        body(&post),
        r#"{"name": "my-event", "channels": ["a", "b"], "data": "{\"x\": \"\u00e9\"}"}"#
    );
    assert!(post
        .query
        .contains(&format!("body_md5={}", md5_hex(&post.body))));
    assert!(post.query.starts_with("auth_key=key&auth_signature="));
}

#[test]
fn trigger_optional_members() {
    let channels = [t("a")];
    let mut with_options = event(&channels, "d");
    with_options.socket_id = Some(t("1.2"));
    with_options.info = Some("user_count");
    let post = credentials(None).trigger(&with_options, 1000).unwrap();
    assert_eq!(
        body(&post),
        r#"{"name": "my-event", "channels": ["a"], "data": "d", "socket_id": "1.2", "info": "user_count"}"#
    );
}

#[test]
fn lone_surrogates_are_sent_escaped() {
    // json.dumps({"name": "e\ud800", "channels": ["a"], "data": "x\udc00"})
    let name = Text::from_generalized_utf8(b"e\xed\xa0\x80").unwrap();
    let data = Text::from_generalized_utf8(b"x\xed\xb0\x80").unwrap();
    let channels = [t("a")];
    let event = TriggerEvent {
        channels: &channels,
        name,
        data: EventData::Text(data),
        socket_id: None,
        info: None,
    };
    let post = credentials(None).trigger(&event, 1).unwrap();
    assert_eq!(
        body(&post),
        r#"{"name": "e\ud800", "channels": ["a"], "data": "x\udc00"}"#
    );
    // Encrypted data must be UTF-8, which a lone surrogate has no form in.
    let encrypted = [t("private-encrypted-x")];
    let refused = credentials(Some(vec![7; 32])).trigger(
        &TriggerEvent {
            channels: &encrypted,
            ..event
        },
        1,
    );
    assert_eq!(
        message(refused),
        "Cannot encrypt the data for private-encrypted-x: it holds a lone surrogate, which is \
         not valid Unicode and has no UTF-8 form"
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
        message(creds.trigger(&event(&[t("a b")], "d"), 1)),
        "Invalid Channel: a b"
    );
    let channels = [t("a")];
    let mut bad_socket = event(&channels, "d");
    bad_socket.socket_id = Some(t("x"));
    assert_eq!(
        message(creds.trigger(&bad_socket, 1)),
        "Invalid socket ID: x"
    );
    let big = "x".repeat(10241);
    assert_eq!(
        message(creds.trigger(&event(&channels, &big), 1)),
        "Too much data: Event data is 10241 bytes, the limit is 10240"
    );
}

#[test]
fn encrypted_trigger() {
    let key = vec![7u8; 32];
    let creds = credentials(Some(key.clone()));
    let encrypted = [t("private-encrypted-x")];
    let post = creds.trigger(&event(&encrypted, "secret"), 1).unwrap();
    assert!(body(&post).contains(r#"\"ciphertext\": \""#));
    assert!(!body(&post).contains("secret\""));
    assert_eq!(
        message(creds.trigger(&event(&[t("private-encrypted-x"), t("b")], "d"), 1)),
        "You cannot trigger to multiple channels when using encrypted channels"
    );
    assert!(
        message(credentials(None).trigger(&event(&encrypted, "d"), 1))
            .starts_with("Cannot trigger on encrypted channel private-encrypted-x: no encryption")
    );
    // 7600 bytes of plaintext fit; the envelope of 7700 is over 10240 bytes.
    assert!(creds
        .trigger(&event(&encrypted, &"x".repeat(7600)), 1)
        .is_ok());
    assert!(
        message(creds.trigger(&event(&encrypted, &"x".repeat(7700)), 1))
            .starts_with("Too much data: Event data is 10351 bytes")
    );
}

#[test]
fn batch_keeps_caller_key_order() {
    let events = vec![
        batch(&[
            (BatchField::Name, "e"),
            (BatchField::Channel, "c"),
            (BatchField::Data, "1"),
        ]),
        batch(&[
            (BatchField::Channel, "d"),
            (BatchField::Name, "é"),
            (BatchField::Data, "2"),
            (BatchField::SocketId, "1.1"),
        ]),
    ];
    let creds = credentials(None);
    let post = creds.batch(&events, 1).unwrap();
    assert_eq!(creds.path(post.endpoint), "/apps/4/batch_events");
    assert_eq!(
        body(&post),
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
    let good = batch(&[
        (BatchField::Channel, "c"),
        (BatchField::Name, "e"),
        (BatchField::Data, "1"),
    ]);
    let no_name = batch(&[(BatchField::Channel, "c"), (BatchField::Data, "1")]);
    assert_eq!(
        message(creds.batch(&[good.clone(), no_name], 1)),
        "batch event #1: has no 'name'"
    );
    assert_eq!(
        message(creds.batch(&vec![good; 11], 1)),
        "Too many events in batch: 11, at most 10 per request"
    );
    assert_eq!(
        message(creds.batch::<TextBuf>(&[], 1)),
        "batch must hold at least one event"
    );
}

#[test]
fn bulk_events_are_checked_and_written_item_by_item() {
    let creds = credentials(None);
    let channels = [t("a"), t("b")];
    let mut multi = event(&channels, "d");
    multi.socket_id = Some(t("1.2"));
    let bulk = creds.bulk_event(&multi).unwrap();
    let mut body = TextBuf::default();
    for (index, channel) in bulk.channels.iter().enumerate() {
        if index > 0 {
            body.push_str(", ");
        }
        bulk.write_item(channel, &mut body);
    }
    assert_eq!(
        body.as_bytes(),
        br#"{"channel": "a", "name": "my-event", "data": "d", "socket_id": "1.2"}, {"channel": "b", "name": "my-event", "data": "d", "socket_id": "1.2"}"#
    );
    let post = creds.batch_events_post(b"{}".to_vec(), 1);
    assert_eq!(post.endpoint, PostEndpoint::BatchEvents);
    assert_eq!(post.body, b"{}");

    let bad = [t("a"), t("bad channel")];
    assert!(creds.bulk_event(&event(&bad, "d")).is_err());
}
