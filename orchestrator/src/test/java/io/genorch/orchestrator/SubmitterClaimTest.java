package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.genorch.common.ServiceContext;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.orchestrator.submission.SubmitBackoff;
import io.genorch.orchestrator.submission.Submitter;
import io.genorch.common.persistence.GenerationStore.AbandonedSubmission;
import io.genorch.common.persistence.ProviderGate;
import io.genorch.common.work.LeasedWorkLoop;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the submitter does between claiming a generation and writing its request, round by round: its two loops are
 * started with a sweep too slow to matter and woken by the test.
 */
class SubmitterClaimTest {

  private static final Duration LEASE = Duration.ofSeconds(1);

  @RegisterExtension
  final SubmitterContext fixture = new SubmitterContext().set("ORCH_PROVIDER_VIDGO_MAX_RPM", "2");
  private TestDatabase db;
  private SimulatedProviders providers;
  private Vertx vertx;
  private ServiceContext ctx;
  private final AtomicLong permitsAsked = new AtomicLong();
  private LeasedWorkLoop<Submitter.Claim> sending;
  private LeasedWorkLoop<AbandonedSubmission> abandoned;

  @BeforeEach
  void start() {
    db = fixture.db();
    providers = fixture.providers();
    vertx = fixture.vertx();
    ServiceContext created = fixture.ctx();
    // the service's gate, but counting what it is asked: each permit asked for reads the provider's budget once
    ctx = fixture.withGate(new ProviderGate(created.pool(), provider -> {
      permitsAsked.incrementAndGet();
      return created.settings(provider).maxRpm();
    }, provider -> created.settings(provider).maxInFlight()));
  }


  /** Starts the two loops with a sweep too slow to matter and waits out the rounds start() runs at once. */
  private void startLoops(int concurrency) {
    Submitter submitter = new Submitter(ctx, new SubmitBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 3), LEASE);
    sending = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("submission", 10, concurrency, LEASE,
        Duration.ofHours(1)), submitter);
    abandoned = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("submission-abandoned", 10, concurrency, LEASE,
        Duration.ofHours(1)), submitter.abandoned(() -> {}));
    sending.start();
    abandoned.start();
    sending.wakeAndAwaitIdle().await();
    abandoned.wakeAndAwaitIdle().await();
  }

  /** What a sweep of the service does: a round of each loop, the abandoned work first. */
  private LeasedWorkLoop.Stats sweep() {
    abandoned.wakeAndAwaitIdle().await();
    return sending.wakeAndAwaitIdle().await();
  }


  private String create(String prompt) {
    return ctx.store().create(SubmitterContext.request(prompt), null)
        .await().generation().id();
  }

  private long ambiguousEvents(String id) {
    return db.count("SELECT count(*) FROM generation_events WHERE generation_id = '" + id + "' AND type = 'submit_failed'"
        + " AND (detail ->> 'ambiguous')::boolean");
  }

  private Generation sweepUntilSubmitted(String id) {
    return Await.until(id + " to be submitted", Duration.ofSeconds(10), () -> {
      sweep();
      return ctx.store().find(id).await().orElseThrow();
    }, g -> g.status() != GenerationStatus.QUEUED);
  }

  @Test
  void whenTheGateCannotBeAskedTheClaimGoesBackAndIsSentLaterNeverAmbiguous() throws Exception {
    startLoops(4);
    String id = create("the gate's table is away");
    db.execute("ALTER TABLE provider_permit_slots RENAME TO provider_permit_slots_away");
    try {
      LeasedWorkLoop.Stats round = sweep();
      assertEquals(1, round.failed(), "no permit could be had: the send failed, nothing was sent: " + round);
      // sweeps for well over the claim's lease: what was never sent must not be settled as ambiguous
      long until = System.nanoTime() + LEASE.multipliedBy(3).toNanos();
      Await.until("three leases of sweeps", LEASE.multipliedBy(6), () -> {
        sweep();
        return System.nanoTime();
      }, now -> now - until >= 0);
      assertEquals(0, ambiguousEvents(id));
      assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND status = 'queued'"
          + " AND submit_state = 'pending' AND submit_attempts = 0"), "queued, pending, no attempt counted");
      assertEquals(0, providers.simulator.submitCalls("vidgo"));
    } finally {
      db.execute("ALTER TABLE provider_permit_slots_away RENAME TO provider_permit_slots");
    }

    Generation sent = sweepUntilSubmitted(id);
    assertEquals(GenerationStatus.SUBMITTED, sent.status());
    assertNotNull(sent.providerTaskId(), "sent and answered, not taken for ambiguous");
    assertEquals(0, ambiguousEvents(id));
    assertEquals(1, providers.simulator.submitCalls("vidgo"));
  }

  @Test
  void aClaimLeftByAStoppedInstanceBeforeSendingIsSentNotAmbiguous() {
    startLoops(4);
    String id = create("claimed, then the instance stopped");
    // what an instance leaves when it stops between its claim and the request: the lease ran out
    db.execute("UPDATE generations SET submit_state = 'claimed', submit_attempts = 1,"
        + " next_submit_at = now() - interval '1 second' WHERE id = '" + id + "'");

    Generation sent = sweepUntilSubmitted(id);
    assertEquals(GenerationStatus.SUBMITTED, sent.status());
    assertNotNull(sent.providerTaskId());
    assertEquals(0, ambiguousEvents(id));
  }

  @Test
  void aSendLeftByAStoppedInstanceIsSettledAsAmbiguousAndNotSentAgain() {
    startLoops(4);
    String id = create("sending, then the instance stopped");
    db.execute("UPDATE generations SET submit_state = 'sending', submit_attempts = 1,"
        + " next_submit_at = now() - interval '1 second' WHERE id = '" + id + "'");

    Generation settled = sweepUntilSubmitted(id);
    assertEquals(GenerationStatus.SUBMITTED, settled.status());
    assertEquals(null, settled.providerTaskId());
    assertEquals(1, ambiguousEvents(id));
    assertEquals(0, providers.simulator.submitCalls("vidgo"));
  }

  @Test
  void aRoundAsksForAPermitOnceAfterARefusalAndTheProviderIsNotClaimedForUntilItsBudgetMayBeBack() {
    startLoops(1);
    db.execute("UPDATE provider_permit_slots SET used_at = '-infinity' WHERE provider = 'vidgo'");
    for (int i = 0; i < 6; i++) {
      create("budget " + i);
    }
    long started = System.nanoTime();
    LeasedWorkLoop.Stats first = sweep();
    assertEquals(6, first.claimed(), "one statement claimed them all: " + first);
    assertEquals(2, providers.simulator.submitCalls("vidgo"), "ORCH_PROVIDER_VIDGO_MAX_RPM=2");
    assertEquals(3, gateAsked(), "two permits, then one refusal: the rest of the round did not ask");
    assertEquals(4, db.count("SELECT count(*) FROM generations WHERE status = 'queued' AND submit_state = 'pending'"
        + " AND submit_attempts = 0 AND next_submit_at > now()"),
        "the claims not sent were given back, due again in a second, no attempt counted");

    db.execute("UPDATE generations SET next_submit_at = now() WHERE status = 'queued'");
    LeasedWorkLoop.Stats second = sweep();
    // the refusal came after `started`: a claim before started + 1 s is within the second vidgo is left alone
    assumeTrue(System.nanoTime() - started < Duration.ofSeconds(1).toNanos(), "too slow a machine to tell");
    assertEquals(first.claimed(), second.claimed(), "vidgo, refused a moment ago, is not claimed for: " + second);
    assertEquals(3, gateAsked());
  }

  /** Permits asked of the gate, granted or not. */
  private long gateAsked() {
    return permitsAsked.get();
  }
}
