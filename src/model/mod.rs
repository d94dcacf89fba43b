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

    /// Monitoring has alerted an operator about slot `i`'s failure episode.
    fn on_alert(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        self.slots[i].detected = true;
        if self.lb().is_some() && self.slots[i].checked_in() {
            // Taken out of rotation by hand.
            self.mark_down(i);
        }
        let instance_broken = matches!(self.slots[i].proc, Proc::Crashed | Proc::Gray);
        match &self.sc.repair {
            Repair::Pool { .. } if instance_broken || self.slots[i].proc == Proc::Running => self.replace(i, now, q),
            Repair::Manual { time } if instance_broken => {
                self.slots[i].set_proc(Proc::Repairing);
                let at = now + time.sample(&mut self.slot_rng[i]);
                q.schedule(at, Event::Ready(i as u16, self.slots[i].life));
            }
            _ => {}
        }
        self.refresh(i, now, q);
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

    /// The pool terminates slot `i`'s instance and launches a replacement.
    fn replace(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        let Repair::Pool { register, .. } = self.sc.repair else { unreachable!("pool only") };
        if matches!(self.slots[i].proc, Proc::Repairing | Proc::WaitingFd) {
            return;
        }
        let slot = &mut self.slots[i];
        // A new backend, unknown to the health checker until it runs.
        slot.lb = health::Tracker::new(false, false, now.secs());
        slot.hc_epoch += 1;
        slot.registered = register;
        slot.detected = true;
        self.launch(i, now, q);
    }

    /// Starts the launch of slot `i`'s replacement: in its own fault domain
    /// if that is up, else in the least-loaded one that is up if the pool may
    /// place it elsewhere, else it waits.
    fn launch(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        let Repair::Pool { replacement, cross_fd, .. } = &self.sc.repair else { unreachable!("pool only") };
        let home = self.slots[i].fd;
        let target = if self.fd_ok(home) {
            Some(home)
        } else if *cross_fd {
            (0..self.fd_up.len() as u16)
                .filter(|&f| self.fd_ok(f))
                .min_by_key(|&f| self.slots.iter().filter(|s| s.fd == f).count())
        } else {
            None
        };
        match target {
            Some(fd) => {
                let slot = &mut self.slots[i];
                slot.fd = fd;
                slot.set_proc(Proc::Repairing);
                let at = now + replacement.sample(&mut self.slot_rng[i]);
                if let Some(hc) = self.health_check() {
                    // A new backend: a new probe phase.
                    self.slots[i].phase = self.slot_rng[i].random::<f64>() * hc.interval;
                }
                q.schedule(at, Event::Ready(i as u16, self.slots[i].life));
            }
            None => self.slots[i].set_proc(Proc::WaitingFd),
        }
    }

    /// Re-derives slot `i`'s state after any change to it or its domains:
    /// its failure episode and health-check view, then its counted flags.
    fn refresh(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        self.refresh_health(i, now, q);
        self.sync(i, now);
    }

    /// Updates slot `i`'s cached flags and the counters `evaluate` reads,
    /// and books the sessions it loses if its process died or restarted.
    fn sync(&mut self, i: usize, now: SimTime) {
        let fd_ok = self.fd_live[self.slots[i].fd as usize];
        let has_lb = self.has_lb;
        let s = &mut self.slots[i];
        if s.holds_sessions && !s.visible && self.sc.sessions.storage == Storage::Memory {
            let share = self.sc.sessions.active / self.holding_at_event.max(1) as f64;
            self.ledger.lose_sessions(now.secs(), share);
        }
        let in_rotation = s.rotating(has_lb);
        let good = in_rotation && s.serving(fd_ok);
        let holds = in_rotation && s.visible;
        let count = |counter: &mut usize, old: bool, new: bool| {
            *counter = *counter + usize::from(new) - usize::from(old);
        };
        count(&mut self.in_rotation, s.in_rotation, in_rotation);
        count(&mut self.good, s.good, good);
        count(&mut self.holding, s.holds_sessions, holds);
        (s.in_rotation, s.good, s.holds_sessions) = (in_rotation, good, holds);
    }

    /// Re-derives slot `i`'s failure episode and health-check view,
    /// scheduling or cancelling detection, admission and alerts.
    fn refresh_health(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        let fd_ok = self.fd_ok(self.slots[i].fd);
        let has_lb = self.has_lb;
        let hc = self.health_check();
        let was_failing = self.slots[i].failing;
        let slot = &mut self.slots[i];
        let drained = slot.drained != 0;
        slot.failing = !drained && (slot.proc != Proc::Running || !fd_ok);
        slot.visible = !drained && fd_ok && matches!(slot.proc, Proc::Running | Proc::Gray);

        if slot.failing && !was_failing {
            slot.detected = false;
            slot.episode = if !self.ad_up[self.sc.topology.ad_of(slot.fd as usize)] {
                Cause::AdOutage
            } else if !fd_ok {
                Cause::FdOutage
            } else {
                Cause::InstanceFailure
            };
            slot.alert_epoch += 1;
            if let Some(delay) = &self.sc.alert_delay {
                let at = now + delay.sample(&mut self.slot_rng[i]);
                q.schedule(at, Event::Alert(i as u16, self.slots[i].alert_epoch));
            }
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

    /// Why slot `i` is not serving (meaningful only when it is not).
    fn reason(&self, i: usize) -> Cause {
        let s = &self.slots[i];
        if s.drained & planned::DEPLOY != 0 {
            Cause::Deploy
        } else if s.drained != 0 {
            Cause::Maintenance
        } else if s.failing {
            match (s.detected, s.proc) {
                (false, Proc::Gray) => Cause::GrayFailure,
                (false, _) => Cause::DetectionWindow,
                (true, _) => s.episode,
            }
        } else if s.bad {
            Cause::BadRelease
        } else if !s.registered {
            Cause::Unregistered
        } else {
            s.out_cause
        }
    }

    /// Counts slots in rotation and serving from scratch, to check `sync`
    /// in debug builds.
    fn recount(&self) -> (usize, usize) {
        let rotating = |s: &&Slot| s.rotating(self.has_lb);
        let in_rotation = self.slots.iter().filter(rotating).count();
        let good = self.slots.iter().filter(rotating).filter(|s| s.serving(self.fd_ok(s.fd))).count();
        (in_rotation, good)
    }

    /// Re-evaluates what the service can serve and hands it to the ledger.
    /// Runs after every event, so the common case (everything serving) is a
    /// few comparisons of counters; causes are worked out only when
    /// something fails.
    fn evaluate(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let sc = self.sc;
        let has_lb = self.has_lb;
        let (in_rotation, good) = (self.in_rotation, self.good);
        debug_assert_eq!((in_rotation, good), self.recount(), "slot counters out of sync at {}", now.secs());
        if good == in_rotation && good > 0 && self.lb_up && self.required_down == 0 && self.degraded_down == 0 {
            // The common case: nothing fails. The ledger needs no update if
            // it already knows.
            if !self.ledger.all_good() {
                self.state.up = true;
                self.state.failing = 0.0;
                self.state.failing_by_cause.clear();
                self.ledger.set_state(now.secs(), &mut self.state);
            }
            return;
        }
        let mut parts = std::mem::take(&mut self.state.failing_by_cause);
        parts.clear();
        let service_cause = if has_lb && !self.lb_up {
            Some(Cause::LoadBalancer.index())
        } else if self.required_down > 0 {
            let i = (0..self.dep_up.len())
                .find(|&i| sc.dependencies[i].impact == Impact::Required && !self.dep_up[i])
                .expect("a required dependency is down");
            Some(Cause::COUNT + i)
        } else if good == 0 {
            let worst = (0..self.slots.len())
                .filter(|&i| !self.slots[i].good)
                .map(|i| self.reason(i))
                .min()
                .unwrap_or(Cause::InstanceFailure);
            Some(worst.index())
        } else {
            None
        };
        match service_cause {
            Some(cause) => {
                self.state.up = false;
                self.state.down_cause = cause;
                self.state.failing = 1.0;
                parts.push((cause, 1.0));
            }
            None => {
                self.state.up = true;
                if good < in_rotation {
                    let share = 1.0 / in_rotation as f64;
                    for (i, s) in self.slots.iter().enumerate() {
                        if s.in_rotation && !s.good {
                            let cause = self.reason(i).index();
                            match parts.iter_mut().find(|(c, _)| *c == cause) {
                                Some((_, w)) => *w += share,
                                None => parts.push((cause, share)),
                            }
                        }
                    }
                }
                let mut passing = good as f64 / in_rotation as f64;
                if self.degraded_down > 0 {
                    for (i, d) in sc.dependencies.iter().enumerate() {
                        if let Impact::Degraded(fraction) = d.impact
                            && !self.dep_up[i]
                        {
                            parts.push((Cause::COUNT + i, passing * fraction));
                            passing *= 1.0 - fraction;
                        }
                    }
                }
                self.state.failing = 1.0 - passing;
            }
        }
        self.state.failing_by_cause = parts;
        let any_unregistered = || self.slots.iter().any(|s| !s.registered && s.proc == Proc::Running);
        if has_lb && in_rotation == 0 && !self.register_alert_pending && any_unregistered() {
            // Nothing in rotation while instances run unregistered: the
            // outage pages the on-call, who registers them.
            self.register_alert_pending = true;
            let delay = sc.alert_delay.as_ref().expect("validation requires monitoring for unregistered replacements");
            let at = now + delay.sample(&mut self.operator_rng);
            q.schedule(at, Event::RegisterAll);
        }
        self.ledger.set_state(now.secs(), &mut self.state);
    }
}
