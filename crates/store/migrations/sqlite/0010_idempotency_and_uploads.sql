-- The fingerprint of the request a command id was first used for (SHA-256 over the project and
-- the command as decided, hex): a command id sent again with a different request is refused
-- instead of answered with the first request's outcome. Rows written before this column keep
-- NULL and answer as before. Keep in step with ../postgres/0010_idempotency_and_uploads.sql.
ALTER TABLE commands ADD COLUMN request_sha256 TEXT;

-- Artifact content in chunks, copied from an upload's spooled file a chunk at a time inside the
-- transaction that records its attachment, so that no upload is ever held in memory whole.
-- Rows stored before keep their content in artifacts.content (chunk_count 0); chunked rows
-- leave it empty.
ALTER TABLE artifacts ADD COLUMN chunk_count INTEGER NOT NULL DEFAULT 0;
CREATE TABLE artifact_chunks (
    sha256          TEXT    NOT NULL,
    chunk_index     INTEGER NOT NULL,
    content         BLOB    NOT NULL,
    PRIMARY KEY (sha256, chunk_index)
);
