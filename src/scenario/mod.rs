//! Scenario files: what the user describes, read and checked.
//!
//! Reading goes in two steps, as in dslab's raw and checked configs: the
//! `raw` serde types mirror the TOML file; [`Scenario::from_toml`] checks
//! them and builds a [`Scenario`] the simulator can trust. Every error names
//! the file, line, column and key.

mod describe;
mod dist;
mod duration;
mod effort;
mod outage;
mod raw;
mod region;
mod source;
mod tier;
mod traffic;
mod validate;

pub use crate::stats::Sli;
pub use dist::Dist;
pub use duration::{Duration, format_duration, parse_duration};
pub use effort::{EVENTS_PER_SECOND, EVENTS_PER_YEAR_LIMIT};
pub use outage::{OutageKind, Outages, Partial};
pub use region::{DNS_STEPS, Failover, MOST_REGIONS, RegionCheck, RegionMode, RegionReason, Regions};
pub use source::{Override, line_column, span_of};
pub use tier::{Placement, Tier, TierMode, TierReason};
pub use traffic::{Autoscaling, FlashSale, Overload, Traffic};

use crate::error::{Error, Result};
use raw::*;
use std::ops::Range;
use std::path::Path;

/// Default number of simulated years for `run` and `compare`.
pub const DEFAULT_YEARS: u64 = 10_000;
/// Default master seed: fixed, and printed with every result, so runs repeat.
pub const DEFAULT_SEED: u64 = 1;

/// A checked scenario: every field the simulator reads, in seconds.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name, printed in reports.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Where it came from (a path, or the name of a bundled scenario).
    pub origin: String,
    /// Its TOML text with overrides applied: shard results carry it so that
    /// `merge` rebuilds exactly the scenario that was run.
    pub text: String,
    /// The overrides applied, as given (`--set repair.time=15m`).
    pub overrides: Vec<String>,
    /// SHA-256 of the text as read, before the overrides: what
    /// `sha256sum` prints for the scenario file.
    pub file_sha256: String,
    /// Run length, seed and warm-up.
    pub simulation: Simulation,
    /// The objective the design is judged against.
    pub slo: Slo,
    /// Where instances are placed.
    pub topology: Topology,
    /// Instance time to crash [s].
    pub crash: Dist,
    /// Instance time to a gray failure [s], if modelled.
    pub gray_failure: Option<Dist>,
    /// Outages of fault and availability domains, each if modelled.
    pub outages: Outages,
    /// The load balancer; `None` means clients reach the instances directly.
    pub load_balancer: Option<LoadBalancer>,
    /// Failure to operator alert [s], for failures no health check sees;
    /// `None` means nobody watches (allowed only where nothing needs it).
    pub alert_delay: Option<Dist>,
    /// How failed instances come back.
    pub repair: Repair,
    /// Shared dependencies, in file order (the order breaks attribution ties).
    pub dependencies: Vec<Dependency>,
    /// Where sessions live.
    pub sessions: Sessions,
    /// Software deployments, if modelled.
    pub deploy: Option<Planned>,
    /// Planned maintenance windows, if modelled.
    pub maintenance: Option<Planned>,
    /// Demand over time; `None`: a constant demand (requests weigh alike).
    pub traffic: Option<Traffic>,
    /// Requests per second one instance serves at 100 % CPU; `None`: unlimited.
    pub capacity: Option<f64>,
    /// Crash hazard raised by overload, if modelled.
    pub overload: Option<Overload>,
    /// The pool's autoscaling policy, if any.
    pub autoscaling: Option<Autoscaling>,
    /// The regions the stack runs in; `None`: one.
    pub regions: Option<Regions>,
}

/// Run length and randomness.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// Simulated years to report on.
    pub years: u64,
    /// Master seed of every random stream.
    pub seed: u64,
    /// Simulated time discarded at the start of each trajectory [s], to remove
    /// the bias of starting with every component healthy.
    pub warmup: f64,
}

/// The service-level objective.
#[derive(Clone, Debug)]
pub struct Slo {
    /// Availability target, a fraction in (0, 1), e.g. 0.999.
    pub target: f64,
    /// SLO window [s]; 30 days by default.
    pub window: f64,
    /// The indicator judged against the target.
    pub sli: Sli,
}

/// Placement of instances over availability and fault domains.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Number of availability domains.
    pub availability_domains: usize,
    /// Fault domains in each availability domain (1 to 3).
    pub fault_domains_per_ad: usize,
    /// Instances per fault domain, AD-major: AD 1's FDs, then AD 2's…
    pub instances_per_fd: Vec<u32>,
}

impl Topology {
    /// Total number of fault domains.
    pub fn fault_domains(&self) -> usize {
        self.instances_per_fd.len()
    }

    /// The availability domain of fault domain `fd`.
    pub fn ad_of(&self, fd: usize) -> usize {
        fd / self.fault_domains_per_ad
    }

    /// Total number of instances.
    pub fn instances(&self) -> usize {
        self.instances_per_fd.iter().map(|&n| n as usize).sum()
    }
}

/// An alternating failure/repair process.
#[derive(Clone, Debug)]
pub struct FailureRepair {
    /// Time to failure [s].
    pub failure: Dist,
    /// Outage duration [s].
    pub repair: Dist,
}

impl FailureRepair {
    /// Steady-state availability MTBF / (MTBF + MTTR).
    pub fn availability(&self) -> f64 {
        let (up, down) = (self.failure.mean(), self.repair.mean());
        if up.is_infinite() { 1.0 } else { up / (up + down) }
    }
}

/// The load balancer in front of the instances.
#[derive(Clone, Debug)]
pub struct LoadBalancer {
    /// Its own failures; `None` means it never fails.
    pub failure: Option<FailureRepair>,
    /// Its health checker; `None` means dead backends stay in rotation until
    /// monitoring alerts an operator, who removes them by hand.
    pub health_check: Option<HealthCheck>,
}

/// Health-check settings of the load balancer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheck {
    /// Time between probes of one backend [s].
    pub interval: f64,
    /// A failed probe is counted when this expires [s]; below `interval`.
    pub timeout: f64,
    /// Consecutive failed probes that take a backend out of rotation.
    pub unhealthy_threshold: u32,
    /// Consecutive good probes that put it back.
    pub healthy_threshold: u32,
}

/// How failed instances come back.
#[derive(Clone, Debug)]
pub enum Repair {
    /// An instance pool terminates unhealthy instances and launches
    /// replacements.
    Pool {
        /// Launch-to-running time of a replacement [s].
        replacement: Dist,
        /// Whether a replacement may go to another fault domain when its own is down.
        cross_fd: bool,
        /// Whether replacements are registered with the load balancer.
        register: bool,
    },
    /// An operator, alerted by monitoring, repairs or restarts the instance.
    Manual {
        /// Alert-to-running time [s].
        time: Dist,
    },
}

/// What a dependency's outage does to requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Impact {
    /// Every request fails.
    Required,
    /// This fraction of requests fails.
    Degraded(f64),
}

/// A shared dependency (database, cache…).
#[derive(Clone, Debug)]
pub struct Dependency {
    /// Its name, used in cause attribution.
    pub name: String,
    /// What its outage does.
    pub impact: Impact,
    /// Its failure/repair process; each replica's, for a tier.
    pub process: FailureRepair,
    /// Its replicas, if it is a replicated tier.
    pub tier: Option<Tier>,
    /// Shared by every region (simulated in the home region), rather
    /// than one copy per region.
    pub global: bool,
}

/// Where user sessions live.
#[derive(Clone, Debug, PartialEq)]
pub enum Storage {
    /// In instance memory: lost when the instance dies or restarts.
    Memory,
    /// In an external store (the dependency at this index): lost when it fails.
    External(usize),
    /// In client tokens: never lost.
    ClientToken,
}

/// User sessions.
#[derive(Clone, Debug)]
pub struct Sessions {
    /// Where they live.
    pub storage: Storage,
    /// Concurrent active sessions across the service.
    pub active: f64,
}

/// How planned work goes through the instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Every instance at once: the whole service is out.
    AllAtOnce,
    /// One fault domain at a time (one instance at a time when all sit in one
    /// fault domain), drained first: reduced capacity, no downtime.
    Rolling,
}

/// Deployments or maintenance windows.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Time between starts [s].
    pub every: Dist,
    /// Time one step takes (the whole service, or one fault domain) [s].
    pub duration: Dist,
    /// All at once or rolling.
    pub strategy: Strategy,
    /// A release can be bad (deploys only).
    pub bad_release: Option<BadRelease>,
}

/// Bad releases: a correlated gray failure of every instance the release
/// reaches, until it is rolled back.
#[derive(Clone, Debug)]
pub struct BadRelease {
    /// Probability that a release is bad.
    pub probability: f64,
    /// From the start of the deploy to the end of the rollback [s].
    pub rollback: Dist,
}

impl Scenario {
    /// The reasons dependency `d` of this scenario can be down, one cause
    /// each, in cause order: one unnamed reason (`None`) for a plain
    /// dependency, each of a tier's [`Tier::reasons`] otherwise.
    pub fn dependency_reasons(&self, d: &Dependency) -> Vec<Option<TierReason>> {
        match &d.tier {
            None => vec![None],
            Some(t) => t.reasons(self.domain_outages()).into_iter().map(Some).collect(),
        }
    }

    /// The outages of whole domains, as configured: each kind's key, how
    /// `check` names it, how many such domains there are, and its law.
    /// What describes a scenario and estimates its work reads this list.
    pub fn outages(&self) -> impl Iterator<Item = (&'static str, &'static str, usize, &FailureRepair)> {
        OutageKind::ALL.into_iter().filter_map(|kind| {
            let law = self.outages.of(kind)?;
            Some((kind.key(), kind.label(), kind.count(&self.topology), law))
        })
    }

    /// Whether fault (availability) domains fail in a way that can leave
    /// some instance serving: they have outages and there is more than one.
    pub fn domain_outages(&self) -> Partial {
        self.outages.partial(&self.topology)
    }

    /// The named causes as reports name them, in the order of
    /// [`crate::cause::Cause::Named`]: the dependencies' (a plain
    /// dependency's name, a tier's `<name>.<reason>` for each of its
    /// reasons), then the regions' (`region.<name>.<reason>`).
    pub fn named_causes(&self) -> Vec<String> {
        let mut causes = self.dependency_causes();
        causes.extend(self.regions.iter().flat_map(Regions::causes));
        causes
    }

    /// The dependencies' causes, the first of [`Scenario::named_causes`].
    pub fn dependency_causes(&self) -> Vec<String> {
        let named = |d: &Dependency, r: Option<TierReason>| match r {
            None => d.name.clone(),
            Some(r) => format!("{}.{}", d.name, r.name()),
        };
        self.dependencies
            .iter()
            .flat_map(|d| self.dependency_reasons(d).into_iter().map(move |r| named(d, r)))
            .collect()
    }

    /// Loads `spec`: a file if one exists at that path, else the bundled
    /// scenario of that name, else the file (whose error then says it is
    /// missing). A directory is not a file: a report's output folder named
    /// after a bundled scenario does not hide it.
    ///
    /// # Errors
    /// As [`Scenario::load`].
    pub fn resolve(spec: &str, overrides: &[Override]) -> Result<Scenario> {
        let path = Path::new(spec);
        match crate::embedded::scenario(spec) {
            Some(text) if !path.is_file() => Scenario::from_toml(text, spec, overrides),
            None if !path.exists() => {
                let names = crate::embedded::SCENARIOS.iter().map(|(n, _)| *n);
                let closest = names
                    .clone()
                    .max_by(|a, b| strsim::jaro_winkler(spec, a).total_cmp(&strsim::jaro_winkler(spec, b)));
                let hint = closest
                    .filter(|n| strsim::jaro_winkler(spec, n) > 0.8)
                    .map(|n| format!(" did you mean '{n}'?"))
                    .unwrap_or_default();
                let bundled = names.collect::<Vec<_>>().join(", ");
                Err(Error::NoScenario { spec: spec.to_string(), hint, bundled })
            }
            _ => Scenario::load(path, overrides),
        }
    }

    /// Reads and checks a scenario file, after applying `overrides`.
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario> {
        let bytes = crate::input::read(path, crate::input::TEXT_LIMIT)
            .map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let origin = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            let (line, column) = source::line_column(&text, text.len());
            let byte = e.as_bytes()[valid.len()];
            let message = format!("not UTF-8 text (byte 0x{byte:02x}): scenario files are UTF-8");
            Error::Scenario { origin: origin.clone(), line, column, key: String::new(), message }
        })?;
        Scenario::from_toml(&text, &origin, overrides)
    }

    /// Checks scenario `text` that came from `origin` (a path, for messages).
    pub fn from_toml(text: &str, origin: &str, overrides: &[Override]) -> Result<Scenario> {
        let source_text = text;
        // Syntax errors, and arrays of tables where one table belongs, are
        // the file's whatever the overrides.
        let table = text
            .parse::<toml::Table>()
            .map_err(|e| locate(text, text, origin, &[], e.span().unwrap_or(0..0), e.message().to_string()))?;
        if table.contains_key("scenario") && table.contains_key("vary") {
            let message =
                format!("this is a sweep file (it has `scenario` and `vary`): run it with `availsim sweep {origin}`");
            return Err(Error::Scenario {
                origin: origin.to_string(),
                line: 1,
                column: 1,
                key: String::new(),
                message,
            });
        }
        if let Some((key, _)) = table.iter().find(|(k, v)| {
            k.as_str() != "dependency" && v.as_array().is_some_and(|a| a.iter().any(toml::Value::is_table))
        }) {
            let header = format!("[[{key}]]");
            let at = text.find(&header).unwrap_or(0);
            let message = format!("{header} declares a list of tables; [{key}] is one table: write [{key}]");
            return Err(locate(text, text, origin, &[], at..at + header.len(), message));
        }
        let text = if overrides.is_empty() {
            text.to_string()
        } else {
            // A malformed value is the file's even if an override replaces it
            // (a missing one, an override may supply).
            if let Err(e) = toml::from_str::<RawScenario>(text)
                && !e.message().starts_with("missing field")
            {
                return Err(locate(text, text, origin, &[], e.span().unwrap_or(0..0), e.message().to_string()));
            }
            source::apply_overrides(text, overrides).map_err(|e| match e {
                source::OverrideError::Override(o, message) => Error::Override { option: o.option, message },
                source::OverrideError::Layout(span, message) => locate(text, text, origin, &[], span, message),
            })?
        };
        let located =
            |span: Range<usize>, message: String| locate(source_text, &text, origin, overrides, span, message);
        let raw: RawScenario = toml::from_str(&text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            located(span, e.message().to_string())
        })?;
        let mut checker = validate::Checker { problems: vec![] };
        let mut scenario = validate::build(raw, origin, &text, &mut checker);
        scenario.text = text.clone();
        scenario.overrides = overrides.iter().map(|o| o.option.clone()).collect();
        scenario.file_sha256 = sha256(source_text);
        // Every problem of the scenario at once, in file order.
        let mut found = checker.problems;
        found.sort_by_key(|(span, _)| span.start);
        let mut problems: Vec<Error> = found.into_iter().map(|(span, message)| located(span, message)).collect();
        match problems.len() {
            0 => Ok(scenario),
            1 => Err(problems.remove(0)),
            _ => Err(Error::Problems { problems }),
        }
    }
}

/// The SHA-256 of `text`, in hex: how outputs name a scenario's text.
pub fn sha256(text: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

/// Turns a span of `text` (the file's text `original` with `overrides`
/// applied) into an error naming the file (or the `--set` at fault), line,
/// column and key. Lines and columns are the file's: an override that
/// added lines above the key does not move them. A problem with a file's
/// key that a `--set` beside it (in the same table), or of a key the
/// message names, may have caused names that `--set` too.
fn locate(
    original: &str,
    text: &str,
    origin: &str,
    overrides: &[Override],
    span: Range<usize>,
    message: String,
) -> Error {
    let mut message = readable(text, &span, message);
    // A field missing from the top level is reported at offset 0, and so is
    // a problem of the whole scenario: the first key is not the one at fault.
    let missing_at_top = span.start == 0 && (message.starts_with("missing field") || span.is_empty());
    let key = if missing_at_top { None } else { source::key_at(text, span.start) };
    // A table an override added to or created may lack a field, or be
    // unknown, or run away (the busiest process, whose law a `--set` below
    // it changed): the override is at fault, not the file.
    let within = ["missing field", "unknown field", "this scenario needs"].iter().any(|m| message.starts_with(m));
    if let Some(key) = &key
        && let Some(o) = overrides
            .iter()
            .rev()
            // (An entry an override renamed is found by its name in the file.)
            .find(|o| key_matches(key, &o.path, text, within) || key_matches(key, &o.path, original, within))
    {
        return Error::Override { option: o.option.clone(), message };
    }
    // The same place in the file as read: the key's own offset there, plus
    // how far into it the span starts.
    let offset = key
        .as_deref()
        .filter(|_| original != text)
        .and_then(|k| Some((source::span_of(text, k)?.start, source::span_of(original, k)?.start)))
        .and_then(|(here, there)| (span.start >= here).then(|| there + (span.start - here)));
    let (line, column) = match offset {
        Some(at) => source::line_column(original, at),
        None => source::line_column(text, span.start),
    };
    // Every `--set` of the same table, or of a key the message names (a
    // check across keys), may be the cause: each is named, in order.
    let named = |o: &&Override| message.contains(&o.path.join("."));
    let suspects: Vec<&str> = overrides
        .iter()
        .filter(|o| key.as_ref().is_some_and(|k| same_table(k, &o.path, text)) || named(o))
        .map(|o| o.option.as_str())
        .collect();
    if !suspects.is_empty() {
        message = format!("{message} (with {})", suspects.join(", "));
    }
    let key = key.map(|k| format!("{k}: ")).unwrap_or_default();
    Error::Scenario { origin: origin.to_string(), line, column, key, message }
}

/// Whether the key at dotted `key` sits in the table the override at
/// `path` sets a key of.
fn same_table(key: &str, path: &[String], text: &str) -> bool {
    let parent = key.rsplit_once('.').map_or("", |(p, _)| p);
    let depth = parent.split('.').filter(|s| !s.is_empty()).count();
    path.len() == depth + 1 && depth > 0 && key_matches(parent, &path[..depth], text, false)
}

/// The parser's message in the file's terms: the key a duplicate names,
/// a date-time called one, the checked types' names left out.
fn readable(text: &str, span: &Range<usize>, message: String) -> String {
    let at = text.get(span.clone()).unwrap_or("").trim();
    if message == "duplicate key" && !at.is_empty() {
        return format!("duplicate key `{at}`: each key may be given once");
    }
    let mut message = message;
    if message.starts_with("invalid type: map") && at.parse::<toml::value::Datetime>().is_ok() {
        message = message.replacen("invalid type: map", "invalid type: date-time", 1);
    }
    // Integer types by their range.
    for (ty, max) in [("u64", i64::MAX.to_string()), ("u32", u32::MAX.to_string()), ("u16", u16::MAX.to_string())] {
        message = message.replace(&format!("expected {ty}"), &format!("expected a whole number from 0 to {max}"));
    }
    // `expected struct RawSlo` is `expected a table`.
    if let Some(i) = message.find("struct Raw") {
        let end = message[i..].find(|c: char| !c.is_alphanumeric() && c != ' ').map_or(message.len(), |e| i + e);
        message.replace_range(i..end, "a table");
    }
    message
}

/// Whether the key found in the text is the one an override set, or one
/// below it (names of array entries in the override are resolved to their
/// index); with `within`, also a table the override's key is in.
fn key_matches(key: &str, path: &[String], text: &str, within: bool) -> bool {
    let found: Vec<&str> = key.split('.').collect();
    if found.len() < path.len() && !within {
        return false;
    }
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(_) => return false,
    };
    let mut value = toml::Value::Table(table);
    path.iter().zip(&found).all(|(want, got)| {
        let same = match &value {
            toml::Value::Array(items) => {
                let named = items.iter().position(|t| t.get("name").and_then(|n| n.as_str()) == Some(want));
                got.parse::<usize>().ok() == want.parse::<usize>().ok().or(named)
            }
            _ => want == got,
        };
        if let Some(next) = match &value {
            toml::Value::Array(items) => got.parse::<usize>().ok().and_then(|i| items.get(i)),
            other => other.get(*got),
        } {
            value = next.clone();
        }
        same
    })
}
