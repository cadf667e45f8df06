package io.genorch.common.bus;

/** Event-bus addresses. The first three are public (docs/API.md section 5); the rest are internal. */
public final class Addresses {

  /** Published: every lifecycle event, as {@link LifecycleEvent#toJson()}. */
  public static final String EVENTS = "genorch.generations.events";

  /** Request-reply: a POST /v1/generations body plus optional idempotencyKey → Generation, or fail(httpStatus). */
  public static final String SUBMIT = "genorch.generations.submit";

  /** Request-reply: {"id": "…"} → Generation, or fail(404). */
  public static final String GET = "genorch.generations.get";

  /** Internal, point-to-point: {"id": "…"} of a generation that was just accepted and awaits submission. */
  public static final String SUBMISSION_WAKE = "genorch.internal.submission.wake";

  private Addresses() {}
}
