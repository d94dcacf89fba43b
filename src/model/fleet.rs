//! The fleet: every instance slot, which fault domain holds which, and the
//! counters the service evaluation reads. Keeping the counters here, updated
//! slot by slot in [`Fleet::sync`], makes evaluating the service O(causes)
//! instead of O(instances), so a 10,000-instance design costs per event
//! what a six-instance one does.

use super::domains::Domains;
use super::id16;
use super::slot::{Counted, Proc, Slot};
use crate::cause::Cause;

/// Identifies a slot of the fleet; ids are stable for the slot's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotId(pub u32);

impl SlotId {
    /// As an index into per-slot vectors.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Every slot and the counts of what they do.
#[derive(Clone, Debug)]
pub struct Fleet {
    slots: Vec<Slot>,
    /// The slots of each fault domain (retired ones leave).
    members: Vec<Vec<SlotId>>,
    /// Slots terminated after a scale-in, free for a scale-out.
    free: Vec<SlotId>,
    has_lb: bool,
    in_rotation: usize,
    good: usize,
    holding: usize,
    /// Slots in rotation that fail requests, by reason (fixed-cause index).
    failing_in_rotation: [u32; Cause::FIXED],
    /// Slots that do not serve, in rotation or not, by reason.
    not_good: [u32; Cause::FIXED],
    /// Whether a counter changed since [`Fleet::take_changed`] last asked.
    changed: bool,
}

impl Fleet {
    /// An empty fleet over `fault_domains` fault domains, behind a load
    /// balancer or not.
    pub fn new(fault_domains: usize, has_lb: bool) -> Fleet {
        Fleet {
            slots: vec![],
            members: vec![vec![]; fault_domains],
            free: vec![],
            has_lb,
            in_rotation: 0,
            good: 0,
            holding: 0,
            failing_in_rotation: [0; Cause::FIXED],
            not_good: [0; Cause::FIXED],
            changed: false,
        }
    }

    /// Adds an instance in fault domain `fd`, in a freed slot if there is
    /// one: healthy and in rotation if `running`, else not counted until
    /// its launch is set up and the slot synced. Returns its id and whether
    /// the slot is new (rather than reused).
    pub fn add(&mut self, fd: u16, running: bool) -> (SlotId, bool) {
        let slot = if running { Slot::new(fd) } else { Slot::launching(fd) };
        let (id, new) = match self.free.pop() {
            Some(id) => (id, false),
            None => (SlotId(u32::try_from(self.slots.len()).expect("instance count is validated")), true),
        };
        self.count(&slot.counted(), 1);
        if new {
            self.slots.push(slot);
        } else {
            let freed = std::mem::replace(&mut self.slots[id.index()], slot);
            self.count(&freed.counted(), -1);
        }
        self.members[usize::from(fd)].push(id);
        (id, new)
    }

    /// Takes slot `id`, already [`Proc::Retired`] and synced, out of its
    /// fault domain: it drains until [`Fleet::free`].
    pub fn retire(&mut self, id: SlotId) {
        let fd = self.slots[id.index()].fd();
        self.members[usize::from(fd)].retain(|&s| s != id);
    }

    /// Slot `id`'s instance is terminated: the slot is free for reuse.
    pub fn free(&mut self, id: SlotId) {
        self.free.push(id);
    }

    /// Every slot id, in order, whether in use or free.
    pub fn all_ids(&self) -> impl Iterator<Item = SlotId> + use<> {
        (0..self.slots.len() as u32).map(SlotId)
    }

    /// The ids of the slots in service (not retired), in order.
    pub fn ids(&self) -> impl Iterator<Item = SlotId> + '_ {
        self.all_ids().filter(|&id| self.slots[id.index()].proc() != Proc::Retired)
    }

    /// Instances in service (not retired): the pool's size.
    pub fn size(&self) -> usize {
        self.members.iter().map(Vec::len).sum()
    }

    /// Instances that exist and are paid for: in service or draining.
    pub fn billed(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// The fault domain with the most slots in service (the last of equals).
    pub fn most_loaded_fd(&self) -> u16 {
        (0..id16(self.members.len())).max_by_key(|&f| self.members[usize::from(f)].len()).unwrap_or(0)
    }

    /// The slots in fault domain `fd`.
    pub fn in_fd(&self, fd: u16) -> &[SlotId] {
        &self.members[usize::from(fd)]
    }

    /// Fault domains holding at least one slot, in order.
    pub fn occupied_fds(&self) -> impl Iterator<Item = u16> + '_ {
        (0..id16(self.members.len())).filter(|&f| !self.members[usize::from(f)].is_empty())
    }

    /// Slot `id`.
    #[inline]
    pub fn slot(&self, id: SlotId) -> &Slot {
        &self.slots[id.index()]
    }

    /// Slot `id`, to change; [`Fleet::sync`] it afterwards.
    #[inline]
    pub fn slot_mut(&mut self, id: SlotId) -> &mut Slot {
        &mut self.slots[id.index()]
    }

    /// Moves slot `id` to fault domain `fd` (a replacement placed elsewhere).
    pub fn move_to(&mut self, id: SlotId, fd: u16) {
        let from = self.slots[id.index()].fd();
        if from != fd {
            self.members[usize::from(from)].retain(|&s| s != id);
            self.members[usize::from(fd)].push(id);
            self.slots[id.index()].set_fd(fd);
        }
    }

    /// The live fault domain holding the fewest slots, if any is live.
    pub fn least_loaded_live_fd(&self, domains: &Domains) -> Option<u16> {
        (0..id16(self.members.len())).filter(|&f| domains.live(f)).min_by_key(|&f| self.members[usize::from(f)].len())
    }

    /// The fault domain holding the fewest slots, live or not.
    pub fn least_loaded_fd(&self) -> u16 {
        (0..id16(self.members.len())).min_by_key(|&f| self.members[usize::from(f)].len()).unwrap_or(0)
    }

    /// Slots in rotation.
    #[inline]
    pub fn in_rotation(&self) -> usize {
        self.in_rotation
    }

    /// Slots in rotation that serve.
    #[inline]
    pub fn good(&self) -> usize {
        self.good
    }

    /// Slots holding sessions.
    pub fn holding(&self) -> usize {
        self.holding
    }

    /// The highest-ranked reason among slots that do not serve.
    pub fn worst_reason(&self) -> Option<Cause> {
        self.not_good.iter().position(|&n| n > 0).map(|i| Cause::ALL_FIXED[i])
    }

    /// Reasons of in-rotation slots that fail requests, with how many fail
    /// for each, in precedence order.
    pub fn failing_in_rotation(&self) -> impl Iterator<Item = (Cause, u32)> + '_ {
        self.failing_in_rotation.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, &n)| (Cause::ALL_FIXED[i], n))
    }

    /// Re-counts slot `id` after a change to it or its domain. Returns
    /// whether it lost the sessions it held (it held some and its process
    /// is no longer reachable).
    #[inline]
    pub fn sync(&mut self, id: SlotId, domains: &Domains) -> bool {
        let s = &self.slots[id.index()];
        let now = self.counted(s, domains);
        let before = s.counted();
        let lost = before.holds_sessions && !s.visible();
        if now != before {
            self.count(&before, -1);
            self.count(&now, 1);
            self.slots[id.index()].set_counted(now);
            self.changed = true;
        }
        lost
    }

    /// Whether any counter changed since the last call: if none did, what
    /// the fleet serves is unchanged.
    #[inline]
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// What slot `s` contributes to the counters in its present state.
    #[inline]
    fn counted(&self, s: &Slot, domains: &Domains) -> Counted {
        if s.proc() == Proc::Retired {
            return Counted::NONE;
        }
        let outage = domains.outage(s.fd());
        let in_rotation = s.rotating(self.has_lb);
        let good = in_rotation && s.serving(outage.is_none());
        Counted {
            in_rotation,
            good,
            holds_sessions: in_rotation && s.visible(),
            reason: if good { Cause::InstanceFailure } else { s.reason(outage) },
        }
    }

    /// Adds (`sign` 1) or removes (−1) one slot's contribution.
    #[inline]
    fn count(&mut self, c: &Counted, sign: i32) {
        let add = |counter: &mut usize, on: bool| {
            if on {
                *counter = counter.wrapping_add_signed(sign as isize);
            }
        };
        add(&mut self.in_rotation, c.in_rotation);
        add(&mut self.good, c.good);
        add(&mut self.holding, c.holds_sessions);
        if !c.good {
            let r = c.reason.fixed_index();
            self.not_good[r] = self.not_good[r].wrapping_add_signed(sign);
            if c.in_rotation {
                self.failing_in_rotation[r] = self.failing_in_rotation[r].wrapping_add_signed(sign);
            }
        }
    }

    /// Whether every slot was synced since its last change and the
    /// counters agree with a count from scratch (for debug checks).
    pub fn consistent(&self, domains: &Domains) -> bool {
        let mut fresh = Fleet::new(self.members.len(), self.has_lb);
        for s in &self.slots {
            let counted = self.counted(s, domains);
            if counted != s.counted() {
                return false;
            }
            fresh.count(&counted, 1);
        }
        (fresh.in_rotation, fresh.good, fresh.holding, fresh.failing_in_rotation, fresh.not_good)
            == (self.in_rotation, self.good, self.holding, self.failing_in_rotation, self.not_good)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::domains::tests::{AD, FD, grid};

    /// Where the pool and the autoscaler place and remove instances: the
    /// least-loaded live domain (else the least-loaded of all), the most
    /// loaded one (the last of equals), as slots come and move.
    #[test]
    fn domains_are_ranked_by_the_slots_they_hold() {
        let mut fleet = Fleet::new(4, true);
        let mut domains = grid(2, 2);
        let ids: Vec<SlotId> = [0, 0, 1, 1, 2, 3, 3].iter().map(|&fd| fleet.add(fd, true).0).collect();
        assert_eq!((fleet.least_loaded_fd(), fleet.most_loaded_fd()), (2, 3));
        domains.set(FD, 2, false);
        assert_eq!(fleet.least_loaded_live_fd(&domains), Some(0), "the first of equals");
        domains.set(AD, 0, false);
        assert_eq!(fleet.least_loaded_live_fd(&domains), Some(3));
        domains.set(AD, 1, false);
        assert_eq!(fleet.least_loaded_live_fd(&domains), None);
        assert_eq!(fleet.least_loaded_fd(), 2);
        fleet.move_to(ids[0], 2);
        assert_eq!((fleet.least_loaded_fd(), fleet.most_loaded_fd()), (0, 3));
        assert_eq!((fleet.in_fd(0), fleet.in_fd(2)), (&[ids[1]][..], &[ids[4], ids[0]][..]));
        fleet.move_to(ids[1], 1);
        assert!(fleet.occupied_fds().eq([1, 2, 3]));
        assert_eq!((fleet.least_loaded_fd(), fleet.size()), (0, 7));
    }
}
