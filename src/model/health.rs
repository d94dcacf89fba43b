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
/// time of the probe that completes the failing streak (the detection stands
/// only if the backend is still failed then) and the time it is marked down.
pub fn detection(hc: &HealthCheck, phase: f64, t: f64) -> (f64, f64) {
    let last = next_probe(hc, phase, t) + f64::from(hc.unhealthy_threshold - 1) * hc.interval;
    (last, last + hc.timeout)
}

/// For a backend out of rotation that is healthy from `t` on: when it is
/// marked up.
pub fn admission(hc: &HealthCheck, phase: f64, t: f64) -> f64 {
    next_probe(hc, phase, t) + f64::from(hc.healthy_threshold - 1) * hc.interval
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

    /// The shortcut, driven as the model drives it: at each flip, schedule
    /// or cancel the pending mark.
    fn shortcut(hc: &HealthCheck, phase: f64, flips: &[f64], horizon: f64) -> Vec<(bool, f64)> {
        let (mut marked_up, mut marks) = (true, vec![]);
        // Pending mark: (marks up?, time, deadline for a pending down-mark).
        let mut pending: Option<(bool, f64, f64)> = None;
        let mut healthy = true;
        let mut events: Vec<f64> = flips.to_vec();
        events.push(horizon);
        for &t in &events {
            // Fire a pending mark that falls before this flip.
            if let Some((up, at, _)) = pending
                && at < t
                && at < horizon
            {
                marks.push((up, at));
                marked_up = up;
                pending = None;
                if !up && healthy {
                    // Recovered after the deadline: re-admission starts now.
                    pending = Some((true, admission(hc, phase, at), 0.0));
                }
                if let Some((true, at2, _)) = pending
                    && at2 < t
                    && at2 < horizon
                {
                    marks.push((true, at2));
                    marked_up = true;
                    pending = None;
                }
            }
            if t >= horizon {
                break;
            }
            healthy = !healthy;
            match (healthy, marked_up) {
                (false, true) if pending.is_none() => {
                    let (deadline, at) = detection(hc, phase, t);
                    pending = Some((false, at, deadline));
                }
                (false, false) => pending = None,
                (true, true) => {
                    if let Some((false, _, deadline)) = pending
                        && t <= deadline
                    {
                        pending = None;
                    }
                }
                (true, false) => pending = Some((true, admission(hc, phase, t), 0.0)),
                _ => {}
            }
        }
        marks
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
