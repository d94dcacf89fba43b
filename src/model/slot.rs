//! One instance slot of the pool: the instance now running in it (or being
//! replaced) and the load balancer's view of it.

use super::Cause;
use super::health::Tracker;

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
    /// Planned work holding it out (bit set of `planned::DEPLOY`, `planned::MAINTENANCE`).
    pub drained: u8,
    /// An unplanned failure episode is under way (derived in `refresh`).
    pub failing: bool,
    /// Health probes would succeed (derived in `refresh`).
    pub visible: bool,
    /// Receives requests (kept by `Deployment::sync`).
    pub in_rotation: bool,
    /// Receives requests and serves them (kept by `Deployment::sync`).
    pub good: bool,
    /// Holds sessions: in rotation with its process running (kept by `Deployment::sync`).
    pub holds_sessions: bool,
    /// The episode has been noticed (health checker or monitoring).
    pub detected: bool,
    /// What started the episode.
    pub episode: Cause,
    /// Why it left rotation, while it waits to be re-admitted.
    pub out_cause: Cause,
    /// Health-probe phase in [0, interval) [s].
    pub phase: f64,
    /// Incarnation counter: tags Crash, Gray and Ready events.
    pub life: u32,
    /// Tags health-check mark events.
    pub hc_epoch: u32,
    /// Tags Alert events.
    pub alert_epoch: u32,
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
            in_rotation: true,
            good: true,
            holds_sessions: true,
            detected: false,
            episode: Cause::InstanceFailure,
            out_cause: Cause::InstanceFailure,
            phase: 0.0,
            life: 0,
            hc_epoch: 0,
            alert_epoch: 0,
        }
    }

    /// Moves the process to `proc`, invalidating events of the previous one.
    pub fn set_proc(&mut self, proc: Proc) {
        self.proc = proc;
        self.life += 1;
    }

    /// Whether the load balancer has it marked up.
    pub fn checked_in(&self) -> bool {
        self.lb.marked_up
    }

    /// Serves requests if in rotation.
    pub fn serving(&self, fd_ok: bool) -> bool {
        self.proc == Proc::Running && !self.bad && self.drained == 0 && fd_ok
    }

    /// Receives requests: always without a load balancer (clients address
    /// instances directly), else when registered, healthy and not drained.
    pub fn rotating(&self, has_lb: bool) -> bool {
        !has_lb || (self.registered && self.lb.marked_up && self.drained == 0)
    }
}
