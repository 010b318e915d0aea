//! `specflow log key generate`, `specflow log checkpoint` and `specflow audit verify
//! --checkpoint`, run as an operator and an auditor would: a key made once and kept private, the
//! scheduler signing checkpoints with it, and the database, and its export offline, checked
//! against a checkpoint kept outside it, before and after an insider deletes a record; and
//! `tools/verify-audit.py` refusing every exported file an insider edited that specflow refuses.

use crate::schedule_cli::database_with_a_project;
use specflow_engine::stored_record::StoredRecord;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn specflow(arguments: &[&str], database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .env("SPECFLOW_DATABASE_URL", database)
        .output()
        .expect("the specflow binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The independent verifier, run on `arguments`.
fn python_verifier(arguments: &[&str]) -> Output {
    Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tools/verify-audit.py"
        ))
        .args(arguments)
        .output()
        .expect("python3 runs (the independent verifier needs it)")
}

/// Exports the database to `path`.
fn export_to(database: &str, path: &Path) {
    let exported = specflow(&["audit", "export"], database);
    assert!(exported.status.success(), "{}", text(&exported.stderr));
    std::fs::write(path, &exported.stdout).unwrap();
}

/// Both verifiers on an export against the kept checkpoint: specflow's answer, then Python's.
fn verify_offline(
    database: &str,
    export: &Path,
    checkpoint: &Path,
    verifier: &str,
) -> (Output, Output) {
    let (export, checkpoint) = (export.to_str().unwrap(), checkpoint.to_str().unwrap());
    let specflow = specflow(
        &[
            "audit",
            "verify",
            "--file",
            export,
            "--checkpoint",
            checkpoint,
            "--log-verifier",
            verifier,
        ],
        database,
    );
    let python = python_verifier(&[
        export,
        "--checkpoint",
        checkpoint,
        "--log-verifier",
        verifier,
    ]);
    (specflow, python)
}

/// The scheduler, killed when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_checkpoint_kept_outside_the_database_catches_a_deleted_record() {
    let folder = tempfile::tempdir().unwrap();
    let (database, project_id) = database_with_a_project(folder.path(), chrono::Utc::now());
    let key = folder.path().join("log.key");
    let key_path = key.to_str().unwrap();

    // The key: private half in a file only its owner reads, verifier key on standard output.
    let generated = specflow(
        &[
            "log",
            "key",
            "generate",
            "--name",
            "specflow.test/log",
            "--out",
            key_path,
        ],
        &database,
    );
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let verifier = text(&generated.stdout).trim().to_string();
    assert!(verifier.starts_with("specflow.test/log+"), "{verifier}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let shown = specflow(&["log", "key", "verifier", "--key", key_path], &database);
    assert_eq!(text(&shown.stdout).trim(), verifier);
    let again = specflow(
        &[
            "log",
            "key",
            "generate",
            "--name",
            "specflow.test/log",
            "--out",
            key_path,
        ],
        &database,
    );
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("不会被覆盖"),
        "{}",
        text(&again.stderr)
    );
    // A bad name is refused with the reason.
    let bad = specflow(
        &[
            "log",
            "key",
            "generate",
            "--name",
            "has space",
            "--out",
            "/dev/null/x",
        ],
        &database,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("has space"),
        "{}",
        text(&bad.stderr)
    );

    // Before any checkpoint: said, exit 1.
    let none = specflow(&["log", "checkpoint"], &database);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        text(&none.stderr).contains("--log-key"),
        "{}",
        text(&none.stderr)
    );

    // The scheduler with the key adopts the record written before the log and signs.
    let scheduler = Running(
        Command::new(env!("CARGO_BIN_EXE_specflow"))
            .args(["scheduler", "--log-key", key_path])
            .env("SPECFLOW_DATABASE_URL", &database)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    let checkpoint = loop {
        let printed = specflow(&["log", "checkpoint"], &database);
        if printed.status.success() {
            break text(&printed.stdout);
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no checkpoint: {}",
            text(&printed.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(scheduler);
    assert!(
        checkpoint.starts_with("specflow.test/log\n"),
        "{checkpoint}"
    );
    let kept = folder.path().join("checkpoint.txt");
    std::fs::write(&kept, &checkpoint).unwrap();
    let kept_path = kept.to_str().unwrap();

    let verify = |extra: &[&str]| {
        let mut arguments = vec!["audit", "verify", "--checkpoint", kept_path];
        arguments.extend_from_slice(extra);
        specflow(&arguments, &database)
    };
    let holds = verify(&["--log-verifier", &verifier]);
    assert!(holds.status.success(), "{}", text(&holds.stderr));
    assert!(
        text(&holds.stdout).contains("完好 透明日志 specflow.test/log"),
        "{}",
        text(&holds.stdout)
    );
    // Another log's key is refused, in words.
    let other = "other.test/log+0a1b2c3d+AU9vHNrhwv1A8V3O7EwTF3+SsTUgv+8hPB8j6xc9tyHp";
    let refused = verify(&["--log-verifier", other]);
    assert!(!refused.status.success());
    assert!(!text(&refused.stderr).is_empty());

    // The same offline: the export checked against the kept checkpoint by both verifiers.
    let export = folder.path().join("export.jsonl");
    export_to(&database, &export);
    let (offline, python) = verify_offline(&database, &export, &kept, &verifier);
    assert!(offline.status.success(), "{}", text(&offline.stderr));
    assert!(
        text(&offline.stdout).contains("完好 透明日志 specflow.test/log：导出文件与大小为"),
        "{}",
        text(&offline.stdout)
    );
    assert!(python.status.success(), "{}", text(&python.stderr));
    // Without a checkpoint the log lines are read, and said to be there.
    let chains_only = specflow(
        &["audit", "verify", "--file", export.to_str().unwrap()],
        &database,
    );
    assert!(
        chains_only.status.success(),
        "{}",
        text(&chains_only.stderr)
    );
    assert!(
        text(&chains_only.stdout).contains("文件带有透明日志"),
        "{}",
        text(&chains_only.stdout)
    );

    // An insider deletes the project's record, triggers and all: the chain is gone, the
    // checkpoint still names it.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&database).await.unwrap();
        for statement in [
            "DROP TRIGGER audit_records_refuse_delete",
            "DROP TRIGGER projects_refuse_delete",
        ] {
            sqlx::query(statement).execute(&raw).await.unwrap();
        }
        for statement in [
            "DELETE FROM audit_records WHERE project_id = $1",
            "DELETE FROM projects WHERE project_id = $1",
        ] {
            sqlx::query(statement)
                .bind(project_id.to_string())
                .execute(&raw)
                .await
                .unwrap();
        }
        raw.close().await;
    });
    let broken = verify(&["--log-verifier", &verifier]);
    assert_eq!(broken.status.code(), Some(1), "{}", text(&broken.stdout));
    let said = text(&broken.stderr);
    assert!(
        said.contains("断裂 透明日志") && said.contains("已从日志中删除"),
        "{said}"
    );
    let english = verify(&["--log-verifier", &verifier, "--language", "en"]);
    assert!(
        text(&english.stderr).contains("was deleted from the log"),
        "{}",
        text(&english.stderr)
    );
    // Its export, offline: both verifiers refuse it.
    export_to(&database, &export);
    let (offline, python) = verify_offline(&database, &export, &kept, &verifier);
    assert_eq!(offline.status.code(), Some(1), "{}", text(&offline.stdout));
    assert!(
        text(&offline.stderr).contains("已从日志中删除"),
        "{}",
        text(&offline.stderr)
    );
    assert_eq!(python.status.code(), Some(1), "{}", text(&python.stdout));
}

/// Adds a timer-test project with `code` to the database, through the store.
fn add_timer_project(database: &str, code: &str) {
    use specflow_engine::command::NewProject;
    use specflow_engine::{Actor, Command as EngineCommand, LocalizedText};
    let project_id = uuid::Uuid::new_v4();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = specflow_store::Store::open(database, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        store
            .execute(specflow_store::CommandRequest {
                project_id,
                command_id: uuid::Uuid::new_v4(),
                expected_sequence: None,
                actor: Actor::new("sec-wang", "secretariat"),
                command: EngineCommand::CreateProject(NewProject {
                    project_id,
                    code: code.to_string(),
                    title: LocalizedText::new("调度测试", "timer test"),
                    specification_kind: "calibration_specification".to_string(),
                    committee: "SH-TC-01".to_string(),
                    drafting_unit: "上海市计量测试技术研究院".to_string(),
                    definition_id: "timer-test".to_string(),
                    definition_version: 1,
                    flags: Default::default(),
                }),
            })
            .await
            .unwrap();
        store.close().await;
    });
}

/// A database with two projects whose records the log has signed, its export and the
/// checkpoint kept; the verifier key.
fn signed_export(folder: &Path) -> (String, String, std::path::PathBuf, std::path::PathBuf) {
    let (database, _) = database_with_a_project(folder, chrono::Utc::now());
    add_timer_project(&database, "T-0000002");
    let key_file = folder.join("log.key");
    let generated = specflow(
        &[
            "log",
            "key",
            "generate",
            "--name",
            "specflow.test/log",
            "--out",
            key_file.to_str().unwrap(),
        ],
        &database,
    );
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let verifier = text(&generated.stdout).trim().to_string();
    // The sequencer's work, done in this process rather than by a scheduler left running.
    let key = specflow_store::transparency::LogKey::from_private_key(
        &std::fs::read_to_string(&key_file).unwrap(),
    )
    .unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = specflow_store::Store::open(&database, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        store.integrate_pending(&key, 1000).await.unwrap();
        store.close().await;
    });
    let printed = specflow(&["log", "checkpoint"], &database);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let kept = folder.join("checkpoint.txt");
    std::fs::write(&kept, &printed.stdout).unwrap();
    let export = folder.join("export.jsonl");
    export_to(&database, &export);
    (database, verifier, kept, export)
}

/// The export's lines with a project's record `sequence` (the first record line of that
/// sequence whose subject is `subject`) found.
fn record_at(lines: &[String], subject: &str, sequence: i64) -> usize {
    lines
        .iter()
        .position(|line| {
            StoredRecord::from_json_line(line)
                .is_ok_and(|stored| stored.chain().1 == subject && stored.sequence == sequence)
        })
        .unwrap()
}

/// Edits the first record of the first chain and re-hashes the whole chain after it.
fn rehashed(lines: &[String]) -> Vec<String> {
    let mut lines = lines.to_vec();
    let first = StoredRecord::from_json_line(&lines[0]).unwrap();
    let subject = first.chain().1.to_string();
    let mut previous = None;
    for sequence in 1.. {
        let Some(at) = lines.iter().position(|line| {
            StoredRecord::from_json_line(line)
                .is_ok_and(|stored| stored.chain().1 == subject && stored.sequence == sequence)
        }) else {
            break;
        };
        let mut record = StoredRecord::from_json_line(&lines[at])
            .unwrap()
            .to_project_record()
            .unwrap();
        if sequence == 1 {
            record.event = record.event.replace("timer test", "forged");
        }
        if let Some(previous) = previous {
            record.previous_hash = previous;
        }
        record.hash = record.compute_hash();
        previous = Some(record.hash);
        lines[at] = serde_json::to_string(&StoredRecord::from(&record)).unwrap();
    }
    lines
}

// The two verifiers are independent implementations of one document; an export one refuses and
// the other accepts would mean the document, or one of them, is wrong.
#[test]
fn both_verifiers_refuse_the_same_edited_exports() {
    let folder = tempfile::tempdir().unwrap();
    let (database, verifier, kept, export) = signed_export(folder.path());
    let original: Vec<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let leaf_lines: Vec<usize> = (0..original.len())
        .filter(|at| original[*at].starts_with("{\"log_leaf\""))
        .collect();
    assert!(leaf_lines.len() >= 4, "{original:?}");
    let first = StoredRecord::from_json_line(&original[0]).unwrap();
    let subject = first.chain().1.to_string();
    let edits: Vec<(&str, Vec<String>)> = vec![
        ("untouched", original.clone()),
        ("a record line deleted", {
            let mut lines = original.clone();
            lines.remove(record_at(&original, &subject, 1));
            lines
        }),
        (
            "a record edited and its chain re-hashed",
            rehashed(&original),
        ),
        ("two leaf lines swapped", {
            let mut lines = original.clone();
            lines.swap(leaf_lines[0], leaf_lines[1]);
            lines
        }),
        ("the log truncated", {
            let mut lines = original.clone();
            lines.truncate(leaf_lines[2]);
            lines
        }),
        ("a forged record line without a leaf", {
            let mut lines = original.clone();
            let last = StoredRecord::from_json_line(&lines[leaf_lines[0] - 1]).unwrap();
            let mut record = last.to_project_record().unwrap();
            record.sequence += 1;
            record.previous_hash = record.hash;
            record.hash = record.compute_hash();
            lines.insert(
                leaf_lines[0],
                serde_json::to_string(&StoredRecord::from(&record)).unwrap(),
            );
            lines
        }),
        ("a leaf line not in its canonical text", {
            let mut lines = original.clone();
            lines[leaf_lines[0]] = lines[leaf_lines[0]].replacen(":", ": ", 1);
            lines
        }),
    ];
    let edited = folder.path().join("edited.jsonl");
    for (name, lines) in edits {
        std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
        let (rust, python) = verify_offline(&database, &edited, &kept, &verifier);
        let expected = if name == "untouched" { 0 } else { 1 };
        assert_eq!(
            rust.status.code(),
            Some(expected),
            "specflow, {name}: {}{}",
            text(&rust.stdout),
            text(&rust.stderr)
        );
        assert_eq!(
            python.status.code(),
            Some(expected),
            "verify-audit.py, {name}: {}{}",
            text(&python.stdout),
            text(&python.stderr)
        );
    }
}
