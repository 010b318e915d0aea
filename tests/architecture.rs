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
    graph.assert_never_reaches(
        "specflow-tlog",
        &[
            "tokio",
            "sqlx",
            "getrandom",
            "rand",
            "specflow-engine",
            "specflow-store",
            "specflow-jobs",
            "specflow-web",
        ],
        "the transparency-log core is pure: no I/O, no clock, no randomness (callers pass seeds)",
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

/// The engine's layers, lowest first: a module may name (through `crate::…` or `super::…`) only
/// modules of its own layer or a lower one. Each entry is a module path under
/// `crates/engine/src`; a module belongs to the longest entry its path starts with, so
/// `definition::raw` (the file as written) sits below `definition` (the validated types).
const ENGINE_LAYERS: &[(&str, &[&str])] = &[
    (
        "leaf vocabulary",
        &[
            "text",
            "location",
            "fraction",
            "calendar",
            "duration",
            "local_day",
            "rejection",
            "records",
            "definition::raw",
            "definition::validator",
        ],
    ),
    ("definition types", &["definition"]),
    ("commands and events", &["command", "event"]),
    ("state", &["state", "comments"]),
    ("guards and deadline arithmetic", &["guard", "deadline"]),
    ("the loader", &["load"]),
    ("decide", &["decide"]),
    (
        "audit, scenarios, text for people, reports, public oversight and committees",
        &[
            "audit",
            "stored_record",
            "event_schema",
            "scenario",
            "render",
            "notify",
            "report",
            "public",
            "committee",
        ],
    ),
];

/// The layer (index into [`ENGINE_LAYERS`]) and entry of a module path, by its longest entry.
fn engine_layer_of(path: &[String]) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (index, (_, modules)) in ENGINE_LAYERS.iter().enumerate() {
        for module in *modules {
            let segments: Vec<&str> = module.split("::").collect();
            let matches = segments.len() <= path.len()
                && segments
                    .iter()
                    .zip(path)
                    .all(|(segment, part)| segment == part);
            if matches && best.is_none_or(|(_, found)| found.len() < module.len()) {
                best = Some((index, module));
            }
        }
    }
    best
}

/// The source without comments, with string and character literals emptied and `#[cfg(test)]`
/// items (test modules, test-only imports) left out: what the layering test reads.
fn engine_code_without_comments_strings_and_tests(text: &str) -> String {
    let characters: Vec<char> = text.chars().collect();
    let mut code = String::with_capacity(text.len());
    let mut index = 0;
    let identifier = |character: char| character.is_alphanumeric() || character == '_';
    while index < characters.len() {
        let character = characters[index];
        let next = characters.get(index + 1).copied();
        if character == '/' && next == Some('/') {
            while index < characters.len() && characters[index] != '\n' {
                index += 1;
            }
        } else if character == '/' && next == Some('*') {
            let mut depth = 0;
            while index < characters.len() {
                if characters[index] == '/' && characters.get(index + 1) == Some(&'*') {
                    depth += 1;
                    index += 2;
                } else if characters[index] == '*' && characters.get(index + 1) == Some(&'/') {
                    depth -= 1;
                    index += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    index += 1;
                }
            }
        } else if character == 'r'
            && (next == Some('"') || next == Some('#'))
            && !index
                .checked_sub(1)
                .is_some_and(|before| identifier(characters[before]))
        {
            // A raw string: r"…" or r#"…"#, closed by a quote and as many hashes.
            let mut hashes = 0;
            let mut cursor = index + 1;
            while characters.get(cursor) == Some(&'#') {
                hashes += 1;
                cursor += 1;
            }
            if characters.get(cursor) != Some(&'"') {
                code.push(character);
                index += 1;
                continue;
            }
            cursor += 1;
            while cursor < characters.len() {
                if characters[cursor] == '"'
                    && (1..=hashes).all(|offset| characters.get(cursor + offset) == Some(&'#'))
                {
                    cursor += 1 + hashes;
                    break;
                }
                cursor += 1;
            }
            code.push_str("\"\"");
            index = cursor;
        } else if character == '"' {
            index += 1;
            while index < characters.len() && characters[index] != '"' {
                index += if characters[index] == '\\' { 2 } else { 1 };
            }
            index += 1;
            code.push_str("\"\"");
        } else if character == '\'' && next == Some('\\') {
            index += 2;
            while index < characters.len() && characters[index] != '\'' {
                index += 1;
            }
            index += 1;
            code.push_str("' '");
        } else if character == '\'' && characters.get(index + 2) == Some(&'\'') {
            index += 3;
            code.push_str("' '");
        } else {
            code.push(character);
            index += 1;
        }
    }
    // Leave out each `#[cfg(test)]` item: up to its `;`, or its braces' end.
    let mut without_tests = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(start) = rest.find("#[cfg(test)]") {
        without_tests.push_str(&rest[..start]);
        let item = &rest[start..];
        let end = match (item.find('{'), item.find(';')) {
            (Some(brace), semicolon) if semicolon.is_none_or(|semicolon| brace < semicolon) => {
                let mut depth = 0;
                let mut end = item.len();
                for (offset, character) in item[brace..].char_indices() {
                    match character {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = brace + offset + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semicolon)) => semicolon + 1,
            (_, None) => item.len(),
        };
        rest = &item[end..];
    }
    without_tests.push_str(rest);
    without_tests
}

/// Every path the code names from `crate::` or `super::`, resolved to segments from the crate's
/// root; `use` groups (`crate::a::{b, c::d}`) give one path per leaf.
fn engine_paths_named(code: &str, module: &[String]) -> Vec<Vec<String>> {
    fn skip_spaces(characters: &[char], mut index: usize) -> usize {
        while characters
            .get(index)
            .is_some_and(|character| character.is_whitespace())
        {
            index += 1;
        }
        index
    }
    fn word(characters: &[char], index: usize) -> (String, usize) {
        let mut end = index;
        while characters
            .get(end)
            .is_some_and(|character| character.is_alphanumeric() || *character == '_')
        {
            end += 1;
        }
        (characters[index..end].iter().collect(), end)
    }
    /// Reads a use-tree at `index` after `prefix`, pushing each path it names; returns where it ends.
    fn tree(
        characters: &[char],
        index: usize,
        prefix: Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) -> usize {
        let mut index = skip_spaces(characters, index);
        if characters.get(index) == Some(&'{') {
            index += 1;
            loop {
                index = skip_spaces(characters, index);
                match characters.get(index) {
                    None => return index,
                    Some('}') => return index + 1,
                    Some(',') => index += 1,
                    Some(_) => {
                        let before = index;
                        index = tree(characters, index, prefix.clone(), found);
                        if index == before {
                            index += 1;
                        }
                    }
                }
            }
        }
        let mut path = prefix;
        loop {
            let (segment, end) = word(characters, index);
            if segment.is_empty() {
                break;
            }
            if segment == "super" {
                path.pop();
            } else if segment != "self" {
                path.push(segment);
            }
            index = end;
            let after = skip_spaces(characters, index);
            if characters.get(after) == Some(&':') && characters.get(after + 1) == Some(&':') {
                index = skip_spaces(characters, after + 2);
                if characters.get(index) == Some(&'{') {
                    return tree(characters, index, path, found);
                }
            } else {
                break;
            }
        }
        found.push(path);
        index
    }
    let characters: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut index = 0;
    // The module the code at `index` is in: the file's, and any inline `mod name { … }` around it
    // (each with the brace depth it opened at).
    let mut module = module.to_vec();
    let mut inline_modules: Vec<usize> = Vec::new();
    let mut depth = 0;
    while index < characters.len() {
        match characters[index] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if inline_modules.last() == Some(&depth) {
                    inline_modules.pop();
                    module.pop();
                }
            }
            _ => {}
        }
        let starts_word =
            index == 0 || !characters[index - 1].is_alphanumeric() && characters[index - 1] != '_';
        let (first, end) = if starts_word {
            word(&characters, index)
        } else {
            (String::new(), index + 1)
        };
        if first == "mod" {
            let name_start = skip_spaces(&characters, end);
            let (name, name_end) = word(&characters, name_start);
            let after = skip_spaces(&characters, name_end);
            if !name.is_empty() && characters.get(after) == Some(&'{') {
                module.push(name);
                inline_modules.push(depth);
                depth += 1;
                index = after + 1;
                continue;
            }
        }
        let followed_by_path =
            characters.get(end) == Some(&':') && characters.get(end + 1) == Some(&':');
        if (first == "crate" || first == "super") && followed_by_path {
            let mut prefix: Vec<String> = if first == "crate" {
                Vec::new()
            } else {
                module[..module.len().saturating_sub(1)].to_vec()
            };
            let mut after = end + 2;
            // `super::super::…` climbs once more for each.
            while characters[after..].starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
                prefix.pop();
                after += 7;
            }
            index = tree(&characters, after, prefix, &mut found);
        } else {
            index = end.max(index + 1);
        }
    }
    found
}

/// The engine's modules form layers (ARCHITECTURE.md): each module names only modules of its own
/// layer or below, so that, say, the definition types never reach up into the guards, nor the
/// guards into the loader that converts the file with them.
#[test]
fn engine_modules_import_only_their_own_layer_or_below() {
    let source = workspace_root().join("crates/engine/src");
    for (layer, modules) in ENGINE_LAYERS {
        for module in *modules {
            let relative = module.replace("::", "/");
            assert!(
                source.join(format!("{relative}.rs")).exists()
                    || source.join(&relative).join("mod.rs").exists(),
                "the layer table names `{module}` ({layer}), which is no engine module"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&source, &mut files);
    files.sort();
    let mut checked_paths = 0;
    let mut upward = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&source)
            .expect("a file under the source folder");
        let mut module: Vec<String> = relative
            .with_extension("")
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|last| last == "mod") {
            module.pop();
        }
        if module == ["lib"] {
            // The crate's root declares every module and re-exports the public names.
            continue;
        }
        let (own_layer, own_entry) = engine_layer_of(&module).unwrap_or_else(|| {
            panic!(
                "{}: module `{}` has no layer in ENGINE_LAYERS; add it to the layer it belongs to",
                relative.display(),
                module.join("::")
            )
        });
        let text = std::fs::read_to_string(file).expect("a source file is readable");
        let code = engine_code_without_comments_strings_and_tests(&text);
        for path in engine_paths_named(&code, &module) {
            checked_paths += 1;
            let Some((layer, entry)) = engine_layer_of(&path) else {
                panic!(
                    "{}: `crate::{}` names no module of ENGINE_LAYERS; name items by their module's path",
                    relative.display(),
                    path.join("::")
                );
            };
            if layer > own_layer {
                upward.push(format!(
                    "{}: `{own_entry}` ({}) names `crate::{}` in `{entry}` ({}), a layer above it",
                    relative.display(),
                    ENGINE_LAYERS[own_layer].0,
                    path.join("::"),
                    ENGINE_LAYERS[layer].0
                ));
            }
        }
    }
    assert!(
        checked_paths > 200,
        "only {checked_paths} paths were read: the scanner is broken"
    );
    assert!(
        upward.is_empty(),
        "engine modules import from a layer above their own:\n{}",
        upward.join("\n")
    );
}
