//! Measurement: integrates the service's state over time into per-year and
//! per-window figures, and folds finished periods into a [`Tally`].

use super::Tally;
use crate::cause::CauseId;
use crate::scenario::{Sli, YEAR_SECS};

/// What the service is doing between two events.
#[derive(Clone, Debug, Default)]
pub struct ServiceState {
    /// Whether it can serve (time availability).
    pub up: bool,
    /// The cause of downtime, when down.
    pub down_cause: CauseId,
    /// Fraction of requests failing, in [0, 1].
    pub failing: f64,
    /// That fraction split by cause: (cause, fraction), summing to `failing`.
    pub failing_by_cause: Vec<(CauseId, f64)>,
}

/// Sums over the period (year or window) in progress.
#[derive(Clone, Debug, Default)]
struct Period {
    down: f64,
    failed: f64,
}

/// Integrates [`ServiceState`] over simulated time, from `start` (the end of
/// warm-up) on, cutting it into years and SLO windows.
#[derive(Clone, Debug)]
pub struct Ledger {
    start: f64,
    window_len: f64,
    target: f64,
    sli: Sli,
    last: f64,
    next_year: f64,
    next_window: f64,
    state: ServiceState,
    year: Period,
    window: Period,
    cause_down: Vec<f64>,
    cause_failed: Vec<f64>,
    sessions_lost: f64,
    outage_start: Option<f64>,
    tally: Tally,
}

impl Ledger {
    /// A ledger that starts counting at `start` [s].
    pub fn new(start: f64, window_len: f64, target: f64, sli: Sli, causes: usize) -> Ledger {
        Ledger {
            start,
            window_len,
            target,
            sli,
            last: start,
            next_year: start + YEAR_SECS,
            next_window: start + window_len,
            state: ServiceState { up: true, ..ServiceState::default() },
            year: Period::default(),
            window: Period::default(),
            cause_down: vec![0.0; causes],
            cause_failed: vec![0.0; causes],
            sessions_lost: 0.0,
            outage_start: None,
            tally: Tally::new(causes),
        }
    }

    /// Accounts for the current state from the last update up to `now`.
    #[inline]
    pub fn advance(&mut self, now: f64) {
        if now <= self.last {
            return;
        }
        if self.state.up && self.state.failing == 0.0 && now < self.next_window && now < self.next_year {
            // Fast path: nothing fails and no period ends.
            self.last = now;
            return;
        }
        self.advance_slow(now);
    }

    fn advance_slow(&mut self, now: f64) {
        loop {
            let until = now.min(self.next_year).min(self.next_window);
            self.accrue(until - self.last);
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

    fn accrue(&mut self, dt: f64) {
        if dt <= 0.0 {
            return;
        }
        let s = &self.state;
        if !s.up {
            self.year.down += dt;
            self.window.down += dt;
            self.cause_down[s.down_cause.index()] += dt;
        }
        if s.failing > 0.0 {
            self.year.failed += s.failing * dt;
            self.window.failed += s.failing * dt;
            for &(cause, share) in &s.failing_by_cause {
                self.cause_failed[cause.index()] += share * dt;
            }
        }
    }

    fn meets(&self, period: &Period, len: f64) -> bool {
        let bad = match self.sli {
            Sli::Requests => period.failed,
            Sli::Time => period.down,
        };
        1.0 - bad / len >= self.target
    }

    fn close_window(&mut self) {
        let w = std::mem::take(&mut self.window);
        self.tally.windows_met += u64::from(self.meets(&w, self.window_len));
        self.tally.window_down.record(w.down);
        self.tally.window_failed.record(w.failed);
        self.next_window += self.window_len;
    }

    fn close_year(&mut self) {
        let y = std::mem::take(&mut self.year);
        self.tally.years_met += u64::from(self.meets(&y, YEAR_SECS));
        self.tally.year_down.record(y.down);
        self.tally.year_failed.record(y.failed);
        self.next_year += YEAR_SECS;
    }

    /// Sets the state from `now` on; call after [`Ledger::advance`]`(now)`.
    /// Swaps rather than copies: `state` comes back holding the previous
    /// state, whose allocation the caller reuses.
    pub fn set_state(&mut self, now: f64, state: &mut ServiceState) {
        let from = now.max(self.last);
        match (self.state.up, state.up) {
            (true, false) => self.outage_start = Some(from),
            (false, true) => {
                // An outage under way at the end of warm-up counts from there.
                if let Some(start) = self.outage_start.take()
                    && now > self.start
                {
                    self.tally.outages += 1;
                    self.tally.outage_durations.record(from - start);
                }
            }
            _ => {}
        }
        std::mem::swap(&mut self.state, state);
    }

    /// Whether the service is up with nothing failing.
    pub fn all_good(&self) -> bool {
        self.state.up && self.state.failing == 0.0
    }

    /// Records sessions lost at `now` (ignored during warm-up).
    pub fn lose_sessions(&mut self, now: f64, sessions: f64) {
        if now >= self.start {
            self.sessions_lost += sessions;
        }
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
        self.tally
    }
}
