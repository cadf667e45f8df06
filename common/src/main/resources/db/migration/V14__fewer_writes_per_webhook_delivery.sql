-- V14: fewer writes per webhook delivery and per applied transition (issue 13; why in docs/DESIGN.md).

-- A webhook delivery is now written twice: inserted at the acknowledgement, and updated once when it is settled. The
-- worker claims due deliveries with FOR NO KEY UPDATE SKIP LOCKED inside the transaction that settles them (the row
-- lock is the lease; a crash rolls back and leaves them due), so the claim no longer rewrites the row (body
-- included, non-HOT: next_attempt_at is the due index's key) and adds no index entries. `attempts` now counts the
-- tries that ended without settling (a retry later, a failure), not the claims.

-- The foreign key made every acknowledgement take FOR KEY SHARE on the generation row (a WAL record, and a multixact
-- when the worker holds the row FOR UPDATE meanwhile). The acknowledgement's INSERT finds the generation through
-- its token in the same statement, and generations are never deleted (RetentionJob keeps them), so every delivery
-- stays bound to an existing generation without it.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_generation_id_fkey;

-- The only reader by generation is the redelivery lookup, which asks for applied deliveries with the same body:
-- an index of those alone gets its entry when a delivery is settled, not at the acknowledgement as well.
CREATE INDEX webhook_deliveries_applied_idx ON webhook_deliveries (generation_id, body_sha256)
    WHERE outcome IN ('advanced', 'stayed', 'duplicate', 'rejected', 'rerun', 'superseded');
DROP INDEX webhook_deliveries_generation_idx;

-- The timeline is read only by its generation, in id order (Sql.SELECT_TIMELINE); nothing looks an entry up by id
-- alone. One unique index on (generation_id, id), the primary key, serves that read, where the key on id and a second
-- index on (generation_id, id) took two index entries per timeline entry (two or three per transition).
CREATE UNIQUE INDEX generation_events_timeline_key ON generation_events (generation_id, id);
ALTER TABLE generation_events DROP CONSTRAINT generation_events_pkey;
ALTER TABLE generation_events ADD CONSTRAINT generation_events_pkey PRIMARY KEY USING INDEX generation_events_timeline_key;
DROP INDEX generation_events_generation_idx;
