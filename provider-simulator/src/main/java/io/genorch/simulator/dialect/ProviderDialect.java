package io.genorch.simulator.dialect;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/**
 * One provider's HTTP dialect: its paths, request rules, status words, bodies, error shapes and webhook policy.
 * Everything provider-specific lives behind this interface; the simulator core is the same for all providers.
 * Paths are relative to the provider's prefix ({@code /<providerId>}).
 */
public interface ProviderDialect {

  /** The provider id, e.g. {@code runblob-sora}. */
  String id();

  /** POST path of submit, e.g. {@code /v1/sora/generate}. */
  String submitPath();

  /** GET path of status up to the task id, e.g. {@code /v1/sora/generations/}. */
  String statusPathPrefix();

  /** What follows the task id in the status path: {@code ""} or {@code "/"}. */
  default String statusPathSuffix() {
    return "";
  }

  /** FastAPI providers answer the other trailing-slash form of a path with a 307 redirect to the right one. */
  default boolean redirectsSlashes() {
    return false;
  }

  /** The prompt of a submit body, read before validation (so directives apply to invalid bodies too); or null. */
  String prompt(JsonObject body);

  /** Checks a submit body as the provider does. */
  Submission validate(JsonObject body) throws SubmitRejected;

  /** A fresh task id in the provider's format. */
  String newTaskId();

  /** HTTP status of an accepted submit (200 or 201). */
  default int submitStatus() {
    return 200;
  }

  /** Body of an accepted submit. */
  JsonObject submitResponse(JobView job);

  /** Body of a status query. */
  JsonObject statusResponse(JobView job);

  /** Body of a callback. */
  JsonObject webhookBody(JobView job);

  /** The provider's word for a phase. */
  String statusWord(Phase phase);

  /** The error code/message of a failure when none was asked for. */
  String defaultFailureCode();

  /**
   * The failure of the provider's retry class ({@code [sim:fail=retryable]}): a failure the provider says was its
   * own (a system error; kling's TASK_FAILED), which a client may submit again.
   */
  String retryableFailureCode();

  /** The model a submit body asks for (providers with one model and no model field answer it). */
  default String model(JsonObject body) {
    return body.getValue("model") instanceof String s ? s : null;
  }

  /** A submit during the provider's maintenance ({@code [sim:maintenance]} or a maintenance window). */
  default ProviderError maintenance() {
    return new ProviderError(503, ErrorKind.UNAVAILABLE, "Service under maintenance, please try again later", List.of());
  }

  /** A submit for a model the provider no longer serves ({@code [sim:model-not-found]} or a retired model). */
  default ProviderError modelNotFound(String model) {
    return ProviderError.notFound("Model not found: " + model);
  }

  /** Renders an error in the provider's shape. */
  JsonObject errorBody(ProviderError error);

  /** Delays before each webhook retry (unscaled); the number of retries is the size of this list. */
  List<Duration> webhookRetryDelays();

  /** How long the provider waits for the receiver's answer (unscaled). */
  Duration webhookAnswerTimeout();

  /** Whether a non-2xx answer of the receiver is retried (apimart: never after a 4xx). */
  default boolean retriesAfter(int statusCode) {
    return true;
  }

  /** 401 error for a missing ({@code missing=true}) or wrong key. */
  default ProviderError unauthorized(boolean missing) {
    return ProviderError.unauthorized(missing ? "Missing API key" : "Invalid API key");
  }

  /** The error for a submit body that is not a JSON object. */
  default ProviderError invalidJson() {
    return ProviderError.validation(400, "Request body must be a JSON object");
  }

  /** 404 error for an unknown task id. */
  default ProviderError taskNotFound() {
    return ProviderError.notFound("Task not found");
  }
}
