//! A mergeable histogram of durations with 0.1 % resolution that is exact
//! where the data allow.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Significant bits kept below a value's leading one: 2¹⁰ bins per
/// doubling, so a bin is at most 1/1024 (0.098 %) of its values wide.
const MANTISSA_BITS: u32 = 10;
/// Values below this [µs] have a bin each.
const EXACT: u64 = 1 << MANTISSA_BITS;

/// One bin: how many values fell in it and the smallest and largest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    /// Values counted.
    pub count: u64,
    /// The smallest [µs].
    pub min: u64,
    /// The largest [µs].
    pub max: u64,
}

/// Two bins of the same edges as one.
///
/// # Errors
/// If the count overflows (only a corrupt file can make it).
fn add(a: Bin, b: Bin) -> Result<Bin, String> {
    let count = a.count.checked_add(b.count).ok_or("a histogram count overflows")?;
    Ok(Bin { count, min: a.min.min(b.min), max: a.max.max(b.max) })
}

/// Counts of durations [µs] in bins of fixed edges (exact below 1,024 µs,
/// then 1,024 bins per doubling), each bin keeping its smallest and
/// largest value. Quantiles interpolate between those, so they are exact
/// for constant data (and wherever a bin holds one distinct value) and
/// within 0.1 % of the data's own quantile otherwise.
///
/// Only non-empty bins are stored, in order: memory follows the spread of
/// the data, not its count. Every histogram has the same edges, so merging
/// adds counts and takes minima and maxima (one pass over both, as each
/// trajectory's tally joins its thread's): exact, and independent of order.
/// Serializable because shard result files carry it between processes.
///
/// Recording is batched: values wait in a buffer, sorted and merged into
/// the bins in one pass when it fills, since a merge moves the bins above
/// the lowest new one (inserting each value on its own moved them every
/// time). What waits is part of the histogram for every reader, for
/// equality and in its serialized form; a trajectory's tally bins it when
/// it closes ([`LogHistogram::settle`]), so that reading costs nothing more.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Binned", into = "Binned")]
pub struct LogHistogram {
    bins: Vec<(u32, Bin)>,
    /// Values recorded and not yet binned [µs].
    waiting: Vec<u64>,
}

/// A histogram's serialized form: its bins, with nothing waiting.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Binned {
    bins: Vec<(u32, Bin)>,
}

impl From<Binned> for LogHistogram {
    fn from(b: Binned) -> LogHistogram {
        LogHistogram { bins: b.bins, waiting: vec![] }
    }
}

impl From<LogHistogram> for Binned {
    fn from(mut h: LogHistogram) -> Binned {
        h.settle();
        Binned { bins: h.bins }
    }
}

impl PartialEq for LogHistogram {
    fn eq(&self, other: &LogHistogram) -> bool {
        self.binned() == other.binned()
    }
}

impl Eq for LogHistogram {}

/// Values recorded before they are binned together: 32 KiB a histogram.
/// single-instance, whose 120 outages a year each record their length,
/// cost 511,711 instructions a year with batches of 256 and new bins
/// inserted one by one, 464,057 with new bins merged from the back,
/// 411,053 with batches of 1,024 and 391,895 with 4,096 (callgrind).
const BATCH: usize = 4096;

impl LogHistogram {
    /// The bin of `micros`: the value itself below [`EXACT`], else its
    /// leading bit's position and the [`MANTISSA_BITS`] bits after it.
    fn bin(micros: u64) -> u32 {
        if micros < EXACT {
            return micros as u32;
        }
        let top = 63 - micros.leading_zeros();
        let mantissa = (micros >> (top - MANTISSA_BITS)) as u32 & (EXACT as u32 - 1);
        ((top - MANTISSA_BITS + 1) << MANTISSA_BITS) | mantissa
    }

    /// The edges of bin `b` [µs]: low inclusive, high exclusive.
    fn edges(b: u32) -> (u128, u128) {
        let b = u128::from(b);
        let exact = u128::from(EXACT);
        if b < exact {
            return (b, b + 1);
        }
        let shift = (b >> MANTISSA_BITS) - 1;
        let low = (exact | (b & (exact - 1))) << shift;
        (low, low + (1 << shift))
    }

    /// Counts one duration [µs].
    pub fn record(&mut self, micros: u64) {
        self.waiting.push(micros);
        if self.waiting.len() == BATCH {
            // The buffer is kept for the next batch.
            self.waiting = self.bin_waiting();
        }
    }

    /// Bins the values recorded since the last settle, and frees their
    /// buffer (a tally kept for merging holds none).
    pub fn settle(&mut self) {
        self.bin_waiting();
    }

    /// Bins what waits; returns the emptied buffer.
    fn bin_waiting(&mut self) -> Vec<u64> {
        let mut waiting = std::mem::take(&mut self.waiting);
        if waiting.is_empty() {
            return waiting;
        }
        waiting.sort_unstable();
        let mut batch: Vec<(u32, Bin)> = Vec::with_capacity(waiting.len());
        for &micros in &waiting {
            let key = Self::bin(micros);
            match batch.last_mut() {
                // Sorted: a value's bin is the last one's, or a new one.
                Some((k, b)) if *k == key => (b.count, b.max) = (b.count + 1, micros),
                _ => batch.push((key, Bin { count: 1, min: micros, max: micros })),
            }
        }
        self.merge_bins(&batch).expect("a batch's counts fit");
        waiting.clear();
        waiting
    }

    /// Adds another histogram's counts.
    ///
    /// # Errors
    /// If a count would overflow (only a corrupt file can make it).
    pub fn try_merge(&mut self, other: &LogHistogram) -> Result<(), String> {
        self.settle();
        self.merge_bins(&other.binned())
    }

    /// Adds `other`'s bins (in order) to these.
    fn merge_bins(&mut self, other: &[(u32, Bin)]) -> Result<(), String> {
        if other.is_empty() {
            return Ok(());
        }
        if other.len() * 16 < self.bins.len() {
            // A batch's or a trajectory's few bins into many: each found by
            // binary search and added in place, after a while most of them
            // are there already; the new ones then go in from the back,
            // moving each bin above them once (not once per new bin).
            let mut fresh = vec![];
            for &(key, o) in other {
                match self.bins.binary_search_by_key(&key, |&(k, _)| k) {
                    Ok(at) => self.bins[at].1 = add(self.bins[at].1, o)?,
                    Err(_) => fresh.push((key, o)),
                }
            }
            self.insert_new(&fresh);
            return Ok(());
        }
        let mut merged = Vec::with_capacity(self.bins.len() + other.len());
        let (mut a, mut b) = (self.bins.iter().copied().peekable(), other.iter().copied().peekable());
        while let (Some(&(ka, _)), Some(&(kb, _))) = (a.peek(), b.peek()) {
            merged.push(
                match ka.cmp(&kb) {
                    std::cmp::Ordering::Less => a.next(),
                    std::cmp::Ordering::Greater => b.next(),
                    std::cmp::Ordering::Equal => {
                        let ((k, x), (_, y)) = (a.next().expect("peeked"), b.next().expect("peeked"));
                        Some((k, add(x, y)?))
                    }
                }
                .expect("peeked"),
            );
        }
        merged.extend(a.chain(b));
        self.bins = merged;
        Ok(())
    }

    /// Inserts `new` bins (in order, none of them here yet), merging from
    /// the back.
    fn insert_new(&mut self, new: &[(u32, Bin)]) {
        let (mut i, mut j) = (self.bins.len(), new.len());
        self.bins.resize(i + j, (0, Bin { count: 0, min: 0, max: 0 }));
        let mut k = self.bins.len();
        while j > 0 {
            k -= 1;
            if i > 0 && self.bins[i - 1].0 > new[j - 1].0 {
                i -= 1;
                self.bins[k] = self.bins[i];
            } else {
                j -= 1;
                self.bins[k] = new[j];
            }
        }
    }

    /// Its bins, with what waits binned too (a copy only if something waits).
    fn binned(&self) -> Cow<'_, [(u32, Bin)]> {
        if self.waiting.is_empty() {
            Cow::Borrowed(&self.bins)
        } else {
            let mut settled = self.clone();
            settled.settle();
            Cow::Owned(settled.bins)
        }
    }

    /// Number of durations counted.
    pub fn count(&self) -> u64 {
        self.binned().iter().map(|(_, b)| b.count).sum()
    }

    /// The largest duration counted [µs]; 0 when empty.
    pub fn max(&self) -> u64 {
        self.binned().last().map_or(0, |(_, b)| b.max)
    }

    /// Whether every bin is one that recording could produce: counted, and
    /// its smallest and largest values within its edges and in order.
    pub fn consistent(&self) -> bool {
        let bins = self.binned();
        let ordered = bins.windows(2).all(|w| w[0].0 < w[1].0);
        ordered
            && bins.iter().all(|&(k, b)| {
                let (low, high) = Self::edges(k);
                let (min, max) = (u128::from(b.min), u128::from(b.max));
                b.count > 0 && low <= min && min <= max && max < high && (b.count > 1 || min == max)
            })
    }

    /// Non-empty bins as (smallest [s], largest [s], count), in increasing
    /// order.
    pub fn bins(&self) -> Vec<(f64, f64, u64)> {
        self.binned().iter().map(|(_, b)| (b.min as f64 * 1e-6, b.max as f64 * 1e-6, b.count)).collect()
    }

    /// The `q`-quantile [s]: the value of rank ⌈q·n⌉ (at least 1),
    /// interpolated linearly between the smallest and largest value of its
    /// bin by its place among the bin's values.
    ///
    /// Cost: one pass over the non-empty bins. Returns 0 for an empty
    /// histogram.
    ///
    /// # Panics
    /// If `q` is outside [0, 1].
    pub fn quantile(&self, q: f64) -> f64 {
        assert!((0.0..=1.0).contains(&q), "quantile {q} outside [0, 1]");
        let bins = self.binned();
        let count: u64 = bins.iter().map(|(_, b)| b.count).sum();
        let rank = (q * count as f64).ceil().max(1.0);
        let mut below = 0u64;
        for (_, b) in bins.iter() {
            if (below + b.count) as f64 >= rank {
                // The k-th of the bin's c values (1-based), placed evenly
                // from its smallest to its largest.
                let k = rank - below as f64;
                let within = if b.count > 1 { (k - 1.0) / (b.count - 1) as f64 } else { 0.0 };
                return (b.min as f64 + within * (b.max - b.min) as f64) * 1e-6;
            }
            below += b.count;
        }
        bins.last().map_or(0.0, |(_, b)| b.max as f64 * 1e-6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The `q`-quantile of `data` by the same rank rule, exactly.
    fn exact(data: &mut [u64], q: f64) -> f64 {
        data.sort_unstable();
        let rank = (q * data.len() as f64).ceil().max(1.0) as usize;
        data[rank - 1] as f64 * 1e-6
    }

    #[test]
    fn constant_data_gives_exact_quantiles() {
        // A fixed pool of three instances: 26,280 instance-hours every year.
        let mut h = LogHistogram::default();
        (0..1000).for_each(|_| h.record(26_280_000_000));
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(h.quantile(q), 26_280.0, "q{q}");
        }
    }

    #[test]
    fn quantiles_of_known_data() {
        let mut h = LogHistogram::default();
        (1..=1000u64).for_each(|s| h.record(s * 1_000_000));
        // 1,000 distinct values, each alone in its bin: exact.
        for (q, expected) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0), (1.0, 1000.0), (0.0, 1.0)] {
            assert_eq!(h.quantile(q), expected, "q{q}");
        }
        // Three values in one bin (512 µs wide here): the smallest, the
        // middle one placed halfway, the largest.
        let mut h = LogHistogram::default();
        [1_000_000, 1_000_100, 1_000_400].into_iter().for_each(|v| h.record(v));
        assert_eq!(h.bins().len(), 1, "one bin");
        for (q, expected) in [(0.2, 1.0), (0.5, 1.000_2), (1.0, 1.000_4)] {
            assert!((h.quantile(q) - expected).abs() < 1e-12, "q{q}: {}", h.quantile(q));
        }
    }

    #[test]
    fn bins_are_a_tenth_of_a_percent_wide_and_exact_below_1024() {
        for v in [0u64, 1, 1023] {
            assert_eq!(LogHistogram::edges(LogHistogram::bin(v)), (v.into(), u128::from(v) + 1));
        }
        assert_eq!(LogHistogram::edges(LogHistogram::bin(1024)), (1024, 1025));
        assert_eq!(LogHistogram::edges(LogHistogram::bin(2048)), (2048, 2050));
        assert_eq!(LogHistogram::edges(LogHistogram::bin(4095)), (4094, 4096));
        let year = 31_536_000_000_000u64;
        let (low, high) = LogHistogram::edges(LogHistogram::bin(year));
        assert!(low <= year.into() && u128::from(year) < high);
        assert!((high - low) as f64 / low as f64 <= 1.0 / 1024.0);
        let (low, high) = LogHistogram::edges(LogHistogram::bin(u64::MAX));
        assert_eq!((low, high), (u128::from(u64::MAX) + 1 - (1 << 53), 1 << 64), "the last bin");
    }

    #[test]
    fn zeros_count_and_merge_adds() {
        let mut a = LogHistogram::default();
        a.record(0);
        a.record(0);
        a.record(3_600_000_000);
        assert_eq!(a.quantile(0.5), 0.0);
        assert_eq!(a.quantile(0.67), 3_600.0);
        let mut b = a.clone();
        b.try_merge(&a).unwrap();
        assert_eq!(b.count(), 6);
        assert_eq!(b.bins().first(), Some(&(0.0, 0.0, 4)));
        let mut full = LogHistogram::default();
        full.bins.push((0, Bin { count: u64::MAX, min: 0, max: 0 }));
        assert!(full.try_merge(&a).is_err(), "an overflow is an error, never a wrap");
    }

    /// Values waiting to be binned count for every reader, for equality and
    /// in the serialized form, wherever the batches fall.
    #[test]
    fn waiting_values_are_part_of_the_histogram() {
        let n = 2 * BATCH as u64 + 700;
        let values: Vec<u64> = (0..n).map(|i| (i * 7_919) % 1_000 * 1_000_003).collect();
        let mut batched = LogHistogram::default();
        let mut settled = LogHistogram::default();
        for &v in &values {
            batched.record(v);
            settled.record(v);
            settled.settle();
        }
        assert!(!batched.waiting.is_empty() && settled.waiting.is_empty(), "not a whole number of batches");
        assert_eq!(settled.waiting.capacity(), 0, "a settled histogram holds no buffer");
        assert_eq!(batched, settled);
        assert_eq!((batched.count(), batched.max()), (n, settled.max()));
        assert_eq!(batched.quantile(0.9), settled.quantile(0.9));
        assert_eq!(batched.bins(), settled.bins());
        let json = |h: &LogHistogram| serde_json::to_string(h).unwrap();
        assert_eq!(json(&batched), json(&settled));
        let mut merged = LogHistogram::default();
        merged.try_merge(&batched).unwrap();
        assert_eq!(merged.count(), n, "a merge takes what waits");
    }

    #[test]
    fn tampered_bins_are_inconsistent() {
        let mut h = LogHistogram::default();
        h.record(5_000);
        h.settle();
        assert!(h.consistent());
        for bad in [
            Bin { count: 0, min: 5_000, max: 5_000 },
            Bin { count: 2, min: 4_000, max: 5_000 },
            Bin { count: 2, min: 5_001, max: 5_000 },
            Bin { count: 1, min: 4_996, max: 5_000 },
        ] {
            let mut t = h.clone();
            t.bins[0].1 = bad;
            assert!(!t.consistent(), "{bad:?}");
        }
        let mut unordered = h.clone();
        unordered.record(3_000);
        unordered.settle();
        unordered.bins.swap(0, 1);
        assert!(!unordered.consistent(), "bins out of order");
    }

    proptest! {
        /// Within 0.1 % of the exact quantile, whatever the data; merging
        /// halves gives the histogram of the whole.
        #[test]
        fn quantiles_within_a_tenth_of_a_percent(
            mut data in prop::collection::vec(0u64..100_000_000_000_000, 1..400),
            q in 0.0f64..=1.0,
            cut in 0usize..400,
        ) {
            let mut h = LogHistogram::default();
            data.iter().for_each(|&v| h.record(v));
            let (got, want) = (h.quantile(q), exact(&mut data, q));
            prop_assert!((got - want).abs() <= want / 1024.0 + 1e-12, "{got} vs {want}");
            let cut = cut.min(data.len());
            let (mut a, mut b) = (LogHistogram::default(), LogHistogram::default());
            data[..cut].iter().for_each(|&v| a.record(v));
            data[cut..].iter().for_each(|&v| b.record(v));
            let (mut ab, mut ba) = (a.clone(), b.clone());
            ab.try_merge(&b).unwrap();
            ba.try_merge(&a).unwrap();
            prop_assert_eq!(&ab, &h);
            prop_assert_eq!(&ba, &h);
        }

        /// A few bins merged into many (added in place where they exist,
        /// inserted from the back where they do not) give the bins that
        /// counting every value directly gives.
        #[test]
        fn few_bins_merge_into_many_as_counted(
            many in prop::collection::vec(0u64..1_000_000_000, 200..600),
            new in prop::collection::vec(0u64..1_000_000_000, 0..6),
            again in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let few: Vec<u64> = new.into_iter().chain(again.iter().map(|i| many[i.index(many.len())])).collect();
            let histogram = |values: &[u64]| {
                let mut h = LogHistogram::default();
                values.iter().for_each(|&v| h.record(v));
                h.settle();
                h
            };
            let (mut big, small) = (histogram(&many), histogram(&few));
            prop_assert!(small.bins.len() * 16 < big.bins.len(), "the few-into-many path");
            big.try_merge(&small).unwrap();
            let mut counted = std::collections::BTreeMap::new();
            for &v in many.iter().chain(&few) {
                let b = counted.entry(LogHistogram::bin(v)).or_insert(Bin { count: 0, min: v, max: v });
                *b = Bin { count: b.count + 1, min: b.min.min(v), max: b.max.max(v) };
            }
            prop_assert_eq!(big.bins, counted.into_iter().collect::<Vec<_>>());
        }
    }
}
