-- Accounts people sign in to the pages with, their server-side sessions, and the throttling of
-- failed sign-ins.
-- Keep in step with ../postgres/0006_accounts.sql: same tables, same columns, same meaning.

-- One row per account ever created; a disabled account keeps its row (disabled_at set), so that
-- the subject an audit record names can always be traced to the person, their role and scope.
-- The password is never stored: only its Argon2id hash in the PHC string format
-- (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), which carries its own parameters and salt.
-- `name` is the subject written into every audit record the person causes; it is unique for
-- ever (never reused after the account is disabled), and no token bears it (the store checks).
-- The scope follows the role exactly as for api_tokens (0004); the CHECK keeps the database to it.
CREATE TABLE accounts (
    account_id           TEXT    NOT NULL PRIMARY KEY,
    name                 TEXT    NOT NULL UNIQUE,
    role                 TEXT    NOT NULL CHECK (role IN ('admin', 'supervisor', 'secretariat', 'chair', 'member', 'drafter', 'auditor')),
    committee            TEXT,
    project_id           TEXT,
    password_hash        TEXT    NOT NULL,
    created_at           BIGINT  NOT NULL,
    password_changed_at  BIGINT  NOT NULL,
    disabled_at          BIGINT,
    CHECK (
        (role IN ('secretariat', 'chair', 'member') AND committee IS NOT NULL AND project_id IS NULL)
        OR (role = 'drafter' AND committee IS NULL AND project_id IS NOT NULL)
        OR (role IN ('admin', 'supervisor', 'auditor') AND committee IS NULL AND project_id IS NULL)
    )
);

-- A session of the pages: the cookie holds a random session id, and only its SHA-256 (lowercase
-- hex) is stored, so a copy of the database resumes nobody's session. A session belongs to an
-- account (signed in with a name and password) or to an API token (pasted into the sign-in form),
-- never both. It ends when it is revoked (sign-out, the account disabled or its password reset),
-- or when expires_at passes; each use pushes expires_at to last_seen_at plus the idle limit.
CREATE TABLE sessions (
    session_sha256  TEXT    NOT NULL PRIMARY KEY,
    account_id      TEXT    REFERENCES accounts (account_id),
    token_id        TEXT    REFERENCES api_tokens (token_id),
    created_at      BIGINT  NOT NULL,
    last_seen_at    BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    revoked_at      BIGINT,
    CHECK (
        (account_id IS NOT NULL AND token_id IS NULL)
        OR (account_id IS NULL AND token_id IS NOT NULL)
    )
);

-- Revoking every session of an account, and forgetting long-ended sessions.
CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Failed sign-ins, counted per typed name (kind 'name', whether or not an account has it) and
-- per client address (kind 'address') within a window that starts at the first failure; when
-- the count reaches the limit, sign-ins for that name or from that address are refused until
-- locked_until. Kept in the database so that the limit holds across nodes.
CREATE TABLE signin_throttle (
    kind               TEXT    NOT NULL CHECK (kind IN ('name', 'address')),
    throttle_key       TEXT    NOT NULL,
    window_started_at  BIGINT  NOT NULL,
    failures           BIGINT  NOT NULL,
    locked_until       BIGINT,
    PRIMARY KEY (kind, throttle_key)
);
