package io.genorch.simulator;

import io.genorch.simulator.dialect.Dialects;
import io.genorch.simulator.dialect.ProviderDialect;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process HTTP simulator of the five upstream providers' APIs, on 127.0.0.1. Each provider is served under
 * its own path prefix ({@link #baseUrl(String)}), with its own paths, bodies, status words, error shapes and
 * webhook retry policy; jobs run for a (scaled) simulated time and then call back. Faults are injected per job with
 * {@code [sim:...]} directives in the prompt, or globally with {@link #faults()}. See the module README.
 */
public final class ProviderSimulator {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderSimulator.class);

  /** The provider ids served, in a fixed order. */
  public static final List<String> PROVIDERS =
      List.of("heo365-sora2", "runblob-sora", "vidgo", "apimart", "runblob-kling-o3");

  private final Vertx vertx;
  private final SimulatorOptions options;
  private final Map<String, ProviderDialect> dialects = Dialects.all();
  private final SimulatorFaults faults = new SimulatorFaults();
  private final ProviderConditions conditions = new ProviderConditions();
  private final JobStore store = new JobStore();
  private final SimulatedMedia media;
  private final Timers timers;
  private final WebClient client;
  private final JobRunner runner;
  private volatile HttpServer server;

  private ProviderSimulator(Vertx vertx, SimulatorOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.timers = new Timers(vertx);
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setFollowRedirects(false)
        .setConnectTimeout(10_000)
        .setUserAgentEnabled(false));
    this.runner = new JobRunner(options, store, timers, new WebhookDispatcher(client, options, store, timers));
    this.media = new SimulatedMedia(vertx, store);
  }

  /** Starts a simulator on 127.0.0.1 (port from the options; 0 picks a free one). */
  public static Future<ProviderSimulator> start(Vertx vertx, SimulatorOptions options) {
    ProviderSimulator sim = new ProviderSimulator(vertx, options == null ? SimulatorOptions.defaults() : options);
    return sim.listen();
  }

  private Future<ProviderSimulator> listen() {
    Router router = Router.router(vertx);
    new AdminRoutes(this).mount(router);
    ProviderRoutes routes = new ProviderRoutes(options, store, runner, faults, conditions, this::origin, media);
    dialects.values().forEach(d -> routes.mount(router, d));
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(options.port(), "127.0.0.1")
        .map(s -> {
          this.server = s;
          LOG.info("provider simulator listening on {} (timeScale {}, jobDuration {})", origin(),
              options.timeScale(), options.jobDuration());
          return this;
        })
        .onFailure(e -> client.close());
  }

  private String origin() {
    return "http://127.0.0.1:" + port();
  }

  /** How often the result link {@code path} ({@code /<providerId>/_media/…}) was fetched. */
  public int mediaRequests(String path) {
    return media.requests(path);
  }

  /** The most downloads of one result link that were in progress at once, over all links. */
  public int maxConcurrentDownloadsOfOneLink() {
    return media.maxConcurrentDownloadsOfOneLink();
  }

  /** The sha256 (lowercase hex) of the result file at {@code path} ({@code /<providerId>/_media/…}) of {@code size} bytes. */
  public static String mediaSha256(String path, long size) {
    return SimulatedMedia.sha256(path, size);
  }

  public SimulatorOptions options() {
    return options;
  }

  /** The port the simulator listens on. */
  public int port() {
    HttpServer s = server;
    if (s == null) {
      throw new IllegalStateException("simulator not started");
    }
    return s.actualPort();
  }

  /** {@code http://127.0.0.1:<port>/<providerId>}: the provider's base URL. */
  public String baseUrl(String providerId) {
    return origin() + "/" + dialect(providerId).id();
  }

  /** The bearer key the provider accepts. */
  public String apiKey(String providerId) {
    dialect(providerId);
    return options.apiKey();
  }

  /** Global faults applied to every new job and call. */
  public SimulatorFaults faults() {
    return faults;
  }

  /** Snapshots of the provider's jobs, oldest first. */
  public List<SimJob> jobs(String providerId) {
    return store.jobs(dialect(providerId).id()).stream().map(JobRecord::snapshot).toList();
  }

  public Optional<SimJob> job(String providerId, String taskId) {
    return Optional.ofNullable(store.job(dialect(providerId).id(), taskId)).map(JobRecord::snapshot);
  }

  /** Requests received on the provider's submit endpoint (whatever their answer). */
  public int submitCalls(String providerId) {
    return store.submitCalls(dialect(providerId).id());
  }

  /** Requests received on the provider's status endpoint (whatever their answer). */
  public int statusCalls(String providerId) {
    return store.statusCalls(dialect(providerId).id());
  }

  public int statusCalls(String providerId, String taskId) {
    return store.statusCalls(dialect(providerId).id(), taskId);
  }

  /** Every callback POST attempt of the provider, in the order their outcome was known. */
  public List<WebhookAttempt> webhookAttempts(String providerId) {
    return store.attempts(dialect(providerId).id());
  }

  /** The callback attempts for one job. */
  public List<WebhookAttempt> webhookAttempts(String providerId, String taskId) {
    return webhookAttempts(providerId).stream().filter(a -> a.taskId().equals(taskId)).toList();
  }

  /**
   * The provider's webhook retry delays, unscaled (the simulator waits {@code options().scale(delay)}); the number
   * of retries after the first attempt is the size of the list.
   */
  public List<Duration> webhookRetryDelays(String providerId) {
    return dialect(providerId).webhookRetryDelays();
  }

  /**
   * Forces a job terminal now (success, or failure with {@code errorCode}, null for the provider's default); its
   * callbacks then follow as usual. No-op when the job is already terminal.
   *
   * @throws IllegalArgumentException when there is no such job
   */
  public void finishNow(String providerId, String taskId, boolean success, String errorCode) {
    JobRecord job = store.job(dialect(providerId).id(), taskId);
    if (job == null) {
      throw new IllegalArgumentException("no job " + taskId + " at " + providerId);
    }
    runner.finish(job, success, errorCode);
  }

  /**
   * Puts the provider into maintenance for this long (real time; zero or null ends it): every submit is refused
   * with the provider's own maintenance answer (503; kling's {@code MAINTENANCE}).
   */
  public void maintenance(String providerId, Duration window) {
    conditions.maintenance(dialect(providerId).id(), window);
  }

  /** While true, every submit to the provider is refused for insufficient balance (402 in its shape). */
  public void insufficientBalance(String providerId, boolean empty) {
    conditions.insufficientBalance(dialect(providerId).id(), empty);
  }

  /** The provider no longer serves this model (its own name for it): a submit for it is "model not found". */
  public void retireModel(String providerId, String model) {
    conditions.retireModel(dialect(providerId).id(), model);
  }

  /** The provider's maintenance window, balance and retired models, as {@code /_sim/providers/{id}} shows them. */
  public JsonObject conditions(String providerId) {
    return conditions.toJson(dialect(providerId).id());
  }

  void applyConditions(String providerId, JsonObject body) {
    conditions.apply(dialect(providerId).id(), body);
  }

  /**
   * Forgets every job, counter and webhook attempt, clears the faults and the providers' conditions, and stops
   * pending timers and retries.
   */
  public void reset() {
    timers.cancelAll();
    store.clear();
    faults.clear();
    conditions.clear();
  }

  /** Stops the server and every pending job and callback (jobs and attempts stay readable). */
  public Future<Void> close() {
    store.newEpoch();
    timers.cancelAll();
    HttpServer s = server;
    Future<Void> closed = s == null ? Future.succeededFuture() : s.close();
    return closed.eventually(() -> {
      client.close();
      return Future.succeededFuture();
    });
  }

  private ProviderDialect dialect(String providerId) {
    ProviderDialect d = providerId == null ? null : dialects.get(providerId);
    if (d == null) {
      throw new IllegalArgumentException("unknown provider: " + providerId + " (known: " + PROVIDERS + ")");
    }
    return d;
  }
}
