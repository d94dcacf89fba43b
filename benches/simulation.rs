//! Simulated years: one chunk of each reference scenario on one thread, and
//! a full 100,000-year run of three-fd on all threads.

use availsim::engine::EventQueue;
use availsim::runner::{self, Slice};
use availsim::scenario::Scenario;
use criterion::{Criterion, Throughput, criterion_group};

fn scenario(name: &str) -> Scenario {
    Scenario::from_toml(availsim::embedded::scenario(name).expect("bundled"), name, &[]).expect("valid")
}

/// One chunk of 100 years on one thread: the cost of a simulated year.
fn one_thread_years(c: &mut Criterion) {
    const YEARS: u64 = 100;
    let mut group = c.benchmark_group("years_1_thread");
    group.throughput(Throughput::Elements(YEARS));
    for name in ["bench-bare", "single-instance", "three-fd"] {
        let sc = scenario(name);
        let mut queue = EventQueue::new();
        group.bench_function(name, |b| b.iter(|| runner::run_chunk(&sc, 0, YEARS, &mut queue)));
    }
    group.finish();
}

/// Health-check interval must not change the cost of a year.
fn health_check_interval(c: &mut Criterion) {
    const YEARS: u64 = 100;
    let mut group = c.benchmark_group("bench_bare_interval");
    group.throughput(Throughput::Elements(YEARS));
    for (interval, timeout) in [("1s", "0.5s"), ("10s", "3s"), ("60s", "5s")] {
        let overrides = [
            availsim::scenario::Override::parse(&format!("load_balancer.health_check.interval={interval}")).unwrap(),
            availsim::scenario::Override::parse(&format!("load_balancer.health_check.timeout={timeout}")).unwrap(),
        ];
        let text = availsim::embedded::scenario("bench-bare").unwrap();
        let sc = Scenario::from_toml(text, "bench-bare", &overrides).unwrap();
        let mut queue = EventQueue::new();
        group.bench_function(interval, |b| b.iter(|| runner::run_chunk(&sc, 0, YEARS, &mut queue)));
    }
    group.finish();
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
