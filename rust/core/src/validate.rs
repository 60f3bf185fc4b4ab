//! The checks run before anything is sent: channel names, event names, socket ids, user ids,
//! channel attributes and payload size. Messages follow the official Python SDK's where its rule
//! is the same, since user code matches on them.

use crate::error::Error;
use crate::limits::{
    byte_set, CHANNEL_NAME_CHARACTERS, ENCRYPTED_CHANNEL_PREFIX, INFO_ATTRIBUTES, MAX_BATCH_SIZE,
    MAX_CHANNELS, MAX_CHANNEL_NAME_LENGTH, MAX_EVENT_NAME_LENGTH, MAX_USER_ID_LENGTH,
    PRESENCE_CHANNEL_PREFIX, SERVER_TO_USER_PREFIX,
};

/// The channel-name alphabet as a lookup table.
static NAME_BYTES: [bool; 256] = byte_set(CHANNEL_NAME_CHARACTERS);
/// What a `filter_by_prefix` may hold: the channel-name alphabet, and `#` for
/// `#server-to-user-` channels.
static PREFIX_BYTES: [bool; 256] = {
    let mut set = byte_set(CHANNEL_NAME_CHARACTERS);
    set[b'#' as usize] = true;
    set
};

/// How much of an over-long name an error message repeats.
const QUOTED_PREFIX_CHARS: usize = 40;

fn invalid(message: String) -> Error {
    Error::InvalidInput(message)
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| NAME_BYTES[usize::from(byte)])
}

/// Length in code points, as Python's `len()` counts it.
fn char_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// Whether events on `channel` are end-to-end encrypted.
pub fn is_encrypted_channel(channel: &str) -> bool {
    channel.starts_with(ENCRYPTED_CHANNEL_PREFIX)
}

/// Whether `channel` is a presence channel, whose members are announced.
pub fn is_presence_channel(channel: &str) -> bool {
    channel.starts_with(PRESENCE_CHANNEL_PREFIX)
}

/// A channel name: at most 200 characters of the channel alphabet, or (when
/// `allow_server_to_user`) `#server-to-user-` followed by that alphabet.
pub fn channel(name: &str, allow_server_to_user: bool) -> Result<(), Error> {
    let length = char_len(name);
    if length > MAX_CHANNEL_NAME_LENGTH {
        let prefix: String = name.chars().take(QUOTED_PREFIX_CHARS).collect();
        return Err(invalid(format!(
            "Channel too long: {prefix}... ({length} characters, at most {MAX_CHANNEL_NAME_LENGTH})"
        )));
    }
    if let Some(user) = name.strip_prefix(SERVER_TO_USER_PREFIX) {
        if !allow_server_to_user {
            return Err(invalid(format!(
                "Channel should be a valid channel, got: {name}"
            )));
        }
        if !is_name(user) {
            return Err(invalid(format!("Invalid server to user Channel: {name}")));
        }
        return Ok(());
    }
    if name.is_empty() {
        return Err(invalid("Invalid Channel: the name is empty".to_owned()));
    }
    if !is_name(name) {
        return Err(invalid(format!("Invalid Channel: {name}")));
    }
    Ok(())
}

/// The number of channels one event may go to: 1 to 100.
pub fn channel_count(count: usize) -> Result<(), Error> {
    if count == 0 {
        return Err(invalid(
            "Expected at least one channel, got an empty list".to_owned(),
        ));
    }
    if count > MAX_CHANNELS {
        return Err(invalid(format!(
            "Too many channels: {count}, at most {MAX_CHANNELS} per event"
        )));
    }
    Ok(())
}

/// The number of events in one batch request: 1 to 10.
pub fn batch_size(count: usize) -> Result<(), Error> {
    if count == 0 {
        return Err(invalid("batch must hold at least one event".to_owned()));
    }
    if count > MAX_BATCH_SIZE {
        return Err(invalid(format!(
            "Too many events in batch: {count}, at most {MAX_BATCH_SIZE} per request"
        )));
    }
    Ok(())
}

/// An event name: 1 to 200 characters.
pub fn event_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(invalid("event_name must not be empty".to_owned()));
    }
    let length = char_len(name);
    if length > MAX_EVENT_NAME_LENGTH {
        return Err(invalid(format!(
            "event_name too long: {length} characters, at most {MAX_EVENT_NAME_LENGTH}"
        )));
    }
    Ok(())
}

/// A socket id as Pusher hands them out: ASCII `<digits>.<digits>`.
pub fn socket_id(socket_id: &str) -> Result<(), Error> {
    let valid = socket_id
        .split_once('.')
        .is_some_and(|(left, right)| is_digits(left) && is_digits(right));
    if valid {
        Ok(())
    } else {
        Err(invalid(format!("Invalid socket ID: {socket_id}")))
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// A user id: 1 to 200 characters of the channel alphabet (it becomes part of a channel name).
pub fn user_id(user_id: &str) -> Result<(), Error> {
    if user_id.is_empty() {
        return Err(invalid("User id is empty".to_owned()));
    }
    let length = char_len(user_id);
    if length > MAX_USER_ID_LENGTH {
        return Err(invalid(format!(
            "User id too long: {length} characters, at most {MAX_USER_ID_LENGTH}"
        )));
    }
    if !is_name(user_id) {
        return Err(invalid(format!("Invalid user id: {user_id}")));
    }
    Ok(())
}

/// A `filter_by_prefix`: channel-name characters, and `#` for `#server-to-user-` channels.
pub fn prefix_filter(prefix: &str) -> Result<(), Error> {
    if prefix.bytes().all(|byte| PREFIX_BYTES[usize::from(byte)]) {
        Ok(())
    } else {
        Err(Error::InvalidPrefixFilter(prefix.to_owned()))
    }
}

/// Channel attributes to return, normalised to `a,b` without blanks or repeats; `None` when
/// nothing is asked for. Only the [`INFO_ATTRIBUTES`] exist.
pub fn info<'a, I>(names: I) -> Result<Option<String>, Error>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut wanted: Vec<&str> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for name in names
        .into_iter()
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        if !INFO_ATTRIBUTES.contains(&name) {
            unknown.push(name);
        } else if !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    if !unknown.is_empty() {
        unknown.sort_unstable();
        unknown.dedup();
        return Err(invalid(format!(
            "Unknown info attribute(s) {}; expected {}",
            unknown.join(", "),
            INFO_ATTRIBUTES.join(" or ")
        )));
    }
    Ok((!wanted.is_empty()).then(|| wanted.join(",")))
}

/// Refuses event data whose UTF-8 encoding is longer than `limit` bytes (the API answers 413).
pub fn payload_size(data: &str, limit: usize) -> Result<(), Error> {
    if data.len() > limit {
        return Err(invalid(format!(
            "Too much data: Event data is {} bytes, the limit is {limit}",
            data.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(channel(name, true), Ok(()), "{name}");
        }
        assert_eq!(
            message(channel("", true)),
            "Invalid Channel: the name is empty"
        );
        assert_eq!(message(channel("a b", true)), "Invalid Channel: a b");
        assert_eq!(message(channel("a/b", true)), "Invalid Channel: a/b");
        assert_eq!(message(channel("é", true)), "Invalid Channel: é");
        assert_eq!(message(channel("#other", true)), "Invalid Channel: #other");
        let long = "é".repeat(201);
        assert_eq!(
            message(channel(&long, true)),
            format!(
                "Channel too long: {}... (201 characters, at most 200)",
                "é".repeat(40)
            )
        );
    }

    #[test]
    fn server_to_user_channels() {
        assert_eq!(channel("#server-to-user-42", true), Ok(()));
        assert_eq!(
            message(channel("#server-to-user-", true)),
            "Invalid server to user Channel: #server-to-user-"
        );
        assert_eq!(
            message(channel("#server-to-user-a b", true)),
            "Invalid server to user Channel: #server-to-user-a b"
        );
        assert_eq!(
            message(channel("#server-to-user-42", false)),
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
        assert!(event_name("e").is_ok() && event_name(&"é".repeat(200)).is_ok());
        assert_eq!(message(event_name("")), "event_name must not be empty");
        assert_eq!(
            message(event_name(&"e".repeat(201))),
            "event_name too long: 201 characters, at most 200"
        );
    }

    #[test]
    fn socket_ids() {
        for valid in ["1.1", "123.456", "0.0"] {
            assert_eq!(socket_id(valid), Ok(()));
        }
        for bad in [
            "", "1", "1.", ".1", "a.b", "1.2.3", "١.١", "1.2\n", " 1.2", "-1.2",
        ] {
            assert_eq!(message(socket_id(bad)), format!("Invalid socket ID: {bad}"));
        }
    }

    #[test]
    fn user_ids() {
        assert!(user_id("user-42").is_ok() && user_id(&"u".repeat(200)).is_ok());
        assert_eq!(message(user_id("")), "User id is empty");
        assert_eq!(
            message(user_id(&"u".repeat(201))),
            "User id too long: 201 characters, at most 200"
        );
        assert_eq!(message(user_id("a/b")), "Invalid user id: a/b");
    }

    #[test]
    fn prefix_filters() {
        for prefix in ["", "presence-", "#server-to-user-", "A-Za-z0-9_-=@,.;#"] {
            assert_eq!(prefix_filter(prefix), Ok(()), "{prefix}");
        }
        assert_eq!(
            message(prefix_filter("a&b=c")),
            "Invalid prefix_filter: 'a&b=c' (channel-name characters only)"
        );
        assert_eq!(
            message(prefix_filter("it's é")),
            "Invalid prefix_filter: \"it's é\" (channel-name characters only)"
        );
    }

    #[test]
    fn info_attributes() {
        assert_eq!(info([]), Ok(None));
        assert_eq!(info([" ", ""]), Ok(None));
        assert_eq!(info(["user_count"]), Ok(Some("user_count".to_owned())));
        assert_eq!(
            info(["subscription_count", " user_count", "subscription_count"]),
            Ok(Some("subscription_count,user_count".to_owned()))
        );
        assert_eq!(
            info(["members", "user_count", "a", "members"])
                .unwrap_err()
                .to_string(),
            "Unknown info attribute(s) a, members; expected user_count or subscription_count"
        );
    }

    #[test]
    fn payload_sizes() {
        assert!(payload_size(&"x".repeat(10240), 10240).is_ok());
        assert!(payload_size(&"é".repeat(5120), 10240).is_ok());
        assert_eq!(
            message(payload_size(&"é".repeat(5121), 10240)),
            "Too much data: Event data is 10242 bytes, the limit is 10240"
        );
    }
}
