package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ORCH_API_MAX_RPS: a key that floods gets 429 rate_limited; other keys and, a second later, it too get through. */
class ApiRateLimitTest {

  private static TestDatabase db;
  private static Orchestrator service;

  @BeforeAll
  static void start() {
    db = TestDatabase.create();
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.put("ORCH_API_MAX_RPS", "5");
    service = TestOrchestrators.start(env);
  }

  @AfterAll
  static void stop() {
    TestOrchestrators.stop(service);
    db.close();
  }

  @Test
  void aFloodingKeyIsSlowedAndOnlyThatKey() {
    ApiClient flooding = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    List<ApiClient.Response> answers = IntStream.range(0, 40).mapToObj(i -> flooding.get("/v1/providers")).toList();

    List<ApiClient.Response> limited = answers.stream().filter(r -> r.status() == 429).toList();
    assertTrue(limited.size() >= 10, "a burst of 5 then about 5 a second: " + limited.size() + " of 40 refused");
    assertEquals("rate_limited", limited.get(0).error().getString("code"));
    assertEquals("1", limited.get(0).raw().headers().firstValue("Retry-After").orElse(null));

    assertEquals(200, new ApiClient(service.httpPort(), "second-key").get("/v1/providers").status(), "another key is not limited");
    assertEquals(200, new ApiClient(service.httpPort(), null).get("/health/live").status(), "health is never limited");
    Await.until("the bucket refills", Duration.ofSeconds(5), () -> flooding.get("/v1/providers").status(), status -> status == 200);
  }
}
