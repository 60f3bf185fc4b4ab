//! Packing a stream of events into `batch_events` requests for the bulk publisher.
//!
//! Every channel is assigned to one lane by a hash of its name; a lane's requests are sent one
//! after another, so the events of one channel arrive in the order they were submitted while
//! different lanes proceed in parallel. Items wait in their lane until ten are there (a full
//! batch) or the stream ends; the body is written item by item, so a full batch only needs
//! signing.

use crate::error::Error;
use crate::limits::MAX_BATCH_SIZE;
use crate::request::BulkEvent;
use crate::text::TextBuf;

/// The keys a bulk event may have.
pub const EVENT_KEYS: [&str; 5] = ["channel", "channels", "name", "data", "socket_id"];

/// The members of one bulk event as the caller's mapping holds them, not yet converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMembers<T> {
    pub channel: Option<T>,
    pub channels: Option<T>,
    pub name: Option<T>,
    pub data: Option<T>,
    pub socket_id: Option<T>,
}

/// Where a bulk event names its channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventChannels<T> {
    /// `channel`: one name.
    One(T),
    /// `channels`: a list of names.
    Many(T),
}

/// A bulk event of the right shape: its channels, name and data, and maybe a socket id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventShape<T> {
    pub channels: EventChannels<T>,
    pub name: T,
    pub data: T,
    pub socket_id: Option<T>,
}

impl<T> EventMembers<T> {
    /// How many of the known members are present: a mapping with more keys has unknown ones.
    pub fn count(&self) -> usize {
        [
            self.channel.is_some(),
            self.channels.is_some(),
            self.name.is_some(),
            self.data.is_some(),
            self.socket_id.is_some(),
        ]
        .into_iter()
        .filter(|present| *present)
        .count()
    }

    /// Checks the shape of the event: no keys outside [`EVENT_KEYS`] (`unknown` lists those the
    /// mapping has), `channel` or `channels` but not both, `name` and `data`.
    pub fn check(self, mut unknown: Vec<String>) -> Result<EventShape<T>, Error> {
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(Error::InvalidInput(format!(
                "event has unknown key(s) {}",
                unknown.join(", ")
            )));
        }
        let channels = match (self.channel, self.channels) {
            (Some(channel), None) => EventChannels::One(channel),
            (None, Some(channels)) => EventChannels::Many(channels),
            (Some(_), Some(_)) => {
                return Err(Error::InvalidInput(
                    "event has both 'channel' and 'channels'; give one".to_owned(),
                ))
            }
            (None, None) => return Err(Error::InvalidInput("event has no 'channel'".to_owned())),
        };
        let missing = |key: &str| Error::InvalidInput(format!("event has no '{key}'"));
        Ok(EventShape {
            channels,
            name: self.name.ok_or_else(|| missing("name"))?,
            data: self.data.ok_or_else(|| missing("data"))?,
            socket_id: self.socket_id,
        })
    }
}

/// Whether `key` may appear in a bulk event.
pub fn is_event_key(key: &str) -> bool {
    EVENT_KEYS.contains(&key)
}

/// Bulk events packed into per-lane `batch_events` bodies, written as they come: an event is
/// copied into its lane's body once, and nothing is allocated per event. Each item carries a tag
/// `T` of the caller's (where the event came from), given back with its batch.
pub struct Packer<T> {
    lanes: Vec<LaneBatch<T>>,
}

/// The batch a lane is filling: its body so far and the tags of its items.
struct LaneBatch<T> {
    body: TextBuf,
    tags: Vec<T>,
    /// The size of the lane's last full body: the next one starts with room for as much.
    capacity: usize,
}

const BODY_START: &str = "{\"batch\": [";
const BODY_END: &str = "]}";

impl<T> LaneBatch<T> {
    fn new(capacity: usize) -> Self {
        let mut body = TextBuf::with_capacity(capacity);
        body.push_str(BODY_START);
        Self {
            body,
            tags: Vec::with_capacity(MAX_BATCH_SIZE),
            capacity,
        }
    }

    fn take(&mut self, lane: usize) -> PackedBatch<T> {
        self.body.push_str(BODY_END);
        self.capacity = self.capacity.max(self.body.len());
        let full = std::mem::replace(self, Self::new(self.capacity));
        PackedBatch {
            lane,
            body: full.body.into_bytes(),
            tags: full.tags,
        }
    }
}

/// A full (or final) batch of one lane: a complete `batch_events` body of 1 to 10 items.
#[derive(Debug, PartialEq, Eq)]
pub struct PackedBatch<T> {
    pub lane: usize,
    pub body: Vec<u8>,
    /// The tag of each item, in order.
    pub tags: Vec<T>,
}

/// FNV-1a: stable across runs and platforms, cheap for short names, evenly spread.
fn lane_of(channel: &[u8], lanes: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in channel {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // The modulo of a u64 by a usize lane count always fits back into usize.
    (hash % lanes as u64) as usize
}

impl<T> Packer<T> {
    /// A packer over `lanes` lanes (at least one).
    pub fn new(lanes: usize) -> Self {
        Self {
            lanes: (0..lanes.max(1)).map(|_| LaneBatch::new(1024)).collect(),
        }
    }

    pub fn lane_count(&self) -> usize {
        self.lanes.len()
    }

    /// Writes the items of `event`, one per channel, each into its channel's lane and tagged
    /// with a call of `tag`; a lane's batch goes to `full` once it holds ten.
    pub fn push(
        &mut self,
        event: &BulkEvent<'_>,
        mut tag: impl FnMut() -> T,
        full: &mut Vec<PackedBatch<T>>,
    ) {
        for channel in event.channels {
            let lane = lane_of(channel.as_bytes(), self.lanes.len());
            let batch = &mut self.lanes[lane];
            if !batch.tags.is_empty() {
                batch.body.push_str(", ");
            }
            event.write_item(channel, &mut batch.body);
            batch.tags.push(tag());
            if batch.tags.len() == MAX_BATCH_SIZE {
                full.push(batch.take(lane));
            }
        }
    }

    /// The partly filled batches, lane by lane; the packer is empty afterwards.
    pub fn flush(&mut self) -> Vec<PackedBatch<T>> {
        self.lanes
            .iter_mut()
            .enumerate()
            .filter(|(_, batch)| !batch.tags.is_empty())
            .map(|(lane, batch)| batch.take(lane))
            .collect()
    }

    /// How many items wait in partly filled batches.
    pub fn pending(&self) -> usize {
        self.lanes.iter().map(|batch| batch.tags.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{AppCredentials, EventData, TriggerEvent};
    use crate::text::Text;

    fn app() -> AppCredentials {
        AppCredentials::new("1".into(), "key".into(), b"secret", None, 10_240)
    }

    /// Packs the event `{"channel(s)": channels, "name": "e", "data": "<index>"}`.
    fn push(
        packer: &mut Packer<u64>,
        index: u64,
        channels: &[&str],
        full: &mut Vec<PackedBatch<u64>>,
    ) {
        let channels: Vec<&Text> = channels.iter().map(|name| Text::new(name)).collect();
        let data = index.to_string();
        let event = TriggerEvent {
            channels: &channels,
            name: Text::new("e"),
            data: EventData::Text(Text::new(&data)),
            socket_id: None,
            info: None,
        };
        packer.push(&app().bulk_event(&event).unwrap(), || index, full);
    }

    fn members(keys: &[&'static str]) -> EventMembers<&'static str> {
        let get = |key: &'static str| keys.contains(&key).then_some(key);
        EventMembers {
            channel: get("channel"),
            channels: get("channels"),
            name: get("name"),
            data: get("data"),
            socket_id: get("socket_id"),
        }
    }

    fn refusal(keys: &[&'static str], unknown: &[&str]) -> String {
        let unknown = unknown.iter().map(|key| (*key).to_owned()).collect();
        members(keys).check(unknown).unwrap_err().to_string()
    }

    #[test]
    fn event_shapes() {
        let shape = members(&["channel", "name", "data"])
            .check(Vec::new())
            .unwrap();
        assert_eq!(shape.channels, EventChannels::One("channel"));
        assert_eq!(
            (shape.name, shape.data, shape.socket_id),
            ("name", "data", None)
        );
        let shape = members(&EVENT_KEYS).check(Vec::new());
        assert_eq!(
            shape.unwrap_err().to_string(),
            "event has both 'channel' and 'channels'; give one"
        );
        let shape = members(&["channels", "name", "data", "socket_id"]).check(Vec::new());
        assert_eq!(shape.unwrap().channels, EventChannels::Many("channels"));
        assert_eq!(members(&["name", "data"]).count(), 2);

        assert_eq!(refusal(&["name", "data"], &[]), "event has no 'channel'");
        assert_eq!(refusal(&["channel", "data"], &[]), "event has no 'name'");
        assert_eq!(refusal(&["channel", "name"], &[]), "event has no 'data'");
        assert_eq!(
            refusal(&["channel", "name", "data"], &["zeta", "info"]),
            "event has unknown key(s) info, zeta"
        );
        assert!(EVENT_KEYS.iter().all(|key| is_event_key(key)));
        assert!(!is_event_key("info") && !is_event_key("Channel"));
    }

    #[test]
    fn a_channel_always_maps_to_the_same_lane() {
        for lanes in [1, 2, 7, 16, 64] {
            for name in ["a", "orders", "presence-room-42", "é"] {
                let lane = lane_of(name.as_bytes(), lanes);
                assert!(lane < lanes);
                assert_eq!(lane, lane_of(name.as_bytes(), lanes));
            }
        }
    }

    #[test]
    fn channels_spread_over_lanes() {
        let lanes = 16;
        let mut used = vec![0usize; lanes];
        for index in 0..1600 {
            used[lane_of(format!("channel-{index}").as_bytes(), lanes)] += 1;
        }
        assert!(
            used.iter().all(|&count| (50..150).contains(&count)),
            "{used:?}"
        );
    }

    #[test]
    fn full_batches_come_out_in_order_and_the_rest_on_flush() {
        let mut packer = Packer::new(4);
        let mut batches = Vec::new();
        for index in 0..25 {
            push(&mut packer, index, &["same-channel"], &mut batches);
        }
        assert_eq!(batches.len(), 2);
        assert_eq!(packer.pending(), 5);
        let rest = packer.flush();
        assert_eq!(rest.len(), 1);
        assert_eq!(packer.pending(), 0);
        assert!(packer.flush().is_empty());
        let all: Vec<&PackedBatch<u64>> = batches.iter().chain(&rest).collect();
        let order: Vec<u64> = all
            .iter()
            .flat_map(|batch| batch.tags.iter().copied())
            .collect();
        assert_eq!(order, (0..25).collect::<Vec<_>>());
        assert!(all.iter().all(|batch| batch.lane == batches[0].lane));
        for batch in all {
            let items: Vec<String> = batch
                .tags
                .iter()
                .map(|index| {
                    format!(r#"{{"channel": "same-channel", "name": "e", "data": "{index}"}}"#)
                })
                .collect();
            let expected = format!(r#"{{"batch": [{}]}}"#, items.join(", "));
            assert_eq!(String::from_utf8(batch.body.clone()).unwrap(), expected);
        }
    }

    #[test]
    fn a_multi_channel_event_gives_one_item_per_channel_in_each_lane() {
        let mut packer = Packer::new(16);
        let mut full = Vec::new();
        let channels = ["a", "b", "c"];
        push(&mut packer, 7, &channels, &mut full);
        assert!(full.is_empty());
        assert_eq!(packer.pending(), 3);
        let batches = packer.flush();
        let mut bodies: Vec<(usize, String)> = Vec::new();
        for batch in &batches {
            assert!(batch.tags.iter().all(|index| *index == 7));
            bodies.push((batch.lane, String::from_utf8(batch.body.clone()).unwrap()));
        }
        for channel in channels {
            let item = format!(r#"{{"channel": "{channel}", "name": "e", "data": "7"}}"#);
            let lane = lane_of(channel.as_bytes(), 16);
            let (_, body) = bodies.iter().find(|(at, _)| *at == lane).unwrap();
            assert!(body.contains(&item), "{body}");
        }
    }

    #[test]
    fn zero_lanes_means_one() {
        let mut packer = Packer::new(0);
        assert_eq!(packer.lane_count(), 1);
        let mut full = Vec::new();
        push(&mut packer, 0, &["a"], &mut full);
        assert!(full.is_empty());
        assert_eq!(packer.flush().len(), 1);
    }
}
