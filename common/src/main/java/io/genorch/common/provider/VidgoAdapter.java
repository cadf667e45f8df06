package io.genorch.common.provider;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * vidgo (seed 002, docs.vidgo.ai/api-manual): the request nests the generation under {@code input}; answers are
 * wrapped in {@code {code, data}} and a failed task still has {@code code:200}, so {@code data.status} decides.
 * Its callback retries close within about 7 seconds: the poller is the real safety net here. Retry class: a
 * failed task whose {@code error_message} names a system failure (system/internal/server error, timeout,
 * maintenance, "try again") is retryable; a content-policy or input reason is final.
 */
public final class VidgoAdapter implements ProviderAdapter {

  public static final String ID = "vidgo";

  private static final ProviderSpec SPEC = new ProviderSpec(
      ID,
      "vidgo unified API (Sora 2, Sora 2 Pro)",
      "sora-2",
      List.of(10, 15, 25),
      10,
      List.of("9:16", "16:9"),
      List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4)),
      Duration.ofSeconds(10),
      Duration.ofMinutes(5),
      Duration.ofMinutes(30),
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
    return ProviderResponses.checkAgainstSpec(SPEC, request);
  }

  @Override
  public ProviderCall submitCall(GenerationRequest request, String callbackUrl) {
    JsonObject input = new JsonObject()
        .put("prompt", request.prompt())
        .put("duration", request.durationSeconds())
        .put("aspect_ratio", request.aspectRatio());
    if (request.imageUrl() != null) {
      // not in the public manual we have; vidgo's unified input takes a list of image URLs
      input.put("image_urls", new JsonArray().add(request.imageUrl()));
    }
    ProviderResponses.passThrough(request.options(), input);
    JsonObject body = new JsonObject()
        .put("model", request.model())
        .put("callback_url", callbackUrl)
        .put("input", input);
    return ProviderCall.post("/api/generate/submit", body);
  }

  @Override
  public SubmitResult parseSubmitResponse(ProviderResponse response) {
    JsonObject body = response.jsonOrEmpty();
    int status = ProviderResponses.effectiveStatus(response, body);
    if (!ProviderResponses.is2xx(status)) {
      return ProviderResponses.submitFailure(response, status);
    }
    JsonObject data = body.getValue("data") instanceof JsonObject d ? d : new JsonObject();
    return ProviderResponses.accepted(ID, response, ProviderResponses.text(data.getValue("task_id")),
        data.getString("status", "not_started"), "data.task_id");
  }

  @Override
  public ProviderCall statusCall(String providerTaskId) {
    return ProviderCall.get("/api/generate/status/" + providerTaskId);
  }

  @Override
  public StatusResult parseStatusResponse(String providerTaskId, ProviderResponse response) {
    return ProviderResponses.codeWrappedStatus(ID, response, this::parseWebhook);
  }

  /** The callback body is the status answer: {@code {code, data:{task_id, status, files, progress, error_message}}}. */
  @Override
  public ProviderOutcome parseWebhook(JsonObject body) {
    if (!(body.getValue("data") instanceof JsonObject data)) {
      throw new InvalidPayloadException("a vidgo callback needs data");
    }
    String taskId = ProviderResponses.text(data.getValue("task_id"));
    String word = ProviderResponses.text(data.getValue("status"));
    if (taskId == null || word == null) {
      throw new InvalidPayloadException("a vidgo callback needs data.task_id and data.status");
    }
    Integer progress = ProviderResponses.integer(data.getValue("progress"));
    return switch (word) {
      case "finished" -> ProviderResponses.succeeded(taskId, word, outputs(data.getValue("files")));
      case "failed" -> {
        String message = ProviderResponses.text(data.getValue("error_message"));
        yield ProviderResponses.failed(taskId, word, progress, ProviderResponses.retryable(
            ProviderResponses.failure(null, message), ProviderResponses.saysSystemFailure(message)));
      }
      case "not_started" -> ProviderResponses.running(taskId, GenerationStatus.SUBMITTED, word, progress);
      case "running" -> ProviderResponses.running(taskId, GenerationStatus.PROCESSING, word, progress);
      default -> ProviderResponses.unknownWord(ID, taskId, word, progress);
    };
  }

  private static List<Output> outputs(Object files) {
    List<Output> outputs = new ArrayList<>();
    if (files instanceof JsonArray array) {
      for (Object file : array) {
        if (file instanceof JsonObject f && ProviderResponses.text(f.getValue("file_url")) != null) {
          String type = "image".equals(f.getValue("file_type")) ? "image" : "video";
          outputs.add(new Output(type, f.getString("file_url"), null));
        }
      }
    }
    return outputs;
  }
}
