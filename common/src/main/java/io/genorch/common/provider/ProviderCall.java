package io.genorch.common.provider;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/** One HTTP request to a provider: the path is appended to the provider's base URL; the body is null for GET. */
public record ProviderCall(HttpMethod method, String path, JsonObject body) {

  public static ProviderCall get(String path) {
    return new ProviderCall(HttpMethod.GET, path, null);
  }

  public static ProviderCall post(String path, JsonObject body) {
    return new ProviderCall(HttpMethod.POST, path, body);
  }
}
