//! Mergeable accumulators of per-year and per-window figures.

use super::LogHistogram;
use crate::units::YEAR_SECS;
use serde::{Deserialize, Serialize};

/// Durations are accumulated in integer microseconds: sums of integers are
/// exact and associative, so merging chunks in any order, on any number of
/// threads or machines, gives bit-identical results.
pub const MICROS: f64 = 1e6;

/// A sum, or the error of one that overflowed.
fn checked<T>(sum: Option<T>) -> Result<T, String> {
    sum.ok_or_else(|| "a sum overflows".to_string())
}

/// Sums over independent trajectories of one per-period quantity, for an
/// interval that stays honest when the periods of one trajectory are
/// correlated (a constant weekly deploy cadence, say, keeps the hour of the
/// week it first drew for the whole trajectory).
///
/// With `s_c` a trajectory's sum and `n_c` its periods: the number of
/// trajectories, Σ s_c², Σ s_c·n_c and Σ n_c², the sums that the variance
/// of the ratio estimate Σ s_c / Σ n_c needs (replication/deletion with
/// unequal replications). Integer sums, so merging stays exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replications {
    /// Trajectories.
    pub count: u64,
    /// Σ s_c².
    pub sum_sq: u128,
    /// Σ s_c·n_c.
    pub cross: u128,
    /// Σ n_c².
    pub n_sq: u128,
}

impl Replications {
    /// One trajectory of `n` periods summing to `sum`; none if `n` is 0.
    pub fn one(sum: u128, n: u64) -> Replications {
        let n = u128::from(n);
        if n == 0 {
            return Replications::default();
        }
        Replications { count: 1, sum_sq: sum.saturating_mul(sum), cross: sum.saturating_mul(n), n_sq: n * n }
    }

    /// Adds another trajectory set's sums.
    ///
    /// # Errors
    /// If a sum would overflow (only a corrupt file can make it).
    pub fn try_merge(&mut self, other: &Replications) -> Result<(), String> {
        self.count = checked(self.count.checked_add(other.count))?;
        self.sum_sq = checked(self.sum_sq.checked_add(other.sum_sq))?;
        self.cross = checked(self.cross.checked_add(other.cross))?;
        self.n_sq = checked(self.n_sq.checked_add(other.n_sq))?;
        Ok(())
    }

    /// The variance of the ratio estimate `sum / n` (`sum`, `n`: the
    /// totals over every trajectory), with its degrees of freedom; `None`
    /// with fewer than two trajectories.
    pub fn variance_of_mean(&self, sum: u128, n: u64) -> Option<(f64, u64)> {
        if self.count < 2 || n == 0 {
            return None;
        }
        let (r, n) = (self.count as f64, n as f64);
        let mean = sum as f64 / n;
        // Σ (s_c − mean·n_c)², expanded into the kept sums.
        let spread = self.sum_sq as f64 - 2.0 * mean * self.cross as f64 + mean * mean * self.n_sq as f64;
        Some((r / (r - 1.0) * spread.max(0.0) / (n * n), self.count - 1))
    }

    /// Whether the sums fit `n` periods summing to `sum`: no more
    /// trajectories than periods, and Cauchy–Schwarz (Σ n_c² ≥ n²/R, and
    /// Σ s_c·n_c within what Σ s_c² and Σ n_c² allow).
    fn fits(&self, sum: u128, n: u64) -> bool {
        let (r, n) = (u128::from(self.count), u128::from(n));
        let bounded = self.count <= n as u64 && self.n_sq <= n.saturating_mul(n);
        let spread = self.count == 0
            || (r.saturating_mul(self.n_sq) >= n * n && r.saturating_mul(self.sum_sq) >= sum.saturating_mul(sum));
        bounded && spread && (self.count > 0 || (self.sum_sq == 0 && self.cross == 0 && self.n_sq == 0))
    }
}

/// Running summary of one per-period quantity (in µs): count, sum, sum of
/// squares, maximum and histogram, and the sums over trajectories that its
/// interval comes from. Memory is fixed, whatever the count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Sums over the trajectories the periods come from.
    #[serde(default)]
    pub trajectories: Replications,
}

impl Summary {
    /// An observation [s] as counted: rounded to the microsecond.
    pub fn micros(secs: f64) -> u64 {
        (secs * MICROS).round() as u64
    }

    /// Records one observation [s], rounded to the microsecond.
    pub fn record(&mut self, secs: f64) {
        let micros = Summary::micros(secs);
        self.n += 1;
        self.sum += u128::from(micros);
        self.sum_sq += u128::from(micros) * u128::from(micros);
        self.max = self.max.max(micros);
        self.histogram.record(micros);
    }

    /// Adds another summary.
    ///
    /// # Errors
    /// If a sum would overflow (only a corrupt file can make it).
    pub fn try_merge(&mut self, other: &Summary) -> Result<(), String> {
        self.n = checked(self.n.checked_add(other.n))?;
        self.sum = checked(self.sum.checked_add(other.sum))?;
        self.sum_sq = checked(self.sum_sq.checked_add(other.sum_sq))?;
        self.max = self.max.max(other.max);
        self.trajectories.try_merge(&other.trajectories)?;
        self.histogram.try_merge(&other.histogram)
    }

    /// Closes the trajectory it was filled by: its periods become one
    /// replication. Called once, on a trajectory's own summary.
    pub fn close_trajectory(&mut self) {
        self.trajectories = Replications::one(self.sum, self.n);
        self.histogram.settle();
    }

    /// Whether its parts agree: as many binned as counted, the sum within
    /// what the maximum allows, the sum of squares within (sum², n · sum · max).
    fn check(&self, what: &str) -> Result<(), String> {
        let (n, sum, max) = (u128::from(self.n), self.sum, u128::from(self.max));
        let fits = self.histogram.count() == self.n
            && self.histogram.consistent()
            && self.histogram.max() == self.max
            && sum <= n.saturating_mul(max)
            && n.saturating_mul(self.sum_sq) >= sum.saturating_mul(sum)
            && self.sum_sq <= sum.saturating_mul(max)
            && (self.n > 0 || (sum == 0 && self.max == 0))
            && self.trajectories.fits(self.sum, self.n);
        if fits { Ok(()) } else { Err(format!("{what}: its count, sums, maximum and histogram disagree")) }
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
#[serde(deny_unknown_fields)]
pub struct Tally {
    /// Downtime per year [µs]: time the service could not serve.
    pub year_down: Summary,
    /// Failed-request time per year [µs]: ∫ failed fraction dt.
    pub year_failed: Summary,
    /// Years whose SLI met the SLO target.
    pub years_met: u64,
    /// The same, over trajectories.
    #[serde(default)]
    pub years_met_trajectories: Replications,
    /// Downtime per SLO window [µs].
    pub window_down: Summary,
    /// Failed-request time per SLO window [µs].
    pub window_failed: Summary,
    /// Windows whose SLI met the SLO target.
    pub windows_met: u64,
    /// The same, over trajectories.
    #[serde(default)]
    pub windows_met_trajectories: Replications,
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
    /// The year with the most downtime, and where it lies, so that a
    /// report can replay that year alone; none before a year completes.
    #[serde(default)]
    pub worst_year: Option<WorstYear>,
}

/// A year with its downtime and its place: the trajectory and the year
/// within it (counted from the end of warm-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorstYear {
    /// Downtime [µs], as the year's summary counted it.
    pub down: u64,
    /// The trajectory (chunk) it belongs to.
    pub trajectory: u64,
    /// Its index among the trajectory's measured years.
    pub year: u64,
}

impl WorstYear {
    /// The worse of two years: more downtime, and of equals the first in
    /// (trajectory, year) order, so merging in any order picks the same.
    pub fn worse(a: Option<WorstYear>, b: Option<WorstYear>) -> Option<WorstYear> {
        let key = |w: &WorstYear| (w.down, std::cmp::Reverse((w.trajectory, w.year)));
        match (a, b) {
            (Some(a), Some(b)) => Some(if key(&b) > key(&a) { b } else { a }),
            (a, b) => a.or(b),
        }
    }
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

    /// Whether `other` can be merged into this one: the same causes.
    pub fn same_shape(&self, other: &Tally) -> bool {
        self.cause_down.len() == other.cause_down.len() && self.cause_failed.len() == other.cause_failed.len()
    }

    /// Adds another tally (of the same scenario), computed here.
    ///
    /// # Panics
    /// If the two come from models with different causes, or a sum
    /// overflows (no run computes that much).
    pub fn merge(&mut self, other: &Tally) {
        assert_eq!(self.cause_down.len(), other.cause_down.len(), "tallies of different models");
        self.try_merge(other).expect("tallies of simulated years stay far below the integers' range");
    }

    /// Adds another tally, as read from a file: every sum checked.
    ///
    /// # Errors
    /// If a sum would overflow.
    pub fn try_merge(&mut self, other: &Tally) -> Result<(), String> {
        for (a, b) in self.summaries_mut().into_iter().zip(other.summaries()) {
            a.try_merge(b)?;
        }
        self.years_met_trajectories.try_merge(&other.years_met_trajectories)?;
        self.windows_met_trajectories.try_merge(&other.windows_met_trajectories)?;
        self.worst_year = WorstYear::worse(self.worst_year, other.worst_year);
        for (a, b) in [
            (&mut self.years_met, other.years_met),
            (&mut self.windows_met, other.windows_met),
            (&mut self.outages, other.outages),
            (&mut self.events, other.events),
            (&mut self.scale_outs, other.scale_outs),
            (&mut self.scale_ins, other.scale_ins),
        ] {
            *a = checked(a.checked_add(b))?;
        }
        for (a, b) in [
            (&mut self.sessions_lost, other.sessions_lost),
            (&mut self.requests, other.requests),
            (&mut self.at_max, other.at_max),
        ] {
            *a = checked(a.checked_add(b))?;
        }
        for (a, b) in self
            .cause_down
            .iter_mut()
            .zip(&other.cause_down)
            .chain(self.cause_failed.iter_mut().zip(&other.cause_failed))
        {
            *a = checked(a.checked_add(*b))?;
        }
        Ok(())
    }

    /// Closes the trajectory that filled it: its years and windows become
    /// one replication of each figure.
    pub fn close_trajectory(&mut self) {
        self.summaries_mut().into_iter().for_each(Summary::close_trajectory);
        self.years_met_trajectories = Replications::one(self.years_met.into(), self.year_down.n);
        self.windows_met_trajectories = Replications::one(self.windows_met.into(), self.window_down.n);
    }

    /// Its summaries, in a fixed order.
    fn summaries(&self) -> [&Summary; 7] {
        [
            &self.year_down,
            &self.year_failed,
            &self.window_down,
            &self.window_failed,
            &self.outage_durations,
            &self.instance_hours,
            &self.peak_utilisation,
        ]
    }

    fn summaries_mut(&mut self) -> [&mut Summary; 7] {
        [
            &mut self.year_down,
            &mut self.year_failed,
            &mut self.window_down,
            &mut self.window_failed,
            &mut self.outage_durations,
            &mut self.instance_hours,
            &mut self.peak_utilisation,
        ]
    }

    /// Whether the tally is one that simulated years could produce: each
    /// summary consistent, every per-year summary counting the same years,
    /// no more years or windows meeting the SLO than there are, no more
    /// outages' durations than outages; the years' requests, time at the
    /// autoscaling maximum, causes and scale actions within what the years
    /// and events allow.
    ///
    /// # Errors
    /// What disagrees.
    pub fn check(&self) -> Result<(), String> {
        let names = [
            "year_down",
            "year_failed",
            "window_down",
            "window_failed",
            "outage_durations",
            "instance_hours",
            "peak_utilisation",
        ];
        for (s, name) in self.summaries().into_iter().zip(names) {
            s.check(name)?;
        }
        let years = self.years();
        let same_years = self.year_failed.n == years
            && self.instance_hours.n == years
            && (self.peak_utilisation.n == years || self.peak_utilisation.n == 0);
        if !same_years || self.window_failed.n != self.window_down.n {
            return Err("its per-year (or per-window) summaries count different numbers of periods".into());
        }
        if self.years_met > years || self.windows_met > self.window_down.n {
            return Err("more periods meet the SLO than there are periods".into());
        }
        let met = [
            (&self.years_met_trajectories, self.years_met, years, &self.year_down.trajectories),
            (&self.windows_met_trajectories, self.windows_met, self.window_down.n, &self.window_down.trajectories),
        ];
        if met.iter().any(|(r, k, n, periods)| !r.fits(u128::from(*k), *n) || r.count != periods.count) {
            return Err("its trajectory sums of periods meeting the SLO disagree".into());
        }
        // A year is YEAR_SECS of time and, demand having a mean of 1 over
        // every year, at least as many requests (sums of rounded values:
        // a microsecond of slack a year, and a second for the causes).
        let year = YEAR_SECS * MICROS;
        let time = years as f64 * year;
        if (self.requests as f64) < time * (1.0 - 1e-9) - years as f64 {
            return Err("it counts fewer requests than its years bring".into());
        }
        if self.at_max as f64 > time + years as f64 {
            return Err("it spends more time at the autoscaling maximum than its years last".into());
        }
        let sum = |v: &[u128]| v.iter().map(|&c| c as f64).sum::<f64>();
        let within = |causes: &[u128], total: u128| sum(causes) <= total as f64 * (1.0 + 1e-9) + years as f64 * MICROS;
        if !within(&self.cause_down, self.year_down.sum) || !within(&self.cause_failed, self.requests) {
            return Err("its causes add up to more than its downtime or its requests".into());
        }
        if self.scale_outs.saturating_add(self.scale_ins) > self.events {
            return Err("it counts more scale actions than events".into());
        }
        if self.outage_durations.n != self.outages {
            return Err("its outage count and outage durations disagree".into());
        }
        let worst = (years > 0).then_some(self.year_down.max);
        if self.worst_year.map(|w| w.down) != worst {
            return Err("its worst year and its years' largest downtime disagree".into());
        }
        Ok(())
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

    /// Sums that trajectories of `n` periods can give fit; more
    /// trajectories than periods, or more spread than periods allow, do
    /// not.
    #[test]
    fn replications_fit_only_what_trajectories_give() {
        let mut r = Replications::one(30, 3);
        r.try_merge(&Replications::one(10, 2)).unwrap();
        assert!(r.fits(40, 5));
        assert!(!r.fits(40, 1), "two trajectories of one period in all");
        assert!(!r.fits(40, 2), "Σ n_c² = 13 beyond 2²");
        assert!(!r.fits(1_000, 5), "Σ s_c² = 1,000 below 1,000² / 2");
        assert!(!Replications { count: 3, n_sq: 4, ..Replications::default() }.fits(0, 2), "3 trajectories, 2 periods");
        assert!(!Replications { sum_sq: 1, ..Replications::default() }.fits(0, 0), "sums without trajectories");
        assert!(Replications::default().fits(0, 0));
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
