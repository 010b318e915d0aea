//! The transparency log's side of the store: the queue of records waiting to be integrated, the
//! Merkle tree's leaves and node hashes, signed checkpoints and their cosignatures, and the
//! proofs read from them (docs/transparency.md).
//!
//! Every audit record, of projects and of committees, is queued by a database trigger as it is
//! inserted (migrations 0012 and 0013), whoever inserts it. A writer holding the log's key also
//! writes an authenticator in each record's row, which the trigger queues with it: an HMAC,
//! keyed with a secret derived from the log's key, over the record's kind, subject, sequence and
//! hash. The sequencer
//! ([`Store::integrate_pending`]) takes queued records in the order they were queued, refuses
//! any without a valid authenticator (naming it in `log_refusals`), appends the rest to the tree,
//! and signs a checkpoint, all in one transaction under the tree's row lock: each record is
//! integrated once, whichever node runs the sequencer.
//!
//! Records queued before the log's first checkpoint (written before the log had a key) are
//! adopted without authenticators by the first integration, which takes the whole queue: the
//! first checkpoint is what vouches for them.

use crate::error::StoreError;
use crate::{Backend, Store, instant, micros};
use chrono::{DateTime, Utc};
use specflow_engine::stored_record::RecordKind;
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::keys::KeyError;
use specflow_tlog::note::{NoteSigner, NoteVerifier, SignatureVerifier, sign_note};
use specflow_tlog::tiles::Tile;
use specflow_tlog::tree;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection, Row};
use std::collections::HashMap;
use std::sync::Arc;

/// The log's signing key: its name is the log's origin line.
#[derive(Debug, Clone)]
pub struct LogKey {
    signer: NoteSigner,
    /// The secret record authenticators are keyed with, derived from the private key.
    authenticator_secret: [u8; 32],
}

/// What the authenticator secret is derived for (docs/transparency.md, "Authenticators").
const AUTHENTICATOR_PURPOSE: &str = "specflow-record-authenticator/v2 key";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

impl LogKey {
    fn of(signer: NoteSigner) -> LogKey {
        let authenticator_secret = signer.derived_secret(AUTHENTICATOR_PURPOSE);
        LogKey {
            signer,
            authenticator_secret,
        }
    }

    /// The key from its private key string (`PRIVATE+KEY+<name>+<id>+<key>`, as
    /// `specflow log key generate` writes it).
    pub fn from_private_key(text: &str) -> Result<LogKey, KeyError> {
        NoteSigner::from_private_key(text.trim()).map(LogKey::of)
    }

    /// The key from a 32-byte seed (the key generator's, and tests').
    pub fn from_seed(origin: &str, seed: &[u8; 32]) -> Result<LogKey, KeyError> {
        NoteSigner::from_seed(origin, seed).map(LogKey::of)
    }

    /// The log's origin line (the key's name).
    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The private key string, to be written to the key file and nowhere else.
    pub fn private_key_string(&self) -> String {
        self.signer.private_key_string()
    }

    /// The verifier key, which anyone may hold, in the signed-note form
    /// (`<name>+<id>+<base64 key>`).
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    /// The HMAC of a record's version 2 authenticator message, ready to finish or compare.
    fn authenticator_mac(
        &self,
        kind: RecordKind,
        subject: &str,
        sequence: u64,
        record_hash: &str,
    ) -> HmacSha256 {
        use hmac::Mac;
        // HMAC takes a key of any length; 32 bytes cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.authenticator_secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts a 32-byte key"));
        mac.update(authenticator_message(kind, subject, sequence, record_hash).as_bytes());
        mac
    }

    /// The authenticator of one record, base64: HMAC-SHA256, keyed with a secret derived from
    /// the log's private key, over the record's kind, subject, sequence and hash. Only a holder
    /// of the key can make one, and only the sequencer, which holds it, checks them: a MAC costs
    /// a microsecond where an Ed25519 signature cost a writer tens and the sequencer more.
    pub fn authenticate(
        &self,
        kind: RecordKind,
        subject: &str,
        sequence: u64,
        record_hash: &str,
    ) -> String {
        use base64::Engine;
        use hmac::Mac;
        let mac = self.authenticator_mac(kind, subject, sequence, record_hash);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    /// Whether `authenticator` (base64) was made with this key for the record: a version 2
    /// authenticator (HMAC), or a version 1 one (the key's Ed25519 signature, which nodes wrote
    /// before version 2 and may still wait in the queue after an upgrade).
    pub fn authenticator_holds(
        &self,
        kind: RecordKind,
        subject: &str,
        sequence: u64,
        record_hash: &str,
        authenticator: &str,
    ) -> bool {
        use base64::Engine;
        use hmac::Mac;
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(authenticator) else {
            return false;
        };
        if bytes.len() == 64 {
            let message = message_of_version(1, kind, subject, sequence, record_hash);
            return self.verifier().verify(&message, &bytes);
        }
        self.authenticator_mac(kind, subject, sequence, record_hash)
            .verify_slice(&bytes)
            .is_ok()
    }
}

/// What an authenticator authenticates: a line naming the scheme, then the record's kind,
/// subject, sequence and hash, each on its own line (docs/transparency.md, "Authenticators").
pub fn authenticator_message(
    kind: RecordKind,
    subject: &str,
    sequence: u64,
    record_hash: &str,
) -> String {
    message_of_version(2, kind, subject, sequence, record_hash)
}

/// The authenticator message of a version: 1 (an Ed25519 signature, until migration 0013) or 2.
fn message_of_version(
    version: u8,
    kind: RecordKind,
    subject: &str,
    sequence: u64,
    record_hash: &str,
) -> String {
    format!(
        "specflow-record-authenticator/v{version}\n{}\n{subject}\n{sequence}\n{record_hash}\n",
        kind_name(kind)
    )
}

/// The kind's name in the log's tables and in authenticators.
pub fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Project => "project",
        RecordKind::Committee => "committee",
    }
}

/// The kind a name in the log's tables stands for.
pub(crate) fn kind_of(name: &str) -> Result<RecordKind, StoreError> {
    match name {
        "project" => Ok(RecordKind::Project),
        "committee" => Ok(RecordKind::Committee),
        other => Err(StoreError::Corrupt(format!(
            "the transparency log names a record kind {other:?}"
        ))),
    }
}

/// Why the sequencer would not integrate a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// No authenticator was stored with it: it was not written by a node holding the log's key.
    NoAuthenticator,
    /// Its authenticator is not the log key's signature of it.
    BadAuthenticator,
    /// Its hash is not 64 lowercase hexadecimal digits.
    MalformedHash,
}

impl RefusalReason {
    /// The reason's code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            RefusalReason::NoAuthenticator => "no_authenticator",
            RefusalReason::BadAuthenticator => "bad_authenticator",
            RefusalReason::MalformedHash => "malformed_hash",
        }
    }
}

/// A record the sequencer refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRefusal {
    /// The record's kind.
    pub kind: RecordKind,
    /// Its project or committee, as stored.
    pub subject: String,
    /// Its sequence.
    pub sequence: u64,
    /// Its hash, as stored.
    pub record_hash: String,
    /// Why (a [`RefusalReason`] code).
    pub reason: String,
}

/// A signed checkpoint with the cosignatures witnesses returned for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree's size.
    pub tree_size: u64,
    /// The tree's root hash.
    pub root_hash: Hash,
    /// The checkpoint as the log signed it (a signed note).
    pub note: String,
    /// Each witness's cosignature line, by witness name.
    pub cosignatures: Vec<(String, String)>,
}

impl StoredCheckpoint {
    /// The checkpoint as served: the log's signed note with every cosignature line after the
    /// log's own signature (a note may carry any number of signatures).
    pub fn cosigned_note(&self) -> String {
        let mut note = self.note.clone();
        for (_, line) in &self.cosignatures {
            note.push_str(line.trim_end_matches('\n'));
            note.push('\n');
        }
        note
    }
}

/// What one integration did.
#[derive(Debug, Clone, Default)]
pub struct Integration {
    /// Records appended to the tree.
    pub integrated: u64,
    /// Records refused, each named.
    pub refused: Vec<LogRefusal>,
    /// The checkpoint signed for the new tree, when records were appended.
    pub checkpoint: Option<StoredCheckpoint>,
}

/// The transparency log's size, queue, refusals and freshness, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCounts {
    /// Leaves in the tree.
    pub tree_size: u64,
    /// Records waiting to be integrated.
    pub pending: u64,
    /// Records refused.
    pub refused: u64,
    /// The latest checkpoint's size and when it was signed, if one was.
    pub latest_checkpoint: Option<(u64, DateTime<Utc>)>,
    /// Each witness that ever cosigned: the largest size it cosigned and when that came.
    pub witnesses: Vec<WitnessFreshness>,
}

/// How far a witness has cosigned: an operator alerts when it falls behind the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessFreshness {
    /// The witness's name (its key's name).
    pub witness: String,
    /// The largest tree size it cosigned.
    pub cosigned_size: u64,
    /// When the last of its cosignatures was received.
    pub last_received_at: DateTime<Utc>,
}

/// Where a record is in the tree, with its inclusion proof against a tree size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The record's leaf index.
    pub leaf_index: u64,
    /// The record's hash (the leaf's data).
    pub record_hash: String,
    /// The tree size the proof is against.
    pub tree_size: u64,
    /// The proof's hashes, from the leaf up.
    pub hashes: Vec<Hash>,
}

/// A queued record as the sequencer reads it.
struct Pending {
    pending_id: i64,
    kind: String,
    subject: String,
    sequence: i64,
    record_hash: String,
    authenticator: Option<String>,
}

fn u64_of(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is {value}")))
}

fn i64_of(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn tree_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("the transparency log's tree: {error}"))
}

/// A comma-separated list of indexes for an `IN (…)`: numbers the tree computed, never input.
fn index_list(indexes: &[u64]) -> String {
    indexes
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The log key writers authenticate records with, when the store was given one.
    pub fn log_key(&self) -> Option<&Arc<LogKey>> {
        self.inner.options.log_key.as_ref()
    }

    /// Notified after each commit of records on this node, for the sequencer (records written on
    /// other nodes are found by its polling).
    pub fn records_wake(&self) -> Arc<tokio::sync::Notify> {
        self.inner.signals.records_wake()
    }

    /// Takes or keeps the sequencer's lease for `node` until `until`; whether it holds it.
    pub async fn claim_sequencer(
        &self,
        node: &str,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let now = micros(self.clock().now());
        let _turn = self.sqlite_write_turn().await;
        let claimed = sqlx::query(
            "UPDATE log_sequencer SET lease_owner = $1, lease_until = $2 \
             WHERE singleton = 1 AND (lease_owner = $1 OR lease_until IS NULL OR lease_until <= $3)",
        )
        .bind(node.to_string())
        .bind(micros(until))
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Gives the sequencer's lease back (a node stopping), so another takes over at once.
    pub async fn release_sequencer(&self, node: &str) -> Result<(), StoreError> {
        let _turn = self.sqlite_write_turn().await;
        sqlx::query(
            "UPDATE log_sequencer SET lease_owner = NULL, lease_until = NULL WHERE singleton = 1 AND lease_owner = $1",
        )
        .bind(node.to_string())
        .execute(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    /// The tree's size, the queue's length and the refusals, read now.
    pub async fn log_counts(&self) -> Result<LogCounts, StoreError> {
        let count = |sql: &'static str| async move {
            let value: i64 = sqlx::query_scalar(sql)
                .fetch_one(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
            u64_of(value, "a count")
        };
        Ok(LogCounts {
            tree_size: count("SELECT tree_size FROM log_sequencer WHERE singleton = 1").await?,
            pending: count("SELECT COUNT(*) FROM log_pending").await?,
            refused: count("SELECT COUNT(*) FROM log_refusals").await?,
            latest_checkpoint: self.latest_checkpoint_signed().await?,
            witnesses: self.witness_freshness().await?,
        })
    }

    /// The latest checkpoint's size and when it was signed.
    async fn latest_checkpoint_signed(&self) -> Result<Option<(u64, DateTime<Utc>)>, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT tree_size, signed_at FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        row.map(|(size, signed_at)| Ok((u64_of(size, "a tree size")?, instant(signed_at)?)))
            .transpose()
    }

    /// Each witness's largest cosigned size and its last cosignature's arrival.
    async fn witness_freshness(&self) -> Result<Vec<WitnessFreshness>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT witness, MAX(tree_size), MAX(received_at) FROM log_cosignatures GROUP BY witness ORDER BY witness",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        rows.into_iter()
            .map(|(witness, size, received_at)| {
                Ok(WitnessFreshness {
                    witness,
                    cosigned_size: u64_of(size, "a tree size")?,
                    last_received_at: instant(received_at)?,
                })
            })
            .collect()
    }

    /// How many records wait to be integrated.
    pub async fn log_pending_count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_pending")
            .fetch_one(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        u64_of(count, "the queue's length")
    }

    /// Integrates up to `limit` queued records (the whole queue while the tree is empty), in the
    /// order they were queued, and signs a checkpoint of the tree they make, in one transaction.
    pub async fn integrate_pending(
        &self,
        key: &LogKey,
        limit: u32,
    ) -> Result<Integration, StoreError> {
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut connection = self.pool().acquire().await.map_err(database)?;
        let mut transaction = match self.backend() {
            Backend::Sqlite => connection.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => connection.begin().await,
        }
        .map_err(database)?;
        let lock = match self.backend() {
            Backend::Sqlite => "SELECT tree_size FROM log_sequencer WHERE singleton = 1",
            Backend::Postgres => {
                "SELECT tree_size FROM log_sequencer WHERE singleton = 1 FOR UPDATE"
            }
        };
        let size: i64 = sqlx::query_scalar(lock)
            .fetch_one(&mut *transaction)
            .await
            .map_err(database)?;
        let size = u64_of(size, "the tree's size")?;
        let pending = read_pending(&mut transaction, size == 0, limit)
            .await
            .map_err(database)?;
        if pending.is_empty() {
            let _ = transaction.rollback().await;
            return Ok(Integration::default());
        }
        if let Err(mismatch) = same_log(&mut transaction, key).await {
            let _ = transaction.rollback().await;
            return Err(mismatch);
        }
        let (accepted, refused) = judge_pending(&pending, key, size == 0)?;
        let now = micros(self.clock().now());
        let mut integration = Integration {
            integrated: accepted.len() as u64,
            refused,
            checkpoint: None,
        };
        let written = self
            .append_to_tree(&mut transaction, size, &accepted, now)
            .await?;
        if let Some((new_size, root)) = written {
            let checkpoint = sign_checkpoint(key, new_size, root)?;
            sqlx::query(
                "INSERT INTO log_checkpoints (tree_size, root_hash, note, signed_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(i64_of(new_size))
            .bind(root.to_hex())
            .bind(checkpoint.clone())
            .bind(now)
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
            sqlx::query("UPDATE log_sequencer SET tree_size = $1 WHERE singleton = 1")
                .bind(i64_of(new_size))
                .execute(&mut *transaction)
                .await
                .map_err(database)?;
            integration.checkpoint = Some(StoredCheckpoint {
                tree_size: new_size,
                root_hash: root,
                note: checkpoint,
                cosignatures: Vec::new(),
            });
        }
        record_refusals(&mut transaction, &integration.refused, now)
            .await
            .map_err(database)?;
        remove_from_queue(&mut transaction, &pending)
            .await
            .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        Ok(integration)
    }

    /// Appends the accepted records' leaves and the tree's new node hashes; the new size and
    /// root, `None` when nothing was accepted.
    async fn append_to_tree(
        &self,
        connection: &mut AnyConnection,
        size: u64,
        accepted: &[&Pending],
        now: i64,
    ) -> Result<Option<(u64, Hash)>, StoreError> {
        if accepted.is_empty() {
            return Ok(None);
        }
        let database = |error: sqlx::Error| self.database_error(error);
        let leaves: Vec<Hash> = accepted
            .iter()
            .map(|record| {
                Hash::from_hex(&record.record_hash)
                    .map(|hash| leaf_hash(hash.as_bytes()))
                    .map_err(tree_error)
            })
            .collect::<Result<_, _>>()?;
        let count = leaves.len() as u64;
        let needed = tree::indexes_for_appending(size, count).map_err(tree_error)?;
        let known = read_hashes(&mut *connection, &needed).await?;
        let new_hashes =
            tree::stored_hashes_for_appending(size, &leaves, &known).map_err(tree_error)?;
        let first_index = tree::stored_hash_count(size).map_err(tree_error)?;
        insert_hashes(&mut *connection, self.backend(), first_index, &new_hashes)
            .await
            .map_err(database)?;
        insert_leaves(&mut *connection, size, accepted, now)
            .await
            .map_err(database)?;
        let new_size = size + count;
        let root_indexes = tree::indexes_for_tree_hash(new_size).map_err(tree_error)?;
        let root_hashes = read_hashes(&mut *connection, &root_indexes).await?;
        let root = tree::tree_hash_from(new_size, &root_hashes).map_err(tree_error)?;
        Ok(Some((new_size, root)))
    }

    /// The latest signed checkpoint with its cosignatures, `None` before the first.
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = sqlx::query(
            "SELECT tree_size, root_hash, note FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        match row {
            Some(row) => Ok(Some(self.checkpoint_of(&row).await?)),
            None => Ok(None),
        }
    }

    /// The checkpoint signed for a tree of `tree_size`, if one was.
    pub async fn checkpoint_at(
        &self,
        tree_size: u64,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = sqlx::query(
            "SELECT tree_size, root_hash, note FROM log_checkpoints WHERE tree_size = $1",
        )
        .bind(i64_of(tree_size))
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        match row {
            Some(row) => Ok(Some(self.checkpoint_of(&row).await?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn checkpoint_of(&self, row: &AnyRow) -> Result<StoredCheckpoint, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let tree_size: i64 = row.try_get("tree_size").map_err(get)?;
        let root_hash: String = row.try_get("root_hash").map_err(get)?;
        let note: String = row.try_get("note").map_err(get)?;
        let rows = sqlx::query(
            "SELECT witness, line FROM log_cosignatures WHERE tree_size = $1 ORDER BY witness",
        )
        .bind(tree_size)
        .fetch_all(self.pool())
        .await
        .map_err(get)?;
        let cosignatures = rows
            .iter()
            .map(|row| Ok((row.try_get("witness")?, row.try_get("line")?)))
            .collect::<Result<Vec<(String, String)>, sqlx::Error>>()
            .map_err(get)?;
        Ok(StoredCheckpoint {
            tree_size: u64_of(tree_size, "a checkpoint's size")?,
            root_hash: Hash::from_hex(&root_hash).map_err(tree_error)?,
            note,
            cosignatures,
        })
    }

    /// Keeps a witness's cosignature line of the checkpoint of `tree_size` (the first one a
    /// witness gave is kept).
    pub async fn add_cosignature(
        &self,
        tree_size: u64,
        witness: &str,
        line: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.sqlite_write_turn().await;
        sqlx::query(
            "INSERT INTO log_cosignatures (tree_size, witness, line, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size, witness) DO NOTHING",
        )
        .bind(i64_of(tree_size))
        .bind(witness.to_string())
        .bind(line.to_string())
        .bind(micros(self.clock().now()))
        .execute(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    /// The tree's stored hashes at `indexes`, in that order.
    pub async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let mut connection = self
            .pool()
            .acquire()
            .await
            .map_err(|error| self.database_error(error))?;
        read_hashes(&mut connection, indexes).await
    }

    /// A tile of the tree of `tree_size` (C2SP tlog-tiles), `None` when the tree does not
    /// hold it (yet).
    pub async fn log_tile(
        &self,
        tile: &Tile,
        tree_size: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if !tile.within(tree_size) {
            return Ok(None);
        }
        let indexes = tile.stored_hash_indexes().map_err(tree_error)?;
        let hashes = self.log_hashes(&indexes).await?;
        tile.encode(&hashes).map(Some).map_err(tree_error)
    }

    /// The inclusion proof of a record against the tree of `tree_size`, `None` when the record
    /// is not in that tree.
    pub async fn inclusion_proof(
        &self,
        kind: RecordKind,
        subject: &str,
        sequence: u64,
        tree_size: u64,
    ) -> Result<Option<InclusionProof>, StoreError> {
        let row = sqlx::query(
            "SELECT leaf_index, record_hash FROM log_leaves WHERE record_kind = $1 AND subject_id = $2 AND sequence = $3",
        )
        .bind(kind_name(kind))
        .bind(subject.to_string())
        .bind(i64_of(sequence))
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let get = |error: sqlx::Error| self.database_error(error);
        let leaf_index = u64_of(row.try_get("leaf_index").map_err(get)?, "a leaf index")?;
        if leaf_index >= tree_size {
            return Ok(None);
        }
        let indexes = tree::indexes_for_record_proof(tree_size, leaf_index).map_err(tree_error)?;
        let hashes = self.log_hashes(&indexes).await?;
        let proof = tree::record_proof_from(tree_size, leaf_index, &hashes).map_err(tree_error)?;
        Ok(Some(InclusionProof {
            leaf_index,
            record_hash: row.try_get("record_hash").map_err(get)?,
            tree_size,
            hashes: proof,
        }))
    }

    /// The consistency proof from the tree of `old_size` to the tree of `new_size`.
    pub async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let indexes = tree::indexes_for_tree_proof(new_size, old_size).map_err(tree_error)?;
        let hashes = self.log_hashes(&indexes).await?;
        tree::tree_proof_from(new_size, old_size, &hashes).map_err(tree_error)
    }

    /// The records the sequencer refused, in the order it refused them.
    pub async fn log_refusals(&self) -> Result<Vec<LogRefusal>, StoreError> {
        let rows = sqlx::query(
            "SELECT record_kind, subject_id, sequence, record_hash, reason FROM log_refusals ORDER BY refused_at, record_kind, subject_id, sequence",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("record_kind").map_err(get)?;
                Ok(LogRefusal {
                    kind: kind_of(&kind)?,
                    subject: row.try_get("subject_id").map_err(get)?,
                    sequence: u64_of(row.try_get("sequence").map_err(get)?, "a sequence")?,
                    record_hash: row.try_get("record_hash").map_err(get)?,
                    reason: row.try_get("reason").map_err(get)?,
                })
            })
            .collect()
    }
}

/// Refuses a key whose origin is not the one the log's checkpoints were signed as: a second
/// origin would split one tree between two names, and witnesses would refuse it.
async fn same_log(connection: &mut AnyConnection, key: &LogKey) -> Result<(), StoreError> {
    let note: Option<String> =
        sqlx::query_scalar("SELECT note FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1")
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| StoreError::Corrupt(format!("the log's checkpoints: {error}")))?;
    let Some(note) = note else {
        return Ok(());
    };
    let origin = note.lines().next().unwrap_or_default();
    if origin == key.origin() {
        return Ok(());
    }
    Err(StoreError::LogKeyMismatch {
        log: origin.to_string(),
        key: key.origin().to_string(),
    })
}

/// The queue's first records, with their authenticators: all of them while the tree is empty
/// (the first checkpoint adopts every record written before the log), else up to `limit`.
async fn read_pending(
    connection: &mut AnyConnection,
    whole_queue: bool,
    limit: u32,
) -> Result<Vec<Pending>, sqlx::Error> {
    let limit = if whole_queue {
        String::new()
    } else {
        format!(" LIMIT {}", limit.max(1))
    };
    let rows = sqlx::query(&format!(
        "SELECT pending_id, record_kind, subject_id, sequence, record_hash, authenticator \
         FROM log_pending ORDER BY pending_id{limit}"
    ))
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Pending {
                pending_id: row.try_get("pending_id")?,
                kind: row.try_get("record_kind")?,
                subject: row.try_get("subject_id")?,
                sequence: row.try_get("sequence")?,
                record_hash: row.try_get("record_hash")?,
                authenticator: row.try_get("authenticator")?,
            })
        })
        .collect()
}

/// Splits the queued records into those the tree takes and those it refuses, with why.
fn judge_pending<'a>(
    pending: &'a [Pending],
    key: &LogKey,
    adopting: bool,
) -> Result<(Vec<&'a Pending>, Vec<LogRefusal>), StoreError> {
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for record in pending {
        let kind = kind_of(&record.kind)?;
        let sequence = u64_of(record.sequence, "a queued record's sequence")?;
        let reason = refusal_of(record, kind, sequence, key, adopting);
        match reason {
            None => accepted.push(record),
            Some(reason) => refused.push(LogRefusal {
                kind,
                subject: record.subject.clone(),
                sequence,
                record_hash: record.record_hash.clone(),
                reason: reason.code().to_string(),
            }),
        }
    }
    Ok((accepted, refused))
}

fn refusal_of(
    record: &Pending,
    kind: RecordKind,
    sequence: u64,
    key: &LogKey,
    adopting: bool,
) -> Option<RefusalReason> {
    let canonical = record.record_hash.len() == 64
        && record
            .record_hash
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if !canonical {
        return Some(RefusalReason::MalformedHash);
    }
    match &record.authenticator {
        None if adopting => None,
        None => Some(RefusalReason::NoAuthenticator),
        Some(authenticator) => (!key.authenticator_holds(
            kind,
            &record.subject,
            sequence,
            &record.record_hash,
            authenticator,
        ))
        .then_some(RefusalReason::BadAuthenticator),
    }
}

/// Takes exactly the records read off the queue. Not "everything up to the last one read": on
/// PostgreSQL a writer's transaction takes its place in the queue when it inserts and becomes
/// visible when it commits, so a record placed before the last one read can commit after the
/// queue was read, and would be taken off it without ever being integrated.
async fn remove_from_queue(
    connection: &mut AnyConnection,
    pending: &[Pending],
) -> Result<(), sqlx::Error> {
    let ranges = consecutive_ranges(pending.iter().map(|record| record.pending_id));
    for chunk in ranges.chunks(500) {
        // Numbers the database gave, never input.
        sqlx::query(&format!(
            "DELETE FROM log_pending WHERE {}",
            ranges_condition(chunk)
        ))
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// Increasing ids as runs of consecutive ones, `(first, last)`: usually one run per batch.
fn consecutive_ranges(ids: impl IntoIterator<Item = i64>) -> Vec<(i64, i64)> {
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for id in ids {
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == id => *last = id,
            _ => ranges.push((id, id)),
        }
    }
    ranges
}

async fn record_refusals(
    connection: &mut AnyConnection,
    refusals: &[LogRefusal],
    now: i64,
) -> Result<(), sqlx::Error> {
    for refusal in refusals {
        sqlx::query(
            "INSERT INTO log_refusals (record_kind, subject_id, sequence, record_hash, reason, refused_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (record_kind, subject_id, sequence) DO NOTHING",
        )
        .bind(kind_name(refusal.kind))
        .bind(refusal.subject.clone())
        .bind(i64_of(refusal.sequence))
        .bind(refusal.record_hash.clone())
        .bind(refusal.reason.clone())
        .bind(now)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// Inserts the tree's new node hashes, whose stored-hash indexes run on from `first_index`, in
/// one statement: the hashes go as one blob of 32-byte slices, which the database cuts up. Bound
/// a row at a time they cost two parameters each, and sqlx's SQLite driver binds a statement's
/// parameters in time growing with the square of their number.
async fn insert_hashes(
    connection: &mut AnyConnection,
    backend: Backend,
    first_index: u64,
    hashes: &[Hash],
) -> Result<(), sqlx::Error> {
    if hashes.is_empty() {
        return Ok(());
    }
    let blob: Vec<u8> = hashes.iter().flat_map(|hash| *hash.as_bytes()).collect();
    let sql = match backend {
        Backend::Sqlite => {
            "WITH RECURSIVE slice(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM slice WHERE i + 1 < $3) \
             INSERT INTO log_hashes (hash_index, hash) SELECT $1 + i, substr($2, i * 32 + 1, 32) FROM slice"
        }
        Backend::Postgres => {
            "INSERT INTO log_hashes (hash_index, hash) \
             SELECT $1 + i, substring($2 FROM (i * 32 + 1)::integer FOR 32) FROM generate_series(0, $3 - 1) AS i"
        }
    };
    let inserted = sqlx::query(sql)
        .bind(i64_of(first_index))
        .bind(blob)
        .bind(i64_of(hashes.len() as u64))
        .execute(&mut *connection)
        .await?;
    expect_rows(inserted.rows_affected(), hashes.len(), "node hashes")
}

/// Appends the accepted records as leaves from leaf `size` on, copied from their rows in the
/// queue in queue order (no value is bound per leaf, for the reason [`insert_hashes`] gives).
/// The accepted ids go as runs of consecutive ids, so a record that committed after the queue
/// was read (PostgreSQL) cannot fall inside one.
async fn insert_leaves(
    connection: &mut AnyConnection,
    size: u64,
    records: &[&Pending],
    now: i64,
) -> Result<(), sqlx::Error> {
    let ranges = consecutive_ranges(records.iter().map(|record| record.pending_id));
    let mut next_leaf = size;
    for chunk in ranges.chunks(500) {
        let count: u64 = chunk
            .iter()
            .map(|(first, last)| u64::try_from(last - first + 1).unwrap_or(0))
            .sum();
        // Numbers the database gave, never input.
        let inserted = sqlx::query(&format!(
            "INSERT INTO log_leaves (leaf_index, record_kind, subject_id, sequence, record_hash, integrated_at) \
             SELECT $1 + (ROW_NUMBER() OVER (ORDER BY pending_id)) - 1, record_kind, subject_id, sequence, record_hash, $2 \
             FROM log_pending WHERE {}",
            ranges_condition(chunk)
        ))
        .bind(i64_of(next_leaf))
        .bind(now)
        .execute(&mut *connection)
        .await?;
        expect_rows(inserted.rows_affected(), count as usize, "leaves")?;
        next_leaf += count;
    }
    Ok(())
}

/// `pending_id BETWEEN … OR …` for runs of ids.
fn ranges_condition(ranges: &[(i64, i64)]) -> String {
    ranges
        .iter()
        .map(|(first, last)| format!("pending_id BETWEEN {first} AND {last}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Fails the integration (rolling it back) when a statement wrote other than the rows meant.
fn expect_rows(written: u64, meant: usize, what: &str) -> Result<(), sqlx::Error> {
    if written == meant as u64 {
        Ok(())
    } else {
        Err(sqlx::Error::Protocol(format!(
            "the transparency log's {what}: {written} rows written where {meant} were meant"
        )))
    }
}

/// The stored hashes at `indexes`, in that order; a missing one is a corrupt tree.
async fn read_hashes(
    connection: &mut AnyConnection,
    indexes: &[u64],
) -> Result<Vec<Hash>, StoreError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT hash_index, hash FROM log_hashes WHERE hash_index IN ({})",
        index_list(indexes)
    ))
    .fetch_all(&mut *connection)
    .await
    .map_err(|error| StoreError::Corrupt(format!("the transparency log's hashes: {error}")))?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let index: i64 = row.try_get("hash_index").map_err(tree_error)?;
        let bytes: Vec<u8> = row.try_get("hash").map_err(tree_error)?;
        found.insert(index, Hash::from_slice(&bytes).map_err(tree_error)?);
    }
    indexes
        .iter()
        .map(|index| {
            found
                .get(&i64_of(*index))
                .copied()
                .ok_or_else(|| tree_error(format!("stored hash {index} is missing")))
        })
        .collect()
}

/// The signed note of the checkpoint of a tree of `size` with `root`.
fn sign_checkpoint(key: &LogKey, size: u64, root: Hash) -> Result<String, StoreError> {
    let text = Checkpoint::new(key.origin(), size, root)
        .to_text()
        .map_err(tree_error)?;
    sign_note(&text, &key.signer).map_err(tree_error)
}
