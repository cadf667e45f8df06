package io.genorch.simulator.dialect;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Vidgo unified tasks (seed 002, docs.vidgo.ai/api-manual/*). Answers carry {@code {code, data}}; a failed task
 * still has {@code code: 200}. The callback body is the status body. Error bodies for 4xx/5xx are not documented:
 * the simulator answers {@code {"code": <http status>, "message": "..."}} with the same HTTP status (assumption).
 */
public final class VidgoDialect implements ProviderDialect {

  public static final String ID = "vidgo";
  private static final Map<String, Set<Integer>> DURATIONS = Map.of(
      "sora-2", Set.of(10, 15),
      "sora-2-private", Set.of(10, 15),
      "sora-2-pro", Set.of(15, 25),
      "sora-2-pro-private", Set.of(15, 25));
  private static final Set<String> RATIOS = Set.of("16:9", "9:16");

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String submitPath() {
    return "/api/generate/submit";
  }

  @Override
  public String statusPathPrefix() {
    return "/api/generate/status/";
  }

  @Override
  public String prompt(JsonObject body) {
    return body.getValue("input") instanceof JsonObject input ? Checks.loosePrompt(input, "prompt") : null;
  }

  @Override
  public Submission validate(JsonObject body) {
    String model = Checks.string(body, "model");
    if (model == null || model.isBlank()) {
      throw bad("model is required");
    }
    if (!(body.getValue("input") instanceof JsonObject input)) {
      throw bad("input is required");
    }
    String prompt = Checks.string(input, "prompt");
    if (prompt == null || prompt.isBlank()) {
      throw bad("input.prompt is required");
    }
    Object duration = input.getValue("duration");
    Set<Integer> allowed = DURATIONS.get(model);
    if (duration != null && !Checks.integral(duration)) {
      throw bad("input.duration must be an integer");
    }
    if (duration != null && allowed != null && !allowed.contains(((Number) duration).intValue())) {
      throw bad("input.duration must be one of " + allowed + " for " + model);
    }
    Object ratio = input.getValue("aspect_ratio");
    if (ratio != null && !RATIOS.contains(ratio)) {
      throw bad("input.aspect_ratio must be 16:9 or 9:16");
    }
    Object callback = body.getValue("callback_url");
    if (callback != null && !(callback instanceof String)) {
      throw bad("callback_url must be a string");
    }
    if (callback instanceof String s && Checks.callbackUrlProblem(s) != null) {
      throw bad(Checks.callbackUrlProblem(s));
    }
    return new Submission(prompt, (String) callback);
  }

  private static SubmitRejected bad(String message) {
    return new SubmitRejected(ProviderError.validation(400, message));
  }

  @Override
  public String newTaskId() {
    return "task-unified-" + (System.currentTimeMillis() / 1000) + "-" + Ids.lowerAlnum(8);
  }

  @Override
  public JsonObject submitResponse(JobView job) {
    return new JsonObject().put("code", 200).put("data", new JsonObject()
        .put("task_id", job.taskId())
        .put("status", "not_started")
        .put("created_time", Timestamps.isoNoZone(job.createdAt())));
  }

  @Override
  public JsonObject statusResponse(JobView job) {
    JsonArray files = new JsonArray();
    if (job.phase() == Phase.SUCCEEDED) {
      files.add(new JsonObject().put("file_url", job.resultUrl()).put("file_type", "video"));
    }
    return new JsonObject().put("code", 200).put("data", new JsonObject()
        .put("task_id", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("files", files)
        .put("created_time", Timestamps.isoNoZone(job.createdAt()))
        .put("progress", job.progress())
        .put("error_message", job.phase() == Phase.FAILED ? job.errorCode() : null));
  }

  @Override
  public JsonObject webhookBody(JobView job) {
    return statusResponse(job);
  }

  @Override
  public String statusWord(Phase phase) {
    switch (phase) {
      case PENDING:
        return "not_started";
      case PROCESSING:
        return "running";
      case SUCCEEDED:
        return "finished";
      default:
        return "failed";
    }
  }

  @Override
  public String defaultFailureCode() {
    return "Generation failed";
  }

  @Override
  public String retryableFailureCode() {
    return "Internal server error, please try again later";
  }

  @Override
  public JsonObject errorBody(ProviderError e) {
    String message = e.message();
    if (!e.problems().isEmpty()) {
      message = e.problems().get(0).field() + ": " + e.problems().get(0).msg();
    }
    return new JsonObject().put("code", e.status()).put("message", message);
  }

  @Override
  public List<Duration> webhookRetryDelays() {
    return List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
  }

  @Override
  public Duration webhookAnswerTimeout() {
    return Duration.ofSeconds(10);
  }
}
