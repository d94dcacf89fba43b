//! Outages of whole units of the topology (fault and availability domains),
//! each kind from a section of its own holding only its failure and repair
//! laws. [`OutageKind`] is the one declaration of each: its section, how
//! `check` names it, how many units a topology has, which fault domains a
//! unit holds down, the cause it is reported as and its random streams.
//! Checking, describing a scenario, estimating its work, the model (each
//! unit a component with its process, holding its fault domains down) and
//! the replicated dependencies placed in domains all read this list.

use super::raw::{RawFailure, RawScenario};
use super::{FailureRepair, Topology};
use crate::cause::Cause;
use std::ops::Range;

/// A kind of outage of whole units of the topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutageKind {
    /// A fault domain goes down with the instances in it.
    FaultDomain,
    /// An availability domain goes down with its fault domains.
    AvailabilityDomain,
}

/// Number of kinds of outage.
const KINDS: usize = OutageKind::ALL.len();

impl OutageKind {
    /// Every kind, in the order of [`super::Scenario::outages`].
    pub const ALL: [OutageKind; 2] = [OutageKind::FaultDomain, OutageKind::AvailabilityDomain];

    /// Every kind, in the precedence of their causes (the first holding a
    /// fault domain down names why it is down).
    pub fn by_precedence() -> [OutageKind; KINDS] {
        let mut kinds = OutageKind::ALL;
        kinds.sort_by_key(|kind| kind.cause());
        kinds
    }

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

    /// The cause its outages are reported as: its name, colour and rank
    /// among the instances' reasons are the cause's.
    pub fn cause(self) -> Cause {
        match self {
            OutageKind::FaultDomain => Cause::FdOutage,
            OutageKind::AvailabilityDomain => Cause::AdOutage,
        }
    }

    /// The tag of its units' random streams (a unit's key is the tag in
    /// the high 32 bits and its number in the low ones): stable across
    /// versions, and no other kind of stream's (0 to 9 are taken; the
    /// model's `every_stream_has_a_key_of_its_own` checks).
    pub fn stream_tag(self) -> u64 {
        match self {
            OutageKind::AvailabilityDomain => 2,
            OutageKind::FaultDomain => 3,
        }
    }

    /// How many units of the kind `topology` has.
    pub fn count(self, topology: &Topology) -> usize {
        match self {
            OutageKind::FaultDomain => topology.fault_domains(),
            OutageKind::AvailabilityDomain => topology.availability_domains,
        }
    }

    /// The fault domains unit `unit` holds down while it is out: a run of
    /// consecutive fault domains, the units of a kind disjoint (each fault
    /// domain in one unit of each kind at most).
    pub fn fault_domains(self, unit: usize, topology: &Topology) -> Range<usize> {
        match self {
            OutageKind::FaultDomain => unit..unit + 1,
            OutageKind::AvailabilityDomain => {
                let per = topology.fault_domains_per_ad;
                unit * per..(unit + 1) * per
            }
        }
    }

    /// Whether a unit holds whole availability domains down (its fault
    /// domains are those of whole availability domains): replicas placed
    /// by availability domain are down with it then.
    pub fn whole_ads(self) -> bool {
        match self {
            OutageKind::FaultDomain => false,
            OutageKind::AvailabilityDomain => true,
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
pub struct Outages([Option<FailureRepair>; KINDS]);

impl Outages {
    /// Every kind's section, taken from the file as read.
    pub(super) fn take(raw: &mut RawScenario) -> Outages {
        Outages(OutageKind::ALL.map(|kind| kind.take(raw)))
    }

    /// The laws of outages of `kind`, if configured.
    pub fn of(&self, kind: OutageKind) -> Option<&FailureRepair> {
        self.0[kind as usize].as_ref()
    }

    /// The kinds whose outages can leave some instance serving: configured,
    /// and `topology` has more than one unit of them.
    pub fn partial(&self, topology: &Topology) -> Partial {
        Partial(OutageKind::ALL.map(|kind| self.of(kind).is_some() && kind.count(topology) > 1))
    }
}

/// A set of kinds of outage: those that can leave some instance serving
/// ([`Outages::partial`]), which replicated dependencies name as reasons
/// of their own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Partial([bool; KINDS]);

impl Partial {
    /// Whether `kind` is in the set.
    pub fn has(self, kind: OutageKind) -> bool {
        self.0[kind as usize]
    }

    /// The set of these kinds.
    pub fn of(kinds: &[OutageKind]) -> Partial {
        let mut set = Partial::default();
        kinds.iter().for_each(|&kind| set.0[kind as usize] = true);
        set
    }
}

#[cfg(test)]
mod tests {
    use super::super::Scenario;
    use super::*;

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
        assert_eq!(sc.domain_outages(), Partial::of(&OutageKind::ALL));
    }

    /// Every kind is in [`OutageKind::ALL`], at the index its number gives
    /// (a kind left out would have its section read by no one).
    #[test]
    fn every_kind_is_listed_at_its_number() {
        // Exhaustive: a new kind does not compile until it is named here,
        // next to this reminder to list it in `ALL`.
        let listed = |kind: OutageKind| match kind {
            OutageKind::FaultDomain | OutageKind::AvailabilityDomain => {
                OutageKind::ALL.get(kind as usize) == Some(&kind)
            }
        };
        assert!(listed(OutageKind::FaultDomain) && listed(OutageKind::AvailabilityDomain));
    }
}
