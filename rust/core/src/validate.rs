//! The checks run before anything is sent: channel names, event names, socket ids, user ids,
//! channel attributes and payload size. Messages follow the official Python SDK's where its rule
//! is the same, since user code matches on them.
//!
//! Names are [`Text`]: a Python string with a lone surrogate is refused with the rule's own
//! message (where a name cannot hold one) or measured as the official SDK measures it.

use crate::error::Error;
use crate::limits::{
    byte_set, CHANNEL_NAME_CHARACTERS, ENCRYPTED_CHANNEL_PREFIX, INFO_ATTRIBUTES, MAX_BATCH_SIZE,
    MAX_CHANNELS, MAX_CHANNEL_NAME_LENGTH, MAX_EVENT_NAME_LENGTH, MAX_USER_ID_LENGTH,
    PRESENCE_CHANNEL_PREFIX, SERVER_TO_USER_PREFIX, SUBSCRIPTION_COUNT, USER_COUNT,
};
use crate::text::Text;

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

fn is_name(text: &Text) -> bool {
    !text.is_empty()
        && text
            .as_bytes()
            .iter()
            .all(|byte| NAME_BYTES[usize::from(*byte)])
}

/// Length in code points, as Python's `len()` counts it.
fn char_len(text: &Text) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.char_count()
    }
}

/// Whether events on `channel` are end-to-end encrypted.
pub fn is_encrypted_channel(channel: &Text) -> bool {
    channel.starts_with(ENCRYPTED_CHANNEL_PREFIX)
}

/// Whether `channel` is a presence channel, whose members are announced.
pub fn is_presence_channel(channel: &Text) -> bool {
    channel.starts_with(PRESENCE_CHANNEL_PREFIX)
}

/// A channel name: at most 200 characters of the channel alphabet, or (when
/// `allow_server_to_user`) `#server-to-user-` followed by that alphabet.
pub fn channel(name: &Text, allow_server_to_user: bool) -> Result<(), Error> {
    // The usual case in one pass: a valid name is ASCII, so its length is its size.
    if name.len() <= MAX_CHANNEL_NAME_LENGTH && is_name(name) {
        return Ok(());
    }
    let length = char_len(name);
    if length > MAX_CHANNEL_NAME_LENGTH {
        let prefix = name.prefix(QUOTED_PREFIX_CHARS);
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

/// The refusal of more channels than one event may go to, when the caller stopped counting at
/// `MAX_CHANNELS + 1` (an iterable is never read further).
pub fn too_many_channels() -> Error {
    invalid(format!(
        "Too many channels: more than {MAX_CHANNELS}, at most {MAX_CHANNELS} per event"
    ))
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

/// The refusal of a batch the caller stopped reading at `MAX_BATCH_SIZE + 1` events.
pub fn too_many_batch_events() -> Error {
    invalid(format!(
        "Too many events in batch: more than {MAX_BATCH_SIZE}, at most {MAX_BATCH_SIZE} per request"
    ))
}

/// An event name: 1 to 200 characters.
pub fn event_name(name: &Text) -> Result<(), Error> {
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
pub fn socket_id(socket_id: &Text) -> Result<(), Error> {
    let bytes = socket_id.as_bytes();
    let valid = bytes
        .iter()
        .position(|byte| *byte == b'.')
        .is_some_and(|dot| is_digits(&bytes[..dot]) && is_digits(&bytes[dot + 1..]));
    if valid {
        Ok(())
    } else {
        Err(invalid(format!("Invalid socket ID: {socket_id}")))
    }
}

fn is_digits(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(u8::is_ascii_digit)
}

/// A user id: 1 to 200 characters of the channel alphabet (it becomes part of a channel name).
pub fn user_id(user_id: &Text) -> Result<(), Error> {
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
pub fn prefix_filter(prefix: &Text) -> Result<(), Error> {
    if prefix
        .as_bytes()
        .iter()
        .all(|byte| PREFIX_BYTES[usize::from(*byte)])
    {
        Ok(())
    } else {
        Err(Error::InvalidPrefixFilter(prefix.to_text_buf()))
    }
}

/// Where channel attributes are asked for: each place accepts its own (the API reference's rules,
/// which the local test server applies too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoScope<'a> {
    /// The `info` of a trigger or of a batch event: `user_count` and `subscription_count`.
    Event,
    /// `GET /channels` with this `filter_by_prefix`: only `user_count`, and only when the prefix
    /// limits the list to presence channels.
    ChannelList { prefix: &'a Text },
    /// `GET /channels/{channel}`: `user_count` for a presence channel, `subscription_count` for
    /// any other.
    Channel { channel: &'a Text },
}

/// Refuses channel attributes `scope` does not offer. `attributes` are exact names; unknown names
/// are refused first, all of them named.
pub fn info_attributes<'a, I>(attributes: I, scope: InfoScope<'_>) -> Result<(), Error>
where
    I: IntoIterator<Item = &'a Text>,
{
    let attributes: Vec<&Text> = attributes.into_iter().collect();
    let mut unknown: Vec<String> = attributes
        .iter()
        .filter(|name| {
            !INFO_ATTRIBUTES
                .iter()
                .any(|known| Text::new(known) == **name)
        })
        .map(ToString::to_string)
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        unknown.dedup();
        return Err(invalid(format!(
            "Unknown info attribute(s) {}; expected {}",
            unknown.join(", "),
            INFO_ATTRIBUTES.join(" or ")
        )));
    }
    let asks = |wanted: &str| attributes.iter().any(|name| **name == *Text::new(wanted));
    match scope {
        InfoScope::Event => Ok(()),
        InfoScope::ChannelList { prefix } => {
            if asks(SUBSCRIPTION_COUNT) {
                return Err(invalid(format!(
                    "The channel list does not offer {SUBSCRIPTION_COUNT}; only {USER_COUNT} \
                     (ask channel_info for one channel's {SUBSCRIPTION_COUNT})"
                )));
            }
            if asks(USER_COUNT) && !is_presence_channel(prefix) {
                return Err(invalid(format!(
                    "{USER_COUNT} on the channel list needs a prefix_filter starting with \
                     {PRESENCE_CHANNEL_PREFIX}"
                )));
            }
            Ok(())
        }
        InfoScope::Channel { channel } => {
            let presence = is_presence_channel(channel);
            if asks(USER_COUNT) && !presence {
                return Err(invalid(format!(
                    "{USER_COUNT} is only available for presence channels, not {channel}"
                )));
            }
            if asks(SUBSCRIPTION_COUNT) && presence {
                return Err(invalid(format!(
                    "{SUBSCRIPTION_COUNT} is not available for presence channels such as \
                     {channel} (ask for {USER_COUNT})"
                )));
            }
            Ok(())
        }
    }
}

/// Channel attributes to return, given as names (blanks and repeats are dropped), normalised to
/// `a,b`; `None` when nothing is asked for. Refused unless `scope` offers them all.
pub fn info<'a, I>(names: I, scope: InfoScope<'_>) -> Result<Option<String>, Error>
where
    I: IntoIterator<Item = &'a Text>,
{
    let mut wanted: Vec<&Text> = Vec::new();
    for name in names.into_iter().map(trim).filter(|name| !name.is_empty()) {
        if !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    info_attributes(wanted.iter().copied(), scope)?;
    if wanted.is_empty() {
        return Ok(None);
    }
    // Every name is one of the (ASCII) known attributes by now.
    let names: Vec<String> = wanted.iter().map(ToString::to_string).collect();
    Ok(Some(names.join(",")))
}

/// `text` without leading and trailing whitespace.
fn trim(text: &Text) -> &Text {
    if let Some(text) = text.to_str() {
        return Text::new(text.trim());
    }
    let bytes = text.as_bytes();
    let start = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(start, |last| last + 1);
    // SAFETY: ASCII bytes end and start whole sequences, so the slice is whole sequences.
    unsafe { Text::from_bytes_unchecked(&bytes[start..end]) }
}

/// Refuses event data whose encoding is longer than `limit` bytes (the API answers 413). `size`
/// is the length of its UTF-8 (a lone surrogate counts three bytes, as the server that decodes
/// `\ud800` stores it).
pub fn payload_size(size: usize, limit: usize) -> Result<(), Error> {
    if size > limit {
        return Err(invalid(format!(
            "Too much data: Event data is {size} bytes, the limit is {limit}"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
