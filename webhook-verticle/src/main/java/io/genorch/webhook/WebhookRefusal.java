package io.genorch.webhook;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * A webhook answered with something other than 200, as {@code {"error": {"code", "message"}}} (the error shape of
 * CONTRACT.md). Only {@link #unavailable} is used for faults on our side, so a provider that stops retrying on a
 * 4xx (apimart) never loses a delivery to one.
 */
final class WebhookRefusal extends RuntimeException {

  private final int status;
  private final String code;

  private WebhookRefusal(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static WebhookRefusal invalid(String message) {
    return new WebhookRefusal(400, "invalid_request", message);
  }

  static WebhookRefusal forbidden(String message) {
    return new WebhookRefusal(403, "forbidden", message);
  }

  static WebhookRefusal notFound(String message) {
    return new WebhookRefusal(404, "not_found", message);
  }

  static WebhookRefusal taskMismatch(String message) {
    return new WebhookRefusal(409, "task_mismatch", message);
  }

  static WebhookRefusal tooLarge() {
    return new WebhookRefusal(413, "payload_too_large", "webhook bodies are limited to 1 MiB");
  }

  static WebhookRefusal unavailable() {
    return new WebhookRefusal(503, "unavailable", "the delivery could not be stored now; retry later");
  }

  static WebhookRefusal methodNotAllowed() {
    return new WebhookRefusal(405, "method_not_allowed", "webhooks are delivered with POST");
  }

  int status() {
    return status;
  }

  /** Writes this refusal as the answer, unless one was already sent. */
  void answer(HttpServerResponse response) {
    if (!response.ended()) {
      response.setStatusCode(status).putHeader("Content-Type", "application/json").end(toJson().toBuffer());
    }
  }

  JsonObject toJson() {
    return new JsonObject().put("error", new JsonObject().put("code", code).put("message", getMessage()));
  }
}
