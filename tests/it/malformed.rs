//! The malformed-scenario corpus (`tests/malformed/`): each file is a valid
//! scenario with one mistake and a first line `# expect: TEXT`. Loading it
//! must fail, without panicking, with a message that names the file and a
//! line, and contains TEXT.

use availsim::scenario::Scenario;
use std::path::Path;

#[test]
fn every_malformed_scenario_is_refused_with_its_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 60, "the corpus holds {} files", files.len());
    let mut wrong = vec![];
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let first = String::from_utf8_lossy(&bytes).lines().next().unwrap_or_default().to_string();
        let want =
            first.strip_prefix("# expect: ").unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display()));
        let result = std::panic::catch_unwind(|| Scenario::load(&path, &[]));
        let err = match result {
            Err(_) => "PANIC".to_string(),
            Ok(Ok(_)) => "ACCEPTED".to_string(),
            Ok(Err(e)) => e.to_string(),
        };
        let located = format!("{}:", path.display());
        if !err.starts_with(&located) || !err.contains(want) {
            wrong.push(format!("{}: expected '{want}' in: {err}", path.display()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
