package io.genorch.webhook;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.persistence.GenerationStore.TimelineEntry;
import io.genorch.common.provider.ProviderSpec;
import io.genorch.common.provider.SubmitResult;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A webhook verticle on a test database, and the arrangements the tests share. */
final class WebhookHarness {

  /** Fast sweeps and short waits, so background behaviour shows within a test. */
  static WebhookOptions fastOptions(OrchConfig config) {
    return WebhookOptions.from(config.with(Map.of(
        "ORCH_WEBHOOK_SWEEP_MS", "100",
        "ORCH_WEBHOOK_RETRY_BASE_MS", "100",
        "ORCH_WEBHOOK_RETRY_CAP_MS", "400")));
  }

  /** A generation bound to a callback token, as the submitter leaves it. */
  record Arranged(String id, String provider, String token) {}

  final Vertx vertx;
  final TestDatabase db;
  final ServiceContext ctx;
  final WebClient http;
  final WebhookVerticle verticle;

  private WebhookHarness(Vertx vertx, TestDatabase db, ServiceContext ctx, WebhookVerticle verticle) {
    this.vertx = vertx;
    this.db = db;
    this.ctx = ctx;
    this.verticle = verticle;
    this.http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
  }

  static WebhookHarness start(Vertx vertx, TestDatabase db, Map<String, String> env) {
    OrchConfig config = OrchConfig.of(env);
    return start(vertx, db, config, fastOptions(config));
  }

  static WebhookHarness start(Vertx vertx, TestDatabase db, OrchConfig config, WebhookOptions options) {
    ServiceContext ctx = ServiceContext.create(vertx, db.open(), config);
    WebhookVerticle verticle = new WebhookVerticle(ctx, 0, options);
    Await.result(vertx.deployVerticle(verticle));
    return new WebhookHarness(vertx, db, ctx, verticle);
  }

  /** Every simulated provider, with a provider timeout short enough for the fault tests. */
  static Map<String, String> env(SimulatedProviders providers) {
    Map<String, String> env = new HashMap<>(providers.enableAll());
    env.put("ORCH_PROVIDER_TIMEOUT_MS", "5000");
    return env;
  }

  static String seed(String name) {
    return io.genorch.common.testing.Seeds.text(name);
  }

  int port() {
    return verticle.actualPort();
  }

  String url(String provider, String token) {
    return "http://127.0.0.1:" + port() + "/webhooks/" + provider + "/" + token;
  }

  GenerationRequest request(String provider, String prompt) {
    ProviderSpec spec = ctx.adapter(provider).spec();
    return new GenerationRequest(provider, spec.defaultModel(), prompt, null, "9:16", spec.defaultDuration(), null, null, null);
  }

  /** A queued generation with a bound token and no task yet: the state just before the submit request leaves. */
  Arranged arrange(String provider) {
    return arrange(request(provider, "a lighthouse in a storm"));
  }

  Arranged arrange(GenerationRequest request) {
    String id = Await.result(ctx.store().create(request, null)).generation().id();
    String token = WebhookTokens.newToken();
    addToken(id, token, 0);
    return new Arranged(id, request.provider(), token);
  }

  /** Records a callback token for a submit attempt of the generation, as the submitter's claim does. */
  void addToken(String id, String token, int attempt) {
    db.execute("INSERT INTO webhook_tokens (token_hash, generation_id, attempt) VALUES (decode('"
        + HexFormat.of().formatHex(WebhookTokens.hash(token)) + "', 'hex'), '" + id + "', " + attempt + ")");
  }

  /** A generation submitted as {@code taskId}, as the submitter leaves it once the provider answered. */
  Arranged arrangeSubmitted(String provider, String taskId) {
    Arranged arranged = arrange(provider);
    bindTask(arranged.id(), taskId);
    return arranged;
  }

  /**
   * Does what the submitter does: binds a token, sends the generation to the provider with its callback URL, and
   * applies the provider's answer. Returns the arranged generation and the provider's task id.
   */
  Submitted submit(String provider, String prompt) {
    GenerationRequest request = request(provider, prompt);
    Arranged arranged = arrange(request);
    SubmitResult result = Await.result(ctx.providerClient().submit(
        ctx.adapter(provider), ctx.settings(provider), request, url(provider, arranged.token())));
    if (!(result instanceof SubmitResult.Accepted accepted)) {
      throw new AssertionError(provider + " did not accept the submission: " + result);
    }
    Await.result(ctx.store().apply(arranged.id(), Change.fromOutcome(Source.SUBMIT, accepted.outcome(), new JsonObject())));
    return new Submitted(arranged, accepted.outcome().providerTaskId());
  }

  record Submitted(Arranged generation, String taskId) {
    String id() {
      return generation.id();
    }
  }

  void bindTask(String id, String taskId) {
    Await.result(ctx.store().apply(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, taskId, null, null, null, null, null, null)));
  }

  HttpResponse<Buffer> deliver(Arranged to, String body) {
    return post("/webhooks/" + to.provider() + "/" + to.token(), body);
  }

  HttpResponse<Buffer> post(String path, String body) {
    return Await.result(sendPost(path, Buffer.buffer(body)));
  }

  Future<HttpResponse<Buffer>> sendPost(String path, Buffer body) {
    return http.post(port(), "127.0.0.1", path).putHeader("Content-Type", "application/json").sendBuffer(body);
  }

  Generation generation(String id) {
    return Await.result(ctx.store().find(id)).orElseThrow();
  }

  Generation awaitGeneration(String id, Predicate<Generation> done) {
    return Await.until("generation " + id, () -> generation(id), done);
  }

  Generation awaitStatus(String id, GenerationStatus status) {
    return awaitGeneration(id, g -> g.status() == status);
  }

  List<TimelineEntry> timeline(String id) {
    return Await.result(ctx.store().timeline(id)).orElseThrow();
  }

  List<String> timelineTypes(String id) {
    return timeline(id).stream().map(TimelineEntry::type).toList();
  }

  long timelineCount(String id, String type) {
    return timelineTypes(id).stream().filter(type::equals).count();
  }

  long deliveries(String id) {
    return db.count("SELECT count(*) FROM webhook_deliveries WHERE generation_id = '" + id + "'");
  }

  long unprocessedDeliveries(String id) {
    return db.count("SELECT count(*) FROM webhook_deliveries WHERE generation_id = '" + id + "' AND processed_at IS NULL");
  }

  /** Waits until every stored delivery of the generation is processed, and returns their outcomes in order. */
  List<String> awaitProcessed(String id) {
    Await.until("deliveries of " + id + " processed", () -> unprocessedDeliveries(id), n -> n == 0);
    return outcomes(id);
  }

  List<String> outcomes(String id) {
    try (var c = db.connect(); var st = c.prepareStatement(
        "SELECT coalesce(outcome, '-') FROM webhook_deliveries WHERE generation_id = ? ORDER BY id")) {
      st.setString(1, id);
      try (var rs = st.executeQuery()) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        while (rs.next()) {
          out.add(rs.getString(1));
        }
        return out;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonObject json(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject();
  }
}
