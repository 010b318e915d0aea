//! Every seed and every input that ever crashed a fuzz target, replayed as an ordinary test.
//!
//! `seeds/TARGET/` holds the inputs each target starts from (the shipped workflows, calendars,
//! scenarios, policy, commands, a log, query strings, comment tables); `regressions/TARGET/`
//! holds every input afl ever found crashing it, copied there by `fuzz/run`, kept after the fix
//! so the crash cannot come back unnoticed.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Runs `check` on every file of `folder`; returns how many ran and the files that panicked.
fn replay(folder: &Path, check: fn(&[u8])) -> (usize, Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return (0, Vec::new());
    };
    let (mut replayed, mut panicked) = (0, Vec::new());
    for entry in entries {
        let path = entry.expect("a readable folder").path();
        if path.file_name().is_some_and(|name| name == "README.md") {
            continue;
        }
        let data = std::fs::read(&path).expect("a readable input");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panicked.push(path);
        }
        replayed += 1;
    }
    (replayed, panicked)
}

#[test]
fn every_seed_and_every_crash_ever_found_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut panicked = Vec::new();
    for (target, check) in specflow_fuzz::TARGETS {
        let (seeds, failures) = replay(&root.join("seeds").join(target), check);
        assert!(seeds > 0, "the target {target} has seeds");
        panicked.extend(failures);
        panicked.extend(replay(&root.join("regressions").join(target), check).1);
    }
    assert!(panicked.is_empty(), "these inputs panic: {panicked:#?}");
}
