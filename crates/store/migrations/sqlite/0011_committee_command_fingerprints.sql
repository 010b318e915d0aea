-- The fingerprint of the request each committee command id was first used for (SHA-256 over the
-- committee and the command, hex), written in the transaction that records the command's
-- events: the id sent again with a different committee command is refused (422) instead of
-- answered with the first command's outcome, as project commands are since 0010. Commands
-- recorded before this table answer as before. Keep in step with ../postgres/0011_committee_command_fingerprints.sql.
CREATE TABLE committee_commands (
    command_id      TEXT PRIMARY KEY,
    committee_id    TEXT NOT NULL,
    request_sha256  TEXT NOT NULL
);
