//! Every declared cause is wired end to end: for each one in
//! `Cause::FIXED_CAUSES`, a scenario where that kind of failure is the
//! only one (or the dominant one) books it the most failed requests. A
//! cause declared without a case here, or declared but never attributed
//! by the model, fails this test.

use super::{minimal, simulate};
use availsim::cause::Cause;

/// Pool replacement after five minutes, unless a case says otherwise.
const POOL: &str = "[repair]\nmode = \"pool\"\ntime = \"5m\"";

/// A health-checked load balancer that never fails.
const CHECKED_LB: &str = "[load_balancer]\n[load_balancer.health_check]\ninterval = \"10s\"\ntimeout = \"2s\"\nunhealthy_threshold = 3\nhealthy_threshold = 2";

/// The scenario (instances per fault domain, sections, overrides) in which
/// `cause` should dominate, or `None` for a cause with no case yet.
fn case(cause: &str) -> Option<(Vec<u32>, String, Vec<&'static str>)> {
    let outage = "failure = { dist = \"exponential\", mean = \"30d\" }\nrepair = \"1h\"";
    let deploy = |section: &str, bad: &str| {
        format!("{POOL}\n[{section}]\nevery = \"7d\"\nduration = \"10m\"\nstrategy = \"all_at_once\"\n{bad}")
    };
    let crashes = r#"instance.failure={dist="exponential",mean="30d"}"#;
    Some(match cause {
        "load_balancer" => (vec![2], format!("{POOL}\n[load_balancer]\n{outage}"), vec![]),
        "ad_outage" => (vec![2], format!("{POOL}\n[availability_domain]\n{outage}"), vec![]),
        "fd_outage" => (vec![2], format!("{POOL}\n[fault_domain]\n{outage}"), vec![]),
        // Replacements left out of rotation until the on-call registers
        // them, after the alert.
        "unregistered" => (
            vec![2],
            format!("{CHECKED_LB}\n[repair]\nmode = \"pool\"\ntime = \"5m\"\nregister = false"),
            vec![crashes, "monitoring.alert_delay=5m"],
        ),
        "deploy" => (vec![2], deploy("deploy", ""), vec![]),
        "maintenance" => (vec![2], deploy("maintenance", ""), vec![]),
        "bad_release" => {
            (vec![2], deploy("deploy", "bad_release_probability = 1.0\nrollback = \"3h\""), vec!["deploy.duration=1m"])
        }
        "gray_failure" => (
            vec![1],
            format!("{CHECKED_LB}\n{POOL}\n[instance.gray_failure]\ndist = \"exponential\"\nmean = \"30d\""),
            vec!["monitoring.alert_delay=1h"],
        ),
        // No health checker: a crash goes unnoticed until the alert (an
        // hour), then the pool replaces it (five minutes).
        "detection_window" => (vec![1], POOL.to_string(), vec![crashes, "monitoring.alert_delay=1h"]),
        // Noticed at once, replaced after an hour.
        "instance_failure" => (vec![1], "[repair]\nmode = \"pool\"\ntime = \"1h\"".to_string(), vec![crashes]),
        "capacity" => (
            vec![2],
            format!("{POOL}\n[traffic]\nrps = 300\ndaily = [[0, 0.5], [12, 1.5]]"),
            vec!["instance.capacity=200"],
        ),
        _ => return None,
    })
}

#[test]
fn every_declared_cause_is_attributed() {
    for fixed in Cause::FIXED_CAUSES {
        let name = fixed.name;
        let (instances, sections, sets) =
            case(name).unwrap_or_else(|| panic!("cause {name} is declared but has no case in tests/it/causes.rs"));
        let r = simulate(&minimal(&instances, &sections), 200, &sets);
        let lost = |c: &str| r.causes.get(c).unwrap().failed_request_minutes_per_year;
        assert!(lost(name) > 1.0, "{name}: {} failed-request minutes a year", lost(name));
        let top = r
            .causes
            .0
            .iter()
            .max_by(|a, b| a.failed_request_minutes_per_year.total_cmp(&b.failed_request_minutes_per_year));
        assert_eq!(top.unwrap().name, name, "{name} dominates its own case");
    }
}
