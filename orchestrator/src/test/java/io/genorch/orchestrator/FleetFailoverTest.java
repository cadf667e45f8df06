package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.SimulatedProviders;
import io.genorch.common.testing.TestDatabase;
import io.genorch.simulator.SimJob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Two instances over one database route 200 generations of sora-2 while the first route refuses about half of its
 * submits for its own reasons (its balance runs empty every other 50 ms): every generation succeeds, every submission sent is
 * exactly one attempt (none sent twice by the two instances), each generation has exactly one job, and both
 * instances show the same circuit.
 */
class FleetFailoverTest {

  @Test
  void routedGenerationsFailOverOncePerRefusalAcrossTwoInstancesWhichAgreeOnTheCircuit() {
    try (TestDatabase db = TestDatabase.create(); SimulatedProviders providers = new SimulatedProviders(0.01, Duration.ofSeconds(1))) {
      List<Orchestrator> instances = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          Map<String, String> env = TestOrchestrators.baseConfig(db);
          env.putAll(providers.enable("runblob-sora", "vidgo", "apimart"));
          env.put("ORCH_SUBMIT_SWEEP_MS", "100");
          for (String id : List.of("RUNBLOB_SORA", "VIDGO", "APIMART")) {
            env.put("ORCH_PROVIDER_" + id + "_MAX_RPM", "100000"); // the routing is measured, not the request budget
          }
          instances.add(TestOrchestrators.start(env));
        }
        List<ApiClient> apis = instances.stream().map(o -> new ApiClient(o.httpPort(), TestOrchestrators.API_KEY)).toList();
        Map<String, String> prompts = new HashMap<>();
        AtomicBoolean empty = new AtomicBoolean();
        long flapping = providers.vertx.setPeriodic(50, t -> providers.simulator.insufficientBalance("runblob-sora",
            empty.getAndSet(!empty.get()) == false));
        for (int i = 0; i < 200; i++) {
          String prompt = "fleet " + i;
          ApiClient.Response r = apis.get(i % 2).createGeneration(new JsonObject().put("model", "sora-2").put("prompt", prompt));
          assertEquals(202, r.status(), r.body());
          prompts.put(r.json().getString("id"), prompt);
        }

        int attempts = 0;
        int failovers = 0;
        for (Map.Entry<String, String> g : prompts.entrySet()) {
          String id = g.getKey();
          JsonObject done = Await.until(id + " succeeded", Duration.ofSeconds(60),
              () -> apis.get(1).get("/v1/generations/" + id).json(), j -> "succeeded".equals(j.getString("status")));
          JsonArray sent = done.getJsonArray("attempts");
          attempts += sent.size();
          List<JsonObject> timeline = apis.get(0).get("/v1/generations/" + id + "/events").json().getJsonArray("data")
              .stream().map(JsonObject.class::cast).toList();
          failovers += (int) timeline.stream().filter(e -> e.getString("type").equals("failover")).count();
          JsonObject last = sent.getJsonObject(sent.size() - 1);
          assertEquals("succeeded", last.getString("status"), done.encode());
          assertEquals(done.getString("provider"), last.getString("provider"));
          for (int a = 0; a < sent.size() - 1; a++) {
            assertEquals("refused", sent.getJsonObject(a).getString("status"), done.encode());
          }
          assertTrue(sent.size() <= 2, "at most one refusal, then the next route: " + done.encode());
          assertTrue(timeline.stream().filter(e -> e.getString("type").equals("failover")).count() >= sent.size() - 1,
              "each refusal failed over: " + timeline);
        }
        providers.vertx.cancelTimer(flapping);
        List<SimJob> jobs = Stream.of("runblob-sora", "vidgo", "apimart").flatMap(p -> providers.simulator.jobs(p).stream()).toList();
        for (String prompt : prompts.values()) {
          assertEquals(1, jobs.stream().filter(j -> j.prompt().equals(prompt)).count(), "one job for " + prompt);
        }
        int submits = Stream.of("runblob-sora", "vidgo", "apimart").mapToInt(providers.simulator::submitCalls).sum();
        assertEquals(submits, attempts, "every submission sent is one attempt, and none was sent twice");
        assertTrue(failovers >= 1, "the refused ones moved on");
        assertTrue(attempts > prompts.size(), "some were refused: " + attempts);

        JsonObject circuitA = circuit(apis.get(0), "runblob-sora");
        JsonObject circuitB = circuit(apis.get(1), "runblob-sora");
        assertEquals(circuitA, circuitB, "the instances share one circuit");
      } finally {
        instances.forEach(TestOrchestrators::stop);
      }
    }
  }

  private static JsonObject circuit(ApiClient api, String provider) {
    JsonObject body = api.get("/v1/providers").json();
    JsonArray data = body.getJsonArray("data");
    return data.stream().map(JsonObject.class::cast).filter(p -> p.getString("id").equals(provider)).findFirst()
        .orElseThrow().getJsonObject("circuit");
  }
}
