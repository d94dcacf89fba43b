//! Simulated years: one chunk of each reference scenario on one thread, and
//! a full 100,000-year run of three-fd on all threads.

use availsim::engine::EventQueue;
use availsim::runner::{self, Slice};
use availsim::scenario::Scenario;
use criterion::{Criterion, Throughput, criterion_group};

fn scenario(name: &str) -> Scenario {
    Scenario::from_toml(availsim::embedded::scenario(name).expect("bundled"), name, &[]).expect("valid")
}

/// Benchmarks one chunk of 100 years on one thread for each (label, scenario).
fn chunk_of_years(c: &mut Criterion, group: &str, cases: Vec<(String, Scenario)>) {
    const YEARS: u64 = 100;
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(YEARS));
    for (label, sc) in cases {
        let mut queue = EventQueue::new();
        group.bench_function(label, |b| b.iter(|| runner::run_chunk(&sc, 0, YEARS, &mut queue)));
    }
    group.finish();
}

/// The cost of a simulated year of each reference scenario.
fn one_thread_years(c: &mut Criterion) {
    let cases = ["bench-bare", "single-instance", "three-fd"].map(|n| (n.to_string(), scenario(n)));
    chunk_of_years(c, "years_1_thread", cases.into());
}

/// Health-check interval must not change the cost of a year.
fn health_check_interval(c: &mut Criterion) {
    let text = availsim::embedded::scenario("bench-bare").unwrap();
    let cases = [("1s", "0.5s"), ("10s", "3s"), ("60s", "5s")].map(|(interval, timeout)| {
        let overrides = [
            availsim::scenario::Override::parse(&format!("load_balancer.health_check.interval={interval}")).unwrap(),
            availsim::scenario::Override::parse(&format!("load_balancer.health_check.timeout={timeout}")).unwrap(),
        ];
        (interval.to_string(), Scenario::from_toml(text, "bench-bare", &overrides).unwrap())
    });
    chunk_of_years(c, "bench_bare_interval", cases.into());
}

/// Full runs on every thread, as `availsim run` does them.
fn full_runs(c: &mut Criterion) {
    const YEARS: u64 = 100_000;
    let mut group = c.benchmark_group("run_all_threads");
    group.sample_size(10);
    group.throughput(Throughput::Elements(YEARS));
    for name in ["bench-bare", "three-fd"] {
        let sc = scenario(name);
        group.bench_function(format!("{name}_100k_years"), |b| {
            b.iter(|| runner::simulate(&sc, YEARS, Slice::all(YEARS), &|_| {}))
        });
    }
    group.finish();
}

criterion_group!(benches, one_thread_years, health_check_interval, full_runs);
