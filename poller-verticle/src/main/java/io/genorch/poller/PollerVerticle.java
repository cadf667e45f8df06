package io.genorch.poller;

import io.genorch.common.ServiceContext;
import io.genorch.common.persistence.GenerationStore.ClaimedCheck;
import io.genorch.common.work.LeasedWorkLoop;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net under webhooks: every ORCH_POLL_INTERVAL_MS it claims the submitted and processing generations
 * whose check is due (their callback is overdue, or their previous check asked to look again) and asks their
 * provider, or times them out at their deadline. A full batch is followed by another claim at once, so a backlog
 * drains at the speed of the providers rather than one batch per tick. Several instances share the work through
 * the database; nothing is queued in memory.
 *
 * <p>Queued generations that were never sent are not the poller's: the submission verticle's sweep picks up
 * both the ones due for (re)submission and the sends abandoned by a stopped instance.
 */
public final class PollerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PollerVerticle.class);

  private final ServiceContext ctx;
  private final PollerOptions options;
  private Reconciler reconciler;
  private LeasedWorkLoop<ClaimedCheck> loop;

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
    reconciler = new Reconciler(ctx, options, context);
    // every claimed generation is in progress at once: their status calls wait for one of the reconciler's
    // ORCH_POLL_CONCURRENCY call slots of their provider, while the answers already in are stored together (one transaction for many)
    loop = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("poller", options.batchSize(), options.batchSize(),
        options.lease(), options.interval()), reconciler);
    ctx.metrics().workLoop(loop);
    LOG.info("Poller: every {} ms, batches of {}, lease {} ms, {} checks in flight per provider,"
        + " backoff {} ms doubling to {} ms",
        options.interval().toMillis(), options.batchSize(), options.lease().toMillis(), options.concurrency(),
        options.backoff().base().toMillis(), options.backoff().cap().toMillis());
    loop.start();
    return Future.succeededFuture();
  }

  /**
   * Starts nothing new, gives up the provider answers still to come (a check in flight may wait for its provider up
   * to the provider timeout, and its claim is due again when its lease runs out anyway) and completes once the
   * writes already under way are done: after it, nothing of this poller touches the database.
   */
  @Override
  public Future<?> stop() {
    reconciler.stop();
    return loop.stop();
  }

  /** The loop's counts (for tests). */
  LeasedWorkLoop.Stats loopStats() {
    return loop.stats();
  }

  /** Status calls this instance made to providers (for tests and metrics). */
  public long statusChecks() {
    return reconciler == null ? 0 : reconciler.statusChecks();
  }
}
