package io.genorch.common.persistence;

/** Every SQL statement of the common module, parameterised; nothing here is ever built from input. */
final class Sql {

  private Sql() {}

  static final String GENERATION_COLUMNS =
      "id, provider, model, status, prompt, image_url, aspect_ratio, duration_seconds, options, metadata,"
          + " callback_url, provider_task_id, progress, outputs, error, resolved_by, created_at, submitted_at,"
          + " completed_at, updated_at";

  static final String INSERT_GENERATION =
      "INSERT INTO generations (id, provider, model, status, prompt, image_url, aspect_ratio, duration_seconds,"
          + " options, metadata, callback_url, created_at, updated_at, next_submit_at)"
          + " VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11, $11, $11)"
          + " RETURNING " + GENERATION_COLUMNS;

  static final String CLAIM_IDEMPOTENCY_KEY =
      "INSERT INTO idempotency_keys (scope, key, request_hash, generation_id) VALUES ($1, $2, $3, $4)"
          + " ON CONFLICT (scope, key) DO NOTHING";

  static final String FIND_IDEMPOTENCY_KEY =
      "SELECT request_hash, generation_id FROM idempotency_keys WHERE scope = $1 AND key = $2";

  static final String SELECT_GENERATION = "SELECT " + GENERATION_COLUMNS + " FROM generations WHERE id = $1";

  static final String SELECT_GENERATION_FOR_UPDATE = SELECT_GENERATION + " FOR UPDATE";

  static final String SELECT_GENERATION_BY_TOKEN =
      "SELECT " + GENERATION_COLUMNS + " FROM generations"
          + " WHERE id = (SELECT generation_id FROM webhook_tokens WHERE token_hash = $1)";

  /** Listing pieces: the filters are fixed fragments chosen by which parameters are present. */
  static final String LIST_PREFIX = "SELECT " + GENERATION_COLUMNS + " FROM generations";
  static final String LIST_ORDER = " ORDER BY id DESC LIMIT ";

  static final String UPDATE_GENERATION =
      "UPDATE generations SET status = $2, provider_task_id = $3, progress = $4, outputs = $5, error = $6,"
          + " resolved_by = $7, submitted_at = $8, completed_at = $9, updated_at = $10, next_check_at = $11,"
          + " deadline_at = $12, submit_state = $13, next_submit_at = $14 WHERE id = $1"
          + " RETURNING " + GENERATION_COLUMNS;

  static final String SELECT_SCHEDULE =
      "SELECT next_check_at, deadline_at, submit_state, next_submit_at FROM generations WHERE id = $1";

  static final String INSERT_TIMELINE_EVENT =
      "INSERT INTO generation_events (generation_id, type, detail) VALUES ($1, $2, $3)";

  static final String SELECT_TIMELINE =
      "SELECT type, at, detail FROM generation_events WHERE generation_id = $1 ORDER BY id";

  /** The seq comes from the one-row counter, locked until commit, so seq order is commit order (V4). */
  static final String INSERT_LIFECYCLE_EVENT =
      "WITH next AS (UPDATE lifecycle_seq SET last_seq = last_seq + 1 RETURNING last_seq)"
          + " INSERT INTO lifecycle_events (seq, id, type, generation_id, occurred_at, payload)"
          + " SELECT last_seq, $1, $2, $3, $4, $5 FROM next";

  static final String INSERT_CLIENT_CALLBACK =
      "INSERT INTO client_callbacks (event_id, generation_id, url) VALUES ($1, $2, $3)";

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

  static final String UPDATE_OUTPUTS =
      "UPDATE generations SET outputs = $2, updated_at = $3 WHERE id = $1 RETURNING " + GENERATION_COLUMNS;

  static final String SELECT_LIFECYCLE_EVENTS_AFTER =
      "SELECT seq, payload FROM lifecycle_events WHERE seq > $1 ORDER BY seq LIMIT $2";

  static final String PING = "SELECT 1";

  /**
   * Takes one request from a provider's budget for the current minute, fleet-wide: the row for (provider, minute)
   * counts requests; the update only happens while under the limit, so an empty result means "wait".
   */
  static final String TAKE_RATE_PERMIT =
      "INSERT INTO provider_rate_windows AS w (provider, window_start, used) VALUES ($1, date_trunc('minute', now()), 1)"
          + " ON CONFLICT (provider, window_start) DO UPDATE SET used = w.used + 1 WHERE w.used < $2"
          + " RETURNING used";

  static final String PRUNE_RATE_WINDOWS =
      "DELETE FROM provider_rate_windows WHERE window_start < date_trunc('minute', now()) - interval '1 hour'";

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
}
