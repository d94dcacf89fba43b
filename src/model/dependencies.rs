//! Shared dependencies (database, cache, session store…): which are down,
//! for which of their causes, and what that does to requests.

use crate::cause::Cause;
use crate::scenario::{Dependency, Impact, Scenario, TierReason};

/// Up/down state of every dependency, with counts so that the common case
/// (all up) is one comparison.
#[derive(Clone, Debug)]
pub struct Dependencies {
    /// Each dependency's cause while it is down.
    down: Vec<Option<Cause>>,
    /// The cause number of each dependency's first cause (a plain
    /// dependency has one; a tier one per reason it can be down).
    first_cause: Vec<u16>,
    /// Which dependency causes are a domain outage that took a tier's
    /// replicas, by cause number.
    domain_cause: Vec<bool>,
    required_down: usize,
    degraded_down: usize,
}

impl Dependencies {
    /// The dependencies of `sc`, all up.
    pub fn new(sc: &Scenario) -> Dependencies {
        let mut first_cause = Vec::with_capacity(sc.dependencies.len());
        let mut domain_cause = vec![];
        for d in &sc.dependencies {
            first_cause.push(u16::try_from(domain_cause.len()).expect("cause count is checked"));
            let domain = |r: Option<TierReason>| matches!(r, Some(TierReason::Outage(_)));
            domain_cause.extend(sc.dependency_reasons(d).into_iter().map(domain));
        }
        let down = vec![None; sc.dependencies.len()];
        Dependencies { down, first_cause, domain_cause, required_down: 0, degraded_down: 0 }
    }

    /// The cause number of each dependency's first cause.
    pub fn first_causes(&self) -> &[u16] {
        &self.first_cause
    }

    /// Sets plain dependency `i` (of `specs`) up or down.
    pub fn set_plain(&mut self, specs: &[Dependency], i: u16, up: bool) {
        let cause = Cause::Named(self.first_cause[usize::from(i)]);
        self.set(specs, i, (!up).then_some(cause));
    }

    /// Sets dependency `i` (of `specs`) down for `down`, or up.
    pub fn set(&mut self, specs: &[Dependency], i: u16, down: Option<Cause>) {
        let i = usize::from(i);
        let was_up = self.down[i].is_none();
        self.down[i] = down;
        if was_up == down.is_none() {
            return;
        }
        let count = match specs[i].impact {
            Impact::Required => &mut self.required_down,
            Impact::Degraded(_) => &mut self.degraded_down,
        };
        *count = if was_up { *count + 1 } else { *count - 1 };
    }

    /// Why dependency `i` is down, if it is.
    pub fn down(&self, i: u16) -> Option<Cause> {
        self.down[usize::from(i)]
    }

    /// Each dependency: up or not, in file order.
    pub fn up(&self) -> Vec<bool> {
        self.down.iter().map(Option::is_none).collect()
    }

    /// Whether every dependency is up.
    #[inline]
    pub fn all_up(&self) -> bool {
        self.required_down == 0 && self.degraded_down == 0
    }

    /// The cause of the first required dependency that is down, in file order.
    pub fn first_required_down(&self, specs: &[Dependency]) -> Option<Cause> {
        if self.required_down == 0 {
            return None;
        }
        specs.iter().zip(&self.down).find(|(d, down)| d.impact == Impact::Required && down.is_some()).and_then(|p| *p.1)
    }

    /// Whether `cause` is a domain outage that took a tier's replicas.
    pub fn is_domain_outage(&self, cause: Cause) -> bool {
        matches!(cause, Cause::Named(i) if self.domain_cause[usize::from(i)])
    }

    /// The causes of the degraded dependencies that are down, with the
    /// fraction of requests each fails, in file order.
    pub fn degraded_down<'a>(&'a self, specs: &'a [Dependency]) -> impl Iterator<Item = (Cause, f64)> + 'a {
        let any = self.degraded_down > 0;
        specs.iter().zip(&self.down).filter(move |_| any).filter_map(|(d, down)| match (d.impact, down) {
            (Impact::Degraded(fraction), Some(cause)) => Some((*cause, fraction)),
            _ => None,
        })
    }
}
