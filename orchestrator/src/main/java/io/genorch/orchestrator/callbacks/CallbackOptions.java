package io.genorch.orchestrator.callbacks;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
import java.time.Duration;

/**
 * How client callbacks are delivered (README configuration table).
 *
 * @param secret signs every callback (ORCH_CALLBACK_SECRET; generated at start when unset)
 * @param allowPrivate callbacks may go to loopback, private and link-local addresses (ORCH_CALLBACK_ALLOW_PRIVATE)
 * @param sweepInterval how often due callbacks are looked for (ORCH_CALLBACK_SWEEP_MS)
 * @param timeout one attempt (ORCH_CALLBACK_TIMEOUT_MS)
 * @param retryBase first wait before a retry, doubling (ORCH_CALLBACK_RETRY_BASE_MS)
 * @param retryCap longest wait (ORCH_CALLBACK_RETRY_CAP_MS)
 * @param retryFor how long a callback is retried before it is given up (ORCH_CALLBACK_RETRY_FOR_S; the contract asks
 *     for at least 24 h)
 * @param batchSize callbacks claimed per sweep (ORCH_CALLBACK_BATCH_SIZE)
 */
public record CallbackOptions(
    String secret,
    boolean allowPrivate,
    Duration sweepInterval,
    Duration timeout,
    Duration retryBase,
    Duration retryCap,
    Duration retryFor,
    int batchSize) {

  public static CallbackOptions from(OrchConfig config) {
    return new CallbackOptions(
        config.callbackSecret().orElseThrow(
            () -> new IllegalStateException("ORCH_CALLBACK_SECRET is generated at start when unset")),
        config.callbackAllowPrivate(),
        config.get(Settings.CALLBACK_SWEEP),
        config.get(Settings.CALLBACK_TIMEOUT),
        config.get(Settings.CALLBACK_RETRY_BASE),
        config.get(Settings.CALLBACK_RETRY_CAP),
        config.get(Settings.CALLBACK_RETRY_FOR),
        config.get(Settings.CALLBACK_BATCH_SIZE));
  }
}
