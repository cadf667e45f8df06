package io.genorch.orchestrator;

import io.genorch.common.ServiceContext;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The whole service started once for a test class, on a database of its own and, when asked, with simulated
 * providers; stopped after the class (service first, then the providers, then the database). On a static
 * {@code @RegisterExtension} field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ServiceUnderTest service = ServiceUnderTest.withProviders(Duration.ofSeconds(30), "vidgo")
 *     .set("ORCH_SUBMIT_SWEEP_MS", "100");
 * }</pre>
 */
final class ServiceUnderTest implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

  private final Map<String, String> settings = new LinkedHashMap<>();
  private final Duration jobDuration;
  private final String[] enabledProviders;
  private boolean emptyDatabaseBeforeEach;

  private TestDatabase db;
  private SimulatedProviders providers;
  private Orchestrator orchestrator;
  private ApiClient api;
  private Map<String, String> env;

  private ServiceUnderTest(Duration jobDuration, String... enabledProviders) {
    this.jobDuration = jobDuration;
    this.enabledProviders = enabledProviders;
  }

  /** No provider configured: the service accepts generations and keeps them queued. */
  static ServiceUnderTest withoutProviders() {
    return new ServiceUnderTest(null);
  }

  /** The named providers simulated; a simulated job runs {@code jobDuration}, at the simulator's time scale 0.01. */
  static ServiceUnderTest withProviders(Duration jobDuration, String... providers) {
    return new ServiceUnderTest(jobDuration, providers);
  }

  /** Every provider the simulator speaks. */
  static ServiceUnderTest withAllProviders(Duration jobDuration) {
    return withProviders(jobDuration, ProviderSimulator.PROVIDERS.toArray(String[]::new));
  }

  /** One setting on top of {@link TestOrchestrators#baseConfig}. */
  ServiceUnderTest set(String key, String value) {
    settings.put(key, value);
    return this;
  }

  /** Every table emptied before each test (the service keeps running). */
  ServiceUnderTest emptyDatabaseBeforeEach() {
    emptyDatabaseBeforeEach = true;
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    db = TestDatabase.create();
    env = TestOrchestrators.baseConfig(db);
    if (jobDuration != null) {
      providers = new SimulatedProviders(0.01, jobDuration);
      env.putAll(providers.enable(enabledProviders));
    }
    env.putAll(settings);
    orchestrator = TestOrchestrators.start(env);
    api = new ApiClient(orchestrator.httpPort(), TestOrchestrators.API_KEY);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (emptyDatabaseBeforeEach) {
      db.reset();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      TestOrchestrators.stop(orchestrator);
    } finally {
      if (providers != null) {
        providers.close();
      }
      db.close();
    }
  }

  TestDatabase db() {
    return db;
  }

  /** The simulated providers; fails when the service was started without them. */
  SimulatedProviders providers() {
    if (providers == null) {
      throw new IllegalStateException("started withoutProviders()");
    }
    return providers;
  }

  Orchestrator orchestrator() {
    return orchestrator;
  }

  /** A client of the HTTP API with the first test API key. */
  ApiClient api() {
    return api;
  }

  /** The settings the service was started with. */
  Map<String, String> env() {
    return Map.copyOf(env);
  }

  int httpPort() {
    return orchestrator.httpPort();
  }

  int webhookPort() {
    return Integer.parseInt(env.get("ORCH_WEBHOOK_PORT"));
  }

  Vertx vertx() {
    return orchestrator.vertx();
  }

  ServiceContext components() {
    return orchestrator.components();
  }
}
