package io.genorch.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.genorch.common.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ORCH_CLUSTER=true: another Vert.x node of the Hazelcast cluster submits and reads generations over the bus. */
class ClusteredEventBusTest {

  static {
    System.setProperty("hazelcast.local.localAddress", "127.0.0.1"); // before the service's cluster manager starts
  }

  @RegisterExtension
  static final ServiceUnderTest service = ServiceUnderTest.withoutProviders().set("ORCH_CLUSTER", "true");
  private static Vertx client;

  @BeforeAll
  static void joinTheCluster() {
    client = Vertx.builder().withClusterManager(new HazelcastClusterManager()).buildClustered().await();
  }

  @AfterAll
  static void leaveTheCluster() {
    if (client != null) {
      client.close().await();
    }
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
