package io.genorch.common.persistence;

/** Every SQL statement of the common module, parameterised; nothing here is ever built from input. */
public final class Sql {

  private Sql() {}

  static final String GENERATION_COLUMNS =
      "id, provider, model, status, prompt, image_url, aspect_ratio, duration_seconds, options, metadata,"
          + " callback_url, provider_task_id, progress, outputs, error, resolved_by, created_at, submitted_at,"
          + " completed_at, updated_at, attempts";

  /**
   * A new queued generation, its Idempotency-Key ($12-$14, all null without one) and its first timeline entries
   * ($15 {@code accepted}, $16 {@code routed} or null) in one statement, so an accept is one round trip and one
   * commit. The generation is inserted only if the key was claimed: a key another request holds (a concurrent one
   * is waited for on the key's unique index) inserts nothing and returns no row. The key's reference to the
   * generation is checked at the end of the statement, when both rows exist.
   */
  static final String INSERT_GENERATION =
      "WITH claimed_key AS ("
          + " INSERT INTO idempotency_keys (scope, key, request_hash, generation_id)"
          + " SELECT $12, $13, $14, $1 WHERE $12::text IS NOT NULL"
          + " ON CONFLICT (scope, key) DO NOTHING RETURNING 1),"
          + " inserted AS ("
          + " INSERT INTO generations (id, provider, model, status, prompt, image_url, aspect_ratio, duration_seconds,"
          + " options, metadata, callback_url, created_at, updated_at, next_submit_at, routes)"
          + " SELECT $1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, $17::jsonb"
          + " WHERE $12::text IS NULL OR EXISTS (SELECT 1 FROM claimed_key)"
          + " RETURNING " + GENERATION_COLUMNS + "),"
          + " first_entries AS ("
          + " INSERT INTO generation_events (generation_id, type, detail)"
          + " SELECT inserted.id, entry.type, entry.detail FROM inserted,"
          + " (VALUES (1, 'accepted', $15::jsonb), (2, 'routed', $16::jsonb)) AS entry (n, type, detail)"
          + " WHERE entry.detail IS NOT NULL ORDER BY entry.n)"
          + " SELECT * FROM inserted";

  static final String FIND_IDEMPOTENCY_KEY =
      "SELECT request_hash, generation_id FROM idempotency_keys WHERE scope = $1 AND key = $2";

  static final String SELECT_GENERATION = "SELECT " + GENERATION_COLUMNS + " FROM generations WHERE id = $1";

  /** A transition's one read: the row, locked, with its schedule. */
  static final String SELECT_GENERATION_FOR_TRANSITION =
      "SELECT " + GENERATION_COLUMNS + ", next_check_at, deadline_at, submit_state, next_submit_at,"
          + " routes IS NOT NULL AS routed FROM generations WHERE id = $1 FOR UPDATE";

  /** Listing pieces: the filters are fixed fragments chosen by which parameters are present. */
  static final String LIST_PREFIX = "SELECT " + GENERATION_COLUMNS + " FROM generations";
  static final String LIST_ORDER = " ORDER BY id DESC LIMIT ";

  /**
   * Every write of one transition in one statement: the row update (only when $15), the timeline entries in the
   * order given ($16, a JSON array of {type, detail}), the lifecycle event (when $17 names one) and the client
   * callback queued for it (when $21 is a URL). The callback's reference to the event is checked at the end of the
   * statement, when the event is there.
   */
  static final String WRITE_TRANSITION =
      "WITH updated AS (UPDATE generations SET status = $2, provider_task_id = $3, progress = $4, outputs = $5,"
          + " error = $6, resolved_by = $7, submitted_at = $8, completed_at = $9, updated_at = $10, next_check_at = $11,"
          + " deadline_at = $12, submit_state = $13, next_submit_at = $14, provider = $22, model = $23,"
          + " attempts = $24::jsonb WHERE id = $1 AND $15::boolean),"
          + " timeline AS (INSERT INTO generation_events (generation_id, type, detail)"
          + "   SELECT $1, t.entry->>'type', (t.entry->'detail')::jsonb"
          + "   FROM json_array_elements($16::json) WITH ORDINALITY AS t(entry, n) ORDER BY t.n),"
          + " lifecycle AS (INSERT INTO lifecycle_events (id, type, generation_id, occurred_at, payload)"
          + "   SELECT $17::text, $18::text, $1, $19::timestamptz, $20::json WHERE $17::text IS NOT NULL RETURNING id),"
          + " callback AS (INSERT INTO client_callbacks (event_id, generation_id, url)"
          + "   SELECT id, $1, $21::text FROM lifecycle WHERE $21::text IS NOT NULL)"
          + " SELECT 1";

  static final String INSERT_TIMELINE_EVENT =
      "INSERT INTO generation_events (generation_id, type, detail) VALUES ($1, $2, $3)";

  static final String SELECT_TIMELINE =
      "SELECT type, at, detail FROM generation_events WHERE generation_id = $1 ORDER BY id";

  /**
   * One sequencer pass (V13's function, in its own transaction): takes the fleet-wide sequencer lock ($2: waiting
   * for it at most 2 s, else skipping when it is taken), then positions up to $1 committed events after the highest
   * seq. Answers how many it positioned (-1: skipped) and the visibility lag: how long the oldest of them waited, or,
   * when it skipped, the oldest event still without a position.
   */
  static final String SEQUENCE_LIFECYCLE_EVENTS =
      "SELECT positioned, lag_seconds FROM sequence_lifecycle_events($1, $2)";

  /**
   * Outputs kept (V10): one copy to make per output of the generation just updated to succeeded, in the same
   * transaction; retried until the link's expiry, or $2 seconds when the provider gave none.
   */
  static final String SCHEDULE_OUTPUT_COPIES =
      "INSERT INTO output_copies (generation_id, idx, source_url, retry_until)"
          + " SELECT g.id, o.ord - 1, o.value->>'sourceUrl',"
          + " COALESCE((o.value->>'expiresAt')::timestamptz, now() + make_interval(secs => $2))"
          + " FROM generations g, jsonb_array_elements(g.outputs) WITH ORDINALITY AS o(value, ord)"
          + " WHERE g.id = $1 AND o.value->>'sourceUrl' IS NOT NULL ON CONFLICT DO NOTHING";

  /** A lifecycle event outside a transition (generation.outputs_stored); positioned after commit (V9). */
  static final String INSERT_LIFECYCLE_EVENT =
      "INSERT INTO lifecycle_events (id, type, generation_id, occurred_at, payload) VALUES ($1, $2, $3, $4, $5)";

  static final String UPDATE_OUTPUTS =
      "UPDATE generations SET outputs = $2, updated_at = $3 WHERE id = $1 RETURNING " + GENERATION_COLUMNS;

  /** Positions (V15) are rows of their own, each naming its event; a position whose event retention removed is skipped. */
  static final String SELECT_LIFECYCLE_EVENTS_AFTER =
      "SELECT p.seq, e.payload FROM lifecycle_positions p JOIN lifecycle_events e ON e.id = p.event_id"
          + " WHERE p.seq > $1 ORDER BY p.seq LIMIT $2";

  // Webhooks (GenerationStore.settleWebhook, recordWebhookEntry): a stored delivery is settled in the transaction that
  // applies it, so applying and marking it processed commit together.

  /** What a settled delivery's {@code outcome} can say when it settled its generation's state (a twin counts). */
  static final String APPLIED_WEBHOOK_OUTCOMES = "'advanced', 'stayed', 'duplicate', 'rejected', 'rerun', 'superseded'";

  /**
   * Settling webhook deliveries, the one read ($1 generation ids, $2 body hashes, $3 delivery ids, one per
   * generation): every generation row, locked in id order (two batches locking overlapping rows never wait for each
   * other in a cycle), with its schedule, and for each delivery the first identical earlier delivery of its
   * generation that was applied, in the same round trip. The lookup reads the statement's snapshot: a twin another
   * instance commits meanwhile can be missed, and then the state machine makes the repeat a duplicate. One given up,
   * unreadable or not confirmed settled nothing, so a redelivery of the same body gets its own chance.
   */
  static final String SELECT_GENERATIONS_FOR_WEBHOOKS =
      "SELECT " + GENERATION_COLUMNS + ", next_check_at, deadline_at, submit_state, next_submit_at,"
          + " routes IS NOT NULL AS routed, (SELECT t.id FROM webhook_deliveries t WHERE t.generation_id = r.generation_id AND t.body_sha256 = r.sha"
          + " AND t.id <> r.delivery_id AND t.processed_at IS NOT NULL AND t.outcome IN (" + APPLIED_WEBHOOK_OUTCOMES + ")"
          + " ORDER BY t.id LIMIT 1) AS twin_id"
          + " FROM generations g JOIN unnest($1::text[], $2::bytea[], $3::bigint[]) AS r(generation_id, sha, delivery_id)"
          + " ON g.id = r.generation_id ORDER BY g.id FOR UPDATE OF g";

  /**
   * Every write of a settled batch of webhook deliveries in one statement, whatever its size: $1 the transitions
   * (a JSON array, one object per transition, fields as in {@link #WRITE_TRANSITION}: the row update when
   * {@code updates}, the lifecycle event when {@code event_id} is set, its client callback when {@code callback_url}
   * is, and with {@code copy_outputs} the output copies of a generation that just succeeded, retried $5 seconds
   * when the provider gave no expiry, none when $5 is null), $2 the timeline entries in order (a JSON array of
   * {generation_id, type, detail}: the transitions' and those of the deliveries that only record), $3 the
   * deliveries, marked processed with their outcomes $4 (one already processed keeps its marking). The copies read
   * the outputs from $1, not from the row: the update of the same statement is not visible to them.
   */
  static final String SETTLE_WEBHOOKS =
      "WITH t AS (SELECT * FROM json_to_recordset($1::json) AS t(id text, updates boolean, status text,"
          + " provider_task_id text, progress integer, outputs jsonb, error jsonb, resolved_by text,"
          + " submitted_at timestamptz, completed_at timestamptz, updated_at timestamptz, next_check_at timestamptz,"
          + " deadline_at timestamptz, submit_state text, next_submit_at timestamptz, provider text, model text,"
          + " attempts jsonb, event_id text, event_type text, event_at timestamptz, event_payload json,"
          + " callback_url text, copy_outputs boolean)),"
          + " updated AS (UPDATE generations g SET status = t.status, provider_task_id = t.provider_task_id,"
          + " progress = t.progress, outputs = t.outputs, error = t.error, resolved_by = t.resolved_by,"
          + " submitted_at = t.submitted_at, completed_at = t.completed_at, updated_at = t.updated_at,"
          + " next_check_at = t.next_check_at, deadline_at = t.deadline_at, submit_state = t.submit_state,"
          + " next_submit_at = t.next_submit_at, provider = t.provider, model = t.model, attempts = t.attempts"
          + " FROM t WHERE g.id = t.id AND t.updates),"
          + " timeline AS (INSERT INTO generation_events (generation_id, type, detail)"
          + "   SELECT e.entry->>'generation_id', e.entry->>'type', (e.entry->'detail')::jsonb"
          + "   FROM json_array_elements($2::json) WITH ORDINALITY AS e(entry, n) ORDER BY e.n),"
          + " lifecycle AS (INSERT INTO lifecycle_events (id, type, generation_id, occurred_at, payload)"
          + "   SELECT t.event_id, t.event_type, t.id, t.event_at, t.event_payload FROM t WHERE t.event_id IS NOT NULL"
          + "   RETURNING id),"
          + " callback AS (INSERT INTO client_callbacks (event_id, generation_id, url)"
          + "   SELECT t.event_id, t.id, t.callback_url FROM t JOIN lifecycle l ON l.id = t.event_id"
          + "   WHERE t.callback_url IS NOT NULL),"
          + " copies AS (INSERT INTO output_copies (generation_id, idx, source_url, retry_until)"
          + "   SELECT t.id, o.ord - 1, o.value->>'sourceUrl',"
          + "   COALESCE((o.value->>'expiresAt')::timestamptz, now() + make_interval(secs => $5::float8))"
          + "   FROM t, jsonb_array_elements(t.outputs) WITH ORDINALITY AS o(value, ord)"
          + "   WHERE t.copy_outputs AND $5::float8 IS NOT NULL AND o.value->>'sourceUrl' IS NOT NULL"
          + "   ON CONFLICT DO NOTHING)"
          + " UPDATE webhook_deliveries d SET processed_at = now(), outcome = m.outcome, last_error = NULL"
          + " FROM unnest($3::bigint[], $4::text[]) AS m(id, outcome) WHERE d.id = m.id AND d.processed_at IS NULL";

  /**
   * The generations $1 locked for one transaction that applies a change to each, in id order (two such batches
   * never wait for each other in a cycle), with their schedule.
   */
  static final String SELECT_GENERATIONS_FOR_TRANSITIONS =
      "SELECT " + GENERATION_COLUMNS + ", next_check_at, deadline_at, submit_state, next_submit_at,"
          + " routes IS NOT NULL AS routed FROM generations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE";

  /** A timeline entry ($4 type, $5 detail) about delivery $1, which is marked processed with it ($2, $3). */
  static final String RECORD_WEBHOOK_ENTRY =
      "WITH settled AS (UPDATE webhook_deliveries SET processed_at = now(), outcome = $2, last_error = $3"
          + " WHERE id = $1 AND processed_at IS NULL)"
          + " INSERT INTO generation_events (generation_id, type, detail)"
          + " SELECT generation_id, $4, $5 FROM webhook_deliveries WHERE id = $1";

  static final String PING = "SELECT 1";

  /**
   * Joined into the permit statements (autocommit, one statement each): their transaction commits without waiting
   * for its WAL to reach the disk ({@code synchronous_commit} off for that transaction only; the WAL writer flushes
   * it within a fraction of a second, as does any later ordinary commit). A permit is asked for before every
   * provider call, while the call waits, so the flush was most of a permit's time on a disk with slow fsync. What
   * it risks: a crash of PostgreSQL itself may forget the slots taken in its last fraction of a second, which could
   * then be taken again within their minute, a few requests over the budget once per database crash. Visibility
   * and row locks are as with any commit, so instances never take the same slot.
   */
  static final String PERMIT_COMMIT_UNFLUSHED = "(SELECT set_config('synchronous_commit', 'off', true)) AS unflushed";

  /**
   * Takes one request from a provider's fleet-wide budget ($2 in any 60 s) at $3 (null: the database's clock): the
   * longest-idle slot below $2 last used more than 60 s before, or, when none is free and fewer than $2 exist, a
   * new one, so a provider has only as many slots as its busiest minute needed. SKIP LOCKED lets concurrent
   * requests take different slots. No row returned means "wait", and then nothing was locked or written; a row with
   * granted false means another request added the same new slot at the same moment: ask again.
   */
  static final String TAKE_PERMIT_SLOT =
      "WITH free AS (SELECT slot FROM provider_permit_slots"
          + " WHERE provider = $1 AND slot < $2 AND used_at < coalesce($3::timestamptz, now()) - interval '60 seconds'"
          + " ORDER BY used_at LIMIT 1 FOR UPDATE SKIP LOCKED),"
          + " taken AS (UPDATE provider_permit_slots s SET used_at = coalesce($3::timestamptz, now())"
          + " FROM free WHERE s.provider = $1 AND s.slot = free.slot RETURNING s.slot),"
          + " candidate AS (SELECT coalesce(max(slot) + 1, 0) AS slot FROM provider_permit_slots WHERE provider = $1"
          + " HAVING NOT EXISTS (SELECT 1 FROM free) AND coalesce(max(slot) + 1, 0) < $2),"
          + " added AS (INSERT INTO provider_permit_slots (provider, slot, used_at)"
          + " SELECT $1, slot, coalesce($3::timestamptz, now()) FROM candidate"
          + " ON CONFLICT (provider, slot) DO NOTHING RETURNING slot)"
          + " SELECT r.slot, r.granted FROM " + PERMIT_COMMIT_UNFLUSHED + ", (SELECT slot, true AS granted FROM taken"
          + " UNION ALL SELECT slot, true FROM added"
          + " UNION ALL SELECT slot, false FROM candidate WHERE NOT EXISTS (SELECT 1 FROM added)) AS r";

  /**
   * Takes up to $4 requests from a provider's fleet-wide budget ($2 in any 60 s) at $3 (null: the database's
   * clock) in one statement, as {@link #TAKE_PERMIT_SLOT} takes one: the longest-idle free slots first, then, for
   * what they do not cover, new slots above the highest, up to the budget. Answers how many were granted and how
   * many new slots other requests added at the same moment ({@code raced}: ask again for those).
   */
  static final String TAKE_PERMIT_SLOTS = "WITH " + permitSlotsTaken()
      + " SELECT (SELECT count(*) FROM taken) + (SELECT count(*) FROM added) AS granted,"
      + " (SELECT count(*) FROM candidate) - (SELECT count(*) FROM added) AS raced FROM " + PERMIT_COMMIT_UNFLUSHED;

  /**
   * The CTEs of {@link #TAKE_PERMIT_SLOTS} ($1 provider, $2 budget, $3 clock or null, $4 wanted), shared with
   * {@link #TAKE_PERMITS_AND_MARK_SENDING}: {@code taken} and {@code added} are the slots granted, {@code candidate}
   * the new ones tried.
   */
  private static String permitSlotsTaken() {
    return "free AS (SELECT slot FROM provider_permit_slots"
        + " WHERE provider = $1 AND slot < $2 AND used_at < coalesce($3::timestamptz, now()) - interval '60 seconds'"
        + " ORDER BY used_at LIMIT $4 FOR UPDATE SKIP LOCKED),"
        + " taken AS (UPDATE provider_permit_slots s SET used_at = coalesce($3::timestamptz, now())"
        + " FROM free WHERE s.provider = $1 AND s.slot = free.slot RETURNING s.slot),"
        + " top AS (SELECT coalesce(max(slot) + 1, 0) AS first FROM provider_permit_slots WHERE provider = $1),"
        + " candidate AS (SELECT top.first + i AS slot FROM top,"
        + " generate_series(0, $4::int - 1 - (SELECT count(*)::int FROM free)) AS i WHERE top.first + i < $2),"
        + " added AS (INSERT INTO provider_permit_slots (provider, slot, used_at)"
        + " SELECT $1, slot, coalesce($3::timestamptz, now()) FROM candidate"
        + " ON CONFLICT (provider, slot) DO NOTHING RETURNING slot)";
  }

  /**
   * The backlog gauges, each a count over one partial index (the same predicates the sweeps' claims use), so the
   * cost follows the backlog, not the table.
   */
  static final String BACKLOG =
      "SELECT (SELECT count(*) FROM generations WHERE status = 'queued') AS queued,"
          + " (SELECT count(*) FROM generations WHERE status IN ('submitted','processing') AND next_check_at <= now()) AS overdue,"
          + " (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL AND next_attempt_at <= now()) AS deliveries_due,"
          + " (SELECT count(*) FROM client_callbacks WHERE delivered_at IS NULL AND gave_up_at IS NULL"
          + " AND next_attempt_at <= now()) AS callbacks_due";

  // Retention (RetentionJob): each statement deletes at most $2 rows older than $1 seconds, found through an index on
  // their age (V8); rows another transaction holds are skipped, so instances running the job at once share it.

  /** Only processed deliveries: one still due for processing is pending work, whatever its age. */
  static final String DELETE_OLD_WEBHOOK_DELIVERIES =
      "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
          + " WHERE received_at < now() - make_interval(secs => $1) AND processed_at IS NOT NULL"
          + " LIMIT $2 FOR UPDATE SKIP LOCKED)";

  static final String DELETE_OLD_IDEMPOTENCY_KEYS =
      "DELETE FROM idempotency_keys WHERE (scope, key) IN (SELECT scope, key FROM idempotency_keys"
          + " WHERE created_at < now() - make_interval(secs => $1) LIMIT $2 FOR UPDATE SKIP LOCKED)";

  /** A settled callback row goes with its event (the timeline keeps the attempts); a pending one is left alone. */
  static final String DELETE_OLD_SETTLED_CALLBACKS =
      "DELETE FROM client_callbacks WHERE event_id IN (SELECT event_id FROM client_callbacks"
          + " WHERE (delivered_at IS NOT NULL OR gave_up_at IS NOT NULL) AND created_at < now() - make_interval(secs => $1)"
          + " LIMIT $2 FOR UPDATE SKIP LOCKED)";

  /**
   * An event a callback row still references (a callback not yet settled) stays: the sender reads its payload. Its
   * position goes with it (V15), or, if it never got one, its entry waiting for one; answers one row per event
   * deleted.
   */
  static final String DELETE_OLD_LIFECYCLE_EVENTS =
      "WITH gone AS (DELETE FROM lifecycle_events WHERE id IN (SELECT e.id FROM lifecycle_events e"
          + " WHERE e.occurred_at < now() - make_interval(secs => $1)"
          + " AND NOT EXISTS (SELECT 1 FROM client_callbacks c WHERE c.event_id = e.id)"
          + " LIMIT $2 FOR UPDATE OF e SKIP LOCKED) RETURNING id, tx),"
          + " positions AS (DELETE FROM lifecycle_positions p USING gone WHERE p.event_id = gone.id),"
          + " pending AS (DELETE FROM lifecycle_pending q USING gone WHERE q.tx = gone.tx AND q.id = gone.id)"
          + " SELECT id FROM gone";

  // provider circuits (ProviderHealth): one row per provider, every decision one statement over it

  /**
   * A plain UPDATE, not an upsert: no row is the same as closed without failures, and a circuit already so (nearly
   * every success) is then only read. An upsert locks the existing row even when its WHERE is false, so every
   * accepted submit wrote a row lock and waited for a WAL flush, and concurrent ones queued on that lock.
   */
  static final String CIRCUIT_SUCCESS =
      "UPDATE provider_health SET state = 'closed', consecutive_failures = 0, opened_at = NULL, probe_at = NULL,"
          + " updated_at = now() WHERE provider = $1 AND (state <> 'closed' OR consecutive_failures <> 0)";

  /** $2: failures in a row that open it. A failed probe opens it again at once; an open one keeps its opened_at. */
  static final String CIRCUIT_FAILURE =
      "INSERT INTO provider_health AS h (provider, state, consecutive_failures, opened_at)"
          + " VALUES ($1, CASE WHEN $2 <= 1 THEN 'open' ELSE 'closed' END, 1, CASE WHEN $2 <= 1 THEN now() END)"
          + " ON CONFLICT (provider) DO UPDATE SET"
          + " consecutive_failures = h.consecutive_failures + 1,"
          + " state = CASE WHEN h.state = 'half_open' OR h.consecutive_failures + 1 >= $2 THEN 'open' ELSE h.state END,"
          + " opened_at = CASE WHEN h.state = 'half_open' OR (h.state = 'closed' AND h.consecutive_failures + 1 >= $2)"
          + " THEN now() ELSE h.opened_at END,"
          + " probe_at = NULL, updated_at = now()"
          + " RETURNING state";

  /**
   * Whether a request may go to the provider now ($2: seconds an open circuit waits). Closed (or no row): yes. Open
   * for long enough, or half-open with a probe older than that (its sender is gone): this caller takes the one probe,
   * the row moving to half_open under its row lock, so of concurrent callers exactly one gets it. The outer SELECT
   * sees the row as it was before the UPDATE.
   */
  static final String CIRCUIT_ALLOW =
      "WITH probe AS (UPDATE provider_health SET state = 'half_open', probe_at = now(), updated_at = now()"
          + " WHERE provider = $1 AND ((state = 'open' AND opened_at <= now() - make_interval(secs => $2))"
          + " OR (state = 'half_open' AND probe_at <= now() - make_interval(secs => $2))) RETURNING provider)"
          + " SELECT EXISTS (SELECT 1 FROM probe) AS probe,"
          + " (SELECT state FROM provider_health WHERE provider = $1) AS state";

  /** $1: seconds an open circuit waits; {@code wait_over}: a probe may be taken now. */
  static final String CIRCUIT_STATES =
      "SELECT provider, state, consecutive_failures, opened_at, probe_at,"
          + " (state = 'open' AND opened_at <= now() - make_interval(secs => $1))"
          + " OR (state = 'half_open' AND probe_at <= now() - make_interval(secs => $1)) AS wait_over"
          + " FROM provider_health";

  // Submission (GenerationStore, submission block): the submitter's writes of the submit state. Public so the
  // orchestrator's query plan test can explain them.

  /**
   * Claims up to $3 due generations of the providers this instance calls ($1) for sending, for $4 seconds (the
   * lease), and records the token hash of each one's callback URL ($2, one per claimable row: the row numbered n in
   * {@code n} gets {@code $2[n]}) next to those of earlier attempts, which stay valid: a failed attempt may still
   * have created a job that calls back. Each provider is asked for its own earliest $3 through
   * generations_submit_pending_idx, so neither the backlog of a provider not in $1 nor rows not due yet are read,
   * and one provider's backlog does not hide another's; SKIP LOCKED passes over rows another instance is claiming
   * now, and the pushed next_submit_at keeps them away until the lease runs out. 'claimed' is not on the wire yet:
   * if the holder stops, the claim goes back to pending when its lease runs out ({@link #CLAIM_ABANDONED_SUBMISSIONS}).
   * Returns the rows to send, with their attempt number and {@code n}.
   */
  public static final String CLAIM_FOR_SENDING =
      "WITH due AS (SELECT d.id AS claim_id, row_number() OVER () AS n FROM"
          + " (SELECT d.id FROM unnest($1::text[]) AS p (provider) CROSS JOIN LATERAL"
          + " (SELECT id, next_submit_at FROM generations g WHERE g.provider = p.provider AND g.status = 'queued'"
          + " AND g.submit_state = 'pending' AND g.next_submit_at <= now() ORDER BY g.next_submit_at LIMIT $3"
          + " FOR UPDATE SKIP LOCKED) d ORDER BY d.next_submit_at LIMIT $3) d),"
          + " claimed AS (UPDATE generations g SET submit_state = 'claimed', submit_attempts = g.submit_attempts + 1,"
          + " next_submit_at = now() + make_interval(secs => $4)"
          + " FROM due WHERE g.id = due.claim_id AND g.status = 'queued' AND g.submit_state = 'pending'"
          + " RETURNING " + qualified("g") + ", g.submit_attempts, g.routes, due.n),"
          + " token AS (INSERT INTO webhook_tokens (token_hash, generation_id, attempt, provider)"
          + " SELECT t.token_hash, c.id, c.submit_attempts, c.provider FROM claimed c"
          + " JOIN unnest($2::bytea[]) WITH ORDINALITY AS t (token_hash, n) ON t.n = c.n)"
          + " SELECT * FROM claimed ORDER BY n";

  private static String qualified(String alias) {
    return alias + "." + GENERATION_COLUMNS.replace(", ", ", " + alias + ".");
  }

  /**
   * A permit and the 'sending' mark in one statement, so one commit covers both: takes up to $4 slots of provider
   * $1's budget ($2 in any 60 s, clock $3 or null) as {@link #TAKE_PERMIT_SLOTS} does, and marks the first as many
   * of the claims $5 (in that order) claimed → 'sending', with the request's lease $6 as their new next_submit_at:
   * from here on the provider may get the request, so a stop leaves it to be settled as ambiguous. A claim that ran out
   * meanwhile is not marked (its slot stays spent: the budget is underused, never exceeded). If the statement fails,
   * neither happened: the claims are still 'claimed', to be given back to pending, never taken for ambiguous.
   * Answers the slots granted, the new slots lost to a race (ask again for those claims) and the ids marked.
   */
  public static final String TAKE_PERMITS_AND_MARK_SENDING = "WITH " + permitSlotsTaken() + ","
      + " granted AS (SELECT (SELECT count(*) FROM taken) + (SELECT count(*) FROM added) AS n),"
      + " marked AS (UPDATE generations g SET submit_state = 'sending', next_submit_at = now() + make_interval(secs => $6)"
      + " FROM unnest($5::text[]) WITH ORDINALITY AS c (id, n), granted"
      + " WHERE g.id = c.id AND c.n <= granted.n AND g.status = 'queued' AND g.submit_state = 'claimed' RETURNING g.id)"
      + " SELECT (SELECT n FROM granted) AS granted,"
      + " (SELECT count(*) FROM candidate) - (SELECT count(*) FROM added) AS raced,"
      + " ARRAY(SELECT id FROM marked) AS marked";

  /** After a transient failure: wait for the next attempt. */
  public static final String RETRY_SUBMIT_LATER =
      "UPDATE generations SET submit_state = 'pending', next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'sending'";

  /**
   * Submissions whose holder stopped, of the providers $1, up to $2 of each kind, both through
   * generations_submit_taken_idx. A claim never sent ('claimed', lease run out) goes back to pending, due at once,
   * the claim not counted as an attempt: kind {@code claim}. A request that may be on the wire ('sending', lease run
   * out) is taken to be settled as ambiguous by pushing its lease $3 seconds: it stays 'sending' until the state
   * machine moves it out of queued, so a crash before that leaves it to be taken again rather than stranded: kind
   * {@code send}.
   */
  public static final String CLAIM_ABANDONED_SUBMISSIONS =
      "WITH returned AS (UPDATE generations SET submit_state = 'pending',"
          + " submit_attempts = greatest(submit_attempts - 1, 0)"
          + " WHERE id IN (SELECT id FROM generations WHERE status = 'queued' AND submit_state = 'claimed'"
          + " AND next_submit_at <= now() AND provider = ANY($1) LIMIT $2 FOR UPDATE SKIP LOCKED)"
          + " AND status = 'queued' AND submit_state = 'claimed' AND next_submit_at <= now()"
          + " RETURNING id, provider, submit_attempts, 'claim' AS kind),"
          + " taken AS (UPDATE generations SET next_submit_at = now() + make_interval(secs => $3)"
          + " WHERE id IN (SELECT id FROM generations WHERE status = 'queued' AND submit_state = 'sending'"
          + " AND next_submit_at <= now() AND provider = ANY($1) LIMIT $2 FOR UPDATE SKIP LOCKED)"
          + " AND status = 'queued' AND submit_state = 'sending' AND next_submit_at <= now()"
          + " RETURNING id, provider, submit_attempts, 'send' AS kind)"
          + " SELECT id, provider, submit_attempts, kind FROM returned"
          + " UNION ALL SELECT id, provider, submit_attempts, kind FROM taken";

  /**
   * No permit, or the gate could not be asked: nothing was sent, so the claim is given back and not counted as an
   * attempt.
   */
  public static final String RELEASE_SUBMIT_CLAIM =
      "UPDATE generations SET submit_state = 'pending', submit_attempts = submit_attempts - 1,"
          + " next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'claimed'";

  // Polling (GenerationStore, polling block): the poller's claim of due checks and its schedule writes.

  /**
   * Claims up to $1 generations whose check is due, for $2 seconds (the lease). The inner SELECT walks the partial
   * index generations_check_due_idx (only in-flight rows are in it) in due order; SKIP LOCKED passes over rows
   * another instance is claiming at this moment, and pushing next_check_at past now() keeps every other instance
   * away until the lease runs out. An instance that dies holding a claim thus hands it back by doing nothing.
   * poll_attempts counts the claim as a check; {@link #HAND_BACK_CHECK} takes that back when no check was made.
   */
  static final String CLAIM_DUE_CHECKS =
      "UPDATE generations SET next_check_at = now() + make_interval(secs => $2), poll_attempts = poll_attempts + 1"
          + " WHERE id IN (SELECT id FROM generations"
          + " WHERE status IN ('submitted','processing') AND next_check_at <= now()"
          + " ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
          + " RETURNING id, provider, provider_task_id, submitted_at, deadline_at, poll_attempts, submit_attempts";

  /**
   * Returns a claimed generation unchecked: due again at $2, and the claim does not count as a check. A generation
   * that became terminal meanwhile is left alone (its next_check_at is already null).
   */
  static final String HAND_BACK_CHECK =
      "UPDATE generations SET next_check_at = $2, poll_attempts = greatest(poll_attempts - 1, 0)"
          + " WHERE id = $1 AND status IN ('submitted','processing')";

  /** After a check that learned nothing: due again at $2, with a {@code polled} timeline entry ($3) in one statement. */
  static final String POLLED_LATER =
      "WITH g AS (UPDATE generations SET next_check_at = $2"
          + " WHERE id = $1 AND status IN ('submitted','processing') RETURNING id)"
          + " INSERT INTO generation_events (generation_id, type, detail) SELECT id, 'polled', $3 FROM g";
}
