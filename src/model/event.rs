//! What can happen, and which timer holds it while it is pending.
//!
//! Every pending event sits on a timer of its own kind (one per component,
//! three per slot, one for each deployment-wide process), so scheduling an
//! event replaces the one it supersedes and a change that makes an event
//! impossible cancels it: nothing stale ever comes out of the queue.

use super::SlotId;
use super::component::{Component, Layout};
use super::planned::PlannedKind;
use crate::engine::Timer;

/// Something that happens at a point in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A component with its own failure/repair process goes down or comes back.
    Flip {
        /// The component.
        component: Component,
        /// Whether it comes back (else it goes down).
        up: bool,
    },
    /// The instance in a slot crashes.
    Crash(SlotId),
    /// The instance in a slot starts failing requests while passing checks.
    Gray(SlotId),
    /// A replacement or repair finishes: the instance runs.
    Ready(SlotId),
    /// A replacement that started at an earlier, recorded time is admitted
    /// by the health checker: its start and its admission in one event.
    Admit(SlotId),
    /// A scaled-in instance has drained and is terminated.
    Terminate(SlotId),
    /// A health-check mark (down or up) of a backend comes due.
    HealthMark(SlotId),
    /// Monitoring alerts an operator about a slot's failure.
    Alert(SlotId),
    /// Planned work of a kind starts (and the next one is scheduled).
    PlannedStart(PlannedKind),
    /// The step under way of a planned run of a kind ends, or the wait for
    /// its batch to be admitted again before the next step.
    PlannedStep(PlannedKind),
    /// A bad release's rollback completes.
    Rollback,
    /// An operator registers every running instance with the load balancer.
    RegisterAll,
    /// A flash sale begins (and the next one is scheduled).
    FlashSale,
    /// A flash sale changes phase (ramp, plateau, ramp down, end).
    FlashPhase,
    /// Demand crosses a watched utilisation threshold.
    Crossing,
    /// A serving instance crashes from overload.
    OverloadCrash,
    /// The autoscaler checks its alarms.
    ScaleCheck,
    /// A replicated dependency's promotion window ends (dependency `i`).
    Promote(u16),
}

/// A slot's timers: its process's next change (failure, start, admission,
/// termination: one at a time), its pending health-check mark, its alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SlotTimer {
    Proc,
    Mark,
    Alert,
}

/// The numbering of a deployment's timers: the deployment-wide ones first,
/// then one per component (in [`Layout`] order), one per dependency's
/// promotion, then three per slot.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timers {
    layout: Layout,
    promotions_from: u32,
    slots_from: u32,
}

impl Timers {
    /// Deployment-wide timers: planned start and step of each kind, then
    /// rollback, register-all, flash sale, flash phase, crossing, overload
    /// crash, scale check.
    const WIDE: u32 = 11;

    /// The timers of a deployment with these components.
    pub(super) fn new(layout: Layout) -> Timers {
        let promotions_from = Self::WIDE + layout.count() as u32;
        Timers { layout, promotions_from, slots_from: promotions_from + u32::from(layout.dependencies()) }
    }

    /// Slot `id`'s timer of kind `kind`.
    #[inline]
    pub(super) fn slot(self, id: SlotId, kind: SlotTimer) -> Timer {
        Timer(self.slots_from + 3 * id.0 + kind as u32)
    }

    /// The timer that holds `event`.
    #[inline]
    pub(super) fn of(self, event: &Event) -> Timer {
        let wide = |k: u32| Timer(k);
        match *event {
            Event::PlannedStart(kind) => wide(kind as u32),
            Event::PlannedStep(kind) => wide(2 + kind as u32),
            Event::Rollback => wide(4),
            Event::RegisterAll => wide(5),
            Event::FlashSale => wide(6),
            Event::FlashPhase => wide(7),
            Event::Crossing => wide(8),
            Event::OverloadCrash => wide(9),
            Event::ScaleCheck => wide(10),
            Event::Flip { component, .. } => Timer(Self::WIDE + self.layout.index(component) as u32),
            Event::Promote(i) => Timer(self.promotions_from + u32::from(i)),
            Event::Crash(id) | Event::Gray(id) | Event::Ready(id) | Event::Admit(id) | Event::Terminate(id) => {
                self.slot(id, SlotTimer::Proc)
            }
            Event::HealthMark(id) => self.slot(id, SlotTimer::Mark),
            Event::Alert(id) => self.slot(id, SlotTimer::Alert),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two events that can be pending together never share a timer, and
    /// every timer is within the numbering.
    #[test]
    fn distinct_pending_events_have_distinct_timers() {
        let layout = Layout::new(2, &super::super::domains::tests::topology(3, 2), 4);
        let timers = Timers::new(layout);
        let mut events = vec![Event::Rollback, Event::RegisterAll, Event::FlashSale, Event::FlashPhase];
        events.extend([Event::Crossing, Event::OverloadCrash, Event::ScaleCheck]);
        for kind in PlannedKind::ALL {
            events.extend([Event::PlannedStart(kind), Event::PlannedStep(kind)]);
        }
        events.extend(layout.all().map(|component| Event::Flip { component, up: false }));
        events.extend((0..2).map(Event::Promote));
        for id in (0..4).map(SlotId) {
            events.extend([Event::Crash(id), Event::HealthMark(id), Event::Alert(id)]);
        }
        let mut numbers: Vec<u32> = events.iter().map(|e| timers.of(e).0).collect();
        numbers.sort_unstable();
        let want: Vec<u32> = (0..numbers.len() as u32).collect();
        assert_eq!(numbers, want, "dense and distinct");
        // The events of one slot's process share its one timer.
        let id = SlotId(2);
        let procs = [Event::Crash(id), Event::Gray(id), Event::Ready(id), Event::Admit(id), Event::Terminate(id)];
        assert!(procs.iter().all(|e| timers.of(e) == timers.slot(id, SlotTimer::Proc)));
    }
}
