package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.orchestrator.submission.SubmitBackoff;
import io.genorch.orchestrator.submission.Submitter;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the submitter does between claiming a generation and writing its request. */
class SubmitterClaimTest {

  private static final Duration LEASE = Duration.ofSeconds(1);

  private TestDatabase db;
  private SimulatedProviders providers;
  private Vertx vertx;
  private ServiceContext ctx;
  private Submitter submitter;

  @BeforeEach
  void start() {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(30));
    Map<String, String> env = new HashMap<>(providers.enable("vidgo"));
    env.put("ORCH_PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:9");
    env.put("ORCH_PROVIDER_VIDGO_MAX_RPM", "2");
    vertx = Vertx.vertx();
    ctx = ServiceContext.create(vertx, db.open(), OrchConfig.of(env));
    submitter = new Submitter(ctx, new SubmitBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 3), LEASE);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
    providers.close();
    db.close();
  }

  private String create(String prompt) {
    return ctx.store().create(new GenerationRequest("vidgo", "sora-2", prompt, null, "9:16", 10, null, null, null), null)
        .await().generation().id();
  }

  private long ambiguousEvents(String id) {
    return db.count("SELECT count(*) FROM generation_events WHERE generation_id = '" + id + "' AND type = 'submit_failed'"
        + " AND (detail ->> 'ambiguous')::boolean");
  }

  private Generation sweepUntilSubmitted(String id) {
    return Await.until(id + " to be submitted", Duration.ofSeconds(10), () -> {
      submitter.sweep(10, 4).await();
      return ctx.store().find(id).await().orElseThrow();
    }, g -> g.status() != GenerationStatus.QUEUED);
  }

  @Test
  void whenTheGateCannotBeAskedTheClaimGoesBackAndIsSentLaterNeverAmbiguous() throws Exception {
    String id = create("the gate's table is away");
    db.execute("ALTER TABLE provider_permit_slots RENAME TO provider_permit_slots_away");
    try {
      assertFalse(submitter.submit(id).await(), "no permit could be had: nothing sent");
      // sweeps for well over the claim's lease: what was never sent must not be settled as ambiguous
      long until = System.nanoTime() + LEASE.multipliedBy(3).toNanos();
      Await.until("three leases of sweeps", LEASE.multipliedBy(6), () -> {
        submitter.sweep(10, 4).await();
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
  void aSweepAsksForAPermitOnceAfterARefusalAndWritesNothingForTheRest() {
    db.execute("UPDATE provider_permit_slots SET used_at = '-infinity' WHERE provider = 'vidgo'");
    for (int i = 0; i < 6; i++) {
      create("budget " + i);
    }
    assertEquals(2, submitter.sweep(10, 1).await(), "ORCH_PROVIDER_VIDGO_MAX_RPM=2");
    assertEquals(2, providers.simulator.submitCalls("vidgo"));
    assertEquals(4, db.count("SELECT count(*) FROM generations WHERE status = 'queued' AND submit_state = 'pending'"
        + " AND submit_attempts = 0"));
    assertEquals(1, db.count("SELECT count(*) FROM generations WHERE status = 'queued' AND next_submit_at > now()"),
        "only the generation whose claim met the refusal was written; the other three were left as they were");
  }
}
