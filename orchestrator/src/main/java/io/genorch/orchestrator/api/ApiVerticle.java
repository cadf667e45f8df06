package io.genorch.orchestrator.api;

import io.genorch.common.outputs.OutputStore;
import io.genorch.common.http.ConnectionGuard;
import io.genorch.common.persistence.GenerationStore;
import io.genorch.common.http.InvalidRequests;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The client HTTP API of docs/API.md section 1, plus health, metrics and the OpenAPI document. */
public final class ApiVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ApiVerticle.class);
  public static final int MAX_BODY_BYTES = 1024 * 1024;

  private final GenerationService service;
  private final GenerationStore store;
  private final ApiKeys apiKeys;
  private final ClientRateLimit rateLimit;
  private final int port;
  private final boolean metricsEnabled;
  private final OutputDownloads outputs;
  private final ConnectionGuard.Limits connectionLimits;
  private int actualPort;
  private FaultLog faults;

  /** @param maxRequestsPerSecond per API key on this instance; 0 for no limit */
  /** @param outputStore the kept copies of outputs; null when ORCH_STORAGE=off */
  public ApiVerticle(GenerationService service, GenerationStore store, ApiKeys apiKeys, int port, boolean metricsEnabled,
      int maxRequestsPerSecond, ConnectionGuard.Limits connectionLimits, OutputStore outputStore,
      boolean presignedRedirect) {
    this.connectionLimits = connectionLimits;
    this.outputs = new OutputDownloads(service, outputStore, presignedRedirect);
    this.rateLimit = maxRequestsPerSecond > 0 ? new ClientRateLimit(maxRequestsPerSecond) : null;
    this.service = service;
    this.store = store;
    this.apiKeys = apiKeys;
    this.port = port;
    this.metricsEnabled = metricsEnabled;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    HealthCheckHandler live = HealthCheckHandler.create(vertx);
    live.register("process", p -> p.complete(Status.OK()));
    HealthCheckHandler ready = HealthCheckHandler.create(vertx);
    ready.register("database", 2_000, p -> store.ping().onComplete(
        ok -> p.complete(Status.OK()), err -> p.complete(Status.KO(new JsonObject().put("error", String.valueOf(err.getMessage()))))));
    router.get("/health/live").handler(live);
    router.get("/health/ready").handler(ready);
    if (metricsEnabled) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create());
    }
    Buffer openApi = vertx.fileSystem().readFileBlocking("openapi.json");
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(openApi));

    router.route("/v1/*").handler(apiKeys);
    if (rateLimit != null) {
      router.route("/v1/*").handler(rateLimit);
    }
    // Vert.x wants the body handler first on a route (no file uploads: nothing lands on disk); the content type is checked right after
    router.post("/v1/generations").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES)).handler(ApiVerticle::requireJson).handler(this::create);
    router.get("/v1/generations").handler(this::list);
    router.get("/v1/generations/:id").handler(this::get);
    router.get("/v1/generations/:id/events").handler(this::timeline);
    router.get("/v1/generations/:id/outputs/:index").handler(outputs);
    router.get("/v1/providers").handler(ctx -> service.providers().onSuccess(p -> ok(ctx, 200, p)).onFailure(ctx::fail));
    router.get("/v1/models").handler(ctx -> service.models().onSuccess(m -> ok(ctx, 200, m)).onFailure(ctx::fail));
    router.get("/v1/events").handler(this::lifecycleEvents);

    router.route().failureHandler(this::failure);
    router.errorHandler(400, ApiVerticle::badRequest);
    router.errorHandler(404, ctx -> error(ctx, new ApiException(404, "not_found", "no such resource", null)));
    router.errorHandler(405, ctx -> error(ctx, new ApiException(405, "method_not_allowed", "method not allowed here", null)));
    router.errorHandler(413, ctx -> error(ctx, new ApiException(413, "payload_too_large", "request bodies are limited to 1 MiB", null)));
    faults = new FaultLog(vertx, store);

    HttpServer server = ConnectionGuard.createServer(vertx, new HttpServerOptions().setIdleTimeout(60), connectionLimits,
        "client API", router);
    return InvalidRequests.answerAsJson(server).listen(port).onSuccess(listening -> {
      actualPort = listening.actualPort();
      LOG.info("Client API listening on port {}", actualPort);
    });
  }

  public int actualPort() {
    return actualPort;
  }

  private static void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase().startsWith("application/json")) {
      ctx.fail(new ApiException(415, "unsupported_media_type", "Content-Type must be application/json", null));
      return;
    }
    ctx.next();
  }

  private void create(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ClientJson.parseObject(ctx.body().buffer());
    } catch (ApiException e) {
      ctx.fail(e);
      return;
    }
    service.create(body, Set.of(), ctx.request().getHeader("Idempotency-Key"), ctx.get(ApiKeys.CALLER_SCOPE))
        .onSuccess(accepted -> {
          ctx.response().putHeader("Location", "/v1/generations/" + accepted.generation().id());
          ok(ctx, accepted.replayed() ? 200 : 202, accepted.generation().toJson());
        })
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    service.get(ctx.pathParam("id")).onSuccess(g -> ok(ctx, 200, g.toJson())).onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    var q = ctx.queryParams();
    service.list(q.get("status"), q.get("provider"), q.get("limit"), q.get("cursor"))
        .onSuccess(page -> ok(ctx, 200, page)).onFailure(ctx::fail);
  }

  private void timeline(RoutingContext ctx) {
    service.timeline(ctx.pathParam("id")).onSuccess(t -> ok(ctx, 200, t)).onFailure(ctx::fail);
  }

  private void lifecycleEvents(RoutingContext ctx) {
    service.lifecycleEvents(ctx.queryParams().get("after"), ctx.queryParams().get("limit"))
        .onSuccess(e -> ok(ctx, 200, e)).onFailure(ctx::fail);
  }

  /** Router-level 400s: the path or query string did not decode (a malformed percent-escape), or something else. */
  private static void badRequest(RoutingContext ctx) {
    if (!decodes(ctx.request().path())) {
      error(ctx, ApiException.invalid("path", "the path has a malformed percent-escape"));
    } else if (!decodes(ctx.request().query())) {
      error(ctx, ApiException.invalid("query", "the query string has a malformed percent-escape"));
    } else {
      error(ctx, new ApiException(400, "invalid_request", "the request could not be read", null));
    }
  }

  private static boolean decodes(String encoded) {
    try {
      URLDecoder.decode(encoded == null ? "" : encoded, StandardCharsets.UTF_8);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      error(ctx, api);
    } else if (failure instanceof ConnectionPoolTooBusyException) {
      // every database connection is busy and ORCH_PG_POOL_WAIT_QUEUE requests already wait for one
      ctx.response().putHeader("Retry-After", "1");
      error(ctx, ApiException.unavailable("the service is at capacity; try again shortly"));
    } else if (ctx.statusCode() == 413) {
      error(ctx, new ApiException(413, "payload_too_large", "request bodies are limited to 1 MiB", null));
    } else if (ctx.statusCode() == 400) {
      badRequest(ctx);
    } else if (ctx.statusCode() > 400 && ctx.statusCode() < 500) {
      error(ctx, new ApiException(ctx.statusCode(), "invalid_request", "the request could not be read", null));
    } else {
      faults.failed(ctx.request().method() + " " + ctx.request().path(), failure);
      error(ctx, ApiException.unavailable("the service could not complete the request; try again"));
    }
  }

  private static void error(RoutingContext ctx, ApiException e) {
    if (!ctx.response().ended()) {
      ok(ctx, e.status(), e.toJson());
    }
  }

  private static void ok(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
