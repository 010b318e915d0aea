//! Every seed and every input that ever crashed a fuzz target, replayed as an ordinary test.
//!
//! `seeds/TARGET/` holds the inputs each target starts from (the shipped workflows, calendars,
//! scenarios, policy, commands, a log, query strings, comment tables); `regressions/TARGET/`
//! holds every input afl ever found crashing it, copied there by `fuzz/run`, kept after the fix
//! so the crash cannot come back unnoticed.

#![allow(clippy::expect_used)]

use std::path::Path;

fn replay(folder: &Path, check: fn(&[u8])) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("a readable folder").path();
        if path.file_name().is_some_and(|name| name == "README.md") {
            continue;
        }
        let data = std::fs::read(&path).expect("a readable input");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
        replayed += 1;
    }
    replayed
}

#[test]
fn every_seed_and_every_crash_ever_found_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (target, check) in specflow_fuzz::TARGETS {
        let seeds = replay(&root.join("seeds").join(target), check);
        assert!(seeds > 0, "the target {target} has seeds");
        replay(&root.join("regressions").join(target), check);
    }
}
