//! How failed instances come back: monitoring that alerts the on-call, the
//! on-call who repairs or takes instances out by hand, and the instance pool
//! that terminates and replaces what the load balancer marks unhealthy.
//!
//! Alerting rule: every new reason to alert gets its own alert (a failure
//! episode begins, or the instance itself fails during one that a domain
//! outage began). An alert already handled for a domain outage does not
//! cover an instance that crashes during it.

use super::draws::Stream;
use super::slot::Proc;
use super::{Deployment, Event, SlotId, SlotTimer, health};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::{Dist, Repair};

/// Recovery's own state: how instances come back (the pool or the
/// on-call), the replacements waiting for a fault domain, and whether the
/// on-call has been paged to register the instances.
#[derive(Clone, Debug)]
pub(super) struct Recovery<'s> {
    repair: &'s Repair,
    /// Slots whose replacement waits for a fault domain to come back.
    waiting: Vec<SlotId>,
    /// The on-call has been paged to register every instance.
    register_paged: bool,
    /// Whether alerts the pool is sure to make moot are held back and a
    /// replacement's start merged into its admission: shortcuts that save
    /// events and are meant to change nothing else, as a test shows by
    /// switching them off.
    shortcuts: bool,
}

impl<'s> Recovery<'s> {
    /// Recovery by `repair`, with nothing under way.
    pub(super) fn new(repair: &'s Repair) -> Recovery<'s> {
        Recovery { repair, waiting: vec![], register_paged: false, shortcuts: true }
    }

    /// Every alert scheduled and every start an event of its own.
    #[cfg(test)]
    pub(super) fn without_shortcuts(&mut self) {
        self.shortcuts = false;
    }

    /// Whether an instance pool replaces failed instances.
    pub(super) fn pool(&self) -> bool {
        matches!(self.repair, Repair::Pool { .. })
    }

    /// Where the pool launches the replacement of an instance from fault
    /// domain `home`: there if it is `home_live`, else in the least-loaded
    /// live one (`elsewhere`) if it may place it elsewhere; `None`: it waits.
    fn place(&self, home: u16, home_live: bool, elsewhere: impl FnOnce() -> Option<u16>) -> Option<u16> {
        let Repair::Pool { cross_fd, .. } = self.repair else { unreachable!("pool only") };
        if home_live {
            Some(home)
        } else if *cross_fd {
            elsewhere()
        } else {
            None
        }
    }

    /// Slot `id` no longer waits for a domain (it was retired).
    pub(super) fn forget(&mut self, id: SlotId) {
        self.waiting.retain(|&w| w != id);
    }
}

impl<'s> Deployment<'s> {
    /// Whether an instance pool replaces failed instances.
    pub(super) fn pool(&self) -> bool {
        self.recovery.pool()
    }

    /// Monitoring notices a new reason to alert about slot `id` and pages
    /// after the alert delay.
    ///
    /// The alert is held back instead of scheduled when it cannot matter:
    /// behind a health checker with an instance pool, a backend that fails
    /// probes is marked down, and so replaced, at a time already known; an
    /// alert due while the replacement launches finds nothing to do. If the
    /// slot gets where the alert would act before it is due (its mark
    /// called off, or its replacement running in a domain that went down),
    /// [`Deployment::release_held_alert`] schedules the alert after all.
    pub(super) fn raise_alert(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        let Some(delay) = &self.sc.alert_delay else { return };
        let at = now.secs() + self.draws.sample(Stream::Slot(id), delay);
        let held = self.fleet.slot(id).held_alert();
        if held > now.secs() && held <= at {
            // An earlier alert, held back, is due first and finds this
            // reason too (as `schedule_alert` has the first one come).
            return;
        }
        if self.recovery.shortcuts && self.replaced_before(id, at) {
            self.fleet.slot_mut(id).hold_alert(at);
        } else {
            self.schedule_alert(id, at, q);
        }
    }

    /// Whether the pool will replace slot `id` before `at`, because the
    /// health checker marks it down first (its probes fail, and keep
    /// failing while nothing else changes).
    fn replaced_before(&self, id: SlotId, at: f64) -> bool {
        let slot = self.fleet.slot(id);
        self.pool() && !slot.visible() && slot.lb().pending.is_some_and(|m| m.down && m.at < at)
    }

    /// After a change to slot `id`: schedules an alert held back by
    /// [`Deployment::raise_alert`], not yet due, if it would now act when
    /// due: the slot fails without a replacement launching or waiting for
    /// its domain (an alert then only confirms what the pool does), and
    /// no replacement is sure to come first. The slot's state changes only
    /// at its own refreshes, so one that passes its due time without
    /// being released would have found nothing to do.
    pub(super) fn release_held_alert(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        let slot = self.fleet.slot(id);
        let held = slot.held_alert();
        let acts = slot.failing() && !matches!(slot.proc(), Proc::Repairing | Proc::WaitingFd);
        if held.is_finite() && held > now.secs() && acts && !self.replaced_before(id, held) {
            self.fleet.slot_mut(id).release_alert();
            self.schedule_alert(id, held, q);
        }
    }

    /// Schedules an alert about slot `id` at `at`, unless one for the same
    /// episode comes first: that one finds this reason too.
    fn schedule_alert(&self, id: SlotId, at: f64, q: &mut EventQueue<Event>) {
        q.schedule_first(self.timers.slot(id, SlotTimer::Alert), SimTime::from_secs(at), Event::Alert(id));
    }

    /// Monitoring has alerted an operator about slot `id`'s failure.
    pub(super) fn on_alert(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        self.fleet.slot_mut(id).alerted();
        if self.lb().is_some() && self.fleet.slot(id).checked_in() {
            // Taken out of rotation by hand.
            self.mark_down(id, q);
        }
        let proc = self.fleet.slot(id).proc();
        match self.recovery.repair {
            Repair::Pool { .. } if proc.broken() || proc == Proc::Running => self.replace(id, now, q),
            Repair::Manual { time } if proc.broken() => {
                self.set_proc(id, Proc::Repairing, q);
                let at = now + self.draws.sample(Stream::Slot(id), time);
                self.schedule(q, at, Event::Ready(id));
            }
            _ => {}
        }
        self.refresh(id, now, q);
    }

    /// The pool terminates slot `id`'s instance and launches a replacement.
    pub(super) fn replace(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        let Repair::Pool { replacement, .. } = self.recovery.repair else { unreachable!("pool only") };
        if matches!(self.fleet.slot(id).proc(), Proc::Repairing | Proc::WaitingFd) {
            return;
        }
        self.renew(id, now, q, replacement);
    }

    /// Launches a new instance in slot `id`, running after a delay drawn
    /// from `launch_time`.
    pub(super) fn renew(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>, launch_time: &Dist) {
        let Repair::Pool { register, .. } = self.recovery.repair else { unreachable!("pool only") };
        self.fleet.slot_mut(id).renew(*register, now.secs());
        self.cancel(q, id, SlotTimer::Mark);
        self.launch(id, now, q, launch_time);
    }

    /// Starts the launch of slot `id`'s replacement: in its own fault domain
    /// if that is up, else in the least-loaded one that is up if the pool may
    /// place it elsewhere, else it waits for a domain to come back.
    fn launch(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>, launch_time: &Dist) {
        let home = self.fleet.slot(id).fd();
        let target =
            self.recovery.place(home, self.domains.live(home), || self.fleet.least_loaded_live_fd(&self.domains));
        let Some(fd) = target else {
            self.set_proc(id, Proc::WaitingFd, q);
            self.recovery.waiting.push(id);
            return;
        };
        self.fleet.move_to(id, fd);
        self.set_proc(id, Proc::Repairing, q);
        let at = now + self.draws.sample(Stream::Slot(id), launch_time);
        let Some(hc) = self.health_check() else {
            self.schedule(q, at, Event::Ready(id));
            return;
        };
        // A new backend: a new probe phase.
        let phase = self.draws.uniform(Stream::Slot(id)) * hc.interval;
        let first_failure = self.draw_failure(id);
        let slot = self.fleet.slot_mut(id);
        let admitted = health::admission(hc, phase, at.secs());
        // Nothing of its own happens between its start and its admission,
        // and nothing else can see it start (its reason for not serving
        // stays): one event for both. Whatever touches the slot before
        // then catches it up.
        let merged = self.recovery.shortcuts
            && slot.registered()
            && !slot.drained()
            && slot.start_unseen()
            && at.secs() + first_failure.1 > admitted;
        slot.prepare(phase, first_failure, if merged { at.secs() } else { f64::INFINITY });
        if merged {
            self.schedule(q, SimTime::from_secs(admitted), Event::Admit(id));
        } else {
            self.schedule(q, at, Event::Ready(id));
        }
    }

    /// If slot `id`'s replacement had a merged start and started running by
    /// `now`, does now what its start would have done then. Called before
    /// the slot's state is read or changed.
    pub(super) fn catch_up(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        let started = self.fleet.slot(id).merged_start();
        if started <= now.secs() {
            self.fleet.slot_mut(id).take_merged_start();
            self.ready(id, SimTime::from_secs(started), q);
        }
    }

    /// Before something outside the slot changes it (its domain, planned
    /// work, an operator): catches a merged start up, or, if the replacement
    /// has not started yet, gives its start an event of its own after all,
    /// since the change may alter what that start does. So the merge never
    /// changes what happens.
    pub(super) fn settle(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        self.catch_up(id, now, q);
        if let Some(started) = self.fleet.slot_mut(id).take_merged_start() {
            self.schedule(q, SimTime::from_secs(started), Event::Ready(id));
        }
    }

    /// A replacement with a merged start is admitted: it started running
    /// earlier and its first good probes complete now.
    ///
    /// Nothing touched the slot between its start and now (anything that
    /// would have caught the start up), so its state is re-derived once,
    /// by the admission's mark: the episode that ended at the start, and
    /// the admission. Between the two, the slot counted as it did while
    /// launching (that is what allowed the merge), so nothing else is lost.
    pub(super) fn admit(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        let started = SimTime::from_secs(
            self.fleet.slot_mut(id).take_merged_start().expect("an admission follows a merged start"),
        );
        match self.run_instance(id, started, q) {
            Some(mark) if mark.at == now.secs() && !mark.down => self.health_mark(id, now, q),
            _ => self.not_admitted(id, started, q),
        }
    }

    /// A merged start found not admitted at once after all: the slot is
    /// refreshed as of its start, and its mark goes into the queue, as a
    /// start of its own would have had them.
    #[cold]
    fn not_admitted(&mut self, id: SlotId, started: SimTime, q: &mut EventQueue<Event>) {
        self.refresh(id, started, q);
        if let Some(mark) = self.fleet.slot(id).lb().pending {
            self.schedule_mark(id, mark, q);
        }
    }

    /// A domain went down or came back: replacements waiting for one launch
    /// if they now can.
    pub(super) fn domain_changed(&mut self, up: bool, now: SimTime, q: &mut EventQueue<Event>) {
        if !up || self.recovery.waiting.is_empty() {
            return;
        }
        let Repair::Pool { replacement, .. } = self.recovery.repair else { unreachable!("only the pool waits") };
        for id in std::mem::take(&mut self.recovery.waiting) {
            self.launch(id, now, q, replacement);
            self.refresh(id, now, q);
        }
    }

    /// A replacement or repair of slot `id` finishes at `now`: the instance
    /// runs, and the health checker starts counting good probes.
    pub(super) fn ready(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) {
        if let Some(mark) = self.run_instance(id, now, q) {
            self.schedule_mark(id, mark, q);
        }
        self.refresh(id, now, q);
    }

    /// The instance in slot `id` runs from `now`: its failures are armed
    /// and, a replacement the pool registers behind a health checker, it is
    /// watched from its first probe; returns that admission mark (pending
    /// in its tracker). The slot is left for the caller to refresh.
    fn run_instance(&mut self, id: SlotId, now: SimTime, q: &mut EventQueue<Event>) -> Option<health::Mark> {
        self.set_proc(id, Proc::Running, q);
        self.arm_failures(id, now, q);
        if let Some(hc) = self.health_check()
            && self.pool()
            && self.fleet.slot(id).registered()
        {
            // The replacement registers now that it runs; the health
            // checker watches it from its first probe.
            return Some(self.fleet.slot_mut(id).launched(hc, now.secs()));
        }
        // An unregistered instance running may be reason to page the on-call.
        self.dirty |= !self.fleet.slot(id).registered();
        None
    }

    /// The on-call, paged because nothing is in rotation while instances
    /// run unregistered, registers every instance with the load balancer.
    pub(super) fn register_all(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        self.recovery.register_paged = false;
        for id in self.fleet.ids().collect::<Vec<_>>() {
            self.settle(id, now, q);
            if self.fleet.slot_mut(id).register(now.secs()) {
                self.refresh(id, now, q);
            }
        }
    }

    /// Pages the on-call to register the instances if nothing is in
    /// rotation while some run unregistered.
    pub(super) fn page_if_nothing_registered(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        if self.lb().is_none() || self.fleet.in_rotation() > 0 || self.recovery.register_paged {
            return;
        }
        let unregistered = |id| {
            let s = self.fleet.slot(id);
            !s.registered() && s.proc() == Proc::Running
        };
        if self.fleet.ids().any(unregistered) {
            self.recovery.register_paged = true;
            let delay =
                self.sc.alert_delay.as_ref().expect("validation requires monitoring for unregistered replacements");
            let at = now + self.draws.sample(Stream::Operator, delay);
            self.schedule(q, at, Event::RegisterAll);
        }
    }
}
