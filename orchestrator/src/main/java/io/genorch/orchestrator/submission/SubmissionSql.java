package io.genorch.orchestrator.submission;

/** Every SQL statement of the submission pipeline. */
final class SubmissionSql {

  private SubmissionSql() {}

  /** Queued generations whose turn has come, for the providers this instance can call. */
  static final String DUE_FOR_SUBMISSION =
      "SELECT id FROM generations WHERE status = 'queued' AND submit_state = 'pending' AND next_submit_at <= now()"
          + " AND provider = ANY($1) ORDER BY next_submit_at LIMIT $2";

  /**
   * Takes one generation for sending and records the token hash of this attempt's callback URL ($2) next to those of
   * earlier attempts, which stay valid: a failed attempt may still have created a job that calls back. Only one
   * caller can win: the row must still be queued, pending and due. The new next_submit_at is the lease of the
   * request in flight.
   */
  static final String CLAIM_FOR_SENDING =
      "WITH claimed AS (UPDATE generations SET submit_state = 'sending', submit_attempts = submit_attempts + 1,"
          + " next_submit_at = now() + make_interval(secs => $3)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'pending' AND next_submit_at <= now()"
          + " RETURNING id, submit_attempts),"
          + " token AS (INSERT INTO webhook_tokens (token_hash, generation_id, attempt)"
          + " SELECT $2, id, submit_attempts FROM claimed)"
          + " SELECT submit_attempts FROM claimed";

  /** After a transient failure: wait for the next attempt. */
  static final String RETRY_LATER =
      "UPDATE generations SET submit_state = 'pending', next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'sending'";

  /** Requests that were on the wire when their sender stopped: their lease has run out. */
  static final String ABANDONED_SENDS =
      "SELECT id FROM generations WHERE status = 'queued' AND submit_state = 'sending' AND next_submit_at <= now()"
          + " AND provider = ANY($1) LIMIT $2";

  /**
   * Takes one abandoned send to settle it, by pushing its lease: it stays 'sending' until the state machine moves it
   * out of queued, so a crash before that leaves it to be taken again rather than stranded.
   */
  static final String TAKE_ABANDONED_SEND =
      "UPDATE generations SET next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'sending' AND next_submit_at <= now()"
          + " RETURNING id";

  /** No request budget after winning the claim: the claim is given back, not counted as an attempt. */
  static final String RELEASE_CLAIM =
      "UPDATE generations SET submit_state = 'pending', submit_attempts = submit_attempts - 1,"
          + " next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'sending'";
}
