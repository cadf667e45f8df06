package io.genorch.simulator;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Locale;

/**
 * A snapshot of one simulated provider job.
 *
 * @param providerId  the provider that accepted it
 * @param taskId      the provider's id for it (taskId / generation_id / task_id)
 * @param request     the submitted request body, as received
 * @param prompt      the prompt read from the request (directives included)
 * @param status      the provider's own status word at the time of the snapshot
 * @param progress    0..100 (simulated; providers without progress simply do not show it)
 * @param outcome     null while running, else how it ended
 * @param errorCode   the provider error code/message of a failure, else null
 * @param resultUrl   the video URL of a success, else null
 * @param callbackUrl where callbacks go (for apimart: the webhook base + {@code /callback}); null if none
 * @param createdAt   when it was accepted
 * @param completedAt when it became terminal, else null
 * @param directives  the faults in effect for it (its own directives over the global faults at creation)
 */
public record SimJob(
    String providerId,
    String taskId,
    JsonObject request,
    String prompt,
    String status,
    int progress,
    Outcome outcome,
    String errorCode,
    String resultUrl,
    String callbackUrl,
    Instant createdAt,
    Instant completedAt,
    Directives directives) {

  /** How a job ended. */
  public enum Outcome { SUCCEEDED, FAILED }

  public boolean terminal() {
    return outcome != null;
  }

  public boolean succeeded() {
    return outcome == Outcome.SUCCEEDED;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("providerId", providerId)
        .put("taskId", taskId)
        .put("status", status)
        .put("progress", progress)
        .put("outcome", outcome == null ? null : outcome.name().toLowerCase(Locale.ROOT))
        .put("errorCode", errorCode)
        .put("resultUrl", resultUrl)
        .put("callbackUrl", callbackUrl)
        .put("createdAt", createdAt == null ? null : createdAt.toString())
        .put("completedAt", completedAt == null ? null : completedAt.toString())
        .put("directives", directives.toJson())
        .put("request", request);
  }
}
