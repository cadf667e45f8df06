-- genorch schema, version 6: webhook tokens per submit attempt, and webhook bodies kept as raw bytes.

-- One row per submit attempt: the SHA-256 of the token in that attempt's callback URL (never the token itself).
-- An attempt that failed may still have created a job at the provider, so every attempt's URL keeps working; the
-- webhook finds the generation by primary key. Later, other token holders (attempts at other providers) fit here.
CREATE TABLE webhook_tokens (
    token_hash    bytea       PRIMARY KEY,
    generation_id text        NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    attempt       integer     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- deleting a generation takes its tokens with it
CREATE INDEX webhook_tokens_generation_idx ON webhook_tokens (generation_id);
INSERT INTO webhook_tokens (token_hash, generation_id, attempt, created_at)
    SELECT webhook_token_hash, id, submit_attempts, coalesce(submitted_at, updated_at)
    FROM generations WHERE webhook_token_hash IS NOT NULL;
DROP INDEX generations_token_idx;
ALTER TABLE generations DROP COLUMN webhook_token_hash;

-- The body as received (with our token redacted), byte for byte: text refuses NUL and would have to decode it.
ALTER TABLE webhook_deliveries ALTER COLUMN body TYPE bytea USING convert_to(body, 'UTF8');
-- which submit attempt's callback URL the delivery came through
ALTER TABLE webhook_deliveries ADD COLUMN token_attempt integer;
