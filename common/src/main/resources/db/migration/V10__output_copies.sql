-- Outputs kept (CONTRACT.md section 7): one row per output of a succeeded generation, written in the same
-- transaction as the succeeded change, so a copy is never lost to a crash. The copier claims due rows with
-- FOR UPDATE SKIP LOCKED and a lease (next_attempt_at pushed past it), so two instances never copy the same output
-- at once; a copy interrupted by a crash is due again when its lease ends.
CREATE TABLE output_copies (
    generation_id   text        NOT NULL REFERENCES generations (id),
    idx             integer     NOT NULL,
    source_url      text        NOT NULL,
    -- pending (to copy), stored, gave_up (the link expired first, or the output was refused), deleted (retention)
    status          text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- retried until then: the provider's expiry of the link, or ORCH_STORAGE_RETRY_FOR_S after the success
    retry_until     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    storage_key     text,
    bytes           bigint,
    sha256          text,
    content_type    text,
    stored_at       timestamptz,
    last_error      text,
    PRIMARY KEY (generation_id, idx)
);

-- the copier scans only what is still to copy; retention only what is stored
CREATE INDEX output_copies_due_idx ON output_copies (next_attempt_at) WHERE status = 'pending';
CREATE INDEX output_copies_stored_idx ON output_copies (stored_at) WHERE status = 'stored';
