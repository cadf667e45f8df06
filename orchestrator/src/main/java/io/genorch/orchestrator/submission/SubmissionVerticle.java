package io.genorch.orchestrator.submission;

import io.genorch.common.ServiceContext;
import io.genorch.common.bus.Addresses;
import io.genorch.common.persistence.GenerationStore.AbandonedSubmission;
import io.genorch.common.work.LeasedWorkLoop;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Submits accepted generations on two {@link LeasedWorkLoop}s. {@code submission} claims due queued generations in
 * batches of ORCH_SUBMIT_BATCH_SIZE and sends up to ORCH_SUBMIT_CONCURRENCY at once; each accept wakes it (wakes
 * are coalesced; the next batch is claimed while the previous one's sends are still in flight), and a
 * sweep every ORCH_SUBMIT_SWEEP_MS finds retries whose time has come and what other instances accepted.
 * {@code submission-abandoned} picks up what a stopped instance left: claims never sent go back to pending, sends
 * never answered are settled as ambiguous.
 */
public final class SubmissionVerticle extends VerticleBase {

  private final ServiceContext ctx;
  private final SubmissionOptions options;
  private final int concurrency;
  private LeasedWorkLoop<Submitter.Claim> sending;
  private LeasedWorkLoop<AbandonedSubmission> abandoned;

  public SubmissionVerticle(ServiceContext ctx) {
    this.ctx = ctx;
    this.options = SubmissionOptions.from(ctx.config());
    this.concurrency = ctx.config().submitConcurrency();
  }

  @Override
  public Future<?> start() {
    Submitter submitter = new Submitter(ctx, options.backoff(), options.sendLease());
    // claiming ahead: a round's slow send (up to the provider timeout) must not hold back the next claim, of this
    // provider's other lanes or of the other providers
    sending = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("submission", options.batchSize(), concurrency,
        options.sendLease(), options.sweepInterval(), true), submitter);
    abandoned = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("submission-abandoned", options.batchSize(),
        concurrency, options.sendLease(), options.sweepInterval()), submitter.abandoned(sending::wake));
    ctx.metrics().workLoop(sending);
    ctx.metrics().workLoop(abandoned);
    sending.start();
    abandoned.start();
    return vertx.eventBus().localConsumer(Addresses.SUBMISSION_WAKE, m -> sending.wake()).completion();
  }

  /**
   * Starts nothing new and completes when the sends in flight have their outcome recorded. Claims of the round
   * that were not started yet go back to pending when their lease runs out.
   */
  @Override
  public Future<?> stop() {
    return Future.join(sending.stop(), abandoned.stop());
  }
}
