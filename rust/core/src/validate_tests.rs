use super::*;

fn t(text: &str) -> &Text {
    Text::new(text)
}

fn message(result: Result<(), Error>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn channel_names() {
    for name in [
        "a",
        "private-x",
        "presence-a_b",
        "A-Za-z0-9_-=@,.;",
        &"c".repeat(200),
    ] {
        assert_eq!(channel(t(name), true), Ok(()), "{name}");
    }
    assert_eq!(
        message(channel(t(""), true)),
        "Invalid Channel: the name is empty"
    );
    assert_eq!(message(channel(t("a b"), true)), "Invalid Channel: a b");
    assert_eq!(message(channel(t("a/b"), true)), "Invalid Channel: a/b");
    assert_eq!(message(channel(t("é"), true)), "Invalid Channel: é");
    assert_eq!(
        message(channel(t("#other"), true)),
        "Invalid Channel: #other"
    );
    let long = "é".repeat(201);
    assert_eq!(
        message(channel(t(&long), true)),
        format!(
            "Channel too long: {}... (201 characters, at most 200)",
            "é".repeat(40)
        )
    );
}

#[test]
fn server_to_user_channels() {
    assert_eq!(channel(t("#server-to-user-42"), true), Ok(()));
    assert_eq!(
        message(channel(t("#server-to-user-"), true)),
        "Invalid server to user Channel: #server-to-user-"
    );
    assert_eq!(
        message(channel(t("#server-to-user-a b"), true)),
        "Invalid server to user Channel: #server-to-user-a b"
    );
    assert_eq!(
        message(channel(t("#server-to-user-42"), false)),
        "Channel should be a valid channel, got: #server-to-user-42"
    );
}

#[test]
fn counts() {
    assert!(channel_count(1).is_ok() && channel_count(100).is_ok());
    assert_eq!(
        message(channel_count(0)),
        "Expected at least one channel, got an empty list"
    );
    assert_eq!(
        message(channel_count(101)),
        "Too many channels: 101, at most 100 per event"
    );
    assert!(batch_size(1).is_ok() && batch_size(10).is_ok());
    assert_eq!(message(batch_size(0)), "batch must hold at least one event");
    assert_eq!(
        message(batch_size(11)),
        "Too many events in batch: 11, at most 10 per request"
    );
}

#[test]
fn event_names() {
    assert!(event_name(t("e")).is_ok() && event_name(t(&"é".repeat(200))).is_ok());
    assert_eq!(message(event_name(t(""))), "event_name must not be empty");
    assert_eq!(
        message(event_name(t(&"e".repeat(201)))),
        "event_name too long: 201 characters, at most 200"
    );
}

#[test]
fn socket_ids() {
    for valid in ["1.1", "123.456", "0.0"] {
        assert_eq!(socket_id(t(valid)), Ok(()));
    }
    for bad in [
        "", "1", "1.", ".1", "a.b", "1.2.3", "١.١", "1.2\n", " 1.2", "-1.2",
    ] {
        assert_eq!(
            message(socket_id(t(bad))),
            format!("Invalid socket ID: {bad}")
        );
    }
}

#[test]
fn user_ids() {
    assert!(user_id(t("user-42")).is_ok() && user_id(t(&"u".repeat(200))).is_ok());
    assert_eq!(message(user_id(t(""))), "User id is empty");
    assert_eq!(
        message(user_id(t(&"u".repeat(201)))),
        "User id too long: 201 characters, at most 200"
    );
    assert_eq!(message(user_id(t("a/b"))), "Invalid user id: a/b");
}

#[test]
fn prefix_filters() {
    for prefix in ["", "presence-", "#server-to-user-", "A-Za-z0-9_-=@,.;#"] {
        assert_eq!(prefix_filter(t(prefix)), Ok(()), "{prefix}");
    }
    assert_eq!(
        message(prefix_filter(t("a&b=c"))),
        "Invalid prefix_filter: 'a&b=c' (channel-name characters only)"
    );
    assert_eq!(
        message(prefix_filter(t("it's é"))),
        "Invalid prefix_filter: \"it's é\" (channel-name characters only)"
    );
}

fn event_info(names: &[&str]) -> Result<Option<String>, Error> {
    info(names.iter().map(|name| t(name)), InfoScope::Event)
}

#[test]
fn info_attributes_of_events() {
    assert_eq!(event_info(&[]), Ok(None));
    assert_eq!(event_info(&[" ", ""]), Ok(None));
    assert_eq!(
        event_info(&["user_count"]),
        Ok(Some("user_count".to_owned()))
    );
    assert_eq!(
        event_info(&["subscription_count", " user_count", "subscription_count"]),
        Ok(Some("subscription_count,user_count".to_owned()))
    );
    assert_eq!(
        event_info(&["members", "user_count", "a", "members"])
            .unwrap_err()
            .to_string(),
        "Unknown info attribute(s) a, members; expected user_count or subscription_count"
    );
}

#[test]
fn the_channel_list_offers_user_count_of_presence_channels_only() {
    let list = |prefix: &'static str, names: &[&str]| {
        let scope = InfoScope::ChannelList { prefix: t(prefix) };
        info(names.iter().map(|name| t(name)), scope)
    };
    assert_eq!(list("", &[]), Ok(None));
    assert_eq!(
        list("presence-", &["user_count"]),
        Ok(Some("user_count".to_owned()))
    );
    assert_eq!(
        list("presence-room-", &["user_count"]),
        Ok(Some("user_count".to_owned()))
    );
    assert_eq!(
        message(list("private-", &["user_count"]).map(|_| ())),
        "user_count on the channel list needs a prefix_filter starting with presence-"
    );
    assert_eq!(
        message(list("", &["user_count"]).map(|_| ())),
        "user_count on the channel list needs a prefix_filter starting with presence-"
    );
    assert!(
        message(list("presence-", &["subscription_count"]).map(|_| ()))
            .starts_with("The channel list does not offer subscription_count")
    );
}

#[test]
fn one_channel_offers_user_count_or_subscription_count_by_its_kind() {
    let one = |channel: &'static str, names: &[&str]| {
        let scope = InfoScope::Channel {
            channel: t(channel),
        };
        info(names.iter().map(|name| t(name)), scope)
    };
    assert_eq!(
        one("presence-room", &["user_count"]),
        Ok(Some("user_count".to_owned()))
    );
    assert_eq!(
        one("room", &["subscription_count"]),
        Ok(Some("subscription_count".to_owned()))
    );
    assert_eq!(
        message(one("room", &["user_count"]).map(|_| ())),
        "user_count is only available for presence channels, not room"
    );
    assert_eq!(
        message(one("presence-room", &["subscription_count", "user_count"]).map(|_| ())),
        "subscription_count is not available for presence channels such as presence-room (ask for user_count)"
    );
    // The exact check the local server runs on what it receives: no trimming, repeats allowed.
    let exact = [t("user_count"), t("user_count")];
    let scope = InfoScope::Channel {
        channel: t("presence-x"),
    };
    assert_eq!(info_attributes(exact, scope), Ok(()));
    assert!(info_attributes([t(" user_count")], scope).is_err());
}

#[test]
fn lone_surrogates_are_refused_by_name_rules() {
    // "a\ud800" as Python's surrogatepass encoding writes it.
    let name = Text::from_generalized_utf8(b"a\xed\xa0\x80").unwrap();
    assert_eq!(message(channel(name, true)), "Invalid Channel: a\u{fffd}");
    assert_eq!(message(socket_id(name)), "Invalid socket ID: a\u{fffd}");
    assert_eq!(message(user_id(name)), "Invalid user id: a\u{fffd}");
    assert_eq!(
        message(prefix_filter(name)),
        "Invalid prefix_filter: 'a\\ud800' (channel-name characters only)"
    );
    // An event name counts a surrogate as one character, as Python's len() does.
    assert_eq!(event_name(name), Ok(()));
    let long = [b"\xed\xb0\x80".repeat(201)].concat();
    assert_eq!(
        message(event_name(Text::from_generalized_utf8(&long).unwrap())),
        "event_name too long: 201 characters, at most 200"
    );
    // Data is measured in the bytes of its encoding: three per surrogate.
    assert_eq!(
        message(payload_size(name.len(), 3)),
        "Too much data: Event data is 4 bytes, the limit is 3"
    );
}

#[test]
fn payload_sizes() {
    assert!(payload_size("x".repeat(10240).len(), 10240).is_ok());
    assert!(payload_size("é".repeat(5120).len(), 10240).is_ok());
    assert_eq!(
        message(payload_size("é".repeat(5121).len(), 10240)),
        "Too much data: Event data is 10242 bytes, the limit is 10240"
    );
}
