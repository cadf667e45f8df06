package io.genorch.orchestrator.submission;

/**
 * The submission pipeline's reads. Its writes of the generations table, the claims included, are GenerationStore's
 * (submission block of {@link io.genorch.common.persistence.Sql}).
 */
final class SubmissionSql {

  private SubmissionSql() {}

  /**
   * Queued generations due for submission of the providers this instance calls ($1), for the backlog metric:
   * counted in generations_submit_pending_idx.
   */
  static final String COUNT_DUE =
      "SELECT count(*) FROM generations WHERE status = 'queued' AND submit_state = 'pending'"
          + " AND next_submit_at <= now() AND provider = ANY($1)";
}
