//! What the service can serve after each event, with the causes of what it
//! cannot (the overlap rule is in `cause`), handed to the ledger.

use super::load::Level;
use super::{Deployment, Event};
use crate::cause::Cause;
use crate::engine::{EventQueue, SimTime};
use crate::stats::{Excess, Share};

impl Deployment<'_> {
    /// Re-evaluates what the service can serve and hands it to the ledger.
    /// Runs after every event that may change it; it reads the fleet's
    /// counters, so it costs O(causes) whatever the number of instances,
    /// and a few comparisons when everything serves.
    ///
    /// With `n` backends in rotation, `g` of them serving: the failing
    /// ones' shares fail (1/n each); of the `g/n` that reach serving ones,
    /// demand above their capacity fails (`capacity`, while demand is over
    /// it); of what they serve, each degraded dependency that is down fails
    /// its fraction.
    pub(super) fn evaluate(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let sc = self.sc;
        let (in_rotation, good) = (self.fleet.in_rotation(), self.fleet.good());
        debug_assert!(self.fleet.consistent(&self.domains), "slot counters out of sync at {}", now.secs());
        let lb_up = self.lb_up || sc.load_balancer.is_none();
        let (capacity, over) = match &self.load {
            Some(load) => (load.capacity(), load.above(Level::Capacity)),
            None => (f64::INFINITY, false),
        };
        if good == in_rotation && good > 0 && lb_up && self.dependencies.all_up() && !over {
            // The common case: nothing fails. The ledger needs no update if
            // it already knows.
            let known = self.ledger.state();
            if !known.all_good() || known.capacity != capacity {
                self.state.up = true;
                self.state.failing = 0.0;
                self.state.excess.clear();
                self.state.capacity = capacity;
                self.state.failing_by_cause.clear();
                self.ledger.set_state(now.secs(), &mut self.state);
            }
            return;
        }
        let mut parts = std::mem::take(&mut self.state.failing_by_cause);
        parts.clear();
        let share =
            |cause: Cause, of_demand: f64, of_excess: f64| Share { cause: cause.id(), of_demand, of_excess, term: 0 };
        let service_cause = if !lb_up {
            Some(Cause::LoadBalancer)
        } else if let Some(cause) = self.dependencies.first_required_down(&sc.dependencies)
            && !(good == 0 && self.dependencies.is_domain_outage(cause))
        {
            Some(cause)
        } else if good == 0 {
            Some(self.fleet.worst_reason().unwrap_or(Cause::InstanceFailure))
        } else {
            None
        };
        self.state.capacity = capacity;
        match service_cause {
            Some(cause) => {
                self.state.up = false;
                self.state.down_cause = cause.id();
                self.state.failing = 1.0;
                self.state.excess.clear();
                parts.push(share(cause, 1.0, 0.0));
            }
            None => {
                self.state.up = true;
                let per_backend = 1.0 / in_rotation as f64;
                parts.extend(
                    self.fleet.failing_in_rotation().map(|(cause, n)| share(cause, f64::from(n) * per_backend, 0.0)),
                );
                let reaching = good as f64 * per_backend;
                // Degraded dependencies fail their fraction of what the
                // instances serve: all that reaches them, less the excess
                // over capacity while there is one.
                let excess_share = if over { reaching } else { 0.0 };
                if over {
                    parts.push(share(Cause::Capacity, 0.0, reaching));
                }
                let mut passing = reaching;
                for (cause, fraction) in self.dependencies.degraded_down(&sc.dependencies) {
                    let lost = passing * fraction;
                    parts.push(share(cause, lost, if over { -lost } else { 0.0 }));
                    passing *= 1.0 - fraction;
                }
                self.state.failing = 1.0 - passing;
                self.state.excess.clear();
                let weight = if over { excess_share - (reaching - passing) } else { 0.0 };
                if weight > 0.0 {
                    self.state.excess.push(Excess { above: capacity, weight });
                }
            }
        }
        self.state.failing_by_cause = parts;
        self.page_if_nothing_registered(now, q);
        self.ledger.set_state(now.secs(), &mut self.state);
    }
}
