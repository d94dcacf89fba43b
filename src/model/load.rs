//! Demand and what it does to the fleet: flash sales, the utilisation
//! thresholds the model watches (capacity, the autoscaler's, overload),
//! and crashes under overload.
//!
//! Utilisation is the demand each in-rotation backend receives over what
//! it can serve: demand / (instances in rotation × capacity). With every
//! backend in rotation healthy (nearly always) that is demand over the
//! healthy capacity. Demand is continuous, but the model never steps
//! through time: whenever capacity or the flash-sale piece changes, the
//! next crossing of each threshold is found from the profile's closed form
//! ([`Profile::next_crossing`]) and scheduled as one event.

use super::draws::Stream;
use super::slot::Proc;
use super::{Deployment, Event, SlotId};
use crate::demand::{Direction, Linear, Profile};
use crate::engine::{EventQueue, SimTime};
use crate::scenario::Scenario;
use crate::units::YEAR_SECS;
use std::sync::Arc;

/// A utilisation threshold the model watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Level {
    /// 100 %: above it, the excess fails.
    Capacity,
    /// The autoscaler's scale-out threshold.
    ScaleOut,
    /// The autoscaler's scale-in threshold.
    ScaleIn,
    /// Above it, instances crash more often.
    Overload,
}

/// The levels, each watched once at most: the most watches a load has
/// (so the flips of one event fit an array, not an allocation).
const LEVELS: usize = 4;

/// A watched threshold: whether demand is above it, and when it next
/// crosses it.
#[derive(Clone, Debug)]
struct Watch {
    level: Level,
    utilisation: f64,
    above: bool,
    next: f64,
}

/// One flash sale: a ramp up, a plateau of `height` (normalised demand
/// added), a ramp down.
#[derive(Clone, Debug)]
struct Sale {
    start: f64,
    ramp: f64,
    plateau: f64,
    height: f64,
}

impl Sale {
    /// Its phase boundaries.
    fn bounds(&self) -> [f64; 3] {
        let top = self.start + self.ramp;
        [top, top + self.plateau, top + self.plateau + self.ramp]
    }

    /// What it adds from `now` until its next boundary; `None` once over.
    fn piece(&self, now: f64) -> Option<Linear> {
        let [top, fall, end] = self.bounds();
        let (value, slope) = if now < top {
            (self.height * (now - self.start) / self.ramp, self.height / self.ramp)
        } else if now < fall {
            (self.height, 0.0)
        } else if now < end {
            (self.height * (end - now) / self.ramp, -self.height / self.ramp)
        } else {
            return None;
        };
        Some(Linear { at: now, value, slope })
    }
}

/// The demand side of one trajectory.
#[derive(Clone, Debug)]
pub(super) struct Load {
    profile: Arc<Profile>,
    /// What one instance serves (normalised demand); infinite if unlimited.
    per_instance: f64,
    sales: Vec<Sale>,
    /// What the sales under way add, and until when that holds.
    flash: Linear,
    flash_until: f64,
    flash_changed: bool,
    /// Capacity in rotation when the watches were last set (NaN: never).
    capacity: f64,
    /// Serving instances when the overload crash was last drawn.
    good: usize,
    watches: Vec<Watch>,
    /// Crossings searched since the flash sales last changed, as (level,
    /// upwards, found at; infinite if none): until `at`, the first crossing
    /// of that level that way is still `at` (time only moves on), so a
    /// capacity that comes back (a crash, then its replacement) finds it
    /// here instead of searching the profile again.
    found: Found,
    /// Extra crash rate of a serving instance while overloaded [1/s].
    overload_rate: f64,
}

/// How many crossings [`Load`] remembers.
const FOUND: usize = 8;

/// Crossings remembered, as (level, upwards, found at): a fixed array that
/// a new one enters in place of one that has passed, else of each entry
/// in turn (a vector pruned and kept in order cost flash-sale 1.7 % more
/// instructions a year).
#[derive(Clone, Debug)]
struct Found {
    entries: [(f64, bool, f64); FOUND],
    /// The entry replaced next if none has passed.
    turn: usize,
}

impl Found {
    /// Nothing remembered: no level equals NaN.
    const NONE: Found = Found { entries: [(f64::NAN, false, f64::NEG_INFINITY); FOUND], turn: 0 };

    /// The crossing of `level` that way remembered as still ahead at `now`.
    fn get(&self, level: f64, up: bool, now: f64) -> Option<f64> {
        self.entries.iter().find(|&&(l, u, at)| l == level && u == up && now < at).map(|&(.., at)| at)
    }

    /// Remembers a crossing found at `now`.
    fn put(&mut self, now: f64, crossing: (f64, bool, f64)) {
        let slot = match self.entries.iter().position(|&(.., at)| at <= now) {
            Some(passed) => passed,
            None => {
                let turn = self.turn;
                self.turn = (turn + 1) % FOUND;
                turn
            }
        };
        self.entries[slot] = crossing;
    }
}

impl Load {
    /// The demand side of `sc`, if it models traffic.
    pub(super) fn new(sc: &Scenario) -> Option<Load> {
        let traffic = sc.traffic.as_ref()?;
        let profile = traffic.profile.clone();
        let per_instance = sc.capacity.map_or(f64::INFINITY, |c| c / profile.mean_rps());
        let mut watches = vec![];
        let mut watch = |level, utilisation| watches.push(Watch { level, utilisation, above: false, next: f64::NAN });
        if sc.capacity.is_some() {
            watch(Level::Capacity, 1.0);
        }
        if let Some(a) = &sc.autoscaling {
            watch(Level::ScaleOut, a.out_above);
            watch(Level::ScaleIn, a.in_below);
        }
        let overload_rate = sc.overload.map_or(0.0, |o| (o.hazard - 1.0) / sc.crash.mean());
        if let Some(o) = sc.overload.filter(|_| overload_rate > 0.0) {
            watch(Level::Overload, o.above);
        }
        assert!(watches.len() <= LEVELS, "each level is watched once at most");
        Some(Load {
            profile,
            per_instance,
            sales: vec![],
            flash: Linear::default(),
            flash_until: f64::INFINITY,
            flash_changed: false,
            capacity: f64::NAN,
            good: 0,
            watches,
            found: Found::NONE,
            overload_rate,
        })
    }

    /// Whether demand is above `level` now.
    pub(super) fn above(&self, level: Level) -> bool {
        self.watches.iter().any(|w| w.level == level && w.above)
    }

    /// What flash sales add now.
    pub(super) fn flash(&self) -> Linear {
        self.flash
    }

    /// What the instances in rotation serve, in units of the whole
    /// demand (normalised; divided by the share of it received).
    pub(super) fn capacity(&self) -> f64 {
        self.capacity
    }

    /// Demand now (normalised).
    fn demand(&self, now: f64) -> f64 {
        self.profile.at(now) + self.flash.at(now)
    }

    /// Sets when each watch next flips, from `now`. Demand is continuous
    /// between segment boundaries, so the next flip is of the nearest
    /// threshold above demand or the nearest below: only those two are
    /// searched, the others cannot flip first.
    fn plan(&mut self, now: f64) {
        let nearest = |above: bool| {
            let candidates = self.watches.iter().enumerate().filter(|(_, w)| w.above == above);
            let pick = if above {
                candidates.max_by(|a, b| a.1.utilisation.total_cmp(&b.1.utilisation))
            } else {
                candidates.min_by(|a, b| a.1.utilisation.total_cmp(&b.1.utilisation))
            };
            pick.map(|(k, w)| (k, w.utilisation))
        };
        let targets = [nearest(false), nearest(true)];
        for w in &mut self.watches {
            w.next = f64::INFINITY;
        }
        if self.capacity == 0.0 || self.capacity == f64::INFINITY {
            // Nothing in rotation, or no demand sent here: nothing to
            // compare demand with.
            return;
        }
        for (k, utilisation) in targets.into_iter().flatten() {
            let direction = if self.watches[k].above { Direction::Down } else { Direction::Up };
            let level = utilisation * self.capacity;
            let next = self.next_crossing(now, level, direction);
            // Thresholds of equal utilisation flip together.
            for w in self.watches.iter_mut().filter(|w| w.utilisation == utilisation) {
                w.next = next.unwrap_or(f64::INFINITY);
            }
        }
    }
}

impl Load {
    /// [`Profile::next_crossing`] of `level` from `now` with the flash sales
    /// under way, remembered (see [`Load::found`]; none found is kept as
    /// infinitely far: demand repeats yearly and the flash sales' horizon
    /// is fixed, so a later search finds none either). Exact: a search from
    /// a later time before the crossing finds the same one, to the bit.
    fn next_crossing(&mut self, now: f64, level: f64, direction: Direction) -> Option<f64> {
        let up = direction == Direction::Up;
        let at = match self.found.get(level, up, now) {
            Some(at) => at,
            None => {
                let at = self.profile.next_crossing(now, level, direction, self.flash, self.flash_until);
                let at = at.unwrap_or(f64::INFINITY);
                self.found.put(now, (level, up, at));
                at
            }
        };
        at.is_finite().then_some(at)
    }
}

impl Deployment<'_> {
    /// Schedules the first flash sale, if any are modelled.
    pub(super) fn start_load(&mut self, q: &mut EventQueue<Event>) {
        if let Some(f) = self.sc.traffic.as_ref().and_then(|t| t.flash_sale.as_ref()) {
            let gap = self.draws.exponential(Stream::Traffic, YEAR_SECS / f.per_year);
            self.schedule(q, SimTime::from_secs(gap), Event::FlashSale);
        }
    }

    /// A flash sale begins: the next is scheduled, this one's shape drawn.
    pub(super) fn flash_sale(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let traffic = self.sc.traffic.as_ref().expect("flash sales need traffic");
        let f = traffic.flash_sale.as_ref().expect("scheduled only when configured");
        let gap = self.draws.exponential(Stream::Traffic, YEAR_SECS / f.per_year);
        self.schedule(q, now + gap, Event::FlashSale);
        let (low, high) = f.multiplier;
        let multiplier = low + (high - low) * self.draws.uniform(Stream::Traffic);
        let ramp = self.draws.sample(Stream::Traffic, &f.ramp);
        let plateau = self.draws.sample(Stream::Traffic, &f.duration);
        let height = (multiplier - 1.0) * traffic.rps / traffic.profile.mean_rps();
        let sale = Sale { start: now.secs(), ramp, plateau, height };
        self.load_mut().sales.push(sale);
        self.flash_phase(now, q);
    }

    /// A flash sale changes phase: what the sales add is recomputed, and
    /// the next change of any sale under way is scheduled.
    pub(super) fn flash_phase(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let t = now.secs();
        let load = self.load_mut();
        load.sales.retain(|s| s.bounds()[2] > t);
        let mut flash = Linear { at: t, value: 0.0, slope: 0.0 };
        let mut until = f64::INFINITY;
        for sale in &load.sales {
            let piece = sale.piece(t).expect("finished sales were dropped");
            flash.value += piece.value;
            flash.slope += piece.slope;
            until = until.min(sale.bounds().into_iter().filter(|&b| b > t).fold(f64::INFINITY, f64::min));
        }
        (load.flash, load.flash_until, load.flash_changed) = (flash, until, true);
        load.found = Found::NONE;
        self.ledger.set_flash(t, flash);
        if until.is_finite() {
            self.schedule(q, SimTime::from_secs(until), Event::FlashPhase);
        }
    }

    fn load_mut(&mut self) -> &mut Load {
        self.load.as_mut().expect("traffic is modelled")
    }

    /// After an event: if the capacity in rotation or the flash sales
    /// changed, re-sets every watch and schedules the next crossing; if the
    /// serving instances changed, redraws the next crash under overload.
    /// Returns whether the capacity changed (the service must be re-evaluated).
    pub(super) fn update_load(&mut self, now: SimTime, q: &mut EventQueue<Event>) -> bool {
        let Some(load) = self.load.as_mut() else { return false };
        let t = now.secs();
        let in_rotation = self.fleet.in_rotation();
        // Receiving share s of the demand d, the instances are at
        // utilisation s·d / (n·c): demand is compared with n·c / s.
        let share = self.share;
        let capacity = if share > 0.0 { in_rotation as f64 * load.per_instance / share } else { f64::INFINITY };
        let changed = capacity != load.capacity;
        if changed || load.flash_changed {
            load.capacity = capacity;
            load.flash_changed = false;
            let demand = load.demand(t);
            let mut flips = [None; LEVELS];
            for (flip, w) in flips.iter_mut().zip(&mut load.watches) {
                // With nothing in rotation, utilisation is unbounded
                // (unless nothing is sent here).
                let above = share > 0.0 && (in_rotation == 0 || demand > w.utilisation * capacity);
                if above != w.above {
                    *flip = Some(w.level);
                }
                w.above = above;
            }
            load.plan(t);
            self.schedule_crossing(q);
            for level in flips.into_iter().flatten() {
                self.crossed(level, now, q);
            }
            self.scaling_signal(now, q);
        }
        let load = self.load.as_ref().expect("checked above");
        if self.fleet.good() != load.good {
            self.draw_overload_crash(now, q);
        }
        changed
    }

    /// Schedules the earliest crossing of any watch.
    fn schedule_crossing(&self, q: &mut EventQueue<Event>) {
        let load = self.load.as_ref().expect("traffic is modelled");
        let next = load.watches.iter().map(|w| w.next).fold(f64::INFINITY, f64::min);
        if next.is_finite() {
            self.schedule(q, SimTime::from_secs(next), Event::Crossing);
        } else {
            q.cancel(self.timers.of(&Event::Crossing));
        }
    }

    /// Demand crosses one or more thresholds now.
    pub(super) fn crossing(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let t = now.secs();
        let load = self.load_mut();
        // The thresholds due flip by their direction (demand sits on them
        // now); any other that demand jumped past (a step at a segment
        // boundary) flips by value.
        let capacity = load.capacity;
        // Demand is no higher than a level it falls to now, and no lower
        // than one it rises to, whatever rounding at the end of a steep
        // segment says (else two thresholds can flip each other back and
        // forth at one instant for ever).
        let (mut high, mut low) = (f64::INFINITY, f64::NEG_INFINITY);
        for w in load.watches.iter().filter(|w| w.next <= t) {
            let level = w.utilisation * capacity;
            if w.above { high = high.min(level) } else { low = low.max(level) }
        }
        let demand = load.demand(t).min(high).max(low);
        let mut flips = [None; LEVELS];
        for (flip, w) in flips.iter_mut().zip(&mut load.watches) {
            let above = if w.next <= t { !w.above } else { demand > w.utilisation * capacity };
            if above != w.above {
                w.above = above;
                *flip = Some(w.level);
            }
        }
        load.plan(t);
        self.schedule_crossing(q);
        for level in flips.into_iter().flatten() {
            self.crossed(level, now, q);
        }
        self.scaling_signal(now, q);
    }

    /// What a threshold's flip does.
    fn crossed(&mut self, level: Level, now: SimTime, q: &mut EventQueue<Event>) {
        match level {
            Level::Capacity => self.dirty = true,
            Level::Overload => self.draw_overload_crash(now, q),
            // The autoscaler reads every threshold once they are all set.
            Level::ScaleOut | Level::ScaleIn => {}
        }
    }

    /// Draws when the next serving instance crashes from overload (the
    /// extra hazard is exponential: memoryless, so redrawing whenever the
    /// number of serving instances changes is exact).
    fn draw_overload_crash(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let good = self.fleet.good();
        let load = self.load_mut();
        load.good = good;
        let rate = load.overload_rate * good as f64;
        if rate > 0.0 && load.above(Level::Overload) {
            let after = self.draws.exponential(Stream::Traffic, 1.0 / rate);
            self.schedule(q, now + after, Event::OverloadCrash);
        } else {
            q.cancel(self.timers.of(&Event::OverloadCrash));
        }
    }

    /// A serving instance, chosen uniformly, crashes from overload.
    pub(super) fn overload_crash(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let good: Vec<SlotId> = self.fleet.ids().filter(|&id| self.fleet.slot(id).counted().good).collect();
        let pick = (self.draws.uniform(Stream::Traffic) * good.len() as f64) as usize;
        let id = good[pick.min(good.len() - 1)];
        self.settle(id, now, q);
        self.set_proc(id, Proc::Crashed, q);
        self.refresh_with(id, now, q, false);
        self.draw_overload_crash(now, q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// A remembered crossing is the one a new search finds, to the bit:
    /// searched from times a few hours apart, at levels that come back,
    /// up and down, found or not (a level above the year's peak), with and
    /// without a flash sale's ramp under way.
    #[test]
    fn remembered_crossings_are_what_a_search_finds() {
        let text = crate::embedded::scenario("flash-sale").expect("bundled");
        let sc = Scenario::from_toml(text, "flash-sale", &[]).expect("valid");
        let mut load = Load::new(&sc).expect("traffic is modelled");
        let mut rng = crate::rng::stream(7, 0, 0);
        let (mut t, mut remembered) = (0.0, 0);
        for step in 0..40_000 {
            t += rng.random::<f64>() * 7_200.0;
            if step == 20_000 {
                // A ramp for three days: the search walks segment by segment.
                (load.flash, load.flash_until) = (Linear { at: t, value: 0.3, slope: 1e-6 }, t + 3.0 * 86_400.0);
                load.found = Found::NONE;
            }
            let level = [0.5, 0.9, 1.0, 1.3, 1e9][rng.random_range(0..5)];
            let direction = if rng.random::<bool>() { Direction::Up } else { Direction::Down };
            let up = direction == Direction::Up;
            remembered += usize::from(load.found.get(level, up, t).is_some());
            let fresh = load.profile.next_crossing(t, level, direction, load.flash, load.flash_until);
            assert_eq!(load.next_crossing(t, level, direction).map(f64::to_bits), fresh.map(f64::to_bits), "at {t}");
        }
        assert!(remembered > 10_000, "most searches were remembered: {remembered}");
    }

    /// A crossing found takes the place of one that has passed, else of
    /// each in turn; a passed one is never returned.
    #[test]
    fn remembered_crossings_replace_passed_ones_first() {
        let mut found = Found::NONE;
        let at = |k: usize| 200.0 - 10.0 * k as f64;
        (0..FOUND).for_each(|k| found.put(0.0, (k as f64, true, at(k))));
        assert!((0..FOUND).all(|k| found.get(k as f64, true, 50.0) == Some(at(k))));
        assert_eq!(found.get(1.0, false, 50.0), None, "the other way");
        // None has passed: the first in turn goes.
        found.put(50.0, (20.0, false, 300.0));
        assert_eq!((found.get(0.0, true, 50.0), found.get(20.0, false, 50.0)), (None, Some(300.0)));
        // The last one (due at 130) has passed: it goes, not the next in turn.
        found.put(135.0, (21.0, true, 400.0));
        assert_eq!((found.get(7.0, true, 120.0), found.get(1.0, true, 135.0)), (None, Some(at(1))));
        assert_eq!(found.get(21.0, true, 135.0), Some(400.0));
        assert_eq!(found.get(6.0, true, 140.0), None, "passed");
    }

    /// A sale adds a trapezoid: each piece starts where the last one ends,
    /// half the height halfway up and down, nothing once over.
    #[test]
    fn a_sale_is_a_trapezoid() {
        let sale = Sale { start: 1e7, ramp: 3_600.0, plateau: 7_200.0, height: 2.0 };
        let [top, fall, end] = sale.bounds();
        assert_eq!([top, fall, end], [1e7 + 3_600.0, 1e7 + 10_800.0, 1e7 + 14_400.0]);
        let value = |t: f64| sale.piece(t).map(|p| p.at(t));
        assert_eq!(value(sale.start), Some(0.0));
        assert_eq!(value(sale.start + 1_800.0), Some(1.0));
        assert_eq!(value(fall - 1_000.0), Some(2.0));
        assert_eq!(value(end - 1_800.0), Some(1.0));
        assert_eq!(value(end), None);
        for (from, to) in [(sale.start, top), (top, fall), (fall, end)] {
            let piece = sale.piece(from).expect("under way");
            let next = sale.piece(to).map_or(0.0, |p| p.value);
            assert!((piece.at(to) - next).abs() < 1e-9, "continuous at {to}: {} then {next}", piece.at(to));
        }
    }
}
