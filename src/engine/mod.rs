//! The discrete-event core: simulated time, the event queue and the run loop.
//!
//! The engine knows nothing about instances, load balancers or availability;
//! it orders events and hands them to a [`Model`] one at a time. Keeping it
//! model-agnostic lets the queue be tested and benchmarked on its own.

mod queue;
mod time;

pub use queue::{EventQueue, Timer};
pub use time::SimTime;

/// A simulated system driven by the engine.
pub trait Model {
    /// The model's event type; small and `Copy` so the queue stays cache-friendly.
    type Event: Copy;

    /// Handles one event at time `now`, scheduling follow-ups on `queue`.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Runs `model` until the next event would happen after `end`; returns the
/// number of events handled.
///
/// Events scheduled exactly at `end` are still handled, so a state change at
/// the boundary is seen by whoever reads the model afterwards.
pub fn run_until<M: Model>(model: &mut M, queue: &mut EventQueue<M::Event>, end: SimTime) -> u64 {
    run_ticking(model, queue, end, &mut |_| true)
}

/// Events between two calls of [`run_ticking`]'s `tick`: rare enough to
/// cost nothing, frequent enough to report progress within a second
/// however slow the events.
pub const TICK_EVENTS: u64 = 1 << 16;

/// [`run_until`], calling `tick` with the simulated time every
/// [`TICK_EVENTS`] events (for progress on long stretches); it stops
/// there, before `end`, when `tick` returns false.
#[inline(always)]
pub fn run_ticking<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    end: SimTime,
    tick: &mut dyn FnMut(SimTime) -> bool,
) -> u64 {
    let mut handled = 0;
    while let Some(at) = queue.peek_time() {
        if at > end {
            break;
        }
        let (now, event) = queue.pop().expect("peeked event is present");
        model.handle(now, event, queue);
        handled += 1;
        if handled % TICK_EVENTS == 0 && !tick(now) {
            break;
        }
    }
    handled
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts down: each event schedules the next one second later.
    struct Countdown {
        seen: Vec<f64>,
    }

    impl Model for Countdown {
        type Event = u32;
        fn handle(&mut self, now: SimTime, left: u32, queue: &mut EventQueue<u32>) {
            self.seen.push(now.secs());
            if left > 0 {
                queue.schedule(Timer(0), now + 1.0, left - 1);
            }
        }
    }

    #[test]
    fn run_until_stops_after_end_and_handles_events_at_end() {
        let mut model = Countdown { seen: vec![] };
        let mut queue = EventQueue::new();
        queue.schedule(Timer(0), SimTime::ZERO, 10);
        let handled = run_until(&mut model, &mut queue, SimTime::from_secs(3.0));
        assert_eq!(handled, 4);
        assert_eq!(model.seen, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(queue.peek_time(), Some(SimTime::from_secs(4.0)));
    }

    #[test]
    fn ticks_come_every_tick_events() {
        let mut model = Countdown { seen: vec![] };
        let mut queue = EventQueue::new();
        queue.schedule(Timer(0), SimTime::ZERO, (3 * TICK_EVENTS) as u32);
        let mut ticks = vec![];
        let mut tick = |t: SimTime| {
            ticks.push(t.secs());
            true
        };
        let handled = run_ticking(&mut model, &mut queue, SimTime::from_secs(1e12), &mut tick);
        assert_eq!(handled, 3 * TICK_EVENTS + 1);
        let want: Vec<f64> = (1..=3).map(|k| (k * TICK_EVENTS - 1) as f64).collect();
        assert_eq!(ticks, want);
        // A tick that says stop ends the run there.
        let mut model = Countdown { seen: vec![] };
        queue.schedule(Timer(0), SimTime::ZERO, (3 * TICK_EVENTS) as u32);
        let handled = run_ticking(&mut model, &mut queue, SimTime::from_secs(1e12), &mut |t| t.secs() < 1e5);
        assert_eq!(handled, 2 * TICK_EVENTS);
    }
}
