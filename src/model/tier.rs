//! Replicated dependencies (tiers): which replicas are up, which one is the
//! primary, and whether a standby is being promoted. Each tier answers a
//! change (a replica or its domain failing or coming back, the common
//! failure, the end of a promotion) with an [`Outcome`] the deployment
//! applies: why the tier is down, whether its data was lost, and whether a
//! promotion window starts.
//!
//! Failover: when the primary stops (its own failure or its domain's) while
//! another replica is up, the tier is down for detection + promotion; the
//! window runs its course, then the next live replica after the old
//! primary (in replica order, the old primary last) serves. When no replica
//! is up, the tier is down until the first one comes back, which serves at
//! once. A replica that comes back while a primary serves rejoins as a
//! standby.

use super::domains::Domains;
use super::id16;
use crate::cause::Cause;
use crate::scenario::{OutageKind, Placement, Scenario, TierMode, TierReason};

/// Where a replica runs: what else its domain's outage takes down.
#[derive(Clone, Copy, Debug)]
enum Home {
    Nowhere,
    Fd(u16),
    Ad(u16),
}

/// One tier's state.
#[derive(Clone, Debug)]
struct Tier {
    /// Its dependency.
    dependency: u16,
    /// Its reasons to be down, in precedence order, and the cause number
    /// of the first ([`crate::cause::Cause::Named`]).
    reasons: Vec<TierReason>,
    first_cause: u16,
    /// The number of its first replica among all tiers' replicas.
    first_replica: u16,
    needed: u16,
    failover: bool,
    own_up: Vec<bool>,
    home: Vec<Home>,
    common_up: bool,
    /// The serving replica (failover mode).
    primary: Option<u16>,
    /// The failed primary, while a standby is being promoted.
    promoting: Option<u16>,
    /// Replicas up, kept current as they and their domains change.
    live: u16,
    /// Replicas up at the last settle.
    settled_live: u16,
}

/// What a tier's change means to the deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The cause the tier is down for, if it is: one of its own, or a
    /// domain outage's when that is not one of its reasons (the outage
    /// then takes every instance as well, and is named as theirs).
    pub down: Option<Cause>,
    /// Its last live replica just went down: what it held is gone.
    pub lost_all: bool,
    /// A promotion window starts; draw it on this replica's stream.
    pub window_from: Option<u16>,
}

/// Every tier of a scenario.
#[derive(Clone, Debug, Default)]
pub struct Tiers {
    tiers: Vec<Tier>,
    /// Each replica's tier and its number within, by global replica number.
    replicas: Vec<(u16, u16)>,
    /// Each dependency's tier, if it is one.
    of_dependency: Vec<Option<u16>>,
}

impl Tiers {
    /// The tiers of `sc`, every replica up; `first_cause[d]` is the cause
    /// number of dependency `d`'s first reason.
    pub fn new(sc: &Scenario, first_cause: &[u16]) -> Tiers {
        let mut tiers = Tiers::default();
        for (d, dep) in sc.dependencies.iter().enumerate() {
            let Some(spec) = &dep.tier else {
                tiers.of_dependency.push(None);
                continue;
            };
            let t = id16(tiers.tiers.len());
            tiers.of_dependency.push(Some(t));
            let (fds, ads) = (sc.topology.fault_domains(), sc.topology.availability_domains);
            let home = (0..usize::from(spec.replicas))
                .map(|r| match spec.placement {
                    Placement::Independent => Home::Nowhere,
                    Placement::FaultDomains => Home::Fd(id16(r % fds)),
                    Placement::AvailabilityDomains => Home::Ad(id16(r % ads)),
                })
                .collect();
            let first_replica = id16(tiers.replicas.len());
            tiers.replicas.extend((0..spec.replicas).map(|r| (t, r)));
            tiers.tiers.push(Tier {
                dependency: id16(d),
                reasons: spec.reasons(sc.domain_outages()),
                first_cause: first_cause[d],
                first_replica,
                needed: spec.needed(),
                failover: matches!(spec.mode, TierMode::Failover { .. }),
                own_up: vec![true; usize::from(spec.replicas)],
                home,
                common_up: true,
                primary: Some(0),
                promoting: None,
                live: spec.replicas,
                settled_live: spec.replicas,
            });
        }
        tiers
    }

    /// Every replica, by global number, with its dependency and its
    /// number within the tier.
    pub fn replicas(&self) -> impl Iterator<Item = (u16, u16, u16)> + '_ {
        self.replicas.iter().enumerate().map(|(g, &(t, r))| (id16(g), self.tiers[usize::from(t)].dependency, r))
    }

    /// The dependency of replica `g` (global number).
    pub fn dependency_of_replica(&self, g: u16) -> u16 {
        self.dependency(self.replicas[usize::from(g)].0)
    }

    /// Dependency `d`'s tier, if it is one.
    pub fn of_dependency(&self, d: u16) -> Option<u16> {
        self.of_dependency[usize::from(d)]
    }

    /// The tiers whose replicas sit in domains.
    pub fn placed(&self) -> impl Iterator<Item = u16> + '_ {
        (0..self.tiers.len()).filter(|&t| self.tiers[t].home.iter().any(|h| !matches!(h, Home::Nowhere))).map(id16)
    }

    /// Tier `t`'s dependency.
    pub fn dependency(&self, t: u16) -> u16 {
        self.tiers[usize::from(t)].dependency
    }

    /// Replica `g` (global number) went down or came back; returns its tier.
    pub fn set_replica(&mut self, g: u16, up: bool, domains: &Domains) -> u16 {
        let (t, r) = self.replicas[usize::from(g)];
        let tier = &mut self.tiers[usize::from(t)];
        let was = tier.up(r, domains);
        tier.own_up[usize::from(r)] = up;
        match (was, tier.up(r, domains)) {
            (false, true) => tier.live += 1,
            (true, false) => tier.live -= 1,
            _ => {}
        }
        t
    }

    /// Re-counts tier `t`'s live replicas after a domain changed.
    pub fn recount(&mut self, t: u16, domains: &Domains) {
        let tier = &mut self.tiers[usize::from(t)];
        tier.live = (0..tier.own_up.len() as u16).filter(|&r| tier.up(r, domains)).count() as u16;
    }

    /// Tier `t` as a whole failed or came back.
    pub fn set_common(&mut self, t: u16, up: bool) {
        self.tiers[usize::from(t)].common_up = up;
    }

    /// Tier `t`'s promotion window ends: the next live replica after the
    /// old primary serves, if any.
    pub fn promote(&mut self, t: u16, domains: &Domains) {
        let tier = &mut self.tiers[usize::from(t)];
        let old = tier.promoting.take().expect("a promotion window was open");
        let n = tier.own_up.len() as u16;
        tier.primary = (1..=n).map(|k| (old + k) % n).find(|&r| tier.up(r, domains));
    }

    /// Re-derives tier `t` after a change: its primary, a promotion to
    /// start, and why it is down.
    pub fn settle(&mut self, t: u16, domains: &Domains) -> Outcome {
        let tier = &mut self.tiers[usize::from(t)];
        let n = tier.own_up.len() as u16;
        let live = tier.live;
        let lost_all = tier.settled_live > 0 && live == 0;
        tier.settled_live = live;
        let mut window_from = None;
        if tier.failover && tier.promoting.is_none() {
            match tier.primary {
                Some(p) if tier.up(p, domains) => {}
                Some(p) if live > 0 => {
                    tier.primary = None;
                    tier.promoting = Some(p);
                    window_from = Some(tier.first_replica + p);
                }
                Some(_) => tier.primary = None,
                None => tier.primary = (0..n).find(|&r| tier.up(r, domains)),
            }
        }
        Outcome { down: tier.down(domains).map(|reason| tier.cause(reason)), lost_all, window_from }
    }
}

impl Tier {
    /// Whether replica `r` is up: its own process and its domain.
    fn up(&self, r: u16, domains: &Domains) -> bool {
        self.own_up[usize::from(r)] && self.outage(r, domains).is_none()
    }

    /// The kind of domain outage holding replica `r` down, if any.
    fn outage(&self, r: u16, domains: &Domains) -> Option<OutageKind> {
        match self.home[usize::from(r)] {
            Home::Nowhere => None,
            Home::Fd(fd) => domains.holding(fd),
            Home::Ad(ad) => domains.holding_ad(ad),
        }
    }

    /// Why the tier is down, if it is.
    fn down(&self, domains: &Domains) -> Option<TierReason> {
        let serving = if self.failover { self.primary.is_some() } else { self.live >= self.needed };
        if !self.common_up {
            return Some(TierReason::Common);
        }
        if serving {
            return None;
        }
        if self.promoting.is_some() {
            return Some(TierReason::Failover);
        }
        let n = self.own_up.len() as u16;
        // A domain outage among the replicas down took what the tier needed
        // (the first in cause precedence: an availability domain's
        // outranks a fault domain's).
        let domain = (0..n).filter_map(|r| self.outage(r, domains)).min_by_key(|kind| kind.cause());
        // Else the mode's own reason, the last of the tier's.
        Some(domain.map_or_else(|| *self.reasons.last().expect("every mode has its reason"), TierReason::Outage))
    }

    /// The cause of `reason`: the tier's own, or the domain outage's.
    fn cause(&self, reason: TierReason) -> Cause {
        match self.reasons.iter().position(|&r| r == reason) {
            Some(at) => Cause::Named(self.first_cause + id16(at)),
            None => match reason {
                TierReason::Outage(kind) => kind.cause(),
                _ => unreachable!("a tier lists every reason but a domain outage's"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::domains::tests::{AD, FD, grid};

    /// Instances that never fail, fault domains that do, manual repair.
    const STACK: &str = r#"
[instance]
failure = "1000000y"
[fault_domain]
failure = { dist = "exponential", mean = "90d" }
repair = "1h"
[repair]
mode = "manual"
time = "1h"
[monitoring]
alert_delay = "5m"
"#;

    /// A scenario whose second dependency is a failover tier of three
    /// replicas placed over three fault domains, after a tier of two
    /// replicas outside them.
    fn scenario() -> Scenario {
        let text = r#"
name = "t"
[slo]
target = 0.999
[topology]
fault_domains_per_ad = 3
instances_per_fd = [1, 1, 1]
[[dependency]]
name = "cache"
impact = "required"
failure = "1y"
repair = "1h"
replicas = 2
mode = "any"
placement = "independent"
[[dependency]]
name = "db"
impact = "required"
failure = "1y"
repair = "1h"
replicas = 3
mode = "failover"
failover = { detection = "30s", promotion = "1m" }
common = { failure = "1y", repair = "1h" }
"#;
        Scenario::from_toml(&format!("{text}{STACK}"), "t.toml", &[]).unwrap()
    }

    /// The primary fails over to the next live replica in replica order,
    /// the old primary last; a domain outage stops the replica in it; the
    /// common failure outranks everything; the last replica's loss says so.
    #[test]
    fn failover_moves_along_the_replicas_in_order() {
        let sc = scenario();
        let first_cause = [0, 1];
        assert_eq!(
            sc.dependency_causes(),
            ["cache.all_down", "db.common", "db.failover", "db.fd_outage", "db.all_down"]
        );
        let mut tiers = Tiers::new(&sc, &first_cause);
        let mut domains = grid(1, 3);
        assert_eq!((tiers.of_dependency(0), tiers.of_dependency(1)), (Some(0), Some(1)));
        assert_eq!((tiers.dependency(0), tiers.dependency(1)), (0, 1));
        assert_eq!(tiers.placed().collect::<Vec<_>>(), [1]);
        let replicas: Vec<(u16, u16, u16)> = tiers.replicas().collect();
        assert_eq!(replicas, [(0, 0, 0), (1, 0, 1), (2, 1, 0), (3, 1, 1), (4, 1, 2)]);
        assert_eq!((tiers.dependency_of_replica(1), tiers.dependency_of_replica(2)), (0, 1));
        // Causes: cache's all_down 0; db's common 1, failover 2, fd_outage 3, all_down 4.
        let cause = |n: u16| Some(Cause::Named(n));
        // The primary (db's replica 0, replica 2 in all) fails: a window,
        // drawn on its stream.
        let t = tiers.set_replica(2, false, &domains);
        assert_eq!(t, 1);
        let out = tiers.settle(t, &domains);
        assert_eq!(out, Outcome { down: cause(2), lost_all: false, window_from: Some(2) });
        // Replica 1's fault domain goes down meanwhile: replica 2 is promoted.
        domains.set(FD, 1, false);
        tiers.recount(t, &domains);
        tiers.promote(t, &domains);
        assert_eq!(tiers.settle(t, &domains).down, None);
        // Replica 2 fails with 0 down and 1's domain down: none is left, and
        // the domain outage among them names it; only once.
        tiers.set_replica(4, false, &domains);
        assert_eq!(tiers.settle(t, &domains), Outcome { down: cause(3), lost_all: true, window_from: None });
        assert!(!tiers.settle(t, &domains).lost_all, "lost once");
        // Its domain back, replica 1 serves at once: nothing to fail over from.
        domains.set(FD, 1, true);
        tiers.recount(t, &domains);
        assert_eq!(tiers.settle(t, &domains).down, None);
        // The whole tier fails: common outranks all.
        tiers.set_common(t, false);
        assert_eq!(tiers.settle(t, &domains).down, cause(1));
        tiers.set_common(t, true);
        assert_eq!(tiers.settle(t, &domains).down, None);
        // Replica 1 serves; 0 and 2 come back as standbys. When 1 fails, the
        // next after it, 2, is promoted (not 0): its own failure then opens
        // a window.
        for g in [2, 4] {
            tiers.set_replica(g, true, &domains);
            assert_eq!(tiers.settle(t, &domains).window_from, None, "a standby rejoins");
        }
        tiers.set_replica(3, false, &domains);
        assert_eq!(tiers.settle(t, &domains).window_from, Some(3));
        tiers.promote(t, &domains);
        assert_eq!(tiers.settle(t, &domains).down, None);
        tiers.set_replica(4, false, &domains);
        assert_eq!(tiers.settle(t, &domains).window_from, Some(4), "replica 2 was the primary");
        // With 1 back, the next after 2 is 0 (wrapping round), not 1.
        tiers.set_replica(3, true, &domains);
        tiers.settle(t, &domains);
        tiers.promote(t, &domains);
        tiers.settle(t, &domains);
        tiers.set_replica(2, false, &domains);
        assert_eq!(tiers.settle(t, &domains).window_from, Some(2), "replica 0 was promoted");
    }

    /// An availability domain's outage outranks a fault domain's among
    /// the replicas down, and a tier placed over availability domains
    /// loses the replica in one that fails; a domain outage the tier does
    /// not list (one that takes every instance too) is named as the
    /// instances' cause.
    #[test]
    fn domain_outages_name_the_replicas_they_take() {
        let text = |placement: &str| {
            format!(
                r#"
name = "t"
[slo]
target = 0.999
[topology]
availability_domains = 2
fault_domains_per_ad = 2
instances_per_fd = [1, 1, 1, 1]
[availability_domain]
failure = {{ dist = "exponential", mean = "1y" }}
repair = "1h"
[[dependency]]
name = "db"
impact = "required"
failure = "1y"
repair = "1h"
replicas = 3
mode = "quorum"
quorum = 3
placement = "{placement}"
{STACK}"#
            )
        };
        // Replicas in fault domains 0 and 1 (availability domain 0) and 2
        // (availability domain 1).
        let sc = Scenario::from_toml(&text("fault_domains"), "t.toml", &[]).unwrap();
        assert_eq!(sc.dependency_causes(), ["db.ad_outage", "db.fd_outage", "db.quorum_lost"]);
        let mut tiers = Tiers::new(&sc, &[0]);
        let mut domains = grid(2, 2);
        domains.set(FD, 0, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, Some(Cause::Named(1)));
        domains.set(AD, 0, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, Some(Cause::Named(0)), "the AD outranks the FD");
        domains.set(AD, 0, true);
        domains.set(AD, 1, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, Some(Cause::Named(0)), "replica 2's AD, replica 0's FD");
        // Over availability domains: replicas in ADs 0, 1 and 0.
        let sc = Scenario::from_toml(&text("availability_domains"), "t.toml", &[]).unwrap();
        let mut tiers = Tiers::new(&sc, &[0]);
        let mut domains = grid(2, 2);
        domains.set(FD, 2, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, None, "an FD outage does not touch an AD-placed replica");
        domains.set(AD, 1, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, Some(Cause::Named(0)));
        // One availability domain of two fault domains: its outage takes
        // every instance, so the tier does not list it.
        let single = text("fault_domains")
            .replace("availability_domains = 2", "availability_domains = 1")
            .replace("instances_per_fd = [1, 1, 1, 1]", "instances_per_fd = [1, 1]");
        let sc = Scenario::from_toml(&single, "t.toml", &[]).unwrap();
        assert_eq!(sc.dependency_causes(), ["db.fd_outage", "db.quorum_lost"]);
        let mut tiers = Tiers::new(&sc, &[0]);
        let mut domains = grid(1, 2);
        domains.set(AD, 0, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, Some(Cause::AdOutage));
        domains.set(AD, 0, true);
        domains.set(FD, 1, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, Some(Cause::Named(0)));
        // One fault domain: its outage is the instances' too.
        let one = single
            .replace("fault_domains_per_ad = 2", "fault_domains_per_ad = 1")
            .replace("instances_per_fd = [1, 1]", "instances_per_fd = [2]");
        let sc = Scenario::from_toml(&one, "t.toml", &[]).unwrap();
        assert_eq!(sc.dependency_causes(), ["db.quorum_lost"]);
        let mut tiers = Tiers::new(&sc, &[0]);
        let mut domains = grid(1, 1);
        domains.set(FD, 0, false);
        tiers.recount(0, &domains);
        assert_eq!(tiers.settle(0, &domains).down, Some(Cause::FdOutage));
    }
}
