//! Planned work: deployments and maintenance windows, all at once or rolling
//! one fault domain (or, within a single fault domain, one instance) at a
//! time; deployments may ship a bad release.

use super::draws::Stream;
use super::fleet::Fleet;
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

/// One kind of planned work: its settings and the run in progress, if
/// any. It says which batch to take out next and when the run is over;
/// the deployment drains and restores the instances.
#[derive(Clone, Debug)]
pub struct PlannedRun<'s> {
    spec: &'s Planned,
    /// Whether a run is under way.
    active: bool,
    /// Batches still to go through (rolling), last first.
    remaining: Vec<Batch>,
    /// The slots drained by the step under way.
    current: Vec<SlotId>,
    /// The release is bad and not yet rolled back (deploys only).
    bad: bool,
    /// Between two steps: the batch just back waits for the health
    /// checker to admit it before the next one goes.
    waiting: bool,
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
    /// Every instance at once.
    All,
}

impl<'s> PlannedRun<'s> {
    /// Planned work with settings `spec`, idle.
    pub(super) fn new(spec: &'s Planned) -> PlannedRun<'s> {
        PlannedRun { spec, active: false, remaining: vec![], current: vec![], bad: false, waiting: false }
    }

    /// Starts a run whose release is `bad` or not, through the fault
    /// domains with instances or, if only one has any, its slots.
    fn start(&mut self, bad: bool, fleet: &Fleet) {
        let batches = &mut self.remaining;
        debug_assert!(batches.is_empty(), "a run starts once the last one is over");
        match self.spec.strategy {
            Strategy::AllAtOnce => batches.push(Batch::All),
            Strategy::Rolling if fleet.occupied_fds().nth(1).is_some() => {
                batches.extend(fleet.occupied_fds().map(Batch::Fd));
            }
            Strategy::Rolling => batches.extend(fleet.ids().map(Batch::Slot)),
        }
        batches.reverse();
        (self.active, self.bad) = (true, bad);
    }

    /// The run ends its step: whether another batch follows.
    fn step_done(&mut self) -> bool {
        self.active = !self.remaining.is_empty();
        self.active
    }

    /// The run stops (a rollback): whether one was under way.
    fn stop(&mut self) -> bool {
        let was = self.active;
        (self.active, self.waiting) = (false, false);
        self.remaining.clear();
        was
    }
}

impl<'s> Deployment<'s> {
    fn run_of(&self, kind: PlannedKind) -> &PlannedRun<'s> {
        self.planned[kind.index()].as_ref().expect("scheduled only when configured")
    }

    fn run_mut(&mut self, kind: PlannedKind) -> &mut PlannedRun<'s> {
        self.planned[kind.index()].as_mut().expect("scheduled only when configured")
    }

    /// Whether a run of `kind` is under way.
    pub(super) fn planned_active(&self, kind: PlannedKind) -> bool {
        self.planned[kind.index()].as_ref().is_some_and(|r| r.active)
    }

    /// Planned work of `kind` is due: the next one is scheduled and this
    /// one starts, unless the previous run overran the cadence.
    pub(super) fn planned_start(&mut self, kind: PlannedKind, now: SimTime, q: &mut EventQueue<Event>) {
        let spec = self.run_of(kind).spec;
        let next = now + self.draws.sample(kind.stream(), &spec.every);
        self.schedule(q, next, Event::PlannedStart(kind));
        if self.run_of(kind).active || (kind == PlannedKind::Deploy && self.rolling_back(q)) {
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
        let run = self.planned[kind.index()].as_mut().expect("configured");
        run.start(bad, &self.fleet);
        self.next_step(kind, now, q);
    }

    /// Drains the next batch and schedules the end of the step.
    fn next_step(&mut self, kind: PlannedKind, now: SimTime, q: &mut EventQueue<Event>) {
        let run = self.planned[kind.index()].as_mut().expect("configured");
        let mut current = std::mem::take(&mut run.current);
        current.clear();
        match run.remaining.pop().expect("a step remains") {
            Batch::All => current.extend(self.fleet.ids()),
            Batch::Fd(f) => current.extend_from_slice(self.fleet.in_fd(f)),
            Batch::Slot(id) => current.push(id),
        }
        let at = now + self.draws.sample(kind.stream(), &run.spec.duration);
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
        self.run_mut(kind).current = current;
    }

    /// The step under way of the run of `kind` ends, or the wait after it
    /// does. A rolling run takes its next batch out only once the batch
    /// just back is in rotation again (its health checks passed), so that
    /// it never takes out what serves: no downtime of its own, however
    /// few the batches.
    pub(super) fn planned_step(&mut self, kind: PlannedKind, now: SimTime, q: &mut EventQueue<Event>) {
        let run = self.run_mut(kind);
        if std::mem::take(&mut run.waiting) {
            self.next_step(kind, now, q);
            return;
        }
        let bad = run.bad;
        self.undrain(kind, bad, now, q);
        if !self.run_mut(kind).step_done() {
            return;
        }
        // When the last of the batch passes its health checks.
        let back = self.run_of(kind).current.iter().filter_map(|&id| self.fleet.slot(id).lb().pending);
        let admitted = back.filter(|mark| !mark.down).map(|mark| mark.at).fold(now.secs(), f64::max);
        if admitted > now.secs() {
            self.run_mut(kind).waiting = true;
            self.schedule(q, SimTime::from_secs(admitted), Event::PlannedStep(kind));
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
        let current = std::mem::take(&mut self.run_mut(kind).current);
        for &id in &current {
            self.settle(id, now, q);
            if self.fleet.slot_mut(id).undrain(kind, bad) {
                self.refresh(id, now, q);
            }
        }
        self.run_mut(kind).current = current;
    }

    /// The bad release is rolled back: every instance runs a good release
    /// again and the rollout, if still going, stops.
    pub(super) fn rollback(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let deploy = PlannedKind::Deploy;
        if self.run_mut(deploy).stop() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Dist;

    fn spec(strategy: Strategy) -> Planned {
        Planned { every: Dist::constant(86_400.0), duration: Dist::constant(600.0), strategy, bad_release: None }
    }

    /// A fleet of one slot in each of these fault domains (of four).
    fn fleet(fds: &[u16]) -> Fleet {
        let mut fleet = Fleet::new(4, true);
        fds.iter().for_each(|&fd| _ = fleet.add(fd, true));
        fleet
    }

    /// The batches a run goes through, in order, over slots in fault
    /// domains `fds`.
    fn batches(run: &mut PlannedRun, fds: &[u16]) -> Vec<Batch> {
        run.start(false, &fleet(fds));
        let mut seen = vec![run.remaining.pop().unwrap()];
        while run.step_done() {
            seen.push(run.remaining.pop().unwrap());
        }
        assert!(!run.active, "over after its last step");
        seen
    }

    #[test]
    fn a_run_goes_through_its_batches_in_order() {
        let rolling = spec(Strategy::Rolling);
        let mut run = PlannedRun::new(&rolling);
        assert_eq!(batches(&mut run, &[2, 0, 2, 0]), [Batch::Fd(0), Batch::Fd(2)], "one fault domain at a time");
        assert_eq!(batches(&mut run, &[1, 1]), [Batch::Slot(SlotId(0)), Batch::Slot(SlotId(1))], "within one");
        let all = spec(Strategy::AllAtOnce);
        assert_eq!(batches(&mut PlannedRun::new(&all), &[0, 1, 1, 0]), [Batch::All]);
        // A rollback stops a run midway.
        run.start(true, &fleet(&[0, 1, 2]));
        run.remaining.pop();
        assert!(run.bad && run.stop() && !run.active && run.remaining.is_empty());
        assert!(!run.stop(), "nothing under way to stop");
    }
}
