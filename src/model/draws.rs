//! Every random draw of a trajectory goes through [`Draws`]: one stream per
//! component, so that adding an instance does not shift the failures of the
//! others (common random numbers across designs), and one place where a
//! future failure-biasing scheme can reweight what is drawn.

use super::SlotId;
use super::id16;
use crate::rng::{self, Rng};
use crate::scenario::Dist;
use rand::RngExt;

/// Whose stream a draw comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// The load balancer's failures and repairs.
    LoadBalancer,
    /// Dependency `i`'s failures and repairs.
    Dependency(u16),
    /// Availability domain `i`'s outages.
    Ad(u16),
    /// Fault domain `i`'s outages.
    Fd(u16),
    /// Replica `g` of a replicated dependency (numbered over every tier):
    /// its failures and repairs, and the promotion windows its failures open.
    Replica(u16),
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
    /// The stream's identity, stable across versions of a scenario: the
    /// component kind in the high bits, its index in the low ones.
    fn key(self) -> u64 {
        match self {
            Stream::LoadBalancer => 0,
            Stream::Dependency(i) => (1 << 32) + u64::from(i),
            Stream::Ad(i) => (2 << 32) + u64::from(i),
            Stream::Fd(i) => (3 << 32) + u64::from(i),
            Stream::Slot(s) => (4 << 32) + u64::from(s.0),
            Stream::Replica(_) => unreachable!("a replica's key is its dependency's and its number"),
            Stream::Deploy => 5 << 32,
            Stream::Maintenance => (5 << 32) + 1,
            Stream::Operator => 6 << 32,
            Stream::Traffic => 7 << 32,
        }
    }
}

/// The random streams of one trajectory (one chunk of years).
#[derive(Clone, Debug)]
pub struct Draws {
    seed: u64,
    chunk: u64,
    /// Streams of the fixed components, by [`Draws::fixed_index`].
    fixed: Vec<Rng>,
    /// Streams of the slots, by slot id; grows with the fleet.
    slots: Vec<Rng>,
    /// Streams of the replicas, by global replica number.
    replicas: Vec<Rng>,
    dependencies: usize,
    ads: usize,
}

impl Draws {
    /// The streams of chunk `chunk` of a run seeded with `seed`, for
    /// `dependencies` dependencies, `ads` availability domains and `fds`
    /// fault domains.
    pub fn new(seed: u64, chunk: u64, dependencies: usize, ads: usize, fds: usize) -> Draws {
        let fixed_streams =
            [Stream::LoadBalancer, Stream::Deploy, Stream::Maintenance, Stream::Operator, Stream::Traffic]
                .into_iter()
                .chain((0..dependencies).map(|i| Stream::Dependency(id16(i))))
                .chain((0..ads).map(|i| Stream::Ad(id16(i))))
                .chain((0..fds).map(|i| Stream::Fd(id16(i))));
        let fixed = fixed_streams.map(|s| rng::stream(seed, chunk, s.key())).collect();
        Draws { seed, chunk, fixed, slots: vec![], replicas: vec![], dependencies, ads }
    }

    /// Opens the stream of a new slot; slot ids are handed out in order.
    pub fn add_slot(&mut self, slot: SlotId) {
        debug_assert_eq!(slot.index(), self.slots.len(), "slots are added in id order");
        self.slots.push(rng::stream(self.seed, self.chunk, Stream::Slot(slot).key()));
    }

    /// Opens the stream of the next replica (global numbers are handed out
    /// in order): replica `r` of dependency `dependency`, keyed by both, so
    /// that a tier's replica keeps its draws whatever the other tiers hold.
    pub fn add_replica(&mut self, dependency: u16, r: u16) {
        let key = (8 << 32) + (u64::from(dependency) << 16) + u64::from(r);
        self.replicas.push(rng::stream(self.seed, self.chunk, key));
    }

    fn fixed_index(&self, stream: Stream) -> usize {
        match stream {
            Stream::LoadBalancer => 0,
            Stream::Deploy => 1,
            Stream::Maintenance => 2,
            Stream::Operator => 3,
            Stream::Traffic => 4,
            Stream::Dependency(i) => 5 + usize::from(i),
            Stream::Ad(i) => 5 + self.dependencies + usize::from(i),
            Stream::Fd(i) => 5 + self.dependencies + self.ads + usize::from(i),
            Stream::Slot(_) | Stream::Replica(_) => unreachable!("slot and replica streams are kept apart"),
        }
    }

    #[inline]
    fn rng(&mut self, stream: Stream) -> &mut Rng {
        match stream {
            Stream::Slot(s) => &mut self.slots[s.index()],
            Stream::Replica(g) => &mut self.replicas[usize::from(g)],
            fixed => {
                let i = self.fixed_index(fixed);
                &mut self.fixed[i]
            }
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
