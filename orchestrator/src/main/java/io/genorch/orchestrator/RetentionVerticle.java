package io.genorch.orchestrator;

import io.genorch.common.ServiceContext;
import io.genorch.common.persistence.RetentionJob;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the {@link RetentionJob} every ORCH_RETENTION_INTERVAL_S on this instance, one pass at a time. */
final class RetentionVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RetentionVerticle.class);

  private final RetentionJob job;
  private final Duration interval;
  private boolean running;

  RetentionVerticle(ServiceContext ctx) {
    this.job = RetentionJob.fromConfig(ctx.pool(), ctx.config());
    this.interval = ctx.config().retentionInterval();
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(interval.toMillis(), t -> runOnce());
    return Future.succeededFuture();
  }

  private void runOnce() {
    if (running) {
      return; // a long pass (a first run over a large backlog) is still deleting
    }
    running = true;
    job.run().onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        LOG.warn("Retention pass failed, retried in {} s: {}", interval.toSeconds(), ar.cause().toString());
      } else if (ar.result().values().stream().anyMatch(n -> n > 0)) {
        LOG.info("Retention deleted {}", ar.result());
      }
    });
  }
}
