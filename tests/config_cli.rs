//! The configuration file and `specflow config show`: flags, then environment, then the file,
//! then defaults.

use std::process::{Command, Output};

fn specflow_in(
    folder: &std::path::Path,
    arguments: &[&str],
    environment: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_specflow"));
    command.args(arguments).current_dir(folder);
    command
        .env_remove("SPECFLOW_DATABASE_URL")
        .env_remove("SPECFLOW_LISTEN")
        .env_remove("SPECFLOW_CONFIG");
    for (name, value) in environment {
        command.env(name, value);
    }
    command.output().expect("the specflow binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn line_of<'a>(table: &'a str, setting: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.split_whitespace().next() == Some(setting))
        .unwrap_or_else(|| panic!("no line for {setting} in:\n{table}"))
}

#[test]
fn config_show_tells_each_setting_and_where_it_came_from() {
    let folder = tempfile::tempdir().unwrap();
    let defaults = specflow_in(folder.path(), &["config", "show"], &[]);
    assert!(defaults.status.success(), "{}", text(&defaults.stderr));
    let table = text(&defaults.stdout);
    assert!(
        line_of(&table, "listen").contains("127.0.0.1:8080"),
        "{table}"
    );
    assert!(line_of(&table, "listen").ends_with("default"), "{table}");
    std::fs::write(
        folder.path().join("specflow.toml"),
        "database = \"postgres://alice:hunter2@db/specflow\"\n[serve]\nlisten = \"0.0.0.0:9090\"\nscheduler_rescan = \"30s\"\nheader_read_timeout = \"5s\"\nmax_connections = 64\nmetrics_listen = \"off\"\n",
    )
    .unwrap();
    let from_file = text(&specflow_in(folder.path(), &["config", "show"], &[]).stdout);
    assert!(
        line_of(&from_file, "listen").contains("0.0.0.0:9090"),
        "{from_file}"
    );
    assert!(
        line_of(&from_file, "listen").ends_with("configuration file"),
        "{from_file}"
    );
    assert!(
        line_of(&from_file, "scheduler_rescan").contains("30s"),
        "{from_file}"
    );
    // The server's limits and the metrics listener are settings like any other (issue 17).
    for (setting, value) in [
        ("header_read_timeout", "5s"),
        ("max_connections", "64"),
        ("metrics_listen", "off"),
    ] {
        let line = line_of(&from_file, setting);
        assert!(line.contains(value), "{from_file}");
        assert!(line.ends_with("configuration file"), "{from_file}");
    }
    assert!(
        line_of(&from_file, "request_timeout").ends_with("default"),
        "{from_file}"
    );
    // The password is masked.
    assert!(
        line_of(&from_file, "database").contains("postgres://alice:***@db/specflow"),
        "{from_file}"
    );
    assert!(!from_file.contains("hunter2"), "{from_file}");
    // A password given as a query parameter was shown as it was (issue 17).
    let in_query = text(
        &specflow_in(
            folder.path(),
            &["config", "show"],
            &[(
                "SPECFLOW_DATABASE_URL",
                "postgres://alice@db/specflow?password=hunter3&sslmode=require",
            )],
        )
        .stdout,
    );
    assert!(
        line_of(&in_query, "database")
            .contains("postgres://alice@db/specflow?password=***&sslmode=require"),
        "{in_query}"
    );
    assert!(!in_query.contains("hunter3"), "{in_query}");
    // The environment beats the file.
    let environment = text(
        &specflow_in(
            folder.path(),
            &["config", "show"],
            &[("SPECFLOW_LISTEN", "127.0.0.1:7070")],
        )
        .stdout,
    );
    assert!(
        line_of(&environment, "listen").contains("127.0.0.1:7070"),
        "{environment}"
    );
    assert!(
        line_of(&environment, "listen").ends_with("environment"),
        "{environment}"
    );
    // Another subcommand shows its own settings, and the top-level database applies to it.
    let scheduler = text(&specflow_in(folder.path(), &["config", "show", "scheduler"], &[]).stdout);
    assert!(
        line_of(&scheduler, "database").ends_with("configuration file"),
        "{scheduler}"
    );
    assert!(!scheduler.contains("listen"), "{scheduler}");
}

#[test]
fn a_configuration_file_naming_an_unknown_setting_is_refused_with_its_name() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("typo.toml"),
        "[serve]\nlisen = \"0.0.0.0:1\"\n",
    )
    .unwrap();
    let output = specflow_in(folder.path(), &["--config", "typo.toml", "serve"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains("typo.toml: `lisen` is not a setting of `specflow serve`"),
        "{error}"
    );
    assert!(error.contains("listen"), "{error}");
    std::fs::write(folder.path().join("broken.toml"), "listen = \n").unwrap();
    let output = specflow_in(
        folder.path(),
        &["--config", "broken.toml", "config", "show"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("broken.toml"),
        "{}",
        text(&output.stderr)
    );
}
