package io.genorch.orchestrator.submission;

/**
 * The submission pipeline's reads. Its writes of the generations table are GenerationStore's (submission block of
 * {@link io.genorch.common.persistence.Sql}).
 */
final class SubmissionSql {

  private SubmissionSql() {}

  /**
   * Queued generations whose turn has come, for the providers this instance can call ($1), earliest first. Each
   * provider is asked for its own earliest $2 through generations_submit_pending_idx, so neither the backlog of a
   * provider that is not in $1 nor the rows not due yet are ever read.
   */
  static final String DUE_FOR_SUBMISSION =
      "SELECT d.id FROM unnest($1::text[]) AS p (provider) CROSS JOIN LATERAL"
          + " (SELECT id, next_submit_at FROM generations g WHERE g.provider = p.provider AND g.status = 'queued'"
          + " AND g.submit_state = 'pending' AND g.next_submit_at <= now() ORDER BY g.next_submit_at LIMIT $2) d"
          + " ORDER BY d.next_submit_at LIMIT $2";

  /** Requests that were on the wire when their sender stopped: their lease has run out. */
  static final String ABANDONED_SENDS =
      "SELECT id FROM generations WHERE status = 'queued' AND submit_state = 'sending' AND next_submit_at <= now()"
          + " AND provider = ANY($1) LIMIT $2";
}
