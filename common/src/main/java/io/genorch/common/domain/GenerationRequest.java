package io.genorch.common.domain;

import io.vertx.core.json.JsonObject;

/**
 * A client's request for a generation after validation and defaults: what the API stores and what a provider
 * adapter turns into its own submit body.
 */
public record GenerationRequest(
    String provider,
    String model,
    String prompt,
    String imageUrl,
    String aspectRatio,
    Integer durationSeconds,
    JsonObject options,
    String callbackUrl,
    JsonObject metadata) {

  public GenerationRequest {
    options = options == null ? new JsonObject() : options;
    metadata = metadata == null ? new JsonObject() : metadata;
  }
}
