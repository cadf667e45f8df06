-- Outbound client callbacks (CONTRACT.md section 3): one row per terminal lifecycle event of a generation that
-- has a callbackUrl, written in the same transaction as the change, so a callback is never lost to a crash.
CREATE TABLE client_callbacks (
    event_id        text        PRIMARY KEY REFERENCES lifecycle_events (id),
    generation_id   text        NOT NULL REFERENCES generations (id),
    url             text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    gave_up_at      timestamptz,
    last_status     integer,
    last_error      text
);

-- the sender scans only what is still to be delivered
CREATE INDEX client_callbacks_due_idx ON client_callbacks (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
