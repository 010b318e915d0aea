//! The witness's HTTP face: `POST /add-checkpoint` of C2SP tlog-witness and nothing else.
//!
//! The decision is the tlog crate's `decide_add_checkpoint`; this module adds what it leaves to
//! the server: the logs' keys by origin, a lock per log held from reading the stored state to
//! storing the new one (a compare-and-set, so two concurrent requests cannot roll the witness
//! back), the state written durably before a cosignature leaves, and a cap on the body.

use super::state::{LogState, StateDirectory, StateError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use specflow_tlog::cosignature::CosignatureSigner;
use specflow_tlog::note::{NoteSignature, NoteVerifier};
use specflow_tlog::witness::{
    AddCheckpointOutcome, AddCheckpointRequest, TEXT_CONTENT_TYPE, decide_add_checkpoint,
};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The largest request body read: an old-size line, 63 proof lines of 45 bytes and a
/// checkpoint with its signatures fit in a few KiB; anything larger is refused with 413 unread.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// One log the witness cosigns for.
#[derive(Debug)]
struct WitnessedLog {
    /// The log's keys (several while it rotates its key).
    keys: Vec<NoteVerifier>,
    /// The last checkpoint cosigned; the lock is held from the check to the durable write.
    state: Mutex<Option<LogState>>,
}

/// A witness: its cosigning key, the logs it knows with their states, and where they are kept.
pub struct Witness {
    signer: CosignatureSigner,
    logs: HashMap<String, WitnessedLog>,
    directory: StateDirectory,
    /// The time a cosignature states, in POSIX seconds (the system clock; tests may fix it).
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
}

impl Witness {
    /// A witness cosigning with `signer` for the logs of `log_keys` (grouped by their names,
    /// which are the logs' origins), each log's state loaded from `directory`.
    pub fn load(
        signer: CosignatureSigner,
        log_keys: Vec<NoteVerifier>,
        directory: StateDirectory,
        clock: Box<dyn Fn() -> u64 + Send + Sync>,
    ) -> Result<Witness, StateError> {
        let mut keys_by_origin: HashMap<String, Vec<NoteVerifier>> = HashMap::new();
        for key in log_keys {
            let origin = specflow_tlog::note::SignatureVerifier::name(&key).to_string();
            let keys = keys_by_origin.entry(origin).or_default();
            // A key given twice would make every signature ambiguous, so every request 403.
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let mut logs = HashMap::new();
        for (origin, keys) in keys_by_origin {
            let state = directory.load(&origin)?;
            logs.insert(
                origin,
                WitnessedLog {
                    keys,
                    state: Mutex::new(state),
                },
            );
        }
        Ok(Witness {
            signer,
            logs,
            directory,
            clock,
        })
    }

    /// Each log's origin with the size last cosigned for it (0 for none), in origin order.
    pub async fn sizes(&self) -> Vec<(String, u64)> {
        let mut sizes = Vec::new();
        for (origin, log) in &self.logs {
            let size = log
                .state
                .lock()
                .await
                .as_ref()
                .map_or(0, |state| state.witnessed.size);
            sizes.push((origin.clone(), size));
        }
        sizes.sort();
        sizes
    }

    /// Answers one `add-checkpoint` body.
    async fn add_checkpoint(&self, body: &[u8]) -> Response {
        let request = match AddCheckpointRequest::parse(body) {
            Ok(request) => request,
            Err(error) => return answer(&AddCheckpointOutcome::BadRequest(error)),
        };
        let Some(log) = self.logs.get(request.origin()) else {
            tracing::info!(origin = %request.origin(), "a checkpoint of an unknown log was refused");
            return answer(&AddCheckpointOutcome::UnknownOrigin);
        };
        let mut stored = log.state.lock().await;
        let outcome = match decide_add_checkpoint(
            &request,
            Some(&log.keys),
            stored.as_ref().map(|state| state.witnessed),
            &self.signer,
            (self.clock)(),
        ) {
            Ok(outcome) => outcome,
            Err(error) => return server_error(&format!("cannot cosign: {error}")),
        };
        let AddCheckpointOutcome::Cosigned {
            new_state,
            cosignatures,
        } = &outcome
        else {
            report_refusal(&request, &outcome);
            return answer(&outcome);
        };
        let state = LogState {
            witnessed: *new_state,
            cosigned_note: with_cosignatures(request.signed_checkpoint(), cosignatures),
        };
        // The state is on disk before the cosignature leaves: a witness that answered and then
        // crashed must not cosign a fork of what it answered.
        if let Err(error) = self.store(request.origin(), &state).await {
            tracing::error!(%error, "the witness state was not written; nothing was cosigned");
            return server_error("the witness cannot store its state");
        }
        tracing::info!(origin = %request.origin(), size = new_state.size, old = request.old_size, "checkpoint cosigned");
        *stored = Some(state);
        answer(&outcome)
    }

    /// Writes a log's state durably, off the async threads.
    async fn store(&self, origin: &str, state: &LogState) -> Result<(), StateError> {
        let directory = self.directory.clone();
        let path = directory.file_for(origin);
        let origin = origin.to_string();
        let state = state.clone();
        tokio::task::spawn_blocking(move || directory.store(&origin, &state))
            .await
            .unwrap_or_else(|error| {
                Err(StateError::Write {
                    path,
                    source: std::io::Error::other(error),
                })
            })
    }
}

/// The checkpoint as the log signed it with the cosignature lines after its signatures.
fn with_cosignatures(signed_checkpoint: &str, cosignatures: &[NoteSignature]) -> String {
    let mut note = signed_checkpoint.to_string();
    for cosignature in cosignatures {
        note.push_str(&cosignature.to_line());
    }
    note
}

/// Logs a refusal: a fork or a proof that does not verify is evidence of a misbehaving log.
fn report_refusal(request: &AddCheckpointRequest, outcome: &AddCheckpointOutcome) {
    let origin = request.origin();
    let size = request.checkpoint().size;
    match outcome {
        AddCheckpointOutcome::RootConflict {
            cosigned_root,
            requested_root,
            ..
        } => {
            tracing::error!(%origin, size, cosigned = %cosigned_root.to_base64(), requested = %requested_root.to_base64(), checkpoint = %request.signed_checkpoint(), "a fork of the log was refused")
        }
        AddCheckpointOutcome::InconsistentProof(error) => {
            tracing::error!(%origin, size, old = request.old_size, %error, checkpoint = %request.signed_checkpoint(), "a checkpoint without a valid consistency proof was refused")
        }
        _ => {
            tracing::info!(%origin, size, old = request.old_size, status = outcome.status(), "a checkpoint was refused")
        }
    }
}

/// The outcome as an HTTP answer.
fn answer(outcome: &AddCheckpointOutcome) -> Response {
    let status =
        StatusCode::from_u16(outcome.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, outcome.content_type())],
        outcome.body(),
    )
        .into_response()
}

fn server_error(message: &str) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, TEXT_CONTENT_TYPE)],
        format!("{message}\n"),
    )
        .into_response()
}

/// The witness's routes: `POST /add-checkpoint`, its body capped at [`MAX_BODY_BYTES`].
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(witness)
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    witness.add_checkpoint(&body).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use specflow_tlog::note::{NoteSigner, sign_note};
    use specflow_tlog::tree::MemoryTree;
    use tower::ServiceExt as _;

    const ORIGIN: &str = "example.org/log";

    fn log_signer() -> NoteSigner {
        NoteSigner::from_seed(ORIGIN, &[1; 32]).unwrap()
    }

    fn witness(directory: &std::path::Path) -> Arc<Witness> {
        let signer = CosignatureSigner::from_seed("example.org/witness", &[2; 32]).unwrap();
        let directory = StateDirectory::open(directory).unwrap();
        Arc::new(
            Witness::load(
                signer,
                vec![log_signer().verifier()],
                directory,
                Box::new(|| 1_767_225_600),
            )
            .unwrap(),
        )
    }

    fn body_for(tree: &MemoryTree, size: u64, old: u64) -> String {
        let root = tree.root_at(size).unwrap();
        let text = format!("{ORIGIN}\n{size}\n{}\n", root.to_base64());
        let note = sign_note(&text, &log_signer()).unwrap();
        let proof = if old == 0 {
            Vec::new()
        } else {
            tree.prove_tree(size, old).unwrap()
        };
        AddCheckpointRequest::new(old, proof, &note)
            .unwrap()
            .to_body()
    }

    async fn post_body(witness: &Arc<Witness>, body: String) -> StatusCode {
        let request = axum::http::Request::post("/add-checkpoint")
            .body(axum::body::Body::from(body))
            .unwrap();
        router(witness.clone())
            .oneshot(request)
            .await
            .unwrap()
            .status()
    }

    #[tokio::test]
    async fn concurrent_requests_cannot_roll_the_witness_back() {
        // Two logs' requests racing from the same old size: only one may win, and the stored
        // size is the winner's, never the smaller one written after it.
        let folder = tempfile::tempdir().unwrap();
        let witness = witness(folder.path());
        let tree = MemoryTree::from_leaves((0_u64..20).map(u64::to_be_bytes)).unwrap();
        assert_eq!(
            post_body(&witness, body_for(&tree, 5, 0)).await,
            StatusCode::OK
        );
        let racing: Vec<_> = [10, 15, 8, 12]
            .into_iter()
            .map(|size| {
                let witness = witness.clone();
                let body = body_for(&tree, size, 5);
                tokio::spawn(async move { (size, post_body(&witness, body).await) })
            })
            .collect();
        let mut winners = Vec::new();
        for task in racing {
            let (size, status) = task.await.unwrap();
            if status == StatusCode::OK {
                winners.push(size);
            } else {
                assert_eq!(status, StatusCode::CONFLICT);
            }
        }
        assert_eq!(winners.len(), 1, "{winners:?}");
        assert_eq!(witness.sizes().await, [(ORIGIN.to_string(), winners[0])]);
        // The witness holds its directory's lock until it is gone.
        drop(witness);
        let on_disk = StateDirectory::open(folder.path())
            .unwrap()
            .load(ORIGIN)
            .unwrap()
            .unwrap();
        assert_eq!(on_disk.witnessed.size, winners[0]);
    }

    #[tokio::test]
    async fn a_body_past_the_cap_is_refused_unread() {
        let folder = tempfile::tempdir().unwrap();
        let witness = witness(folder.path());
        let status = post_body(&witness, "old 0\n".repeat(MAX_BODY_BYTES)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn nothing_is_cosigned_when_the_state_cannot_be_written() {
        let folder = tempfile::tempdir().unwrap();
        let witness = witness(&folder.path().join("state"));
        let tree = MemoryTree::from_leaves((0_u64..3).map(u64::to_be_bytes)).unwrap();
        // The state directory is replaced by a file: the durable write fails.
        std::fs::remove_dir_all(folder.path().join("state")).unwrap();
        std::fs::write(folder.path().join("state"), "").unwrap();
        assert_eq!(
            post_body(&witness, body_for(&tree, 3, 0)).await,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(witness.sizes().await, [(ORIGIN.to_string(), 0)]);
    }
}
