package io.genorch.simulator.dialect;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Small validation helpers shared by the dialects. */
final class Checks {

  private Checks() {
  }

  /** The string at {@code key}, or null when absent or not a string. */
  static String string(JsonObject body, String key) {
    Object v = body == null ? null : body.getValue(key);
    return v instanceof String s ? s : null;
  }

  /** The prompt under {@code key}, as a string, whatever its JSON type (null when absent). */
  static String loosePrompt(JsonObject body, String key) {
    Object v = body == null ? null : body.getValue(key);
    return v == null ? null : v.toString();
  }

  /**
   * Why {@code url} is not acceptable as a callback URL, or null if it is. The simulator accepts http as well as
   * https and loopback/private hosts (the real providers do not): tests and demos run on loopback.
   */
  static String callbackUrlProblem(String url) {
    if (url.length() > 2048) {
      return "callback URL longer than 2048 characters";
    }
    try {
      URI uri = new URI(url);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        return "callback URL must be an http(s) URL";
      }
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        return "callback URL has no host";
      }
      return null;
    } catch (URISyntaxException e) {
      return "callback URL is not a valid URL";
    }
  }

  /** True when the value is a JSON array of strings. */
  static boolean stringArray(Object v) {
    if (!(v instanceof JsonArray a)) {
      return false;
    }
    for (Object o : a) {
      if (!(o instanceof String)) {
        return false;
      }
    }
    return true;
  }

  /** True when the value is an integral JSON number. */
  static boolean integral(Object v) {
    return v instanceof Integer || v instanceof Long
        || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
  }

  /** FastAPI's error body: {@code {"detail": "..."}} or {@code {"detail": [{type, loc, msg, input}]}}. */
  static JsonObject fastApiError(ProviderError e) {
    if (e.problems().isEmpty()) {
      return new JsonObject().put("detail", e.message());
    }
    JsonArray detail = new JsonArray();
    e.problems().forEach(p -> detail.add(p.toJson()));
    return new JsonObject().put("detail", detail);
  }
}
