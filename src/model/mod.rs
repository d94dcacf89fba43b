//! The deployment model: components, their failures and repairs, the load
//! balancer's rotation, and what the service can serve at each moment.
//!
//! It drives the engine through [`Deployment`], which implements
//! [`engine::Model`]. Each component draws from its own random stream (see
//! `rng`). State changes are events; the service state is re-evaluated after
//! each one and handed to the [`Ledger`], which integrates it over time.

mod cause;
pub mod health;
mod ledger;
mod planned;
mod recovery;
mod service;
mod slot;

pub use cause::{Cause, cause_names};
pub use ledger::{Ledger, ServiceState};

use crate::engine::{self, EventQueue, SimTime};
use crate::rng::{self, Rng};
use crate::scenario::{FailureRepair, Impact, Repair, Scenario, Storage, YEAR_SECS};
use crate::stats::Tally;
use planned::PlannedRun;
use rand::RngExt;
use slot::{Proc, Slot};

/// Something that happens at a point in time. Slot events carry the epoch
/// they were scheduled under; a stale one (the slot moved on) is ignored.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A component with its own failure/repair process goes down (false)
    /// or comes back (true).
    Flip(Part, bool),
    /// The instance in a slot crashes.
    Crash(u16, u32),
    /// The instance in a slot starts failing requests while passing checks.
    Gray(u16, u32),
    /// A replacement or repair finishes: the instance runs.
    Ready(u16, u32),
    /// A health-check mark (down or up) of a backend comes due.
    HealthMark(u16, u32),
    /// Monitoring alerts an operator about a slot's failure.
    Alert(u16, u32),
    /// Planned work of a kind (0 deploy, 1 maintenance) starts.
    PlannedStart(u8),
    /// Step of a planned run ends: (kind, run id).
    PlannedStep(u8, u32),
    /// A bad release's rollback completes: run id.
    Rollback(u32),
    /// An operator registers every running instance with the load balancer.
    RegisterAll,
}

/// A component with its own alternating failure/repair process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The load balancer.
    Lb,
    /// Dependency `i`.
    Dep(u16),
    /// Availability domain `i`.
    Ad(u16),
    /// Fault domain `i`.
    Fd(u16),
}

/// Stream identifiers: component kind in the high bits, index in the low.
const STREAM_LB: u64 = 0;
const STREAM_DEP: u64 = 1 << 32;
const STREAM_AD: u64 = 2 << 32;
const STREAM_FD: u64 = 3 << 32;
const STREAM_SLOT: u64 = 4 << 32;
const STREAM_PLANNED: u64 = 5 << 32;
const STREAM_OPERATOR: u64 = 6 << 32;

/// One trajectory of a deployment: the simulated state of every component.
pub struct Deployment<'s> {
    sc: &'s Scenario,
    lb_up: bool,
    dep_up: Vec<bool>,
    ad_up: Vec<bool>,
    fd_up: Vec<bool>,
    /// Fault domain up and its availability domain up, kept current at
    /// domain events because every evaluation reads it.
    fd_live: Vec<bool>,
    /// Required and degraded dependencies currently down.
    required_down: usize,
    degraded_down: usize,
    has_lb: bool,
    slots: Vec<Slot>,
    planned: [PlannedRun; 2],
    register_alert_pending: bool,
    /// Slots in rotation, in rotation and serving, and holding sessions:
    /// kept current by `sync`, so that `evaluate` is O(1) when all is well.
    in_rotation: usize,
    good: usize,
    holding: usize,
    /// `holding` when the current event began: sessions are spread evenly
    /// over those slots, so each one that dies takes that share.
    holding_at_event: usize,
    lb_rng: Rng,
    dep_rng: Vec<Rng>,
    ad_rng: Vec<Rng>,
    fd_rng: Vec<Rng>,
    slot_rng: Vec<Rng>,
    planned_rng: [Rng; 2],
    operator_rng: Rng,
    state: ServiceState,
    ledger: Ledger,
}

impl<'s> Deployment<'s> {
    /// A deployment with every component healthy at time 0, drawing from the
    /// streams of `chunk`, measured from `sc.simulation.warmup` on.
    pub fn new(sc: &'s Scenario, chunk: u64, queue: &mut EventQueue<Event>) -> Deployment<'s> {
        let seed = sc.simulation.seed;
        let s = |component| rng::stream(seed, chunk, component);
        let topo = &sc.topology;
        let n_fd = topo.fault_domains();
        let mut slots = vec![];
        for (fd, &count) in topo.instances_per_fd.iter().enumerate() {
            slots.extend((0..count).map(|_| Slot::new(fd as u16)));
        }
        let n_causes = Cause::COUNT + sc.dependencies.len();
        let mut model = Deployment {
            sc,
            lb_up: true,
            dep_up: vec![true; sc.dependencies.len()],
            ad_up: vec![true; topo.availability_domains],
            fd_up: vec![true; n_fd],
            fd_live: vec![true; n_fd],
            required_down: 0,
            degraded_down: 0,
            has_lb: sc.load_balancer.is_some(),
            planned: [PlannedRun::default(), PlannedRun::default()],
            register_alert_pending: false,
            in_rotation: slots.len(),
            good: slots.len(),
            holding: slots.len(),
            holding_at_event: slots.len(),
            lb_rng: s(STREAM_LB),
            dep_rng: (0..sc.dependencies.len() as u64).map(|i| s(STREAM_DEP + i)).collect(),
            ad_rng: (0..topo.availability_domains as u64).map(|i| s(STREAM_AD + i)).collect(),
            fd_rng: (0..n_fd as u64).map(|i| s(STREAM_FD + i)).collect(),
            slot_rng: (0..slots.len() as u64).map(|i| s(STREAM_SLOT + i)).collect(),
            planned_rng: [s(STREAM_PLANNED), s(STREAM_PLANNED + 1)],
            operator_rng: s(STREAM_OPERATOR),
            slots,
            state: ServiceState { up: true, ..ServiceState::default() },
            ledger: Ledger::new(sc.simulation.warmup, sc.slo.window, sc.slo.target, sc.slo.sli, n_causes),
        };
        model.start(queue);
        model
    }

    fn start(&mut self, q: &mut EventQueue<Event>) {
        let now = SimTime::ZERO;
        let mut parts = vec![];
        if self.lb().is_some_and(|lb| lb.failure.is_some()) {
            parts.push(Part::Lb);
        }
        parts.extend((0..self.dep_up.len() as u16).map(Part::Dep));
        if self.sc.ad_outage.is_some() {
            parts.extend((0..self.ad_up.len() as u16).map(Part::Ad));
        }
        if self.sc.fd_outage.is_some() {
            parts.extend((0..self.fd_up.len() as u16).map(Part::Fd));
        }
        for part in parts {
            let (process, rng) = self.process(part);
            q.schedule(now + process.failure.sample(rng), Event::Flip(part, false));
        }
        for i in 0..self.slots.len() {
            if let Some(hc) = self.health_check() {
                self.slots[i].phase = self.slot_rng[i].random::<f64>() * hc.interval;
            }
            self.arm_failures(i, now, q);
        }
        for kind in 0..2 {
            if let Some(p) = self.planned_spec(kind) {
                // A uniform phase within the first cadence period.
                let rng = &mut self.planned_rng[kind as usize];
                let first = rng.random::<f64>() * p.every.sample(rng);
                q.schedule(now + first, Event::PlannedStart(kind));
            }
        }
        self.evaluate(now, q);
    }

    /// The failure/repair process of `part` and its random stream.
    fn process(&mut self, part: Part) -> (&'s FailureRepair, &mut Rng) {
        let sc = self.sc;
        let known = "scheduled only when configured";
        match part {
            Part::Lb => (sc.load_balancer.as_ref().and_then(|lb| lb.failure.as_ref()).expect(known), &mut self.lb_rng),
            Part::Dep(i) => (&sc.dependencies[i as usize].process, &mut self.dep_rng[i as usize]),
            Part::Ad(i) => (sc.ad_outage.as_ref().expect(known), &mut self.ad_rng[i as usize]),
            Part::Fd(i) => (sc.fd_outage.as_ref().expect(known), &mut self.fd_rng[i as usize]),
        }
    }

    fn lb(&self) -> Option<&'s crate::scenario::LoadBalancer> {
        self.sc.load_balancer.as_ref()
    }

    fn health_check(&self) -> Option<&'s crate::scenario::HealthCheck> {
        self.lb().and_then(|lb| lb.health_check.as_ref())
    }

    /// The outage holding fault domain `fd` down (meaningful only when it is).
    fn domain_cause(&self, fd: u16) -> Cause {
        if self.ad_up[self.sc.topology.ad_of(fd as usize)] { Cause::FdOutage } else { Cause::AdOutage }
    }

    fn fd_ok(&self, fd: u16) -> bool {
        self.fd_live[fd as usize]
    }

    /// Schedules the first failure of the instance now running in slot `i`.
    ///
    /// Crash and gray failure are competing risks: both times are drawn, and
    /// only the earlier is scheduled. Scheduling both would leave the later
    /// one stale in the queue at every replacement, and with gray failures
    /// years apart those stale events would pile up and slow every pop.
    fn arm_failures(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        let (life, rng) = (self.slots[i].life, &mut self.slot_rng[i]);
        let crash = self.sc.crash.sample(rng);
        let gray = self.sc.gray_failure.as_ref().map_or(f64::INFINITY, |g| g.sample(rng));
        if gray < crash {
            q.schedule(now + gray, Event::Gray(i as u16, life));
        } else {
            q.schedule(now + crash, Event::Crash(i as u16, life));
        }
    }

    /// Runs the trajectory to the end of its measured years; returns the tally.
    pub fn run(mut self, years: u64, queue: &mut EventQueue<Event>) -> Tally {
        let end = self.sc.simulation.warmup + years as f64 * YEAR_SECS;
        let events = engine::run_until(&mut self, queue, SimTime::from_secs(end));
        self.ledger.finish(end, events)
    }
}

impl engine::Model for Deployment<'_> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) {
        self.ledger.advance(now.secs());
        self.holding_at_event = self.holding;
        if self.apply(now, event, q) {
            self.evaluate(now, q);
        }
    }
}

impl Deployment<'_> {
    /// Applies one event; returns whether anything may have changed.
    fn apply(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) -> bool {
        let sc = self.sc;
        match event {
            Event::Flip(part, up) => {
                let (process, rng) = self.process(part);
                let next = if up { &process.failure } else { &process.repair };
                q.schedule(now + next.sample(rng), Event::Flip(part, !up));
                match part {
                    Part::Lb => self.lb_up = up,
                    Part::Dep(i) => self.dependency_flipped(i as usize, up, now),
                    Part::Ad(i) => {
                        self.ad_up[i as usize] = up;
                        self.domain_changed(now, q);
                    }
                    Part::Fd(i) => {
                        self.fd_up[i as usize] = up;
                        self.domain_changed(now, q);
                    }
                }
            }
            Event::Crash(i, life) | Event::Gray(i, life) => {
                let i = i as usize;
                if self.slots[i].life != life {
                    return false;
                }
                let proc = if matches!(event, Event::Crash(..)) { Proc::Crashed } else { Proc::Gray };
                self.slots[i].set_proc(proc);
                if self.slots[i].failing {
                    // The slot was already failing (its domain is out): the
                    // instance's own failure is a new reason to alert, and a
                    // new episode once the domain is back.
                    self.slots[i].detected = false;
                    self.slots[i].episode = Cause::InstanceFailure;
                    self.raise_alert(i, now, q);
                }
                self.refresh(i, now, q);
            }
            Event::Ready(i, life) => {
                let i = i as usize;
                if self.slots[i].life != life {
                    return false;
                }
                self.slots[i].set_proc(Proc::Running);
                self.arm_failures(i, now, q);
                if let (Some(hc), Repair::Pool { .. }) = (self.health_check(), &sc.repair)
                    && self.slots[i].registered
                {
                    // The replacement registers now that it runs; the health
                    // checker watches it from its first probe.
                    let (tracker, mark) = health::Tracker::launched(hc, self.slots[i].phase, now.secs());
                    self.slots[i].lb = tracker;
                    self.schedule_mark(i, mark, q);
                }
                self.refresh(i, now, q);
            }
            Event::HealthMark(i, epoch) => {
                let i = i as usize;
                if self.slots[i].hc_epoch != epoch {
                    return false;
                }
                let hc = self.health_check().expect("marks need a health checker");
                let slot = &mut self.slots[i];
                let (flipped, follow) = slot.lb.fire(hc, slot.phase);
                if let Some(mark) = follow {
                    self.schedule_mark(i, mark, q);
                }
                if flipped && !self.slots[i].checked_in() {
                    // Noticed first, so the slot leaves rotation under its episode's cause.
                    self.slots[i].detected = self.slots[i].failing;
                    self.slots[i].out_cause = self.reason(i);
                    if matches!(sc.repair, Repair::Pool { .. }) {
                        // The pool terminates whatever the load balancer marks unhealthy.
                        self.replace(i, now, q);
                    }
                }
                self.refresh(i, now, q);
            }
            Event::Alert(i, epoch) => {
                let i = i as usize;
                if self.slots[i].alert_epoch != epoch {
                    return false;
                }
                self.on_alert(i, now, q);
            }
            Event::PlannedStart(kind) => self.planned_start(kind, now, q),
            Event::PlannedStep(kind, run) => self.planned_step(kind, run, now, q),
            Event::Rollback(run) => self.rollback(run, now, q),
            Event::RegisterAll => {
                self.register_alert_pending = false;
                for i in 0..self.slots.len() {
                    if !self.slots[i].registered {
                        self.slots[i].registered = true;
                        self.slots[i].lb = health::Tracker::new(false, false, now.secs());
                        self.refresh(i, now, q);
                    }
                }
            }
        }
        true
    }

    /// Dependency `i` went down or came back.
    fn dependency_flipped(&mut self, i: usize, up: bool, now: SimTime) {
        let sc = self.sc;
        self.dep_up[i] = up;
        let down = match sc.dependencies[i].impact {
            Impact::Required => &mut self.required_down,
            Impact::Degraded(_) => &mut self.degraded_down,
        };
        *down = if up { *down - 1 } else { *down + 1 };
        if !up && sc.sessions.storage == Storage::External(i) {
            self.ledger.lose_sessions(now.secs(), sc.sessions.active);
        }
    }

    /// Refreshes every slot after a fault or availability domain changed,
    /// and launches replacements that were waiting for one to come back.
    fn domain_changed(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        for fd in 0..self.fd_up.len() {
            self.fd_live[fd] = self.fd_up[fd] && self.ad_up[self.sc.topology.ad_of(fd)];
        }
        for i in 0..self.slots.len() {
            if self.slots[i].proc == Proc::WaitingFd {
                self.launch(i, now, q);
            }
            self.refresh(i, now, q);
        }
    }

    /// Takes slot `i` out of rotation by hand, dropping any pending
    /// health-check mark.
    fn mark_down(&mut self, i: usize) {
        let reason = self.reason(i);
        let slot = &mut self.slots[i];
        slot.lb.force_down();
        slot.hc_epoch += 1;
        slot.out_cause = reason;
    }

    /// Schedules a health-check mark of slot `i`, replacing any pending one.
    fn schedule_mark(&mut self, i: usize, mark: health::Mark, q: &mut EventQueue<Event>) {
        let slot = &mut self.slots[i];
        slot.hc_epoch += 1;
        q.schedule(SimTime::from_secs(mark.at), Event::HealthMark(i as u16, slot.hc_epoch));
    }

    /// Monitoring notices a new reason to alert about slot `i` (its failure
    /// episode began, or its instance failed during one) and pages after
    /// the alert delay. Every new reason gets its own alert: an alert already
    /// handled for a domain outage does not cover an instance that crashes
    /// during it. Alerts of one episode share its epoch; the operator's
    /// response is idempotent, so a second one is harmless.
    fn raise_alert(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        if let Some(delay) = &self.sc.alert_delay {
            let at = now + delay.sample(&mut self.slot_rng[i]);
            q.schedule(at, Event::Alert(i as u16, self.slots[i].alert_epoch));
        }
    }

    /// Re-derives slot `i`'s state after any change to it or its domains:
    /// its failure episode and health-check view, then its counted flags.
    fn refresh(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        self.refresh_health(i, now, q);
        self.sync(i, now);
    }

    /// Re-derives slot `i`'s failure episode and health-check view,
    /// scheduling or cancelling detection, admission and alerts.
    fn refresh_health(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        let fd_ok = self.fd_ok(self.slots[i].fd);
        let has_lb = self.has_lb;
        let hc = self.health_check();
        let was_failing = self.slots[i].failing;
        let domain_cause = self.domain_cause(self.slots[i].fd);
        let slot = &mut self.slots[i];
        let drained = slot.drained != 0;
        slot.failing = !drained && (slot.proc != Proc::Running || !fd_ok);
        slot.visible = !drained && fd_ok && matches!(slot.proc, Proc::Running | Proc::Gray);

        if slot.failing && !was_failing {
            slot.detected = false;
            slot.episode = if fd_ok { Cause::InstanceFailure } else { domain_cause };
            slot.alert_epoch += 1;
            self.raise_alert(i, now, q);
        } else if !slot.failing && was_failing {
            slot.alert_epoch += 1;
            slot.detected = false;
        }

        let slot = &mut self.slots[i];
        if !has_lb || !slot.registered {
            return;
        }
        let Some(hc) = hc else {
            // No health checker: whoever fixed the instance puts it back.
            if slot.visible && slot.proc == Proc::Running {
                slot.lb.marked_up = true;
            }
            return;
        };
        let t = now.secs();
        let mark = slot.lb.change(hc, slot.phase, t, slot.visible).or_else(|| slot.lb.resume(hc, slot.phase, t));
        if let Some(mark) = mark {
            self.schedule_mark(i, mark, q);
        }
    }
}
