//! Integration tests: the model against closed forms, the reference
//! scenarios against their bands, and the command line end to end.

mod causes;
mod cli;
mod cross_checks;
mod fuzz;
mod intervals;
mod layers;
mod malformed;
mod regions;
mod scale_out;
mod scenarios;
mod tiers;
mod traffic;

use availsim::analysis::Results;
use availsim::scenario::{Override, Scenario};
use availsim::{RunConfig, simulate as run};

/// Simulates scenario `text` with `years` years and overrides `sets`.
pub fn simulate(text: &str, years: u64, sets: &[&str]) -> Results {
    let mut overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    overrides.push(Override::parse(&format!("simulation.years={years}")).unwrap());
    let scenario = Scenario::from_toml(text, "test.toml", &overrides).unwrap_or_else(|e| panic!("{e}"));
    run(&scenario, &RunConfig::years(years)).unwrap().results
}

/// A minimal scenario: `instances` instances in one fault domain, nothing
/// failing but what `extra` adds. Instances never crash within a run (a
/// constant million years, longer than any trajectory) unless overridden.
pub fn minimal(instances: &[u32], extra: &str) -> String {
    format!(
        r#"
name = "test"
[slo]
target = 0.999
[topology]
fault_domains_per_ad = {fds}
instances_per_fd = {instances:?}
[instance]
failure = "1000000y"
[monitoring]
alert_delay = "0s"
{extra}
"#,
        fds = instances.len()
    )
}
