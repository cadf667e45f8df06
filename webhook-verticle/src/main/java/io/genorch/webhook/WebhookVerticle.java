package io.genorch.webhook;

import io.genorch.common.ServiceContext;
import io.genorch.common.http.InvalidRequests;
import io.genorch.common.http.ConnectionGuard;
import io.genorch.common.work.LeasedWorkLoop;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provider webhooks (docs/API.md section 2) on their own port, so that only this faces the internet:
 * {@code POST /webhooks/{provider}/{token}} and, for providers that append a segment,
 * {@code POST /webhooks/{provider}/{token}/callback}. {@link WebhookIngest} stores and acknowledges;
 * a {@link LeasedWorkLoop} running {@link DeliveryWorker} with {@link DeliveryProcessor} applies what was stored.
 */
public final class WebhookVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookVerticle.class);

  private final ServiceContext ctx;
  private final int port;
  private final WebhookOptions options;
  private LeasedWorkLoop<Delivery> deliveries;
  private int actualPort;

  /** Options from the service configuration ({@link WebhookOptions#from}). */
  public WebhookVerticle(ServiceContext ctx, int port) {
    this(ctx, port, WebhookOptions.from(ctx.config()));
  }

  public WebhookVerticle(ServiceContext ctx, int port, WebhookOptions options) {
    this.ctx = ctx;
    this.port = port;
    this.options = options;
  }

  @Override
  public Future<?> start() {
    deliveries = new LeasedWorkLoop<>(vertx, DeliveryWorker.loopOptions(options),
        new DeliveryWorker(ctx.pool(), new DeliveryProcessor(ctx, options, context)));
    WebhookIngest ingest = new WebhookIngest(ctx, context, options.processDeliveries() ? deliveries::wake : () -> { }, options.trustForwarded());

    Router router = Router.router(vertx);
    // 503, not a 4xx: a provider whose delivery was cut short must retry it (apimart stops at the first 4xx)
    router.route("/webhooks/*").handler(TimeoutHandler.create(30_000, 503));
    BodyHandler body = BodyHandler.create(false).setBodyLimit(WebhookIngest.MAX_BODY_BYTES);
    for (String path : new String[] {"/webhooks/:provider/:token", "/webhooks/:provider/:token/callback"}) {
      // two routes, because the router runs a body handler before any other on its route: admission (provider,
      // source address) must come before the body is read
      router.post(path).handler(ingest::admit).failureHandler(ingest::failure);
      router.post(path).handler(body).handler(ingest::accept).failureHandler(ingest::failure);
    }
    router.route().failureHandler(ingest::failure);
    for (int status : new int[] {404, 405, 413}) {
      router.errorHandler(status, ingest::failure);
    }
    // the router's own 400: a path that does not decode (a malformed percent-escape), found before any route runs
    router.errorHandler(400, rc -> WebhookRefusal.invalid("the request could not be read").answer(rc.response()));

    ctx.providerSettings().values().forEach(s -> {
      if (s.confirmWebhooks() || ingest.allowlist(s.id()).restricts()) {
        LOG.info("Webhooks of {}: confirm={} allowed sources={}", s.id(), s.confirmWebhooks(), ingest.allowlist(s.id()));
      }
    });
    // this port faces the internet: connections that go quiet are closed, slow headers and bodies are cut short
    // and the number of connections is bounded (ConnectionGuard)
    HttpServer http = ConnectionGuard.createServer(vertx, new HttpServerOptions().setCompressionSupported(false).setIdleTimeout(60),
            ConnectionGuard.Limits.from(ctx.config()), "webhook", router);
    return InvalidRequests.answerAsJson(http)
        .listen(port)
        .onSuccess(listening -> {
          actualPort = listening.actualPort();
          if (options.processDeliveries()) {
            deliveries.start();
          }
          LOG.info("Provider webhooks listening on port {}{}", actualPort,
              options.processDeliveries() ? "" : " (ingest only: ORCH_WEBHOOK_PROCESS=false)");
        });
  }

  @Override
  public Future<?> stop() {
    // drains the round in flight: what it claimed and did not finish is due again when its lease runs out
    return deliveries == null ? Future.succeededFuture() : deliveries.stop();
  }

  /** The port bound (useful when started on port 0). */
  public int actualPort() {
    return actualPort;
  }
}
