//! How failed instances come back: the on-call alerted by monitoring, and
//! the instance pool that terminates and replaces what the load balancer
//! marks unhealthy.

use super::slot::Proc;
use super::{Deployment, Event, health};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::Repair;
use rand::RngExt;

impl Deployment<'_> {
    /// Monitoring has alerted an operator about slot `i`'s failure episode.
    pub(super) fn on_alert(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        self.slots[i].detected = true;
        if self.lb().is_some() && self.slots[i].checked_in() {
            // Taken out of rotation by hand.
            self.mark_down(i);
        }
        let instance_broken = matches!(self.slots[i].proc, Proc::Crashed | Proc::Gray);
        match &self.sc.repair {
            Repair::Pool { .. } if instance_broken || self.slots[i].proc == Proc::Running => self.replace(i, now, q),
            Repair::Manual { time } if instance_broken => {
                self.slots[i].set_proc(Proc::Repairing);
                let at = now + time.sample(&mut self.slot_rng[i]);
                q.schedule(at, Event::Ready(i as u16, self.slots[i].life));
            }
            _ => {}
        }
        self.refresh(i, now, q);
    }

    /// The pool terminates slot `i`'s instance and launches a replacement.
    pub(super) fn replace(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        let Repair::Pool { register, .. } = self.sc.repair else { unreachable!("pool only") };
        if matches!(self.slots[i].proc, Proc::Repairing | Proc::WaitingFd) {
            return;
        }
        let slot = &mut self.slots[i];
        // A new backend, unknown to the health checker until it runs.
        slot.lb = health::Tracker::new(false, false, now.secs());
        slot.hc_epoch += 1;
        slot.registered = register;
        slot.detected = true;
        self.launch(i, now, q);
    }

    /// Starts the launch of slot `i`'s replacement: in its own fault domain
    /// if that is up, else in the least-loaded one that is up if the pool may
    /// place it elsewhere, else it waits.
    pub(super) fn launch(&mut self, i: usize, now: SimTime, q: &mut EventQueue<Event>) {
        let Repair::Pool { replacement, cross_fd, .. } = &self.sc.repair else { unreachable!("pool only") };
        let home = self.slots[i].fd;
        let target = if self.fd_ok(home) {
            Some(home)
        } else if *cross_fd {
            (0..self.fd_up.len() as u16)
                .filter(|&f| self.fd_ok(f))
                .min_by_key(|&f| self.slots.iter().filter(|s| s.fd == f).count())
        } else {
            None
        };
        match target {
            Some(fd) => {
                let slot = &mut self.slots[i];
                slot.fd = fd;
                slot.set_proc(Proc::Repairing);
                let at = now + replacement.sample(&mut self.slot_rng[i]);
                if let Some(hc) = self.health_check() {
                    // A new backend: a new probe phase.
                    self.slots[i].phase = self.slot_rng[i].random::<f64>() * hc.interval;
                }
                q.schedule(at, Event::Ready(i as u16, self.slots[i].life));
            }
            None => self.slots[i].set_proc(Proc::WaitingFd),
        }
    }
}
