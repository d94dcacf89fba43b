//! Point estimates and 95 % confidence intervals.

use serde::Serialize;
use statrs::distribution::{Beta, ChiSquared, ContinuousCDF, Normal};

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

    /// The interval scaled by `factor`.
    pub fn scale(&self, factor: f64) -> Interval {
        Interval { mean: self.mean * factor, ci95_low: self.ci95_low * factor, ci95_high: self.ci95_high * factor }
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

/// Proportion `k / n` with the exact (Clopper–Pearson) 95 % interval, which
/// stays honest at 0 and n where the normal approximation collapses.
///
/// # Panics
/// If `n == 0` or `k > n`.
pub fn proportion_interval(k: u64, n: u64) -> Interval {
    assert!(n > 0 && k <= n, "proportion {k}/{n} is undefined");
    let (kf, nf) = (k as f64, n as f64);
    let low = if k == 0 { 0.0 } else { Beta::new(kf, nf - kf + 1.0).expect("positive shape").inverse_cdf(0.025) };
    let high = if k == n { 1.0 } else { Beta::new(kf + 1.0, nf - kf).expect("positive shape").inverse_cdf(0.975) };
    Interval { mean: kf / nf, ci95_low: low, ci95_high: high }
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

    #[test]
    fn clopper_pearson_known_values() {
        // 0 of 10: upper bound 1 − 0.025^(1/10) = 0.3085.
        let i = proportion_interval(0, 10);
        assert_eq!(i.ci95_low, 0.0);
        assert!((i.ci95_high - 0.30849).abs() < 1e-4);
        // 5 of 10: (0.1871, 0.8129).
        let i = proportion_interval(5, 10);
        assert!((i.ci95_low - 0.18709).abs() < 1e-4 && (i.ci95_high - 0.81291).abs() < 1e-4);
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
