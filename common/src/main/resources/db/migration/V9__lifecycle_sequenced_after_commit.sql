-- GET /v1/events pages by seq, so a seq must never become visible before a smaller one. V4 got that by making every
-- transition take its seq from one locked row until it committed, so the whole fleet committed one transition at a
-- time. Now a transition inserts its lifecycle event without a position (seq NULL), and a sequencer
-- (LifecycleSequencer: one pass at a time fleet-wide, by an advisory lock) gives the next positions to events that
-- are already committed. Uncommitted rows are invisible to it, so a position is only ever handed out after commit
-- and in one step with all the others of its pass: readers never see a gap that fills later.
-- tx is the writing transaction's id: it orders the events of one pass (a generation's transitions hold its row lock
-- in turn, so their ids rise in the order they happened) and is only read while seq is NULL.
ALTER TABLE lifecycle_events DROP CONSTRAINT lifecycle_events_pkey;
ALTER TABLE lifecycle_events ALTER COLUMN seq DROP DEFAULT;
ALTER TABLE lifecycle_events ALTER COLUMN seq DROP NOT NULL;
DROP SEQUENCE lifecycle_events_seq_seq;
ALTER TABLE lifecycle_events ADD COLUMN tx xid8;
ALTER TABLE lifecycle_events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();

-- readers page through positioned events; the sequencer continues from max(seq)
CREATE UNIQUE INDEX lifecycle_events_seq_idx ON lifecycle_events (seq) WHERE seq IS NOT NULL;
-- the sequencer scans only events still waiting for a position
CREATE INDEX lifecycle_events_unsequenced_idx ON lifecycle_events (tx, id) WHERE seq IS NULL;

DROP TABLE lifecycle_seq;
