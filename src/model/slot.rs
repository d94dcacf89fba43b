//! One instance slot of the pool: the instance now running in it (or being
//! replaced) and the load balancer's view of it.

use super::Cause;

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

/// The health checker's pending mark for a slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pending {
    /// Nothing pending.
    None,
    /// A mark-down is scheduled; it stands only if the backend is still
    /// failed at `deadline` [s], when the last probe of the streak is sent.
    Detect {
        /// Send time of the probe that completes the failing streak [s].
        deadline: f64,
    },
    /// A mark-up is scheduled.
    Admit,
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
    /// Whether the load balancer considers it healthy (in rotation unless drained).
    pub checked_in: bool,
    /// Planned work holding it out (bit set of `planned::DEPLOY`, `planned::MAINTENANCE`).
    pub drained: u8,
    /// An unplanned failure episode is under way (derived in `refresh`).
    pub failing: bool,
    /// Health probes would succeed (derived in `refresh`).
    pub visible: bool,
    /// It held sessions at the last evaluation.
    pub holds_sessions: bool,
    /// The episode has been noticed (health checker or monitoring).
    pub detected: bool,
    /// What started the episode.
    pub episode: Cause,
    /// Why it left rotation, while it waits to be re-admitted.
    pub out_cause: Cause,
    /// Health-probe phase in [0, interval) [s].
    pub phase: f64,
    /// The health checker's pending mark.
    pub pending: Pending,
    /// Incarnation counter: tags Crash, Gray and Ready events.
    pub life: u32,
    /// Tags Detect and Admit events.
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
            checked_in: true,
            drained: 0,
            failing: false,
            visible: true,
            holds_sessions: true,
            detected: false,
            episode: Cause::InstanceFailure,
            out_cause: Cause::InstanceFailure,
            phase: 0.0,
            pending: Pending::None,
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

    /// Cancels the pending health-check mark.
    pub fn cancel_pending(&mut self) {
        self.pending = Pending::None;
        self.hc_epoch += 1;
    }

    /// Serves requests if in rotation.
    pub fn serving(&self, fd_ok: bool) -> bool {
        self.proc == Proc::Running && !self.bad && self.drained == 0 && fd_ok
    }

    /// Receives requests: always without a load balancer (clients address
    /// instances directly), else when registered, healthy and not drained.
    pub fn rotating(&self, has_lb: bool) -> bool {
        !has_lb || (self.registered && self.checked_in && self.drained == 0)
    }
}
