package io.genorch.poller;

/** Every SQL statement of the poller, parameterised; nothing here is ever built from input. */
final class PollerSql {

  private PollerSql() {}

  /**
   * Claims up to $1 generations whose check is due, for $2 seconds (the lease). The inner SELECT walks the partial
   * index generations_check_due_idx (only in-flight rows are in it) in due order; SKIP LOCKED passes over rows
   * another instance is claiming at this moment, and pushing next_check_at past now() keeps every other instance
   * away until the lease runs out. An instance that dies holding a claim thus hands it back by doing nothing.
   * poll_attempts counts the claim as a check; {@link #HAND_BACK} takes that back when no check was made.
   */
  static final String CLAIM_DUE =
      "UPDATE generations SET next_check_at = now() + make_interval(secs => $2), poll_attempts = poll_attempts + 1"
          + " WHERE id IN (SELECT id FROM generations"
          + " WHERE status IN ('submitted','processing') AND next_check_at <= now()"
          + " ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
          + " RETURNING id, provider, provider_task_id, submitted_at, deadline_at, poll_attempts";

  /**
   * Returns a claimed generation unchecked (no permit, no task id to ask about, provider not enabled here): due
   * again at $2, and the claim does not count as a check, so the backoff does not grow. A generation that became
   * terminal meanwhile is left alone (its next_check_at is already null).
   */
  static final String HAND_BACK =
      "UPDATE generations SET next_check_at = $2, poll_attempts = greatest(poll_attempts - 1, 0)"
          + " WHERE id = $1 AND status IN ('submitted','processing')";

  /**
   * After a check that learned nothing (the provider could not answer): due again at $2, with a {@code polled}
   * timeline entry ($3, the detail) in the same statement. Status changes go through GenerationStore.apply instead.
   */
  static final String POLLED_LATER =
      "WITH g AS (UPDATE generations SET next_check_at = $2"
          + " WHERE id = $1 AND status IN ('submitted','processing') RETURNING id)"
          + " INSERT INTO generation_events (generation_id, type, detail) SELECT id, 'polled', $3 FROM g";
}
