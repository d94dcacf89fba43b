//! Checks the raw scenario and builds the [`Scenario`] the simulator
//! trusts; every problem keeps the span of the key at fault.

use super::raw::*;
use super::*;
use crate::units::{DAY_SECS, YEAR_SECS};
use std::ops::Range;

/// Collects problems with their spans while checking.
pub(super) struct Checker {
    pub(super) problems: Vec<(Range<usize>, String)>,
}

impl Checker {
    pub(super) fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push((span, message.into()));
    }

    fn fraction(&mut self, value: &toml::Spanned<f64>, what: &str, closed: bool) -> f64 {
        let v = *value.get_ref();
        let ok = if closed { (0.0..=1.0).contains(&v) } else { v > 0.0 && v < 1.0 };
        if !ok {
            let range = if closed { "between 0 and 1" } else { "strictly between 0 and 1" };
            self.problem(value.span(), format!("{what} must be a fraction {range} (got {v})"));
        }
        v
    }
}

/// Whether `name` is safe as a file name: non-empty, no separators.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(super) fn build(mut raw: RawScenario, origin: &str, text: &str, c: &mut Checker) -> Scenario {
    if !is_plain_name(raw.name.get_ref()) {
        c.problem(raw.name.span(), "name may hold only letters, digits, '-', '_' and '.', and may not start with '.' (it names output folders)");
    }
    let outages = Outages::take(&mut raw);
    let simulation = simulation(&raw.simulation, c);
    let topology = topology(&raw.topology, c);
    let load_balancer = raw.load_balancer.map(|lb| load_balancer(lb, c));
    let repair = repair(&raw.repair, load_balancer.as_ref(), c);
    let alert_delay = monitoring(raw.monitoring, &raw.instance, &raw.repair, load_balancer.as_ref(), c);
    let regional = raw.regions.is_some();
    let dependencies = dependencies(raw.dependency, outages.partial(&topology), regional, c);
    let sessions = sessions(&raw.sessions, &dependencies, c);
    if regional && let Some(sale) = raw.traffic.as_ref().and_then(|t| t.flash_sale.as_ref()) {
        c.problem(
            sale.per_year.span(),
            "flash sales over several regions are not modelled: remove [traffic.flash_sale] or [regions]",
        );
    }
    let regions = raw.regions.map(|r| super::region::check(r, alert_delay.is_some(), c));
    let load =
        super::traffic::check(raw.traffic, &raw.instance, raw.autoscaling, &topology, &repair, simulation.warmup, c);
    let scenario = Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        origin: origin.to_string(),
        text: String::new(),
        overrides: vec![],
        file_sha256: String::new(),
        simulation,
        slo: slo(&raw.slo, c),
        topology,
        crash: raw.instance.failure,
        gray_failure: raw.instance.gray_failure.map(toml::Spanned::into_inner),
        outages,
        load_balancer,
        alert_delay,
        repair,
        dependencies,
        sessions,
        deploy: raw.deploy.map(|p| planned(p, true, c)),
        maintenance: raw.maintenance.map(|p| planned(p, false, c)),
        traffic: load.traffic,
        capacity: load.capacity,
        overload: load.overload,
        autoscaling: load.autoscaling,
        regions,
    };
    effort(&scenario, text, c);
    scenario
}

/// The longest warm-up accepted [years]: as long as a trajectory.
const MAX_WARMUP_YEARS: f64 = 100.0;

/// `[simulation]`: years, seed and warm-up, with their defaults.
fn simulation(sim: &RawSimulation, c: &mut Checker) -> Simulation {
    let years = sim.years.as_ref().map_or(DEFAULT_YEARS, |y| *y.get_ref());
    if let Some(y) = &sim.years
        && *y.get_ref() < 2
    {
        c.problem(y.span(), "years must be at least 2, so that a confidence interval exists");
    }
    let warmup = sim.warmup.as_ref().map_or(YEAR_SECS, |w| w.get_ref().secs());
    if let Some(w) = &sim.warmup
        && warmup > MAX_WARMUP_YEARS * YEAR_SECS
    {
        // Every trajectory runs its warm-up first, unmeasured.
        c.problem(
            w.span(),
            format!("the warm-up is at most {MAX_WARMUP_YEARS}y: each trajectory (100 years) runs it first, unmeasured; 1y removes the start-up bias of most designs"),
        );
    }
    Simulation { years, seed: sim.seed.unwrap_or(DEFAULT_SEED), warmup }
}

/// `[slo]`: the target, the window (1 h to 1 y) and the indicator.
fn slo(raw: &RawSlo, c: &mut Checker) -> Slo {
    let target = c.fraction(&raw.target, "slo.target", false);
    let window = raw.window.as_ref().map_or(30.0 * DAY_SECS, |w| w.get_ref().secs());
    if let Some(w) = &raw.window
        && !(3_600.0..=YEAR_SECS).contains(&w.get_ref().secs())
    {
        c.problem(w.span(), "the SLO window must be between 1h and 1y");
    }
    let sli = match raw.sli {
        RawSli::Requests => Sli::Requests,
        RawSli::Time => Sli::Time,
    };
    Slo { target, window, sli }
}

/// `[topology]`: domains and instances, within the 16-bit numbering.
fn topology(topo: &RawTopology, c: &mut Checker) -> Topology {
    let ads = *topo.availability_domains.get_ref() as usize;
    let fds = *topo.fault_domains_per_ad.get_ref() as usize;
    if ads == 0 {
        c.problem(topo.availability_domains.span(), "there must be at least one availability domain");
    } else if ads * fds.max(1) > usize::from(u16::MAX) {
        // Domains are numbered in 16 bits.
        c.problem(topo.availability_domains.span(), "at most 65,535 fault domains in all are supported");
    }
    if !(1..=3).contains(&fds) {
        c.problem(topo.fault_domains_per_ad.span(), "an availability domain holds 1 to 3 fault domains");
    }
    let per_fd = topo.instances_per_fd.get_ref().clone();
    if per_fd.len() != ads * fds {
        c.problem(
            topo.instances_per_fd.span(),
            format!(
                "instances_per_fd lists {} fault domains, but the topology has {ads} AD x {fds} FD = {}: give one count per fault domain",
                per_fd.len(),
                ads * fds
            ),
        );
    } else if per_fd.iter().all(|&n| n == 0) {
        c.problem(topo.instances_per_fd.span(), "the topology must hold at least one instance");
    } else if per_fd.iter().map(|&n| n as usize).sum::<usize>() > u16::MAX as usize {
        c.problem(topo.instances_per_fd.span(), "at most 65,535 instances are supported");
    }
    Topology { availability_domains: ads, fault_domains_per_ad: fds, instances_per_fd: per_fd }
}

/// `[load_balancer]` and its health check.
fn load_balancer(lb: RawLoadBalancer, c: &mut Checker) -> LoadBalancer {
    let failure = match (lb.failure, lb.repair) {
        (Some(failure), Some(repair)) => {
            Some(FailureRepair { failure: failure.into_inner(), repair: repair.into_inner() })
        }
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => {
            c.problem(
                one.span(),
                "load_balancer needs both `failure` and `repair`, or neither (a load balancer that never fails)",
            );
            None
        }
    };
    LoadBalancer { failure, health_check: lb.health_check.map(|hc| health_check(&hc, c)) }
}

/// `[load_balancer.health_check]`: a positive interval, a shorter timeout,
/// thresholds of at least 1.
fn health_check(hc: &RawHealthCheck, c: &mut Checker) -> HealthCheck {
    let check = HealthCheck {
        interval: hc.interval.get_ref().secs(),
        timeout: hc.timeout.get_ref().secs(),
        unhealthy_threshold: *hc.unhealthy_threshold.get_ref(),
        healthy_threshold: *hc.healthy_threshold.get_ref(),
    };
    if check.interval <= 0.0 {
        c.problem(hc.interval.span(), "the probe interval must be positive");
    }
    if check.timeout >= check.interval {
        c.problem(hc.timeout.span(), "the probe timeout must be shorter than the interval");
    }
    if check.unhealthy_threshold == 0 {
        c.problem(hc.unhealthy_threshold.span(), "unhealthy_threshold must be at least 1");
    }
    if check.healthy_threshold == 0 {
        c.problem(hc.healthy_threshold.span(), "healthy_threshold must be at least 1");
    }
    check
}

/// `[repair]`: the pool (with its placement and registration flags) or an
/// operator.
fn repair(raw: &RawRepair, load_balancer: Option<&LoadBalancer>, c: &mut Checker) -> Repair {
    let repair = match *raw.mode.get_ref() {
        RawRepairMode::Pool => Repair::Pool {
            replacement: raw.time.clone(),
            cross_fd: raw.cross_fd.as_ref().is_some_and(|b| *b.get_ref()),
            register: raw.register.as_ref().is_none_or(|b| *b.get_ref()),
        },
        RawRepairMode::Manual => {
            for flag in [&raw.cross_fd, &raw.register].into_iter().flatten() {
                c.problem(flag.span(), "cross_fd and register apply to mode = \"pool\" only");
            }
            Repair::Manual { time: raw.time.clone() }
        }
    };
    if let Some(flag) = &raw.register
        && !*flag.get_ref()
        && load_balancer.is_none()
    {
        c.problem(flag.span(), "register = false needs a [load_balancer] to register with");
    }
    repair
}

/// `[monitoring]`: the alert delay, required where only monitoring can
/// notice a failure.
fn monitoring(
    raw: Option<RawMonitoring>,
    instance: &RawInstance,
    repair: &RawRepair,
    load_balancer: Option<&LoadBalancer>,
    c: &mut Checker,
) -> Option<Dist> {
    let alert_delay = raw.map(|m| m.alert_delay);
    if alert_delay.is_some() {
        return alert_delay;
    }
    let unwatched = if let Some(gray) = &instance.gray_failure {
        Some((gray.span(), "gray failures pass health checks"))
    } else if *repair.mode.get_ref() == RawRepairMode::Manual {
        Some((repair.mode.span(), "manual repair starts when an operator is alerted"))
    } else if load_balancer.is_none_or(|lb| lb.health_check.is_none()) {
        Some((repair.mode.span(), "without health checks nothing else notices a dead instance"))
    } else {
        repair
            .register
            .as_ref()
            .filter(|f| !*f.get_ref())
            .map(|f| (f.span(), "unregistered replacements are registered by an alerted operator"))
    };
    if let Some((span, why)) = unwatched {
        c.problem(span, format!("this scenario needs [monitoring] alert_delay: {why}"));
    }
    None
}

/// `[[dependency]]`: impact, replicas (`tier`), unique cause names that
/// are not built-in causes' names, at most as many causes as the 16-bit
/// numbering leaves, at most 65,535 replicas in all. `outages`: the kinds
/// of domain outage that can leave some instance serving
/// ([`Scenario::domain_outages`]).
fn dependencies(raw: Vec<RawDependency>, outages: Partial, regional: bool, c: &mut Checker) -> Vec<Dependency> {
    let mut dependencies: Vec<Dependency> = vec![];
    let mut causes = 0;
    for d in raw {
        let impact = match (d.impact, &d.failing_fraction) {
            (RawImpact::Required, None) => Impact::Required,
            (RawImpact::Degraded, Some(f)) => Impact::Degraded(c.fraction(f, "failing_fraction", false)),
            (RawImpact::Required, Some(f)) => {
                c.problem(f.span(), "failing_fraction applies to impact = \"degraded\" only");
                Impact::Required
            }
            (RawImpact::Degraded, None) => {
                c.problem(
                    d.name.span(),
                    "a degraded dependency needs failing_fraction (the fraction of requests that fail)",
                );
                Impact::Required
            }
        };
        if dependencies.iter().any(|e| e.name == *d.name.get_ref()) {
            c.problem(d.name.span(), format!("dependency '{}' is declared twice", d.name.get_ref()));
        }
        if d.name.get_ref().is_empty() || d.name.get_ref().contains('.') {
            c.problem(
                d.name.span(),
                "a dependency's name must be non-empty and without '.' (it names causes, and --set paths by it)",
            );
        }
        if crate::cause::Cause::is_fixed_name(d.name.get_ref()) {
            c.problem(
                d.name.span(),
                format!("'{}' names a built-in cause of downtime: choose another name", d.name.get_ref()),
            );
        }
        let tier = super::tier::check(&d, c);
        causes += match &tier {
            None => 1,
            Some(t) => t.reasons(outages).len(),
        };
        let global = d.scope.as_ref().is_some_and(|s| *s.get_ref() == RawScope::Global);
        if let (Some(scope), false) = (&d.scope, regional) {
            c.problem(
                scope.span(),
                "scope applies to a scenario with [regions]: with one region, every dependency is its own",
            );
        }
        let process = FailureRepair { failure: d.failure, repair: d.repair };
        dependencies.push(Dependency { name: d.name.into_inner(), impact, process, tier, global });
    }
    let replicas: usize = dependencies.iter().filter_map(|d| d.tier.as_ref()).map(|t| usize::from(t.replicas)).sum();
    if replicas > usize::from(u16::MAX) {
        c.problem(0..0, format!("at most 65535 replicas in all are supported (this scenario has {replicas})"));
    }
    // Dependencies' causes are numbered in 16 bits, after the fixed causes.
    let most = usize::from(u16::MAX) - crate::cause::Cause::FIXED;
    if causes > most {
        c.problem(0..0, format!("at most {most} dependency causes are supported (this scenario has {causes})"));
    }
    dependencies
}

/// `[sessions]`: where sessions live; an external store names a dependency.
fn sessions(raw: &RawSessions, dependencies: &[Dependency], c: &mut Checker) -> Sessions {
    let storage = match (*raw.storage.get_ref(), &raw.store) {
        (RawStorage::External, Some(store)) => match dependencies.iter().position(|d| d.name == *store.get_ref()) {
            Some(i) => Storage::External(i),
            None => {
                c.problem(store.span(), format!("no [[dependency]] is named '{}'", store.get_ref()));
                Storage::ClientToken
            }
        },
        (RawStorage::External, None) => {
            c.problem(
                raw.storage.span(),
                "sessions.storage = \"external\" needs sessions.store, the name of a [[dependency]]",
            );
            Storage::ClientToken
        }
        (_, Some(store)) => {
            c.problem(store.span(), "sessions.store applies to storage = \"external\" only");
            Storage::ClientToken
        }
        (RawStorage::Memory, None) => Storage::Memory,
        (RawStorage::ClientToken, None) => Storage::ClientToken,
    };
    Sessions { storage, active: raw.active as f64 }
}

/// `[deploy]` (`deploys`) or `[maintenance]`: cadence, strategy and, for
/// deploys only, bad releases.
fn planned(p: RawPlanned, deploys: bool, c: &mut Checker) -> Planned {
    let strategy = match p.strategy {
        RawStrategy::AllAtOnce => Strategy::AllAtOnce,
        RawStrategy::Rolling => Strategy::Rolling,
    };
    if p.every.get_ref().mean() <= 0.0 {
        c.problem(p.every.span(), "`every` must have a positive mean");
    }
    let bad_release = match (p.bad_release_probability, p.rollback) {
        (None, None) => None,
        (Some(prob), _) if !deploys => {
            c.problem(prob.span(), "bad releases apply to [deploy] only");
            None
        }
        (Some(prob), Some(rollback)) => Some(BadRelease {
            probability: c.fraction(&prob, "bad_release_probability", true),
            rollback: rollback.into_inner(),
        }),
        (Some(prob), None) => {
            c.problem(
                prob.span(),
                "bad_release_probability needs `rollback`, the time from deploy start to the end of the rollback",
            );
            None
        }
        (None, Some(rollback)) => {
            c.problem(rollback.span(), "`rollback` needs bad_release_probability");
            None
        }
    };
    Planned { every: p.every.into_inner(), duration: p.duration, strategy, bad_release }
}

/// Refuses a scenario whose rates would make a simulated year take hours,
/// located at the busiest key of `text` (so that a `--set` that made it
/// so is named).
fn effort(scenario: &Scenario, text: &str, c: &mut Checker) {
    let (events, busiest) = scenario.events_per_year();
    if events <= EVENTS_PER_YEAR_LIMIT {
        return;
    }
    let amount = if events.is_finite() {
        format!(
            "about {events:.1e} events per simulated year (some {} of computing each)",
            format_duration(events / EVENTS_PER_SECOND)
        )
    } else {
        "an unbounded number of events per simulated year (times of about 0 s)".to_string()
    };
    c.problem(
        super::source::span_of(text, busiest).unwrap_or(0..0),
        format!(
            "this scenario needs {amount}, mostly from {busiest}; availsim refuses more than {EVENTS_PER_YEAR_LIMIT:.0e} a year: check the units of {busiest}"
        ),
    );
}
