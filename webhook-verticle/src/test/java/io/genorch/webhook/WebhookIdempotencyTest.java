package io.genorch.webhook;

import static io.genorch.webhook.WebhookHarness.seed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.Generation;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Duplicates, retries, redeliveries and contradictions change nothing, and are all on record. */
@ExtendWith(VertxExtension.class)
class WebhookIdempotencyTest {

  private static final String TASK = "550e8400-e29b-41d4-a716-446655440000";
  private static TestDatabase db;
  private WebhookHarness h;

  @BeforeAll
  static void database() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  @BeforeEach
  void start(Vertx vertx) {
    h = WebhookHarness.start(vertx, db, Map.of());
  }

  @Test
  void duplicateStormMakesOneTransition() {
    Arranged gen = h.arrangeSubmitted("runblob-sora", TASK);
    Buffer body = Buffer.buffer(seed("runblob-sora-success.json"));

    List<Future<HttpResponse<Buffer>>> storm = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      storm.add(h.sendPost("/webhooks/runblob-sora/" + gen.token(), body));
    }
    Await.result(Future.all(storm));

    assertEquals(50, storm.stream().filter(f -> f.result().statusCode() == 200).count(), "every copy is acknowledged");
    assertEquals(50, h.deliveries(gen.id()), "every copy is stored");
    List<String> outcomes = h.awaitProcessed(gen.id());
    assertEquals(1, outcomes.stream().filter(DeliveryProcessor.ADVANCED::equals).count(), outcomes.toString());
    assertEquals(49, outcomes.stream().filter(DeliveryProcessor.DUPLICATE::equals).count(), outcomes.toString());

    Generation after = h.generation(gen.id());
    assertEquals(GenerationStatus.SUCCEEDED, after.status());
    assertEquals(1, h.timelineCount(gen.id(), "succeeded"), "one transition");
    assertEquals(1, h.timelineCount(gen.id(), "webhook_received"));
    assertEquals(49, h.timelineCount(gen.id(), "webhook_duplicate"), "every copy is on record");
    assertEquals(1, db.count("SELECT count(*) FROM lifecycle_events WHERE generation_id = '" + gen.id()
        + "' AND type = 'generation.succeeded'"), "one lifecycle event");
  }

  @Test
  void successThenFailureStaysSucceededAndTheFailureIsRecordedAsRejected() {
    Arranged gen = h.arrangeSubmitted("runblob-sora", TASK);
    assertEquals(200, h.deliver(gen, seed("runblob-sora-success.json")).statusCode());
    Generation succeeded = h.awaitStatus(gen.id(), GenerationStatus.SUCCEEDED);
    h.awaitProcessed(gen.id());

    assertEquals(200, h.deliver(gen, seed("runblob-sora-failed.json")).statusCode(), "a contradiction is still acknowledged");
    assertEquals(List.of(DeliveryProcessor.ADVANCED, DeliveryProcessor.REJECTED), h.awaitProcessed(gen.id()));

    Generation after = h.generation(gen.id());
    assertEquals(GenerationStatus.SUCCEEDED, after.status());
    assertEquals(succeeded.outputs(), after.outputs());
    assertNull(after.error());
    assertEquals(succeeded.completedAt(), after.completedAt());
    assertEquals(1, h.timelineCount(gen.id(), "webhook_rejected"));
    assertEquals(0, h.timelineCount(gen.id(), "failed"));
    JsonObject rejected = h.timeline(gen.id()).stream().filter(e -> e.type().equals("webhook_rejected")).findFirst().orElseThrow().detail();
    assertEquals("failed", rejected.getString("reportedStatus"));
    assertTrue(rejected.containsKey("deliveryId"), rejected.encode());
  }

  @Test
  void redeliveryOfAnAlreadyProcessedBodyIsRecordedAsDuplicate() {
    Arranged gen = h.arrangeSubmitted("runblob-sora", TASK);
    assertEquals(200, h.deliver(gen, seed("runblob-sora-success.json")).statusCode());
    h.awaitProcessed(gen.id());
    // the provider did not see our 200 and retries the very same body
    assertEquals(200, h.deliver(gen, seed("runblob-sora-success.json")).statusCode());

    assertEquals(List.of(DeliveryProcessor.ADVANCED, DeliveryProcessor.DUPLICATE), h.awaitProcessed(gen.id()));
    assertEquals(GenerationStatus.SUCCEEDED, h.generation(gen.id()).status());
    assertEquals(1, h.timelineCount(gen.id(), "webhook_duplicate"));
    assertEquals(1, h.timelineCount(gen.id(), "succeeded"));
  }

  @Test
  void failureThenSuccessStaysFailed() {
    Arranged gen = h.arrangeSubmitted("runblob-kling-o3", TASK);
    assertEquals(200, h.deliver(gen, seed("runblob-kling-o3-failed.json")).statusCode());
    Generation failed = h.awaitStatus(gen.id(), GenerationStatus.FAILED);
    h.awaitProcessed(gen.id());
    assertEquals(200, h.deliver(gen, seed("runblob-kling-o3-completed.json")).statusCode());

    assertEquals(List.of(DeliveryProcessor.ADVANCED, DeliveryProcessor.REJECTED), h.awaitProcessed(gen.id()));
    Generation after = h.generation(gen.id());
    assertEquals(GenerationStatus.FAILED, after.status());
    assertEquals(failed.error(), after.error());
    assertTrue(after.outputs().isEmpty());
  }
}
