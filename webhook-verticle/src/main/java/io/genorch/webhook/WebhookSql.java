package io.genorch.webhook;

/** Every SQL statement of the webhook module, parameterised; nothing here is ever built from input. */
final class WebhookSql {

  private WebhookSql() {}

  /**
   * The whole request path in one round trip, for one delivery or for several that arrived together (one statement,
   * one commit: {@link IngestBatcher}). Row {@code n} of the arrays: $1 token hash, $2 provider of the URL, $3 task
   * id of the payload, $4 source address, $5 kept headers (JSON text), $6 body, $7 its SHA-256. Finds the generation
   * bound to the token hash, by any of its submit attempts, and stores the delivery only when it belongs to the
   * provider of the URL (the provider that attempt was sent to, which after a failover is not the generation's) and
   * does not name a task bound to another generation. Through the URL of the latest attempt
   * the task must also be the one bound, if any; an earlier attempt's URL may report that attempt's own job (an
   * attempt that failed may still have created one). No row for {@code n}: unknown token (404). A row without
   * {@code delivery_id}: wrong provider (404) or another task (409); the caller tells which from the columns. The
   * delivery is due at once. Ids are drawn in input order, so a redelivery that arrived in the same batch gets the
   * later id and is processed after its first copy.
   */
  static final String INGEST =
      "WITH r AS (SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[])"
          + " WITH ORDINALITY AS r(token_hash, provider, task_id, source, headers, body, sha, n)),"
          + " g AS (SELECT r.n, g.id, g.provider, g.provider_task_id, t.attempt,"
          + " g.provider = r.provider AND (r.task_id IS NULL OR g.provider_task_id = r.task_id"
          + " OR ((g.provider_task_id IS NULL OR t.attempt < g.submit_attempts) AND NOT EXISTS (SELECT 1 FROM generations o"
          + " WHERE o.provider = r.provider AND o.provider_task_id = r.task_id AND o.id <> g.id))) AS ok"
          + " FROM r JOIN webhook_tokens t ON t.token_hash = r.token_hash JOIN generations g ON g.id = t.generation_id),"
          + " k AS (SELECT s.n, nextval(pg_get_serial_sequence('webhook_deliveries', 'id')) AS delivery_id"
          + " FROM (SELECT n FROM g WHERE ok ORDER BY n OFFSET 0) s),"
          + " d AS (INSERT INTO webhook_deliveries (id, provider, generation_id, token_attempt, source_address, headers,"
          + " body, body_sha256, next_attempt_at)"
          + " SELECT k.delivery_id, r.provider, g.id, g.attempt, r.source, r.headers::jsonb, r.body, r.sha, now()"
          + " FROM k JOIN g ON g.n = k.n JOIN r ON r.n = k.n ORDER BY k.delivery_id)"
          + " SELECT g.n, g.id, g.provider, g.provider_task_id, k.delivery_id FROM g LEFT JOIN k ON k.n = g.n";

  /** The provider a token hash is bound to (answers 404 vs 400 for a body the adapter refuses). */
  static final String PROVIDER_OF_TOKEN =
      "SELECT coalesce(t.provider, g.provider) AS provider FROM webhook_tokens t JOIN generations g ON g.id = t.generation_id"
          + " WHERE t.token_hash = $1";

  /**
   * Claims up to $1 due deliveries in the transaction of the round that settles them: the row locks are the claim
   * (rows another instance holds are skipped), nothing is written, and a round that does not commit leaves them due.
   * {@code attempts} is this try's number (the tries that ended without settling, plus this one).
   */
  static final String CLAIM_DUE =
      "SELECT d.id, d.provider, d.generation_id, d.body, d.body_sha256, d.attempts + 1 AS attempts, d.token_attempt,"
          + " (SELECT g.provider_task_id FROM generations g WHERE g.id = d.generation_id) AS bound_task_id"
          + " FROM webhook_deliveries d WHERE d.processed_at IS NULL AND d.next_attempt_at <= now()"
          + " ORDER BY d.next_attempt_at, d.id LIMIT $1 FOR NO KEY UPDATE OF d SKIP LOCKED";

  /**
   * An identical earlier delivery that was applied, looked for before a confirmation spends a status call (the store
   * looks again in the statement that locks the generation when it settles: {@code Sql.SELECT_GENERATIONS_FOR_WEBHOOKS}, same outcomes). One
   * that was given up, unreadable or not confirmed settled nothing, so a redelivery of the same body gets its own
   * chance.
   */
  static final String PROCESSED_TWIN =
      "SELECT id FROM webhook_deliveries WHERE generation_id = $1 AND body_sha256 = $2 AND id <> $3"
          + " AND processed_at IS NOT NULL AND outcome IN ('" + DeliveryProcessor.ADVANCED + "', '" + DeliveryProcessor.STAYED
          + "', '" + DeliveryProcessor.DUPLICATE + "', '" + DeliveryProcessor.REJECTED + "', '" + DeliveryProcessor.RERUN
          + "', '" + DeliveryProcessor.SUPERSEDED + "')"
          + " ORDER BY id LIMIT 1";

  /** A delivery that settled nothing (given up, unreadable); the store marks those it applies or records. */
  static final String MARK_PROCESSED =
      "UPDATE webhook_deliveries SET processed_at = now(), outcome = $2, last_error = $3"
          + " WHERE id = $1 AND processed_at IS NULL";

  /** Leaves a delivery unprocessed and due again in $2 seconds, noting why ($3); counts the try that ended so. */
  static final String RESCHEDULE =
      "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2),"
          + " last_error = $3 WHERE id = $1 AND processed_at IS NULL";
}
