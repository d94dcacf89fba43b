//! What the service can serve: per-slot flags and counters kept current as
//! slots change, the reasons slots are not serving, and the evaluation
//! handed to the ledger after every event.

use super::slot::{Proc, Slot};
use super::{Cause, Deployment, Event, planned};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::{Impact, Storage};

impl Deployment<'_> {
    /// Updates slot `i`'s cached flags and the counters `evaluate` reads,
    /// and books the sessions it loses if its process died or restarted.
    pub(super) fn sync(&mut self, i: usize, now: SimTime) {
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

    /// Why slot `i` is not serving (meaningful only when it is not).
    pub(super) fn reason(&self, i: usize) -> Cause {
        let s = &self.slots[i];
        if s.drained & planned::DEPLOY != 0 {
            Cause::Deploy
        } else if s.drained != 0 {
            Cause::Maintenance
        } else if s.failing {
            match (s.detected, s.proc) {
                (false, Proc::Gray) => Cause::GrayFailure,
                (false, _) => Cause::DetectionWindow,
                // A domain outage under way outranks the episode's own cause.
                (true, _) if !self.fd_ok(s.fd) => self.domain_cause(s.fd),
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
    pub(super) fn evaluate(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
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
