package io.genorch.common.statemachine;

import java.time.Instant;

/**
 * A generation's bookkeeping that clients do not see: when the poller next checks it and when it times out, and
 * where its submission stands ({@code pending | sending | done}) and when it is next due.
 *
 * @param routed the service chose its provider (created with a model and no provider): only such a generation is
 *     re-run or failed over; one whose client named the provider keeps it and ends with its first job
 */
public record Schedule(Instant nextCheckAt, Instant deadlineAt, String submitState, Instant nextSubmitAt, boolean routed) {

  public Schedule(Instant nextCheckAt, Instant deadlineAt, String submitState, Instant nextSubmitAt) {
    this(nextCheckAt, deadlineAt, submitState, nextSubmitAt, false);
  }
}
