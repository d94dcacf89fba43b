//! Health-check arithmetic: when the load balancer takes a backend out of
//! rotation and when it puts it back, computed per state change in O(1)
//! instead of stepping through 3 million probes per instance-year.
//!
//! The rules, which the probe-by-probe reference in the tests follows too:
//! probes of a backend are sent at `phase + k·interval`; a probe's result is
//! the backend's state when it is sent; a failed probe counts when its
//! timeout expires, a good one when it is sent. `unhealthy_threshold`
//! consecutive failures mark the backend down, `healthy_threshold`
//! consecutive successes mark it up again. With a random phase the mean
//! detection delay is interval/2 + (unhealthy_threshold − 1)·interval + timeout.

use crate::scenario::HealthCheck;

/// The first probe sent at or after `t` by a checker with `phase`.
pub fn next_probe(hc: &HealthCheck, phase: f64, t: f64) -> f64 {
    let k = ((t - phase) / hc.interval).ceil().max(0.0);
    phase + k * hc.interval
}

/// For a backend in rotation that fails at `t` and stays failed: the send
/// time of the probe that completes the failing streak and the time the
/// backend is marked down (that probe's timeout later).
pub fn detection(hc: &HealthCheck, phase: f64, t: f64) -> (f64, f64) {
    let last = next_probe(hc, phase, t) + f64::from(hc.unhealthy_threshold - 1) * hc.interval;
    (last, last + hc.timeout)
}

/// For a backend out of rotation that is healthy from `t` on: when it is
/// marked up (a good probe counts when it is sent).
pub fn admission(hc: &HealthCheck, phase: f64, t: f64) -> f64 {
    next_probe(hc, phase, t) + f64::from(hc.healthy_threshold - 1) * hc.interval
}

/// A scheduled mark: the backend's status flips at `at` unless a probe
/// sees a state that breaks the streak first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    /// When the mark takes effect [s].
    pub at: f64,
    /// Send time of the streak's last probe [s].
    pub last_probe: f64,
    /// Whether it marks the backend down (else up).
    pub down: bool,
}

/// The health checker's view of one backend, advanced only when the
/// backend's health changes or a scheduled mark comes due.
///
/// A change cancels a pending mark only if a probe sees it: a failure that
/// is over before the next probe, or a recovery that fails again before the
/// next probe, leaves the streak intact. So `change` keeps the time of the
/// last change, and pending marks are judged when they come due.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tracker {
    /// In rotation as far as the health checker is concerned.
    pub marked_up: bool,
    /// A new backend that has been marked neither up nor down yet: a
    /// failing streak gets it marked down (so the pool replaces it) and a
    /// good one marks it up. Probe-exact for backends that were once marked;
    /// for new ones, a failure restarts the count at once, seen or not.
    initial: bool,
    /// The mark that is due, if any.
    pub pending: Option<Mark>,
    healthy: bool,
    since: f64,
}

impl Tracker {
    /// A backend marked up or down, healthy or not since `now`.
    pub fn new(marked_up: bool, healthy: bool, now: f64) -> Tracker {
        Tracker { marked_up, initial: false, pending: None, healthy, since: now }
    }

    /// A new backend registered healthy at `now`, and its first mark.
    pub fn launched(hc: &HealthCheck, phase: f64, now: f64) -> (Tracker, Mark) {
        let mark = Self::up_mark(hc, phase, now);
        (Tracker { marked_up: false, initial: true, pending: Some(mark), healthy: true, since: now }, mark)
    }

    /// Whether probes would succeed.
    #[cfg(test)]
    pub fn healthy(&self) -> bool {
        self.healthy
    }

    fn schedule(&mut self, mark: Mark) -> Option<Mark> {
        self.pending = Some(mark);
        self.pending
    }

    fn down_mark(hc: &HealthCheck, phase: f64, t: f64) -> Mark {
        let (last_probe, at) = detection(hc, phase, t);
        Mark { at, last_probe, down: true }
    }

    fn up_mark(hc: &HealthCheck, phase: f64, t: f64) -> Mark {
        let at = admission(hc, phase, t);
        Mark { at, last_probe: at, down: false }
    }

    /// The backend's health becomes `healthy` at `now`. Returns a new mark to
    /// schedule; it replaces any pending one.
    #[inline]
    pub fn change(&mut self, hc: &HealthCheck, phase: f64, now: f64, healthy: bool) -> Option<Mark> {
        if healthy == self.healthy {
            return None;
        }
        let previous = self.since;
        // Did a probe see the state that is ending? Only asked when a mark
        // is pending, which keeps the common path free of the division.
        let seen = || next_probe(hc, phase, previous) < now;
        self.healthy = healthy;
        self.since = now;
        if self.initial {
            return match (healthy, self.pending) {
                (false, _) => self.schedule(Self::down_mark(hc, phase, now)),
                (true, Some(m)) if now > m.last_probe => None,
                (true, _) => self.schedule(Self::up_mark(hc, phase, now)),
            };
        }
        match (self.marked_up, healthy, self.pending) {
            (true, false, None) => self.schedule(Self::down_mark(hc, phase, now)),
            // Failing again: a probe saw the recovery before the streak
            // completed, so the streak restarts now.
            (true, false, Some(m)) if previous <= m.last_probe && seen() => {
                self.schedule(Self::down_mark(hc, phase, now))
            }
            (false, true, None) => self.schedule(Self::up_mark(hc, phase, now)),
            // Healthy again: a probe saw the failure, so counting restarts.
            (false, true, Some(_)) if seen() => self.schedule(Self::up_mark(hc, phase, now)),
            _ => None,
        }
    }

    /// The pending mark comes due. Returns whether the backend's status
    /// changed (marked up, marked down, or a new backend found failing),
    /// and a follow-up mark to schedule, if any.
    pub fn fire(&mut self, hc: &HealthCheck, phase: f64) -> (bool, Option<Mark>) {
        let Some(mark) = self.pending.take() else { return (false, None) };
        if self.initial {
            if mark.down && (!self.healthy || self.since > mark.last_probe) {
                self.initial = false;
                return (true, None);
            }
            if !mark.down && self.healthy {
                self.initial = false;
                self.marked_up = true;
                return (true, None);
            }
            return (false, None);
        }
        if self.marked_up {
            // Stands unless a probe of the streak saw the backend healthy.
            if self.healthy && self.since <= mark.last_probe {
                return (false, None);
            }
            self.marked_up = false;
            let follow = self.healthy.then(|| self.schedule(Self::up_mark(hc, phase, self.since))).flatten();
            (true, follow)
        } else if self.healthy {
            self.marked_up = true;
            (true, None)
        } else {
            (false, None)
        }
    }

    /// Takes the backend out of rotation by hand (or for a drain); a
    /// pending mark is dropped. [`Tracker::resume`] restarts admission.
    pub fn force_down(&mut self) {
        self.marked_up = false;
        self.initial = false;
        self.pending = None;
    }

    /// For a backend out of rotation, healthy and with nothing pending (after
    /// [`Tracker::force_down`]): starts counting good probes from `now`.
    pub fn resume(&mut self, hc: &HealthCheck, phase: f64, now: f64) -> Option<Mark> {
        if self.marked_up || self.initial || !self.healthy || self.pending.is_some() {
            return None;
        }
        self.schedule(Self::up_mark(hc, phase, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HC: HealthCheck = HealthCheck { interval: 10.0, timeout: 3.0, unhealthy_threshold: 3, healthy_threshold: 2 };

    /// Probe-by-probe reference: walks every probe over `horizon` for a
    /// backend whose state flips at `flips` (healthy at 0), returning the
    /// times it is marked down and up.
    fn probe_by_probe(hc: &HealthCheck, phase: f64, flips: &[f64], horizon: f64) -> Vec<(bool, f64)> {
        let healthy_at = |t: f64| flips.iter().filter(|&&f| f <= t).count() % 2 == 0;
        let (mut marked_up, mut fails, mut goods) = (true, 0, 0);
        let mut marks = vec![];
        let mut t = phase;
        while t < horizon {
            if healthy_at(t) {
                fails = 0;
                goods += 1;
                if !marked_up && goods >= hc.healthy_threshold {
                    marked_up = true;
                    marks.push((true, t));
                }
            } else {
                goods = 0;
                fails += 1;
                if marked_up && fails >= hc.unhealthy_threshold {
                    marked_up = false;
                    marks.push((false, t + hc.timeout));
                }
            }
            t += hc.interval;
        }
        marks
    }

    /// The shortcut, driven as the model drives it: state changes and due
    /// marks in time order.
    fn shortcut(hc: &HealthCheck, phase: f64, flips: &[f64], horizon: f64) -> Vec<(bool, f64)> {
        let mut tracker = Tracker::new(true, true, 0.0);
        let mut marks = vec![];
        let mut flips = flips.iter().copied().peekable();
        loop {
            let due = tracker.pending.map(|m| m.at);
            let next_flip = flips.peek().copied();
            match (due, next_flip) {
                (Some(at), flip) if at < horizon && flip.is_none_or(|f| at < f) => {
                    if tracker.fire(hc, phase).0 {
                        marks.push((tracker.marked_up, at));
                    }
                }
                (_, Some(f)) => {
                    flips.next();
                    tracker.change(hc, phase, f, !tracker.healthy());
                }
                _ => break,
            }
        }
        marks
    }

    #[test]
    fn new_backend_failing_before_admission_is_marked_down() {
        let (mut tracker, mark) = Tracker::launched(&HC, 0.0, 100.0);
        assert_eq!(mark.at, 110.0);
        let down = tracker.change(&HC, 0.0, 105.0, false).expect("a failing streak starts");
        assert_eq!(down.at, 110.0 + 20.0 + 3.0);
        assert_eq!(tracker.fire(&HC, 0.0), (true, None));
        assert!(!tracker.marked_up);
        // Once marked down it is an ordinary backend: recovery re-admits it.
        let up = tracker.change(&HC, 0.0, 200.0, true).expect("admission");
        assert_eq!(up.at, 210.0);
        assert_eq!(tracker.fire(&HC, 0.0), (true, None));
        assert!(tracker.marked_up);
    }

    #[test]
    fn mean_detection_delay_matches_closed_form() {
        // Average over a fine grid of failure times within one interval.
        const STEPS: usize = 10_000;
        let mean: f64 = (0..STEPS)
            .map(|i| {
                let t = 1_000.0 + HC.interval * (i as f64 + 0.5) / STEPS as f64;
                detection(&HC, 0.0, t).1 - t
            })
            .sum::<f64>()
            / STEPS as f64;
        assert!((mean - 28.0).abs() < 1e-3, "mean detection delay {mean}");
    }

    proptest! {
        /// The O(1) shortcut marks the backend down and up at exactly the
        /// times the probe-by-probe walk does, for any failure pattern.
        #[test]
        fn shortcut_agrees_with_probe_by_probe(
            phase in 0.0f64..10.0,
            gaps in prop::collection::vec(0.5f64..80.0, 1..30),
            interval in 1.0f64..30.0,
            timeout_frac in 0.05f64..0.95,
            down in 1u32..5,
            up in 1u32..5,
        ) {
            let hc = HealthCheck { interval, timeout: interval * timeout_frac, unhealthy_threshold: down, healthy_threshold: up };
            let phase = phase % interval;
            let flips: Vec<f64> = gaps.iter().scan(0.0, |t, g| { *t += g; Some(*t) }).collect();
            let horizon = flips.last().unwrap() + 200.0;
            let expected = probe_by_probe(&hc, phase, &flips, horizon);
            let got = shortcut(&hc, phase, &flips, horizon);
            prop_assert_eq!(got.len(), expected.len(), "{:?} vs {:?}", got, expected);
            for (g, e) in got.iter().zip(&expected) {
                prop_assert_eq!(g.0, e.0);
                prop_assert!((g.1 - e.1).abs() < 1e-6, "{:?} vs {:?}", got, expected);
            }
        }
    }
}
