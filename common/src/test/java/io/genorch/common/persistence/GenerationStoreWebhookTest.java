package io.genorch.common.persistence;

import static io.genorch.common.testing.Await.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.persistence.GenerationStore.WebhookDecision;
import io.genorch.common.persistence.GenerationStore.WebhookDelivery;
import io.genorch.common.persistence.GenerationStore.WebhookSettled;
import io.genorch.common.persistence.GenerationStore.WebhookSettlement;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link GenerationStore#settleWebhook}: a delivery's effect and its being marked processed commit together. */
@ExtendWith(VertxExtension.class)
class GenerationStoreWebhookTest {

  private static final byte[] SHA = {1, 2, 3};

  private static TestDatabase db;
  private GenerationStore store;

  @BeforeAll
  static void database() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  @BeforeEach
  void store(Vertx vertx) {
    store = new GenerationStore(db.open().pool(vertx, 4, 100), vertx.eventBus());
  }

  @Test
  void anAppliedDeliveryIsMarkedWithWhatTheStateMachineMadeOfIt() {
    String id = generation();
    long delivery = delivery(id);

    WebhookSettled settled = result(store.settleWebhook(new WebhookDelivery(delivery, id, SHA),
        (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> verdict.name().toLowerCase(Locale.ROOT))));

    assertEquals("advance", settled.outcome());
    assertEquals(GenerationStatus.SUCCEEDED, settled.applied().after().status());
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE id = " + delivery
        + " AND processed_at IS NOT NULL AND outcome = 'advance'"));
    assertEquals(1, db.count("SELECT count(*) FROM lifecycle_events WHERE generation_id = '" + id + "'"));
  }

  @Test
  void aSettlementThatCannotMarkTheDeliveryChangesNothing() {
    String id = generation();
    long delivery = delivery(id);
    db.execute("CREATE FUNCTION refuse_marking() RETURNS trigger LANGUAGE plpgsql AS"
        + " $$ BEGIN RAISE EXCEPTION 'marking refused'; END $$;"
        + " CREATE TRIGGER refuse_marking BEFORE UPDATE ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION refuse_marking()");
    try {
      assertThrows(AssertionError.class, () -> result(store.settleWebhook(new WebhookDelivery(delivery, id, SHA),
          (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced"))));
    } finally {
      db.execute("DROP TRIGGER refuse_marking ON webhook_deliveries; DROP FUNCTION refuse_marking()");
    }

    assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND status = 'queued'"),
        "the transition is rolled back with the marking");
    assertEquals(0, db.count("SELECT count(*) FROM lifecycle_events WHERE generation_id = '" + id + "'"));
    assertEquals(0, db.count("SELECT count(*) FROM generation_events WHERE generation_id = '" + id + "'"
        + " AND type <> 'accepted'"));
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE id = " + delivery + " AND processed_at IS NULL"));
  }

  @Test
  void anIdenticalAppliedDeliveryIsFoundAndTheRecordIsWrittenWithTheMarking() {
    String id = generation();
    long first = delivery(id);
    long second = delivery(id);
    result(store.settleWebhook(new WebhookDelivery(first, id, SHA),
        (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced")));

    List<Long> twins = new ArrayList<>();
    WebhookSettled settled = result(store.settleWebhook(new WebhookDelivery(second, id, SHA), (generation, twin) -> {
      twins.add(twin);
      return new WebhookDecision.Record("webhook_duplicate", new JsonObject().put("duplicateOf", twin), "duplicate");
    }));

    assertEquals(List.of(first), twins);
    assertEquals("duplicate", settled.outcome());
    assertNull(settled.applied());
    assertEquals(1, db.count("SELECT count(*) FROM generation_events WHERE generation_id = '" + id + "'"
        + " AND type = 'webhook_duplicate' AND (detail->>'duplicateOf')::bigint = " + first));
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE id = " + second + " AND outcome = 'duplicate'"));
  }

  @Test
  void aDeliveryThatSettledNothingIsNoTwin() {
    String id = generation();
    long abandoned = delivery(id);
    db.execute("UPDATE webhook_deliveries SET processed_at = now(), outcome = 'abandoned' WHERE id = " + abandoned);
    long next = delivery(id);
    List<Long> twins = new ArrayList<>();
    result(store.settleWebhook(new WebhookDelivery(next, id, SHA), (generation, twin) -> {
      twins.add(twin);
      return new WebhookDecision.Apply(succeeded(), verdict -> "advanced");
    }));
    assertEquals(1, twins.size());
    assertNull(twins.get(0));
    assertTrue(db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND status = 'succeeded'") == 1);
  }

  @Test
  void deliveriesOfSeveralGenerationsSettleInOneTransaction() {
    List<String> ids = List.of(generation(), generation(), generation());
    List<WebhookSettlement> batch = new ArrayList<>();
    ids.forEach(id -> batch.add(new WebhookSettlement(new WebhookDelivery(delivery(id), id, SHA),
        (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced"))));

    List<WebhookSettled> settled = store.settleWebhooks(batch).stream().map(f -> result(f)).toList();

    assertEquals(List.of("advanced", "advanced", "advanced"), settled.stream().map(WebhookSettled::outcome).toList());
    String inList = "('" + String.join("','", ids) + "')";
    assertEquals(3, db.count("SELECT count(*) FROM generations WHERE status = 'succeeded' AND id IN " + inList));
    assertEquals(3, db.count("SELECT count(*) FROM webhook_deliveries WHERE outcome = 'advanced' AND generation_id IN " + inList));
    assertEquals(1, db.count("SELECT count(DISTINCT tx) FROM lifecycle_events WHERE generation_id IN " + inList),
        "one transaction, one commit");
  }

  @Test
  void aBatchMixingAppliedAndRecordedDeliveriesMarksAllAndWritesEachRecordedEntry() {
    String applied = generation();
    String recorded = generation();
    long first = delivery(applied);
    long second = delivery(recorded);
    List<WebhookSettled> settled = store.settleWebhooks(List.of(
        new WebhookSettlement(new WebhookDelivery(first, applied, SHA),
            (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced")),
        new WebhookSettlement(new WebhookDelivery(second, recorded, SHA),
            (generation, twin) -> new WebhookDecision.Record("webhook_rejected", new JsonObject().put("why", "test"), "rejected"))))
        .stream().map(f -> result(f)).toList();

    assertEquals(List.of("advanced", "rejected"), settled.stream().map(WebhookSettled::outcome).toList());
    assertNull(settled.get(1).applied());
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE id = " + first + " AND outcome = 'advanced'"
        + " AND processed_at IS NOT NULL"));
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE id = " + second + " AND outcome = 'rejected'"
        + " AND processed_at IS NOT NULL"));
    assertEquals(1, db.count("SELECT count(*) FROM generation_events WHERE generation_id = '" + recorded + "'"
        + " AND type = 'webhook_rejected' AND detail->>'why' = 'test'"));
    assertEquals(0, db.count("SELECT count(*) FROM generation_events WHERE generation_id = '" + applied + "'"
        + " AND type = 'webhook_rejected'"));
    assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + recorded + "' AND status = 'queued'"));
  }

  @Test
  void aBatchThatFailsIsSettledOneByOneSoTheOthersAreNotLost() {
    String id = generation();
    long delivery = delivery(id);
    List<Future<WebhookSettled>> settled = store.settleWebhooks(List.of(
        new WebhookSettlement(new WebhookDelivery(delivery, id, SHA),
            (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced")),
        new WebhookSettlement(new WebhookDelivery(-1, "gen_missing", SHA),
            (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced"))));

    assertEquals("advanced", result(settled.get(0)).outcome());
    assertThrows(AssertionError.class, () -> result(settled.get(1)));
    assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND status = 'succeeded'"));
    assertEquals(1, db.count("SELECT count(*) FROM webhook_deliveries WHERE id = " + delivery + " AND outcome = 'advanced'"));
  }

  @Test
  void aBatchThatMakesGenerationsSucceedSchedulesTheirOutputCopiesInItsTransaction(Vertx vertx) {
    store = new GenerationStore(db.open().pool(vertx, 4, 100), vertx.eventBus(), generation -> {},
        java.time.Duration.ofHours(1));
    List<String> ids = List.of(generation(), generation());
    List<WebhookSettlement> batch = new ArrayList<>();
    ids.forEach(id -> batch.add(new WebhookSettlement(new WebhookDelivery(delivery(id), id, SHA),
        (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced"))));

    store.settleWebhooks(batch).forEach(f -> result(f));

    String inList = "('" + String.join("','", ids) + "')";
    assertEquals(2, db.count("SELECT count(*) FROM output_copies WHERE idx = 0"
        + " AND source_url = 'https://cdn.example/v.mp4' AND generation_id IN " + inList));
    assertEquals(1, db.count("SELECT count(DISTINCT xmin::text) FROM output_copies WHERE generation_id IN " + inList),
        "scheduled in the batch's one transaction");
  }

  @Test
  void aBatchReRunsARetryableFailureAsOneDeliveryAloneDoes(Vertx vertx) {
    store = new GenerationStore(db.open().pool(vertx, 4, 100), vertx.eventBus(), generation -> {}, null, 3);
    // routed (it has routes to run on): only such a generation is re-run
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ids.add(result(store.create(new GenerationRequest("runblob-sora", "sora-2", "a red fox", null, "9:16", 10, null,
          null, null), null, null, new JsonArray().add(new JsonObject().put("provider", "runblob-sora")
          .put("providerModel", "sora-2")))).generation().id());
    }
    List<WebhookSettlement> batch = new ArrayList<>();
    ids.forEach(id -> batch.add(new WebhookSettlement(new WebhookDelivery(delivery(id), id, SHA),
        (generation, twin) -> new WebhookDecision.Apply(new Change(Source.WEBHOOK, GenerationStatus.FAILED, "task-1",
            null, null, new GenerationError("TASK_FAILED", "failed at the provider", true), new JsonObject(), null, null)
            .withAttempt(1), verdict -> verdict.name().toLowerCase(Locale.ROOT)))));

    List<WebhookSettled> settled = store.settleWebhooks(batch).stream().map(f -> result(f)).toList();

    assertEquals(List.of("rerun", "rerun"), settled.stream().map(WebhookSettled::outcome).toList(),
        "ORCH_MAX_ATTEMPTS holds for a batch as for one delivery");
    String inList = "('" + String.join("','", ids) + "')";
    assertEquals(2, db.count("SELECT count(*) FROM generations WHERE status = 'queued' AND id IN " + inList));
  }

  @Test
  void aBatchWritesEachTransitionsTimelineInOrderItsLifecycleEventAndClientCallback() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(result(store.create(new GenerationRequest("runblob-sora", "sora-2", "a red fox", null, "9:16", 10, null,
          "https://client.example/cb", null), null)).generation().id());
    }
    List<WebhookSettlement> batch = new ArrayList<>();
    ids.forEach(id -> batch.add(new WebhookSettlement(new WebhookDelivery(delivery(id), id, SHA),
        (generation, twin) -> new WebhookDecision.Apply(succeeded(), verdict -> "advanced"))));

    List<WebhookSettled> settled = store.settleWebhooks(batch).stream().map(f -> result(f)).toList();

    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      assertEquals(List.of("accepted", "webhook_received", "succeeded"), result(store.timeline(id)).orElseThrow().stream()
          .map(GenerationStore.TimelineEntry::type).toList());
      String eventId = settled.get(i).applied().event().id();
      assertEquals(1, db.count("SELECT count(*) FROM lifecycle_events WHERE id = '" + eventId + "' AND generation_id = '"
          + id + "' AND type = 'generation.succeeded' AND payload->>'id' = '" + eventId + "'"));
      assertEquals(1, db.count("SELECT count(*) FROM client_callbacks WHERE event_id = '" + eventId
          + "' AND url = 'https://client.example/cb'"));
      assertEquals(1, db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND status = 'succeeded'"
          + " AND resolved_by = 'webhook' AND provider_task_id = 'task-1' AND completed_at IS NOT NULL"
          + " AND outputs->0->>'sourceUrl' = 'https://cdn.example/v.mp4'"));
    }
  }

  private String generation() {
    return result(store.create(new GenerationRequest("runblob-sora", "sora-2", "a red fox", null, "9:16", 10, null,
        null, null), null)).generation().id();
  }

  private static long delivery(String generationId) {
    return db.count("INSERT INTO webhook_deliveries (provider, generation_id, body, body_sha256)"
        + " VALUES ('runblob-sora', '" + generationId + "', '{}', '\\x010203'::bytea) RETURNING id");
  }

  private static Change succeeded() {
    return new Change(Source.WEBHOOK, GenerationStatus.SUCCEEDED, "task-1", null,
        List.of(Output.video("https://cdn.example/v.mp4")), null, new JsonObject(), null, null);
  }
}
