//! Packing a stream of events into `batch_events` requests for the bulk publisher.
//!
//! Every channel is assigned to one lane by a hash of its name; a lane's requests are sent one
//! after another, so the events of one channel arrive in the order they were submitted while
//! different lanes proceed in parallel. Items wait in their lane until ten are there (a full
//! batch) or the stream ends.

use crate::request::BulkItem;
use crate::validate::MAX_BATCH_SIZE;

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

    fn item(index: u64, channel: &str) -> BulkItem {
        BulkItem {
            event_index: index,
            channel: channel.to_owned(),
            name: "e".to_owned(),
            data: index.to_string(),
            socket_id: None,
        }
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
