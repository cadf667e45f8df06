package io.genorch.common.provider;

import io.genorch.common.domain.FieldError;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the adapters have in common: reading the providers' timestamp forms, error bodies and failure reasons, and
 * sorting a non-2xx answer into retry-later or refused. Provider specifics stay in the adapters.
 */
final class ProviderResponses {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderResponses.class);

  /** A reason that is a code (CONTENT_POLICY_VIOLATION, content_policy_violation) rather than a sentence. */
  private static final Pattern CODE_LIKE = Pattern.compile("[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+|[A-Z][A-Z0-9]{2,}");

  static final String GENERATION_FAILED = "GENERATION_FAILED";
  static final String INSUFFICIENT_CREDITS = "INSUFFICIENT_CREDITS";
  static final String PROVIDER_AUTH_FAILED = "PROVIDER_AUTH_FAILED";
  static final String PROVIDER_REJECTED_REQUEST = "PROVIDER_REJECTED_REQUEST";

  private ProviderResponses() {}

  /**
   * A provider timestamp as an instant: ISO-8601 with a zone, ISO-8601 without one (read as UTC), or unix seconds
   * (a number or a numeric string). Null when absent or unreadable: timestamps are informative, never fatal.
   */
  static Instant instant(Object value) {
    if (value instanceof Number number) {
      return Instant.ofEpochSecond(number.longValue());
    }
    if (!(value instanceof String text) || text.isBlank()) {
      return null;
    }
    String s = text.trim();
    if (s.chars().allMatch(Character::isDigit)) {
      return Instant.ofEpochSecond(Long.parseLong(s));
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException withoutZone) {
      try {
        return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException notIso) {
        try {
          return ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException unreadable) {
          return null;
        }
      }
    }
  }

  /**
   * A status word the adapter does not know: logged, and read as still running (never as success), without
   * moving the generation forward.
   */
  static ProviderOutcome unknownWord(String providerId, String taskId, String word, Integer progress) {
    LOG.warn("{} reported unknown status '{}' for task {}; treated as still running", providerId, word, taskId);
    return new ProviderOutcome(taskId, GenerationStatus.SUBMITTED, word, progress, List.of(), null, true);
  }

  static ProviderOutcome running(String taskId, GenerationStatus status, String word, Integer progress) {
    return new ProviderOutcome(taskId, status, word, progress, List.of(), null, false);
  }

  static ProviderOutcome succeeded(String taskId, String word, List<Output> outputs) {
    return new ProviderOutcome(taskId, GenerationStatus.SUCCEEDED, word, 100, outputs, null, false);
  }

  /** Success with the one video the Sora and Kling providers return (none when the URL is missing). */
  static ProviderOutcome succeededWithVideo(String taskId, String word, Object videoUrl) {
    String url = text(videoUrl);
    return succeeded(taskId, word, url == null ? List.of() : List.of(Output.video(url)));
  }

  /** A status answer that carries its task id under {@code field}, or not at all: the id asked about fills in. */
  static JsonObject withTaskId(JsonObject body, String field, String providerTaskId) {
    return body.copy().put(field, body.getValue(field, providerTaskId));
  }

  /**
   * The status answer of a provider that wraps it as {@code {code, data}} and may report an error in {@code code}
   * with HTTP 200 (vidgo, apimart): read with the webhook parser, since their callbacks are that same answer.
   */
  static StatusResult codeWrappedStatus(String providerId, ProviderResponse response,
      java.util.function.Function<JsonObject, ProviderOutcome> parse) {
    JsonObject body = response.jsonOrEmpty();
    int status = effectiveStatus(response, body);
    if (!is2xx(status)) {
      return statusFailure(response, status);
    }
    return known(providerId, () -> parse.apply(body));
  }

  static ProviderOutcome failed(String taskId, String word, Integer progress, GenerationError error) {
    return new ProviderOutcome(taskId, GenerationStatus.FAILED, word, progress, List.of(), error, false);
  }

  /** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
  static Duration retryAfter(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String value = header.trim();
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
    } catch (NumberFormatException notSeconds) {
      Instant at = instant(value);
      return at == null ? null : Duration.ofMillis(Math.max(0, at.toEpochMilli() - System.currentTimeMillis()));
    }
  }

  static Integer integer(Object value) {
    if (value instanceof Number number) {
      return number.intValue();
    }
    if (value instanceof String s && !s.isBlank()) {
      try {
        return (int) Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  static String text(Object value) {
    return value instanceof String s && !s.isBlank() ? s : null;
  }

  /** The readable message of any of the providers' error shapes, or the raw body when none matches. */
  static String errorMessage(ProviderResponse response) {
    JsonObject body = response.jsonOrEmpty();
    Object detail = body.getValue("detail");
    if (detail instanceof String s) {
      return s;
    }
    if (detail instanceof JsonArray problems && !problems.isEmpty() && problems.getValue(0) instanceof JsonObject p) {
      JsonArray loc = p.getJsonArray("loc", new JsonArray());
      return (loc.isEmpty() ? "" : loc.getValue(loc.size() - 1) + ": ") + p.getString("msg", "invalid");
    }
    if (body.getValue("error") instanceof JsonObject error && error.getString("message") != null) {
      return error.getString("message");
    }
    if (text(body.getValue("message")) != null) {
      return body.getString("message");
    }
    if (text(body.getValue("error")) != null) {
      return body.getString("error");
    }
    String raw = response.bodyText().strip();
    return raw.isEmpty() ? "HTTP " + response.statusCode() : raw.substring(0, Math.min(raw.length(), 300));
  }

  /** The HTTP status, unless a 2xx carries an error {@code code} in its body (vidgo, apimart, heo365 do). */
  static int effectiveStatus(ProviderResponse response, JsonObject body) {
    Integer code = integer(body.getValue("code"));
    return response.is2xx() && code != null ? code : response.statusCode();
  }

  static boolean is2xx(int status) {
    return status >= 200 && status < 300;
  }

  /** A 2xx submit answer: accepted when it names the task; without one the job may exist, so it is ambiguous. */
  static SubmitResult accepted(String providerId, ProviderResponse response, String taskId, String word, String taskField) {
    if (taskId == null) {
      return new SubmitResult.Ambiguous(providerId + " answered " + response.statusCode() + " without " + taskField);
    }
    return new SubmitResult.Accepted(running(taskId, GenerationStatus.SUBMITTED, word, null));
  }

  /** A 2xx status answer read with the webhook parser; an answer it cannot read is asked again later. */
  static StatusResult known(String providerId, java.util.function.Supplier<ProviderOutcome> parse) {
    try {
      return new StatusResult.Known(parse.get());
    } catch (InvalidPayloadException e) {
      return new StatusResult.Transient(providerId + " status answer unreadable: " + e.getMessage(), null);
    }
  }

  /** A 408, 425, 429 or 5xx: the provider did not take the request and may later. */
  static boolean isTransient(int status) {
    return status == 408 || status == 425 || status == 429 || status >= 500;
  }

  /**
   * A non-2xx submit answer (or a 2xx whose body reports an error with {@code errorStatus}): transient or a
   * definite refusal carrying the provider's reason.
   */
  static SubmitResult submitFailure(ProviderResponse response, int errorStatus) {
    String message = errorMessage(response);
    if (isTransient(errorStatus)) {
      return new SubmitResult.Transient(
          "HTTP " + errorStatus + ": " + message, retryAfter(response.retryAfterHeader()), MAINTENANCE.matcher(message).find());
    }
    String code = refusalCode(errorStatus, message);
    boolean providerSide = PROVIDER_SIDE_REFUSALS.contains(code) || MAINTENANCE.matcher(message).find();
    return new SubmitResult.Refused(new GenerationError(code, message, false), providerSide);
  }

  /** A provider's words for being under maintenance (every seed provider's maintenance answer says so). */
  private static final Pattern MAINTENANCE = Pattern.compile("maintenance", Pattern.CASE_INSENSITIVE);

  /** A provider's words for not serving a model (any more): "Model not found: sora-2", "model does not exist", … */
  private static final Pattern MODEL_UNAVAILABLE_WORDS = Pattern.compile(
      "model\\b.*\\b(not found|not exist|does not exist|unavailable|not available|not supported|retired|deprecated)",
      Pattern.CASE_INSENSITIVE);

  static final String MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE";

  /**
   * Refusals that are the provider's condition, not the request's fault (docs/API.md section 8): another route may
   * take the same request.
   */
  private static final java.util.Set<String> PROVIDER_SIDE_REFUSALS =
      java.util.Set.of(INSUFFICIENT_CREDITS, PROVIDER_AUTH_FAILED, MODEL_UNAVAILABLE);

  private static String refusalCode(int status, String message) {
    if (status == 402 || message.toUpperCase(Locale.ROOT).contains("INSUFFICIENT")) {
      return INSUFFICIENT_CREDITS;
    }
    if (MODEL_UNAVAILABLE_WORDS.matcher(message).find()) {
      return MODEL_UNAVAILABLE;
    }
    if (status == 401 || status == 403) {
      return PROVIDER_AUTH_FAILED;
    }
    if (CODE_LIKE.matcher(message).matches()) {
      return message.toUpperCase(Locale.ROOT);
    }
    return PROVIDER_REJECTED_REQUEST;
  }

  /** A non-2xx status answer: 404 means the provider does not know the task; everything else is asked again. */
  static StatusResult statusFailure(ProviderResponse response, int errorStatus) {
    String message = errorMessage(response);
    if (errorStatus == 404) {
      return new StatusResult.NotFound(message);
    }
    return new StatusResult.Transient("HTTP " + errorStatus + ": " + message, retryAfter(response.retryAfterHeader()));
  }

  /**
   * A failure reason as the client sees it: a provider code becomes the error code (upper-cased), a sentence is
   * the message of {@code GENERATION_FAILED}.
   */
  static GenerationError failure(String code, String message) {
    String reportedCode = text(code);
    String reportedMessage = text(message);
    if (reportedCode == null && reportedMessage != null && CODE_LIKE.matcher(reportedMessage.trim()).matches()) {
      reportedCode = reportedMessage.trim();
    }
    String finalCode = reportedCode == null ? GENERATION_FAILED : reportedCode.toUpperCase(Locale.ROOT);
    String finalMessage = reportedMessage == null ? "The provider reported the generation as failed" : reportedMessage;
    return new GenerationError(finalCode, finalMessage, retryable(finalCode));
  }

  /** Failures that are the provider's trouble rather than the request's are worth a new generation. */
  private static boolean retryable(String code) {
    return switch (code) {
      case "TIMEOUT", "MAINTENANCE", "TASK_FAILED" -> true;
      default -> false;
    };
  }

  /** The words of a failure that say the provider itself failed (its "system error, please try again" class). */
  private static final Pattern SYSTEM_FAILURE = Pattern.compile(
      "system[ _]error|internal[ _]error|server[ _]error|service[ _]unavailable|try again|maintenance|timed? ?out",
      Pattern.CASE_INSENSITIVE);

  /** Whether a provider's failure text is of its retry class (see {@link #SYSTEM_FAILURE}). */
  static boolean saysSystemFailure(String text) {
    return text != null && SYSTEM_FAILURE.matcher(text).find();
  }

  /** The same failure, with the adapter's own reading of whether it is worth a re-run. */
  static GenerationError retryable(GenerationError error, boolean retryable) {
    return new GenerationError(error.code(), error.message(), retryable);
  }

  /**
   * The check every provider makes from its spec: the prompt length its API takes. The model, duration and aspect
   * ratio are checked against the catalog route the request goes to.
   */
  static Optional<FieldError> checkAgainstSpec(ProviderSpec spec, GenerationRequest request) {
    int maxPrompt = spec.maxPromptLength();
    if (request.prompt().codePointCount(0, request.prompt().length()) > maxPrompt) {
      return Optional.of(new FieldError("prompt", "prompt must have at most " + maxPrompt + " characters for " + spec.id()));
    }
    return Optional.empty();
  }

  /** Client options passed through to the submit body without overriding what the adapter mapped itself. */
  static void passThrough(JsonObject options, JsonObject body) {
    options.forEach(e -> {
      if (!body.containsKey(e.getKey())) {
        body.put(e.getKey(), e.getValue());
      }
    });
  }
}
