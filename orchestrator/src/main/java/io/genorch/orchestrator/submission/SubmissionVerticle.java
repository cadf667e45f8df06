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
 * Both are bounded by ORCH_SUBMIT_CONCURRENCY: a wake that finds that many submits of wakes running is dropped
 * (the generation is in the database, and the next sweep sends it), and a sweep works through its batch that
 * many at a time.
 */
public final class SubmissionVerticle extends VerticleBase {

  private final ServiceContext ctx;
  private final Submitter submitter;
  private final Duration sweepInterval;
  private final int batchSize;
  private final int concurrency;
  private boolean sweeping;
  private int wakesRunning;

  public SubmissionVerticle(ServiceContext ctx) {
    this.ctx = ctx;
    SubmissionOptions options = SubmissionOptions.from(ctx.config());
    this.submitter = new Submitter(ctx, options.backoff(), options.sendLease());
    this.sweepInterval = options.sweepInterval();
    this.batchSize = options.batchSize();
    this.concurrency = ctx.config().submitConcurrency();
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(sweepInterval.toMillis(), t -> sweep());
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.SUBMISSION_WAKE, m -> wake(m.body().getString("id")))
        .completion();
  }

  private void wake(String id) {
    if (wakesRunning >= concurrency) {
      return; // left to the sweep
    }
    wakesRunning++;
    submitter.submit(id).onComplete(ar -> wakesRunning--);
  }

  private void sweep() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    submitter.sweep(batchSize, concurrency).onComplete(ar -> sweeping = false);
  }
}
