package io.genorch.simulator.dialect;

import io.genorch.simulator.MediaDirectives;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * APIMart (seed 003, docs.apimart.ai/en/api-reference/*). Submit answers {@code {code:200, data:[{status:"submitted",
 * task_id}]}}; {@code webhook} is a base URL and callbacks go to base + {@code /callback}; the callback body is the
 * status body; callbacks are only sent for terminal states; a 4xx answer stops retries at once.
 * Error bodies are not documented: the simulator answers the OpenAI-style gateway form
 * {@code {"error": {"code": <http status>, "message": "...", "type": "..."}}} (assumption).
 */
public final class ApimartDialect implements ProviderDialect {

  public static final String ID = "apimart";
  /** Default lifetime of result links (the docs say 24–72 h). */
  public static final long DEFAULT_LINK_TTL_SECONDS = 24 * 3600;
  private static final Set<String> RATIOS = Set.of("16:9", "9:16", "landscape", "portrait");

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String submitPath() {
    return "/v1/videos/generations";
  }

  @Override
  public String statusPathPrefix() {
    return "/v1/tasks/";
  }

  @Override
  public String prompt(JsonObject body) {
    return Checks.loosePrompt(body, "prompt");
  }

  @Override
  public Submission validate(JsonObject body) {
    String model = Checks.string(body, "model");
    if (model == null || model.isBlank()) {
      throw bad("model is required");
    }
    String prompt = Checks.string(body, "prompt");
    if (prompt == null || prompt.isBlank()) {
      throw bad("prompt is required");
    }
    Object duration = body.getValue("duration");
    if (duration != null && (!Checks.integral(duration) || ((Number) duration).intValue() <= 0)) {
      throw bad("duration must be a positive integer");
    }
    Object ratio = body.getValue("aspect_ratio");
    if (ratio != null && !RATIOS.contains(ratio)) {
      throw bad("aspect_ratio must be 16:9 or 9:16");
    }
    Object images = body.getValue("image_urls");
    if (images != null && !Checks.stringArray(images)) {
      throw bad("image_urls must be an array of URLs");
    }
    Object webhook = body.getValue("webhook");
    String callbackUrl = null;
    if (webhook != null && !"".equals(webhook)) {
      if (!(webhook instanceof String s) || Checks.callbackUrlProblem(s) != null) {
        throw bad("webhook must be a valid http(s) URL");
      }
      callbackUrl = callbackUrl(s);
    }
    return new Submission(prompt, callbackUrl);
  }

  /** The webhook base URL with trailing slashes removed, plus {@code /callback}. */
  public static String callbackUrl(String webhookBase) {
    String base = webhookBase;
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return base + "/callback";
  }

  private static SubmitRejected bad(String message) {
    return new SubmitRejected(ProviderError.validation(400, message));
  }

  @Override
  public String newTaskId() {
    return "task_" + Ids.apimartUlid();
  }

  @Override
  public JsonObject submitResponse(JobView job) {
    return new JsonObject().put("code", 200).put("data", new JsonArray()
        .add(new JsonObject().put("status", "submitted").put("task_id", job.taskId())));
  }

  @Override
  public JsonObject statusResponse(JobView job) {
    JsonObject data = new JsonObject()
        .put("id", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("progress", job.progress());
    if (job.phase() == Phase.SUCCEEDED) {
      data.put("result", result(job));
    }
    data.put("created", Timestamps.unix(job.createdAt()));
    if (job.phase().terminal()) {
      data.put("completed", Timestamps.unix(job.completedAt()));
    }
    data.put("estimated_time", Math.max(1L, job.simulatedDurationMs() / 1000));
    if (job.phase().terminal() && job.completedAt() != null) {
      data.put("actual_time", Math.max(0L, job.completedAt().getEpochSecond() - job.createdAt().getEpochSecond()));
    }
    if (job.phase() == Phase.FAILED) {
      String code = job.errorCode();
      data.put("error", new JsonObject()
          .put("code", code)
          .put("message", "Video generation failed: " + code));
    }
    return new JsonObject().put("code", 200).put("data", data);
  }

  private static JsonObject result(JobView job) {
    Long ttl = job.directives().expiringLinksSeconds();
    long completed = job.completedAt() == null ? System.currentTimeMillis() / 1000 : job.completedAt().getEpochSecond();
    long expiresAt = completed + (ttl == null ? DEFAULT_LINK_TTL_SECONDS : ttl);
    JsonArray links = new JsonArray().add(job.resultUrl());
    for (int part = 1; part < MediaDirectives.parse(job.prompt()).urls(); part++) {
      links.add(job.resultUrl() + "?part=" + part);
    }
    Object url = job.directives().urlString() ? job.resultUrl() : links;
    return new JsonObject()
        .put("videos", new JsonArray().add(new JsonObject().put("url", url).put("expires_at", expiresAt)))
        .put("expires_at", expiresAt);
  }

  @Override
  public JsonObject webhookBody(JobView job) {
    return statusResponse(job);
  }

  @Override
  public String statusWord(Phase phase) {
    switch (phase) {
      case PENDING:
        return "pending";
      case PROCESSING:
        return "processing";
      case SUCCEEDED:
        return "completed";
      default:
        return "failed";
    }
  }

  @Override
  public String defaultFailureCode() {
    return "generation_failed";
  }

  @Override
  public String retryableFailureCode() {
    return "system_error";
  }

  @Override
  public JsonObject errorBody(ProviderError e) {
    String message = e.message();
    if (!e.problems().isEmpty()) {
      message = e.problems().get(0).field() + ": " + e.problems().get(0).msg();
    }
    return new JsonObject().put("error", new JsonObject()
        .put("code", e.status())
        .put("message", message)
        .put("type", type(e)));
  }

  private static String type(ProviderError e) {
    switch (e.kind()) {
      case UNAUTHORIZED:
        return "authentication_error";
      case NOT_FOUND:
        return "not_found_error";
      case INSUFFICIENT_CREDITS:
        return "insufficient_quota";
      case RATE_LIMITED:
        return "rate_limit_error";
      case UNAVAILABLE:
        return "service_unavailable";
      case SERVER_ERROR:
        return "server_error";
      default:
        return "invalid_request_error";
    }
  }

  @Override
  public List<Duration> webhookRetryDelays() {
    return List.of(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));
  }

  @Override
  public Duration webhookAnswerTimeout() {
    return Duration.ofSeconds(10);
  }

  /** Retried on timeout or 5xx; a 4xx stops retries at once. */
  @Override
  public boolean retriesAfter(int statusCode) {
    return statusCode < 400 || statusCode >= 500;
  }

  @Override
  public ProviderError unauthorized(boolean missing) {
    return ProviderError.unauthorized(missing ? "Missing API key" : "Invalid API key");
  }
}
