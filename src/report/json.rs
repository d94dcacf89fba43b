//! The JSON contract: one object per scenario (see README, "JSON output").

use crate::analysis::Results;

/// One scenario's results as a pretty-printed JSON object.
pub fn json_object(results: &Results) -> String {
    serde_json::to_string_pretty(results).expect("results serialize") + "\n"
}

/// Several scenarios' results as a JSON array, in order.
pub fn json_array(results: &[Results]) -> String {
    serde_json::to_string_pretty(results).expect("results serialize") + "\n"
}
