//! `specflow audit verify|export`: proving the log, and handing it to an auditor.
//!
//! Verdicts are printed in the reader's language (Chinese by default), one line a chain:
//! a chain that holds on standard output, a broken one on standard error with its first bad
//! record, and the tally last; the exit status is 1 when any chain is broken, so scripts need
//! not read the words.

use super::database::{open, runtime};
use crate::cli::AuditCommand;
use specflow_engine::audit::{AuditRecord, ChainVerifier, VerifiedChain};
use specflow_engine::text::{Language, LocalizedText};
use specflow_store::StoreOptions;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use uuid::Uuid;

/// Runs an `audit` subcommand.
pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify {
            file: Some(file),
            language,
            ..
        } => verify_file(&file, language.into()),
        AuditCommand::Verify {
            project,
            file: None,
            language,
            database,
        } => runtime()?.block_on(verify_database(&database, project, language.into())),
        AuditCommand::Export {
            project,
            language,
            database,
        } => runtime()?.block_on(async {
            let language: Language = language.into();
            let store = open(&database, read_only()).await?;
            let project = match project {
                Some(project) => Some(store.resolve_project(&project).await?),
                None => None,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout);
            let count = store.export_jsonl(project, &mut out).await?;
            out.flush()?;
            eprintln!(
                "{}",
                language.pick(
                    format!("已导出 {count} 条记录"),
                    format!("exported {count} records")
                )
            );
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }),
    }
}

/// Verifies one project's chain, or every project's, in the database.
async fn verify_database(
    database: &crate::cli::DatabaseArgs,
    project: Option<String>,
    language: Language,
) -> anyhow::Result<ExitCode> {
    let store = open(database, read_only()).await?;
    let projects = match project {
        Some(project) => vec![store.resolve_project(&project).await?],
        None => all_projects(&store).await?,
    };
    let mut broken = 0usize;
    for project_id in &projects {
        let name = project_name(&store, *project_id).await?;
        match store.verify_project(*project_id).await? {
            Ok(chain) => println!("{}", holds(&name, &chain, language)),
            Err(failure) => {
                broken += 1;
                eprintln!("{}", is_broken(&name, &failure.message(), language));
            }
        }
    }
    println!("{}", tally(projects.len(), broken, language));
    store.close().await;
    Ok(exit_status(broken == 0))
}

/// A project as a person names it: its code, then its id (the id alone when the projection row
/// is gone, which is itself worth seeing next to a verdict).
async fn project_name(store: &specflow_store::Store, project_id: Uuid) -> anyhow::Result<String> {
    Ok(match store.project_summary(project_id).await? {
        Some(summary) => format!("{} ({project_id})", summary.code),
        None => project_id.to_string(),
    })
}

/// The line for a chain that holds.
fn holds(name: &str, chain: &VerifiedChain, language: Language) -> String {
    language.pick(
        format!(
            "完好 {name}：{} 条记录，链头 {}",
            chain.records, chain.head_hash
        ),
        format!(
            "ok {name}: {} records, head {}",
            chain.records, chain.head_hash
        ),
    )
}

/// The line for a broken chain: the first bad record and what is wrong with it.
fn is_broken(name: &str, reason: &LocalizedText, language: Language) -> String {
    language.pick(
        format!("断裂 {name}：{}", reason.zh),
        format!("BROKEN {name}: {}", reason.en),
    )
}

/// The last line: how many chains were verified and how many are broken.
fn tally(verified: usize, broken: usize, language: Language) -> String {
    language.pick(
        format!("共核验 {verified} 个项目，{broken} 个断裂"),
        format!("verified {verified} project(s), {broken} broken"),
    )
}

fn exit_status(all_hold: bool) -> ExitCode {
    if all_hold {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn read_only() -> StoreOptions {
    StoreOptions {
        migrate: false,
        ..StoreOptions::default()
    }
}

async fn all_projects(store: &specflow_store::Store) -> anyhow::Result<Vec<Uuid>> {
    let mut projects = Vec::new();
    let mut after = None;
    loop {
        let page = store.project_ids_with_records(after, 1000).await?;
        let Some(last) = page.last().copied() else {
            break;
        };
        projects.extend(page);
        after = Some(last);
    }
    Ok(projects)
}

/// Verifies an exported file offline, one chain per project, streaming line by line.
fn verify_file(path: &std::path::Path, language: Language) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(path).map_err(|error| {
        anyhow::anyhow!(
            "{}",
            language.pick(
                format!("无法读取 {}：{error}", path.display()),
                format!("cannot read {}: {error}", path.display())
            )
        )
    })?;
    let mut verifiers: BTreeMap<Uuid, ChainVerifier> = BTreeMap::new();
    let mut broken: BTreeMap<Uuid, LocalizedText> = BTreeMap::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let place = format!("{}:{}", path.display(), index + 1);
        let record: AuditRecord = match serde_json::from_str(&line) {
            Ok(record) => record,
            Err(error) => {
                let reason = LocalizedText::new(
                    format!("不是审计记录：{error}"),
                    format!("not an audit record: {error}"),
                );
                eprintln!("{}", is_broken(&place, &reason, language));
                return Ok(ExitCode::FAILURE);
            }
        };
        if broken.contains_key(&record.project_id) {
            continue;
        }
        let verifier = verifiers.entry(record.project_id).or_default();
        if let Err(failure) = verifier.push(&record) {
            let message = failure.message();
            let line = index + 1;
            broken.insert(
                record.project_id,
                LocalizedText::new(
                    format!("第 {line} 行，{}", message.zh),
                    format!("line {line}: {}", message.en),
                ),
            );
        }
    }
    for (project_id, verifier) in verifiers {
        let name = project_id.to_string();
        match broken.get(&project_id) {
            Some(reason) => eprintln!("{}", is_broken(&name, reason, language)),
            None => println!("{}", holds(&name, &verifier.finish(), language)),
        }
    }
    Ok(exit_status(broken.is_empty()))
}
