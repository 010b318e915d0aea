-- The transparency log (issue 18; docs/transparency.md). Keep in step with
-- ../postgres/0012_transparency_log.sql, which says what each table is for.

CREATE TABLE log_pending (
    pending_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    record_kind     TEXT    NOT NULL CHECK (record_kind IN ('project', 'committee')),
    subject_id      TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    record_hash     TEXT    NOT NULL,
    UNIQUE (record_kind, subject_id, sequence)
);

CREATE TABLE log_authenticators (
    record_kind     TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    signature       TEXT    NOT NULL,
    PRIMARY KEY (record_kind, subject_id, sequence)
);

CREATE TABLE log_leaves (
    leaf_index      INTEGER PRIMARY KEY,
    record_kind     TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    record_hash     TEXT    NOT NULL,
    integrated_at   INTEGER NOT NULL,
    UNIQUE (record_kind, subject_id, sequence)
);

CREATE TABLE log_hashes (
    hash_index      INTEGER PRIMARY KEY,
    hash            BLOB    NOT NULL
);

CREATE TABLE log_checkpoints (
    tree_size       INTEGER PRIMARY KEY,
    root_hash       TEXT    NOT NULL,
    note            TEXT    NOT NULL,
    signed_at       INTEGER NOT NULL
);

CREATE TABLE log_cosignatures (
    tree_size       INTEGER NOT NULL,
    witness         TEXT    NOT NULL,
    line            TEXT    NOT NULL,
    received_at     INTEGER NOT NULL,
    PRIMARY KEY (tree_size, witness)
);

CREATE TABLE log_refusals (
    record_kind     TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    record_hash     TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    refused_at      INTEGER NOT NULL,
    PRIMARY KEY (record_kind, subject_id, sequence)
);

CREATE TABLE log_sequencer (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    tree_size       INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER
);
INSERT INTO log_sequencer (singleton, tree_size) VALUES (1, 0);

CREATE TRIGGER audit_records_queue AFTER INSERT ON audit_records
BEGIN
    INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash)
        VALUES ('project', NEW.project_id, NEW.sequence, NEW.hash);
END;

CREATE TRIGGER committee_records_queue AFTER INSERT ON committee_records
BEGIN
    INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash)
        VALUES ('committee', NEW.committee_id, NEW.sequence, NEW.hash);
END;

CREATE TRIGGER log_leaves_refuse_update BEFORE UPDATE ON log_leaves
BEGIN SELECT RAISE(ABORT, 'log_leaves is append-only: UPDATE is refused'); END;
CREATE TRIGGER log_leaves_refuse_delete BEFORE DELETE ON log_leaves
BEGIN SELECT RAISE(ABORT, 'log_leaves is append-only: DELETE is refused'); END;
CREATE TRIGGER log_hashes_refuse_update BEFORE UPDATE ON log_hashes
BEGIN SELECT RAISE(ABORT, 'log_hashes is append-only: UPDATE is refused'); END;
CREATE TRIGGER log_hashes_refuse_delete BEFORE DELETE ON log_hashes
BEGIN SELECT RAISE(ABORT, 'log_hashes is append-only: DELETE is refused'); END;
CREATE TRIGGER log_checkpoints_refuse_update BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only: UPDATE is refused'); END;
CREATE TRIGGER log_checkpoints_refuse_delete BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only: DELETE is refused'); END;

INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash)
SELECT record_kind, subject_id, sequence, record_hash FROM (
    SELECT 'project' AS record_kind, project_id AS subject_id, sequence, hash AS record_hash, recorded_at
        FROM audit_records
    UNION ALL
    SELECT 'committee', committee_id, sequence, hash, recorded_at FROM committee_records
) AS existing
ORDER BY recorded_at, record_kind, subject_id, sequence;
