package io.genorch.common.config;

import io.genorch.common.net.SourceAllowlist;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Every {@code ORCH_*} variable the service reads, with its default and parser: the one list. A new setting is a
 * constant here (and in {@link #ALL}), a line in the README configuration table, and a read in the one options
 * record that uses it. The per-provider variables {@code ORCH_PROVIDER_<ID>_<SUFFIX>} are {@link ProviderKey}s.
 */
public final class Settings {

  private Settings() {}

  // the process
  public static final Setting<Optional<String>> PG_URL = new Setting<>("ORCH_PG_URL", Optional.empty(),
      "unset → embedded", "a postgresql://user:password@host:port/database URL", v -> Optional.of(pgUrl(v)),
      Settings::maskUserInfo, "PostgreSQL URL; unset: an embedded PostgreSQL under ORCH_DATA_DIR");
  public static final Setting<String> DATA_DIR = text("ORCH_DATA_DIR", "./genorch-data",
      "where the embedded PostgreSQL keeps its data (the demo uses its demo/ subdirectory)");
  public static final Setting<Integer> PG_POOL_SIZE = integer("ORCH_PG_POOL_SIZE", 16, 1, 1_000,
      "PostgreSQL connections per instance, besides the 2 of the lifecycle event log");
  public static final Setting<Integer> HTTP_PORT = port("ORCH_HTTP_PORT", 8080, "client API, health, metrics, OpenAPI");
  public static final Setting<Integer> WEBHOOK_PORT = port("ORCH_WEBHOOK_PORT", 8081, "provider webhooks");
  public static final Setting<String> PUBLIC_WEBHOOK_BASE_URL = new Setting<>("ORCH_PUBLIC_WEBHOOK_BASE_URL",
      "http://localhost:8081", "http://localhost:8081", "an http:// or https:// URL", Settings::httpUrl,
      UnaryOperator.identity(), "how providers reach the webhook port");
  public static final Setting<List<String>> API_KEYS = new Setting<>("ORCH_API_KEYS", List.of(),
      "generated and logged", "comma-separated keys", Settings::nonEmptyList, v -> Setting.MASK,
      "bearer keys for /v1");
  public static final Setting<Optional<String>> CALLBACK_SECRET = new Setting<>("ORCH_CALLBACK_SECRET",
      Optional.empty(), "generated and logged", "whsec_ followed by the base64 of at least 16 bytes",
      v -> Optional.of(standardWebhooksSecret(v)), v -> Setting.MASK,
      "secret that signs client callbacks");
  public static final Setting<Boolean> CALLBACK_ALLOW_PRIVATE = bool("ORCH_CALLBACK_ALLOW_PRIVATE", false,
      "allow client callbacks to loopback/private/link-local addresses");
  public static final Setting<Boolean> CLUSTER = bool("ORCH_CLUSTER", false, "join a Hazelcast-clustered event bus");
  public static final Setting<Boolean> DEMO = bool("ORCH_DEMO", false,
      "run the provider simulator in-process and point every provider at it (same as --demo)");
  public static final Setting<Boolean> METRICS_ENABLED = bool("ORCH_METRICS_ENABLED", true,
      "Prometheus metrics on GET /metrics");
  public static final Setting<Integer> API_MAX_RPS = integer("ORCH_API_MAX_RPS", 0, 0, 1_000_000,
      "requests a second per API key on each instance; 0: no limit");
  public static final Setting<Duration> PROVIDER_TIMEOUT = millis("ORCH_PROVIDER_TIMEOUT_MS", 30_000, 1,
      "timeout of one request to a provider");
  public static final Setting<String> LOG_LEVEL = new Setting<>("ORCH_LOG_LEVEL", "INFO", "INFO",
      "one of TRACE, DEBUG, INFO, WARN, ERROR, OFF", Settings::logLevel, UnaryOperator.identity(),
      "root log level (read by logback.xml)");
  public static final Setting<String> LOG_FORMAT = new Setting<>("ORCH_LOG_FORMAT", "text", "text", "text or json",
      Settings::logFormat, UnaryOperator.identity(), "text, or json: one JSON object a line (Logback's JsonEncoder)");

  // submission
  public static final Setting<Duration> SUBMIT_BACKOFF = millis("ORCH_SUBMIT_BACKOFF_MS", 2_000, 1,
      "first wait before a transient submit failure is retried, doubling");
  public static final Setting<Duration> SUBMIT_BACKOFF_CAP = millis("ORCH_SUBMIT_BACKOFF_CAP_MS", 60_000, 1,
      "longest such wait");
  public static final Setting<Integer> SUBMIT_MAX_ATTEMPTS = integer("ORCH_SUBMIT_MAX_ATTEMPTS", 6, 1, 1_000,
      "submit attempts before a generation fails PROVIDER_UNAVAILABLE");
  public static final Setting<Duration> SUBMIT_SWEEP = millis("ORCH_SUBMIT_SWEEP_MS", 1_000, 1,
      "how often due and abandoned submissions are looked for without a wake");
  public static final Setting<Integer> SUBMIT_BATCH_SIZE = integer("ORCH_SUBMIT_BATCH_SIZE", 200, 1, 10_000,
      "generations claimed per round of the submission loop (one statement)");

  // client callbacks
  public static final Setting<Duration> CALLBACK_SWEEP = millis("ORCH_CALLBACK_SWEEP_MS", 1_000, 1,
      "how often due client callbacks are looked for");
  public static final Setting<Duration> CALLBACK_TIMEOUT = millis("ORCH_CALLBACK_TIMEOUT_MS", 10_000, 1,
      "one client callback attempt");
  public static final Setting<Duration> CALLBACK_RETRY_BASE = millis("ORCH_CALLBACK_RETRY_BASE_MS", 5_000, 1,
      "first wait before a client callback is retried, doubling");
  public static final Setting<Duration> CALLBACK_RETRY_CAP = millis("ORCH_CALLBACK_RETRY_CAP_MS", 3_600_000, 1,
      "longest such wait");
  public static final Setting<Duration> CALLBACK_RETRY_FOR = seconds("ORCH_CALLBACK_RETRY_FOR_S", 25 * 3600, 1,
      "how long a client callback is retried before it is given up (the contract asks for 24 h at least)");
  public static final Setting<Integer> CALLBACK_BATCH_SIZE = integer("ORCH_CALLBACK_BATCH_SIZE", 50, 1, 10_000,
      "client callbacks claimed per sweep");

  // the poller
  public static final Setting<Duration> POLL_INTERVAL = millis("ORCH_POLL_INTERVAL_MS", 1_000, 1,
      "how often an instance looks for overdue generations");
  public static final Setting<Integer> POLL_BATCH_SIZE = integer("ORCH_POLL_BATCH_SIZE", 100, 1, 100_000,
      "generations claimed per poll pass");
  public static final Setting<Duration> POLL_LEASE = millis("ORCH_POLL_LEASE_MS", 60_000, 1,
      "how long a poll claim keeps other instances away");
  public static final Setting<Integer> POLL_CONCURRENCY = integer("ORCH_POLL_CONCURRENCY", 16, 1, 10_000,
      "status calls in flight per provider per instance");
  public static final Setting<Duration> POLL_BACKOFF = millis("ORCH_POLL_BACKOFF_MS", 30_000, 1,
      "wait after the first status check of a generation, doubling");
  public static final Setting<Duration> POLL_BACKOFF_CAP = millis("ORCH_POLL_BACKOFF_CAP_MS", 600_000, 1,
      "longest such wait");
  public static final Setting<Duration> POLL_GATE_RETRY = millis("ORCH_POLL_GATE_RETRY_MS", 2_000, 0,
      "when a provider's request budget is used up, how soon to try a generation again");

  // webhooks
  public static final Setting<Boolean> WEBHOOK_PROCESS = bool("ORCH_WEBHOOK_PROCESS", true,
      "false: this instance stores and acknowledges webhooks and leaves processing to others");
  public static final Setting<Duration> WEBHOOK_SWEEP = millis("ORCH_WEBHOOK_SWEEP_MS", 2_000, 1,
      "how often stored deliveries that are due are looked for");
  public static final Setting<Optional<Duration>> WEBHOOK_LEASE = new Setting<>("ORCH_WEBHOOK_LEASE_MS",
      Optional.empty(), "ORCH_PROVIDER_TIMEOUT_MS + 30000", "milliseconds, at least 1",
      v -> Optional.of(Duration.ofMillis(range(Long.parseLong(v), 1, Long.MAX_VALUE))), UnaryOperator.identity(),
      "how long a claimed delivery belongs to the instance that claimed it");
  public static final Setting<Integer> WEBHOOK_BATCH_SIZE = integer("ORCH_WEBHOOK_BATCH_SIZE", 64, 1, 10_000,
      "deliveries claimed at once");
  public static final Setting<Integer> WEBHOOK_CONCURRENCY = integer("ORCH_WEBHOOK_CONCURRENCY", 32, 1, 10_000,
      "deliveries processed at once per instance");
  public static final Setting<Integer> WEBHOOK_MAX_ATTEMPTS = integer("ORCH_WEBHOOK_MAX_ATTEMPTS", 12, 1, 1_000,
      "claims of one delivery before it is abandoned");
  public static final Setting<Duration> WEBHOOK_RETRY_BASE = millis("ORCH_WEBHOOK_RETRY_BASE_MS", 5_000, 1,
      "first wait before an unconfirmed delivery is tried again, doubling");
  public static final Setting<Duration> WEBHOOK_RETRY_CAP = millis("ORCH_WEBHOOK_RETRY_CAP_MS", 300_000, 1,
      "longest such wait");
  public static final Setting<Boolean> WEBHOOK_TRUST_FORWARDED = bool("ORCH_WEBHOOK_TRUST_FORWARDED", false,
      "take the webhook source address from Forwarded / X-Forwarded-For (only behind a proxy that sets them)");

  // outputs kept (docs/API.md section 7; read by StorageOptions)
  public static final Setting<String> STORAGE = new Setting<>("ORCH_STORAGE", "fs", "fs", "fs, s3 or off",
      v -> oneOf(v.toLowerCase(Locale.ROOT), "fs", "s3", "off"), UnaryOperator.identity(),
      "where copies of outputs are kept: fs (files), s3 (an S3-compatible store) or off (keep only the provider's link)");
  public static final Setting<Optional<String>> STORAGE_DIR = new Setting<>("ORCH_STORAGE_DIR", Optional.empty(),
      "ORCH_DATA_DIR/outputs", "a directory", Optional::of, UnaryOperator.identity(),
      "where fs copies are kept (and where s3 downloads are spooled before upload)");
  public static final Setting<Optional<String>> S3_ENDPOINT = new Setting<>("ORCH_S3_ENDPOINT", Optional.empty(),
      "unset → AWS", "an http:// or https:// URL", v -> Optional.of(httpUrl(v)), UnaryOperator.identity(),
      "the S3 API endpoint (MinIO, R2, Ceph, …); unset: AWS S3 of ORCH_S3_REGION");
  public static final Setting<String> S3_REGION = text("ORCH_S3_REGION", "us-east-1", "the S3 region");
  public static final Setting<Optional<String>> S3_BUCKET = new Setting<>("ORCH_S3_BUCKET", Optional.empty(),
      "unset", "a bucket name", Optional::of, UnaryOperator.identity(), "the bucket copies go to (required with s3)");
  public static final Setting<Optional<String>> S3_ACCESS_KEY_ID = new Setting<>("ORCH_S3_ACCESS_KEY_ID",
      Optional.empty(), "unset → the AWS default chain", "an access key id", Optional::of, UnaryOperator.identity(),
      "S3 access key id; unset: the AWS SDK's default credentials chain");
  public static final Setting<Optional<String>> S3_SECRET_ACCESS_KEY = new Setting<>("ORCH_S3_SECRET_ACCESS_KEY",
      Optional.empty(), "unset", "a secret access key", Optional::of, v -> Setting.MASK, "S3 secret access key");
  public static final Setting<Boolean> S3_PATH_STYLE = bool("ORCH_S3_PATH_STYLE", false,
      "address the bucket in the path (http://host/bucket/key), as MinIO and s3proxy want");
  public static final Setting<String> S3_CHECKSUMS = new Setting<>("ORCH_S3_CHECKSUMS", "WHEN_REQUIRED",
      "WHEN_REQUIRED", "WHEN_REQUIRED or WHEN_SUPPORTED", v -> oneOf(v.toUpperCase(Locale.ROOT), "WHEN_REQUIRED",
      "WHEN_SUPPORTED"), UnaryOperator.identity(),
      "request checksums and response validation of the AWS SDK; many S3-compatible stores answer 400 to WHEN_SUPPORTED");
  public static final Setting<Boolean> S3_PRESIGNED_REDIRECT = bool("ORCH_S3_PRESIGNED_REDIRECT", false,
      "with s3, GET …/outputs/{index} answers 302 to a presigned URL instead of streaming the bytes");
  public static final Setting<Duration> STORAGE_RETRY_FOR = seconds("ORCH_STORAGE_RETRY_FOR_S", 3_600, 1,
      "how long a copy is retried when the provider did not say when its link expires");
  public static final Setting<Duration> STORAGE_LEASE = millis("ORCH_STORAGE_LEASE_MS", 60_000, 1_000,
      "a copy in progress is held by its instance this long and renewed a third of the way; after a crash the copy"
      + " is taken again this long after its last renewal");
  public static final Setting<Long> STORAGE_MAX_BYTES = new Setting<>("ORCH_STORAGE_MAX_BYTES", 2L << 30,
      String.valueOf(2L << 30), "bytes, at least 1", v -> range(Long.parseLong(v), 1, Long.MAX_VALUE),
      UnaryOperator.identity(), "a larger output is refused and keeps only the provider's link");
  public static final Setting<Optional<Integer>> STORAGE_RETENTION_DAYS = new Setting<>(
      "ORCH_STORAGE_RETENTION_DAYS", Optional.empty(), "unset → keep", "days, at least 1",
      v -> Optional.of((int) range(Integer.parseInt(v), 1, 1_000_000)), UnaryOperator.identity(),
      "copies older than this are deleted");
  public static final Setting<String> PUBLIC_API_BASE_URL = new Setting<>("ORCH_PUBLIC_API_BASE_URL",
      "http://localhost:8080", "http://localhost:8080", "an http:// or https:// URL", Settings::httpUrl,
      UnaryOperator.identity(), "how clients reach the API; the links to kept outputs start with it");

  /** Every setting, in the order of the README table and {@code --help}. */
  // both HTTP ports (ConnectionGuard)
  public static final Setting<Duration> HTTP_HEADER_TIMEOUT = millis("ORCH_HTTP_HEADER_TIMEOUT_MS", 10_000, 1,
      "time a connection has to send a request's headers (also how long an idle keep-alive connection stays open)");
  public static final Setting<Duration> HTTP_BODY_TIMEOUT = millis("ORCH_HTTP_BODY_TIMEOUT_MS", 30_000, 1,
      "time a request has to send its whole body once its headers arrived; then 408");
  public static final Setting<Integer> HTTP_MAX_CONNECTIONS = integer("ORCH_HTTP_MAX_CONNECTIONS", 1_000, 1, 1_000_000,
      "open connections allowed on each HTTP port");

  public static final Setting<Integer> SUBMIT_CONCURRENCY = integer("ORCH_SUBMIT_CONCURRENCY", 64, 1, 10_000,
      "submits in flight per instance (the submission loop's lanes; per provider also at most its MAX_IN_FLIGHT)");
  public static final Setting<Integer> PG_POOL_WAIT_QUEUE = integer("ORCH_PG_POOL_WAIT_QUEUE", 1_000, 1, 1_000_000,
      "database requests that may wait for a pooled connection; beyond that the API answers 503 with Retry-After");

  // retention (RetentionJob)
  public static final Setting<Integer> RETENTION_WEBHOOK_DELIVERIES_DAYS = integer("ORCH_RETENTION_WEBHOOK_DELIVERIES_DAYS",
      30, 0, 36_500, "processed webhook deliveries older than this many days are deleted; 0 keeps them");
  public static final Setting<Integer> RETENTION_IDEMPOTENCY_KEYS_HOURS = integer("ORCH_RETENTION_IDEMPOTENCY_KEYS_HOURS",
      24, 0, 876_000, "Idempotency-Keys older than this many hours are forgotten; 0 keeps them");
  public static final Setting<Integer> RETENTION_LIFECYCLE_EVENTS_DAYS = integer("ORCH_RETENTION_LIFECYCLE_EVENTS_DAYS",
      30, 0, 36_500, "lifecycle events older than this many days are deleted once no callback needs them; 0 keeps them");
  public static final Setting<Duration> RETENTION_INTERVAL = seconds("ORCH_RETENTION_INTERVAL_S", 300, 1,
      "how often each instance deletes expired rows");
  public static final Setting<Integer> RETENTION_BATCH_SIZE = integer("ORCH_RETENTION_BATCH_SIZE", 500, 1, 100_000,
      "rows one retention delete statement removes at most");

  // models, routing and provider health (docs/API.md section 8)
  public static final Setting<Optional<String>> CATALOG_FILE = new Setting<>("ORCH_CATALOG_FILE", Optional.empty(),
      "unset: the built-in catalog", "a path to a JSON or YAML (.yaml, .yml) file", v -> Optional.of(v),
      UnaryOperator.identity(), "models and routes overriding and extending the built-in catalog; re-read when it changes");
  public static final Setting<Duration> CATALOG_SCAN = millis("ORCH_CATALOG_SCAN_MS", 5_000, 100,
      "how often ORCH_CATALOG_FILE is read again for changes");
  public static final Setting<Integer> CIRCUIT_FAILURES = integer("ORCH_CIRCUIT_FAILURES", 5, 1, 1_000,
      "provider-side failures in a row that open a provider's circuit (routing then skips it)");
  public static final Setting<Duration> CIRCUIT_OPEN = seconds("ORCH_CIRCUIT_OPEN_S", 30, 1,
      "how long an open circuit stays open before one probe request may go to the provider");
  public static final Setting<Integer> MAX_ATTEMPTS = integer("ORCH_MAX_ATTEMPTS", 3, 1, 100,
      "jobs a routed generation may run: one that fails with a retryable reason is re-run until this many ran (1: no re-runs)");

  public static final List<Setting<?>> ALL = List.of(
      PG_URL, DATA_DIR, PG_POOL_SIZE, HTTP_PORT, WEBHOOK_PORT, PUBLIC_WEBHOOK_BASE_URL, API_KEYS, CALLBACK_SECRET,
      CALLBACK_ALLOW_PRIVATE, CLUSTER, DEMO, METRICS_ENABLED, API_MAX_RPS, PROVIDER_TIMEOUT, LOG_LEVEL, LOG_FORMAT,
      SUBMIT_BACKOFF, SUBMIT_BACKOFF_CAP, SUBMIT_MAX_ATTEMPTS, SUBMIT_SWEEP, SUBMIT_BATCH_SIZE,
      CALLBACK_SWEEP, CALLBACK_TIMEOUT, CALLBACK_RETRY_BASE, CALLBACK_RETRY_CAP, CALLBACK_RETRY_FOR,
      CALLBACK_BATCH_SIZE,
      POLL_INTERVAL, POLL_BATCH_SIZE, POLL_LEASE, POLL_CONCURRENCY, POLL_BACKOFF, POLL_BACKOFF_CAP, POLL_GATE_RETRY,
      WEBHOOK_PROCESS, WEBHOOK_SWEEP, WEBHOOK_LEASE, WEBHOOK_BATCH_SIZE, WEBHOOK_CONCURRENCY, WEBHOOK_MAX_ATTEMPTS,
      WEBHOOK_RETRY_BASE, WEBHOOK_RETRY_CAP, WEBHOOK_TRUST_FORWARDED,
      STORAGE, STORAGE_DIR, S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_PATH_STYLE,
      S3_CHECKSUMS, S3_PRESIGNED_REDIRECT, STORAGE_RETRY_FOR, STORAGE_LEASE, STORAGE_MAX_BYTES, STORAGE_RETENTION_DAYS,
      PUBLIC_API_BASE_URL,
      RETENTION_WEBHOOK_DELIVERIES_DAYS, RETENTION_IDEMPOTENCY_KEYS_HOURS, RETENTION_LIFECYCLE_EVENTS_DAYS,
      RETENTION_INTERVAL, RETENTION_BATCH_SIZE, HTTP_HEADER_TIMEOUT, HTTP_BODY_TIMEOUT, HTTP_MAX_CONNECTIONS,
      SUBMIT_CONCURRENCY, PG_POOL_WAIT_QUEUE, CATALOG_FILE, CATALOG_SCAN, CIRCUIT_FAILURES, CIRCUIT_OPEN,
      MAX_ATTEMPTS);

  /**
   * One per-provider variable, {@code ORCH_PROVIDER_<ID>_<suffix>} ({@code <ID>}: {@link ProviderSettings#envId});
   * its default comes from the provider's spec, so {@link #of} makes the concrete {@link Setting}.
   */
  public record ProviderKey<T>(
      String suffix, String accepted, Function<String, T> parser, UnaryOperator<String> display, String meaning) {

    public Setting<T> of(String providerId, T defaultValue, String defaultText) {
      return new Setting<>(prefix(providerId) + suffix, defaultValue, defaultText, accepted, parser, display, meaning);
    }

    public static String prefix(String providerId) {
      return "ORCH_PROVIDER_" + ProviderSettings.envId(providerId) + "_";
    }
  }

  public static final ProviderKey<Optional<String>> PROVIDER_BASE_URL = new ProviderKey<>("BASE_URL",
      "an http:// or https:// URL", v -> Optional.of(httpUrl(v)), UnaryOperator.identity(),
      "where the provider's API is");
  public static final ProviderKey<Optional<String>> PROVIDER_API_KEY = new ProviderKey<>("API_KEY",
      "the provider's key", v -> Optional.of(v), v -> Setting.MASK, "the provider's bearer key; unset: disabled");
  public static final ProviderKey<Integer> PROVIDER_MAX_RPM = new ProviderKey<>("MAX_RPM", "an integer 1..1000000",
      v -> (int) range(Integer.parseInt(v), 1, 1_000_000), UnaryOperator.identity(),
      "submit + status requests a minute, across all instances");
  public static final ProviderKey<Integer> PROVIDER_MAX_IN_FLIGHT = new ProviderKey<>("MAX_IN_FLIGHT",
      "an integer 1..10000", v -> (int) range(Integer.parseInt(v), 1, 10_000), UnaryOperator.identity(),
      "concurrent requests to the provider per instance");
  public static final ProviderKey<Boolean> PROVIDER_CONFIRM_WEBHOOKS = new ProviderKey<>("CONFIRM_WEBHOOKS",
      "true or false", Settings::parseBoolean, UnaryOperator.identity(),
      "confirm each webhook with a status call before applying it");
  public static final ProviderKey<SourceAllowlist> PROVIDER_ALLOWED_CIDRS = new ProviderKey<>("ALLOWED_CIDRS",
      "comma-separated IP addresses or CIDR blocks", Settings::sourceAllowlist,
      UnaryOperator.identity(), "webhook source allowlist");
  public static final ProviderKey<Duration> PROVIDER_CALLBACK_GRACE = new ProviderKey<>("CALLBACK_GRACE_S",
      "seconds, at least 0 (0: poll from the submission on)",
      v -> Duration.ofSeconds(range(Long.parseLong(v), 0, Long.MAX_VALUE / 1000)),
      UnaryOperator.identity(), "after submission, when a missing callback is overdue and polling starts");
  public static final ProviderKey<Duration> PROVIDER_DEADLINE = new ProviderKey<>("DEADLINE_S",
      "seconds, at least 1", v -> Duration.ofSeconds(range(Long.parseLong(v), 1, Long.MAX_VALUE / 1000)),
      UnaryOperator.identity(), "after submission, when a generation still running times out");

  public static final List<ProviderKey<?>> PROVIDER_KEYS = List.of(PROVIDER_BASE_URL, PROVIDER_API_KEY,
      PROVIDER_MAX_RPM, PROVIDER_MAX_IN_FLIGHT, PROVIDER_CONFIRM_WEBHOOKS, PROVIDER_ALLOWED_CIDRS,
      PROVIDER_CALLBACK_GRACE, PROVIDER_DEADLINE);

  // parsers: each throws on text it does not accept; Setting.parse turns that into a message naming the variable

  private static Setting<Integer> integer(String name, int fallback, int min, int max, String meaning) {
    return new Setting<>(name, fallback, String.valueOf(fallback), "an integer " + min + ".." + max,
        v -> (int) range(Integer.parseInt(v), min, max), UnaryOperator.identity(), meaning);
  }

  private static Setting<Integer> port(String name, int fallback, String meaning) {
    return new Setting<>(name, fallback, String.valueOf(fallback), "a port number 0..65535 (0: any free port)",
        v -> (int) range(Integer.parseInt(v), 0, 65_535), UnaryOperator.identity(), meaning);
  }

  private static Setting<Duration> millis(String name, long fallback, long min, String meaning) {
    return new Setting<>(name, Duration.ofMillis(fallback), String.valueOf(fallback), "milliseconds, at least " + min,
        v -> Duration.ofMillis(range(Long.parseLong(v), min, Long.MAX_VALUE)), UnaryOperator.identity(), meaning);
  }

  private static Setting<Duration> seconds(String name, long fallback, long min, String meaning) {
    return new Setting<>(name, Duration.ofSeconds(fallback), String.valueOf(fallback), "seconds, at least " + min,
        v -> Duration.ofSeconds(range(Long.parseLong(v), min, Long.MAX_VALUE / 1000)), UnaryOperator.identity(),
        meaning);
  }

  private static Setting<Boolean> bool(String name, boolean fallback, String meaning) {
    return new Setting<>(name, fallback, String.valueOf(fallback), "true or false", Settings::parseBoolean,
        UnaryOperator.identity(), meaning);
  }

  private static Setting<String> text(String name, String fallback, String meaning) {
    return new Setting<>(name, fallback, fallback, "any text", v -> v, UnaryOperator.identity(), meaning);
  }

  private static long range(long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException("out of range");
    }
    return value;
  }

  /** Only the words true and false (any case): "yes", "1" or "on" are refused rather than read as false. */
  static boolean parseBoolean(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("not a boolean");
    };
  }

  private static SourceAllowlist sourceAllowlist(String text) {
    try {
      return SourceAllowlist.parse(nonEmptyList(text));
    } catch (IllegalArgumentException e) {
      throw new Setting.Explained(e.getMessage());
    }
  }

  private static List<String> nonEmptyList(String v) {
    List<String> items = Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (items.isEmpty()) {
      throw new IllegalArgumentException("empty list");
    }
    return items;
  }

  private static String httpUrl(String v) {
    URI uri = URI.create(v);
    if (uri.getHost() == null || !Set.of("http", "https").contains(String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("not an http(s) URL");
    }
    return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
  }

  /** The form client-callback signing needs (orchestrator's CallbackSigner), checked here so a wrong one stops the start. */
  private static String standardWebhooksSecret(String v) {
    if (!v.startsWith("whsec_") || Base64.getDecoder().decode(v.substring("whsec_".length())).length < 16) {
      throw new IllegalArgumentException("not a whsec_ secret");
    }
    return v;
  }

  private static String pgUrl(String v) {
    String uri = v.startsWith("jdbc:") ? v.substring(5) : v;
    if (!uri.startsWith("postgresql://") && !uri.startsWith("postgres://")) {
      throw new IllegalArgumentException("not a postgresql:// URL");
    }
    return v;
  }

  private static String oneOf(String v, String... accepted) {
    if (!Arrays.asList(accepted).contains(v)) {
      throw new IllegalArgumentException("not one of " + Arrays.toString(accepted));
    }
    return v;
  }

  private static String logFormat(String v) {
    if (!v.equals("text") && !v.equals("json")) {
      throw new IllegalArgumentException("not a log format");
    }
    return v;
  }

  private static String logLevel(String v) {
    String level = v.toUpperCase(Locale.ROOT);
    if (!Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF").contains(level)) {
      throw new IllegalArgumentException("not a level");
    }
    return level;
  }

  /** {@code postgresql://user:secret@host/db?password=secret} is shown with both secrets as {@code ****}. */
  private static String maskUserInfo(String url) {
    return url.replaceFirst("://([^:/@]*):[^@/]*@", "://$1:" + Setting.MASK + "@")
        .replaceAll("([?&]password=)[^&]*", "$1" + Setting.MASK);
  }
}
