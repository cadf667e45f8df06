package io.genorch.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.genorch.webhook.IngestBatcher.Ingest;
import io.genorch.webhook.IngestBatcher.Stored;
import io.genorch.webhook.WebhookHarness.Arranged;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Deliveries that arrive together are stored together (one statement for many, {@link IngestBatcher}), and each
 * still gets the answer it would get alone: 200 and stored, 404 for an unknown token or another provider's, 409 for
 * another task; a redelivery in the same batch is stored after its first copy and processed as its duplicate.
 */
@ExtendWith(VertxExtension.class)
class WebhookIngestBatchTest {

  @RegisterExtension
  static final TestDatabase db = TestDatabase.emptiedBeforeEach();
  private WebhookHarness h;

  @BeforeEach
  void start(Vertx vertx) {
    h = WebhookHarness.start(vertx, db, Map.of());
  }

  private static Buffer body(String taskId) {
    return new JsonObject().put("generation_id", taskId).put("status", "completed").put("prompt", "batch")
        .put("video_url", "https://cdn.runblob.io/videos/2025/11/" + taskId + ".mp4")
        .put("created_at", "2025-11-24T10:00:00.000000").put("completed_at", "2025-11-24T10:05:30.000000").toBuffer();
  }

  private static Ingest ingest(String token, String provider, String taskId) {
    Buffer body = body(taskId);
    return new Ingest(Buffer.buffer(WebhookTokens.hash(token)), provider, taskId, "127.0.0.1",
        new JsonObject().put("user-agent", "test"), body, Buffer.buffer(WebhookTokens.sha256(body.getBytes())));
  }

  @Test
  void oneStatementForManyAnswersEachAsItWouldBeAnsweredAlone(Vertx vertx) {
    Arranged a = h.arrangeSubmitted("runblob-sora", "batch-a");
    Arranged b = h.arrangeSubmitted("runblob-sora", "batch-b");
    Arranged vidgo = h.arrange("vidgo");
    Arranged bound = h.arrangeSubmitted("runblob-sora", "batch-bound");
    List<Ingest> batch = List.of(
        ingest(a.token(), "runblob-sora", "batch-a"),
        ingest(WebhookTokens.newToken(), "runblob-sora", "batch-x"),
        ingest(b.token(), "runblob-sora", "batch-b"),
        ingest(vidgo.token(), "runblob-sora", "batch-v"),
        ingest(bound.token(), "runblob-sora", "batch-other"),
        ingest(a.token(), "runblob-sora", "batch-a"));

    // one statement in flight: the first goes alone, the five that queue behind it go in one statement together
    Context context = vertx.getOrCreateContext();
    IngestBatcher batcher = new IngestBatcher(context, h.ctx.pool(), 128, 1);
    Promise<List<Optional<Stored>>> all = Promise.promise();
    context.runOnContext(v -> {
      List<Future<Optional<Stored>>> each = new ArrayList<>();
      for (Ingest i : batch) {
        each.add(batcher.store(i));
      }
      Future.all(each).map(x -> each.stream().map(Future::result).toList()).onComplete(all);
    });
    List<Optional<Stored>> stored = Await.result(all.future());

    Stored first = stored.get(0).orElseThrow();
    assertEquals(a.id(), first.generationId());
    assertNotNull(first.deliveryId());
    assertTrue(stored.get(1).isEmpty(), "unknown token: no row");
    assertEquals(b.id(), stored.get(2).orElseThrow().generationId());
    assertNotNull(stored.get(2).orElseThrow().deliveryId());
    assertEquals("vidgo", stored.get(3).orElseThrow().provider(), "another provider's token: its generation, not stored");
    assertNull(stored.get(3).orElseThrow().deliveryId());
    assertEquals("batch-bound", stored.get(4).orElseThrow().providerTaskId());
    assertNull(stored.get(4).orElseThrow().deliveryId(), "another task: not stored");
    Stored again = stored.get(5).orElseThrow();
    assertTrue(again.deliveryId() > first.deliveryId(), "stored in the order it came, after its first copy");
    assertTrue(stored.get(2).orElseThrow().deliveryId() < again.deliveryId(), "ids follow the arrival order");
    assertEquals(2, h.deliveries(a.id()));
    assertEquals(1, h.deliveries(b.id()));
    assertEquals(0, h.deliveries(vidgo.id()));
    assertEquals(0, h.deliveries(bound.id()));
    assertEquals(List.of(DeliveryProcessor.ADVANCED, DeliveryProcessor.DUPLICATE), h.awaitProcessed(a.id()));
  }

  @Test
  void concurrentRequestsAreEachAnsweredAndProcessed() {
    int n = 40;
    List<Arranged> gens = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      gens.add(h.arrangeSubmitted("runblob-sora", "concurrent-" + i));
    }
    Arranged vidgo = h.arrange("vidgo");
    Arranged bound = h.arrangeSubmitted("runblob-sora", "concurrent-bound");
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Arranged g = gens.get(i);
      for (int copy = 0; copy < 2; copy++) {
        sent.add(h.sendPost("/webhooks/runblob-sora/" + g.token(), body("concurrent-" + i)));
        expected.add(200);
      }
      if (i % 10 == 0) {
        sent.add(h.sendPost("/webhooks/runblob-sora/" + WebhookTokens.newToken(), body("concurrent-x")));
        expected.add(404);
        sent.add(h.sendPost("/webhooks/runblob-sora/" + vidgo.token(), body("concurrent-v")));
        expected.add(404);
        sent.add(h.sendPost("/webhooks/runblob-sora/" + bound.token(), body("concurrent-other")));
        expected.add(409);
      }
    }
    Await.result(Future.join(sent));
    List<Integer> answered = sent.stream().map(f -> f.result().statusCode()).toList();
    assertEquals(expected, answered);
    for (Arranged g : gens) {
      // the two copies were sent at once, so either may be stored or applied first: one advances, one is a duplicate
      List<String> outcomes = new ArrayList<>(h.awaitProcessed(g.id()));
      outcomes.sort(null);
      assertEquals(List.of(DeliveryProcessor.ADVANCED, DeliveryProcessor.DUPLICATE), outcomes);
    }
    assertEquals(0, h.deliveries(vidgo.id()));
    assertEquals(0, h.deliveries(bound.id()));
  }
}
