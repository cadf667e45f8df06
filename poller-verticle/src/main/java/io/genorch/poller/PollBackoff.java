package io.genorch.poller;

import java.time.Duration;
import java.time.Instant;

/**
 * When to check an overdue generation again: {@code base} after the first check, doubling with every further
 * check up to {@code cap}; longer when the provider asked for it (Retry-After); never after the deadline, so the
 * check at the deadline is the one that times the generation out.
 */
record PollBackoff(Duration base, Duration cap) {

  PollBackoff {
    if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("poll backoff needs 0 < base <= cap, got " + base + " and " + cap);
    }
  }

  /** The wait after the {@code checks}-th check (1 for the first). */
  Duration delayAfter(int checks) {
    int doublings = Math.max(0, Math.min(checks - 1, 30)); // 2^30 times any sane base is far past any cap
    Duration delay = base.multipliedBy(1L << doublings);
    return delay.compareTo(cap) > 0 ? cap : delay;
  }

  /**
   * @param retryAfter the provider's Retry-After, or null
   * @param deadline when the generation times out, or null when unknown
   */
  Instant nextCheck(Instant now, int checks, Duration retryAfter, Instant deadline) {
    Duration wait = delayAfter(checks);
    if (retryAfter != null && retryAfter.compareTo(wait) > 0) {
      wait = retryAfter;
    }
    Instant next = now.plus(wait);
    return deadline != null && next.isAfter(deadline) ? deadline : next;
  }
}
