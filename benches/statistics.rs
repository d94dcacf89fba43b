//! Merging tallies and computing results from them.

use availsim::analysis::Results;
use availsim::engine::EventQueue;
use availsim::runner;
use availsim::scenario::Scenario;
use criterion::{Criterion, criterion_group};

fn merge_and_analyse(c: &mut Criterion) {
    let sc = Scenario::from_toml(availsim::embedded::scenario("three-fd").unwrap(), "three-fd", &[]).unwrap();
    let mut queue = EventQueue::new();
    let tally = runner::run_chunk(&sc, 0, 50, &mut queue);
    let mut group = c.benchmark_group("statistics");
    group.bench_function("merge_tally", |b| {
        b.iter(|| {
            let mut total = tally.clone();
            total.merge(&tally);
            total
        })
    });
    group.bench_function("results_from_tally", |b| b.iter(|| Results::new(&sc, &tally, 1, 1.0)));
    group.finish();
}

criterion_group!(benches, merge_and_analyse);
