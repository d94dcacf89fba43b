//! One instance slot of the pool: the instance now running in it (or being
//! replaced) and the load balancer's view of it.

use super::health::{Mark, Tracker};
use super::planned::PlannedKind;
use crate::cause::Cause;
use crate::scenario::HealthCheck;

/// The process in a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proc {
    /// Serving.
    Running,
    /// Crashed: fails requests and health checks.
    Crashed,
    /// Gray failure: fails requests, passes health checks.
    Gray,
    /// A replacement is launching, or an operator is repairing it.
    Repairing,
    /// The pool waits for the slot's fault domain to come back to launch.
    WaitingFd,
    /// Scaled in: out of rotation, draining, then terminated; the slot is
    /// free for a later scale-out.
    Retired,
}

impl Proc {
    /// The instance itself is broken (as opposed to being replaced).
    pub fn broken(self) -> bool {
        matches!(self, Proc::Crashed | Proc::Gray)
    }
}

/// One slot of the instance pool: a state machine whose transitions are
/// its methods. Its fields are private; the deployment moves it through
/// them and sets or cancels the slot's timers alongside.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Fault domain the instance runs in.
    fd: u16,
    /// Its process.
    proc: Proc,
    /// Whether it runs a bad release.
    bad: bool,
    /// Whether the load balancer knows it.
    registered: bool,
    /// The load balancer's view: marked up (in rotation unless drained),
    /// and the health checker's pending mark.
    lb: Tracker,
    /// Planned work holding it out (bit set of [`PlannedKind::bit`]).
    drained: u8,
    /// An unplanned failure episode is under way (derived in `derive`).
    failing: bool,
    /// Health probes would succeed (derived in `derive`).
    visible: bool,
    /// The episode has been noticed (health checker or monitoring).
    detected: bool,
    /// What started the episode.
    episode: Cause,
    /// Why it left rotation, while it waits to be re-admitted.
    out_cause: Cause,
    /// Health-probe phase in [0, interval) [s].
    phase: f64,
    /// When an alert that was not scheduled, because the health checker
    /// will have the pool replace the instance first, would fire [s];
    /// infinite when none is held back.
    held_alert: f64,
    /// A replacement launched with its start merged into its admission:
    /// when it starts running [s]; infinite otherwise.
    merged_start: f64,
    /// The first failure of the next instance, drawn at its launch:
    /// (gray, delay after it starts running [s]).
    first_failure: Option<(bool, f64)>,
    /// What the fleet counted for it at the last sync.
    counted: Counted,
}

/// How a slot's failure episode moved when it was re-derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Episode {
    /// Nothing new to alert about; `ended` if an episode just ended.
    Same {
        /// An episode ended: its pending alert can no longer matter.
        ended: bool,
    },
    /// A new reason to alert: an episode began, or the instance itself
    /// failed during one a domain outage began.
    NewReason {
        /// A whole new episode (its earlier alert, if any, is void).
        began: bool,
    },
}

/// A slot's contribution to the fleet's counters, as of its last sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    /// Receives requests.
    pub in_rotation: bool,
    /// Receives requests and serves them.
    pub good: bool,
    /// Holds sessions: in rotation with its process running.
    pub holds_sessions: bool,
    /// Why it does not serve (meaningful only when it does not).
    pub reason: Cause,
}

impl Counted {
    /// A slot out of the pool (retired, or not set up yet): counted as not
    /// serving for `capacity`, which ranks below every instance-level
    /// reason, so it never becomes the reason the service is down.
    pub const NONE: Counted =
        Counted { in_rotation: false, good: false, holds_sessions: false, reason: Cause::Capacity };

    /// Whether the slot is in the pool.
    pub fn exists(&self) -> bool {
        *self != Counted::NONE
    }
}

// Every method is `#[inline]`: each runs on the hot path of an event, and
// as calls they cost bench-bare 3 % more instructions a year (callgrind).
impl Slot {
    /// A healthy instance in rotation in fault domain `fd`.
    #[inline]
    pub fn new(fd: u16) -> Slot {
        Slot {
            fd,
            proc: Proc::Running,
            bad: false,
            registered: true,
            lb: Tracker::new(true, true, 0.0),
            drained: 0,
            failing: false,
            visible: true,
            detected: false,
            episode: Cause::InstanceFailure,
            out_cause: Cause::InstanceFailure,
            phase: 0.0,
            held_alert: f64::INFINITY,
            merged_start: f64::INFINITY,
            first_failure: None,
            counted: Counted { in_rotation: true, good: true, holds_sessions: true, reason: Cause::InstanceFailure },
        }
    }

    /// A slot in fault domain `fd` whose first instance is about to be
    /// launched: not running, not counted until its launch is set up.
    #[inline]
    pub fn launching(fd: u16) -> Slot {
        Slot { proc: Proc::Repairing, visible: false, counted: Counted::NONE, ..Slot::new(fd) }
    }

    /// Its fault domain.
    #[inline]
    pub fn fd(&self) -> u16 {
        self.fd
    }

    /// Its process.
    #[inline]
    pub fn proc(&self) -> Proc {
        self.proc
    }

    /// Whether the load balancer knows it.
    #[inline]
    pub fn registered(&self) -> bool {
        self.registered
    }

    /// The load balancer's view of it.
    #[inline]
    pub fn lb(&self) -> &Tracker {
        &self.lb
    }

    /// Whether planned work holds it out.
    #[inline]
    pub fn drained(&self) -> bool {
        self.drained != 0
    }

    /// Whether an unplanned failure episode is under way.
    #[inline]
    pub fn failing(&self) -> bool {
        self.failing
    }

    /// Whether health probes would succeed.
    #[inline]
    pub fn visible(&self) -> bool {
        self.visible
    }

    /// Whether the episode under way has been noticed.
    #[cfg(test)]
    pub fn detected(&self) -> bool {
        self.detected
    }

    /// When an alert held back would fire [s]; infinite if none is.
    #[inline]
    pub fn held_alert(&self) -> f64 {
        self.held_alert
    }

    /// When a replacement whose start was merged into its admission starts
    /// running [s]; infinite if none is pending.
    #[inline]
    pub fn merged_start(&self) -> f64 {
        self.merged_start
    }

    /// What the fleet counted for it at the last sync.
    #[inline]
    pub fn counted(&self) -> Counted {
        self.counted
    }

    /// Whether the load balancer has it marked up.
    #[inline]
    pub fn checked_in(&self) -> bool {
        self.lb.marked_up
    }

    /// Serves requests if in rotation.
    #[inline]
    pub fn serving(&self, fd_live: bool) -> bool {
        self.proc == Proc::Running && !self.bad && self.drained == 0 && fd_live
    }

    /// Receives requests: always without a load balancer (clients address
    /// instances directly), else when registered, healthy and not drained.
    #[inline]
    pub fn rotating(&self, has_lb: bool) -> bool {
        !has_lb || (self.registered && self.lb.marked_up && self.drained == 0)
    }

    /// Why it is not serving (meaningful only when it is not), given what
    /// holds its fault domain down, if anything.
    #[inline]
    pub fn reason(&self, outage: Option<Cause>) -> Cause {
        if self.drained & PlannedKind::Deploy.bit() != 0 {
            Cause::Deploy
        } else if self.drained != 0 {
            Cause::Maintenance
        } else if self.failing {
            match (self.detected, self.proc) {
                (false, Proc::Gray) => Cause::GrayFailure,
                (false, _) => Cause::DetectionWindow,
                // A domain outage under way outranks the episode's own cause.
                (true, _) => outage.unwrap_or(self.episode),
            }
        } else if self.bad {
            Cause::BadRelease
        } else if !self.registered {
            Cause::Unregistered
        } else {
            self.out_cause
        }
    }

    /// Its process moves to `proc`.
    #[inline]
    pub fn set_proc(&mut self, proc: Proc) {
        self.proc = proc;
    }

    /// It moves to fault domain `fd` (a replacement placed elsewhere).
    #[inline]
    pub fn set_fd(&mut self, fd: u16) {
        self.fd = fd;
    }

    /// Its health probes go out at this phase [s].
    #[inline]
    pub fn set_phase(&mut self, phase: f64) {
        self.phase = phase;
    }

    /// The fleet counted it so.
    #[inline]
    pub fn set_counted(&mut self, counted: Counted) {
        self.counted = counted;
    }

    /// Planned work of `kind` drains it.
    #[inline]
    pub fn drain(&mut self, kind: PlannedKind) {
        self.drained |= kind.bit();
    }

    /// Planned work of `kind` ends: it comes back running a `bad` release
    /// or not. Returns whether that work held it.
    #[inline]
    pub fn undrain(&mut self, kind: PlannedKind, bad: bool) -> bool {
        let held = self.drained & kind.bit() != 0;
        if held {
            self.drained &= !kind.bit();
            self.bad = bad;
        }
        held
    }

    /// A bad release is rolled back. Returns whether it ran one.
    #[inline]
    pub fn roll_back(&mut self) -> bool {
        std::mem::replace(&mut self.bad, false)
    }

    /// Re-derives its failure episode after a change to it or its domain
    /// (`outage`: what holds its fault domain down, if anything);
    /// `new_reason`: the instance itself just failed.
    #[inline]
    pub fn derive(&mut self, outage: Option<Cause>, new_reason: bool) -> Episode {
        if self.proc == Proc::Retired {
            // Scaled in: out of rotation, failing nothing, alerting no one.
            (self.failing, self.visible) = (false, false);
            return Episode::Same { ended: false };
        }
        let live = outage.is_none();
        let was_failing = self.failing;
        let drained = self.drained != 0;
        self.failing = !drained && (self.proc != Proc::Running || !live);
        self.visible = !drained && live && matches!(self.proc, Proc::Running | Proc::Gray);
        if self.failing && !was_failing {
            self.detected = false;
            self.episode = outage.unwrap_or(Cause::InstanceFailure);
            self.held_alert = f64::INFINITY;
            Episode::NewReason { began: true }
        } else if self.failing && new_reason {
            // A new episode of the instance's own, inside the domain's.
            self.detected = false;
            self.episode = Cause::InstanceFailure;
            Episode::NewReason { began: false }
        } else {
            let ended = !self.failing && was_failing;
            if ended {
                self.detected = false;
                self.held_alert = f64::INFINITY;
            }
            Episode::Same { ended }
        }
    }

    /// Without a health checker: whoever fixed the instance puts it back.
    #[inline]
    pub fn mark_up_if_fixed(&mut self) {
        self.lb.marked_up |= self.visible && self.proc == Proc::Running;
    }

    /// The health checker's next mark after a change seen at `t`, if any.
    #[inline]
    pub fn health_change(&mut self, hc: &HealthCheck, t: f64) -> Option<Mark> {
        self.lb.change(hc, self.phase, t, self.visible).or_else(|| self.lb.resume(hc, self.phase, t))
    }

    /// Its pending health-check mark comes due: whether it flipped, and
    /// the mark that follows, if any.
    #[inline]
    pub fn health_fire(&mut self, hc: &HealthCheck) -> (bool, Option<Mark>) {
        self.lb.fire(hc, self.phase)
    }

    /// Taken out of rotation by hand, for the reason it now has.
    #[inline]
    pub fn force_down(&mut self, outage: Option<Cause>) {
        self.out_cause = self.reason(outage);
        self.lb.force_down();
    }

    /// The health checker marked it down: it has noticed the episode, if any.
    #[inline]
    pub fn noticed(&mut self, outage: Option<Cause>) {
        self.detected = self.failing;
        self.out_cause = self.reason(outage);
    }

    /// Monitoring alerted about it: the episode is noticed, and nothing is
    /// held back any more.
    #[inline]
    pub fn alerted(&mut self) {
        self.detected = true;
        self.held_alert = f64::INFINITY;
    }

    /// An alert due at `at` is held back, since the pool is sure to act first.
    #[inline]
    pub fn hold_alert(&mut self, at: f64) {
        self.held_alert = at;
    }

    /// Takes the alert held back, if any.
    #[inline]
    pub fn release_alert(&mut self) -> Option<f64> {
        let at = std::mem::replace(&mut self.held_alert, f64::INFINITY);
        at.is_finite().then_some(at)
    }

    /// The pool terminates its instance to launch another: a new backend,
    /// unknown to the health checker until it runs, registered or not. An
    /// alert held back stays held: the episode goes on until the
    /// replacement serves.
    #[inline]
    pub fn renew(&mut self, register: bool, now: f64) {
        self.lb = Tracker::new(false, false, now);
        self.registered = register;
        self.detected = true;
    }

    /// Whether the replacement it launches, once started and until its
    /// admission, shows what it shows while it launches: the same reason
    /// for not serving (not a bad release it runs, say, where it waited for
    /// an instance). Only then may its start go without an event.
    #[inline]
    pub fn start_unseen(&self) -> bool {
        let (mut launching, mut started) = (self.clone(), self.clone());
        launching.derive(None, false);
        started.proc = Proc::Running;
        started.derive(None, false);
        launching.reason(None) == started.reason(None)
    }

    /// The replacement being launched probes at `phase` and first fails as
    /// drawn; it starts at `merged_start` if that start is merged into its
    /// admission (infinite otherwise).
    #[inline]
    pub fn prepare(&mut self, phase: f64, first_failure: (bool, f64), merged_start: f64) {
        self.phase = phase;
        self.first_failure = Some(first_failure);
        self.merged_start = merged_start;
    }

    /// Takes the first failure drawn at its launch, if any.
    #[inline]
    pub fn take_first_failure(&mut self) -> Option<(bool, f64)> {
        self.first_failure.take()
    }

    /// Takes the merged start, if one is pending.
    #[inline]
    pub fn take_merged_start(&mut self) -> Option<f64> {
        let at = std::mem::replace(&mut self.merged_start, f64::INFINITY);
        at.is_finite().then_some(at)
    }

    /// Its instance runs and is registered: the health checker watches it
    /// from its first probe; returns the admission mark.
    #[inline]
    pub fn launched(&mut self, hc: &HealthCheck, now: f64) -> Mark {
        let (tracker, mark) = Tracker::launched(hc, self.phase, now);
        self.lb = tracker;
        mark
    }

    /// The on-call registers it with the load balancer. Returns whether it
    /// was unregistered.
    #[inline]
    pub fn register(&mut self, now: f64) -> bool {
        if self.registered {
            return false;
        }
        self.registered = true;
        self.lb = Tracker::new(false, false, now);
        true
    }

    /// Scaled in: nothing of its instance's future is pending any more.
    #[inline]
    pub fn forget_pending(&mut self) {
        self.merged_start = f64::INFINITY;
        self.first_failure = None;
        self.held_alert = f64::INFINITY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An episode begins when the slot starts failing, gets a new reason
    /// when the instance itself fails inside a domain's, and ends when the
    /// slot serves again; planned work is no episode.
    #[test]
    fn episodes_begin_renew_and_end() {
        let mut slot = Slot::new(0);
        assert_eq!(slot.derive(None, false), Episode::Same { ended: false });
        // Its fault domain goes down: an episode of the domain's.
        assert_eq!(slot.derive(Some(Cause::FdOutage), false), Episode::NewReason { began: true });
        assert!(slot.failing() && !slot.visible() && !slot.detected());
        slot.alerted();
        assert_eq!(slot.reason(Some(Cause::FdOutage)), Cause::FdOutage);
        // The instance crashes during it: a new reason, not a new episode.
        slot.set_proc(Proc::Crashed);
        assert_eq!(slot.derive(Some(Cause::FdOutage), true), Episode::NewReason { began: false });
        assert!(!slot.detected(), "the crash is not noticed yet");
        assert_eq!(slot.reason(None), Cause::DetectionWindow);
        // Back up and running: the episode ends.
        slot.set_proc(Proc::Running);
        assert_eq!(slot.derive(None, false), Episode::Same { ended: true });
        assert!(!slot.failing() && slot.visible());
        // Drained for a deploy it neither fails nor answers probes.
        slot.drain(PlannedKind::Deploy);
        slot.set_proc(Proc::Crashed);
        assert_eq!(slot.derive(None, false), Episode::Same { ended: false });
        assert!(!slot.failing() && !slot.visible());
        assert_eq!(slot.reason(None), Cause::Deploy);
        assert!(slot.undrain(PlannedKind::Deploy, true) && !slot.undrain(PlannedKind::Deploy, false));
        assert!(slot.roll_back() && !slot.roll_back(), "it ran the bad release once");
    }

    /// Held alerts, merged starts and first failures are taken once.
    #[test]
    fn pending_things_are_taken_once() {
        let mut slot = Slot::launching(1);
        assert!(!slot.counted().exists() && slot.proc() == Proc::Repairing);
        slot.hold_alert(30.0);
        assert_eq!((slot.release_alert(), slot.release_alert()), (Some(30.0), None));
        slot.prepare(2.0, (true, 9.0), 50.0);
        assert_eq!((slot.take_merged_start(), slot.take_merged_start()), (Some(50.0), None));
        assert_eq!((slot.take_first_failure(), slot.take_first_failure()), (Some((true, 9.0)), None));
        slot.prepare(2.0, (false, 1.0), 60.0);
        slot.hold_alert(70.0);
        slot.forget_pending();
        assert_eq!((slot.merged_start(), slot.held_alert()), (f64::INFINITY, f64::INFINITY));
        assert_eq!(slot.take_first_failure(), None);
        assert!(!slot.register(0.0), "registered already");
    }
}
