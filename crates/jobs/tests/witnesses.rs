//! The log's witness client against a witness on a loopback port that decides with the tlog
//! crate's own `decide_add_checkpoint`, on SQLite and on PostgreSQL: it believes a witness's
//! size once and proves from it, stores only cosignatures that verify, reports a fork, a
//! stranger's cosignature and a witness that is down without storing anything, retries a witness
//! that was down, and sends each new checkpoint on the sequencer's signal.

use crate::support::*;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use specflow_jobs::witnesses::{SubmissionError, WitnessSettingError};
use specflow_jobs::{Sequencer, SequencerOptions, WitnessClient, WitnessEndpoint, WitnessOptions};
use specflow_store::transparency::{LogKey, StoredCheckpoint};
use specflow_store::{Store, StoreOptions};
use specflow_tlog::cosignature::{CosignatureSigner, CosignatureVerifier};
use specflow_tlog::note::{NoteVerifier, SignatureVerifier, open_note};
use specflow_tlog::witness::{
    AddCheckpointOutcome, AddCheckpointRequest, WitnessedCheckpoint, decide_add_checkpoint,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn log_key() -> Arc<LogKey> {
    Arc::new(LogKey::from_seed("specflow.test/log", &[7; 32]).unwrap())
}

/// A witness on a loopback port, its state in memory, deciding as `specflow witness serve` does.
struct TestWitness {
    signer: CosignatureSigner,
    log: NoteVerifier,
    state: Mutex<Option<WitnessedCheckpoint>>,
    requests: AtomicUsize,
    /// How many requests are still answered 503, as by a witness that is down.
    outages: AtomicUsize,
}

async fn add_checkpoint(State(witness): State<Arc<TestWitness>>, body: Bytes) -> Response {
    witness.requests.fetch_add(1, Ordering::SeqCst);
    let down = witness
        .outages
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        });
    if down.is_ok() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let outcome = match AddCheckpointRequest::parse(&body) {
        Ok(request) => {
            let mut state = witness.state.lock().unwrap();
            let outcome = decide_add_checkpoint(
                &request,
                Some(std::slice::from_ref(&witness.log)),
                *state,
                &witness.signer,
                1_767_225_600,
            )
            .unwrap();
            if let AddCheckpointOutcome::Cosigned { new_state, .. } = &outcome {
                *state = Some(*new_state);
            }
            outcome
        }
        Err(error) => AddCheckpointOutcome::BadRequest(error),
    };
    (
        StatusCode::from_u16(outcome.status()).unwrap(),
        [(header::CONTENT_TYPE, outcome.content_type())],
        outcome.body(),
    )
        .into_response()
}

/// Starts a witness named `witness.test/w1` (seed `seed`) holding `state`; it and its address.
async fn start_witness(
    seed: u8,
    state: Option<WitnessedCheckpoint>,
) -> (Arc<TestWitness>, std::net::SocketAddr) {
    let witness = Arc::new(TestWitness {
        signer: CosignatureSigner::from_seed("witness.test/w1", &[seed; 32]).unwrap(),
        log: log_key().verifier(),
        state: Mutex::new(state),
        requests: AtomicUsize::new(0),
        outages: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .with_state(witness.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (witness, address)
}

/// A store holding the log's key, with one project's records integrated and signed.
async fn store_with_a_checkpoint(kind: Kind) -> Option<(Store, Keep, Sequencer)> {
    let (url, keep) = fresh_database(kind).await?;
    let options = StoreOptions {
        log_key: Some(log_key()),
        ..StoreOptions::default()
    };
    let clock = Arc::new(specflow_store::ManualClock::new(start()));
    let store = Store::open_with_clock(&url, options, clock).await.unwrap();
    store
        .register_workflow_folder(&workflows_folder())
        .await
        .unwrap();
    created_project(&store, 1, "SH-TC-01").await;
    let sequencer = Sequencer::new(store.clone(), log_key(), SequencerOptions::default());
    let signed = sequencer.signed_checkpoints();
    let round = sequencer.run_once().await.unwrap();
    assert_eq!(round.checkpoint_size, Some(*signed.borrow()));
    Some((store, keep, sequencer))
}

async fn latest(store: &Store) -> StoredCheckpoint {
    store.latest_checkpoint().await.unwrap().unwrap()
}

fn client(store: &Store, address: std::net::SocketAddr, witness_seed: u8) -> WitnessClient {
    let verifier = CosignatureSigner::from_seed("witness.test/w1", &[witness_seed; 32])
        .unwrap()
        .verifier();
    let endpoint = WitnessEndpoint::parse(&format!("http://{address}/={verifier}")).unwrap();
    WitnessClient::new(store.clone(), endpoint, WitnessOptions::default()).unwrap()
}

conformance!(
    the_client_believes_the_witness_size_once_then_proves_each_new_checkpoint_from_it,
    |kind| async move {
        let Some((store, _keep, sequencer)) = store_with_a_checkpoint(kind).await else {
            return;
        };
        let first = latest(&store).await;
        // The witness cosigned this checkpoint for the log's previous process, which this one
        // does not know: the first answer is 409 with its size, the second a cosignature.
        let (witness, address) = start_witness(
            1,
            Some(WitnessedCheckpoint {
                size: first.tree_size,
                root: first.root_hash,
            }),
        )
        .await;
        let mut client = client(&store, address, 1);
        assert_eq!(client.submit_latest().await.unwrap(), Some(first.tree_size));
        assert_eq!(witness.requests.load(Ordering::SeqCst), 2);
        let cosigned = latest(&store).await;
        assert_eq!(cosigned.cosignatures.len(), 1);
        let log = log_key().verifier();
        let verifier = witness.signer.verifier();
        let keys: [&dyn SignatureVerifier; 2] = [&log, &verifier];
        let opened = open_note(&cosigned.cosigned_note(), &keys).unwrap();
        assert_eq!(opened.verified.len(), 2);
        // Nothing is sent again for a checkpoint the witness cosigned.
        assert_eq!(client.submit_latest().await.unwrap(), None);
        assert_eq!(witness.requests.load(Ordering::SeqCst), 2);
        // The next checkpoint goes in one request, with the proof from the size cosigned.
        created_project(&store, 2, "SH-TC-01").await;
        sequencer.run_once().await.unwrap();
        let second = latest(&store).await;
        assert!(second.tree_size > first.tree_size);
        assert_eq!(
            client.submit_latest().await.unwrap(),
            Some(second.tree_size)
        );
        assert_eq!(witness.requests.load(Ordering::SeqCst), 3);
        assert_eq!(
            *witness.state.lock().unwrap(),
            Some(WitnessedCheckpoint {
                size: second.tree_size,
                root: second.root_hash,
            })
        );
    }
);

conformance!(
    a_fork_a_strangers_cosignature_and_a_witness_that_is_down_store_nothing,
    |kind| async move {
        let Some((store, _keep, _sequencer)) = store_with_a_checkpoint(kind).await else {
            return;
        };
        let checkpoint = latest(&store).await;
        // A witness that cosigned another tree of this size refuses the checkpoint as a fork.
        let other_root = specflow_tlog::hash::leaf_hash(b"another history");
        let (_forked, address) = start_witness(
            1,
            Some(WitnessedCheckpoint {
                size: checkpoint.tree_size,
                root: other_root,
            }),
        )
        .await;
        let error = client(&store, address, 1)
            .submit_latest()
            .await
            .unwrap_err();
        assert!(matches!(error, SubmissionError::Fork(_)), "{error}");
        assert!(error.is_alarm());
        // A witness cosigning with another key than the one configured for its name.
        let (_stranger, address) = start_witness(2, None).await;
        let error = client(&store, address, 1)
            .submit_latest()
            .await
            .unwrap_err();
        assert!(matches!(error, SubmissionError::NoCosignature), "{error}");
        // A witness that is down.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = closed.local_addr().unwrap();
        drop(closed);
        let error = client(&store, address, 1)
            .submit_latest()
            .await
            .unwrap_err();
        assert!(matches!(error, SubmissionError::Unreachable(_)), "{error}");
        assert!(!error.is_alarm());
        assert!(latest(&store).await.cosignatures.is_empty());
    }
);

/// Waits up to 5 s for the latest checkpoint to be cosigned at `size` or above.
async fn cosigned_at_least(store: &Store, size: u64) -> StoredCheckpoint {
    let started = std::time::Instant::now();
    loop {
        let checkpoint = latest(store).await;
        if checkpoint.tree_size >= size && !checkpoint.cosignatures.is_empty() {
            return checkpoint;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "not cosigned: {checkpoint:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

conformance!(
    a_witness_that_was_down_is_retried_and_each_new_checkpoint_is_sent_on_the_signal,
    |kind| async move {
        let Some((store, _keep, sequencer)) = store_with_a_checkpoint(kind).await else {
            return;
        };
        let (witness, address) = start_witness(1, None).await;
        witness.outages.store(2, Ordering::SeqCst);
        let verifier = witness.signer.verifier();
        let endpoint = WitnessEndpoint::parse(&format!("http://{address}={verifier}")).unwrap();
        // Retries come quickly here; polling never does, so only the signal can bring the
        // second checkpoint.
        let options = WitnessOptions {
            first_retry: std::time::Duration::from_millis(20),
            poll_interval: std::time::Duration::from_secs(600),
            ..WitnessOptions::default()
        };
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let running = specflow_jobs::spawn_witnesses(
            &store,
            vec![endpoint],
            &options,
            &sequencer.signed_checkpoints(),
            &shutdown,
        )
        .unwrap();
        let first = latest(&store).await;
        cosigned_at_least(&store, first.tree_size).await;
        assert_eq!(witness.requests.load(Ordering::SeqCst), 3);
        created_project(&store, 2, "SH-TC-01").await;
        sequencer.run_once().await.unwrap();
        let second = latest(&store).await;
        assert!(second.tree_size > first.tree_size);
        cosigned_at_least(&store, second.tree_size).await;
        assert_eq!(witness.requests.load(Ordering::SeqCst), 4);
        stop.send(true).unwrap();
        for task in running {
            tokio::time::timeout(std::time::Duration::from_secs(5), task)
                .await
                .unwrap()
                .unwrap();
        }
    }
);

#[test]
fn a_witness_setting_is_an_http_url_and_a_cosignature_key() {
    let verifier: CosignatureVerifier = CosignatureSigner::from_seed("witness.test/w1", &[1; 32])
        .unwrap()
        .verifier();
    let endpoint =
        WitnessEndpoint::parse(&format!("https://witness.example/prefix/={verifier}")).unwrap();
    assert_eq!(
        endpoint.add_checkpoint_url().as_str(),
        "https://witness.example/prefix/add-checkpoint"
    );
    assert_eq!(endpoint.name(), "witness.test/w1");
    assert!(matches!(
        WitnessEndpoint::parse("https://witness.example"),
        Err(WitnessSettingError::MissingKey)
    ));
    assert!(matches!(
        WitnessEndpoint::parse(&format!("ftp://witness.example={verifier}")),
        Err(WitnessSettingError::BadUrl(_))
    ));
    // A log's verifier key is not a witness's.
    let log_verifier = log_key().verifier();
    assert!(matches!(
        WitnessEndpoint::parse(&format!("https://witness.example={log_verifier}")),
        Err(WitnessSettingError::BadKey(_))
    ));
}
