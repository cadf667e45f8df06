package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.bus.Addresses;
import io.genorch.common.domain.GenerationError;
import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.domain.Output;
import io.genorch.common.domain.ResolvedBy;
import io.genorch.common.persistence.GenerationStore.Applied;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.statemachine.Verdict;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@ExtendWith(VertxExtension.class)
class GenerationStoreTest {

  @RegisterExtension
  static final TestDatabase db = TestDatabase.perClass();
  private GenerationStore store;
  private final List<JsonObject> published = new CopyOnWriteArrayList<>();

  @BeforeEach
  void store(Vertx vertx) {
    store = new GenerationStore(db.open().pool(vertx, 4, 100), vertx.eventBus());
    vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS, m -> published.add(m.body()));
  }

  private static GenerationRequest request() {
    return new GenerationRequest("runblob-sora", "sora-2", "a red fox", null, "9:16", 10, null, null, new JsonObject().put("k", "v"));
  }

  @Test
  void aCreatedGenerationIsQueuedWithAnAcceptedTimelineEntry() throws Exception {
    var created = Await.result(store.create(request(), null));
    assertEquals(GenerationStatus.QUEUED, created.generation().status());
    assertTrue(created.generation().id().startsWith("gen_"));
    var timeline = Await.result(store.timeline(created.generation().id())).orElseThrow();
    assertEquals(List.of("accepted"), timeline.stream().map(GenerationStore.TimelineEntry::type).toList());
    assertEquals("v", Await.result(store.find(created.generation().id())).orElseThrow().metadata().getString("k"));
  }

  @Test
  void changesOfSeveralGenerationsApplyInOneTransactionEachAsAlone() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String id = Await.result(store.create(request(), null)).generation().id();
      Await.result(store.apply(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, "task-all-" + i, null, null, null, null, null, null)));
      ids.add(id);
    }
    List<GenerationStore.ChangeOf> changes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      GenerationStatus status = i == 2 ? GenerationStatus.PROCESSING : GenerationStatus.SUCCEEDED;
      changes.add(new GenerationStore.ChangeOf(ids.get(i), new Change(Source.POLL, status, "task-all-" + i, null,
          status == GenerationStatus.SUCCEEDED ? List.of(Output.video("https://cdn.example/" + i + ".mp4")) : null,
          null, new JsonObject().put("attempt", 1), null, null)));
    }

    String inList = "('" + String.join("','", ids) + "')";
    long eventsBefore = db.count("SELECT count(*) FROM lifecycle_events WHERE generation_id IN " + inList);
    long txBefore = db.count("SELECT count(DISTINCT tx) FROM lifecycle_events WHERE generation_id IN " + inList);
    List<Applied> applied = store.applyAll(changes).stream().map(Await::result).toList();

    assertEquals(List.of(GenerationStatus.SUCCEEDED, GenerationStatus.SUCCEEDED, GenerationStatus.PROCESSING),
        applied.stream().map(a -> a.after().status()).toList(), "answered in the order given");
    assertEquals(ResolvedBy.POLL, Await.result(store.find(ids.get(0))).orElseThrow().resolvedBy());
    assertEquals(GenerationStatus.PROCESSING, Await.result(store.find(ids.get(2))).orElseThrow().status());
    assertEquals(List.of("accepted", "submitted", "polled", "succeeded"),
        Await.result(store.timeline(ids.get(1))).orElseThrow().stream().map(GenerationStore.TimelineEntry::type).toList());
    assertEquals(eventsBefore + 3, db.count("SELECT count(*) FROM lifecycle_events WHERE generation_id IN " + inList));
    assertEquals(txBefore + 1, db.count("SELECT count(DISTINCT tx) FROM lifecycle_events WHERE generation_id IN " + inList),
        "one transaction, one commit");
  }

  @Test
  void aBatchOfChangesThatFailsIsAppliedOneByOneSoTheOthersAreNotLost() {
    String id = Await.result(store.create(request(), null)).generation().id();
    List<Future<Applied>> applied = store.applyAll(List.of(
        new GenerationStore.ChangeOf(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, "task-lone", null, null, null, null, null, null)),
        new GenerationStore.ChangeOf("gen_missing", new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, "task-x", null, null, null, null, null, null))));
    assertEquals(GenerationStatus.SUBMITTED, Await.result(applied.get(0)).after().status());
    assertThrows(AssertionError.class, () -> Await.result(applied.get(1)));
  }

  @Test
  void advancingRecordsTimelineAndLifecycleEventInTheSameTransaction() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    Instant check = Instant.now().plus(Duration.ofMinutes(5));
    Applied submitted = Await.result(store.apply(id, new Change(Source.SUBMIT, GenerationStatus.SUBMITTED, "task-1", null, null, null, null, check, check.plusSeconds(60))));
    assertEquals(Verdict.ADVANCE, submitted.verdict());
    assertEquals("task-1", submitted.after().providerTaskId());
    assertNotNull(submitted.after().submittedAt());

    Applied done = Await.result(store.apply(id, new Change(Source.WEBHOOK, GenerationStatus.SUCCEEDED, "task-1", null,
        List.of(Output.video("https://cdn.example/v.mp4")), null, new JsonObject().put("deliveryId", 7), null, null)));
    assertEquals(Verdict.ADVANCE, done.verdict());
    assertEquals(ResolvedBy.WEBHOOK, done.after().resolvedBy());
    assertEquals(100, done.after().progress());
    assertEquals("https://cdn.example/v.mp4", done.after().outputs().get(0).url());
    assertNotNull(done.after().completedAt());

    var types = Await.result(store.timeline(id)).orElseThrow().stream().map(GenerationStore.TimelineEntry::type).toList();
    assertEquals(List.of("accepted", "submitted", "webhook_received", "succeeded"), types);
    var events = Await.result(store.lifecycleEventsAfter(0, 100)).stream()
        .filter(e -> e.getJsonObject("generation").getString("id").equals(id)).toList();
    assertEquals(List.of("generation.submitted", "generation.succeeded"), events.stream().map(e -> e.getString("type")).toList());
    assertTrue(events.get(1).getLong("seq") > events.get(0).getLong("seq"));
    assertEquals(0, db.count("SELECT count(*) FROM generations WHERE id = '" + id + "' AND next_check_at IS NOT NULL"),
        "a terminal generation is no longer scheduled for polling");
  }

  @Test
  void aTerminalGenerationKeepsItsStatusAndRecordsTheContradiction() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    Await.result(store.apply(id, new Change(Source.WEBHOOK, GenerationStatus.SUCCEEDED, "t", null, List.of(Output.video("https://x/v.mp4")), null, null, null, null)));
    Applied contradicted = Await.result(store.apply(id, new Change(Source.WEBHOOK, GenerationStatus.FAILED, "t", null, null,
        new GenerationError("TASK_FAILED", "boom", true), null, null, null)));
    assertEquals(Verdict.REJECT, contradicted.verdict());
    assertNull(contradicted.event());
    Applied repeated = Await.result(store.apply(id, new Change(Source.WEBHOOK, GenerationStatus.SUCCEEDED, "t", null, null, null, null, null, null)));
    assertEquals(Verdict.DUPLICATE, repeated.verdict());
    var g = Await.result(store.find(id)).orElseThrow();
    assertEquals(GenerationStatus.SUCCEEDED, g.status());
    assertNull(g.error());
    var types = Await.result(store.timeline(id)).orElseThrow().stream().map(GenerationStore.TimelineEntry::type).toList();
    assertEquals(List.of("accepted", "webhook_received", "succeeded", "webhook_rejected", "webhook_duplicate"), types);
  }

  @Test
  void progressOnlyRisesWhileTheStatusStays() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    Await.result(store.apply(id, new Change(Source.POLL, GenerationStatus.PROCESSING, "t", 40, null, null, null, null, null)));
    Applied lower = Await.result(store.apply(id, new Change(Source.POLL, GenerationStatus.PROCESSING, "t", 30, null, null, null, null, null)));
    assertEquals(Verdict.STAY, lower.verdict());
    assertEquals(40, lower.after().progress());
    Applied higher = Await.result(store.apply(id, new Change(Source.POLL, GenerationStatus.SUBMITTED, "t", 70, null, null, null, null, null)));
    assertEquals(GenerationStatus.PROCESSING, higher.after().status());
    assertEquals(70, higher.after().progress());
  }

  @Test
  void advancingPublishesTheLifecycleEventOnTheBus() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    Await.result(store.apply(id, new Change(Source.TIMEOUT, GenerationStatus.TIMED_OUT, null, null, null,
        new GenerationError("DEADLINE_EXCEEDED", "no answer", true), null, null, null)));
    JsonObject event = Await.until("the lifecycle event of " + id + " on the bus",
        () -> published.stream().filter(e -> e.getJsonObject("generation").getString("id").equals(id)).findFirst(),
        java.util.Optional::isPresent).orElseThrow();
    assertEquals("generation.timed_out", event.getString("type"));
    assertTrue(event.getString("id").startsWith("evt_"));
    assertEquals("timeout", event.getJsonObject("generation").getString("resolvedBy"));
  }

  @Test
  void listingIsNewestFirstWithACursor() throws Exception {
    db.reset();
    for (int i = 0; i < 5; i++) {
      Await.result(store.create(request(), null));
      Thread.sleep(2); // the next id in a later millisecond: ids sort by their creation time first
    }
    var first = Await.result(store.list(null, null, null, 3));
    assertEquals(3, first.items().size());
    assertNotNull(first.nextCursor());
    var second = Await.result(store.list(null, null, first.nextCursor(), 3));
    assertEquals(2, second.items().size());
    assertNull(second.nextCursor());
    assertTrue(first.items().get(0).id().compareTo(first.items().get(2).id()) > 0);
    assertTrue(first.items().get(2).id().compareTo(second.items().get(0).id()) > 0);
    assertEquals(0, Await.result(store.list("failed", null, null, 10)).items().size());
    assertEquals(5, Await.result(store.list("queued", "runblob-sora", null, 10)).items().size());
  }

  @Test
  void anIdempotencyKeyReplaysTheSameRequestAndRefusesAnother() throws Exception {
    var key = new GenerationStore.IdempotencyKey("caller", "k-1", new byte[] {1, 2, 3});
    var first = Await.result(store.create(request(), key));
    var again = Await.result(store.create(request(), key));
    assertFalse(first.replayed());
    assertTrue(again.replayed());
    assertEquals(first.generation().id(), again.generation().id());
    var other = new GenerationStore.IdempotencyKey("caller", "k-1", new byte[] {9});
    assertTrue(Await.failure(store.create(request(), other)) instanceof GenerationStore.IdempotencyConflictException);
    var otherCaller = Await.result(store.create(request(), new GenerationStore.IdempotencyKey("someone-else", "k-1", new byte[] {9})));
    assertFalse(otherCaller.replayed(), "keys are scoped by caller");
  }

  private static GenerationStore.NewGeneration newGeneration(String prompt, GenerationStore.IdempotencyKey key) {
    return new GenerationStore.NewGeneration(new GenerationRequest("runblob-sora", "sora-2", prompt, null, "9:16", 10,
        null, null, null), key, null, null);
  }

  @Test
  void generationsCreatedTogetherShareOneTransactionAndEachGetsItsOwnAnswer() {
    var used = new GenerationStore.IdempotencyKey("caller", "batch-used", new byte[] {1});
    var earlier = Await.result(store.create(request(), used)).generation().id();
    Await.result(store.create(request(), new GenerationStore.IdempotencyKey("caller", "batch-other", new byte[] {1})));
    List<Future<GenerationStore.Created>> answers = store.createAll(List.of(
        newGeneration("together 0", new GenerationStore.IdempotencyKey("caller", "batch-z", new byte[] {1})),
        newGeneration("together 1", null),
        newGeneration("together 2", used),
        newGeneration("together 3", new GenerationStore.IdempotencyKey("caller", "batch-other", new byte[] {2})),
        newGeneration("together 4", new GenerationStore.IdempotencyKey("caller", "batch-a", new byte[] {1}))));

    List<String> prompts = new ArrayList<>();
    for (int i : List.of(0, 1, 4)) {
      var created = Await.result(answers.get(i));
      assertFalse(created.replayed());
      prompts.add(created.generation().prompt());
    }
    assertEquals(List.of("together 0", "together 1", "together 4"), prompts, "answered in the order given");
    var replayed = Await.result(answers.get(2));
    assertTrue(replayed.replayed(), "a key used earlier with the same request is a replay");
    assertEquals(earlier, replayed.generation().id());
    assertTrue(Await.failure(answers.get(3)) instanceof GenerationStore.IdempotencyConflictException);
    assertEquals(3, db.count("SELECT count(*) FROM generations WHERE prompt LIKE 'together %'"));
    assertEquals(1, db.count("SELECT count(DISTINCT xmin::text) FROM generations WHERE prompt LIKE 'together %'"),
        "one transaction, one commit");
    assertEquals(3, db.count("SELECT count(*) FROM generation_events e JOIN generations g ON g.id = e.generation_id"
        + " WHERE g.prompt LIKE 'together %' AND e.type = 'accepted'"));
  }

  @Test
  void aRowTheDatabaseRefusesFailsAloneAndTheOthersOfItsBatchAreStored() {
    var key = new GenerationStore.IdempotencyKey("caller", "bad-batch", new byte[] {1});
    List<Future<GenerationStore.Created>> answers = store.createAll(List.of(
        newGeneration("alongside 0", key),
        newGeneration("alongside \u0000 refused", null), // PostgreSQL text holds no NUL character
        newGeneration("alongside 2", null)));

    assertEquals("alongside 0", Await.result(answers.get(0)).generation().prompt());
    assertNotNull(Await.failure(answers.get(1)));
    assertEquals("alongside 2", Await.result(answers.get(2)).generation().prompt());
    assertEquals(2, db.count("SELECT count(*) FROM generations WHERE prompt LIKE 'alongside %'"));
    assertTrue(Await.result(store.create(request(), key)).replayed(), "the key was claimed once, by its own row");
  }

  @Test
  void twoGenerationsWithOneIdempotencyKeyAreNeverCreatedTogether() {
    var key = new GenerationStore.IdempotencyKey("caller", "twice-in-one", new byte[] {1});
    assertThrows(IllegalArgumentException.class,
        () -> store.createAll(List.of(newGeneration("twice 0", key), newGeneration("twice 1", key))));
    assertEquals(0, db.count("SELECT count(*) FROM generations WHERE prompt LIKE 'twice %'"));
  }
}
