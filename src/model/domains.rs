//! Availability and fault domains: which are up, and which fault domains
//! can run instances (their own and their availability domain up).

use super::id16;
use crate::cause::Cause;

/// Up/down state of every availability and fault domain.
#[derive(Clone, Debug)]
pub struct Domains {
    ad_up: Vec<bool>,
    fd_up: Vec<bool>,
    /// What holds each fault domain down (`None`: it can run instances),
    /// kept current at domain events because every slot evaluation reads it.
    fd_down: Vec<Option<Cause>>,
    fds_per_ad: usize,
}

impl Domains {
    /// `ads` availability domains of `fds_per_ad` fault domains each, all up.
    pub fn new(ads: usize, fds_per_ad: usize) -> Domains {
        let fds = ads * fds_per_ad;
        Domains { ad_up: vec![true; ads], fd_up: vec![true; fds], fd_down: vec![None; fds], fds_per_ad }
    }

    /// Number of fault domains.
    pub fn fault_domains(&self) -> usize {
        self.fd_up.len()
    }

    /// Whether fault domain `fd` can run instances.
    #[inline]
    pub fn live(&self, fd: u16) -> bool {
        self.fd_down[usize::from(fd)].is_none()
    }

    /// The outage holding fault domain `fd` down, if any: its availability
    /// domain's, which outranks its own.
    #[inline]
    pub fn outage(&self, fd: u16) -> Option<Cause> {
        self.fd_down[usize::from(fd)]
    }

    /// Whether availability domain `ad` is up.
    #[inline]
    pub fn ad_up(&self, ad: u16) -> bool {
        self.ad_up[usize::from(ad)]
    }

    /// The fault domains of availability domain `ad`.
    pub fn fds_of(&self, ad: u16) -> std::ops::Range<u16> {
        let per = id16(self.fds_per_ad);
        ad * per..(ad + 1) * per
    }

    /// Sets availability domain `ad` up or down.
    pub fn set_ad(&mut self, ad: u16, up: bool) {
        self.ad_up[usize::from(ad)] = up;
        for fd in self.fds_of(ad) {
            self.refresh(fd);
        }
    }

    /// Sets fault domain `fd` up or down.
    pub fn set_fd(&mut self, fd: u16, up: bool) {
        self.fd_up[usize::from(fd)] = up;
        self.refresh(fd);
    }

    fn refresh(&mut self, fd: u16) {
        let i = usize::from(fd);
        self.fd_down[i] = if !self.ad_up[i / self.fds_per_ad] {
            Some(Cause::AdOutage)
        } else if !self.fd_up[i] {
            Some(Cause::FdOutage)
        } else {
            None
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_availability_domain_outage_takes_its_fault_domains_and_outranks_theirs() {
        let mut d = Domains::new(2, 3);
        d.set_fd(4, false);
        assert!(!d.live(4) && d.live(3));
        assert_eq!(d.outage(4), Some(Cause::FdOutage));
        assert_eq!(d.fds_of(1), 3..6);
        d.set_ad(1, false);
        assert!(!d.live(3) && !d.live(5) && d.live(2));
        assert_eq!(d.outage(4), Some(Cause::AdOutage));
        d.set_ad(1, true);
        assert!(d.live(3) && !d.live(4), "the fault domain's own outage goes on");
    }
}
