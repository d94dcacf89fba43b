//! Causes that downtime and failed requests are attributed to. Every stage
//! uses them: scenario checking (dependency names must not clash), the model
//! (which attributes), the tallies (indexed by [`CauseId`]) and the reports.
//!
//! Overlap rule. While the service is down, the whole interval goes to one
//! cause, the first that applies in this order: the load balancer; the
//! first required dependency down (in file order), unless it is a tier
//! whose replicas a domain outage took while no instance can serve either
//! (the domain outage is then named by the instances' reason); then, when
//! no instance in rotation can serve, the highest-ranked reason among the
//! instances, in the order of [`Cause`] below. Failed requests follow the same rule when every request fails;
//! when only some fail, each failing share goes to its own reason: each
//! failing in-rotation instance's 1/n share to why it fails, and each
//! degraded dependency's fraction of the requests that got past the
//! instances to that dependency. Demand above the serving instances'
//! capacity fails as `capacity`; the degraded dependencies' fractions apply
//! to what the instances served.
//!
//! Over several regions, each region's share of the requests follows this
//! rule within the region, while the region serves; a region that cannot
//! (out, or nothing in it serves) fails its share for its own reason until
//! the global health check marks it down, then for the failover and for
//! the cached DNS answers that still name it (while some other region
//! serves; with none serving, the region's own reason stays). The service
//! is down when no region that receives requests serves; the interval goes
//! to the reason of the region receiving the largest share.

/// A cause of downtime. The instance-level causes are listed in precedence
/// order (the derived `Ord` ranks them); named causes come after them:
/// the dependencies', numbered in file order (one for a plain dependency,
/// one per reason a replicated dependency, a tier, can be down), then the
/// regions'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// Demand above what the serving instances can take: the excess fails.
    /// Never downtime, only failed requests.
    Capacity,
    /// Named cause number `i` (the scenario's `named_causes`):
    /// the dependencies' in file order (a plain dependency is down, or a
    /// tier is down for one of its reasons), then the regions' (a region
    /// out, failing over, or still named by clients' cached DNS answers).
    Named(u16),
}

/// Index of a cause in per-cause tallies: the fixed causes first, then one
/// per dependency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CauseId(pub u16);

impl CauseId {
    /// As an index into a per-cause vector.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// One fixed cause, declared once: its place in [`Cause::FIXED_CAUSES`] is its
/// rank, its name is how reports and JSON call it, its colour is the one
/// every chart gives it.
#[derive(Clone, Copy, Debug)]
pub struct Fixed {
    /// The cause.
    pub cause: Cause,
    /// Its name in reports and JSON.
    pub name: &'static str,
    /// Its colour in charts, RGB (a colour-blind-safe palette: Paul Tol's).
    pub colour: [u8; 3],
}

impl Cause {
    /// Every fixed (non-dependency) cause, in precedence order: the one
    /// declaration of each, which everything else reads.
    pub const FIXED_CAUSES: [Fixed; 11] = [
        Fixed { cause: Cause::LoadBalancer, name: "load_balancer", colour: [0, 0, 0] },
        Fixed { cause: Cause::AdOutage, name: "ad_outage", colour: [136, 34, 85] },
        Fixed { cause: Cause::FdOutage, name: "fd_outage", colour: [204, 102, 119] },
        Fixed { cause: Cause::Unregistered, name: "unregistered", colour: [221, 204, 119] },
        Fixed { cause: Cause::Deploy, name: "deploy", colour: [17, 119, 51] },
        Fixed { cause: Cause::Maintenance, name: "maintenance", colour: [68, 170, 153] },
        Fixed { cause: Cause::BadRelease, name: "bad_release", colour: [136, 204, 238] },
        Fixed { cause: Cause::GrayFailure, name: "gray_failure", colour: [170, 68, 153] },
        Fixed { cause: Cause::DetectionWindow, name: "detection_window", colour: [153, 153, 51] },
        Fixed { cause: Cause::InstanceFailure, name: "instance_failure", colour: [51, 34, 136] },
        Fixed { cause: Cause::Capacity, name: "capacity", colour: [213, 94, 0] },
    ];

    /// Number of fixed (non-dependency) causes.
    pub const FIXED: usize = Cause::FIXED_CAUSES.len();

    /// Every fixed cause, in precedence order.
    pub const ALL_FIXED: [Cause; Cause::FIXED] = {
        let mut all = [Cause::LoadBalancer; Cause::FIXED];
        let mut i = 0;
        while i < Cause::FIXED {
            all[i] = Cause::FIXED_CAUSES[i].cause;
            i += 1;
        }
        all
    };

    /// Every cause of a scenario with `named` named causes, in
    /// [`CauseId`] order.
    pub fn all(named: usize) -> impl Iterator<Item = Cause> {
        let named = u16::try_from(named).expect("named cause count is validated to fit u16");
        Cause::ALL_FIXED.into_iter().chain((0..named).map(Cause::Named))
    }

    /// Its index in per-cause tallies.
    pub fn id(self) -> CauseId {
        match self {
            Cause::Named(i) => CauseId(Cause::FIXED as u16 + i),
            fixed => CauseId(fixed.fixed_index() as u16),
        }
    }

    /// The cause at index `id`.
    pub fn from_id(id: CauseId) -> Cause {
        match Cause::ALL_FIXED.get(id.index()) {
            Some(&fixed) => fixed,
            None => Cause::Named(id.0 - Cause::FIXED as u16),
        }
    }

    /// Position among the fixed causes: its rank.
    ///
    /// # Panics
    /// For a named cause, which has no fixed position, or a cause missing
    /// from [`Cause::FIXED_CAUSES`].
    pub fn fixed_index(self) -> usize {
        Cause::ALL_FIXED.iter().position(|&c| c == self).expect("a fixed cause is declared in FIXED_CAUSES")
    }

    /// The name of a fixed cause in reports and JSON; `None` for a
    /// named cause, which goes by its own name.
    pub fn fixed_name(self) -> Option<&'static str> {
        match self {
            Cause::Named(_) => None,
            fixed => Some(Cause::FIXED_CAUSES[fixed.fixed_index()].name),
        }
    }

    /// The colour of a fixed cause in charts; `None` for a named cause,
    /// whose colour depends on the named causes shown beside it.
    pub fn fixed_colour(self) -> Option<[u8; 3]> {
        match self {
            Cause::Named(_) => None,
            fixed => Some(Cause::FIXED_CAUSES[fixed.fixed_index()].colour),
        }
    }

    /// Its name in reports and JSON: a named cause goes by its own name,
    /// `named(i)` for the `i`-th in the scenario.
    pub fn name<'a>(self, named: impl FnOnce(usize) -> &'a str) -> &'a str {
        match self {
            Cause::Named(i) => named(usize::from(i)),
            fixed => fixed.fixed_name().expect("a fixed cause has a name"),
        }
    }

    /// Whether `name` is a fixed cause's name (dependencies may not use one).
    pub fn is_fixed_name(name: &str) -> bool {
        Cause::FIXED_CAUSES.iter().any(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_fixed_causes_come_first() {
        let all: Vec<Cause> = Cause::all(2).collect();
        assert_eq!(all.len(), Cause::FIXED + 2);
        for (i, c) in all.iter().enumerate() {
            assert_eq!(c.id().index(), i);
            assert_eq!(Cause::from_id(c.id()), *c);
        }
        assert_eq!(Cause::Named(1).id(), CauseId(12));
        assert!(Cause::FdOutage < Cause::InstanceFailure, "domain outages outrank instance failures");
        // The enum's order (which ranks domain outages) is the table's.
        assert!(Cause::ALL_FIXED.windows(2).all(|w| w[0] < w[1]), "FIXED_CAUSES lists causes in enum order");
        assert!(Cause::is_fixed_name("deploy") && !Cause::is_fixed_name("database"));
    }

    /// Every fixed cause has its own name and its own colour; a
    /// dependency has neither.
    #[test]
    fn fixed_causes_have_distinct_names_and_colours() {
        let names: std::collections::HashSet<_> = Cause::ALL_FIXED.iter().map(|c| c.fixed_name().unwrap()).collect();
        let colours: std::collections::HashSet<_> =
            Cause::ALL_FIXED.iter().map(|c| c.fixed_colour().unwrap()).collect();
        assert_eq!((names.len(), colours.len()), (Cause::FIXED, Cause::FIXED));
        assert_eq!(Cause::LoadBalancer.fixed_colour(), Some([0, 0, 0]));
        assert_eq!(Cause::Capacity.fixed_name(), Some("capacity"));
        assert_eq!((Cause::Named(0).fixed_name(), Cause::Named(0).fixed_colour()), (None, None));
        assert_eq!(Cause::InstanceFailure.fixed_index(), 9);
    }
}
