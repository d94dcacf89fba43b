//! The deployment model: components, their failures and repairs, the load
//! balancer's rotation, and what the service can serve at each moment.
//!
//! [`Deployment`] owns one trajectory's state, split by responsibility:
//! the [`fleet`] of instance slots with its counters, the [`domains`], the
//! [`dependencies`], planned work ([`planned`]), recovery and alerting
//! ([`recovery`]), the health checker's arithmetic ([`health`]) and every
//! random draw ([`draws`]). Each event is applied by the part it concerns;
//! the service is then re-evaluated ([`service`]) and handed to the
//! [`Ledger`], which integrates it over time. The whole state is `Clone`, so
//! a trajectory can be snapshotted and continued several ways.

mod autoscaler;
mod component;
mod dependencies;
mod domains;
pub mod draws;
mod event;
mod fleet;
pub mod health;
mod load;
mod planned;
mod recovery;
mod regions;
mod service;
mod slot;
mod tier;
pub mod timeline;

pub use component::Component;
pub use event::Event;
pub use fleet::SlotId;
pub use planned::PlannedKind;

use crate::cause::Cause;
use crate::demand::Profile;
use crate::engine::{self, EventQueue, SimTime};
use crate::scenario::{Dist, Scenario, Storage};
use crate::stats::{Ledger, Meter, ServiceState, Tally};
use crate::units::YEAR_SECS;
use autoscaler::Scaler;
use component::Layout;
use dependencies::Dependencies;
use domains::Domains;
use draws::{Draws, Stream};
use event::{SlotTimer, Timers};
use fleet::Fleet;
use load::Load;
use planned::PlannedRun;
use recovery::Recovery;
use slot::{Episode, Proc};
use tier::Tiers;

/// A domain, dependency or slot number as the model holds it (16 bits).
///
/// # Panics
/// Above 65,535: scenario checking keeps every count within.
fn id16(i: usize) -> u16 {
    u16::try_from(i).expect("counts are checked to fit 16 bits")
}

/// One trajectory of a deployment: the simulated state of every component.
#[derive(Clone, Debug)]
pub struct Deployment<'s> {
    sc: &'s Scenario,
    draws: Draws,
    /// The components and their numbering.
    layout: Layout,
    /// Which timer holds each pending event.
    timers: Timers,
    lb_up: bool,
    domains: Domains,
    dependencies: Dependencies,
    /// The replicated dependencies' replicas and primaries.
    tiers: Tiers,
    fleet: Fleet,
    /// Replacements and repairs, and what waits for them.
    recovery: Recovery<'s>,
    /// Deploys and maintenance, each if configured.
    planned: [Option<PlannedRun<'s>>; 2],
    /// Demand, flash sales and the thresholds watched, if traffic is modelled.
    load: Option<Load>,
    /// The autoscaler, if one acts.
    scaler: Option<Scaler<'s>>,
    /// Something other than the fleet's counters that the service
    /// evaluation reads changed during the current event.
    dirty: bool,
    /// Slots holding sessions when the current event began: sessions are
    /// spread evenly over them, so each one that dies takes that share.
    holding_at_event: usize,
    state: ServiceState,
    ledger: Ledger,
    /// Samples of the year being recorded for a timeline, if any, and
    /// when that year starts [s].
    recording: Option<Vec<timeline::Sample>>,
    recording_from: f64,
    /// The share of all demand this deployment receives: 1 alone, a
    /// region's routed share among several ([`regions`]).
    share: f64,
    /// A region other than the home one: the global dependencies are the
    /// home region's, mirrored here ([`Deployment::mirror_dependency`]),
    /// not simulated again.
    mirror: bool,
}

/// Where a deployment runs: alone, or as region `index` of several
/// (its own random streams; the home region, 0, simulates the global
/// dependencies) receiving `share` of the demand at the start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    index: u64,
    share: f64,
}

impl Place {
    /// The one deployment of a scenario without regions.
    const ALONE: Place = Place { index: 0, share: 1.0 };
}

impl<'s> Deployment<'s> {
    /// A deployment with every component healthy at time 0, drawing from the
    /// streams of `chunk`, measured from `sc.simulation.warmup` on.
    pub fn new(sc: &'s Scenario, chunk: u64, queue: &mut EventQueue<Event>) -> Deployment<'s> {
        Deployment::at(sc, chunk, Place::ALONE, queue)
    }

    /// A deployment at `place`, as [`Deployment::new`].
    fn at(sc: &'s Scenario, chunk: u64, place: Place, queue: &mut EventQueue<Event>) -> Deployment<'s> {
        let topo = &sc.topology;
        let n_fd = topo.fault_domains();
        let dependencies = Dependencies::new(sc);
        let tiers = Tiers::new(sc, dependencies.first_causes());
        let replicas: Vec<(u16, u16)> = tiers.replicas().map(|(_, dependency, r)| (dependency, r)).collect();
        let layout = Layout::new(sc.dependencies.len(), topo, replicas.len());
        let seed = draws::region_seed(sc.simulation.seed, place.index);
        let mut draws = Draws::new(seed, chunk, layout, |g| replicas[usize::from(g)]);
        let mut fleet = Fleet::new(n_fd, sc.load_balancer.is_some());
        for (fd, &count) in topo.instances_per_fd.iter().enumerate() {
            for _ in 0..count {
                draws.add_slot(fleet.add(id16(fd), true).0);
            }
        }
        let at_max = sc.autoscaling.as_ref().is_some_and(|a| fleet.size() as u32 >= a.max);
        let meter = meter(sc, chunk, (fleet.billed() as u32, at_max));
        let mut model = Deployment {
            sc,
            draws,
            layout,
            timers: Timers::new(layout),
            lb_up: true,
            domains: Domains::new(topo),
            dependencies,
            tiers,
            holding_at_event: fleet.holding(),
            fleet,
            recovery: Recovery::new(&sc.repair),
            planned: PlannedKind::ALL.map(|kind| kind.spec(sc).map(PlannedRun::new)),
            load: Load::new(sc),
            scaler: sc.autoscaling.as_ref().map(Scaler::new),
            dirty: false,
            state: ServiceState::default(),
            ledger: Ledger::new(meter),
            recording: None,
            recording_from: 0.0,
            share: place.share,
            mirror: place.index > 0,
        };
        model.start(queue);
        model
    }

    fn start(&mut self, q: &mut EventQueue<Event>) {
        let now = SimTime::ZERO;
        let sc = self.sc;
        // Every component that has a process of its own (a tier's
        // dependency has one only if it has a common failure).
        let components: Vec<Component> = self.layout.all().filter(|&c| self.process(c).is_some()).collect();
        // With regions, a constant law would fail every region's copy of a
        // component at the same instant: each starts at a uniform phase
        // within it (its stationary start; other laws differ by streams).
        let phased = |law: &Dist| sc.regions.is_some() && matches!(law, Dist::Constant { .. });
        for component in components {
            let law = self.process(component).expect("kept: it has a process");
            let mut first = self.draws.sample(component.stream(), &law.failure);
            if matches!(component, Component::Replica(_)) || phased(&law.failure) {
                // A uniform phase within its first time to failure: replicas
                // run on their own from the start, even with constant laws.
                first *= self.draws.uniform(component.stream());
            }
            let at = now + first;
            self.schedule(q, at, Event::Flip { component, up: false });
        }
        for id in self.fleet.ids().collect::<Vec<_>>() {
            if let Some(hc) = self.health_check() {
                let phase = self.draws.uniform(Stream::Slot(id)) * hc.interval;
                self.fleet.slot_mut(id).set_phase(phase);
            }
            let (gray, mut after) = self.draw_failure(id);
            if phased(&sc.crash) {
                after *= self.draws.uniform(Stream::Slot(id));
            }
            self.schedule_failure(id, now, (gray, after), q);
        }
        for kind in PlannedKind::ALL {
            if let Some(p) = kind.spec(sc) {
                // A uniform phase within the first cadence period.
                let u = self.draws.uniform(kind.stream());
                let first = u * self.draws.sample(kind.stream(), &p.every);
                self.schedule(q, now + first, Event::PlannedStart(kind));
            }
        }
        self.start_load(q);
        self.update_load(now, q);
        self.evaluate(now, q);
    }

    fn lb(&self) -> Option<&'s crate::scenario::LoadBalancer> {
        self.sc.load_balancer.as_ref()
    }

    fn health_check(&self) -> Option<&'s crate::scenario::HealthCheck> {
        self.lb().and_then(|lb| lb.health_check.as_ref())
    }

    /// Draws the first failure of the instance about to run in slot `id`:
    /// whether it is a gray failure, and after how long [s].
    ///
    /// Crash and gray failure are competing risks: both times are drawn, and
    /// only the earlier is scheduled, on the slot's one process timer.
    fn draw_failure(&mut self, id: SlotId) -> (bool, f64) {
        let sc = self.sc;
        let crash = self.draws.sample(Stream::Slot(id), &sc.crash);
        let gray = sc.gray_failure.as_ref().map_or(f64::INFINITY, |g| self.draws.sample(Stream::Slot(id), g));
        if gray < crash { (true, gray) } else { (false, crash) }
    }

    /// Schedules the first failure of the instance running in slot `id`
    /// since `now`: the one drawn when its launch began, if any, else a new draw.
    fn arm_failures(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        let drawn = match self.fleet.slot_mut(id).take_first_failure() {
            Some(drawn) => drawn,
            None => self.draw_failure(id),
        };
        self.schedule_failure(id, now, drawn, q);
    }

    /// Schedules slot `id`'s failure (gray or not) `after` seconds from `now`.
    fn schedule_failure(&self, id: SlotId, now: SimTime, (gray, after): (bool, f64), q: &mut EventQueue<Event>) {
        let event = if gray { Event::Gray(id) } else { Event::Crash(id) };
        self.schedule(q, now + after, event);
    }

    /// Runs the trajectory through its measured years, year by year;
    /// returns the tally of the years completed. `progress` is told how far
    /// into them the trajectory is [years, fractional] during a year, every
    /// [`engine::TICK_EVENTS`] events, and at each year's end; returning
    /// false stops the trajectory there. The tally then holds whole years
    /// only: a year stopped midway is dropped (`Ledger::drop_year`), so
    /// that a stop comes within a fraction of a second however slow the year.
    pub fn run(self, years: u64, queue: &mut EventQueue<Event>, progress: &mut dyn FnMut(f64) -> bool) -> Tally {
        let start = self.sc.simulation.warmup;
        run_years(Alone { model: self, queue }, start, years, progress)
    }
}

/// The ledger's view of `sc`, for trajectory `chunk`, starting with
/// `billed` = (instances paid for, whether the pool is at its maximum).
fn meter(sc: &Scenario, chunk: u64, billed: (u32, bool)) -> Meter {
    Meter {
        start: sc.simulation.warmup,
        window: sc.slo.window,
        target: sc.slo.target,
        sli: sc.slo.sli,
        causes: Cause::all(sc.named_causes().len()).count(),
        demand: sc.traffic.as_ref().map_or_else(|| std::sync::Arc::new(Profile::flat(1.0)), |t| t.profile.clone()),
        instances: billed.0,
        at_max: billed.1,
        utilisation: sc.capacity.is_some(),
        trajectory: chunk,
    }
}

/// Simulates trajectory `chunk` of `sc` for `years` measured years, as
/// [`Deployment::run`] says: one deployment, or one per region.
pub fn trajectory(
    sc: &Scenario,
    chunk: u64,
    years: u64,
    queue: &mut EventQueue<Event>,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Tally {
    match &sc.regions {
        None => Deployment::new(sc, chunk, queue).run(years, queue, progress),
        Some(_) => run_years(regions::Multi::new(sc, chunk), sc.simulation.warmup, years, progress),
    }
}

/// What runs year by year: one deployment with its queue, or several regions.
trait Trajectory {
    /// Handles the events up to `end`, calling `tick` as
    /// [`engine::run_ticking`] does; returns how many.
    fn step_to(&mut self, end: SimTime, tick: &mut dyn FnMut(SimTime) -> bool) -> u64;
    /// Forgets the year in progress ([`Ledger::drop_year`]).
    fn drop_year(&mut self);
    /// Closes the books at `end` ([`Ledger::finish`]).
    fn finish(self, end: f64, events: u64) -> Tally
    where
        Self: Sized;
    /// The ledger that measures the service.
    fn ledger(&mut self) -> &mut Ledger;
    /// Records a sample after every event from now on, times counted
    /// from `from` [s]; the samples so far, when `from` is `None`.
    fn record(&mut self, from: Option<f64>) -> Vec<timeline::Sample>;
}

/// Runs `t` through `years` measured years from `start`, year by year, as
/// [`Deployment::run`] says.
#[inline(always)]
fn run_years(mut t: impl Trajectory, start: f64, years: u64, progress: &mut dyn FnMut(f64) -> bool) -> Tally {
    let mut events = 0;
    let mut done = 0;
    while done < years {
        let end = start + (done + 1) as f64 * YEAR_SECS;
        let mut stopped = false;
        let mut tick = |now: SimTime| {
            stopped = !progress(((now.secs() - start) / YEAR_SECS).max(0.0));
            !stopped
        };
        let handled = t.step_to(SimTime::from_secs(end), &mut tick);
        if stopped {
            t.drop_year();
            break;
        }
        events += handled;
        done += 1;
        if !progress(done as f64) {
            break;
        }
    }
    t.finish(start + done as f64 * YEAR_SECS, events)
}

/// One deployment and its queue.
struct Alone<'a, 's> {
    model: Deployment<'s>,
    queue: &'a mut EventQueue<Event>,
}

impl Trajectory for Alone<'_, '_> {
    #[inline(always)]
    fn step_to(&mut self, end: SimTime, tick: &mut dyn FnMut(SimTime) -> bool) -> u64 {
        engine::run_ticking(&mut self.model, self.queue, end, tick)
    }

    fn drop_year(&mut self) {
        self.model.ledger.drop_year();
    }

    fn finish(self, end: f64, events: u64) -> Tally {
        self.model.ledger.finish(end, events)
    }

    fn ledger(&mut self) -> &mut Ledger {
        &mut self.model.ledger
    }

    fn record(&mut self, from: Option<f64>) -> Vec<timeline::Sample> {
        let m = &mut self.model;
        match from {
            Some(from) => {
                (m.recording, m.recording_from) = (Some(vec![m.sample(0.0)]), from);
                vec![]
            }
            None => m.recording.take().unwrap_or_default(),
        }
    }
}

impl engine::Model for Deployment<'_> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) {
        self.ledger.advance(now.secs());
        self.holding_at_event = self.fleet.holding();
        self.dirty = false;
        // Events that change nothing the service evaluation reads (a
        // scale check that finds nothing to do) skip it.
        if self.apply(now, event, q) {
            let changed = self.fleet.take_changed() | (self.load.is_some() && self.update_load(now, q));
            if changed || self.dirty {
                self.evaluate(now, q);
            }
        }
        if let Some(mut samples) = self.recording.take() {
            samples.push(self.sample(now.secs() - self.recording_from));
            self.recording = Some(samples);
        }
    }
}

impl Deployment<'_> {
    /// Applies one event; returns whether the service may have changed.
    fn apply(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) -> bool {
        match event {
            Event::Flip { component, up } => self.flip(component, up, now, q),
            Event::Crash(id) | Event::Gray(id) => {
                let proc = if matches!(event, Event::Crash(_)) { Proc::Crashed } else { Proc::Gray };
                self.set_proc(id, proc, q);
                // Already failing (its domain is out): the instance's own
                // failure is a new reason to alert.
                let new_reason = self.fleet.slot(id).failing();
                self.refresh_with(id, now, q, new_reason);
            }
            Event::Ready(id) => self.ready(id, now, q),
            Event::Admit(id) => self.admit(id, now, q),
            Event::HealthMark(id) => self.health_mark(id, now, q),
            Event::Alert(id) => {
                // A replacement whose start was merged into its admission may
                // have started since, ending the episode: caught up now, the
                // alert finds nothing failing and comes to nothing.
                self.settle(id, now, q);
                if self.fleet.slot(id).failing() {
                    self.on_alert(id, now, q);
                }
            }
            Event::PlannedStart(kind) => self.planned_start(kind, now, q),
            Event::PlannedStep(kind) => self.planned_step(kind, now, q),
            Event::Rollback => self.rollback(now, q),
            Event::RegisterAll => self.register_all(now, q),
            Event::FlashSale => self.flash_sale(now, q),
            Event::FlashPhase => self.flash_phase(now, q),
            Event::Crossing => self.crossing(now, q),
            Event::OverloadCrash => self.overload_crash(now, q),
            Event::ScaleCheck => return self.scale_check(now, q),
            Event::Terminate(id) => self.terminate(id, now),
            Event::Promote(i) => {
                let t = self.tiers.of_dependency(i).expect("only tiers promote");
                self.tiers.promote(t, &self.domains);
                self.settle_tier(t, now, q);
            }
        }
        true
    }

    /// Schedules `event` at `at` on its timer, replacing what that held.
    #[inline]
    fn schedule(&self, q: &mut EventQueue<Event>, at: SimTime, event: Event) {
        q.schedule(self.timers.of(&event), at, event);
    }

    /// Cancels slot `id`'s pending event of kind `kind`, if any.
    fn cancel(&self, q: &mut EventQueue<Event>, id: SlotId, kind: SlotTimer) {
        q.cancel(self.timers.slot(id, kind));
    }

    /// Moves slot `id`'s process to `proc`: what the previous one had
    /// pending (a failure, a start) can no longer happen.
    fn set_proc(&mut self, id: SlotId, proc: Proc, q: &mut EventQueue<Event>) {
        self.fleet.slot_mut(id).set_proc(proc);
        self.cancel(q, id, SlotTimer::Proc);
    }

    /// Sessions kept in dependency `i` are lost.
    /// (A global store, simulated in the home region alone, holds every
    /// region's sessions.)
    fn lose_stored_sessions(&mut self, i: u16, now: SimTime) {
        if self.sc.sessions.storage == Storage::External(usize::from(i)) {
            let share = if self.sc.dependencies[usize::from(i)].global { 1.0 } else { self.share };
            self.ledger.lose_sessions(now.secs(), self.sc.sessions.active * share);
        }
    }

    /// Applies what a change to tier `t` means: why its dependency is down,
    /// sessions lost with its last replica, a promotion window to time.
    fn settle_tier(&mut self, t: u16, now: SimTime, q: &mut EventQueue<Event>) {
        let outcome = self.tiers.settle(t, &self.domains);
        let i = self.tiers.dependency(t);
        self.dependencies.set(&self.sc.dependencies, i, outcome.down);
        self.dirty = true;
        if outcome.lost_all {
            self.lose_stored_sessions(i, now);
        }
        if let Some(g) = outcome.window_from {
            let Some(crate::scenario::Tier {
                mode: crate::scenario::TierMode::Failover { detection, promotion }, ..
            }) = &self.sc.dependencies[usize::from(i)].tier
            else {
                unreachable!("only a failover tier opens a promotion window")
            };
            let stream = Component::Replica(g).stream();
            let window = self.draws.sample(stream, detection) + self.draws.sample(stream, promotion);
            self.schedule(q, now + window, Event::Promote(i));
        }
    }

    /// Settles the tiers whose replicas sit in domains, after a domain changed.
    fn settle_placed_tiers(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let mirrored = |t: u16| self.mirror && self.sc.dependencies[usize::from(self.tiers.dependency(t))].global;
        for t in self.tiers.placed().filter(|&t| !mirrored(t)).collect::<Vec<_>>() {
            self.tiers.recount(t, &self.domains);
            self.settle_tier(t, now, q);
        }
    }

    /// Settles every slot of fault domain `fd` before the domain changes.
    fn settle_fd(&mut self, fd: u16, now: SimTime, q: &mut EventQueue<Event>) {
        for k in 0..self.fleet.in_fd(fd).len() {
            let id = self.fleet.in_fd(fd)[k];
            self.settle(id, now, q);
        }
    }

    /// Refreshes every slot of fault domain `fd` after the domain changed.
    fn refresh_fd(&mut self, fd: u16, now: SimTime, q: &mut EventQueue<Event>) {
        for k in 0..self.fleet.in_fd(fd).len() {
            let id = self.fleet.in_fd(fd)[k];
            self.refresh(id, now, q);
        }
    }

    /// Re-derives slot `id`'s state after any change to it or its domains:
    /// its failure episode and health-check view, then its counted flags.
    fn refresh(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        self.refresh_with(id, now, q, false);
    }

    /// [`Deployment::refresh`], where `new_reason` says the instance itself
    /// just failed.
    fn refresh_with(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>, new_reason: bool) {
        self.catch_up(id, now, q);
        self.refresh_health(id, now, q, new_reason);
        if self.fleet.sync(id, &self.domains) && self.sc.sessions.storage == Storage::Memory {
            let share = self.sc.sessions.active * self.share / self.holding_at_event.max(1) as f64;
            self.ledger.lose_sessions(now.secs(), share);
        }
    }

    /// Re-derives slot `id`'s failure episode and the health checker's view
    /// of it, scheduling detection, admission and alerts.
    fn refresh_health(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>, new_reason: bool) {
        let has_lb = self.lb().is_some();
        let hc = self.health_check();
        let outage = self.domains.outage(self.fleet.slot(id).fd());
        let slot = self.fleet.slot_mut(id);
        if slot.proc() == Proc::Retired {
            slot.derive(outage, new_reason);
            return;
        }
        let episode = slot.derive(outage, new_reason);
        if matches!(episode, Episode::NewReason { began: true } | Episode::Same { ended: true }) {
            q.cancel(self.timers.slot(id, SlotTimer::Alert));
        }
        let slot = self.fleet.slot_mut(id);
        if has_lb && slot.registered() {
            match hc {
                None => slot.mark_up_if_fixed(),
                Some(hc) => {
                    if let Some(mark) = slot.health_change(hc, now.secs()) {
                        self.schedule_mark(id, mark, q);
                    }
                }
            }
        }
        if matches!(episode, Episode::NewReason { .. }) {
            self.raise_alert(id, now, q);
        } else {
            self.release_held_alert(id, now, q);
        }
    }

    /// Takes slot `id` out of rotation by hand, dropping any pending
    /// health-check mark.
    fn mark_down(&mut self, id: SlotId, q: &mut EventQueue<Event>) {
        let outage = self.domains.outage(self.fleet.slot(id).fd());
        self.fleet.slot_mut(id).force_down(outage);
        self.cancel(q, id, SlotTimer::Mark);
    }

    /// Schedules a health-check mark of slot `id`, replacing any pending one.
    fn schedule_mark(&self, id: SlotId, mark: health::Mark, q: &mut EventQueue<Event>) {
        self.schedule(q, SimTime::from_secs(mark.at), Event::HealthMark(id));
    }

    /// A health-check mark of slot `id` comes due.
    fn health_mark(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        let hc = self.health_check().expect("marks need a health checker");
        let outage = self.domains.outage(self.fleet.slot(id).fd());
        let (flipped, follow) = self.fleet.slot_mut(id).health_fire(hc);
        if let Some(mark) = follow {
            self.schedule_mark(id, mark, q);
        }
        let slot = self.fleet.slot_mut(id);
        if flipped && !slot.checked_in() {
            // Noticed first, so the slot leaves rotation under its episode's cause.
            slot.noticed(outage);
            if self.pool() {
                // The pool terminates whatever the load balancer marks unhealthy.
                self.replace(id, now, q);
            }
        }
        self.refresh(id, now, q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trajectory's state can be snapshotted mid-run and continued: the
    /// copy and the original, run on to the same end, tally the same (what
    /// importance splitting will rely on).
    #[test]
    fn a_cloned_trajectory_continues_identically() {
        let text = crate::embedded::scenario("three-fd").expect("bundled");
        let sc = Scenario::from_toml(text, "three-fd", &[]).expect("valid");
        let mut queue = EventQueue::new();
        let mut original = Deployment::new(&sc, 3, &mut queue);
        engine::run_until(&mut original, &mut queue, SimTime::from_secs(sc.simulation.warmup + 2.5 * YEAR_SECS));
        let (copy, mut copy_queue) = (original.clone(), queue.clone());
        let a = original.run(5, &mut queue, &mut |_| true);
        let b = copy.run(5, &mut copy_queue, &mut |_| true);
        assert_eq!(a.years(), 5);
        assert!(a.events > 3_000, "the years were simulated: {} events", a.events);
        assert_eq!(a, b);
    }

    /// Held alerts and merged starts save events and change nothing else.
    /// Switched off (every alert scheduled, every start an event of its
    /// own), busy variants of three-fd (crashes every 6 hours, gray
    /// failures, domain outages, daily deploys with bad releases,
    /// maintenance; replacements placed across domains, or unregistered,
    /// or behind slow health checks) go through the same states at the
    /// same instants (each instance's, whether the service is up, why not,
    /// what fails) and give the same figures, to the rounding of the
    /// intervals the extra events split.
    #[test]
    fn shortcuts_change_nothing_but_the_events() {
        use engine::Model;
        let busy = [
            "instance.failure.mean=6h",
            "instance.gray_failure.mean=5d",
            "fault_domain.failure.mean=2d",
            "availability_domain.failure.mean=20d",
            "deploy.every=1d",
            "deploy.bad_release_probability=0.3",
            "maintenance.every=3d",
            "simulation.warmup=0s",
        ];
        let variants: [&[&str]; 4] = [
            &[],
            &["repair.cross_fd=true", "load_balancer.failure.mean=5d"],
            &["repair.register=false", "monitoring.alert_delay=\"2m\""],
            &[
                "load_balancer.health_check.interval=\"2m\"",
                "repair.cross_fd=true",
                "topology.availability_domains=2",
                "topology.instances_per_fd=[1, 1, 1, 1, 1, 1]",
                "instance.failure.mean=1h",
                "fault_domain.failure.mean=6h",
            ],
        ];
        let end = SimTime::from_secs(8.0 * YEAR_SECS);
        let mut saved = 0.0;
        for variant in variants {
            let sets: Vec<_> =
                busy.iter().chain(variant).map(|s| crate::scenario::Override::parse(s).unwrap()).collect();
            let sc = Scenario::from_toml(crate::embedded::scenario("three-fd").unwrap(), "three-fd", &sets).unwrap();
            let run = |shortcuts: bool| {
                let mut queue = EventQueue::new();
                let mut model = Deployment::new(&sc, 0, &mut queue);
                if !shortcuts {
                    model.recovery.without_shortcuts();
                }
                let (mut changes, mut events) = (vec![], 0);
                while let Some((now, event)) = queue.pop().filter(|(at, _)| *at <= end) {
                    model.handle(now, event, &mut queue);
                    events += 1;
                    let s = model.sample(now.secs());
                    let state = (s.slots, s.up, (!s.up).then_some(s.cause), s.failing);
                    if changes.last().is_none_or(|(_, last)| *last != state) {
                        changes.push((s.t, state));
                    }
                }
                (changes, model.ledger.finish(end.secs(), events))
            };
            let ((a, with), (b, without)) = (run(true), run(false));
            // Each variant saves events, and together a fifth or more.
            assert!(
                without.events as f64 > 1.08 * with.events as f64,
                "{variant:?}: {} events against {}",
                without.events,
                with.events
            );
            saved += (without.events - with.events) as f64 / without.events as f64 / variants.len() as f64;
            if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
                panic!("{variant:?}: {:?}\nagainst {:?}", &a[i.saturating_sub(1)..=i], b.get(i.saturating_sub(1)..=i));
            }
            let figures = |t: &Tally| serde_json::to_value(crate::analysis::Results::new(&sc, t)).unwrap();
            same(&figures(&with), &figures(&without), &format!("{variant:?}"));
            assert!(with.outages > 100 && with.window_down.n > 0, "outages were simulated");
        }
        assert!(saved > 0.2, "the shortcuts save {:.1} % of the events", 100.0 * saved);
    }

    /// Asserts two JSON figures equal, numbers to within 1e-9 of each other
    /// (events aside).
    fn same(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, v) in x.iter().filter(|(k, _)| !k.starts_with("events")) {
                    same(v, &y[k], &format!("{at}.{k}"));
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{at}");
                x.iter().zip(y).enumerate().for_each(|(i, (v, w))| same(v, w, &format!("{at}[{i}]")));
            }
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{at}: {x} against {y}");
            }
            _ => assert_eq!(a, b, "{at}"),
        }
    }

    /// A trajectory stopped in the middle of a year drops that year: its
    /// tally is the one of the years before, as if it had stopped at
    /// their end.
    #[test]
    fn a_year_stopped_midway_is_dropped() {
        // Crashes every few minutes: years of about a million events; in
        // flash-sale, with outages, windows and scale actions in each.
        for name in ["bench-bare", "flash-sale"] {
            let text = crate::embedded::scenario(name).expect("bundled");
            let sets = [crate::scenario::Override::parse("instance.failure.mean=5m").unwrap()];
            let sc = Scenario::from_toml(text, name, &sets).expect("valid");
            let mut queue = EventQueue::new();
            let whole = Deployment::new(&sc, 0, &mut queue).run(2, &mut queue, &mut |_| true);
            queue.clear();
            let mut calls = vec![];
            let stopped = Deployment::new(&sc, 0, &mut queue).run(3, &mut queue, &mut |years| {
                calls.push(years);
                years < 2.5
            });
            assert_eq!(stopped.years(), 2);
            assert!(calls.iter().any(|&y| y > 2.0 && y < 3.0), "{name} stopped within the third year: {calls:?}");
            assert!(whole.outages > 0 && whole.window_down.n > 0, "{name} has outages and windows");
            assert!(name == "bench-bare" || whole.scale_outs > 0, "{name} scales");
            // (Not assert_eq: a tally's Debug is long.)
            assert!(stopped == whole, "{name}: the tally of the whole years, as if stopped at their end");
        }
    }
}
