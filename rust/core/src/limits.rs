//! Every limit, prefix and alphabet of the Channels HTTP API, defined once. The checks in
//! `validate`, the request builders and (through `pusher_fast._native`) the Python package all
//! read them from here.

/// The most channels one event may go to.
pub const MAX_CHANNELS: usize = 100;
/// The most events in one `batch_events` request.
pub const MAX_BATCH_SIZE: usize = 10;
/// The longest channel name, in characters.
pub const MAX_CHANNEL_NAME_LENGTH: usize = 200;
/// The longest event name, in characters.
pub const MAX_EVENT_NAME_LENGTH: usize = 200;
/// The longest user id, in characters (a user id becomes part of a channel name).
pub const MAX_USER_ID_LENGTH: usize = 200;
/// The characters a channel name (and a user id) is made of.
pub const CHANNEL_NAME_CHARACTERS: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=@,.;";
/// Channels whose events are end-to-end encrypted.
pub const ENCRYPTED_CHANNEL_PREFIX: &str = "private-encrypted-";
/// Channels whose members are announced.
pub const PRESENCE_CHANNEL_PREFIX: &str = "presence-";
/// The channel of every connection of one signed-in user: the prefix, then the user id.
pub const SERVER_TO_USER_PREFIX: &str = "#server-to-user-";
/// The channel attribute counting a presence channel's distinct users.
pub const USER_COUNT: &str = "user_count";
/// The channel attribute counting a channel's subscribed connections.
pub const SUBSCRIPTION_COUNT: &str = "subscription_count";
/// The channel attributes an `info` parameter may ask for; which of them each endpoint offers is
/// `validate::InfoScope`'s rule.
pub const INFO_ATTRIBUTES: [&str; 2] = [USER_COUNT, SUBSCRIPTION_COUNT];
/// What the API accepts in one event's `data`, in bytes, on multi-tenant clusters (dedicated
/// clusters can allow more).
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 10_240;
/// How far the official SDK's `validate_webhook` lets a webhook's `time_ms` be from now.
pub const LEGACY_WEBHOOK_WINDOW_MS: u32 = 300_000;
/// The largest response body any transport reads: Pusher answers a few bytes (a channel list of a
/// big app stays well under this), and a bigger answer is refused instead of held in memory.
pub const MAX_RESPONSE_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Which bytes are in `characters`, as a lookup table.
pub(crate) const fn byte_set(characters: &str) -> [bool; 256] {
    let bytes = characters.as_bytes();
    let mut set = [false; 256];
    let mut index = 0;
    while index < bytes.len() {
        set[bytes[index] as usize] = true;
        index += 1;
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_channel_alphabet_is_ascii_letters_digits_and_seven_marks() {
        let set = byte_set(CHANNEL_NAME_CHARACTERS);
        let members: Vec<u8> = (0..=255u8).filter(|byte| set[usize::from(*byte)]).collect();
        let mut expected: Vec<u8> = (b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .chain(*b"-_=@,.;")
            .collect();
        expected.sort_unstable();
        assert_eq!(members, expected);
    }
}
