-- specflow's first schema (SQLite). Keep in step with ../postgres/0001_initial.sql: same tables,
-- same columns, same meaning. Instants are INTEGER microseconds since the Unix epoch (UTC) and
-- ids are TEXT (lowercase hyphenated UUIDs) on both backends, and flags are 0 or 1, so one set of
-- queries serves both.

-- Workflow definitions: immutable per (definition_id, version), with the hash of their source.
CREATE TABLE workflow_definitions (
    definition_id   TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    content_sha256  TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    registered_at   INTEGER NOT NULL,
    PRIMARY KEY (definition_id, version)
);

-- Working-day calendars, one row a year, so that every node counts days alike.
CREATE TABLE calendar_years (
    calendar        TEXT    NOT NULL,
    year            INTEGER NOT NULL,
    content_sha256  TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    PRIMARY KEY (calendar, year)
);

-- The audit log: one row per record, append-only (the triggers below refuse UPDATE and DELETE).
-- `event` is the exact JSON text that was hashed: TEXT, never a JSON type that would reorder it.
CREATE TABLE audit_records (
    project_id      TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    recorded_at     INTEGER NOT NULL,
    actor_id        TEXT    NOT NULL,
    actor_role      TEXT    NOT NULL,
    command_id      TEXT,
    event_type      TEXT    NOT NULL,
    event_version   INTEGER NOT NULL,
    event           TEXT    NOT NULL,
    previous_hash   TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    PRIMARY KEY (project_id, sequence)
) WITHOUT ROWID;

CREATE TRIGGER audit_records_refuse_update BEFORE UPDATE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: UPDATE is refused');
END;

CREATE TRIGGER audit_records_refuse_delete BEFORE DELETE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: DELETE is refused');
END;

-- The projection of each project's current state, for fast reads; written in the same
-- transaction as the records it reflects.
CREATE TABLE projects (
    project_id          TEXT    NOT NULL PRIMARY KEY,
    code                TEXT    NOT NULL UNIQUE,
    title_zh            TEXT    NOT NULL,
    title_en            TEXT    NOT NULL,
    specification_kind  TEXT    NOT NULL,
    committee           TEXT    NOT NULL,
    drafting_unit       TEXT    NOT NULL,
    definition_id       TEXT    NOT NULL,
    definition_version  INTEGER NOT NULL,
    stage               TEXT    NOT NULL,
    stage_since         INTEGER NOT NULL,
    terminal            INTEGER NOT NULL CHECK (terminal IN (0, 1)),
    next_deadline_at    INTEGER,
    overdue_since       INTEGER,
    escalated           INTEGER NOT NULL CHECK (escalated IN (0, 1)),
    frozen              INTEGER NOT NULL CHECK (frozen IN (0, 1)),
    head_sequence       INTEGER NOT NULL,
    head_hash           TEXT    NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE INDEX projects_by_committee ON projects (committee, code);
CREATE INDEX projects_by_stage ON projects (stage, code);
CREATE INDEX projects_by_drafting_unit ON projects (drafting_unit, code);
CREATE INDEX projects_overdue ON projects (overdue_since, project_id) WHERE overdue_since IS NOT NULL;
CREATE INDEX projects_due ON projects (next_deadline_at) WHERE next_deadline_at IS NOT NULL;

-- Commands already carried out (or refused), by id: a retry gets the same answer.
CREATE TABLE commands (
    command_id      TEXT    NOT NULL PRIMARY KEY,
    project_id      TEXT    NOT NULL,
    first_sequence  INTEGER,
    last_sequence   INTEGER,
    outcome         TEXT    NOT NULL,
    decided_at      INTEGER NOT NULL
);

-- Artifact contents, addressed by their SHA-256, stored once however often they are attached.
CREATE TABLE artifacts (
    sha256          TEXT    NOT NULL PRIMARY KEY,
    size_bytes      INTEGER NOT NULL,
    content         BLOB    NOT NULL,
    stored_at       INTEGER NOT NULL
);
