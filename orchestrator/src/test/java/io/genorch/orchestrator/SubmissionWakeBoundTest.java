package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sends started by accepted requests: the wakes alone drain a burst (no sweep runs during the test), and never
 * more than ORCH_SUBMIT_CONCURRENCY requests are on the wire at once.
 */
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
    env.put("ORCH_PROVIDER_TIMEOUT_MS", "500");
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
  void theWakesDrainABurstOneRequestOnTheWireAtATime() {
    for (int i = 0; i < 5; i++) {
      // the provider holds each request without answering until the client gives up: each send stays in flight
      // for ORCH_PROVIDER_TIMEOUT_MS, then is settled as ambiguous (the job runs for 30 s: no callback meanwhile)
      ApiClient.Response accepted = api.createGeneration(new JsonObject().put("provider", "vidgo")
          .put("prompt", "held " + i + " [sim:submit-error=timeout] [sim:duration=3000000]"));
      assertEquals(202, accepted.status(), accepted.body());
    }
    Await.until("all five sent and settled", Duration.ofSeconds(30), () -> {
      // requests read before settlements: a request counted here was started before the settlements read after it
      int requests = providers.simulator.submitCalls("vidgo");
      long settled = db.count("SELECT count(*) FROM generations WHERE status <> 'queued'");
      long onTheWire = db.count("SELECT count(*) FROM generations WHERE submit_state = 'sending'");
      assertTrue(requests <= settled + 1, requests + " requests made while " + settled + " were settled");
      assertTrue(onTheWire <= 1, onTheWire + " sending at once");
      return settled;
    }, settled -> settled == 5);
    assertEquals(5, providers.simulator.submitCalls("vidgo"), "each sent once, none again");
  }
}
