-- Personal e-mail, daily digests and robots' shared minute counts (issue 20).
-- Keep in step with ../postgres/0016_personal_email.sql: same tables, same columns, same meaning.

-- A person's own e-mail address, as they typed it, and whether they proved it is theirs.
-- The verification link's secret is `sfv_` and 32 random bytes in hex; only its SHA-256 is
-- kept, and only until the address is verified (then it is NULL). A new address starts
-- unverified again. While an address is verified, the outbox has a channel for the person,
-- `person:{account_id}` in `webhooks`, which is what their notifications are delivered to;
-- `verify:{account_id}` is the channel of the verification message, to the address typed.
-- `digest` (0 or 1) says whether the person wants the daily digest, and `digest_since` since
-- when: the first digest is the first one due after that, not one for a day already past.
CREATE TABLE person_email (
    account_id            TEXT    NOT NULL PRIMARY KEY REFERENCES accounts (account_id),
    address               TEXT    NOT NULL,
    language              TEXT    NOT NULL CHECK (language IN ('zh', 'en')),
    verified_at           INTEGER,
    verification_sha256   TEXT    UNIQUE,
    verification_sent_at  INTEGER    NOT NULL,
    digest                INTEGER    NOT NULL CHECK (digest IN (0, 1)),
    digest_since          INTEGER,
    updated_at            INTEGER    NOT NULL,
    CHECK ((verified_at IS NULL) = (verification_sha256 IS NOT NULL))
);

-- The kinds of event (audit event types, such as `deadline_missed`) each person wants e-mail
-- about, of the projects they may see. The writer fans a record's notification out to them in
-- the statement that writes the record, so the key leads with the event type.
CREATE TABLE person_event_choices (
    event_type  TEXT  NOT NULL,
    account_id  TEXT  NOT NULL REFERENCES accounts (account_id),
    PRIMARY KEY (event_type, account_id)
);
CREATE INDEX person_event_choices_by_account ON person_event_choices (account_id);

-- One row per person and local date a digest was written to the outbox: the key makes the
-- digest once per person per day however many nodes try.
CREATE TABLE digests_sent (
    account_id  TEXT  NOT NULL REFERENCES accounts (account_id),
    local_date  TEXT  NOT NULL,
    sent_at         INTEGER  NOT NULL,
    PRIMARY KEY (account_id, local_date)
);

-- Each message sent to a group robot in the last minute, noted by every node's deliverer in
-- the transaction that decides whether the robot may take one more, so that two nodes together
-- keep to the vendor's limit (DingTalk: 20 a minute, else ten minutes' silence). The deliverer
-- forgets a robot's rows older than the minute as it goes. A robot is known by the SHA-256 of its
-- URL (lowercase hex), as two audiences may share one robot and the URL holds its key.
CREATE TABLE robot_sends (
    robot_sha256  TEXT  NOT NULL,
    sent_at       INTEGER  NOT NULL
);
CREATE INDEX robot_sends_by_robot ON robot_sends (robot_sha256, sent_at);
