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
    var config = ctx.config();
    SubmitBackoff backoff = new SubmitBackoff(
        Duration.ofMillis(config.getLong("ORCH_SUBMIT_BACKOFF_MS", 2_000)),
        Duration.ofMillis(config.getLong("ORCH_SUBMIT_BACKOFF_CAP_MS", 60_000)),
        config.getInt("ORCH_SUBMIT_MAX_ATTEMPTS", 6));
    // a request in flight is presumed lost only after the provider call's deadline has passed
    this.submitter = new Submitter(ctx, backoff, config.providerCallLease());
    this.sweepInterval = Duration.ofMillis(config.getLong("ORCH_SUBMIT_SWEEP_MS", 1_000));
    this.batchSize = config.getInt("ORCH_SUBMIT_BATCH_SIZE", 50);
    this.concurrency = config.submitConcurrency();
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
