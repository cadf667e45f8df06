package io.genorch.common.domain;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * One submission sent to a provider for a generation (docs/API.md section 8, {@code attempts}).
 *
 * @param attempt the number of the send, the same as the attempt of the webhook token handed out with it
 * @param status {@code refused} when the provider did not take it; otherwise the status its job reached as far as
 *     this generation knows ({@code submitted}, {@code processing}, {@code succeeded}, {@code failed}, {@code timed_out})
 * @param startedAt when the request left (null when a callback reported the job before the submit answer was stored)
 * @param endedAt when it was refused or its job ended
 */
public record Attempt(int attempt, String provider, String model, String providerTaskId, String status,
    GenerationError error, Instant startedAt, Instant endedAt) {

  public static final String REFUSED = "refused";

  public boolean refused() {
    return REFUSED.equals(status);
  }

  /** Its job ended (or it never had one). */
  public boolean ended() {
    return refused() || GenerationStatus.fromWire(status).map(GenerationStatus::isTerminal).orElse(false);
  }

  public Attempt with(String newTaskId, String newStatus, GenerationError newError, Instant newEndedAt) {
    return new Attempt(attempt, provider, model, newTaskId, newStatus, newError, startedAt, newEndedAt);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("attempt", attempt)
        .put("provider", provider)
        .put("model", model)
        .put("providerTaskId", providerTaskId)
        .put("status", status)
        .put("error", error == null ? null : error.toJson())
        .put("startedAt", startedAt == null ? null : startedAt.toString())
        .put("endedAt", endedAt == null ? null : endedAt.toString());
  }

  public static Attempt fromJson(JsonObject json) {
    return new Attempt(json.getInteger("attempt", 0), json.getString("provider"), json.getString("model"),
        json.getString("providerTaskId"), json.getString("status"), GenerationError.fromJson(json.getJsonObject("error")),
        instant(json.getString("startedAt")), instant(json.getString("endedAt")));
  }

  private static Instant instant(String value) {
    // written by this class as an Instant, or by the V12 backfill as PostgreSQL's timestamptz JSON (with an offset)
    return value == null ? null : OffsetDateTime.parse(value).toInstant();
  }
}
