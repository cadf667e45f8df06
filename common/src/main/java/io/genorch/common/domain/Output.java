package io.genorch.common.domain;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One produced file: {@code type} is video, image or audio. {@code sourceUrl} is the provider's link, always;
 * once a copy is kept (docs/API.md section 7) {@code url} is the service's own link, {@code storedAt}, {@code bytes},
 * {@code sha256} and {@code contentType} describe the copy, and {@code expiresAt} is null.
 */
public record Output(
    String type, String url, Instant expiresAt, String sourceUrl, Instant storedAt, Long bytes, String sha256,
    String contentType) {

  /** As a provider reports it: its link, nothing kept yet. */
  public Output(String type, String url, Instant expiresAt) {
    this(type, url, expiresAt, url, null, null, null, null);
  }

  public static Output video(String url) {
    return new Output("video", url, null);
  }

  /** This output with a kept copy, reached at {@code ownUrl}. */
  public Output stored(String ownUrl, Instant at, long size, String sha256Hex, String type) {
    return new Output(this.type, ownUrl, null, sourceUrl, at, size, sha256Hex, type);
  }

  /** This output without its copy: the provider's link again (its expiry is not known any more). */
  public Output unstored() {
    return new Output(type, sourceUrl, null, sourceUrl, null, null, null, null);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("type", type)
        .put("url", url)
        .put("expiresAt", expiresAt == null ? null : expiresAt.toString())
        .put("sourceUrl", sourceUrl)
        .put("storedAt", storedAt == null ? null : storedAt.toString())
        .put("bytes", bytes)
        .put("sha256", sha256)
        .put("contentType", contentType);
  }

  public static Output fromJson(JsonObject json) {
    String url = json.getString("url");
    return new Output(json.getString("type"), url, instant(json.getString("expiresAt")),
        json.getString("sourceUrl", url), instant(json.getString("storedAt")), json.getLong("bytes"),
        json.getString("sha256"), json.getString("contentType"));
  }

  private static Instant instant(String text) {
    return text == null ? null : Instant.parse(text);
  }
}
