package io.genorch.common.provider;

import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import java.util.List;

/**
 * What a provider said about one task, normalised: from a submit answer, a webhook or a status query.
 *
 * @param status SUBMITTED or PROCESSING while running, SUCCEEDED or FAILED when done (never QUEUED or TIMED_OUT)
 * @param rawStatus the provider's own status word, kept for the timeline
 * @param unknownStatus the status word was not one the adapter knows; it is treated as still running
 */
public record ProviderOutcome(
    String providerTaskId,
    GenerationStatus status,
    String rawStatus,
    Integer progress,
    List<Output> outputs,
    GenerationError error,
    boolean unknownStatus) {

  public ProviderOutcome {
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
  }

  public boolean isTerminal() {
    return status.isTerminal();
  }
}
