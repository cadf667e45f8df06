package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.ServiceContext;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.testing.SimulatedProviders;
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
    Submitter a = new Submitter(first, backoff, Duration.ofSeconds(30));
    Submitter b = new Submitter(second, backoff, Duration.ofSeconds(30));

    List<Future<Boolean>> sends = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String id = first.store().create(new GenerationRequest("vidgo", "sora-2", "race " + i, null, "9:16", 10, null, null,
          null), null).await().generation().id();
      sends.add(a.submit(id));
      sends.add(b.submit(id));
    }
    long sent = sends.stream().filter(f -> Boolean.TRUE.equals(f.await())).count();

    assertEquals(20, sent, "one of the two sends each generation");
    assertEquals(20, providers.simulator.submitCalls("vidgo"));
    assertEquals(20, db.count("SELECT count(*) FROM provider_permit_slots WHERE provider = 'vidgo' AND used_at > '-infinity'"),
        "the request budget counts the 20 requests sent, not the claims lost");
  }
}
