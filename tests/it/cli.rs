//! The `availsim` command end to end, as a user runs it.

use assert_cmd::Command;
use std::path::Path;

fn availsim() -> Command {
    Command::cargo_bin("availsim").unwrap()
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// An output's content without what may differ between two runs of the
/// same thing: the page's footer and the JSON's `run` (timings, and the
/// command line with its --out).
fn without_provenance(file: &str, bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    if file.ends_with(".json") {
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for row in value.as_array_mut().map_or_else(Vec::new, |rows| rows.iter_mut().collect()) {
            row.as_object_mut().unwrap().remove("run");
        }
        if let Some(object) = value.as_object_mut() {
            object.remove("run");
        }
        value.to_string()
    } else if let (Some(start), Some(end)) = (text.find("<footer>"), text.find("</footer>")) {
        format!("{}{}", &text[..start], &text[end..])
    } else {
        text
    }
}

/// Runs and expects exit code 2 with a one-line error containing `needles`.
fn rejects(cmd: &mut Command, needles: &[&str]) {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "stdout: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error expected: {err}");
    for needle in needles {
        assert!(err.contains(needle), "'{needle}' missing from: {err}");
    }
}

#[test]
fn default_command_compares_the_reference_designs() {
    let out = stdout(availsim().args([] as [&str; 0]).env("AVAILSIM_YEARS_HINT", "unused"));
    for needle in ["single-instance", "three-fd-ha-db", "Time availability", "Downtime reduction vs first", "95 % CI"] {
        assert!(out.contains(needle), "'{needle}' missing from:\n{out}");
    }
}

#[test]
fn run_prints_the_json_contract() {
    let out = stdout(availsim().args(["run", "three-fd", "--years", "2000", "--format", "json", "--threads", "2"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "scenario",
        "years",
        "seed",
        "events",
        "time_availability",
        "request_availability",
        "downtime_minutes_per_year",
        "slo",
        "causes",
        "outages_per_year",
        "mean_outage_minutes",
        "sessions_lost_per_year",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    for key in ["mean", "ci95_low", "ci95_high"] {
        assert!(v["time_availability"][key].is_f64());
    }
    for key in ["mean", "p50", "p90", "p99", "max"] {
        assert!(v["downtime_minutes_per_year"][key].is_f64());
    }
    for key in ["target", "window_days", "p_window_meets", "p_year_meets", "error_budget_consumed_mean"] {
        assert!(v["slo"][key].is_number(), "slo.{key}");
    }
    assert_eq!(v["years"], 2000);
    assert_eq!(v["slo"]["sli"], "requests");
    assert!(v["causes"]["database"]["downtime_minutes_per_year"].as_f64().unwrap() > 0.0);
    assert_eq!(v["run"]["source"], "simulated");
    assert_eq!(v["run"]["threads"], 2);
    assert!(v["run"]["wall_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn out_writes_summary_and_downtime_histogram() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    stdout(availsim().args(["run", "scenarios/three-fd.toml", "--years", "2000", "--quiet", "--out"]).arg(&out));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "three-fd");
    let csv = std::fs::read_to_string(out.join("downtime.csv")).unwrap();
    assert!(csv.starts_with("scenario,period,low_minutes,high_minutes,count,fraction,cumulative_fraction\n"));
    let last_year_row = csv.lines().rfind(|l| l.starts_with("three-fd,year,")).unwrap();
    assert!(last_year_row.ends_with(",1.000000000"), "cumulative fraction ends at 1: {last_year_row}");
}

#[test]
fn set_overrides_change_the_result_and_are_checked() {
    let availability = |extra: &[&str]| {
        let out = stdout(availsim().args(["run", "three-fd", "--years", "2000", "--format", "json"]).args(extra));
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["request_availability"]["mean"].as_f64().unwrap()
    };
    let base = availability(&[]);
    let slow = availability(&[
        "--set",
        "load_balancer.health_check.interval=60s",
        "--set",
        "load_balancer.health_check.timeout=5s",
    ]);
    assert!(slow < base, "slower health checks fail more requests: {slow} vs {base}");
    rejects(
        availsim().args(["run", "three-fd", "--set", "repair.time=10 parsecs"]),
        &["--set repair.time=10 parsecs", "unit"],
    );
    rejects(availsim().args(["run", "three-fd", "--set", "repair"]), &["--set repair", "key.path=value"]);
}

#[test]
fn bad_scenarios_get_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string("scenarios/three-fd.toml").unwrap();
    let cases = [
        (
            "unknown key",
            base.replace("interval = \"10s\"", "intervall = \"10s\""),
            vec!["unknown field `intervall`", "load_balancer.health_check"],
        ),
        (
            "bad duration",
            base.replace("mean = \"90d\"", "mean = \"90 days\""),
            vec!["dependency.0.failure", "unit 'days'"],
        ),
        ("topology", base.replace("[2, 2, 2]", "[2, 2]"), vec!["topology.instances_per_fd", "3"]),
        (
            "unknown store",
            base.replace("store = \"session-store\"", "store = \"redis\""),
            vec!["sessions.store", "redis"],
        ),
        (
            "timeout",
            base.replace("timeout = \"3s\"", "timeout = \"12s\""),
            vec!["load_balancer.health_check.timeout", "shorter"],
        ),
        (
            "no monitoring",
            base.replace("[monitoring]\n", "")
                .replace("alert_delay = { dist = \"lognormal\", median = \"5m\", p95 = \"15m\" }\n", ""),
            vec!["instance.gray_failure", "needs [monitoring]"],
        ),
    ];
    for (name, text, needles) in cases {
        let path = dir.path().join(format!("{}.toml", name.replace(' ', "-")));
        std::fs::write(&path, text).unwrap();
        let mut needles = needles;
        let file = path.display().to_string();
        needles.push(&file);
        rejects(availsim().arg("check").arg(&path), &needles);
        // Nothing is written for a bad scenario.
        let out = dir.path().join(format!("out-{}", name.replace(' ', "-")));
        rejects(availsim().arg("run").arg(&path).arg("--out").arg(&out), &[&file]);
        assert!(!Path::new(&out).exists(), "{name}: output written for a bad scenario");
    }
    rejects(availsim().args(["run", "no-such-file.toml"]), &["no-such-file.toml"]);
}

#[test]
fn check_prints_the_resolved_scenario() {
    let out = stdout(availsim().args(["check", "three-fd", "--set", "simulation.seed=7"]));
    assert!(out.contains("seed 7"), "{out}");
    assert!(out.contains("mean detection 28s"), "{out}");
}

/// Issue 3: --precision runs rounds on the same year streams, so its figures
/// equal a plain run of the years it needed.
#[test]
fn precision_rounds_equal_a_plain_run() {
    let out = availsim().args(["run", "bench-bare", "--precision", "0.05", "--format", "json"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("precision reached after"), "{stderr}");
    let rounds: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let years = rounds["years"].as_u64().unwrap();
    assert_eq!(years % 100, 0, "whole chunks of 100 years");
    let plain: serde_json::Value = serde_json::from_str(&stdout(availsim().args([
        "run",
        "bench-bare",
        "--format",
        "json",
        "--years",
        &years.to_string(),
    ])))
    .unwrap();
    assert_eq!(rounds["time_availability"], plain["time_availability"]);
    assert_eq!(rounds["causes"], plain["causes"]);
    let t = &rounds["time_availability"];
    let half = (t["ci95_high"].as_f64().unwrap() - t["ci95_low"].as_f64().unwrap()) / 2.0;
    assert!(half <= 0.05 * (1.0 - t["mean"].as_f64().unwrap()), "precision met");
}

/// Issue 3: N shards merged give the same figures as one run of all years.
#[test]
fn shards_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "bench-bare", "--years", "5000", "--quiet", "--format", "json"];
    let whole: serde_json::Value = serde_json::from_str(&stdout(availsim().args(args))).unwrap();
    let mut shard_dirs = vec![];
    for k in 1..=3 {
        let out = dir.path().join(format!("s{k}"));
        stdout(availsim().args(args).args(["--shard", &format!("{k}/3"), "--out"]).arg(&out));
        shard_dirs.push(out);
    }
    let merged: serde_json::Value =
        serde_json::from_str(&stdout(availsim().args(["merge", "--format", "json"]).args(&shard_dirs))).unwrap();
    let strip = |v: &mut serde_json::Value| v.as_object_mut().unwrap().remove("run").unwrap();
    let (mut merged, mut whole) = (merged, whole);
    assert_eq!(strip(&mut merged)["source"], "merged");
    strip(&mut whole);
    assert_eq!(merged, whole);
    let out = availsim().args(["run", "bench-bare", "--shard", "4/3", "--out"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value '4/3' for '--shard <K/N>'"));
}

/// A sweep split into shards (`sweep --shard`) and merged writes the
/// files a sweep in one process writes, provenance aside; its assertions
/// gate the merged sweep, not a shard; shards of another sweep, and more
/// shards than a run has chunks, are refused.
#[test]
fn sweep_shards_merge_to_the_single_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = |extra: &[&str], out: &Path| {
        let mut cmd = availsim();
        cmd.args(["sweep", "bench-bare", "--years", "1000", "--quiet", "--vary", "repair.time=5m,1h"])
            .args(["--vary", "topology.instances_per_fd=[1,1,1],[2,2,2]", "--assert", "time_availability.mean >= 1"])
            .args(extra)
            .arg("--out")
            .arg(out);
        cmd.output().unwrap()
    };
    let whole = sweep(&[], &dir.path().join("whole"));
    assert_eq!(whole.status.code(), Some(1), "the assertion fails: {}", String::from_utf8_lossy(&whole.stderr));
    let mut shards = vec![];
    for k in 1..=3 {
        let out = dir.path().join(format!("s{k}"));
        let run = sweep(&["--shard", &format!("{k}/3")], &out);
        assert!(run.status.success(), "a shard is not gated: {}", String::from_utf8_lossy(&run.stderr));
        assert!(out.join("sweep-tally.json").is_file() && !out.join("sweep.csv").exists());
        shards.push(out);
    }
    let merged_dir = dir.path().join("merged");
    let merged = availsim().arg("merge").args(&shards).arg("--out").arg(&merged_dir).output().unwrap();
    assert_eq!(merged.status.code(), Some(1), "the merged sweep is gated");
    let stderr = String::from_utf8_lossy(&merged.stderr);
    assert_eq!(stderr.matches("FAILED").count(), 4, "every point checked: {stderr}");
    for file in ["sweep.csv", "sweep.json", "sweep.svg"] {
        let read = |d: &Path| std::fs::read(d.join(file)).unwrap();
        let (a, b) = (read(&dir.path().join("whole")), read(&merged_dir));
        let footless = |bytes: &[u8]| {
            let text = without_provenance(file, bytes);
            text.lines().filter(|l| !l.contains(" · seed ")).collect::<Vec<_>>().join("\n")
        };
        assert_eq!(footless(&a), footless(&b), "{file}");
        assert!(file == "sweep.csv" || String::from_utf8(b).unwrap().contains("merged"), "{file} says it was merged");
    }
    // A shard of another sweep (other values) does not merge with these.
    let other = dir.path().join("other");
    assert!(sweep(&["--shard", "3/3", "--set", "instance.failure.mean=20d"], &other).status.success());
    rejects(
        availsim().arg("merge").args(&shards[..2]).arg(&other),
        &["other", "its options (--set instance.failure.mean=20d", "a shard of another run"],
    );
    rejects(availsim().arg("merge").arg(&shards[0]).arg(dir.path().join("whole")), &["sweep --shard"]);
    let run_shard = dir.path().join("run-shard");
    stdout(
        availsim().args(["run", "bench-bare", "--years", "1000", "--quiet", "--shard", "1/2", "--out"]).arg(&run_shard),
    );
    rejects(availsim().arg("merge").arg(&shards[0]).arg(&run_shard), &["it is a run's shard"]);
    rejects(availsim().arg("merge").arg(&run_shard).arg(&shards[0]), &["it is a sweep's shard"]);
    // Shards missing: the files are written, and the gate fails whatever
    // the figures (here every point passes).
    let partial =
        availsim().args(["merge", "--out"]).arg(dir.path().join("partial")).args(&shards[..2]).output().unwrap();
    assert_eq!(partial.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&partial.stderr).contains("shards are missing from the merge"));
    assert!(dir.path().join("partial/sweep.csv").is_file());
    // A tampered file without points (the last field of the file).
    let text = std::fs::read_to_string(shards[0].join("sweep-tally.json")).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let cut = text.find("\"points\":[").expect("points last");
    std::fs::write(empty.join("sweep-tally.json"), format!("{}\"points\":[]}}", &text[..cut])).unwrap();
    rejects(availsim().arg("merge").arg(&empty), &["holds no point"]);
    // A folder that is not a plain name would send the outputs elsewhere.
    std::fs::write(empty.join("sweep-tally.json"), text.replacen("\"folder\":\"", "\"folder\":\"../", 1)).unwrap();
    rejects(availsim().arg("merge").arg(&empty), &["is not a plain name"]);
    // A plotted figure that is not one (checked as a sweep checks it).
    std::fs::write(empty.join("sweep-tally.json"), text.replacen("\"plot\":\"", "\"plot\":\"bogus.", 1)).unwrap();
    rejects(availsim().arg("merge").arg(&empty), &["plotted figure 'bogus.", "is not a figure"]);
    let too_many = sweep(&["--shard", "1/11"], &dir.path().join("s11"));
    assert_eq!(too_many.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_many.stderr).contains("at most 10 shards"));
    assert!(!dir.path().join("s11").exists(), "a refused shard makes no folder");
    let run = availsim()
        .args(["run", "bench-bare", "--years", "1050", "--shard", "12/12", "--out"])
        .arg(dir.path().join("r12"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(!dir.path().join("r12").exists(), "nor does a refused run shard");
}

/// `--assert` gates a design: exit 0 when every check holds, 1 when one
/// fails (after printing and writing the results), 2 for a bad expression
/// or a misspelt key, caught before anything is simulated.
#[test]
fn assertions_set_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        availsim()
            .args(["run", "three-fd", "--years", "2000", "--quiet", "--format", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let holds = run(&["--assert", "time_availability.mean >= 0.99", "--assert", "slo.p_window_meets>0.5"]);
    assert_eq!(holds.status.code(), Some(0), "{}", String::from_utf8_lossy(&holds.stderr));
    let out = dir.path().join("gated");
    let fails = availsim()
        .args(["run", "three-fd", "--years", "2000", "--quiet", "--assert", "request_availability.ci95_low >= 0.9995"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(fails.status.code(), Some(1));
    let stderr = String::from_utf8(fails.stderr).unwrap();
    assert!(stderr.contains("FAILED for three-fd (0.998"), "{stderr}");
    assert!(String::from_utf8(fails.stdout).unwrap().contains("Request availability"), "results still printed");
    assert!(out.join("summary.json").exists(), "results still written");
    let typo = run(&["--assert", "slo.p_windows_meets >= 0.9"]);
    assert_eq!(typo.status.code(), Some(2));
    let stderr = String::from_utf8(typo.stderr).unwrap();
    assert!(stderr.contains("did you mean 'slo.p_window_meets'"), "{stderr}");
    assert!(typo.stdout.is_empty(), "nothing simulated for a misspelt key");
    assert_eq!(run(&["--assert", "slo.p_window_meets"]).status.code(), Some(2));
}

/// `sweep` runs every point of the grid on the same random numbers, writes
/// sweep.csv (varied keys, then the JSON contract's figures), sweep.json
/// and sweep.svg, byte-identical for the same seed, and gates on --assert.
#[test]
fn sweep_writes_csv_and_json_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = |out: &Path, extra: &[&str]| {
        availsim()
            .args(["sweep", "three-fd", "--years", "2000", "--quiet"])
            .args(["--vary", "load_balancer.health_check.interval=5s,60s", "--vary", "repair.time=1m..9m:2"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let out = sweep(&a, &["--assert", "time_availability.mean >= 0.99"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(table.lines().count(), 5, "a header and four points:\n{table}");
    let csv = std::fs::read_to_string(a.join("sweep.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(header[..4], ["load_balancer.health_check.interval", "repair.time", "years", "seed"]);
    assert!(header.contains(&"request_availability.ci95_low") && header.contains(&"slo.p_window_meets"));
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows.iter().map(|r| (r[0], r[1])).collect::<Vec<_>>(),
        [("5s", "1m"), ("5s", "9m"), ("60s", "1m"), ("60s", "9m")]
    );
    // Common random numbers: slower health checks fail more requests,
    // point for point, whatever the replacement time.
    let request = header.iter().position(|h| *h == "request_availability.mean").unwrap();
    let value = |row: usize| rows[row][request].parse::<f64>().unwrap();
    assert!(value(2) < value(0) && value(3) < value(1), "{csv}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json[3]["point"]["repair.time"], "9m");
    // Same seed, byte-identical files; a failing assertion gives exit 1.
    let out = sweep(&b, &["--assert", "request_availability.mean >= 0.99895"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAILED for load_balancer.health_check.interval=60s"));
    // The chart differs by its gate alone: b's draws its threshold and rings the failing points.
    for file in ["sweep.csv", "sweep.json"] {
        let read = |dir: &std::path::Path| without_provenance(file, &std::fs::read(dir.join(file)).unwrap());
        assert!(read(&a) == read(&b), "{file} differs between runs of one seed");
    }
    let gated = std::fs::read_to_string(b.join("sweep.svg")).unwrap();
    assert!(gated.contains("assert request_availability.mean &gt;= 0.99895"), "the threshold is drawn");
    assert!(gated.contains("fill=\"none\" stroke=\"#FF0000\""), "failing points are ringed");
    assert!(!std::fs::read_to_string(a.join("sweep.svg")).unwrap().contains("#FF0000\" stroke-width=\"2\"/>"));
    // Each point says where it came from; the CSV's sidecar too.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("sweep.json")).unwrap()).unwrap();
    let provenance = &json[3]["run"]["provenance"];
    let overrides = ["--years 2000", "--vary load_balancer.health_check.interval=60s", "--vary repair.time=9m"];
    assert_eq!(provenance["overrides"], serde_json::json!(overrides), "{provenance}");
    assert_eq!(provenance["sha256"].as_str().map(str::len), Some(64));
    assert!(provenance["command"][1] == "sweep", "{provenance}");
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("sweep.provenance.json")).unwrap()).unwrap();
    assert_eq!(sidecar[3]["provenance"], *provenance);
    let svg = std::fs::read_to_string(a.join("sweep.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("repair.time = 9m") && svg.contains("SLO target"),
        "one line per repair time"
    );
    let bad = availsim()
        .args(["sweep", "three-fd", "--vary", "repair.time=5m", "--plot", "request_availabilty"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean 'request_availability.mean'"));
    // A bad range, and a value the scenario refuses, are usage errors.
    let bad = availsim().args(["sweep", "three-fd", "--vary", "repair.time=1m..9m:1"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let bad = availsim().args(["sweep", "three-fd", "--vary", "repair.time=5m,5 parsecs"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--vary repair.time=5 parsecs"));
}

/// `report` writes one SVG per chart and an offline index.html that
/// references only them; the same scenarios, seed and years give
/// byte-identical files.
#[test]
fn report_writes_charts_and_an_offline_page() {
    let dir = tempfile::tempdir().unwrap();
    let report = |out: &Path| {
        let args = ["report", "single-instance", "three-fd", "--years", "2000", "--quiet", "--out"];
        availsim().args(args).arg(out).output().unwrap()
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let done = report(&a);
    let noted = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success() && noted.contains(&format!("Report: {}", a.join("index.html").display())), "{noted}");
    assert!(!String::from_utf8_lossy(&done.stdout).contains("Report:"), "stdout holds the figures only");
    report(&b);
    let page = std::fs::read_to_string(a.join("index.html")).unwrap();
    assert!(!page.contains("http") && !page.contains("<script") && !page.contains("<link"), "nothing fetched");
    let footer = &page[page.find("<footer>").expect("a footer")..];
    assert!(
        footer.contains("three-fd (file sha256 ") && footer.contains("command: ") && footer.contains("report"),
        "{footer}"
    );
    let sources: Vec<&str> = page.split("src=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
    assert_eq!(
        sources.len(),
        10,
        "4 charts, and a median year, a worst year and its longest incident of each scenario: {sources:?}"
    );
    for chart in ["burn-down.svg", "timeline-three-fd-worst.svg", "timeline-three-fd-worst-incident.svg"] {
        assert!(sources.contains(&chart), "{chart}");
    }
    assert_eq!(page.matches("<th>lasted</th><th>cause</th>").count(), 4, "an incident list a year");
    for file in sources.iter().copied().chain(["index.html"]) {
        let bytes = std::fs::read(a.join(file)).unwrap_or_else(|_| panic!("{file} referenced but missing"));
        let (a, b) =
            (without_provenance(file, &bytes), without_provenance(file, &std::fs::read(b.join(file)).unwrap()));
        assert_eq!(a, b, "{file} differs between identical runs");
        if file.ends_with(".svg") {
            let svg = String::from_utf8(bytes).unwrap();
            let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{file} is not well-formed: {e}"));
            assert_eq!(doc.root_element().tag_name().name(), "svg", "{file}");
            let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).map(str::trim).collect();
            let series = match file {
                "availability.svg" => vec!["time availability", "request availability", "SLO target 99.9 %"],
                "downtime.svg" => vec!["three-fd per year", "three-fd per window", "single-instance per year"],
                "causes.svg" => vec!["database · three-fd", "detection_window · single-instance"],
                "burn-down.svg" => vec!["even burn: spent exactly by the end", "error budget left", "0 %"],
                _ => vec!["service", "instance 1 (FD 1)", "deploy", "down / dead in rotation"],
            };
            for s in series {
                assert!(texts.contains(&s), "{file}: '{s}' missing from {texts:?}");
            }
            let scenarios = if file.starts_with("timeline-") { 1 } else { 2 };
            let named = ["single-instance", "three-fd"].iter().filter(|n| svg.contains(*n)).count();
            assert_eq!(named, scenarios, "{file} names its scenarios");
        }
    }
    assert!(a.join("three-fd").join("summary.json").exists(), "the runs' own files are written too");
}

/// Every bundled sweep file names a scenario, varies keys it accepts and
/// asserts on figures it has; a sweep file's settings come first and the
/// command line adds to them.
#[test]
fn bundled_sweep_files_are_valid() {
    let files: Vec<_> = std::fs::read_dir("scenarios/sweeps").unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 5, "{files:?}");
    for path in files {
        let file = availsim::sweep::SweepFile::read(&path).unwrap().unwrap_or_else(|| panic!("{path:?} is a sweep"));
        let varies: Vec<availsim::sweep::Vary> = file.vary.iter().map(|v| v.parse().unwrap()).collect();
        let text = availsim::embedded::scenario(&file.scenario).unwrap();
        let points = availsim::sweep::scenarios(text, &file.scenario, &[], &varies).unwrap();
        assert!(points.len() >= 3, "{path:?}");
        let base = &points[0].1;
        for a in &file.assert {
            a.parse::<availsim::assertion::Assertion>().unwrap().validate(base).unwrap();
        }
        availsim::assertion::check_figure(file.plot.as_deref().unwrap(), base).unwrap();
    }
    // --years and --vary on the command line override and add to the file's.
    let dir = tempfile::tempdir().unwrap();
    let out = availsim()
        .args(["sweep", "scenarios/sweeps/health-check-interval.toml", "--years", "2000", "--quiet"])
        .args(["--vary", "repair.time=5m,10m", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 11, "5 intervals x 2 repair times and a header");
    assert!(csv.lines().nth(1).unwrap().contains(",2000,"), "2,000 years per point");
    let err = availsim().args(["sweep", "three-fd"]).output().unwrap();
    assert_eq!(err.status.code(), Some(2), "nothing varies");
}

/// Writes go through uniquely named temporary files: two runs into one
/// directory leave complete files and no temporary ones; --years and
/// --precision cannot be combined (the rounds decide the years).
#[test]
fn writes_are_atomic_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("availsim"))
            .args(["run", "bench-bare", "--years", "2000", "--quiet", "--out"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (run(), run());
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["downtime.csv", "downtime.provenance.json", "summary.json"]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["years"], 2000);
    let both = availsim().args(["run", "bench-bare", "--years", "2000", "--precision", "0.1"]).output().unwrap();
    assert_eq!(both.status.code(), Some(2));
}

/// A read error is printed once, after the file it concerns (issue 9);
/// what is no regular file (a directory, /dev/zero) is not read at all.
#[test]
fn read_errors_are_printed_once() {
    for path in ["/", "/dev/zero"] {
        let out = availsim().args(["run", path]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err, format!("error: cannot read scenario '{path}': not a regular file\n"));
    }
}

/// `compare` refuses two scenarios of one name in one --out, which would
/// overwrite each other, before simulating anything (issue 9).
#[test]
fn compare_refuses_two_scenarios_of_one_name_in_one_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dup");
    let args = ["compare", "three-fd", "scenarios/three-fd.toml", "--years", "2000", "--out"];
    let result = availsim().args(args).arg(&out).output().unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("both named 'three-fd'"));
    assert!(!out.exists(), "nothing written");
    // Without --out nothing is overwritten: the comparison runs.
    let fine = availsim().args(["compare", "three-fd", "scenarios/three-fd.toml", "--years", "2000"]).output().unwrap();
    assert!(fine.status.success());
}

/// Runs availsim with `args`, sends it `signal` 1.5 s later, and returns
/// what it printed and how long it took to end after the signal [s].
#[cfg(unix)]
fn signalled(args: &[&str], signal: &str) -> (std::process::Output, f64) {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("availsim"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let sent = std::time::Instant::now();
    std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    let output = child.wait_with_output().unwrap();
    (output, sent.elapsed().as_secs_f64())
}

/// SIGINT (and SIGTERM) stop a long run within a second: the years done
/// are printed and written, marked partial, and the exit code says which
/// signal.
#[cfg(unix)]
#[test]
fn an_interrupted_run_reports_its_partial_results() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let out_arg = out.display().to_string();
        let (output, after) =
            signalled(&["run", "three-fd", "--years", "100000000", "--quiet", "--out", &out_arg], signal);
        assert!(after < 2.0, "stopped {after} s after the signal");
        assert_eq!(output.status.code(), Some(code), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.contains("PARTIAL: interrupted after") && stdout.contains("of 100000000 years"), "{stdout}");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        let done = summary["run"]["partial"]["years_done"].as_u64().unwrap();
        assert!((2..100_000_000).contains(&done) && summary["years"].as_u64() == Some(done), "{summary}");
    }
}

/// A year too slow to finish within a second is dropped when a signal
/// stops the run: the run ends at once with the whole years done.
#[cfg(unix)]
#[test]
fn a_signal_stops_a_run_within_a_slow_year() {
    // Crashes every 20 s: a year of millions of events, over a second each.
    let args = ["run", "bench-bare", "--years", "1000", "--quiet", "--set", "instance.failure.mean=20s"];
    let (output, after) = signalled(&args, "-TERM");
    assert!(after < 1.0, "stopped {after} s after the signal");
    assert_eq!(output.status.code(), Some(143), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
}

/// A closed stdout (`| head`) ends the output quietly and the --out files
/// are still written; a full one (/dev/full) is an error, exit 1, after
/// the files are written. Nothing panics.
#[cfg(unix)]
#[test]
fn closed_or_full_stdout_loses_no_result() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("availsim");
    let closed = dir.path().join("closed");
    let script = format!("'{}' run three-fd --years 2000 --quiet --out '{}' | true", bin.display(), closed.display());
    let status = std::process::Command::new("bash")
        .args(["-c", &format!("{script}; exit ${{PIPESTATUS[0]}}")])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(closed.join("summary.json").exists());
    if Path::new("/dev/full").exists() {
        let full = dir.path().join("full");
        let out = std::process::Command::new(&bin)
            .args(["run", "three-fd", "--years", "2000", "--quiet", "--out"])
            .arg(&full)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("No space left on device"));
        assert!(full.join("summary.json").exists(), "the files are written before the failure is reported");
    }
}

/// Options and values that used to be accepted silently, run away or be
/// blamed on the wrong place are refused, naming what is at fault.
#[test]
fn hostile_options_are_refused_naming_the_culprit() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["sweep", "three-fd", "--vary", "repair.time=1m,2m", "--report"], &["sweep --report", "sweep.svg"]),
        (&["sweep", "three-fd", "--years", "200", "--vary", "simulation.years=400,500"], &["--years", "give one"]),
        (&["sweep", "three-fd", "--seed", "9", "--vary", "simulation.seed=5,6"], &["--seed sets it too"]),
        (&["check", "three-fd", "--set", "nosuch.key=1"], &["--set nosuch.key=1: unknown field `nosuch`"]),
        // A renamed entry, several scenarios, letters beyond ASCII, no number.
        (
            &["check", "two-region-active-active", "--set", "dependency.database.name=a.b"],
            &["--set dependency.database.name=a.b: a dependency's name"],
        ),
        (
            &["compare", "three-fd", "two-region-active-active", "--set", "regions.dns_ttl=5m"],
            &["scenario 'three-fd': --set regions.dns_ttl=5m: missing field `names`"],
        ),
        (&["check", "three-fd", "--set", "repair.time=5µs"], &["unknown unit 'µs'"]),
        (&["check", "three-fd", "--set", "repair.time=１m"], &["does not start with a number"]),
        (&["check", "two-region-active-active", "--set", "regions.dns_ttl=nan"], &["is not a length of time"]),
        (&["check", "three-fd", "--set", "name=.."], &["may not start with '.'"]),
        (&["check", "three-fd", "--set", "simulation.seed=2^63"], &["whole number from 0 to 9223372036854775807"]),
        (
            &["check", "flash-sale", "--set", "traffic.rps=5e307"],
            &["traffic.rps must be a number from 1e-6 to 1e12 (got 5e307)"],
        ),
        (
            &["check", "bench-bare", "--set", "instance.failure.mean=5s"],
            &["--set instance.failure.mean=5s:", "events per"],
        ),
        (
            &["compare", "three-fd", "flash-sale", "--assert", "peak_utilisation_percent.mean < 90"],
            &["for scenario three-fd: ", "instance.capacity"],
        ),
        // A file's key at fault because of a --set beside it names both;
        // lines are the file's, whatever an override inserts above them.
        (
            &["check", "three-fd", "--set", "slo.sli=time", "--set", "load_balancer.health_check.interval=1ms"],
            &[
                "three-fd:53:11: load_balancer.health_check.timeout",
                "(with --set load_balancer.health_check.interval=1ms)",
            ],
        ),
        (&["check", "three-fd", "--set", "dependency=[]"], &["three-fd:87:9: sessions.store"]),
        // Every --set of the key's table is named: here the mode is at fault,
        // not the last one given.
        (
            &[
                "check",
                "three-fd-ha-db",
                "--set",
                "dependency.database.mode=\"quorum\"",
                "--set",
                "dependency.database.quorum=2",
            ],
            &[
                "failover applies to mode = \"failover\" only",
                "(with --set dependency.database.mode=\"quorum\", --set dependency.database.quorum=2)",
            ],
        ),
        (
            &["check", "scenarios/sweeps/health-check-interval.toml"],
            &["this is a sweep file", "availsim sweep scenarios/sweeps/health-check-interval.toml"],
        ),
        (&["run", "three-fd", "--assert", "request_availability.mean >= 99.9"], &["not a percent", "write 0.999"]),
    ];
    for (args, want) in cases {
        rejects(availsim().args(*args), want);
    }
    let out = availsim().args(["run", "three-fd", "--precision", "0.1", "--max-years", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-years"), "names the option");
    let out = availsim().args(["run", "three-fd", "--threads", "5000"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("5000 is not in 1..=512"));
    // --max-years bounds a precision run only (a shard has none).
    for args in [
        &["run", "three-fd", "--years", "300", "--max-years", "5000"][..],
        &["run", "three-fd", "--max-years", "5", "--shard", "1/2", "--out", "x"],
        &["sweep", "three-fd", "--vary", "repair.time=1m,2m", "--max-years", "5", "--shard", "1/2", "--out", "x"],
    ] {
        let out = availsim().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(err.contains("cannot be used with") && err.contains("--max-years"), "{args:?}: {err}");
    }
}

/// Sweep files that are not TOML, ask for too few years, name no
/// scenario or plot no figure are refused at their own line (a --plot
/// given beside the file is blamed as the option).
#[test]
fn broken_sweep_files_are_refused_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("syntax.toml", "scenario = \"three-fd\"\nvary = [\"repair.time=1m,2m\"\n", "syntax.toml:2:28"),
        ("zero.toml", "scenario = \"three-fd\"\nvary = [\"repair.time=1m,2m\"]\nyears = 0\n", "zero.toml:3:1: years:"),
        (
            "none.toml",
            "vary = [\"repair.time=1m,2m\"]\nscenario = \"nosuch\"\n",
            "none.toml:2:1: scenario: no scenario",
        ),
        (
            "plot.toml",
            "scenario = \"three-fd\"\nvary = [\"repair.time=1m,2m\"]\nplot = \"x\"\n",
            "plot.toml:3:1: plot: 'x'",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        rejects(availsim().arg("sweep").arg(&path), &[want]);
    }
    rejects(availsim().arg("sweep").arg(dir.path().join("plot.toml")).args(["--plot", "y"]), &["--plot y: 'y'"]);
    rejects(
        availsim().args(["check", "flash-sale", "--set", "instance.capacity=1e-5", "--set", "traffic.rps=1e8"]),
        &["instance.capacity", "over 1e9 times what one instance serves"],
    );
    // The --set of the other key the check names may be the cause.
    rejects(
        availsim().args(["check", "flash-sale", "--set", "traffic.rps=1e11"]),
        &["flash-sale:35:12: instance.capacity", "(with --set traffic.rps=1e11)"],
    );
}

/// A file that cannot be written loses none of the others, nor the
/// assertions' verdicts: every file is tried and the gate run before the
/// failure is reported (exit 1).
#[test]
fn a_failed_write_loses_no_other_output() {
    let dir = tempfile::tempdir().unwrap();
    for (args, blocked, others) in [
        (&["run", "three-fd"][..], "summary.json", &["downtime.csv", "downtime.provenance.json"][..]),
        (&["sweep", "three-fd", "--vary", "repair.time=1m,2m"][..], "sweep.json", &["sweep.csv", "sweep.svg"][..]),
    ] {
        let out = dir.path().join(args[0]);
        std::fs::create_dir_all(out.join(blocked)).unwrap();
        let run = availsim()
            .args(args)
            .args(["--years", "200", "--quiet", "--assert", "time_availability.mean > 0.5", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("holds for") && stderr.contains("cannot write"), "{stderr}");
        for file in others {
            assert!(out.join(file).is_file(), "{file} written");
        }
    }
}

/// Input that used to panic, hang or run away is refused with exit 2 and a
/// located message.
#[test]
fn runaway_and_overflowing_inputs_are_refused() {
    let cases: &[(&[&str], &str)] = &[
        // A bare duration keeps the exponential law: a mean of zero.
        (&["--set", "fault_domain.failure=\"0s\"", "--set", "fault_domain.repair=\"0s\""], "must be a positive"),
        (&["--set", "dependency.database.failure={ dist = \"constant\", value = \"0s\" }"], "must take some time"),
        (&["--set", "deploy.every=\"1ms\""], "events per simulated year"),
        (&["--set", "instance.failure={ dist = \"lognormal\", mu = -700, sigma = 1 }"], "events per simulated year"),
        (&["--set", &format!("fault_domain.failure=\"1{}y\"", "0".repeat(302))], "longest a simulation can use"),
    ];
    for (args, want) in cases {
        rejects(availsim().args(["run", "three-fd", "--quiet"]).args(*args), &[want]);
    }
    // Years and seeds beyond TOML's integers: clap's own message.
    for (option, value, want) in [
        ("--years", "9223372036854775808", "is not in 2..=9223372036854775807"),
        ("--seed", "18446744073709551615", "is not in 0..=9223372036854775807"),
    ] {
        let out = availsim().args(["run", "three-fd", option, value]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(want));
    }
    // 16-bit counts: also reported beside the list of counts it mismatches.
    let out = availsim()
        .args([
            "check",
            "three-fd",
            "--set",
            "topology.availability_domains=65536",
            "--set",
            "topology.fault_domains_per_ad=1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 65,535 fault domains"));
    // A file the editing parser refuses is the file's error.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("layout.toml");
    let text = "name = \"edit\"\n[slo]\ntarget = 0.999\n[topology]\ninstances_per_fd = [2]\n[instance]\nfailure = \"30d\"\n\
                [load_balancer.health_check.probe]\nx = 1\n[load_balancer]\nhealth_check.interval = \"10s\"\n\
                [repair]\nmode = \"pool\"\ntime = \"5m\"\n";
    std::fs::write(&file, text).unwrap();
    // (It used to panic as soon as any --set was given.)
    rejects(
        availsim().args(["check"]).arg(&file).args(["--set", "repair.time=1m"]),
        &["layout.toml:8:", "unknown field `probe`"],
    );
    // A malformed value is reported even where --years replaces it.
    let nan = dir.path().join("nan.toml");
    std::fs::write(&nan, availsim::embedded::scenario("three-fd").unwrap().replace("years = 20000", "years = nan"))
        .unwrap();
    rejects(
        availsim().args(["run"]).arg(&nan).args(["--years", "20", "--quiet"]),
        &["nan.toml:", "simulation.years", "NaN"],
    );
}

/// Several problems in one scenario are all reported at once.
#[test]
fn every_problem_is_reported_in_one_pass() {
    let out = availsim()
        .args(["check", "three-fd", "--set", "slo.target=2", "--set", "load_balancer.health_check.timeout=1m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("slo.target must be a fraction") && err.contains("probe timeout must be shorter"), "{err}");
}

/// `merge` refuses tallies that simulated years cannot produce: edited
/// counts, a shard of the wrong size, unknown keys, sums that overflow.
#[test]
fn merge_refuses_tampered_tallies() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("s1");
    stdout(availsim().args(["run", "bench-bare", "--years", "4000", "--quiet", "--shard", "1/2", "--out"]).arg(&shard));
    // Edited as text: the sums are 128-bit integers, beyond JSON libraries' numbers.
    let original = std::fs::read_to_string(shard.join("tally.json")).unwrap();
    let set = |text: &str, key: &str, value: &str| {
        let at = text.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
        let end = at + text[at..].find([',', '}']).unwrap();
        format!("{}{value}{}", &text[..at], &text[end..])
    };
    let tamper = |text: String, want: &str| {
        let bad = dir.path().join("bad");
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(bad.join("tally.json"), text).unwrap();
        rejects(availsim().args(["merge"]).arg(&bad), &[want]);
    };
    // A shard of another run says what differs.
    let seeded = dir.path().join("seeded");
    let args = ["run", "bench-bare", "--years", "4000", "--seed", "9", "--quiet", "--shard", "2/2", "--out"];
    stdout(availsim().args(args).arg(&seeded));
    rejects(availsim().arg("merge").arg(&shard).arg(&seeded), &["its options (--years 4000 --seed 9) differ"]);
    // Merged into a shard's own folder, it would replace the shard's files.
    rejects(availsim().arg("merge").arg(&shard).arg("--out").arg(&shard), &["it holds the shard"]);
    tamper(set(&original, "years_met", "1000000"), "more periods meet the SLO");
    tamper(set(&original, "requests", "0"), "fewer requests than its years bring");
    // At the edge: one year's requests short of 2,000 years' is refused.
    tamper(set(&original, "requests", &(1_999 * 31_536_000_000_000u128).to_string()), "fewer requests");
    // Causes may exceed the downtime by rounding, up to a second a year:
    // half a second a year more is accepted.
    let first = original.find("\"cause_down\":[").unwrap() + 14;
    let end = first + original[first..].find(',').unwrap();
    let rounded = original[first..end].parse::<u128>().unwrap() + 2_000 * 500_000;
    let slack = dir.path().join("slack");
    std::fs::create_dir_all(&slack).unwrap();
    std::fs::write(slack.join("tally.json"), format!("{}{rounded}{}", &original[..first], &original[end..])).unwrap();
    stdout(availsim().args(["merge", "--format", "json"]).arg(&slack));
    tamper(set(&original, "at_max", "1000000000000000000000000"), "more time at the autoscaling maximum");
    tamper(set(&original, "scale_outs", "10000000000000000000"), "more scale actions than events");
    let first = original.find("\"cause_failed\":[").unwrap() + 16;
    let end = first + original[first..].find(',').unwrap();
    tamper(format!("{}1000000000000000000000{}", &original[..first], &original[end..]), "its causes add up");
    tamper(original.replacen("\"n\":2000", "\"n\":1", 1), "disagree");
    tamper(original.replacen("\"trajectories\":{\"count\":20", "\"trajectories\":{\"count\":2001", 1), "disagree");
    tamper(original.replace("\"shard\":[1,2]", "\"shard\":[5,2]"), "not K/N");
    tamper(original.replace("\"shard\":[1,2]", "\"shard\":[2,3]"), "shard 2/3 of a 4000-year run holds 1300");
    tamper(original.replacen("\"tally\":{", "\"tally\":{\"extra\":1,", 1), "unknown field `extra`");
    // Two shards whose sums overflow together.
    let big = set(&original, "sessions_lost", &(u128::MAX - 1).to_string());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (d, k) in [(&a, "[1,2]"), (&b, "[2,2]")] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("tally.json"), big.replace("\"shard\":[1,2]", &format!("\"shard\":{k}"))).unwrap();
    }
    rejects(availsim().args(["merge"]).arg(&a).arg(&b), &["overflows"]);
}

/// An --out that cannot be written is refused before anything is simulated.
#[test]
fn an_unwritable_out_fails_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out =
        availsim().args(["run", "three-fd", "--years", "100000000", "--quiet", "--out"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing simulated");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}

/// A report over scenarios with different dependencies charts the causes
/// of all of them (three-fd's session store, which single-instance lacks).
#[test]
fn a_report_charts_every_scenarios_causes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    stdout(availsim().args(["report", "single-instance", "three-fd", "--years", "200", "--quiet", "--out"]).arg(&out));
    let causes = std::fs::read_to_string(out.join("causes.svg")).unwrap();
    assert!(causes.contains("session-store · three-fd"), "three-fd's own dependency is charted");
}

/// A key varied twice would mislabel the points, and a grid beyond 10,000
/// points would exhaust memory: both are refused before anything runs.
#[test]
fn sweeps_refuse_a_key_varied_twice_and_huge_grids() {
    rejects(
        availsim().args(["sweep", "three-fd", "--vary", "repair.time=1m,2m", "--vary", "repair.time=3m,4m"]),
        &["repair.time is varied twice"],
    );
    let huge = availsim().args(["sweep", "three-fd", "--vary", "repair.time=1m..30m:100000000"]).output().unwrap();
    assert_eq!(huge.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&huge.stderr).contains("2 to 10000 steps"));
    rejects(
        availsim().args([
            "sweep",
            "three-fd",
            "--vary",
            "repair.time=1m..30m:200",
            "--vary",
            "load_balancer.health_check.interval=1s..60s:200",
        ]),
        &["more than 10000 points"],
    );
}

/// The help names every bundled scenario.
#[test]
fn help_lists_every_bundled_scenario() {
    let help = stdout(availsim().arg("--help"));
    for (name, _) in availsim::embedded::SCENARIOS {
        assert!(help.contains(name), "{name} missing from --help");
    }
}

/// A folder named after a bundled scenario (a report's output, say) does
/// not hide it.
#[test]
fn a_directory_does_not_hide_a_bundled_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("three-fd")).unwrap();
    let out = availsim().current_dir(dir.path()).args(["check", "three-fd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Default folders never collide: a sweep file writes under its own
/// name, a report under every scenario's.
#[test]
fn default_output_folders_are_named_after_what_wrote_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps/database-mtbf.toml");
    let sweep = availsim().current_dir(dir.path()).arg("sweep").arg(&file).args(["--years", "200", "--quiet"]).output();
    // The file's own assertion may fail on so few years (exit 1); it ran.
    assert!(matches!(sweep.unwrap().status.code(), Some(0 | 1)));
    assert!(dir.path().join("output/database-mtbf/sweep.csv").is_file());
    let report =
        availsim().current_dir(dir.path()).args(["report", "single-instance", "three-fd", "--years", "200"]).output();
    assert_eq!(report.unwrap().status.code(), Some(0));
    let folder = dir.path().join("output/single-instance-vs-three-fd");
    assert!(folder.join("index.html").is_file() && folder.join("three-fd/summary.json").is_file());
    let page = std::fs::read_to_string(folder.join("index.html")).unwrap();
    assert!(page.contains("href=\"three-fd/summary.json\""), "the page links the runs' files");
    // Two columns of one name would share a folder: refused, --out or not.
    let twice = availsim().current_dir(dir.path()).args(["report", "three-fd", "three-fd", "--years", "200"]).output();
    assert_eq!(twice.unwrap().status.code(), Some(2));
}

/// A misspelt name suggests the closest bundled one and lists them all; an
/// unknown dependency entry lists the scenario's entries.
#[test]
fn unknown_names_say_what_there_is() {
    rejects(availsim().args(["run", "three-fdd"]), &["did you mean 'three-fd'?", "bundled: single-instance, three-fd"]);
    rejects(
        availsim().args(["run", "three-fd", "--set", "dependency.db.repair=1h"]),
        &["no entry named 'db'", "its entries: database, session-store"],
    );
}

/// Points whose causes differ (a tier of one replica has nothing to fail
/// over to) share one CSV header, the union of their figures; a point's
/// missing figure is an empty cell, and a point on the chart is not drawn.
#[test]
fn a_sweep_over_points_with_different_causes_writes_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let plot = "causes.database.failover.downtime_minutes_per_year";
    let vary = "dependency.database.replicas=1,2";
    let args = ["sweep", "three-fd-ha-db", "--vary", vary, "--plot", plot, "--years", "200", "--quiet", "--out"];
    stdout(availsim().args(args).arg(dir.path()));
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "rows as long as the header");
    let column = rows[0].iter().position(|k| *k == plot).unwrap();
    assert!(rows[1][column].is_empty() && !rows[2][column].is_empty(), "one replica, then two");
    let svg = std::fs::read_to_string(dir.path().join("sweep.svg")).unwrap();
    assert_eq!(svg.matches("<circle").count(), 1, "one point of two");
}

/// A table an override creates or completes is the override's fault when
/// it lacks a field, and a sweep point that clashes with the base's keys
/// is named.
#[test]
fn override_errors_name_the_override_and_the_point() {
    rejects(
        availsim().args(["check", "three-fd-ha-db", "--set", "dependency.database.common.failure=1y"]),
        &["--set dependency.database.common.failure=1y: missing field `repair`"],
    );
    let sets = ["--set", "dependency.database.mode=quorum", "--set", "dependency.database.replicas=3"];
    rejects(
        availsim().args(["sweep", "three-fd"]).args(sets).args([
            "--set",
            "dependency.database.quorum=2",
            "--vary",
            "dependency.database.replicas=1,3",
        ]),
        &["sweep point dependency.database.replicas=1: ", "quorum must be between 1 and replicas (1), got 2"],
    );
}

/// A --set of a varied key may be there to make the base valid, but the
/// varied values replace it at every point: the sweep says so.
#[test]
fn a_sweep_says_which_set_its_values_replace() {
    let dir = tempfile::tempdir().unwrap();
    let out = availsim()
        .args(["sweep", "three-fd", "--years", "10", "--quiet", "--vary", "repair.time=1m,2m"])
        .args(["--set", "repair={mode=\"pool\",time=\"2m\"}", "--set", "slo.target=0.99", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--vary repair.time replaces --set repair={mode=\"pool\",time=\"2m\"} at every point"),
        "{err}"
    );
    assert!(!err.contains("slo.target"), "{err}");
}
