//! `specflow user create|list|disable|reset-password|calendar` and `specflow channel`, run as an
//! operator would against an SQLite database: the password read from standard input and accepted
//! by the store's sign-in, a short one refused with a message that says so, listings without
//! hashes, disabling, a calendar feed made and stopped, and a channel set, listed, tested and
//! removed.

use crate::schedule_cli::database_with_a_project;
use specflow_store::{SigninError, Store, StoreOptions};
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs specflow with `arguments`, `input` on its standard input.
fn specflow(arguments: &[&str], database: &str, input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .env("SPECFLOW_DATABASE_URL", database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the specflow binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sign_in(database: &str, name: &str, password: &str) -> Result<String, SigninError> {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = Store::open(database, StoreOptions::default())
            .await
            .unwrap();
        let signed_in = store.sign_in(name, password, "127.0.0.1").await;
        store.close().await;
        signed_in.map(|session| session.principal().subject.clone())
    })
}

#[test]
fn an_account_is_created_from_standard_input_listed_and_disabled() {
    let folder = tempfile::tempdir().unwrap();
    let (database, _project_id) = database_with_a_project(folder.path(), chrono::Utc::now());
    let create = [
        "user",
        "create",
        "--name",
        "wang.secretariat",
        "--role",
        "secretariat",
        "--committee",
        "SH-TC-01",
        "--password-stdin",
    ];

    // Too short: refused before anything is written, saying how long it must be.
    let short = specflow(&create, &database, "short\n");
    assert_eq!(short.status.code(), Some(1), "{}", text(&short.stderr));
    assert!(
        text(&short.stderr).contains("it needs at least 10"),
        "{}",
        text(&short.stderr)
    );

    let created = specflow(&create, &database, "correct horse battery\n");
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(
        text(&created.stdout)
            .contains("created account wang.secretariat (secretariat, committee SH-TC-01)"),
        "{}",
        text(&created.stdout)
    );
    // The line ending is not part of the password.
    assert_eq!(
        sign_in(&database, "wang.secretariat", "correct horse battery").unwrap(),
        "wang.secretariat"
    );

    // Without --password-stdin and without a terminal, it says what to do.
    let no_terminal = specflow(
        &["user", "create", "--name", "li", "--role", "auditor"],
        &database,
        "correct horse battery\n",
    );
    assert_eq!(no_terminal.status.code(), Some(1));
    assert!(
        text(&no_terminal.stderr).contains("pass --password-stdin"),
        "{}",
        text(&no_terminal.stderr)
    );

    let list = specflow(&["user", "list", "--language", "en"], &database, "");
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    assert!(listed.contains("wang.secretariat"), "{listed}");
    assert!(listed.contains("committee SH-TC-01"), "{listed}");
    assert!(listed.contains("active"), "{listed}");
    let json = specflow(&["user", "list", "--json"], &database, "");
    assert!(
        !text(&json.stdout).contains("argon2"),
        "{}",
        text(&json.stdout)
    );

    let reset = specflow(
        &[
            "user",
            "reset-password",
            "wang.secretariat",
            "--password-stdin",
        ],
        &database,
        "a new long password\n",
    );
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(matches!(
        sign_in(&database, "wang.secretariat", "correct horse battery"),
        Err(SigninError::WrongCredentials)
    ));

    let disabled = specflow(&["user", "disable", "wang.secretariat"], &database, "");
    assert!(disabled.status.success(), "{}", text(&disabled.stderr));
    assert!(text(&disabled.stdout).contains("wang.secretariat: disabled"));
    let again = specflow(&["user", "disable", "wang.secretariat"], &database, "");
    assert!(again.status.success());
    assert!(text(&again.stdout).contains("already disabled at"));
    let unknown = specflow(&["user", "disable", "nobody"], &database, "");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no account has this name"));
    assert!(matches!(
        sign_in(&database, "wang.secretariat", "a new long password"),
        Err(SigninError::Disabled { .. })
    ));
    let listed = text(&specflow(&["user", "list", "--language", "en"], &database, "").stdout);
    assert!(listed.contains("disabled 20"), "{listed}");
}

#[test]
fn channels_are_set_listed_tested_and_removed_and_a_calendar_feed_is_made_and_stopped() {
    let folder = tempfile::tempdir().unwrap();
    let (database, _project_id) = database_with_a_project(folder.path(), chrono::Utc::now());
    // A malformed address is refused, naming it; nothing is written.
    let refused = specflow(
        &[
            "channel",
            "set",
            "secretariat",
            "--kind",
            "email",
            "sec@example.org, sec@example",
        ],
        &database,
        "",
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("`sec@example`"),
        "{}",
        text(&refused.stderr)
    );
    let set = specflow(
        &[
            "channel",
            "set",
            "secretariat",
            "--kind",
            "email",
            "sec@example.org",
            "--language",
            "en",
        ],
        &database,
        "",
    );
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert!(text(&set.stdout).contains("secretariat: email mailto:sec@example.org"));
    let listed = specflow(&["channel", "list", "--language", "en"], &database, "");
    let listed = text(&listed.stdout);
    assert!(
        listed.contains("email") && listed.contains("English"),
        "{listed}"
    );
    // Without an SMTP server the test message is not accepted, and the command says why.
    let tested = specflow(&["channel", "test", "secretariat"], &database, "");
    assert!(!tested.status.success());
    assert!(
        text(&tested.stderr).contains("no SMTP server is configured"),
        "{}",
        text(&tested.stderr)
    );
    let removed = specflow(&["channel", "remove", "secretariat"], &database, "");
    assert!(removed.status.success());
    let untested = specflow(&["channel", "test", "secretariat"], &database, "");
    assert!(text(&untested.stderr).contains("no channel is configured"));

    // A calendar feed: printed once, stopped, and an unknown account refused.
    let created = specflow(
        &[
            "user",
            "create",
            "--name",
            "li.bureau",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        &database,
        "correct horse battery\n",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let feed = specflow(
        &[
            "user",
            "calendar",
            "li.bureau",
            "--base-url",
            "https://specflow.example.org/",
        ],
        &database,
        "",
    );
    assert!(feed.status.success());
    assert!(
        text(&feed.stdout).contains("https://specflow.example.org/calendar/sfc_"),
        "{}",
        text(&feed.stdout)
    );
    let stopped = specflow(&["user", "calendar", "li.bureau", "--stop"], &database, "");
    assert!(text(&stopped.stdout).contains("stopped"));
    let unknown = specflow(&["user", "calendar", "nobody"], &database, "");
    assert!(!unknown.status.success());

    // A person's own e-mail: a wrong kind of event and a wrong address refused, saying which;
    // a good one sent its link, listed as waiting, not testable before it is proved, removed.
    let person = |extra: &[&str]| {
        let mut arguments = vec!["channel", "set", "li.bureau", "--person"];
        arguments.extend_from_slice(extra);
        specflow(&arguments, &database, "")
    };
    let wrong_kind = person(&["li@example.org", "--events", "coffee_break"]);
    assert!(!wrong_kind.status.success());
    assert!(
        text(&wrong_kind.stderr).contains("coffee_break"),
        "{}",
        text(&wrong_kind.stderr)
    );
    let wrong_address = person(&["li.example.org", "--language", "en"]);
    assert!(!wrong_address.status.success());
    assert!(
        text(&wrong_address.stderr).contains("has no @"),
        "{}",
        text(&wrong_address.stderr)
    );
    let not_email = person(&["li@example.org", "--kind", "dingtalk"]);
    assert!(!not_email.status.success());
    let set = person(&[
        "li@example.org",
        "--events",
        "deadline_missed,deadline_warning_given",
        "--digest",
    ]);
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert!(
        text(&set.stdout).contains("confirmation link"),
        "{}",
        text(&set.stdout)
    );
    let listed = text(&specflow(&["channel", "list", "--language", "en"], &database, "").stdout);
    assert!(
        listed.contains("li@example.org")
            && listed.contains("waiting")
            && listed.contains("deadline_missed,deadline_warning_given"),
        "{listed}"
    );
    let untested = specflow(&["channel", "test", "li.bureau", "--person"], &database, "");
    assert!(!untested.status.success());
    assert!(
        text(&untested.stderr).contains("not confirmed"),
        "{}",
        text(&untested.stderr)
    );
    let removed = specflow(
        &["channel", "remove", "li.bureau", "--person"],
        &database,
        "",
    );
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let again = specflow(
        &["channel", "remove", "li.bureau", "--person"],
        &database,
        "",
    );
    assert!(!again.status.success());
}
