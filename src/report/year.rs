//! One recorded year read as an SRE reads it: its incidents (when, how
//! long, why) and how fast its SLO windows burn their error budget.

use crate::cause::CauseId;
use crate::stats::Sli;
use crate::timeline::Timeline;
use crate::units::YEAR_SECS;

/// A moment of the recorded year as the timeline's axis counts it: whole
/// days since the year began, then the time of day (`293 d 21:47`).
pub fn day_time(t: f64) -> String {
    let (day, minutes) = ((t / 86_400.0).floor(), ((t % 86_400.0) / 60.0).floor());
    format!("{day} d {:02}:{:02}", (minutes / 60.0).floor(), minutes % 60.0)
}

/// A stretch of the recorded year during which the service was down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Incident {
    /// When it began [s since the start of the year].
    pub start: f64,
    /// How long it lasted, within the year [s].
    pub duration: f64,
    /// The cause that held it down longest.
    pub cause: CauseId,
}

/// The year's incidents in time order: each maximal stretch of downtime,
/// cut at the year's ends.
pub fn incidents(tl: &Timeline) -> Vec<Incident> {
    let mut out: Vec<Incident> = vec![];
    // Time down by cause within the incident under way.
    let mut open: Option<(f64, Vec<(CauseId, f64)>)> = None;
    for (k, s) in tl.samples.iter().enumerate() {
        let next = tl.samples.get(k + 1).map_or(YEAR_SECS, |n| n.t);
        match (&mut open, s.up) {
            (Some(_), true) => close(&mut open, s.t, &mut out),
            (None, false) => open = Some((s.t, vec![])),
            _ => {}
        }
        if let (Some((_, by_cause)), false) = (&mut open, s.up) {
            match by_cause.iter_mut().find(|(c, _)| *c == s.cause) {
                Some((_, d)) => *d += next - s.t,
                None => by_cause.push((s.cause, next - s.t)),
            }
        }
    }
    close(&mut open, YEAR_SECS, &mut out);
    out
}

/// Ends the incident under way, if any, at `end`.
fn close(open: &mut Option<(f64, Vec<(CauseId, f64)>)>, end: f64, out: &mut Vec<Incident>) {
    if let Some((start, by_cause)) = open.take() {
        let cause = by_cause.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map_or(CauseId::default(), |c| c.0);
        out.push(Incident { start, duration: end - start, cause });
    }
}

/// Demand at `t` [requests/s] on a recorded year's demand curve (linear
/// between its points), just after `t` if `after`, else just before: the
/// curve may step where two points share a time. `None` without traffic.
pub fn demand_at(demand: &[(f64, f64)], t: f64, after: bool) -> Option<f64> {
    let k = demand.partition_point(|d| if after { d.0 <= t } else { d.0 < t });
    match (k.checked_sub(1).map(|i| demand[i]), demand.get(k)) {
        (Some(a), Some(b)) if b.0 > a.0 => Some(a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0)),
        (Some(a), _) => Some(a.1),
        (None, Some(b)) => Some(b.1),
        (None, None) => None,
    }
}

/// One SLO window of the recorded year: the error budget left as it goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Burn {
    /// Its start [s since the start of the year].
    pub start: f64,
    /// (s into the window, budget left as a fraction: 1 untouched, 0 spent,
    /// below 0 blown), from its start to its end.
    pub left: Vec<(f64, f64)>,
}

impl Burn {
    /// The budget left at the window's end.
    pub fn end(&self) -> f64 {
        self.left.last().map_or(1.0, |p| p.1)
    }
}

/// The whole SLO windows of length `window` [s] that fit in the recorded
/// year from its start, each with its budget, `(1 − target)` of what the
/// window offers on `sli`, drawn down as it goes: on time, by each moment
/// down; on requests, by each failed share weighted by demand (flat
/// without traffic), so that a window ends at or above 0 exactly when it
/// meets the target.
pub fn burns(tl: &Timeline, window: f64, target: f64, sli: Sli) -> Vec<Burn> {
    let count = (YEAR_SECS / window).floor().max(1.0) as usize;
    let window = window.min(YEAR_SECS);
    // Breakpoints: samples, demand points, window edges.
    let mut times: Vec<f64> = tl.samples.iter().map(|s| s.t).chain(tl.demand.iter().map(|d| d.0)).collect();
    times.extend((0..=count).map(|w| w as f64 * window));
    times.retain(|&t| t <= count as f64 * window);
    times.sort_by(f64::total_cmp);
    times.dedup();
    let demand = |t: f64, after: bool| -> f64 {
        if sli == Sli::Time { 1.0 } else { demand_at(&tl.demand, t, after).unwrap_or(1.0) }
    };
    let mut out = vec![];
    let mut k = 0;
    for w in 0..count {
        let (from, to) = (w as f64 * window, (w + 1) as f64 * window);
        // Cumulative (s into the window, bad, offered).
        let mut points = vec![(0.0, 0.0, 0.0)];
        for pair in times.windows(2).filter(|p| p[0] >= from && p[1] <= to) {
            let (a, b) = (pair[0], pair[1]);
            while k + 1 < tl.samples.len() && tl.samples[k + 1].t <= a {
                k += 1;
            }
            let s = &tl.samples[k];
            let failing = match sli {
                Sli::Time => f64::from(u8::from(!s.up)),
                Sli::Requests => s.failing,
            };
            let offered = (demand(a, true) + demand(b, false)) / 2.0 * (b - a);
            let &(_, bad, total) = points.last().expect("starts with the origin");
            points.push((b - from, bad + failing * offered, total + offered));
        }
        let budget = (1.0 - target) * points.last().map_or(0.0, |p| p.2);
        let left = points.iter().map(|&(t, bad, _)| (t, 1.0 - bad / budget.max(f64::MIN_POSITIVE))).collect();
        out.push(Burn { start: from, left });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::demand::Linear;
    use crate::timeline::Sample;

    /// A sample of a service with one instance and no capacity limit.
    pub(crate) fn sample(t: f64, up: bool, failing: f64, cause: u16) -> Sample {
        Sample {
            t,
            slots: vec![],
            slot_fd: vec![],
            fd_live: vec![],
            lb_up: true,
            dependencies_up: vec![],
            planned: [false; 2],
            up,
            cause: CauseId(cause),
            failing,
            instances: 1,
            capacity_rps: None,
            flash: Linear::default(),
            regions: vec![],
        }
    }

    /// A recorded year of these samples and demand points.
    pub(crate) fn year(samples: Vec<Sample>, demand: Vec<(f64, f64)>) -> Timeline {
        Timeline { trajectory: 0, year: 0, downtime: 0.0, samples, demand }
    }

    const DAY: f64 = 86_400.0;

    /// Two incidents, the second of two causes (the longer named) and
    /// running past the year's end, which cuts it.
    #[test]
    fn incidents_are_the_stretches_down_named_by_their_longest_cause() {
        let tl = year(
            vec![
                sample(0.0, true, 0.0, 0),
                sample(100.0, false, 1.0, 3),
                sample(160.0, true, 0.0, 0),
                sample(DAY, true, 0.2, 0),
                sample(YEAR_SECS - 300.0, false, 1.0, 5),
                sample(YEAR_SECS - 200.0, false, 1.0, 7),
            ],
            vec![],
        );
        let got = incidents(&tl);
        assert_eq!(
            got,
            [
                Incident { start: 100.0, duration: 60.0, cause: CauseId(3) },
                Incident { start: YEAR_SECS - 300.0, duration: 300.0, cause: CauseId(7) },
            ]
        );
    }

    /// 43.2 minutes down in a 30-day window spends exactly a 99.9 % budget;
    /// on requests, half the requests failing for that long spends half,
    /// and twice the demand while they fail spends it all again.
    #[test]
    fn a_window_burns_its_budget_by_what_its_sli_loses() {
        let down = 43.2 * 60.0;
        let samples = vec![sample(0.0, true, 0.0, 0), sample(DAY, false, 0.5, 1), sample(DAY + down, true, 0.0, 0)];
        let tl = year(samples.clone(), vec![]);
        let time = burns(&tl, 30.0 * DAY, 0.999, Sli::Time);
        assert_eq!(time.len(), 12);
        assert!(time[0].end().abs() < 1e-9, "spent exactly: {}", time[0].end());
        assert!((time[1].end() - 1.0).abs() < 1e-12 && time[1].start == 30.0 * DAY);
        let at_day = |b: &Burn, d: f64| b.left.iter().rev().find(|p| p.0 <= d * DAY).unwrap().1;
        assert!((at_day(&time[0], 0.5) - 1.0).abs() < 1e-12, "nothing spent before the incident");
        let requests = burns(&tl, 30.0 * DAY, 0.999, Sli::Requests);
        assert!((requests[0].end() - 0.5).abs() < 1e-9);
        // Demand doubles for the incident (and nearly nothing else moves):
        // the failed half weighs twice, the window's requests a little more.
        let busy = vec![(0.0, 1.0), (DAY, 1.0), (DAY, 2.0), (DAY + down, 2.0), (DAY + down, 1.0), (YEAR_SECS, 1.0)];
        let weighted = burns(&year(samples, busy), 30.0 * DAY, 0.999, Sli::Requests);
        let total = 30.0 * DAY + down;
        let expected = 1.0 - (0.5 * 2.0 * down) / (0.001 * total);
        assert!((weighted[0].end() - expected).abs() < 1e-9, "{} vs {expected}", weighted[0].end());
    }
}
