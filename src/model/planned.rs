//! Planned work: deployments and maintenance windows, all at once or rolling
//! one fault domain (or, within a single fault domain, one instance) at a
//! time; deployments may ship a bad release.

use super::draws::Stream;
use super::{Deployment, Event, SlotId};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::{Planned, Scenario, Strategy};

/// A kind of planned work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlannedKind {
    /// Software deployments.
    Deploy,
    /// Maintenance windows (patching).
    Maintenance,
}

impl PlannedKind {
    /// Both kinds.
    pub const ALL: [PlannedKind; 2] = [PlannedKind::Deploy, PlannedKind::Maintenance];

    /// Its bit in a slot's `drained` set.
    pub fn bit(self) -> u8 {
        match self {
            PlannedKind::Deploy => 1,
            PlannedKind::Maintenance => 2,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Its random stream.
    pub(super) fn stream(self) -> Stream {
        match self {
            PlannedKind::Deploy => Stream::Deploy,
            PlannedKind::Maintenance => Stream::Maintenance,
        }
    }

    /// Its settings in `sc`, if it is modelled.
    pub fn spec(self, sc: &Scenario) -> Option<&Planned> {
        match self {
            PlannedKind::Deploy => sc.deploy.as_ref(),
            PlannedKind::Maintenance => sc.maintenance.as_ref(),
        }
    }
}

/// The run of one kind of planned work in progress, if any.
#[derive(Clone, Debug, Default)]
pub struct PlannedRun {
    /// Whether a run is under way.
    active: bool,
    /// Batches still to go through (rolling), last first.
    remaining: Vec<Batch>,
    /// The slots drained by the step under way.
    current: Vec<SlotId>,
    /// The release is bad and not yet rolled back (deploys only).
    bad: bool,
}

/// A batch of a rolling run: a fault domain when the instances span
/// several, else a single instance (rolling one fault domain at a time
/// through a single fault domain would take everything out at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Batch {
    /// Every instance in this fault domain.
    Fd(u16),
    /// This slot alone.
    Slot(SlotId),
}

impl<'s> Deployment<'s> {
    fn spec(&self, kind: PlannedKind) -> &'s Planned {
        kind.spec(self.sc).expect("scheduled only when configured")
    }

    /// Whether a run of `kind` is under way.
    pub(super) fn planned_active(&self, kind: PlannedKind) -> bool {
        self.planned[kind.index()].active
    }

    /// Planned work of `kind` is due: the next one is scheduled and this
    /// one starts, unless the previous run overran the cadence.
    pub(super) fn planned_start(&mut self, kind: PlannedKind, now: SimTime, q: &mut EventQueue<Event>) {
        let spec = self.spec(kind);
        let next = now + self.draws.sample(kind.stream(), &spec.every);
        self.schedule(q, next, Event::PlannedStart(kind));
        if self.planned[kind.index()].active || (kind == PlannedKind::Deploy && self.rolling_back(q)) {
            return;
        }
        let mut bad = false;
        if let Some(b) = &spec.bad_release
            && self.draws.uniform(kind.stream()) < b.probability
        {
            bad = true;
            let at = now + self.draws.sample(kind.stream(), &b.rollback);
            self.schedule(q, at, Event::Rollback);
        }
        let remaining = match spec.strategy {
            Strategy::AllAtOnce => vec![],
            Strategy::Rolling => {
                let fds = self.fleet.occupied_fds();
                let mut batches: Vec<Batch> = if fds.len() > 1 {
                    fds.into_iter().map(Batch::Fd).collect()
                } else {
                    self.fleet.ids().map(Batch::Slot).collect()
                };
                batches.reverse();
                batches
            }
        };
        let run = &mut self.planned[kind.index()];
        (run.active, run.bad, run.remaining) = (true, bad, remaining);
        self.next_step(kind, now, q);
    }

    /// Drains the next batch (or everything, all at once) and schedules the
    /// end of the step.
    fn next_step(&mut self, kind: PlannedKind, now: SimTime, q: &mut EventQueue<Event>) {
        let spec = self.spec(kind);
        let mut current = std::mem::take(&mut self.planned[kind.index()].current);
        current.clear();
        match spec.strategy {
            Strategy::AllAtOnce => current.extend(self.fleet.ids()),
            Strategy::Rolling => match self.planned[kind.index()].remaining.pop().expect("a step remains") {
                Batch::Fd(f) => current.extend_from_slice(self.fleet.in_fd(f)),
                Batch::Slot(id) => current.push(id),
            },
        }
        let at = now + self.draws.sample(kind.stream(), &spec.duration);
        self.schedule(q, at, Event::PlannedStep(kind));
        for &id in &current {
            self.settle(id, now, q);
            // Drained first, so the slot leaves rotation under this cause.
            self.fleet.slot_mut(id).drain(kind);
            if self.fleet.slot(id).checked_in() {
                self.mark_down(id, q);
            }
            self.refresh(id, now, q);
        }
        self.planned[kind.index()].current = current;
    }

    /// The step under way of the run of `kind` ends.
    pub(super) fn planned_step(&mut self, kind: PlannedKind, now: SimTime, q: &mut EventQueue<Event>) {
        self.undrain(kind, self.planned[kind.index()].bad, now, q);
        if self.planned[kind.index()].remaining.is_empty() {
            self.planned[kind.index()].active = false;
        } else {
            self.next_step(kind, now, q);
        }
    }

    /// Whether a bad release is being rolled back: no deploy starts then,
    /// so a rollback always concerns the latest release.
    fn rolling_back(&self, q: &EventQueue<Event>) -> bool {
        q.due(self.timers.of(&Event::Rollback)).is_some()
    }

    /// Ends a step: its instances come back, running the new release (which
    /// replaces a bad one, if any).
    fn undrain(&mut self, kind: PlannedKind, bad: bool, now: SimTime, q: &mut EventQueue<Event>) {
        let current = std::mem::take(&mut self.planned[kind.index()].current);
        for &id in &current {
            self.settle(id, now, q);
            if self.fleet.slot_mut(id).undrain(kind, bad) {
                self.refresh(id, now, q);
            }
        }
        self.planned[kind.index()].current = current;
    }

    /// The bad release is rolled back: every instance runs a good release
    /// again and the rollout, if still going, stops.
    pub(super) fn rollback(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let deploy = PlannedKind::Deploy;
        let r = &mut self.planned[deploy.index()];
        if r.active {
            r.active = false;
            r.remaining.clear();
            self.undrain(deploy, false, now, q);
            q.cancel(self.timers.of(&Event::PlannedStep(deploy)));
        }
        for id in self.fleet.ids().collect::<Vec<_>>() {
            self.settle(id, now, q);
            if self.fleet.slot_mut(id).roll_back() {
                self.refresh(id, now, q);
            }
        }
    }
}
