//! Outages of whole units of the topology (fault and availability domains),
//! each kind from a section of its own holding only its failure and repair
//! laws. [`OutageKind`] is the one declaration of each: its section, how
//! `check` names it, how many such units a topology has. Checking,
//! describing a scenario and estimating its work read this list; the model
//! gives each unit its process (`model/component.rs`).

use super::raw::{RawFailure, RawScenario};
use super::{FailureRepair, Topology};

/// A kind of outage of whole units of the topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutageKind {
    /// A fault domain goes down with the instances in it.
    FaultDomain,
    /// An availability domain goes down with its fault domains.
    AvailabilityDomain,
}

impl OutageKind {
    /// Every kind, in the order of [`super::Scenario::outages`].
    pub const ALL: [OutageKind; 2] = [OutageKind::FaultDomain, OutageKind::AvailabilityDomain];

    /// Its section in the scenario file.
    pub fn key(self) -> &'static str {
        match self {
            OutageKind::FaultDomain => "fault_domain",
            OutageKind::AvailabilityDomain => "availability_domain",
        }
    }

    /// How `check` names one unit.
    pub fn label(self) -> &'static str {
        match self {
            OutageKind::FaultDomain => "fault domain",
            OutageKind::AvailabilityDomain => "availability domain",
        }
    }

    /// How many units of the kind `topology` has.
    pub fn count(self, topology: &Topology) -> usize {
        match self {
            OutageKind::FaultDomain => topology.fault_domains(),
            OutageKind::AvailabilityDomain => topology.availability_domains,
        }
    }

    /// Takes its section from the file as read, checked.
    fn take(self, raw: &mut RawScenario) -> Option<FailureRepair> {
        let section = match self {
            OutageKind::FaultDomain => raw.fault_domain.take(),
            OutageKind::AvailabilityDomain => raw.availability_domain.take(),
        };
        section.map(|RawFailure { failure, repair }| FailureRepair { failure, repair })
    }
}

/// The laws of each kind of outage, if configured, by [`OutageKind`].
#[derive(Clone, Debug)]
pub struct Outages([Option<FailureRepair>; OutageKind::ALL.len()]);

impl Outages {
    /// Every kind's section, taken from the file as read.
    pub(super) fn take(raw: &mut RawScenario) -> Outages {
        Outages(OutageKind::ALL.map(|kind| kind.take(raw)))
    }

    /// The laws of outages of `kind`, if configured.
    pub fn of(&self, kind: OutageKind) -> Option<&FailureRepair> {
        self.0[kind as usize].as_ref()
    }

    /// Whether fault (availability) domains fail in a way that can leave
    /// some instance serving: they have outages and `topology` has more
    /// than one.
    pub fn partial(&self, topology: &Topology) -> (bool, bool) {
        let partial = |kind: OutageKind| self.of(kind).is_some() && kind.count(topology) > 1;
        (partial(OutageKind::FaultDomain), partial(OutageKind::AvailabilityDomain))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Scenario;

    /// Each kind takes its own section, named and counted as `check` and
    /// the effort estimate say it: 2 availability domains of 3 fault
    /// domains each.
    #[test]
    fn each_kind_takes_its_section() {
        let text = "name = \"t\"\n[slo]\ntarget = 0.999\n[topology]\navailability_domains = 2\n\
                    fault_domains_per_ad = 3\ninstances_per_fd = [1, 1, 1, 1, 1, 1]\n[instance]\nfailure = \"1y\"\n\
                    [repair]\nmode = \"pool\"\ntime = \"5m\"\n[monitoring]\nalert_delay = \"5m\"\n\
                    [fault_domain]\nfailure = \"90d\"\nrepair = \"1h\"\n\
                    [availability_domain]\nfailure = \"2y\"\nrepair = \"3h\"\n";
        let sc = Scenario::from_toml(text, "t.toml", &[]).expect("valid");
        let got: Vec<_> = sc.outages().map(|(key, label, count, law)| (key, label, count, law.repair.mean())).collect();
        assert_eq!(
            got,
            [("fault_domain", "fault domain", 6, 3_600.0), ("availability_domain", "availability domain", 2, 10_800.0)]
        );
        assert_eq!(sc.domain_outages(), (true, true));
    }
}
