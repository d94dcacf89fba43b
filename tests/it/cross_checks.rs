//! The cross-checks of MODEL.md: closed forms the simulator must reproduce
//! within its own 95 % confidence interval. Seeds are fixed, so each check
//! is deterministic; a failure is a bug or, once in twenty, an honest
//! statistical miss worth a second look, never something to re-seed away.

use super::{minimal, simulate};
use availsim::stats::Interval;

/// Fails unless `expected` lies in `got`'s 95 % interval.
pub fn assert_within(name: &str, got: &Interval, expected: f64) {
    assert!(
        got.ci95_low <= expected && expected <= got.ci95_high,
        "{name}: closed form {expected:.6} outside the simulated 95 % interval [{:.6}, {:.6}] (mean {:.6})",
        got.ci95_low,
        got.ci95_high,
        got.mean
    );
}

/// One instance, exponential failure (MTBF 10 d) and repair (MTTR 1 d),
/// repaired as soon as it fails: A = MTBF / (MTBF + MTTR) = 10/11.
#[test]
fn one_component_exponential() {
    let text = minimal(
        &[1],
        r#"[repair]
mode = "manual"
time = { dist = "exponential", mean = "1d" }"#,
    );
    let r = simulate(&text, 4_000, &["instance.failure={ dist = \"exponential\", mean = \"10d\" }"]);
    assert_within("one component", &r.time_availability, 10.0 / 11.0);
    // Without a load balancer every request goes to the one instance.
    assert_within("one component, requests", &r.request_availability, 10.0 / 11.0);
}

/// Three identical instances with their own repair, addressed directly:
/// the service is up when at least one is (k = 1 of n = 3), and the request
/// success rate is the mean fraction up, a.
#[test]
fn one_of_three_parallel() {
    let text = minimal(
        &[3],
        r#"[repair]
mode = "manual"
time = { dist = "exponential", mean = "2d" }"#,
    );
    let r = simulate(&text, 4_000, &["instance.failure={ dist = \"exponential\", mean = \"4d\" }"]);
    let a: f64 = 4.0 / 6.0;
    let k_of_n = |k: u32, n: u32| -> f64 {
        (k..=n)
            .map(|i| {
                let c = (0..i).fold(1.0, |c, j| c * f64::from(n - j) / f64::from(j + 1));
                c * a.powi(i as i32) * (1.0 - a).powi((n - i) as i32)
            })
            .sum()
    };
    assert!((k_of_n(1, 3) - (1.0 - (1.0 - a).powi(3))).abs() < 1e-12);
    assert_within("1 of 3", &r.time_availability, k_of_n(1, 3));
    assert_within("mean fraction up", &r.request_availability, a);
}

/// Load balancer and two required dependencies in series, instances
/// perfect: A = A_lb · A_db · A_cache.
#[test]
fn series_blocks_multiply() {
    let text = minimal(
        &[2],
        r#"[load_balancer]
failure = { dist = "exponential", mean = "20d" }
repair = { dist = "exponential", mean = "1d" }
[repair]
mode = "pool"
time = "5m"
[[dependency]]
name = "db"
impact = "required"
failure = { dist = "exponential", mean = "10d" }
repair = { dist = "exponential", mean = "12h" }
[[dependency]]
name = "cache"
impact = "required"
failure = { dist = "weibull", shape = 2.0, scale = "15d" }
repair = { dist = "lognormal", median = "6h", sigma = 0.5 }"#,
    );
    let r = simulate(&text, 4_000, &[]);
    // Weibull(2, 15 d) mean = 15 Γ(1.5) d; lognormal mean = 6 exp(0.125) h.
    let weibull_mean = 15.0 * 0.886_226_925_452_758;
    let lognormal_mean = 0.25 * (0.125f64).exp();
    let expected = (20.0 / 21.0) * (10.0 / 10.5) * (weibull_mean / (weibull_mean + lognormal_mean));
    assert_within("series", &r.time_availability, expected);
    for cause in ["load_balancer", "db", "cache"] {
        assert!(r.causes.get(cause).unwrap().downtime_minutes_per_year > 0.0, "{cause} has downtime");
    }
}

/// Two fault domains of one instance each, the fault domains failing
/// (exponential) while instances never do: A = 1 − (1 − A_fd)²; one instance
/// per domain behaves as a parallel block.
#[test]
fn parallel_fault_domains() {
    let text = minimal(
        &[1, 1],
        r#"[fault_domain]
failure = { dist = "exponential", mean = "5d" }
repair = { dist = "exponential", mean = "1d" }
[repair]
mode = "manual"
time = "1h""#,
    );
    let r = simulate(&text, 4_000, &[]);
    let a_fd: f64 = 5.0 / 6.0;
    assert_within("parallel", &r.time_availability, 1.0 - (1.0 - a_fd).powi(2));
}

/// One instance behind a load balancer probing every 10 s, replaced by
/// the pool in a constant hour, simulated for `years` with `sets`.
fn lone_instance_replaced_in_an_hour(years: u64, sets: &[&str]) -> availsim::analysis::Results {
    let text = minimal(
        &[1],
        r#"[load_balancer.health_check]
interval = "10s"
timeout = "3s"
unhealthy_threshold = 3
healthy_threshold = 2
[repair]
mode = "pool"
time = "1h""#,
    );
    simulate(&text, years, sets)
}

/// Seconds of `cause` an outage of `r`.
fn per_outage(r: &availsim::analysis::Results, cause: &str) -> f64 {
    r.causes.get(cause).unwrap().downtime_minutes_per_year * 60.0 / r.outages_per_year
}

/// Mean detection delay = interval/2 + (unhealthy_threshold − 1)·interval +
/// timeout = 28 s: one instance behind a load balancer whose replacement
/// takes a constant hour; the detection window per outage averages 28 s.
#[test]
fn mean_detection_delay() {
    let r = lone_instance_replaced_in_an_hour(
        2_000,
        &["instance.failure={ dist = \"exponential\", mean = \"2d\" }", "monitoring.alert_delay=10y"],
    );
    let detection = per_outage(&r, "detection_window");
    // Uniform phase: the delay is uniform on [23 s, 33 s), standard
    // deviation 10/√12 s; with ~365,000 outages the mean is within ±0.02 s.
    let outages = r.outages_per_year * r.years as f64;
    let half = 1.96 * (10.0 / 12f64.sqrt()) / outages.sqrt();
    assert!((detection - 28.0).abs() < half, "mean detection {detection:.3} s, expected 28 ± {half:.3} s");
    // The rest of the outage: the hour of replacement plus re-admission,
    // first probe (mean 5 s) + (2 − 1) × 10 s.
    let rest = per_outage(&r, "instance_failure");
    assert!((rest - 3615.0).abs() < 0.5, "replacement and re-admission {rest:.2} s, expected 3615 s");
}

/// A replacement nobody registers runs out of rotation until the outage
/// pages the on-call, who registers it: the instance of
/// `mean_detection_delay` (failing 1 to 3 days after it starts, so never
/// while it waits), paged 20 minutes after its replacement runs. Each
/// outage lasts the 20 minutes longer, billed to the unregistered
/// replacement; the rest is as with registration.
#[test]
fn unregistered_replacement_waits_for_the_page() {
    let r = lone_instance_replaced_in_an_hour(
        1_000,
        &[
            "instance.failure={ dist = \"uniform\", low = \"1d\", high = \"3d\" }",
            "monitoring.alert_delay=20m",
            "repair.register=false",
        ],
    );
    let unregistered = per_outage(&r, "unregistered");
    assert!((unregistered - 1200.0).abs() < 0.01, "unregistered {unregistered:.3} s an outage, expected 1200 s");
    let rest = per_outage(&r, "instance_failure") + per_outage(&r, "detection_window");
    assert!((rest - 3643.0).abs() < 0.5, "detection, replacement and re-admission {rest:.2} s, expected 3643 s");
}

/// More redundancy never lowers time availability on common random numbers:
/// slots 1 and 2 draw the same failures in both designs, so the third
/// instance can only add serving time, year by year.
#[test]
fn redundancy_never_hurts_on_common_random_numbers() {
    let design = |n: u32| {
        let text = minimal(
            &[n],
            r#"[load_balancer]
failure = { dist = "exponential", mean = "1y" }
repair = "10m"
[load_balancer.health_check]
interval = "10s"
timeout = "3s"
unhealthy_threshold = 3
healthy_threshold = 2
[fault_domain]
failure = { dist = "exponential", mean = "90d" }
repair = { dist = "lognormal", median = "1h", sigma = 1.0 }
[repair]
mode = "pool"
time = { dist = "lognormal", median = "5m", sigma = 0.5 }"#,
        );
        simulate(&text, 1_000, &["instance.failure={ dist = \"exponential\", mean = \"3d\" }"])
    };
    let (two, three) = (design(2), design(3));
    let down = |r: &availsim::analysis::Results| r.downtime_minutes_per_year.mean;
    assert!(down(&three) <= down(&two), "3 instances: {} min/y, 2 instances: {} min/y", down(&three), down(&two));
    let instance_down = |r: &availsim::analysis::Results| {
        ["detection_window", "instance_failure"]
            .iter()
            .map(|c| r.causes.get(c).unwrap().downtime_minutes_per_year)
            .sum::<f64>()
    };
    assert!(instance_down(&three) < instance_down(&two), "the third instance covers some instance failures");
    // Load-balancer downtime comes first in attribution: the same path by path.
    assert_eq!(two.causes.get("load_balancer"), three.causes.get("load_balancer"));
}

/// Renewal-reward theorem: for any failure and repair distributions, the
/// long-run availability is MTBF / (MTBF + MTTR). A wear-out Weibull (shape
/// 4: a new instance almost never fails early) starts far from its steady
/// state, so this also checks that warm-up removes the start-up bias.
#[test]
fn renewal_availability_for_wear_out_failures() {
    let text = minimal(
        &[1],
        r#"[repair]
mode = "manual"
time = { dist = "uniform", low = "1d", high = "3d" }"#,
    );
    let r = simulate(&text, 4_000, &["instance.failure={ dist = \"weibull\", shape = 4.0, scale = \"20d\" }"]);
    // Weibull mean = scale Γ(1 + 1/4) = 20 × 0.906402477 d.
    let mtbf = 20.0 * 0.906_402_477_055_477;
    assert_within("renewal", &r.time_availability, mtbf / (mtbf + 2.0));
}

/// An instance under manual repair in a failing domain: one instance
/// (time to failure exponential, mean 30 d) in a domain that fails just as
/// often, both repaired in a mean of one day: two independent components in
/// series, A = (30/31)². An instance that fails while its domain is out is
/// a new reason to alert, so it is repaired too (issue 6: it used to stay
/// down for ever). The same holds for gray failures, availability-domain
/// outages and manual repair behind a load balancer.
#[test]
fn manual_repair_during_domain_outages_issue_6() {
    let domain = |table: &str| {
        format!(
            r#"[{table}]
failure = {{ dist = "exponential", mean = "30d" }}
repair = {{ dist = "exponential", mean = "1d" }}
[repair]
mode = "manual"
time = {{ dist = "exponential", mean = "1d" }}"#
        )
    };
    let crash = "instance.failure={ dist = \"exponential\", mean = \"30d\" }";
    let gray = "instance.gray_failure={ dist = \"exponential\", mean = \"30d\" }";
    let behind_lb = "[load_balancer.health_check]\ninterval = \"10s\"\ntimeout = \"3s\"\nunhealthy_threshold = 3\nhealthy_threshold = 2\n";
    let cases = [
        ("crash, fault domain", domain("fault_domain"), crash),
        ("crash, availability domain", domain("availability_domain"), crash),
        ("gray failure, fault domain", domain("fault_domain"), gray),
        ("crash behind a load balancer", format!("{behind_lb}{}", domain("fault_domain")), crash),
    ];
    for (name, extra, failure) in cases {
        let r = simulate(&minimal(&[1], &extra), 4_000, &[failure]);
        assert_within(name, &r.time_availability, (30.0f64 / 31.0).powi(2));
    }
}

/// Degraded dependencies fail only their fraction of the requests that get
/// past the instances and never take the service down: with two
/// independent ones (fractions 0.5 and 0.2, unavailabilities u₁ and u₂),
/// request availability = (1 − 0.5 u₁)(1 − 0.2 u₂) and time availability 1.
#[test]
fn degraded_dependencies_fail_their_fraction() {
    let text = minimal(
        &[2],
        r#"[repair]
mode = "manual"
time = "1h"
[[dependency]]
name = "cache"
impact = "degraded"
failing_fraction = 0.5
failure = { dist = "exponential", mean = "10d" }
repair = { dist = "exponential", mean = "12h" }
[[dependency]]
name = "search"
impact = "degraded"
failing_fraction = 0.2
failure = { dist = "exponential", mean = "5d" }
repair = { dist = "exponential", mean = "1d" }"#,
    );
    let r = simulate(&text, 4_000, &[]);
    let (u1, u2) = (0.5 / 10.5, 1.0 / 6.0);
    assert_within("degraded", &r.request_availability, (1.0 - 0.5 * u1) * (1.0 - 0.2 * u2));
    assert_eq!(r.time_availability.mean, 1.0);
    assert_eq!(r.downtime_minutes_per_year.max, 0.0);
    // Each dependency's share of the failed requests is its own expected loss.
    let per_year = |name: &str| r.causes.get(name).unwrap().failed_request_minutes_per_year / 525_600.0;
    assert!((per_year("cache") / (0.5 * u1) - 1.0).abs() < 0.05, "cache {}", per_year("cache"));
    assert!((per_year("search") / (0.2 * u2 * (1.0 - 0.5 * u1)) - 1.0).abs() < 0.05, "search {}", per_year("search"));
}

/// Instances that never fail need a repair section all the same.
const MANUAL: &str = "[repair]\nmode = \"manual\"\ntime = \"1h\"";

/// Planned work on a constant cadence: a daily one-hour deploy of every
/// instance at once takes the service down 1 h in 24, exactly (a year is
/// 365 whole days); rolling through three fault domains takes none of the
/// time, and without a load balancer fails the third of the requests that
/// reach the drained domain for 3 × 1 h a day.
#[test]
fn planned_work_takes_its_duration_out_of_each_cadence() {
    let deploy = |strategy: &str| {
        minimal(
            &[2, 2, 2],
            &format!("{MANUAL}\n[deploy]\nevery = \"1d\"\nduration = \"1h\"\nstrategy = \"{strategy}\""),
        )
    };
    let all = simulate(&deploy("all_at_once"), 300, &[]);
    assert!((all.time_availability.mean - 23.0 / 24.0).abs() < 1e-9, "{:?}", all.time_availability);
    assert!((all.request_availability.mean - 23.0 / 24.0).abs() < 1e-9);
    assert!((all.causes.get("deploy").unwrap().downtime_minutes_per_year - 365.0 * 60.0).abs() < 1e-6);

    let rolling = simulate(&deploy("rolling"), 300, &[]);
    assert_eq!(rolling.time_availability.mean, 1.0);
    assert!((rolling.request_availability.mean - 23.0 / 24.0).abs() < 1e-9, "{:?}", rolling.request_availability);
}

/// Rolling through two fault domains behind a health-checked load
/// balancer takes out the second only once the first is back in rotation
/// (its health checks passed): the service never stops, and no request
/// fails, since a drained backend is out of rotation. Taking the next
/// batch out at once stopped it for the re-admission at every step.
#[test]
fn a_rolling_deploy_waits_for_each_batch_to_be_admitted() {
    let lb = "[load_balancer]\n[load_balancer.health_check]\ninterval = \"10s\"\ntimeout = \"2s\"\n\
              unhealthy_threshold = 3\nhealthy_threshold = 3";
    let text = minimal(
        &[1, 1],
        &format!("{lb}\n{MANUAL}\n[deploy]\nevery = \"1d\"\nduration = \"10m\"\nstrategy = \"rolling\""),
    );
    let r = simulate(&text, 200, &[]);
    assert_eq!((r.time_availability.mean, r.outages_per_year), (1.0, 0.0), "{:?}", r.time_availability);
    assert_eq!(r.request_availability.mean, 1.0);
}

/// A bad release is rolled back after a constant 30 h while deploys come
/// daily: no deploy starts while a rollback is pending (the next release
/// would not fix the one being rolled back), so every other day's deploy
/// is skipped and the service is down 30 h in every 48 (the 1 h drain,
/// then the bad release until the rollback): time availability 18/48.
#[test]
fn no_deploy_starts_while_a_bad_release_is_rolled_back() {
    let text = minimal(
        &[2],
        &format!(
            "{MANUAL}\n[deploy]\nevery = \"1d\"\nduration = \"1h\"\nstrategy = \"all_at_once\"\n\
         bad_release_probability = 1.0\nrollback = \"30h\""
        ),
    );
    let r = simulate(&text, 2_000, &[]);
    assert!((r.time_availability.mean - 18.0 / 48.0).abs() < 2e-3, "{:?}", r.time_availability);
    let bad = r.causes.get("bad_release").unwrap().downtime_minutes_per_year;
    assert!((bad / 525_600.0 - 29.0 / 48.0).abs() < 2e-3, "bad release {bad} min a year");
}
