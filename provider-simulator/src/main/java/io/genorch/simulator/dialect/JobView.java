package io.genorch.simulator.dialect;

import io.genorch.simulator.Directives;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * What a dialect needs to render a job: its state at one instant.
 *
 * @param taskId              the provider's id
 * @param request             the submitted body
 * @param prompt              the submitted prompt
 * @param phase               the state now
 * @param progress            0..100
 * @param errorCode           the failure's code/message (phase FAILED), else null
 * @param resultUrl           the video URL (phase SUCCEEDED), else null
 * @param createdAt           when it was accepted
 * @param completedAt         when it ended, else null
 * @param simulatedDurationMs its simulated run time (unscaled), for estimates
 * @param directives          the faults in effect for it
 */
public record JobView(
    String taskId,
    JsonObject request,
    String prompt,
    Phase phase,
    int progress,
    String errorCode,
    String resultUrl,
    Instant createdAt,
    Instant completedAt,
    long simulatedDurationMs,
    Directives directives) {

  /**
   * The same job as if it had ended the other way: used for the extra callback of {@code [sim:contradict]}.
   *
   * @param successUrl       the video URL to show when flipping a failure into a success
   * @param failureErrorCode the error code to show when flipping a success into a failure
   */
  public JobView contradicted(String successUrl, String failureErrorCode) {
    if (phase == Phase.SUCCEEDED) {
      return new JobView(taskId, request, prompt, Phase.FAILED, progress, failureErrorCode, null, createdAt,
          completedAt, simulatedDurationMs, directives);
    }
    return new JobView(taskId, request, prompt, Phase.SUCCEEDED, 100, null, successUrl, createdAt, completedAt,
        simulatedDurationMs, directives);
  }
}
