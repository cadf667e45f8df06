package io.genorch.orchestrator.callbacks;

/** Every SQL statement of the client callback sender. */
final class ClientCallbackSql {

  private ClientCallbackSql() {}

  /**
   * Claims due callbacks (those of succeeded generations once their outputs are settled): counts the attempt and pushes the next attempt past the lease, so another instance skips
   * them now and picks them up again if this one dies mid-delivery.
   */
  static final String CLAIM_DUE =
      "UPDATE client_callbacks c SET attempts = c.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)"
          + " FROM (SELECT event_id FROM client_callbacks WHERE delivered_at IS NULL AND gave_up_at IS NULL"
          + " AND next_attempt_at <= now()"
          // a succeeded generation's callback waits until its outputs are kept or keeping them gave up (V10)
          + " AND NOT EXISTS (SELECT 1 FROM output_copies o WHERE o.generation_id = client_callbacks.generation_id"
          + " AND o.status = 'pending')"
          + " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due,"
          + " lifecycle_events e"
          + " WHERE c.event_id = due.event_id AND e.id = c.event_id"
          + " RETURNING c.event_id, c.generation_id, c.url, c.attempts, c.created_at, e.payload::text AS payload";

  static final String MARK_DELIVERED =
      "UPDATE client_callbacks SET delivered_at = now(), last_status = $2, last_error = NULL WHERE event_id = $1";

  static final String RESCHEDULE =
      "UPDATE client_callbacks SET next_attempt_at = now() + make_interval(secs => $2), last_status = $3,"
          + " last_error = $4 WHERE event_id = $1";

  static final String GIVE_UP =
      "UPDATE client_callbacks SET gave_up_at = now(), last_status = $2, last_error = $3 WHERE event_id = $1";
}
