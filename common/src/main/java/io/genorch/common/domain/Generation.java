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
    Instant updatedAt,
    List<Attempt> attempts) {

  public Generation {
    options = options == null ? new JsonObject() : options;
    metadata = metadata == null ? new JsonObject() : metadata;
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    attempts = attempts == null ? List.of() : List.copyOf(attempts);
  }

  /** A generation no submission has been sent for yet. */
  public Generation(String id, String provider, String model, GenerationStatus status, String prompt, String imageUrl,
      String aspectRatio, Integer durationSeconds, JsonObject options, JsonObject metadata, String callbackUrl,
      String providerTaskId, Integer progress, List<Output> outputs, GenerationError error, ResolvedBy resolvedBy,
      Instant createdAt, Instant submittedAt, Instant completedAt, Instant updatedAt) {
    this(id, provider, model, status, prompt, imageUrl, aspectRatio, durationSeconds, options, metadata, callbackUrl,
        providerTaskId, progress, outputs, error, resolvedBy, createdAt, submittedAt, completedAt, updatedAt, List.of());
  }

  /** The latest attempt sent, or null before the first. */
  public Attempt latestAttempt() {
    return attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
  }

  /** How many attempts the provider took (ran a job for, or may have: an ambiguous submit counts). */
  public int runs() {
    return (int) attempts.stream().filter(a -> !a.refused()).count();
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
        .put("updatedAt", iso(updatedAt))
        .put("attempts", attemptsJson(attempts));
  }

  public static JsonArray attemptsJson(List<Attempt> attempts) {
    JsonArray json = new JsonArray();
    attempts.forEach(a -> json.add(a.toJson()));
    return json;
  }

  private static String iso(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
