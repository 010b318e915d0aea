//! The log's side of C2SP tlog-witness: each checkpoint the sequencer signs is sent to every
//! witness the log is configured with, and each cosignature that verifies with its witness's key
//! is stored beside the checkpoint (docs/transparency.md, "Witnesses").
//!
//! Each witness has a task of its own, so a witness that is down or slow delays nothing but its
//! own cosignature: the sequencer only signals that a checkpoint was signed, and never waits.
//! A task remembers the size its witness last cosigned (from 0 after a start); a witness that
//! answers 409 with its own size (`text/x.tlog.size`) is believed and asked once more with a
//! consistency proof from that size. A failed attempt is retried with a growing delay; a task also
//! looks at the latest checkpoint now and then, for checkpoints another node signed.

use specflow_store::Store;
use specflow_store::error::StoreError;
use specflow_store::transparency::StoredCheckpoint;
use specflow_tlog::cosignature::{CosignatureError, CosignatureVerifier};
use specflow_tlog::keys::KeyError;
use specflow_tlog::note::{Note, SignatureVerifier as _};
use specflow_tlog::witness::{
    AddCheckpointRequest, RequestError, SIZE_CONTENT_TYPE, parse_cosignature_response,
    parse_size_body,
};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// One witness the log sends its checkpoints to: where it listens and the key it cosigns with.
#[derive(Debug, Clone)]
pub struct WitnessEndpoint {
    add_checkpoint_url: reqwest::Url,
    verifier: CosignatureVerifier,
}

/// Why a `URL=VERIFIER_KEY` witness setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum WitnessSettingError {
    /// There is no `=` between the address and the key.
    #[error("a witness is written URL=VERIFIER_KEY")]
    MissingKey,
    /// The address is not an http or https URL.
    #[error("the witness address {0:?} is not an http:// or https:// URL")]
    BadUrl(String),
    /// The key is not a witness's verifier key.
    #[error("the witness key is not a cosignature verifier key: {0}")]
    BadKey(#[from] KeyError),
}

impl WitnessEndpoint {
    /// A witness from `URL=VERIFIER_KEY`, where the URL is the witness's prefix (the request
    /// goes to `<URL>/add-checkpoint`) and the key is what `specflow witness key generate`
    /// printed. The split is at the first `=`: a verifier key holds none (its base64 has no
    /// padding), so an address must not hold one either.
    ///
    /// # Errors
    ///
    /// [`WitnessSettingError`] when either half is malformed.
    pub fn parse(setting: &str) -> Result<WitnessEndpoint, WitnessSettingError> {
        let (url, key) = setting
            .split_once('=')
            .ok_or(WitnessSettingError::MissingKey)?;
        let verifier = CosignatureVerifier::parse(key.trim())?;
        let prefix = url.trim().trim_end_matches('/');
        let add_checkpoint_url = reqwest::Url::parse(&format!("{prefix}/add-checkpoint"))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| WitnessSettingError::BadUrl(url.to_string()))?;
        Ok(WitnessEndpoint {
            add_checkpoint_url,
            verifier,
        })
    }

    /// The witness's name (its key's), under which its cosignatures are stored.
    pub fn name(&self) -> &str {
        self.verifier.name()
    }

    /// Where checkpoints are posted.
    pub fn add_checkpoint_url(&self) -> &reqwest::Url {
        &self.add_checkpoint_url
    }

    /// The key its cosignatures must verify with.
    pub fn verifier(&self) -> &CosignatureVerifier {
        &self.verifier
    }
}

/// How the log talks to its witnesses.
#[derive(Debug, Clone)]
pub struct WitnessOptions {
    /// How long one request to a witness may take, connecting included.
    pub request_timeout: Duration,
    /// The delay before the first retry of a failed attempt; it doubles with each failure.
    pub first_retry: Duration,
    /// The longest delay between retries.
    pub longest_retry: Duration,
    /// How often a witness in good standing is sent the latest checkpoint without a signal (it
    /// may have been signed on another node).
    pub poll_interval: Duration,
}

impl Default for WitnessOptions {
    fn default() -> WitnessOptions {
        WitnessOptions {
            request_timeout: Duration::from_secs(5),
            first_retry: Duration::from_secs(1),
            longest_retry: Duration::from_secs(60),
            poll_interval: Duration::from_secs(30),
        }
    }
}

/// Why a checkpoint was not cosigned by a witness this time.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be made.
    #[error("the HTTP client cannot be made: {0}")]
    HttpClient(String),
    /// The witness did not answer in time, or the connection failed.
    #[error("the witness did not answer: {0}")]
    Unreachable(String),
    /// The stored checkpoint cannot be sent as a request (it is not a signed checkpoint).
    #[error("the stored checkpoint cannot be sent: {0}")]
    Request(RequestError),
    /// The witness refused the checkpoint as a fork of one it cosigned (409 without a size).
    #[error("the witness refuses the checkpoint as a fork of one it cosigned: {0}")]
    Fork(String),
    /// The witness answered anything else than 200 or 409.
    #[error("the witness answered {status}: {body}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The start of its body.
        body: String,
    },
    /// The witness has cosigned a larger tree than the latest checkpoint here.
    #[error(
        "the witness has cosigned a tree of {witness_size} records, above this checkpoint's {log_size}"
    )]
    AheadOfLog {
        /// The size the witness cosigned.
        witness_size: u64,
        /// The size of the checkpoint sent.
        log_size: u64,
    },
    /// The witness named another size twice in a row.
    #[error("the witness answered 409 with another size again")]
    SizeKeepsChanging,
    /// The witness's answer is not what the protocol says.
    #[error("the witness's answer is malformed: {0}")]
    MalformedAnswer(RequestError),
    /// The answer carries no cosignature of the witness's key.
    #[error("the witness's answer carries no cosignature of its key")]
    NoCosignature,
    /// The witness's cosignature does not verify with its key.
    #[error("the witness's cosignature does not verify: {0}")]
    BadCosignature(CosignatureError),
}

impl SubmissionError {
    /// Whether the witness said the log misbehaved (a fork or a proof that does not verify), as
    /// opposed to being unreachable or the log not knowing the witness's state.
    pub fn is_alarm(&self) -> bool {
        matches!(
            self,
            SubmissionError::Fork(_)
                | SubmissionError::AheadOfLog { .. }
                | SubmissionError::BadCosignature(_)
                | SubmissionError::Refused { status: 422, .. }
        )
    }
}

/// Sends checkpoints to one witness and keeps its cosignatures.
#[derive(Debug)]
pub struct WitnessClient {
    store: Store,
    endpoint: WitnessEndpoint,
    options: WitnessOptions,
    http: reqwest::Client,
    /// The size this witness last cosigned, as far as this process knows (0 after a start).
    cosigned_size: u64,
}

/// An answer as read: status, whether its body is a size, and the body.
struct Answer {
    status: u16,
    is_size: bool,
    body: Vec<u8>,
}

impl WitnessClient {
    /// A client of `endpoint` storing cosignatures in `store`.
    ///
    /// # Errors
    ///
    /// [`SubmissionError::HttpClient`] when the HTTP client cannot be made.
    pub fn new(
        store: Store,
        endpoint: WitnessEndpoint,
        options: WitnessOptions,
    ) -> Result<WitnessClient, SubmissionError> {
        let http = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .connect_timeout(options.request_timeout)
            // A witness is addressed exactly as configured; a redirect would send the log's
            // checkpoints to someone nobody chose.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("specflow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| SubmissionError::HttpClient(error.to_string()))?;
        Ok(WitnessClient {
            store,
            endpoint,
            options,
            http,
            cosigned_size: 0,
        })
    }

    /// The witness this client talks to.
    pub fn endpoint(&self) -> &WitnessEndpoint {
        &self.endpoint
    }

    /// Sends the latest checkpoint unless this witness's cosignature of it is stored already;
    /// the size cosigned now, `None` when there was nothing to send.
    ///
    /// # Errors
    ///
    /// [`SubmissionError`] when the checkpoint was not cosigned.
    pub async fn submit_latest(&mut self) -> Result<Option<u64>, SubmissionError> {
        let Some(checkpoint) = self.store.latest_checkpoint().await? else {
            return Ok(None);
        };
        let name = self.endpoint.name();
        if checkpoint
            .cosignatures
            .iter()
            .any(|(witness, _)| witness == name)
        {
            self.cosigned_size = self.cosigned_size.max(checkpoint.tree_size);
            return Ok(None);
        }
        // A witness ahead of the latest checkpoint is an alarm (the log's database went back)
        // unless another node's newer checkpoint was cosigned since it was read: the retry reads
        // the latest again.
        self.submit(&checkpoint).await.map(Some)
    }

    /// Sends `checkpoint` with a proof from the size last cosigned, believes the witness's size
    /// once, and stores the cosignature once it verifies.
    async fn submit(&mut self, checkpoint: &StoredCheckpoint) -> Result<u64, SubmissionError> {
        let text = Note::parse(&checkpoint.note)
            .map_err(|error| SubmissionError::Request(RequestError::Note(error)))?
            .text;
        let mut believed_witness = false;
        loop {
            let answer = self.post(checkpoint).await?;
            match answer.status {
                200 => {
                    let line = self.verified_cosignature(&text, &answer.body)?;
                    self.store
                        .add_cosignature(checkpoint.tree_size, self.endpoint.name(), &line)
                        .await?;
                    self.cosigned_size = checkpoint.tree_size;
                    return Ok(checkpoint.tree_size);
                }
                409 if answer.is_size => {
                    if believed_witness {
                        return Err(SubmissionError::SizeKeepsChanging);
                    }
                    let size =
                        parse_size_body(&answer.body).map_err(SubmissionError::MalformedAnswer)?;
                    tracing::info!(witness = %self.endpoint.name(), size, "the witness last cosigned another size; sending a proof from it");
                    self.cosigned_size = size;
                    believed_witness = true;
                }
                409 => return Err(SubmissionError::Fork(body_text(&answer.body))),
                status => {
                    return Err(SubmissionError::Refused {
                        status,
                        body: body_text(&answer.body),
                    });
                }
            }
        }
    }

    /// Posts `checkpoint` with the consistency proof from the size last cosigned.
    async fn post(&self, checkpoint: &StoredCheckpoint) -> Result<Answer, SubmissionError> {
        let old = self.cosigned_size;
        if old > checkpoint.tree_size {
            return Err(SubmissionError::AheadOfLog {
                witness_size: old,
                log_size: checkpoint.tree_size,
            });
        }
        // A proof from the empty tree is empty: the witness takes the first checkpoint on trust.
        let proof = if old == 0 {
            Vec::new()
        } else {
            self.store
                .consistency_proof(old, checkpoint.tree_size)
                .await?
        };
        let request = AddCheckpointRequest::new(old, proof, &checkpoint.note)
            .map_err(SubmissionError::Request)?;
        let unreachable = |error: reqwest::Error| SubmissionError::Unreachable(error.to_string());
        let response = self
            .http
            .post(self.endpoint.add_checkpoint_url.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(request.to_body())
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let is_size = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim().starts_with(SIZE_CONTENT_TYPE));
        let body = response.bytes().await.map_err(unreachable)?.to_vec();
        Ok(Answer {
            status,
            is_size,
            body,
        })
    }

    /// The line of this witness's cosignature in a 200 answer, once it verifies over `text`.
    fn verified_cosignature(&self, text: &str, body: &[u8]) -> Result<String, SubmissionError> {
        let signatures =
            parse_cosignature_response(body).map_err(SubmissionError::MalformedAnswer)?;
        let verifier = &self.endpoint.verifier;
        let ours = signatures
            .iter()
            .find(|signature| {
                signature.name == verifier.name() && signature.key_id == verifier.key_id()
            })
            .ok_or(SubmissionError::NoCosignature)?;
        verifier
            .verify_cosignature(text, ours)
            .map_err(SubmissionError::BadCosignature)?;
        Ok(ours.to_line())
    }

    /// The delay before the retry after `failures` failures in a row: doubling from
    /// `first_retry` up to `longest_retry`, less up to a quarter at random so that witnesses
    /// and nodes do not retry in step.
    fn retry_delay(&self, failures: u32) -> Duration {
        let doubled = self
            .options
            .first_retry
            .saturating_mul(1_u32 << failures.saturating_sub(1).min(16));
        let delay = doubled.min(self.options.longest_retry);
        delay.saturating_sub(delay.mul_f64(fastrand::f64() / 4.0))
    }

    /// Sends each new checkpoint until `shutdown` turns true: at once on start, then whenever
    /// `signed` says a checkpoint was signed, and every `poll_interval`; after a failure, only
    /// once the retry delay has passed.
    pub async fn run(
        mut self,
        mut signed: watch::Receiver<u64>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let name = self.endpoint.name().to_string();
        tracing::info!(witness = %name, url = %self.endpoint.add_checkpoint_url, "sending checkpoints to a witness");
        let mut failures: u32 = 0;
        let mut signal_open = true;
        while !*shutdown.borrow() {
            match self.submit_latest().await {
                Ok(cosigned) => {
                    if failures > 0 || cosigned.is_some() {
                        tracing::info!(witness = %name, size = ?cosigned, "the witness cosigned the checkpoint");
                    }
                    failures = 0;
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    report_failure(&name, &error, failures);
                }
            }
            if failures > 0 {
                let delay = self.retry_delay(failures);
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(self.options.poll_interval) => {}
                changed = signed.changed(), if signal_open => {
                    // The sequencer is gone: polling alone finds new checkpoints.
                    signal_open = changed.is_ok();
                }
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(witness = %name, "stopped sending checkpoints to the witness");
    }
}

/// Logs a failed attempt: a witness's alarm (a fork, a proof refused, a bad cosignature) as an
/// error, a witness out of reach as a warning.
fn report_failure(name: &str, error: &SubmissionError, failures: u32) {
    if error.is_alarm() {
        tracing::error!(witness = %name, %error, failures, "a witness refuses the log's checkpoint; retrying with backoff");
    } else {
        tracing::warn!(witness = %name, %error, failures, "a witness did not cosign the checkpoint; retrying with backoff");
    }
}

/// At most this many characters of a witness's answer are kept in an error.
const MAX_BODY_CHARS: usize = 200;

fn body_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .trim()
        .chars()
        .take(MAX_BODY_CHARS)
        .collect()
}

/// Starts one task per witness, each sending the checkpoints `signed` announces until
/// `shutdown` turns true.
///
/// # Errors
///
/// [`SubmissionError::HttpClient`] when an HTTP client cannot be made.
pub fn spawn_witnesses(
    store: &Store,
    endpoints: Vec<WitnessEndpoint>,
    options: &WitnessOptions,
    signed: &watch::Receiver<u64>,
    shutdown: &watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, SubmissionError> {
    let clients = endpoints
        .into_iter()
        .map(|endpoint| WitnessClient::new(store.clone(), endpoint, options.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(clients
        .into_iter()
        .map(|client| tokio::spawn(client.run(signed.clone(), shutdown.clone())))
        .collect())
}
