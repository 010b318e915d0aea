//! `specflow audit verify|export`: proving the log, and handing it to an auditor.

use super::database::{open, runtime};
use crate::cli::AuditCommand;
use specflow_engine::audit::{AuditRecord, ChainVerifier};
use specflow_store::StoreOptions;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use uuid::Uuid;

/// Runs an `audit` subcommand.
pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify {
            file: Some(file), ..
        } => verify_file(&file),
        AuditCommand::Verify {
            project,
            file: None,
            database,
        } => runtime()?.block_on(async {
            let store = open(&database, read_only()).await?;
            let projects = match project {
                Some(project) => vec![store.resolve_project(&project).await?],
                None => all_projects(&store).await?,
            };
            let mut broken = 0usize;
            for project_id in &projects {
                match store.verify_project(*project_id).await? {
                    Ok(chain) => println!(
                        "ok {project_id}: {} records, head {}",
                        chain.records, chain.head_hash
                    ),
                    Err(failure) => {
                        broken += 1;
                        eprintln!("BROKEN {project_id}: {failure}");
                    }
                }
            }
            println!("verified {} project(s), {broken} broken", projects.len());
            store.close().await;
            Ok(if broken == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }),
        AuditCommand::Export { project, database } => runtime()?.block_on(async {
            let store = open(&database, read_only()).await?;
            let project = match project {
                Some(project) => Some(store.resolve_project(&project).await?),
                None => None,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout);
            let count = store.export_jsonl(project, &mut out).await?;
            out.flush()?;
            eprintln!("exported {count} records");
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }),
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
fn verify_file(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
    let mut verifiers: BTreeMap<Uuid, ChainVerifier> = BTreeMap::new();
    let mut broken: BTreeMap<Uuid, String> = BTreeMap::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let record: AuditRecord = match serde_json::from_str(&line) {
            Ok(record) => record,
            Err(error) => {
                eprintln!(
                    "BROKEN {}:{}: not an audit record: {error}",
                    path.display(),
                    index + 1
                );
                return Ok(ExitCode::FAILURE);
            }
        };
        if broken.contains_key(&record.project_id) {
            continue;
        }
        let verifier = verifiers.entry(record.project_id).or_default();
        if let Err(failure) = verifier.push(&record) {
            broken.insert(record.project_id, format!("line {}: {failure}", index + 1));
        }
    }
    for (project_id, verifier) in verifiers {
        match broken.get(&project_id) {
            Some(reason) => eprintln!("BROKEN {project_id}: {reason}"),
            None => {
                let chain = verifier.finish();
                println!(
                    "ok {project_id}: {} records, head {}",
                    chain.records, chain.head_hash
                );
            }
        }
    }
    Ok(if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
