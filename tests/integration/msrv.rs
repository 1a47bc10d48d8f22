//! The declared MSRV (`rust-version` in Cargo.toml) against the locked dependency tree.
//!
//! Only the current stable and nightly toolchains exist on the machines this runs on, so the
//! crate is never compiled with the MSRV toolchain itself. What is checked instead:
//! - here: every crate the library can pull in (normal and build dependencies, all features,
//!   all targets, as locked) declares a `rust-version` no newer than tollgate's;
//! - by clippy's `incompatible_msrv` lint (on by default, `-D warnings` in CI): tollgate's own
//!   code calls no standard-library API stabilized after the MSRV.
//!
//! Not checked: language features newer than the MSRV, dev-dependencies, and dependencies that
//! declare no `rust-version` at all.
//!
//! "All targets" means the crates of every platform in the lock file (windows-sys, wasm-bindgen,
//! …), which no build on this machine downloads. So `cargo metadata` runs online: on a new
//! machine it downloads their manifests from the registry once (a few MB). Offline
//! (`CARGO_NET_OFFLINE`), it works only once they are cached, and the failure says so.

use std::collections::{HashMap, HashSet};
use std::process::Command;

use serde_json::Value;

/// `"1.88"` and `"1.88.0"` compare equal.
fn version(v: &str) -> [u64; 3] {
    let mut parts = v.split('.').map(|p| p.parse().unwrap_or(0));
    [(); 3].map(|()| parts.next().unwrap_or(0))
}

#[test]
fn no_library_dependency_needs_a_newer_rust_than_the_declared_msrv() {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version=1",
            "--all-features",
            "--locked",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata (it needs the registry, or every locked crate already in the cargo \
         cache): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");

    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().expect("id"), p))
        .collect();
    let root = metadata["resolve"]["root"].as_str().expect("root package");
    let msrv = packages[root]["rust_version"]
        .as_str()
        .expect("tollgate declares rust-version");

    // Walk normal and build edges only: dev-dependencies never reach a user's build.
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| (n["id"].as_str().expect("id"), n))
        .collect();
    let mut seen = HashSet::from([root]);
    let mut queue = vec![root];
    while let Some(id) = queue.pop() {
        for dep in nodes[id]["deps"].as_array().into_iter().flatten() {
            let library_edge = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            let dep_id = dep["pkg"].as_str().expect("pkg");
            if library_edge && seen.insert(dep_id) {
                queue.push(dep_id);
            }
        }
    }
    assert!(seen.len() > 50, "the walk found only {} crates", seen.len());

    let mut too_new = Vec::new();
    for id in &seen {
        let package = packages[id];
        if let Some(needs) = package["rust_version"].as_str() {
            if version(needs) > version(msrv) {
                too_new.push(format!(
                    "{} {} needs Rust {needs}",
                    package["name"].as_str().unwrap_or("?"),
                    package["version"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    too_new.sort();
    assert!(
        too_new.is_empty(),
        "tollgate declares rust-version {msrv}, but the locked tree has:\n{}\n\
         Raise rust-version (and say so in the changelog), or pin the dependency lower.",
        too_new.join("\n")
    );
}
