//! Mergeable accumulators of per-year and per-window figures.

use super::LogHistogram;
use serde::{Deserialize, Serialize};

/// Durations are accumulated in integer microseconds: sums of integers are
/// exact and associative, so merging chunks in any order, on any number of
/// threads or machines, gives bit-identical results.
pub const MICROS: f64 = 1e6;

/// Running summary of one per-period quantity (in µs): count, sum, sum of
/// squares, maximum and histogram. Memory is fixed, whatever the count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Observations.
    pub n: u64,
    /// Sum [µs].
    pub sum: u128,
    /// Sum of squares [µs²].
    pub sum_sq: u128,
    /// Largest observation [µs].
    pub max: u64,
    /// Distribution.
    pub histogram: LogHistogram,
}

impl Summary {
    /// Records one observation [s], rounded to the microsecond.
    pub fn record(&mut self, secs: f64) {
        let micros = (secs * MICROS).round() as u64;
        self.n += 1;
        self.sum += u128::from(micros);
        self.sum_sq += u128::from(micros) * u128::from(micros);
        self.max = self.max.max(micros);
        self.histogram.record(micros);
    }

    /// Adds another summary.
    pub fn merge(&mut self, other: &Summary) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
        self.max = self.max.max(other.max);
        self.histogram.merge(&other.histogram);
    }

    /// Sum [s].
    pub fn sum_secs(&self) -> f64 {
        self.sum as f64 / MICROS
    }

    /// Sum of squares [s²].
    pub fn sum_sq_secs(&self) -> f64 {
        self.sum_sq as f64 / (MICROS * MICROS)
    }

    /// Maximum [s].
    pub fn max_secs(&self) -> f64 {
        self.max as f64 / MICROS
    }
}

/// Everything a set of simulated years adds up to. Chunks fill one each;
/// merging is field-wise addition. Serializable because `--shard` runs write
/// it to disk for `merge`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Downtime per year [µs]: time the service could not serve.
    pub year_down: Summary,
    /// Failed-request time per year [µs]: ∫ failed fraction dt.
    pub year_failed: Summary,
    /// Years whose SLI met the SLO target.
    pub years_met: u64,
    /// Downtime per SLO window [µs].
    pub window_down: Summary,
    /// Failed-request time per SLO window [µs].
    pub window_failed: Summary,
    /// Windows whose SLI met the SLO target.
    pub windows_met: u64,
    /// Downtime by cause [µs], indexed like the model's causes.
    pub cause_down: Vec<u128>,
    /// Failed-request time by cause [µs].
    pub cause_failed: Vec<u128>,
    /// Completed outages (time unavailability episodes).
    pub outages: u64,
    /// Their durations.
    pub outage_durations: Summary,
    /// Sessions lost.
    pub sessions_lost: u128,
    /// Events handled, including warm-up.
    pub events: u64,
    /// Requests [µs × normalised demand]: with a constant demand, the
    /// years' length.
    #[serde(default)]
    pub requests: u128,
    /// Instance-hours per year (recorded in hours, not seconds).
    #[serde(default)]
    pub instance_hours: Summary,
    /// Time the pool spent at its autoscaling maximum [µs].
    #[serde(default)]
    pub at_max: u128,
    /// Each year's highest utilisation (recorded in percent, so that the
    /// logarithmic bins resolve it), when instances have a capacity.
    #[serde(default)]
    pub peak_utilisation: Summary,
    /// Scale-out actions.
    #[serde(default)]
    pub scale_outs: u64,
    /// Scale-in actions.
    #[serde(default)]
    pub scale_ins: u64,
}

impl Tally {
    /// An empty tally for a model with `causes` causes.
    pub fn new(causes: usize) -> Tally {
        Tally { cause_down: vec![0; causes], cause_failed: vec![0; causes], ..Tally::default() }
    }

    /// Simulated years counted.
    pub fn years(&self) -> u64 {
        self.year_down.n
    }

    /// Whether `other` can be merged into this one: same causes, same bins.
    pub fn same_shape(&self, other: &Tally) -> bool {
        fn histograms(t: &Tally) -> [&LogHistogram; 7] {
            [
                &t.year_down,
                &t.year_failed,
                &t.window_down,
                &t.window_failed,
                &t.outage_durations,
                &t.instance_hours,
                &t.peak_utilisation,
            ]
            .map(|s| &s.histogram)
        }
        self.cause_down.len() == other.cause_down.len()
            && self.cause_failed.len() == other.cause_failed.len()
            && histograms(self).iter().zip(histograms(other)).all(|(a, b)| a.same_shape(b))
    }

    /// Adds another tally (of the same scenario).
    ///
    /// # Panics
    /// If the two come from models with different causes.
    pub fn merge(&mut self, other: &Tally) {
        assert_eq!(self.cause_down.len(), other.cause_down.len(), "tallies of different models");
        self.year_down.merge(&other.year_down);
        self.year_failed.merge(&other.year_failed);
        self.years_met += other.years_met;
        self.window_down.merge(&other.window_down);
        self.window_failed.merge(&other.window_failed);
        self.windows_met += other.windows_met;
        for (a, b) in self.cause_down.iter_mut().zip(&other.cause_down) {
            *a += b;
        }
        for (a, b) in self.cause_failed.iter_mut().zip(&other.cause_failed) {
            *a += b;
        }
        self.outages += other.outages;
        self.outage_durations.merge(&other.outage_durations);
        self.sessions_lost += other.sessions_lost;
        self.events += other.events;
        self.requests += other.requests;
        self.instance_hours.merge(&other.instance_hours);
        self.at_max += other.at_max;
        self.peak_utilisation.merge(&other.peak_utilisation);
        self.scale_outs += other.scale_outs;
        self.scale_ins += other.scale_ins;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tally with every field set from `k`, so that merging two shows
    /// each field added.
    fn filled(k: u64) -> Tally {
        let mut t = Tally::new(2);
        for s in
            [&mut t.year_down, &mut t.year_failed, &mut t.window_down, &mut t.window_failed, &mut t.outage_durations]
        {
            s.record(k as f64);
            s.record(2.0 * k as f64);
        }
        (t.years_met, t.windows_met, t.outages, t.events) = (k, 2 * k, 3 * k, 4 * k);
        t.cause_down = vec![u128::from(5 * k), u128::from(6 * k)];
        t.cause_failed = vec![u128::from(7 * k), u128::from(8 * k)];
        t.sessions_lost = u128::from(9 * k);
        t
    }

    #[test]
    fn merge_adds_every_field() {
        let mut t = filled(2);
        t.merge(&filled(3));
        let m = 1_000_000u128;
        for s in [&t.year_down, &t.year_failed, &t.window_down, &t.window_failed, &t.outage_durations] {
            // 2, 4, 3 and 6 s.
            assert_eq!((s.n, s.sum, s.sum_sq, s.max), (4, 15 * m, 65 * m * m, 6_000_000));
            assert_eq!(s.histogram.count(), 4);
        }
        assert_eq!((t.years_met, t.windows_met, t.outages, t.events), (5, 10, 15, 20));
        assert_eq!((t.cause_down.clone(), t.cause_failed.clone(), t.sessions_lost), (vec![25, 30], vec![35, 40], 45));
        assert_eq!(t.years(), 4);
    }

    #[test]
    fn only_tallies_of_the_same_shape_merge() {
        let t = filled(1);
        assert!(t.same_shape(&filled(2)));
        assert!(!t.same_shape(&Tally::new(3)), "other causes");
        let mut other_causes = Tally::new(2);
        other_causes.cause_failed.push(0);
        assert!(!t.same_shape(&other_causes), "other failed-request causes");
        for i in 0..5 {
            let mut other_bins = filled(1);
            let s = [
                &mut other_bins.year_down,
                &mut other_bins.year_failed,
                &mut other_bins.window_down,
                &mut other_bins.window_failed,
                &mut other_bins.outage_durations,
            ];
            s.into_iter().nth(i).unwrap().histogram = serde_json::from_str(r#"{"counts":[1]}"#).unwrap();
            assert!(!t.same_shape(&other_bins), "histogram {i} has other bins");
        }
    }

    #[test]
    fn merge_is_exact_and_order_free() {
        let mut parts: Vec<Tally> = (0..5)
            .map(|i| {
                let mut t = Tally::new(2);
                t.year_down.record(0.1 * f64::from(i) + 1e-7);
                t.cause_down[i as usize % 2] += 7;
                t.events = 3;
                t
            })
            .collect();
        let mut forward = Tally::new(2);
        parts.iter().for_each(|p| forward.merge(p));
        parts.reverse();
        let mut backward = Tally::new(2);
        parts.iter().for_each(|p| backward.merge(p));
        assert_eq!(forward, backward);
        assert_eq!(forward.years(), 5);
        assert_eq!(forward.events, 15);
        assert_eq!(forward.cause_down, vec![21, 14]);
    }
}
