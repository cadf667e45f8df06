-- Positions in GET /v1/events are rows of their own (docs/DESIGN.md "The lifecycle event log"). Until now a sequencer
-- pass UPDATEd each event to set its seq: a non-HOT update (seq is indexed) that wrote the whole row again, payload
-- included, plus an entry in each of its indexes, about as much WAL as the insert itself (measured with
-- pg_walinspect, docs/BENCHMARKS.md 2026-11-28: ~1,280 bytes an event to insert it, ~1,325 more to position it).
-- Now an event row is written once and never updated; a pass moves the event's narrow entry from lifecycle_pending
-- (written with the event, in the same transaction) to lifecycle_positions. The guarantees are the same as V9's:
-- a pass sees only committed pending entries, numbers them from max(seq) in one statement after taking the
-- advisory lock, and its positions become visible together when it commits.

-- events waiting for a position: tx orders a pass (as V9's tx did) and tells a restored event (tx at or past the
-- snapshot's xmax); occurred_at gives the visibility lag without reading the event
CREATE TABLE lifecycle_pending (
    tx          xid8        NOT NULL,
    id          text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (tx, id)
);

-- insert-only: one row per positioned event; event_id is unique, so no event is ever positioned twice (and
-- retention finds an event's position by it)
CREATE TABLE lifecycle_positions (
    seq      bigint PRIMARY KEY,
    event_id text   NOT NULL UNIQUE
);

INSERT INTO lifecycle_positions (seq, event_id) SELECT seq, id FROM lifecycle_events WHERE seq IS NOT NULL;
-- every event inserted since V9 has a tx; coalesce only so that no row can be lost
INSERT INTO lifecycle_pending (tx, id, occurred_at)
    SELECT coalesce(tx, '0'::xid8), id, occurred_at FROM lifecycle_events WHERE seq IS NULL;

DROP INDEX lifecycle_events_unsequenced_idx;
DROP INDEX lifecycle_events_seq_idx;
ALTER TABLE lifecycle_events DROP COLUMN seq;

-- Every inserted event waits for a position, whichever statement inserted it: a trigger, so no writer (a transition,
-- a webhook batch, outputs stored, a test arranging rows) can forget it, and the entry commits or rolls back with
-- its event. Per statement, with the inserted rows as a table: a webhook batch's events are one insert. pg_restore
-- creates triggers after loading the data, so a restore does not add entries twice.
CREATE FUNCTION lifecycle_events_await_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lifecycle_pending (tx, id, occurred_at) SELECT a.tx, a.id, a.occurred_at FROM added a;
  RETURN NULL;
END
$$;
CREATE TRIGGER lifecycle_events_await_position AFTER INSERT ON lifecycle_events
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_events_await_position();

-- V13's pass over the new tables; the lock, the fresh snapshot of the positioning statement, the order (restored
-- events first, then by tx, id) and plan_cache_mode are as V13 explains. The pass deletes the entries it takes
-- (one narrow row each) and numbers what its DELETE returned: an entry whose event retention removed meanwhile is
-- not returned, so it gets no position.
CREATE OR REPLACE FUNCTION sequence_lifecycle_events(batch_size integer, wait_for_lock boolean,
    OUT positioned bigint, OUT lag_seconds float8)
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF wait_for_lock THEN
    PERFORM set_config('lock_timeout', '2s', true);
    PERFORM pg_advisory_xact_lock(hashtextextended('genorch.lifecycle_sequencer', 0));
  ELSIF NOT pg_try_advisory_xact_lock(hashtextextended('genorch.lifecycle_sequencer', 0)) THEN
    positioned := -1;
    lag_seconds := coalesce((SELECT extract(epoch FROM clock_timestamp() - p.occurred_at)::float8
      FROM lifecycle_pending p ORDER BY p.tx, p.id LIMIT 1), 0);
    RETURN;
  END IF;
  WITH horizon AS (SELECT pg_snapshot_xmax(pg_current_snapshot()) AS xmax),
    last AS (SELECT coalesce(max(p.seq), 0) AS seq FROM lifecycle_positions p),
    taken AS (DELETE FROM lifecycle_pending q WHERE (q.tx, q.id) IN (SELECT p.tx, p.id FROM lifecycle_pending p, horizon h
        ORDER BY p.tx >= h.xmax DESC, p.tx, p.id LIMIT batch_size)
      RETURNING q.tx, q.id, q.occurred_at),
    numbered AS (SELECT t.id, t.occurred_at, row_number() OVER (ORDER BY t.tx >= h.xmax DESC, t.tx, t.id) AS n
      FROM taken t, horizon h),
    done AS (INSERT INTO lifecycle_positions (seq, event_id) SELECT last.seq + numbered.n, numbered.id
      FROM numbered, last)
  SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(numbered.occurred_at)), 0)::float8
    INTO positioned, lag_seconds FROM numbered;
END
$$;
