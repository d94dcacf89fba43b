//! `[regions]`: the same stack run in several regions behind DNS, the
//! global health check that watches each region's endpoint, and how
//! traffic moves when one fails. Checked here; simulated by
//! `model::regions`.

use super::raw::{RawRegionCheck, RawRegionFailover, RawRegionMode, RawRegions};
use super::validate::Checker;
use super::{Dist, FailureRepair};
use toml::Spanned;

/// Steps in which a change of DNS answer reaches the clients: the
/// stranded share falls by 1/`DNS_STEPS` at the midpoint of each slice
/// of a TTL, which integrates the linear fall of uniformly aged caches
/// exactly.
pub const DNS_STEPS: u32 = 8;

/// The most regions a scenario may have.
pub const MOST_REGIONS: usize = 16;

/// The regions of a scenario.
#[derive(Clone, Debug)]
pub struct Regions {
    /// Their names, in file order; the first is the home region (where
    /// the global dependencies are simulated and, active-passive, the
    /// active one).
    pub names: Vec<String>,
    /// How traffic is spread and moved.
    pub mode: RegionMode,
    /// Each region's own outage process (independent, the same law), if modelled.
    pub outage: Option<FailureRepair>,
    /// Clients' DNS cache lifetime [s]: a change of answer reaches them
    /// linearly over one TTL (uniformly aged caches).
    pub dns_ttl: f64,
    /// The global health check of each region's endpoint.
    pub check: RegionCheck,
}

/// How traffic is spread over the regions.
#[derive(Clone, Debug)]
pub enum RegionMode {
    /// Every healthy region serves its weight's share (weights sum to 1).
    ActiveActive {
        /// Each region's share while all are healthy.
        weights: Vec<f64>,
    },
    /// The first healthy region in file order serves everything; a move
    /// away from a failed region waits for the failover.
    ActivePassive {
        /// Who decides the failover.
        failover: Failover,
        /// From that decision to DNS answering with the next region [s].
        switch: Dist,
    },
}

/// Who starts an active-passive failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failover {
    /// The global health check, once it marks the region down.
    Automatic,
    /// An operator, after the monitoring alert (`[monitoring]`), measured
    /// from the region's failure.
    Manual,
}

/// The global health check's cadence: a region is marked down at the
/// `unhealthy`-th consecutive failed probe, up at the `healthy`-th
/// good one (probes at a fixed phase, drawn per region).
#[derive(Clone, Copy, Debug)]
pub struct RegionCheck {
    /// Between probes [s].
    pub interval: f64,
    /// Failed probes in a row to mark a region down.
    pub unhealthy: u32,
    /// Good probes in a row to mark it up again.
    pub healthy: u32,
}

/// Why a region's routed requests fail, besides what fails inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionReason {
    /// The region is out and the health check has not marked it yet.
    Outage,
    /// Active-passive: marked down (or alerted), the switch under way.
    Failover,
    /// Marked down: clients whose cached answer still names it.
    DnsTtl,
}

impl RegionReason {
    /// Its name in `region.<name>.<reason>`.
    pub fn name(self) -> &'static str {
        match self {
            RegionReason::Outage => "outage",
            RegionReason::Failover => "failover",
            RegionReason::DnsTtl => "dns_ttl",
        }
    }
}

impl Regions {
    /// The reasons each region's requests can fail for, one cause each,
    /// in cause order.
    pub fn reasons(&self) -> Vec<RegionReason> {
        let mut reasons = vec![];
        if self.outage.is_some() {
            reasons.push(RegionReason::Outage);
        }
        if matches!(self.mode, RegionMode::ActivePassive { .. }) {
            reasons.push(RegionReason::Failover);
        }
        reasons.push(RegionReason::DnsTtl);
        reasons
    }

    /// The regions' causes as reports name them: `region.<name>.<reason>`,
    /// region by region.
    pub fn causes(&self) -> Vec<String> {
        let reasons = self.reasons();
        self.names.iter().flat_map(|n| reasons.iter().map(move |r| format!("region.{n}.{}", r.name()))).collect()
    }

    /// The share of demand each region receives while every region is healthy.
    pub fn initial_shares(&self) -> Vec<f64> {
        match &self.mode {
            RegionMode::ActiveActive { weights } => weights.clone(),
            RegionMode::ActivePassive { .. } => (0..self.names.len()).map(|r| if r == 0 { 1.0 } else { 0.0 }).collect(),
        }
    }
}

/// Checks `[regions]`; `alert` says whether `[monitoring]` gives an alert
/// delay (a manual failover needs one).
pub(super) fn check(raw: RawRegions, alert: bool, c: &mut Checker) -> Regions {
    let names = raw.names.get_ref().clone();
    check_names(&raw.names, c);
    let mode = mode(&raw, names.len(), alert, c);
    let dns_ttl = raw.dns_ttl.as_ref().map_or(DEFAULT_TTL, |t| t.get_ref().secs());
    let check = raw.health_check.as_ref().map_or(DEFAULT_CHECK, |h| health_check(h, c));
    let outage = raw.outage.map(|o| FailureRepair { failure: o.failure, repair: o.repair });
    Regions { names, mode, outage, dns_ttl, check }
}

/// Region names: 2 to [`MOST_REGIONS`] of them, each usable in a cause's
/// name, none twice.
fn check_names(names: &Spanned<Vec<String>>, c: &mut Checker) {
    let (span, names) = (names.span(), names.get_ref());
    if !(2..=MOST_REGIONS).contains(&names.len()) {
        c.problem(span.clone(), format!("regions.names lists 2 to {MOST_REGIONS} regions (got {})", names.len()));
    }
    for (k, n) in names.iter().enumerate() {
        if n.is_empty() {
            c.problem(span.clone(), "a region name may not be empty");
        } else if !n.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_')) {
            c.problem(
                span.clone(),
                format!("region name '{n}' may hold only ASCII letters, digits, '-' and '_' (it names causes)"),
            );
        }
        if n.len() > 40 {
            c.problem(span.clone(), format!("region name '{n}' is longer than 40 characters"));
        }
        if !n.is_empty() && names[..k].iter().any(|m| m.eq_ignore_ascii_case(n)) {
            c.problem(span.clone(), format!("region '{n}' is listed twice (names are compared ignoring case)"));
        }
    }
}

/// The mode and its own keys (weights; failover and switch), refusing
/// the other mode's.
fn mode(raw: &RawRegions, regions: usize, alert: bool, c: &mut Checker) -> RegionMode {
    if *raw.mode.get_ref() != RawRegionMode::ActivePassive {
        for (span, key) in
            [raw.failover.as_ref().map(|f| (f.span(), "failover")), raw.switch.as_ref().map(|s| (s.span(), "switch"))]
                .into_iter()
                .flatten()
        {
            c.problem(span, format!("regions.{key} applies to mode = \"active-passive\" only"));
        }
        return RegionMode::ActiveActive { weights: weights(raw.weights.as_ref(), regions, c) };
    }
    if let Some(w) = &raw.weights {
        c.problem(
            w.span(),
            "weights apply to mode = \"active-active\": active-passive sends everything to the first healthy region",
        );
    }
    let failover = match raw.failover.as_ref().map(|f| *f.get_ref()) {
        None | Some(RawRegionFailover::Automatic) => Failover::Automatic,
        Some(RawRegionFailover::Manual) => Failover::Manual,
    };
    if let (Failover::Manual, false, Some(f)) = (failover, alert, &raw.failover) {
        c.problem(f.span(), "a manual failover starts after the alert: add [monitoring] alert_delay");
    }
    let switch = match &raw.switch {
        Some(s) => s.get_ref().clone(),
        None => {
            c.problem(raw.mode.span(), "mode = \"active-passive\" needs regions.switch, the time from the failover decision to DNS answering with the next region (e.g. \"2m\")");
            Dist::constant(0.0)
        }
    };
    RegionMode::ActivePassive { failover, switch }
}

/// Active-active weights, normalised to shares (equal when not given).
fn weights(weights: Option<&Spanned<Vec<f64>>>, regions: usize, c: &mut Checker) -> Vec<f64> {
    let Some(w) = weights else { return vec![1.0 / regions.max(1) as f64; regions] };
    let ws = w.get_ref();
    if ws.len() != regions {
        c.problem(w.span(), format!("regions.weights has {} values for {regions} regions", ws.len()));
    }
    let sum: f64 = ws.iter().sum();
    if ws.iter().any(|x| !x.is_finite() || *x <= 0.0) || !sum.is_finite() {
        c.problem(w.span(), "regions.weights must be positive numbers (shares of the traffic) with a finite sum");
    }
    ws.iter().map(|x| x / sum).collect()
}

/// The global health check: each key defaults on its own.
fn health_check(h: &RawRegionCheck, c: &mut Checker) -> RegionCheck {
    let mut check = DEFAULT_CHECK;
    if let Some(i) = &h.interval {
        check.interval = i.get_ref().secs();
        if check.interval <= 0.0 {
            c.problem(i.span(), "regions.health_check.interval must be positive");
        }
    }
    for (t, field) in [(&h.unhealthy_threshold, &mut check.unhealthy), (&h.healthy_threshold, &mut check.healthy)] {
        if let Some(t) = t {
            *field = *t.get_ref();
            if !(1..=100).contains(field) {
                c.problem(t.span(), "a health-check threshold is between 1 and 100 probes");
            }
        }
    }
    check
}

/// The global health check's keys not given: probes every 30 s, 3 in a
/// row to mark a region down or up (a DNS provider's usual defaults).
const DEFAULT_CHECK: RegionCheck = RegionCheck { interval: 30.0, unhealthy: 3, healthy: 3 };

/// Clients' DNS cache lifetime when `dns_ttl` is not given [s].
const DEFAULT_TTL: f64 = 60.0;
