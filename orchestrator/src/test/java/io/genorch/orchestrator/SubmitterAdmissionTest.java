package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.ServiceContext;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.orchestrator.submission.SubmitBackoff;
import io.genorch.orchestrator.submission.Submitter;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A claim's permit and its 'sending' mark are one statement: when either write fails, neither happened, the claim goes
 * back to pending (never left 'sending', so never taken for ambiguous) and no request is sent; and a submission loop
 * whose rounds overlap (the next batch claimed while sends are in flight) sends each generation exactly once.
 */
class SubmitterAdmissionTest {

  private static final Duration LEASE = Duration.ofSeconds(30);

  @RegisterExtension
  final SubmitterContext fixture = new SubmitterContext()
      .set("ORCH_PROVIDER_VIDGO_MAX_RPM", "100000")
      .set("ORCH_PROVIDER_VIDGO_MAX_IN_FLIGHT", "4");
  private TestDatabase db;
  private SimulatedProviders providers;
  private Vertx vertx;
  private ServiceContext ctx;

  @BeforeEach
  void start() {
    db = fixture.db();
    providers = fixture.providers();
    vertx = fixture.vertx();
    ctx = fixture.ctx();
  }

  private void queue(int count) {
    for (int i = 0; i < count; i++) {
      ctx.store().create(SubmitterContext.request("admission " + i), null)
          .await();
    }
  }

  private LeasedWorkLoop<Submitter.Claim> loop(int batch, int concurrency) {
    Submitter submitter = new Submitter(ctx, new SubmitBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 3), LEASE);
    LeasedWorkLoop<Submitter.Claim> loop = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("submission",
        batch, concurrency, LEASE, Duration.ofHours(1), true), submitter);
    loop.start();
    return loop;
  }

  private void failWrites(String table, String when) {
    db.execute("CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS"
        + " $$BEGIN RAISE EXCEPTION 'write refused by the test'; END$$");
    db.execute("CREATE TRIGGER refuse_write BEFORE INSERT OR UPDATE ON " + table + " FOR EACH ROW"
        + (when == null ? "" : " WHEN (" + when + ")") + " EXECUTE FUNCTION refuse_write()");
  }

  private void allowWrites(String table) {
    db.execute("DROP TRIGGER refuse_write ON " + table);
    db.execute("UPDATE generations SET next_submit_at = now() WHERE status = 'queued'"); // due now, not a second later
  }

  private void assertNothingSentAndAllPending(int count) {
    assertEquals(0, providers.simulator.submitCalls("vidgo"), "no request was written");
    assertEquals(count, db.count("SELECT count(*) FROM generations WHERE status = 'queued' AND submit_state = 'pending'"
        + " AND submit_attempts = 0"), "every claim given back, not counted as an attempt");
    assertEquals(0, db.count("SELECT count(*) FROM generation_events WHERE type = 'submit_failed'"), "nothing ambiguous");
    assertEquals(0, ctx.gate().inFlight("vidgo"), "every in-flight place given back");
  }

  private void assertEachSentOnce(int count) {
    assertEquals(count, db.count("SELECT count(*) FROM generations WHERE status = 'submitted' AND submit_attempts = 1"));
    assertEquals(count, providers.simulator.submitCalls("vidgo"), "one request each");
  }

  @Test
  void aPermitThatCannotBeTakenLeavesTheClaimsPendingAndUnsent() {
    queue(6);
    failWrites("provider_permit_slots", null);
    LeasedWorkLoop<Submitter.Claim> loop = loop(10, 8);
    LeasedWorkLoop.Stats stats = Await.result(loop.wakeAndAwaitIdle());
    assertEquals(6, stats.failed(), "each send failed at its admission: " + stats);
    assertNothingSentAndAllPending(6);

    allowWrites("provider_permit_slots");
    Await.result(loop.wakeAndAwaitIdle());
    assertEachSentOnce(6);
  }

  @Test
  void aMarkThatCannotBeWrittenSpendsNoPermit() {
    queue(6);
    failWrites("generations", "NEW.submit_state = 'sending'");
    LeasedWorkLoop<Submitter.Claim> loop = loop(10, 8);
    Await.result(loop.wakeAndAwaitIdle());
    assertNothingSentAndAllPending(6);
    assertEquals(0, db.count("SELECT count(*) FROM provider_permit_slots WHERE used_at > '-infinity'"),
        "the permit was rolled back with the mark: no budget spent");

    allowWrites("generations");
    Await.result(loop.wakeAndAwaitIdle());
    assertEachSentOnce(6);
    assertEquals(6, db.count("SELECT count(*) FROM provider_permit_slots WHERE used_at > '-infinity'"));
  }

  @Test
  void overlappingRoundsSendEachGenerationOnce() {
    queue(60);
    // small batches, more lanes than the provider's in-flight bound: later batches are claimed while earlier sends
    // run, and each wake asks for one more claim meanwhile
    LeasedWorkLoop<Submitter.Claim> loop = loop(4, 8);
    for (int i = 0; i < 20; i++) {
      loop.wake();
    }
    Await.until("every generation submitted",
        () -> db.count("SELECT count(*) FROM generations WHERE status = 'submitted'"), n -> n == 60);
    Await.result(loop.stop());
    assertEachSentOnce(60);
    assertEquals(60, db.count("SELECT count(*) FROM webhook_tokens"), "one claim each: none claimed twice");
    assertEquals(0, ctx.gate().inFlight("vidgo"), "every permit given back");
    assertEquals(60, loop.stats().done(), "each recorded before the loop stopped: " + loop.stats());
  }
}
