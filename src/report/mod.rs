//! Reporters: each turns [`Results`] into bytes for one format. None of them
//! computes statistics; they only format what analysis produced.

mod csv;
mod json;
mod table;

pub use self::csv::downtime_csv;
pub use json::{json_array, json_object};
pub use table::{comparison_table, summary_table};

use crate::analysis::Results;
use crate::error::{Error, Result};
use std::path::Path;

/// Writes `bytes` to `path` atomically: to a temporary file beside it, then
/// renamed, so a reader never sees half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Write { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes `summary.json` and `downtime.csv` for `results` into `dir`.
pub fn write_run(dir: &Path, results: &Results) -> Result<()> {
    write_atomic(&dir.join("summary.json"), json_object(results).as_bytes())?;
    write_atomic(&dir.join("downtime.csv"), &downtime_csv(results))
}
