package io.genorch.common.statemachine;

import io.genorch.common.domain.Attempt;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.provider.ProviderOutcome;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * A change a writer proposes for one generation; {@link io.genorch.common.persistence.GenerationStore#apply}
 * runs it through {@link GenerationStateMachine} under a row lock.
 *
 * @param detail what the writer saw, for the timeline (delivery id, provider status word, …)
 * @param nextCheckAt when the poller should next look, if the generation is still running afterwards; null keeps
 *     the current schedule, and from a webhook it only fills in a missing one (callbacks never push the poller's
 *     safety-net check away)
 * @param deadlineAt when a still-running generation times out; only set where none is set yet
 * @param attempt the attempt a report (webhook, poll) is about, by its number; null when it is about none in
 *     particular (a deadline, a delivery stored before attempts were numbered): then it concerns the latest
 * @param sent from the submitter: the submission this change settles, as an attempt to record
 * @param requeue from the submitter, with {@code proposed} queued: the generation waits for another submission
 */
public record Change(
    Source source,
    GenerationStatus proposed,
    String providerTaskId,
    Integer progress,
    List<Output> outputs,
    GenerationError error,
    JsonObject detail,
    Instant nextCheckAt,
    Instant deadlineAt,
    Integer attempt,
    Attempt sent,
    Requeue requeue) {

  /**
   * Where and when a queued generation is sent next.
   *
   * @param failover when the route changes: the {@code failover} timeline entry's detail (why, from, to); null when
   *     the same route is tried again later (a transient refusal)
   */
  public record Requeue(String provider, String model, Instant at, JsonObject failover) {}

  public Change {
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    detail = detail == null ? new JsonObject() : detail;
  }

  public Change(Source source, GenerationStatus proposed, String providerTaskId, Integer progress, List<Output> outputs,
      GenerationError error, JsonObject detail, Instant nextCheckAt, Instant deadlineAt) {
    this(source, proposed, providerTaskId, progress, outputs, error, detail, nextCheckAt, deadlineAt, null, null, null);
  }

  public static Change fromOutcome(Source source, ProviderOutcome outcome, JsonObject detail) {
    return new Change(
        source, outcome.status(), outcome.providerTaskId(), outcome.progress(), outcome.outputs(), outcome.error(),
        detail, null, null);
  }

  /** A submission refused or failed at the provider while the generation stays queued for {@code requeue}. */
  public static Change requeued(Attempt sent, Requeue requeue, JsonObject detail) {
    return new Change(Source.SUBMIT, GenerationStatus.QUEUED, null, null, null, null, detail, null, null,
        sent == null ? null : sent.attempt(), sent, requeue);
  }

  public Change withSchedule(Instant nextCheckAt, Instant deadlineAt) {
    return new Change(source, proposed, providerTaskId, progress, outputs, error, detail, nextCheckAt, deadlineAt,
        attempt, sent, requeue);
  }

  public Change withAttempt(Integer attempt) {
    return new Change(source, proposed, providerTaskId, progress, outputs, error, detail, nextCheckAt, deadlineAt,
        attempt, sent, requeue);
  }

  /** The submitter's record of the send this change settles (its number becomes the change's attempt). */
  public Change withSent(Attempt sent) {
    return new Change(source, proposed, providerTaskId, progress, outputs, error, detail, nextCheckAt, deadlineAt,
        sent.attempt(), sent, requeue);
  }
}
