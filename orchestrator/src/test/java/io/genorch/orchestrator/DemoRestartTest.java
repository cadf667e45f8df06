package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Restarting the demo: the in-process simulator's jobs lived in the process that stopped, yet the generations that
 * were running at the restart end succeeded, not failed PROVIDER_TASK_NOT_FOUND.
 */
class DemoRestartTest {

  @Test
  void generationsRunningAtARestartOfTheDemoStillSucceed() {
    try (TestDatabase db = TestDatabase.create()) {
      Map<String, String> env = TestOrchestrators.baseConfig(db);
      env.put("ORCH_DEMO", "true");
      Map<String, String> ids = new LinkedHashMap<>();
      Orchestrator first = TestOrchestrators.start(env);
      try {
        ApiClient api = new ApiClient(first.httpPort(), TestOrchestrators.API_KEY);
        for (String provider : ProviderSimulator.PROVIDERS) {
          ApiClient.Response r = api.createGeneration(
              new JsonObject().put("provider", provider).put("prompt", "long " + provider + " [sim:never-finish]"));
          assertEquals(202, r.status(), r.body());
          ids.put(provider, r.json().getString("id"));
        }
        ids.forEach((provider, id) -> Await.until(provider + " to run at its provider", Duration.ofSeconds(15),
            () -> api.get("/v1/generations/" + id).json(),
            g -> g.getString("providerTaskId") != null && g.getString("status").matches("submitted|processing")));
      } finally {
        TestOrchestrators.stop(first);
      }

      Orchestrator second = TestOrchestrators.start(env);
      try {
        ApiClient api = new ApiClient(second.httpPort(), TestOrchestrators.API_KEY);
        ids.forEach((provider, id) -> {
          JsonObject done = Await.until(provider + " to finish after the restart", Duration.ofSeconds(20),
              () -> api.get("/v1/generations/" + id).json(),
              g -> !g.getString("status").matches("queued|submitted|processing"));
          assertEquals("succeeded", done.getString("status"), provider + ": " + done.encode());
          assertFalse(done.getJsonArray("outputs").isEmpty(), provider + " has an output");
        });
      } finally {
        TestOrchestrators.stop(second);
      }
    }
  }
}
