//! Point estimates and 95 % confidence intervals.

use super::tally::{MICROS, Replications, Summary};
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// An estimate with its 95 % confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// Point estimate.
    pub mean: f64,
    /// Lower bound of the 95 % interval.
    pub ci95_low: f64,
    /// Upper bound of the 95 % interval.
    pub ci95_high: f64,
}

impl Interval {
    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.ci95_high - self.ci95_low) / 2.0
    }

    /// The interval of 1 − x, e.g. availability from unavailability.
    pub fn complement(&self) -> Interval {
        Interval { mean: 1.0 - self.mean, ci95_low: 1.0 - self.ci95_high, ci95_high: 1.0 - self.ci95_low }
    }
}

/// The 0.975 quantile of the standard normal (≈ 1.96).
pub fn z_975() -> f64 {
    Normal::standard().inverse_cdf(0.975)
}

/// Mean of `n` observations from their sum and sum of squares, with a
/// normal-approximation 95 % interval (the years are many and independent,
/// so the central limit theorem applies to their mean).
///
/// # Panics
/// If `n < 2`: a sample variance needs two observations.
pub fn mean_interval(n: u64, sum: f64, sum_sq: f64) -> Interval {
    assert!(n >= 2, "a confidence interval needs at least two observations");
    let nf = n as f64;
    let mean = sum / nf;
    let var = ((sum_sq - sum * mean) / (nf - 1.0)).max(0.0);
    let half = z_975() * (var / nf).sqrt();
    Interval { mean, ci95_low: mean - half, ci95_high: mean + half }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
fn t_975(df: u64) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64).expect("positive degrees of freedom").inverse_cdf(0.975)
}

/// The mean per period of `s` [µs], divided by `unit` µs, with its 95 %
/// interval.
///
/// The periods of one trajectory need not be independent: with two or more
/// trajectories, the interval comes from the spread between them
/// (independent replications, Student's t on one degree of freedom fewer
/// than there are trajectories). A single trajectory gives only the spread
/// between its periods, as if they were independent.
///
/// # Panics
/// If `s` counts fewer than two periods.
pub fn summary_interval(s: &Summary, unit: f64) -> Interval {
    match s.trajectories.variance_of_mean(s.sum, s.n) {
        Some((var, df)) => {
            let mean = s.sum as f64 / s.n as f64 / unit;
            let half = t_975(df) * var.sqrt() / unit;
            Interval { mean, ci95_low: mean - half, ci95_high: mean + half }
        }
        None => {
            let scale = unit / MICROS;
            mean_interval(s.n, s.sum_secs() / scale, s.sum_sq_secs() / (scale * scale))
        }
    }
}

/// Proportion `k / n` of periods with the Wilson interval, widened for the
/// correlation between the periods of one trajectory: `n` is cut to its
/// effective size, `n` over the design effect (the variance between
/// trajectories over the binomial one), when that effect exceeds 1.
///
/// # Panics
/// If `n == 0` or `k > n`.
pub fn replicated_proportion_interval(k: u64, n: u64, trajectories: &Replications) -> Interval {
    let p = k as f64 / n.max(1) as f64;
    let binomial = p * (1.0 - p) / n.max(1) as f64;
    let effect = match trajectories.variance_of_mean(u128::from(k), n) {
        Some((var, _)) if binomial > 0.0 => (var / binomial).max(1.0),
        _ => 1.0,
    };
    wilson(p, n as f64 / effect, n > 0 && k <= n)
}

/// Proportion `k / n` with the Wilson score 95 % interval, which stays
/// inside [0, 1] and honest at 0 and n, where the normal approximation
/// collapses to a point. (Clopper–Pearson through statrs' Beta quantile was
/// tried first: its iteration does not finish for millions of windows.)
///
/// # Panics
/// If `n == 0` or `k > n`.
pub fn proportion_interval(k: u64, n: u64) -> Interval {
    wilson(k as f64 / n.max(1) as f64, n as f64, n > 0 && k <= n)
}

/// The Wilson interval of proportion `p` over `nf` (effective) trials.
fn wilson(p: f64, nf: f64, defined: bool) -> Interval {
    assert!(defined, "proportion {p} of {nf} is undefined");
    let z = z_975();
    let z2n = z * z / nf;
    let center = (p + z2n / 2.0) / (1.0 + z2n);
    let half = z / (1.0 + z2n) * (p * (1.0 - p) / nf + z2n / (4.0 * nf)).sqrt();
    // The Wilson interval always contains p; the clamps only absorb
    // rounding (at k = 0, center − half can come out as +1e-17).
    Interval { mean: p, ci95_low: (center - half).clamp(0.0, p), ci95_high: (center + half).clamp(p, 1.0) }
}

/// Rate of `k` events in `exposure` units (e.g. outages per year) with the
/// exact (Garwood) 95 % Poisson interval, honest when `k` is 0 or small.
///
/// # Panics
/// If `exposure` is not positive.
pub fn rate_interval(k: u64, exposure: f64) -> Interval {
    assert!(exposure > 0.0, "a rate needs a positive exposure");
    let kf = k as f64;
    let chi2 = |dof: f64, p: f64| ChiSquared::new(dof).expect("positive degrees of freedom").inverse_cdf(p);
    let low = if k == 0 { 0.0 } else { chi2(2.0 * kf, 0.025) / 2.0 };
    let high = chi2(2.0 * kf + 2.0, 0.975) / 2.0;
    Interval { mean: kf / exposure, ci95_low: low / exposure, ci95_high: high / exposure }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mean_interval_matches_hand_computation() {
        // Observations 1, 2, 3, 4: mean 2.5, sample variance 5/3.
        let i = mean_interval(4, 10.0, 30.0);
        assert!((i.mean - 2.5).abs() < 1e-12);
        let half = 1.959963984540054 * (5.0f64 / 3.0 / 4.0).sqrt();
        assert!((i.half_width() - half).abs() < 1e-9);
    }

    /// Trajectories of (sum, periods) (10, 4), (2, 2) and (6, 4): mean 1.8;
    /// Σ (s − 1.8 n)² = 2.8² + 1.6² + 1.2² = 11.84; variance of the mean
    /// 3/2 · 11.84 / 10² = 0.1776 on 2 degrees of freedom (t = 4.302653).
    #[test]
    fn replicated_interval_matches_hand_computation() {
        let mut s = Summary::default();
        for (sum, n) in [(10u64, 4u64), (2, 2), (6, 4)] {
            let mut one = Summary::default();
            (0..n).for_each(|i| one.record(if i == 0 { sum as f64 } else { 0.0 }));
            one.close_trajectory();
            s.try_merge(&one).unwrap();
        }
        let i = summary_interval(&s, MICROS);
        assert!((i.mean - 1.8).abs() < 1e-12);
        assert!((i.half_width() - 4.302653 * 0.1776f64.sqrt()).abs() < 1e-5, "{}", i.half_width());
        // Without trajectories, the periods' own spread (as independent).
        let mut flat = s.clone();
        flat.trajectories = Replications::default();
        let iid = mean_interval(10, 18.0, 10.0 * 10.0 + 2.0 * 2.0 + 6.0 * 6.0);
        assert_eq!(summary_interval(&flat, MICROS), iid);
    }

    /// Two trajectories of 10 periods, one meeting in all, one in none:
    /// variance 2/1 · (5² + 5²) / 20² = 0.25 against the binomial 0.25 / 20,
    /// a design effect of 20, so the interval is Wilson's over one
    /// effective trial; equal trajectories leave Wilson's interval as it is.
    #[test]
    fn replicated_proportions_widen_by_the_design_effect() {
        let apart = Replications { count: 2, sum_sq: 100, cross: 100, n_sq: 200 };
        let wide = replicated_proportion_interval(10, 20, &apart);
        assert_eq!(wide, wilson(0.5, 1.0, true));
        let alike = Replications { count: 2, sum_sq: 50, cross: 100, n_sq: 200 };
        assert_eq!(replicated_proportion_interval(10, 20, &alike), proportion_interval(10, 20));
    }

    #[test]
    fn complement_mirrors_the_interval() {
        let i = Interval { mean: 0.2, ci95_low: 0.1, ci95_high: 0.4 }.complement();
        assert_eq!((i.mean, i.ci95_low, i.ci95_high), (0.8, 0.6, 0.9));
    }

    #[test]
    fn wilson_known_values() {
        // 0 of 10: [0, 0.2775]; 5 of 10: [0.2366, 0.7634].
        let i = proportion_interval(0, 10);
        assert_eq!(i.ci95_low, 0.0);
        assert!((i.ci95_high - 0.27754).abs() < 1e-4);
        let i = proportion_interval(5, 10);
        assert!((i.ci95_low - 0.23659).abs() < 1e-4 && (i.ci95_high - 0.76341).abs() < 1e-4);
    }

    #[test]
    fn intervals_are_quick_for_billions() {
        // statrs' Beta quantile never returned for these; Wilson and
        // Garwood must stay closed-form fast.
        let i = proportion_interval(1, 12_166_666);
        assert!(i.ci95_low > 0.0 && i.ci95_high < 1e-6);
        let r = rate_interval(7_700_000_000, 1e9);
        assert!((r.mean - 7.7).abs() < 1e-12 && r.half_width() < 1e-3);
    }

    #[test]
    fn garwood_known_values() {
        // 0 events: upper bound 3.689; 10 events: (4.795, 18.390).
        let zero = rate_interval(0, 1.0);
        assert_eq!(zero.ci95_low, 0.0);
        assert!((zero.ci95_high - 3.6889).abs() < 1e-3);
        let ten = rate_interval(10, 2.0);
        assert!((ten.ci95_low - 4.7954 / 2.0).abs() < 1e-3 && (ten.ci95_high - 18.3904 / 2.0).abs() < 1e-3);
    }

    proptest! {
        #[test]
        fn intervals_contain_the_estimate(k in 0u64..200, extra in 0u64..200) {
            let i = proportion_interval(k, k + extra + 1);
            prop_assert!(i.ci95_low <= i.mean && i.mean <= i.ci95_high);
        }

        #[test]
        fn mean_interval_narrows_with_n(x in 0.1f64..10.0, n in 10u64..1000) {
            // Alternating x and 0: same spread at every n, so the width falls like 1/sqrt(n).
            let interval = |n: u64| mean_interval(2 * n, x * n as f64, x * x * n as f64);
            prop_assert!(interval(4 * n).half_width() < interval(n).half_width());
        }
    }
}
