//! Simulated time.

use std::cmp::Ordering;
use std::ops::{Add, Sub};

/// A point in simulated time, in seconds since the start of a trajectory.
///
/// An `f64` rather than integer ticks: failure and repair times span from
/// seconds (health-check timeouts) to years (fault-domain outages), and a
/// double keeps sub-millisecond resolution over a 1,000-year trajectory
/// (3·10¹⁰ s). Ordered with `total_cmp`, so it can key the event queue.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SimTime(f64);

impl SimTime {
    /// The start of a trajectory.
    pub const ZERO: SimTime = SimTime(0.0);
    /// Never: later than every finite time.
    pub const NEVER: SimTime = SimTime(f64::INFINITY);

    /// A time `secs` seconds after the start.
    ///
    /// # Panics
    /// If `secs` is NaN: a NaN time would corrupt the queue's order.
    pub fn from_secs(secs: f64) -> SimTime {
        assert!(!secs.is_nan(), "simulated time must not be NaN");
        SimTime(secs)
    }

    /// Seconds since the start [s].
    pub fn secs(self) -> f64 {
        self.0
    }
}

impl Eq for SimTime {}

impl PartialOrd for SimTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SimTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Add<f64> for SimTime {
    type Output = SimTime;
    /// Adds a delay [s].
    fn add(self, delay: f64) -> SimTime {
        SimTime::from_secs(self.0 + delay)
    }
}

impl Sub for SimTime {
    type Output = f64;
    /// The delay between two times [s].
    fn sub(self, earlier: SimTime) -> f64 {
        self.0 - earlier.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_value_and_never_is_last() {
        let mut times = [SimTime::NEVER, SimTime::from_secs(2.0), SimTime::ZERO];
        times.sort();
        assert_eq!(times[0], SimTime::ZERO);
        assert_eq!(times[1].secs(), 2.0);
        assert_eq!(times[2], SimTime::NEVER);
        assert_eq!((times[1] + 3.0) - times[1], 3.0);
    }

    #[test]
    #[should_panic(expected = "NaN")]
    fn rejects_nan() {
        SimTime::from_secs(f64::NAN);
    }
}
