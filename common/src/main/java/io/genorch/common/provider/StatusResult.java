package io.genorch.common.provider;

import java.time.Duration;

/** How a provider answered a status query. */
public sealed interface StatusResult {

  record Known(ProviderOutcome outcome) implements StatusResult {}

  /** The provider does not know the task (404 for a task it accepted). */
  record NotFound(String detail) implements StatusResult {}

  /** The provider could not answer now (5xx, 429, timeout): ask again later. */
  record Transient(String reason, Duration retryAfter) implements StatusResult {}
}
