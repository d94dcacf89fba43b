//! Merging tallies and computing results from them.

use availsim::analysis::Results;
use availsim::scenario::Scenario;
use availsim::{RunConfig, simulate};
use criterion::{Criterion, criterion_group};

fn merge_and_analyse(c: &mut Criterion) {
    let sc = Scenario::from_toml(availsim::embedded::scenario("three-fd").unwrap(), "three-fd", &[]).unwrap();
    let tally = simulate(&sc, &RunConfig::years(50)).unwrap().tally;
    let mut group = c.benchmark_group("statistics");
    group.bench_function("merge_tally", |b| {
        b.iter(|| {
            let mut total = tally.clone();
            total.merge(&tally);
            total
        })
    });
    group.bench_function("results_from_tally", |b| b.iter(|| Results::new(&sc, &tally)));
    group.finish();
}

criterion_group!(benches, merge_and_analyse);
