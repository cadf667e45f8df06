package io.genorch.webhook;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * What of a provider's webhook may reach the database, and in what form:
 * <ul>
 *   <li>the callback token never does: a payload may echo the URL it was sent to (heo365 does), so every occurrence
 *       of the token in the body and the kept headers is replaced by {@link #REDACTED}. The body is otherwise kept
 *       byte for byte (bytea), except when the token is spelled with JSON escapes or outside a string: then the body
 *       is stored re-encoded from its parsed form, with the token replaced;</li>
 *   <li>PostgreSQL refuses NUL (U+0000) in text and json, so in what is read from a body every string has NUL
 *       written as its JSON escape (the six characters backslash, u, 0, 0, 0, 0): the task id, status word, error
 *       and URLs the adapter takes out can be stored, and a status word with a NUL in it stays an unknown word
 *       instead of becoming another one.</li>
 * </ul>
 */
final class WebhookPayload {

  static final String REDACTED = "REDACTED";
  private static final String NUL = "\0";
  private static final String ESCAPED_NUL = "\\u0000";

  private WebhookPayload() {}

  /**
   * A body as it is stored and as the adapter reads it.
   *
   * @param stored the bytes to store: the body as received, the token redacted
   * @param json the stored body parsed, NUL escaped in every string
   */
  record Prepared(Buffer stored, JsonObject json) {}

  /**
   * Redacts {@code token} from a received body and reads it.
   *
   * @throws WebhookRefusal (400) when the body is not a JSON object
   */
  static Prepared prepare(Buffer raw, String token) {
    requireBody(raw);
    Buffer redacted = replaceToken(raw, token);
    JsonObject json;
    try {
      json = jsonObject(redacted);
    } catch (WebhookRefusal e) {
      if (redacted == raw) {
        throw e;
      }
      // the token stood outside a string: the body is JSON only as sent, so it is stored re-encoded
      json = withStrings(jsonObject(raw), s -> s.replace(token, REDACTED));
      redacted = json.toBuffer();
    }
    if (anyString(json, s -> s.contains(token))) {
      json = withStrings(json, s -> s.replace(token, REDACTED));
      redacted = json.toBuffer();
    }
    return new Prepared(redacted, readable(json));
  }

  /**
   * Reads a stored body the way it was read when it arrived.
   *
   * @throws DecodeException when it is not JSON, or a ClassCastException when not an object
   */
  static JsonObject read(Buffer stored) {
    return readable((JsonObject) Json.decodeValue(stored));
  }

  /** A header value as it may be stored (the HTTP decoder already refuses NUL in header values). */
  static String storable(String headerValue, String token) {
    return headerValue.replace(token, REDACTED);
  }

  private static String escapeNul(String s) {
    return s.contains(NUL) ? s.replace(NUL, ESCAPED_NUL) : s;
  }

  private static JsonObject readable(JsonObject json) {
    return anyString(json, s -> s.contains(NUL)) ? withStrings(json, WebhookPayload::escapeNul) : json;
  }

  /** Every literal occurrence of the token replaced; the token is ASCII, so bytes are compared one to one. */
  private static Buffer replaceToken(Buffer raw, String token) {
    String bytes = raw.toString(StandardCharsets.ISO_8859_1);
    return bytes.contains(token)
        ? Buffer.buffer(bytes.replace(token, REDACTED).getBytes(StandardCharsets.ISO_8859_1))
        : raw;
  }

  /** @throws WebhookRefusal (400) when the body is not a JSON object */
  static JsonObject jsonObject(Buffer body) {
    requireBody(body);
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw WebhookRefusal.invalid("the body is not JSON");
    }
    if (value instanceof JsonObject object) {
      return object;
    }
    throw WebhookRefusal.invalid("the body is not a JSON object");
  }

  private static void requireBody(Buffer body) {
    if (body == null || body.length() == 0) {
      throw WebhookRefusal.invalid("the body is empty; a JSON object is expected");
    }
  }

  private static boolean anyString(Object value, Predicate<String> test) {
    if (value instanceof String s) {
      return test.test(s);
    }
    if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> field : object) {
        if (test.test(field.getKey()) || anyString(field.getValue(), test)) {
          return true;
        }
      }
    } else if (value instanceof JsonArray array) {
      for (Object element : array) {
        if (anyString(element, test)) {
          return true;
        }
      }
    }
    return false;
  }

  /** A copy with every string, keys included, passed through {@code change}. */
  private static JsonObject withStrings(JsonObject object, UnaryOperator<String> change) {
    JsonObject copy = new JsonObject();
    for (Map.Entry<String, Object> field : object) {
      copy.put(change.apply(field.getKey()), withStrings(field.getValue(), change));
    }
    return copy;
  }

  private static Object withStrings(Object value, UnaryOperator<String> change) {
    if (value instanceof String s) {
      return change.apply(s);
    }
    if (value instanceof JsonObject object) {
      return withStrings(object, change);
    }
    if (value instanceof JsonArray array) {
      JsonArray copy = new JsonArray();
      array.forEach(element -> copy.add(withStrings(element, change)));
      return copy;
    }
    return value;
  }
}
