package io.genorch.orchestrator;

import io.genorch.common.ServiceContext;
import io.genorch.orchestrator.callbacks.ClientCallbackVerticle;
import io.genorch.orchestrator.submission.SubmissionVerticle;
import io.genorch.poller.PollerVerticle;
import io.genorch.webhook.WebhookVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * The background verticles: submission to providers, webhook ingestion, reconciliation by polling, client callbacks,
 * and retention.
 */
final class Verticles {

  private Verticles() {}

  static List<Future<String>> deployWorkers(Vertx vertx, ServiceContext c, WebhookVerticle webhook) {
    return List.of(
        vertx.deployVerticle(new SubmissionVerticle(c)),
        vertx.deployVerticle(webhook),
        vertx.deployVerticle(new PollerVerticle(c)),
        vertx.deployVerticle(new ClientCallbackVerticle(c)),
        vertx.deployVerticle(new RetentionVerticle(c)));
  }
}
