//! Availability and fault domains: which are up, and which fault domains
//! can run instances (their own and their availability domain up).

use crate::cause::Cause;

/// Up/down state of every availability and fault domain.
#[derive(Clone, Debug)]
pub struct Domains {
    ad_up: Vec<bool>,
    fd_up: Vec<bool>,
    /// Fault domain up and its availability domain up, kept current at
    /// domain events because every slot evaluation reads it.
    fd_live: Vec<bool>,
    fds_per_ad: usize,
}

impl Domains {
    /// `ads` availability domains of `fds_per_ad` fault domains each, all up.
    pub fn new(ads: usize, fds_per_ad: usize) -> Domains {
        let fds = ads * fds_per_ad;
        Domains { ad_up: vec![true; ads], fd_up: vec![true; fds], fd_live: vec![true; fds], fds_per_ad }
    }

    /// Number of fault domains.
    pub fn fault_domains(&self) -> usize {
        self.fd_up.len()
    }

    /// Whether fault domain `fd` can run instances.
    #[inline]
    pub fn live(&self, fd: u16) -> bool {
        self.fd_live[usize::from(fd)]
    }

    /// The outage holding fault domain `fd` down (meaningful only when it is
    /// down): its availability domain's, which outranks its own.
    pub fn outage_cause(&self, fd: u16) -> Cause {
        if self.ad_up[usize::from(fd) / self.fds_per_ad] { Cause::FdOutage } else { Cause::AdOutage }
    }

    /// Sets availability domain `ad` up or down; returns the fault domains it holds.
    pub fn set_ad(&mut self, ad: u16, up: bool) -> std::ops::Range<u16> {
        self.ad_up[usize::from(ad)] = up;
        let per = self.fds_per_ad as u16;
        let fds = ad * per..(ad + 1) * per;
        for fd in fds.clone() {
            self.refresh(fd);
        }
        fds
    }

    /// Sets fault domain `fd` up or down.
    pub fn set_fd(&mut self, fd: u16, up: bool) {
        self.fd_up[usize::from(fd)] = up;
        self.refresh(fd);
    }

    fn refresh(&mut self, fd: u16) {
        let i = usize::from(fd);
        self.fd_live[i] = self.fd_up[i] && self.ad_up[i / self.fds_per_ad];
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
        assert_eq!(d.outage_cause(4), Cause::FdOutage);
        assert_eq!(d.set_ad(1, false), 3..6);
        assert!(!d.live(3) && !d.live(5) && d.live(2));
        assert_eq!(d.outage_cause(4), Cause::AdOutage);
        d.set_ad(1, true);
        assert!(d.live(3) && !d.live(4), "the fault domain's own outage goes on");
    }
}
