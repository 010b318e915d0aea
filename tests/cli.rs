//! The command line, run as a user would: the real binary, real files, exit codes and output.

use std::path::PathBuf;
use std::process::{Command, Output};

fn specflow(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the specflow binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temporary_file(name: &str, contents: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("specflow-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn validate_accepts_the_shipped_definitions() {
    let output = specflow(&[
        "workflow",
        "validate",
        "workflows/metrology-spec.toml",
        "workflows/iso-standard.toml",
    ]);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("ok: workflows/metrology-spec.toml (metrology-spec v1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok: workflows/iso-standard.toml (iso-standard v1"),
        "{stdout}"
    );
}

#[test]
fn validate_reports_every_problem_with_its_place_and_exits_1() {
    let original = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/metrology-spec.toml"
    ))
    .unwrap();
    let broken = original
        .replacen("to = \"consultation\"", "to = \"consultaton\"", 1)
        .replacen(
            "quorum = { at_least = \"2/3\", of = \"roll\" }",
            "quorum = { at_least = \"4/3\", of = \"roll\" }",
            1,
        )
        .replacen("minimum = \"30 days\"", "minimum = \"thirty days\"", 1);
    let path = temporary_file("broken.toml", &broken);
    let output = specflow(&[
        "workflow",
        "validate",
        path.to_str().unwrap(),
        "--calendars",
        "workflows/calendars",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown stage 'consultaton'"), "{stderr}");
    assert!(stderr.contains("'4/3' is outside (0, 1]"), "{stderr}");
    assert!(
        stderr.contains("'thirty days' is not a length of time"),
        "{stderr}"
    );
    // Each problem starts with file:line:column.
    for line in stderr.lines() {
        let mut parts = line.splitn(4, ':');
        let (_file, line_number, column) = (parts.next(), parts.next(), parts.next());
        assert!(
            line_number.is_some_and(|number| number.parse::<usize>().is_ok()),
            "no line number in: {line}"
        );
        assert!(
            column.is_some_and(|number| number.parse::<usize>().is_ok()),
            "no column in: {line}"
        );
    }
    // The graph check also notices that nothing leads to the consultation any more.
    assert!(
        stderr.contains("stage 'consultation' is unreachable"),
        "{stderr}"
    );
}

#[test]
fn validate_reports_a_missing_file_without_panicking() {
    let output = specflow(&["workflow", "validate", "workflows/no-such-file.toml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("cannot read the file"));
}

#[test]
fn show_prints_stages_transitions_roles_and_guards_in_words() {
    let output = specflow(&["workflow", "show", "workflows/metrology-spec.toml"]);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("consultation   征求意见  public consultation"),
        "{stdout}"
    );
    assert!(
        stdout.contains("close_consultation: consultation -> resolution"),
        "{stdout}"
    );
    assert!(
        stdout.contains("at least 20 organisations consulted  [waivable by supervisor]"),
        "{stdout}"
    );
    assert!(stdout.contains("征求意见单位不少于20家"), "{stdout}");
}

#[test]
fn diagram_draws_mermaid_and_dot_with_guard_summaries() {
    let mermaid = text(
        &specflow(&[
            "workflow",
            "diagram",
            "workflows/metrology-spec.toml",
            "--language",
            "en",
        ])
        .stdout,
    );
    assert!(mermaid.starts_with("stateDiagram-v2\n"));
    assert!(
        mermaid.contains(
            "consultation --> resolution : close_consultation | ≥30 days, ≥20 organisations"
        ),
        "{mermaid}"
    );
    assert!(mermaid.contains("[*] --> preresearch"));
    let dot = text(
        &specflow(&[
            "workflow",
            "diagram",
            "workflows/iso-standard.toml",
            "--format",
            "dot",
        ])
        .stdout,
    );
    assert!(dot.starts_with("digraph \"iso-standard\" {"));
    assert!(dot.contains("\"enquiry\" -> \"approval\" [label=\"approve_enquiry_draft | ≥12周, 表决 赞成≥2/3 反对≤1/4, 2项附件\"];"), "{dot}");
}

#[test]
fn simulate_prints_the_log_rejections_deadlines_and_final_state() {
    let output = specflow(&[
        "simulate",
        "workflows/metrology-spec.toml",
        "workflows/scenarios/consultation-too-short.toml",
        "--language",
        "en",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("REJECTED fire_action close_consultation"),
        "{stdout}"
    );
    assert!(stdout.contains("time_in_stage_too_short: The public consultation lasted 21 days; at least 30 days are required"), "{stdout}");
    assert!(
        stdout.contains("count_too_low: 15 organisations were consulted; at least 20 are required"),
        "{stdout}"
    );
    assert!(
        stdout.contains("close_consultation: public consultation -> comment resolution"),
        "{stdout}"
    );
    assert!(stdout.contains("Deadlines"), "{stdout}");
    assert!(
        stdout.contains("stage: comment resolution since 2026-07-02 09:00"),
        "{stdout}"
    );
    assert!(stdout.contains("records verified"), "{stdout}");
}

#[test]
fn simulate_refuses_a_scenario_whose_time_goes_backwards_naming_the_line() {
    let scenario = r#"
[[step]]
at = "2026-03-02T09:00:00+08:00"
actor = { id = "bureau-li", role = "supervisor" }
command = "cancel"
reason = "test"

[[step]]
at = "2026-03-01T09:00:00+08:00"
actor = { id = "bureau-li", role = "supervisor" }
command = "cancel"
reason = "test"
"#;
    let path = temporary_file("backwards.toml", scenario);
    let output = specflow(&[
        "simulate",
        "workflows/metrology-spec.toml",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(":8:1: step at line 8: time goes backwards"),
        "{stderr}"
    );
}

#[test]
fn simulate_reports_a_malformed_scenario_with_its_place() {
    let path = temporary_file(
        "malformed.toml",
        "[[step]]\nat = \"yesterday\"\nactor = { id = \"x\", role = \"y\" }\ncommand = \"cancel\"\nreason = \"r\"\n\n[[step]\n",
    );
    let output = specflow(&[
        "simulate",
        "workflows/metrology-spec.toml",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("malformed.toml:7:"), "{stderr}");
}

#[test]
fn simulate_exports_records_that_the_independent_verifier_accepts() {
    let output = specflow(&[
        "simulate",
        "workflows/metrology-spec.toml",
        "workflows/scenarios/to-in-force.toml",
        "--jsonl",
    ]);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 51);
    assert_eq!(records[0]["sequence"], 1);
    assert_eq!(records[0]["previous_hash"], "0".repeat(64));
    assert_eq!(records[1]["previous_hash"], records[0]["hash"]);
}
