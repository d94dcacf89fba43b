//! One instance slot of the pool: the instance now running in it (or being
//! replaced) and the load balancer's view of it.

use super::health::Tracker;
use super::planned::PlannedKind;
use crate::cause::Cause;

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

/// One slot of the instance pool.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Fault domain the instance runs in.
    pub fd: u16,
    /// Its process.
    pub proc: Proc,
    /// Whether it runs a bad release.
    pub bad: bool,
    /// Whether the load balancer knows it.
    pub registered: bool,
    /// The load balancer's view: marked up (in rotation unless drained),
    /// and the health checker's pending mark.
    pub lb: Tracker,
    /// Planned work holding it out (bit set of [`PlannedKind::bit`]).
    pub drained: u8,
    /// An unplanned failure episode is under way (derived in `refresh`).
    pub failing: bool,
    /// Health probes would succeed (derived in `refresh`).
    pub visible: bool,
    /// The episode has been noticed (health checker or monitoring).
    pub detected: bool,
    /// What started the episode.
    pub episode: Cause,
    /// Why it left rotation, while it waits to be re-admitted.
    pub out_cause: Cause,
    /// Health-probe phase in [0, interval) [s].
    pub phase: f64,
    /// When an alert that was not scheduled, because the health checker
    /// will have the pool replace the instance first, would fire [s];
    /// infinite when none is held back.
    pub held_alert: f64,
    /// A replacement launched with its start merged into its admission:
    /// when it starts running [s]; infinite otherwise.
    pub merged_start: f64,
    /// The first failure of the next instance, drawn at its launch:
    /// (gray, delay after it starts running [s]).
    pub first_failure: Option<(bool, f64)>,
    /// What the fleet counted for it at the last sync.
    pub counted: Counted,
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

impl Slot {
    /// A healthy instance in rotation in fault domain `fd`.
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

    /// Whether the load balancer has it marked up.
    pub fn checked_in(&self) -> bool {
        self.lb.marked_up
    }

    /// Serves requests if in rotation.
    pub fn serving(&self, fd_live: bool) -> bool {
        self.proc == Proc::Running && !self.bad && self.drained == 0 && fd_live
    }

    /// Receives requests: always without a load balancer (clients address
    /// instances directly), else when registered, healthy and not drained.
    pub fn rotating(&self, has_lb: bool) -> bool {
        !has_lb || (self.registered && self.lb.marked_up && self.drained == 0)
    }

    /// Why it is not serving (meaningful only when it is not), given what
    /// holds its fault domain down, if anything.
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
}
