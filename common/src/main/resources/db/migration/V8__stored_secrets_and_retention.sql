-- Secrets generated when ORCH_API_KEYS or ORCH_CALLBACK_SECRET is unset: made once per database, so every instance
-- and every restart uses the same. The API key is kept only as its SHA-256 (hex); the callback secret is kept as
-- it is, since it signs. The first instance to insert a name wins; the others read its row back.
CREATE TABLE service_secrets (
    name       text        PRIMARY KEY CHECK (name IN ('api_key_sha256', 'callback_secret')),
    value      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Retention (RetentionJob): each table's old rows are found by age through these, a small batch at a time.
-- only processed deliveries may go, so only they are in the index (an unprocessed one is pending work)
CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at) WHERE processed_at IS NOT NULL;
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
CREATE INDEX lifecycle_events_occurred_idx ON lifecycle_events (occurred_at);
-- a lifecycle event is removed only once its client callback is settled, and that callback row with it
CREATE INDEX client_callbacks_settled_idx ON client_callbacks (created_at)
    WHERE delivered_at IS NOT NULL OR gave_up_at IS NOT NULL;
