package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The running service applies retention itself (the job's rules are in common's RetentionJobTest). */
class RetentionTest {

  private TestDatabase db;
  private Orchestrator service;

  @AfterEach
  void stop() {
    TestOrchestrators.stop(service);
    db.close();
  }

  @Test
  void theServiceDeletesExpiredIdempotencyKeysAndKeepsFreshOnes() {
    db = TestDatabase.create();
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.put("ORCH_RETENTION_INTERVAL_S", "1");
    service = TestOrchestrators.start(env);
    ApiClient api = new ApiClient(service.httpPort(), TestOrchestrators.API_KEY);
    for (String key : new String[] {"expired", "fresh"}) {
      ApiClient.Response r = api.createGeneration(new JsonObject().put("provider", "vidgo").put("prompt", "p"), "Idempotency-Key", key);
      assertEquals(202, r.status(), r.body());
    }
    db.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'expired'");

    Await.until("the expired key deleted", Duration.ofSeconds(10),
        () -> db.count("SELECT count(*) FROM idempotency_keys WHERE key = 'expired'"), n -> n == 0);
    assertEquals(1, db.count("SELECT count(*) FROM idempotency_keys WHERE key = 'fresh'"));
  }
}
