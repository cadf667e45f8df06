package io.genorch.orchestrator.submission;

/** Every SQL statement of the submission pipeline. */
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

  /**
   * Takes one generation for this instance and records the token hash of this attempt's callback URL ($2) next to
   * those of earlier attempts, which stay valid: a failed attempt may still have created a job that calls back. Only
   * one caller can win: the row must still be queued, pending and due. 'claimed' is not on the wire yet: if the
   * holder stops now, the claim goes back to pending when its lease (the new next_submit_at) runs out
   * ({@link #RETURN_ABANDONED_CLAIMS}).
   */
  static final String CLAIM_FOR_SENDING =
      "WITH claimed AS (UPDATE generations SET submit_state = 'claimed', submit_attempts = submit_attempts + 1,"
          + " next_submit_at = now() + make_interval(secs => $3)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'pending' AND next_submit_at <= now()"
          + " RETURNING id, submit_attempts),"
          + " token AS (INSERT INTO webhook_tokens (token_hash, generation_id, attempt)"
          + " SELECT $2, id, submit_attempts FROM claimed)"
          + " SELECT submit_attempts FROM claimed";

  /**
   * With a permit in hand, just before the request is written: from here on the provider may get it, so a stop
   * leaves it to be settled as ambiguous ({@link #ABANDONED_SENDS}). The new next_submit_at is the lease of the
   * request in flight.
   */
  static final String MARK_SENDING =
      "UPDATE generations SET submit_state = 'sending', next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'claimed' RETURNING id";

  /** After a transient failure: wait for the next attempt. */
  static final String RETRY_LATER =
      "UPDATE generations SET submit_state = 'pending', next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'sending'";

  /**
   * Claims whose holder stopped before sending: nothing was sent, so they are due again at once and the claim is
   * not counted as an attempt.
   */
  static final String RETURN_ABANDONED_CLAIMS =
      "UPDATE generations SET submit_state = 'pending', submit_attempts = greatest(submit_attempts - 1, 0)"
          + " WHERE id IN (SELECT id FROM generations WHERE status = 'queued' AND submit_state = 'claimed'"
          + " AND next_submit_at <= now() AND provider = ANY($1) LIMIT $2 FOR UPDATE SKIP LOCKED)"
          + " AND status = 'queued' AND submit_state = 'claimed' AND next_submit_at <= now()";

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

  /**
   * No permit, or the gate could not be asked: nothing was sent, so the claim is given back and not counted as an
   * attempt.
   */
  static final String RELEASE_CLAIM =
      "UPDATE generations SET submit_state = 'pending', submit_attempts = submit_attempts - 1,"
          + " next_submit_at = now() + make_interval(secs => $2)"
          + " WHERE id = $1 AND status = 'queued' AND submit_state = 'claimed'";
}
