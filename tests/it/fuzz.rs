//! Hostile and careless input: random edits of the bundled scenarios and
//! random `--set` strings, and random studies (`--vary` and `--assert`
//! strings, sweep files with random fields and edits), never make
//! availsim panic, and what it accepts simulates (two years) and is gated
//! without panicking either. A proptest-based fuzzer on stable Rust:
//! `cargo test --release fuzz` runs a short round; for a long one,
//! `FUZZ_CASES=200000 cargo test --release fuzz -- --ignored`.

use availsim::assertion::{self, Assertion};
use availsim::scenario::{EVENTS_PER_YEAR_LIMIT, Override, Scenario};
use availsim::sweep::{Plan, Vary};
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
    "\"5µs\"",
    "\"１m\"",
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
    "\"active-active\"",
    "\"active-passive\"",
    "\"automatic\"",
    "\"global\"",
    "\"regional\"",
    "\"quorum\"",
    "\"fault_domains\"",
    "[\"a\", \"A\"]",
    "[\"a\", \"b\", \"c\"]",
    "[0, 0]",
    "[1e308, 1e308]",
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
    "dependency.database.replicas",
    "dependency.database.mode",
    "dependency.database.placement",
    "dependency.database.quorum",
    "dependency.database.failover.detection",
    "dependency.session-store.scope",
    "regions",
    "regions.names",
    "regions.mode",
    "regions.weights",
    "regions.failover",
    "regions.switch",
    "regions.dns_ttl",
    "regions.outage",
    "regions.outage.failure",
    "regions.health_check.interval",
    "regions.health_check.unhealthy_threshold",
    "foo",
    "foo.bar",
    "slo.target.x",
];

const SCENARIOS: &[&str] = &[
    "single-instance",
    "three-fd",
    "flash-sale",
    "sessions-in-memory",
    "unregistered-replacements",
    "three-fd-ha-db",
    "two-region-active-active",
    "two-region-active-passive",
];

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
    "[regions]\nnames = [\"x\", \"y\"]",
    "[regions]\nnames = [\"x\", \"y\"]\nmode = \"active-passive\"\nfailover = \"manual\"\nswitch = \"0s\"",
    "scope = \"global\"",
    "replicas = 3\nmode = \"quorum\"",
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

/// A `--vary` string: a key and a list, a range or a log range of values
/// a careless user writes, or something that is none of them.
fn vary() -> impl Strategy<Value = String> {
    const ENDS: &[&str] = &["1m", "30m", "0", "-5", "0.99", "1e308", "nan", "1ms", "1e400s", "\"a\"", "[1]"];
    const STEPS: &[&str] = &["0", "1", "2", "3", "10000", "10001", "18446744073709551616", "-1", "x", ""];
    const ODD: &[&str] = &["=", "a=", "=1", "a==1", "a=1,,2", "a='1,2", "a=\"1,2\",3", "a=[1,2],[3", "a=log:1..", ""];
    let list = prop::collection::vec(prop::sample::select(VALUES), 1..4).prop_map(|v| v.join(","));
    let range = (any::<bool>(), prop::sample::select(ENDS), prop::sample::select(ENDS), prop::sample::select(STEPS))
        .prop_map(|(log, a, b, n)| format!("{}{a}..{b}:{n}", if log { "log:" } else { "" }));
    const GOOD: &[&str] = &[
        "repair.time=1m,2m",
        "load_balancer.health_check.interval=5s..60s:3",
        "slo.target=log:0.99..0.9999:3",
        "topology.instances_per_fd=[1,1,1],[2,2,2]",
        "dependency.database.failure=1d,100d",
        "monitoring.alert_delay=1m,1h",
    ];
    prop_oneof![
        3 => prop::sample::select(GOOD).prop_map(String::from),
        2 => (prop::sample::select(KEYS), prop_oneof![list, range]).prop_map(|(k, v)| format!("{k}={v}")),
        1 => prop::sample::select(ODD).prop_map(String::from),
    ]
}

/// An `--assert` string, well-formed or not.
fn assertion() -> impl Strategy<Value = String> {
    const FIGURES: &[&str] = &[
        "request_availability.mean",
        "time_availability.ci95_low",
        "causes.database.downtime_minutes_per_year",
        "peak_utilisation_percent.p99",
        "slo.p_window_meets",
        "request_availability",
        "nosuch",
        "",
    ];
    const OPS: &[&str] = &[">=", "<=", ">", "<", "==", "!=", "=", "=>", " ", ""];
    const NUMBERS: &[&str] = &["0.999", "1e308", "nan", "-inf", "x", "", "99.9%", "0"];
    (prop::sample::select(FIGURES), prop::sample::select(OPS), prop::sample::select(NUMBERS))
        .prop_map(|(f, o, n)| format!("{f} {o} {n}"))
}

/// A sweep file: random values for its fields (some missing, some
/// unknown), then random edits of its text.
fn sweep_file() -> impl Strategy<Value = String> {
    const SCENARIOS: &[&str] = &["\"three-fd\"", "\"flash-sale\"", "\"nosuch\"", "\"/\"", "3", "\"\""];
    const PLOTS: &[&str] = &["\"request_availability\"", "\"nope\"", "1", "\"causes.database\""];
    let quoted = |v: Vec<String>| format!("[{}]", v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "));
    (
        prop::option::of(prop::sample::select(SCENARIOS)),
        prop::option::of(prop::collection::vec(vary(), 0..3).prop_map(quoted)),
        prop::option::of(prop::sample::select(VALUES)),
        prop::option::of(prop::sample::select(PLOTS)),
        prop::option::of(prop::collection::vec(assertion(), 0..3).prop_map(quoted)),
        any::<bool>(),
        prop::collection::vec(edit(), 0..3),
    )
        .prop_map(|(scenario, vary, years, plot, assert, unknown, edits)| {
            let fields = [("scenario", scenario.map(String::from)), ("vary", vary), ("years", years.map(String::from))];
            let more = [("plot", plot.map(String::from)), ("assert", assert), ("colour", unknown.then(|| "1".into()))];
            let text: String =
                fields.into_iter().chain(more).filter_map(|(k, v)| v.map(|v| format!("{k} = {v}\n"))).collect();
            edits.iter().fold(text, |t, e| apply(&t, e))
        })
}

/// Plans the study (a sweep file, or three-fd, with `varies` and
/// `asserts`), checks its points and, when small, simulates two years of
/// its first point and gates it; panics are what the property forbids.
fn exercise_study(file: Option<&str>, varies: &[String], asserts: &[String]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.toml");
    if let Some(text) = file {
        std::fs::write(&path, text).unwrap();
    }
    let spec = if file.is_some() { path.display().to_string() } else { "three-fd".into() };
    let outcome = std::panic::catch_unwind(|| {
        let varies: Vec<Vary> = varies.iter().filter_map(|v| v.parse().ok()).collect();
        let asserts: Vec<Assertion> = asserts.iter().filter_map(|a| a.parse().ok()).collect();
        let Ok(plan) = Plan::new(&spec, varies, None, None, asserts) else { return };
        let Ok(overrides) = Override::from_options(&[], plan.years, None) else { return };
        let Ok(base) = Scenario::resolve(&plan.scenario, &overrides) else { return };
        let Ok(points) = plan.points(&base) else { return };
        if let Some((point, sc)) = points.first()
            && sc.events_per_year().0 < 1e6
            && let Ok(run) = simulate(sc, &RunConfig::years(2))
        {
            let _ = assertion::gate(&plan.assertions, &[availsim::sweep::label(point)], &[&run.results]);
        }
    });
    prop_assert!(outcome.is_ok(), "panicked on {file:?} {varies:?} {asserts:?}");
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
    #![proptest_config(ProptestConfig { cases: cases(100), failure_persistence: None, ..ProptestConfig::default() })]

    /// A short round of studies on every test run.
    #[test]
    fn fuzz_studies_never_panic(
        file in prop::option::of(sweep_file()),
        varies in prop::collection::vec(vary(), 0..3),
        asserts in prop::collection::vec(assertion(), 0..3),
    ) {
        exercise_study(file.as_deref(), &varies, &asserts)?;
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

    /// The long round of studies (ignored by default).
    #[test]
    #[ignore]
    fn fuzz_studies_long(
        file in prop::option::of(sweep_file()),
        varies in prop::collection::vec(vary(), 0..4),
        asserts in prop::collection::vec(assertion(), 0..4),
    ) {
        exercise_study(file.as_deref(), &varies, &asserts)?;
    }
}
