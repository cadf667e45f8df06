package io.genorch.orchestrator;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.InvalidSettingsException;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.ProviderSettings;
import io.genorch.common.config.Setting;
import io.genorch.common.config.Settings;
import io.genorch.common.provider.ProviderAdapter;
import io.genorch.common.provider.ProviderSpec;
import io.genorch.common.metrics.GenorchMetrics;
import io.genorch.common.http.ConnectionGuard;
import io.genorch.common.persistence.Database;
import io.genorch.common.persistence.LifecycleSequencer;
import io.genorch.common.provider.Providers;
import io.genorch.common.outputs.OutputStore;
import io.genorch.common.outputs.OutputStores;
import io.genorch.common.outputs.StorageOptions;
import io.genorch.common.catalog.LiveCatalog;
import io.genorch.common.persistence.ProviderHealth;
import io.genorch.orchestrator.api.ApiKeys;
import io.genorch.orchestrator.outputs.OutputCopyOptions;
import io.genorch.orchestrator.outputs.OutputCopyVerticle;
import io.genorch.orchestrator.api.ApiOptions;
import io.genorch.orchestrator.callbacks.CallbackOptions;
import io.genorch.orchestrator.api.ApiVerticle;
import io.genorch.orchestrator.api.GenerationBusVerticle;
import io.genorch.orchestrator.api.GenerationService;
import io.genorch.orchestrator.api.RequestValidator;
import io.genorch.orchestrator.secrets.ServiceSecrets;
import io.genorch.orchestrator.callbacks.CallbackAddresses;
import io.genorch.simulator.ProviderSimulator;
import io.genorch.webhook.WebhookVerticle;
import io.genorch.simulator.SimulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.micrometer.core.instrument.Gauge;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Predicate;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole service in one process: the database, Vert.x, and each verticle with its configuration. Reading
 * {@link #start} top to bottom is reading the architecture.
 */
public final class Orchestrator {

  private static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);

  /** How fast the demo's simulated providers run: a 30 s job takes 1.5 s. */
  static final double DEMO_TIME_SCALE = 0.05;

  private final Vertx vertx;
  private final Database database;
  private final ApiVerticle api;
  private final WebhookVerticle webhook;
  private final ServiceContext components;
  private final ProviderSimulator simulator;
  private final OutputStore outputStore;

  private Orchestrator(
      Vertx vertx, Database database, ApiVerticle api, WebhookVerticle webhook, ServiceContext components,
      ProviderSimulator simulator, OutputStore outputStore) {
    this.vertx = vertx;
    this.database = database;
    this.api = api;
    this.webhook = webhook;
    this.components = components;
    this.simulator = simulator;
    this.outputStore = outputStore;
  }

  /**
   * Opens (and migrates) the database and settles the API keys and callback secret (stored there when generated)
   * before Vert.x starts, since all three block, then deploys the verticles. In demo
   * mode the provider simulator runs in this process and every provider points at it.
   */
  public static Future<Orchestrator> start(OrchConfig initialConfig) {
    List<ProviderSpec> specs = Providers.all().list().stream().map(ProviderAdapter::spec).toList();
    // every value checked, and the ports found free, before the database starts: a typo costs no embedded start
    initialConfig.validate(specs);
    initialConfig.unknownVariables(Providers.all().ids()).forEach(name -> LOG.warn(
        "{} is set but is no setting of this service (misspelled?); it is ignored. The settings are listed by --help",
        name));
    ApiOptions apiOptions = ApiOptions.from(initialConfig);
    try {
      StorageOptions.from(initialConfig); // ORCH_STORAGE=s3 without ORCH_S3_BUCKET stops the start (exit code 2)
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingsException(List.of(e.getMessage()));
    }
    Ports.requireFree(Settings.HTTP_PORT, apiOptions.port());
    int webhookPort = initialConfig.webhookPort();
    Ports.requireFree(Settings.WEBHOOK_PORT, webhookPort);
    if (initialConfig.demo() && initialConfig.pgUrl().isPresent()) {
      // the simulator knows none of a real deployment's tasks: polling them would fail them as not found
      LOG.warn("DEMO MODE with ORCH_PG_URL: generations in that database are served by the simulator; use a database"
          + " of its own for demos, never one that holds real work");
    }
    Database database = Database.open(initialConfig);
    ServiceSecrets secrets;
    try {
      database.migrate();
      secrets = ServiceSecrets.resolve(database, initialConfig);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
    OrchConfig config = initialConfig.with(Map.of(Settings.CALLBACK_SECRET.name(), secrets.callbackSecret()));
    Vertx vertx = createVertx(apiOptions.metricsEnabled(), config.clustered());
    Future<ProviderSimulator> simulator = config.demo()
        ? ProviderSimulator.start(vertx, SimulatorOptions.defaults().withTimeScale(DEMO_TIME_SCALE).withAdoptUnknownTasks(true))
        : Future.succeededFuture(null);
    Future<LiveCatalog> catalogs = LiveCatalog.start(vertx, new LinkedHashSet<>(Providers.all().ids()),
        config.catalogFile(), config.catalogScanPeriod());
    java.util.concurrent.atomic.AtomicReference<OutputStore> createdStore = new java.util.concurrent.atomic.AtomicReference<>();
    return Future.all(simulator, catalogs).compose(started -> {
      ProviderSimulator sim = simulator.result();
      LiveCatalog catalog = catalogs.result();
      OrchConfig effective = sim == null ? config : config.with(demoSettings(sim, config, webhookPort));
      LOG.info("Settings: {}", effective.effectiveSettings(Providers.all().ids()));
      ServiceContext c = ServiceContext.create(vertx, database, effective,
          apiOptions.metricsEnabled() ? GenorchMetrics.in(BackendRegistries.getDefaultNow()) : GenorchMetrics.noop());
      if (apiOptions.metricsEnabled()) {
        c.metrics().refreshBacklog(vertx, c.pool());
        registerLifecycleLag(c);
      }
      CallbackOptions callbackOptions = CallbackOptions.from(effective);
      ApiKeys apiKeys = ApiKeys.ofHashes(secrets.apiKeyHashes());
      Predicate<String> enabled = id -> c.providerSettings().get(id).enabled();
      ProviderHealth health = new ProviderHealth(c.pool(), effective.circuitFailures(), effective.circuitOpenFor());
      GenerationService service = new GenerationService(
          c.store(), new RequestValidator(c.providers(), catalog::current, enabled),
          new CallbackAddresses(vertx, callbackOptions.allowPrivate()), c.providers(), enabled, vertx.eventBus(),
          catalog::current, health);
      OutputCopyOptions outputOptions = OutputCopyOptions.from(effective);
      OutputStore outputStore = OutputStores.create(vertx, outputOptions.storage());
      createdStore.set(outputStore);
      ApiVerticle api = new ApiVerticle(service, c.store(), apiKeys, apiOptions.port(),
          apiOptions.metricsEnabled(), apiOptions.maxRequestsPerSecond(), ConnectionGuard.Limits.from(effective), outputStore,
          outputOptions.storage().s3().presignedRedirect());
      List<Future<String>> deployments = new ArrayList<>();
      deployments.add(vertx.deployVerticle(new GenerationBusVerticle(service)));
      WebhookVerticle webhook = new WebhookVerticle(c, webhookPort);
      deployments.add(Ports.explainBindFailure(vertx.deployVerticle(webhook), Settings.WEBHOOK_PORT, webhookPort));
      deployments.addAll(Verticles.deployWorkers(vertx, c, callbackOptions));
      if (outputStore != null) {
        deployments.add(vertx.deployVerticle(new OutputCopyVerticle(c, outputOptions, outputStore)));
      }
      deployments.add(Ports.explainBindFailure(vertx.deployVerticle(api), Settings.HTTP_PORT, apiOptions.port()));
      return Future.all(deployments)
          .map(v -> {
            logProviders(c);
            LOG.info(readyLine(api.actualPort(), webhook.actualPort(), effective.publicWebhookBaseUrl(),
                apiOptions.metricsEnabled()));
            return new Orchestrator(vertx, database, api, webhook, c, sim, outputStore);
          });
    }).recover(err -> vertx.close().transform(v -> {
      closeQuietly(createdStore.get());
      database.close();
      return Future.failedFuture(err);
    }));
  }

  private static Vertx createVertx(boolean metricsEnabled, boolean clustered) {
    VertxOptions options = new VertxOptions();
    VertxBuilder builder = Vertx.builder();
    if (metricsEnabled) {
      // HTTP server metrics by route template (never the raw path: webhook paths hold tokens) and by local
      // address, which tells the client API port from the webhook port
      options.setMetricsOptions(new MicrometerMetricsOptions()
          .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
          .addLabels(Label.HTTP_ROUTE, Label.LOCAL)
          .setEnabled(true));
      builder.withMetrics(new MicrometerMetricsFactory());
    }
    builder.with(options);
    if (clustered) {
      LOG.info("ORCH_CLUSTER=true: joining a Hazelcast-clustered event bus");
      // Hazelcast logs through java.util.logging unless told otherwise; through SLF4J its lines follow logback.xml
      // (its levels, ORCH_LOG_FORMAT) like every other line
      if (System.getProperty("hazelcast.logging.type") == null) {
        System.setProperty("hazelcast.logging.type", "slf4j");
      }
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

  /**
   * Every provider points at the in-process simulator, whose time runs {@link #DEMO_TIME_SCALE} times real time: the
   * times the service waits for a provider (callback grace, deadline, poll backoff) are scaled the same way unless
   * set explicitly, so a generation whose callback never comes is resolved by polling within seconds, not minutes:
   * the grace is the simulated job's run time plus one callback answer timeout (2 to 3 s), the deadline the
   * provider's own, scaled (1 to 2 minutes).
   */
  static Map<String, String> demoSettings(ProviderSimulator sim, OrchConfig config, int webhookPort) {
    SimulatorOptions time = sim.options();
    Map<String, String> demo = new HashMap<>();
    for (String provider : ProviderSimulator.PROVIDERS) {
      ProviderSpec spec = Providers.all().find(provider).orElseThrow().spec();
      demo.put(Settings.PROVIDER_BASE_URL.of(provider, null, "").name(), sim.baseUrl(provider));
      demo.put(Settings.PROVIDER_API_KEY.of(provider, null, "").name(), sim.apiKey(provider));
      // a simulated job runs jobDuration, not the provider's expected duration; polling the simulator costs nothing,
      // so the poller steps in once the first callback is overdue rather than after the provider's whole retry window
      putUnlessSet(demo, config, Settings.PROVIDER_CALLBACK_GRACE.of(provider, null, ""),
          wholeSeconds(time.scale(time.jobDuration().plus(spec.webhookTimeout()))));
      putUnlessSet(demo, config, Settings.PROVIDER_DEADLINE.of(provider, null, ""),
          wholeSeconds(time.scale(spec.defaultDeadline())));
    }
    putUnlessSet(demo, config, Settings.POLL_BACKOFF, String.valueOf(time.scale(Settings.POLL_BACKOFF.defaultValue())));
    putUnlessSet(demo, config, Settings.POLL_BACKOFF_CAP,
        String.valueOf(time.scale(Settings.POLL_BACKOFF_CAP.defaultValue())));
    putUnlessSet(demo, config, Settings.PUBLIC_WEBHOOK_BASE_URL, "http://127.0.0.1:" + webhookPort);
    demo.put(Settings.CALLBACK_ALLOW_PRIVATE.name(), "true");
    LOG.warn("DEMO MODE: the provider simulator runs in this process on port {} and every provider points at it; its"
        + " time runs at {}x, and callback grace, deadlines and poll backoff are scaled to match", sim.port(),
        time.timeScale());
    LOG.warn("DEMO MODE: client callbacks may go to loopback and private addresses ({}=true)",
        Settings.CALLBACK_ALLOW_PRIVATE.name());
    LOG.warn("DEMO MODE: the simulator keeps its jobs in memory; after a restart it answers a task it does not know as"
        + " succeeded, so generations running at the restart still succeed");
    return demo;
  }

  private static void putUnlessSet(Map<String, String> demo, OrchConfig config, Setting<?> setting, String value) {
    if (!config.isSet(setting)) {
      demo.put(setting.name(), value);
    }
  }

  private static String wholeSeconds(long millis) {
    return String.valueOf(Math.max(1, (millis + 999) / 1000));
  }

  /** The one line that says the service is up and where each of its parts is reached. */
  static String readyLine(int httpPort, int webhookPort, String publicWebhookBase, boolean metricsEnabled) {
    String api = "http://localhost:" + httpPort;
    return "genorch ready: API " + api + "/v1, webhooks http://localhost:" + webhookPort
        + "/webhooks/{provider}/{token} (given to providers as " + publicWebhookBase + "/webhooks/…), health "
        + api + "/health/ready, metrics " + (metricsEnabled ? api + "/metrics" : "off (ORCH_METRICS_ENABLED=false)")
        + ", OpenAPI " + api + "/openapi.json";
  }

  private static void logProviders(ServiceContext c) {
    c.providerSettings().values().forEach(s -> LOG.info("Provider {}: {}", s.id(),
        s.enabled() ? "enabled at " + s.baseUrl() : "disabled (set ORCH_PROVIDER_" + ProviderSettings.envId(s.id()) + "_API_KEY)"));
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

  /** Where outputs are kept; null with ORCH_STORAGE=off. */
  OutputStore outputStore() {
    return outputStore;
  }

  /**
   * Stops Vert.x, then closes the output store (the S3 client's connections and threads) and the embedded database
   * if this process started one: both block, which no event loop waits for once Vert.x is closed.
   */
  public Future<Void> close() {
    components.store().sequencer().stop();
    return vertx.close()
        .transform(ar -> {
          closeQuietly(outputStore);
          database.close();
          return Future.succeededFuture();
        });
  }

  private static void closeQuietly(OutputStore store) {
    if (store != null) {
      try {
        store.close();
      } catch (RuntimeException e) {
        LOG.warn("Closing the output store failed: {}", e.toString());
      }
    }
  }
}
