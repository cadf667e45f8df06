package io.genorch.common.provider;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/** A provider's HTTP answer as the adapters see it. */
public record ProviderResponse(int statusCode, Buffer body, String retryAfterHeader) {

  public static ProviderResponse of(int statusCode, String body) {
    return new ProviderResponse(statusCode, Buffer.buffer(body), null);
  }

  /** The body as a JSON object, or an empty object when it is not one (error pages, empty bodies). */
  public JsonObject jsonOrEmpty() {
    if (body == null || body.length() == 0) {
      return new JsonObject();
    }
    try {
      Object value = Json.decode(body);
      return value instanceof JsonObject object ? object : new JsonObject().put("_value", value);
    } catch (DecodeException e) {
      return new JsonObject();
    }
  }

  public String bodyText() {
    return body == null ? "" : body.toString();
  }

  public boolean is2xx() {
    return statusCode >= 200 && statusCode < 300;
  }

  private static final class Json {
    static Object decode(Buffer buffer) {
      return io.vertx.core.json.Json.decodeValue(buffer);
    }
  }
}
