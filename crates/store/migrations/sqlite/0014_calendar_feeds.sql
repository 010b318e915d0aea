-- Each account's calendar feed (issue 20): an iCalendar file at a secret address,
-- `/calendar/{secret}.ics`, that a calendar application subscribes to without signing in.
-- Keep in step with ../postgres/0014_calendar_feeds.sql: same table, same columns, same meaning.
--
-- The address's secret is `sfc_` and 32 random bytes in hex; only its SHA-256 (lowercase hex)
-- is stored, as for sessions and tokens, so a copy of the database opens nobody's feed.
-- An account has at most one feed: a new address replaces the old one (which stops working at
-- once, on every node), and revoking deletes the row. A disabled account's feed answers nothing.
CREATE TABLE calendar_feeds (
    account_id     TEXT    NOT NULL PRIMARY KEY REFERENCES accounts (account_id),
    secret_sha256  TEXT    NOT NULL UNIQUE,
    created_at     BIGINT  NOT NULL
);
