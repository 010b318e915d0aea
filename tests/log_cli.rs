//! `specflow log key generate`, `specflow log checkpoint` and `specflow audit verify
//! --checkpoint`, run as an operator and an auditor would: a key made once and kept private, the
//! scheduler signing checkpoints with it, and the database checked against a checkpoint kept
//! outside it, before and after an insider deletes a record.

use crate::schedule_cli::database_with_a_project;
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
}
