//! Statistics: mergeable accumulators and the estimates computed from them.
//! Pure: no I/O, no formatting.

mod estimate;
mod histogram;
mod ledger;
mod tally;

pub use estimate::{
    Interval, mean_interval, proportion_interval, rate_interval, replicated_proportion_interval, summary_interval,
    z_975,
};
pub use histogram::LogHistogram;
pub use ledger::{Excess, Ledger, Meter, ServiceState, Share, Sli};
pub use tally::{MICROS, Replications, Summary, Tally, WorstYear};
