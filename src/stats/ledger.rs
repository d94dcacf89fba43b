//! Measurement: integrates the service's state over time into per-year and
//! per-window figures, and folds finished periods into a [`Tally`].
//!
//! Requests are weighted by demand: failed requests are ∫ failing
//! fraction × demand dt, and a period's request SLI is its failed requests
//! over its requests. Figures keep the unit of time: a period's failed
//! requests are reported as the fraction failed times its length, so with
//! a constant demand they are exactly the failing time of before.

use super::Tally;
use super::tally::{Summary, WorstYear};
use crate::cause::CauseId;
use crate::demand::{Linear, Profile};
use crate::units::YEAR_SECS;
use std::sync::Arc;

/// A share of the requests failing for one cause.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share {
    /// The cause.
    pub cause: CauseId,
    /// Fraction of all demand it fails.
    pub of_demand: f64,
    /// Fraction of the demand above its excess term's threshold it fails.
    pub of_excess: f64,
    /// Which of [`ServiceState::excess`] `of_excess` applies to.
    pub term: u16,
}

/// Demand above a threshold, of which a fraction fails: the demand that
/// a pool of instances cannot take. A deployment in one region has one
/// such term while demand exceeds its capacity; over several regions,
/// each region that receives share `s` of the demand with capacity `C`
/// has one at `C / s`, weighted by `s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Excess {
    /// The threshold (normalised demand).
    pub above: f64,
    /// The fraction of the demand above it that fails.
    pub weight: f64,
}

impl Excess {
    /// The demand above the threshold over an interval of length `dt`
    /// holding `demand`: crossings are events, so between two events
    /// demand stays on one side of it.
    #[inline]
    fn over(&self, demand: f64, dt: f64) -> f64 {
        (demand - self.above * dt).max(0.0)
    }
}

/// What the service is doing between two events.
#[derive(Clone, Debug)]
pub struct ServiceState {
    /// Whether it can serve (time availability).
    pub up: bool,
    /// The cause of downtime, when down.
    pub down_cause: CauseId,
    /// Fraction of demand failing, in [0, 1].
    pub failing: f64,
    /// Demand above thresholds failing, besides: one term while demand
    /// exceeds what the instances serve (none otherwise). Only terms of
    /// positive weight are kept, so that nothing failing is `is_empty`.
    pub excess: Vec<Excess>,
    /// What the instances in rotation can serve (normalised demand, the
    /// lowest over the regions that receive demand): peak utilisation is
    /// measured against it; infinite when unlimited.
    pub capacity: f64,
    /// The failing shares by cause, summing to `failing` and the excess terms.
    pub failing_by_cause: Vec<Share>,
}

impl Default for ServiceState {
    fn default() -> Self {
        ServiceState {
            up: true,
            down_cause: CauseId::default(),
            failing: 0.0,
            excess: vec![],
            capacity: f64::INFINITY,
            failing_by_cause: vec![],
        }
    }
}

impl ServiceState {
    /// Up, with nothing failing.
    pub fn all_good(&self) -> bool {
        self.up && self.failing == 0.0 && self.excess.is_empty()
    }
}

/// Sums over the period (year or window) in progress.
#[derive(Clone, Debug, Default)]
struct Period {
    down: f64,
    /// Failed requests (normalised demand × s).
    failed: f64,
    /// Requests added by flash sales (normalised demand × s).
    flash: f64,
    /// Instance-seconds.
    instance_secs: f64,
    /// Seconds at the autoscaling maximum.
    at_max_secs: f64,
    /// Highest utilisation.
    peak: f64,
}

/// What the year in progress has yet to add to the tally: the run's
/// sums by cause and of sessions as they stood when it began, and the
/// windows (down, failed, met), outages and scale actions that ended since.
#[derive(Clone, Debug, Default)]
struct Pending {
    cause_down: Vec<f64>,
    cause_failed: Vec<f64>,
    sessions_lost: f64,
    windows: Vec<(f64, f64, bool)>,
    outages: Vec<f64>,
    scale_outs: u64,
    scale_ins: u64,
}

/// What the ledger needs to know of the scenario.
#[derive(Clone, Debug)]
pub struct Meter {
    /// When measurement starts (the end of warm-up) [s].
    pub start: f64,
    /// SLO window [s].
    pub window: f64,
    /// SLO target.
    pub target: f64,
    /// The SLI judged.
    pub sli: Sli,
    /// Number of causes.
    pub causes: usize,
    /// The demand profile.
    pub demand: Arc<Profile>,
    /// Instances at the start.
    pub instances: u32,
    /// Whether the pool starts at its autoscaling maximum.
    pub at_max: bool,
    /// Whether instances have a capacity, so utilisation is measured.
    pub utilisation: bool,
    /// The trajectory measured, to say where its worst year lies.
    pub trajectory: u64,
}

/// Which service-level indicator an SLO is judged on: what the ledger
/// compares with the target in each year and window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sli {
    /// Good requests / all requests (the SRE's SLI).
    Requests,
    /// Fraction of time the service can serve.
    Time,
}

impl Sli {
    /// Its name in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Sli::Requests => "requests",
            Sli::Time => "time",
        }
    }
}

/// Integrates [`ServiceState`] over simulated time, from `start` (the end of
/// warm-up) on, cutting it into years and SLO windows.
#[derive(Clone, Debug)]
pub struct Ledger {
    start: f64,
    window_len: f64,
    target: f64,
    sli: Sli,
    demand: Arc<Profile>,
    /// Whether demand is constant (kept here: read on every failing interval).
    flat: bool,
    /// What flash sales add, since the last event that changed it.
    flash: Linear,
    /// Whether that is anything.
    flashing: bool,
    last: f64,
    next_year: f64,
    next_window: f64,
    state: ServiceState,
    year: Period,
    window: Period,
    cause_down: Vec<f64>,
    cause_failed: Vec<f64>,
    sessions_lost: f64,
    /// What the year in progress has yet to add to the tally: added when
    /// it closes, so that a year dropped midway leaves no trace.
    pending: Pending,
    outage_start: Option<f64>,
    instances: u32,
    at_max: bool,
    utilisation: bool,
    trajectory: u64,
    /// Instance-seconds and peak utilisation are counted up to here.
    billed_to: f64,
    peak_to: f64,
    /// Each closed year's downtime [s], when asked for (to pick a year to
    /// show); `None` in ordinary runs.
    year_log: Option<Vec<f64>>,
    tally: Tally,
}

impl Ledger {
    /// A ledger that starts counting at `meter.start` [s].
    pub fn new(meter: Meter) -> Ledger {
        let start = meter.start;
        Ledger {
            start,
            window_len: meter.window,
            target: meter.target,
            sli: meter.sli,
            flat: meter.demand.is_flat(),
            demand: meter.demand,
            flash: Linear::default(),
            flashing: false,
            last: start,
            next_year: start + YEAR_SECS,
            next_window: start + meter.window,
            state: ServiceState::default(),
            year: Period::default(),
            window: Period::default(),
            cause_down: vec![0.0; meter.causes],
            cause_failed: vec![0.0; meter.causes],
            sessions_lost: 0.0,
            pending: Pending {
                cause_down: vec![0.0; meter.causes],
                cause_failed: vec![0.0; meter.causes],
                ..Pending::default()
            },
            outage_start: None,
            instances: meter.instances,
            at_max: meter.at_max,
            utilisation: meter.utilisation,
            trajectory: meter.trajectory,
            billed_to: start,
            peak_to: start,
            year_log: None,
            tally: Tally::new(meter.causes),
        }
    }

    /// Accounts for the current state from the last update up to `now`.
    #[inline]
    pub fn advance(&mut self, now: f64) {
        if now <= self.last {
            return;
        }
        if self.state.all_good() && !self.flashing && now < self.next_window && now < self.next_year {
            // Fast path: nothing fails, no flash sale adds requests and no
            // period ends.
            self.last = now;
            return;
        }
        self.advance_slow(now);
    }

    fn advance_slow(&mut self, now: f64) {
        loop {
            let until = now.min(self.next_year).min(self.next_window);
            self.accrue(self.last, until);
            self.last = until;
            if until == self.next_window {
                self.close_window();
            }
            if until == self.next_year {
                self.close_year();
            }
            if until == now {
                break;
            }
        }
    }

    fn accrue(&mut self, t0: f64, t1: f64) {
        let dt = t1 - t0;
        if dt <= 0.0 {
            return;
        }
        let flash = if !self.flashing {
            0.0
        } else {
            let added = (self.flash.at(t0) + self.flash.at(t1)) / 2.0 * dt;
            self.year.flash += added;
            self.window.flash += added;
            added
        };
        let s = &self.state;
        if !s.up {
            self.year.down += dt;
            self.window.down += dt;
            self.cause_down[s.down_cause.index()] += dt;
        }
        if s.failing > 0.0 || !s.excess.is_empty() {
            let demand = if self.flat { dt + flash } else { self.demand.integral(t0, t1) + flash };
            let failed = s.excess.iter().fold(s.failing * demand, |f, e| f + e.weight * e.over(demand, dt));
            self.year.failed += failed;
            self.window.failed += failed;
            for share in &s.failing_by_cause {
                let excess = s.excess.get(usize::from(share.term)).map_or(0.0, |e| e.over(demand, dt));
                self.cause_failed[share.cause.index()] += share.of_demand * demand + share.of_excess * excess;
            }
        }
    }

    /// The period's failed requests as the fraction failed times its
    /// length `len` [s], which started at `start`.
    fn failed_time(&self, period: &Period, start: f64, len: f64) -> (f64, f64) {
        let requests = self.demand.period_integral(start, len) + period.flash;
        // A period without demand has no request to fail: it loses nothing.
        let failed = if requests > 0.0 { period.failed * (len / requests) } else { 0.0 };
        (failed, requests)
    }

    fn meets(&self, down: f64, failed: f64, len: f64) -> bool {
        let bad = match self.sli {
            Sli::Requests => failed,
            Sli::Time => down,
        };
        1.0 - bad / len >= self.target
    }

    fn close_window(&mut self) {
        let w = std::mem::take(&mut self.window);
        let (failed, _) = self.failed_time(&w, self.next_window - self.window_len, self.window_len);
        let met = self.meets(w.down, failed, self.window_len);
        self.pending.windows.push((w.down, failed, met));
        self.next_window += self.window_len;
    }

    fn close_year(&mut self) {
        let end = self.next_year;
        self.bill(end);
        self.track_peak(end);
        let y = std::mem::take(&mut self.year);
        let (failed, requests) = self.failed_time(&y, end - YEAR_SECS, YEAR_SECS);
        self.tally.years_met += u64::from(self.meets(y.down, failed, YEAR_SECS));
        let year = WorstYear { down: Summary::micros(y.down), trajectory: self.trajectory, year: self.tally.years() };
        self.tally.worst_year = WorstYear::worse(self.tally.worst_year, Some(year));
        self.tally.year_down.record(y.down);
        self.tally.year_failed.record(failed);
        self.tally.requests += (requests * super::MICROS).round() as u128;
        self.tally.instance_hours.record(y.instance_secs / 3_600.0);
        self.tally.at_max += (y.at_max_secs * super::MICROS).round() as u128;
        if self.utilisation {
            self.tally.peak_utilisation.record(y.peak * 100.0);
        }
        if let Some(log) = &mut self.year_log {
            log.push(y.down);
        }
        let p = &mut self.pending;
        for (down, failed, met) in p.windows.drain(..) {
            self.tally.windows_met += u64::from(met);
            self.tally.window_down.record(down);
            self.tally.window_failed.record(failed);
        }
        self.tally.outages += p.outages.len() as u64;
        p.outages.drain(..).for_each(|d| self.tally.outage_durations.record(d));
        self.tally.scale_outs += std::mem::take(&mut p.scale_outs);
        self.tally.scale_ins += std::mem::take(&mut p.scale_ins);
        p.cause_down.copy_from_slice(&self.cause_down);
        p.cause_failed.copy_from_slice(&self.cause_failed);
        p.sessions_lost = self.sessions_lost;
        self.next_year += YEAR_SECS;
    }

    /// Counts instance-seconds (and time at the maximum) up to `now`.
    fn bill(&mut self, now: f64) {
        let from = self.billed_to;
        if now > from {
            let dt = now - from;
            self.year.instance_secs += f64::from(self.instances) * dt;
            if self.at_max {
                self.year.at_max_secs += dt;
            }
            self.billed_to = now;
        }
    }

    /// Raises the year's peak utilisation to what demand reached up to `now`.
    fn track_peak(&mut self, now: f64) {
        let from = self.peak_to;
        if now > from {
            let capacity = self.state.capacity;
            // Skipped at once when even the year's highest demand could
            // not raise the peak.
            let bound = self.demand.highest() + self.flash.at(from).max(self.flash.at(now));
            if capacity.is_finite() && capacity > 0.0 && bound / capacity > self.year.peak {
                self.year.peak = self.year.peak.max(self.demand.max(from, now, self.flash) / capacity);
            }
            self.peak_to = now;
        }
    }

    /// Sets the state from `now` on; call after [`Ledger::advance`]`(now)`.
    /// Swaps rather than copies: `state` comes back holding the previous
    /// state, whose allocation the caller reuses.
    pub fn set_state(&mut self, now: f64, state: &mut ServiceState) {
        let from = now.max(self.last);
        if state.capacity != self.state.capacity {
            self.track_peak(from);
        }
        match (self.state.up, state.up) {
            (true, false) => self.outage_start = Some(from),
            (false, true) => {
                // An outage under way at the end of warm-up counts from there.
                if let Some(start) = self.outage_start.take()
                    && now > self.start
                {
                    self.pending.outages.push(from - start);
                }
            }
            _ => {}
        }
        std::mem::swap(&mut self.state, state);
    }

    /// Flash sales add `flash` from `now` on; call after [`Ledger::advance`]`(now)`.
    pub fn set_flash(&mut self, now: f64, flash: Linear) {
        self.track_peak(now.max(self.last));
        self.flash = flash;
        self.flashing = !flash.is_zero();
    }

    /// The pool holds `instances` instances from `now` on (billed while
    /// they exist, running, launching or draining), at its autoscaling
    /// maximum or not; call after [`Ledger::advance`]`(now)`.
    pub fn set_instances(&mut self, now: f64, instances: u32, at_max: bool) {
        self.bill(now.max(self.last));
        (self.instances, self.at_max) = (instances, at_max);
    }

    /// Counts a scale-out (`out`) or scale-in action at `now`.
    pub fn count_scaling(&mut self, now: f64, out: bool) {
        if now >= self.start {
            *(if out { &mut self.pending.scale_outs } else { &mut self.pending.scale_ins }) += 1;
        }
    }

    /// Keeps each year's downtime from now on, for [`Ledger::year_log`].
    pub fn log_years(&mut self) {
        self.year_log = Some(vec![]);
    }

    /// Each closed year's downtime [s], if [`Ledger::log_years`] was called.
    pub fn year_log(&self) -> Option<&[f64]> {
        self.year_log.as_deref()
    }

    /// What the service is doing now.
    pub fn state(&self) -> &ServiceState {
        &self.state
    }

    /// Records sessions lost at `now` (ignored during warm-up).
    pub fn lose_sessions(&mut self, now: f64, sessions: f64) {
        if now >= self.start {
            self.sessions_lost += sessions;
        }
    }

    /// Drops the year in progress, stopped midway: the sums go back to
    /// where they stood when it began, and the windows, outages and scale
    /// actions that ended within it are forgotten. [`Ledger::finish`] at
    /// that year's start follows.
    pub fn drop_year(&mut self) {
        let p = &mut self.pending;
        self.cause_down.copy_from_slice(&p.cause_down);
        self.cause_failed.copy_from_slice(&p.cause_failed);
        self.sessions_lost = p.sessions_lost;
        p.windows.clear();
        p.outages.clear();
        (p.scale_outs, p.scale_ins) = (0, 0);
    }

    /// Closes the books at `end` (a whole number of years after the start)
    /// and returns the tally; `events` is the number of events handled.
    pub fn finish(mut self, end: f64, events: u64) -> Tally {
        self.advance(end);
        let q = |v: f64| (v * super::MICROS).round() as u128;
        self.tally.cause_down = self.cause_down.iter().map(|&v| q(v)).collect();
        self.tally.cause_failed = self.cause_failed.iter().map(|&v| q(v)).collect();
        self.tally.sessions_lost = self.sessions_lost.round() as u128;
        self.tally.events = events;
        self.tally.close_trajectory();
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::DAY_SECS;

    const WARMUP: f64 = 1_000.0;
    const WINDOW: f64 = 30.0 * DAY_SECS;

    /// A ledger measuring from `WARMUP` with 30-day windows and 3 causes,
    /// under a constant demand.
    fn ledger(target: f64, sli: Sli) -> Ledger {
        with_demand(target, sli, Profile::flat(1.0))
    }

    fn with_demand(target: f64, sli: Sli, demand: Profile) -> Ledger {
        Ledger::new(meter(target, sli, demand))
    }

    fn meter(target: f64, sli: Sli, demand: Profile) -> Meter {
        Meter {
            start: WARMUP,
            window: WINDOW,
            target,
            sli,
            causes: 3,
            demand: Arc::new(demand),
            instances: 4,
            at_max: false,
            utilisation: true,
            trajectory: 0,
        }
    }

    fn set(l: &mut Ledger, at: f64, up: bool, failing: f64, by_cause: Vec<(CauseId, f64)>) {
        l.advance(at);
        let mut s = ServiceState {
            up,
            down_cause: CauseId(if up { 0 } else { 1 }),
            failing,
            failing_by_cause: by_cause
                .into_iter()
                .map(|(cause, f)| Share { cause, of_demand: f, of_excess: 0.0, term: 0 })
                .collect(),
            ..ServiceState::default()
        };
        l.set_state(at, &mut s);
    }

    /// Down from `from` to `to` (seconds after the warm-up), cause 1.
    fn outage(l: &mut Ledger, from: f64, to: f64) {
        set(l, WARMUP + from, false, 1.0, vec![(CauseId(1), 1.0)]);
        set(l, WARMUP + to, true, 0.0, vec![]);
    }

    #[test]
    fn cuts_years_and_windows_at_their_boundaries() {
        let mut l = ledger(0.999, Sli::Time);
        // Two days straddling the end of the first window, and an hour
        // straddling the end of the first year (in windows 13 and the
        // next year's first).
        outage(&mut l, 29.0 * DAY_SECS, 31.0 * DAY_SECS);
        outage(&mut l, YEAR_SECS - 1_800.0, YEAR_SECS + 1_800.0);
        let t = l.finish(WARMUP + 2.0 * YEAR_SECS, 7);
        assert_eq!(t.years(), 2);
        assert_eq!(t.year_down.sum, ((2.0 * DAY_SECS + 1_800.0) * 1e6) as u128 + (1_800.0 * 1e6) as u128);
        assert_eq!(t.year_down.max, ((2.0 * DAY_SECS + 1_800.0) * 1e6) as u64);
        // 365 days hold 12 whole windows; the 13th runs on into the next
        // year and closes at day 390; 24 windows close in 730 days.
        assert_eq!(t.window_down.n, 24);
        assert_eq!(t.window_down.max, (DAY_SECS * 1e6) as u64);
        assert_eq!(t.window_down.sum, ((2.0 * DAY_SECS + 3_600.0) * 1e6) as u128);
        // Budget 0.1 % of 30 days = 43.2 min: windows 1, 2 and 13 miss it;
        // 0.1 % of a year = 8.76 h: the first year misses, the second
        // (30 min) meets.
        assert_eq!(t.windows_met, 21);
        assert_eq!(t.years_met, 1);
        assert_eq!(t.outages, 2);
        assert_eq!(t.outage_durations.sum, ((2.0 * DAY_SECS + 3_600.0) * 1e6) as u128);
        assert_eq!(t.cause_down, vec![0, ((2.0 * DAY_SECS + 3_600.0) * 1e6) as u128, 0]);
        assert_eq!(t.events, 7);
    }

    #[test]
    fn a_period_exactly_on_target_meets_it() {
        // Target 50 %: a window (and a year) down for exactly half its
        // length meets it; a second more does not.
        let mut l = ledger(0.5, Sli::Time);
        outage(&mut l, 0.0, WINDOW / 2.0);
        outage(&mut l, WINDOW, WINDOW + WINDOW / 2.0 + 1.0);
        outage(&mut l, 2.0 * WINDOW, YEAR_SECS / 2.0);
        let t = l.finish(WARMUP + YEAR_SECS, 0);
        assert_eq!(t.window_down.n, 12);
        // Window 1 is down exactly half its length and meets; window 2 is
        // one second over; 3 to 6 are wholly down; 7 (2.5 days) and the
        // rest meet.
        let met = [true, false, false, false, false, false, true, true, true, true, true, true];
        assert_eq!(t.windows_met, met.iter().filter(|&&m| m).count() as u64);
        assert_eq!(t.year_down.sum, ((WINDOW + 1.0 + YEAR_SECS / 2.0 - 2.0 * WINDOW) * 1e6).round() as u128);
        assert_eq!(t.years_met, 1, "152.5 days down is under half a year");
    }

    #[test]
    fn the_request_sli_counts_failed_shares_by_cause() {
        let mut l = ledger(0.999, Sli::Requests);
        // A quarter of requests fail for 4 days (cause 2 three quarters of
        // them, cause 1 the rest): the time SLI would be met, this one not.
        set(&mut l, WARMUP + DAY_SECS, true, 0.25, vec![(CauseId(2), 0.1875), (CauseId(1), 0.0625)]);
        set(&mut l, WARMUP + 5.0 * DAY_SECS, true, 0.0, vec![]);
        let t = l.finish(WARMUP + YEAR_SECS, 0);
        assert_eq!(t.year_down.sum, 0);
        assert_eq!(t.year_failed.sum, (DAY_SECS * 1e6) as u128);
        assert_eq!(t.window_failed.sum, (DAY_SECS * 1e6) as u128);
        assert_eq!(t.window_failed.max, (DAY_SECS * 1e6) as u64);
        assert_eq!(t.cause_failed, vec![0, (0.25 * DAY_SECS * 1e6) as u128, (0.75 * DAY_SECS * 1e6) as u128]);
        assert_eq!(t.windows_met, 11, "the first window fails a day's worth of requests");
        assert_eq!(t.years_met, 0);
        assert_eq!(t.outages, 0);
    }

    #[test]
    fn all_good_means_up_with_nothing_failing() {
        let mut l = ledger(0.999, Sli::Requests);
        assert!(l.state().all_good());
        set(&mut l, WARMUP + 1.0, true, 0.25, vec![(CauseId(2), 0.25)]);
        assert!(!l.state().all_good(), "up, but failing a quarter of the requests");
        set(&mut l, WARMUP + 2.0, false, 1.0, vec![(CauseId(1), 1.0)]);
        assert!(!l.state().all_good());
        set(&mut l, WARMUP + 3.0, true, 0.0, vec![]);
        assert!(l.state().all_good());
    }

    #[test]
    fn warm_up_is_not_measured() {
        let mut l = ledger(0.999, Sli::Time);
        // Down from 500 s into warm-up to 500 s after it: only the
        // measured half counts, and the outage counts once, from the start.
        set(&mut l, 500.0, false, 1.0, vec![(CauseId(1), 1.0)]);
        l.lose_sessions(600.0, 100.0);
        set(&mut l, WARMUP + 500.0, true, 0.0, vec![]);
        l.lose_sessions(WARMUP + 600.0, 7.0);
        let t = l.finish(WARMUP + YEAR_SECS, 0);
        assert_eq!(t.year_down.sum, 500_000_000);
        assert_eq!(t.outages, 1);
        assert_eq!(t.outage_durations.sum, 500_000_000);
        assert_eq!(t.sessions_lost, 7);
    }

    /// Requests weighted by demand: an hour in which a flash sale doubles
    /// demand, a quarter of requests fails (cause 1) and half of the demand
    /// above a capacity of 1.5 fails (cause 2).
    #[test]
    fn failed_requests_follow_demand_and_its_excess_over_capacity() {
        let mut l = ledger(0.999, Sli::Requests);
        let (from, to) = (WARMUP + 1_000.0, WARMUP + 4_600.0);
        l.advance(from);
        l.set_flash(from, Linear { at: from, value: 1.0, slope: 0.0 });
        let mut s = ServiceState {
            failing: 0.25,
            excess: vec![Excess { above: 1.5, weight: 0.5 }],
            capacity: 1.5,
            failing_by_cause: vec![
                Share { cause: CauseId(1), of_demand: 0.25, of_excess: 0.0, term: 0 },
                Share { cause: CauseId(2), of_demand: 0.0, of_excess: 0.5, term: 0 },
            ],
            ..ServiceState::default()
        };
        l.set_state(from, &mut s);
        l.advance(to);
        l.set_state(to, &mut ServiceState { capacity: 1.5, ..ServiceState::default() });
        l.set_flash(to, Linear::default());
        let t = l.finish(WARMUP + YEAR_SECS, 0);
        // Demand 2 for an hour: 7,200 requests, 0.5 over the capacity of 1.5: 1,800.
        let failed = 0.25 * 7_200.0 + 0.5 * 1_800.0;
        let requests = YEAR_SECS + 3_600.0;
        let micros = |x: f64| (x * 1e6).round() as u128;
        assert_eq!(t.year_failed.sum, micros(failed * (YEAR_SECS / requests)));
        assert_eq!(t.window_failed.max, (failed * (WINDOW / (WINDOW + 3_600.0)) * 1e6).round() as u64);
        assert_eq!(t.requests, micros(requests));
        assert_eq!(t.cause_failed, vec![0, micros(1_800.0), micros(900.0)]);
        assert_eq!(t.year_down.sum, 0, "a capacity shortfall is not downtime");
        assert_eq!(t.windows_met, 11, "the first window fails 2,700 of its requests");
    }

    /// A window without demand (a closed day of the week) fails no request
    /// and so meets the SLO on requests.
    #[test]
    fn windows_without_demand_meet_the_slo() {
        let weekly = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0];
        let demand = Profile::new(&[(0.0, 1.0)], &weekly, 0.0, 100.0, WARMUP);
        let meter = Meter { window: DAY_SECS, ..meter(0.999, Sli::Requests, demand) };
        let t = Ledger::new(meter).finish(WARMUP + YEAR_SECS, 0);
        assert_eq!((t.windows_met, t.window_failed.n, t.window_failed.max), (365, 365, 0));
    }

    /// A window's failed requests are weighed against its own demand: a
    /// quarter failing all Sunday, when demand is ten times a weekday's,
    /// costs that day's window a quarter of its length, and the year the
    /// Sunday's share of its requests.
    #[test]
    fn a_window_is_weighed_by_its_own_demand() {
        let weekly = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 10.0];
        let demand = Profile::new(&[(0.0, 1.0)], &weekly, 0.0, 100.0, WARMUP);
        let mut l = Ledger::new(Meter { window: DAY_SECS, ..meter(0.999, Sli::Requests, demand) });
        set(&mut l, WARMUP + 6.0 * DAY_SECS, true, 0.25, vec![(CauseId(2), 0.25)]);
        set(&mut l, WARMUP + 7.0 * DAY_SECS, true, 0.0, vec![]);
        let t = l.finish(WARMUP + YEAR_SECS, 0);
        let close = |got: f64, want: f64| (got - want).abs() < 1e-3 * want;
        assert_eq!(t.window_failed.n, 365);
        assert!(close(t.window_failed.max as f64 * 1e-6, 0.25 * DAY_SECS), "{}", t.window_failed.max);
        assert_eq!(t.windows_met, 364);
        // The year: 52 Sundays and a Monday of 16 weekday-equivalents each week.
        let sunday_share = 10.0 / (52.0 * 16.0 + 1.0);
        assert!(close(t.year_failed.sum as f64 * 1e-6, 0.25 * sunday_share * YEAR_SECS), "{}", t.year_failed.sum);
    }

    /// Instance-hours, time at the maximum and scale actions, counted from
    /// the end of warm-up.
    #[test]
    fn instances_are_billed_while_they_exist() {
        let mut l = ledger(0.999, Sli::Time);
        for (at, n, max) in
            [(500.0, 5, false), (WARMUP + 10.0 * DAY_SECS, 6, true), (WARMUP + 12.0 * DAY_SECS, 4, false)]
        {
            l.advance(at);
            l.set_instances(at, n, max);
            l.count_scaling(at, n > 4);
        }
        let t = l.finish(WARMUP + 2.0 * YEAR_SECS, 0);
        // 5 from the start (warm-up) for 10 days, 6 for 2, then 4.
        let first = (5.0 * 10.0 * DAY_SECS + 6.0 * 2.0 * DAY_SECS + 4.0 * (YEAR_SECS - 12.0 * DAY_SECS)) / 3_600.0;
        let second = 4.0 * YEAR_SECS / 3_600.0;
        assert_eq!(t.instance_hours.n, 2);
        assert_eq!(t.instance_hours.max, (first * 1e6).round() as u64);
        assert_eq!(t.instance_hours.sum, (first * 1e6).round() as u128 + (second * 1e6).round() as u128);
        assert_eq!(t.at_max, (2.0 * DAY_SECS * 1e6) as u128);
        assert_eq!((t.scale_outs, t.scale_ins), (1, 1), "the warm-up's action is not counted");
    }

    /// The year's peak utilisation: demand peaks at noon (1.5, normalised);
    /// on day 3 the capacity drops to 1 from 11 h to 13 h.
    #[test]
    fn the_peak_utilisation_is_demand_over_capacity_at_its_highest() {
        let day = Profile::new(&[(0.0, 1.0), (12.0, 3.0), (24.0, 1.0)], &[], 0.0, 1.0, WARMUP);
        let mut l = with_demand(0.999, Sli::Time, day);
        let set_capacity = |l: &mut Ledger, at: f64, capacity: f64| {
            l.advance(at);
            l.set_state(at, &mut ServiceState { capacity, ..ServiceState::default() });
        };
        set_capacity(&mut l, WARMUP, 3.0);
        set_capacity(&mut l, WARMUP + 3.0 * DAY_SECS + 11.0 * 3_600.0, 1.0);
        set_capacity(&mut l, WARMUP + 3.0 * DAY_SECS + 13.0 * 3_600.0, 3.0);
        let t = l.finish(WARMUP + 2.0 * YEAR_SECS, 0);
        // Year 1: 1.5 / 1 = 150 %; year 2: 1.5 / 3 = 50 %.
        assert_eq!(t.peak_utilisation.n, 2);
        assert_eq!(t.peak_utilisation.max, 150_000_000);
        assert_eq!(t.peak_utilisation.sum, 200_000_000);
    }
}
