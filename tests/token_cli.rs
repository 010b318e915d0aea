//! `specflow token create|list|revoke`, run as an operator would against an SQLite database:
//! the token printed once and accepted by the store, listings without secrets, revocation, and
//! exit codes (1 for a refused request, 2 for bad usage).

use crate::schedule_cli::database_with_a_project;
use specflow_store::auth::Role;
use specflow_store::{AuthError, Store, StoreOptions};
use std::process::{Command, Output};

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

/// Runs `specflow token create` with `arguments` and returns the printed token.
fn create(arguments: &[&str], database: &str) -> String {
    let mut all = vec!["token", "create"];
    all.extend_from_slice(arguments);
    let output = specflow(&all, database);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the token on stdout: {stdout}");
    lines[0].to_string()
}

fn authenticate(database: &str, bearer: &str) -> Result<specflow_store::Principal, AuthError> {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = Store::open(database, StoreOptions::default())
            .await
            .unwrap();
        let principal = store.authenticate(bearer).await;
        store.close().await;
        principal
    })
}

#[test]
fn a_created_token_is_printed_once_listed_without_secrets_and_revoked() {
    let folder = tempfile::tempdir().unwrap();
    let (database, project_id) = database_with_a_project(folder.path(), chrono::Utc::now());

    let output = specflow(
        &[
            "token",
            "create",
            "--name",
            "bureau-li",
            "--role",
            "supervisor",
        ],
        &database,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let bearer = text(&output.stdout).trim().to_string();
    assert!(bearer.starts_with("sft_") && bearer.len() == 68, "{bearer}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("created token bureau-li (supervisor, every project; never expires)"),
        "{stderr}"
    );
    assert!(stderr.contains("shown once and never again"), "{stderr}");
    let principal = authenticate(&database, &bearer).unwrap();
    assert_eq!(
        (principal.subject.as_str(), principal.role),
        ("bureau-li", Role::Supervisor)
    );

    let drafter = create(
        &[
            "--name",
            "drafter-zhao",
            "--role",
            "drafter",
            "--project",
            "T-0000001",
            "--expires-in",
            "90d",
        ],
        &database,
    );
    let principal = authenticate(&database, &drafter).unwrap();
    assert_eq!(principal.project_id, Some(project_id));
    create(
        &[
            "--name",
            "sec-wang",
            "--role",
            "secretariat",
            "--committee",
            "SH-TC-01",
        ],
        &database,
    );

    let list = specflow(&["token", "list", "--language", "en"], &database);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let table = text(&list.stdout);
    for expected in [
        "bureau-li",
        "every project",
        "project T-0000001",
        "committee SH-TC-01",
        "active",
    ] {
        assert!(table.contains(expected), "{expected}: {table}");
    }
    let json = specflow(&["token", "list", "--json"], &database);
    let lines: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let listed = text(&json.stdout);
    assert!(!listed.contains(&bearer[4..]), "{listed}");
    assert!(!listed.contains(&drafter[4..]), "{listed}");
    let zhao = lines
        .iter()
        .find(|line| line["name"] == "drafter-zhao")
        .unwrap();
    assert_eq!(zhao["role"], "drafter");
    assert_eq!(zhao["project_id"], project_id.to_string());
    assert!(zhao["expires_at"].is_string(), "{zhao}");

    let revoke = specflow(&["token", "revoke", "bureau-li"], &database);
    assert!(revoke.status.success(), "{}", text(&revoke.stderr));
    assert_eq!(text(&revoke.stdout), "bureau-li: revoked\n");
    assert!(matches!(
        authenticate(&database, &bearer),
        Err(AuthError::Revoked { .. })
    ));
    assert!(authenticate(&database, &drafter).is_ok());
    let again = specflow(&["token", "revoke", "bureau-li"], &database);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).starts_with("bureau-li: already revoked at "),
        "{}",
        text(&again.stdout)
    );
    let table = text(&specflow(&["token", "list", "--language", "en"], &database).stdout);
    assert!(table.contains("revoked"), "{table}");
}

#[test]
fn refused_requests_exit_1_and_bad_usage_exits_2() {
    let folder = tempfile::tempdir().unwrap();
    let (database, _) = database_with_a_project(folder.path(), chrono::Utc::now());

    let unknown_role = specflow(
        &["token", "create", "--name", "li", "--role", "bureau"],
        &database,
    );
    assert_eq!(unknown_role.status.code(), Some(2));
    assert!(
        text(&unknown_role.stderr).contains(
            "`bureau` is not a role: use admin, supervisor, secretariat, chair, member, drafter or auditor"
        ),
        "{}",
        text(&unknown_role.stderr)
    );
    let no_name = specflow(&["token", "create", "--role", "auditor"], &database);
    assert_eq!(no_name.status.code(), Some(2));
    let bad_expiry = specflow(
        &[
            "token",
            "create",
            "--name",
            "li",
            "--role",
            "auditor",
            "--expires-in",
            "soon",
        ],
        &database,
    );
    assert_eq!(bad_expiry.status.code(), Some(2));

    let no_committee = specflow(
        &[
            "token",
            "create",
            "--name",
            "sec-wang",
            "--role",
            "secretariat",
        ],
        &database,
    );
    assert_eq!(no_committee.status.code(), Some(1));
    assert!(
        text(&no_committee.stderr).contains("a secretariat token needs a committee"),
        "{}",
        text(&no_committee.stderr)
    );
    assert!(no_committee.stdout.is_empty());
    let no_project = specflow(
        &[
            "token",
            "create",
            "--name",
            "zhao",
            "--role",
            "drafter",
            "--project",
            "T-9999999",
        ],
        &database,
    );
    assert_eq!(no_project.status.code(), Some(1));
    assert!(
        text(&no_project.stderr).contains("the drafter's project `T-9999999` does not exist"),
        "{}",
        text(&no_project.stderr)
    );

    create(&["--name", "audit-1", "--role", "auditor"], &database);
    let duplicate = specflow(
        &["token", "create", "--name", "audit-1", "--role", "auditor"],
        &database,
    );
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(
        text(&duplicate.stderr).contains("a token named `audit-1` already exists"),
        "{}",
        text(&duplicate.stderr)
    );
    let unknown = specflow(&["token", "revoke", "nobody"], &database);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("nobody: no token has this name or id"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn a_committee_without_projects_is_pointed_out() {
    let folder = tempfile::tempdir().unwrap();
    let (database, _) = database_with_a_project(folder.path(), chrono::Utc::now());
    let output = specflow(
        &[
            "token",
            "create",
            "--name",
            "chair-sun",
            "--role",
            "chair",
            "--committee",
            "SH-TC-1",
        ],
        &database,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("note: no project of committee `SH-TC-1` exists yet"),
        "{}",
        text(&output.stderr)
    );
}
