//! Replicated dependencies (tiers): a dependency run as several replicas,
//! served by a primary with standbys, by a quorum, or by any replica, and
//! placed over the scenario's fault or availability domains.
//!
//! What a tier is checked into, and the causes it reports: a plain
//! dependency is one cause under its own name; a tier is one cause per
//! reason it can be down, named `<dependency>.<reason>`.

use super::raw::{RawDependency, RawFailover, RawPlacement, RawTierMode};
use super::validate::Checker;
use super::{Dist, FailureRepair, OutageKind, Partial};

/// Most replicas a tier may have.
pub const MOST_REPLICAS: u32 = 1000;

/// A dependency run as several replicas.
#[derive(Clone, Debug)]
pub struct Tier {
    /// How many replicas; each fails and is repaired on its own, by the
    /// dependency's `failure` and `repair` laws.
    pub replicas: u16,
    /// How the replicas serve.
    pub mode: TierMode,
    /// Where the replicas run.
    pub placement: Placement,
    /// A failure of the tier as a whole (the managed service or its control
    /// plane), with its own laws, if any.
    pub common: Option<FailureRepair>,
}

/// How the replicas of a tier serve.
#[derive(Clone, Debug)]
pub enum TierMode {
    /// One primary serves; the others are standbys. When the primary fails
    /// while a standby is up, the tier is down for detection + promotion,
    /// then the next live replica serves.
    Failover {
        /// From the primary's failure to the decision to fail over [s].
        detection: Dist,
        /// From that decision to the new primary serving [s].
        promotion: Dist,
    },
    /// Up while at least this many replicas are up.
    Quorum(u16),
    /// Up while one replica is up.
    Any,
}

/// Where the replicas of a tier run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Outside the scenario's domains: no domain outage touches them.
    Independent,
    /// Replica `r` in fault domain `r mod FDs`: that domain's outage (and
    /// its availability domain's) takes the replica with the instances.
    FaultDomains,
    /// Replica `r` in availability domain `r mod ADs`.
    AvailabilityDomains,
}

/// Why a tier is down: its cause in reports is `<dependency>.<reason>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierReason {
    /// The tier as a whole failed.
    Common,
    /// An outage of domains of this kind took down the replicas it needed.
    Outage(OutageKind),
    /// A standby is being promoted after the primary failed.
    Failover,
    /// No replica is up (the failover and any-replica modes).
    AllDown,
    /// Fewer replicas are up than the quorum.
    QuorumLost,
}

impl TierReason {
    /// Its name, after the dependency's and a dot.
    pub fn name(self) -> &'static str {
        match self {
            TierReason::Common => "common",
            TierReason::Outage(kind) => kind.cause().fixed_name().expect("an outage's cause is a fixed one"),
            TierReason::Failover => "failover",
            TierReason::AllDown => "all_down",
            TierReason::QuorumLost => "quorum_lost",
        }
    }
}

impl Tier {
    /// The reasons this tier can be down, in precedence order: the common
    /// failure first, then a promotion window, then a domain outage that
    /// took the replicas needed (in the precedence of their causes), then
    /// the mode's own. `partial`: the kinds of domain outage that can leave
    /// some instance serving (more than one such domain); any other that
    /// takes the tier takes every instance too and is named by the
    /// instances' cause.
    pub fn reasons(&self, partial: Partial) -> Vec<TierReason> {
        let mut reasons = vec![];
        if self.common.is_some() {
            reasons.push(TierReason::Common);
        }
        let failover = matches!(self.mode, TierMode::Failover { .. });
        if failover && self.replicas > 1 {
            reasons.push(TierReason::Failover);
        }
        let sees = |kind: OutageKind| match self.placement {
            Placement::Independent => false,
            Placement::FaultDomains => true,
            Placement::AvailabilityDomains => kind.whole_ads(),
        };
        reasons.extend(
            OutageKind::by_precedence()
                .into_iter()
                .filter(|&kind| partial.has(kind) && sees(kind))
                .map(TierReason::Outage),
        );
        reasons.push(match self.mode {
            TierMode::Quorum(_) => TierReason::QuorumLost,
            TierMode::Failover { .. } | TierMode::Any => TierReason::AllDown,
        });
        reasons
    }

    /// The least number of replicas up for the tier to serve.
    pub fn needed(&self) -> u16 {
        match self.mode {
            TierMode::Quorum(k) => k,
            TierMode::Failover { .. } | TierMode::Any => 1,
        }
    }
}

/// Checks the tier keys of `[[dependency]]` `d`: `None` for a plain
/// dependency. Every tier key but `mode` needs `mode`, and each mode's own
/// keys need that mode.
pub(super) fn check(d: &RawDependency, c: &mut Checker) -> Option<Tier> {
    let name = d.name.get_ref();
    let Some(mode) = &d.mode else {
        let stray = [
            d.replicas.as_ref().map(|r| (r.span(), "replicas")),
            d.quorum.as_ref().map(|q| (q.span(), "quorum")),
            d.placement.as_ref().map(|p| (p.span(), "placement")),
            d.failover.as_ref().map(|f| (f.span(), "failover")),
            d.common.as_ref().map(|f| (f.span(), "common")),
        ];
        for (span, key) in stray.into_iter().flatten() {
            c.problem(
                span,
                format!(
                    "{key} applies to a replicated dependency: add mode = \"failover\", \"quorum\" or \"any\" to '{name}'"
                ),
            );
        }
        return None;
    };
    let replicas = match &d.replicas {
        Some(r) if (1..=MOST_REPLICAS).contains(r.get_ref()) => *r.get_ref() as u16,
        Some(r) => {
            c.problem(r.span(), format!("replicas must be between 1 and {MOST_REPLICAS} (got {})", r.get_ref()));
            1
        }
        None => {
            c.problem(mode.span(), format!("a replicated dependency needs replicas, how many '{name}' runs"));
            1
        }
    };
    let mode = tier_mode(*mode.get_ref(), d, replicas, c);
    let placement = match d.placement.as_ref().map(|p| *p.get_ref()) {
        None | Some(RawPlacement::FaultDomains) => Placement::FaultDomains,
        Some(RawPlacement::AvailabilityDomains) => Placement::AvailabilityDomains,
        Some(RawPlacement::Independent) => Placement::Independent,
    };
    let common = d
        .common
        .as_ref()
        .map(|f| FailureRepair { failure: f.get_ref().failure.clone(), repair: f.get_ref().repair.clone() });
    Some(Tier { replicas, mode, placement, common })
}

/// The mode and its own keys: `quorum` for a quorum, `failover` for a
/// primary with standbys.
fn tier_mode(mode: RawTierMode, d: &RawDependency, replicas: u16, c: &mut Checker) -> TierMode {
    let name = d.name.get_ref();
    if let (Some(q), false) = (&d.quorum, mode == RawTierMode::Quorum) {
        c.problem(q.span(), "quorum applies to mode = \"quorum\" only");
    }
    if let (Some(f), false) = (&d.failover, mode == RawTierMode::Failover) {
        c.problem(f.span(), "failover applies to mode = \"failover\" only");
    }
    match mode {
        RawTierMode::Any => TierMode::Any,
        RawTierMode::Quorum => match &d.quorum {
            Some(k) if (1..=u32::from(replicas)).contains(k.get_ref()) => TierMode::Quorum(*k.get_ref() as u16),
            Some(k) => {
                c.problem(k.span(), format!("quorum must be between 1 and replicas ({replicas}), got {}", k.get_ref()));
                TierMode::Quorum(1)
            }
            None => {
                c.problem(
                    d.name.span(),
                    format!("mode = \"quorum\" needs quorum, how many replicas of '{name}' must be up"),
                );
                TierMode::Quorum(1)
            }
        },
        RawTierMode::Failover => match &d.failover {
            Some(f) => {
                let RawFailover { detection, promotion } = f.get_ref();
                TierMode::Failover { detection: detection.clone(), promotion: promotion.clone() }
            }
            None => {
                c.problem(
                    d.name.span(),
                    format!("mode = \"failover\" needs failover = {{ detection = ..., promotion = ... }} for '{name}'"),
                );
                TierMode::Any
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(replicas: u16, mode: TierMode, placement: Placement, common: bool) -> Tier {
        let one = || Dist::Constant { value: 1.0 };
        let common = common.then(|| FailureRepair { failure: one(), repair: one() });
        Tier { replicas, mode, placement, common }
    }

    /// Only the reasons a tier can be down for are its causes, in
    /// precedence order.
    #[test]
    fn a_tier_lists_only_the_reasons_it_can_have() {
        let failover = || TierMode::Failover {
            detection: Dist::Constant { value: 30.0 },
            promotion: Dist::Constant { value: 60.0 },
        };
        use TierReason::*;
        let (ad, fd) = (Outage(OutageKind::AvailabilityDomain), Outage(OutageKind::FaultDomain));
        let both = Partial::of(&[OutageKind::AvailabilityDomain, OutageKind::FaultDomain]);
        let fds = Partial::of(&[OutageKind::FaultDomain]);
        let t = tier(2, failover(), Placement::FaultDomains, true);
        assert_eq!(t.reasons(both), [Common, Failover, ad, fd, AllDown]);
        assert_eq!(t.reasons(Partial::default()), [Common, Failover, AllDown]);
        assert_eq!(tier(1, failover(), Placement::FaultDomains, false).reasons(fds), [fd, AllDown]);
        let quorum = tier(3, TierMode::Quorum(2), Placement::AvailabilityDomains, false);
        assert_eq!(quorum.reasons(both), [ad, QuorumLost]);
        assert_eq!(quorum.needed(), 2);
        assert_eq!(tier(3, TierMode::Any, Placement::Independent, false).reasons(both), [AllDown]);
        assert_eq!((ad.name(), fd.name()), ("ad_outage", "fd_outage"));
    }
}
