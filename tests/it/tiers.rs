//! Replicated dependencies (tiers) against MODEL.md's closed forms: the
//! binomial k-of-n steady state, a primary/standby failover solved as a
//! small Markov chain, domain outages that take instances and replicas
//! together, sessions lost with the last replica, and more replicas never
//! hurting on common random numbers. The instances never fail here, so the
//! tier alone decides.

use super::cross_checks::assert_within;
use super::{minimal, simulate};
use availsim::analysis::Results;

/// Minutes in a year, as the simulator counts one.
const YEAR_MINUTES: f64 = 365.0 * 24.0 * 60.0;

/// Two replicas, independent of the domains, with exponential failures
/// (10 d) and repairs (1 d); the tests add the mode.
const TWO_REPLICAS: &str = r#"failure = { dist = "exponential", mean = "10d" }
repair = { dist = "exponential", mean = "1d" }
replicas = 2
placement = "independent""#;

/// Instances that never fail in fault domains of `fds` instances, with
/// `extra` sections, and a required tier `db` with `keys`.
fn with_tier(fds: &[u32], extra: &str, keys: &str) -> String {
    minimal(
        fds,
        &format!(
            r#"{extra}
[repair]
mode = "manual"
time = "1h"
[[dependency]]
name = "db"
impact = "required"
{keys}"#
        ),
    )
}

/// P(at least k of n up), each up with probability a, independently.
fn k_of_n(k: u32, n: u32, a: f64) -> f64 {
    (k..=n)
        .map(|i| {
            let c = (0..i).fold(1.0, |c, j| c * f64::from(n - j) / f64::from(j + 1));
            c * a.powi(i as i32) * (1.0 - a).powi((n - i) as i32)
        })
        .sum()
}

fn minutes(r: &Results, cause: &str) -> f64 {
    r.causes.get(cause).unwrap_or_else(|| panic!("no cause {cause}")).downtime_minutes_per_year
}

/// A quorum of 2 of 3 replicas with a lognormal repair (the binomial form
/// holds for any laws), and the same replicas in `any` mode (1 of 3).
#[test]
fn quorum_and_any_follow_the_binomial_steady_state() {
    let keys = |mode: &str| {
        format!(
            r#"failure = {{ dist = "exponential", mean = "4d" }}
repair = {{ dist = "lognormal", median = "1d", sigma = 0.5 }}
replicas = 3
placement = "independent"
{mode}"#
        )
    };
    let a = 4.0 / (4.0 + (0.125f64).exp());
    let quorum = simulate(&with_tier(&[1], "", &keys("mode = \"quorum\"\nquorum = 2")), 3_000, &[]);
    assert_within("2 of 3", &quorum.time_availability, k_of_n(2, 3, a));
    let down = (1.0 - k_of_n(2, 3, a)) * YEAR_MINUTES;
    assert!((minutes(&quorum, "db.quorum_lost") / down - 1.0).abs() < 0.02, "all of it is quorum_lost");
    let any = simulate(&with_tier(&[1], "", &keys("mode = \"any\"")), 3_000, &[]);
    assert_within("1 of 3", &any.time_availability, k_of_n(1, 3, a));
}

/// Solves π Q = 0, Σ π = 1 for a small generator `q` (rows: from).
fn steady_state(q: &[Vec<f64>]) -> Vec<f64> {
    let n = q.len();
    // Transposed generator, its last equation replaced by Σ π = 1.
    let mut m: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| q[j][i]).chain([0.0]).collect()).collect();
    m[n - 1] = vec![1.0; n + 1];
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs())).unwrap();
        m.swap(col, pivot);
        for row in 0..n {
            if row != col {
                let f = m[row][col] / m[col][col];
                let pivot_row = m[col].clone();
                m[row].iter_mut().zip(&pivot_row).for_each(|(x, p)| *x -= f * p);
            }
        }
    }
    (0..n).map(|i| m[i][n] / m[i][i]).collect()
}

/// A primary and a standby, exponential failure (10 d), repair (1 d) and
/// failover window (6 h detection, instant promotion): a six-state Markov
/// chain. States: both up with a primary; primary up, other down; window
/// open with 2, 1 or 0 replicas up; none up (the first repaired serves).
#[test]
fn failover_matches_its_markov_chain() {
    let (l, m, v) = (1.0 / 10.0, 1.0, 4.0); // per day
    let mut q = vec![vec![0.0; 6]; 6];
    let mut rate = |from: usize, to: usize, r: f64| {
        q[from][to] += r;
        q[from][from] -= r;
    };
    let (s2, s1, w2, w1, w0, d0) = (0, 1, 2, 3, 4, 5);
    rate(s2, w1, l); // the primary fails, the standby is up
    rate(s2, s1, l); // the standby fails
    rate(s1, d0, l);
    rate(s1, s2, m);
    rate(w2, w1, 2.0 * l);
    rate(w2, s2, v);
    rate(w1, w0, l);
    rate(w1, w2, m);
    rate(w1, s1, v);
    rate(w0, w1, 2.0 * m);
    rate(w0, d0, v);
    rate(d0, s1, 2.0 * m);
    let pi = steady_state(&q);
    let text = with_tier(
        &[1],
        "",
        &format!(
            "{TWO_REPLICAS}\nmode = \"failover\"\nfailover = {{ detection = {{ dist = \"exponential\", mean = \"6h\" }}, promotion = \"0s\" }}"
        ),
    );
    let r = simulate(&text, 4_000, &[]);
    assert_within("primary/standby", &r.time_availability, pi[s2] + pi[s1]);
    let failover = (pi[w2] + pi[w1] + pi[w0]) * YEAR_MINUTES;
    let all_down = pi[d0] * YEAR_MINUTES;
    assert!((minutes(&r, "db.failover") / failover - 1.0).abs() < 0.03, "failover {failover} min/y");
    assert!((minutes(&r, "db.all_down") / all_down - 1.0).abs() < 0.05, "all down {all_down} min/y");
}

/// Two fault domains of one instance each, a 2-of-2 quorum with one
/// replica in each, replicas that never fail: one domain's outage takes
/// the quorum (the tier's `fd_outage`) though the other domain's instance
/// serves, so the service is up only while both domains are: a_fd². Both
/// domains down is named by the instances' `fd_outage`.
#[test]
fn a_domain_outage_takes_instances_and_replicas_together() {
    let fd = r#"[fault_domain]
failure = { dist = "exponential", mean = "5d" }
repair = { dist = "exponential", mean = "1d" }"#;
    let keys = r#"failure = "1000000y"
repair = "1h"
replicas = 2
mode = "quorum"
quorum = 2"#;
    let r = simulate(&with_tier(&[1, 1], fd, keys), 4_000, &[]);
    let a: f64 = 5.0 / 6.0;
    assert_within("series through the quorum", &r.time_availability, a * a);
    let one_down = 2.0 * a * (1.0 - a) * YEAR_MINUTES;
    assert!((minutes(&r, "db.fd_outage") / one_down - 1.0).abs() < 0.03, "one domain down {one_down} min/y");
    let both_down = (1.0 - a).powi(2) * YEAR_MINUTES;
    assert!((minutes(&r, "fd_outage") / both_down - 1.0).abs() < 0.05, "both down {both_down} min/y");
    // Placed outside the domains, the same replicas never go down.
    let independent = simulate(&with_tier(&[1, 1], fd, &format!("{keys}\nplacement = \"independent\"")), 4_000, &[]);
    assert_within("parallel instances", &independent.time_availability, 1.0 - (1.0 - a).powi(2));
}

/// Sessions in a tier are lost only when its last replica goes down: with
/// two independent replicas, at rate λ from the states with one up.
#[test]
fn sessions_in_a_tier_are_lost_with_its_last_replica() {
    let text = with_tier(
        &[1],
        "[sessions]\nstorage = \"external\"\nstore = \"db\"\nactive = 1000",
        &format!("{TWO_REPLICAS}\nmode = \"any\""),
    );
    let r = simulate(&text, 4_000, &[]);
    let a: f64 = 10.0 / 11.0;
    let expected = 1000.0 * 2.0 * a * (1.0 - a) * (365.0 / 10.0);
    assert!((r.sessions_lost_per_year / expected - 1.0).abs() < 0.03, "{} vs {expected}", r.sessions_lost_per_year);
}

/// A third replica can only add up time to an `any` tier, path by path: its
/// first two replicas draw the same failures in both designs.
#[test]
fn more_replicas_never_hurt_on_common_random_numbers() {
    let design = |n: u32| {
        let keys = format!(
            r#"failure = {{ dist = "exponential", mean = "5d" }}
repair = {{ dist = "lognormal", median = "1d", sigma = 1.0 }}
replicas = {n}
mode = "any"
placement = "independent""#
        );
        simulate(&with_tier(&[1], "", &keys), 500, &[])
    };
    let (one, two, three) = (design(1), design(2), design(3));
    let down = |r: &Results| r.downtime_minutes_per_year.max;
    assert!(down(&three) <= down(&two) && down(&two) <= down(&one));
    let mean = |r: &Results| r.downtime_minutes_per_year.mean;
    assert!(mean(&three) < mean(&two) && mean(&two) < mean(&one), "{} {} {}", mean(&three), mean(&two), mean(&one));
}

/// Replicas start at their own phase: with constant laws (10 d up, 1 d
/// down) two replicas do not fail in lock-step, and an `any` tier is down
/// only while their down days overlap, (1/11)² of the time on average
/// over uniformly drawn phases.
#[test]
fn replicas_with_constant_laws_run_out_of_step() {
    let keys = r#"failure = "10d"
repair = "1d"
replicas = 2
mode = "any"
placement = "independent""#;
    let r = simulate(&with_tier(&[1], "", keys), 20_000, &[]);
    assert_within("constant laws, random phases", &r.time_availability, 1.0 - (1.0f64 / 11.0).powi(2));
}
