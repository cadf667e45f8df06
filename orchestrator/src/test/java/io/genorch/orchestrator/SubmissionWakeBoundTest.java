package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The submits started by accepted requests are bounded: past ORCH_SUBMIT_CONCURRENCY, the sweep takes over. */
class SubmissionWakeBoundTest {

  private static TestDatabase db;
  private static SimulatedProviders providers;
  private static Orchestrator service;
  private static ApiClient api;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(30));
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.putAll(providers.enable("vidgo"));
    env.put("ORCH_SUBMIT_CONCURRENCY", "1");
    env.put("ORCH_SUBMIT_SWEEP_MS", "600000"); // only the wakes submit during the test
    env.put("ORCH_PROVIDER_TIMEOUT_MS", "5000");
    service = TestOrchestrators.start(env);
    api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
  }

  @AfterAll
  static void stop() {
    TestOrchestrators.stop(service);
    providers.close();
    db.close();
  }

  @Test
  void wakesBeyondTheBoundAreLeftToTheSweep() throws InterruptedException {
    for (int i = 0; i < 5; i++) {
      // the provider holds each request without answering, so a wake's submit stays in flight
      ApiClient.Response accepted = api.createGeneration(new JsonObject().put("provider", "vidgo")
          .put("prompt", "held " + i + " [sim:submit-error=timeout]"));
      assertEquals(202, accepted.status(), accepted.body());
    }
    Await.until("the first wake's request", Duration.ofSeconds(5), () -> providers.simulator.submitCalls("vidgo"),
        calls -> calls >= 1);
    Thread.sleep(1_000); // what must not happen: more requests while the first is held
    assertEquals(1, providers.simulator.submitCalls("vidgo"), "one submit from wakes at a time");
    assertEquals(4, db.count("SELECT count(*) FROM generations WHERE status = 'queued' AND submit_state = 'pending'"),
        "the others wait, queued, for the sweep");
  }
}
