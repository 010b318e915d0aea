-- Committees as audited records (issue 7). Keep in step with ../postgres/0005_committees.sql:
-- same tables, same columns, same meaning.

-- Each committee's log: one row per record, append-only like audit_records (the triggers below
-- refuse UPDATE and DELETE). Records are hashed under the format name
-- `specflow-committee-audit-v1` (docs/audit-format.md); `event` is the exact JSON text hashed.
CREATE TABLE committee_records (
    committee_id    TEXT    NOT NULL,
    sequence        BIGINT  NOT NULL,
    recorded_at     BIGINT  NOT NULL,
    actor_id        TEXT    NOT NULL,
    actor_role      TEXT    NOT NULL,
    command_id      TEXT,
    event_type      TEXT    NOT NULL,
    event_version   BIGINT  NOT NULL,
    event           TEXT    NOT NULL,
    previous_hash   TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    PRIMARY KEY (committee_id, sequence)
);

CREATE INDEX committee_records_by_command ON committee_records (command_id) WHERE command_id IS NOT NULL;

CREATE TRIGGER committee_records_refuse_update BEFORE UPDATE ON committee_records
BEGIN
    SELECT RAISE(ABORT, 'committee_records is append-only: UPDATE is refused');
END;

CREATE TRIGGER committee_records_refuse_delete BEFORE DELETE ON committee_records
BEGIN
    SELECT RAISE(ABORT, 'committee_records is append-only: DELETE is refused');
END;

-- The projection of each committee, written in the same transaction as its records. `code` is
-- the committee named by projects and by tokens' scopes. `next_deadline_at` is the instant the
-- current term's warning or end falls due, for the scheduler; `scheduler_lease_until` shares the
-- work out between nodes as for projects.
CREATE TABLE committees (
    committee_id           TEXT    NOT NULL PRIMARY KEY,
    code                   TEXT    NOT NULL UNIQUE,
    name_zh                TEXT    NOT NULL,
    name_en                TEXT    NOT NULL,
    field                  TEXT    NOT NULL,
    legal_metrology        INTEGER NOT NULL CHECK (legal_metrology IN (0, 1)),
    current_term           BIGINT,
    next_deadline_at       BIGINT,
    scheduler_lease_until  BIGINT,
    head_sequence          BIGINT  NOT NULL,
    head_hash              TEXT    NOT NULL,
    updated_at             BIGINT  NOT NULL
);

CREATE INDEX committees_due ON committees (next_deadline_at) WHERE next_deadline_at IS NOT NULL;
