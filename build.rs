//! Records the git revision availsim is built from, when built from a
//! checkout, so that every output can name it.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok());
    if let Some(revision) = revision {
        println!("cargo:rustc-env=AVAILSIM_REVISION={}", revision.trim());
    }
}
