-- specflow's first schema (PostgreSQL). Keep in step with ../sqlite/0001_initial.sql: same tables,
-- same columns, same meaning. Instants are BIGINT microseconds since the Unix epoch (UTC) and ids
-- are TEXT (lowercase hyphenated UUIDs) on both backends, and flags are 0 or 1, so one set of
-- queries serves both.

CREATE TABLE workflow_definitions (
    definition_id   TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    content_sha256  TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    registered_at   BIGINT  NOT NULL,
    PRIMARY KEY (definition_id, version)
);

CREATE TABLE calendar_years (
    calendar        TEXT    NOT NULL,
    year            BIGINT  NOT NULL,
    content_sha256  TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    PRIMARY KEY (calendar, year)
);

-- `event` is the exact JSON text that was hashed: TEXT, never JSONB, which would reorder it.
CREATE TABLE audit_records (
    project_id      TEXT    NOT NULL,
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
    PRIMARY KEY (project_id, sequence)
);

CREATE FUNCTION audit_records_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_records is append-only: % is refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_records_refuse_update BEFORE UPDATE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change();

CREATE TRIGGER audit_records_refuse_delete BEFORE DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change();

-- TRUNCATE bypasses row triggers, so it gets a statement trigger of its own.
CREATE TRIGGER audit_records_refuse_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_records_refuse_change();

CREATE TABLE projects (
    project_id          TEXT    NOT NULL PRIMARY KEY,
    code                TEXT    NOT NULL UNIQUE,
    title_zh            TEXT    NOT NULL,
    title_en            TEXT    NOT NULL,
    specification_kind  TEXT    NOT NULL,
    committee           TEXT    NOT NULL,
    drafting_unit       TEXT    NOT NULL,
    definition_id       TEXT    NOT NULL,
    definition_version  BIGINT  NOT NULL,
    stage               TEXT    NOT NULL,
    stage_since         BIGINT  NOT NULL,
    terminal            BIGINT  NOT NULL CHECK (terminal IN (0, 1)),
    next_deadline_at    BIGINT,
    overdue_since       BIGINT,
    escalated           BIGINT  NOT NULL CHECK (escalated IN (0, 1)),
    frozen              BIGINT  NOT NULL CHECK (frozen IN (0, 1)),
    head_sequence       BIGINT  NOT NULL,
    head_hash           TEXT    NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE INDEX projects_by_committee ON projects (committee, code);
CREATE INDEX projects_by_stage ON projects (stage, code);
CREATE INDEX projects_by_drafting_unit ON projects (drafting_unit, code);
CREATE INDEX projects_overdue ON projects (overdue_since, project_id) WHERE overdue_since IS NOT NULL;
CREATE INDEX projects_due ON projects (next_deadline_at) WHERE next_deadline_at IS NOT NULL;

CREATE TABLE commands (
    command_id      TEXT    NOT NULL PRIMARY KEY,
    project_id      TEXT    NOT NULL,
    first_sequence  BIGINT,
    last_sequence   BIGINT,
    outcome         TEXT    NOT NULL,
    decided_at      BIGINT  NOT NULL
);

CREATE TABLE artifacts (
    sha256          TEXT    NOT NULL PRIMARY KEY,
    size_bytes      BIGINT  NOT NULL,
    content         BYTEA   NOT NULL,
    stored_at       BIGINT  NOT NULL
);
