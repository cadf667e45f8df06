package io.genorch.orchestrator.api;

import io.vertx.core.json.JsonObject;

/** A refusal with its HTTP status and the error body of CONTRACT.md section 1 ("Errors"). */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final String field;
  private final JsonObject details = new JsonObject();

  public ApiException(int status, String code, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  /** Adds a member to the error object beside code, message and field (e.g. the per-route reasons of no_route). */
  public ApiException with(String name, Object value) {
    details.put(name, value);
    return this;
  }

  public static ApiException invalid(String field, String message) {
    return new ApiException(400, "invalid_request", message, field);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "not_found", message, null);
  }

  public static ApiException unavailable(String message) {
    return new ApiException(503, "unavailable", message, null);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  public JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (field != null) {
      error.put("field", field);
    }
    details.forEach(d -> error.put(d.getKey(), d.getValue()));
    return new JsonObject().put("error", error);
  }
}
