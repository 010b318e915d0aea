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
    for root in [
        "src/main.rs",
        "crates/engine/src/lib.rs",
        "crates/store/src/lib.rs",
        "crates/jobs/src/lib.rs",
        "crates/web/src/lib.rs",
    ] {
        let text =
            std::fs::read_to_string(workspace_root().join(root)).expect("crate root is readable");
        assert!(
            text.contains("#![forbid(unsafe_code)]"),
            "{root} must forbid unsafe code"
        );
    }
}

/// The workspace's packages and their normal (not dev, not build) dependencies, read from
/// `cargo tree`: the arrows the compiler enforces.
struct DependencyGraph;

impl DependencyGraph {
    fn read() -> DependencyGraph {
        DependencyGraph
    }

    /// The names `cargo tree -p package -e normal` prints, to `depth` levels (all when `None`),
    /// without the package itself.
    fn tree(package: &str, depth: Option<u32>) -> std::collections::BTreeSet<String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut arguments = vec![
            "tree".to_string(),
            "--offline".to_string(),
            "-p".to_string(),
            package.to_string(),
            "-e".to_string(),
            "normal".to_string(),
            "--prefix".to_string(),
            "none".to_string(),
        ];
        if let Some(depth) = depth {
            arguments.push("--depth".to_string());
            arguments.push(depth.to_string());
        }
        let output = Command::new(cargo)
            .args(&arguments)
            .current_dir(workspace_root())
            .output()
            .expect("cargo tree runs");
        assert!(
            output.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != package)
            .map(str::to_string)
            .collect()
    }

    fn direct(&self, package: &str) -> Vec<String> {
        DependencyGraph::tree(package, Some(1))
            .into_iter()
            .collect()
    }

    /// Every package `package` depends on, directly or through others.
    fn reaches(&self, package: &str) -> std::collections::BTreeSet<String> {
        DependencyGraph::tree(package, None)
    }

    fn assert_depends(&self, package: &str, on: &str) {
        assert!(
            self.direct(package).iter().any(|name| name == on),
            "{package} should depend on {on}: {:?}",
            self.direct(package)
        );
    }

    fn assert_never_reaches(&self, package: &str, forbidden: &[&str], why: &str) {
        let reached = self.reaches(package);
        for name in forbidden {
            assert!(
                !reached.contains(*name),
                "{package} must not depend on {name}, even indirectly: {why}"
            );
        }
    }
}

/// The rooms and their arrows (ARCHITECTURE.md): engine ← store ← jobs, store ← web, and the
/// binary over all; the store knows no HTTP or HTML, the jobs no web, the web faces no jobs.
#[test]
fn the_crates_depend_only_along_the_documented_arrows() {
    let graph = DependencyGraph::read();
    graph.assert_depends("specflow-store", "specflow-engine");
    graph.assert_depends("specflow-jobs", "specflow-store");
    graph.assert_depends("specflow-web", "specflow-store");
    for room in [
        "specflow-engine",
        "specflow-store",
        "specflow-jobs",
        "specflow-web",
    ] {
        graph.assert_depends("specflow", room);
    }
    graph.assert_never_reaches(
        "specflow-engine",
        &[
            "tokio",
            "sqlx",
            "specflow-store",
            "specflow-jobs",
            "specflow-web",
        ],
        "the engine is pure",
    );
    graph.assert_never_reaches(
        "specflow-store",
        &[
            "axum",
            "maud",
            "utoipa",
            "reqwest",
            "hyper",
            "specflow-jobs",
            "specflow-web",
        ],
        "the store is persistence only, with no HTTP and no HTML",
    );
    graph.assert_never_reaches(
        "specflow-jobs",
        &["axum", "maud", "utoipa", "specflow-web"],
        "the jobs run beside the web, not on it",
    );
    graph.assert_never_reaches(
        "specflow-web",
        &["specflow-jobs", "reqwest"],
        "the web faces read and write through the store; jobs are the binary's to start",
    );
}

/// Inside the web crate neither face imports the other: the API and the pages both stand on
/// `app`, so a rule lives once.
#[test]
fn neither_web_face_imports_the_other() {
    for (face, other) in [
        ("api", "pages"),
        ("pages", "api"),
        ("app", "api"),
        ("app", "pages"),
    ] {
        let mut files = Vec::new();
        rust_files(
            &workspace_root().join("crates/web/src").join(face),
            &mut files,
        );
        assert!(!files.is_empty(), "crates/web/src/{face} has sources");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file is readable");
            for (number, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                assert!(
                    !code.contains(&format!("crate::{other}::"))
                        && !code.contains(&format!("crate::{other};")),
                    "{}:{}: `{face}` must not import `{other}`",
                    file.display(),
                    number + 1
                );
            }
        }
    }
}

/// Both backends have the same numbered migrations, so a schema change is made on both.
#[test]
fn sqlite_and_postgres_migrations_are_numbered_alike() {
    let numbered = |backend: &str| -> Vec<String> {
        let folder = workspace_root()
            .join("crates/store/migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
            .map(|entry| {
                entry
                    .expect("a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    };
    let sqlite = numbered("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, numbered("postgres"));
}

/// The declared `rust-version` is true. Clippy's `incompatible_msrv` lint (on in CI) checks the
/// standard library's APIs against it; language features are checked here, each with the
/// release that stabilised it.
#[test]
fn the_declared_rust_version_covers_the_language_features_used() {
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("manifest");
    let declared = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = "))
        .expect("the workspace declares a rust-version")
        .trim_matches('"');
    let version = |text: &str| -> (u32, u32) {
        let mut parts = text
            .split('.')
            .map(|part| part.parse::<u32>().expect("a number"));
        (parts.next().expect("major"), parts.next().expect("minor"))
    };
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    assert!(
        readme.contains(&format!("Rust {declared} or later")),
        "the README must name the declared rust-version {declared}"
    );
    // (feature, what its use looks like in a line, the release that stabilised it)
    let features = [("let chains", "&& let ", "1.88")];
    let mut files = Vec::new();
    for folder in ["src", "tests", "benches", "crates"] {
        rust_files(&workspace_root().join(folder), &mut files);
    }
    for (feature, marker, since) in features {
        let used = files.iter().find(|file| {
            std::fs::read_to_string(file)
                .expect("a source file is readable")
                .lines()
                .any(|line| !line.trim_start().starts_with("//") && line.contains(marker))
        });
        if let Some(file) = used {
            assert!(
                version(declared) >= version(since),
                "{} uses {feature}, stable since Rust {since}, but rust-version is {declared}",
                file.display()
            );
        }
    }
}
