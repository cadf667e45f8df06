package io.genorch.poller;

import io.genorch.common.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net under webhooks: every ORCH_POLL_INTERVAL_MS it claims the submitted and processing generations
 * whose check is due (their callback is overdue, or their previous check asked to look again) and asks their
 * provider, or times them out at their deadline. A full batch is followed by another claim at once, so a backlog
 * drains at the speed of the providers rather than one batch per tick. Several instances share the work through
 * the database (see {@link PollerSql#CLAIM_DUE}); nothing is queued in memory.
 *
 * <p>Queued generations that were never sent are not the poller's: the submission verticle's sweep picks up
 * both the ones due for (re)submission and the sends abandoned by a stopped instance.
 */
public final class PollerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PollerVerticle.class);

  private final ServiceContext ctx;
  private final PollerOptions options;
  private Reconciler reconciler;
  private long timer = -1;
  private boolean running;

  /** Options from the service configuration ({@link PollerOptions#from}). */
  public PollerVerticle(ServiceContext ctx) {
    this(ctx, PollerOptions.from(ctx.config()));
  }

  public PollerVerticle(ServiceContext ctx, PollerOptions options) {
    this.ctx = ctx;
    this.options = options;
  }

  @Override
  public Future<?> start() {
    reconciler = new Reconciler(ctx, options);
    timer = vertx.setPeriodic(options.interval().toMillis(), t -> tick());
    LOG.info("Poller: every {} ms, batches of {}, lease {} ms, {} checks in flight, backoff {} ms doubling to {} ms",
        options.interval().toMillis(), options.batchSize(), options.lease().toMillis(), options.concurrency(),
        options.backoff().base().toMillis(), options.backoff().cap().toMillis());
    tick();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    reconciler.stop();
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  /** Status calls this instance made to providers (for tests and metrics). */
  public long statusChecks() {
    return reconciler == null ? 0 : reconciler.statusChecks();
  }

  private void tick() {
    if (running) {
      return; // the round in progress claims again itself if there is more
    }
    running = true;
    round();
  }

  private void round() {
    reconciler.round().onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("Claiming due generations failed; the next tick tries again: {}", ar.cause().toString());
      }
      if (ar.succeeded() && ar.result() >= options.batchSize() && !reconciler.stopped()) {
        round();
      } else {
        running = false;
      }
    });
  }
}
