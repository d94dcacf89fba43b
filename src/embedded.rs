//! The scenario files bundled into the binary, so that `availsim` and
//! `availsim run three-fd` work from any directory.

/// (name, file text) of every bundled scenario; the name is the file stem.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("single-instance", include_str!("../scenarios/single-instance.toml")),
    ("three-fd", include_str!("../scenarios/three-fd.toml")),
    ("three-fd-ha-db", include_str!("../scenarios/three-fd-ha-db.toml")),
    ("two-region-active-active", include_str!("../scenarios/two-region-active-active.toml")),
    ("two-region-active-passive", include_str!("../scenarios/two-region-active-passive.toml")),
    ("flash-sale", include_str!("../scenarios/flash-sale.toml")),
    ("six-in-one-fd", include_str!("../scenarios/six-in-one-fd.toml")),
    ("no-health-checks", include_str!("../scenarios/no-health-checks.toml")),
    ("sessions-in-memory", include_str!("../scenarios/sessions-in-memory.toml")),
    ("unregistered-replacements", include_str!("../scenarios/unregistered-replacements.toml")),
    ("bench-bare", include_str!("../scenarios/bench-bare.toml")),
];

/// The text of the bundled scenario `name`.
pub fn scenario(name: &str) -> Option<&'static str> {
    SCENARIOS.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}
