//! Recording one simulated year, for the timeline chart: after every event
//! inside the recorded span, the state of each instance slot, domain,
//! dependency, the load balancer, planned work and the service. Ordinary
//! runs record nothing and pay one branch per event.

use super::id16;
use super::planned::PlannedKind;
use super::regions::Multi;
use super::{Alone, Deployment, SlotId, Trajectory};
use crate::cause::CauseId;
use crate::demand::{Linear, Profile};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::Scenario;
use crate::stats::WorstYear;
use crate::units::YEAR_SECS;

/// What one instance slot is doing, as the timeline shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// In rotation and serving.
    Serving,
    /// In rotation but failing its share of requests (dead, gray, bad
    /// release, its domain out, not yet noticed).
    FailingInRotation,
    /// Out of rotation: being replaced or repaired, or waiting to be re-admitted.
    OutOfRotation,
    /// Drained for a deploy or maintenance.
    Draining,
    /// Not part of the pool (scaled in, or not yet scaled out).
    Absent,
}

/// The state of everything after one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// When [s since the start of the recorded year].
    pub t: f64,
    /// Each slot's state, by slot id.
    pub slots: Vec<SlotState>,
    /// Each slot's fault domain, by slot id.
    pub slot_fd: Vec<u16>,
    /// Each fault domain: can it run instances.
    pub fd_live: Vec<bool>,
    /// The load balancer is up (or there is none).
    pub lb_up: bool,
    /// Each dependency is up.
    pub dependencies_up: Vec<bool>,
    /// A deploy, a maintenance window is under way.
    pub planned: [bool; 2],
    /// The service can serve.
    pub up: bool,
    /// Why not, when it cannot (the overlap rule's cause).
    pub cause: CauseId,
    /// Fraction of requests failing.
    pub failing: f64,
    /// Instances in the pool (not scaled in).
    pub instances: usize,
    /// What the instances in rotation can serve [requests/s], if
    /// instances have a capacity.
    pub capacity_rps: Option<f64>,
    /// What flash sales add to the demand profile (normalised), from this
    /// sample to the next.
    pub flash: Linear,
    /// With regions, each one: whether it serves (not out, something in
    /// it serves) and the share of demand routed to it; the slots, domains, load
    /// balancer and dependencies above are the first region's.
    pub regions: Vec<(bool, f64)>,
}

/// One recorded year of a trajectory.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// The trajectory (chunk) it comes from.
    pub trajectory: u64,
    /// Which year of the trajectory (0-based, after the warm-up).
    pub year: u64,
    /// Its downtime [s].
    pub downtime: f64,
    /// The state at the start of the year and after every event in it.
    pub samples: Vec<Sample>,
    /// Demand over the year [(s since its start, requests/s)], hourly and
    /// at every event, when traffic is modelled.
    pub demand: Vec<(f64, f64)>,
}

/// Which year to show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pick {
    /// A typical year: of the first trajectory's years, the one whose
    /// downtime is nearest `downtime` [s] (the run's median), the earliest
    /// of equals.
    Nearest {
        /// The downtime sought [s].
        downtime: f64,
    },
    /// A year a run found, e.g. its worst ([`crate::stats::Tally::worst_year`]).
    Year(WorstYear),
}

impl Deployment<'_> {
    /// The state now, for the timeline.
    pub(super) fn sample(&self, t: f64) -> Sample {
        let ids: Vec<SlotId> = self.fleet.all_ids().collect();
        let slots = ids
            .iter()
            .map(|&id| {
                let s = self.fleet.slot(id);
                match (s.drained(), s.counted().in_rotation, s.counted().good) {
                    _ if !s.counted().exists() => SlotState::Absent,
                    (true, _, _) => SlotState::Draining,
                    (false, true, true) => SlotState::Serving,
                    (false, true, false) => SlotState::FailingInRotation,
                    (false, false, _) => SlotState::OutOfRotation,
                }
            })
            .collect();
        Sample {
            t,
            slots,
            slot_fd: ids.iter().map(|&id| self.fleet.slot(id).fd()).collect(),
            fd_live: (0..id16(self.domains.fault_domains())).map(|fd| self.domains.live(fd)).collect(),
            lb_up: self.lb_up || self.sc.load_balancer.is_none(),
            dependencies_up: self.dependencies.up(),
            planned: PlannedKind::ALL.map(|k| self.planned_active(k)),
            // The ledger holds the current state (the model's copy is the
            // previous one, kept for its allocation).
            up: self.ledger.state().up,
            cause: self.ledger.state().down_cause,
            failing: self.ledger.state().failing,
            instances: self.fleet.size(),
            capacity_rps: self.sc.capacity.map(|c| c * self.fleet.in_rotation() as f64),
            flash: self.load.as_ref().map(|l| l.flash()).unwrap_or_default(),
            regions: vec![],
        }
    }
}

/// Records the year `pick` chooses: a second run of its trajectory up to
/// it, so recording costs nothing in the runs that measure. A nearest pick
/// searches the first trajectory's first `trajectory_years` years.
pub fn record_year(sc: &Scenario, pick: Pick, trajectory_years: u64) -> Timeline {
    let (trajectory, year) = match pick {
        Pick::Year(w) => (w.trajectory, w.year),
        Pick::Nearest { downtime } => (0, on_trajectory(sc, 0, |t| nearest(sc, t, downtime, trajectory_years))),
    };
    on_trajectory(sc, trajectory, |t| replay(sc, t, trajectory, year))
}

/// Calls `f` with trajectory `chunk` of `sc`, just started.
fn on_trajectory<R>(sc: &Scenario, chunk: u64, f: impl FnOnce(&mut dyn Trajectory) -> R) -> R {
    let mut queue = EventQueue::new();
    match &sc.regions {
        None => {
            let model = Deployment::new(sc, chunk, &mut queue);
            f(&mut Alone { model, queue: &mut queue })
        }
        Some(_) => f(&mut Multi::new(sc, chunk)),
    }
}

/// Of the first `trajectory_years` years of `t`, the one whose downtime
/// is nearest `downtime` [s], the earliest of equals.
fn nearest(sc: &Scenario, t: &mut dyn Trajectory, downtime: f64, trajectory_years: u64) -> u64 {
    let years = sc.simulation.years.clamp(1, trajectory_years);
    let end = sc.simulation.warmup + years as f64 * YEAR_SECS;
    t.ledger().log_years();
    t.step_to(SimTime::from_secs(end), &mut |_| true);
    t.ledger().advance(end);
    let log = t.ledger().year_log().expect("logging");
    let distance = |k: usize| (log[k] - downtime).abs();
    let nearest = (0..log.len()).min_by(|&a, &b| distance(a).total_cmp(&distance(b)).then(a.cmp(&b)));
    nearest.expect("at least one year") as u64
}

/// Runs `t`, trajectory `trajectory` of `sc`, to its measured year
/// `year` and records that year.
fn replay(sc: &Scenario, t: &mut dyn Trajectory, trajectory: u64, year: u64) -> Timeline {
    let from = sc.simulation.warmup + year as f64 * YEAR_SECS;
    let to = from + YEAR_SECS;
    t.step_to(SimTime::from_secs(from), &mut |_| true);
    t.ledger().log_years();
    t.record(Some(from));
    t.step_to(SimTime::from_secs(to), &mut |_| true);
    t.ledger().advance(to);
    let downtime = *t.ledger().year_log().expect("logging").last().expect("the recorded year closed");
    let samples = t.record(None);
    let demand = sc.traffic.as_ref().map_or_else(Vec::new, |tr| demand_curve(&tr.profile, &samples, from));
    Timeline { trajectory, year, downtime, samples, demand }
}

/// Demand over the recorded year [(s since its start, requests/s)]: the
/// profile plus the flash sales in effect, hourly and at every sample
/// (with regions, the first region's routed share of it).
fn demand_curve(profile: &Profile, samples: &[Sample], from: f64) -> Vec<(f64, f64)> {
    let hours = (0..=(YEAR_SECS / 3_600.0) as usize).map(|h| h as f64 * 3_600.0);
    let mut times: Vec<f64> = hours.chain(samples.iter().map(|s| s.t)).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut k = 0;
    times
        .into_iter()
        .map(|t| {
            while k + 1 < samples.len() && samples[k + 1].t <= t {
                k += 1;
            }
            let at = from + t;
            // With regions, the share routed to the first (whose capacity is shown).
            let share = samples[k].regions.first().map_or(1.0, |r| r.1);
            (t, (profile.at(at) + samples[k].flash.at(at)) * profile.mean_rps() * share)
        })
        .collect()
}
