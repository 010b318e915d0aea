-- The transparency log's queue made lighter on the write path. Keep in step with
-- ../postgres/0013_log_queue_lighter.sql, which says why.
--
-- SQLite cannot drop a UNIQUE constraint, so the queue is made anew; it also loses
-- AUTOINCREMENT, whose bookkeeping row was one more write per record: one writer at a time
-- inserts and the sequencer removes only the ids it read under the same write lock, so plain
-- rowids still number the queue in the order it was filled.

ALTER TABLE audit_records ADD COLUMN log_authenticator TEXT;
ALTER TABLE committee_records ADD COLUMN log_authenticator TEXT;

DROP TRIGGER audit_records_queue;
DROP TRIGGER committee_records_queue;

CREATE TABLE log_queue (
    pending_id      INTEGER PRIMARY KEY,
    record_kind     TEXT    NOT NULL CHECK (record_kind IN ('project', 'committee')),
    subject_id      TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    record_hash     TEXT    NOT NULL,
    authenticator   TEXT
);
INSERT INTO log_queue (pending_id, record_kind, subject_id, sequence, record_hash, authenticator)
    SELECT p.pending_id, p.record_kind, p.subject_id, p.sequence, p.record_hash, a.signature
    FROM log_pending p LEFT JOIN log_authenticators a
        ON a.record_kind = p.record_kind AND a.subject_id = p.subject_id AND a.sequence = p.sequence
    ORDER BY p.pending_id;
DROP TABLE log_pending;
DROP TABLE log_authenticators;
ALTER TABLE log_queue RENAME TO log_pending;

CREATE TRIGGER audit_records_queue AFTER INSERT ON audit_records
BEGIN
    INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash, authenticator)
        VALUES ('project', NEW.project_id, NEW.sequence, NEW.hash, NEW.log_authenticator);
END;

CREATE TRIGGER committee_records_queue AFTER INSERT ON committee_records
BEGIN
    INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash, authenticator)
        VALUES ('committee', NEW.committee_id, NEW.sequence, NEW.hash, NEW.log_authenticator);
END;
