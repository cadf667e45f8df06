package io.genorch.orchestrator;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.persistence.Database;
import io.genorch.common.persistence.LifecycleSequencer;
import io.genorch.common.provider.Providers;
import io.genorch.orchestrator.api.ApiKeys;
import io.genorch.orchestrator.api.ApiVerticle;
import io.genorch.orchestrator.api.GenerationBusVerticle;
import io.genorch.orchestrator.api.GenerationService;
import io.genorch.orchestrator.api.RequestValidator;
import io.genorch.simulator.ProviderSimulator;
import io.genorch.webhook.WebhookVerticle;
import io.genorch.simulator.SimulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.micrometer.core.instrument.Gauge;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole service in one process: the database, Vert.x, and each verticle with its configuration. Reading
 * {@link #start} top to bottom is reading the architecture.
 */
public final class Orchestrator {

  private static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);

  private final Vertx vertx;
  private final Database database;
  private final ApiVerticle api;
  private final WebhookVerticle webhook;
  private final ServiceContext components;
  private final ProviderSimulator simulator;

  private Orchestrator(
      Vertx vertx, Database database, ApiVerticle api, WebhookVerticle webhook, ServiceContext components,
      ProviderSimulator simulator) {
    this.vertx = vertx;
    this.database = database;
    this.api = api;
    this.webhook = webhook;
    this.components = components;
    this.simulator = simulator;
  }

  /**
   * Opens (and migrates) the database before Vert.x starts, since both block, then deploys the verticles. In demo
   * mode the provider simulator runs in this process and every provider points at it.
   */
  public static Future<Orchestrator> start(OrchConfig initialConfig) {
    OrchConfig config = withGeneratedSecrets(initialConfig);
    if (config.demo() && config.pgUrl().isPresent()) {
      // the simulator knows none of a real deployment's tasks: polling them would fail them as not found
      LOG.warn("DEMO MODE with ORCH_PG_URL: generations in that database are served by the simulator; use a database"
          + " of its own for demos, never one that holds real work");
    }
    Database database = Database.open(config);
    try {
      database.migrate();
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
    Vertx vertx = createVertx(config);
    Future<ProviderSimulator> simulator = config.demo()
        ? ProviderSimulator.start(vertx, SimulatorOptions.defaults().withTimeScale(0.05))
        : Future.succeededFuture(null);
    return simulator.compose(sim -> {
      OrchConfig effective = sim == null ? config : config.with(demoSettings(sim, config));
      ServiceContext c = ServiceContext.create(vertx, database, effective);
      if (effective.getBoolean("ORCH_METRICS_ENABLED", true)) {
        registerLifecycleLag(c);
      }
      ApiKeys apiKeys = new ApiKeys(effective.apiKeys());
      GenerationService service = new GenerationService(
          c.store(), new RequestValidator(c.providers(), effective.callbackAllowPrivate()), c.providers(),
          id -> c.providerSettings().get(id).enabled(), vertx.eventBus());
      ApiVerticle api = new ApiVerticle(service, c.store(), apiKeys, effective.httpPort(),
          effective.getBoolean("ORCH_METRICS_ENABLED", true), effective.getInt("ORCH_API_MAX_RPS", 0));
      List<Future<String>> deployments = new ArrayList<>();
      deployments.add(vertx.deployVerticle(new GenerationBusVerticle(service)));
      WebhookVerticle webhook = new WebhookVerticle(c, effective.webhookPort());
      deployments.addAll(Verticles.deployWorkers(vertx, c, webhook));
      deployments.add(vertx.deployVerticle(api));
      return Future.all(deployments).map(v -> {
        logProviders(c);
        return new Orchestrator(vertx, database, api, webhook, c, sim);
      });
    }).recover(err -> vertx.close().transform(v -> {
      database.close();
      return Future.failedFuture(err);
    }));
  }

  private static Vertx createVertx(OrchConfig config) {
    VertxOptions options = new VertxOptions();
    VertxBuilder builder = Vertx.builder();
    if (config.getBoolean("ORCH_METRICS_ENABLED", true)) {
      options.setMetricsOptions(new MicrometerMetricsOptions()
          .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
          .setEnabled(true));
      builder.withMetrics(new MicrometerMetricsFactory());
    }
    builder.with(options);
    if (config.clustered()) {
      LOG.info("ORCH_CLUSTER=true: joining a Hazelcast-clustered event bus");
      return builder.withClusterManager(new HazelcastClusterManager()).buildClustered()
          .toCompletionStage().toCompletableFuture().join();
    }
    return builder.build();
  }

  /** How long committed lifecycle events wait for their position in GET /v1/events (docs/DESIGN.md). */
  private static void registerLifecycleLag(ServiceContext c) {
    Gauge.builder("genorch_lifecycle_visibility_lag_seconds", c.store().sequencer(), LifecycleSequencer::lagSeconds)
        .description("How long the oldest committed lifecycle event waited for its position in /v1/events")
        .register(BackendRegistries.getDefaultNow());
  }

  /** API keys and the callback secret are never left empty: generated once and logged, so a start is never open. */
  private static OrchConfig withGeneratedSecrets(OrchConfig config) {
    Map<String, String> generated = new HashMap<>();
    if (config.apiKeys().isEmpty()) {
      String key = "gk_" + randomToken(24);
      generated.put("ORCH_API_KEYS", key);
      LOG.warn("ORCH_API_KEYS is not set; generated this API key for this run (set ORCH_API_KEYS to choose your own): {}", key);
    }
    if (config.get("ORCH_CALLBACK_SECRET").isEmpty()) {
      String secret = "whsec_" + Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));
      generated.put("ORCH_CALLBACK_SECRET", secret);
      LOG.warn("ORCH_CALLBACK_SECRET is not set; generated this client-callback signing secret for this run: {}", secret);
    }
    return generated.isEmpty() ? config : config.with(generated);
  }

  private static Map<String, String> demoSettings(ProviderSimulator sim, OrchConfig config) {
    Map<String, String> demo = new HashMap<>();
    for (String provider : ProviderSimulator.PROVIDERS) {
      String prefix = "ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_";
      demo.put(prefix + "BASE_URL", sim.baseUrl(provider));
      demo.put(prefix + "API_KEY", sim.apiKey(provider));
    }
    demo.put("ORCH_CALLBACK_ALLOW_PRIVATE", "true");
    if (config.get("ORCH_PUBLIC_WEBHOOK_BASE_URL").isEmpty()) {
      demo.put("ORCH_PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:" + config.webhookPort());
    }
    LOG.warn("DEMO MODE: the provider simulator runs in this process on port {} and every provider points at it", sim.port());
    return demo;
  }

  private static void logProviders(ServiceContext c) {
    c.providerSettings().values().forEach(s -> LOG.info("Provider {}: {}", s.id(),
        s.enabled() ? "enabled at " + s.baseUrl() : "disabled (set ORCH_PROVIDER_" + ProviderSettings.envId(s.id()) + "_API_KEY)"));
  }

  private static String randomToken(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public int httpPort() {
    return api.actualPort();
  }

  public int webhookPort() {
    return webhook.actualPort();
  }

  public Vertx vertx() {
    return vertx;
  }

  public ServiceContext components() {
    return components;
  }

  public ProviderSimulator simulator() {
    return simulator;
  }

  /** Stops Vert.x, then the embedded database if this process started one. */
  public Future<Void> close() {
    return vertx.close()
        .transform(ar -> {
          database.close();
          return Future.succeededFuture();
        });
  }
}
