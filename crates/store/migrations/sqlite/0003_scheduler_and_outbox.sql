-- The deadline scheduler's claims and the notification outbox.
-- Keep in step with ../postgres/0003_scheduler_and_outbox.sql: same tables, same columns, same meaning.

-- A scheduler node that claims a due project sets this lease (microseconds since the epoch); other
-- nodes skip the project until the lease runs out, so a node that dies mid-batch only delays its
-- projects by one lease. Exactly-once firing does not rest on the lease but on the audit log's key
-- (project_id, sequence): a second tick of the same deadline finds nothing due.
ALTER TABLE projects ADD COLUMN scheduler_lease_until BIGINT;

-- One notification per audience per audit record that someone must hear about, written in the
-- same transaction as the record. `body` is the exact JSON delivered (and signed).
-- Unlike audit_records, rows here change: status, attempts and the next attempt move on delivery.
CREATE TABLE outbox (
    notification_id  TEXT    NOT NULL PRIMARY KEY,
    project_id       TEXT    NOT NULL,
    sequence         BIGINT  NOT NULL,
    audience         TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    last_error       TEXT,
    delivered_at     BIGINT
);

CREATE INDEX outbox_due ON outbox (next_attempt_at, notification_id) WHERE status = 'pending';
CREATE INDEX outbox_by_status ON outbox (status, created_at, notification_id);
CREATE INDEX outbox_by_project ON outbox (project_id, sequence);

-- Where each audience's notifications are delivered: one webhook per audience (a role of the
-- workflow definitions: bureau, secretariat, drafter...). The secret signs every delivery.
CREATE TABLE webhooks (
    audience         TEXT    NOT NULL PRIMARY KEY,
    url              TEXT    NOT NULL,
    secret           TEXT    NOT NULL,
    max_attempts     BIGINT  NOT NULL CHECK (max_attempts > 0),
    timeout_millis   BIGINT  NOT NULL CHECK (timeout_millis > 0),
    updated_at       BIGINT  NOT NULL
);
