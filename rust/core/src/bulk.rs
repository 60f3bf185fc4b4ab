//! Packing a stream of events into `batch_events` requests for the bulk publisher.
//!
//! Every channel is assigned to one lane by a hash of its name; a lane's requests are sent one
//! after another, so the events of one channel arrive in the order they were submitted while
//! different lanes proceed in parallel. Items wait in their lane until ten are there (a full
//! batch) or the stream ends.

use crate::error::Error;
use crate::limits::MAX_BATCH_SIZE;
use crate::request::BulkItem;

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

/// Items grouped into per-lane batches.
pub struct Packer {
    lanes: Vec<Vec<BulkItem>>,
}

/// A full (or final) batch of one lane.
#[derive(Debug, PartialEq, Eq)]
pub struct PackedBatch {
    pub lane: usize,
    pub items: Vec<BulkItem>,
}

/// FNV-1a: stable across runs and platforms, cheap for short names, evenly spread.
fn lane_of(channel: &str, lanes: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in channel.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // The modulo of a u64 by a usize lane count always fits back into usize.
    (hash % lanes as u64) as usize
}

impl Packer {
    /// A packer over `lanes` lanes (at least one).
    pub fn new(lanes: usize) -> Self {
        Self {
            lanes: (0..lanes.max(1)).map(|_| Vec::new()).collect(),
        }
    }

    pub fn lane_count(&self) -> usize {
        self.lanes.len()
    }

    /// Adds an item to its channel's lane; returns that lane's batch once it holds ten.
    pub fn push(&mut self, item: BulkItem) -> Option<PackedBatch> {
        let lane = lane_of(&item.channel, self.lanes.len());
        let pending = &mut self.lanes[lane];
        pending.push(item);
        (pending.len() == MAX_BATCH_SIZE).then(|| PackedBatch {
            lane,
            items: std::mem::replace(pending, Vec::with_capacity(MAX_BATCH_SIZE)),
        })
    }

    /// The partly filled batches, lane by lane; the packer is empty afterwards.
    pub fn flush(&mut self) -> Vec<PackedBatch> {
        self.lanes
            .iter_mut()
            .enumerate()
            .filter(|(_, pending)| !pending.is_empty())
            .map(|(lane, pending)| PackedBatch {
                lane,
                items: std::mem::take(pending),
            })
            .collect()
    }

    /// How many items wait in partly filled batches.
    pub fn pending(&self) -> usize {
        self.lanes.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::EventDataBuf;

    fn item(index: u64, channel: &str) -> BulkItem {
        BulkItem {
            event_index: index,
            channel: channel.to_owned(),
            name: "e".into(),
            data: EventDataBuf::Text(index.to_string().into()),
            socket_id: None,
        }
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
                let lane = lane_of(name, lanes);
                assert!(lane < lanes);
                assert_eq!(lane, lane_of(name, lanes));
            }
        }
    }

    #[test]
    fn channels_spread_over_lanes() {
        let lanes = 16;
        let mut used = vec![0usize; lanes];
        for index in 0..1600 {
            used[lane_of(&format!("channel-{index}"), lanes)] += 1;
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
            batches.extend(packer.push(item(index, "same-channel")));
        }
        assert_eq!(batches.len(), 2);
        assert_eq!(packer.pending(), 5);
        let rest = packer.flush();
        assert_eq!(rest.len(), 1);
        assert_eq!(packer.pending(), 0);
        let order: Vec<u64> = batches
            .iter()
            .chain(&rest)
            .flat_map(|batch| batch.items.iter().map(|item| item.event_index))
            .collect();
        assert_eq!(order, (0..25).collect::<Vec<_>>());
        assert!(batches
            .iter()
            .chain(&rest)
            .all(|batch| batch.lane == batches[0].lane));
    }

    #[test]
    fn zero_lanes_means_one() {
        let mut packer = Packer::new(0);
        assert_eq!(packer.lane_count(), 1);
        assert!(packer.push(item(0, "a")).is_none());
        assert_eq!(packer.flush().len(), 1);
    }
}
