//! Outages of whole domains ([`OutageKind`]: availability and fault
//! domains): which units are down, and what holds each fault domain down,
//! if anything. Every kind is handled alike, as its declaration says: a
//! unit holds its fault domains down, and the first kind in cause
//! precedence names why.

use crate::cause::Cause;
use crate::scenario::{OutageKind, Topology};
use std::ops::Range;

/// Up/down state of every unit of every kind of outage.
#[derive(Clone, Debug)]
pub struct Domains {
    /// Each kind's units, up or not, by `OutageKind as usize`.
    up: Vec<Vec<bool>>,
    /// Each kind's units' fault domains, by `OutageKind as usize`.
    covers: Vec<Vec<Range<u16>>>,
    /// Each fault domain's unit of each kind, by `OutageKind as usize`.
    unit_of: Vec<Vec<u16>>,
    /// What holds each fault domain down (`None`: it can run instances),
    /// kept current at domain events because every slot evaluation reads it.
    fd_down: Vec<Option<OutageKind>>,
}

impl Domains {
    /// The units of `topology`, all up.
    pub fn new(topology: &Topology) -> Domains {
        let fds = topology.fault_domains();
        let kinds = OutageKind::ALL.len();
        let (mut up, mut covers, mut unit_of) = (vec![], vec![], vec![vec![0; kinds]; fds]);
        for kind in OutageKind::ALL {
            let ranges: Vec<Range<u16>> = (0..kind.count(topology))
                .map(|unit| {
                    let r = kind.fault_domains(unit, topology);
                    super::id16(r.start)..super::id16(r.end)
                })
                .collect();
            for (unit, r) in ranges.iter().enumerate() {
                r.clone().for_each(|fd| unit_of[usize::from(fd)][kind as usize] = super::id16(unit));
            }
            up.push(vec![true; ranges.len()]);
            covers.push(ranges);
        }
        Domains { up, covers, unit_of, fd_down: vec![None; fds] }
    }

    /// Number of fault domains.
    pub fn fault_domains(&self) -> usize {
        self.fd_down.len()
    }

    /// Whether fault domain `fd` can run instances.
    #[inline]
    pub fn live(&self, fd: u16) -> bool {
        self.fd_down[usize::from(fd)].is_none()
    }

    /// The outage holding fault domain `fd` down, if any (the first kind in
    /// cause precedence: an availability domain's outranks a fault
    /// domain's own).
    #[inline]
    pub fn outage(&self, fd: u16) -> Option<Cause> {
        self.fd_down[usize::from(fd)].map(OutageKind::cause)
    }

    /// The kind of outage holding fault domain `fd` down, if any.
    pub fn holding(&self, fd: u16) -> Option<OutageKind> {
        self.fd_down[usize::from(fd)]
    }

    /// The kind of outage holding availability domain `ad` down as a
    /// whole, if any.
    pub fn holding_ad(&self, ad: u16) -> Option<OutageKind> {
        let first = self.covers[OutageKind::AvailabilityDomain as usize][usize::from(ad)].start;
        OutageKind::by_precedence().into_iter().filter(|k| k.whole_ads()).find(|&k| !self.unit_up(k, first))
    }

    /// Whether the unit of `kind` that fault domain `fd` belongs to is up.
    fn unit_up(&self, kind: OutageKind, fd: u16) -> bool {
        self.up[kind as usize][usize::from(self.unit_of[usize::from(fd)][kind as usize])]
    }

    /// The fault domains unit `unit` of `kind` holds down while it is out.
    pub fn fault_domains_of(&self, kind: OutageKind, unit: u16) -> Range<u16> {
        self.covers[kind as usize][usize::from(unit)].clone()
    }

    /// Sets unit `unit` of `kind` up or down.
    pub fn set(&mut self, kind: OutageKind, unit: u16, up: bool) {
        self.up[kind as usize][usize::from(unit)] = up;
        for fd in self.fault_domains_of(kind, unit) {
            self.fd_down[usize::from(fd)] = OutageKind::by_precedence().into_iter().find(|&k| !self.unit_up(k, fd));
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    pub(in super::super) use OutageKind::{AvailabilityDomain as AD, FaultDomain as FD};

    /// `ads` availability domains of `per_ad` fault domains each, with
    /// an instance in each fault domain.
    pub(in super::super) fn topology(ads: usize, per_ad: usize) -> Topology {
        Topology { availability_domains: ads, fault_domains_per_ad: per_ad, instances_per_fd: vec![1; ads * per_ad] }
    }

    /// The domains of [`topology`], all up.
    pub(in super::super) fn grid(ads: usize, per_ad: usize) -> Domains {
        Domains::new(&topology(ads, per_ad))
    }

    /// Every kind of outage declared holds down exactly the fault domains
    /// its declaration gives each unit, under its own cause: a kind needs
    /// no code here.
    #[test]
    fn every_kind_holds_down_the_fault_domains_it_declares() {
        let topology = topology(3, 2);
        for kind in OutageKind::ALL {
            for unit in 0..kind.count(&topology) {
                let mut d = Domains::new(&topology);
                d.set(kind, super::super::id16(unit), false);
                let down: Vec<usize> = (0..6).filter(|&fd| !d.live(fd as u16)).collect();
                assert_eq!(down, kind.fault_domains(unit, &topology).collect::<Vec<_>>(), "{kind:?} {unit}");
                assert!(down.iter().all(|&fd| d.outage(fd as u16) == Some(kind.cause())), "{kind:?} {unit}");
                d.set(kind, super::super::id16(unit), true);
                assert!((0..6).all(|fd| d.live(fd)), "{kind:?} {unit} back up");
            }
        }
    }

    #[test]
    fn an_availability_domain_outage_takes_its_fault_domains_and_outranks_theirs() {
        let mut d = grid(2, 3);
        d.set(FD, 4, false);
        assert!(!d.live(4) && d.live(3));
        assert_eq!(d.outage(4), Some(Cause::FdOutage));
        assert_eq!(d.fault_domains_of(AD, 1), 3..6);
        assert_eq!(d.holding_ad(1), None, "a fault domain's outage holds no whole availability domain");
        d.set(AD, 1, false);
        assert!(!d.live(3) && !d.live(5) && d.live(2));
        assert_eq!(d.outage(4), Some(Cause::AdOutage));
        assert_eq!((d.holding(4), d.holding_ad(1), d.holding_ad(0)), (Some(AD), Some(AD), None));
        d.set(AD, 1, true);
        assert!(d.live(3) && !d.live(4), "the fault domain's own outage goes on");
        assert_eq!(d.holding(4), Some(FD));
        assert_eq!(d.fault_domains(), 6);
    }
}
