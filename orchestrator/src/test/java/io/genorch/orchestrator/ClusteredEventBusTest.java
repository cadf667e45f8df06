package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.genorch.common.bus.Addresses;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ORCH_CLUSTER=true: another Vert.x node of the Hazelcast cluster submits and reads generations over the bus. */
class ClusteredEventBusTest {

  private static TestDatabase db;
  private static Orchestrator service;
  private static Vertx client;

  @BeforeAll
  static void start() {
    System.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    db = TestDatabase.create();
    Map<String, String> env = TestOrchestrators.baseConfig(db);
    env.put("ORCH_CLUSTER", "true");
    service = TestOrchestrators.start(env);
    client = Vertx.builder().withClusterManager(new HazelcastClusterManager()).buildClustered().await();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close().await();
    }
    TestOrchestrators.stop(service);
    db.close();
  }

  @Test
  void anotherNodeSubmitsAndReadsAGeneration() {
    JsonObject created = client.eventBus().<JsonObject>request(Addresses.SUBMIT,
        new JsonObject().put("provider", "vidgo").put("prompt", "a paper boat").put("idempotencyKey", "bus-1"))
        .await().body();
    assertEquals("queued", created.getString("status"));

    JsonObject read = client.eventBus().<JsonObject>request(Addresses.GET, new JsonObject().put("id", created.getString("id")))
        .await().body();
    assertEquals(created.getString("id"), read.getString("id"));

    Throwable refused = client.eventBus().request(Addresses.SUBMIT, new JsonObject().put("provider", "vidgo"))
        .map(m -> (Throwable) null).otherwise(e -> e).await();
    assertEquals(400, assertInstanceOf(ReplyException.class, refused).failureCode());
  }
}
