package io.genorch.orchestrator.outputs;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
import io.genorch.common.outputs.StorageOptions;
import java.time.Duration;

/**
 * How outputs are copied (docs/API.md section 7).
 *
 * @param storage the store and its limits (ORCH_STORAGE*, ORCH_S3_*)
 * @param readTimeout a source that sends nothing for this long is given up for this attempt (ORCH_PROVIDER_TIMEOUT_MS)
 * @param deadline one copy attempt's download ends by then
 * @param lease how long a claimed copy belongs to the instance that claimed it; renewed while the copy runs, so a
 *     crashed instance's copy is taken again this long after its last renewal (ORCH_STORAGE_LEASE_MS)
 * @param retryBase first wait before a failed copy is tried again, doubling up to {@code retryCap}
 * @param sweepInterval how often due copies (and, with retention, old copies) are looked for
 * @param batchSize copies claimed at once: no more than can start at once, since a claimed copy not yet started is
 *     not renewed
 */
public record OutputCopyOptions(
    StorageOptions storage,
    Duration readTimeout,
    Duration deadline,
    Duration lease,
    Duration retryBase,
    Duration retryCap,
    Duration sweepInterval,
    int batchSize,
    int concurrency) {

  public static OutputCopyOptions from(OrchConfig config) {
    int concurrency = 4;
    return new OutputCopyOptions(StorageOptions.from(config), config.providerTimeout(), Duration.ofMinutes(25),
        config.get(Settings.STORAGE_LEASE), Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(1),
        concurrency, concurrency);
  }

  public OutputCopyOptions withRetryBase(Duration base) {
    return new OutputCopyOptions(storage, readTimeout, deadline, lease, base, retryCap, sweepInterval, batchSize,
        concurrency);
  }
}
