package io.genorch.simulator.dialect;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * RunBlob Kling O3 video (seed 004, docs.runblob.io/api-reference/kling/o3-video-*): FastAPI like runblob-sora, but
 * the status path has no trailing slash, the status body carries no error detail, and the webhook carries failure
 * codes in {@code message}. {@code duration} is a string. The seed's {@code "mode": "pro"} is accepted as
 * {@code model: "kling_o3_pro"}. Type errors answer 422 with pydantic details; rule errors (duration, aspect ratio,
 * model, images) answer 400 {@code {"detail": "..."}} with the messages of the provider's error page.
 */
public final class RunblobKlingO3Dialect implements ProviderDialect {

  public static final String ID = "runblob-kling-o3";
  private static final Set<String> DURATIONS = Set.of("5", "10", "15");
  private static final Set<String> RATIOS = Set.of("16:9", "9:16", "1:1");
  private static final Set<String> MODELS = Set.of("kling_o3", "kling_o3_pro");

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String submitPath() {
    return "/v1/kling/o3-video/generate";
  }

  @Override
  public String statusPathPrefix() {
    return "/v1/kling/o3-video/generations/";
  }

  @Override
  public boolean redirectsSlashes() {
    return true;
  }

  @Override
  public String prompt(JsonObject body) {
    return Checks.loosePrompt(body, "prompt");
  }

  @Override
  public Submission validate(JsonObject body) {
    List<FieldProblem> problems = new ArrayList<>();
    Object prompt = body.getValue("prompt");
    if (prompt == null) {
      problems.add(new FieldProblem("missing", "prompt", "Field required", null));
    } else if (!(prompt instanceof String p)) {
      problems.add(new FieldProblem("string_type", "prompt", "Input should be a valid string", prompt));
    } else if (p.isEmpty()) {
      problems.add(new FieldProblem("string_too_short", "prompt", "String should have at least 1 character", p));
    } else if (p.length() > 2500) {
      problems.add(new FieldProblem("string_too_long", "prompt", "String should have at most 2500 characters", p));
    }
    for (String key : List.of("duration", "aspect_ratio", "model", "mode", "callback_url")) {
      Object v = body.getValue(key);
      if (v != null && !(v instanceof String)) {
        problems.add(new FieldProblem("string_type", key, "Input should be a valid string", v));
      }
    }
    for (String key : List.of("images_url", "images_base64")) {
      Object v = body.getValue(key);
      if (v != null && !Checks.stringArray(v)) {
        problems.add(new FieldProblem("list_type", key, "Input should be a valid list of strings", v));
      }
    }
    if (!problems.isEmpty()) {
      throw new SubmitRejected(ProviderError.validation(problems));
    }
    if (body.getValue("duration") != null && !DURATIONS.contains(body.getString("duration"))) {
      throw bad("Duration must be 5, 10, or 15 seconds");
    }
    if (body.getValue("aspect_ratio") != null && !RATIOS.contains(body.getString("aspect_ratio"))) {
      throw bad("Aspect ratio must be '16:9', '9:16' or '1:1'");
    }
    if (body.getValue("model") != null && !MODELS.contains(body.getString("model"))) {
      throw bad("Model must be 'kling_o3' or 'kling_o3_pro'");
    }
    JsonArray urls = body.getJsonArray("images_url");
    JsonArray b64 = body.getJsonArray("images_base64");
    if (urls != null && !urls.isEmpty() && b64 != null && !b64.isEmpty()) {
      throw bad("Cannot provide both images_base64 and images_url");
    }
    int images = (urls == null ? 0 : urls.size()) + (b64 == null ? 0 : b64.size());
    if (images > 5) {
      throw bad("Maximum 5 images allowed, got " + images);
    }
    String callback = body.getString("callback_url");
    if (callback != null && Checks.callbackUrlProblem(callback) != null) {
      throw bad("callback_url must be a valid http(s) URL");
    }
    return new Submission((String) prompt, callback);
  }

  private static SubmitRejected bad(String detail) {
    return new SubmitRejected(ProviderError.validation(400, detail));
  }

  @Override
  public String newTaskId() {
    return Ids.uuid();
  }

  @Override
  public int submitStatus() {
    return 201;
  }

  private static String duration(JsonObject req) {
    return req.getValue("duration") instanceof String s ? s : "5";
  }

  private static boolean pro(JsonObject req) {
    return "kling_o3_pro".equals(req.getValue("model"))
        || (req.getValue("mode") instanceof String m && m.toLowerCase(Locale.ROOT).equals("pro"));
  }

  /** The model label the provider reports, e.g. {@code kling-o3-video-10s-pro}. */
  static String modelLabel(JsonObject req) {
    return "kling-o3-video-" + duration(req) + "s" + (pro(req) ? "-pro" : "");
  }

  @Override
  public JsonObject submitResponse(JobView job) {
    double perSecond = pro(job.request()) ? 0.112 : 0.084;
    double price = perSecond * Integer.parseInt(duration(job.request()));
    return new JsonObject()
        .put("generation_id", job.taskId())
        .put("status", "pending")
        .put("price", String.format(Locale.ROOT, "%.4f", price));
  }

  @Override
  public JsonObject statusResponse(JobView job) {
    return new JsonObject()
        .put("generation_id", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("prompt", job.prompt())
        .put("video_url", job.phase() == Phase.SUCCEEDED ? job.resultUrl() : null)
        .put("model", modelLabel(job.request()));
  }

  @Override
  public JsonObject webhookBody(JobView job) {
    return new JsonObject()
        .put("generation_id", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("video_url", job.phase() == Phase.SUCCEEDED ? job.resultUrl() : null)
        .put("model", modelLabel(job.request()))
        .put("message", job.phase() == Phase.FAILED ? job.errorCode() : null);
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
    return "TASK_FAILED";
  }

  @Override
  public String retryableFailureCode() {
    return "TASK_FAILED";
  }

  /** The seed's MAINTENANCE code ("Service temporarily unavailable", retry later), in FastAPI's shape. */
  @Override
  public ProviderError maintenance() {
    return new ProviderError(503, ErrorKind.UNAVAILABLE, "MAINTENANCE", List.of());
  }

  @Override
  public JsonObject errorBody(ProviderError e) {
    return Checks.fastApiError(e);
  }

  @Override
  public ProviderError unauthorized(boolean missing) {
    return ProviderError.unauthorized(missing ? "Missing credentials" : "Invalid credentials");
  }

  @Override
  public ProviderError invalidJson() {
    return ProviderError.validation(List.of(new FieldProblem("json_invalid", "body", "JSON decode error", null)));
  }

  @Override
  public ProviderError taskNotFound() {
    return ProviderError.notFound("Generation not found");
  }

  @Override
  public List<Duration> webhookRetryDelays() {
    return Collections.nCopies(5, Duration.ofSeconds(30));
  }

  @Override
  public Duration webhookAnswerTimeout() {
    return Duration.ofSeconds(30);
  }
}
