//! `downtime.csv`: the per-year and per-window downtime distributions as
//! histogram bins.

use super::Exporter;
use crate::error::{Error, Result};
use crate::run::Run;
use crate::stats::LogHistogram;

/// The histogram bins of per-year and per-window downtime, one row per
/// non-empty bin and scenario:
/// `scenario,period,low_minutes,high_minutes,count,fraction,cumulative_fraction`,
/// low and high being the smallest and largest downtime in the bin.
pub struct DowntimeCsv;

impl Exporter for DowntimeCsv {
    fn serialize(&self, runs: &[Run]) -> Result<Vec<u8>> {
        let failed = |e: &dyn std::fmt::Display| Error::Render { what: "downtime.csv".into(), message: e.to_string() };
        let mut w = csv::Writer::from_writer(vec![]);
        let header = ["scenario", "period", "low_minutes", "high_minutes", "count", "fraction", "cumulative_fraction"];
        w.write_record(header).map_err(|e| failed(&e))?;
        for run in runs {
            let h = &run.results.histograms;
            for (period, histogram) in [("year", &h.year), ("window", &h.window)] {
                rows(&mut w, &run.results.scenario, period, histogram).map_err(|e| failed(&e))?;
            }
        }
        w.into_inner().map_err(|e| failed(&e))
    }
}

fn rows(w: &mut csv::Writer<Vec<u8>>, scenario: &str, period: &str, h: &LogHistogram) -> csv::Result<()> {
    let n = h.count().max(1) as f64;
    let mut below = 0;
    for (lo, hi, count) in h.bins() {
        below += count;
        w.write_record([
            scenario.to_string(),
            period.to_string(),
            format!("{:.6}", lo / 60.0),
            format!("{:.6}", hi / 60.0),
            count.to_string(),
            format!("{:.9}", count as f64 / n),
            format!("{:.9}", below as f64 / n),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::fixture;

    #[test]
    fn layout() {
        insta::assert_snapshot!(String::from_utf8(DowntimeCsv.serialize(&[fixture::run()]).unwrap()).unwrap());
    }
}
