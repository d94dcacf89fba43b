//! The JSON contract: one object per run, the figures with the run's
//! metadata under `run` (see README, "JSON output").

use super::Exporter;
use crate::analysis::Results;
use crate::run::{Run, RunInfo};
use serde::Serialize;

/// JSON: an object for one run, an array for several.
pub struct Json;

#[derive(Serialize)]
struct RunJson<'a> {
    #[serde(flatten)]
    results: &'a Results,
    run: &'a RunInfo,
}

impl Exporter for Json {
    fn serialize(&self, runs: &[Run]) -> Vec<u8> {
        let objects: Vec<RunJson> = runs.iter().map(|r| RunJson { results: &r.results, run: &r.info }).collect();
        let mut bytes = match objects.as_slice() {
            [one] => serde_json::to_vec_pretty(one),
            many => serde_json::to_vec_pretty(many),
        }
        .expect("results serialize");
        bytes.push(b'\n');
        bytes
    }
}
