package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.work.LeasedWorkLoop;
import io.genorch.common.testing.TestDatabase;
import io.genorch.orchestrator.submission.SubmitBackoff;
import io.genorch.orchestrator.submission.Submitter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two instances' submitters racing for the same generations over one database. */
class SubmitterRaceTest {

  private TestDatabase db;
  private SimulatedProviders providers;
  private final List<Vertx> instances = new ArrayList<>();

  @BeforeEach
  void start() {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    instances.forEach(v -> v.close().await());
    providers.close();
    db.close();
  }

  private static LeasedWorkLoop<Submitter.Claim> loop(Vertx vertx, Submitter submitter) {
    LeasedWorkLoop<Submitter.Claim> loop = new LeasedWorkLoop<>(vertx,
        new LeasedWorkLoop.Options("submission", 2, 4, Duration.ofSeconds(30), Duration.ofHours(1)), submitter);
    loop.start();
    return loop;
  }

  private ServiceContext instance(Map<String, String> env) {
    Vertx vertx = Vertx.vertx();
    instances.add(vertx);
    return ServiceContext.create(vertx, db.open(), OrchConfig.of(env));
  }

  @Test
  void eachGenerationIsSentOnceAndOnlyTheWinnerSpendsTheFleetBudget() {
    Map<String, String> env = new java.util.HashMap<>(providers.enable("vidgo"));
    env.put("ORCH_PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:9");
    env.put("ORCH_PROVIDER_VIDGO_MAX_RPM", "1000");
    ServiceContext first = instance(env);
    ServiceContext second = instance(env);
    SubmitBackoff backoff = new SubmitBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 3);
    // small batches, so that the two instances claim round after round against each other
    LeasedWorkLoop<Submitter.Claim> a = loop(instances.get(0), new Submitter(first, backoff, Duration.ofSeconds(30)));
    LeasedWorkLoop<Submitter.Claim> b = loop(instances.get(1), new Submitter(second, backoff, Duration.ofSeconds(30)));

    for (int i = 0; i < 20; i++) {
      first.store().create(new GenerationRequest("vidgo", "sora-2", "race " + i, null, "9:16", 10, null, null, null), null)
          .await();
    }
    Await.until("all 20 to be submitted", Duration.ofSeconds(20), () -> {
      Future.join(a.wakeAndAwaitIdle(), b.wakeAndAwaitIdle()).await();
      return db.count("SELECT count(*) FROM generations WHERE status = 'submitted'");
    }, n -> n == 20);

    assertTrue(a.stats().done() > 0 && b.stats().done() > 0, "both instances sent: " + a.stats() + ", " + b.stats());
    assertEquals(20, a.stats().done() + b.stats().done(), "one of the two sends each generation");
    assertEquals(20, providers.simulator.submitCalls("vidgo"));
    assertEquals(20, db.count("SELECT count(*) FROM provider_permit_slots WHERE provider = 'vidgo' AND used_at > '-infinity'"),
        "the request budget counts the 20 requests sent, not the claims lost");
  }
}
