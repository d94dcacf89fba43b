//! Records the git revision availsim is built from, when built from a
//! checkout, so that every output can name it; `-modified` marks a build
//! from a tree with uncommitted changes, which that revision does not
//! describe.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    // Sources changing may make the tree modified (or clean again).
    for path in ["src", "scenarios", "Cargo.toml", "build.rs", ".git/index"] {
        println!("cargo:rerun-if-changed={path}");
    }
    let revision = Command::new("git")
        .args(["describe", "--always", "--abbrev=12", "--dirty=-modified", "--exclude=*"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok());
    if let Some(revision) = revision {
        println!("cargo:rustc-env=AVAILSIM_REVISION={}", revision.trim());
    }
}
