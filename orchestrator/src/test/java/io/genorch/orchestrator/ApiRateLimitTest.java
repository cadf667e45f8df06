package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ORCH_API_MAX_RPS: a key that floods gets 429 rate_limited; other keys and, a second later, it too get through. */
class ApiRateLimitTest {

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders().set("ORCH_API_MAX_RPS", "5");

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
