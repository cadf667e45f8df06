-- genorch schema, version 1. Designed for millions of generations: the scans that run all the time (submission,
-- polling, undelivered webhooks) use partial indexes that hold only the few rows still in flight, so terminal
-- rows cost them nothing.

CREATE TABLE generations (
    id                 text        PRIMARY KEY,   -- gen_ + ULID: ordered by creation time
    provider           text        NOT NULL,
    model              text        NOT NULL,
    status             text        NOT NULL CHECK (status IN ('queued','submitted','processing','succeeded','failed','timed_out')),
    prompt             text        NOT NULL,
    image_url          text,
    aspect_ratio       text        NOT NULL,
    duration_seconds   integer,
    options            jsonb       NOT NULL DEFAULT '{}',
    metadata           jsonb       NOT NULL DEFAULT '{}',
    callback_url       text,
    provider_task_id   text,
    progress           integer,
    outputs            jsonb       NOT NULL DEFAULT '[]',
    error              jsonb,
    resolved_by        text        CHECK (resolved_by IN ('webhook','poll','timeout','submit')),
    -- SHA-256 of the secret in the callback URL; the secret itself is never stored
    webhook_token_hash bytea,
    created_at         timestamptz NOT NULL,
    submitted_at       timestamptz,
    completed_at       timestamptz,
    updated_at         timestamptz NOT NULL,
    -- submission bookkeeping: 'pending' waits for next_submit_at; 'sending' means a request may be on the wire
    submit_state       text        NOT NULL DEFAULT 'pending' CHECK (submit_state IN ('pending','sending','done')),
    submit_attempts    integer     NOT NULL DEFAULT 0,
    next_submit_at     timestamptz,
    -- reconciliation bookkeeping for submitted/processing generations
    next_check_at      timestamptz,
    deadline_at        timestamptz,
    poll_attempts      integer     NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX generations_token_idx ON generations (webhook_token_hash) WHERE webhook_token_hash IS NOT NULL;
CREATE INDEX generations_provider_task_idx ON generations (provider, provider_task_id) WHERE provider_task_id IS NOT NULL;
-- listing: newest first, optionally by status or provider, keyset-paginated on id
CREATE INDEX generations_status_id_idx ON generations (status, id DESC);
CREATE INDEX generations_provider_id_idx ON generations (provider, id DESC);
-- the submission sweep and the poller only ever look at in-flight rows
CREATE INDEX generations_submit_due_idx ON generations (next_submit_at) WHERE status = 'queued';
CREATE INDEX generations_check_due_idx ON generations (next_check_at) WHERE status IN ('submitted','processing');

-- the timeline of one generation (GET /v1/generations/{id}/events)
CREATE TABLE generation_events (
    id            bigserial   PRIMARY KEY,
    generation_id text        NOT NULL REFERENCES generations (id),
    type          text        NOT NULL,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    detail        jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX generation_events_generation_idx ON generation_events (generation_id, id);

-- the durable, ordered lifecycle stream (GET /v1/events, the event bus)
CREATE TABLE lifecycle_events (
    seq           bigserial   PRIMARY KEY,
    id            text        NOT NULL UNIQUE,
    type          text        NOT NULL,
    generation_id text        NOT NULL REFERENCES generations (id),
    occurred_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    payload       jsonb       NOT NULL
);

-- Idempotency-Key: scoped by caller so two clients never collide; request_hash tells a replay from a conflict
CREATE TABLE idempotency_keys (
    scope         text        NOT NULL,
    key           text        NOT NULL,
    request_hash  bytea       NOT NULL,
    generation_id text        NOT NULL REFERENCES generations (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- every provider callback exactly as it arrived, stored before it is acknowledged
CREATE TABLE webhook_deliveries (
    id             bigserial   PRIMARY KEY,
    provider       text        NOT NULL,
    generation_id  text        NOT NULL REFERENCES generations (id),
    received_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    source_address text,
    headers        jsonb       NOT NULL DEFAULT '{}',
    body           text        NOT NULL,
    body_sha256    bytea       NOT NULL,
    processed_at   timestamptz,
    outcome        text
);
CREATE INDEX webhook_deliveries_generation_idx ON webhook_deliveries (generation_id, body_sha256);
CREATE INDEX webhook_deliveries_unprocessed_idx ON webhook_deliveries (id) WHERE processed_at IS NULL;

-- fleet-wide request budget per provider and minute (ORCH_PROVIDER_<ID>_MAX_RPM)
CREATE TABLE provider_rate_windows (
    provider     text        NOT NULL,
    window_start timestamptz NOT NULL,
    used         integer     NOT NULL,
    PRIMARY KEY (provider, window_start)
);
