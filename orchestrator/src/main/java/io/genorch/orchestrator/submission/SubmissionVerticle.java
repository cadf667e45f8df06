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
    var config = ctx.config();
    SubmitBackoff backoff = new SubmitBackoff(
        Duration.ofMillis(config.getLong("ORCH_SUBMIT_BACKOFF_MS", 2_000)),
        Duration.ofMillis(config.getLong("ORCH_SUBMIT_BACKOFF_CAP_MS", 60_000)),
        config.getInt("ORCH_SUBMIT_MAX_ATTEMPTS", 6));
    // a request in flight is presumed lost only well after the provider timeout could have answered it
    Duration lease = Duration.ofMillis(config.getLong("ORCH_PROVIDER_TIMEOUT_MS", 30_000)).plusSeconds(30);
    this.submitter = new Submitter(ctx, backoff, lease);
    this.sweepInterval = Duration.ofMillis(config.getLong("ORCH_SUBMIT_SWEEP_MS", 1_000));
    this.batchSize = config.getInt("ORCH_SUBMIT_BATCH_SIZE", 50);
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
