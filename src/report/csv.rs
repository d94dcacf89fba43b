//! `downtime.csv`: the per-year and per-window downtime distributions as
//! histogram bins.

use crate::analysis::Results;
use crate::stats::LogHistogram;

/// The histogram bins of per-year and per-window downtime, one row per
/// non-empty bin: `period,low_minutes,high_minutes,count,fraction,cumulative_fraction`.
pub fn downtime_csv(results: &Results) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![]);
    let write = |w: &mut csv::Writer<Vec<u8>>, period: &str, h: &LogHistogram| {
        let n = h.count().max(1) as f64;
        let mut below = 0;
        for (lo, hi, count) in h.bins() {
            below += count;
            w.write_record([
                period.to_string(),
                format!("{:.6}", lo / 60.0),
                format!("{:.6}", hi / 60.0),
                count.to_string(),
                format!("{:.9}", count as f64 / n),
                format!("{:.9}", below as f64 / n),
            ])
            .expect("writing to memory");
        }
    };
    w.write_record(["period", "low_minutes", "high_minutes", "count", "fraction", "cumulative_fraction"])
        .expect("writing to memory");
    write(&mut w, "year", &results.histograms.year);
    write(&mut w, "window", &results.histograms.window);
    w.into_inner().expect("writing to memory")
}
