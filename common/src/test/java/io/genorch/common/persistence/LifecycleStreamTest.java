package io.genorch.common.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genorch.common.domain.GenerationRequest;
import io.genorch.common.domain.GenerationStatus;
import io.genorch.common.persistence.GenerationStore.Applied;
import io.genorch.common.statemachine.Change;
import io.genorch.common.statemachine.Source;
import io.genorch.common.testing.Await;
import io.genorch.common.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** GET /v1/events' stream: transitions never wait for each other, readers never skip or repeat an event. */
@ExtendWith(VertxExtension.class)
class LifecycleStreamTest {

  private static final int WRITERS = 8;
  private static final int TRANSITIONS_PER_WRITER = 200;

  @RegisterExtension
  static final TestDatabase db = TestDatabase.emptiedBeforeEach();
  private GenerationStore store;

  @BeforeEach
  void store(Vertx vertx) {
    store = new GenerationStore(db.open().pool(vertx, WRITERS + 2), vertx.eventBus());
  }

  private static GenerationRequest request() {
    return new GenerationRequest("runblob-sora", "sora-2", "a red fox", null, "9:16", 10, null, null, new JsonObject());
  }

  private static Change change(GenerationStatus status) {
    return new Change(Source.SUBMIT, status, "task", null, null, null, null, null, null);
  }

  private List<String> ids(List<JsonObject> events) {
    return events.stream().map(e -> e.getString("id")).toList();
  }

  private static void assertStrictlyIncreasing(List<JsonObject> events) {
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i).getLong("seq") > events.get(i - 1).getLong("seq"), "seq rises at " + i);
    }
  }

  @Test
  void aTransitionCommitsWhileAnotherIsOpenAndReadersSeeBothOnceCommitted() throws Exception {
    String held = Await.result(store.create(request(), null)).generation().id();
    String other = Await.result(store.create(request(), null)).generation().id();
    try (Connection writer = db.connect()) {
      // generation "held" is mid-transition in another instance: its row locked, its lifecycle event written
      writer.setAutoCommit(false);
      try (var lock = writer.prepareStatement("SELECT id FROM generations WHERE id = ? FOR UPDATE");
          var insert = writer.prepareStatement("INSERT INTO lifecycle_events (id, type, generation_id, payload)"
              + " VALUES ('evt_held', 'generation.submitted', ?, '{\"id\":\"evt_held\"}')")) {
        lock.setString(1, held);
        lock.executeQuery().close();
        insert.setString(1, held);
        insert.executeUpdate();
      }

      Applied applied = Await.result(store.apply(other, change(GenerationStatus.SUBMITTED)));
      String otherEvent = applied.event().id();
      List<JsonObject> whileOpen = Await.result(store.lifecycleEventsAfter(0, 10));
      assertEquals(List.of(otherEvent), ids(whileOpen), "the committed transition is readable at once");
      long readerPosition = whileOpen.get(0).getLong("seq");

      writer.commit();
      List<JsonObject> both = Await.result(store.lifecycleEventsAfter(0, 10));
      assertEquals(List.of(otherEvent, "evt_held"), ids(both), "positions follow commit order");
      assertStrictlyIncreasing(both);
      assertEquals(both, Await.result(store.lifecycleEventsAfter(0, 10)), "the order is stable");
      assertEquals(List.of("evt_held"), ids(Await.result(store.lifecycleEventsAfter(readerPosition, 10))),
          "a reader already past the other event still gets the one committed later");
    }
  }

  @Test
  void concurrentWritersAndAPagingReaderSeeEveryEventExactlyOnceInRisingSeq(Vertx vertx) throws Exception {
    // two instances over one database, each with its running sequencer, besides the reader's own passes
    GenerationStore otherInstance = new GenerationStore(db.open().pool(vertx, WRITERS / 2 + 1), vertx.eventBus());
    store.sequencer().start(vertx);
    otherInstance.sequencer().start(vertx);
    List<List<String>> generations = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      List<Future<String>> created = new ArrayList<>();
      for (int g = 0; g < TRANSITIONS_PER_WRITER / 2; g++) {
        created.add(store.create(request(), null).map(c -> c.generation().id()));
      }
      generations.add(Await.result(Future.all(created)).list());
    }

    Set<String> written = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<Future<Void>> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      List<String> lane = generations.get(w);
      GenerationStore instance = w % 2 == 0 ? store : otherInstance;
      Future<Void> chain = Future.succeededFuture();
      for (String id : lane) {
        for (GenerationStatus status : List.of(GenerationStatus.SUBMITTED, GenerationStatus.SUCCEEDED)) {
          chain = chain.compose(v -> instance.apply(id, change(status)))
              .map(applied -> {
                written.add(applied.event().id());
                return null;
              });
        }
      }
      writers.add(chain);
    }
    CompletableFuture<?> allWritten = Future.all(writers).toCompletionStage().toCompletableFuture();

    List<JsonObject> read = new ArrayList<>();
    long after = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int expected = WRITERS * TRANSITIONS_PER_WRITER;
    while (read.size() < expected && System.nanoTime() < deadline) {
      List<JsonObject> page = Await.result(store.lifecycleEventsAfter(after, 50));
      read.addAll(page);
      after = page.isEmpty() ? after : page.get(page.size() - 1).getLong("seq");
    }
    allWritten.get(10, TimeUnit.SECONDS);
    read.addAll(Await.result(store.lifecycleEventsAfter(after, 1000)));

    assertEquals(expected, written.size());
    assertEquals(expected, read.size(), "every event once");
    assertEquals(written, new HashSet<>(ids(read)));
    assertStrictlyIncreasing(read);
  }

  @Test
  void aPositionIsARowOfItsOwnAndTheEventIsNeverWrittenAgain() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    String event = Await.result(store.apply(id, change(GenerationStatus.SUBMITTED))).event().id();
    String where = " FROM lifecycle_events WHERE id = '" + event + "'";
    // the row version: where it lies (ctid as page * 2^16 + item) and the transaction that wrote it
    String version = "SELECT ((ctid::text::point)[0] * 65536 + (ctid::text::point)[1])::bigint";
    long place = db.count(version + where);
    long writer = db.count("SELECT xmin::text::bigint" + where);

    List<JsonObject> read = Await.result(store.lifecycleEventsAfter(0, 10));

    assertEquals(List.of(event), ids(read));
    assertEquals(place, db.count(version + where), "the event's row is the one its transition wrote");
    assertEquals(writer, db.count("SELECT xmin::text::bigint" + where), "positioning did not update it");
    assertEquals(0, db.count("SELECT xmax::text::bigint" + where), "nor locked it");
    assertEquals(read.get(0).getLong("seq"), db.count("SELECT seq FROM lifecycle_positions WHERE event_id = '" + event + "'"));
    assertEquals(0, db.count("SELECT count(*) FROM lifecycle_pending"), "it no longer waits for a position");
  }

  @Test
  void anEventRolledBackLeavesNothingWaitingForAPosition() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      try (var insert = writer.prepareStatement("INSERT INTO lifecycle_events (id, type, generation_id, payload)"
          + " VALUES ('evt_undone', 'generation.submitted', ?, '{}')")) {
        insert.setString(1, id);
        insert.executeUpdate();
      }
      try (var st = writer.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM lifecycle_pending")) {
        rs.next();
        assertEquals(1, rs.getLong(1), "any insert, from any statement, waits for a position");
      }
      writer.rollback();
    }
    assertEquals(0, db.count("SELECT count(*) FROM lifecycle_pending"));
    assertTrue(Await.result(store.lifecycleEventsAfter(0, 10)).isEmpty());
  }

  @Test
  void theSequencerPositionsCommittedEventsWithoutAnyReader(Vertx vertx) throws Exception {
    store.sequencer().start(vertx);
    String id = Await.result(store.create(request(), null)).generation().id();
    Await.result(store.apply(id, change(GenerationStatus.SUBMITTED)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (db.count("SELECT count(*) FROM lifecycle_pending") > 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(5);
    }
    assertEquals(1, db.count("SELECT count(*) FROM lifecycle_positions"));
  }

  @Test
  void aPassHangingWithTheLockShowsAsAGrowingLagWhileReadersStillAnswer(Vertx vertx) throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    try (Connection hung = db.connect()) {
      // a pass elsewhere that took the lock and never finishes
      hung.setAutoCommit(false);
      try (var st = hung.createStatement()) {
        st.execute("SELECT pg_advisory_xact_lock(hashtextextended('genorch.lifecycle_sequencer', 0))");
      }
      store.sequencer().start(vertx);
      Await.result(store.apply(id, change(GenerationStatus.SUBMITTED)));
      assertTrue(Await.result(store.lifecycleEventsAfter(0, 10)).isEmpty(), "the reader answers with what is positioned");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (store.sequencer().lagSeconds() < 1.0 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(10);
      }
      assertTrue(store.sequencer().lagSeconds() >= 1.0, "lag " + store.sequencer().lagSeconds());
      hung.rollback();
    }
    assertEquals(1, Await.result(store.lifecycleEventsAfter(0, 10)).size(), "the stream resumes once the lock is free");
  }

  @Test
  void readersAskingWhileAPassIsUnderWayShareTheNextPassAndSeeWhatCommittedBeforeThey(Vertx vertx) throws Exception {
    store.sequencer().start(vertx);
    String id = Await.result(store.create(request(), null)).generation().id();
    List<JsonObject> seenByAll;
    try (Connection elsewhere = db.connect()) {
      // a pass of another instance holds the lock, so the first reader's pass waits for it
      elsewhere.setAutoCommit(false);
      try (var st = elsewhere.createStatement()) {
        st.execute("SELECT pg_advisory_xact_lock(hashtextextended('genorch.lifecycle_sequencer', 0))");
      }
      long readerPassesBefore = store.sequencer().passesForReaders();
      Future<List<JsonObject>> first = store.lifecycleEventsAfter(0, 10);
      Await.until("the first reader's pass waits for the lock", () -> db.count(
          "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
          + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"), waiting -> waiting == 1);
      // committed after the first reader's pass began: only a pass that starts after it can position it
      String event = Await.result(store.apply(id, change(GenerationStatus.SUBMITTED))).event().id();
      List<Future<List<JsonObject>>> readers = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        readers.add(store.lifecycleEventsAfter(0, 10));
      }
      elsewhere.rollback();
      Await.result(first);
      seenByAll = Await.result(Future.all(readers)).<List<JsonObject>>list().stream().flatMap(List::stream).toList();
      assertEquals(2, store.sequencer().passesForReaders() - readerPassesBefore,
          "the first reader's pass, and one for the 20 that asked while it ran");
      assertEquals(20, seenByAll.size());
      assertTrue(seenByAll.stream().allMatch(e -> e.getString("id").equals(event)), "each sees what committed before it asked");
    }
  }

  @Test
  void aReadersPassDoesNotQueueBehindAWakePassButWaitsForItsLockInsideTheDatabase(Vertx vertx) throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    db.execute("INSERT INTO lifecycle_events (id, type, generation_id, payload) VALUES ('evt_slow', 'generation.submitted', '"
        + id + "', '{\"id\":\"evt_slow\"}')");
    store.sequencer().start(vertx);
    String waitingFor = "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = '%s'"
        + " AND (database IS NULL OR database = (SELECT oid FROM pg_database WHERE datname = current_database()))";
    try (Connection blocker = db.connect()) {
      // the event's pending entry, row-locked elsewhere: a wake pass that takes it waits, holding the sequencer lock
      blocker.setAutoCommit(false);
      try (var st = blocker.createStatement()) {
        st.executeQuery("SELECT id FROM lifecycle_pending FOR UPDATE").close();
      }
      store.sequencer().wake();
      Await.until("the wake pass waits for the entry", () -> db.count(waitingFor.formatted("transactionid")), n -> n == 1);

      Future<List<JsonObject>> read = store.lifecycleEventsAfter(0, 10);

      Await.until("the reader's pass is already at the database, waiting for the sequencer lock",
          () -> db.count(waitingFor.formatted("advisory")), n -> n == 1);
      blocker.rollback();
      assertEquals(List.of("evt_slow"), ids(Await.result(read)), "and reads what the wake pass positioned");
    }
  }

  @Test
  void anIdleSequencerDoesNotPassEveryFewMilliseconds(Vertx vertx) throws Exception {
    store.sequencer().start(vertx);
    long before = store.sequencer().passesRun();
    // a window, not a condition: nothing happens in it (the old sequencer passed every 25 ms, ~20 times here)
    TimeUnit.MILLISECONDS.sleep(500);
    assertTrue(store.sequencer().passesRun() - before <= 1, "passes while idle: " + (store.sequencer().passesRun() - before));
  }

  @Test
  void readersAreAnsweredWhileEveryConnectionOfTheServicePoolIsTaken(Vertx vertx) throws Exception {
    io.vertx.sqlclient.Pool busy = db.open().pool(vertx, 1);
    GenerationStore instance = new GenerationStore(busy, db.open().pool(vertx, 2), vertx.eventBus(), g -> {}, null,
        io.genorch.common.statemachine.GenerationStateMachine.NO_RERUNS);
    instance.sequencer().start(vertx);
    String id = Await.result(instance.create(request(), null)).generation().id();
    String event = Await.result(instance.apply(id, change(GenerationStatus.SUBMITTED))).event().id();
    io.vertx.sqlclient.SqlConnection held = Await.result(busy.getConnection());
    try {
      assertEquals(List.of(event), ids(Await.result(instance.lifecycleEventsAfter(0, 10))));
    } finally {
      Await.result(held.close());
    }
  }

  @Test
  void aGenerationsEventsKeepTheirOrderWhenTheLaterOnesTransactionBeganFirst() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    String insert = "INSERT INTO lifecycle_events (id, type, generation_id, payload)"
        + " VALUES (?, 'generation.%s', ?, json_build_object('id', ?::text))";
    try (Connection round = db.connect(); Connection other = db.connect()) {
      // a webhook round or a batch: its transaction id is taken by its first lock, before this generation's turn
      round.setAutoCommit(false);
      try (var st = round.createStatement()) {
        st.executeQuery("SELECT pg_current_xact_id()").close();
      }
      // meanwhile another instance's transition of the generation commits (a newer transaction id)
      try (var st = other.prepareStatement(insert.formatted("processing"))) {
        st.setString(1, "evt_earlier");
        st.setString(2, id);
        st.setString(3, "evt_earlier");
        st.executeUpdate();
      }
      // then the round gets the row and writes the next transition
      try (var st = round.prepareStatement(insert.formatted("succeeded"))) {
        st.setString(1, "evt_later");
        st.setString(2, id);
        st.setString(3, "evt_later");
        st.executeUpdate();
      }
      round.commit();
    }
    assertEquals(List.of("evt_earlier", "evt_later"), ids(Await.result(store.lifecycleEventsAfter(0, 10))),
        "in the order they were written, whatever the transactions' ids");
  }

  @Test
  void anEventRestoredFromAnotherClusterIsPositionedBeforeNewerOnes() throws Exception {
    String id = Await.result(store.create(request(), null)).generation().id();
    Await.result(store.apply(id, change(GenerationStatus.SUBMITTED)));
    // written by a cluster whose transaction ids ran far ahead of this one's, and dumped before it got a position
    db.execute("INSERT INTO lifecycle_events (id, type, generation_id, payload, tx) VALUES ('evt_restored',"
        + " 'generation.submitted', '" + id + "', '{\"id\":\"evt_restored\"}', '900000000000'::xid8)");
    List<JsonObject> events = Await.result(store.lifecycleEventsAfter(0, 10));
    assertEquals("evt_restored", events.get(0).getString("id"));
    assertEquals(2, events.size());
  }

  @Test
  void aPassIsPlannedForTheTableAsItIsNotAsItWasWhenSmall() throws Exception {
    // a plan kept from when lifecycle_events was empty scans the table once per event: quadratic in the backlog
    try (Connection c = db.connect(); var st = c.createStatement();
        var rs = st.executeQuery("SELECT array_to_string(proconfig, ',') FROM pg_proc"
            + " WHERE proname = 'sequence_lifecycle_events'")) {
      assertTrue(rs.next(), "the pass function exists");
      assertEquals("plan_cache_mode=force_custom_plan", rs.getString(1));
    }
  }
}
