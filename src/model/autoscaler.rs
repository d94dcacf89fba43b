//! The instance pool's autoscaler: scale out when utilisation stays above
//! its threshold for the sustain period, scale in when it stays below its
//! own, one step at a time, never within the cooldown of the last action,
//! within min and max. New instances go to the live fault domain with the
//! fewest, launch after a provisioning delay and serve once registered and
//! admitted by the health checker; removed ones leave rotation at once and
//! are terminated after draining. Like the load balancer's health checker,
//! it has no data while nothing is in rotation, and does nothing then.

use super::load::Level;
use super::slot::Proc;
use super::{Deployment, Event, SlotId, SlotTimer};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::Autoscaling;

/// The autoscaler's alarms and its last action.
#[derive(Clone, Debug)]
pub(super) struct Scaler {
    /// Since when utilisation has been above the scale-out threshold.
    out_since: Option<f64>,
    /// Since when it has been below the scale-in threshold.
    in_since: Option<f64>,
    /// When the last action was taken [s].
    last_action: f64,
}

impl Scaler {
    /// An autoscaler that has not acted yet.
    pub(super) fn new() -> Scaler {
        Scaler { out_since: None, in_since: None, last_action: f64::NEG_INFINITY }
    }
}

impl<'s> Deployment<'s> {
    fn policy(&self) -> &'s Autoscaling {
        self.sc.autoscaling.as_ref().expect("autoscaling is configured")
    }

    /// After the watched thresholds changed: starts or clears each alarm's
    /// sustain period and schedules the next check.
    pub(super) fn scaling_signal(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let Some(scaler) = &self.scaler else { return };
        let load = self.load.as_ref().expect("autoscaling needs traffic");
        let data = self.fleet.in_rotation() > 0;
        let out = data && load.above(Level::ScaleOut);
        let inn = data && !load.above(Level::ScaleIn);
        let t = now.secs();
        let out_since = if out { scaler.out_since.or(Some(t)) } else { None };
        let in_since = if inn { scaler.in_since.or(Some(t)) } else { None };
        let scaler = self.scaler.as_mut().expect("checked above");
        if (out_since, in_since) != (scaler.out_since, scaler.in_since) {
            (scaler.out_since, scaler.in_since) = (out_since, in_since);
            self.schedule_scale_check(q);
        }
    }

    /// Schedules the next check: when an alarm's sustain period ends, not
    /// before the cooldown does, and only for an action the bounds allow.
    fn schedule_scale_check(&self, q: &mut EventQueue<Event>) {
        let a = self.policy();
        let size = self.fleet.size() as u32;
        let scaler = self.scaler.as_ref().expect("autoscaling");
        let out = scaler.out_since.filter(|_| size < a.max).map_or(f64::INFINITY, |s| s + a.out_for);
        let inn = scaler.in_since.filter(|_| size > a.min).map_or(f64::INFINITY, |s| s + a.in_for);
        let due = out.min(inn);
        if due.is_finite() {
            let at = due.max(scaler.last_action + a.cooldown);
            self.schedule(q, SimTime::from_secs(at), Event::ScaleCheck);
        } else {
            q.cancel(self.timers.of(&Event::ScaleCheck));
        }
    }

    /// A scheduled check: acts if an alarm has lasted its sustain period
    /// and the cooldown is over.
    pub(super) fn scale_check(&mut self, now: SimTime, q: &mut EventQueue<Event>) -> bool {
        let a = self.policy();
        let t = now.secs();
        let scaler = self.scaler.as_ref().expect("autoscaling");
        let size = self.fleet.size() as u32;
        let cooled = t >= scaler.last_action + a.cooldown;
        let out = scaler.out_since.is_some_and(|s| t >= s + a.out_for) && size < a.max;
        let inn = scaler.in_since.is_some_and(|s| t >= s + a.in_for) && size > a.min;
        if cooled && out {
            self.scale_out(a.step.min(a.max - size), now, q);
        } else if cooled && inn {
            self.scale_in(a.step.min(size - a.min), now, q);
        }
        if cooled && (out || inn) {
            self.scaler.as_mut().expect("autoscaling").last_action = t;
        }
        self.schedule_scale_check(q);
        true
    }

    /// Adds `n` instances, each in the live fault domain with the fewest
    /// (or the one with the fewest, to wait for it, if none is live).
    fn scale_out(&mut self, n: u32, now: SimTime, q: &mut EventQueue<Event>) {
        let provisioning = &self.policy().provisioning;
        for _ in 0..n {
            let fd = self.fleet.least_loaded_live_fd(&self.domains).unwrap_or_else(|| self.fleet.least_loaded_fd());
            let (id, new) = self.fleet.add(fd, false);
            if new {
                self.draws.add_slot(id);
            }
            self.renew(id, now, q, provisioning);
            self.refresh(id, now, q);
        }
        self.ledger.count_scaling(now.secs(), true);
        self.bill(now);
    }

    /// Removes `n` instances from the fault domains with the most, taking
    /// first any that does not serve; instances under planned work stay.
    fn scale_in(&mut self, n: u32, now: SimTime, q: &mut EventQueue<Event>) {
        let mut removed = 0;
        for _ in 0..n {
            let members = self.fleet.in_fd(self.fleet.most_loaded_fd());
            let idle = |&&id: &&SlotId| !self.fleet.slot(id).drained();
            let pick = members
                .iter()
                .rev()
                .filter(idle)
                .find(|&&id| !self.fleet.slot(id).counted().good)
                .or_else(|| members.iter().rev().find(idle))
                .copied();
            let Some(id) = pick else { break };
            self.retire(id, now, q);
            removed += 1;
        }
        if removed > 0 {
            self.ledger.count_scaling(now.secs(), false);
            self.bill(now);
        }
    }

    /// Takes slot `id` out of rotation for good; it drains, then is
    /// terminated.
    fn retire(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        self.fleet.slot_mut(id).forget_pending();
        self.set_proc(id, Proc::Retired, q);
        self.cancel(q, id, SlotTimer::Mark);
        self.cancel(q, id, SlotTimer::Alert);
        self.waiting.retain(|&w| w != id);
        self.refresh(id, now, q);
        self.fleet.retire(id);
        self.schedule(q, now + self.policy().drain, Event::Terminate(id));
    }

    /// A drained instance is terminated.
    pub(super) fn terminate(&mut self, id: SlotId, now: SimTime) {
        self.fleet.free(id);
        self.bill(now);
    }

    /// Tells the ledger how many instances are paid for from `now` on.
    fn bill(&mut self, now: SimTime) {
        let at_max = self.sc.autoscaling.as_ref().is_some_and(|a| self.fleet.size() as u32 >= a.max);
        self.ledger.set_instances(now.secs(), self.fleet.billed() as u32, at_max);
    }
}
