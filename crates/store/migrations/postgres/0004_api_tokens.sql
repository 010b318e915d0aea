-- Bearer tokens for the HTTP API.
-- Keep in step with ../sqlite/0004_api_tokens.sql: same tables, same columns, same meaning.

-- One row per token ever created; a revoked token keeps its row (revoked_at set), so that the
-- subject an audit record names can always be traced to the token, its role and its scope.
-- The secret itself is never stored: only its SHA-256 (lowercase hex), which authentication
-- looks up. `name` is the subject written into every audit record the token causes; it is
-- unique for ever (never reused after a revocation), so an actor id names one token.
-- The scope follows the role: committee roles name a committee, a drafter names one project
-- (its id as text), and the other roles name neither; the CHECK keeps the database to that.
CREATE TABLE api_tokens (
    token_id       TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'supervisor', 'secretariat', 'chair', 'member', 'drafter', 'auditor')),
    committee      TEXT,
    project_id     TEXT,
    secret_sha256  TEXT    NOT NULL UNIQUE,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT,
    revoked_at     BIGINT,
    last_used_at   BIGINT,
    CHECK (
        (role IN ('secretariat', 'chair', 'member') AND committee IS NOT NULL AND project_id IS NULL)
        OR (role = 'drafter' AND committee IS NULL AND project_id IS NOT NULL)
        OR (role IN ('admin', 'supervisor', 'auditor') AND committee IS NULL AND project_id IS NULL)
    )
);
