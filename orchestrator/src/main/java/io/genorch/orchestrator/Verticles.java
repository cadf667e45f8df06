package io.genorch.orchestrator;

import io.genorch.common.ServiceContext;
import io.genorch.orchestrator.callbacks.CallbackOptions;
import io.genorch.orchestrator.callbacks.ClientCallbackVerticle;
import io.genorch.orchestrator.submission.SubmissionVerticle;
import io.genorch.poller.PollerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/** The background verticles: submission to providers, reconciliation by polling, client callbacks, retention. */
final class Verticles {

  private Verticles() {}

  static List<Future<String>> deployWorkers(Vertx vertx, ServiceContext c, CallbackOptions callbacks) {
    return List.of(
        vertx.deployVerticle(new SubmissionVerticle(c)),
        vertx.deployVerticle(new PollerVerticle(c)),
        vertx.deployVerticle(new ClientCallbackVerticle(c, callbacks)),
        vertx.deployVerticle(new RetentionVerticle(c)));
  }
}
