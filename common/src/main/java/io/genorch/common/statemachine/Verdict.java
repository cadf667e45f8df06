package io.genorch.common.statemachine;

/** What the state machine makes of a proposed status for a generation. */
public enum Verdict {
  /** The status moves forward. */
  ADVANCE,
  /** The status stays (same or earlier running status); progress and the task id may still be filled in. */
  STAY,
  /** The generation is terminal and the proposal says the same: a repeat that changes nothing. */
  DUPLICATE,
  /** The generation is terminal and the proposal contradicts it: kept in the timeline, changes nothing. */
  REJECT,
  /**
   * The report is about an attempt the generation no longer follows (a later one was sent, or it was re-run or
   * failed over): kept in the timeline, changes nothing.
   */
  SUPERSEDED,
  /**
   * The job failed with a retryable reason and attempts and time are left: the generation goes back to queued for
   * another attempt instead of failing.
   */
  RERUN
}
