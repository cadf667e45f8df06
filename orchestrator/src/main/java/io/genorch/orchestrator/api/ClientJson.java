package io.genorch.orchestrator.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * What a client sends is stored and echoed exactly, so it is read strictly: the body must be well-formed UTF-8
 * (no overlong forms, no encoded surrogates), a JSON object that names no key twice at any depth, and no string,
 * key or value, may hold what PostgreSQL text cannot store as sent (NUL, an unpaired UTF-16 surrogate). Anything
 * else is the client's mistake (400), never a database fault (503).
 */
final class ClientJson {

  private static final JsonFactory STRICT = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private ClientJson() {}

  /** The body as a JSON object, or a 400 naming the top-level field at fault ("body" when there is none). */
  static JsonObject parseObject(Buffer body) {
    if (body == null || body.length() == 0) {
      throw ApiException.invalid("body", "the body is not a JSON object");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body.getBytes()))
          .toString();
    } catch (CharacterCodingException e) {
      throw ApiException.invalid("body", "the body is not valid UTF-8");
    }
    JsonParser parser;
    Object value;
    try {
      parser = STRICT.createParser(text);
    } catch (IOException e) {
      throw ApiException.invalid("body", "the body is not a JSON object");
    }
    try {
      value = JacksonCodec.fromParser(parser, Object.class);
    } catch (DecodeException e) {
      if (e.getCause() instanceof JsonProcessingException read && read.getOriginalMessage().startsWith("Duplicate field")) {
        throw ApiException.invalid(topLevelField(parser),
            read.getOriginalMessage() + ": a JSON object may name each key only once");
      }
      throw ApiException.invalid("body", "the body is not a JSON object");
    }
    if (value instanceof Map<?, ?> map) {
      value = new JsonObject(cast(map));
    }
    if (!(value instanceof JsonObject object)) {
      throw ApiException.invalid("body", "the body is not a JSON object");
    }
    requireStorable(object);
    return object;
  }

  /**
   * Refuses an object with NUL or an unpaired surrogate in any key or string value, naming its top-level field, or
   * "body" when a top-level key itself is at fault.
   */
  static void requireStorable(JsonObject object) {
    for (Map.Entry<String, Object> field : object.getMap().entrySet()) {
      if (!isStorable(field.getKey())) {
        throw ApiException.invalid("body", "a field name holds NUL or an unpaired surrogate");
      }
      if (!storableTree(field.getValue())) {
        throw ApiException.invalid(field.getKey(),
            field.getKey() + " holds NUL (\\u0000) or an unpaired surrogate, which cannot be stored as sent");
      }
    }
  }

  /** Text PostgreSQL stores exactly as given: no NUL, and every UTF-16 surrogate in a pair. */
  static boolean isStorable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0 || Character.isLowSurrogate(c)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++;
      }
    }
    return true;
  }

  private static boolean storableTree(Object value) {
    if (value instanceof String s) {
      return isStorable(s);
    }
    if (value instanceof JsonObject o) {
      value = o.getMap();
    } else if (value instanceof JsonArray a) {
      value = a.getList();
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!storableTree(e.getKey()) || !storableTree(e.getValue())) {
          return false;
        }
      }
    } else if (value instanceof List<?> list) {
      for (Object item : list) {
        if (!storableTree(item)) {
          return false;
        }
      }
    }
    return true;
  }

  /** The top-level field whose value the parser was in, from its nesting of contexts. */
  private static String topLevelField(JsonParser parser) {
    JsonStreamContext context = parser.getParsingContext();
    while (context != null && context.getParent() != null && !context.getParent().inRoot()) {
      context = context.getParent();
    }
    if (context == null || !context.inObject() || context.getCurrentName() == null
        || !isStorable(context.getCurrentName())) {
      return "body";
    }
    return context.getCurrentName();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }
}
