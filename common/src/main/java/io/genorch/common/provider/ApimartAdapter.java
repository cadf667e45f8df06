package io.genorch.common.provider;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * apimart (seed 003, docs.apimart.ai/en/api-reference): the submit answer's {@code data} is an array; the
 * {@code webhook} we send is a base URL to which apimart appends {@code /callback}; the callback body equals the
 * status answer. Result URLs may be a string or an array of strings and expire ({@code expires_at}, unix
 * seconds). A 4xx answer to a callback stops apimart's retries at once. Retry class: {@code failed} with a
 * system reason in {@code error.code} or {@code error.message} (system/internal/server error, timeout,
 * maintenance, service unavailable) is retryable; {@code content_policy_violation} and other reasons are final.
 */
public final class ApimartAdapter implements ProviderAdapter {

  public static final String ID = "apimart";

  private static final ProviderSpec SPEC = new ProviderSpec(
      ID,
      "apimart video generations (Sora 2)",
      "sora-2",
      List.of(10, 15, 25),
      10,
      List.of("9:16", "16:9"),
      List.of(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)),
      Duration.ofSeconds(10),
      Duration.ofMinutes(5),
      Duration.ofMinutes(30),
      60,
      true,
      ProviderSpec.CONTRACT_MAX_PROMPT,
      null);

  @Override
  public ProviderSpec spec() {
    return SPEC;
  }

  @Override
  public Optional<FieldError> validate(GenerationRequest request) {
    return ProviderResponses.checkAgainstSpec(SPEC, request);
  }

  @Override
  public ProviderCall submitCall(GenerationRequest request, String callbackUrl) {
    JsonObject body = new JsonObject()
        .put("model", request.model())
        .put("prompt", request.prompt())
        .put("duration", request.durationSeconds())
        .put("aspect_ratio", request.aspectRatio())
        .put("webhook", callbackUrl);
    if (request.imageUrl() != null) {
      body.put("image_urls", new JsonArray().add(request.imageUrl()));
    }
    ProviderResponses.passThrough(request.options(), body);
    return ProviderCall.post("/v1/videos/generations", body);
  }

  @Override
  public SubmitResult parseSubmitResponse(ProviderResponse response) {
    JsonObject body = response.jsonOrEmpty();
    int status = ProviderResponses.effectiveStatus(response, body);
    if (!ProviderResponses.is2xx(status)) {
      return ProviderResponses.submitFailure(response, status);
    }
    JsonArray data = body.getValue("data") instanceof JsonArray a ? a : new JsonArray();
    JsonObject first = !data.isEmpty() && data.getValue(0) instanceof JsonObject o ? o : new JsonObject();
    return ProviderResponses.accepted(ID, response, ProviderResponses.text(first.getValue("task_id")),
        first.getString("status", "submitted"), "data[0].task_id");
  }

  @Override
  public ProviderCall statusCall(String providerTaskId) {
    return ProviderCall.get("/v1/tasks/" + providerTaskId);
  }

  @Override
  public StatusResult parseStatusResponse(String providerTaskId, ProviderResponse response) {
    return ProviderResponses.codeWrappedStatus(ID, response, this::parseWebhook);
  }

  @Override
  public ProviderOutcome parseWebhook(JsonObject body) {
    if (!(body.getValue("data") instanceof JsonObject data)) {
      throw new InvalidPayloadException("an apimart callback needs data");
    }
    String taskId = ProviderResponses.text(data.getValue("id"));
    if (taskId == null) {
      taskId = ProviderResponses.text(data.getValue("task_id"));
    }
    String word = ProviderResponses.text(data.getValue("status"));
    if (taskId == null || word == null) {
      throw new InvalidPayloadException("an apimart callback needs data.id and data.status");
    }
    Integer progress = ProviderResponses.integer(data.getValue("progress"));
    return switch (word) {
      case "completed" -> ProviderResponses.succeeded(taskId, word, outputs(data.getValue("result")));
      case "failed" -> ProviderResponses.failed(taskId, word, progress, error(data.getValue("error")));
      case "cancelled" -> ProviderResponses.failed(taskId, word, progress,
          new GenerationError("CANCELLED", "The task was cancelled at apimart", false));
      case "submitted", "pending" -> ProviderResponses.running(taskId, GenerationStatus.SUBMITTED, word, progress);
      case "processing" -> ProviderResponses.running(taskId, GenerationStatus.PROCESSING, word, progress);
      default -> ProviderResponses.unknownWord(ID, taskId, word, progress);
    };
  }

  /** Retry class: a failure whose code or message names a system failure (e.g. {@code system_error}). */
  private static GenerationError error(Object error) {
    if (error instanceof JsonObject e) {
      String code = e.getValue("code") == null ? null : String.valueOf(e.getValue("code"));
      String message = ProviderResponses.text(e.getValue("message"));
      return ProviderResponses.retryable(ProviderResponses.failure(code, message),
          ProviderResponses.saysSystemFailure(code) || ProviderResponses.saysSystemFailure(message));
    }
    String message = ProviderResponses.text(error);
    return ProviderResponses.retryable(ProviderResponses.failure(null, message), ProviderResponses.saysSystemFailure(message));
  }

  /** {@code result.videos[] / images[] / audios[]}, each {@code url} a string or an array of strings. */
  private static List<Output> outputs(Object result) {
    List<Output> outputs = new ArrayList<>();
    if (!(result instanceof JsonObject r)) {
      return outputs;
    }
    Instant resultExpiry = ProviderResponses.instant(r.getValue("expires_at"));
    for (String[] kind : new String[][] {{"videos", "video"}, {"images", "image"}, {"audios", "audio"}}) {
      if (!(r.getValue(kind[0]) instanceof JsonArray items)) {
        continue;
      }
      for (Object item : items) {
        if (!(item instanceof JsonObject media)) {
          continue;
        }
        Instant expiry = ProviderResponses.instant(media.getValue("expires_at"));
        Instant expiresAt = expiry == null ? resultExpiry : expiry;
        Object url = media.getValue("url");
        if (url instanceof String single) {
          outputs.add(new Output(kind[1], single, expiresAt));
        } else if (url instanceof JsonArray many) {
          many.forEach(u -> {
            if (u instanceof String s) {
              outputs.add(new Output(kind[1], s, expiresAt));
            }
          });
        }
      }
    }
    return outputs;
  }
}
