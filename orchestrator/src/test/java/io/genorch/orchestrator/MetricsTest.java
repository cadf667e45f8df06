package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.testing.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GET /metrics serves Prometheus text without a key when metrics are on (the default). */
class MetricsTest {

  @Test
  void prometheusMetricsAreServedWithoutAKey() {
    try (TestDatabase db = TestDatabase.create()) {
      Map<String, String> env = TestOrchestrators.baseConfig(db);
      env.put("ORCH_METRICS_ENABLED", "true");
      Orchestrator service = TestOrchestrators.start(env);
      try {
        ApiClient anonymous = new ApiClient(service.httpPort(), null);
        anonymous.get("/health/live");
        ApiClient.Response metrics = anonymous.get("/metrics");
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("vertx_http_server_requests_total"), metrics.body().lines().limit(20).toList().toString());
        assertTrue(metrics.body().contains("genorch_lifecycle_visibility_lag_seconds"), "the event stream's lag is watched");
      } finally {
        TestOrchestrators.stop(service);
      }
    }
  }
}
