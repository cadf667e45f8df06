package io.genorch.common.provider;

import io.genorch.common.domain.GenerationError;
import java.time.Duration;

/** How a provider answered a submit request. */
public sealed interface SubmitResult {

  /** The provider took the job and named its task. */
  record Accepted(ProviderOutcome outcome) implements SubmitResult {}

  /**
   * A definite refusal (4xx such as insufficient credits or a rejected prompt): not sent to this provider again.
   *
   * @param providerSide the provider refused for reasons of its own (insufficient balance, the model unavailable
   *     there, our key refused, maintenance), not the request's: another route may take it. False for a refusal
   *     about the request (its input, content policy), which no route would take
   */
  record Refused(GenerationError error, boolean providerSide) implements SubmitResult {

    public Refused(GenerationError error) {
      this(error, false);
    }
  }

  /**
   * A failure worth retrying (5xx, 429, connection refused): the provider did not take the job.
   *
   * @param retryAfter the provider's Retry-After, or null
   * @param maintenance the provider said it is under maintenance: retrying it soon is pointless, another route may
   *     take the job at once
   */
  record Transient(String reason, Duration retryAfter, boolean maintenance) implements SubmitResult {

    public Transient(String reason, Duration retryAfter) {
      this(reason, retryAfter, false);
    }
  }

  /**
   * The request may have reached the provider but no answer came (timeout after sending, connection reset).
   * Never resubmitted: a second submit could pay twice.
   */
  record Ambiguous(String reason) implements SubmitResult {}
}
