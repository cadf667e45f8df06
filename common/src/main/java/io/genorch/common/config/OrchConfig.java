package io.genorch.common.config;

import io.genorch.common.provider.ProviderSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The service configuration, read from environment variables (CONTRACT.md section 6). Built from a plain map so
 * that tests pass their own values instead of touching the process environment.
 */
public final class OrchConfig {

  public static final String DEFAULT_WEBHOOK_BASE = "http://localhost:8081";

  private final Map<String, String> env;

  private OrchConfig(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  public static OrchConfig fromEnvironment() {
    return new OrchConfig(System.getenv());
  }

  public static OrchConfig of(Map<String, String> values) {
    return new OrchConfig(values);
  }

  /** A copy with some values replaced or added. */
  public OrchConfig with(Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>(env);
    merged.putAll(overrides);
    return new OrchConfig(merged);
  }

  public Optional<String> get(String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  public String get(String name, String fallback) {
    return get(name).orElse(fallback);
  }

  public int getInt(String name, int fallback) {
    return get(name).map(v -> parse(name, v, Integer::parseInt)).orElse(fallback);
  }

  public long getLong(String name, long fallback) {
    return get(name).map(v -> parse(name, v, Long::parseLong)).orElse(fallback);
  }

  public boolean getBoolean(String name, boolean fallback) {
    return get(name).map(Boolean::parseBoolean).orElse(fallback);
  }

  public Optional<String> pgUrl() {
    return get("ORCH_PG_URL");
  }

  /** In demo mode a directory of its own, so that a demo never touches the data of a real deployment. */
  public Path dataDir() {
    Path dir = Path.of(get("ORCH_DATA_DIR", "./genorch-data"));
    return demo() ? dir.resolve("demo") : dir;
  }

  public int httpPort() {
    return getInt("ORCH_HTTP_PORT", 8080);
  }

  public int webhookPort() {
    return getInt("ORCH_WEBHOOK_PORT", 8081);
  }

  public String publicWebhookBaseUrl() {
    String base = get("ORCH_PUBLIC_WEBHOOK_BASE_URL", DEFAULT_WEBHOOK_BASE);
    return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }

  public List<String> apiKeys() {
    return get("ORCH_API_KEYS").map(OrchConfig::splitList).orElse(List.of());
  }

  public boolean clustered() {
    return getBoolean("ORCH_CLUSTER", false);
  }

  public boolean demo() {
    return getBoolean("ORCH_DEMO", false);
  }

  public boolean callbackAllowPrivate() {
    return getBoolean("ORCH_CALLBACK_ALLOW_PRIVATE", false);
  }

  /** Submits in flight from one instance's wakes, and per sweep (ORCH_SUBMIT_CONCURRENCY). */
  public int submitConcurrency() {
    return getInt("ORCH_SUBMIT_CONCURRENCY", 16);
  }

  /** Database requests that may wait for a pooled connection; beyond that they fail fast (the API answers 503). */
  public int pgPoolWaitQueue() {
    return getInt("ORCH_PG_POOL_WAIT_QUEUE", 1_000);
  }

  /** The total time one provider call may take, from asking for a connection to the answer's last byte. */
  public Duration providerTimeout() {
    return Duration.ofMillis(getLong("ORCH_PROVIDER_TIMEOUT_MS", 30_000));
  }

  /**
   * How long work that makes one provider call is held before another instance may take it over: the call's
   * deadline plus time for the database writes around it. The submit lease, the poller's claim and the webhook
   * confirmation lease are all derived from it.
   */
  public Duration providerCallLease() {
    return providerTimeout().plusSeconds(30);
  }

  public ProviderSettings provider(ProviderSpec spec) {
    String prefix = "ORCH_PROVIDER_" + ProviderSettings.envId(spec.id()) + "_";
    String baseUrl = get(prefix + "BASE_URL").orElse(spec.defaultBaseUrl());
    String apiKey = get(prefix + "API_KEY").orElse(null);
    if (apiKey != null && baseUrl == null) {
      throw new IllegalArgumentException(prefix + "API_KEY is set but " + prefix + "BASE_URL is not: " + spec.id()
          + " publishes no API address we could default to, so set it to the address your account uses");
    }
    return new ProviderSettings(
        spec.id(),
        baseUrl,
        apiKey,
        getInt(prefix + "MAX_RPM", spec.defaultMaxRpm()),
        getInt(prefix + "MAX_IN_FLIGHT", ProviderSettings.DEFAULT_MAX_IN_FLIGHT),
        getBoolean(prefix + "CONFIRM_WEBHOOKS", false),
        get(prefix + "ALLOWED_CIDRS").map(OrchConfig::splitList).orElse(List.of()),
        get(prefix + "CALLBACK_GRACE_S").map(v -> Duration.ofSeconds(parse(prefix + "CALLBACK_GRACE_S", v, Long::parseLong)))
            .orElse(spec.defaultCallbackGrace()),
        get(prefix + "DEADLINE_S").map(v -> Duration.ofSeconds(parse(prefix + "DEADLINE_S", v, Long::parseLong)))
            .orElse(spec.defaultDeadline()));
  }

  /** Every variable starting with ORCH_, for the start-up log; secrets masked. */
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    env.keySet().stream().filter(k -> k.startsWith("ORCH_")).sorted().forEach(k -> {
      boolean secret = k.endsWith("_API_KEY") || k.equals("ORCH_API_KEYS") || k.equals("ORCH_CALLBACK_SECRET");
      out.put(k, secret ? "****" : env.get(k));
    });
    return out;
  }

  private static List<String> splitList(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static <T> T parse(String name, String value, Function<String, T> parser) {
    try {
      return parser.apply(value);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(name + " must be a number, got '" + value + "'");
    }
  }
}
