package io.genorch.orchestrator.submission;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** When to try a transient submit failure again: exponential, capped, jittered, never sooner than Retry-After. */
public record SubmitBackoff(Duration base, Duration cap, int maxAttempts) {

  public boolean attemptsLeft(int attemptsMade) {
    return attemptsMade < maxAttempts;
  }

  /** The wait after attempt {@code attempt} (1-based): between half and all of base·2^(attempt-1), capped. */
  public Duration delayAfter(int attempt, Duration retryAfter) {
    long ceiling = Math.min(cap.toMillis(), base.toMillis() << Math.min(attempt - 1, 20));
    long jittered = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    long millis = retryAfter == null ? jittered : Math.max(jittered, retryAfter.toMillis());
    return Duration.ofMillis(millis);
  }
}
