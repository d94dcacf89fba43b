//! Every random draw of a trajectory goes through [`Draws`]: one stream per
//! component, so that adding an instance does not shift the failures of the
//! others (common random numbers across designs), and one place where a
//! future failure-biasing scheme can reweight what is drawn.

use super::SlotId;
use super::component::{Component, Layout};
use crate::rng::{self, Rng};
use crate::scenario::Dist;
use rand::RngExt;

/// Whose stream a draw comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// A component's failures and repairs (and, for a replica, the
    /// promotion windows its failures open).
    Component(Component),
    /// Everything about the instances in one slot: failures, replacements,
    /// repairs, alerts, probe phases.
    Slot(SlotId),
    /// Deploys.
    Deploy,
    /// Maintenance windows.
    Maintenance,
    /// The on-call's actions not tied to one slot.
    Operator,
    /// Flash sales and crashes under overload.
    Traffic,
}

impl Stream {
    /// The deployment-wide streams, in [`Draws::wide`] order.
    const WIDE: [Stream; 4] = [Stream::Deploy, Stream::Maintenance, Stream::Operator, Stream::Traffic];

    /// The stream's identity, stable across versions of a scenario (a
    /// component's is [`Component::key`]).
    fn key(self) -> u64 {
        match self {
            Stream::Slot(s) => (4 << 32) + u64::from(s.0),
            Stream::Deploy => 5 << 32,
            Stream::Maintenance => (5 << 32) + 1,
            Stream::Operator => 6 << 32,
            Stream::Traffic => 7 << 32,
            Stream::Component(_) => unreachable!("a component's key is Component::key"),
        }
    }
}

/// The stream of region `r`'s place in the front of several regions (its
/// outages, its global health check's phase, its failover's times), from
/// the run's seed: a kind of its own in the keys' high bits, which no
/// deployment's stream shares (region 0's deployment draws from that seed
/// too).
pub(super) fn front(seed: u64, chunk: u64, r: u64) -> Rng {
    rng::stream(seed, chunk, front_key(r))
}

fn front_key(r: u64) -> u64 {
    (9 << 32) + r
}

/// The seed region `r`'s deployment draws from: the run's seed for region
/// 0, mixed with `r` for the others, so that no two (seed, region) pairs
/// share their streams.
pub(super) fn region_seed(seed: u64, r: u64) -> u64 {
    seed ^ r.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The random streams of one trajectory (one chunk of years).
#[derive(Clone, Debug)]
pub struct Draws {
    seed: u64,
    chunk: u64,
    /// The deployment-wide streams, in [`Stream::WIDE`] order.
    wide: Vec<Rng>,
    /// Streams of the components, by their [`Layout`] number.
    components: Vec<Rng>,
    layout: Layout,
    /// Streams of the slots, by slot id; grows with the fleet.
    slots: Vec<Rng>,
}

impl Draws {
    /// The streams of chunk `chunk` of a run seeded with `seed`, for the
    /// components of `layout`; `replica(g) = (i, r)` says which
    /// dependency's replica `g` is, and its number there.
    pub(super) fn new(seed: u64, chunk: u64, layout: Layout, replica: impl Fn(u16) -> (u16, u16)) -> Draws {
        let wide = Stream::WIDE.iter().map(|s| rng::stream(seed, chunk, s.key())).collect();
        let components = layout.all().map(|c| rng::stream(seed, chunk, c.key(&replica))).collect();
        Draws { seed, chunk, wide, components, layout, slots: vec![] }
    }

    /// Opens the stream of a new slot; slot ids are handed out in order.
    pub fn add_slot(&mut self, slot: SlotId) {
        debug_assert_eq!(slot.index(), self.slots.len(), "slots are added in id order");
        self.slots.push(rng::stream(self.seed, self.chunk, Stream::Slot(slot).key()));
    }

    #[inline]
    fn rng(&mut self, stream: Stream) -> &mut Rng {
        match stream {
            Stream::Slot(s) => &mut self.slots[s.index()],
            Stream::Component(c) => &mut self.components[self.layout.index(c)],
            Stream::Deploy => &mut self.wide[0],
            Stream::Maintenance => &mut self.wide[1],
            Stream::Operator => &mut self.wide[2],
            Stream::Traffic => &mut self.wide[3],
        }
    }

    /// A duration drawn from `dist` on `stream` [s].
    #[inline]
    pub fn sample(&mut self, stream: Stream, dist: &Dist) -> f64 {
        dist.sample(self.rng(stream))
    }

    /// An exponential duration of mean `mean` on `stream` [s].
    #[inline]
    pub fn exponential(&mut self, stream: Stream, mean: f64) -> f64 {
        mean * <rand_distr::Exp1 as rand_distr::Distribution<f64>>::sample(&rand_distr::Exp1, self.rng(stream))
    }

    /// A number uniform in [0, 1) on `stream`.
    #[inline]
    pub fn uniform(&mut self, stream: Stream) -> f64 {
        self.rng(stream).random::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether no two of `values` are equal.
    fn all_distinct(mut values: Vec<u64>) -> bool {
        let n = values.len();
        values.sort_unstable();
        values.dedup();
        values.len() == n
    }

    /// Region 0 draws from the run's seed; other regions from seeds of
    /// their own, whatever the run's seed.
    #[test]
    fn every_region_has_a_seed_of_its_own() {
        assert_eq!(region_seed(7, 0), 7);
        assert!(all_distinct((0..64).flat_map(|seed| (0..4).map(move |r| region_seed(seed, r))).collect()));
    }

    /// Every stream a trajectory draws from has a key of its own: the
    /// components' (replicas included), the slots', the deployment-wide
    /// ones and the regions' places in the front, all drawn from one seed
    /// in region 0.
    #[test]
    fn every_stream_has_a_key_of_its_own() {
        let layout = Layout::new(2, &super::super::domains::tests::topology(3, 2), 8);
        // Replicas 0..3 of dependency 0, then 0..3 of dependency 1.
        let mut keys: Vec<u64> = layout.all().map(|c| c.key(|g| (g / 4, g % 4))).collect();
        keys.extend((0..16).map(|s| Stream::Slot(SlotId(s)).key()));
        keys.extend(Stream::WIDE.iter().map(|s| s.key()));
        keys.extend((0..crate::scenario::MOST_REGIONS as u64).map(front_key));
        assert!(all_distinct(keys), "distinct keys");
        // The high half of a key names its kind, whatever the index.
        let mut tags: std::collections::BTreeMap<String, std::collections::BTreeSet<u64>> = Default::default();
        let mut tag = |kind: String, key: u64| tags.entry(kind).or_default().insert(key >> 32);
        for c in layout.all() {
            let kind = match c {
                Component::Outage(kind, _) => format!("{kind:?}"),
                _ => format!("{:?}", std::mem::discriminant(&c)),
            };
            tag(kind, c.key(|g| (g / 4, g % 4)));
        }
        (0..16).for_each(|s| _ = tag("slot".into(), Stream::Slot(SlotId(s)).key()));
        (0..crate::scenario::MOST_REGIONS as u64).for_each(|r| _ = tag("front".into(), front_key(r)));
        let kinds: Vec<_> = tags.values().map(|t| Vec::from_iter(t.iter().copied())).collect();
        assert!(kinds.iter().all(|t| t.len() == 1), "one tag a kind: {tags:?}");
        assert!(all_distinct(kinds.iter().map(|t| t[0]).collect()), "a tag for each kind: {tags:?}");
    }
}
