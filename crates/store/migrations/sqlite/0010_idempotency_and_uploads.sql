-- The fingerprint of the request a command id was first used for (SHA-256 over the project and
-- the command as decided, hex): a command id sent again with a different request is refused
-- instead of answered with the first request's outcome. Rows written before this column keep
-- NULL and answer as before. Keep in step with ../postgres/0010_idempotency_and_uploads.sql.
ALTER TABLE commands ADD COLUMN request_sha256 TEXT;
