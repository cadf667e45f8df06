package io.genorch.common.domain;

import io.vertx.core.json.JsonObject;

/** Why a generation failed, as the client sees it. */
public record GenerationError(String code, String message, boolean retryable) {

  public JsonObject toJson() {
    return new JsonObject().put("code", code).put("message", message).put("retryable", retryable);
  }

  public static GenerationError fromJson(JsonObject json) {
    return json == null
        ? null
        : new GenerationError(json.getString("code"), json.getString("message"), json.getBoolean("retryable", false));
  }
}
