package io.genorch.poller;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
import java.time.Duration;

/**
 * The poller's settings.
 *
 * @param interval how often an instance looks for due generations (ORCH_POLL_INTERVAL_MS)
 * @param batchSize generations claimed per round trip (ORCH_POLL_BATCH_SIZE); a full batch is followed by another
 *     claim at once, so a backlog drains without waiting for the next tick
 * @param lease how long a claim keeps other instances away (ORCH_POLL_LEASE_MS, by default the provider call lease,
 *     {@link OrchConfig#providerCallLease()}); it must exceed the provider timeout, since a status call starts only
 *     while the claim outlasts the call (a generation with less lease left is handed back and claimed afresh), and
 *     should comfortably exceed the time to work through one batch
 * @param concurrency status calls in flight per provider in an instance (ORCH_POLL_CONCURRENCY), each provider's
 *     slots its own so that one slow provider never holds the checks of the others; keep it at or under the
 *     providers' ORCH_PROVIDER_&lt;ID&gt;_MAX_IN_FLIGHT, which submission shares
 * @param backoff the wait between checks of one generation (ORCH_POLL_BACKOFF_MS doubling to ORCH_POLL_BACKOFF_CAP_MS)
 * @param gateRetry when a provider's request budget is used up, how soon to try a generation again
 *     (ORCH_POLL_GATE_RETRY_MS); such a try does not count as a check
 */
public record PollerOptions(
    Duration interval, int batchSize, Duration lease, int concurrency, PollBackoff backoff, Duration gateRetry) {

  /**
   * @throws IllegalArgumentException when the lease does not exceed the provider timeout: no status call could then
   *     start within a claim (a call must not outlive the claim it was started under)
   */
  public static PollerOptions from(OrchConfig config) {
    Duration lease = config.get(Settings.POLL_LEASE);
    if (lease.compareTo(config.providerTimeout()) <= 0) {
      throw new IllegalArgumentException("ORCH_POLL_LEASE_MS (" + lease.toMillis() + ") must exceed ORCH_PROVIDER_TIMEOUT_MS ("
          + config.providerTimeout().toMillis() + "): a status call is started only while its claim outlasts it");
    }
    return new PollerOptions(
        config.get(Settings.POLL_INTERVAL),
        config.get(Settings.POLL_BATCH_SIZE),
        lease,
        config.get(Settings.POLL_CONCURRENCY),
        new PollBackoff(config.get(Settings.POLL_BACKOFF), config.get(Settings.POLL_BACKOFF_CAP)),
        config.get(Settings.POLL_GATE_RETRY));
  }

  public PollerOptions {
    if (interval.toMillis() < 1 || batchSize < 1 || lease.toMillis() < 1 || concurrency < 1 || gateRetry.isNegative()) {
      throw new IllegalArgumentException("ORCH_POLL_* settings must be positive");
    }
  }
}
