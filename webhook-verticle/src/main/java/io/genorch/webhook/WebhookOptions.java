package io.genorch.webhook;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
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
 * @param concurrency deliveries processed at once per instance (ORCH_WEBHOOK_CONCURRENCY); their settlements share
 *     transactions (at most {@link DeliveryProcessor#SETTLEMENTS_IN_FLIGHT} connections), so processing never takes
 *     the connections that acknowledgements need
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
    // a claimed delivery may wait for one provider status call: the lease outlasts the provider timeout
    return new WebhookOptions(
        config.get(Settings.WEBHOOK_PROCESS),
        config.get(Settings.WEBHOOK_SWEEP),
        config.get(Settings.WEBHOOK_LEASE).orElse(config.providerCallLease()),
        config.get(Settings.WEBHOOK_BATCH_SIZE),
        config.get(Settings.WEBHOOK_CONCURRENCY),
        config.get(Settings.WEBHOOK_MAX_ATTEMPTS),
        config.get(Settings.WEBHOOK_RETRY_BASE),
        config.get(Settings.WEBHOOK_RETRY_CAP),
        config.get(Settings.WEBHOOK_TRUST_FORWARDED));
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
