-- The transparency log (issue 18; docs/transparency.md). Keep in step with
-- ../sqlite/0012_transparency_log.sql.
--
-- Every audit record, of projects and of committees, becomes a leaf of one append-only Merkle
-- tree (RFC 9162). A trigger queues each record as it is inserted, whoever inserts it, so a
-- record written around specflow is seen by the sequencer too, which refuses it for want of the
-- writer's authenticator and names it. The sequencer integrates queued records in batches,
-- stores the tree's node hashes by their stored-hash index, and signs a checkpoint.

-- Records waiting to be integrated, in the order they were queued.
CREATE TABLE log_pending (
    pending_id      BIGSERIAL PRIMARY KEY,
    record_kind     TEXT    NOT NULL CHECK (record_kind IN ('project', 'committee')),
    subject_id      TEXT    NOT NULL,
    sequence        BIGINT  NOT NULL,
    record_hash     TEXT    NOT NULL,
    UNIQUE (record_kind, subject_id, sequence)
);

-- The writer's Ed25519 signature over each record it wrote with the log's key, in the record's
-- own transaction (docs/transparency.md, "Authenticators").
CREATE TABLE log_authenticators (
    record_kind     TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    sequence        BIGINT  NOT NULL,
    signature       TEXT    NOT NULL,
    PRIMARY KEY (record_kind, subject_id, sequence)
);

-- Which record each leaf is: a record is in the tree once.
CREATE TABLE log_leaves (
    leaf_index      BIGINT  PRIMARY KEY,
    record_kind     TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    sequence        BIGINT  NOT NULL,
    record_hash     TEXT    NOT NULL,
    integrated_at   BIGINT  NOT NULL,
    UNIQUE (record_kind, subject_id, sequence)
);

-- Every node hash of the tree, by its stored-hash index (the numbering of Go's sumdb/tlog).
CREATE TABLE log_hashes (
    hash_index      BIGINT  PRIMARY KEY,
    hash            BYTEA   NOT NULL
);

-- Every signed checkpoint, and the witnesses' cosignatures of it.
CREATE TABLE log_checkpoints (
    tree_size       BIGINT  PRIMARY KEY,
    root_hash       TEXT    NOT NULL,
    note            TEXT    NOT NULL,
    signed_at       BIGINT  NOT NULL
);

CREATE TABLE log_cosignatures (
    tree_size       BIGINT  NOT NULL,
    witness         TEXT    NOT NULL,
    line            TEXT    NOT NULL,
    received_at     BIGINT  NOT NULL,
    PRIMARY KEY (tree_size, witness)
);

-- Records the sequencer would not integrate, and why.
CREATE TABLE log_refusals (
    record_kind     TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    sequence        BIGINT  NOT NULL,
    record_hash     TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    refused_at      BIGINT  NOT NULL,
    PRIMARY KEY (record_kind, subject_id, sequence)
);

-- The tree's size, and which node sequences it now (a lease, so one node at a time does).
CREATE TABLE log_sequencer (
    singleton       BIGINT  PRIMARY KEY CHECK (singleton = 1),
    tree_size       BIGINT  NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT
);
INSERT INTO log_sequencer (singleton, tree_size) VALUES (1, 0);

CREATE FUNCTION audit_records_queue_for_log() RETURNS trigger AS $$
BEGIN
    INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash)
        VALUES ('project', NEW.project_id, NEW.sequence, NEW.hash);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_records_queue AFTER INSERT ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_queue_for_log();

CREATE FUNCTION committee_records_queue_for_log() RETURNS trigger AS $$
BEGIN
    INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash)
        VALUES ('committee', NEW.committee_id, NEW.sequence, NEW.hash);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER committee_records_queue AFTER INSERT ON committee_records
    FOR EACH ROW EXECUTE FUNCTION committee_records_queue_for_log();

-- The tree, its checkpoints and its leaves are append-only, as the logs are.
CREATE FUNCTION transparency_log_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER log_leaves_refuse_change BEFORE UPDATE OR DELETE ON log_leaves
    FOR EACH ROW EXECUTE FUNCTION transparency_log_refuse_change();
CREATE TRIGGER log_hashes_refuse_change BEFORE UPDATE OR DELETE ON log_hashes
    FOR EACH ROW EXECUTE FUNCTION transparency_log_refuse_change();
CREATE TRIGGER log_checkpoints_refuse_change BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION transparency_log_refuse_change();
CREATE TRIGGER log_leaves_refuse_truncate BEFORE TRUNCATE ON log_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION transparency_log_refuse_change();
CREATE TRIGGER log_hashes_refuse_truncate BEFORE TRUNCATE ON log_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION transparency_log_refuse_change();
CREATE TRIGGER log_checkpoints_refuse_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION transparency_log_refuse_change();

-- Records written before the log are queued in the order they were recorded; the first
-- checkpoint vouches for them (they have no authenticators).
INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash)
SELECT record_kind, subject_id, sequence, record_hash FROM (
    SELECT 'project' AS record_kind, project_id AS subject_id, sequence, hash AS record_hash, recorded_at
        FROM audit_records
    UNION ALL
    SELECT 'committee', committee_id, sequence, hash, recorded_at FROM committee_records
) AS existing
ORDER BY recorded_at, record_kind, subject_id, sequence;
