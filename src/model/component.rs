//! The components with a failure/repair process of their own (the load
//! balancer, dependencies and their replicas, the units of each kind of
//! domain outage): which there are, their one numbering (timers and random
//! streams), each one's law, and what its going down or coming back does.
//! A new kind of domain outage needs nothing here (its declaration,
//! [`OutageKind`], says all); a new kind of component is added here,
//! beside its cause (`cause.rs`) and its scenario section.

use super::draws::Stream;
use super::{Deployment, Event};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::{FailureRepair, OutageKind, Topology};

/// A component with its own alternating failure/repair process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// The load balancer.
    LoadBalancer,
    /// Dependency `i`.
    Dependency(u16),
    /// Unit `i` of a kind of domain outage (availability domain `i`,
    /// fault domain `i`).
    Outage(OutageKind, u16),
    /// Replica `g` of a replicated dependency (numbered over every tier).
    Replica(u16),
}

impl Component {
    /// Its random stream.
    pub(super) fn stream(self) -> Stream {
        Stream::Component(self)
    }

    /// Its stream's identity, stable across versions of a scenario: the
    /// kind in the high bits, its index in the low ones. A replica is keyed
    /// by its dependency `i` and its number `r` within it
    /// (`replica(g) = (i, r)`), so that it keeps its draws whatever the
    /// other tiers hold.
    pub(super) fn key(self, replica: impl Fn(u16) -> (u16, u16)) -> u64 {
        match self {
            Component::LoadBalancer => 0,
            Component::Dependency(i) => (1 << 32) + u64::from(i),
            Component::Outage(kind, i) => (kind.stream_tag() << 32) + u64::from(i),
            Component::Replica(g) => {
                let (i, r) = replica(g);
                (8 << 32) + (u64::from(i) << 16) + u64::from(r)
            }
        }
    }
}

/// How many components of each kind a deployment has, and their one
/// numbering (dense, from 0), shared by their timers and their streams.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout {
    dependencies: u16,
    /// Units of each kind of outage, by `OutageKind as usize`.
    units: [u16; OutageKind::ALL.len()],
    /// The number of each kind's first unit, by `OutageKind as usize`.
    first: [usize; OutageKind::ALL.len()],
    /// The number of the first replica.
    replicas_from: usize,
    replicas: u16,
}

impl Layout {
    /// The kinds of outage in numbering order (availability domains
    /// before fault domains, as their causes rank).
    fn kinds() -> [OutageKind; OutageKind::ALL.len()] {
        OutageKind::by_precedence()
    }

    /// The components of a deployment with these many dependencies, the
    /// units of every kind of outage `topology` has, and these many
    /// replicas (each count within 16 bits, as checked).
    pub(super) fn new(dependencies: usize, topology: &Topology, replicas: usize) -> Layout {
        let count = |n: usize| u16::try_from(n).expect("counts are checked to fit 16 bits");
        let units = OutageKind::ALL.map(|kind| count(kind.count(topology)));
        let (mut first, mut next) = ([0; OutageKind::ALL.len()], 1 + dependencies);
        for kind in Layout::kinds() {
            first[kind as usize] = next;
            next += usize::from(units[kind as usize]);
        }
        Layout { dependencies: count(dependencies), units, first, replicas_from: next, replicas: count(replicas) }
    }

    /// Number of dependencies (each has a promotion timer too).
    pub(super) fn dependencies(self) -> u16 {
        self.dependencies
    }

    /// Number of components.
    pub(super) fn count(self) -> usize {
        self.replicas_from + usize::from(self.replicas)
    }

    /// Every component, in numbering order.
    pub(super) fn all(self) -> impl Iterator<Item = Component> {
        std::iter::once(Component::LoadBalancer)
            .chain((0..self.dependencies).map(Component::Dependency))
            .chain(
                Layout::kinds()
                    .into_iter()
                    .flat_map(move |kind| (0..self.units[kind as usize]).map(move |i| Component::Outage(kind, i))),
            )
            .chain((0..self.replicas).map(Component::Replica))
    }

    /// The number of `component`.
    #[inline]
    pub(super) fn index(self, component: Component) -> usize {
        match component {
            Component::LoadBalancer => 0,
            Component::Dependency(i) => 1 + usize::from(i),
            Component::Outage(kind, i) => self.first[kind as usize] + usize::from(i),
            Component::Replica(g) => self.replicas_from + usize::from(g),
        }
    }
}

impl<'s> Deployment<'s> {
    /// The failure/repair process of `component`, if it has one in this
    /// scenario.
    pub(super) fn process(&self, component: Component) -> Option<&'s FailureRepair> {
        let sc = self.sc;
        let mirrored = |i: u16| self.mirror && sc.dependencies[usize::from(i)].global;
        match component {
            Component::Dependency(i) if mirrored(i) => None,
            Component::Replica(g) if mirrored(self.tiers.dependency_of_replica(g)) => None,
            Component::LoadBalancer => self.lb().and_then(|lb| lb.failure.as_ref()),
            Component::Dependency(i) => match self.tiers.of_dependency(i) {
                None => Some(&sc.dependencies[usize::from(i)].process),
                Some(_) => self.common(i),
            },
            Component::Replica(g) => Some(&sc.dependencies[usize::from(self.tiers.dependency_of_replica(g))].process),
            Component::Outage(kind, _) => sc.outages.of(kind),
        }
    }

    /// Dependency `i`'s common failure, if it is a tier that has one.
    fn common(&self, i: u16) -> Option<&'s FailureRepair> {
        self.sc.dependencies[usize::from(i)].tier.as_ref().and_then(|t| t.common.as_ref())
    }

    /// A component with its own failure/repair process went down or came
    /// back; its next flip is drawn now.
    pub(super) fn flip(&mut self, component: Component, up: bool, now: SimTime, q: &mut EventQueue<Event>) {
        let process = self.process(component).expect("only a component with a process flips");
        let next = if up { &process.failure } else { &process.repair };
        let at = now + self.draws.sample(component.stream(), next);
        self.schedule(q, at, Event::Flip { component, up: !up });
        match component {
            Component::LoadBalancer => {
                self.lb_up = up;
                self.dirty = true;
            }
            Component::Dependency(i) => match self.tiers.of_dependency(i) {
                None => {
                    self.dependencies.set_plain(&self.sc.dependencies, i, up);
                    self.dirty = true;
                    if !up {
                        self.lose_stored_sessions(i, now);
                    }
                }
                Some(t) => {
                    self.tiers.set_common(t, up);
                    self.settle_tier(t, now, q);
                }
            },
            Component::Replica(g) => {
                let t = self.tiers.set_replica(g, up, &self.domains);
                self.settle_tier(t, now, q);
            }
            Component::Outage(kind, unit) => {
                let fds = self.domains.fault_domains_of(kind, unit);
                fds.clone().for_each(|fd| self.settle_fd(fd, now, q));
                self.domains.set(kind, unit, up);
                fds.for_each(|fd| self.refresh_fd(fd, now, q));
                self.domain_changed(up, now, q);
                self.settle_placed_tiers(now, q);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every component has its own number, in order, and its own stream.
    #[test]
    fn components_are_numbered_densely_with_distinct_streams() {
        let topology = super::super::domains::tests::topology(3, 2);
        let layout = Layout::new(2, &topology, 4);
        let all: Vec<Component> = layout.all().collect();
        assert_eq!(all.len(), layout.count());
        // The load balancer, 2 dependencies, every unit of every kind of
        // outage (3 availability and 6 fault domains among them), 4 replicas.
        let units: usize = OutageKind::ALL.iter().map(|kind| kind.count(&topology)).sum();
        assert_eq!(all.len(), 1 + 2 + units + 4);
        let unit = |kind, i| all.iter().filter(|&&c| c == Component::Outage(kind, i)).count();
        assert_eq!((unit(OutageKind::AvailabilityDomain, 2), unit(OutageKind::FaultDomain, 5)), (1, 1));
        assert_eq!((unit(OutageKind::AvailabilityDomain, 3), unit(OutageKind::FaultDomain, 6)), (0, 0));
        assert!(all.iter().enumerate().all(|(i, &c)| layout.index(c) == i));
        // Replicas 0, 1 of dependency 0 and 0, 1 of dependency 1.
        let mut keys: Vec<u64> = all.iter().map(|c| c.key(|g| (g / 2, g % 2))).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len(), "distinct stream keys");
    }

    /// Every kind of outage the scenario declares gives each of its units
    /// a component of its own with the section's law: a kind declared but
    /// not wired into the model fails here.
    #[test]
    fn every_kind_of_outage_is_a_component_per_unit() {
        use crate::scenario::Scenario;
        for kind in OutageKind::ALL {
            let text = format!(
                "name = \"t\"\n[slo]\ntarget = 0.999\n[topology]\navailability_domains = 2\n\
                 fault_domains_per_ad = 3\ninstances_per_fd = [1, 1, 1, 1, 1, 1]\n[instance]\nfailure = \"1y\"\n\
                 [repair]\nmode = \"pool\"\ntime = \"5m\"\n[monitoring]\nalert_delay = \"5m\"\n[{}]\nfailure = \"90d\"\nrepair = \"1h\"\n",
                kind.key()
            );
            let sc = Scenario::from_toml(&text, "t.toml", &[]).expect("valid");
            let law = sc.outages.of(kind).expect("configured");
            let mut queue = EventQueue::new();
            let model = Deployment::new(&sc, 0, &mut queue);
            let units = model.layout.all().filter(|&c| model.process(c).is_some_and(|p| std::ptr::eq(p, law))).count();
            assert_eq!(units, kind.count(&sc.topology), "{}: one component per unit", kind.key());
            assert_eq!(sc.outages().count(), 1, "{}: the only outage configured", kind.key());
        }
    }
}
