package io.genorch.orchestrator.submission;

import io.genorch.common.ServiceContext;
import io.genorch.common.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * Submits accepted generations: at once when the API wakes it, and by a periodic sweep that also picks up what a
 * stopped instance left (never sent, or sent without an answer) and retries that were waiting for their time.
 */
public final class SubmissionVerticle extends VerticleBase {

  private final ServiceContext ctx;
  private final Submitter submitter;
  private final Duration sweepInterval;
  private final int batchSize;
  private boolean sweeping;

  public SubmissionVerticle(ServiceContext ctx) {
    this.ctx = ctx;
    SubmissionOptions options = SubmissionOptions.from(ctx.config());
    this.submitter = new Submitter(ctx, options.backoff(), options.sendLease());
    this.sweepInterval = options.sweepInterval();
    this.batchSize = options.batchSize();
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(sweepInterval.toMillis(), t -> sweep());
    vertx.setPeriodic(Duration.ofMinutes(10).toMillis(), t -> ctx.gate().prune());
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.SUBMISSION_WAKE,
        m -> submitter.submit(m.body().getString("id"))).completion();
  }

  private void sweep() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    submitter.sweep(batchSize).onComplete(ar -> sweeping = false);
  }
}
