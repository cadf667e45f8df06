package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.ServiceContext;
import io.genorch.common.persistence.ProviderGate;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.orchestrator.submission.SubmitBackoff;
import io.genorch.orchestrator.submission.Submitter;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The permits of one round's sends to one provider are asked for together: the gate is asked far fewer times than
 * there are sends (one statement per batch of permits), and the in-flight bound still holds.
 */
class SubmitterBatchTest {

  private static final int SENDS = 32;
  private static final Duration LEASE = Duration.ofSeconds(10);

  @RegisterExtension
  final SubmitterContext fixture = new SubmitterContext()
      .set("ORCH_PROVIDER_VIDGO_MAX_RPM", "100000")
      .set("ORCH_PROVIDER_VIDGO_MAX_IN_FLIGHT", String.valueOf(SENDS));
  private TestDatabase db;
  private SimulatedProviders providers;
  private Vertx vertx;
  private ServiceContext ctx;
  /** Gate calls: each tryAcquire / tryAcquireMany reads the provider's in-flight bound once. */
  private final AtomicLong gateCalls = new AtomicLong();

  @BeforeEach
  void start() {
    db = fixture.db();
    providers = fixture.providers();
    vertx = fixture.vertx();
    ServiceContext created = fixture.ctx();
    ctx = fixture.withGate(new ProviderGate(created.pool(), provider -> created.settings(provider).maxRpm(),
        provider -> {
          gateCalls.incrementAndGet();
          return created.settings(provider).maxInFlight();
        }));
  }



  @Test
  void aRoundsPermitsOfOneProviderAreAskedForTogether() {
    for (int i = 0; i < SENDS; i++) {
      ctx.store().create(SubmitterContext.request("batch " + i), null)
          .await();
    }
    Submitter submitter = new Submitter(ctx, new SubmitBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 3), LEASE);
    LeasedWorkLoop<Submitter.Claim> sending = new LeasedWorkLoop<>(vertx, new LeasedWorkLoop.Options("submission",
        SENDS, SENDS, LEASE, Duration.ofHours(1)), submitter);
    sending.start();
    LeasedWorkLoop.Stats stats = sending.wakeAndAwaitIdle().await();

    assertEquals(SENDS, stats.done(), "one round sent them all: " + stats);
    assertEquals(SENDS, db.count("SELECT count(*) FROM generations WHERE status = 'submitted'"));
    assertEquals(SENDS, providers.simulator.submitCalls("vidgo"));
    // one statement per batch of waiting requests (at most two batches under way): a handful, not one per send
    assertTrue(gateCalls.get() <= SENDS / 4, gateCalls.get() + " gate calls for " + SENDS + " sends");
    assertEquals(0, ctx.gate().inFlight("vidgo"), "every permit given back");
  }
}
