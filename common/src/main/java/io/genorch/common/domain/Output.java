package io.genorch.common.domain;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** One produced file: {@code type} is video, image or audio. */
public record Output(String type, String url, Instant expiresAt) {

  public static Output video(String url) {
    return new Output("video", url, null);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("type", type)
        .put("url", url)
        .put("expiresAt", expiresAt == null ? null : expiresAt.toString());
  }

  public static Output fromJson(JsonObject json) {
    String expires = json.getString("expiresAt");
    return new Output(json.getString("type"), json.getString("url"), expires == null ? null : Instant.parse(expires));
  }
}
