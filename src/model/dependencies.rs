//! Shared dependencies (database, cache, session store…): which are down,
//! and what that does to requests.

use super::id16;
use crate::scenario::{Dependency, Impact};

/// Up/down state of every dependency, with counts so that the common case
/// (all up) is one comparison.
#[derive(Clone, Debug)]
pub struct Dependencies {
    up: Vec<bool>,
    required_down: usize,
    degraded_down: usize,
}

impl Dependencies {
    /// `n` dependencies, all up.
    pub fn new(n: usize) -> Dependencies {
        Dependencies { up: vec![true; n], required_down: 0, degraded_down: 0 }
    }

    /// Sets dependency `i` (of `specs`) up or down.
    pub fn set(&mut self, specs: &[Dependency], i: u16, up: bool) {
        let i = usize::from(i);
        if self.up[i] == up {
            return;
        }
        self.up[i] = up;
        let down = match specs[i].impact {
            Impact::Required => &mut self.required_down,
            Impact::Degraded(_) => &mut self.degraded_down,
        };
        *down = if up { *down - 1 } else { *down + 1 };
    }

    /// Each dependency: up or not, in file order.
    pub fn up(&self) -> &[bool] {
        &self.up
    }

    /// Whether every dependency is up.
    #[inline]
    pub fn all_up(&self) -> bool {
        self.required_down == 0 && self.degraded_down == 0
    }

    /// The first required dependency that is down, in file order.
    pub fn first_required_down(&self, specs: &[Dependency]) -> Option<u16> {
        if self.required_down == 0 {
            return None;
        }
        (0..self.up.len()).find(|&i| specs[i].impact == Impact::Required && !self.up[i]).map(id16)
    }

    /// The degraded dependencies that are down, with the fraction of
    /// requests each fails, in file order.
    pub fn degraded_down<'a>(&'a self, specs: &'a [Dependency]) -> impl Iterator<Item = (u16, f64)> + 'a {
        let any = self.degraded_down > 0;
        specs.iter().enumerate().filter(move |(i, _)| any && !self.up[*i]).filter_map(|(i, d)| match d.impact {
            Impact::Degraded(fraction) => Some((id16(i), fraction)),
            Impact::Required => None,
        })
    }
}
