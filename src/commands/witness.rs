//! `specflow witness key generate` and `specflow witness serve`: reading the witness's key, the
//! logs' keys and its state directory, then serving `crate::witness` on a listener bounded like
//! `specflow serve`'s.

use super::database::runtime;
use super::listener::{ConnectionLimits, serve};
use super::log::{random_seed, write_private_key};
use super::schedule::{init_logging, stop_requested};
use crate::cli::{WitnessCommand, WitnessKeyCommand};
use crate::witness::server::{Witness, router};
use crate::witness::state::StateDirectory;
use anyhow::Context;
use specflow_tlog::cosignature::CosignatureSigner;
use specflow_tlog::note::NoteVerifier;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Runs a `specflow witness` subcommand.
pub fn run(command: WitnessCommand) -> anyhow::Result<ExitCode> {
    match command {
        WitnessCommand::Key(WitnessKeyCommand::Generate { name, out }) => generate(&name, &out),
        WitnessCommand::Serve {
            key,
            logs,
            state,
            listen,
        } => serve_witness(&key, &logs, &state, listen),
    }
}

/// Makes a cosigning key from the operating system's randomness, its private half in `out`.
fn generate(name: &str, out: &Path) -> anyhow::Result<ExitCode> {
    let signer = CosignatureSigner::from_seed(name, &random_seed()?).map_err(|error| {
        anyhow::anyhow!(
            "见证方名称 {name:?} 不可用作密钥名称（不能为空，不能含空格或 +）：{error}\n\
             {name:?} cannot name a key (it must be non-empty, without spaces or +): {error}"
        )
    })?;
    write_private_key(out, &signer.private_key_string())?;
    println!("{}", signer.verifier());
    eprintln!(
        "私钥已写入 {}（仅所有者可读）；上面一行是见证方验证密钥，交给日志运营方以 --witness URL=密钥 配置。\n\
         The private key is in {} (owner-only); the line above is the witness's verifier key, for the log's operator to add as --witness URL=KEY.",
        out.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The witness's key from its file: a clear error when it is missing or not a witness key.
fn load_signer(path: &Path) -> anyhow::Result<CosignatureSigner> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "无法读取见证方密钥 / cannot read the witness key {}",
            path.display()
        )
    })?;
    CosignatureSigner::from_private_key(text.trim()).map_err(|error| {
        anyhow::anyhow!(
            "{} 不是见证方私钥（应由 specflow witness key generate 生成）/ is not a witness private key (specflow witness key generate writes one): {error}",
            path.display()
        )
    })
}

/// The logs' verifier keys of `--log`.
fn parse_log_keys(logs: &[String]) -> anyhow::Result<Vec<NoteVerifier>> {
    logs.iter()
        .map(|text| {
            NoteVerifier::parse(text.trim()).map_err(|error| {
                anyhow::anyhow!(
                    "--log {text:?} 不是日志验证密钥（specflow log key generate 打印的那一行）/ is not a log verifier key (the line specflow log key generate printed): {error}"
                )
            })
        })
        .collect()
}

/// The system clock in POSIX seconds, the time each cosignature states.
fn system_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// What one client may hold of the witness: its requests are small and quick.
const WITNESS_LIMITS: ConnectionLimits = ConnectionLimits {
    header_read_timeout: Duration::from_secs(10),
    keep_alive_timeout: Duration::from_secs(5),
    body_read_timeout: Duration::from_secs(10),
    max_connections: 256,
    shutdown_grace: Duration::from_secs(5),
};

/// Serves the witness until Ctrl-C or SIGTERM; the first line of standard output says where.
fn serve_witness(
    key: &Path,
    logs: &[String],
    state: &Path,
    listen: SocketAddr,
) -> anyhow::Result<ExitCode> {
    init_logging();
    let signer = load_signer(key)?;
    let log_keys = parse_log_keys(logs)?;
    let directory = StateDirectory::open(state).map_err(|error| {
        // The error names the directory and the reason in English already.
        anyhow::anyhow!("见证方状态目录不可用：{error}")
    })?;
    let verifier = signer.verifier();
    let witness = Witness::load(signer, log_keys, directory, Box::new(system_seconds))
        .map_err(|error| anyhow::anyhow!("见证方状态无法读取：{error}"))?;
    runtime()?.block_on(async {
        for (origin, size) in witness.sizes().await {
            tracing::info!(%origin, size, "witnessing a log");
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {listen}: {error}"))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, %verifier, "the witness is serving");
        println!("specflow witness is serving on http://{address}");
        eprintln!("见证方验证密钥 / witness verifier key: {verifier}");
        serve(
            listener,
            router(Arc::new(witness)),
            WITNESS_LIMITS,
            stop_requested(),
        )
        .await;
        tracing::info!("the witness stopped");
        Ok(ExitCode::SUCCESS)
    })
}
