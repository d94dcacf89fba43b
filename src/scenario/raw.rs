//! The scenario file as written: serde types that mirror the TOML, one field
//! per key. Leaf values (durations, distributions) check themselves while
//! they are read, so their errors carry a line and column; rules that span
//! several keys are checked in `validate`, which keeps the spans it needs.

use super::dist::Dist;
use super::duration::Duration;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub simulation: RawSimulation,
    pub slo: RawSlo,
    pub topology: RawTopology,
    pub instance: RawInstance,
    pub fault_domain: Option<RawFailure>,
    pub availability_domain: Option<RawFailure>,
    pub load_balancer: Option<RawLoadBalancer>,
    pub monitoring: Option<RawMonitoring>,
    pub repair: RawRepair,
    #[serde(default)]
    pub dependency: Vec<RawDependency>,
    #[serde(default)]
    pub sessions: RawSessions,
    pub deploy: Option<RawPlanned>,
    pub maintenance: Option<RawPlanned>,
    pub traffic: Option<RawTraffic>,
    pub autoscaling: Option<RawAutoscaling>,
    pub regions: Option<RawRegions>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub years: Option<Spanned<u64>>,
    pub seed: Option<u64>,
    pub warmup: Option<Spanned<Duration>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub target: Spanned<f64>,
    pub window: Option<Spanned<Duration>>,
    #[serde(default)]
    pub sli: RawSli,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum RawSli {
    #[default]
    Requests,
    Time,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopology {
    #[serde(default = "one")]
    pub availability_domains: Spanned<u32>,
    #[serde(default = "one")]
    pub fault_domains_per_ad: Spanned<u32>,
    pub instances_per_fd: Spanned<Vec<u32>>,
}

fn one() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstance {
    #[serde(deserialize_with = "super::dist::or_never")]
    pub failure: Dist,
    pub gray_failure: Option<Spanned<Dist>>,
    pub capacity: Option<Spanned<f64>>,
    pub overload: Option<Spanned<RawOverload>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverload {
    pub above: Spanned<f64>,
    pub hazard: Spanned<f64>,
}

/// A failure/repair process: time to failure, then how long the outage lasts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFailure {
    #[serde(deserialize_with = "super::dist::or_never")]
    pub failure: Dist,
    pub repair: Dist,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancer {
    pub failure: Option<Spanned<Dist>>,
    pub repair: Option<Spanned<Dist>>,
    pub health_check: Option<RawHealthCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    pub interval: Spanned<Duration>,
    pub timeout: Spanned<Duration>,
    pub unhealthy_threshold: Spanned<u32>,
    pub healthy_threshold: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMonitoring {
    pub alert_delay: Dist,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawRepairMode {
    Pool,
    Manual,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRepair {
    pub mode: Spanned<RawRepairMode>,
    pub time: Dist,
    pub cross_fd: Option<Spanned<bool>>,
    pub register: Option<Spanned<bool>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawImpact {
    Required,
    Degraded,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDependency {
    pub name: Spanned<String>,
    pub impact: RawImpact,
    pub failing_fraction: Option<Spanned<f64>>,
    #[serde(deserialize_with = "super::dist::or_never")]
    pub failure: Dist,
    pub repair: Dist,
    pub replicas: Option<Spanned<u32>>,
    pub mode: Option<Spanned<RawTierMode>>,
    pub quorum: Option<Spanned<u32>>,
    pub placement: Option<Spanned<RawPlacement>>,
    pub failover: Option<Spanned<RawFailover>>,
    pub common: Option<Spanned<RawFailure>>,
    pub scope: Option<Spanned<RawScope>>,
}

/// Whether a dependency runs once per region or once for all.
#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawScope {
    Regional,
    Global,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawTierMode {
    Failover,
    Quorum,
    Any,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawPlacement {
    Independent,
    FaultDomains,
    AvailabilityDomains,
}

/// A primary's failover: detection, then promotion of a standby.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFailover {
    pub detection: Dist,
    pub promotion: Dist,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawStorage {
    Memory,
    External,
    ClientToken,
}

fn client_token() -> Spanned<RawStorage> {
    Spanned::new(0..0, RawStorage::ClientToken)
}

impl Default for RawSessions {
    fn default() -> Self {
        RawSessions { storage: client_token(), store: None, active: 0 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSessions {
    #[serde(default = "client_token")]
    pub storage: Spanned<RawStorage>,
    pub store: Option<Spanned<String>>,
    #[serde(default)]
    pub active: u64,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawStrategy {
    AllAtOnce,
    Rolling,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlanned {
    pub every: Spanned<Dist>,
    pub duration: Dist,
    pub strategy: RawStrategy,
    pub bad_release_probability: Option<Spanned<f64>>,
    pub rollback: Option<Spanned<Dist>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    pub rps: Spanned<f64>,
    pub daily: Option<Spanned<Vec<Vec<f64>>>>,
    pub weekly: Option<Spanned<Vec<f64>>>,
    pub growth: Option<Spanned<f64>>,
    pub flash_sale: Option<RawFlashSale>,
}

/// A multiplier: a number, or `[low, high]` drawn uniformly.
#[derive(Deserialize, Clone, Copy)]
#[serde(untagged)]
pub enum RawMultiplier {
    Fixed(f64),
    Range([f64; 2]),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlashSale {
    pub per_year: Spanned<f64>,
    pub multiplier: Spanned<RawMultiplier>,
    pub ramp: Dist,
    pub duration: Dist,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscaling {
    pub enabled: Option<bool>,
    pub min: Spanned<u32>,
    pub max: Spanned<u32>,
    pub scale_out: Option<RawScaleOut>,
    pub scale_in: Option<RawScaleIn>,
    pub step: Option<Spanned<u32>>,
    pub cooldown: Option<Duration>,
    pub provisioning: Option<Dist>,
    pub drain: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScaleOut {
    pub above: Spanned<f64>,
    #[serde(rename = "for")]
    pub sustain: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScaleIn {
    pub below: Spanned<f64>,
    #[serde(rename = "for")]
    pub sustain: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegions {
    pub names: Spanned<Vec<String>>,
    pub mode: Spanned<RawRegionMode>,
    pub weights: Option<Spanned<Vec<f64>>>,
    pub outage: Option<RawFailure>,
    pub dns_ttl: Option<Spanned<Duration>>,
    pub health_check: Option<RawRegionCheck>,
    pub failover: Option<Spanned<RawRegionFailover>>,
    pub switch: Option<Spanned<Dist>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum RawRegionMode {
    ActiveActive,
    ActivePassive,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RawRegionFailover {
    Automatic,
    Manual,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegionCheck {
    pub interval: Option<Spanned<Duration>>,
    pub unhealthy_threshold: Option<Spanned<u32>>,
    pub healthy_threshold: Option<Spanned<u32>>,
}
