package io.genorch.common.provider;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * heo365 Sora 2 (seed 000). The seed names a "Create Task" and a "Query Task" API without their paths:
 * {@link #SUBMIT_PATH} and {@link #STATUS_PATH} are our assumption (PROVIDERS.md), kept here and nowhere else.
 * The query answer is the webhook payload inside {@code {success:true, data:…}}; only {@code success} and
 * {@code failed} are documented, so every other word means still running. Retry class: a failure whose
 * {@code errorMessage} says the provider failed ("Failed to generate, system error please try again", the seed's
 * example; also internal/server error, timeout, maintenance) is retryable; any other reason (content, input) is
 * final.
 */
public final class Heo365Sora2Adapter implements ProviderAdapter {

  public static final String ID = "heo365-sora2";
  static final String SUBMIT_PATH = "/api/v1/tasks";
  static final String STATUS_PATH = "/api/v1/tasks/";

  private static final ProviderSpec SPEC = new ProviderSpec(
      ID,
      "heo365 Sora 2 text-to-video and image-to-video",
      "sora-2",
      List.of(10, 15),
      10,
      List.of("9:16", "16:9"),
      List.of(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(90)),
      Duration.ofSeconds(10),
      Duration.ofMinutes(5),
      Duration.ofMinutes(20),
      60,
      false,
      ProviderSpec.CONTRACT_MAX_PROMPT,
      null);

  @Override
  public ProviderSpec spec() {
    return SPEC;
  }

  @Override
  public Optional<FieldError> validate(GenerationRequest request) {
    Object remix = request.options().getValue("remixTargetId");
    if (remix != null && !(remix instanceof String)) {
      return Optional.of(new FieldError("options.remixTargetId", "options.remixTargetId must be a string"));
    }
    return ProviderResponses.checkAgainstSpec(SPEC, request);
  }

  @Override
  public ProviderCall submitCall(GenerationRequest request, String callbackUrl) {
    boolean imageToVideo = request.imageUrl() != null;
    JsonObject body = new JsonObject()
        .put("projectName", "sora2")
        .put("modelName", imageToVideo ? "sora2_image_to_video" : "sora2_text_to_video")
        .put("prompt", request.prompt())
        .put("imageUrl", imageToVideo ? request.imageUrl() : "")
        .put("aspectRatio", request.aspectRatio())
        .put("duration", request.durationSeconds())
        .put("callbackUrl", callbackUrl);
    ProviderResponses.passThrough(request.options(), body);
    return ProviderCall.post(SUBMIT_PATH, body);
  }

  @Override
  public SubmitResult parseSubmitResponse(ProviderResponse response) {
    JsonObject body = response.jsonOrEmpty();
    if (!response.is2xx() || Boolean.FALSE.equals(body.getValue("success"))) {
      return ProviderResponses.submitFailure(response, errorStatus(response, body));
    }
    JsonObject data = body.getValue("data") instanceof JsonObject d ? d : new JsonObject();
    return ProviderResponses.accepted(ID, response, ProviderResponses.text(data.getValue("taskId")),
        data.getString("status", "submitted"), "data.taskId");
  }

  @Override
  public ProviderCall statusCall(String providerTaskId) {
    return ProviderCall.get(STATUS_PATH + providerTaskId);
  }

  @Override
  public StatusResult parseStatusResponse(String providerTaskId, ProviderResponse response) {
    JsonObject body = response.jsonOrEmpty();
    if (!response.is2xx() || Boolean.FALSE.equals(body.getValue("success"))) {
      return ProviderResponses.statusFailure(response, errorStatus(response, body));
    }
    if (!(body.getValue("data") instanceof JsonObject data)) {
      return new StatusResult.Transient("heo365 status answer without data", null);
    }
    return ProviderResponses.known(ID, () -> parseWebhook(ProviderResponses.withTaskId(data, "taskId", providerTaskId)));
  }

  /** heo365 may put the error status in the body with HTTP 200: {@code {success:false, code:402, message}}. */
  private static int errorStatus(ProviderResponse response, JsonObject body) {
    int status = ProviderResponses.effectiveStatus(response, body);
    return ProviderResponses.is2xx(status) ? 500 : status;
  }

  @Override
  public ProviderOutcome parseWebhook(JsonObject body) {
    String taskId = ProviderResponses.text(body.getValue("taskId"));
    String word = ProviderResponses.text(body.getValue("status"));
    if (taskId == null || word == null) {
      throw new InvalidPayloadException("a heo365 webhook needs taskId and status");
    }
    return switch (word) {
      case "success" -> ProviderResponses.succeededWithVideo(taskId, word, body.getValue("resultUrl"));
      case "failed" -> {
        String message = ProviderResponses.text(body.getValue("errorMessage"));
        yield ProviderResponses.failed(taskId, word, null, ProviderResponses.retryable(
            ProviderResponses.failure(null, message), ProviderResponses.saysSystemFailure(message)));
      }
      case "pending", "queued" -> ProviderResponses.running(taskId, GenerationStatus.SUBMITTED, word, null);
      case "processing", "running" -> ProviderResponses.running(taskId, GenerationStatus.PROCESSING, word, null);
      default -> ProviderResponses.unknownWord(ID, taskId, word, null);
    };
  }
}
