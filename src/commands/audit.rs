//! `specflow audit verify|export`: proving the log, and handing it to an auditor.
//!
//! Verdicts are printed in the reader's language (Chinese by default), one line a chain, each
//! naming its kind (a project's or a committee's log): a chain that holds on standard output, a
//! broken one on standard error with its first bad record, and the tally last. A broken chain
//! never stops the run: every other chain is still proved. The exit status is 1 when any chain
//! is broken, so scripts need not read the words.
//!
//! With `--checkpoint`, the database's tree, or an export's transparency log lines (`--file`),
//! are checked against a checkpoint kept outside the database by one shared walk
//! (`specflow_store::tree_walk`), each fault printed as a broken line of its own.

use super::database::{open, runtime};
use crate::cli::AuditCommand;
use specflow_engine::audit::VerifyFailure;
use specflow_engine::stored_record::{
    ChainHead, RecordKind, StoredChainVerifier, StoredRecord, UnreadableLine,
};
use specflow_engine::text::{Language, LocalizedText};
use specflow_store::StoreOptions;
use specflow_store::log_lines::{ExportedLog, LogLine};
use specflow_store::log_verify::CheckpointVerification;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// Runs an `audit` subcommand.
pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify {
            project,
            file,
            checkpoint,
            log_verifier,
            witness_keys,
            language,
            database,
        } => {
            let language: Language = language.into();
            let against = match checkpoint {
                Some(path) => Some(read_checkpoint(
                    &path,
                    log_verifier.as_deref(),
                    &witness_keys,
                    language,
                )?),
                None => None,
            };
            match file {
                Some(file) => verify_file(&file, against.as_ref(), language),
                None => runtime()?.block_on(verify_database(&database, project, against, language)),
            }
        }
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

/// How many chains of each kind were verified, and how many are broken.
#[derive(Debug, Default)]
struct Tally {
    projects: usize,
    committees: usize,
    broken: usize,
}

impl Tally {
    fn count(&mut self, kind: RecordKind, holds: bool) {
        match kind {
            RecordKind::Project => self.projects += 1,
            RecordKind::Committee => self.committees += 1,
        }
        if !holds {
            self.broken += 1;
        }
    }

    /// The last line: how many chains of each kind were verified and how many are broken.
    fn line(&self, language: Language) -> String {
        let Tally {
            projects,
            committees,
            broken,
        } = self;
        language.pick(
            format!("共核验 {projects} 个项目、{committees} 个技术委员会，{broken} 个断裂"),
            format!(
                "verified {projects} project(s) and {committees} committee(s), {broken} broken"
            ),
        )
    }
}

/// Verifies one project's chain, or every chain in the database: every project's log, then
/// every committee's, each starting from the log (a log whose projection row is gone is still
/// a chain, and reported).
async fn verify_database(
    database: &crate::cli::DatabaseArgs,
    project: Option<String>,
    against: Option<AgainstCheckpoint>,
    language: Language,
) -> anyhow::Result<ExitCode> {
    let store = open(database, read_only()).await?;
    let mut tally = Tally::default();
    match project {
        Some(project) => {
            let project_id = store.resolve_project(&project).await?;
            verify_one(
                &store,
                RecordKind::Project,
                &project_id.to_string(),
                language,
                &mut tally,
            )
            .await?;
        }
        None => {
            for kind in [RecordKind::Project, RecordKind::Committee] {
                let mut after: Option<String> = None;
                loop {
                    let subjects = store
                        .chains_with_records(kind, after.as_deref(), 1000)
                        .await?;
                    let Some(last) = subjects.last().cloned() else {
                        break;
                    };
                    for subject in &subjects {
                        verify_one(&store, kind, subject, language, &mut tally).await?;
                    }
                    after = Some(last);
                }
            }
        }
    }
    println!("{}", tally.line(language));
    let tree_holds = match &against {
        Some(against) => verify_tree(&store, against, language).await?,
        None => true,
    };
    store.close().await;
    Ok(exit_status(tally.broken == 0 && tree_holds))
}

/// A checkpoint whose signatures held, with the log's key that signed it.
struct AgainstCheckpoint {
    checkpoint: specflow_tlog::checkpoint::Checkpoint,
    log: specflow_tlog::note::NoteVerifier,
}

/// A key given on the command line, or the first line of the file it names.
fn key_text(given: &str) -> String {
    match std::fs::read_to_string(given) {
        Ok(text) => text.lines().next().unwrap_or_default().trim().to_string(),
        Err(_) => given.trim().to_string(),
    }
}

/// Reads the checkpoint file and checks its signatures: the log's, and each witness's
/// cosignature asked for.
fn read_checkpoint(
    path: &std::path::Path,
    log_verifier: Option<&str>,
    witness_keys: &[String],
    language: Language,
) -> anyhow::Result<AgainstCheckpoint> {
    let refuse = |text: LocalizedText| anyhow::anyhow!("{}", text.get(language));
    let log = specflow_tlog::note::NoteVerifier::parse(&key_text(log_verifier.unwrap_or_default()))
        .map_err(|error| {
            refuse(LocalizedText::new(
                format!("--log-verifier 不是日志的验证密钥：{error}"),
                format!("--log-verifier is not a log verifier key: {error}"),
            ))
        })?;
    let witnesses = witness_keys
        .iter()
        .map(|key| {
            specflow_tlog::cosignature::CosignatureVerifier::parse(&key_text(key)).map_err(
                |error| {
                    refuse(LocalizedText::new(
                        format!("--witness-key {key} 不是见证方的验证密钥：{error}"),
                        format!("--witness-key {key} is not a witness verifier key: {error}"),
                    ))
                },
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let note = std::fs::read_to_string(path).map_err(|error| {
        refuse(LocalizedText::new(
            format!("无法读取检查点 {}：{error}", path.display()),
            format!("cannot read the checkpoint {}: {error}", path.display()),
        ))
    })?;
    let checkpoint =
        specflow_store::log_verify::open_checkpoint(&note, &log, &witnesses).map_err(|reason| {
            refuse(LocalizedText::new(
                format!("{}：{}", path.display(), reason.zh),
                format!("{}: {}", path.display(), reason.en),
            ))
        })?;
    Ok(AgainstCheckpoint { checkpoint, log })
}

/// Checks the database's tree against the checkpoint and prints what it found; whether it holds.
async fn verify_tree(
    store: &specflow_store::Store,
    against: &AgainstCheckpoint,
    language: Language,
) -> anyhow::Result<bool> {
    let verification = store
        .verify_against_checkpoint(&against.checkpoint, &against.log)
        .await?;
    let checked = LocalizedText::new("数据库", "the database");
    Ok(print_tree_verdict(
        &verification,
        against,
        &checked,
        language,
    ))
}

/// Prints each fault the tree's check found, or that it holds; whether it holds.
fn print_tree_verdict(
    verification: &CheckpointVerification,
    against: &AgainstCheckpoint,
    checked: &LocalizedText,
    language: Language,
) -> bool {
    let origin = &against.checkpoint.origin;
    let size = verification.checkpoint_size;
    for fault in &verification.faults {
        eprintln!(
            "{}",
            language.pick(
                format!("断裂 透明日志：{}", fault.describe().zh),
                format!("BROKEN transparency log: {}", fault.describe().en),
            )
        );
    }
    let (tree, pending) = (verification.tree_size, verification.pending);
    if verification.holds() {
        println!(
            "{}",
            language.pick(
                format!("完好 透明日志 {origin}：{}与大小为 {size} 的检查点相符，树现有 {tree} 条记录，{pending} 条待并入", checked.zh),
                format!("ok transparency log {origin}: {} agrees with the checkpoint of size {size}; the tree holds {tree} records, {pending} waiting", checked.en),
            )
        );
    }
    verification.holds()
}

/// Verifies one chain in the database and prints its verdict.
async fn verify_one(
    store: &specflow_store::Store,
    kind: RecordKind,
    subject: &str,
    language: Language,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let name = chain_name(store, kind, subject).await?;
    let verdict = store.verify_chain(kind, subject).await?;
    tally.count(kind, verdict.is_ok());
    print_verdict(
        &name,
        &verdict.map_err(|failure| failure.message()),
        language,
    );
    Ok(())
}

/// A chain as a person names it: its kind, its code, then its id (the id alone when the
/// projection row is gone, which is itself worth seeing next to a verdict).
async fn chain_name(
    store: &specflow_store::Store,
    kind: RecordKind,
    subject: &str,
) -> anyhow::Result<LocalizedText> {
    let words = kind.name();
    Ok(match store.chain_code(kind, subject).await? {
        Some(code) => LocalizedText::new(
            format!("{} {code} ({subject})", words.zh),
            format!("{} {code} ({subject})", words.en),
        ),
        None => LocalizedText::new(
            format!("{} {subject}", words.zh),
            format!("{} {subject}", words.en),
        ),
    })
}

/// Prints a chain's verdict: a chain that holds on standard output, a broken one on standard
/// error.
fn print_verdict(
    name: &LocalizedText,
    verdict: &Result<ChainHead, LocalizedText>,
    language: Language,
) {
    match verdict {
        Ok(chain) => println!("{}", holds(name, chain, language)),
        Err(reason) => eprintln!("{}", is_broken(name, reason, language)),
    }
}

/// The line for a chain that holds.
fn holds(name: &LocalizedText, chain: &ChainHead, language: Language) -> String {
    language.pick(
        format!(
            "完好 {}：{} 条记录，链头 {}",
            name.zh, chain.records, chain.head_hash
        ),
        format!(
            "ok {}: {} records, head {}",
            name.en, chain.records, chain.head_hash
        ),
    )
}

/// The line for a broken chain: the first bad record and what is wrong with it.
fn is_broken(name: &LocalizedText, reason: &LocalizedText, language: Language) -> String {
    language.pick(
        format!("断裂 {}：{}", name.zh, reason.zh),
        format!("BROKEN {}: {}", name.en, reason.en),
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

/// One chain of an export file as it is read: its verifier, or why it broke.
enum FileChain {
    Reading(StoredChainVerifier),
    Broken(LocalizedText),
}

/// An export file as it is read: each chain, the lines that are no record, and the
/// transparency log's lines.
#[derive(Default)]
struct FileReading {
    chains: BTreeMap<(RecordKind, String), FileChain>,
    tally: Tally,
    /// What the tree's check needs, kept only when there is a checkpoint to check against, so
    /// that verifying the chains alone still streams.
    log: Option<ExportedLog>,
    leaves: u64,
    checkpoints: u64,
}

impl FileReading {
    /// Reads one non-empty line; a line that is neither a record nor a log line is reported.
    fn line(&mut self, place: &str, line_number: usize, line: &str, language: Language) {
        if LogLine::is_log_line(line) {
            match LogLine::from_json_line(line) {
                Ok(log_line) => {
                    match &log_line {
                        LogLine::LogLeaf(_) => self.leaves += 1,
                        LogLine::LogCheckpoint(_) => self.checkpoints += 1,
                        LogLine::LogPending(_) => {}
                    }
                    if let Some(log) = &mut self.log {
                        log.log_line(log_line);
                    }
                }
                Err(reason) => self.not_a_record(place, line_number, &reason, language),
            }
            return;
        }
        match StoredRecord::from_json_line(line) {
            Ok(stored) => {
                if let Some(log) = &mut self.log {
                    log.record(&stored);
                }
                let (kind, subject) = stored.chain();
                let chain = self
                    .chains
                    .entry((kind, subject.to_string()))
                    .or_insert_with(|| FileChain::Reading(StoredChainVerifier::new(kind)));
                if let FileChain::Reading(verifier) = chain
                    && let Err(failure) = verifier.push(&stored)
                {
                    *chain = FileChain::Broken(at_line(line_number, &failure));
                }
            }
            Err(unreadable) => {
                let reason = unreadable_line(line_number, &unreadable);
                match unreadable.chain {
                    Some(key) => {
                        let chain = self
                            .chains
                            .entry(key)
                            .or_insert_with(|| FileChain::Broken(reason.clone()));
                        if let FileChain::Reading(_) = chain {
                            *chain = FileChain::Broken(reason);
                        }
                    }
                    None => self.not_a_record(place, line_number, &reason, language),
                }
            }
        }
    }

    /// A line that belongs to no chain: reported at once, and counted broken.
    fn not_a_record(
        &mut self,
        place: &str,
        line_number: usize,
        reason: &LocalizedText,
        language: Language,
    ) {
        self.tally.broken += 1;
        let place = format!("{place}:{line_number}");
        eprintln!(
            "{}",
            is_broken(&LocalizedText::new(place.clone(), place), reason, language)
        );
    }

    /// Prints every chain's verdict and the tally.
    fn print_chains(&mut self, language: Language) {
        for ((kind, subject), chain) in std::mem::take(&mut self.chains) {
            let name = kind.name();
            let name = LocalizedText::new(
                format!("{} {subject}", name.zh),
                format!("{} {subject}", name.en),
            );
            let verdict = match chain {
                FileChain::Reading(verifier) => Ok(verifier.finish()),
                FileChain::Broken(reason) => Err(reason),
            };
            self.tally.count(kind, verdict.is_ok());
            print_verdict(&name, &verdict, language);
        }
        println!("{}", self.tally.line(language));
    }
}

/// Verifies an exported file offline, streaming line by line: every chain, project's and
/// committee's, in the order its records appear in the file (a chain's records must come in
/// sequence order; chains may interleave). A line that is no record is reported and the run
/// goes on. With a checkpoint, the file's transparency log lines are checked against it as the
/// database's tree would be.
fn verify_file(
    path: &std::path::Path,
    against: Option<&AgainstCheckpoint>,
    language: Language,
) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(path).map_err(|error| {
        anyhow::anyhow!(
            "{}",
            language.pick(
                format!("无法读取 {}：{error}", path.display()),
                format!("cannot read {}: {error}", path.display())
            )
        )
    })?;
    let place = path.display().to_string();
    let mut reading = FileReading {
        log: against.map(|_| ExportedLog::default()),
        ..FileReading::default()
    };
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        reading.line(&place, index + 1, &line, language);
    }
    reading.print_chains(language);
    let tree_holds = match (against, &reading.log) {
        (Some(against), Some(log)) => {
            let verification = log.verify(&against.checkpoint, &against.log);
            let checked = LocalizedText::new("导出文件", "the export");
            print_tree_verdict(&verification, against, &checked, language)
        }
        _ => {
            let (leaves, checkpoints) = (reading.leaves, reading.checkpoints);
            if leaves + checkpoints > 0 {
                println!(
                    "{}",
                    language.pick(
                        format!("文件带有透明日志：{leaves} 个叶子、{checkpoints} 个检查点（给出 --checkpoint 和 --log-verifier 即可核验）"),
                        format!("the file carries the transparency log: {leaves} leaf(s), {checkpoints} checkpoint(s) (give --checkpoint and --log-verifier to check them)"),
                    )
                );
            }
            true
        }
    };
    Ok(exit_status(reading.tally.broken == 0 && tree_holds))
}

/// A chain's first bad record, with the line of the file it is on.
fn at_line(line: usize, failure: &VerifyFailure) -> LocalizedText {
    let message = failure.message();
    LocalizedText::new(
        format!("第 {line} 行，{}", message.zh),
        format!("line {line}: {}", message.en),
    )
}

/// A line that is not a record, with its line and the record it names, if any.
fn unreadable_line(line: usize, unreadable: &UnreadableLine) -> LocalizedText {
    let reason = &unreadable.reason;
    match unreadable.sequence {
        Some(sequence) => LocalizedText::new(
            format!(
                "第 {line} 行，第 {sequence} 条记录：不是规范的审计记录，{}",
                reason.zh
            ),
            format!(
                "line {line}: record {sequence}: not a canonical audit record, {}",
                reason.en
            ),
        ),
        None => LocalizedText::new(
            format!("第 {line} 行：不是审计记录，{}", reason.zh),
            format!("line {line}: not an audit record, {}", reason.en),
        ),
    }
}
