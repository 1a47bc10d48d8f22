//! Every cargo-fuzz target's committed seed corpus (`fuzz/corpus/<target>/`), replayed on stable
//! Rust through the same library functions the targets call (`tollgate::fuzzing`). A target
//! that panics on its seeds fails here, so a broken target cannot go unnoticed until someone
//! runs the fuzzer; and a target added without a replay fails here too.

use std::path::{Path, PathBuf};

use tollgate::fuzzing;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Runs `seed` through the library function `target` calls: whether it got past the parser.
fn replay(target: &str, seed: &[u8]) -> bool {
    match target {
        "credential" => fuzzing::credential(seed),
        "token" => fuzzing::token(seed),
        "jwks" => fuzzing::jwks(seed).is_some_and(|keys| keys > 0),
        "verify" => fuzzing::verify(seed),
        other => panic!(
            "fuzz target `{other}` has no replay: add it to tests/integration/fuzz_corpus.rs"
        ),
    }
}

fn targets() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| {
            path.file_stem()
                .and_then(|s| s.to_str())
                .expect("target name")
                .to_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_fuzz_target_is_one_call_into_the_replayed_library_function() {
    let targets = targets();
    assert_eq!(targets, ["credential", "jwks", "token", "verify"]);
    for target in &targets {
        let path = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        let source = std::fs::read_to_string(&path).expect("target source");
        assert!(
            source.contains(&format!("tollgate::fuzzing::{target}(data)")),
            "{} must call tollgate::fuzzing::{target}(data), which this test replays",
            path.display()
        );
    }
}

#[test]
fn every_fuzz_target_runs_its_whole_seed_corpus_without_a_panic() {
    for target in targets() {
        let dir = fuzz_dir().join("corpus").join(&target);
        let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("dir entry").path())
            .collect();
        seeds.sort();
        assert!(seeds.len() >= 5, "{target}: only {} seeds", seeds.len());
        let mut accepted = 0;
        for seed in &seeds {
            let bytes = std::fs::read(seed).expect("seed");
            let outcome = std::panic::catch_unwind(|| replay(&target, &bytes));
            match outcome {
                Ok(true) => accepted += 1,
                Ok(false) => {}
                Err(_) => panic!("fuzz target {target} panicked on {}", seed.display()),
            }
        }
        // Seeds that get through are what lets the fuzzer reach the deep checks: a target whose
        // fixture refuses everything would pass the loop above and fuzz nothing.
        assert!(
            accepted > 0,
            "{target}: none of its {} seeds got past the parser",
            seeds.len()
        );
    }
}
