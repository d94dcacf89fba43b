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

/// The autoscaler: its policy, its alarms and its last action. It sees
/// the thresholds crossed and the pool's size, and answers with what to do
/// and when to look again; the deployment carries it out.
#[derive(Clone, Debug)]
pub(super) struct Scaler<'s> {
    policy: &'s Autoscaling,
    /// Since when utilisation has been above the scale-out threshold.
    out_since: Option<f64>,
    /// Since when it has been below the scale-in threshold.
    in_since: Option<f64>,
    /// When the last action was taken [s].
    last_action: f64,
}

/// What the autoscaler decided at a check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Action {
    /// Add this many instances.
    Out(u32),
    /// Remove this many.
    In(u32),
}

impl<'s> Scaler<'s> {
    /// An autoscaler with `policy` that has not acted yet.
    pub(super) fn new(policy: &'s Autoscaling) -> Scaler<'s> {
        Scaler { policy, out_since: None, in_since: None, last_action: f64::NEG_INFINITY }
    }

    /// Its policy.
    pub(super) fn policy(&self) -> &'s Autoscaling {
        self.policy
    }

    /// The thresholds watched changed at `t`: `out` whether utilisation is
    /// above the scale-out one, `inn` whether below the scale-in one (both
    /// false while nothing is in rotation: no data). Starts or clears each
    /// alarm's sustain period; returns whether the next check moved.
    pub(super) fn signal(&mut self, t: f64, out: bool, inn: bool) -> bool {
        let out_since = if out { self.out_since.or(Some(t)) } else { None };
        let in_since = if inn { self.in_since.or(Some(t)) } else { None };
        let moved = (out_since, in_since) != (self.out_since, self.in_since);
        (self.out_since, self.in_since) = (out_since, in_since);
        moved
    }

    /// When to check next with `size` instances in the pool: when an
    /// alarm's sustain period ends, not before the cooldown does, and only
    /// for an action the bounds allow; `None`: no check is due.
    pub(super) fn next_check(&self, size: u32) -> Option<f64> {
        let a = self.policy;
        let out = self.out_since.filter(|_| size < a.max).map_or(f64::INFINITY, |s| s + a.out_for);
        let inn = self.in_since.filter(|_| size > a.min).map_or(f64::INFINITY, |s| s + a.in_for);
        let due = out.min(inn);
        due.is_finite().then(|| due.max(self.last_action + a.cooldown))
    }

    /// A check at `t` with `size` instances: acts if an alarm has lasted
    /// its sustain period and the cooldown is over, one step within the
    /// bounds.
    pub(super) fn check(&mut self, t: f64, size: u32) -> Option<Action> {
        let a = self.policy;
        let cooled = t >= self.last_action + a.cooldown;
        let out = self.out_since.is_some_and(|s| t >= s + a.out_for) && size < a.max;
        let inn = self.in_since.is_some_and(|s| t >= s + a.in_for) && size > a.min;
        let action = if !cooled {
            None
        } else if out {
            Some(Action::Out(a.step.min(a.max - size)))
        } else if inn {
            Some(Action::In(a.step.min(size - a.min)))
        } else {
            None
        };
        if action.is_some() {
            self.last_action = t;
        }
        action
    }
}

impl Deployment<'_> {
    /// After the watched thresholds changed: tells the autoscaler, and
    /// moves its next check if it says so.
    pub(super) fn scaling_signal(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let Some(scaler) = &mut self.scaler else { return };
        let load = self.load.as_ref().expect("autoscaling needs traffic");
        let data = self.fleet.in_rotation() > 0;
        if scaler.signal(now.secs(), data && load.above(Level::ScaleOut), data && !load.above(Level::ScaleIn)) {
            self.schedule_scale_check(q);
        }
    }

    /// Schedules the autoscaler's next check, or cancels it if none is due.
    fn schedule_scale_check(&self, q: &mut EventQueue<Event>) {
        let scaler = self.scaler.as_ref().expect("autoscaling");
        match scaler.next_check(self.fleet.size() as u32) {
            Some(at) => self.schedule(q, SimTime::from_secs(at), Event::ScaleCheck),
            None => q.cancel(self.timers.of(&Event::ScaleCheck)),
        }
    }

    /// A scheduled check: carries out what the autoscaler decides.
    pub(super) fn scale_check(&mut self, now: SimTime, q: &mut EventQueue<Event>) -> bool {
        let size = self.fleet.size() as u32;
        match self.scaler.as_mut().expect("autoscaling").check(now.secs(), size) {
            Some(Action::Out(n)) => self.scale_out(n, now, q),
            Some(Action::In(n)) => self.scale_in(n, now, q),
            None => {}
        }
        self.schedule_scale_check(q);
        true
    }

    /// Adds `n` instances, each in the live fault domain with the fewest
    /// (or the one with the fewest, to wait for it, if none is live).
    fn scale_out(&mut self, n: u32, now: SimTime, q: &mut EventQueue<Event>) {
        let provisioning = &self.scaler.as_ref().expect("autoscaling").policy().provisioning;
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
        self.recovery.forget(id);
        self.refresh(id, now, q);
        self.fleet.retire(id);
        let drain = self.scaler.as_ref().expect("only the autoscaler retires").policy().drain;
        self.schedule(q, now + drain, Event::Terminate(id));
    }

    /// A drained instance is terminated.
    pub(super) fn terminate(&mut self, id: SlotId, now: SimTime) {
        self.fleet.free(id);
        self.bill(now);
    }

    /// Tells the ledger how many instances are paid for from `now` on.
    fn bill(&mut self, now: SimTime) {
        let (instances, at_max) = self.billed();
        self.ledger.set_instances(now.secs(), instances, at_max);
    }

    /// The instances paid for, and whether the pool is at its maximum.
    pub(super) fn billed(&self) -> (u32, bool) {
        let at_max = self.sc.autoscaling.as_ref().is_some_and(|a| self.fleet.size() as u32 >= a.max);
        (self.fleet.billed() as u32, at_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Dist;

    /// 2 to 6 instances, out above for 5 min, in below for 15 min, steps
    /// of 3, a 10-minute cooldown.
    fn policy() -> Autoscaling {
        Autoscaling {
            min: 2,
            max: 6,
            out_above: 0.7,
            out_for: 300.0,
            in_below: 0.3,
            in_for: 900.0,
            step: 3,
            cooldown: 600.0,
            provisioning: Dist::constant(60.0),
            drain: 60.0,
        }
    }

    #[test]
    fn acts_after_the_sustain_period_within_bounds_and_cooldown() {
        let a = policy();
        let mut s = Scaler::new(&a);
        assert_eq!(s.next_check(3), None, "no alarm, no check");
        assert!(s.signal(100.0, true, false));
        assert!(!s.signal(150.0, true, false), "the alarm keeps its start");
        assert_eq!(s.next_check(3), Some(400.0));
        assert_eq!(s.next_check(6), None, "at max, scaling out is not allowed");
        assert_eq!(s.check(399.0, 3), None, "not sustained yet");
        // One step, cut to the bound: 3 + 3 = 6.
        assert_eq!(s.check(400.0, 3), Some(Action::Out(3)));
        assert_eq!(s.check(500.0, 5), None, "within the cooldown");
        assert_eq!(s.next_check(5), Some(1000.0), "after the cooldown");
        assert_eq!(s.check(1000.0, 5), Some(Action::Out(1)), "up to max only");
        assert_eq!(s.check(2000.0, 6), None, "at max: nothing to do, and no cooldown starts");
        assert_eq!(s.next_check(5), Some(1600.0), "the cooldown runs from the last action");
        // Below the scale-in threshold from 1,100 s: in after 15 minutes.
        assert!(s.signal(1100.0, false, true));
        assert_eq!(s.next_check(6), Some(2000.0));
        assert_eq!(s.check(1900.0, 5), None, "cooled down, but not sustained yet");
        assert_eq!(s.check(2000.0, 5), Some(Action::In(3)));
        assert_eq!(s.check(2600.0, 2), None, "at min: nothing to remove");
        assert_eq!(s.check(2600.0, 3), Some(Action::In(1)), "down to min only");
        assert_eq!(s.next_check(2), None, "at min, scaling in is not allowed");
        // The alarm clears when the signal goes.
        assert!(s.signal(3000.0, false, false));
        assert_eq!(s.check(5000.0, 4), None);
    }
}
