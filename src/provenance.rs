//! Where an output came from: enough to tell two outputs apart months
//! later, and to run one again.

use crate::scenario::{Scenario, sha256};
use serde::Serialize;

/// The build, the scenario and the settings behind a run's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Provenance {
    /// availsim's version.
    pub availsim: &'static str,
    /// The git revision it was built from, when built from a checkout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<&'static str>,
    /// Where the scenario came from: a path, or a bundled scenario's name.
    pub scenario: String,
    /// SHA-256 of the scenario's text as run (its overrides applied).
    pub sha256: String,
    /// SHA-256 of the scenario file as read, before the overrides (what
    /// `sha256sum` prints for it).
    pub file_sha256: String,
    /// Every override, as given: `--set`, `--vary`, `--years`, `--seed`,
    /// a sweep file's settings.
    pub overrides: Vec<String>,
    /// The command line, when run from one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
}

impl Provenance {
    /// The provenance of a run of `scenario` by this build.
    pub fn of(scenario: &Scenario) -> Provenance {
        Provenance {
            availsim: env!("CARGO_PKG_VERSION"),
            revision: option_env!("AVAILSIM_REVISION"),
            scenario: scenario.origin.clone(),
            sha256: sha256(&scenario.text),
            file_sha256: scenario.file_sha256.clone(),
            overrides: scenario.overrides.clone(),
            command: vec![],
        }
    }

    /// The build: `availsim 0.1.0 (abc123)`.
    pub fn build(&self) -> String {
        match self.revision {
            Some(r) => format!("availsim {} ({r})", self.availsim),
            None => format!("availsim {}", self.availsim),
        }
    }

    /// One line for a chart's footer: the scenario with the start of its
    /// file's hash, and the overrides.
    pub fn scenario_line(&self) -> String {
        let mut line = format!("{} (sha256 {})", self.scenario, &self.file_sha256[..12.min(self.file_sha256.len())]);
        for o in &self.overrides {
            line.push(' ');
            line.push_str(o);
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash is of the text as run: an override changes it, and the
    /// override is listed as given.
    #[test]
    fn names_the_build_the_text_and_the_overrides() {
        let text = crate::embedded::scenario("three-fd").expect("bundled");
        let plain = Provenance::of(&Scenario::from_toml(text, "three-fd", &[]).unwrap());
        let set = crate::scenario::Override::parse("repair.time=15m").unwrap();
        let changed = Provenance::of(&Scenario::from_toml(text, "three-fd", &[set]).unwrap());
        assert_eq!(plain.sha256.len(), 64);
        assert_ne!(plain.sha256, changed.sha256);
        // The file's own hash does not move with the overrides.
        assert_eq!(plain.file_sha256, changed.file_sha256);
        assert_eq!(plain.file_sha256, sha256(text));
        assert_eq!(plain.sha256, plain.file_sha256, "no override, the text as run is the file");
        assert_eq!(changed.overrides, ["--set repair.time=15m"]);
        assert!(plain.build().starts_with("availsim 0."));
        assert!(changed.scenario_line().starts_with("three-fd (sha256 ") && changed.scenario_line().ends_with("15m"));
    }
}
