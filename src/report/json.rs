//! The JSON contract: one object per run, the figures with the run's
//! metadata under `run` (see README, "JSON output").

use super::Exporter;
use crate::analysis::Results;
use crate::error::{Error, Result};
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
    fn serialize(&self, runs: &[Run]) -> Result<Vec<u8>> {
        let objects: Vec<RunJson> = runs.iter().map(|r| RunJson { results: &r.results, run: &r.info }).collect();
        let mut bytes = match objects.as_slice() {
            [one] => serde_json::to_vec_pretty(one),
            many => serde_json::to_vec_pretty(many),
        }
        .map_err(|e| Error::Render { what: "JSON".into(), message: e.to_string() })?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::fixture;

    #[test]
    fn one_run_is_an_object_with_its_metadata_under_run() {
        insta::assert_snapshot!(String::from_utf8(Json.serialize(&[fixture::run()]).unwrap()).unwrap());
    }

    #[test]
    fn several_runs_are_an_array_in_order() {
        let v: serde_json::Value =
            serde_json::from_slice(&Json.serialize(&[fixture::run(), fixture::run()]).unwrap()).unwrap();
        assert_eq!(v.as_array().map(Vec::len), Some(2));
        assert_eq!(v[1]["scenario"], "fixture");
    }
}
