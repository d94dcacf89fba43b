//! Causes that downtime and failed requests are attributed to.
//!
//! Overlap rule. While the service is down, the whole interval goes to one
//! cause, the first that applies in this order: the load balancer; a required
//! dependency (in file order); then, when no instance in rotation can serve,
//! the highest-ranked reason among the instances, in the order of [`Cause`]
//! below. Failed requests follow the same rule when every request fails;
//! when only some fail, each failing share goes to its own reason: each
//! failing in-rotation instance's 1/n share to why it fails, and each
//! degraded dependency's fraction of the requests that got past the
//! instances to that dependency.

/// Fixed causes, in precedence order for instance-level outages. Dependencies
/// follow them, one cause each, at index [`Cause::COUNT`] + their position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Cause {
    /// The load balancer itself is down.
    LoadBalancer,
    /// An availability-domain outage took the instances down.
    AdOutage,
    /// A fault-domain outage took the instances down.
    FdOutage,
    /// Instances run but were never registered with the load balancer:
    /// ranked above planned work, since they would otherwise have served.
    Unregistered,
    /// Instances are out for a deployment.
    Deploy,
    /// Instances are out for planned maintenance.
    Maintenance,
    /// Instances run a bad release that has not been rolled back yet.
    BadRelease,
    /// Instances fail requests while passing health checks, not yet noticed.
    GrayFailure,
    /// Instances are dead but nothing has noticed yet (still in rotation
    /// behind a load balancer, or still addressed directly).
    DetectionWindow,
    /// Instances crashed, were noticed, and are being replaced or repaired.
    InstanceFailure,
}

impl Cause {
    /// Number of fixed causes.
    pub const COUNT: usize = 10;

    /// Every fixed cause, in precedence order.
    pub const ALL: [Cause; Cause::COUNT] = [
        Cause::LoadBalancer,
        Cause::AdOutage,
        Cause::FdOutage,
        Cause::Unregistered,
        Cause::Deploy,
        Cause::Maintenance,
        Cause::BadRelease,
        Cause::GrayFailure,
        Cause::DetectionWindow,
        Cause::InstanceFailure,
    ];

    /// The name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Cause::LoadBalancer => "load_balancer",
            Cause::AdOutage => "ad_outage",
            Cause::FdOutage => "fd_outage",
            Cause::Deploy => "deploy",
            Cause::Maintenance => "maintenance",
            Cause::BadRelease => "bad_release",
            Cause::GrayFailure => "gray_failure",
            Cause::DetectionWindow => "detection_window",
            Cause::InstanceFailure => "instance_failure",
            Cause::Unregistered => "unregistered",
        }
    }

    /// Index into per-cause tallies.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Names of every cause of a scenario: the fixed ones, then one per dependency.
pub fn cause_names(dependencies: &[crate::scenario::Dependency]) -> Vec<String> {
    Cause::ALL.iter().map(|c| c.name().to_string()).chain(dependencies.iter().map(|d| d.name.clone())).collect()
}
