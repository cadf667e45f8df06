package io.genorch.simulator.dialect;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * heo365 Sora 2 (seed 000). The submit/query paths are not published: {@code POST /api/v1/tasks} and
 * {@code GET /api/v1/tasks/{taskId}} are the design's assumption. The query answer is the webhook payload in a
 * {@code {success:true, data:...}} wrapper. Non-terminal words (pending, processing) are an assumption too.
 * Errors (undocumented, assumed): {@code {"success":false,"code":<http status>,"message":"..."}}.
 */
public final class Heo365Sora2Dialect implements ProviderDialect {

  public static final String ID = "heo365-sora2";
  private static final Set<String> MODELS = Set.of("sora2_text_to_video", "sora2_image_to_video");
  private static final Set<String> RATIOS = Set.of("9:16", "16:9");

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String submitPath() {
    return "/api/v1/tasks";
  }

  @Override
  public String statusPathPrefix() {
    return "/api/v1/tasks/";
  }

  @Override
  public String prompt(JsonObject body) {
    return Checks.loosePrompt(body, "prompt");
  }

  @Override
  public Submission validate(JsonObject body) {
    String prompt = Checks.string(body, "prompt");
    if (prompt == null || prompt.isBlank()) {
      throw bad("prompt is required");
    }
    Object model = body.getValue("modelName");
    if (model != null && !MODELS.contains(model)) {
      throw bad("modelName must be sora2_text_to_video or sora2_image_to_video");
    }
    String imageUrl = Checks.string(body, "imageUrl");
    if ("sora2_image_to_video".equals(model) && (imageUrl == null || imageUrl.isBlank())) {
      throw bad("imageUrl is required for sora2_image_to_video");
    }
    Object ratio = body.getValue("aspectRatio");
    if (ratio != null && !RATIOS.contains(ratio)) {
      throw bad("aspectRatio must be 9:16 or 16:9");
    }
    Object duration = body.getValue("duration");
    if (duration != null && (!Checks.integral(duration) || ((Number) duration).intValue() <= 0)) {
      throw bad("duration must be a positive integer");
    }
    Object callback = body.getValue("callbackUrl");
    String callbackUrl = null;
    if (callback != null && !"".equals(callback)) {
      if (!(callback instanceof String s) || Checks.callbackUrlProblem(s) != null) {
        throw bad("callbackUrl must be a valid http(s) URL");
      }
      callbackUrl = s;
    }
    return new Submission(prompt, callbackUrl);
  }

  private static SubmitRejected bad(String message) {
    return new SubmitRejected(ProviderError.validation(400, message));
  }

  @Override
  public String newTaskId() {
    return "task_" + Ids.lowerAlnum(16);
  }

  @Override
  public JsonObject submitResponse(JobView job) {
    return new JsonObject().put("success", true).put("data", new JsonObject()
        .put("taskId", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("createdAt", Timestamps.isoZ(job.createdAt())));
  }

  @Override
  public JsonObject statusResponse(JobView job) {
    return new JsonObject().put("success", true).put("data", webhookBody(job));
  }

  @Override
  public JsonObject webhookBody(JobView job) {
    JsonObject body = new JsonObject()
        .put("taskId", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("statusCode", 200);
    if (job.phase() == Phase.FAILED) {
      body.put("errorMessage", job.errorCode());
    }
    return body
        .put("resultUrl", job.phase() == Phase.SUCCEEDED ? job.resultUrl() : null)
        .put("createdAt", Timestamps.isoZ(job.createdAt()))
        .put("completedAt", Timestamps.isoZ(job.completedAt()))
        .put("requestParams", requestParams(job.request()));
  }

  private static JsonObject requestParams(JsonObject req) {
    String imageUrl = req.getValue("imageUrl") instanceof String s ? s : "";
    JsonObject p = new JsonObject()
        .put("projectName", req.getValue("projectName", "sora2"))
        .put("modelName", req.getValue("modelName",
            imageUrl.isEmpty() ? "sora2_text_to_video" : "sora2_image_to_video"))
        .put("prompt", req.getValue("prompt"))
        .put("imageUrl", imageUrl)
        .put("aspectRatio", req.getValue("aspectRatio", "9:16"))
        .put("duration", req.getValue("duration", 10));
    if (req.getValue("remixTargetId") != null) {
      p.put("remixTargetId", req.getValue("remixTargetId"));
    }
    return p.put("callbackUrl", req.getValue("callbackUrl"));
  }

  @Override
  public String statusWord(Phase phase) {
    switch (phase) {
      case PENDING:
        return "pending";
      case PROCESSING:
        return "processing";
      case SUCCEEDED:
        return "success";
      default:
        return "failed";
    }
  }

  @Override
  public String defaultFailureCode() {
    return "Failed to generate, system error please try again";
  }

  @Override
  public String retryableFailureCode() {
    return defaultFailureCode();
  }

  /** Its one model (the body names the project, sora2, and the mode, not the model). */
  @Override
  public String model(JsonObject body) {
    return "sora-2";
  }

  @Override
  public JsonObject errorBody(ProviderError e) {
    return new JsonObject().put("success", false).put("code", e.status()).put("message", e.message());
  }

  @Override
  public List<Duration> webhookRetryDelays() {
    return List.of(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(90));
  }

  @Override
  public Duration webhookAnswerTimeout() {
    return Duration.ofSeconds(10);
  }
}
