package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ORCH_MAX_ATTEMPTS=1: a job failing with a retryable reason is final, as before re-runs existed. */
class NoRerunsTest {

  @Test
  void maxAttemptsOneDisablesReruns() {
    try (TestDatabase db = TestDatabase.create(); SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(1))) {
      Map<String, String> env = TestOrchestrators.baseConfig(db);
      env.putAll(providers.enable("runblob-kling-o3"));
      env.put("ORCH_MAX_ATTEMPTS", "1");
      Orchestrator service = TestOrchestrators.start(env);
      try {
        ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
        String prompt = "once [sim:fail=retryable]";
        String id = api.createGeneration(new JsonObject().put("model", "kling-o3").put("prompt", prompt)).json().getString("id");
        JsonObject failed = Await.until(id + " failed", Duration.ofSeconds(30), () -> api.get("/v1/generations/" + id).json(),
            g -> "failed".equals(g.getString("status")));
        assertEquals("TASK_FAILED", failed.getJsonObject("error").getString("code"));
        assertEquals(true, failed.getJsonObject("error").getBoolean("retryable"), "retryable, and still final");
        assertEquals(1, failed.getJsonArray("attempts").size());
        assertEquals(1, providers.simulator.jobs("runblob-kling-o3").stream().filter(j -> prompt.equals(j.prompt())).count());
        assertEquals(0, api.get("/v1/generations/" + id + "/events").json().getJsonArray("data").stream()
            .filter(e -> ((JsonObject) e).getString("type").equals("rerun")).count());
      } finally {
        TestOrchestrators.stop(service);
      }
    }
  }
}
