-- A sequencer pass (LifecycleSequencer, docs/DESIGN.md "The lifecycle event log") in one statement, so one round trip
-- and its own commit: it used to be BEGIN, the lock, the positioning statement and COMMIT, each waiting its turn on a
-- busy server while readers of GET /v1/events waited for the pass.
--
-- The function takes the sequencer's advisory lock (transaction-scoped, so held until the statement's commit; when
-- wait_for_lock, waiting at most 2 s, else skipping at once if another pass holds it), then positions up to
-- batch_size committed events in a statement of its own: a VOLATILE function's statements each take a fresh
-- snapshot under READ COMMITTED (the service's isolation), so the positioning sees the pass that held the lock
-- before it. Events are numbered from max(seq) in the order of their transactions (a generation's transitions take
-- its row lock in turn, so their ids rise in order). An event whose tx is at or past the snapshot's xmax cannot be
-- from this cluster (such a transaction's rows would be invisible): it was restored from another cluster's dump and
-- happened before everything written here, so it goes first.
--
-- plan_cache_mode: a plpgsql statement keeps a generic plan after a few runs, and one made while lifecycle_events
-- was small (fresh, or analyzed while empty, e.g. after retention emptied it) joins the batch to the table by a scan
-- per event, which grows with the square of the backlog (one pass over 5,000 events took 44 s). A custom plan is
-- made for each pass from the table's size at that moment; planning it costs far less than a pass.
--
-- Answers how many it positioned and how long the oldest of them had waited since its transition (the visibility
-- lag); when it skipped, positioned is -1 and lag_seconds how long the next event in line for a position has waited.
CREATE FUNCTION sequence_lifecycle_events(batch_size integer, wait_for_lock boolean,
    OUT positioned bigint, OUT lag_seconds float8)
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF wait_for_lock THEN
    PERFORM set_config('lock_timeout', '2s', true);
    PERFORM pg_advisory_xact_lock(hashtextextended('genorch.lifecycle_sequencer', 0));
  ELSIF NOT pg_try_advisory_xact_lock(hashtextextended('genorch.lifecycle_sequencer', 0)) THEN
    positioned := -1;
    -- the next event in line, read through the index of those without a position: min(occurred_at) walked the
    -- occurred_at index over every event already positioned, on every skipped pass
    lag_seconds := coalesce((SELECT extract(epoch FROM clock_timestamp() - e.occurred_at)::float8
      FROM lifecycle_events e WHERE e.seq IS NULL ORDER BY e.tx, e.id LIMIT 1), 0);
    RETURN;
  END IF;
  WITH horizon AS (SELECT pg_snapshot_xmax(pg_current_snapshot()) AS xmax),
    last AS (SELECT coalesce(max(e.seq), 0) AS seq FROM lifecycle_events e WHERE e.seq IS NOT NULL),
    pending AS (SELECT e.id, row_number() OVER (ORDER BY e.tx >= h.xmax DESC, e.tx, e.id) AS n
      FROM lifecycle_events e, horizon h WHERE e.seq IS NULL
      ORDER BY e.tx >= h.xmax DESC, e.tx, e.id LIMIT batch_size),
    done AS (UPDATE lifecycle_events e SET seq = last.seq + pending.n FROM pending, last
      WHERE e.id = pending.id RETURNING e.occurred_at)
  SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(done.occurred_at)), 0)::float8
    INTO positioned, lag_seconds FROM done;
END
$$;
