//! `specflow log key generate` and `specflow log checkpoint`, and reading the log's key file for
//! the processes that write records (`--log-key`) and the witnesses they send checkpoints to
//! (`--witness`).

use super::database::{open, runtime};
use crate::cli::{LogArgs, LogCommand, LogKeyCommand};
use anyhow::Context;
use specflow_jobs::WitnessEndpoint;
use specflow_store::StoreOptions;
use specflow_store::transparency::LogKey;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Runs a `specflow log` subcommand.
pub fn run(command: LogCommand) -> anyhow::Result<ExitCode> {
    match command {
        LogCommand::Key(LogKeyCommand::Generate { name, out }) => generate(&name, &out),
        LogCommand::Checkpoint { database } => runtime()?.block_on(async {
            let store = open(
                &database,
                StoreOptions {
                    migrate: false,
                    ..StoreOptions::default()
                },
            )
            .await?;
            let checkpoint = store.latest_checkpoint().await?;
            store.close().await;
            match checkpoint {
                Some(checkpoint) => {
                    print!("{}", checkpoint.cosigned_note());
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!(
                        "尚无签名检查点：以 --log-key 运行 specflow serve 或 specflow scheduler 后才会签发。\n\
                         No checkpoint has been signed yet: run specflow serve or specflow scheduler with --log-key."
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }),
    }
}

/// Makes a key from the operating system's randomness and writes its private half to `out`,
/// readable by its owner only and never over an existing file.
fn generate(name: &str, out: &Path) -> anyhow::Result<ExitCode> {
    let key = write_new_key(name, out)?;
    println!("{}", key.verifier());
    eprintln!(
        "私钥已写入 {}（仅所有者可读）；上面一行是验证密钥，可公开给见证方和审计方。\n\
         The private key is in {} (owner-only); the line above is the verifier key, for witnesses and auditors.",
        out.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A new key named `name`, its private key string written to `out` (mode 0600, never over an
/// existing file, synced).
pub fn write_new_key(name: &str, out: &Path) -> anyhow::Result<LogKey> {
    let key = LogKey::from_seed(name, &random_seed()?).map_err(|error| {
        anyhow::anyhow!(
            "日志名称 {name:?} 不可用作密钥名称（不能为空，不能含空格或 +）：{error}\n\
             {name:?} cannot name a key (it must be non-empty, without spaces or +): {error}"
        )
    })?;
    write_private_key(out, &key.private_key_string())?;
    Ok(key)
}

/// 32 bytes from the operating system's randomness, a new key's seed.
pub fn random_seed() -> anyhow::Result<[u8; 32]> {
    let mut seed = [0_u8; 32];
    getrandom::fill(&mut seed).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    Ok(seed)
}

/// Writes a private key string to `out`, readable by its owner only, never over an existing
/// file, and synced before it is announced.
pub fn write_private_key(out: &Path, private_key: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(out).with_context(|| {
        format!(
            "无法写入 {}（已存在的文件不会被覆盖）/ cannot write {} (an existing file is never overwritten)",
            out.display(),
            out.display()
        )
    })?;
    writeln!(file, "{private_key}")?;
    file.sync_all()?;
    Ok(())
}

/// The log's key from `--log-key FILE`, if given: a clear error when the file is missing,
/// unreadable or not a key.
pub fn load_key(args: &LogArgs) -> anyhow::Result<Option<Arc<LogKey>>> {
    let Some(path) = &args.log_key else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "无法读取日志密钥 / cannot read the log key {}",
            path.display()
        )
    })?;
    let key = LogKey::from_private_key(&text).map_err(|error| {
        anyhow::anyhow!(
            "{} 不是日志私钥（应由 specflow log key generate 生成）/ is not a log private key (specflow log key generate writes one): {error}",
            path.display()
        )
    })?;
    Ok(Some(Arc::new(key)))
}

/// The witnesses of `--witness URL=VERIFIER_KEY`, each named by its key: a clear error for a
/// malformed one or two of the same name.
pub fn load_witnesses(args: &LogArgs) -> anyhow::Result<Vec<WitnessEndpoint>> {
    let mut witnesses: Vec<WitnessEndpoint> = Vec::new();
    for setting in &args.witnesses {
        let witness = WitnessEndpoint::parse(setting).map_err(|error| {
            anyhow::anyhow!(
                "见证方设置 {setting:?} 无效（应为 URL=验证密钥）/ the witness {setting:?} is not URL=VERIFIER_KEY: {error}"
            )
        })?;
        if witnesses.iter().any(|known| known.name() == witness.name()) {
            anyhow::bail!(
                "两个见证方同名 {0} / two witnesses are named {0}",
                witness.name()
            );
        }
        witnesses.push(witness);
    }
    Ok(witnesses)
}

/// Starts the transparency log's sequencer when the process holds the log's key, with a task
/// per witness sending it each checkpoint, and says on start when it does not (no record is
/// authenticated and no checkpoint signed).
pub fn spawn_sequencer(
    store: &specflow_store::Store,
    key: Option<Arc<LogKey>>,
    witnesses: Vec<WitnessEndpoint>,
    node: String,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(key) = key else {
        if !witnesses.is_empty() {
            tracing::warn!(
                "witnesses are configured but no log key: there is nothing for them to cosign"
            );
        }
        tracing::warn!(
            "no transparency log key (--log-key): records are not authenticated and no checkpoint is signed"
        );
        eprintln!(
            "未配置透明日志密钥（--log-key）：不签发检查点。No transparency log key (--log-key): no checkpoints are signed."
        );
        return Ok(None);
    };
    tracing::info!(origin = %key.origin(), verifier = %key.verifier(), "transparency log key loaded");
    let options = specflow_jobs::SequencerOptions {
        node,
        ..specflow_jobs::SequencerOptions::default()
    };
    let sequencer = specflow_jobs::Sequencer::new(store.clone(), key, options);
    let witnessing = specflow_jobs::spawn_witnesses(
        store,
        witnesses,
        &specflow_jobs::WitnessOptions::default(),
        &sequencer.signed_checkpoints(),
        &shutdown,
    )?;
    Ok(Some(tokio::spawn(async move {
        sequencer.run(shutdown).await;
        for witness in witnessing {
            let _ = witness.await;
        }
    })))
}
