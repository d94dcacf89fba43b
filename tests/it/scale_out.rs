//! The scale-out recipes of `scale-out/`: the README shows them verbatim,
//! and the Kubernetes Indexed Job's command, run for each of its indexes,
//! merges to the single-process run. (`.ci/scale` runs the GNU parallel
//! and Slurm recipes for real.)

use assert_cmd::Command;
use yaml_rust2::YamlLoader;

fn recipe(name: &str) -> String {
    std::fs::read_to_string(format!("{}/scale-out/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_readme_shows_every_recipe_verbatim() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for name in ["parallel.sh", "slurm-run.sbatch", "slurm-sweep.sbatch", "k8s-indexed-job.yaml"] {
        assert!(readme.contains(&recipe(name)), "README.md does not show scale-out/{name} as it is");
    }
}

/// The manifest parses as an Indexed Job whose pods' command, run with
/// each `JOB_COMPLETION_INDEX` (fewer years, a temporary /out), gives
/// shards that merge to the figures of one run.
#[test]
fn the_indexed_job_runs_every_shard_once() {
    let docs = YamlLoader::load_from_str(&recipe("k8s-indexed-job.yaml")).expect("valid YAML");
    let job = &docs[0];
    assert_eq!((job["apiVersion"].as_str(), job["kind"].as_str()), (Some("batch/v1"), Some("Job")));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let completions = spec["completions"].as_i64().expect("completions");
    let container = &spec["template"]["spec"]["containers"][0];
    assert_eq!(container["command"][0].as_str(), Some("sh"));
    let command = container["args"][0].as_str().expect("the pod's command");
    assert!(command.contains(&format!("/{completions} ")), "its shards are of {completions}: {command}");
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let years = (100 * completions).to_string();
    let local = command
        .replace("--years 1000000000", &format!("--years {years}"))
        .replace(mount, &out.path().display().to_string())
        .replace("availsim ", &format!("{} ", assert_cmd::cargo::cargo_bin("availsim").display()));
    for index in 0..completions {
        let status = std::process::Command::new("sh")
            .args(["-c", &local])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        assert!(status.status.success(), "index {index}: {}", String::from_utf8_lossy(&status.stderr));
    }
    let json = |cmd: &mut Command| {
        let output = cmd.arg("--format").arg("json").output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let mut v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        v.as_object_mut().unwrap().remove("run");
        v
    };
    let shards: Vec<_> = (1..=completions).map(|k| out.path().join(format!("shard-{k}"))).collect();
    let merged = json(Command::cargo_bin("availsim").unwrap().arg("merge").args(&shards));
    let single = json(Command::cargo_bin("availsim").unwrap().args(["run", "three-fd", "--quiet", "--years", &years]));
    assert_eq!(merged, single);
}
