package io.genorch.common.config;

import io.genorch.common.net.SourceAllowlist;
import io.genorch.common.provider.ProviderSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The service configuration, read from environment variables (docs/API.md section 6). Built from a plain map so
 * that tests pass their own values instead of touching the process environment. Every variable is a {@link Setting}
 * of {@link Settings}, read with {@link #get(Setting)}; {@link #validate} checks them all before anything starts.
 */
public final class OrchConfig {

  public static final String DEFAULT_WEBHOOK_BASE = Settings.PUBLIC_WEBHOOK_BASE_URL.defaultValue();

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

  /** Whether the variable is set (to something other than blanks). */
  public boolean isSet(Setting<?> setting) {
    return raw(setting.name()).isPresent();
  }

  /** The setting's value, or its default when unset; text it does not accept is an IllegalArgumentException naming it. */
  public <T> T get(Setting<T> setting) {
    return raw(setting.name()).map(setting::parse).orElse(setting.defaultValue());
  }

  private Optional<String> raw(String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  public Optional<String> pgUrl() {
    return get(Settings.PG_URL);
  }

  /** In demo mode a directory of its own, so that a demo never touches the data of a real deployment. */
  public Path dataDir() {
    Path dir = Path.of(get(Settings.DATA_DIR));
    return demo() ? dir.resolve("demo") : dir;
  }

  public int httpPort() {
    return get(Settings.HTTP_PORT);
  }

  public int webhookPort() {
    return get(Settings.WEBHOOK_PORT);
  }

  /** Time a connection on either HTTP port has to deliver a request's headers (ORCH_HTTP_HEADER_TIMEOUT_MS). */
  public Duration httpHeaderTimeout() {
    return get(Settings.HTTP_HEADER_TIMEOUT);
  }

  /** Time a request on either HTTP port has to deliver its body once its headers arrived (ORCH_HTTP_BODY_TIMEOUT_MS). */
  public Duration httpBodyTimeout() {
    return get(Settings.HTTP_BODY_TIMEOUT);
  }

  /** Open connections allowed on each HTTP port; more are closed as they open (ORCH_HTTP_MAX_CONNECTIONS). */
  public int httpMaxConnections() {
    return get(Settings.HTTP_MAX_CONNECTIONS);
  }

  public String publicWebhookBaseUrl() {
    return get(Settings.PUBLIC_WEBHOOK_BASE_URL);
  }

  public List<String> apiKeys() {
    return get(Settings.API_KEYS);
  }

  public Optional<String> callbackSecret() {
    return get(Settings.CALLBACK_SECRET);
  }

  public boolean clustered() {
    return get(Settings.CLUSTER);
  }

  public boolean demo() {
    return get(Settings.DEMO);
  }

  public boolean callbackAllowPrivate() {
    return get(Settings.CALLBACK_ALLOW_PRIVATE);
  }

  public boolean metricsEnabled() {
    return get(Settings.METRICS_ENABLED);
  }

  /** Submits in flight per instance: the submission loop's lanes (ORCH_SUBMIT_CONCURRENCY). */
  public int submitConcurrency() {
    return get(Settings.SUBMIT_CONCURRENCY);
  }

  /** Database requests that may wait for a pooled connection; beyond that they fail fast (the API answers 503). */
  public int pgPoolWaitQueue() {
    return get(Settings.PG_POOL_WAIT_QUEUE);
  }

  public int pgPoolSize() {
    return get(Settings.PG_POOL_SIZE);
  }

  /** One request to a provider; the leases of submission and webhook processing are derived from it. */
  public Duration providerTimeout() {
    return get(Settings.PROVIDER_TIMEOUT);
  }

  /**
   * How long a claim on work that waits for one provider call is held (a submission in flight, a webhook delivery
   * being confirmed): well past the provider timeout, so an answer that could still come is never presumed lost.
   */
  public Duration providerCallLease() {
    return providerTimeout().plusSeconds(30);
  }

  /** ORCH_LOG_FORMAT: {@code text} (the default) or {@code json}, one JSON object a line. */
  public String logFormat() {
    return get(Settings.LOG_FORMAT);
  }

  /** Processed provider webhook deliveries (raw bodies up to 1 MiB) older than this are deleted; zero keeps them. */
  public Duration webhookDeliveryRetention() {
    return Duration.ofDays(get(Settings.RETENTION_WEBHOOK_DELIVERIES_DAYS));
  }

  /** An Idempotency-Key older than this is forgotten (a repeat then creates a new generation); zero keeps them. */
  public Duration idempotencyKeyRetention() {
    return Duration.ofHours(get(Settings.RETENTION_IDEMPOTENCY_KEYS_HOURS));
  }

  /** Lifecycle events (GET /v1/events) older than this are deleted once no callback still needs them; zero keeps them. */
  public Duration lifecycleEventRetention() {
    return Duration.ofDays(get(Settings.RETENTION_LIFECYCLE_EVENTS_DAYS));
  }

  /** How often each instance runs the retention job. */
  public Duration retentionInterval() {
    return get(Settings.RETENTION_INTERVAL);
  }

  /** Rows one retention statement deletes at most: small, so no statement holds locks or writes WAL for long. */
  public int retentionBatchSize() {
    return get(Settings.RETENTION_BATCH_SIZE);
  }

  /** ORCH_CATALOG_FILE: the JSON or YAML catalog that overrides and extends the built-in one; empty when unset. */
  public Optional<Path> catalogFile() {
    return get(Settings.CATALOG_FILE).map(Path::of);
  }

  /** How often the catalog file is read again (ORCH_CATALOG_SCAN_MS). */
  public Duration catalogScanPeriod() {
    return get(Settings.CATALOG_SCAN);
  }

  /** Provider-side failures in a row that open a provider's circuit (ORCH_CIRCUIT_FAILURES). */
  public int circuitFailures() {
    return get(Settings.CIRCUIT_FAILURES);
  }

  /** How long an open circuit waits before one probe may go through (ORCH_CIRCUIT_OPEN_S). */
  public Duration circuitOpenFor() {
    return get(Settings.CIRCUIT_OPEN);
  }

  /** The {@code ORCH_PROVIDER_<ID>_*} settings of one provider, with the spec's defaults. */
  public ProviderSettings provider(ProviderSpec spec) {
    String id = spec.id();
    Optional<String> baseUrl = get(Settings.PROVIDER_BASE_URL.of(id, Optional.ofNullable(spec.defaultBaseUrl()), ""));
    Optional<String> apiKey = get(Settings.PROVIDER_API_KEY.of(id, Optional.empty(), ""));
    if (apiKey.isPresent() && baseUrl.isEmpty()) {
      String prefix = Settings.ProviderKey.prefix(id);
      throw new IllegalArgumentException(prefix + "API_KEY is set but " + prefix + "BASE_URL is not: " + id
          + " publishes no API address we could default to, so set it to the address your account uses");
    }
    return new ProviderSettings(
        id,
        baseUrl.orElse(null),
        apiKey.orElse(null),
        get(Settings.PROVIDER_MAX_RPM.of(id, spec.defaultMaxRpm(), "")),
        get(Settings.PROVIDER_MAX_IN_FLIGHT.of(id, ProviderSettings.DEFAULT_MAX_IN_FLIGHT, "")),
        get(Settings.PROVIDER_CONFIRM_WEBHOOKS.of(id, false, "")),
        get(Settings.PROVIDER_ALLOWED_CIDRS.of(id, SourceAllowlist.any(), "any")),
        get(Settings.PROVIDER_CALLBACK_GRACE.of(id, spec.defaultCallbackGrace(), "")),
        get(Settings.PROVIDER_DEADLINE.of(id, spec.defaultDeadline(), "")));
  }

  /**
   * Checks every set variable against its parser, and each provider's settings, so that a wrong value stops the
   * start before the database or Vert.x do anything. All problems are reported at once.
   *
   * @throws InvalidSettingsException naming each wrong variable, its value and what it accepts
   */
  public void validate(List<ProviderSpec> providers) {
    List<String> problems = new ArrayList<>();
    for (Setting<?> setting : Settings.ALL) {
      check(problems, () -> get(setting));
    }
    for (ProviderSpec spec : providers) {
      check(problems, () -> provider(spec));
    }
    if (!problems.isEmpty()) {
      throw new InvalidSettingsException(problems);
    }
  }

  private static void check(List<String> problems, Runnable read) {
    try {
      read.run();
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
  }

  /**
   * The {@code ORCH_*} variables that are set and that the service does not know: neither a {@link Settings}
   * constant nor {@code ORCH_PROVIDER_<known id>_<known suffix>}. Most likely misspelled, so they are warned about.
   */
  public List<String> unknownVariables(List<String> providerIds) {
    Set<String> known = Settings.ALL.stream().map(Setting::name).collect(Collectors.toCollection(HashSet::new));
    for (String id : providerIds) {
      Settings.PROVIDER_KEYS.forEach(k -> known.add(Settings.ProviderKey.prefix(id) + k.suffix()));
    }
    return env.keySet().stream().filter(k -> k.startsWith("ORCH_") && !known.contains(k)).sorted().toList();
  }

  /**
   * What the service runs with: every setting with its value ("(default)" when unset), then each provider's
   * variables that are set; secrets masked. For the one start-up log line.
   */
  public Map<String, String> effectiveSettings(List<String> providerIds) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Setting<?> setting : Settings.ALL) {
      out.put(setting.name(), describe(setting));
    }
    for (String id : providerIds) {
      for (Settings.ProviderKey<?> key : Settings.PROVIDER_KEYS) {
        Setting<?> setting = key.of(id, null, "");
        if (isSet(setting)) {
          out.put(setting.name(), describe(setting));
        }
      }
    }
    return out;
  }

  private String describe(Setting<?> setting) {
    return raw(setting.name()).map(setting.display()).orElse(setting.defaultText() + " (default)");
  }
}
