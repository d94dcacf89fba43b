//! The scenario as the simulator understands it, for `availsim check`:
//! every default made explicit, every distribution with its mean.

use super::*;
use std::fmt::{self, Display, Formatter};

fn process(f: &mut Formatter, label: &str, p: &FailureRepair) -> fmt::Result {
    writeln!(
        f,
        "  {label:<22}{}fails: {}; repair: {}; steady-state availability {:.6}",
        if label.len() >= 22 { "\n  ".to_string() + &" ".repeat(22) } else { String::new() },
        p.failure,
        p.repair,
        p.availability()
    )
}

fn planned(f: &mut Formatter, label: &str, p: &Planned) -> fmt::Result {
    let strategy = match p.strategy {
        Strategy::AllAtOnce => "all at once",
        Strategy::Rolling => "rolling, one fault domain (or instance) at a time",
    };
    writeln!(f, "  {label:<22}every {}; each step {}; {strategy}", p.every, p.duration)?;
    if let Some(b) = &p.bad_release {
        writeln!(f, "  {:<22}bad with probability {}; rolled back after {}", "", b.probability, b.rollback)?;
    }
    Ok(())
}

impl Display for Scenario {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        writeln!(f, "scenario {} ({}): {}", self.name, self.origin, self.description)?;
        let s = &self.simulation;
        writeln!(f, "  {:<22}{} years, seed {}, warm-up {}", "simulation", s.years, s.seed, format_duration(s.warmup))?;
        let sli = self.slo.sli.name();
        writeln!(f, "  {:<22}{} on {sli} over {} windows", "slo", self.slo.target, format_duration(self.slo.window))?;
        let t = &self.topology;
        writeln!(
            f,
            "  {:<22}{} AD x {} FD, instances per FD {:?} ({} in all{})",
            "topology",
            t.availability_domains,
            t.fault_domains_per_ad,
            t.instances_per_fd,
            t.instances(),
            if self.regions.is_some() { ", in each region" } else { "" }
        )?;
        writeln!(f, "  {:<22}{}", "instance crash", self.crash)?;
        if let Some(g) = &self.gray_failure {
            writeln!(f, "  {:<22}{g}", "instance gray failure")?;
        }
        for (_, label, _, p) in self.outages() {
            process(f, label, p)?;
        }
        load_balancer(f, self.load_balancer.as_ref())?;
        match &self.alert_delay {
            Some(d) => writeln!(f, "  {:<22}{d}", "monitoring alert")?,
            None => writeln!(f, "  {:<22}none: only the health checker notices failures", "monitoring")?,
        }
        match &self.repair {
            Repair::Pool { replacement, cross_fd, register } => writeln!(
                f,
                "  {:<22}instance pool: replacement {replacement}; other FD allowed: {cross_fd}; registered: {register}",
                "repair"
            )?,
            Repair::Manual { time } => writeln!(f, "  {:<22}manual after the alert: {time}", "repair")?,
        }
        for d in &self.dependencies {
            let scope = match (&self.regions, d.global) {
                (None, _) => "",
                (Some(_), true) => ", global",
                (Some(_), false) => ", one in each region",
            };
            let impact = match d.impact {
                Impact::Required => format!("required{scope}"),
                Impact::Degraded(x) => format!("degraded{scope}, {x} of requests fail"),
            };
            match &d.tier {
                None => process(f, &format!("{} ({impact})", d.name), &d.process)?,
                Some(t) => tier(f, self, d, t, &impact)?,
            }
        }
        let storage = match &self.sessions.storage {
            Storage::Memory => "instance memory".to_string(),
            Storage::External(i) => format!("external store '{}'", self.dependencies[*i].name),
            Storage::ClientToken => "client tokens".to_string(),
        };
        writeln!(f, "  {:<22}{} active, in {storage}", "sessions", self.sessions.active)?;
        if let Some(p) = &self.deploy {
            planned(f, "deploy", p)?;
        }
        if let Some(p) = &self.maintenance {
            planned(f, "maintenance", p)?;
        }
        load(f, self)?;
        match &self.regions {
            Some(r) => regions(f, r),
            None => Ok(()),
        }
    }
}

/// The regions: how traffic is spread and moved, and what each reports.
fn regions(f: &mut Formatter, r: &Regions) -> fmt::Result {
    let mode = match &r.mode {
        RegionMode::ActiveActive { weights } => {
            let w: Vec<String> = weights.iter().map(|w| format!("{w:.3}")).collect();
            format!("active-active, shares {}", w.join(", "))
        }
        RegionMode::ActivePassive { failover, switch } => {
            let by = match failover {
                Failover::Automatic => "the health check",
                Failover::Manual => "an operator after the monitoring alert",
            };
            format!("active-passive ({} active); failover decided by {by}, switch {switch}", r.names[0])
        }
    };
    writeln!(f, "  {:<22}{} ({}): {mode}", "regions", r.names.len(), r.names.join(", "))?;
    let c = r.check;
    let detection = c.interval / 2.0 + f64::from(c.unhealthy - 1) * c.interval;
    writeln!(
        f,
        "  {:<22}every {}, down after {}, up after {}; mean detection {}; DNS TTL {}",
        "global health check",
        format_duration(c.interval),
        c.unhealthy,
        c.healthy,
        format_duration(detection),
        format_duration(r.dns_ttl)
    )?;
    if let Some(o) = &r.outage {
        process(f, "regional outage", o)?;
    }
    writeln!(f, "  {:<22}{}", "region causes", r.causes().join(", "))
}

/// A replicated dependency: its replicas, how they serve, where they run,
/// and the causes it reports.
fn tier(f: &mut Formatter, sc: &Scenario, d: &Dependency, t: &Tier, impact: &str) -> fmt::Result {
    process(f, &format!("{} ({impact}), each replica", d.name), &d.process)?;
    let mode = match &t.mode {
        TierMode::Failover { detection, promotion } if t.replicas > 1 => format!(
            "a primary and {} standby(s); failover after detection {detection} + promotion {promotion}",
            t.replicas - 1
        ),
        TierMode::Failover { .. } => "a primary and no standby: nothing to fail over to".to_string(),
        TierMode::Quorum(k) => format!("up while {k} of them are up"),
        TierMode::Any => "up while one of them is up".to_string(),
    };
    let homes = |what: &str, count: usize| {
        let at: Vec<String> = (0..usize::from(t.replicas)).map(|r| (r % count + 1).to_string()).collect();
        let shared = if usize::from(t.replicas) > count { ", some sharing one" } else { "" };
        format!("in {what} {} (of {count}){shared}", at.join(", "))
    };
    let placement = match t.placement {
        Placement::Independent => "outside the scenario's domains".to_string(),
        Placement::FaultDomains => homes("fault domains", sc.topology.fault_domains()),
        Placement::AvailabilityDomains => homes("availability domains", sc.topology.availability_domains),
    };
    writeln!(f, "  {:<22}{} replicas, each failing and repaired on its own, {mode}", "", t.replicas)?;
    writeln!(f, "  {:<22}placed {placement}", "")?;
    if let Some(common) = &t.common {
        process(f, &format!("{} as a whole", d.name), common)?;
    }
    let causes: Vec<String> =
        sc.dependency_reasons(d).into_iter().flatten().map(|r| format!("{}.{}", d.name, r.name())).collect();
    writeln!(f, "  {:<22}causes {}", "", causes.join(", "))
}

/// The load balancer and its health check.
fn load_balancer(f: &mut Formatter, load_balancer: Option<&LoadBalancer>) -> fmt::Result {
    match load_balancer {
        None => writeln!(f, "  {:<22}none: clients reach instances directly", "load balancer")?,
        Some(lb) => {
            match &lb.failure {
                Some(p) => process(f, "load balancer", p)?,
                None => writeln!(f, "  {:<22}never fails", "load balancer")?,
            }
            match &lb.health_check {
                Some(hc) => writeln!(
                    f,
                    "  {:<22}every {}, timeout {}, down after {}, up after {}; mean detection {}",
                    "health check",
                    format_duration(hc.interval),
                    format_duration(hc.timeout),
                    hc.unhealthy_threshold,
                    hc.healthy_threshold,
                    format_duration(
                        hc.interval / 2.0 + f64::from(hc.unhealthy_threshold - 1) * hc.interval + hc.timeout
                    )
                )?,
                None => {
                    writeln!(f, "  {:<22}none: dead backends stay in rotation until removed by hand", "health check")?
                }
            }
        }
    }
    Ok(())
}

fn load(f: &mut Formatter, sc: &Scenario) -> fmt::Result {
    match &sc.traffic {
        None => writeln!(f, "  {:<22}constant: every minute weighs the same", "traffic")?,
        Some(t) => {
            let points: Vec<String> = t.daily.iter().map(|(h, m)| format!("{h}h {m}")).collect();
            writeln!(
                f,
                "  {:<22}{} req/s at multiplier 1 (year mean {:.1} req/s); daily {}",
                "traffic",
                t.rps,
                t.profile.mean_rps(),
                points.join(", ")
            )?;
            if !t.weekly.is_empty() {
                writeln!(f, "  {:<22}weekly factors (Mon..Sun) {:?}", "", t.weekly)?;
            }
            if t.growth != 0.0 {
                writeln!(f, "  {:<22}growth {:+}% a year, compounded daily", "", t.growth * 100.0)?;
            }
            if let Some(s) = &t.flash_sale {
                let (low, high) = s.multiplier;
                writeln!(
                    f,
                    "  {:<22}{} a year, multiplier {low}..{high}, ramp {}, plateau {}",
                    "flash sales", s.per_year, s.ramp, s.duration
                )?;
            }
        }
    }
    if let Some(c) = sc.capacity {
        writeln!(f, "  {:<22}{c} req/s per instance at 100 % CPU", "capacity")?;
    }
    if let Some(o) = &sc.overload {
        writeln!(f, "  {:<22}above {} utilisation, crash hazard x{}", "overload", o.above, o.hazard)?;
    }
    if let Some(a) = &sc.autoscaling {
        writeln!(
            f,
            "  {:<22}{}..{} instances, step {}; out above {} for {}, in below {} for {}; cooldown {}",
            "autoscaling",
            a.min,
            a.max,
            a.step,
            a.out_above,
            format_duration(a.out_for),
            a.in_below,
            format_duration(a.in_for),
            format_duration(a.cooldown)
        )?;
        writeln!(f, "  {:<22}provisioning {}; drain {}", "", a.provisioning, format_duration(a.drain))?;
    } else if sc.capacity.is_some() {
        writeln!(f, "  {:<22}none: a fixed pool of {}", "autoscaling", sc.topology.instances())?;
    }
    Ok(())
}
