-- genorch schema, version 2: processing bookkeeping for stored provider webhook deliveries (webhook-verticle).
-- A delivery is stored before it is acknowledged and is then due for processing. Whoever processes it first claims
-- it by pushing next_attempt_at forward (a lease): if that process dies, the lease runs out and any instance
-- claims it again (FOR UPDATE SKIP LOCKED). A delivery that must wait (its provider could not confirm it yet) is
-- simply given a later next_attempt_at. processed_at is set once it has been applied, recorded as a duplicate or
-- refused; the outcome column then says which.

ALTER TABLE webhook_deliveries
    ADD COLUMN attempts        integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error      text;

-- the claim scans only unprocessed rows, by due time; processed rows (nearly all of them) cost it nothing
DROP INDEX webhook_deliveries_unprocessed_idx;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE processed_at IS NULL;
