package io.genorch.orchestrator.outputs;

/** Every SQL statement of the output copier (table output_copies, V10). */
final class OutputCopySql {

  private OutputCopySql() {}

  /**
   * Claims due copies: counts the attempt and pushes the next one past the lease, so another instance skips them
   * now and takes them again if this one dies mid-copy.
   */
  static final String CLAIM_DUE =
      "UPDATE output_copies c SET attempts = c.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)"
          + " FROM (SELECT generation_id, idx FROM output_copies WHERE status = 'pending' AND next_attempt_at <= now()"
          + " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due"
          + " WHERE c.generation_id = due.generation_id AND c.idx = due.idx"
          + " RETURNING c.generation_id, c.idx, c.source_url, c.attempts, c.retry_until";

  static final String COUNT_DUE =
      "SELECT count(*) AS due FROM output_copies WHERE status = 'pending' AND next_attempt_at <= now()";

  static final String MARK_STORED =
      "UPDATE output_copies SET status = 'stored', storage_key = $3, bytes = $4, sha256 = $5, content_type = $6,"
          + " stored_at = now(), last_error = NULL WHERE generation_id = $1 AND idx = $2";

  static final String RESCHEDULE =
      "UPDATE output_copies SET next_attempt_at = now() + make_interval(secs => $3), last_error = $4"
          + " WHERE generation_id = $1 AND idx = $2";

  static final String GIVE_UP =
      "UPDATE output_copies SET status = 'gave_up', last_error = $3 WHERE generation_id = $1 AND idx = $2";

  /**
   * Renews the claim of a copy in progress, only while it is still this attempt's ({@code attempts} is the claim's
   * number): no row updated means the lease ran out and another instance took the copy.
   */
  static final String RENEW =
      "UPDATE output_copies SET next_attempt_at = now() + make_interval(secs => $4)"
          + " WHERE generation_id = $1 AND idx = $2 AND attempts = $3 AND status = 'pending'";

  /**
   * Retention: takes up to $2 copies stored before the cutoff for a lease of $3 seconds (so no other instance takes
   * them meanwhile), leaving them stored: they are marked deleted only once the object is gone, and one whose delete
   * failed is taken again when the lease ends.
   */
  static final String TAKE_EXPIRED =
      "UPDATE output_copies c SET next_attempt_at = now() + make_interval(secs => $3) FROM (SELECT generation_id, idx"
          + " FROM output_copies WHERE status = 'stored' AND stored_at < now() - make_interval(secs => $1)"
          + " AND next_attempt_at <= now() LIMIT $2 FOR UPDATE SKIP LOCKED) old"
          + " WHERE c.generation_id = old.generation_id AND c.idx = old.idx"
          + " RETURNING c.generation_id, c.idx, c.storage_key";

  static final String MARK_DELETED =
      "UPDATE output_copies SET status = 'deleted' WHERE generation_id = $1 AND idx = $2 AND status = 'stored'";
}
