//! availsim: a discrete-event Monte Carlo simulator of what availability a
//! deployment design buys.
//!
//! A scenario file describes the deployment; [`simulate`] runs many years of
//! it in parallel and returns time and request availability with confidence
//! intervals, the downtime distribution per year and per SLO window, the
//! probability of meeting the SLO and what causes the downtime.
//!
//! ```
//! use availsim::{RunConfig, scenario::Scenario, simulate};
//!
//! let text = availsim::embedded::scenario("three-fd").unwrap();
//! let scenario = Scenario::from_toml(text, "three-fd", &[]).unwrap();
//! let run = simulate(&scenario, &RunConfig::years(2_000)).unwrap();
//! let a = run.results.time_availability;
//! assert!(a.mean > 0.998 && a.ci95_low < a.mean);
//! let database = run.results.causes.get("database").unwrap();
//! assert!(database.downtime_minutes_per_year > 0.0);
//! ```

#![warn(missing_docs)]

pub mod analysis;
pub mod assertion;
pub mod cause;
pub mod demand;
pub mod embedded;
pub mod engine;
pub mod error;
pub mod input;
mod model;
pub mod provenance;
pub mod report;
mod rng;
mod run;
mod runner;
pub mod scenario;
pub mod shard;
pub mod stats;
pub mod sweep;
pub mod units;

pub use model::timeline;
pub use run::{Length, PrecisionReached, Run, RunConfig, RunInfo, Source, simulate};
pub use shard::{Shard, merge};
