//! Demand over time, in closed form: what the service is asked to serve.
//!
//! A year of demand is a piecewise-linear function: the daily profile's
//! points, scaled by the day's weekly factor and by the growth reached that
//! day. Simulated years repeat it (each is one replication of the coming
//! year, starting on a Monday at the end of warm-up). Flash sales add a
//! linear piece on top that changes only at events. Everything the
//! simulation needs (integrals, the maximum over an interval, the next time
//! demand crosses a level) is computed from the segments directly, in
//! O(log segments), so the cost of a simulated year follows its events and
//! never the elapsed time.
//!
//! Values are normalised so that the year's mean demand (flash sales
//! aside) is 1; [`Profile::mean_rps`] converts back to requests per second.
//! A flat profile is kept apart so that a constant demand integrates to the
//! interval's length exactly.

use crate::units::{DAY_SECS, YEAR_SECS};

/// The base demand of a year, periodic from `origin` on.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Where year 0 starts [s of simulated time].
    origin: f64,
    /// Start of each segment within the year [s]; `start[0] == 0`.
    start: Vec<f64>,
    /// Demand at each segment's start.
    value: Vec<f64>,
    /// Its slope within the segment [1/s].
    slope: Vec<f64>,
    /// ∫ demand from the start of the year to each segment's start; one
    /// more entry: the whole year.
    cum: Vec<f64>,
    /// Segment tree (heap layout, `leaves` leaves) of each segment's
    /// smallest and largest value, to skip ahead to a crossing.
    low: Vec<f64>,
    high: Vec<f64>,
    leaves: usize,
    /// The segment holding the start of each day of the year.
    day_first: Vec<u32>,
    /// Constant demand: integrals are lengths, exactly.
    flat: bool,
    /// The year's mean demand [requests/s].
    mean_rps: f64,
}

/// What a flash sale adds on top of the profile between two events:
/// `value + slope × (t − at)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Linear {
    /// Where `value` holds [s].
    pub at: f64,
    /// The addition at `at`.
    pub value: f64,
    /// Its slope [1/s].
    pub slope: f64,
}

impl Linear {
    /// The addition at `t`.
    pub fn at(&self, t: f64) -> f64 {
        self.value + self.slope * (t - self.at)
    }

    /// Whether it adds nothing.
    pub fn is_zero(&self) -> bool {
        self.value == 0.0 && self.slope == 0.0
    }
}

/// Which way a crossing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Demand rises above the level.
    Up,
    /// Demand falls below it.
    Down,
}

impl Profile {
    /// A constant demand of `rps` requests per second.
    pub fn flat(rps: f64) -> Profile {
        let mut p = Profile::from_segments(0.0, vec![(0.0, 1.0, 0.0)], rps);
        p.flat = true;
        p
    }

    /// The profile of a year from the daily points `(hour, multiplier)`
    /// (hours ascending in [0, 24], interpolated linearly and wrapping
    /// round midnight), the weekly factors (Monday first; empty for none)
    /// and the growth per year (compounded daily), times `rps`. Year 0
    /// starts at `origin` [s].
    pub fn new(daily: &[(f64, f64)], weekly: &[f64], growth: f64, rps: f64, origin: f64) -> Profile {
        let day = wrap_day(daily);
        let constant =
            day.windows(2).all(|w| w[0].1 == w[1].1) && weekly.windows(2).all(|w| w[0] == w[1]) && growth == 0.0;
        if constant {
            let level = day[0].1 * weekly.first().copied().unwrap_or(1.0);
            let mut p = Profile::flat(rps * level);
            p.origin = origin;
            return p;
        }
        let days = (YEAR_SECS / DAY_SECS) as usize;
        let mut segments = Vec::with_capacity(days * day.len());
        for d in 0..days {
            let factor = weekly.get(d % 7).copied().unwrap_or(1.0) * (1.0 + growth).powf(d as f64 / days as f64);
            for w in day.windows(2) {
                let ((h0, m0), (h1, m1)) = (w[0], w[1]);
                let len = (h1 - h0) * 3_600.0;
                segments.push((d as f64 * DAY_SECS + h0 * 3_600.0, factor * m0, factor * (m1 - m0) / len));
            }
        }
        Profile::from_segments(origin, segments, rps)
    }

    /// Builds the profile from raw `(start, value, slope)` segments times
    /// `rps`, normalised to a mean of 1.
    fn from_segments(origin: f64, segments: Vec<(f64, f64, f64)>, rps: f64) -> Profile {
        let n = segments.len();
        let end = |i: usize| if i + 1 < n { segments[i + 1].0 } else { YEAR_SECS };
        let total: f64 = (0..n)
            .map(|i| {
                let (s, v, m) = segments[i];
                let len = end(i) - s;
                v * len + m * len * len / 2.0
            })
            .sum();
        let mean = total / YEAR_SECS;
        let scale = if mean > 0.0 { 1.0 / mean } else { 1.0 };
        let start: Vec<f64> = segments.iter().map(|s| s.0).collect();
        let value: Vec<f64> = segments.iter().map(|s| s.1 * scale).collect();
        let slope: Vec<f64> = segments.iter().map(|s| s.2 * scale).collect();
        let mut cum = Vec::with_capacity(n + 1);
        cum.push(0.0);
        for i in 0..n {
            let len = end(i) - start[i];
            cum.push(cum[i] + value[i] * len + slope[i] * len * len / 2.0);
        }
        let leaves = n.next_power_of_two();
        let (mut low, mut high) = (vec![f64::INFINITY; 2 * leaves], vec![f64::NEG_INFINITY; 2 * leaves]);
        for i in 0..n {
            let last = value[i] + slope[i] * (end(i) - start[i]);
            low[leaves + i] = value[i].min(last);
            high[leaves + i] = value[i].max(last);
        }
        for k in (1..leaves).rev() {
            low[k] = low[2 * k].min(low[2 * k + 1]);
            high[k] = high[2 * k].max(high[2 * k + 1]);
        }
        let days = (YEAR_SECS / DAY_SECS) as usize;
        let day_first =
            (0..days).map(|d| start.partition_point(|&s| s <= d as f64 * DAY_SECS).saturating_sub(1) as u32).collect();
        Profile { origin, start, value, slope, cum, low, high, leaves, day_first, flat: false, mean_rps: rps * mean }
    }

    /// The year's mean demand [requests/s]: what a normalised demand of 1 is.
    pub fn mean_rps(&self) -> f64 {
        self.mean_rps
    }

    /// The year's highest demand.
    pub fn highest(&self) -> f64 {
        self.high[1].max(self.value[0])
    }

    /// Whether demand is constant.
    pub fn is_flat(&self) -> bool {
        self.flat
    }

    /// The year that `t` falls in, and how far into it `t` is [s].
    fn split(&self, t: f64) -> (f64, f64) {
        // Truncation, corrected below zero (warm-up): `floor` is a call.
        let x = (t - self.origin) / YEAR_SECS;
        let whole = x as i64 as f64;
        let year = if whole > x { whole - 1.0 } else { whole };
        let tau = (t - self.origin - year * YEAR_SECS).clamp(0.0, YEAR_SECS);
        (year, tau)
    }

    /// The segment holding `tau`: from the first segment of its day on.
    fn locate(&self, tau: f64) -> usize {
        let day = ((tau / DAY_SECS) as usize).min(self.day_first.len() - 1);
        let mut i = self.day_first[day] as usize;
        while i + 1 < self.start.len() && self.start[i + 1] <= tau {
            i += 1;
        }
        i
    }

    /// End of segment `i` within the year [s].
    fn end(&self, i: usize) -> f64 {
        self.start.get(i + 1).copied().unwrap_or(YEAR_SECS)
    }

    /// Demand (normalised) at `t`.
    pub fn at(&self, t: f64) -> f64 {
        let (_, tau) = self.split(t);
        let i = self.locate(tau);
        self.value[i] + self.slope[i] * (tau - self.start[i])
    }

    /// ∫ demand from the start of the year to `tau`.
    fn cumulative(&self, tau: f64) -> f64 {
        let i = self.locate(tau);
        let dx = tau - self.start[i];
        self.cum[i] + self.value[i] * dx + self.slope[i] * dx * dx / 2.0
    }

    /// ∫ demand dt over [t0, t1] (normalised requests).
    pub fn integral(&self, t0: f64, t1: f64) -> f64 {
        if self.flat {
            return t1 - t0;
        }
        let ((y0, tau0), (y1, tau1)) = (self.split(t0), self.split(t1));
        (y1 - y0) * self.cum[self.start.len()] + self.cumulative(tau1) - self.cumulative(tau0)
    }

    /// ∫ demand over the period of `len` seconds from `start`: exactly
    /// `len` when demand is constant.
    pub fn period_integral(&self, start: f64, len: f64) -> f64 {
        if self.flat { len } else { self.integral(start, start + len) }
    }

    /// The largest demand over [t0, t1] with `extra` added.
    pub fn max(&self, t0: f64, t1: f64, extra: Linear) -> f64 {
        if !extra.is_zero() && extra.slope != 0.0 {
            return self.walk_max(t0, t1, extra);
        }
        let add = extra.value;
        if self.flat {
            return self.value[0] + add;
        }
        if t1 - t0 >= YEAR_SECS {
            return self.high[1] + add;
        }
        let ((y0, tau0), (y1, tau1)) = (self.split(t0), self.split(t1));
        let (i0, i1) = (self.locate(tau0), self.locate(tau1));
        let mut best = self.at(t0).max(self.at(t1));
        let limit = |i: usize| self.value[i] + self.slope[i] * (self.end(i) - self.start[i]);
        if y1 > y0 {
            best = best.max(limit(i0)).max(self.range_high(i0 + 1, self.start.len())).max(self.range_high(0, i1));
            best = best.max(self.value[i1]);
        } else if i1 > i0 {
            best = best.max(limit(i0)).max(self.range_high(i0 + 1, i1)).max(self.value[i1]);
        }
        best + add
    }

    /// The largest value of segments `from..to`.
    fn range_high(&self, from: usize, to: usize) -> f64 {
        let (mut l, mut r) = (from + self.leaves, to + self.leaves);
        let mut best = f64::NEG_INFINITY;
        while l < r {
            if l & 1 == 1 {
                best = best.max(self.high[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                best = best.max(self.high[r]);
            }
            l /= 2;
            r /= 2;
        }
        best
    }

    /// [`Profile::max`] with a sloped addition: segment by segment (a
    /// flash sale's ramp spans few).
    fn walk_max(&self, t0: f64, t1: f64, extra: Linear) -> f64 {
        let at = |t: f64| self.at(t) + extra.at(t);
        let mut best = at(t0).max(at(t1));
        let (year, tau) = self.split(t0);
        let mut i = self.locate(tau);
        let mut year_start = self.origin + year * YEAR_SECS;
        loop {
            let end = year_start + self.end(i);
            if end >= t1 {
                return best;
            }
            let limit = self.value[i] + self.slope[i] * (self.end(i) - self.start[i]);
            best = best.max(limit + extra.at(end)).max(at(end));
            i += 1;
            if i == self.start.len() {
                i = 0;
                year_start += YEAR_SECS;
            }
        }
    }

    /// The first time after `t0` (and before `until`) that demand plus
    /// `extra` crosses `level` in `direction`: rises above it or falls
    /// below it. At `t0` itself only the segment's motion counts, so a
    /// crossing just handled is not found again.
    pub fn next_crossing(&self, t0: f64, level: f64, direction: Direction, extra: Linear, until: f64) -> Option<f64> {
        let found = if extra.slope != 0.0 {
            self.walk_crossing(t0, level, direction, extra, until)
        } else {
            self.skip_crossing(t0, level - extra.value, direction)
        };
        found.filter(|&t| t < until)
    }

    /// A crossing within segment `i` of the year starting at `year_start`,
    /// with a linear addition of `(value at the segment start, slope)`;
    /// `from` is `Some(t0)` for the segment holding `t0`.
    fn solve(
        &self,
        i: usize,
        year_start: f64,
        add: (f64, f64),
        level: f64,
        up: bool,
        from: Option<f64>,
    ) -> Option<f64> {
        let s = year_start + self.start[i];
        let e = year_start + self.end(i);
        let (v, m) = (self.value[i] + add.0, self.slope[i] + add.1);
        let beyond = |x: f64| if up { x > level } else { x < level };
        if from.is_none() && beyond(v) {
            // Already beyond at the segment start: a step at the boundary.
            return Some(s);
        }
        if (up && m > 0.0) || (!up && m < 0.0) {
            let t = (s + (level - v) / m).max(from.unwrap_or(s));
            if t < e || (from.is_none() && beyond(v + m * (e - s))) {
                return Some(t.min(e));
            }
        }
        None
    }

    /// [`Profile::next_crossing`] for a constant addition (already taken
    /// off `level`): the segment tree finds the first segment that reaches
    /// the level, within the next year.
    fn skip_crossing(&self, t0: f64, level: f64, direction: Direction) -> Option<f64> {
        let up = direction == Direction::Up;
        let (year, tau) = self.split(t0);
        let year_start = self.origin + year * YEAR_SECS;
        let i0 = self.locate(tau);
        if let Some(t) = self.solve(i0, year_start, (0.0, 0.0), level, up, Some(t0)) {
            return Some(t);
        }
        let n = self.start.len();
        let (j, start) = match self.first_reaching(i0 + 1, level, up) {
            Some(j) => (j, year_start),
            None => (self.first_reaching(0, level, up).filter(|&j| j <= i0)?, year_start + YEAR_SECS),
        };
        debug_assert!(j < n);
        self.solve(j, start, (0.0, 0.0), level, up, None)
    }

    /// The first segment from `from` on whose values reach beyond `level`.
    /// The next few segments (the rest of a day, where most crossings are)
    /// are scanned in order; past them the segment tree skips ahead.
    fn first_reaching(&self, from: usize, level: f64, up: bool) -> Option<usize> {
        const SCAN: usize = 12;
        let reaches = |k: usize| if up { self.high[k] > level } else { self.low[k] < level };
        let n = self.start.len();
        if from >= n || !reaches(1) {
            return None;
        }
        if let Some(i) = (from..n.min(from + SCAN)).find(|&i| reaches(self.leaves + i)) {
            return Some(i);
        }
        // Climb from the first leaf not scanned to the first subtree, going
        // right, that reaches; then descend to its leftmost leaf that does.
        let mut k = self.leaves + from + SCAN;
        if k >= self.leaves + n {
            return None;
        }
        while !reaches(k) {
            while k & 1 == 1 {
                k >>= 1;
                if k <= 1 {
                    return None;
                }
            }
            k += 1;
        }
        while k < self.leaves {
            k *= 2;
            if !reaches(k) {
                k += 1;
            }
        }
        Some(k - self.leaves).filter(|&i| i < n)
    }

    /// [`Profile::next_crossing`] with a sloped addition: segment by
    /// segment up to `until`.
    fn walk_crossing(&self, t0: f64, level: f64, direction: Direction, extra: Linear, until: f64) -> Option<f64> {
        let up = direction == Direction::Up;
        let (year, tau) = self.split(t0);
        let mut year_start = self.origin + year * YEAR_SECS;
        let mut i = self.locate(tau);
        let mut from = Some(t0);
        loop {
            let s = year_start + self.start[i];
            if s >= until {
                return None;
            }
            if let Some(t) = self.solve(i, year_start, (extra.at(s), extra.slope), level, up, from) {
                return Some(t);
            }
            from = None;
            i += 1;
            if i == self.start.len() {
                i = 0;
                year_start += YEAR_SECS;
            }
        }
    }
}

/// The daily points as segments' ends from hour 0 to hour 24, wrapping
/// round midnight.
fn wrap_day(daily: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let (first, last) = (daily[0], daily[daily.len() - 1]);
    // Demand at midnight, between the last point (a day earlier) and the first.
    let gap = first.0 + 24.0 - last.0;
    let midnight = if gap > 0.0 { last.1 + (first.1 - last.1) * (24.0 - last.0) / gap } else { first.1 };
    let mut day = vec![];
    if first.0 > 0.0 {
        day.push((0.0, midnight));
    }
    day.extend_from_slice(daily);
    if last.0 < 24.0 {
        day.push((24.0, midnight));
    }
    if day.len() == 1 {
        day.push((24.0, day[0].1));
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: f64 = 3_600.0;

    /// Night 0.5 until 6 h, a linear ramp to 1.5 at 12 h, back to 0.5 at 18 h.
    fn daily() -> Profile {
        Profile::new(&[(0.0, 0.5), (6.0, 0.5), (12.0, 1.5), (18.0, 0.5), (24.0, 0.5)], &[], 0.0, 100.0, 1_000.0)
    }

    #[test]
    fn a_constant_demand_integrates_to_the_length_exactly() {
        let p = Profile::new(&[(0.0, 2.0)], &[], 0.0, 50.0, 0.0);
        assert!(p.is_flat());
        assert_eq!(p.mean_rps(), 100.0);
        assert_eq!(p.period_integral(0.3, YEAR_SECS), YEAR_SECS);
        assert_eq!(p.at(12345.0), 1.0);
        assert_eq!(p.next_crossing(0.0, 2.0, Direction::Up, Linear::default(), f64::INFINITY), None);
    }

    #[test]
    fn the_profile_is_normalised_to_a_mean_of_one() {
        let p = daily();
        // Mean of the raw day: (0.5·12 h + 1.0·12 h) / 24 h = 0.75.
        assert!((p.mean_rps() - 75.0).abs() < 1e-9);
        assert!((p.integral(1_000.0, 1_000.0 + YEAR_SECS) - YEAR_SECS).abs() < 1e-3);
        assert!((p.at(1_000.0 + 12.0 * H) - 2.0).abs() < 1e-12, "1.5 / 0.75");
        assert!((p.at(1_000.0 + 9.0 * H) - 4.0 / 3.0).abs() < 1e-12, "1.0 / 0.75");
        // Night: 6 h at 0.5/0.75; across a year boundary too.
        let night = p.integral(1_000.0 + YEAR_SECS - 3.0 * H, 1_000.0 + YEAR_SECS + 3.0 * H);
        assert!((night - 6.0 * H * 2.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn crossings_are_exact_on_linear_segments() {
        let p = daily();
        let at = |h: f64| 1_000.0 + h * H;
        let none = Linear::default();
        // Normalised peak 2.0 at 12 h, night 2/3; level 4/3 is demand 1.0,
        // reached at 9 h going up and 15 h going down.
        let level = 4.0 / 3.0;
        let up = p.next_crossing(at(1.0), level, Direction::Up, none, f64::INFINITY).unwrap();
        assert!((up - at(9.0)).abs() < 1e-6, "{}", (up - at(0.0)) / H);
        let down = p.next_crossing(up, level, Direction::Down, none, f64::INFINITY).unwrap();
        assert!((down - at(15.0)).abs() < 1e-6);
        // The crossing just handled is not found again: from 15 h, the next
        // rise is the next day's.
        let next_up = p.next_crossing(down, level, Direction::Up, none, f64::INFINITY).unwrap();
        assert!((next_up - at(33.0)).abs() < 1e-6, "the next day's");
        // Never reached: none within a year.
        assert_eq!(p.next_crossing(at(0.0), 2.5, Direction::Up, none, f64::INFINITY), None);
        // With a constant addition of 1, 2.5 needs 1.5 of the base (1.125 raw), at 9.75 h.
        let plus = Linear { at: 0.0, value: 1.0, slope: 0.0 };
        let t = p.next_crossing(at(0.0), 2.5, Direction::Up, plus, f64::INFINITY).unwrap();
        assert!((t - at(9.75)).abs() < 1e-6);
        // A ramp: +1 per hour from 2 h, over a flat night of 2/3: reaches 1 at 2h20m.
        let ramp = Linear { at: at(2.0), value: 0.0, slope: 1.0 / H };
        let t = p.next_crossing(at(2.0), 1.0, Direction::Up, ramp, at(5.0)).unwrap();
        assert!((t - at(2.0 + 1.0 / 3.0)).abs() < 1e-6);
        assert_eq!(p.next_crossing(at(2.0), 1.0, Direction::Up, ramp, at(2.2)), None, "not before `until`");
    }

    #[test]
    fn maxima_over_intervals() {
        let p = daily();
        let at = |h: f64| 1_000.0 + h * H;
        let none = Linear::default();
        assert!((p.max(at(0.0), at(7.0), none) - (0.5 + 1.0 / 6.0) / 0.75).abs() < 1e-9);
        assert!((p.max(at(0.0), at(30.0), none) - 2.0).abs() < 1e-9);
        assert!((p.max(at(13.0), at(14.0), none) - (1.5 - 1.0 / 6.0) / 0.75).abs() < 1e-9);
        assert!((p.max(at(-5.0), at(2.0), none) - 2.0 / 3.0).abs() < 1e-9, "across the year boundary");
        let ramp = Linear { at: at(0.0), value: 0.0, slope: 0.1 / H };
        assert!((p.max(at(0.0), at(10.0), ramp) - (p.at(at(10.0)) + 1.0)).abs() < 1e-9);
    }

    #[test]
    fn weekly_factors_and_growth_shape_the_year() {
        let p = Profile::new(&[(0.0, 1.0)], &[1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5], 0.0, 10.0, 0.0);
        assert!(!p.is_flat());
        // Mean over a 365-day year of 52 weeks plus a Monday: (5·52+1 + 0.5·2·52)/365.
        let mean = (261.0 + 52.0) / 365.0;
        assert!((p.mean_rps() - 10.0 * mean).abs() < 1e-9);
        assert!((p.at(5.5 * DAY_SECS) * mean - 0.5).abs() < 1e-12, "Saturday");
        let g = Profile::new(&[(0.0, 1.0)], &[], 0.5, 10.0, 0.0);
        let ratio = g.at(364.5 * DAY_SECS) / g.at(0.5 * DAY_SECS);
        assert!((ratio - 1.5f64.powf(364.0 / 365.0)).abs() < 1e-12);
    }

    /// An independent reference: demand straight from the points, factors
    /// and growth, sampled on a one-minute grid (every breakpoint in these
    /// profiles falls on a whole minute, so trapezoids are exact).
    struct Reference {
        daily: Vec<(f64, f64)>,
        weekly: Vec<f64>,
        growth: f64,
        origin: f64,
        mean: f64,
    }

    impl Reference {
        fn new(daily: Vec<(f64, f64)>, weekly: Vec<f64>, growth: f64, origin: f64) -> Reference {
            let mut r = Reference { daily, weekly, growth, origin, mean: 1.0 };
            let minutes = (YEAR_SECS / 60.0) as usize;
            let total: f64 = (0..minutes)
                .map(|m| {
                    let (day, minute) = ((m / 1_440) as f64, (m % 1_440) as f64);
                    (r.raw(day, minute / 60.0) + r.raw(day, (minute + 1.0) / 60.0)) / 2.0
                })
                .sum();
            r.mean = total / minutes as f64;
            r
        }

        /// Raw demand at `hour` (0 to 24 inclusive) of day `day` of the year.
        fn raw(&self, day: f64, hour: f64) -> f64 {
            let d = &self.daily;
            // Wrap: the last point a day earlier, the first a day later.
            let mut points = vec![(d[d.len() - 1].0 - 24.0, d[d.len() - 1].1)];
            points.extend_from_slice(d);
            points.push((d[0].0 + 24.0, d[0].1));
            let k = points.iter().rposition(|p| p.0 <= hour).unwrap().min(points.len() - 2);
            let (a, b) = (points[k], points[k + 1]);
            let m = a.1 + (b.1 - a.1) * (hour - a.0) / (b.0 - a.0);
            let week = self.weekly.get(day as usize % 7).copied().unwrap_or(1.0);
            m * week * (1.0 + self.growth).powf(day / 365.0)
        }

        fn at(&self, t: f64) -> f64 {
            let tau = (t - self.origin).rem_euclid(YEAR_SECS);
            let day = (tau / DAY_SECS).floor();
            self.raw(day, (tau - day * DAY_SECS) / 3_600.0) / self.mean
        }

        /// The limit of demand as time rises to `t`.
        fn before(&self, t: f64) -> f64 {
            let tau = (t - self.origin).rem_euclid(YEAR_SECS);
            let tau = if tau == 0.0 { YEAR_SECS } else { tau };
            let day = ((tau / DAY_SECS).ceil() - 1.0).max(0.0);
            self.raw(day, (tau - day * DAY_SECS) / 3_600.0) / self.mean
        }
    }

    fn profile_strategy() -> impl Strategy<Value = (Vec<(f64, f64)>, Vec<f64>, f64)> {
        let points = prop::collection::btree_map(0u32..48, 0u32..20, 1..6).prop_map(|m| {
            m.into_iter().map(|(half_hour, v)| (f64::from(half_hour) / 2.0, f64::from(v) / 4.0 + 0.25)).collect()
        });
        let weekly = prop_oneof![
            Just(vec![]),
            prop::collection::vec(1u32..8, 7).prop_map(|v| v.into_iter().map(|x| f64::from(x) / 4.0).collect())
        ];
        let growth = prop_oneof![Just(0.0), Just(0.5), Just(-0.3)];
        (points, weekly, growth)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// Values, integrals, maxima and crossings agree with the reference
        /// on random profiles, at random minutes, across year boundaries.
        #[test]
        fn closed_forms_agree_with_a_minute_by_minute_reference(
            (daily, weekly, growth) in profile_strategy(),
            start_minute in 0u64..(2 * 525_600),
            span_minutes in 1u64..3_000,
            level_frac in 0.0f64..1.2,
        ) {
            let origin = 7_200.0;
            let p = Profile::new(&daily, &weekly, growth, 10.0, origin);
            let r = Reference::new(daily.clone(), weekly.clone(), growth, origin);
            let t0 = origin - 3.0 * DAY_SECS + start_minute as f64 * 60.0;
            let t1 = t0 + span_minutes as f64 * 60.0;
            let grid: Vec<f64> = (0..=span_minutes).map(|m| t0 + m as f64 * 60.0).collect();
            let tol = 1e-7 * (1.0 + r.at(t0).abs());
            // Values (just inside each minute, away from steps at midnight).
            for &t in grid.iter().step_by(37) {
                prop_assert!((p.at(t + 1.0) - r.at(t + 1.0)).abs() < tol, "at {t}: {} vs {}", p.at(t + 1.0), r.at(t + 1.0));
            }
            // Integral: trapezoids on the grid (ends just inside each minute).
            let reference: f64 = grid.windows(2).map(|w| (r.at(w[0]) + r.before(w[1])) / 2.0 * 60.0).sum();
            prop_assert!((p.integral(t0, t1) - reference).abs() < 1e-6 * reference.max(1.0), "{} vs {reference}", p.integral(t0, t1));
            if p.is_flat() {
                prop_assert_eq!(p.period_integral(t0, t1 - t0), t1 - t0);
            }
            // Maximum over the span, its end included (a step up there counts).
            let highest = grid.windows(2).map(|w| r.at(w[0]).max(r.before(w[1]))).fold(r.at(t1), f64::max);
            prop_assert!((p.max(t0, t1, Linear::default()) - highest).abs() < 1e-6, "{} vs {highest}", p.max(t0, t1, Linear::default()));
            prop_assert!(p.highest() >= highest - 1e-9);
            // The next rise above a level: demand is not above it in the
            // minutes before, and is by the next minute after.
            let level = level_frac * p.highest();
            if r.at(t0) <= level {
                match p.next_crossing(t0, level, Direction::Up, Linear::default(), f64::INFINITY) {
                    Some(t) => {
                        prop_assert!(t >= t0 && t < t0 + YEAR_SECS + DAY_SECS);
                        let before = (t0..t).step_by_minute().all(|x| r.at(x) <= level + 1e-9);
                        prop_assert!(before, "above {level} before {t}");
                        // Just after (a crossing at a peak may be above the
                        // level for under a second).
                        let after = [1e-3, 1.0, 60.0].iter().any(|d| r.at(t + d) > level - 1e-9);
                        prop_assert!(after, "not above {level} after {t}");
                    }
                    None => prop_assert!(p.highest() <= level + 1e-9, "{level} is reached at some point"),
                }
            }
        }
    }

    /// Minute steps over a range, for the reference scans.
    trait Minutes {
        fn step_by_minute(self) -> Box<dyn Iterator<Item = f64>>;
    }

    impl Minutes for std::ops::Range<f64> {
        fn step_by_minute(self) -> Box<dyn Iterator<Item = f64>> {
            let (a, b) = (self.start, self.end);
            Box::new((0..).map(move |m| a + m as f64 * 60.0).take_while(move |&x| x < b - 1e-6))
        }
    }
}
