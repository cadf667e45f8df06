package io.genorch.simulator;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * One callback POST the simulator made (or tried to make).
 *
 * @param providerId    the provider that sent it
 * @param taskId        the job it is about
 * @param url           where it was sent
 * @param body          the JSON body sent
 * @param statusCode    the receiver's HTTP status, or null when no answer came (see {@code error})
 * @param error         why no answer came (timeout, connection refused, ...), else null
 * @param at            when the attempt was sent
 * @param delivery      1-based index of the delivery this attempt belongs to (several with {@code duplicate},
 *                      one more with {@code contradict})
 * @param attempt       1-based attempt number within its delivery (1 = first try, 2 = first retry, ...)
 * @param contradiction true for the extra callback of {@code [sim:contradict]}
 */
public record WebhookAttempt(
    String providerId,
    String taskId,
    String url,
    JsonObject body,
    Integer statusCode,
    String error,
    Instant at,
    int delivery,
    int attempt,
    boolean contradiction) {

  /** The receiver answered 2xx. */
  public boolean delivered() {
    return statusCode != null && statusCode >= 200 && statusCode < 300;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("providerId", providerId)
        .put("taskId", taskId)
        .put("url", url)
        .put("statusCode", statusCode)
        .put("error", error)
        .put("at", at.toString())
        .put("delivery", delivery)
        .put("attempt", attempt)
        .put("contradiction", contradiction)
        .put("body", body);
  }
}
