//! A fixed-layout logarithmic histogram of durations.

use serde::{Deserialize, Serialize};

/// Bins per decade: 100 gives 2.3 % relative resolution on quantiles.
const PER_DECADE: usize = 100;
/// Decades covered above 1 s: up to 10⁹ s (31 years).
const DECADES: usize = 9;
/// Bin 0 holds exact zeros, bin 1 (0, 1 s), then log bins from 1 s.
const BINS: usize = 2 + PER_DECADE * DECADES;

/// Counts of durations in logarithmic bins; every histogram has the same bin
/// edges, so merging is adding counts. Exact zeros get their own bin, since
/// most years of a good design have no downtime at all.
///
/// Serializable because shard result files carry it between processes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogHistogram {
    counts: Vec<u64>,
}

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram { counts: vec![0; BINS] }
    }
}

impl LogHistogram {
    fn bin(micros: u64) -> usize {
        if micros == 0 {
            return 0;
        }
        let secs = micros as f64 * 1e-6;
        if secs < 1.0 {
            return 1;
        }
        (2 + (secs.log10() * PER_DECADE as f64) as usize).min(BINS - 1)
    }

    /// The edges of bin `b` [s].
    pub fn edges(b: usize) -> (f64, f64) {
        match b {
            0 => (0.0, 0.0),
            1 => (0.0, 1.0),
            _ => {
                let k = (b - 2) as f64 / PER_DECADE as f64;
                (10f64.powf(k), 10f64.powf(k + 1.0 / PER_DECADE as f64))
            }
        }
    }

    /// Whether `other` has the same bins (a file from another version may not).
    pub fn same_shape(&self, other: &LogHistogram) -> bool {
        self.counts.len() == other.counts.len()
    }

    /// Counts one duration [µs].
    pub fn record(&mut self, micros: u64) {
        self.counts[Self::bin(micros)] += 1;
    }

    /// Adds another histogram's counts.
    ///
    /// # Errors
    /// If a count would overflow (only a corrupt file can make it).
    pub fn try_merge(&mut self, other: &LogHistogram) -> Result<(), String> {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.checked_add(*b).ok_or("a histogram count overflows")?;
        }
        Ok(())
    }

    /// Number of durations counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Non-empty bins as (low [s], high [s], count), in increasing order.
    pub fn bins(&self) -> impl Iterator<Item = (f64, f64, u64)> + '_ {
        self.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(b, &c)| {
            let (lo, hi) = Self::edges(b);
            (lo, hi, c)
        })
    }

    /// The `q`-quantile [s], interpolated within its bin (linearly in the
    /// first bin, geometrically in log bins), and never above `max` [s].
    ///
    /// Cost: one pass over the bins. Returns 0 for an empty histogram.
    ///
    /// # Panics
    /// If `q` is outside [0, 1].
    pub fn quantile(&self, q: f64, max: f64) -> f64 {
        assert!((0.0..=1.0).contains(&q), "quantile {q} outside [0, 1]");
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        let rank = (q * n as f64).max(1.0);
        let mut below = 0u64;
        for (b, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            if (below + c) as f64 >= rank {
                let within = ((rank - below as f64) / c as f64).clamp(0.0, 1.0);
                let (lo, hi) = Self::edges(b);
                let value = match b {
                    0 => 0.0,
                    1 => lo + within * (hi - lo),
                    _ => lo * (hi / lo).powf(within),
                };
                return value.min(max);
            }
            below += c;
        }
        max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_data_within_bin_resolution() {
        let mut h = LogHistogram::default();
        for s in 1..=1000u64 {
            h.record(s * 1_000_000);
        }
        for (q, expected) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let got = h.quantile(q, 1000.0);
            assert!((got / expected - 1.0).abs() < 0.025, "q{q}: {got} vs {expected}");
        }
        assert_eq!(h.quantile(1.0, 1000.0), 1000.0);
    }

    #[test]
    fn sub_second_durations_share_one_bin_interpolated_linearly() {
        let mut h = LogHistogram::default();
        for ms in [200, 400, 600, 800] {
            h.record(ms * 1_000);
        }
        assert_eq!(h.bins().collect::<Vec<_>>(), vec![(0.0, 1.0, 4)]);
        // Rank 2 of 4 in the (0, 1 s) bin: halfway through it.
        assert_eq!(h.quantile(0.5, 0.8), 0.5);
        h.record(1_000_000);
        assert_eq!(h.bins().nth(1).map(|b| b.0), Some(1.0), "1 s starts the first log bin");
    }

    #[test]
    fn durations_beyond_the_last_decade_land_in_the_last_bin() {
        let mut h = LogHistogram::default();
        h.record(10_000_000_000_000_000); // 10¹⁰ s
        let (low, high, count) = h.bins().next().unwrap();
        assert_eq!((h.counts.len(), count), (BINS, 1));
        assert!((low / 10f64.powf(8.99) - 1.0).abs() < 1e-9 && (high / 1e9 - 1.0).abs() < 1e-9, "{low} {high}");
    }

    #[test]
    fn only_histograms_with_the_same_bins_fit_together() {
        let other: LogHistogram = serde_json::from_str(r#"{"counts":[0,1]}"#).unwrap();
        assert!(LogHistogram::default().same_shape(&LogHistogram::default()));
        assert!(!LogHistogram::default().same_shape(&other));
    }

    #[test]
    fn zeros_have_their_own_bin_and_merge_adds() {
        let mut a = LogHistogram::default();
        a.record(0);
        a.record(0);
        a.record(3_600_000_000);
        assert_eq!(a.quantile(0.5, 3600.0), 0.0);
        let mut b = a.clone();
        b.try_merge(&a).unwrap();
        assert_eq!(b.count(), 6);
        let mut full = LogHistogram::default();
        full.counts[0] = u64::MAX;
        assert!(full.try_merge(&a).is_err(), "an overflow is an error, never a wrap");
        assert_eq!(b.bins().next(), Some((0.0, 0.0, 4)));
    }
}
