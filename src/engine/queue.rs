//! The pending-event set.

use super::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A min-priority queue of timed events.
///
/// Events at the same time come out in the order they were scheduled (FIFO),
/// using an insertion counter as tie-break, so a run never depends on the
/// heap's internal layout. A binary heap suits the model: a deployment has a
/// few dozen pending events at a time (one or two per component), so a
/// calendar queue's bucket bookkeeping would cost more than it saves.
///
/// There is no cancellation: models tag events with an epoch and ignore stale
/// ones when they come out, which is cheaper than removing them from a heap.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

#[derive(Clone, Debug)]
struct Entry<E> {
    /// Time bits in the high half, insertion counter in the low half: times
    /// are non-negative, so their IEEE-754 bits order like the times, and
    /// one integer comparison orders by (time, insertion).
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(64), next_seq: 0 }
    }

    /// Schedules `event` at time `at`.
    ///
    /// # Panics
    /// If `at` is negative: simulated time starts at zero.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) {
        assert!(at.secs() >= 0.0, "event scheduled at negative time {}", at.secs());
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (u128::from(at.secs().to_bits()) << 64) | u128::from(seq);
        self.heap.push(Entry { key, event });
    }

    fn time(key: u128) -> SimTime {
        SimTime::from_secs(f64::from_bits((key >> 64) as u64))
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| Self::time(e.key))
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (Self::time(e.key), e.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops every pending event, keeping the allocation for reuse.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.next_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Differential test against a `BTreeMap` keyed by (time, insertion
        /// order): interleaved pushes and pops must agree exactly.
        #[test]
        fn matches_btreemap_reference(ops in prop::collection::vec((0u8..3, 0u32..50), 1..400)) {
            let mut queue = EventQueue::new();
            let mut reference = BTreeMap::new();
            let mut seq = 0u64;
            for (op, t) in ops {
                if op < 2 {
                    // Coarse times force many ties, exercising the FIFO rule.
                    let at = SimTime::from_secs(f64::from(t / 5));
                    queue.schedule(at, seq);
                    reference.insert((at, seq), seq);
                    seq += 1;
                } else {
                    let expected = reference.pop_first().map(|((at, _), v)| (at, v));
                    prop_assert_eq!(queue.pop(), expected);
                }
                prop_assert_eq!(queue.len(), reference.len());
            }
        }
    }

    #[test]
    fn simultaneous_events_come_out_fifo() {
        let mut queue = EventQueue::new();
        for i in 0..5 {
            queue.schedule(SimTime::from_secs(1.0), i);
        }
        queue.schedule(SimTime::ZERO, 99);
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec![99, 0, 1, 2, 3, 4]);
    }
}
