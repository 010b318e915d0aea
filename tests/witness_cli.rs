//! `specflow witness`, run as its operator would (issue 18, "Witnesses"): a real witness
//! process cosigns checkpoints that extend the last one it cosigned, refuses forks, rollbacks,
//! bad proofs, unknown logs and forged signatures with C2SP tlog-witness's status codes, and keeps
//! its state across a SIGKILL; `specflow serve --witness` gets its checkpoints cosigned by it.

use specflow_tlog::cosignature::CosignatureVerifier;
use specflow_tlog::note::{
    Note, NoteSigner, NoteVerifier, SignatureVerifier, open_note, sign_note,
};
use specflow_tlog::tree::MemoryTree;
use specflow_tlog::witness::{AddCheckpointRequest, parse_cosignature_response};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ORIGIN: &str = "specflow.test/log";

fn specflow(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Generates a witness key in `folder`: its file and its verifier key.
fn witness_key(folder: &Path, name: &str) -> (PathBuf, String) {
    let file = folder.join("witness.key");
    let output = specflow(&[
        "witness",
        "key",
        "generate",
        "--name",
        name,
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    (file, text(&output.stdout).trim().to_string())
}

/// A running process, killed when dropped; its standard error goes to a file read on failure.
struct Running {
    child: Child,
    address: String,
    log: PathBuf,
}

impl Running {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the process at once, as a power cut would.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `specflow <arguments>` with the environment `variables` and reads the address from
/// its first line, which must start with `prefix`.
fn start(arguments: &[&str], variables: &[(&str, &str)], prefix: &str, log: PathBuf) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .envs(variables.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let Some(address) = first_line.trim().strip_prefix(prefix) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "unexpected first line {first_line:?}; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    };
    Running {
        address: address.to_string(),
        child,
        log,
    }
}

/// Starts a witness of the log keys `logs` on a free port, its state in `state`.
fn start_witness(key: &Path, logs: &[String], state: &Path, log: PathBuf) -> Running {
    let mut arguments = vec![
        "witness".to_string(),
        "serve".to_string(),
        "--key".to_string(),
        key.display().to_string(),
        "--state".to_string(),
        state.display().to_string(),
        "--listen".to_string(),
        "127.0.0.1:0".to_string(),
    ];
    for log_key in logs {
        arguments.push("--log".to_string());
        arguments.push(log_key.clone());
    }
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    start(
        &arguments,
        &[],
        "specflow witness is serving on http://",
        log,
    )
}

/// An HTTP answer: status, content type and body.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

/// Posts `body` to `address`'s `/add-checkpoint`.
fn add_checkpoint(address: &str, body: &str) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /add-checkpoint HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        body: body.to_string(),
    }
}

fn log_signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &[9; 32]).unwrap()
}

/// A tree of `count` records, `prefix 0` to `prefix count-1`.
fn tree_of(prefix: &str, count: u64) -> MemoryTree {
    MemoryTree::from_leaves((0..count).map(|leaf| format!("{prefix} {leaf}"))).unwrap()
}

/// The checkpoint of `tree` at `size`, signed by `signer`.
fn signed_checkpoint(tree: &MemoryTree, size: u64, signer: &NoteSigner) -> String {
    let root = tree.root_at(size).unwrap();
    let text = format!("{}\n{size}\n{}\n", signer.name(), root.to_base64());
    sign_note(&text, signer).unwrap()
}

/// The `add-checkpoint` body for `tree` at `size` with a proof from `old`.
fn request(tree: &MemoryTree, size: u64, old: u64, signer: &NoteSigner) -> String {
    let proof = if old == 0 {
        Vec::new()
    } else {
        tree.prove_tree(size, old).unwrap()
    };
    AddCheckpointRequest::new(old, proof, &signed_checkpoint(tree, size, signer))
        .unwrap()
        .to_body()
}

/// Checks a 200 answer is the witness's valid cosignature of `tree` at `size`.
fn assert_cosigned(answer: &Answer, tree: &MemoryTree, size: u64, witness: &CosignatureVerifier) {
    assert_eq!(answer.status, 200, "{answer:?}");
    let signatures = parse_cosignature_response(answer.body.as_bytes()).unwrap();
    assert_eq!(signatures.len(), 1, "{answer:?}");
    let checkpoint = Note::parse(&signed_checkpoint(tree, size, &log_signer()))
        .unwrap()
        .text;
    witness
        .verify_cosignature(&checkpoint, &signatures[0])
        .unwrap();
}

#[test]
fn a_real_witness_cosigns_extensions_refuses_forks_and_rollbacks_and_keeps_its_state_across_a_kill()
{
    let folder = tempfile::tempdir().unwrap();
    let (key, verifier) = witness_key(folder.path(), "witness.test/w1");
    let witness_verifier = CosignatureVerifier::parse(&verifier).unwrap();
    let log_key = log_signer().verifier().to_string();
    let state = folder.path().join("state");
    let witness = start_witness(
        &key,
        std::slice::from_ref(&log_key),
        &state,
        folder.path().join("witness-1.log"),
    );
    let address = witness.address.clone();
    let tree = tree_of("record", 12);
    let signer = log_signer();

    // The first checkpoint is taken on trust (old 0), the next with its consistency proof.
    let first = add_checkpoint(&address, &request(&tree, 3, 0, &signer));
    assert_cosigned(&first, &tree, 3, &witness_verifier);
    let second = add_checkpoint(&address, &request(&tree, 7, 3, &signer));
    assert_cosigned(&second, &tree, 7, &witness_verifier);

    // A fork: the size cosigned with another root.
    let forked = tree_of("forged", 12);
    let fork = add_checkpoint(&address, &request(&forked, 7, 7, &signer));
    assert_eq!(fork.status, 409, "{fork:?}");
    assert!(
        !fork.content_type.starts_with("text/x.tlog.size"),
        "{fork:?}"
    );
    // A rollback: a smaller tree, from a size the witness has moved past.
    let rollback = add_checkpoint(&address, &request(&tree, 5, 3, &signer));
    assert_eq!(rollback.status, 409, "{rollback:?}");
    assert_eq!(rollback.content_type, "text/x.tlog.size");
    assert_eq!(rollback.body, "7\n");
    // A proof that proves nothing: the forged tree's, from the size cosigned.
    let bad_proof = add_checkpoint(&address, &request(&forked, 9, 7, &signer));
    assert_eq!(bad_proof.status, 422, "{bad_proof:?}");
    // A log the witness does not know, and the known log's name under a forged key.
    let stranger = NoteSigner::from_seed("stranger.test/log", &[9; 32]).unwrap();
    let unknown = add_checkpoint(&address, &request(&tree, 9, 7, &stranger));
    assert_eq!(unknown.status, 404, "{unknown:?}");
    let impostor = NoteSigner::from_seed(ORIGIN, &[10; 32]).unwrap();
    let forged_signature = add_checkpoint(&address, &request(&tree, 9, 7, &impostor));
    assert_eq!(forged_signature.status, 403, "{forged_signature:?}");
    assert!(
        state.join("specflow.test%2Flog.checkpoint").exists(),
        "{}",
        witness.log()
    );

    // Killed at once and started again on the same state, it still holds size 7 and its root.
    witness.kill();
    let witness = start_witness(
        &key,
        &[log_key],
        &state,
        folder.path().join("witness-2.log"),
    );
    let address = witness.address.clone();
    let fork = add_checkpoint(&address, &request(&forked, 7, 7, &signer));
    assert_eq!(fork.status, 409, "{fork:?} {}", witness.log());
    assert!(
        !fork.content_type.starts_with("text/x.tlog.size"),
        "{fork:?}"
    );
    let forgotten = add_checkpoint(&address, &request(&tree, 9, 0, &signer));
    assert_eq!(forgotten.status, 409, "{forgotten:?}");
    assert_eq!(forgotten.content_type, "text/x.tlog.size");
    assert_eq!(forgotten.body, "7\n");
    let third = add_checkpoint(&address, &request(&tree, 12, 7, &signer));
    assert_cosigned(&third, &tree, 12, &witness_verifier);

    // SIGTERM stops it cleanly.
    let mut witness = witness;
    let stopped = Command::new("kill")
        .args(["-TERM", &witness.child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = witness.child.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", witness.log());
}

/// Runs `specflow <arguments>` expecting it to stop by itself within 20 s; its output.
fn run_to_the_end(arguments: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "specflow {arguments:?} still runs after 20 s: {}",
                text(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_second_witness_on_the_same_state_directory_is_refused_until_the_first_is_gone() {
    let folder = tempfile::tempdir().unwrap();
    let (key, _) = witness_key(folder.path(), "witness.test/w1");
    let log_key = log_signer().verifier().to_string();
    let state = folder.path().join("state");
    let first = start_witness(
        &key,
        std::slice::from_ref(&log_key),
        &state,
        folder.path().join("witness-1.log"),
    );
    let second = run_to_the_end(&[
        "witness",
        "serve",
        "--key",
        key.to_str().unwrap(),
        "--log",
        &log_key,
        "--state",
        state.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let error = text(&second.stderr);
    assert!(!second.status.success(), "{error}");
    assert!(
        error.contains(state.to_str().unwrap()) && error.contains("in use by another witness"),
        "{error}"
    );
    // Killed, the first lets the directory go, and a witness starts on it again.
    first.kill();
    let again = start_witness(
        &key,
        std::slice::from_ref(&log_key),
        &state,
        folder.path().join("witness-2.log"),
    );
    again.kill();
}

#[test]
fn a_witness_key_is_owner_only_never_overwritten_and_a_wrong_key_file_is_named() {
    let folder = tempfile::tempdir().unwrap();
    let (key, verifier) = witness_key(folder.path(), "witness.test/w1");
    assert!(verifier.starts_with("witness.test/w1+"), "{verifier}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = specflow(&[
        "witness",
        "key",
        "generate",
        "--name",
        "witness.test/w2",
        "--out",
        key.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("never overwritten"),
        "{}",
        text(&again.stderr)
    );
    // A log's key is not a witness's key: the witness says so before it listens.
    let log_key_file = folder.path().join("log.key");
    std::fs::write(&log_key_file, log_signer().private_key_string()).unwrap();
    let state = folder.path().join("state");
    let wrong = specflow(&[
        "witness",
        "serve",
        "--key",
        log_key_file.to_str().unwrap(),
        "--log",
        &log_signer().verifier().to_string(),
        "--state",
        state.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!wrong.status.success());
    let stderr = text(&wrong.stderr);
    assert!(stderr.contains("is not a witness private key"), "{stderr}");
    assert!(stderr.contains("不是见证方私钥"), "{stderr}");
}

/// Writes a committee's first record through the store, before the log has a key (the log's
/// first checkpoint adopts it).
fn database_with_a_record(database: &str) {
    use specflow_engine::committee::CommitteeCommand;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = specflow_store::Store::open(database, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        let committee = specflow_store::committee_id_of("SH-TC-01");
        let form = CommitteeCommand::Form {
            committee_id: committee,
            code: "SH-TC-01".to_string(),
            name: specflow_engine::LocalizedText::new(
                "上海市长度计量技术委员会",
                "Shanghai Length Committee",
            ),
            field: "length".into(),
            legal_metrology: false,
            composition_plan: "沪市监计量〔2026〕1号".into(),
            formed_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        };
        store
            .execute_committee(specflow_store::CommitteeCommandRequest {
                committee_id: committee,
                command_id: uuid::Uuid::new_v4(),
                expected_sequence: None,
                actor: specflow_engine::Actor::new("bureau-li", "supervisor"),
                command: form,
            })
            .await
            .unwrap();
        store.close().await;
    });
}

#[test]
fn serve_with_a_witness_serves_checkpoints_the_witness_cosigned() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    database_with_a_record(&database);
    let log_key_file = folder.path().join("log.key");
    let generated = specflow(&[
        "log",
        "key",
        "generate",
        "--name",
        ORIGIN,
        "--out",
        log_key_file.to_str().unwrap(),
    ]);
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let log_verifier = text(&generated.stdout).trim().to_string();
    let (witness_key_file, witness_vkey) = witness_key(folder.path(), "witness.test/w1");
    let witness = start_witness(
        &witness_key_file,
        std::slice::from_ref(&log_verifier),
        &folder.path().join("state"),
        folder.path().join("witness.log"),
    );
    let witness_setting = format!("http://{}={witness_vkey}", witness.address);
    // A second witness takes connections and never answers: it must hold up nothing but its
    // own cosignature (the first witness's arrives long before its 5 s timeout).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_key =
        specflow_tlog::cosignature::CosignatureSigner::from_seed("witness.test/silent", &[5; 32])
            .unwrap()
            .verifier();
    let witnesses = format!(
        "{witness_setting},http://{}={silent_key}",
        silent.local_addr().unwrap()
    );
    let server = start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
            "--database",
            &database,
            "--log-key",
            log_key_file.to_str().unwrap(),
        ],
        // The variable's comma-separated form, as a deployment would set it.
        &[("SPECFLOW_WITNESSES", &witnesses)],
        "specflow is serving on http://",
        folder.path().join("serve.log"),
    );
    let witness_verifier = CosignatureVerifier::parse(&witness_vkey).unwrap();
    let started = Instant::now();
    let note = loop {
        let checkpoint = specflow(&["log", "checkpoint", "--database", &database]);
        let note = text(&checkpoint.stdout);
        if note.contains("— witness.test/w1 ") {
            break note;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no cosigned checkpoint: {note}\nserve:\n{}\nwitness:\n{}",
            server.log(),
            witness.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // The served note opens with the log's key and with the witness's, each signature checked.
    let log = NoteVerifier::parse(&log_verifier).unwrap();
    let verifiers: [&dyn SignatureVerifier; 2] = [&log, &witness_verifier];
    let opened = open_note(&note, &verifiers).unwrap();
    assert_eq!(opened.verified.len(), 2, "{note}");
    assert!(opened.text.starts_with(&format!("{ORIGIN}\n1\n")), "{note}");
    let cosignature = Note::parse(&note)
        .unwrap()
        .signatures
        .into_iter()
        .find(|signature| signature.name == "witness.test/w1")
        .unwrap();
    witness_verifier
        .verify_cosignature(&opened.text, &cosignature)
        .unwrap();
}
