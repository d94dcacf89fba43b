//! availsim: a discrete-event Monte Carlo simulator of what availability a
//! deployment design buys.
//!
//! A scenario file describes the deployment; the simulator runs many years of
//! it in parallel and reports time and request availability with confidence
//! intervals, the downtime distribution per year and per SLO window, the
//! probability of meeting the SLO and what causes the downtime.
//!
//! ```
//! use availsim::{analysis::Results, runner, scenario::Scenario};
//!
//! let text = availsim::embedded::scenario("three-fd").unwrap();
//! let overrides = [availsim::scenario::Override::parse("simulation.years=200").unwrap()];
//! let scenario = Scenario::from_toml(text, "three-fd", &overrides).unwrap();
//! let tally = runner::simulate(&scenario, 200, runner::Slice::all(200), &|_| {});
//! let results = Results::new(&scenario, &tally, 1, 0.0);
//! assert!(results.time_availability.mean > 0.99);
//! ```

#![warn(missing_docs)]

pub mod analysis;
pub mod app;
pub mod cause;
pub mod cli;
pub mod embedded;
pub mod engine;
pub mod error;
pub mod model;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod stats;
