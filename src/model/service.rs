//! What the service can serve after each event, with the causes of what it
//! cannot (the overlap rule is in `cause`), handed to the ledger.

use super::{Deployment, Event};
use crate::cause::Cause;
use crate::engine::{EventQueue, SimTime};

impl Deployment<'_> {
    /// Re-evaluates what the service can serve and hands it to the ledger.
    /// Runs after every event that may change it; it reads the fleet's
    /// counters, so it costs O(causes) whatever the number of instances,
    /// and a few comparisons when everything serves.
    pub(super) fn evaluate(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let sc = self.sc;
        let (in_rotation, good) = (self.fleet.in_rotation(), self.fleet.good());
        debug_assert!(self.fleet.consistent(&self.domains), "slot counters out of sync at {}", now.secs());
        let lb_up = self.lb_up || sc.load_balancer.is_none();
        if good == in_rotation && good > 0 && lb_up && self.dependencies.all_up() {
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
        let service_cause = if !lb_up {
            Some(Cause::LoadBalancer)
        } else if let Some(i) = self.dependencies.first_required_down(&sc.dependencies) {
            Some(Cause::Dependency(i))
        } else if good == 0 {
            Some(self.fleet.worst_reason().unwrap_or(Cause::InstanceFailure))
        } else {
            None
        };
        match service_cause {
            Some(cause) => {
                self.state.up = false;
                self.state.down_cause = cause.id();
                self.state.failing = 1.0;
                parts.push((cause.id(), 1.0));
            }
            None => {
                self.state.up = true;
                let share = 1.0 / in_rotation as f64;
                parts.extend(self.fleet.failing_in_rotation().map(|(cause, n)| (cause.id(), f64::from(n) * share)));
                let mut passing = good as f64 / in_rotation as f64;
                for (i, fraction) in self.dependencies.degraded_down(&sc.dependencies) {
                    parts.push((Cause::Dependency(i).id(), passing * fraction));
                    passing *= 1.0 - fraction;
                }
                self.state.failing = 1.0 - passing;
            }
        }
        self.state.failing_by_cause = parts;
        self.page_if_nothing_registered(now, q);
        self.ledger.set_state(now.secs(), &mut self.state);
    }
}
