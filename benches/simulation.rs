//! Simulated years through the library's entry point: 100 years of each
//! reference scenario on one thread (flash-sale with and without its
//! autoscaling), a 1,000-instance design, the
//! health-check interval's (non-)effect, and full runs on all threads.

use availsim::scenario::{Override, Scenario};
use availsim::{RunConfig, simulate};
use criterion::{Criterion, Throughput, criterion_group};

fn scenario(name: &str, sets: &[&str]) -> Scenario {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).expect("valid override")).collect();
    Scenario::from_toml(availsim::embedded::scenario(name).expect("bundled"), name, &overrides).expect("valid")
}

/// Benchmarks `years` years of each (label, scenario) on one thread.
fn one_thread(c: &mut Criterion, group: &str, years: u64, cases: Vec<(String, Scenario)>) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread");
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(years));
    for (label, sc) in cases {
        group.bench_function(label, |b| b.iter(|| pool.install(|| simulate(&sc, &RunConfig::years(years)))));
    }
    group.finish();
}

/// The cost of a simulated year of each reference scenario, flash-sale's
/// with its autoscaling on and off.
fn one_thread_years(c: &mut Criterion) {
    let mut cases: Vec<(String, Scenario)> =
        ["bench-bare", "single-instance", "three-fd", "flash-sale"].map(|n| (n.to_string(), scenario(n, &[]))).into();
    cases.push(("flash-sale_fixed_pool".into(), scenario("flash-sale", &["autoscaling.enabled=false"])));
    one_thread(c, "years_1_thread", 100, cases);
}

/// A large design: 1,000 instances in three fault domains. Its cost per
/// year must follow its events (about 170 times three-fd's instances), not
/// grow with a scan over every slot per event.
fn large_fleet(c: &mut Criterion) {
    let sc = scenario("three-fd", &["topology.instances_per_fd=[334, 333, 333]"]);
    one_thread(c, "large_fleet", 2, vec![("three-fd_1000_instances".into(), sc)]);
}

/// Health-check interval must not change the cost of a year.
fn health_check_interval(c: &mut Criterion) {
    let cases = [("1s", "0.5s"), ("10s", "3s"), ("60s", "5s")].map(|(interval, timeout)| {
        let sets = [
            format!("load_balancer.health_check.interval={interval}"),
            format!("load_balancer.health_check.timeout={timeout}"),
        ];
        (interval.to_string(), scenario("bench-bare", &sets.each_ref().map(String::as_str)))
    });
    one_thread(c, "bench_bare_interval", 100, cases.into());
}

/// Full runs on every thread, as `availsim run` does them.
fn full_runs(c: &mut Criterion) {
    const YEARS: u64 = 100_000;
    let mut group = c.benchmark_group("run_all_threads");
    group.sample_size(10);
    group.throughput(Throughput::Elements(YEARS));
    for name in ["bench-bare", "three-fd"] {
        let sc = scenario(name, &[]);
        group.bench_function(format!("{name}_100k_years"), |b| b.iter(|| simulate(&sc, &RunConfig::years(YEARS))));
    }
    group.finish();
}

criterion_group!(benches, one_thread_years, large_fleet, health_check_interval, full_runs);
