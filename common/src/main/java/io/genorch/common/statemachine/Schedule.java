package io.genorch.common.statemachine;

import java.time.Instant;

/**
 * A generation's bookkeeping that clients do not see: when the poller next checks it and when it times out, and
 * where its submission stands ({@code pending | sending | done}) and when it is next due.
 */
public record Schedule(Instant nextCheckAt, Instant deadlineAt, String submitState, Instant nextSubmitAt) {}
