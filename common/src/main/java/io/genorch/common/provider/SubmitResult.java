package io.genorch.common.provider;

import io.genorch.common.domain.GenerationError;
import java.time.Duration;

/** How a provider answered a submit request. */
public sealed interface SubmitResult {

  /** The provider took the job and named its task. */
  record Accepted(ProviderOutcome outcome) implements SubmitResult {}

  /** A definite refusal (4xx such as insufficient credits or a rejected prompt): do not retry. */
  record Refused(GenerationError error) implements SubmitResult {}

  /**
   * A failure worth retrying (5xx, 429, connection refused): the provider did not take the job.
   *
   * @param retryAfter the provider's Retry-After, or null
   */
  record Transient(String reason, Duration retryAfter) implements SubmitResult {}

  /**
   * The request may have reached the provider but no answer came (timeout after sending, connection reset).
   * Never resubmitted: a second submit could pay twice.
   */
  record Ambiguous(String reason) implements SubmitResult {}
}
