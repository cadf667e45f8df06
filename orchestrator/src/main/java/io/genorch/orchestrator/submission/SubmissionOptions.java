package io.genorch.orchestrator.submission;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
import java.time.Duration;

/**
 * The submitter's settings (README configuration table).
 *
 * @param backoff waits between attempts after a transient failure (ORCH_SUBMIT_BACKOFF_MS doubling to
 *     ORCH_SUBMIT_BACKOFF_CAP_MS, ORCH_SUBMIT_MAX_ATTEMPTS attempts)
 * @param sendLease how long a request in flight is presumed to be still answerable (from ORCH_PROVIDER_TIMEOUT_MS)
 * @param sweepInterval how often both submission loops look for due work without a wake (ORCH_SUBMIT_SWEEP_MS)
 * @param batchSize generations claimed per round (ORCH_SUBMIT_BATCH_SIZE)
 */
public record SubmissionOptions(SubmitBackoff backoff, Duration sendLease, Duration sweepInterval, int batchSize) {

  public static SubmissionOptions from(OrchConfig config) {
    return new SubmissionOptions(
        new SubmitBackoff(config.get(Settings.SUBMIT_BACKOFF), config.get(Settings.SUBMIT_BACKOFF_CAP),
            config.get(Settings.SUBMIT_MAX_ATTEMPTS)),
        config.providerCallLease(),
        config.get(Settings.SUBMIT_SWEEP),
        config.get(Settings.SUBMIT_BATCH_SIZE));
  }
}
