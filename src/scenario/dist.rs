//! Probability distributions of durations, as written in scenario files.
//!
//! A distribution is either a bare duration string (a constant: `"10m"`) or an
//! inline table naming the family:
//!
//! ```toml
//! failure = { dist = "exponential", mean = "30d" }
//! failure = { dist = "weibull", shape = 1.5, scale = "40d" }
//! repair  = { dist = "lognormal", median = "5m", p95 = "20m" }   # or median + sigma, or mu + sigma
//! repair  = { dist = "uniform", low = "1m", high = "9m" }
//! repair  = { dist = "constant", value = "10m" }                  # same as repair = "10m"
//! ```
//!
//! Parameters are checked while the file is read, so a bad one is reported
//! with its line and column.

use super::duration::{Duration, format_duration};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, StandardNormal, Weibull};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::statistics::Distribution as _;
use std::fmt;

/// A distribution of non-negative durations [s]. Parameters stay inspectable
/// (not buried in closures) so that analytic estimates can read them.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always `value` [s].
    Constant {
        /// The duration [s].
        value: f64,
    },
    /// Exponential with the given `mean` [s] (memoryless; rate 1/mean).
    Exponential {
        /// Mean [s].
        mean: f64,
    },
    /// Weibull with `shape` k (dimensionless) and `scale` λ [s].
    Weibull {
        /// Shape k: below 1 infant mortality, above 1 wear-out.
        shape: f64,
        /// Scale λ [s].
        scale: f64,
        /// The sampler, built once from `scale` and `shape`.
        sampler: Weibull<f64>,
    },
    /// Lognormal: ln of the duration in seconds is normal(`mu`, `sigma`).
    LogNormal {
        /// Mean of ln(seconds).
        mu: f64,
        /// Standard deviation of ln(seconds).
        sigma: f64,
    },
    /// Uniform between `low` and `high` [s].
    Uniform {
        /// Lower bound [s].
        low: f64,
        /// Upper bound [s].
        high: f64,
    },
    /// Never: written `"never"`, for a time to failure only.
    Never,
}

impl Dist {
    /// A constant duration [s].
    pub fn constant(value: f64) -> Dist {
        Dist::Constant { value }
    }

    /// An exponential distribution with the given mean [s].
    pub fn exponential(mean: f64) -> Dist {
        Dist::Exponential { mean }
    }

    /// Draws one duration [s].
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Exponential { mean } => mean * <Exp1 as Distribution<f64>>::sample(&Exp1, rng),
            Dist::Weibull { sampler, .. } => sampler.sample(rng),
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
            Dist::Never => f64::INFINITY,
        }
    }

    /// The mean [s], from statrs' closed forms.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Exponential { mean } => *mean,
            Dist::Weibull { shape, scale, .. } => statrs::distribution::Weibull::new(*shape, *scale)
                .expect("validated parameters")
                .mean()
                .expect("Weibull mean exists"),
            Dist::LogNormal { mu, sigma } => statrs::distribution::LogNormal::new(*mu, *sigma)
                .expect("validated parameters")
                .mean()
                .expect("lognormal mean exists"),
            Dist::Uniform { low, high } => (low + high) / 2.0,
            Dist::Never => f64::INFINITY,
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let d = format_duration;
        match self {
            Dist::Constant { value } => write!(f, "constant {}", d(*value)),
            Dist::Exponential { mean } => write!(f, "exponential mean {}", d(*mean)),
            Dist::Weibull { shape, scale, .. } => {
                write!(f, "weibull shape {shape} scale {} (mean {})", d(*scale), d(self.mean()))
            }
            Dist::LogNormal { mu, sigma } => {
                write!(f, "lognormal median {} sigma {sigma:.3} (mean {})", d(mu.exp()), d(self.mean()))
            }
            Dist::Uniform { low, high } => write!(f, "uniform {}..{}", d(*low), d(*high)),
            Dist::Never => write!(f, "never"),
        }
    }
}

/// The inline-table form, as written; checked by [`DistTable::build`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistTable {
    dist: String,
    value: Option<Duration>,
    mean: Option<Duration>,
    shape: Option<f64>,
    scale: Option<Duration>,
    median: Option<Duration>,
    p95: Option<Duration>,
    mu: Option<f64>,
    sigma: Option<f64>,
    low: Option<Duration>,
    high: Option<Duration>,
}

fn need<T>(value: Option<T>, family: &str, key: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("a {family} distribution needs `{key}`"))
}

fn positive(value: f64, what: &str) -> Result<f64, String> {
    if value > 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(format!("{what} must be a positive, finite number (got {value})"))
    }
}

impl DistTable {
    /// Names of the keys present, to reject ones that do not belong to the family.
    fn present(&self) -> Vec<&'static str> {
        let mut keys = vec![];
        let mut add = |present: bool, key| {
            if present {
                keys.push(key)
            }
        };
        add(self.value.is_some(), "value");
        add(self.mean.is_some(), "mean");
        add(self.shape.is_some(), "shape");
        add(self.scale.is_some(), "scale");
        add(self.median.is_some(), "median");
        add(self.p95.is_some(), "p95");
        add(self.mu.is_some(), "mu");
        add(self.sigma.is_some(), "sigma");
        add(self.low.is_some(), "low");
        add(self.high.is_some(), "high");
        keys
    }

    fn build(self) -> Result<Dist, String> {
        let family = self.dist.clone();
        let family = family.as_str();
        let allowed: &[&str] = match family {
            "constant" => &["value"],
            "exponential" => &["mean"],
            "weibull" => &["shape", "scale"],
            "lognormal" => &["median", "p95", "mu", "sigma"],
            "uniform" => &["low", "high"],
            other => {
                return Err(format!(
                    "unknown distribution '{other}': use constant, exponential, weibull, lognormal or uniform"
                ));
            }
        };
        if let Some(extra) = self.present().into_iter().find(|k| !allowed.contains(k)) {
            return Err(format!(
                "`{extra}` is not a parameter of the {family} distribution (it takes {})",
                allowed.join(", ")
            ));
        }
        let dist = self.family(family)?;
        let mean = dist.mean();
        if !(mean.is_finite() && mean <= super::duration::MAX_SECS) {
            return Err(format!(
                "this {family} distribution's mean ({mean:e} s) is beyond what a simulation can use (1e9 years)"
            ));
        }
        Ok(dist)
    }

    /// The distribution of `family` from the parameters present.
    fn family(&self, family: &str) -> Result<Dist, String> {
        let dist = match family {
            "constant" => Dist::Constant { value: need(self.value, family, "value")?.secs() },
            "exponential" => Dist::Exponential { mean: positive(need(self.mean, family, "mean")?.secs(), "mean")? },
            "weibull" => {
                let shape = positive(need(self.shape, family, "shape")?, "shape")?;
                let scale = positive(need(self.scale, family, "scale")?.secs(), "scale")?;
                let sampler = Weibull::new(scale, shape).map_err(|e| format!("weibull: {e}"))?;
                Dist::Weibull { shape, scale, sampler }
            }
            "lognormal" => self.lognormal()?,
            _ => {
                let low = need(self.low, family, "low")?.secs();
                let high = need(self.high, family, "high")?.secs();
                if high < low {
                    return Err(format!("uniform needs low <= high (got {low} s > {high} s)"));
                }
                Dist::Uniform { low, high }
            }
        };
        Ok(dist)
    }

    /// Lognormal from median and p95, median and sigma, or mu and sigma.
    fn lognormal(&self) -> Result<Dist, String> {
        let mu = match (self.median, self.mu) {
            (Some(median), None) => positive(median.secs(), "median")?.ln(),
            (None, Some(mu)) if mu.is_finite() => mu,
            _ => return Err("a lognormal distribution needs exactly one of `median` or `mu`".into()),
        };
        let sigma = match (self.p95, self.sigma) {
            (Some(p95), None) => {
                let median = self.median.ok_or("`p95` goes with `median`, not `mu`")?.secs();
                if p95.secs() <= median {
                    return Err(format!(
                        "lognormal p95 ({}) must exceed the median ({})",
                        format_duration(p95.secs()),
                        format_duration(median)
                    ));
                }
                let z95 = Normal::standard().inverse_cdf(0.95);
                (p95.secs().ln() - mu) / z95
            }
            (None, Some(sigma)) => positive(sigma, "sigma")?,
            _ => return Err("a lognormal distribution needs exactly one of `p95` or `sigma`".into()),
        };
        Ok(Dist::LogNormal { mu, sigma })
    }
}

/// Reads a distribution; `"never"` only where `never` allows it.
struct DistVisitor {
    never: bool,
}

impl<'de> Visitor<'de> for DistVisitor {
    type Value = Dist;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration such as \"10m\" or a table such as { dist = \"exponential\", mean = \"30d\" }")?;
        if self.never { f.write_str(", or \"never\"") } else { Ok(()) }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
        match (v.trim(), self.never) {
            ("never", true) => Ok(Dist::Never),
            ("never", false) => Err(E::custom(
                "\"never\" is only for a time to failure (an instance's, a domain's or a dependency's failure)",
            )),
            _ => super::duration::parse_duration(v).map(Dist::constant).map_err(E::custom),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Dist, A::Error> {
        let table = DistTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        table.build().map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistVisitor { never: false })
    }
}

/// Reads a time to failure: a distribution with a positive mean (a
/// component failing again the instant it is back would keep the
/// simulation at one moment for ever), or `"never"`.
pub fn or_never<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Dist, D::Error> {
    let dist = deserializer.deserialize_any(DistVisitor { never: true })?;
    if dist.mean() > 0.0 {
        Ok(dist)
    } else {
        Err(de::Error::custom("a time to failure must take some time (a positive mean), or be \"never\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn parse(text: &str) -> Result<Dist, String> {
        #[derive(Deserialize)]
        struct Wrap {
            d: Dist,
        }
        toml::from_str::<Wrap>(&format!("d = {text}")).map(|w| w.d).map_err(|e| e.message().to_string())
    }

    #[test]
    fn parses_each_family() {
        assert_eq!(parse("\"10m\""), Ok(Dist::constant(600.0)));
        assert_eq!(parse("{ dist = \"exponential\", mean = \"1h\" }"), Ok(Dist::exponential(3600.0)));
        let Dist::LogNormal { mu, sigma } = parse("{ dist = \"lognormal\", median = \"5m\", p95 = \"20m\" }").unwrap()
        else {
            panic!("lognormal expected")
        };
        assert!((mu - 300f64.ln()).abs() < 1e-12);
        assert!((sigma - 4f64.ln() / 1.6448536269514722).abs() < 1e-9);
        assert!(matches!(parse("{ dist = \"weibull\", shape = 1.5, scale = \"40d\" }"), Ok(Dist::Weibull { .. })));
    }

    #[test]
    fn rejects_bad_parameters_with_a_reason() {
        assert!(parse("{ dist = \"exponential\", mean = \"0s\" }").unwrap_err().contains("positive"));
        assert!(parse("{ dist = \"exponential\", median = \"1h\" }").unwrap_err().contains("not a parameter"));
        assert!(parse("{ dist = \"gamma\", mean = \"1h\" }").unwrap_err().contains("unknown distribution"));
        assert!(parse("{ dist = \"lognormal\", median = \"5m\" }").unwrap_err().contains("p95"));
        assert!(parse("{ dist = \"lognormal\", median = \"5m\", p95 = \"1m\" }").unwrap_err().contains("exceed"));
        assert!(parse("{ dist = \"exponential\", mean = \"1h\", meen = 3 }").unwrap_err().contains("meen"));
    }

    /// Sample means match the closed-form means within 4 standard errors
    /// (fixed seed, so this is a regression check, not a flaky one).
    #[test]
    fn sample_means_match_closed_forms() {
        let dists = [
            parse("{ dist = \"exponential\", mean = \"1h\" }").unwrap(),
            parse("{ dist = \"weibull\", shape = 1.5, scale = \"1h\" }").unwrap(),
            parse("{ dist = \"lognormal\", median = \"5m\", sigma = 0.5 }").unwrap(),
            parse("{ dist = \"uniform\", low = \"1m\", high = \"9m\" }").unwrap(),
        ];
        const N: usize = 200_000;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for dist in &dists {
            let draws: Vec<f64> = (0..N).map(|_| dist.sample(&mut rng)).collect();
            let mean = draws.iter().sum::<f64>() / N as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (N - 1) as f64;
            let se = (var / N as f64).sqrt();
            assert!((mean - dist.mean()).abs() < 4.0 * se, "{dist}: sample mean {mean}, closed form {}", dist.mean());
        }
    }
}
