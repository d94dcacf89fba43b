//! Several regions behind DNS: one [`Deployment`] per region, each with
//! its own queue and random streams, and the front that routes demand
//! between them.
//!
//! The front owns what spans regions: each region's own outage process,
//! the global health check of each region's endpoint (a region is
//! healthy while it is not out and something in it serves; the check
//! marks it down or up as the instances' checker does: the first probe
//! after the change, at the region's fixed phase, then threshold − 1
//! intervals), the DNS answer (active-active: the healthy regions by
//! weight; active-passive: the active region, moved after a failover),
//! and the share of clients whose cached answer names each region.
//!
//! DNS caches are uniformly aged: after a change of answer, the share of
//! clients on the old answer falls linearly over one TTL. It is taken in
//! [`DNS_STEPS`] equal steps at the midpoints of equal slices of the TTL,
//! which integrates a linear fall exactly (the stranded requests of a
//! region lost with share w are w × TTL / 2 under constant demand), and
//! keeps the share constant between events, as the ledger needs. Each
//! step re-routes the regions' demand: their capacity and autoscaling see
//! the share they receive.
//!
//! The global dependencies are simulated in the home region (the first)
//! and mirrored into the others. Each region measures itself as a
//! deployment alone would; the front combines them (shares of the
//! requests by region, the excess over each region's capacity as its own
//! term) into the one ledger that tallies the trajectory.

use super::draws;
use super::timeline::Sample;
use super::{Deployment, Event, Place, Trajectory, meter};
use crate::cause::{Cause, CauseId};
use crate::engine::{self, EventQueue, SimTime, Timer};
use crate::rng::Rng;
use crate::scenario::{DNS_STEPS, Failover, RegionMode, RegionReason, Regions, Scenario, Storage};
use crate::stats::{Excess, Ledger, ServiceState, Share, Tally};
use rand::RngExt;

/// The front's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Front {
    /// Region `region`'s own outage begins or ends.
    Flip { region: u16, up: bool },
    /// The global health check marks a region down or up (as it is now).
    Mark(u16),
    /// Active-passive: an operator decides to fail a region over (`done`
    /// false), or its failover's switch completes.
    Failover { region: u16, done: bool },
    /// The next DNS step.
    Dns,
}

impl Front {
    fn timer(self, regions: usize) -> Timer {
        let r = |region: u16| 3 * u32::from(region);
        Timer(match self {
            Front::Flip { region, .. } => r(region),
            Front::Mark(region) => r(region) + 1,
            Front::Failover { region, .. } => r(region) + 2,
            Front::Dns => 3 * regions as u32,
        })
    }
}

/// One region: its deployment and what the front knows of it.
#[derive(Clone, Debug)]
struct Region<'s> {
    model: Deployment<'s>,
    queue: EventQueue<Event>,
    /// Its outages, probe phase and failover times.
    rng: Rng,
    /// Its own outage is under way.
    out: bool,
    /// Passes the global health check: not out, its load balancer up with
    /// a backend in rotation and its required dependencies up (a deep
    /// check; a gray failure or a bad release passes it, as on the load
    /// balancer).
    healthy: bool,
    /// Healthy as the global health check last marked it.
    marked: bool,
    /// The global health check's probes come at `phase` + k × interval.
    phase: f64,
    /// Active-passive: a failover away from it is under way.
    failing_over: bool,
    /// The share of demand routed to it.
    share: f64,
}

/// A DNS change reaching the clients step by step.
#[derive(Clone, Debug)]
struct Move {
    from: Vec<f64>,
    to: Vec<f64>,
    start: f64,
    step: u32,
}

/// A trajectory of a scenario with regions.
#[derive(Clone, Debug)]
pub(super) struct Multi<'s> {
    sc: &'s Scenario,
    spec: &'s Regions,
    regions: Vec<Region<'s>>,
    front: EventQueue<Front>,
    /// Active-passive: the region DNS answers with.
    active: usize,
    dns: Option<Move>,
    /// The reasons a region's requests fail for, and the cause number of
    /// the first region's first.
    reasons: Vec<RegionReason>,
    first_cause: u16,
    /// The global dependencies.
    global: Vec<u16>,
    billed: (u32, bool),
    state: ServiceState,
    ledger: Ledger,
    /// Samples of the year being recorded for a timeline, if any, and
    /// when that year starts [s].
    recording: Option<(Vec<Sample>, f64)>,
}

impl<'s> Multi<'s> {
    /// Every region healthy at time 0, drawing from chunk `chunk`'s streams.
    pub(super) fn new(sc: &'s Scenario, chunk: u64) -> Multi<'s> {
        let spec = sc.regions.as_ref().expect("a scenario with regions");
        let shares = spec.initial_shares();
        let mut regions: Vec<Region<'s>> = shares
            .iter()
            .enumerate()
            .map(|(r, &share)| {
                let mut queue = EventQueue::new();
                let model = Deployment::at(sc, chunk, Place { index: r as u64, share }, &mut queue);
                let mut rng = draws::front(sc.simulation.seed, chunk, r as u64);
                let phase = rng.random::<f64>() * spec.check.interval;
                Region { model, queue, rng, out: false, healthy: true, marked: true, phase, failing_over: false, share }
            })
            .collect();
        let mut front = EventQueue::new();
        if let Some(outage) = &spec.outage {
            for (r, region) in regions.iter_mut().enumerate() {
                let event = Front::Flip { region: r as u16, up: false };
                // A uniform phase within the first time to failure: the
                // regions fail independently, even with constant laws.
                let first = outage.failure.sample(&mut region.rng) * region.rng.random::<f64>();
                let at = SimTime::ZERO + first;
                front.schedule(event.timer(shares.len()), at, event);
            }
        }
        let billed = regions.iter().map(|r| r.model.billed()).fold((0, false), |a, b| (a.0 + b.0, a.1 | b.1));
        let global = (0..sc.dependencies.len()).filter(|&i| sc.dependencies[i].global).map(|i| i as u16).collect();
        let mut multi = Multi {
            sc,
            spec,
            regions,
            front,
            active: 0,
            dns: None,
            reasons: spec.reasons(),
            first_cause: sc.dependency_causes().len() as u16,
            global,
            billed,
            state: ServiceState::default(),
            ledger: Ledger::new(meter(sc, chunk, billed)),
            recording: None,
        };
        for r in 0..multi.regions.len() {
            multi.check_health(r, SimTime::ZERO);
        }
        multi.combine(SimTime::ZERO);
        multi
    }

    /// The cause of region `r`'s `reason`.
    fn cause(&self, r: usize, reason: RegionReason) -> Cause {
        let k = self.reasons.iter().position(|&x| x == reason).expect("a reason the scenario has");
        Cause::Named(self.first_cause + (r * self.reasons.len() + k) as u16)
    }

    /// Handles the next event of the front or of a region, if one is due
    /// by `end`; returns its time.
    fn next(&mut self, end: SimTime) -> Option<SimTime> {
        let mut next = self.front.peek_time().map(|t| (t, None));
        for (r, region) in self.regions.iter().enumerate() {
            if let Some(t) = region.queue.peek_time()
                && next.is_none_or(|(n, _)| t < n)
            {
                next = Some((t, Some(r)));
            }
        }
        let (at, who) = next.filter(|(at, _)| *at <= end)?;
        self.ledger.advance(at.secs());
        match who {
            None => {
                let (now, event) = self.front.pop().expect("peeked");
                self.handle(now, event);
            }
            Some(r) => {
                let region = &mut self.regions[r];
                let (now, event) = region.queue.pop().expect("peeked");
                engine::Model::handle(&mut region.model, now, event, &mut region.queue);
                if r == 0 {
                    self.mirror(now);
                }
                self.check_health(r, now);
                self.bill(now);
            }
        }
        self.combine(at);
        if let Some((mut samples, from)) = self.recording.take() {
            samples.push(self.sample(at.secs() - from));
            self.recording = Some((samples, from));
        }
        Some(at)
    }

    /// The state now, for the timeline: the first region's components,
    /// every region's health and share, the service over all of them.
    fn sample(&self, t: f64) -> Sample {
        let mut sample = self.regions[0].model.sample(t);
        let state = self.ledger.state();
        (sample.up, sample.cause, sample.failing) = (state.up, state.down_cause, state.failing);
        sample.regions = (0..self.regions.len()).map(|q| (self.serves(q), self.regions[q].share)).collect();
        sample
    }

    fn schedule(&mut self, at: SimTime, event: Front) {
        self.front.schedule(event.timer(self.regions.len()), at, event);
    }

    fn handle(&mut self, now: SimTime, event: Front) {
        match event {
            Front::Flip { region: r, up } => {
                let outage = self.spec.outage.as_ref().expect("flips need an outage law");
                let region = &mut self.regions[usize::from(r)];
                let after = if up { &outage.failure } else { &outage.repair }.sample(&mut region.rng);
                region.out = !up;
                if !up {
                    // Sessions the region held (in its instances or its own
                    // store) are gone; global stores and client tokens keep them.
                    let held = match self.sc.sessions.storage {
                        Storage::Memory => true,
                        Storage::External(i) => !self.sc.dependencies[i].global,
                        Storage::ClientToken => false,
                    };
                    if held {
                        region.model.ledger.lose_sessions(now.secs(), self.sc.sessions.active * region.share);
                    }
                }
                self.schedule(now + after, Front::Flip { region: r, up: !up });
                self.check_health(usize::from(r), now);
            }
            Front::Mark(r) => {
                let r = usize::from(r);
                let region = &mut self.regions[r];
                region.marked = region.healthy;
                let (marked, failing_over) = (region.marked, region.failing_over);
                match self.spec.mode {
                    RegionMode::ActiveActive { .. } => self.retarget(now),
                    RegionMode::ActivePassive { failover, ref switch } => {
                        if marked && failing_over {
                            // Back before its failover completed: it is
                            // abandoned.
                            region.failing_over = false;
                            self.front
                                .cancel(Front::Failover { region: r as u16, done: true }.timer(self.regions.len()));
                        }
                        if !marked && r == self.active && failover == Failover::Automatic && !failing_over {
                            let region = &mut self.regions[r];
                            region.failing_over = true;
                            let after = switch.sample(&mut region.rng);
                            self.schedule(now + after, Front::Failover { region: r as u16, done: true });
                        } else if marked && (r < self.active || self.stranded()) {
                            // Fail-back to an earlier region, lossless (both
                            // serve meanwhile); or the first region to come
                            // back while the active one is down with no
                            // failover left under way.
                            self.active = r;
                            self.retarget(now);
                        }
                    }
                }
            }
            Front::Failover { region: r, done } => {
                let RegionMode::ActivePassive { ref switch, .. } = self.spec.mode else {
                    unreachable!("only active-passive fails over")
                };
                let r = usize::from(r);
                let region = &mut self.regions[r];
                if !done {
                    region.failing_over = true;
                    let after = switch.sample(&mut region.rng);
                    self.schedule(now + after, Front::Failover { region: r as u16, done: true });
                    return;
                }
                region.failing_over = false;
                // (Back already, if not yet marked so: its mark follows.)
                if !region.healthy
                    && r == self.active
                    && let Some(next) = (0..self.regions.len()).find(|&q| q != r && self.regions[q].marked)
                {
                    self.active = next;
                    self.retarget(now);
                }
            }
            Front::Dns => self.dns_step(now),
        }
    }

    /// After an event in region `r` or at the front: whether the region is
    /// healthy, and if that changed, when the global health check marks it
    /// so (a manual failover's alert, if it is the active region).
    fn check_health(&mut self, r: usize, now: SimTime) {
        let check = self.spec.check;
        let region = &mut self.regions[r];
        let healthy = !region.out && region.model.passes_checks();
        if healthy == region.healthy {
            return;
        }
        region.healthy = healthy;
        let mark = Front::Mark(r as u16);
        if healthy == region.marked {
            self.front.cancel(mark.timer(self.regions.len()));
        } else {
            let t = now.secs();
            let first = region.phase + ((t - region.phase) / check.interval).ceil() * check.interval;
            let probes = if healthy { check.healthy } else { check.unhealthy };
            self.schedule(SimTime::from_secs(first + f64::from(probes - 1) * check.interval), mark);
        }
        if let RegionMode::ActivePassive { failover: Failover::Manual, .. } = self.spec.mode
            && r == self.active
        {
            let region = &mut self.regions[r];
            let decide = Front::Failover { region: r as u16, done: false };
            if !healthy {
                let alert =
                    self.sc.alert_delay.as_ref().expect("a manual failover needs an alert").sample(&mut region.rng);
                self.schedule(now + alert, decide);
            } else if !region.failing_over {
                self.front.cancel(decide.timer(self.regions.len()));
            }
        }
    }

    /// Active-passive: the active region is marked down and no failover
    /// from it is under way (it found no region to go to).
    fn stranded(&self) -> bool {
        let active = &self.regions[self.active];
        !active.marked && !active.failing_over
    }

    /// The shares DNS answers with now, if any region can take them.
    fn target(&self) -> Option<Vec<f64>> {
        match &self.spec.mode {
            RegionMode::ActiveActive { weights } => {
                let total: f64 = weights.iter().zip(&self.regions).filter(|(_, r)| r.marked).map(|(w, _)| w).sum();
                (total > 0.0).then(|| {
                    weights.iter().zip(&self.regions).map(|(w, r)| if r.marked { w / total } else { 0.0 }).collect()
                })
            }
            RegionMode::ActivePassive { .. } => {
                Some((0..self.regions.len()).map(|r| if r == self.active { 1.0 } else { 0.0 }).collect())
            }
        }
    }

    /// DNS answers with the target shares from `now` on: clients follow
    /// as their caches expire.
    fn retarget(&mut self, now: SimTime) {
        let Some(to) = self.target() else { return };
        let heading = self.dns.as_ref().map_or_else(|| self.shares(), |m| m.to.clone());
        if to == heading {
            return;
        }
        self.dns = Some(Move { from: self.shares(), to, start: now.secs(), step: 0 });
        if self.spec.dns_ttl == 0.0 {
            self.dns.as_mut().expect("set").step = DNS_STEPS - 1;
            self.dns_step(now);
        } else {
            self.schedule(now + 0.5 * self.spec.dns_ttl / f64::from(DNS_STEPS), Front::Dns);
        }
    }

    fn shares(&self) -> Vec<f64> {
        self.regions.iter().map(|r| r.share).collect()
    }

    /// One more slice of the clients follows the DNS answer.
    fn dns_step(&mut self, now: SimTime) {
        let m = self.dns.as_mut().expect("a DNS move under way");
        m.step += 1;
        let k = f64::from(m.step) / f64::from(DNS_STEPS);
        let shares: Vec<f64> =
            m.from.iter().zip(&m.to).map(|(a, b)| if k >= 1.0 { *b } else { a + (b - a) * k }).collect();
        if m.step < DNS_STEPS {
            let at = m.start + (f64::from(m.step) + 0.5) * self.spec.dns_ttl / f64::from(DNS_STEPS);
            self.schedule(SimTime::from_secs(at), Front::Dns);
        } else {
            self.dns = None;
        }
        for (r, share) in shares.into_iter().enumerate() {
            let region = &mut self.regions[r];
            if region.share != share {
                region.share = share;
                region.model.route(share, now, &mut region.queue);
                self.check_health(r, now);
            }
        }
        self.bill(now);
    }

    /// Mirrors the home region's global dependencies into the others.
    fn mirror(&mut self, now: SimTime) {
        for k in 0..self.global.len() {
            let i = self.global[k];
            let down = self.regions[0].model.dependency_down(i);
            for r in 1..self.regions.len() {
                let region = &mut self.regions[r];
                if region.model.dependency_down(i) != down {
                    region.model.mirror_dependency(i, down, now, &mut region.queue);
                    self.check_health(r, now);
                }
            }
        }
    }

    /// Tells the ledger the instances paid for over every region, if that changed.
    fn bill(&mut self, now: SimTime) {
        let billed = self.regions.iter().map(|r| r.model.billed()).fold((0, false), |a, b| (a.0 + b.0, a.1 | b.1));
        if billed != self.billed {
            self.billed = billed;
            self.ledger.set_instances(now.secs(), billed.0, billed.1);
        }
    }

    /// Whether region `r` serves: not out, and something in it serves.
    fn serves(&self, r: usize) -> bool {
        let region = &self.regions[r];
        !region.out && region.model.ledger.state().up
    }

    /// Why region `r`'s requests fail while it does not serve.
    fn reason(&self, r: usize) -> Cause {
        let region = &self.regions[r];
        // Another region DNS may send clients to, that serves them.
        let elsewhere = (0..self.regions.len()).any(|q| q != r && self.regions[q].marked && self.serves(q));
        let passive = matches!(self.spec.mode, RegionMode::ActivePassive { .. });
        if elsewhere {
            if region.failing_over {
                return self.cause(r, RegionReason::Failover);
            }
            // Marked down and no longer the one DNS names (active-passive
            // names its active region until the failover).
            let named = region.marked || (passive && r == self.active);
            if !named {
                return self.cause(r, RegionReason::DnsTtl);
            }
        }
        if region.out {
            self.cause(r, RegionReason::Outage)
        } else {
            Cause::from_id(region.model.ledger.state().down_cause)
        }
    }

    /// Combines the regions' states, weighted by the shares routed to
    /// them, into the service's, and hands it to the ledger.
    fn combine(&mut self, now: SimTime) {
        let routed = || self.regions.iter().enumerate().filter(|(_, r)| r.share > 0.0);
        let capacity = routed().map(|(_, r)| r.model.ledger.state().capacity).fold(f64::INFINITY, f64::min);
        if routed().all(|(q, r)| self.serves(q) && r.model.ledger.state().all_good()) {
            let known = self.ledger.state();
            if !known.all_good() || known.capacity != capacity {
                let s = &mut self.state;
                (s.up, s.failing, s.capacity) = (true, 0.0, capacity);
                s.excess.clear();
                s.failing_by_cause.clear();
                self.ledger.set_state(now.secs(), &mut self.state);
            }
            return;
        }
        let mut s = std::mem::take(&mut self.state);
        s.excess.clear();
        s.failing_by_cause.clear();
        (s.up, s.failing, s.capacity) = (false, 0.0, capacity);
        let mut largest: Option<(f64, usize)> = None;
        for (r, region) in routed() {
            let share = region.share;
            if self.serves(r) {
                let inner = region.model.ledger.state();
                s.up = true;
                s.failing += share * inner.failing;
                let term = s.excess.len() as u16;
                // (Positive weights stay positive: `share` is.)
                s.excess.extend(inner.excess.iter().map(|e| Excess { above: e.above, weight: e.weight * share }));
                s.failing_by_cause.extend(inner.failing_by_cause.iter().map(|x| Share {
                    cause: x.cause,
                    of_demand: x.of_demand * share,
                    of_excess: x.of_excess * share,
                    term: term + x.term,
                }));
            } else {
                s.failing += share;
                s.failing_by_cause.push(Share {
                    cause: self.reason(r).id(),
                    of_demand: share,
                    of_excess: 0.0,
                    term: 0,
                });
                if largest.is_none_or(|(l, _)| share > l) {
                    largest = Some((share, r));
                }
            }
        }
        // Clients reach a region that serves as soon as DNS names it:
        // those whose cache expires first.
        s.up |= self.dns.as_ref().is_some_and(|m| (0..m.to.len()).any(|q| m.to[q] > 0.0 && self.serves(q)));
        if !s.up {
            s.down_cause = largest.map_or(CauseId::default(), |(_, r)| self.reason(r).id());
        }
        self.state = s;
        self.ledger.set_state(now.secs(), &mut self.state);
    }
}

impl Trajectory for Multi<'_> {
    fn step_to(&mut self, end: SimTime, tick: &mut dyn FnMut(SimTime) -> bool) -> u64 {
        let mut handled = 0;
        while let Some(now) = self.next(end) {
            handled += 1;
            if handled % engine::TICK_EVENTS == 0 && !tick(now) {
                break;
            }
        }
        handled
    }

    fn drop_year(&mut self) {
        self.ledger.drop_year();
        for region in &mut self.regions {
            region.model.ledger.drop_year();
        }
    }

    fn finish(self, end: f64, events: u64) -> Tally {
        let mut tally = self.ledger.finish(end, events);
        for region in self.regions {
            // Scale actions and lost sessions are each region's own.
            let own = region.model.ledger.finish(end, 0);
            tally.scale_outs += own.scale_outs;
            tally.scale_ins += own.scale_ins;
            tally.sessions_lost += own.sessions_lost;
        }
        tally
    }

    fn ledger(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    fn record(&mut self, from: Option<f64>) -> Vec<Sample> {
        match from {
            Some(from) => {
                self.recording = Some((vec![self.sample(0.0)], from));
                vec![]
            }
            None => self.recording.take().map(|r| r.0).unwrap_or_default(),
        }
    }
}

impl Deployment<'_> {
    /// Receives `share` of the demand from `now` on: capacity, autoscaling
    /// and lost sessions follow it.
    pub(super) fn route(&mut self, share: f64, now: SimTime, q: &mut EventQueue<Event>) {
        self.ledger.advance(now.secs());
        self.share = share;
        self.update_load(now, q);
        self.evaluate(now, q);
    }

    /// Whether the global health check of the region passes: its load
    /// balancer up with a backend in rotation (without one, an instance
    /// that answers), and its required dependencies up.
    pub(super) fn passes_checks(&self) -> bool {
        let answers = match self.sc.load_balancer {
            Some(_) => self.lb_up && self.fleet.in_rotation() > 0,
            // Probed directly: an instance answers (running or gray, its
            // fault domain up, not drained), as those holding sessions are.
            None => self.fleet.holding() > 0,
        };
        answers && self.dependencies.first_required_down(&self.sc.dependencies).is_none()
    }

    /// Why dependency `i` is down, if it is.
    pub(super) fn dependency_down(&self, i: u16) -> Option<Cause> {
        self.dependencies.down(i)
    }

    /// The home region's global dependency `i` is down for `down` (or up)
    /// from `now` on.
    pub(super) fn mirror_dependency(&mut self, i: u16, down: Option<Cause>, now: SimTime, q: &mut EventQueue<Event>) {
        self.ledger.advance(now.secs());
        self.dependencies.set(&self.sc.dependencies, i, down);
        self.evaluate(now, q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pending front event has a timer of its own: a DNS step never
    /// replaces a region's mark, a failover another region's.
    #[test]
    fn front_events_have_distinct_timers() {
        for regions in [2usize, 3, 16] {
            let mut events = vec![Front::Dns];
            for r in 0..regions as u16 {
                events.extend([
                    Front::Flip { region: r, up: false },
                    Front::Mark(r),
                    Front::Failover { region: r, done: true },
                ]);
            }
            let mut timers: Vec<u32> = events.iter().map(|e| e.timer(regions).0).collect();
            timers.sort_unstable();
            timers.dedup();
            assert_eq!(timers.len(), events.len(), "{regions} regions");
            // A flip up or down, a decision or a switch: the same process, the same timer.
            assert_eq!(
                Front::Flip { region: 1, up: true }.timer(regions),
                Front::Flip { region: 1, up: false }.timer(regions)
            );
            assert_eq!(
                Front::Failover { region: 1, done: false }.timer(regions),
                Front::Failover { region: 1, done: true }.timer(regions)
            );
        }
    }
}
