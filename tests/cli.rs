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
    let output = specflow(&[
        "workflow",
        "show",
        "workflows/metrology-spec.toml",
        "--language",
        "en",
    ]);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("consultation   public consultation"),
        "{stdout}"
    );
    assert!(
        stdout.contains("close_consultation: consultation -> resolution"),
        "{stdout}"
    );
    // The consultation's minimums have no exception (lifecycle-rules.md §4): nothing says waivable.
    assert!(
        stdout.contains("at least 20 organisations consulted\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("[waivable by"), "{stdout}");
    assert!(
        stdout.contains("legal_or_livelihood_metrology: tied to legal or livelihood metrology"),
        "{stdout}"
    );
    assert!(stdout.contains("roles: secretariat"), "{stdout}");
}

/// The outline in the default language, Chinese: labels, names and guards, with the codes a
/// definition file uses kept as written.
#[test]
fn show_speaks_chinese_by_default() {
    let output = specflow(&["workflow", "show", "workflows/metrology-spec.toml"]);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    for words in [
        "阶段",
        "流转",
        "consultation   征求意见",
        "征求意见单位不少于20家",
        "legal_or_livelihood_metrology: 涉及法制计量或民生计量",
        "角色：secretariat",
        "起草单位委员回避表决",
    ] {
        assert!(stdout.contains(words), "'{words}' in:\n{stdout}");
    }
    for english in ["roles:", "Stages", "at least", "source:", "needs a reason"] {
        assert!(!stdout.contains(english), "'{english}' in:\n{stdout}");
    }
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
    // A rejected step makes the status 1, so scripts can rely on it…
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("step(s) were rejected"),
        "{}",
        text(&output.stderr)
    );
    // …unless the scenario shows its refusals on purpose.
    let allowed = specflow(&[
        "simulate",
        "workflows/metrology-spec.toml",
        "workflows/scenarios/consultation-too-short.toml",
        "--allow-rejections",
    ]);
    assert!(allowed.status.success(), "{}", text(&allowed.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("REJECTED close the consultation"),
        "{stdout}"
    );
    assert!(stdout.contains("time_in_stage_too_short: The public consultation lasted 21 days; at least 30 days are required"), "{stdout}");
    assert!(
        stdout.contains("count_too_low: 15 organisations were consulted; at least 20 are required"),
        "{stdout}"
    );
    assert!(
        stdout.contains("close the consultation: public consultation -> comment resolution"),
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

fn specflow_with_database(arguments: &[&str], database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .env("SPECFLOW_DATABASE_URL", database)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the specflow binary runs")
}

#[test]
fn migrate_then_verify_and_export_an_empty_database() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let first = specflow_with_database(&["migrate"], &database);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains(
            "applied migrations [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]"
        ),
        "{}",
        text(&first.stdout)
    );
    let again = specflow_with_database(&["migrate"], &database);
    assert!(
        text(&again.stdout).contains("up to date"),
        "{}",
        text(&again.stdout)
    );
    let verify = specflow_with_database(&["audit", "verify"], &database);
    assert!(verify.status.success());
    assert!(
        text(&verify.stdout).contains("共核验 0 个项目、0 个技术委员会，0 个断裂"),
        "{}",
        text(&verify.stdout)
    );
    let export = specflow_with_database(&["audit", "export"], &database);
    assert!(export.status.success());
    assert!(export.stdout.is_empty());
}

#[test]
fn a_wrong_database_is_a_clear_error_naming_it_without_its_password() {
    let refused = specflow_with_database(
        &["migrate"],
        "postgres://specflow:hunter2@127.0.0.1:1/specflow",
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("cannot open the database postgres://specflow:***@127.0.0.1:1/specflow"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let folder = tempfile::tempdir().unwrap();
    let corrupt = folder.path().join("corrupt.db");
    std::fs::write(&corrupt, "this is not a database ".repeat(20)).unwrap();
    let output = specflow_with_database(
        &["audit", "verify"],
        &format!("sqlite://{}", corrupt.display()),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("file is not a database"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn audit_verify_file_checks_an_export_offline_and_names_the_first_bad_record() {
    let export = specflow(&[
        "simulate",
        "workflows/metrology-spec.toml",
        "workflows/scenarios/to-in-force.toml",
        "--jsonl",
    ]);
    let good = temporary_file("good.jsonl", &text(&export.stdout));
    let output = specflow(&["audit", "verify", "--file", good.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("51 条记录，链头 "),
        "{}",
        text(&output.stdout)
    );
    let tampered: String = text(&export.stdout)
        .lines()
        .enumerate()
        .map(|(index, line)| if index == 10 { line.replace("drafter-chen", "drafter-chan") } else { line.to_string() } + "\n")
        .collect();
    let bad = temporary_file("bad.jsonl", &tampered);
    let output = specflow(&["audit", "verify", "--file", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("第 11 行，第 11 条记录：哈希不符"),
        "{}",
        text(&output.stderr)
    );
    let output = specflow(&[
        "audit",
        "verify",
        "--file",
        bad.to_str().unwrap(),
        "--language",
        "en",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("line 11: record 11: hash mismatch"),
        "{}",
        text(&output.stderr)
    );
}

/// Tamper test: with the append-only triggers dropped by hand, an edited record is caught by
/// `specflow audit verify`, which names its sequence number.
#[test]
fn audit_verify_names_a_record_edited_behind_the_triggers() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let project = runtime.block_on(async {
        let store = specflow_store::Store::open(&database, specflow_store::StoreOptions::default()).await.unwrap();
        store.register_workflow_folder(&PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows"))).await.unwrap();
        let project = uuid::Uuid::new_v4();
        let create = specflow_engine::Command::CreateProject(specflow_engine::command::NewProject {
            project_id: project,
            code: "JJF(沪)-2026-900".to_string(),
            title: specflow_engine::LocalizedText::new("篡改测试", "tamper test"),
            specification_kind: "calibration_specification".to_string(),
            committee: "SH-TC-01".to_string(),
            drafting_unit: "上海市计量测试技术研究院".to_string(),
            definition_id: "metrology-spec".to_string(),
            definition_version: 1,
            flags: Default::default(),
        });
        for command in [
            create,
            specflow_engine::Command::SignOff {
                subject: "completeness_check".to_string(),
            },
            specflow_engine::Command::SignOff {
                subject: "completeness_check".to_string(),
            },
        ] {
            let request = specflow_store::CommandRequest {
                project_id: project,
                command_id: uuid::Uuid::new_v4(),
                expected_sequence: None,
                actor: specflow_engine::Actor::new("sec-wang", "secretariat"),
                command,
            };
            store.execute(request).await.unwrap();
        }
        store.close().await;
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&database).await.unwrap();
        sqlx::query("DROP TRIGGER audit_records_refuse_update").execute(&raw).await.unwrap();
        sqlx::query("UPDATE audit_records SET event = replace(event, 'completeness_check', 'completeness_checked') WHERE sequence = 2")
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        project
    });
    let output = specflow_with_database(
        &["audit", "verify", "--project", "JJF(沪)-2026-900"],
        &database,
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "断裂 项目 JJF(沪)-2026-900 ({project})：第 2 条记录：哈希不符"
        )),
        "{stderr}"
    );
    let output = specflow_with_database(
        &[
            "audit",
            "verify",
            "--project",
            "JJF(沪)-2026-900",
            "--language",
            "en",
        ],
        &database,
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "BROKEN project JJF(沪)-2026-900 ({project}): record 2: hash mismatch"
        )),
        "{stderr}"
    );
}

/// Output into a pipe whose reader has gone (`specflow … | head`) ends the program quietly with
/// the broken pipe's status, never a panic message.
#[test]
fn writing_into_a_closed_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args([
            "simulate",
            "workflows/metrology-spec.toml",
            "workflows/scenarios/to-in-force.toml",
            "--jsonl",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the specflow binary runs");
    // The reader closes the pipe before reading a byte, as `head -c0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("the specflow binary ends");
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}

/// Makes a database of two projects (`JJF(沪)-2026-900` and `-901`, two records each) and two
/// committees (`SH-TC-01` and `SH-TC-02`, formed and their terms started), through the store.
fn database_of_projects_and_committees(database: &str) -> (Vec<uuid::Uuid>, Vec<uuid::Uuid>) {
    use specflow_engine::committee::CommitteeCommand;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = specflow_store::Store::open(database, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        store
            .register_workflow_folder(&PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/workflows"
            )))
            .await
            .unwrap();
        let mut projects = Vec::new();
        for number in [900, 901] {
            let project = uuid::Uuid::new_v4();
            let create =
                specflow_engine::Command::CreateProject(specflow_engine::command::NewProject {
                    project_id: project,
                    code: format!("JJF(沪)-2026-{number}"),
                    title: specflow_engine::LocalizedText::new("核验测试", "verification test"),
                    specification_kind: "calibration_specification".to_string(),
                    committee: "SH-TC-01".to_string(),
                    drafting_unit: "上海市计量测试技术研究院".to_string(),
                    definition_id: "metrology-spec".to_string(),
                    definition_version: 1,
                    flags: Default::default(),
                });
            let sign_off = specflow_engine::Command::SignOff {
                subject: "completeness_check".to_string(),
            };
            for command in [create, sign_off] {
                store
                    .execute(specflow_store::CommandRequest {
                        project_id: project,
                        command_id: uuid::Uuid::new_v4(),
                        expected_sequence: None,
                        actor: specflow_engine::Actor::new("sec-wang", "secretariat"),
                        command,
                    })
                    .await
                    .unwrap();
            }
            projects.push(project);
        }
        let mut committees = Vec::new();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        for code in ["SH-TC-01", "SH-TC-02"] {
            let committee = specflow_store::committee_id_of(code);
            let form = CommitteeCommand::Form {
                committee_id: committee,
                code: code.to_string(),
                name: specflow_engine::LocalizedText::new(
                    "上海市长度计量技术委员会",
                    "Shanghai Length Committee",
                ),
                field: "length".into(),
                legal_metrology: false,
                composition_plan: "沪市监计量〔2026〕1号".into(),
                formed_on: day,
            };
            let term = CommitteeCommand::StartTerm {
                starts_on: day,
                ends_on: None,
            };
            for command in [form, term] {
                store
                    .execute_committee(specflow_store::CommitteeCommandRequest {
                        committee_id: committee,
                        command_id: uuid::Uuid::new_v4(),
                        expected_sequence: None,
                        actor: specflow_engine::Actor::new("bureau-li", "supervisor"),
                        command,
                    })
                    .await
                    .unwrap();
            }
            committees.push(committee);
        }
        store.close().await;
        (projects, committees)
    })
}

/// Runs the independent verifier on `contents`; `None` when python3 is missing (CI requires it).
fn independent_verifier(contents: &str) -> Option<Output> {
    use std::io::Write;
    let mut python = Command::new("python3")
        .args(["tools/verify-audit.py", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(contents.as_bytes())
        .unwrap();
    Some(python.wait_with_output().unwrap())
}

// `audit export` held no committee records and `audit verify --file` refused them ("missing field
// `project_id`"); both now take and give every kind, and the independent verifier agrees.
#[test]
fn audit_export_and_verify_file_cover_project_and_committee_chains() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let (projects, committees) = database_of_projects_and_committees(&database);
    let export = specflow_with_database(&["audit", "export"], &database);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let exported = text(&export.stdout);
    assert_eq!(exported.lines().count(), 8, "{exported}");
    assert_eq!(
        exported.matches("\"committee_id\"").count(),
        4,
        "{exported}"
    );
    let file = folder.path().join("export.jsonl");
    std::fs::write(&file, &exported).unwrap();
    let verified = specflow(&["audit", "verify", "--file", file.to_str().unwrap()]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    let stdout = text(&verified.stdout);
    assert!(
        stdout.contains(&format!("完好 项目 {}：2 条记录", projects[0])),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("完好 技术委员会 {}：2 条记录", committees[1])),
        "{stdout}"
    );
    assert!(
        stdout.contains("共核验 2 个项目、2 个技术委员会，0 个断裂"),
        "{stdout}"
    );
    if let Some(python) = independent_verifier(&exported) {
        assert!(python.status.success(), "{}", text(&python.stderr));
        assert!(
            text(&python.stdout).contains("verified 8 records in 4 chain(s)"),
            "{}",
            text(&python.stdout)
        );
    }

    // One canonical form: an upper-case hash, an instant at +08:00, an extra field are refused by
    // name (the verifier used to re-format them), by both verifiers, and the other chains go on.
    let mut lines: Vec<String> = exported.lines().map(str::to_string).collect();
    let hash = serde_json::from_str::<serde_json::Value>(&lines[1]).unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_string();
    lines[1] = lines[1].replace(&hash, &hash.to_uppercase());
    lines[4] = lines[4].replacen("{", "{\"note\":\"x\",", 1);
    let non_canonical = lines.join("\n") + "\n";
    std::fs::write(&file, &non_canonical).unwrap();
    let refused = specflow(&[
        "audit",
        "verify",
        "--file",
        file.to_str().unwrap(),
        "--language",
        "en",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("line 2: record 2: the field hash is not in its canonical form"),
        "{stderr}"
    );
    assert!(stderr.contains("line 5: record 1: not a canonical audit record, holds fields outside the documented set: note"), "{stderr}");
    assert!(
        text(&refused.stdout).contains("verified 2 project(s) and 2 committee(s), 2 broken"),
        "{}",
        text(&refused.stdout)
    );
    if let Some(python) = independent_verifier(&non_canonical) {
        assert_eq!(python.status.code(), Some(1), "{}", text(&python.stdout));
        let stderr = text(&python.stderr);
        assert!(
            stderr.contains("record 2: hash is not canonical"),
            "{stderr}"
        );
        assert!(
            stderr.contains("fields outside the documented set: note"),
            "{stderr}"
        );
    }
}

// `audit verify` skipped committee chains, and a malformed stored hash aborted the whole run;
// now every chain is proved, each broken one named by kind, and the run goes on.
#[test]
fn audit_verify_proves_every_chain_and_goes_on_past_a_broken_one() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let (projects, committees) = database_of_projects_and_committees(&database);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&database).await.unwrap();
        for statement in [
            "DROP TRIGGER audit_records_refuse_update",
            "DROP TRIGGER committee_records_refuse_update",
            "UPDATE audit_records SET hash = 'not-a-hash' WHERE sequence = 2 AND project_id = (SELECT project_id FROM projects WHERE code = 'JJF(沪)-2026-900')",
            "UPDATE committee_records SET event = '{\"type\":\"committee_dissolved_by_magic\"}' WHERE sequence = 2 AND committee_id = (SELECT committee_id FROM committees WHERE code = 'SH-TC-01')",
        ] {
            sqlx::query(statement).execute(&raw).await.unwrap();
        }
        raw.close().await;
    });
    let output = specflow_with_database(&["audit", "verify", "--language", "en"], &database);
    assert_eq!(output.status.code(), Some(1));
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        stderr.contains(&format!("BROKEN project JJF(沪)-2026-900 ({}): record 2: the field hash is not in its canonical form: not-a-hash", projects[0])),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "BROKEN committee SH-TC-01 ({}): record 2: hash mismatch",
            committees[0]
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!(
            "ok project JJF(沪)-2026-901 ({}): 2 records",
            projects[1]
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "ok committee SH-TC-02 ({}): 2 records",
            committees[1]
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("verified 2 project(s) and 2 committee(s), 2 broken"),
        "{stdout}"
    );
    let chinese = specflow_with_database(&["audit", "verify"], &database);
    assert!(
        text(&chinese.stderr).contains(&format!(
            "断裂 技术委员会 SH-TC-01 ({})：第 2 条记录：哈希不符",
            committees[0]
        )),
        "{}",
        text(&chinese.stderr)
    );
    // The export gives every record as stored, the broken ones too, for an auditor to look at.
    let export = specflow_with_database(&["audit", "export"], &database);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let exported = text(&export.stdout);
    assert_eq!(exported.lines().count(), 8, "{exported}");
    assert!(exported.contains("\"hash\":\"not-a-hash\""), "{exported}");
    assert!(
        exported.contains("committee_dissolved_by_magic"),
        "{exported}"
    );
}
