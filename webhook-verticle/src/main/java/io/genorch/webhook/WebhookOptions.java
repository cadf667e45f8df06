package io.genorch.webhook;

import io.genorch.common.config.OrchConfig;
import java.time.Duration;

/**
 * How the webhook verticle processes what it stored. Everything has a default; the variables are listed in
 * webhook-verticle/README.md.
 *
 * @param processDeliveries false makes an ingest-only instance: it stores and acknowledges deliveries and leaves
 *     them for the instances that process (ORCH_WEBHOOK_PROCESS)
 * @param sweepInterval how often stored deliveries that are due (left by a stopped instance, or waiting for a retry)
 *     are looked for (ORCH_WEBHOOK_SWEEP_MS)
 * @param lease how long a claimed delivery belongs to the instance that claimed it; after that any instance takes
 *     it again, so it must exceed one processing, provider status call included (ORCH_WEBHOOK_LEASE_MS)
 * @param batchSize deliveries claimed at once (ORCH_WEBHOOK_BATCH_SIZE)
 * @param concurrency deliveries processed at once per instance, so processing never takes the connections that
 *     acknowledgements need (ORCH_WEBHOOK_CONCURRENCY)
 * @param maxAttempts claims of one delivery after which it is given up and marked {@code abandoned}
 *     (ORCH_WEBHOOK_MAX_ATTEMPTS); the poller still reconciles its generation
 * @param retryBase first wait before a delivery that could not be confirmed is tried again, doubling each attempt
 *     (ORCH_WEBHOOK_RETRY_BASE_MS)
 * @param retryCap longest such wait (ORCH_WEBHOOK_RETRY_CAP_MS)
 * @param trustForwarded take the source address from Forwarded / X-Forwarded-For (only behind a proxy that sets
 *     them; ORCH_WEBHOOK_TRUST_FORWARDED)
 */
public record WebhookOptions(
    boolean processDeliveries,
    Duration sweepInterval,
    Duration lease,
    int batchSize,
    int concurrency,
    int maxAttempts,
    Duration retryBase,
    Duration retryCap,
    boolean trustForwarded) {

  public WebhookOptions {
    if (batchSize < 1 || concurrency < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("ORCH_WEBHOOK_BATCH_SIZE, _CONCURRENCY and _MAX_ATTEMPTS must be at least 1");
    }
  }

  public static WebhookOptions from(OrchConfig config) {
    // a claimed delivery may wait for one provider status call (a confirmation): the lease outlasts its deadline
    return new WebhookOptions(
        config.getBoolean("ORCH_WEBHOOK_PROCESS", true),
        Duration.ofMillis(config.getLong("ORCH_WEBHOOK_SWEEP_MS", 2_000)),
        Duration.ofMillis(config.getLong("ORCH_WEBHOOK_LEASE_MS", config.providerCallLease().toMillis())),
        config.getInt("ORCH_WEBHOOK_BATCH_SIZE", 32),
        config.getInt("ORCH_WEBHOOK_CONCURRENCY", 4),
        config.getInt("ORCH_WEBHOOK_MAX_ATTEMPTS", 12),
        Duration.ofMillis(config.getLong("ORCH_WEBHOOK_RETRY_BASE_MS", 5_000)),
        Duration.ofMillis(config.getLong("ORCH_WEBHOOK_RETRY_CAP_MS", 300_000)),
        config.getBoolean("ORCH_WEBHOOK_TRUST_FORWARDED", false));
  }

  /** The same options with processing switched off or on. */
  public WebhookOptions withProcessing(boolean process) {
    return new WebhookOptions(process, sweepInterval, lease, batchSize, concurrency, maxAttempts, retryBase, retryCap, trustForwarded);
  }

  /** Wait before the next try of a delivery claimed {@code attempts} times: base, doubling, capped. */
  public Duration retryDelay(int attempts) {
    long factor = 1L << Math.min(Math.max(attempts - 1, 0), 20);
    Duration delay = retryBase.multipliedBy(factor);
    return delay.compareTo(retryCap) > 0 ? retryCap : delay;
  }
}
