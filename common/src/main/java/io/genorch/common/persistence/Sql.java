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
      "SELECT " + GENERATION_COLUMNS + " FROM generations WHERE webhook_token_hash = $1";

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

  static final String SELECT_LIFECYCLE_EVENTS_AFTER =
      "SELECT seq, payload FROM lifecycle_events WHERE seq > $1 ORDER BY seq LIMIT $2";

  static final String PING = "SELECT 1";

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
          + " SELECT slot, true AS granted FROM taken UNION ALL SELECT slot, true FROM added"
          + " UNION ALL SELECT slot, false FROM candidate WHERE NOT EXISTS (SELECT 1 FROM added)";
}
