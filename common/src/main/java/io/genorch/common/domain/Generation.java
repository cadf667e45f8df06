package io.genorch.common.domain;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** A generation as stored and as clients see it (docs/API.md section 1, "Generation"). */
public record Generation(
    String id,
    String provider,
    String model,
    GenerationStatus status,
    String prompt,
    String imageUrl,
    String aspectRatio,
    Integer durationSeconds,
    JsonObject options,
    JsonObject metadata,
    String callbackUrl,
    String providerTaskId,
    Integer progress,
    List<Output> outputs,
    GenerationError error,
    ResolvedBy resolvedBy,
    Instant createdAt,
    Instant submittedAt,
    Instant completedAt,
    Instant updatedAt) {

  public Generation {
    options = options == null ? new JsonObject() : options;
    metadata = metadata == null ? new JsonObject() : metadata;
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
  }

  public JsonObject toJson() {
    JsonArray outputsJson = new JsonArray();
    outputs.forEach(o -> outputsJson.add(o.toJson()));
    return new JsonObject()
        .put("id", id)
        .put("provider", provider)
        .put("model", model)
        .put("status", status.wire())
        .put("prompt", prompt)
        .put("imageUrl", imageUrl)
        .put("aspectRatio", aspectRatio)
        .put("durationSeconds", durationSeconds)
        .put("options", options.copy())
        .put("metadata", metadata.copy())
        .put("callbackUrl", callbackUrl)
        .put("providerTaskId", providerTaskId)
        .put("progress", progress)
        .put("outputs", outputsJson)
        .put("error", error == null ? null : error.toJson())
        .put("resolvedBy", resolvedBy == null ? null : resolvedBy.wire())
        .put("createdAt", iso(createdAt))
        .put("submittedAt", iso(submittedAt))
        .put("completedAt", iso(completedAt))
        .put("updatedAt", iso(updatedAt));
  }

  private static String iso(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
