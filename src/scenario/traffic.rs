//! Traffic, instance capacity and autoscaling: the checked types and the
//! checks of `[traffic]`, `instance.capacity`, `instance.overload` and
//! `[autoscaling]`.

use super::raw::{RawAutoscaling, RawInstance, RawMultiplier, RawTraffic};
use super::validate::Checker;
use super::{Dist, Repair, Topology};
use crate::demand::Profile;
use std::sync::Arc;
use toml::Spanned;

/// The demand the service faces.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// Demand at a profile multiplier of 1 [requests/s].
    pub rps: f64,
    /// The daily profile as written: (hour, multiplier).
    pub daily: Vec<(f64, f64)>,
    /// Day-of-week factors, Monday first (empty: none).
    pub weekly: Vec<f64>,
    /// Growth per year (0.2 = +20 %), compounded daily.
    pub growth: f64,
    /// The year of demand these describe, in closed form.
    pub profile: Arc<Profile>,
    /// Random flash sales, if modelled.
    pub flash_sale: Option<FlashSale>,
}

/// Random flash sales: demand spikes on top of the profile.
#[derive(Clone, Debug)]
pub struct FlashSale {
    /// Mean number per year (Poisson arrivals).
    pub per_year: f64,
    /// At its height a sale adds `(multiplier − 1) × rps`; drawn uniformly
    /// in [low, high] for each sale.
    pub multiplier: (f64, f64),
    /// Time to ramp up (and, after the plateau, back down) [s].
    pub ramp: Dist,
    /// How long the plateau lasts [s].
    pub duration: Dist,
}

/// Crash hazard raised by overload: the "crashed under peak memory" story.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overload {
    /// Utilisation above which instances are overloaded.
    pub above: f64,
    /// Hazard multiplier while overloaded: an extra crash risk of
    /// `(hazard − 1) / mean time to crash` per serving instance.
    pub hazard: f64,
}

/// The instance pool's autoscaling policy.
#[derive(Clone, Debug)]
pub struct Autoscaling {
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// Scale out when utilisation stays above this...
    pub out_above: f64,
    /// ...for this long [s].
    pub out_for: f64,
    /// Scale in when utilisation stays below this...
    pub in_below: f64,
    /// ...for this long [s].
    pub in_for: f64,
    /// Instances added or removed per action.
    pub step: u32,
    /// No action within this long after the last one [s].
    pub cooldown: f64,
    /// Launch-to-running time of a new instance [s].
    pub provisioning: Dist,
    /// Out of rotation before termination, so requests in flight finish [s].
    pub drain: f64,
}

/// The checked traffic, capacity, overload and autoscaling settings.
pub(super) struct Load {
    pub traffic: Option<Traffic>,
    pub capacity: Option<f64>,
    pub overload: Option<Overload>,
    pub autoscaling: Option<Autoscaling>,
}

fn finite_positive(c: &mut Checker, v: &Spanned<f64>, what: &str) -> f64 {
    let x = *v.get_ref();
    if !(x.is_finite() && x > 0.0) {
        c.problem(v.span(), format!("{what} must be a positive, finite number (got {x})"));
    }
    x
}

/// `x` as a user would write it: very large or small values in
/// scientific notation.
fn number(x: f64) -> String {
    if x != 0.0 && !(1e-6..1e6).contains(&x.abs()) { format!("{x:e}") } else { x.to_string() }
}

/// `what` at `v`, from [`MIN_MAGNITUDE`] to `max`.
fn bounded(c: &mut Checker, v: &Spanned<f64>, what: &str, max: f64) -> f64 {
    let x = *v.get_ref();
    if !(MIN_MAGNITUDE..=max).contains(&x) {
        c.problem(v.span(), format!("{what} must be a number from {MIN_MAGNITUDE:e} to {max:e} (got {})", number(x)));
    }
    x
}

/// Whether `x` is a valid demand factor: 0, or from [`MIN_MAGNITUDE`] to [`MAX_FACTOR`].
fn factor(x: f64) -> bool {
    x == 0.0 || (MIN_MAGNITUDE..=MAX_FACTOR).contains(&x)
}

/// The smallest request rate, capacity or non-zero demand factor
/// accepted: smaller ones are units gone wrong, and their products
/// underflow.
const MIN_MAGNITUDE: f64 = 1e-6;
/// The largest flash-sale multiplier accepted.
const MAX_FLASH_MULTIPLIER: f64 = 1_000.0;
/// The largest request rate and instance capacity accepted [requests/s]:
/// far beyond any service, and small enough that every product of
/// demand, capacity and multipliers stays finite.
const MAX_RPS: f64 = 1e12;
/// The largest daily multiplier or weekly factor accepted, and the most
/// daily points (one a minute).
const MAX_FACTOR: f64 = 1e6;
const MAX_DAILY_POINTS: usize = 1_440;
/// The most the highest demand may be, in instances' capacities.
const MAX_UTILISATION: f64 = 1e9;
/// The largest overload hazard multiplier accepted.
const MAX_HAZARD: f64 = 1_000.0;

fn traffic(raw: RawTraffic, origin: f64, c: &mut Checker) -> Traffic {
    let rps = bounded(c, &raw.rps, "traffic.rps", MAX_RPS);
    let daily = match &raw.daily {
        None => vec![(0.0, 1.0)],
        Some(d) if d.get_ref().iter().any(|p| p.len() != 2) => {
            let n = d.get_ref().iter().find(|p| p.len() != 2).map_or(0, Vec::len);
            c.problem(d.span(), format!("each traffic.daily point is [hour, multiplier], two numbers (one has {n})"));
            vec![(0.0, 1.0)]
        }
        Some(d) => {
            let points: Vec<(f64, f64)> = d.get_ref().iter().map(|p| (p[0], p[1])).collect();
            let hours_ok =
                points.windows(2).all(|w| w[0].0 < w[1].0) && points.iter().all(|p| (0.0..=24.0).contains(&p.0));
            let values_ok = points.iter().all(|p| factor(p.1)) && points.iter().any(|p| p.1 > 0.0);
            if points.is_empty() {
                c.problem(d.span(), "traffic.daily needs at least one [hour, multiplier] point");
            } else if points.len() > MAX_DAILY_POINTS {
                c.problem(d.span(), format!("traffic.daily takes at most {MAX_DAILY_POINTS} points (one a minute)"));
            } else if !hours_ok {
                c.problem(d.span(), "traffic.daily hours must ascend strictly within 0 to 24");
            } else if !values_ok {
                c.problem(
                    d.span(),
                    format!(
                        "traffic.daily multipliers must be 0 or from {MIN_MAGNITUDE:e} to {MAX_FACTOR:e}, not all 0"
                    ),
                );
            }
            if points.is_empty() || points.len() > MAX_DAILY_POINTS || !hours_ok || !values_ok {
                vec![(0.0, 1.0)]
            } else {
                points
            }
        }
    };
    let weekly = match &raw.weekly {
        None => vec![],
        Some(w) => {
            let f = w.get_ref().clone();
            if f.len() != 7 || f.iter().any(|&x| !factor(x)) || f.iter().all(|x| *x == 0.0) {
                let message = format!(
                    "traffic.weekly needs 7 factors, each 0 or from {MIN_MAGNITUDE:e} to {MAX_FACTOR:e}, Monday first, not all 0"
                );
                c.problem(w.span(), message);
                vec![]
            } else {
                f
            }
        }
    };
    let growth = raw.growth.as_ref().map_or(0.0, |g| {
        let x = *g.get_ref();
        if !(-0.9..=10.0).contains(&x) {
            c.problem(g.span(), format!("traffic.growth is a fraction per year between -0.9 and 10 (got {x})"));
            0.0
        } else {
            x
        }
    });
    let flash_sale = raw.flash_sale.map(|f| {
        let per_year = finite_positive(c, &f.per_year, "flash_sale.per_year");
        let multiplier = match *f.multiplier.get_ref() {
            RawMultiplier::Fixed(m) => (m, m),
            RawMultiplier::Range([low, high]) => (low, high),
        };
        // Beyond a thousandfold, the sale's demand dwarfs the profile's by
        // more than double precision resolves when solving for crossings.
        if !(1.0 <= multiplier.0 && multiplier.0 <= multiplier.1 && multiplier.1 <= MAX_FLASH_MULTIPLIER) {
            c.problem(
                f.multiplier.span(),
                format!("flash_sale.multiplier must be a number from 1 to {MAX_FLASH_MULTIPLIER}, or [low, high] with 1 <= low <= high <= {MAX_FLASH_MULTIPLIER}"),
            );
        }
        FlashSale { per_year, multiplier, ramp: f.ramp, duration: f.duration }
    });
    let profile = Arc::new(Profile::new(&daily, &weekly, growth, rps, origin));
    Traffic { rps, daily, weekly, growth, profile, flash_sale }
}

/// Checks the load-related sections. `origin` is where measured years
/// start (the end of warm-up), which the daily profile's clock follows.
pub(super) fn check(
    raw_traffic: Option<RawTraffic>,
    instance: &RawInstance,
    raw_autoscaling: Option<RawAutoscaling>,
    topology: &Topology,
    repair: &Repair,
    origin: f64,
    c: &mut Checker,
) -> Load {
    let has_traffic = raw_traffic.is_some();
    let traffic = raw_traffic.map(|t| traffic(t, origin, c));
    let capacity = instance.capacity.as_ref().map(|cap| {
        if !has_traffic {
            c.problem(cap.span(), "instance.capacity needs a [traffic] section: capacity is measured against demand");
        }
        let capacity = bounded(c, cap, "instance.capacity", MAX_RPS);
        // Utilisation is counted to the millionth of a percent in 64 bits:
        // the highest demand must stay within a bound of one instance's
        // capacity, far beyond any real overload.
        // (Checked only when both are valid: each has its own message.)
        if let Some(t) = &traffic
            && [t.rps, capacity].iter().all(|x| (MIN_MAGNITUDE..=MAX_RPS).contains(x))
        {
            let extra = t.flash_sale.as_ref().map_or(0.0, |f| f.multiplier.1 - 1.0);
            let highest = t.rps * (t.profile.highest() + extra);
            if highest / capacity > MAX_UTILISATION {
                c.problem(
                    cap.span(),
                    format!(
                        "the highest demand ({} requests/s) is over {MAX_UTILISATION:e} times what one instance serves \
                         ({} requests/s): check the units of instance.capacity and traffic.rps",
                        number((highest * 10.0).round() / 10.0),
                        number(capacity)
                    ),
                );
            }
        }
        capacity
    });
    let overload = instance.overload.as_ref().map(|o| {
        if capacity.is_none() {
            c.problem(o.span(), "instance.overload needs instance.capacity, to know the utilisation");
        }
        let o = o.get_ref();
        let above = finite_positive(c, &o.above, "overload.above");
        let hazard = *o.hazard.get_ref();
        if !(1.0..=MAX_HAZARD).contains(&hazard) {
            c.problem(
                o.hazard.span(),
                format!("overload.hazard is a multiplier of the crash rate, from 1 to {MAX_HAZARD} (got {hazard})"),
            );
        }
        Overload { above, hazard }
    });
    let autoscaling = raw_autoscaling.and_then(|a| autoscaling(a, capacity, topology, repair, c));
    Load { traffic, capacity, overload, autoscaling }
}

/// `[autoscaling]`, checked against the topology, the capacity it scales
/// on and the pool that launches its instances; `None` when `enabled` is
/// false.
fn autoscaling(
    a: RawAutoscaling,
    capacity: Option<f64>,
    topology: &Topology,
    repair: &Repair,
    c: &mut Checker,
) -> Option<Autoscaling> {
    let (min, max) = (*a.min.get_ref(), *a.max.get_ref());
    let initial = topology.instances();
    if capacity.is_none() {
        c.problem(a.min.span(), "[autoscaling] needs [traffic] and instance.capacity: it scales on utilisation");
    }
    let replacement = match repair {
        Repair::Pool { replacement, .. } => replacement.clone(),
        Repair::Manual { time } => {
            c.problem(a.min.span(), "[autoscaling] needs repair.mode = \"pool\": the pool launches the instances");
            time.clone()
        }
    };
    if min == 0 {
        c.problem(a.min.span(), "autoscaling.min must be at least 1");
    } else if min as usize > initial {
        c.problem(a.min.span(), format!("autoscaling.min ({min}) is above the topology's {initial} instances"));
    }
    if (max as usize) < initial {
        c.problem(a.max.span(), format!("autoscaling.max ({max}) is below the topology's {initial} instances"));
    } else if max > u32::from(u16::MAX) {
        c.problem(a.max.span(), "at most 65,535 instances are supported");
    }
    let (out_above, out_for) = a
        .scale_out
        .as_ref()
        .map_or((0.7, 300.0), |o| (finite_positive(c, &o.above, "scale_out.above"), o.sustain.secs()));
    let (in_below, in_for) = a.scale_in.as_ref().map_or((0.3, 900.0), |i| {
        let below = finite_positive(c, &i.below, "scale_in.below");
        if below >= out_above {
            c.problem(i.below.span(), format!("scale_in.below ({below}) must be under scale_out.above ({out_above})"));
        }
        (below, i.sustain.secs())
    });
    let step = a.step.as_ref().map_or(1, |s| {
        if *s.get_ref() == 0 {
            c.problem(s.span(), "autoscaling.step must be at least 1");
        }
        *s.get_ref()
    });
    // Switched off (a sweep over `enabled`, say), it is checked like any
    // other section, then the pool is fixed: no autoscaler at all.
    a.enabled.is_none_or(|on| on).then_some(Autoscaling {
        min,
        max,
        out_above,
        out_for,
        in_below,
        in_for,
        step: step.max(1),
        cooldown: a.cooldown.map_or(300.0, |d| d.secs()),
        provisioning: a.provisioning.unwrap_or(replacement),
        drain: a.drain.map_or(300.0, |d| d.secs()),
    })
}
