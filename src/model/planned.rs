//! Planned work: deployments and maintenance windows, all at once or rolling
//! one fault domain (or, within a single fault domain, one instance) at a
//! time; deployments may ship a bad release.

use super::{Deployment, Event};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::{Planned, Strategy};
use rand::RngExt;

/// Drain bit of deployments.
pub const DEPLOY: u8 = 1;
/// Drain bit of maintenance.
pub const MAINTENANCE: u8 = 2;

/// The run of one kind of planned work in progress, if any.
#[derive(Clone, Debug, Default)]
pub struct PlannedRun {
    /// Identifies the run; tags its step and rollback events.
    pub id: u32,
    /// Whether a run is under way.
    pub active: bool,
    /// Batches still to go through (rolling), last first.
    pub remaining: Vec<Batch>,
    /// The release is bad and not yet rolled back (deploys only).
    pub bad: bool,
}

/// A batch of a rolling run: a fault domain when the instances span
/// several, else a single instance (rolling one fault domain at a time
/// through a single fault domain would take everything out at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batch {
    /// Every instance in this fault domain.
    Fd(u16),
    /// This slot alone.
    Slot(u16),
}

fn bit(kind: u8) -> u8 {
    if kind == 0 { DEPLOY } else { MAINTENANCE }
}

impl<'s> Deployment<'s> {
    /// The settings of planned work `kind` (0 deploy, 1 maintenance).
    pub(super) fn planned_spec(&self, kind: u8) -> Option<&'s Planned> {
        if kind == 0 { self.sc.deploy.as_ref() } else { self.sc.maintenance.as_ref() }
    }

    pub(super) fn planned_start(&mut self, kind: u8, now: SimTime, q: &mut EventQueue<Event>) {
        let spec = self.planned_spec(kind).expect("scheduled only when configured");
        let k = kind as usize;
        let next = now + spec.every.sample(&mut self.planned_rng[k]);
        q.schedule(next, Event::PlannedStart(kind));
        if self.planned[k].active {
            // The previous run overran the cadence: this one is skipped.
            return;
        }
        let run = &mut self.planned[k];
        run.id += 1;
        run.active = true;
        run.bad = false;
        if let Some(bad) = &spec.bad_release
            && self.planned_rng[k].random::<f64>() < bad.probability
        {
            run.bad = true;
            let at = now + bad.rollback.sample(&mut self.planned_rng[k]);
            q.schedule(at, Event::Rollback(run.id));
        }
        run.remaining = match spec.strategy {
            Strategy::AllAtOnce => vec![],
            Strategy::Rolling => {
                let fds: Vec<u16> =
                    (0..self.fd_up.len() as u16).filter(|&f| self.slots.iter().any(|s| s.fd == f)).collect();
                let mut batches: Vec<Batch> = if fds.len() > 1 {
                    fds.into_iter().map(Batch::Fd).collect()
                } else {
                    (0..self.slots.len() as u16).map(Batch::Slot).collect()
                };
                batches.reverse();
                batches
            }
        };
        self.next_step(kind, now, q);
    }

    /// Drains the next batch (or everything, all at once) and
    /// schedules the end of the step.
    fn next_step(&mut self, kind: u8, now: SimTime, q: &mut EventQueue<Event>) {
        let k = kind as usize;
        let spec = self.planned_spec(kind).expect("configured");
        let batch = match spec.strategy {
            Strategy::AllAtOnce => None,
            Strategy::Rolling => Some(self.planned[k].remaining.pop().expect("a step remains")),
        };
        let at = now + spec.duration.sample(&mut self.planned_rng[k]);
        q.schedule(at, Event::PlannedStep(kind, self.planned[k].id));
        for i in 0..self.slots.len() {
            let in_batch = match batch {
                None => true,
                Some(Batch::Fd(f)) => self.slots[i].fd == f,
                Some(Batch::Slot(j)) => i == j as usize,
            };
            if in_batch {
                // Drained first, so the slot leaves rotation under this cause.
                self.slots[i].drained |= bit(kind);
                if self.slots[i].checked_in() {
                    self.mark_down(i);
                }
                self.refresh(i, now, q);
            }
        }
    }

    pub(super) fn planned_step(&mut self, kind: u8, id: u32, now: SimTime, q: &mut EventQueue<Event>) {
        let k = kind as usize;
        if self.planned[k].id != id || !self.planned[k].active {
            return;
        }
        let bad = self.planned[k].bad;
        self.undrain(kind, bad, now, q);
        if self.planned[k].remaining.is_empty() {
            self.planned[k].active = false;
        } else {
            self.next_step(kind, now, q);
        }
    }

    /// Ends a step: instances come back, running the new release (which
    /// replaces a bad one, if any).
    fn undrain(&mut self, kind: u8, bad: bool, now: SimTime, q: &mut EventQueue<Event>) {
        for i in 0..self.slots.len() {
            if self.slots[i].drained & bit(kind) != 0 {
                self.slots[i].drained &= !bit(kind);
                self.slots[i].bad = bad;
                self.refresh(i, now, q);
            }
        }
    }

    /// The bad release of deploy run `id` is rolled back: every instance runs
    /// a good release again and the rollout, if still going, stops.
    pub(super) fn rollback(&mut self, id: u32, now: SimTime, q: &mut EventQueue<Event>) {
        let run = &mut self.planned[0];
        if run.id == id && run.active {
            run.active = false;
            run.remaining.clear();
            self.undrain(0, false, now, q);
        }
        for i in 0..self.slots.len() {
            self.slots[i].bad = false;
            self.refresh(i, now, q);
        }
    }
}
