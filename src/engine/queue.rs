//! The pending-event set: one timer per thing that can be pending.

use super::SimTime;

/// Names one timer of a queue: a dense index the model assigns (one per
/// component, per slot and kind of slot event, and so on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timer(pub u32);

impl Timer {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A min-priority queue of timed events, each held by a [`Timer`].
///
/// A timer holds at most one pending event: scheduling it again replaces
/// that event, and [`EventQueue::cancel`] removes it. So an event that can
/// no longer happen leaves the queue when it becomes impossible, instead of
/// coming out later to be recognised as stale, and the queue never holds
/// more entries than the model has timers.
///
/// An indexed binary heap: each timer knows its position, so replacing or
/// cancelling is O(log n) like a push, and 10,000 instances cost per event
/// the logarithm more than six. Events at the same time come out in the
/// order they were scheduled (FIFO), using an insertion counter as
/// tie-break, so a run never depends on the heap's layout.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    /// Entries ([`EventQueue::entry`]), a min-heap.
    heap: Vec<u128>,
    /// Each timer's position in `heap`, or [`EventQueue::IDLE`].
    position: Vec<u32>,
    /// Each timer's pending event (meaningful while it is in the heap).
    events: Vec<Option<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// The position of a timer with nothing pending.
    const IDLE: u32 = u32::MAX;
    /// Bits of an entry that name its timer.
    const TIMER_BITS: u32 = 24;
    /// Timers a queue can hold: three per slot of 65,535 and then some.
    pub const MAX_TIMERS: u32 = 1 << Self::TIMER_BITS;

    /// An empty queue.
    pub fn new() -> Self {
        EventQueue { heap: Vec::with_capacity(64), position: vec![], events: vec![], next_seq: 0 }
    }

    /// One integer that orders entries by (time, insertion) and names the
    /// timer: time bits in the high half (times are non-negative, so their
    /// IEEE-754 bits order like the times), then the insertion counter,
    /// then the timer in the low 24 bits.
    fn entry(&mut self, at: SimTime, timer: Timer) -> u128 {
        assert!(at.secs() >= 0.0, "event scheduled at negative time {}", at.secs());
        let seq = self.next_seq;
        assert!(seq < 1 << 40, "more than 2^40 events scheduled in one run");
        self.next_seq += 1;
        (u128::from(at.secs().to_bits()) << 64) | (u128::from(seq) << Self::TIMER_BITS) | u128::from(timer.0)
    }

    fn time(entry: u128) -> SimTime {
        SimTime::from_secs(f64::from_bits((entry >> 64) as u64))
    }

    fn timer(entry: u128) -> usize {
        (entry as usize) & (Self::MAX_TIMERS as usize - 1)
    }

    /// Schedules `event` at `at` on `timer`, replacing what it held.
    ///
    /// # Panics
    /// If `at` is negative (simulated time starts at zero), or the timer
    /// is beyond [`EventQueue::MAX_TIMERS`].
    #[inline]
    pub fn schedule(&mut self, timer: Timer, at: SimTime, event: E) {
        let t = timer.index();
        if t >= self.position.len() {
            self.grow(timer);
        }
        let entry = self.entry(at, timer);
        self.events[t] = Some(event);
        match self.position[t] {
            Self::IDLE => {
                self.heap.push(entry);
                self.sift_up(self.heap.len() - 1, entry);
            }
            at => {
                let i = at as usize;
                if entry < self.heap[i] { self.sift_up(i, entry) } else { self.sift_down(i, entry) }
            }
        }
    }

    /// Makes room for timers up to `timer`.
    #[cold]
    fn grow(&mut self, timer: Timer) {
        assert!(timer.0 < Self::MAX_TIMERS, "timer {} beyond the queue's numbering", timer.0);
        let n = timer.index() + 1;
        self.position.resize(n, Self::IDLE);
        self.events.resize_with(n, || None);
    }

    /// Schedules `event` at `at` on `timer` unless it already holds an
    /// event due no later: of two reasons for the same thing, the first
    /// to come does it.
    pub fn schedule_first(&mut self, timer: Timer, at: SimTime, event: E) {
        if self.due(timer).is_none_or(|due| at < due) {
            self.schedule(timer, at, event);
        }
    }

    /// Cancels what `timer` holds, if anything.
    #[inline]
    pub fn cancel(&mut self, timer: Timer) {
        let Some(&at) = self.position.get(timer.index()) else { return };
        if at != Self::IDLE {
            self.remove(at as usize);
            self.events[timer.index()] = None;
        }
    }

    /// When `timer`'s event is due, if one is pending.
    pub fn due(&self, timer: Timer) -> Option<SimTime> {
        match self.position.get(timer.index()) {
            Some(&at) if at != Self::IDLE => Some(Self::time(self.heap[at as usize])),
            _ => None,
        }
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|&e| Self::time(e))
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let &first = self.heap.first()?;
        self.position[Self::timer(first)] = Self::IDLE;
        let last = self.heap.pop().expect("the heap is not empty");
        if !self.heap.is_empty() {
            self.sift_down(0, last);
        }
        let event = self.events[Self::timer(first)].take().expect("a timer in the heap holds an event");
        Some((Self::time(first), event))
    }

    /// Takes the entry at position `i` out of the heap.
    fn remove(&mut self, i: usize) {
        let removed = self.heap[i];
        self.position[Self::timer(removed)] = Self::IDLE;
        let last = self.heap.pop().expect("the heap holds the entry");
        if i < self.heap.len() {
            if last < removed { self.sift_up(i, last) } else { self.sift_down(i, last) }
        }
    }

    /// Places `entry` at or above the hole at `i`, moving larger parents down.
    fn sift_up(&mut self, mut i: usize, entry: u128) {
        while i > 0 {
            let parent = (i - 1) / 2;
            let above = self.heap[parent];
            if above <= entry {
                break;
            }
            self.put(i, above);
            i = parent;
        }
        self.put(i, entry);
    }

    /// Places `entry` at or below the hole at `i`, moving smaller children up.
    fn sift_down(&mut self, mut i: usize, entry: u128) {
        let n = self.heap.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let mut child = left;
            let mut below = self.heap[left];
            if left + 1 < n && self.heap[left + 1] < below {
                child = left + 1;
                below = self.heap[child];
            }
            if entry <= below {
                break;
            }
            self.put(i, below);
            i = child;
        }
        self.put(i, entry);
    }

    fn put(&mut self, i: usize, entry: u128) {
        self.heap[i] = entry;
        self.position[Self::timer(entry)] = i as u32;
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
        self.position.fill(Self::IDLE);
        self.events.fill_with(|| None);
        self.next_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Differential test against a reference built from a `BTreeMap`
        /// keyed by (time, insertion order) and each timer's pending entry:
        /// interleaved schedules, replacements, cancellations and pops must
        /// agree exactly.
        #[test]
        fn matches_btreemap_reference(ops in prop::collection::vec((0u8..5, 0u32..50, 0u32..12), 1..400)) {
            let mut queue = EventQueue::new();
            let mut reference: BTreeMap<(SimTime, u64), (u32, u64)> = BTreeMap::new();
            let mut pending: BTreeMap<u32, (SimTime, u64)> = BTreeMap::new();
            let mut seq = 0u64;
            for (op, t, timer) in ops {
                match op {
                    0..=2 => {
                        // Coarse times force many ties, exercising the FIFO rule.
                        let at = SimTime::from_secs(f64::from(t / 5));
                        queue.schedule(Timer(timer), at, seq);
                        if let Some(old) = pending.insert(timer, (at, seq)) {
                            reference.remove(&old);
                        }
                        reference.insert((at, seq), (timer, seq));
                        seq += 1;
                    }
                    3 => {
                        queue.cancel(Timer(timer));
                        if let Some(old) = pending.remove(&timer) {
                            reference.remove(&old);
                        }
                    }
                    _ => {
                        let expected = reference.pop_first().map(|((at, _), (timer, v))| {
                            pending.remove(&timer);
                            (at, v)
                        });
                        prop_assert_eq!(queue.pop(), expected);
                    }
                }
                prop_assert_eq!(queue.len(), reference.len());
                for (&timer, &(at, _)) in &pending {
                    prop_assert_eq!(queue.due(Timer(timer)), Some(at));
                }
            }
        }
    }

    #[test]
    fn simultaneous_events_come_out_fifo() {
        let mut queue = EventQueue::new();
        for i in 0..5 {
            queue.schedule(Timer(i), SimTime::from_secs(1.0), i);
        }
        queue.schedule(Timer(9), SimTime::ZERO, 99);
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec![99, 0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_timer_holds_one_event_and_the_first_reason_wins() {
        let mut queue = EventQueue::new();
        let timer = Timer(3);
        queue.schedule(timer, SimTime::from_secs(5.0), 'a');
        queue.schedule(timer, SimTime::from_secs(7.0), 'b');
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.due(timer), Some(SimTime::from_secs(7.0)));
        queue.schedule_first(timer, SimTime::from_secs(9.0), 'c');
        assert_eq!(queue.due(timer), Some(SimTime::from_secs(7.0)));
        queue.schedule_first(timer, SimTime::from_secs(6.0), 'd');
        assert_eq!(queue.pop(), Some((SimTime::from_secs(6.0), 'd')));
        assert_eq!(queue.pop(), None);
        queue.schedule(timer, SimTime::from_secs(1.0), 'e');
        queue.cancel(timer);
        queue.cancel(Timer(1000));
        assert!(queue.is_empty());
        assert_eq!(queue.due(timer), None);
    }
}
