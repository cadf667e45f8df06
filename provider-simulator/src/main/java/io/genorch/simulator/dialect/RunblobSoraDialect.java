package io.genorch.simulator.dialect;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * RunBlob Sora (seed 001, docs.runblob.io/api-reference/sora/*): a FastAPI service. Submit answers 201; the status
 * path ends with a slash; errors are {@code {"detail": "..."}} or the pydantic 422 {@code {"detail": [...]}}.
 */
public final class RunblobSoraDialect implements ProviderDialect {

  public static final String ID = "runblob-sora";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String submitPath() {
    return "/v1/sora/generate";
  }

  @Override
  public String statusPathPrefix() {
    return "/v1/sora/generations/";
  }

  @Override
  public String statusPathSuffix() {
    return "/";
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
    } else if (p.length() > 4000) {
      problems.add(new FieldProblem("string_too_long", "prompt", "String should have at most 4000 characters", p));
    }
    Object orientation = body.getValue("orientation");
    if (orientation != null && !"9:16".equals(orientation) && !"16:9".equals(orientation)) {
      problems.add(new FieldProblem("enum", "orientation", "Input should be '9:16' or '16:9'", orientation));
    }
    Object duration = body.getValue("duration");
    if (duration != null && !(Checks.integral(duration)
        && (((Number) duration).intValue() == 10 || ((Number) duration).intValue() == 15))) {
      problems.add(new FieldProblem("enum", "duration", "Input should be 10 or 15", duration));
    }
    Object callback = body.getValue("callback_url");
    if (callback != null && !(callback instanceof String)) {
      problems.add(new FieldProblem("string_type", "callback_url", "Input should be a valid string", callback));
    } else if (callback instanceof String s && Checks.callbackUrlProblem(s) != null) {
      problems.add(new FieldProblem("url_parsing", "callback_url", "Input should be a valid URL", s));
    }
    if (!problems.isEmpty()) {
      throw new SubmitRejected(ProviderError.validation(problems));
    }
    if (body.getValue("image_url") != null && body.getValue("image_base64") != null) {
      throw new SubmitRejected(ProviderError.validation(400, "Cannot provide both image_base64 and image_url"));
    }
    return new Submission((String) prompt, (String) callback);
  }

  @Override
  public String newTaskId() {
    return Ids.uuid();
  }

  @Override
  public int submitStatus() {
    return 201;
  }

  @Override
  public JsonObject submitResponse(JobView job) {
    int duration = job.request().getValue("duration") instanceof Number n ? n.intValue() : 10;
    return new JsonObject()
        .put("generation_id", job.taskId())
        .put("status", "pending")
        .put("price", duration == 15 ? "0.1800" : "0.1200");
  }

  @Override
  public JsonObject statusResponse(JobView job) {
    return new JsonObject()
        .put("generation_id", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("prompt", job.prompt())
        .put("video_url", job.phase() == Phase.SUCCEEDED ? job.resultUrl() : null)
        .put("created_at", Timestamps.isoMicrosNoZone(job.createdAt()))
        .put("completed_at", Timestamps.isoMicrosNoZone(job.completedAt()))
        .put("progress_pct", job.progress())
        .put("progress_pos_in_queue", job.phase() == Phase.PENDING ? 1 : null)
        .put("error_message", job.phase() == Phase.FAILED ? job.errorCode() : null);
  }

  @Override
  public JsonObject webhookBody(JobView job) {
    return new JsonObject()
        .put("generation_id", job.taskId())
        .put("status", statusWord(job.phase()))
        .put("prompt", job.prompt())
        .put("video_url", job.phase() == Phase.SUCCEEDED ? job.resultUrl() : null)
        .put("created_at", Timestamps.isoMicrosNoZone(job.createdAt()))
        .put("completed_at", Timestamps.isoMicrosNoZone(job.completedAt()))
        .put("error_message", job.phase() == Phase.FAILED ? job.errorCode() : null);
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
    return "Generation failed";
  }

  @Override
  public String retryableFailureCode() {
    return "Internal error, please try again";
  }

  /** Its one model: the body names none. */
  @Override
  public String model(JsonObject body) {
    return "sora-2";
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
    return List.of(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(240),
        Duration.ofSeconds(480));
  }

  @Override
  public Duration webhookAnswerTimeout() {
    return Duration.ofSeconds(30);
  }
}
