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
import io.genorch.common.persistence.Database;
import io.genorch.common.provider.Providers;
import io.genorch.common.outputs.OutputStore;
import io.genorch.common.outputs.OutputStores;
import io.genorch.common.outputs.StorageOptions;
import io.genorch.orchestrator.api.ApiKeys;
import io.genorch.orchestrator.outputs.OutputCopyOptions;
import io.genorch.orchestrator.outputs.OutputCopyVerticle;
import io.genorch.orchestrator.api.ApiOptions;
import io.genorch.orchestrator.callbacks.CallbackOptions;
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
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
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

  /** How fast the demo's simulated providers run: a 30 s job takes 1.5 s. */
  static final double DEMO_TIME_SCALE = 0.05;

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
    List<ProviderSpec> specs = Providers.all().list().stream().map(ProviderAdapter::spec).toList();
    // every value checked, and the ports found free, before the database starts: a typo costs no embedded start
    initialConfig.validate(specs);
    initialConfig.unknownVariables(Providers.all().ids()).forEach(name -> LOG.warn(
        "{} is set but is no setting of this service (misspelled?); it is ignored. The settings are listed by --help",
        name));
    OrchConfig config = withGeneratedSecrets(initialConfig);
    ApiOptions apiOptions = ApiOptions.from(config);
    try {
      StorageOptions.from(config); // ORCH_STORAGE=s3 without ORCH_S3_BUCKET stops the start (exit code 2)
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingsException(List.of(e.getMessage()));
    }
    Ports.requireFree(Settings.HTTP_PORT, apiOptions.port());
    int webhookPort = config.webhookPort();
    Ports.requireFree(Settings.WEBHOOK_PORT, webhookPort);
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
    Vertx vertx = createVertx(apiOptions.metricsEnabled(), config.clustered());
    Future<ProviderSimulator> simulator = config.demo()
        ? ProviderSimulator.start(vertx, SimulatorOptions.defaults().withTimeScale(DEMO_TIME_SCALE).withAdoptUnknownTasks(true))
        : Future.succeededFuture(null);
    return simulator.compose(sim -> {
      OrchConfig effective = sim == null ? config : config.with(demoSettings(sim, config, webhookPort));
      LOG.info("Settings: {}", effective.effectiveSettings(Providers.all().ids()));
      ServiceContext c = ServiceContext.create(vertx, database, effective,
          apiOptions.metricsEnabled() ? GenorchMetrics.in(BackendRegistries.getDefaultNow()) : GenorchMetrics.noop());
      if (apiOptions.metricsEnabled()) {
        c.metrics().refreshBacklog(vertx, c.pool());
      }
      CallbackOptions callbackOptions = CallbackOptions.from(effective);
      ApiKeys apiKeys = new ApiKeys(apiOptions.apiKeys());
      GenerationService service = new GenerationService(
          c.store(), new RequestValidator(c.providers(), callbackOptions.allowPrivate()), c.providers(),
          id -> c.providerSettings().get(id).enabled(), vertx.eventBus());
      OutputCopyOptions outputOptions = OutputCopyOptions.from(effective);
      OutputStore outputStore = OutputStores.create(vertx, outputOptions.storage());
      ApiVerticle api = new ApiVerticle(service, c.store(), apiKeys, apiOptions.port(),
          apiOptions.metricsEnabled(), apiOptions.maxRequestsPerSecond(), outputStore,
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
            return new Orchestrator(vertx, database, api, webhook, c, sim);
          });
    }).recover(err -> vertx.close().transform(v -> {
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

  /** API keys and the callback secret are never left empty: generated once and logged, so a start is never open. */
  private static OrchConfig withGeneratedSecrets(OrchConfig config) {
    Map<String, String> generated = new HashMap<>();
    if (config.apiKeys().isEmpty()) {
      String key = "gk_" + randomToken(24);
      generated.put("ORCH_API_KEYS", key);
      LOG.warn("ORCH_API_KEYS is not set; generated this API key for this run (set ORCH_API_KEYS to choose your own): {}", key);
    }
    if (config.callbackSecret().isEmpty()) {
      String secret = "whsec_" + Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));
      generated.put("ORCH_CALLBACK_SECRET", secret);
      LOG.warn("ORCH_CALLBACK_SECRET is not set; generated this client-callback signing secret for this run: {}", secret);
    }
    return generated.isEmpty() ? config : config.with(generated);
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
