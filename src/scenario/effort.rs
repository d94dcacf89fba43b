//! How much work a scenario asks for: events per simulated year, estimated
//! from its rates before anything runs. A scenario that is legal but
//! extreme (a deploy every millisecond, failures a nanosecond apart) is
//! refused with the estimate, rather than started to run for hours.

use super::{FailureRepair, Planned, Scenario};
use crate::units::YEAR_SECS;

/// More events than this per simulated year are refused: at the engine's
/// ten million or so events a second, ten seconds or more per year.
pub const EVENTS_PER_YEAR_LIMIT: f64 = 1e8;

/// Events a second the estimate assumes, for run times.
pub const EVENTS_PER_SECOND: f64 = 1e7;

impl Scenario {
    /// Estimated events per simulated year (order of magnitude), and the
    /// key that contributes most.
    pub fn events_per_year(&self) -> (f64, &'static str) {
        let per_year = |mean: f64| if mean > 0.0 { YEAR_SECS / mean } else { f64::INFINITY };
        let process = |p: &FailureRepair| 2.0 * per_year(p.failure.mean() + p.repair.mean());
        let instances = self.autoscaling.as_ref().map_or(self.topology.instances(), |a| a.max as usize) as f64;
        let crash = self.crash.mean().min(self.gray_failure.as_ref().map_or(f64::INFINITY, |g| g.mean()));
        let planned = |p: &Planned| per_year(p.every.mean()) * (2.0 + 4.0 * instances);
        let mut parts: Vec<(f64, &'static str)> = vec![
            // A failure: the crash, detection, the alert, the replacement, its admission.
            (6.0 * instances * per_year(crash), "instance.failure"),
            (self.load_balancer.as_ref().and_then(|lb| lb.failure.as_ref()).map_or(0.0, process), "load_balancer"),
            (
                self.dependencies
                    .iter()
                    .map(|d| match &d.tier {
                        None => process(&d.process),
                        // Each replica's process and its promotion, and the common failure.
                        Some(t) => {
                            2.0 * f64::from(t.replicas) * process(&d.process) + t.common.as_ref().map_or(0.0, process)
                        }
                    })
                    .sum(),
                "dependency",
            ),
            (self.deploy.as_ref().map_or(0.0, planned), "deploy.every"),
            (self.maintenance.as_ref().map_or(0.0, planned), "maintenance.every"),
        ];
        parts.extend(self.outages().map(|(key, _, count, p)| (count as f64 * process(p), key)));
        if let Some(t) = &self.traffic {
            let flash = t.flash_sale.as_ref().map_or(0.0, |f| f.per_year * (6.0 + 4.0 * instances));
            parts.push((flash, "traffic.flash_sale.per_year"));
            // Thresholds crossed a few times a day.
            parts.push((365.0 * 8.0, "traffic"));
        }
        // Every region runs the whole stack; the front adds its outages
        // and the DNS steps of each move (two moves an outage).
        let regions = self.regions.as_ref().map_or(1.0, |r| r.names.len() as f64);
        for part in &mut parts {
            part.0 *= regions;
        }
        if let Some(outage) = self.regions.as_ref().and_then(|r| r.outage.as_ref()) {
            let moves = 2.0 * f64::from(super::DNS_STEPS) + 4.0;
            parts.push((regions * process(outage) * moves, "regions.outage"));
        }
        let total = parts.iter().map(|p| p.0).sum();
        let busiest = parts.iter().max_by(|a, b| a.0.total_cmp(&b.0)).map_or("instance.failure", |p| p.1);
        (total, busiest)
    }
}
