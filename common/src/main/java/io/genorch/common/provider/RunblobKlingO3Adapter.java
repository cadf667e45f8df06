package io.genorch.common.provider;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * RunBlob Kling O3 video (seed 004, docs.runblob.io/api-reference/kling/o3-video-*): the duration is a string, the
 * failure code comes in the webhook's {@code message}, and the status answer carries no error detail at all, so a
 * failure learned by polling is {@code TASK_FAILED}. Status checks may be limited to 60 a minute per key. Retry
 * class (the seed's table): {@code TASK_FAILED} ("credits refunded, retry"), {@code MAINTENANCE} ("retry later")
 * and {@code TIMEOUT} (credits refunded) are retryable; {@code CONTENT_POLICY_VIOLATION}, {@code IMAGE_INACCESSIBLE}
 * and {@code INVALID_IMAGE} are the request's fault and final.
 */
public final class RunblobKlingO3Adapter implements ProviderAdapter {

  public static final String ID = "runblob-kling-o3";
  private static final List<String> MODES = List.of("std", "pro");

  private static final ProviderSpec SPEC = new ProviderSpec(
      ID,
      "RunBlob Kling O3 text-to-video and image-to-video",
      "kling_o3",
      List.of(5, 10, 15),
      5,
      List.of("16:9", "9:16", "1:1"),
      Collections.nCopies(5, Duration.ofSeconds(30)),
      Duration.ofSeconds(30),
      Duration.ofMinutes(5),
      // the provider fails a job itself with TIMEOUT after 15 minutes
      Duration.ofMinutes(15),
      60,
      false,
      2500,
      "https://platform.runblob.io");

  @Override
  public ProviderSpec spec() {
    return SPEC;
  }

  @Override
  public Optional<FieldError> validate(GenerationRequest request) {
    Object mode = request.options().getValue("mode");
    if (mode != null && !(mode instanceof String m && MODES.contains(m.toLowerCase(Locale.ROOT)))) {
      return Optional.of(new FieldError("options.mode", "options.mode must be std or pro"));
    }
    return ProviderResponses.checkAgainstSpec(SPEC, request);
  }

  @Override
  public ProviderCall submitCall(GenerationRequest request, String callbackUrl) {
    // the seed's example sends mode:"pro" where the reference names the model kling_o3_pro: accept both
    boolean pro = "kling_o3_pro".equals(request.model())
        || "pro".equalsIgnoreCase(request.options().getString("mode", ""));
    JsonObject body = new JsonObject()
        .put("prompt", request.prompt())
        .put("duration", String.valueOf(request.durationSeconds()))
        .put("aspect_ratio", request.aspectRatio())
        .put("model", pro ? "kling_o3_pro" : "kling_o3")
        .put("callback_url", callbackUrl);
    if (request.imageUrl() != null) {
      body.put("images_url", new JsonArray().add(request.imageUrl()));
    }
    ProviderResponses.passThrough(request.options(), body);
    return ProviderCall.post("/v1/kling/o3-video/generate", body);
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
    return ProviderCall.get("/v1/kling/o3-video/generations/" + providerTaskId);
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

  @Override
  public ProviderOutcome parseWebhook(JsonObject body) {
    String taskId = ProviderResponses.text(body.getValue("generation_id"));
    String word = ProviderResponses.text(body.getValue("status"));
    if (taskId == null || word == null) {
      throw new InvalidPayloadException("a runblob-kling-o3 webhook needs generation_id and status");
    }
    return switch (word) {
      case "completed" -> ProviderResponses.succeededWithVideo(taskId, word, body.getValue("video_url"));
      case "failed" -> {
        String reported = ProviderResponses.text(body.getValue("message"));
        GenerationError error = reported == null
            ? ProviderResponses.failure("TASK_FAILED", "The provider reported the task as failed without a reason")
            : ProviderResponses.failure(null, reported);
        yield ProviderResponses.failed(taskId, word, null,
            new GenerationError(error.code(), describe(error.code(), error.message()), error.retryable()));
      }
      case "pending" -> ProviderResponses.running(taskId, GenerationStatus.SUBMITTED, word, null);
      case "processing" -> ProviderResponses.running(taskId, GenerationStatus.PROCESSING, word, null);
      default -> ProviderResponses.unknownWord(ID, taskId, word, null);
    };
  }

  /** The documented failure codes, in words for the client. */
  private static String describe(String code, String otherwise) {
    return switch (code) {
      case "CONTENT_POLICY_VIOLATION" -> "The prompt or image violates the content policy";
      case "IMAGE_INACCESSIBLE" -> "The input image could not be downloaded";
      case "INVALID_IMAGE" -> "The input image is invalid";
      case "TIMEOUT" -> "The generation took over 15 minutes; the provider refunded the credits";
      case "TASK_FAILED" -> "The generation failed at the provider";
      case "MAINTENANCE" -> "The provider is under maintenance";
      default -> otherwise;
    };
  }
}
