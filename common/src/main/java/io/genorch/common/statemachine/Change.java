package io.genorch.common.statemachine;

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
    Instant deadlineAt) {

  public Change {
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    detail = detail == null ? new JsonObject() : detail;
  }

  public static Change fromOutcome(Source source, ProviderOutcome outcome, JsonObject detail) {
    return new Change(
        source, outcome.status(), outcome.providerTaskId(), outcome.progress(), outcome.outputs(), outcome.error(),
        detail, null, null);
  }

  public Change withSchedule(Instant nextCheckAt, Instant deadlineAt) {
    return new Change(source, proposed, providerTaskId, progress, outputs, error, detail, nextCheckAt, deadlineAt);
  }
}
