//! `specflow import` run as the bureau would: `--template` writes a workbook whose example row
//! previews clean, `--dry-run` lists what would be created and writes nothing, a file with a bad
//! row exits 1 with the problem by row and column, and the same file imported twice creates its
//! projects once.

use specflow_engine::LocalizedText;
use specflow_engine::committee::CommitteeCommand;
use specflow_store::{CommitteeCommandRequest, Store, StoreOptions, committee_id_of};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use uuid::Uuid;

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

/// A database with the shipped workflows and committee SH-TC-01.
fn database(folder: &Path) -> String {
    let url = format!("sqlite://{}", folder.join("specflow.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(&url, StoreOptions::default()).await.unwrap();
        let workflows = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows"));
        store.register_workflow_folder(&workflows).await.unwrap();
        store
            .execute_committee(CommitteeCommandRequest {
                committee_id: committee_id_of("SH-TC-01"),
                command_id: Uuid::new_v4(),
                expected_sequence: None,
                actor: specflow_engine::Actor::new("bureau-li", "supervisor"),
                command: CommitteeCommand::Form {
                    committee_id: committee_id_of("SH-TC-01"),
                    code: "SH-TC-01".to_string(),
                    name: LocalizedText::new(
                        "上海市温度计量技术委员会",
                        "Shanghai Temperature Metrology Committee",
                    ),
                    field: "temperature".into(),
                    legal_metrology: false,
                    composition_plan: "沪市监计量〔2026〕1号".into(),
                    formed_on: chrono::NaiveDate::from_ymd_opt(2024, 1, 5).unwrap(),
                },
            })
            .await
            .unwrap();
        store.close().await;
    });
    url
}

const CSV: &str = "\u{feff}项目编号 code,中文名称 title_zh,规范类型 specification_kind,技术委员会 committee,起草单位 drafting_unit,当前阶段 stage,立项日期 approved_on\n\
    JJF(沪)-2023-031,数字温度计校准规范,计量校准规范,SH-TC-01,上海市计量测试技术研究院,起草,2023-03-01\n\
    JJF(沪)-2023-032,热电偶校准规范,计量校准规范,SH-TC-01,上海市计量测试技术研究院,drafting,2023-04-01\n";

#[test]
fn the_template_dry_run_and_import_work_from_the_command_line_and_a_second_import_creates_nothing()
{
    let folder = tempfile::tempdir().unwrap();
    let url = database(folder.path());

    let template = folder.path().join("template.xlsx");
    let output = specflow(&["import", "--template", template.to_str().unwrap()], &url);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = specflow(
        &[
            "import",
            "--dry-run",
            "--language",
            "en",
            template.to_str().unwrap(),
        ],
        &url,
    );
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(
        text(&output.stdout).contains("would be created"),
        "{}",
        text(&output.stdout)
    );

    let file = folder.path().join("projects.csv");
    std::fs::write(&file, CSV).unwrap();
    let path = file.to_str().unwrap();
    let output = specflow(&["import", "--dry-run", "--language", "en", path], &url);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.matches("would be created").count(), 2, "{stdout}");

    let output = specflow(&["import", "--language", "en", path], &url);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout).matches("created").count(),
        2,
        "{}",
        text(&output.stdout)
    );

    let output = specflow(&["import", "--language", "en", path], &url);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.matches("already imported").count(), 2, "{stdout}");
}

#[test]
fn a_file_with_a_bad_row_exits_1_naming_the_row_and_column_and_writes_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let url = database(folder.path());
    let bad = CSV.replace("2023-04-01", "2023-04-31");
    let file = folder.path().join("bad.csv");
    std::fs::write(&file, bad).unwrap();
    let output = specflow(&["import", file.to_str().unwrap()], &url);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("立项日期 approved_on"), "{stdout}");
    assert!(stdout.contains("2023-04-31"), "{stdout}");
    assert!(stdout.contains("未写入任何内容"), "{stdout}");
    let output = specflow(
        &[
            "import",
            "--dry-run",
            &file.to_str().unwrap().replace("bad", "none"),
        ],
        &url,
    );
    assert!(!output.status.success());
}

#[test]
fn a_database_no_server_has_run_on_gets_the_workflows_and_names_the_committee_missing() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("fresh.db").display());
    let output = specflow(&["migrate"], &url);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let file = folder.path().join("projects.csv");
    std::fs::write(&file, CSV).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["import", "--dry-run", "--language", "en"])
        .arg(&file)
        .env("SPECFLOW_DATABASE_URL", &url)
        .current_dir(folder.path())
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("built into specflow"), "{stderr}");
    assert!(
        stdout.contains("Unknown committee") && stdout.contains("SH-TC-01"),
        "the workflow is there; the committee is what is missing: {stdout}"
    );
}
