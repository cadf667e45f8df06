package io.genorch.simulator;

import io.vertx.core.json.JsonObject;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault knobs of one simulated job or call. They come from {@code [sim:...]} tokens in a submitted prompt
 * ({@link #parse(String)}) and from the global {@link SimulatorFaults}; {@link #over(Directives)} merges the two.
 *
 * <p>Nullable components mean "not set". Times are simulated milliseconds (scaled by the simulator's timeScale).
 *
 * @param fail                 the job ends failed
 * @param failCode             the provider error code/message of that failure (null: the provider's default;
 *                             {@code retryable}: the provider's retry-class failure, e.g. kling's TASK_FAILED)
 * @param noCallback           the terminal callback is never sent
 * @param callbackDelayMs      simulated delay between the terminal state and the first callback attempt
 * @param neverFinish          the job never reaches a terminal state on its own
 * @param duplicate            the terminal callback is delivered this many times (each with its own retries)
 * @param contradict           after the terminal callback(s), one more callback with the opposite outcome
 * @param durationMs           simulated run time of the job
 * @param submitError          fault on submit: an HTTP status ("500", "503", "429", "402", "422", "400", ...),
 *                             {@code timeout} (job created, no answer), {@code reset} (connection closed),
 *                             a status with {@code -created} (job created, then that status answered),
 *                             {@code maintenance} or {@code model-not-found} (the provider's own answers; the
 *                             directives {@code [sim:maintenance]}, {@code [sim:model-not-found]}, and
 *                             {@code [sim:insufficient-balance]} for 402)
 * @param submitErrorTimes     the submit fault applies only to the first N submits of the exact same prompt
 * @param statusError          fault on status queries: "500", "503" (or another status), {@code timeout} (no
 *                             answer) or {@code reset} (connection closed)
 * @param status404            status queries for the job answer 404
 * @param expiringLinksSeconds result links expire this many (real) seconds after completion; negative: already
 *                             expired (apimart's {@code expires_at})
 * @param urlString            apimart: {@code result.videos[].url} is a plain string instead of an array
 */
public record Directives(
    boolean fail,
    String failCode,
    boolean noCallback,
    Long callbackDelayMs,
    boolean neverFinish,
    Integer duplicate,
    boolean contradict,
    Long durationMs,
    String submitError,
    Integer submitErrorTimes,
    String statusError,
    boolean status404,
    Long expiringLinksSeconds,
    boolean urlString) {

  private static final Logger LOG = LoggerFactory.getLogger(Directives.class);

  /** No fault at all. */
  public static final Directives NONE =
      new Directives(false, null, false, null, false, null, false, null, null, null, null, false, null, false);

  /** {@code [sim:fail=retryable]}: the job fails with the provider's retry-class failure. */
  public static final String RETRYABLE = "retryable";

  /** Submit faults in the provider's own words (besides HTTP statuses, timeout and reset). */
  public static final String MAINTENANCE = "maintenance";
  public static final String MODEL_NOT_FOUND = "model-not-found";

  /** {@code [sim:expiring-links]} without a value: the links expired an hour before completion. */
  public static final long EXPIRED_LINK_SECONDS = -3600;

  private static final Pattern TOKEN =
      Pattern.compile("\\[sim:([a-z0-9_-]+)(?:=([^\\]]*))?]", Pattern.CASE_INSENSITIVE);

  /** Reads every {@code [sim:name]} / {@code [sim:name=value]} token of a prompt; unknown names are logged. */
  public static Directives parse(String prompt) {
    Directives d = NONE;
    if (prompt == null || prompt.isEmpty()) {
      return d;
    }
    Matcher m = TOKEN.matcher(prompt);
    while (m.find()) {
      String name = m.group(1).toLowerCase(Locale.ROOT);
      String value = m.group(2) == null ? null : m.group(2).trim();
      try {
        d = d.with(name, value);
      } catch (IllegalArgumentException e) {
        LOG.warn("ignoring simulator directive [sim:{}{}]: {}", name, value == null ? "" : "=" + value,
            e.getMessage());
      }
    }
    return d;
  }

  private Directives with(String name, String value) {
    switch (name) {
      case "fail":
        return withFail(true, blankToNull(value));
      case "no-callback":
        return withNoCallback(true);
      case "callback-delay":
        return withCallbackDelayMs(parseLong(value));
      case "never-finish":
        return withNeverFinish(true);
      case "duplicate":
        return withDuplicate((int) parseLong(value));
      case "contradict":
        return withContradict(true);
      case "duration":
        return withDurationMs(parseLong(value));
      case "submit-error":
        return withSubmitError(requireValue(value));
      case "submit-error-times":
        return withSubmitErrorTimes((int) parseLong(value));
      case "status-error":
        return withStatusError(requireValue(value));
      case "status-404":
        return withStatus404(true);
      case "expiring-links":
        return withExpiringLinksSeconds(value == null || value.isEmpty() ? EXPIRED_LINK_SECONDS : parseLong(value));
      case "url-string":
        return withUrlString(true);
      case "output-bytes":
      case "output-urls":
      case "output-fault":
        return this; // the result files' knobs: MediaDirectives
      case "maintenance":
        return withSubmitError(MAINTENANCE);
      case "model-not-found":
        return withSubmitError(MODEL_NOT_FOUND);
      case "insufficient-balance":
        return withSubmitError("402");
      default:
        throw new IllegalArgumentException("unknown directive");
    }
  }

  /** These directives with every unset knob taken from {@code global} (booleans: either one). */
  public Directives over(Directives global) {
    if (global == null) {
      return this;
    }
    return new Directives(
        fail || global.fail,
        failCode != null ? failCode : global.failCode,
        noCallback || global.noCallback,
        callbackDelayMs != null ? callbackDelayMs : global.callbackDelayMs,
        neverFinish || global.neverFinish,
        duplicate != null ? duplicate : global.duplicate,
        contradict || global.contradict,
        durationMs != null ? durationMs : global.durationMs,
        submitError != null ? submitError : global.submitError,
        submitErrorTimes != null ? submitErrorTimes : global.submitErrorTimes,
        statusError != null ? statusError : global.statusError,
        status404 || global.status404,
        expiringLinksSeconds != null ? expiringLinksSeconds : global.expiringLinksSeconds,
        urlString || global.urlString);
  }

  public boolean isNone() {
    return equals(NONE);
  }

  /** The JSON form used by {@code /_sim/faults} and {@code /_sim/jobs}; unset knobs are left out. */
  public JsonObject toJson() {
    JsonObject j = new JsonObject();
    put(j, "fail", fail ? Boolean.TRUE : null);
    put(j, "failCode", failCode);
    put(j, "noCallback", noCallback ? Boolean.TRUE : null);
    put(j, "callbackDelayMs", callbackDelayMs);
    put(j, "neverFinish", neverFinish ? Boolean.TRUE : null);
    put(j, "duplicate", duplicate);
    put(j, "contradict", contradict ? Boolean.TRUE : null);
    put(j, "durationMs", durationMs);
    put(j, "submitError", submitError);
    put(j, "submitErrorTimes", submitErrorTimes);
    put(j, "statusError", statusError);
    put(j, "status404", status404 ? Boolean.TRUE : null);
    put(j, "expiringLinksSeconds", expiringLinksSeconds);
    put(j, "urlString", urlString ? Boolean.TRUE : null);
    return j;
  }

  /** Reads the form written by {@link #toJson()}; status codes may be numbers or strings. */
  public static Directives fromJson(JsonObject j) {
    if (j == null) {
      return NONE;
    }
    return new Directives(
        j.getBoolean("fail", false) || j.getValue("failCode") != null,
        asString(j.getValue("failCode")),
        j.getBoolean("noCallback", false),
        asLong(j.getValue("callbackDelayMs")),
        j.getBoolean("neverFinish", false),
        asLong(j.getValue("duplicate")) == null ? null : asLong(j.getValue("duplicate")).intValue(),
        j.getBoolean("contradict", false),
        asLong(j.getValue("durationMs")),
        asString(j.getValue("submitError")),
        asLong(j.getValue("submitErrorTimes")) == null ? null : asLong(j.getValue("submitErrorTimes")).intValue(),
        asString(j.getValue("statusError")),
        j.getBoolean("status404", false),
        Boolean.TRUE.equals(j.getValue("expiringLinks")) && j.getValue("expiringLinksSeconds") == null
            ? Long.valueOf(EXPIRED_LINK_SECONDS) : asLong(j.getValue("expiringLinksSeconds")),
        j.getBoolean("urlString", false));
  }

  public Directives withFail(boolean fail, String failCode) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withNoCallback(boolean v) {
    return new Directives(fail, failCode, v, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withCallbackDelayMs(Long v) {
    return new Directives(fail, failCode, noCallback, nonNegative(v), neverFinish, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withNeverFinish(boolean v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, v, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withDuplicate(Integer v) {
    if (v != null && v < 1) {
      throw new IllegalArgumentException("duplicate must be >= 1");
    }
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, v, contradict, durationMs,
        submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withContradict(boolean v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, v, durationMs,
        submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withDurationMs(Long v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict,
        nonNegative(v), submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withSubmitError(String v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        normalise(v), submitErrorTimes, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withSubmitErrorTimes(Integer v) {
    if (v != null && v < 0) {
      throw new IllegalArgumentException("submit-error-times must be >= 0");
    }
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        submitError, v, statusError, status404, expiringLinksSeconds, urlString);
  }

  public Directives withStatusError(String v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, normalise(v), status404, expiringLinksSeconds, urlString);
  }

  public Directives withStatus404(boolean v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, statusError, v, expiringLinksSeconds, urlString);
  }

  public Directives withExpiringLinksSeconds(Long v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, statusError, status404, v, urlString);
  }

  public Directives withUrlString(boolean v) {
    return new Directives(fail, failCode, noCallback, callbackDelayMs, neverFinish, duplicate, contradict, durationMs,
        submitError, submitErrorTimes, statusError, status404, expiringLinksSeconds, v);
  }

  private static void put(JsonObject j, String key, Object v) {
    if (v != null) {
      j.put(key, v);
    }
  }

  private static String normalise(String v) {
    return v == null || v.isBlank() ? null : v.trim().toLowerCase(Locale.ROOT);
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v;
  }

  private static String requireValue(String v) {
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("a value is required");
    }
    return v;
  }

  private static long parseLong(String v) {
    try {
      return Long.parseLong(requireValue(v));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: " + v);
    }
  }

  private static Long nonNegative(Long v) {
    if (v != null && v < 0) {
      throw new IllegalArgumentException("must be >= 0");
    }
    return v;
  }

  private static String asString(Object v) {
    return v == null ? null : v.toString();
  }

  private static Long asLong(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    return Long.parseLong(v.toString().trim());
  }
}
