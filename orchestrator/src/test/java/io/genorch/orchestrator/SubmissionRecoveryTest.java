package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a stopped instance leaves behind is finished by the next one. The first instance accepts with its provider
 * disabled, which leaves exactly the rows a crash between accept and submit leaves: queued, never sent.
 */
class SubmissionRecoveryTest {

  private TestDatabase db;
  private SimulatedProviders providers;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(20));
  }

  @AfterEach
  void tearDown() {
    providers.close();
    db.close();
  }

  private String acceptThenStop(String provider, String prompt) {
    Orchestrator first = TestOrchestrators.start(TestOrchestrators.baseConfig(db));
    try {
      ApiClient.Response r = new ApiClient(first.httpPort(), TestOrchestrators.API_KEY)
          .createGeneration(new JsonObject().put("provider", provider).put("prompt", prompt));
      assertEquals(202, r.status(), r.body());
      return r.json().getString("id");
    } finally {
      TestOrchestrators.stop(first);
    }
  }

  private Orchestrator restartWithProvider(String provider) {
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.putAll(providers.enable(provider));
    env.put("ORCH_SUBMIT_SWEEP_MS", "100");
    return TestOrchestrators.start(env);
  }

  @Test
  void aGenerationAcceptedButNeverSubmittedIsSubmittedAfterRestart() {
    String id = acceptThenStop("vidgo", "survive the restart");
    assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND status = 'queued' AND submit_attempts = 0"));
    Orchestrator second = restartWithProvider("vidgo");
    try {
      ApiClient api = new ApiClient(second.httpPort(), TestOrchestrators.API_KEY);
      JsonObject done = Await.until("the generation to complete", Duration.ofSeconds(20),
          () -> api.get("/v1/generations/" + id).json(), g -> g.getString("status").equals("succeeded"));
      assertEquals(1, providers.simulator.jobs("vidgo").size());
      assertEquals(providers.simulator.jobs("vidgo").get(0).taskId(), done.getString("providerTaskId"));
    } finally {
      TestOrchestrators.stop(second);
    }
  }

  @Test
  void aRequestInFlightWhenItsSenderStoppedIsNeverSentAgain() {
    String id = acceptThenStop("apimart", "was on the wire");
    // the state a sender leaves when it dies after claiming and before the provider answers
    db.execute("UPDATE generations SET submit_state = 'sending', submit_attempts = 1, next_submit_at = now() - interval '1 second'"
        + " WHERE id = '" + id + "'");
    Orchestrator second = restartWithProvider("apimart");
    try {
      ApiClient api = new ApiClient(second.httpPort(), TestOrchestrators.API_KEY);
      JsonObject g = Await.until("the generation to be settled", Duration.ofSeconds(20),
          () -> api.get("/v1/generations/" + id).json(), x -> x.getString("status").equals("submitted"));
      assertNull(g.getString("providerTaskId"));
      JsonObject failure = api.get("/v1/generations/" + id + "/events").json().getJsonArray("data").stream()
          .map(JsonObject.class::cast).filter(e -> e.getString("type").equals("submit_failed")).findFirst().orElseThrow();
      assertEquals(true, failure.getJsonObject("detail").getBoolean("ambiguous"));
      assertEquals(0, providers.simulator.submitCalls("apimart"), "an ambiguous request is not sent again");
      assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND deadline_at IS NOT NULL"),
          "its deadline still applies");
    } finally {
      TestOrchestrators.stop(second);
    }
  }
}
