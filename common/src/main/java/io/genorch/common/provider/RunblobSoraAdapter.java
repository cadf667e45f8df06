package io.genorch.common.provider;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * RunBlob Sora (seed 001, docs.runblob.io/api-reference/sora): a FastAPI service answering 201 to a submit, with a
 * status path that must end with a slash, and errors as {@code {"detail": "…"}} or pydantic's list of problems.
 * Retry class: its documents name no failure reasons; an {@code error_message} naming a system failure
 * (system/internal/server error, timeout, maintenance) is retryable, the bare "Generation failed" is not (its cause
 * is unknown, and a content refusal must not be paid for twice).
 */
public final class RunblobSoraAdapter implements ProviderAdapter {

  public static final String ID = "runblob-sora";

  private static final ProviderSpec SPEC = new ProviderSpec(
      ID,
      "RunBlob Sora 2 text-to-video and image-to-video",
      "sora-2",
      List.of(10, 15),
      10,
      List.of("9:16", "16:9"),
      List.of(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(240),
          Duration.ofSeconds(480)),
      Duration.ofSeconds(30),
      Duration.ofMinutes(10),
      // their guidance: give up after 15 minutes
      Duration.ofMinutes(15),
      60,
      false,
      4000,
      "https://platform.runblob.io");

  @Override
  public ProviderSpec spec() {
    return SPEC;
  }

  @Override
  public Optional<FieldError> validate(GenerationRequest request) {
    if (request.imageUrl() != null && request.options().containsKey("image_base64")) {
      return Optional.of(new FieldError("options.image_base64", "give imageUrl or options.image_base64, not both"));
    }
    return ProviderResponses.checkAgainstSpec(SPEC, request);
  }

  @Override
  public ProviderCall submitCall(GenerationRequest request, String callbackUrl) {
    JsonObject body = new JsonObject()
        .put("prompt", request.prompt())
        .put("orientation", request.aspectRatio())
        .put("duration", request.durationSeconds())
        .put("callback_url", callbackUrl);
    if (request.imageUrl() != null) {
      body.put("image_url", request.imageUrl());
    }
    ProviderResponses.passThrough(request.options(), body);
    return ProviderCall.post("/v1/sora/generate", body);
  }

  @Override
  public SubmitResult parseSubmitResponse(ProviderResponse response) {
    if (!response.is2xx()) {
      return ProviderResponses.submitFailure(response, response.statusCode());
    }
    JsonObject body = response.jsonOrEmpty();
    return ProviderResponses.accepted(ID, response, ProviderResponses.text(body.getValue("generation_id")),
        body.getString("status", "pending"), "generation_id");
  }

  @Override
  public ProviderCall statusCall(String providerTaskId) {
    // without the trailing slash FastAPI answers a redirect
    return ProviderCall.get("/v1/sora/generations/" + providerTaskId + "/");
  }

  @Override
  public StatusResult parseStatusResponse(String providerTaskId, ProviderResponse response) {
    if (!response.is2xx()) {
      return ProviderResponses.statusFailure(response, response.statusCode());
    }
    JsonObject body = response.jsonOrEmpty();
    return ProviderResponses.known(ID,
        () -> parseWebhook(ProviderResponses.withTaskId(body, "generation_id", providerTaskId)));
  }

  /** The webhook and the status answer share their fields; only the status answer has progress. */
  @Override
  public ProviderOutcome parseWebhook(JsonObject body) {
    String taskId = ProviderResponses.text(body.getValue("generation_id"));
    String word = ProviderResponses.text(body.getValue("status"));
    if (taskId == null || word == null) {
      throw new InvalidPayloadException("a runblob-sora webhook needs generation_id and status");
    }
    Integer progress = ProviderResponses.integer(body.getValue("progress_pct"));
    return switch (word) {
      case "completed" -> ProviderResponses.succeededWithVideo(taskId, word, body.getValue("video_url"));
      case "failed" -> {
        String message = ProviderResponses.text(body.getValue("error_message"));
        yield ProviderResponses.failed(taskId, word, progress, ProviderResponses.retryable(
            ProviderResponses.failure(null, message), ProviderResponses.saysSystemFailure(message)));
      }
      case "pending" -> ProviderResponses.running(taskId, GenerationStatus.SUBMITTED, word, progress);
      case "processing" -> ProviderResponses.running(taskId, GenerationStatus.PROCESSING, word, progress);
      default -> ProviderResponses.unknownWord(ID, taskId, word, progress);
    };
  }
}
