//! Architecture invariants that a test can check, as written in ARCHITECTURE.md.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The engine does no I/O and keeps no async runtime or database driver among its dependencies.
#[test]
fn engine_depends_on_neither_tokio_nor_sqlx_nor_any_io_runtime() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "specflow-engine",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    let forbidden = [
        "tokio",
        "sqlx",
        "mio",
        "async-std",
        "hyper",
        "reqwest",
        "axum",
        "tower",
        "socket2",
        "libsqlite3-sys",
        "rand",
        "getrandom",
    ];
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        assert!(
            !forbidden.contains(&name),
            "the engine must not depend on {name} (found in `cargo tree -p specflow-engine`):\n{tree}"
        );
    }
    assert!(
        tree.lines().any(|line| line.starts_with("specflow-engine")),
        "unexpected cargo tree output:\n{tree}"
    );
}

fn rust_files(folder: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("the engine's source folder is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The engine reads no clock, no environment, no file and no network: time and text come in as values.
#[test]
fn engine_source_reads_no_clock_environment_file_or_network() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates/engine/src"), &mut files);
    assert!(!files.is_empty());
    let forbidden = [
        "Utc::now",
        "Local::now",
        "SystemTime",
        "Instant::now",
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        // Scoped threads for pure computation (verify hashes on a second core) are allowed;
        // a detached thread or a sleep would be a side effect.
        "std::thread::spawn(",
        "thread::sleep",
        "std::io::stdin",
        "println!",
        "eprintln!",
    ];
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file is readable");
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for word in forbidden {
                assert!(
                    !line.contains(word),
                    "{}:{}: the engine must not use {word}: pass time and data in as values",
                    file.display(),
                    number + 1
                );
            }
        }
    }
}

/// Every crate forbids unsafe code.
#[test]
fn every_crate_forbids_unsafe_code() {
    for root in ["src/main.rs", "crates/engine/src/lib.rs"] {
        let text =
            std::fs::read_to_string(workspace_root().join(root)).expect("crate root is readable");
        assert!(
            text.contains("#![forbid(unsafe_code)]"),
            "{root} must forbid unsafe code"
        );
    }
}
