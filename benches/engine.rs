//! The event queue alone: events per second through schedule and pop.

use availsim::engine::{EventQueue, SimTime, Timer};
use criterion::{Criterion, Throughput, criterion_group};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

/// A hold model: `PENDING` timers with an event each; each pop schedules
/// the popped timer's next event a random delay later, as a simulation does.
fn queue_hold(c: &mut Criterion) {
    const PENDING: usize = 20;
    const EVENTS: u64 = 100_000;
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("queue_hold_20_pending", |b| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        b.iter(|| {
            let mut queue = EventQueue::new();
            for i in 0..PENDING {
                queue.schedule(Timer(i as u32), SimTime::from_secs(rng.random::<f64>()), i as u32);
            }
            for _ in 0..EVENTS {
                let (now, e) = queue.pop().expect("pending");
                queue.schedule(Timer(e), now + rng.random::<f64>() * 100.0, black_box(e));
            }
            queue.len()
        })
    });
    group.finish();
}

criterion_group!(benches, queue_hold);
