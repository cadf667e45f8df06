-- A pass numbers waiting events in the order they were written, not by their transaction id.
--
-- V9 to V15 ordered a pass by tx (pg_current_xact_id()), on the premise that a transaction gets its id when it
-- locks the generation it changes. Batched writers break that premise: a webhook round (RoundTransaction) takes
-- its id when it claims its deliveries, and a batch of transitions when it locks its first generation, so a
-- transition it writes later can carry an older tx than another transaction's transition of the same generation
-- that committed before it. When both waited for the same pass, GET /v1/events listed that generation's later
-- event first (say succeeded before processing), and a client keeping the latest state per generation would end
-- on the wrong one.
--
-- The order is now a sequence value drawn when the event's pending entry is written, in the writer's transaction,
-- while the writer holds the generation's row lock: the earlier transition of a generation committed before the
-- later one was written, so its entry has the smaller value and is never positioned after it (a pass sees every
-- committed entry, and takes them smallest first). Within one statement the entries follow the inserted rows.
-- A restored event (tx at or past the snapshot's xmax: another cluster's) still goes first, as V13 explains;
-- pg_dump keeps the sequence's value, so a restored cluster goes on numbering above the entries it restored.
CREATE SEQUENCE lifecycle_pending_written;

ALTER TABLE lifecycle_pending ADD COLUMN written bigint;
UPDATE lifecycle_pending SET written = o.n
    FROM (SELECT tx, id, nextval('lifecycle_pending_written') AS n
          FROM (SELECT tx, id FROM lifecycle_pending ORDER BY tx, id) ordered) o
    WHERE lifecycle_pending.tx = o.tx AND lifecycle_pending.id = o.id;
ALTER TABLE lifecycle_pending ALTER COLUMN written SET DEFAULT nextval('lifecycle_pending_written');
ALTER TABLE lifecycle_pending ALTER COLUMN written SET NOT NULL;
ALTER SEQUENCE lifecycle_pending_written OWNED BY lifecycle_pending.written;
ALTER TABLE lifecycle_pending DROP CONSTRAINT lifecycle_pending_pkey;
ALTER TABLE lifecycle_pending ADD PRIMARY KEY (written);
-- V15's trigger inserts the entries without naming written, so each takes the default in the order of the rows
-- its statement inserted

-- V15's pass, ordered by written instead of (tx, id)
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
      FROM lifecycle_pending p ORDER BY p.written LIMIT 1), 0);
    RETURN;
  END IF;
  WITH horizon AS (SELECT pg_snapshot_xmax(pg_current_snapshot()) AS xmax),
    last AS (SELECT coalesce(max(p.seq), 0) AS seq FROM lifecycle_positions p),
    taken AS (DELETE FROM lifecycle_pending q WHERE q.written IN (SELECT p.written FROM lifecycle_pending p, horizon h
        ORDER BY p.tx >= h.xmax DESC, p.written LIMIT batch_size)
      RETURNING q.tx, q.written, q.id, q.occurred_at),
    numbered AS (SELECT t.id, t.occurred_at, row_number() OVER (ORDER BY t.tx >= h.xmax DESC, t.written) AS n
      FROM taken t, horizon h),
    done AS (INSERT INTO lifecycle_positions (seq, event_id) SELECT last.seq + numbered.n, numbered.id
      FROM numbered, last)
  SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(numbered.occurred_at)), 0)::float8
    INTO positioned, lag_seconds FROM numbered;
END
$$;
