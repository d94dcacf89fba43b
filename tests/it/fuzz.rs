//! Hostile and careless input: random edits of the bundled scenarios and
//! random `--set` strings never make availsim panic, and what it accepts
//! simulates (two years) without panicking either. A proptest-based fuzzer
//! on stable Rust: `cargo test --release fuzz` runs a short round; for a
//! long one, `FUZZ_CASES=200000 cargo test --release fuzz -- --ignored`.

use availsim::scenario::{EVENTS_PER_YEAR_LIMIT, Override, Scenario};
use availsim::{RunConfig, simulate};
use proptest::prelude::*;

/// Values a careless or hostile user writes.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "0.5",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "65536",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "\"\"",
    "\"0s\"",
    "\"never\"",
    "\"1ms\"",
    "\"1e3s\"",
    "\"1e400s\"",
    "\"-5m\"",
    "\"10\"",
    "\"1y\"",
    "\"1000000000y\"",
    "\"2y\"",
    "true",
    "false",
    "1979-05-27",
    "1979-05-27T07:32:00Z",
    "[]",
    "[0]",
    "[1, 2]",
    "[[0, 1], [12, 2]]",
    "[[30, 1]]",
    "{}",
    "{ dist = \"exponential\", mean = \"0s\" }",
    "{ dist = \"weibull\", shape = 0.01, scale = \"1s\" }",
    "{ dist = \"lognormal\", mu = -700, sigma = 1 }",
    "{ dist = \"lognormal\", mu = 10, sigma = 40 }",
    "{ dist = \"uniform\", low = \"0s\", high = \"0s\" }",
    "{ dist = \"gamma\" }",
    "{ above = 0.9, hazard = 1e308 }",
    "\"pool\"",
    "\"manual\"",
    "\"rolling\"",
    "\"memory\"",
    "\"external\"",
    "\"requests\"",
    "\"degraded\"",
];

/// Keys a user may set, bundled scenarios' and the traffic ones.
const KEYS: &[&str] = &[
    "name",
    "simulation",
    "simulation.years",
    "simulation.seed",
    "simulation.warmup",
    "slo.target",
    "slo.window",
    "slo.sli",
    "topology.availability_domains",
    "topology.fault_domains_per_ad",
    "topology.instances_per_fd",
    "instance.failure",
    "instance.gray_failure",
    "instance.capacity",
    "instance.overload",
    "fault_domain.failure",
    "fault_domain.repair",
    "availability_domain.failure",
    "availability_domain.repair",
    "load_balancer.failure",
    "load_balancer.repair",
    "load_balancer.health_check.interval",
    "load_balancer.health_check.timeout",
    "load_balancer.health_check.unhealthy_threshold",
    "monitoring.alert_delay",
    "repair.mode",
    "repair.time",
    "repair.cross_fd",
    "repair.register",
    "dependency.database.failure",
    "dependency.0.repair",
    "dependency.9.failure",
    "sessions.storage",
    "sessions.active",
    "deploy.every",
    "deploy.duration",
    "deploy.strategy",
    "deploy.bad_release_probability",
    "maintenance.every",
    "traffic.rps",
    "traffic.daily",
    "traffic.weekly",
    "traffic.growth",
    "traffic.flash_sale.per_year",
    "traffic.flash_sale.multiplier",
    "autoscaling.enabled",
    "autoscaling.min",
    "autoscaling.max",
    "autoscaling.step",
    "autoscaling.cooldown",
    "foo",
    "foo.bar",
    "slo.target.x",
];

const SCENARIOS: &[&str] =
    &["single-instance", "three-fd", "flash-sale", "sessions-in-memory", "unregistered-replacements"];

/// One edit of a scenario's text.
#[derive(Clone, Debug)]
enum Edit {
    /// Replaces the value of the `line`-th `key = value` line.
    Value { line: usize, value: &'static str },
    /// Deletes a line.
    Delete { line: usize },
    /// Duplicates a line.
    Duplicate { line: usize },
    /// Cuts the text at a fraction of its length.
    Truncate { at: f64 },
    /// Inserts raw text at a line.
    Insert { line: usize, text: &'static str },
}

const INSERTS: &[&str] = &[
    "[instance]",
    "[[instance]]",
    "[[slo]]",
    "[load_balancer.health_check.probe]",
    "x = 1",
    "= 1",
    "[",
    "\"",
    "[traffic]\nrps = 1e308",
    "[autoscaling]\nmin = 1\nmax = 65536",
    "[[dependency]]",
    "\u{0}",
    "\u{feff}",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0usize..200, prop::sample::select(VALUES)).prop_map(|(line, value)| Edit::Value { line, value }),
        (0usize..200).prop_map(|line| Edit::Delete { line }),
        (0usize..200).prop_map(|line| Edit::Duplicate { line }),
        (0.0f64..1.0).prop_map(|at| Edit::Truncate { at }),
        (0usize..200, prop::sample::select(INSERTS)).prop_map(|(line, text)| Edit::Insert { line, text }),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let n = lines.len();
    if n == 0 {
        return format!("{text}{}", INSERTS[0]);
    }
    match edit {
        Edit::Value { line, value } => {
            let assignments: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains(" = ")).collect();
            if let Some(&i) = assignments.get(line % assignments.len().max(1)) {
                let key = lines[i].split(" = ").next().unwrap_or_default().to_string();
                lines[i] = format!("{key} = {value}");
            }
        }
        Edit::Delete { line } => {
            lines.remove(line % n);
        }
        Edit::Duplicate { line } => {
            let l = lines[line % n].clone();
            lines.insert(line % n, l);
        }
        Edit::Truncate { at } => {
            let cut = (text.len() as f64 * at) as usize;
            return text.char_indices().take_while(|(i, _)| *i < cut).map(|(_, c)| c).collect();
        }
        Edit::Insert { line, text } => lines.insert(line % n, text.to_string()),
    }
    lines.join("\n")
}

fn set() -> impl Strategy<Value = String> {
    (prop::sample::select(KEYS), prop::sample::select(VALUES)).prop_map(|(k, v)| format!("{k}={v}"))
}

/// Loads (and, if accepted and small, simulates two years of) the edited
/// scenario; panics are what the property forbids.
fn exercise(name: &str, edits: &[Edit], sets: &[String]) -> Result<(), TestCaseError> {
    let mut text = availsim::embedded::scenario(name).unwrap().to_string();
    for e in edits {
        text = apply(&text, e);
    }
    let outcome = std::panic::catch_unwind(|| {
        let overrides: Vec<Override> = sets.iter().filter_map(|s| Override::parse(s).ok()).collect();
        if let Ok(sc) = Scenario::from_toml(&text, name, &overrides) {
            assert!(sc.events_per_year().0 <= EVENTS_PER_YEAR_LIMIT);
            if sc.events_per_year().0 < 1e6 {
                let _ = simulate(&sc, &RunConfig::years(2));
            }
        }
    });
    prop_assert!(outcome.is_ok(), "panicked on {edits:?} {sets:?}:\n{text}");
    Ok(())
}

fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), failure_persistence: None, ..ProptestConfig::default() })]

    /// A short round on every test run.
    #[test]
    fn fuzz_edits_and_sets_never_panic(
        name in prop::sample::select(SCENARIOS),
        edits in prop::collection::vec(edit(), 0..4),
        sets in prop::collection::vec(set(), 0..3),
    ) {
        exercise(name, &edits, &sets)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(20_000), failure_persistence: None, ..ProptestConfig::default() })]

    /// The long round (ignored by default: minutes).
    #[test]
    #[ignore]
    fn fuzz_long(
        name in prop::sample::select(SCENARIOS),
        edits in prop::collection::vec(edit(), 0..6),
        sets in prop::collection::vec(set(), 0..4),
    ) {
        exercise(name, &edits, &sets)?;
    }
}
