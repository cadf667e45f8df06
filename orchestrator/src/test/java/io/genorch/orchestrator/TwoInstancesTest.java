package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.config.ProviderSettings;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.ProviderSimulator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two whole instances over one database, as in production: generations created on either are each submitted
 * once, completed by webhook or, with the callback lost, by either instance's poller, and recorded once.
 */
class TwoInstancesTest {

  private static TestDatabase db;
  private static SimulatedProviders providers;
  private static final List<Orchestrator> instances = new ArrayList<>();

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    providers = new SimulatedProviders(0.01, Duration.ofSeconds(30));
    for (int i = 0; i < 2; i++) {
      Map<String, String> env = TestOrchestrators.baseConfig(db);
      env.putAll(providers.enable(ProviderSimulator.PROVIDERS.toArray(String[]::new)));
      env.put("ORCH_SUBMIT_SWEEP_MS", "100");
      env.put("ORCH_POLL_INTERVAL_MS", "100");
      env.put("ORCH_POLL_BACKOFF_MS", "200");
      for (String provider : ProviderSimulator.PROVIDERS) {
        env.put("ORCH_PROVIDER_" + ProviderSettings.envId(provider) + "_CALLBACK_GRACE_S", "1");
      }
      instances.add(TestOrchestrators.start(env));
    }
  }

  @AfterAll
  static void stop() {
    instances.forEach(TestOrchestrators::stop);
    providers.close();
    db.close();
  }

  @Test
  void everyGenerationIsSubmittedOnceAndResolvedOnceWhicheverInstanceTookIt() {
    List<ApiClient> apis = instances.stream().map(o -> new ApiClient(o.httpPort(), TestOrchestrators.API_KEY)).toList();
    Map<String, String> resolvedBy = new HashMap<>();
    int n = 0;
    for (String provider : ProviderSimulator.PROVIDERS) {
      for (int i = 0; i < 8; i++, n++) {
        String prompt = "fleet " + provider + " " + i + (i % 2 == 0 ? " [sim:no-callback]" : "");
        ApiClient.Response r = apis.get(n % 2).createGeneration(new JsonObject().put("provider", provider).put("prompt", prompt));
        assertEquals(202, r.status(), r.body());
        resolvedBy.put(r.json().getString("id"), i % 2 == 0 ? "poll" : "webhook");
      }
    }

    resolvedBy.forEach((id, expected) -> {
      JsonObject done = Await.until(id + " to finish", Duration.ofSeconds(30),
          () -> apis.get(0).get("/v1/generations/" + id).json(), g -> g.getString("status").equals("succeeded"));
      JsonArray timeline = apis.get(1).get("/v1/generations/" + id + "/events").json().getJsonArray("data");
      long submitted = timeline.stream().filter(e -> ((JsonObject) e).getString("type").equals("submitted")).count();
      long succeeded = timeline.stream().filter(e -> ((JsonObject) e).getString("type").equals("succeeded")).count();
      assertEquals(1, submitted, id + ": " + timeline.encode());
      assertEquals(1, succeeded, id + " (" + done.getString("resolvedBy") + ")");
      assertEquals(expected, done.getString("resolvedBy"), id + ": a lost callback is made up for by polling");
    });
    for (String provider : ProviderSimulator.PROVIDERS) {
      assertEquals(8, providers.simulator.submitCalls(provider), provider + ": one submit per generation across both instances");
    }
  }
}
