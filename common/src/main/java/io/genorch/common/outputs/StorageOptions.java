package io.genorch.common.outputs;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where and how copies of outputs are kept (docs/API.md section 7; README configuration table).
 *
 * @param kind fs, s3 or off (ORCH_STORAGE)
 * @param dir the fs copies, and the spool of s3 downloads (ORCH_STORAGE_DIR, default ORCH_DATA_DIR/outputs)
 * @param s3 the S3 settings, read whatever the kind (checked only when it is s3)
 * @param retryFor how long a copy is retried when the provider gave no expiry (ORCH_STORAGE_RETRY_FOR_S)
 * @param maxBytes a larger output is refused (ORCH_STORAGE_MAX_BYTES)
 * @param retention copies older than this are deleted; empty: kept (ORCH_STORAGE_RETENTION_DAYS)
 * @param publicApiBaseUrl how clients reach the API (ORCH_PUBLIC_API_BASE_URL)
 * @param allowPrivate sources on loopback/private addresses are fetched (ORCH_CALLBACK_ALLOW_PRIVATE)
 */
public record StorageOptions(
    String kind,
    Path dir,
    S3Options s3,
    Duration retryFor,
    long maxBytes,
    Optional<Duration> retention,
    String publicApiBaseUrl,
    boolean allowPrivate) {

  /** @param checksums WHEN_REQUIRED or WHEN_SUPPORTED (ORCH_S3_CHECKSUMS) */
  public record S3Options(
      Optional<String> endpoint,
      String region,
      String bucket,
      Optional<String> accessKeyId,
      Optional<String> secretAccessKey,
      boolean pathStyle,
      String checksums,
      boolean presignedRedirect) {}

  public boolean enabled() {
    return !"off".equals(kind);
  }

  public static StorageOptions from(OrchConfig config) {
    String kind = config.get(Settings.STORAGE);
    Path dir = config.get(Settings.STORAGE_DIR).map(Path::of).orElse(config.dataDir().resolve("outputs"));
    Optional<String> bucket = config.get(Settings.S3_BUCKET);
    if ("s3".equals(kind) && bucket.isEmpty()) {
      throw new IllegalArgumentException("ORCH_STORAGE=s3 needs ORCH_S3_BUCKET");
    }
    S3Options s3 = new S3Options(config.get(Settings.S3_ENDPOINT), config.get(Settings.S3_REGION), bucket.orElse(null),
        config.get(Settings.S3_ACCESS_KEY_ID), config.get(Settings.S3_SECRET_ACCESS_KEY),
        config.get(Settings.S3_PATH_STYLE), config.get(Settings.S3_CHECKSUMS),
        config.get(Settings.S3_PRESIGNED_REDIRECT));
    return new StorageOptions(kind, dir, s3, config.get(Settings.STORAGE_RETRY_FOR), config.get(Settings.STORAGE_MAX_BYTES),
        config.get(Settings.STORAGE_RETENTION_DAYS).map(Duration::ofDays), config.get(Settings.PUBLIC_API_BASE_URL),
        config.callbackAllowPrivate());
  }

  /** The service's own link to output {@code index} of a generation. */
  public String publicUrl(String generationId, int index) {
    return publicApiBaseUrl + "/v1/generations/" + generationId + "/outputs/" + index;
  }
}
